//! `concord import`: files of STIX objects, MISP events, CSAF advisories, CSV or plain
//! feeds into the store, with a progress bar on a terminal and a summary at the end; each
//! rejection names the object, path and rule, each bad record its line or JSON path.
//! The reading, settling and flagging are `concord_ingest`'s; this module is the flags,
//! the progress bar and the messages.

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use concord_formats::Source;
use concord_formats::plain;
use concord_formats::warninglist::WarningLists;
use concord_ingest::{Input, InputEnd, Note, Options, Progress, Target, Totals, import_inputs};
use concord_store::Store;

use crate::database::NodeStore;

/// Arguments of `concord import`.
#[derive(clap::Args, Clone, Default)]
pub struct ImportArgs {
    /// Files to import (`-` for standard input).
    #[arg(required_unless_present = "list_presets")]
    pub files: Vec<PathBuf>,
    /// Objects per transaction.
    #[arg(long)]
    pub batch: Option<usize>,
    /// Input format: auto (recognised from the content), stix, misp, misp-feed (a
    /// directory or URL with manifest.json), csaf, csv, lines.
    #[arg(long, default_value = "auto")]
    pub format: String,
    /// For `lines`: the kind of every value (ipv4-addr, ipv6-addr, domain-name, url,
    /// file-md5, file-sha1, file-sha256, email-addr, ...); guessed per line if absent.
    #[arg(long, value_name = "KIND")]
    pub observable: Option<String>,
    /// For `csv`: a known feed layout (see --list-presets).
    #[arg(long, value_name = "NAME")]
    pub preset: Option<String>,
    /// Lists the CSV/feed presets and exits.
    #[arg(long)]
    pub list_presets: bool,
    /// For `csv`: the role of each column, comma-separated: one observable kind (the
    /// value), first_seen, description, label, or empty/skip.
    #[arg(long, value_name = "ROLES")]
    pub columns: Option<String>,
    /// For `csv --columns`: the field delimiter (one character; `tab` for tabs).
    #[arg(long, default_value = ",")]
    pub delimiter: String,
    /// The source's name (feeds: part of every indicator id); default: the file name.
    #[arg(long)]
    pub source: Option<String>,
    /// TLP of the imported feed values (clear, green, amber, amber+strict, red).
    #[arg(long)]
    pub tlp: Option<String>,
    /// Confidence (0-100) of the imported feed values.
    #[arg(long)]
    pub confidence: Option<u8>,
    /// A label for every imported feed value (repeatable).
    #[arg(long = "label")]
    pub labels: Vec<String>,
    /// A directory of MISP warning lists (`list.json` files); default: `warninglists/`
    /// in the data directory, if present. Indicators with a listed value are flagged
    /// and left out of matching until an analyst adds the label `warninglist:override`.
    #[arg(long, value_name = "DIR")]
    pub warninglists: Option<PathBuf>,
    /// Name every conflicting object (a version already held with other content, which
    /// is kept) on standard error.
    #[arg(short, long)]
    pub verbose: bool,
    /// The loaded warning lists.
    #[arg(skip)]
    pub lists: Option<Arc<WarningLists>>,
    /// Records whose held version is newer (expired by a feed) get a `modified` just
    /// after it, so that they are current again (plain feeds always; MISP feed events
    /// back in the manifest after they left it).
    #[arg(skip)]
    pub bump_held: bool,
}

/// Whether an import argument is a MISP feed: `--format misp-feed`, or (with `auto`) a
/// directory holding `manifest.json` or an `http(s)://` URL.
fn is_misp_feed(format: &str, p: &Path) -> bool {
    let text = p.to_string_lossy();
    match format {
        "misp-feed" => true,
        "auto" => concord_formats::fetch::is_url(&text) || p.join("manifest.json").is_file(),
        _ => false,
    }
}

/// The warning lists of an import: `--warninglists DIR`, else the data directory's
/// `warninglists/` if there is one; files that are not warning lists are named and skipped.
pub fn warninglists_for(
    dir: &Path,
    given: Option<&Path>,
) -> anyhow::Result<Option<Arc<WarningLists>>> {
    Ok(concord_ingest::warninglists::for_node(
        dir,
        given,
        &mut |f, e| {
            eprintln!("{}: not a warning list, skipped: {e}", f.display());
        },
    )?)
}

