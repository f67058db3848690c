//! RFC 8785 (JSON Canonicalization Scheme) text of an object, fast for the common case.
//!
//! Objects whose keys are ASCII and whose numbers are integers of at most 2^53 in
//! magnitude (nearly all STIX) are written in one pass by [`to_string`]'s own writer:
//! keys come sorted from serde_json's map (byte order is UTF-16 order for ASCII), strings
//! escape only `"`, `\` and control characters (the short forms, else `\u00xx` in lower
//! case), and such integers print as ECMAScript prints them. Anything else (a float, a
//! larger integer, a non-ASCII key) goes through `serde_json_canonicalizer`; the tests
//! and the `stix_document` fuzz target compare both.
//!
//! The text is computed once, when an object is validated, and kept with the object.

use serde_json::{Map, Value};

/// Largest integer an IEEE double holds exactly (RFC 8785 numbers are doubles).
const EXACT: u64 = 1 << 53;

/// The RFC 8785 text of a JSON map.
pub fn to_string(map: &Map<String, Value>) -> String {
    // Most objects take 0.5-2 KB: one allocation of 1 KB saves the growth for most.
    let mut out = String::with_capacity(1024);
    if keys_sorted() && write_map(&mut out, map).is_ok() {
        out
    } else {
        serde_json_canonicalizer::to_string(map).unwrap_or_default()
    }
}

/// The text is not for the fast path (a float, a large integer, a non-ASCII key).
struct NotPlain;

/// Whether a map iterates its keys in ascending byte order (serde_json's default
/// `BTreeMap`; its `preserve_order` feature, if some dependency ever turns it on, keeps
/// insertion order instead). Byte order is RFC 8785's UTF-16 order for ASCII keys.
fn keys_sorted() -> bool {
    static SORTED: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *SORTED.get_or_init(|| {
        let mut m = Map::new();
        m.insert("b".into(), Value::Null);
        m.insert("a".into(), Value::Null);
        m.keys().map(String::as_str).eq(["a", "b"])
    })
}

/// Writes a map in one pass, or gives up at the first thing RFC 8785 writes otherwise
/// than compact JSON does.
fn write_map(out: &mut String, map: &Map<String, Value>) -> Result<(), NotPlain> {
    out.push('{');
    for (i, (k, v)) in map.iter().enumerate() {
        if !k.is_ascii() {
            return Err(NotPlain);
        }
        if i > 0 {
            out.push(',');
        }
        write_str(out, k);
        out.push(':');
        write_value(out, v)?;
    }
    out.push('}');
    Ok(())
}

fn write_value(out: &mut String, v: &Value) -> Result<(), NotPlain> {
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(true) => out.push_str("true"),
        Value::Bool(false) => out.push_str("false"),
        Value::String(s) => write_str(out, s),
        Value::Number(n) => {
            let mut buf = itoa::Buffer::new();
            if let Some(u) = n.as_u64() {
                if u > EXACT {
                    return Err(NotPlain);
                }
                out.push_str(buf.format(u));
            } else if let Some(i) = n.as_i64() {
                if i.unsigned_abs() > EXACT {
                    return Err(NotPlain);
                }
                out.push_str(buf.format(i));
            } else {
                return Err(NotPlain);
            }
        }
        Value::Array(a) => {
            out.push('[');
            for (i, e) in a.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_value(out, e)?;
            }
            out.push(']');
        }
        Value::Object(m) => write_map(out, m)?,
    }
    Ok(())
}

/// A JSON string as RFC 8785 writes it: `"` and `\\` escaped, the control characters as
/// `\b \t \n \f \r` or `\u00xx` (lower-case hex), everything else as it is. Runs of
/// bytes that need no escape are copied whole.
fn write_str(out: &mut String, s: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let bytes = s.as_bytes();
    out.reserve(bytes.len() + 2);
    out.push('"');
    let mut start = 0;
    while let Some(at) = next_escape(bytes, start) {
        // An escaped byte is ASCII: both ends are character boundaries.
        out.push_str(&s[start..at]);
        start = at + 1;
        match bytes[at] {
            b'"' => out.push_str("\\\""),
            b'\\' => out.push_str("\\\\"),
            0x08 => out.push_str("\\b"),
            b'\t' => out.push_str("\\t"),
            b'\n' => out.push_str("\\n"),
            0x0c => out.push_str("\\f"),
            b'\r' => out.push_str("\\r"),
            b => {
                out.push_str("\\u00");
                out.push(char::from(HEX[usize::from(b >> 4)]));
                out.push(char::from(HEX[usize::from(b & 0xf)]));
            }
        }
    }
    out.push_str(&s[start..]);
    out.push('"');
}

/// Whether a JSON string of `s` needs an escape (a control character, `"` or `\\`).
pub fn needs_escape(s: &str) -> bool {
    next_escape(s.as_bytes(), 0).is_some()
}

