//! RFC 8785 (JSON Canonicalization Scheme) text of an object, fast for the common case.
//!
//! For JSON whose object keys are ASCII and already in ascending order at every depth and
//! whose numbers are integers of at most 2^53 in magnitude, RFC 8785's output is exactly
//! what `serde_json` writes compactly: UTF-16 and byte order agree on ASCII keys, both
//! escape only `"`, `\` and control characters (the same short forms, `\u00xx` in lower
//! case otherwise), and such integers print the same as ECMAScript numbers. Anything else
//! (a float, a larger integer, a non-ASCII key, keys out of order) goes through
//! `serde_json_canonicalizer`. The `canonical_matches_the_reference` test compares both.

use serde_json::{Map, Value};

/// Largest integer an IEEE double holds exactly (RFC 8785 numbers are doubles).
const EXACT: u64 = 1 << 53;

/// The RFC 8785 text of a JSON map.
pub fn to_string(map: &Map<String, Value>) -> String {
    if map_is_plain(map) {
        // Serialising a map of JSON values cannot fail: keys are strings and every
        // number serde_json holds is finite. Most objects take 0.5-2 KB: one allocation
        // of 1 KB saves the growth from serde_json's 128 bytes for most of them.
        let mut out = Vec::with_capacity(1024);
        serde_json::to_writer(&mut out, map).unwrap_or_default();
        // serde_json writes only valid UTF-8.
        String::from_utf8(out).unwrap_or_default()
    } else {
        serde_json_canonicalizer::to_string(map).unwrap_or_default()
    }
}

fn map_is_plain(map: &Map<String, Value>) -> bool {
    let mut last: Option<&str> = None;
    for (k, v) in map {
        if !k.is_ascii() || last.is_some_and(|l| l >= k.as_str()) || !is_plain(v) {
            return false;
        }
        last = Some(k);
    }
    true
}

fn is_plain(v: &Value) -> bool {
    match v {
        Value::Null | Value::Bool(_) | Value::String(_) => true,
        Value::Number(n) => n
            .as_u64()
            .map(|u| u <= EXACT)
            .or_else(|| n.as_i64().map(|i| i.unsigned_abs() <= EXACT))
            .unwrap_or(false),
        Value::Array(a) => a.iter().all(is_plain),
        Value::Object(m) => map_is_plain(m),
    }
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
        let Value::Object(plain) = &json!({"a": [1, {"b": "c"}], "z": -3}) else {
            unreachable!()
        };
        assert!(map_is_plain(plain));
        for odd in [
            json!({"f": 1.5}),
            json!({"é": 1}),
            json!({"n": 9007199254740993_u64}),
        ] {
            let Value::Object(m) = &odd else {
                unreachable!()
            };
            assert!(!map_is_plain(m), "{odd}");
        }
    }
}
