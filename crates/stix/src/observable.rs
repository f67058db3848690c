//! Plain observable values (IP, domain, URL, hash, e-mail address) carried by an object,
//! normalised so that equal values compare equal. They feed the correlation index.
//!
//! Indicators are read with a small scanner for `type:path = 'value'` comparisons; the
//! full pattern grammar lives in the `pattern` crate.

use std::net::{Ipv4Addr, Ipv6Addr};

use serde_json::{Map, Value};

/// One normalised observable value.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub struct Observable {
    /// `ipv4-addr`, `ipv6-addr`, `domain-name`, `url`, `email-addr`, `mac-addr`, or
    /// `hash:ALGO` (e.g. `hash:SHA-256`).
    pub kind: String,
    /// The normalised value.
    pub value: String,
}

/// Normalises a value of an observable kind; `None` if it is not a value of that kind.
pub fn normalise(kind: &str, raw: &str) -> Option<String> {
    let raw = raw.trim();
    if raw.is_empty() {
        return None;
    }
    match kind {
        "ipv4-addr" => {
            let (addr, len) = raw.split_once('/').unwrap_or((raw, "32"));
            let ip: Ipv4Addr = addr.parse().ok()?;
            let len: u8 = len.parse().ok().filter(|l| *l <= 32)?;
            Some(if len == 32 {
                ip.to_string()
            } else {
                format!("{ip}/{len}")
            })
        }
        "ipv6-addr" => {
            let (addr, len) = raw.split_once('/').unwrap_or((raw, "128"));
            let ip: Ipv6Addr = addr.parse().ok()?;
            let len: u8 = len.parse().ok().filter(|l| *l <= 128)?;
            Some(if len == 128 {
                ip.to_string()
            } else {
                format!("{ip}/{len}")
            })
        }
        "domain-name" => Some(raw.trim_end_matches('.').to_ascii_lowercase()),
        "email-addr" | "mac-addr" => Some(raw.to_ascii_lowercase()),
        "url" => Some(normalise_url(raw)),
        k if k.starts_with("hash:") => Some(raw.to_ascii_lowercase()),
        _ => None,
    }
}

/// Lower-cases the scheme and host of a URL; the rest is kept as written.
fn normalise_url(raw: &str) -> String {
    let Some((scheme, rest)) = raw.split_once("://") else {
        return raw.to_owned();
    };
    let host_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(host_end);
    let authority = match authority.rsplit_once('@') {
        Some((user, host)) => format!("{user}@{}", host.to_ascii_lowercase()),
        None => authority.to_ascii_lowercase(),
    };
    format!("{}://{authority}{tail}", scheme.to_ascii_lowercase())
}

fn push(out: &mut Vec<Observable>, kind: &str, raw: &str) {
    if let Some(value) = normalise(kind, raw) {
        out.push(Observable {
            kind: kind.to_owned(),
            value,
        });
    }
}

/// The observables an object carries: the value of an SCO, the hashes of a file or
/// artifact, and the simple equality comparisons of an indicator's STIX pattern.
pub fn extract(ty: &str, obj: &Map<String, Value>) -> Vec<Observable> {
    let mut out = Vec::new();
    match ty {
        "ipv4-addr" | "ipv6-addr" | "domain-name" | "url" | "email-addr" | "mac-addr" => {
            if let Some(v) = obj.get("value").and_then(Value::as_str) {
                push(&mut out, ty, v);
            }
        }
        "file" | "artifact" | "x509-certificate" => {
            if let Some(h) = obj.get("hashes").and_then(Value::as_object) {
                for (alg, v) in h {
                    if let Some(v) = v.as_str() {
                        push(&mut out, &format!("hash:{}", canonical_hash_name(alg)), v);
                    }
                }
            }
        }
        "indicator" => {
            let is_stix = obj
                .get("pattern_type")
                .and_then(Value::as_str)
                .is_none_or(|t| t == "stix");
            if is_stix && let Some(p) = obj.get("pattern").and_then(Value::as_str) {
                for (path, value) in pattern_equalities(p) {
                    if let Some(kind) = kind_of_path(&path) {
                        push(&mut out, &kind, &value);
                    }
                }
            }
        }
        _ => {}
    }
    out.sort();
    out.dedup();
    out
}

/// Upper-case hash algorithm name with the spec's hyphenation (`sha256` -> `SHA-256`).
pub fn canonical_hash_name(alg: &str) -> String {
    let up = alg.to_ascii_uppercase();
    match up.as_str() {
        "SHA1" => "SHA-1".into(),
        "SHA256" => "SHA-256".into(),
        "SHA512" => "SHA-512".into(),
        "SHA3256" => "SHA3-256".into(),
        "SHA3512" => "SHA3-512".into(),
        _ => up,
    }
}

