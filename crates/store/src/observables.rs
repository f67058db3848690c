//! The observable values an object carries, for the correlation index: an SCO's value
//! and hashes (from `stix`), and an indicator's plain `=`/`IN` comparisons, read with the
//! full `pattern` parser.

use concord_pattern::observables::PlainOp;
use concord_pattern::{Literal, ObjectPath, PathStep};
use concord_stix::Observable;
use concord_stix::observable::{canonical_hash_name, extract, normalise};
use serde_json::{Map, Value};

/// The normalised observables of an object of type `ty`, sorted and without repeats.
pub fn of(ty: &str, obj: &Map<String, Value>) -> Vec<Observable> {
    if ty != "indicator" {
        return extract(ty, obj);
    }
    let is_stix = obj
        .get("pattern_type")
        .and_then(Value::as_str)
        .is_none_or(|t| t == "stix");
    let Some(text) = obj
        .get("pattern")
        .and_then(Value::as_str)
        .filter(|_| is_stix)
    else {
        return Vec::new();
    };
    // Import rejects indicators whose pattern does not parse; a stored one that no longer
    // does simply carries no observables.
    let Ok(pattern) = concord_pattern::parse(text) else {
        return Vec::new();
    };
    let mut out: Vec<Observable> = concord_pattern::observables::extract(&pattern)
        .into_iter()
        .filter(|o| matches!(o.op, PlainOp::Equals | PlainOp::In))
        .filter_map(|o| {
            let Literal::Str(raw) = &o.value else {
                return None;
            };
            let kind = kind_of(&o.path)?;
            let value = normalise(&kind, raw)?;
            Some(Observable { kind, value })
        })
        .collect();
    out.sort();
    out.dedup();
    out
}

/// The observable kind an object path names, if it is one we correlate on.
fn kind_of(path: &ObjectPath) -> Option<String> {
    let key = |i: usize| match path.steps.get(i) {
        Some(PathStep::Key(k)) => Some(k.as_str()),
        _ => None,
    };
    let ty = path.object_type.as_str();
    match ty {
        "ipv4-addr" | "ipv6-addr" | "domain-name" | "url" | "email-addr" | "mac-addr"
            if path.steps.len() == 1 && key(0) == Some("value") =>
        {
            Some(ty.to_owned())
        }
        "email-message" => {
            let single = matches!(key(0), Some("from_ref" | "sender_ref"))
                && path.steps.len() == 2
                && key(1) == Some("value");
            let listed = matches!(key(0), Some("to_refs" | "cc_refs" | "bcc_refs"))
                && path.steps.len() == 3
                && matches!(path.steps[1], PathStep::AnyIndex | PathStep::Index(_))
                && key(2) == Some("value");
            (single || listed).then(|| "email-addr".to_owned())
        }
        "file" | "artifact" | "x509-certificate"
            if path.steps.len() == 2 && key(0) == Some("hashes") =>
        {
            key(1).map(|alg| format!("hash:{}", canonical_hash_name(alg)))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_indicator_comparisons() {
        let p = "[ipv4-addr:value = '198.51.100.1/32' OR domain-name:value = 'EVIL.example.'] AND [file:hashes.'SHA-256' = 'ABABABABABABABABABABABABABABABABABABABABABABABABABABABABABABABAB'] AND [url:value = 'HTTP://Ex.com/a\\'b'] AND [email-message:to_refs[*].value IN ('A@x.org', 'b@x.org')] AND [ipv4-addr:value != '10.0.0.1']";
        let m = json!({"pattern": p, "pattern_type": "stix"});
        let got = of("indicator", m.as_object().unwrap());
        let pairs: Vec<_> = got
            .iter()
            .map(|o| (o.kind.as_str(), o.value.as_str()))
            .collect();
        assert_eq!(
            pairs,
            vec![
                ("domain-name", "evil.example"),
                ("email-addr", "a@x.org"),
                ("email-addr", "b@x.org"),
                (
                    "hash:SHA-256",
                    "abababababababababababababababababababababababababababababababab"
                ),
                ("ipv4-addr", "198.51.100.1"),
                ("url", "http://ex.com/a'b"),
            ]
        );
        let snort = json!({"pattern": "alert any", "pattern_type": "snort"});
        assert!(of("indicator", snort.as_object().unwrap()).is_empty());
    }
}
