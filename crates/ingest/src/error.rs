//! Why an input could not be read at all.

/// Why an input was not read (its records are not reached), or the options are wrong.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The format named is not one of those known.
    #[error("unknown format {0:?} (auto, stix, misp, misp-feed, csaf, csv, lines)")]
    UnknownFormat(String),
    /// The observable kind named is not one of those known.
    #[error("unknown observable {name:?} (one of {known})")]
    UnknownObservable {
        /// The name given.
        name: String,
        /// The names known, comma-separated.
        known: String,
    },
    /// The preset named is not one of those known.
    #[error("unknown preset {0:?} (concord import --list-presets)")]
    UnknownPreset(String),
    /// CSV was asked for without a layout.
    #[error("--format csv needs --preset NAME or --columns ROLES")]
    NoLayout,
    /// The delimiter is not one character.
    #[error("--delimiter must be one character, not {0:?}")]
    Delimiter(String),
    /// The column roles do not read.
    #[error("{0}")]
    Columns(String),
    /// The TLP level named is not one of those known.
    #[error("unknown TLP level {0:?}")]
    Tlp(String),
    /// The input could not be opened or its start read.
    #[error("cannot read: {0}")]
    Read(#[from] std::io::Error),
    /// The input could not be fetched (a feed's event: not found, timed out, HTML).
    #[error("{0}")]
    Fetch(#[from] concord_formats::FormatError),
    /// A state file could not be written or read.
    #[error("{path}: {reason}")]
    State {
        /// The file.
        path: String,
        /// What went wrong.
        reason: String,
    },
}
