//! The STIX 2.1 patterning language (STIX 2.1 section 9): parser, printer, validation,
//! extraction of plain observables, and an evaluator over observed data. Pure: no I/O,
//! no clock.
//!
//! ```
//! use concord_pattern::{check, eval::{matches, Observation}, Timestamp};
//!
//! let pattern = check("[ipv4-addr:value ISSUBSET '10.0.0.0/8'] WITHIN 60 SECONDS").unwrap();
//! assert_eq!(pattern.to_string(), "[ipv4-addr:value ISSUBSET '10.0.0.0/8'] WITHIN 60 SECONDS");
//!
//! let t = Timestamp::parse("2024-01-01T00:00:00Z").unwrap();
//! let mut seen = Observation::new(t, t, 1);
//! seen.objects.insert("ipv4-addr--1".into(), serde_json::json!({"type": "ipv4-addr", "value": "10.1.2.3"}));
//! assert!(matches(&pattern, &[seen]));
//!
//! let err = check("[file:name = 'a' AND]").unwrap_err();
//! assert_eq!(err.to_string(), "at 20: expected an object type, EXISTS or '(', found ']'");
//! ```
//!
//! Public API: [`parse`] / [`check`] (text to [`Pattern`] or [`PatternError`]),
//! [`parse_bytes`], [`check_lines`] (one verdict per line), `Display` on the AST (the
//! printer), [`observables`] (plain comparisons for the fast matcher), and [`eval`].

pub mod ast;
mod error;
pub mod eval;
mod lexer;
pub mod observables;
mod parser;
mod printer;
mod timestamp;
mod validate;

pub use ast::{
    Comparison, ComparisonExpr, Literal, Number, ObjectPath, ObservationExpr, Operator, PathStep,
    Pattern, Qualifier,
};
pub use error::{ErrorKind, PatternError};
pub use parser::MAX_DEPTH;
pub use timestamp::Timestamp;

/// Parses and validates a pattern. Never panics; see [`PatternError`] for positions.
///
/// Accepts what the OASIS validator (`stix2-patterns`) accepts, with these exceptions,
/// which it rejects: a `MATCHES` expression the `regex` crate cannot run (look-around,
/// back-references), integers beyond 64 bits, nesting deeper than [`MAX_DEPTH`].
/// Besides the grammar it checks, as the validator does, hash values under
/// `hashes.<ALGO>`, one qualifier of each type on a bracketed observation, a leading `[`.
/// See [`parse_strict`] for the spec's further rules.
pub fn parse(pattern: &str) -> Result<Pattern, PatternError> {
    parser::Parser::new(pattern, false).parse_pattern()
}

/// Like [`parse`], and also rejects what the spec forbids but the OASIS validator lets
/// through: timestamps that are not calendar dates (`t'2024-02-30T00:00:00Z'`, STIX 2.1
/// section 3.2 requires RFC 3339), `WITHIN 0 SECONDS` and `REPEATS 0 TIMES` (section 9.5:
/// a positive number), and `START` not before `STOP` (section 9.5). The lenient [`parse`]
/// rolls such dates over into the next month.
pub fn parse_strict(pattern: &str) -> Result<Pattern, PatternError> {
    parser::Parser::new(pattern, true).parse_pattern()
}

/// Same as [`parse`]; the name the CLI uses for `concord pattern check`.
pub fn check(pattern: &str) -> Result<Pattern, PatternError> {
    parse(pattern)
}

/// Parses a pattern given as bytes; invalid UTF-8 is an error at its byte offset.
pub fn parse_bytes(pattern: &[u8]) -> Result<Pattern, PatternError> {
    match std::str::from_utf8(pattern) {
        Ok(text) => parse(text),
        Err(e) => {
            let valid = e.valid_up_to();
            let prefix = std::str::from_utf8(&pattern[..valid]).unwrap_or_default();
            Err(PatternError {
                offset: valid,
                char_offset: prefix.chars().count(),
                kind: ErrorKind::InvalidUtf8,
                message: format!("invalid UTF-8 at byte {valid}"),
            })
        }
    }
}

/// Checks many patterns, one per line (a trailing `\r` is removed): one verdict per line,
/// `valid` or `invalid: <error with position>`, in order. Empty lines are checked too
/// (and are invalid), so that line numbers stay aligned.
pub fn check_lines(text: &str) -> Vec<String> {
    let text = text.strip_suffix('\n').unwrap_or(text);
    if text.is_empty() {
        return Vec::new();
    }
    text.split('\n')
        .map(|line| verdict(line.strip_suffix('\r').unwrap_or(line)))
        .collect()
}

/// The verdict for one pattern: `valid` or `invalid: at N: message`.
pub fn verdict(pattern: &str) -> String {
    match parse(pattern) {
        Ok(_) => "valid".to_string(),
        Err(e) => format!("invalid: {e}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let deep = format!("{}[a:b = 1]{}", "(".repeat(10_000), ")".repeat(10_000));
        assert_eq!(parse(&deep).unwrap_err().kind, ErrorKind::TooDeep);
        let deep = format!("[{}a:b = 1{}]", "(".repeat(10_000), ")".repeat(10_000));
        assert_eq!(parse(&deep).unwrap_err().kind, ErrorKind::TooDeep);
        let ok = format!("{}[a:b = 1]{}", "(".repeat(50), ")".repeat(50));
        assert!(parse(&ok).is_ok());
    }

    #[test]
    fn long_patterns_parse() {
        let big = vec!["[a:b = 'x']"; 50_000].join(" OR ");
        let p = parse(&big).unwrap();
        assert_eq!(parse(&p.to_string()).unwrap(), p);
    }

    #[test]
    fn invalid_utf8_reports_offset() {
        let e = parse_bytes(b"[a:b = '\xff']").unwrap_err();
        assert_eq!((e.offset, e.kind), (8, ErrorKind::InvalidUtf8));
    }

    #[test]
    fn strict_rejects_what_the_spec_forbids() {
        for (text, kind) in [
            ("[x:t = t'2024-02-30T12:00:00Z']", ErrorKind::InvalidLiteral),
            ("[a:b = 1] WITHIN 0 SECONDS", ErrorKind::InvalidQualifier),
            ("[a:b = 1] REPEATS 0 TIMES", ErrorKind::InvalidQualifier),
            (
                "[a:b = 1] START t'2024-01-01T00:00:00Z' STOP t'2024-01-01T00:00:00Z'",
                ErrorKind::InvalidQualifier,
            ),
        ] {
            assert!(parse(text).is_ok(), "{text}");
            assert_eq!(parse_strict(text).unwrap_err().kind, kind, "{text}");
        }
        let p = parse("[x:t = t'2024-02-30T12:00:00Z']").unwrap();
        assert_eq!(p.to_string(), "[x:t = t'2024-03-01T12:00:00Z']");
    }

    #[test]
    fn lines_give_verdicts() {
        assert_eq!(check_lines("[a:b = 1]\r\n[a:b =]\n"), vec![
            "valid".to_string(),
            "invalid: at 6: expected a literal (string, number, boolean, timestamp, binary or hex), found ']'".into()
        ]);
    }
}
