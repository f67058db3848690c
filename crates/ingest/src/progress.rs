//! How an import tells its caller how far it is and what went wrong with single records
//! (the CLI draws a progress bar and prints; the web upload keeps them for the job page).

use std::borrow::Cow;

use concord_formats::FormatError;
use concord_store::import::ObjectResult;

/// Something an import has to tell about one record or object.
#[derive(Debug)]
#[non_exhaustive]
pub enum Note<'a> {
    /// A record of `input` could not be converted; reading goes on.
    RecordError {
        /// The input's name.
        input: &'a str,
        /// What is wrong, where.
        error: &'a FormatError,
    },
    /// A record of `input` was converted with a warning.
    Warning {
        /// The input's name.
        input: &'a str,
        /// The warning, where.
        warning: &'a FormatError,
    },
    /// An indicator holds a value on a warning list: it is flagged, and left out of
    /// matching unless an analyst adds `warninglist:override`.
    Warninglisted {
        /// The input's name.
        input: &'a str,
        /// The indicator's id.
        id: &'a str,
        /// The listed value.
        value: &'a str,
        /// The list's name.
        list: &'a str,
    },
    /// An object was rejected by validation (one note for all its reasons).
    Rejected {
        /// The input's name.
        input: &'a str,
        /// Its position among the objects of that input.
        index: usize,
        /// Its id, if it had a readable one.
        id: Option<&'a str>,
        /// Every rule it breaks.
        reasons: &'a [concord_stix::Violation],
    },
    /// A version already held with other content (the held one is kept).
    Conflict {
        /// The object's id.
        id: &'a str,
    },
}

/// Receives an import's progress. Every method has a default that ignores it; `()` is
/// the receiver that ignores everything. `read` is called from the parser thread, the
/// others from the thread that runs the import.
pub trait Progress: Sync {
    /// `bytes` more of the inputs were read.
    fn read(&self, bytes: u64) {
        let _ = bytes;
    }
    /// A batch was committed: its results, and the objects through the store so far.
    fn stored(&self, results: &[ObjectResult], objects: u64) {
        let _ = (results, objects);
    }
    /// Something to tell.
    fn note(&self, note: Note<'_>) {
        let _ = note;
    }
}

impl Progress for () {}

/// Tells a [`Progress`] what the store did, batch by batch, as every import of this crate
/// does: a note for each conflict and each rejection, then the batch with the count of
/// objects through the store so far.
pub(crate) struct Told<'p> {
    progress: &'p dyn Progress,
    objects: u64,
}

impl<'p> Told<'p> {
    pub(crate) fn new(progress: &'p dyn Progress) -> Self {
        Told {
            progress,
            objects: 0,
        }
    }

    /// A committed batch's results; `place` names a rejected object's input and its
    /// position there from its index in the import.
    pub(crate) fn batch<'n>(
        &mut self,
        results: &[ObjectResult],
        place: &dyn Fn(usize) -> (Cow<'n, str>, usize),
    ) {
        for r in results {
            match r {
                ObjectResult::Accepted {
                    id,
                    outcome: concord_store::Outcome::Conflict,
                    ..
                } => self.progress.note(Note::Conflict { id }),
                ObjectResult::Rejected { index, id, reasons } => {
                    let (input, index) = place(*index);
                    self.progress.note(Note::Rejected {
                        input: &input,
                        index,
                        id: id.as_deref(),
                        reasons,
                    });
                }
                ObjectResult::Accepted { .. } => {}
            }
        }
        self.objects += results.len() as u64;
        self.progress.stored(results, self.objects);
    }
}
