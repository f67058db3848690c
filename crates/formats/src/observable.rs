//! Plain observables (an address, a domain, a URL, a hash, ...): checking and normalising
//! one value of a feed, its STIX pattern, and its STIX cyber-observable object.

use serde_json::{Map, Value, json};

/// The kind of an observable value: `concord-stix`'s one vocabulary, shared with the
/// matcher and correlation.
pub use concord_stix::observable::Kind;

/// The kinds a plain feed carries, for help texts ([`Kind::from_name`] reads their
/// [`Kind::name`]s and the other kinds' too).
pub const KINDS: &[Kind] = &[
    Kind::Ipv4,
    Kind::Ipv6,
    Kind::Domain,
    Kind::Url,
    Kind::Md5,
    Kind::Sha1,
    Kind::Sha256,
    Kind::Sha512,
    Kind::Email,
    Kind::Asn,
];

/// Checks and normalises one value of a feed: checks what a feed's value must be beyond
/// having a canonical form (addresses and CIDR prefixes, domain labels, hash lengths and
/// digits, an e-mail address's parts), saying why a value is refused, then gives
/// [`Kind::normalise`]'s form, the one correlation and matching compare. A URL without a
/// scheme (`example.com/path`, as block lists write them) is read as `http://`.
pub fn normalise(kind: Kind, raw: &str) -> Result<String, String> {
    let v = raw.trim();
    if v.is_empty() {
        return Err("empty value".into());
    }
    let kind = kind.for_value(v);
    let canonical = |text: &str| {
        kind.normalise(text)
            .ok_or_else(|| format!("{v:?} is not a valid {} value", kind.name()))
    };
    match kind {
        Kind::Ipv4 | Kind::Ipv6 => {
            let (addr, prefix) = split_prefix(v)?;
            let (family, bits, ok) = if kind == Kind::Ipv4 {
                ("IPv4", 32, addr.parse::<std::net::Ipv4Addr>().is_ok())
            } else {
                ("IPv6", 128, addr.parse::<std::net::Ipv6Addr>().is_ok())
            };
            if !ok {
                return Err(format!("{v:?} is not an {family} address"));
            }
            if let Some(p) = prefix.filter(|p| *p > bits) {
                return Err(format!("/{p} is not an {family} prefix length"));
            }
            canonical(v)
        }
        Kind::Domain => {
            let d = v.trim_end_matches('.');
            let ok = !d.is_empty()
                && d.len() <= 253
                && d.split('.').all(|l| {
                    !l.is_empty()
                        && l.len() <= 63
                        && l.chars()
                            .all(|c| c.is_alphanumeric() || c == '-' || c == '_' || c == '*')
                });
            if ok {
                canonical(v)
            } else {
                Err(format!("{v:?} is not a domain name"))
            }
        }
        Kind::Url => {
            if v.chars().any(char::is_whitespace) {
                return Err(format!("{v:?} is not a URL (white space)"));
            }
            if v.contains("://") {
                canonical(v)
            } else if v.contains('.') {
                // Block lists often leave the scheme out (`example.com/path`).
                canonical(&format!("http://{v}"))
            } else {
                Err(format!("{v:?} is not a URL"))
            }
        }
        Kind::Email => match v.split_once('@') {
            Some((local, domain))
                if !local.is_empty() && domain.contains('.') && !domain.contains('@') =>
            {
                canonical(v)
            }
            _ => Err(format!("{v:?} is not an e-mail address")),
        },
        Kind::Asn => canonical(v).map_err(|_| format!("{v:?} is not an AS number")),
        k => match k.hash_len() {
            Some(len) => {
                let want = 2 * len;
                if v.len() == want && v.bytes().all(|b| b.is_ascii_hexdigit()) {
                    canonical(v)
                } else {
                    Err(format!(
                        "{v:?} is not a {} hash ({want} hexadecimal digits)",
                        k.hash_algo().unwrap_or("")
                    ))
                }
            }
            None => canonical(v),
        },
    }
}

fn split_prefix(v: &str) -> Result<(&str, Option<u32>), String> {
    match v.split_once('/') {
        None => Ok((v, None)),
        Some((a, p)) => p
            .parse::<u32>()
            .map(|p| (a, Some(p)))
            .map_err(|_| format!("{v:?}: bad prefix length")),
    }
}

/// A string literal of the STIX patterning language (quotes and backslashes escaped).
pub fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('\'');
    for c in s.chars() {
        if c == '\'' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('\'');
    out
}

/// The one comparison that matches a normalised value of `kind`, without brackets.
pub fn comparison(kind: Kind, value: &str) -> String {
    let kind = kind.for_value(value);
    let ty = kind.sco_type();
    match kind {
        Kind::Ipv4 | Kind::Ipv6 if value.contains('/') => {
            format!("{ty}:value ISSUBSET {}", quote(value))
        }
        Kind::Asn => format!("{ty}:number = {value}"),
        Kind::FileName => format!("{ty}:name = {}", quote(value)),
        k => match k.hash_algo() {
            Some(algo) => format!("{ty}:hashes.'{algo}' = {}", quote(value)),
            None => format!("{ty}:value = {}", quote(value)),
        },
    }
}