/// The position of the first byte from `from` on that a JSON string must escape (a
/// control character, `"` or `\\`), eight bytes at a time: the classic "has a byte less
/// than n" and "has a zero byte" word tricks, whose lowest flagged byte is exact (bytes
/// from 0x80 never count). `None` if there is none (or `from` is past the end). Also the
/// string search of the matcher's EVE scanner.
#[inline]
pub fn next_escape(bytes: &[u8], from: usize) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let has_zero = |x: u64| x.wrapping_sub(ONES) & !x & HIGH;
    let rest = bytes.get(from..)?;
    let mut words = rest.chunks_exact(8);
    let mut at = from;
    for w in words.by_ref() {
        let word = u64::from_le_bytes(w.try_into().unwrap_or_default());
        let hits = (word.wrapping_sub(ONES * 0x20) & !word & HIGH)
            | has_zero(word ^ (ONES * u64::from(b'"')))
            | has_zero(word ^ (ONES * u64::from(b'\\')));
        if hits != 0 {
            return Some(at + (hits.trailing_zeros() / 8) as usize);
        }
        at += 8;
    }
    words
        .remainder()
        .iter()
        .position(|&b| b < 0x20 || b == b'"' || b == b'\\')
        .map(|i| at + i)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn reference(v: &Value) -> String {
        serde_json_canonicalizer::to_string(v).unwrap()
    }

    #[test]
    fn canonical_matches_the_reference() {
        let cases = [
            json!({"b": 1, "a": [true, null, "x"], "c": {"z": -9007199254740992_i64, "y": 9007199254740992_u64}}),
            json!({"s": "quote \" backslash \\ slash / tab \t nl \n cr \r ff \u{c} bs \u{8} nul \u{0} us \u{1f} del \u{7f} é 😀 \u{2028}"}),
            json!({"f": 1.0, "g": 1e21, "h": 0.1, "i": -0.0, "j": 5e-7}),
            json!({"big": 9007199254740993_u64, "neg": -9007199254740993_i64}),
            json!({"é": 1, "e": 2, "\u{1f600}": 3, "\u{ff61}": 4}),
            json!({"nested": [{"b": 2.5, "a": 1}, [1, [2, {"k": "v"}]]], "empty": {}, "list": []}),
            json!({"type": "indicator", "id": "indicator--11111111-1111-4111-8111-111111111111",
                "pattern": "[ipv4-addr:value = '198.51.100.1']", "confidence": 80,
                "extensions": {"extension-definition--3c1c7f0e-5d5b-4d0e-9a43-0f6b8f0b8a52": {"x": [1, 2]}}}),
        ];
        for c in cases {
            let Value::Object(m) = &c else { unreachable!() };
            assert_eq!(to_string(m), reference(&c), "{c}");
        }
        // The fast path is taken for ordinary objects and refused for the others.
        assert!(keys_sorted());
        let Value::Object(plain) = &json!({"a": [1, {"b": "c"}], "z": -3}) else {
            unreachable!()
        };
        assert!(write_map(&mut String::new(), plain).is_ok());
        for odd in [
            json!({"f": 1.5}),
            json!({"é": 1}),
            json!({"a": {"é": 1}}),
            json!({"n": 9007199254740993_u64}),
            json!({"n": [-9007199254740993_i64]}),
        ] {
            let Value::Object(m) = &odd else {
                unreachable!()
            };
            assert!(write_map(&mut String::new(), m).is_err(), "{odd}");
        }
    }

    #[test]
    fn every_byte_in_every_position_of_a_word_is_escaped_as_the_reference_does() {
        for b in 0..0x80u8 {
            for at in 0..17 {
                let mut s = "x".repeat(17);
                s.replace_range(at..=at, &char::from(b).to_string());
                let v = json!({ "k": s });
                let Value::Object(m) = &v else { unreachable!() };
                assert_eq!(to_string(m), reference(&v), "byte {b:#x} at {at}");
            }
        }
    }

    #[test]
    fn needs_escape_finds_every_byte_that_needs_one_at_every_position() {
        for b in 0..0x80u8 {
            for len in 1..20 {
                for at in 0..len {
                    let mut s = "x".repeat(len);
                    s.replace_range(at..=at, &char::from(b).to_string());
                    let expected = b < 0x20 || b == b'"' || b == b'\\';
                    assert_eq!(needs_escape(&s), expected, "byte {b:#x} at {at} of {len}");
                }
            }
        }
        assert!(!needs_escape("caf\u{e9} \u{1F600} \u{7f} \u{2028}"));
    }

    proptest::proptest! {
        #[test]
        fn any_strings_and_integers_agree_with_the_reference(
            entries in proptest::collection::vec(("\\PC{0,6}", "(?s).{0,40}", proptest::num::i64::ANY), 0..8)
        ) {
            let mut m = Map::new();
            for (k, s, n) in entries {
                m.insert(format!("{k}s"), Value::String(s));
                m.insert(format!("{k}n"), Value::from(n));
            }
            let v = Value::Object(m);
            let Value::Object(m) = &v else { unreachable!() };
            proptest::prop_assert_eq!(to_string(m), reference(&v));
        }
    }
}
