//! `concord import`: files of STIX objects, MISP events, CSAF advisories, CSV or plain
//! feeds into the store, with a progress bar on a terminal and a summary at the end; each
//! rejection names the object, path and rule, each bad record its line or JSON path.

use std::cell::RefCell;
use std::collections::HashMap;
use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::sync::Arc;
use std::sync::mpsc::Receiver;

use anyhow::Context;
use concord_formats::plain::{self, Layout};
use concord_formats::warninglist::{self, WarningList, WarningLists};
use concord_formats::{Detected, FormatError, Item, Source};
use concord_store::Store;
use concord_store::import::{
    BULK_TRANSACTION, ObjectResult, Summary, import_values_bulk, import_values_with,
};
use concord_store::sqlite::SqliteStore;
use serde_json::Value;

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

/// Loads every warning list (`*.json`, but `schema.json`) of a directory; lists that do
/// not parse are reported and skipped.
pub fn load_warninglists(dir: &Path) -> anyhow::Result<WarningLists> {
    let mut lists = WarningLists::default();
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("cannot read warning lists in {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json") && !p.ends_with("schema.json"))
        .collect();
    files.sort();
    for f in files {
        match std::fs::read(&f)
            .map_err(|e| e.to_string())
            .and_then(|b| WarningList::parse(&b).map_err(|e| e.to_string()))
        {
            Ok(l) => lists.lists.push(l),
            Err(e) => eprintln!("{}: not a warning list, skipped: {e}", f.display()),
        }
    }
    Ok(lists)
}

/// The warning lists of an import: `--warninglists DIR`, else the data directory's
/// `warninglists/` if there is one.
pub fn warninglists_for(
    dir: &Path,
    given: Option<&Path>,
) -> anyhow::Result<Option<Arc<WarningLists>>> {
    let default = dir.join("warninglists");
    let at = match given {
        Some(p) => p.to_path_buf(),
        None if default.is_dir() => default,
        None => return Ok(None),
    };
    Ok(Some(Arc::new(load_warninglists(&at)?)))
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
    total.print(files.len());
    Ok(ok && total.ok())
}

/// Totals of an import over several files.
#[derive(Default)]
pub struct Totals {
    /// What the store did.
    pub summary: Summary,
    /// Files that could not be read (or ended early).
    pub file_errors: usize,
    /// Records that could not be converted.
    pub record_errors: usize,
    /// Records converted with a warning.
    pub warnings: usize,
    /// Indicators flagged by a warning list.
    pub warninglisted: usize,
    /// Ids of the objects imported (only kept when asked for, by feeds).
    pub ids: Vec<String>,
}

impl Totals {
    fn ok(&self) -> bool {
        self.summary.rejected == 0 && self.file_errors == 0 && self.record_errors == 0
    }

    fn print(&self, files: usize) {
        let t = &self.summary;
        let mut tail = String::new();
        if self.record_errors > 0 {
            tail.push_str(&format!("; {} record(s) with errors", self.record_errors));
        }
        if self.warnings > 0 {
            tail.push_str(&format!("; {} warning(s)", self.warnings));
        }
        if self.warninglisted > 0 {
            tail.push_str(&format!(
                "; {} indicator(s) on warning lists (left out of matching)",
                self.warninglisted
            ));
        }
        if self.file_errors > 0 {
            tail.push_str(&format!("; {} file(s) could not be read", self.file_errors));
        }
        println!(
            "Imported {files} file(s): {} new, {} new versions, {} unchanged, {} conflicting, {} rejected{tail}",
            t.new, t.new_versions, t.unchanged, t.conflicts, t.rejected,
        );
    }
}

/// How to read one input.
#[derive(Clone)]
pub enum Reading {
    /// STIX documents.
    Stix,
    /// MISP JSON events.
    Misp,
    /// CSAF 2.0 advisories.
    Csaf,
    /// A plain or CSV feed with this layout.
    Plain(Box<Layout>),
}

