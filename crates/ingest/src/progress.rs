//! How an import tells its caller how far it is and what went wrong with single records
//! (the CLI draws a progress bar and prints; the web upload keeps them for the job page).

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
