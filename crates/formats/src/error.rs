//! Located errors: every problem an importer meets names where it is (a line number or a
//! JSON path) so that an analyst can find it; most are per record, and reading goes on.

use std::fmt;

/// Where in the input a problem is.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Location {
    /// A line of a text file (1-based).
    Line(u64),
    /// A JSON path (`$.Event.Attribute[3].type`).
    Path(String),
    /// The whole input.
    Input,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::Line(n) => write!(f, "line {n}"),
            Location::Path(p) => f.write_str(p),
            Location::Input => f.write_str("input"),
        }
    }
}

/// What went wrong, and where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{location}: {message}")]
pub struct FormatError {
    /// Where.
    pub location: Location,
    /// What, in words an analyst understands.
    pub message: String,
    /// For CSAF documents: the id of the failed mandatory test (`6.1.1`), if any.
    pub test: Option<&'static str>,
}

impl FormatError {
    /// An error at a line.
    pub fn line(line: u64, message: impl Into<String>) -> Self {
        FormatError {
            location: Location::Line(line),
            message: message.into(),
            test: None,
        }
    }

    /// An error at a JSON path.
    pub fn path(path: impl Into<String>, message: impl Into<String>) -> Self {
        FormatError {
            location: Location::Path(path.into()),
            message: message.into(),
            test: None,
        }
    }

    /// An error about the whole input.
    pub fn input(message: impl Into<String>) -> Self {
        FormatError {
            location: Location::Input,
            message: message.into(),
            test: None,
        }
    }

    /// A JSON syntax error, at its line (the message names the column).
    pub fn json(e: &serde_json::Error) -> Self {
        let what = if e.is_eof() {
            "truncated JSON"
        } else {
            "not valid JSON"
        };
        let text = e.to_string();
        let inner = match text.rfind(" at line ") {
            Some(i) => &text[..i],
            None => text.as_str(),
        };
        FormatError::line(
            e.line() as u64,
            format!("column {}: {what}: {inner}", e.column()),
        )
    }
}

impl From<std::io::Error> for FormatError {
    fn from(e: std::io::Error) -> Self {
        FormatError::input(format!("read error: {e}"))
    }
}

/// One thing an importer hands over: an object to store, or a located problem with one
/// record (the importer goes on after it).
#[derive(Debug, Clone)]
pub enum Item {
    /// A STIX 2.1 object (already valid for `concord_stix::Object::from_value`).
    Object(serde_json::Value),
    /// A record that could not be converted.
    Error(FormatError),
    /// A record that was converted but deserves the analyst's attention (not an error).
    Warning(FormatError),
}
