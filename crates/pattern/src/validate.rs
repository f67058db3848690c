//! Checks beyond the grammar: hash values (as the OASIS validator makes them) and regular
//! expressions of `MATCHES`.
//!
//! # Regular expressions
//!
//! The spec says `MATCHES` takes a PCRE; the reference matcher uses Python's `re`. We run
//! the [`regex`] crate, after a small translation of Python/PCRE spellings:
//! `\Z` becomes `\z`, a `$` outside a class also matches before one final newline (as in
//! Python), and a `{` that does not start a repetition is a literal. Look-around and
//! back-references (`(?=`, `(?<=`, `\1`) are rejected: the pattern is invalid for us.
//! Matching is linear-time, so a hostile pattern cannot stall the evaluator.

use crate::ast::{ObjectPath, PathStep};

/// Translates a Python `re` expression to the `regex` crate's syntax (see module docs).
pub(crate) fn translate_regex(src: &str) -> String {
    let chars: Vec<char> = src.chars().collect();
    let mut out = String::with_capacity(src.len() + 8);
    let mut in_class = false;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            '\\' => {
                let next = chars.get(i + 1).copied();
                match next {
                    Some('Z') if !in_class => out.push_str(r"\z"),
                    Some(n) => {
                        out.push('\\');
                        out.push(n);
                    }
                    None => out.push('\\'),
                }
                i += 2;
                continue;
            }
            '[' if !in_class => {
                in_class = true;
                out.push('[');
                // A `]` or `^]` right after `[` is literal in both dialects.
                if chars.get(i + 1) == Some(&'^') {
                    out.push('^');
                    i += 1;
                }
                if chars.get(i + 1) == Some(&']') {
                    out.push_str(r"\]");
                    i += 1;
                }
            }
            '[' => out.push_str(r"\["),
            ']' if in_class => {
                in_class = false;
                out.push(']');
            }
            '$' if !in_class => out.push_str(r"(?:\n?\z)"),
            '{' if !in_class && !is_repetition(&chars[i..]) => out.push_str(r"\{"),
            '}' if !in_class => out.push_str(r"\}"),
            _ => out.push(c),
        }
        if c == '{' && !in_class && is_repetition(&chars[i..]) {
            // Copy the whole `{m,n}` so its `}` is not escaped.
            let end = chars[i..].iter().position(|&x| x == '}').unwrap_or(0);
            if chars.get(i + 1) == Some(&',') {
                out.push('0'); // `{,n}` means `{0,n}` in Python.
            }
            out.extend(&chars[i + 1..=i + end]);
            i += end;
        }
        i += 1;
    }
    out
}

/// `{m}`, `{m,}`, `{m,n}` or `{,n}` (Python 3.11 accepts the last one too).
fn is_repetition(s: &[char]) -> bool {
    let Some(end) = s.iter().position(|&c| c == '}') else {
        return false;
    };
    let inner: String = s[1..end].iter().collect();
    let (a, b) = inner.split_once(',').unwrap_or((&inner, ""));
    let digits = |x: &str| x.chars().all(|c| c.is_ascii_digit());
    let has_comma = inner.contains(',');
    digits(a) && digits(b) && (!a.is_empty() || (has_comma && !b.is_empty()))
}

/// Builds the regex for a `MATCHES` operand.
pub(crate) fn compile_regex(src: &str) -> Result<regex::Regex, String> {
    regex::RegexBuilder::new(&translate_regex(src))
        .size_limit(1 << 22)
        .build()
        .map_err(|e| {
            format!(
                "MATCHES: unsupported regular expression: {}",
                first_line(&e.to_string())
            )
        })
}

fn first_line(s: &str) -> String {
    s.lines()
        .filter(|l| l.starts_with("error:"))
        .map(str::to_string)
        .next()
        .unwrap_or_else(|| s.to_string())
}

/// Checks a `MATCHES` operand.
pub(crate) fn regex(src: &str) -> Result<(), String> {
    compile_regex(src).map(|_| ())
}

/// True if `path` goes through a `hashes` property: only then does [`hash`] check its
/// literal.
pub(crate) fn is_hash_path(path: &ObjectPath) -> bool {
    path.steps
        .iter()
        .any(|s| matches!(s, PathStep::Key(k) if k == "hashes"))
}

/// The OASIS validator's hash check (`stix2patterns/v21/object_validator.py`): when a path
/// goes through a property named `hashes` and ends in a known algorithm name, the literal's
/// text (quotes removed; for `IN` the whole set as written without spaces) must look like a
/// hash of that algorithm.
pub(crate) fn hash(path: &ObjectPath, raw_literal: &str) -> Result<(), String> {
    if !is_hash_path(path) {
        return Ok(());
    }
    let Some(PathStep::Key(selector)) = path.steps.last() else {
        return Ok(());
    };
    let algo = selector.to_uppercase().replace(['-', '\''], "");
    let value = raw_literal.replace('\'', "");
    let v = value.strip_suffix('\n').unwrap_or(&value);
    let hex_len = |n: usize| v.len() == n && v.bytes().all(|b| b.is_ascii_hexdigit());
    let ok = match algo.as_str() {
        "MD5" => hex_len(32),
        // The reference's MD6 expression is unanchored at the end: 32 hex digits first.
        "MD6" => value.len() >= 32 && value.bytes().take(32).all(|b| b.is_ascii_hexdigit()),
        "RIPEMD160" | "SHA1" => hex_len(40),
        "SHA224" | "SHA3224" => hex_len(56),
        "SHA256" | "SHA3256" => hex_len(64),
        "SHA384" | "SHA3384" => hex_len(96),
        "SHA512" | "SHA3512" | "WHIRLPOOL" => hex_len(128),
        "SSDEEP" => {
            (1..=128).contains(&v.len())
                && v.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'/' | b'+' | b':' | b'.'))
        }
        _ => true,
    };
    if ok {
        Ok(())
    } else {
        Err(format!("'{value}' is not a valid {selector} hash"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_spellings_compile() {
        for ok in [
            r".+\@example\.com$",
            r"^{}$",
            r"a{2,}",
            r"a{,3}",
            r"\d+\Z",
            r"[]a]",
            r"[^]a]",
            "x}",
        ] {
            assert!(regex(ok).is_ok(), "{ok}: {:?}", regex(ok));
        }
        for bad in [r"(", r"(?=a)", r"(a)\1"] {
            assert!(regex(bad).is_err(), "{bad}");
        }
        let r = compile_regex("^ab$").unwrap();
        assert!(r.is_match("ab\n") && !r.is_match("ab\n\n"));
    }
}
