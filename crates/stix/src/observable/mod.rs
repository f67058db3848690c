//! Plain observable values (IP, domain, URL, hash, e-mail address) carried by an object,
//! normalised so that equal values compare equal. They feed the correlation index.
//!
//! An indicator's observables come from its pattern, which the `pattern` crate reads;
//! `store` combines the two.

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

/// The observables an SCO carries: its value, or the hashes of a file, artifact or
/// certificate. (Indicators: see the `store` crate, which reads their patterns.)
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

#[cfg(test)]
mod tests {
    use super::*;

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
