//! Observable values (IP, domain, URL, hash, e-mail address, ...): their [`Kind`]s, the
//! one normalisation per kind ([`Kind::normalise`], forms in [`normal`]), and the values
//! an SCO carries, normalised so that equal values compare equal. They feed the
//! correlation index; the matcher and the feed converters use the same kinds and forms,
//! so correlation and matching agree on whether two values are equal.
//!
//! An indicator's observables come from its pattern, which the `pattern` crate reads;
//! `store` combines the two.
//!
//! ```
//! use concord_stix::observable::{Kind, normalise};
//!
//! let url = Kind::Url.normalise("HTTP://Example.COM:80/%7euser").unwrap();
//! assert_eq!(url, "http://example.com/~user");
//! // Correlation names kinds as it stores them; the form is the same.
//! assert_eq!(normalise("url", "http://example.com/~user").unwrap(), url);
//! ```

pub mod normal;

use serde_json::{Map, Value};

/// The kind of an observable value: what the matcher indexes, what a plain feed carries
/// and what correlation compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Kind {
    /// An IPv4 address or CIDR block (`ipv4-addr:value`).
    Ipv4,
    /// An IPv6 address or CIDR block (`ipv6-addr:value`).
    Ipv6,
    /// A domain name (`domain-name:value`).
    Domain,
    /// A URL (`url:value`).
    Url,
    /// An e-mail address (`email-addr:value`).
    Email,
    /// A file's MD5 (`file:hashes.MD5`, `artifact:hashes.MD5`).
    Md5,
    /// A file's SHA-1.
    Sha1,
    /// A file's SHA-256.
    Sha256,
    /// A file's SHA-512.
    Sha512,
    /// A certificate's SHA-1 fingerprint (`x509-certificate:hashes.'SHA-1'`).
    X509Sha1,
    /// A certificate's SHA-256 fingerprint.
    X509Sha256,
    /// A MAC address (`mac-addr:value`).
    Mac,
    /// An autonomous system number (`autonomous-system:number`; `AS64496` or `64496`).
    Asn,
    /// A file name (`file:name`).
    FileName,
}

/// Every kind.
pub const KINDS: &[Kind] = &[
    Kind::Ipv4,
    Kind::Ipv6,
    Kind::Domain,
    Kind::Url,
    Kind::Email,
    Kind::Md5,
    Kind::Sha1,
    Kind::Sha256,
    Kind::Sha512,
    Kind::X509Sha1,
    Kind::X509Sha256,
    Kind::Mac,
    Kind::Asn,
    Kind::FileName,
];