/// Runs `concord import`; returns `false` if any object, record or file was rejected.
pub fn run(node: &crate::node::Node, args: &ImportArgs) -> anyhow::Result<bool> {
    if args.list_presets {
        for p in plain::presets() {
            println!("{:<18} {} [{}]", p.name, p.about, p.kind.name());
        }
        return Ok(true);
    }
    let batch = args.batch.unwrap_or(node.config.import_batch);
    let mut args = args.clone();
    args.lists = warninglists_for(&node.dir, args.warninglists.as_deref())?;
    // MISP feeds (a directory or URL with manifest.json): run as a feed named after the
    // location, so that a second import fetches only the events that changed.
    let (feeds, files): (Vec<PathBuf>, Vec<PathBuf>) = args
        .files
        .iter()
        .cloned()
        .partition(|p| is_misp_feed(&args.format, p));
    let mut ok = true;
    for f in &feeds {
        let location = f.to_string_lossy().into_owned();
        let cfg = crate::feeds::FeedConfig {
            name: format!("import {location}"),
            url: location,
            format: "misp-feed".into(),
            preset: None,
            columns: None,
            observable: None,
            interval_secs: 0,
            timeout_secs: 30,
            tlp: args.tlp.clone(),
            confidence: args.confidence,
            labels: args.labels.clone(),
            source: args.source.clone(),
            insecure_http: false,
        };
        let fetcher = concord_formats::fetch::Fetcher::new(std::time::Duration::from_secs(30));
        let state = crate::feeds::run_feed(&node.dir, &node.store, &cfg, &fetcher)?;
        println!("{}: {}", cfg.url, crate::feeds::describe(&state));
        ok &= state.errors.is_empty() && state.rejected == 0 && state.record_errors == 0;
    }
    if files.is_empty() {
        return Ok(ok);
    }
    let total = import_with(&node.store, &files, batch, &args)?;
    print(&total, files.len());
    Ok(ok && all_ok(&total))
}

impl ImportArgs {
    /// The options of the ingest library.
    pub fn options(&self) -> Options {
        Options {
            format: self.format.clone(),
            observable: self.observable.clone(),
            preset: self.preset.clone(),
            columns: self.columns.clone(),
            delimiter: self.delimiter.clone(),
            source: self.source.clone(),
            tlp: self.tlp.clone(),
            confidence: self.confidence,
            labels: self.labels.clone(),
            lists: self.lists.clone(),
        }
    }
}

fn all_ok(t: &Totals) -> bool {
    t.summary.rejected == 0 && t.file_errors == 0 && t.record_errors == 0
}

fn print(t: &Totals, files: usize) {
    let mut tail = String::new();
    if t.record_errors > 0 {
        tail.push_str(&format!("; {} record(s) with errors", t.record_errors));
    }
    if t.warnings > 0 {
        tail.push_str(&format!("; {} warning(s)", t.warnings));
    }
    if t.warninglisted > 0 {
        tail.push_str(&format!(
            "; {} indicator(s) on warning lists (left out of matching)",
            t.warninglisted
        ));
    }
    if t.file_errors > 0 {
        tail.push_str(&format!("; {} file(s) could not be read", t.file_errors));
    }
    let s = &t.summary;
    println!(
        "Imported {files} file(s): {} new, {} new versions, {} unchanged, {} conflicting, {} rejected{tail}",
        s.new, s.new_versions, s.unchanged, s.conflicts, s.rejected,
    );
}

/// The source of an input: its name (the file's, unless `--source`), TLP, confidence and
/// labels from the arguments.
pub fn source(args: &ImportArgs, path: &Path) -> anyhow::Result<Source> {
    let name = path
        .file_name()
        .map_or_else(|| "stdin".into(), |n| n.to_string_lossy().into_owned());
    Ok(concord_ingest::read::source(&args.options(), &name)?)
}

/// An import's progress on a terminal: a bar counting bytes, the objects stored in its
/// message, and every note printed on standard error above it.
pub struct BarProgress {
    /// The bar.
    pub bar: indicatif::ProgressBar,
    /// Names the import in messages about it as a whole.
    pub label: String,
    /// Conflicts are named only with `--verbose`.
    pub verbose: bool,
}

impl Progress for BarProgress {
    fn read(&self, bytes: u64) {
        self.bar.inc(bytes);
    }

    fn stored(&self, _: &[concord_store::import::ObjectResult], objects: u64) {
        self.bar
            .set_message(format!("{}: {objects} objects", self.label));
    }

