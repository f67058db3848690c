//! `concord import`: files of STIX objects into the store, with a progress bar on a
//! terminal and a summary at the end; each rejection names the object, path and rule.

use std::io::{IsTerminal, Read};
use std::path::Path;

use anyhow::Context;
use concord_store::Store;
use concord_store::import::{ObjectResult, Summary, import_values};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Imports every file; returns `false` if any object or file was rejected.
pub fn run(store: &dyn Store, files: &[std::path::PathBuf], batch: usize) -> anyhow::Result<bool> {
    let mut total = Summary::default();
    let mut file_errors = 0usize;
    for path in files {
        match import_file(store, path, batch) {
            Ok(s) => total.add(&s),
            Err(e) => {
                file_errors += 1;
                eprintln!("{}: {e:#}", path.display());
            }
        }
    }
    println!(
        "Imported {} file(s): {} new, {} new versions, {} unchanged, {} conflicting, {} rejected{}",
        files.len() - file_errors,
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

fn import_file(store: &dyn Store, path: &Path, batch: usize) -> anyhow::Result<Summary> {
    let bytes = if path == Path::new("-") {
        let mut b = Vec::new();
        std::io::stdin().read_to_end(&mut b)?;
        b
    } else {
        std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?
    };
    let values = concord_stix::input::parse_document(&bytes)?;
    let bar = progress_bar(values.len() as u64, path);
    let name = path.display().to_string();
    let summary = import_values(store, values, batch, &mut |results| {
        for r in results {
            if let ObjectResult::Rejected { index, id, reasons } = r {
                let id = id.as_deref().unwrap_or("(no id)");
                for v in reasons {
                    bar.suspend(|| {
                        eprintln!(
                            "{name}: object #{index} {id}: {}: {} [{}]",
                            v.path, v.message, v.rule
                        )
                    });
                }
            }
        }
        bar.inc(results.len() as u64);
    })?;
    bar.finish_and_clear();
    Ok(summary)
}

fn progress_bar(len: u64, path: &Path) -> ProgressBar {
    let bar = ProgressBar::with_draw_target(Some(len), ProgressDrawTarget::stderr());
    if !std::io::stderr().is_terminal() {
        bar.set_draw_target(ProgressDrawTarget::hidden());
    }
    bar.set_style(
        ProgressStyle::with_template("{msg} {wide_bar} {pos}/{len} objects ({per_sec}, {eta})")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar.set_message(path.display().to_string());
    bar
}
