//! Plain observables (an address, a domain, a URL, a hash, ...): checking and normalising
//! one value of a feed, its STIX pattern, and its STIX cyber-observable object.

use serde_json::{Map, Value, json};

/// The kinds of value a plain feed carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Kind {
    /// An IPv4 address or CIDR block.
    Ipv4,
    /// An IPv6 address or CIDR block.
    Ipv6,
    /// A domain name (or host name).
    Domain,
    /// A URL.
    Url,
    /// An MD5 file hash.
    Md5,
    /// A SHA-1 file hash.
    Sha1,
    /// A SHA-256 file hash.
    Sha256,
    /// A SHA-512 file hash.
    Sha512,
    /// An e-mail address.
    Email,
    /// An autonomous system number (`AS64496` or `64496`).
    Asn,
}

/// Every kind, for help texts.
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

impl Kind {
    /// The name used by `--observable` (`ipv4-addr`, `file-sha256`, ...).
    pub fn name(self) -> &'static str {
        match self {
            Kind::Ipv4 => "ipv4-addr",
            Kind::Ipv6 => "ipv6-addr",
            Kind::Domain => "domain-name",
            Kind::Url => "url",
            Kind::Md5 => "file-md5",
            Kind::Sha1 => "file-sha1",
            Kind::Sha256 => "file-sha256",
            Kind::Sha512 => "file-sha512",
            Kind::Email => "email-addr",
            Kind::Asn => "autonomous-system",
        }
    }

    /// The kind named `name` (also accepts `ip` for either address family, resolved per
    /// value by [`Kind::for_value`]).
    pub fn from_name(name: &str) -> Option<Kind> {
        KINDS
            .iter()
            .copied()
            .find(|k| k.name() == name)
            .or(match name {
                "ipv4" | "ip" => Some(Kind::Ipv4),
                "ipv6" => Some(Kind::Ipv6),
                "domain" | "hostname" => Some(Kind::Domain),
                "md5" => Some(Kind::Md5),
                "sha1" => Some(Kind::Sha1),
                "sha256" => Some(Kind::Sha256),
                "sha512" => Some(Kind::Sha512),
                "email" => Some(Kind::Email),
                "asn" | "as" => Some(Kind::Asn),
                _ => None,
            })
    }

    /// The STIX SCO type of this kind.
    pub fn sco_type(self) -> &'static str {
        match self {
            Kind::Ipv4 => "ipv4-addr",
            Kind::Ipv6 => "ipv6-addr",
            Kind::Domain => "domain-name",
            Kind::Url => "url",
            Kind::Md5 | Kind::Sha1 | Kind::Sha256 | Kind::Sha512 => "file",
            Kind::Email => "email-addr",
            Kind::Asn => "autonomous-system",
        }
    }

    /// The STIX hash algorithm name of a hash kind.
    pub fn hash_algo(self) -> Option<&'static str> {
        match self {
            Kind::Md5 => Some("MD5"),
            Kind::Sha1 => Some("SHA-1"),
            Kind::Sha256 => Some("SHA-256"),
            Kind::Sha512 => Some("SHA-512"),
            _ => None,
        }
    }

    /// For an address kind, the right family for this value (`ip` columns hold both).
    pub fn for_value(self, value: &str) -> Kind {
        match self {
            Kind::Ipv4 | Kind::Ipv6 if value.contains(':') => Kind::Ipv6,
            Kind::Ipv4 | Kind::Ipv6 => Kind::Ipv4,
            k => k,
        }
    }
}

