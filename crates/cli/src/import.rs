//! `concord import`: files of STIX objects, MISP events, CSAF advisories, CSV or plain
//! feeds into the store, with a progress bar on a terminal and a summary at the end; each
//! rejection names the object, path and rule, each bad record its line or JSON path.

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;
use concord_formats::plain::{self, Layout};
use concord_formats::warninglist::{WarningList, WarningLists};
use concord_formats::{Detected, Source};
use concord_store::Store;
use concord_store::import::Summary;
use concord_store::sqlite::SqliteStore;

mod pipeline;
mod settled;

pub use pipeline::{Input, InputEnd, Target, import_inputs};

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

/// Loads every warning list (`*.json`, but `schema.json`) of a directory and its
/// sub-folders; lists that do not parse are reported and skipped.
pub fn load_warninglists(dir: &Path) -> anyhow::Result<WarningLists> {
    let mut lists = WarningLists::default();
    let files = concord_formats::warninglist::list_files(dir)
        .with_context(|| format!("cannot read warning lists in {}", dir.display()))?;
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
    let target = Target::Store(store);
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
