//! `concord match`: log files matched against the node's current indicators, with a
//! progress bar on a terminal; one STIX sighting per indicator hit and file, stored (or
//! written as JSON lines with `--output`), and a summary at the end. Sightings name the
//! node's own identity (stored by `concord init`) in `where_sighted_refs`.

use std::fs::File;
use std::io::{BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;
use concord_matcher::readers::Format;
use concord_matcher::{MatchReport, Matcher};
use concord_server::matching;
use concord_store::Store;
use concord_store::import::ObjectResult;
use serde_json::Value;

/// Totals over every file.
#[derive(Default)]
struct Totals {
    lines: u64,
    observations: u64,
    malformed: u64,
    indicators_hit: usize,
    sightings: usize,
}

/// Matches every file on `threads` threads (0: one per core); returns `false` if a file
/// could not be read or a sighting was rejected.
pub fn run(
    node: &crate::node::Node,
    format: &str,
    output: Option<&Path>,
    threads: usize,
    files: &[PathBuf],
) -> anyhow::Result<bool> {
    let format = Format::from_name(format).with_context(|| format!("unknown format {format:?}"))?;
    let store: &dyn Store = &node.store;
    let me = crate::identity::identity_id(&crate::federation::node_key(&node.dir)?.node_id());
    if store.get(&me)?.is_none() {
        eprintln!(
            "warning: the node's identity {me} is not in the store; sightings name it anyway"
        );
    }
    let now = matching::now();
    let loaded = matching::load_index(store, now)?;
    for e in &loaded.compile_errors {
        eprintln!("{e}");
    }
    if loaded.warninglisted > 0 {
        eprintln!(
            "{} indicator(s) on MISP warning lists left out of matching (label {} keeps one in)",
            loaded.warninglisted,
            concord_formats::warninglist::OVERRIDE
        );
    }
    let matcher = Matcher::new(Arc::new(loaded.index)).with_threads(resolve_threads(threads));
    let mut out = match output {
        Some(p) => Some(std::io::BufWriter::new(
            File::create(p).with_context(|| format!("cannot create {}", p.display()))?,
        )),
        None => None,
    };
    let mut totals = Totals::default();
    let mut ok = true;
    for path in files {
        let (report, sightings) = match match_file(&matcher, &format, path, store, &me, now) {
            Ok(r) => r,
            Err(e) => {
                ok = false;
                eprintln!("{}: {e:#}", path.display());
                continue;
            }
        };
        for e in &report.errors {
            eprintln!("{}: {e}", path.display());
        }
        if report.malformed > report.errors.len() as u64 {
            eprintln!(
                "{}: {} more malformed line(s) not listed",
                path.display(),
                report.malformed - report.errors.len() as u64
            );
        }
        totals.lines += report.records;
        totals.observations += report.observations;
        totals.malformed += report.malformed;
        totals.indicators_hit += report.sightings.len();
        match out.as_mut() {
            Some(w) => {
                for s in &sightings {
                    writeln!(w, "{s}")?;
                }
                totals.sightings += sightings.len();
            }
            None => {
                let (written, stored_ok) = store_sightings(store, sightings, path)?;
                totals.sightings += written;
                ok &= stored_ok;
            }
        }
    }
    if let Some(mut w) = out {
        w.flush()?;
    }
    println!(
        "Matched {} file(s) against {} indicator(s): {} lines read, {} observations, {} malformed, {} indicators hit, {} sightings written",
        files.len(),
        loaded.indicators,
        totals.lines,
        totals.observations,
        totals.malformed,
        totals.indicators_hit,
        totals.sightings,
    );
    Ok(ok)
}

fn store_sightings(
    store: &dyn Store,
    sightings: Vec<Value>,
    path: &Path,
) -> anyhow::Result<(usize, bool)> {
    let mut ok = true;
    let summary = matching::store_sightings(store, sightings, &mut |r| {
        if let ObjectResult::Rejected { id, reasons, .. } = r {
            ok = false;
            for v in reasons {
                eprintln!(
                    "{}: sighting {}: {}: {} [{}]",
                    path.display(),
                    id.as_deref().unwrap_or("(no id)"),
                    v.path,
                    v.message,
                    v.rule
                );
            }
        }
    })?;
    Ok((summary.new + summary.new_versions + summary.unchanged, ok))
}

/// Matches one file through the matching service, with a progress bar.
fn match_file(
    matcher: &Matcher,
    format: &Format,
    path: &Path,
    store: &dyn Store,
    me: &str,
    now: concord_pattern::Timestamp,
) -> anyhow::Result<(MatchReport, Vec<Value>)> {
    let (reader, len): (Box<dyn Read>, Option<u64>) = if path == Path::new("-") {
        (Box::new(std::io::stdin()), None)
    } else {
        let f = File::open(path).with_context(|| format!("cannot read {}", path.display()))?;
        let len = f.metadata().ok().map(|m| m.len());
        (Box::new(f), len)
    };
    let bar = crate::progress::file_bar(len, path);
    let counted = BufReader::with_capacity(
        256 * 1024,
        crate::progress::Counting::new(reader, bar.clone()),
    );
    let matched = matching::match_log(matcher, counted, format, store, Some(me), now);
    bar.finish_and_clear();
    Ok(matched?)
}

/// The threads a `match_threads` setting means: 0 is one per core.
pub fn resolve_threads(threads: usize) -> usize {
    match threads {
        0 => std::thread::available_parallelism().map_or(1, std::num::NonZero::get),
        n => n,
    }
}
