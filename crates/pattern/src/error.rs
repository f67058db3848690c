//! The error type of the crate: what went wrong, and where in the pattern.

use std::fmt;

/// What kind of problem a [`PatternError`] reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The text does not follow the grammar (`STIXPattern.g4`).
    Syntax,
    /// `parse_bytes` was given bytes that are not UTF-8.
    InvalidUtf8,
    /// Parentheses, brackets and qualifiers nest deeper than [`crate::MAX_DEPTH`].
    TooDeep,
    /// A literal the grammar accepts but whose value is wrong: an integer beyond `i64`,
    /// a float beyond `f64`, a timestamp that is not a calendar date (30 February).
    InvalidLiteral,
    /// A `MATCHES` operand that is not a regular expression we can run.
    InvalidRegex,
    /// `WITHIN 0`, `REPEATS 0`, or `START` not before `STOP`.
    InvalidQualifier,
    /// The same qualifier twice on one bracketed observation.
    DuplicateQualifier,
    /// A value that is not a valid hash for the algorithm in `hashes.<ALGO>`.
    InvalidHash,
}

/// An error in a pattern, with its position.
///
/// `Display` gives `at <char>: <message>`, where `<char>` counts characters (Unicode
/// scalar values) from 0; [`PatternError::offset`] is the same position in bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatternError {
    /// Byte offset of the problem in the pattern text.
    pub offset: usize,
    /// Character offset of the problem (0-based).
    pub char_offset: usize,
    /// What kind of problem it is.
    pub kind: ErrorKind,
    /// Human-readable description, e.g. `expected ']' or a comparison operator, found 'AND'`.
    pub message: String,
}

impl PatternError {
    pub(crate) fn new(text: &str, offset: usize, kind: ErrorKind, message: String) -> Self {
        let offset = offset.min(text.len());
        let char_offset = text.get(..offset).map_or(offset, |s| s.chars().count());
        PatternError {
            offset,
            char_offset,
            kind,
            message,
        }
    }
}

impl fmt::Display for PatternError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "at {}: {}", self.char_offset, self.message)
    }
}

impl std::error::Error for PatternError {}
