//! The import pipeline: one parser thread reads the inputs in turn and converts their
//! records, the calling thread settles them ([`crate::settle`]) and validates them, the
//! store's writer thread writes them ([`concord_store::import`]). Memory is bounded by a
//! short queue of record chunks and the store's batches, whatever the inputs' size.

use std::borrow::Cow;
use std::io::{BufRead, BufReader, Read};
use std::rc::Rc;
use std::sync::Arc;

use concord_formats::plain;
use concord_formats::{FormatError, Item, Source};
use concord_store::import::{
    BULK_TRANSACTION, Freed, ObjectResult, Summary, import_values_bulk, import_values_with,
};
use concord_store::sqlite::SqliteStore;
use concord_store::{Store, StoreError};

use crate::progress::Told;
use crate::read::{Options, Reading, reading};
use crate::settle::Settled;
use crate::{Error, Progress};

/// Where an import writes.
#[derive(Clone, Copy)]
pub enum Target<'a> {
    /// Any store, one transaction per batch (feed runs, TAXII pulls; the web upload and
    /// the REST and TAXII writes through the caller's `ClearedStore`).
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

    /// Validates and writes `values` through `concord_store::import` as this target
    /// does: every import of this crate ends here, so that the same objects get the same
    /// outcomes whichever front end read them. Written batches' results go to
    /// `on_batch`, what the import is done with to `free`.
    pub(crate) fn import(
        self,
        values: impl IntoIterator<Item = serde_json::Value>,
        batch: usize,
        on_batch: &mut dyn FnMut(&[ObjectResult]),
        free: &mut dyn FnMut(Freed),
    ) -> Result<Summary, StoreError> {
        match self {
            Target::Store(store) => import_values_with(store, values, batch, on_batch, free),
            Target::Bulk(store) => import_values_bulk(
                store,
                values,
                batch,
                BULK_TRANSACTION.max(batch),
                on_batch,
                free,
            ),
        }
    }
}

/// Opens an input: a reader and its length, if known; or why it cannot be read.
pub type Open<'a> =
    Box<dyn FnOnce() -> Result<(Box<dyn Read + Send>, Option<u64>), Error> + Send + 'a>;

/// One input of [`import_inputs`], opened on the parser thread when its turn comes (a
/// feed's event is fetched only then).
pub struct Input<'a> {
    /// Its name in messages (a path or URL); a name ending in `.json` makes text STIX.
    pub name: String,
    /// Where its records come from (converters mint ids and the source identity from
    /// it); `None`: from the options and the name ([`crate::read::source`]).
    pub source: Option<Source>,
    /// Records whose held version is newer (expired by a feed) get a `modified` just
    /// after it, so that they are current again (plain feeds always; a MISP feed event
    /// back in the manifest after it left it).
    pub bump_held: bool,
    /// Opens it.
    pub open: Open<'a>,
}

impl<'a> Input<'a> {
    /// An input held in memory (an upload).
    pub fn bytes(name: impl Into<String>, bytes: Vec<u8>) -> Input<'a> {
        let len = bytes.len() as u64;
        Input {
            name: name.into(),
            source: None,
            bump_held: false,
            open: Box::new(move || {
                Ok((
                    Box::new(std::io::Cursor::new(bytes)) as Box<dyn Read + Send>,
                    Some(len),
                ))
            }),
        }
    }
}

/// How the reading of one input ended.
#[derive(Debug)]
pub enum InputEnd {
    /// Read whole.
    Done,
    /// Not read at all: it could not be opened, or its format is not known.
    Setup(Error),
    /// Read up to a fatal error (truncated JSON): what came before it is kept.
    Read(FormatError),
    /// Not reached: the parser thread stopped before it (the store failed, or the
    /// thread panicked).
    Failed,
}

/// One input's end, and the format it was read as (once known).
#[derive(Debug)]
pub struct Ended {
    /// How its reading ended.
    pub end: InputEnd,
    /// `stix`, `misp`, `csaf`, `csv` or `lines` ([`Reading::name`]).
    pub format: Option<&'static str>,
}

/// Totals of an import over all its inputs.
#[derive(Debug, Default)]
pub struct Totals {
    /// What the store did.
    pub summary: Summary,
    /// Inputs that could not be read (or ended early), as counted by the caller, plus
    /// one if the store failed.
    pub file_errors: usize,
    /// Records that could not be converted.
    pub record_errors: usize,
    /// Records converted with a warning.
    pub warnings: usize,
    /// Indicators flagged by a warning list.
    pub warninglisted: usize,
    /// Ids of the objects imported (only kept when asked for, by feeds).
    pub ids: Vec<String>,
    /// Why the store failed, if it did (the batches committed before stay committed).
    pub store_error: Option<StoreError>,
}

/// What [`import_inputs`] did.
#[derive(Debug)]
pub struct Imported {
    /// The totals.
    pub totals: Totals,
    /// How each input ended, in input order.
    pub inputs: Vec<Ended>,
}

