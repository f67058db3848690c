//! The import pipeline of `concord import` and feed runs: one parser thread reads the
//! inputs in turn and converts their records, this thread settles and validates them, the
//! store's writer thread writes them (`concord_store::import`).

use std::io::{BufRead, BufReader, Read};
use std::rc::Rc;
use std::sync::Arc;

use anyhow::Context;
use concord_formats::plain;
use concord_formats::{FormatError, Item, Source};
use concord_store::Store;
use concord_store::import::{
    BULK_TRANSACTION, Freed, ObjectResult, import_values_bulk, import_values_with,
};
use concord_store::sqlite::SqliteStore;

use super::settled::Settled;
use super::{ImportArgs, Reading, Totals, reading};

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
    /// Not reached: the parser thread stopped before it (the store failed, or the
    /// thread panicked).
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
    let mut totals = Totals::default();
    let ends = std::thread::scope(|scope| {
        // The channels live in this closure: should this thread panic, dropping them
        // ends the parser thread's waits before the scope joins it. Records cross to
        // this thread in chunks (one wake-up per chunk, not per record), through a short
        // queue: objects in flight are bounded by it and the store's batches, whatever
        // the input's size. A chunk holds records of one input.
        let (tx, rx) = std::sync::mpsc::sync_channel::<Chunk>(QUEUED_CHUNKS);
        // Validated objects' maps come back to the parser thread, which built them, to
        // be dropped there (see `import_values_bulk`): between chunks, and at its end
        // whatever is left.
        let (free_tx, free_rx) = std::sync::mpsc::channel::<Freed>();
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
                    if let ObjectResult::Accepted {
                        id,
                        outcome: concord_store::Outcome::Conflict,
                        ..
                    } = r
                        && args.verbose
                    {
                        bar.suspend(|| {
                            eprintln!(
                                "{label}: conflict: {id}: this version is held with other content; the held one is kept"
                            );
                        });
                    }
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
            // The maps go back to the parser thread (once it has ended, its receiver
            // is gone and `send` hands them back: they are dropped here). What the
            // stored objects still hold (id, columns, canonical text) was allocated on
            // this thread, by validation: they are dropped here.
            let mut free = |freed| match freed {
                Freed::Maps(_) => drop(free_tx.send(freed)),
                Freed::Objects(objects) => drop(objects),
            };
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
pub(super) struct Chunk {
    pub(super) input: usize,
    pub(super) items: Vec<Item>,
}

/// How the records of one input are settled.
pub(super) struct Mode {
    pub(super) name: String,
    pub(super) bump_held: bool,
    /// Converted input (not STIX): settle against held versions, send repeats once.
    pub(super) convert: bool,
    /// A plain feed: a changed value gets a `modified` after the held one.
    pub(super) plain: bool,
}

pub(super) fn lock<T>(m: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Records per chunk sent from the parser thread.
const CHUNK: usize = 256;
/// Chunks waiting for the importing thread. Three threads share two cores: with 4 (1,024
/// records, ~8 ms of parsing) the parser stopped whenever the validating thread was off
/// its core for a time slice, and a core went idle. Feed run of 100,000 MISP attributes,
/// 10 alternating runs twice: median 1.82 -> 1.61 s and 1.68 -> 1.49 s with 16 (32: the
/// same as 16), peak RSS +5 MB.
const QUEUED_CHUNKS: usize = 16;