/// The pattern that matches a normalised value of `kind`.
pub fn pattern(kind: Kind, value: &str) -> String {
    format!("[{}]", comparison(kind, value))
}

/// The SCO of a normalised value, with its deterministic id (STIX 2.1 section 2.9).
pub fn sco(kind: Kind, value: &str) -> Value {
    let kind = kind.for_value(value);
    finish_sco(kind.sco_type(), sco_map(kind, value))
}

/// The properties of the SCO of a normalised value, without an id.
pub fn sco_map(kind: Kind, value: &str) -> Map<String, Value> {
    let kind = kind.for_value(value);
    let ty = kind.sco_type();
    let mut m = Map::new();
    m.insert("type".into(), json!(ty));
    m.insert("spec_version".into(), json!("2.1"));
    match kind {
        Kind::Asn => {
            m.insert(
                "number".into(),
                json!(value.parse::<u64>().unwrap_or_default()),
            );
        }
        Kind::FileName => {
            m.insert("name".into(), json!(value));
        }
        k => match k.hash_algo() {
            Some(algo) => {
                m.insert("hashes".into(), json!({ algo: value }));
            }
            None => {
                m.insert("value".into(), json!(value));
            }
        },
    }
    m
}

/// Gives an SCO built as a map its deterministic id.
pub fn finish_sco(ty: &str, mut m: Map<String, Value>) -> Value {
    let id = concord_stix::sco_id::deterministic_id(ty, &m)
        .unwrap_or_else(|| concord_stix::id::new_id(ty));
    m.insert("id".into(), json!(id));
    Value::Object(m)
}

/// Guesses the kind of a value of a list whose kind was not given: an address or
/// network, a URL, a hash by its length, an e-mail address, else a domain name.
pub fn guess(value: &str) -> Option<Kind> {
    let v = value.trim();
    let addr = v.split('/').next().unwrap_or(v);
    if addr.parse::<std::net::Ipv4Addr>().is_ok() {
        return Some(Kind::Ipv4);
    }
    if addr.parse::<std::net::Ipv6Addr>().is_ok() {
        return Some(Kind::Ipv6);
    }
    if v.contains("://") || v.contains('/') {
        return Some(Kind::Url);
    }
    if v.bytes().all(|b| b.is_ascii_hexdigit()) {
        return match v.len() {
            32 => Some(Kind::Md5),
            40 => Some(Kind::Sha1),
            64 => Some(Kind::Sha256),
            128 => Some(Kind::Sha512),
            _ => None,
        };
    }
    if v.contains('@') {
        return Some(Kind::Email);
    }
    if v.contains('.') {
        return Some(Kind::Domain);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_checked_and_normalised() {
        assert_eq!(normalise(Kind::Ipv4, " 10.0.0.1 ").unwrap(), "10.0.0.1");
        assert_eq!(normalise(Kind::Ipv4, "1.4.0.0/17").unwrap(), "1.4.0.0/17");
        assert_eq!(
            normalise(Kind::Ipv4, "2a06:e480::/29").unwrap(),
            "2a06:e480::/29"
        );
        assert!(normalise(Kind::Ipv4, "300.1.1.1").is_err());
        assert!(normalise(Kind::Ipv4, "1.2.3.4/40").is_err());
        assert_eq!(
            normalise(Kind::Domain, "Example.COM.").unwrap(),
            "example.com"
        );
        assert!(normalise(Kind::Domain, "www..example.com").is_err());
        assert_eq!(
            normalise(Kind::Url, "example.com/x").unwrap(),
            "http://example.com/x"
        );
        assert!(normalise(Kind::Md5, "abc").is_err());
        // The one normalisation per kind (`concord_stix::observable`): the default port
        // goes, the host is lower-cased, and so is an e-mail address's local part.
        assert_eq!(
            normalise(Kind::Url, "HTTP://Example.com:80/A").unwrap(),
            "http://example.com/A"
        );
        assert_eq!(
            normalise(Kind::Email, "Bob@Example.ORG").unwrap(),
            "bob@example.org"
        );
        assert_eq!(normalise(Kind::Asn, "AS260").unwrap(), "260");
    }

    #[test]
    fn patterns_parse_and_escape() {
        for (k, v) in [
            (Kind::Ipv4, "10.0.0.0/8"),
            (Kind::Ipv6, "2001:db8::1"),
            (Kind::Url, "http://x.example/it's\\here"),
            (Kind::Sha256, &"a".repeat(64)),
            (Kind::Asn, "64496"),
            (Kind::Email, "a@example.org"),
        ] {
            let p = pattern(k, v);
            concord_pattern::parse(&p).unwrap_or_else(|e| panic!("{p}: {e}"));
            let s = sco(k, v);
            concord_stix::Object::from_value(s.clone()).unwrap_or_else(|e| panic!("{s}: {e}"));
        }
    }
}