/// Decides how to read an input from the arguments, its name and the start of its
/// content (text in a `.json` file, or no content at all, is read as STIX so that its
/// error says what a JSON reader says).
pub fn reading(args: &ImportArgs, head: &[u8], name: &str) -> anyhow::Result<Reading> {
    let json_name = name.to_ascii_lowercase().ends_with(".json");
    let format = match args.format.as_str() {
        "auto" => match concord_formats::detect(head) {
            Detected::Stix => "stix",
            Detected::Misp => "misp",
            Detected::Csaf => "csaf",
            _ if args.preset.is_some() || args.columns.is_some() => "csv",
            _ if json_name || head.iter().all(u8::is_ascii_whitespace) => "stix",
            _ => "lines",
        },
        f => f,
    };
    Ok(match format {
        "stix" => Reading::Stix,
        "misp" => Reading::Misp,
        "csaf" => Reading::Csaf,
        "csv" => Reading::Plain(Box::new(layout(args)?)),
        "lines" => Reading::Plain(Box::new(match &args.observable {
            Some(k) => Layout::lines(kind(k)?),
            None => match &args.preset {
                Some(_) => layout(args)?,
                None => Layout::guessing(),
            },
        })),
        f => anyhow::bail!("unknown format {f:?} (auto, stix, misp, misp-feed, csaf, csv, lines)"),
    })
}

fn kind(name: &str) -> anyhow::Result<concord_formats::observable::Kind> {
    concord_formats::observable::Kind::from_name(name).with_context(|| {
        let names: Vec<&str> = concord_formats::observable::KINDS
            .iter()
            .map(|k| k.name())
            .collect();
        format!("unknown observable {name:?} (one of {})", names.join(", "))
    })
}

fn layout(args: &ImportArgs) -> anyhow::Result<Layout> {
    if let Some(p) = &args.preset {
        return plain::preset(p)
            .with_context(|| format!("unknown preset {p:?} (concord import --list-presets)"));
    }
    let Some(cols) = &args.columns else {
        anyhow::bail!("--format csv needs --preset NAME or --columns ROLES");
    };
    let delimiter = match args.delimiter.as_str() {
        "tab" | "\\t" => b'\t',
        d if d.len() == 1 => d.as_bytes()[0],
        d => anyhow::bail!("--delimiter must be one character, not {d:?}"),
    };
    let mut l = Layout::from_columns(cols, delimiter).map_err(|e| anyhow::anyhow!(e))?;
    if let Some(k) = &args.observable {
        l.kind = kind(k)?;
    }
    Ok(l)
}

/// The source of an input: its name, TLP, confidence and labels from the arguments.
pub fn source(args: &ImportArgs, path: &Path) -> anyhow::Result<Source> {
    let name = args.source.clone().unwrap_or_else(|| {
        path.file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "stdin".into())
    });
    let mut s = Source::new(name, concord_stix::Timestamp::now_millis());
    s.labels = args.labels.clone();
    s.confidence = args.confidence;
    if let Some(t) = &args.tlp {
        s.tlp = Some(
            concord_formats::misp::tags::tlp_of(&format!("tlp:{t}"))
                .with_context(|| format!("unknown TLP level {t:?}"))?,
        );
    }
    Ok(s)
}