/// The observable kind an object path of a pattern names, if it is one we correlate.
fn kind_of_path(path: &str) -> Option<String> {
    let (ty, prop) = path.split_once(':')?;
    match (ty, prop) {
        (
            "ipv4-addr" | "ipv6-addr" | "domain-name" | "url" | "email-addr" | "mac-addr",
            "value",
        ) => Some(ty.to_owned()),
        ("email-message", "from_ref.value" | "sender_ref.value" | "to_refs[*].value") => {
            Some("email-addr".into())
        }
        ("network-traffic", p) if p.ends_with("_ref.value") => None,
        ("file" | "artifact" | "x509-certificate", p) => {
            let alg = p.strip_prefix("hashes.")?;
            let alg = alg.trim_matches('\'');
            Some(format!("hash:{}", canonical_hash_name(alg)))
        }
        _ => None,
    }
}

/// Finds `object-path = 'string'` comparisons in a pattern text. Tolerant: anything it
/// does not understand is skipped; it never fails.
pub fn pattern_equalities(pattern: &str) -> Vec<(String, String)> {
    let b = pattern.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        // An object path starts after '[' or after AND/OR inside brackets: scan tokens.
        if b[i].is_ascii_lowercase() {
            let start = i;
            while i < b.len()
                && !b[i].is_ascii_whitespace()
                && b[i] != b'='
                && b[i] != b'!'
                && b[i] != b']'
                && b[i] != b'('
                && b[i] != b')'
            {
                if b[i] == b'\'' {
                    // quoted path component such as hashes.'SHA-256'
                    i += 1;
                    while i < b.len() && b[i] != b'\'' {
                        i += 1;
                    }
                }
                i += 1;
            }
            let path = &pattern[start..i.min(b.len())];
            let mut j = i;
            while j < b.len() && b[j].is_ascii_whitespace() {
                j += 1;
            }
            if path.contains(':') && j < b.len() && b[j] == b'=' {
                j += 1;
                while j < b.len() && b[j].is_ascii_whitespace() {
                    j += 1;
                }
                if j < b.len() && b[j] == b'\'' {
                    let (value, end) = read_string(pattern, j + 1);
                    out.push((path.to_owned(), value));
                    i = end;
                    continue;
                }
            }
        } else if b[i] == b'\'' {
            // skip string literals that are not part of a comparison we read
            i = read_string(pattern, i + 1).1;
            continue;
        }
        i += 1;
    }
    out
}

/// Reads a single-quoted pattern string starting after its opening quote; returns the
/// unescaped value and the index after the closing quote.
fn read_string(s: &str, from: usize) -> (String, usize) {
    let mut value = String::new();
    let mut chars = s[from..].char_indices();
    while let Some((off, ch)) = chars.next() {
        match ch {
            '\\' => {
                if let Some((_, next)) = chars.next() {
                    value.push(next);
                }
            }
            '\'' => return (value, from + off + 1),
            c => value.push(c),
        }
    }
    (value, s.len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_patterns() {
        let p = "[ipv4-addr:value = '198.51.100.1/32' OR domain-name:value = 'EVIL.example.'] AND [file:hashes.'SHA-256' = 'AB12'] AND [url:value = 'HTTP://Ex.com/a\\'b']";
        let m = json!({"pattern": p, "pattern_type": "stix"});
        let got = extract("indicator", m.as_object().unwrap());
        let pairs: Vec<_> = got
            .iter()
            .map(|o| (o.kind.as_str(), o.value.as_str()))
            .collect();
        assert!(pairs.contains(&("ipv4-addr", "198.51.100.1")));
        assert!(pairs.contains(&("domain-name", "evil.example")));
        assert!(pairs.contains(&("hash:SHA-256", "ab12")));
        assert!(pairs.contains(&("url", "http://ex.com/a'b")), "{pairs:?}");
    }

    #[test]
    fn never_panics_on_odd_text() {
        for p in ["", "[", "'", "[a:b = '", "[x:y='é\\", "ü:ä = 'ö'"] {
            let _ = pattern_equalities(p);
        }
    }

    #[test]
    fn normalises() {
        assert_eq!(
            normalise("ipv6-addr", "2001:DB8::0:1").as_deref(),
            Some("2001:db8::1")
        );
        assert_eq!(normalise("ipv4-addr", "not-an-ip"), None);
        assert_eq!(
            normalise("url", "HTTPS://User@Host.EXAMPLE:443/Path").as_deref(),
            Some("https://User@host.example:443/Path")
        );
    }
}
