//! The matcher's errors: an indicator that does not compile, a line that does not read.

use concord_pattern::PatternError;

/// An indicator whose pattern does not parse.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("indicator {id}: invalid pattern: {source}")]
pub struct CompileError {
    /// The indicator id.
    pub id: String,
    /// The parser's error, with its position.
    pub source: PatternError,
}

/// A line (or record) of input that could not be read; reading goes on after it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {kind}")]
pub struct LineError {
    /// 1-based line number (for STIX input: position of the object, from 1).
    pub line: u64,
    /// What was wrong.
    pub kind: LineErrorKind,
}

/// What was wrong with a line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LineErrorKind {
    /// Not valid JSON, or not a JSON object.
    #[error("invalid JSON: {0}")]
    Json(String),
    /// Not UTF-8, or the reader failed.
    #[error("unreadable: {0}")]
    Io(String),
    /// A CSV row that does not fit the header.
    #[error("invalid CSV: {0}")]
    Csv(String),
    /// A value of no known kind (one-per-line input).
    #[error("not an observable: {0}")]
    Unrecognised(String),
    /// A STIX object that is not usable observed data.
    #[error("invalid STIX: {0}")]
    Stix(String),
}

impl LineError {
    /// An error at `line`.
    pub fn new(line: u64, kind: LineErrorKind) -> LineError {
        LineError { line, kind }
    }
}