fn import_with(
    store: &SqliteStore,
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
            source,
            bump_held: args.bump_held,
            open: Box::new(move || {
                if path == Path::new("-") {
                    return Ok((Box::new(std::io::stdin()) as Box<dyn Read + Send>, None));
                }
                let f = File::open(&path).context("cannot read")?;
                let len = f.metadata().ok().map(|m| m.len());
                Ok((Box::new(f) as Box<dyn Read + Send>, len))
            }),
        });
    }
    let label = match files {
        [one] => one.display().to_string(),
        _ => format!("{} files", files.len()),
    };
    let bar = crate::progress::file_bar(total_len, Path::new(&label));
    let (mut total, ends) = import_inputs(
        Target::Bulk(store),
        inputs,
        &label,
        &bar,
        batch,
        args,
        false,
    );
    for (path, end) in files.iter().zip(ends) {
        let name = path.display();
        match end {
            InputEnd::Done => {}
            InputEnd::Setup(e) => {
                total.file_errors += 1;
                eprintln!("{name}: {e:#}");
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
/// A transaction per batch (see [`Target`]).
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
    import_into(
        Target::Store(store),
        reader,
        len,
        name,
        batch,
        args,
        source,
        keep_ids,
    )
}

/// Where an import writes.
#[derive(Clone, Copy)]
pub enum Target<'a> {
    /// Any store, one transaction per batch (feeds run by the server, feed events).
    Store(&'a dyn Store),
    /// The node's SQLite store in a bulk session (`concord import FILE`): several
    /// batches per transaction (`import_values_bulk`), so that a large file does not
    /// rewrite the store's id index once per batch. Other writers wait while it runs.
    Bulk(&'a SqliteStore),
}

impl<'a> Target<'a> {
    fn store(self) -> &'a dyn Store {
        match self {
            Target::Store(s) => s,
            Target::Bulk(s) => s,
        }
    }
}

/// [`import_reader`] into a chosen [`Target`].
#[allow(clippy::too_many_arguments)]
pub fn import_into(
    target: Target<'_>,
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
        source: source.clone(),
        bump_held: args.bump_held,
        open: Box::new(move || Ok((reader, len))),
    };
    let bar = crate::progress::file_bar(len, Path::new(name));
    let (mut totals, mut ends) =
        import_inputs(target, vec![input], name, &bar, batch, args, keep_ids);
    match ends.pop() {
        Some(InputEnd::Setup(e)) => return Err(e),
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

/// One input of [`import_inputs`], opened on the parser thread when its turn comes (a
/// feed's event is fetched only then).
pub struct Input<'a> {
    /// Its name in messages (a path or URL).
    pub name: String,
    /// Where its records come from (converters mint ids and the source identity from it).
    pub source: Source,
    /// See [`ImportArgs::bump_held`] (per input: a feed event back in the manifest).
    pub bump_held: bool,
    /// Opens it: a reader and its length, if known; or why it cannot be read.
    #[allow(clippy::type_complexity)]
    pub open: Box<dyn FnOnce() -> anyhow::Result<(Box<dyn Read + Send>, Option<u64>)> + Send + 'a>,
}

/// How the reading of one input ended.
pub enum InputEnd {
    /// Read whole.
    Done,
    /// Not read at all: it could not be opened, or its format is not known.
    Setup(anyhow::Error),
    /// Read up to a fatal error (truncated JSON): what came before it is kept.
    Read(FormatError),
    /// The parser thread panicked before reaching its end.
    Failed,
}

/// Imports several inputs through one pipeline (one parser thread that reads them in
/// turn, one settling and validating thread, one writer): a feed's many small event
/// files then keep all three busy, instead of starting and draining a pipeline for each.
/// Returns the totals (file errors of the inputs are left to the caller, which has their
/// [`InputEnd`]s, in input order) and how each input ended.
#[allow(clippy::too_many_arguments)]
pub fn import_inputs(
    target: Target<'_>,
    inputs: Vec<Input<'_>>,
    label: &str,
    bar: &indicatif::ProgressBar,
    batch: usize,
    args: &ImportArgs,
    keep_ids: bool,
) -> (Totals, Vec<InputEnd>) {
    let store = target.store();
    let modes: Vec<Mode> = inputs
        .iter()
        .map(|i| Mode {
            name: i.name.clone(),
            bump_held: i.bump_held,
            convert: true,
            plain: false,
        })
        .collect();
    let modes = Arc::new(std::sync::Mutex::new(modes));
    // Records cross to this thread in chunks (one wake-up per chunk, not per record),
    // through a short queue: objects in flight are bounded by it and the store's
    // batches, whatever the input's size. A chunk holds records of one input.
    let (tx, rx) = std::sync::mpsc::sync_channel::<Chunk>(QUEUED_CHUNKS);
    // Stored objects come back to the parser thread, which built them, to be dropped
    // there (see `import_values_bulk`): between chunks, and at its end whatever is left.
    let (free_tx, free_rx) = std::sync::mpsc::channel::<Vec<concord_stix::Object>>();
    let mut totals = Totals::default();
    let ends = std::thread::scope(|scope| {
        let parser_modes = Arc::clone(&modes);
        let parser = scope.spawn(move || -> Vec<InputEnd> {
            let mut ends = Vec::with_capacity(inputs.len());
            for (n, input) in inputs.into_iter().enumerate() {
                let name = input.name.clone();
                let opened = (input.open)().and_then(|(reader, _len)| {
                    let counted = crate::progress::Counting::new(reader, bar.clone());
                    let mut buffered = BufReader::with_capacity(1 << 16, counted);
                    let head = buffered.fill_buf().context("cannot read")?.to_vec();
                    Ok((reading(args, &head, &name)?, buffered))
                });
                let (how, buffered) = match opened {
                    Ok(o) => o,
                    Err(e) => {
                        ends.push(InputEnd::Setup(e));
                        continue;
                    }
                };
                {
                    let mut m = lock(&parser_modes);
                    m[n].plain = matches!(how, Reading::Plain(_));
                    // STIX input is taken as it is: its timestamps are its versions, and
                    // it may be signed; settling and warning-list flags are for what
                    // Concord converts itself.
                    m[n].convert = !matches!(how, Reading::Stix);
                }
                let mut chunk = Vec::with_capacity(CHUNK);
                let mut gone = false;
                let mut send = |i: Item| {
                    chunk.push(i);
                    if chunk.len() < CHUNK {
                        return true;
                    }
                    while let Ok(stored) = free_rx.try_recv() {
                        drop(stored);
                    }
                    let items = std::mem::replace(&mut chunk, Vec::with_capacity(CHUNK));
                    gone = tx.send(Chunk { input: n, items }).is_err();
                    !gone
                };
                let read = read_input(how, buffered, &input.source, &mut send);
                if !chunk.is_empty() && !gone {
                    gone = tx
                        .send(Chunk {
                            input: n,
                            items: chunk,
                        })
                        .is_err();
                }
                ends.push(match read {
                    Ok(()) => InputEnd::Done,
                    Err(e) => InputEnd::Read(e),
                });
                if gone {
                    break;
                }
            }
            drop(tx);
            // The last objects come back until the import is over (`free_tx` dropped).
            for stored in free_rx {
                drop(stored);
            }
            ends
        });
        let mut objects = 0u64;
        let mut settled = Settled::new(store, rx, Arc::clone(&modes), bar, keep_ids);
        settled.lists = args.lists.clone();
        let runs = Rc::clone(&settled.runs);
        let stored = {
            let mut on_batch = |results: &[ObjectResult]| {
                for r in results {
                    if let ObjectResult::Rejected { index, id, reasons } = r {
                        // Named by its input and its position there.
                        let (name, index) = {
                            let runs = runs.borrow();
                            let k = runs.partition_point(|(first, _)| first <= index);
                            match k.checked_sub(1).map(|k| runs[k]) {
                                Some((first, input)) => (
                                    lock(&modes)
                                        .get(input)
                                        .map_or_else(|| label.to_owned(), |m| m.name.clone()),
                                    index - first,
                                ),
                                None => (label.to_owned(), *index),
                            }
                        };
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
                bar.set_message(format!("{label}: {objects} objects"));
            };
            // Once the parser has ended, its receiver is gone and `send` hands the
            // objects back: they are dropped here.
            let mut free = |objects| drop(free_tx.send(objects));
            let r = match target {
                Target::Store(store) => {
                    import_values_with(store, &mut settled, batch, &mut on_batch, &mut free)
                }
                Target::Bulk(store) => import_values_bulk(
                    store,
                    &mut settled,
                    batch,
                    BULK_TRANSACTION.max(batch),
                    &mut on_batch,
                    &mut free,
                ),
            };
            let counts = settled.finish();
            totals.record_errors += counts.0;
            totals.warnings += counts.1;
            totals.ids = counts.2;
            totals.warninglisted += counts.3;
            r
        };
        // Ends the parser thread's wait for objects to free.
        drop(free_tx);
        let ends = parser.join().unwrap_or_default();
        match stored {
            Ok(s) => totals.summary = s,
            Err(e) => {
                totals.file_errors += 1;
                eprintln!("storing failed: {e}");
            }
        }
        ends
    });
    bar.finish_and_clear();
    let mut ends = ends;
    // Inputs the parser thread never reached (it panicked, or the store failed).
    while ends.len() < lock(&modes).len() {
        ends.push(InputEnd::Failed);
    }
    (totals, ends)
}

/// Reads one input of a known format, handing over its records.
fn read_input(
    how: Reading,
    buffered: impl BufRead + Send,
    source: &Source,
    send: &mut dyn FnMut(Item) -> bool,
) -> Result<(), FormatError> {
    match how {
        Reading::Stix => {
            concord_stix::input::stream_document(buffered, &mut |v| send(Item::Object(v)))
                .map(|_| ())
                .map_err(|e| FormatError::input(e.to_string()))
        }
        Reading::Misp => concord_formats::misp::import::read(buffered, source, send).map(|_| ()),
        Reading::Csaf => concord_formats::csaf::read(buffered, source, send).map(|_| ()),
        Reading::Plain(layout) => plain::read(buffered, &layout, source, send).map(|_| ()),
    }
}

/// Records of one input, from the parser thread.
struct Chunk {
    input: usize,
    items: Vec<Item>,
}

/// How the records of one input are settled.
struct Mode {
    name: String,
    bump_held: bool,
    /// Converted input (not STIX): settle against held versions, send repeats once.
    convert: bool,
    /// A plain feed: a changed value gets a `modified` after the held one.
    plain: bool,
}

fn lock<T>(m: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Records per chunk sent from the parser thread.
const CHUNK: usize = 256;
/// Chunks waiting for the importing thread.
const QUEUED_CHUNKS: usize = 4;

/// The converted objects, with errors and warnings printed as they come, each object
/// settled against the version the store holds (so a re-import is `unchanged`), and
/// repeats within one import (an organisation's identity in every event) sent once.
struct Settled<'a> {
    store: &'a dyn Store,
    rx: Receiver<Chunk>,
    /// How each input's records are settled (the parser thread fills in what it learns
    /// from an input's content before it sends any of its records).
    modes: Arc<std::sync::Mutex<Vec<Mode>>>,
    /// The input of the chunk being read.
    input: Option<usize>,
    /// Values handed on so far (the import's index of the next one).
    yielded: usize,
    /// (index of the first value of an input, that input), in order: rejections are
    /// reported with their input and their position in it.
    runs: Rc<RefCell<Vec<(usize, usize)>>>,
    /// The chunk being read.
    pending: std::vec::IntoIter<Item>,
    bar: &'a indicatif::ProgressBar,
    /// The name of the input being read, for messages.
    name: String,
    errors: usize,
    warnings: usize,
    sent: HashMap<String, u64>,
    keep_ids: bool,
    ids: Vec<String>,
    /// Plain feeds: a changed value gets a `modified` after the held one.
    bump: bool,
    /// Converted input (not STIX): settle against held versions, send repeats once.
    convert: bool,
    lists: Option<Arc<WarningLists>>,
    flagged: usize,
}

impl<'a> Settled<'a> {
    fn new(
        store: &'a dyn Store,
        rx: Receiver<Chunk>,
        modes: Arc<std::sync::Mutex<Vec<Mode>>>,
        bar: &'a indicatif::ProgressBar,
        keep_ids: bool,
    ) -> Self {
        Settled {
            store,
            rx,
            modes,
            input: None,
            yielded: 0,
            runs: Rc::new(RefCell::new(Vec::new())),
            pending: Vec::new().into_iter(),
            bar,
            name: String::new(),
            errors: 0,
            warnings: 0,
            sent: HashMap::new(),
            keep_ids,
            ids: Vec::new(),
            bump: false,
            convert: true,
            lists: None,
            flagged: 0,
        }
    }

    /// Takes the next chunk (false at the end): the settings of its input apply.
    fn refill(&mut self) -> bool {
        let Ok(chunk) = self.rx.recv() else {
            return false;
        };
        if self.input != Some(chunk.input) {
            let modes = lock(&self.modes);
            if let Some(m) = modes.get(chunk.input) {
                self.name.clone_from(&m.name);
                self.bump = m.plain || m.bump_held;
                self.convert = m.convert;
            }
            self.input = Some(chunk.input);
            self.runs.borrow_mut().push((self.yielded, chunk.input));
        }
        self.pending = chunk.items.into_iter();
        true
    }

    fn finish(self) -> (usize, usize, Vec<String>, usize) {
        (self.errors, self.warnings, self.ids, self.flagged)
    }

    fn settle(&mut self, mut v: Value) -> Option<Value> {
        if !self.convert {
            if self.keep_ids
                && let Some(id) = v.get("id").and_then(Value::as_str)
            {
                self.ids.push(id.to_owned());
            }
            return Some(v);
        }
        let id = v.get("id").and_then(Value::as_str)?.to_owned();
        let ty = v.get("type").and_then(Value::as_str).unwrap_or("");
        let repeats = matches!(
            ty,
            "identity"
                | "marking-definition"
                | "extension-definition"
                | "malware"
                | "threat-actor"
                | "intrusion-set"
                | "tool"
                | "attack-pattern"
                | "course-of-action"
                | "software"
        );
        if repeats {
            let fp = fingerprint(&v);
            if self.sent.get(&id) == Some(&fp) {
                return None;
            }
            self.sent.insert(id.clone(), fp);
        }
        if let Some(lists) = self.lists.as_ref().filter(|_| ty == "indicator") {
            let hits = lists.flag(&mut v);
            if !hits.is_empty() {
                self.flagged += 1;
                let name = &self.name;
                for h in hits {
                    self.bar.suspend(|| {
                        eprintln!(
                            "{name}: {id}: {} is on the warning list {:?}; left out of matching unless the label {} is added",
                            h.value,
                            h.list,
                            warninglist::OVERRIDE
                        )
                    });
                }
            }
        }
        // Look the held version up only where it can matter: objects whose timestamps
        // the conversion minted (plain feeds; identities and galaxy clusters that recur
        // with other times), and flagged indicators (an analyst's override stays).
        // MISP and CSAF records carry their own times, so the store alone decides.
        let flagged = v.get("labels").and_then(Value::as_array).is_some_and(|l| {
            l.iter().any(|x| {
                x.as_str()
                    .is_some_and(|x| x.starts_with(warninglist::FLAG_PREFIX))
            })
        });
        if !(self.bump || repeats || flagged) {
            if self.keep_ids {
                self.ids.push(id);
            }
            return Some(v);
        }
        if let Ok(Some(held)) = self.store.get(&id) {
            let held = held.value();
            keep_override(&mut v, &held);
            if !concord_formats::settle::settle(&mut v, &held) && self.bump {
                concord_formats::settle::bump(&mut v, &held);
            }
        }
        if self.keep_ids {
            self.ids.push(id);
        }
        Some(v)
    }
}

/// An analyst's warning-list override on the held version stays on a re-imported one.
fn keep_override(new: &mut Value, held: &Value) {
    let has = |v: &Value| {
        v.get("labels")
            .and_then(Value::as_array)
            .is_some_and(|l| l.iter().any(|x| x == warninglist::OVERRIDE))
    };
    if has(held) && !has(new) {
        match new.get_mut("labels").and_then(Value::as_array_mut) {
            Some(l) => l.push(Value::from(warninglist::OVERRIDE)),
            None => new["labels"] = serde_json::json!([warninglist::OVERRIDE]),
        }
    }
}

/// A hash of an object without its timestamps.
fn fingerprint(v: &Value) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut m = v.as_object().cloned().unwrap_or_default();
    m.remove("created");
    m.remove("modified");
    let mut h = std::collections::hash_map::DefaultHasher::new();
    Value::Object(m).to_string().hash(&mut h);
    h.finish()
}

impl Iterator for Settled<'_> {
    type Item = Value;

    fn next(&mut self) -> Option<Value> {
        loop {
            let item = match self.pending.next() {
                Some(i) => i,
                None if self.refill() => continue,
                None => return None,
            };
            match item {
                Item::Object(v) => {
                    if let Some(v) = self.settle(v) {
                        self.yielded += 1;
                        return Some(v);
                    }
                }
                Item::Error(e) => {
                    self.errors += 1;
                    let name = &self.name;
                    self.bar.suspend(|| eprintln!("{name}: {e}"));
                }
                Item::Warning(e) => {
                    self.warnings += 1;
                    let name = &self.name;
                    self.bar.suspend(|| eprintln!("{name}: warning: {e}"));
                }
            }
        }
    }
}