impl Kind {
    /// The long name, as `--observable` options and feed presets write it (`ipv4-addr`,
    /// `file-sha256`, `autonomous-system`, ...).
    pub fn name(self) -> &'static str {
        match self {
            Kind::Ipv4 => "ipv4-addr",
            Kind::Ipv6 => "ipv6-addr",
            Kind::Domain => "domain-name",
            Kind::Url => "url",
            Kind::Email => "email-addr",
            Kind::Md5 => "file-md5",
            Kind::Sha1 => "file-sha1",
            Kind::Sha256 => "file-sha256",
            Kind::Sha512 => "file-sha512",
            Kind::X509Sha1 => "x509-sha1",
            Kind::X509Sha256 => "x509-sha256",
            Kind::Mac => "mac-addr",
            Kind::Asn => "autonomous-system",
            Kind::FileName => "file-name",
        }
    }

    /// The short name, as CSV column maps and match reports write it (`ipv4`, `sha256`,
    /// `x509-sha1`, ...).
    pub fn short_name(self) -> &'static str {
        match self {
            Kind::Ipv4 => "ipv4",
            Kind::Ipv6 => "ipv6",
            Kind::Domain => "domain",
            Kind::Url => "url",
            Kind::Email => "email",
            Kind::Md5 => "md5",
            Kind::Sha1 => "sha1",
            Kind::Sha256 => "sha256",
            Kind::Sha512 => "sha512",
            Kind::X509Sha1 => "x509-sha1",
            Kind::X509Sha256 => "x509-sha256",
            Kind::Mac => "mac",
            Kind::Asn => "asn",
            Kind::FileName => "file-name",
        }
    }

    /// The kind named `name`: a [`Kind::name`], a [`Kind::short_name`], or one of `ip`
    /// (either address family, resolved per value by [`Kind::for_value`]), `hostname`,
    /// `as`.
    pub fn from_name(name: &str) -> Option<Kind> {
        KINDS
            .iter()
            .copied()
            .find(|k| k.name() == name || k.short_name() == name)
            .or(match name {
                "ip" => Some(Kind::Ipv4),
                "hostname" => Some(Kind::Domain),
                "as" => Some(Kind::Asn),
                _ => None,
            })
    }

    /// The kind of value an object path holds, given as the object type and the path's
    /// keys (`("ipv4-addr", ["value"])`, `("file", ["hashes", "SHA-256"])`); `None` for a
    /// path that holds no plain observable value.
    pub fn of_path(object_type: &str, keys: &[&str]) -> Option<Kind> {
        match (object_type, keys) {
            ("ipv4-addr", ["value"]) => Some(Kind::Ipv4),
            ("ipv6-addr", ["value"]) => Some(Kind::Ipv6),
            ("domain-name", ["value"]) => Some(Kind::Domain),
            ("url", ["value"]) => Some(Kind::Url),
            ("email-addr", ["value"]) => Some(Kind::Email),
            ("mac-addr", ["value"]) => Some(Kind::Mac),
            ("autonomous-system", ["number"]) => Some(Kind::Asn),
            ("file", ["name"]) => Some(Kind::FileName),
            ("file" | "artifact", ["hashes", algo]) => Kind::of_hash_algo(algo),
            ("x509-certificate", ["hashes", algo]) => match Kind::of_hash_algo(algo)? {
                Kind::Sha1 => Some(Kind::X509Sha1),
                Kind::Sha256 => Some(Kind::X509Sha256),
                _ => None,
            },
            _ => None,
        }
    }

    /// The file hash kind of an algorithm name, in any case, with or without the hyphen
    /// (`MD5`, `SHA-1`, `sha256`, `SHA-512`); `None` for other algorithms.
    pub fn of_hash_algo(algo: &str) -> Option<Kind> {
        match algo.to_ascii_uppercase().replace('-', "").as_str() {
            "MD5" => Some(Kind::Md5),
            "SHA1" => Some(Kind::Sha1),
            "SHA256" => Some(Kind::Sha256),
            "SHA512" => Some(Kind::Sha512),
            _ => None,
        }
    }

    /// The STIX SCO type of this kind.
    pub fn sco_type(self) -> &'static str {
        match self {
            Kind::Ipv4 => "ipv4-addr",
            Kind::Ipv6 => "ipv6-addr",
            Kind::Domain => "domain-name",
            Kind::Url => "url",
            Kind::Email => "email-addr",
            Kind::Md5 | Kind::Sha1 | Kind::Sha256 | Kind::Sha512 | Kind::FileName => "file",
            Kind::X509Sha1 | Kind::X509Sha256 => "x509-certificate",
            Kind::Mac => "mac-addr",
            Kind::Asn => "autonomous-system",
        }
    }

    /// The STIX hash algorithm name of a hash kind (`MD5`, `SHA-1`, `SHA-256`, `SHA-512`).
    pub fn hash_algo(self) -> Option<&'static str> {
        match self {
            Kind::Md5 => Some("MD5"),
            Kind::Sha1 | Kind::X509Sha1 => Some("SHA-1"),
            Kind::Sha256 | Kind::X509Sha256 => Some("SHA-256"),
            Kind::Sha512 => Some("SHA-512"),
            _ => None,
        }
    }

    /// The hash length in bytes of a hash kind.
    pub fn hash_len(self) -> Option<usize> {
        match self {
            Kind::Md5 => Some(16),
            Kind::Sha1 | Kind::X509Sha1 => Some(20),
            Kind::Sha256 | Kind::X509Sha256 => Some(32),
            Kind::Sha512 => Some(64),
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

    /// The kind as the correlation index names it ([`Observable::kind`]): the SCO type
    /// for values, `hash:ALGO` for hashes (file and certificate hashes correlate with
    /// each other), `None` for kinds it does not correlate on (AS numbers, file names).
    pub fn correlation_kind(self) -> Option<&'static str> {
        match self {
            Kind::Ipv4 | Kind::Ipv6 | Kind::Domain | Kind::Url | Kind::Email | Kind::Mac => {
                Some(self.sco_type())
            }
            Kind::Md5 => Some("hash:MD5"),
            Kind::Sha1 | Kind::X509Sha1 => Some("hash:SHA-1"),
            Kind::Sha256 | Kind::X509Sha256 => Some("hash:SHA-256"),
            Kind::Sha512 => Some("hash:SHA-512"),
            Kind::Asn | Kind::FileName => None,
        }
    }

    /// The one normalisation of a value of this kind, `None` if `raw` is not one (an IP
    /// that does not parse or is of the other family, a hash of the wrong length): what
    /// correlation, the matcher (indicator and log side) and the feed converters compare.
    /// The forms are in [`normal`].
    pub fn normalise(self, raw: &str) -> Option<String> {
        match self {
            Kind::Ipv4 => normal::ip_text(raw).filter(|v| !v.contains(':')),
            Kind::Ipv6 => normal::ip_text(raw).filter(|v| v.contains(':')),
            Kind::Domain => normal::domain(raw),
            Kind::Url => normal::url(raw),
            Kind::Email => normal::email(raw),
            Kind::Mac => normal::mac(raw),
            Kind::Asn => normal::asn(raw).map(|n| n.to_string()),
            Kind::FileName => (!raw.is_empty()).then(|| raw.to_owned()),
            hash => {
                normal::hex_hash(raw).filter(|h| Some(h.len()) == hash.hash_len().map(|n| 2 * n))
            }
        }
    }
}

