//! Importers and exporters between STIX 2.1 and the formats CERTs already use: MISP JSON
//! events and feeds, CSAF 2.0 advisories, CSV and one-value-per-line feeds, and exports
//! for MISP, Suricata, hosts files and plain lists.

pub mod error;
pub mod export;
mod json_stream;
pub mod misp;
pub mod observable;
pub mod plain;
pub mod settle;
pub mod source;

pub use error::{FormatError, Item, Location};
pub use source::Source;

/// What an input is, as [`detect`] recognises it from its first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Detected {
    /// A STIX bundle, array of objects or object.
    Stix,
    /// A MISP event (`Event`, `response`, or a bare event with `Attribute`).
    Misp,
    /// A CSAF 2.0 document.
    Csaf,
    /// Text: CSV or one value per line.
    Text,
}

/// Recognises a format from the start of the input (64 KiB is plenty): JSON holding
/// `"Event"`, `"response"` or `"Attribute"` keys is MISP, JSON with `"csaf_version"` is
/// CSAF, other JSON is STIX, anything else is text.
pub fn detect(head: &[u8]) -> Detected {
    let start = head.iter().position(|b| !b.is_ascii_whitespace());
    let Some(first) = start.map(|i| head[i]) else {
        return Detected::Text;
    };
    if first != b'{' && first != b'[' {
        return Detected::Text;
    }
    let has = |needle: &[u8]| head.windows(needle.len()).any(|w| w == needle);
    if has(b"\"csaf_version\"") {
        Detected::Csaf
    } else if has(b"\"type\"")
        && (has(b"\"spec_version\"") || has(b"\"bundle\""))
        && !has(b"\"Attribute\"")
    {
        Detected::Stix
    } else if has(b"\"Event\"")
        || has(b"\"response\"")
        || has(b"\"Attribute\"")
        || has(b"\"threat_level_id\"")
    {
        Detected::Misp
    } else {
        Detected::Stix
    }
}