    fn note(&self, note: Note<'_>) {
        let label = &self.label;
        let line = match note {
            Note::RecordError { input, error } => format!("{input}: {error}"),
            Note::Warning { input, warning } => format!("{input}: warning: {warning}"),
            Note::Warninglisted {
                input,
                id,
                value,
                list,
            } => format!(
                "{input}: {id}: {value} is on the warning list {list:?}; left out of matching unless the label {} is added",
                concord_formats::warninglist::OVERRIDE
            ),
            Note::Conflict { id } if self.verbose => format!(
                "{label}: conflict: {id}: this version is held with other content; the held one is kept"
            ),
            Note::Rejected {
                input,
                index,
                id,
                reasons,
            } => {
                let input = if input.is_empty() { label } else { input };
                let id = id.unwrap_or("(no id)");
                reasons
                    .iter()
                    .map(|v| {
                        format!(
                            "{input}: object #{index} {id}: {}: {} [{}]",
                            v.path, v.message, v.rule
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
            }
            _ => return,
        };
        self.bar.suspend(|| eprintln!("{line}"));
    }
}

/// Says what went wrong with the store, if it did.
fn report_store(t: &Totals) {
    if let Some(e) = &t.store_error {
        eprintln!("storing failed: {e}");
    }
}

fn import_with(
    store: &NodeStore,
    files: &[PathBuf],
    batch: usize,
    args: &ImportArgs,
) -> anyhow::Result<Totals> {
    // One import for all the files (see `import_inputs`): a directory of small files
    // keeps the pipeline busy instead of starting it again for each.
    let mut inputs = Vec::with_capacity(files.len());
    let mut total_len = Some(0u64);
    for path in files {
        let name = path.display().to_string();
        let source = source(args, path)?;
        let len = if path == Path::new("-") {
            None
        } else {
            std::fs::metadata(path).ok().map(|m| m.len())
        };
        total_len = total_len.zip(len).map(|(a, b)| a + b);
        let path = path.clone();
        inputs.push(Input {
            name,
            source: Some(source),
            bump_held: args.bump_held,
            open: Box::new(move || {
                if path == Path::new("-") {
                    return Ok((Box::new(std::io::stdin()) as Box<dyn Read + Send>, None));
                }
                let f = File::open(&path)?;
                let len = f.metadata().ok().map(|m| m.len());
                Ok((Box::new(f) as Box<dyn Read + Send>, len))
            }),
        });
    }
    let label = match files {
        [one] => one.display().to_string(),
        _ => format!("{} files", files.len()),
    };
    let progress = BarProgress {
        bar: crate::progress::file_bar(total_len, Path::new(&label)),
        label,
        verbose: args.verbose,
    };
    // SQLite's bulk session (several batches per transaction); PostgreSQL writes each
    // batch in a transaction of its own, through the trait.
    let target = match store {
        NodeStore::Sqlite(s) => Target::Bulk(s),
        NodeStore::Postgres(..) => Target::Store(&**store),
    };
    let imported = import_inputs(target, inputs, &args.options(), batch, false, &progress);
    progress.bar.finish_and_clear();
    let mut total = imported.totals;
    report_store(&total);
    for (path, ended) in files.iter().zip(imported.inputs) {
        let name = path.display();
        match ended.end {
            InputEnd::Done => {}
            InputEnd::Setup(e) => {
                total.file_errors += 1;
                eprintln!("{name}: {e}");
            }
            InputEnd::Read(e) => {
                total.file_errors += 1;
                eprintln!("{name}: {e}");
            }
            InputEnd::Failed => {
                total.file_errors += 1;
                eprintln!("{name}: the parser thread failed");
            }
        }
    }
    Ok(total)
}

/// Imports one input (a file, standard input, or a feed's download), streaming: a parser
/// thread converts records one by one while this thread settles them against the held
/// versions and the store writes them in batches, so memory stays flat for any size.
/// Objects before a fatal error (truncated JSON) are kept; the error is reported.
/// A transaction per batch.
#[allow(clippy::too_many_arguments)]
pub fn import_reader(
    store: &dyn Store,
    reader: Box<dyn Read + Send>,
    len: Option<u64>,
    name: &str,
    batch: usize,
    args: &ImportArgs,
    source: &Source,
    keep_ids: bool,
) -> anyhow::Result<Totals> {
    let input = Input {
        name: name.to_owned(),
        source: Some(source.clone()),
        bump_held: args.bump_held,
        open: Box::new(move || Ok((reader, len))),
    };
    let progress = BarProgress {
        bar: crate::progress::file_bar(len, Path::new(name)),
        label: name.to_owned(),
        verbose: args.verbose,
    };
    let mut imported = import_inputs(
        Target::Store(store),
        vec![input],
        &args.options(),
        batch,
        keep_ids,
        &progress,
    );
    progress.bar.finish_and_clear();
    report_store(&imported.totals);
    let mut totals = imported.totals;
    match imported.inputs.pop().map(|e| e.end) {
        Some(InputEnd::Setup(e)) => return Err(e.into()),
        Some(InputEnd::Read(e)) => {
            totals.file_errors += 1;
            eprintln!("{name}: {e}");
        }
        Some(InputEnd::Failed) | None => {
            totals.file_errors += 1;
            eprintln!("{name}: the parser thread failed");
        }
        Some(InputEnd::Done) => {}
    }
    Ok(totals)
}