/// One normalised observable value.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub struct Observable {
    /// `ipv4-addr`, `ipv6-addr`, `domain-name`, `url`, `email-addr`, `mac-addr`, or
    /// `hash:ALGO` (e.g. `hash:SHA-256`).
    pub kind: String,
    /// The normalised value.
    pub value: String,
}

/// Normalises a value of a correlation kind ([`Observable::kind`]); `None` if it is not
/// a value of that kind. The kinds of [`Kind::correlation_kind`] take
/// [`Kind::normalise`]; a hash of another algorithm (`hash:SSDEEP`, `hash:SHA3-256`, ...)
/// is trimmed and lower-cased.
pub fn normalise(kind: &str, raw: &str) -> Option<String> {
    if let Some(k) = KINDS.iter().copied().find(|k| {
        !matches!(k, Kind::X509Sha1 | Kind::X509Sha256) && k.correlation_kind() == Some(kind)
    }) {
        return k.normalise(raw);
    }
    let raw = raw.trim();
    (kind.starts_with("hash:") && !raw.is_empty()).then(|| raw.to_ascii_lowercase())
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
    fn names_read_back() {
        for &k in KINDS {
            assert_eq!(Kind::from_name(k.name()), Some(k));
            assert_eq!(Kind::from_name(k.short_name()), Some(k));
        }
        assert_eq!(Kind::from_name("ip"), Some(Kind::Ipv4));
        assert_eq!(Kind::from_name("nope"), None);
        for &k in KINDS {
            let keys: Vec<&str> = match (k, k.hash_algo()) {
                (Kind::Asn, _) => vec!["number"],
                (Kind::FileName, _) => vec!["name"],
                (_, Some(algo)) => vec!["hashes", algo],
                _ => vec!["value"],
            };
            assert_eq!(Kind::of_path(k.sco_type(), &keys), Some(k), "{k:?}");
        }
        assert_eq!(
            Kind::of_path("file", &["hashes", "sha256"]),
            Some(Kind::Sha256)
        );
        assert_eq!(Kind::of_path("file", &["hashes", "SSDEEP"]), None);
        assert_eq!(Kind::of_path("x509-certificate", &["hashes", "MD5"]), None);
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
            Some("https://User@host.example/Path")
        );
        assert_eq!(
            normalise("hash:SHA-256", &"AB".repeat(32)),
            Some("ab".repeat(32))
        );
        assert_eq!(normalise("hash:SHA-256", "abc"), None);
        assert_eq!(
            normalise("hash:SSDEEP", " 3:AB:C ").as_deref(),
            Some("3:ab:c")
        );
        assert_eq!(
            normalise("mac-addr", "AA-BB-CC-DD-EE-FF").as_deref(),
            Some("aa:bb:cc:dd:ee:ff")
        );
        assert_eq!(normalise("autonomous-system", "AS1"), None);
    }
}
