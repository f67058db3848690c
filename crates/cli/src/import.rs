//! `concord import`: files of STIX objects into the store, with a progress bar on a
//! terminal and a summary at the end; each rejection names the object, path and rule.

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

use concord_store::Store;
use concord_store::import::{ObjectResult, Summary, import_values};
use serde_json::Value;

/// Arguments of `concord import`.
#[derive(clap::Args)]
pub struct ImportArgs {
    /// Files to import (`-` for standard input).
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// Objects per transaction.
    #[arg(long)]
    pub batch: Option<usize>,
}

/// Runs `concord import`; returns `false` if any object or file was rejected.
pub fn run(node: &crate::node::Node, args: &ImportArgs) -> anyhow::Result<bool> {
    let batch = args.batch.unwrap_or(node.config.import_batch);
    import_files(&node.store, &args.files, batch)
}

/// Imports every file; returns `false` if any object or file was rejected.
pub fn import_files(store: &dyn Store, files: &[PathBuf], batch: usize) -> anyhow::Result<bool> {
    let mut total = Summary::default();
    let mut file_errors = 0usize;
    for path in files {
        let (summary, error) = import_file(store, path, batch);
        total.add(&summary);
        if let Some(e) = error {
            file_errors += 1;
            eprintln!("{}: {e:#}", path.display());
        }
    }
    println!(
        "Imported {} file(s): {} new, {} new versions, {} unchanged, {} conflicting, {} rejected{}",
        files.len(),
        total.new,
        total.new_versions,
        total.unchanged,
        total.conflicts,
        total.rejected,
        if file_errors > 0 {
            format!("; {file_errors} file(s) could not be read")
        } else {
            String::new()
        },
    );
    Ok(total.rejected == 0 && file_errors == 0)
}

/// Imports one file, streaming: a parser thread reads objects one by one while this
/// thread validates and stores them in batches, so memory stays flat for any file size.
/// Returns what was stored, plus the error that ended the file early, if any (objects
/// before a syntax error are kept).
fn import_file(store: &dyn Store, path: &Path, batch: usize) -> (Summary, Option<anyhow::Error>) {
    let (reader, len): (Box<dyn Read + Send>, Option<u64>) = if path == Path::new("-") {
        (Box::new(std::io::stdin()), None)
    } else {
        match File::open(path) {
            Ok(f) => {
                let len = f.metadata().ok().map(|m| m.len());
                (Box::new(f), len)
            }
            Err(e) => {
                let e = anyhow::Error::from(e).context(format!("cannot read {}", path.display()));
                return (Summary::default(), Some(e));
            }
        }
    };
    let bar = crate::progress::file_bar(len, path);
    let counted = crate::progress::Counting::new(reader, bar.clone());
    let (tx, rx) = std::sync::mpsc::sync_channel::<Value>(4 * batch.max(1));
    let parser = std::thread::spawn(move || {
        concord_stix::input::stream_document(counted, &mut |v| tx.send(v).is_ok())
    });
    let name = path.display().to_string();
    let mut objects = 0u64;
    let stored = import_values(store, rx, batch, &mut |results| {
        for r in results {
            if let ObjectResult::Rejected { index, id, reasons } = r {
                let id = id.as_deref().unwrap_or("(no id)");
                for v in reasons {
                    bar.suspend(|| {
                        eprintln!(
                            "{name}: object #{index} {id}: {}: {} [{}]",
                            v.path, v.message, v.rule
                        );
                    });
                }
            }
        }
        objects += results.len() as u64;
        bar.set_message(format!("{name}: {objects} objects"));
    });
    let parsed = parser.join();
    bar.finish_and_clear();
    let (summary, store_error) = match stored {
        Ok(s) => (s, None),
        Err(e) => (
            Summary::default(),
            Some(anyhow::Error::from(e).context("storing failed")),
        ),
    };
    let parse_error = match parsed {
        Ok(Ok(_)) => None,
        Ok(Err(e)) => Some(anyhow::Error::from(e)),
        Err(_) => Some(anyhow::anyhow!("the parser thread failed")),
    };
    (summary, store_error.or(parse_error))
}