/// Imports several inputs through one pipeline (one parser thread that reads them in
/// turn, one settling and validating thread, one writer): a feed's many small event
/// files then keep all three busy, instead of starting and draining a pipeline for each.
/// Objects before a fatal error of an input (truncated JSON) are kept. `keep_ids` keeps
/// the ids of the objects imported (feeds expire the indicators that left them).
pub fn import_inputs(
    target: Target<'_>,
    inputs: Vec<Input<'_>>,
    opts: &Options,
    batch: usize,
    keep_ids: bool,
    progress: &dyn Progress,
) -> Imported {
    let store = target.store();
    let modes: Vec<Mode> = inputs
        .iter()
        .map(|i| Mode {
            name: i.name.clone(),
            bump_held: i.bump_held,
            convert: true,
            plain: false,
            format: None,
        })
        .collect();
    let count = modes.len();
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
                    let counted = Counting {
                        inner: reader,
                        progress,
                    };
                    let mut buffered = BufReader::with_capacity(1 << 16, counted);
                    let head = buffered.fill_buf()?.to_vec();
                    let how = reading(opts, &head, &name)?;
                    let source = match input.source {
                        Some(s) => s,
                        None => crate::read::source(opts, &name)?,
                    };
                    Ok((how, buffered, source))
                });
                let (how, buffered, source) = match opened {
                    Ok(o) => o,
                    Err(e) => {
                        ends.push(InputEnd::Setup(e));
                        continue;
                    }
                };
                {
                    let mut m = lock(&parser_modes);
                    m[n].plain = matches!(how, Reading::Plain { .. });
                    m[n].convert = how.converts();
                    m[n].format = Some(how.name());
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
                let read = read_input(how, buffered, &source, &mut send);
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
        let mut told = Told::new(progress);
        let mut settled = Settled::new(
            store,
            rx,
            Arc::clone(&modes),
            progress,
            keep_ids,
            opts.lists.clone(),
        );
        let runs = Rc::clone(&settled.runs);
        let stored = {
            let mut on_batch = |results: &[ObjectResult]| {
                // A rejection is named by its input and its position there.
                told.batch(results, &|index| {
                    let runs = runs.borrow();
                    let k = runs.partition_point(|(first, _)| *first <= index);
                    match k.checked_sub(1).map(|k| runs[k]) {
                        Some((first, input)) => (
                            lock(&modes)
                                .get(input)
                                .map_or(Cow::Borrowed(""), |m| Cow::Owned(m.name.clone())),
                            index - first,
                        ),
                        None => (Cow::Borrowed(""), index),
                    }
                });
            };
            // The maps go back to the parser thread (once it has ended, its receiver
            // is gone and `send` hands them back: they are dropped here). What the
            // stored objects still hold (id, columns, canonical text) was allocated on
            // this thread, by validation: they are dropped here.
            let mut free = |freed| match freed {
                Freed::Maps(_) => drop(free_tx.send(freed)),
                Freed::Objects(objects) => drop(objects),
            };
            let r = target.import(&mut settled, batch, &mut on_batch, &mut free);
            let counts = settled.finish();
            totals.record_errors += counts.record_errors;
            totals.warnings += counts.warnings;
            totals.ids = counts.ids;
            totals.warninglisted += counts.warninglisted;
            r
        };
        // Ends the parser thread's wait for objects to free.
        drop(free_tx);
        let ends = parser.join().unwrap_or_default();
        match stored {
            Ok(s) => totals.summary = s,
            Err(e) => {
                totals.file_errors += 1;
                tracing::warn!(error = %e, "Storing an import failed.");
                totals.store_error = Some(e);
            }
        }
        ends
    });
    let modes = lock(&modes);
    let mut ends = ends.into_iter();
    // Inputs the parser thread never reached (it panicked, or the store failed) end
    // `Failed`.
    let inputs = (0..count)
        .map(|n| Ended {
            end: ends.next().unwrap_or(InputEnd::Failed),
            format: modes.get(n).and_then(|m| m.format),
        })
        .collect();
    Imported { totals, inputs }
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
        Reading::Plain { layout, .. } => plain::read(buffered, &layout, source, send).map(|_| ()),
    }
}

/// A reader that tells the progress the bytes it reads.
struct Counting<'p, R> {
    inner: R,
    progress: &'p dyn Progress,
}

impl<R: Read> Read for Counting<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.progress.read(n as u64);
        Ok(n)
    }
}

/// Records of one input, from the parser thread.
pub(crate) struct Chunk {
    pub(crate) input: usize,
    pub(crate) items: Vec<Item>,
}

/// How the records of one input are settled.
pub(crate) struct Mode {
    pub(crate) name: String,
    pub(crate) bump_held: bool,
    /// Converted input (not STIX): settle against held versions, send repeats once.
    pub(crate) convert: bool,
    /// A plain feed: a changed value gets a `modified` after the held one.
    pub(crate) plain: bool,
    /// The format it is read as, once known.
    pub(crate) format: Option<&'static str>,
}

pub(crate) fn lock<T>(m: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
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