/// Checks and normalises one value: trims it, lower-cases what is case-insensitive,
/// checks addresses, CIDR prefixes, hash lengths and digits, and refuses what cannot be
/// a value of the kind. The error says why.
pub fn normalise(kind: Kind, raw: &str) -> Result<String, String> {
    let v = raw.trim();
    if v.is_empty() {
        return Err("empty value".into());
    }
    match kind.for_value(v) {
        Kind::Ipv4 => {
            let (addr, prefix) = split_prefix(v)?;
            let a: std::net::Ipv4Addr = addr
                .parse()
                .map_err(|_| format!("{v:?} is not an IPv4 address"))?;
            match prefix {
                None | Some(32) => Ok(a.to_string()),
                Some(p) if p <= 32 => Ok(format!("{a}/{p}")),
                Some(p) => Err(format!("/{p} is not an IPv4 prefix length")),
            }
        }
        Kind::Ipv6 => {
            let (addr, prefix) = split_prefix(v)?;
            let a: std::net::Ipv6Addr = addr
                .parse()
                .map_err(|_| format!("{v:?} is not an IPv6 address"))?;
            match prefix {
                None | Some(128) => Ok(a.to_string()),
                Some(p) if p <= 128 => Ok(format!("{a}/{p}")),
                Some(p) => Err(format!("/{p} is not an IPv6 prefix length")),
            }
        }
        Kind::Domain => {
            let d = v.trim_end_matches('.').to_ascii_lowercase();
            let ok = !d.is_empty()
                && d.len() <= 253
                && d.split('.').all(|l| {
                    !l.is_empty()
                        && l.len() <= 63
                        && l.chars()
                            .all(|c| c.is_alphanumeric() || c == '-' || c == '_' || c == '*')
                });
            if ok {
                Ok(d)
            } else {
                Err(format!("{v:?} is not a domain name"))
            }
        }
        Kind::Url => {
            if v.chars().any(char::is_whitespace) {
                return Err(format!("{v:?} is not a URL (white space)"));
            }
            if v.contains("://") {
                Ok(v.to_owned())
            } else if v.contains('.') {
                // Block lists often leave the scheme out (`example.com/path`).
                Ok(format!("http://{v}"))
            } else {
                Err(format!("{v:?} is not a URL"))
            }
        }
        Kind::Md5 | Kind::Sha1 | Kind::Sha256 | Kind::Sha512 => {
            let want = match kind {
                Kind::Md5 => 32,
                Kind::Sha1 => 40,
                Kind::Sha256 => 64,
                _ => 128,
            };
            if v.len() == want && v.bytes().all(|b| b.is_ascii_hexdigit()) {
                Ok(v.to_ascii_lowercase())
            } else {
                Err(format!(
                    "{v:?} is not a {} hash ({want} hexadecimal digits)",
                    kind.hash_algo().unwrap_or("")
                ))
            }
        }
        Kind::Email => match v.split_once('@') {
            Some((local, domain))
                if !local.is_empty() && domain.contains('.') && !domain.contains('@') =>
            {
                Ok(format!("{local}@{}", domain.to_ascii_lowercase()))
            }
            _ => Err(format!("{v:?} is not an e-mail address")),
        },
        Kind::Asn => {
            let digits = v
                .strip_prefix("AS")
                .or_else(|| v.strip_prefix("as"))
                .unwrap_or(v)
                .trim();
            digits
                .parse::<u32>()
                .map(|n| n.to_string())
                .map_err(|_| format!("{v:?} is not an AS number"))
        }
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
    match kind {
        Kind::Ipv4 | Kind::Ipv6 if value.contains('/') => {
            format!("{}:value ISSUBSET {}", kind.sco_type(), quote(value))
        }
        Kind::Md5 | Kind::Sha1 | Kind::Sha256 | Kind::Sha512 => format!(
            "file:hashes.'{}' = {}",
            kind.hash_algo().unwrap_or("MD5"),
            quote(value)
        ),
        Kind::Asn => format!("autonomous-system:number = {value}"),
        _ => format!("{}:value = {}", kind.sco_type(), quote(value)),
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
        Kind::Md5 | Kind::Sha1 | Kind::Sha256 | Kind::Sha512 => {
            m.insert(
                "hashes".into(),
                json!({ kind.hash_algo().unwrap_or("MD5"): value }),
            );
        }
        Kind::Asn => {
            m.insert(
                "number".into(),
                json!(value.parse::<u64>().unwrap_or_default()),
            );
        }
        _ => {
            m.insert("value".into(), json!(value));
        }
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
