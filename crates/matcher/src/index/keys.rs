//! From a pattern comparison (`path op literal`) to the index key it is stored under, and
//! the canonical rewrite of literals so that the evaluator sees what the readers produce.

use std::net::IpAddr;

use concord_pattern::{Literal, ObjectPath, PathStep};

#[cfg(doc)]
use super::flat::digest_place;
use crate::normalize;
use crate::observation::Kind;

/// Which string table a string key lives in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub(crate) enum StrTag {
    /// A domain, exactly.
    Domain = 1,
    /// A domain's strict subdomains (`%.example.com`).
    DomainSuffix = 2,
    Email = 3,
    Url = 4,
    FileName = 5,
}

/// An index key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Key {
    /// A hash: family 0 is `file`/`artifact`, 1 is `x509-certificate`; bytes inline (no
    /// allocation per key while an index is built).
    Hash(u8, HashBytes),
    /// One address.
    Ip(IpAddr),
    /// A CIDR block shorter than the full length, host bits cleared.
    Net(IpAddr, u8),
    /// A string key.
    Str(StrTag, String),
    /// A MAC address.
    Mac([u8; 6]),
    /// An autonomous system number.
    Asn(u32),
}

/// The kind of value a path holds, if the index knows the path.
pub(crate) fn path_kind(path: &ObjectPath) -> Option<Kind> {
    let keys: Vec<&str> = path
        .steps
        .iter()
        .map(|s| match s {
            PathStep::Key(k) => Some(k.as_str()),
            _ => None,
        })
        .collect::<Option<_>>()?;
    Kind::of_path(&path.object_type, &keys)
}

/// Hash bytes of one of the four lengths, on the stack.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum HashBytes {
    H16([u8; 16]),
    H20([u8; 20]),
    H32([u8; 32]),
    H64([u8; 64]),
}

/// A lookup key borrowing the observable's value: no allocation per lookup.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LookupKey<'a> {
    /// A digest (family as in [`Key::Hash`]) as text of 32, 40, 64 or 128 bytes, hex of
    /// either case if it is to match: placed by the hash of the text ([`digest_place`]),
    /// decoded only when compared with a stored digest.
    Hash(u8, &'a str),
    Ip(IpAddr),
    Net(IpAddr, u8),
    Str(StrTag, &'a str),
    Mac([u8; 6]),
    Asn(u32),
}

impl LookupKey<'_> {
    /// The stored form; `None` for a digest that is not hex throughout.
    fn to_key(self) -> Option<Key> {
        Some(match self {
            LookupKey::Hash(f, hex) => Key::Hash(f, digest_bytes(hex)?),
            LookupKey::Ip(ip) => Key::Ip(ip),
            LookupKey::Net(ip, len) => Key::Net(ip, len),
            LookupKey::Str(t, s) => Key::Str(t, s.to_string()),
            LookupKey::Mac(m) => Key::Mac(m),
            LookupKey::Asn(n) => Key::Asn(n),
        })
    }
}

/// A digest in hex (32, 40, 64 or 128 digits, either case) as bytes.
pub(crate) fn digest_bytes(hex: &str) -> Option<HashBytes> {
    Some(match hex.len() {
        32 => HashBytes::H16(normalize::hex_array(hex)?),
        40 => HashBytes::H20(normalize::hex_array(hex)?),
        64 => HashBytes::H32(normalize::hex_array(hex)?),
        128 => HashBytes::H64(normalize::hex_array(hex)?),
        _ => return None,
    })
}

/// The key for a canonical observable value of `kind` (the value as
/// [`crate::Observable::new`] makes it).
pub(crate) fn key_of(kind: Kind, value: &str) -> Option<Key> {
    lookup_key(kind, value)?.to_key()
}

/// [`key_of`] without allocating.
#[inline]
pub(crate) fn lookup_key(kind: Kind, value: &str) -> Option<LookupKey<'_>> {
    Some(match kind {
        // The commonest key: a plain IPv4 address, read without trimming or splitting.
        Kind::Ipv4 if let Some(v4) = normalize::ipv4(value) => LookupKey::Ip(IpAddr::V4(v4)),
        Kind::Ipv4 | Kind::Ipv6 => {
            let (ip, len) = normalize::ip_net(value)?;
            if (kind == Kind::Ipv4) != ip.is_ipv4() {
                return None;
            }
            match net_key(ip, len) {
                Key::Ip(ip) => LookupKey::Ip(ip),
                Key::Net(ip, len) => LookupKey::Net(ip, len),
                _ => return None,
            }
        }
        Kind::Domain => LookupKey::Str(StrTag::Domain, value),
        Kind::Url => LookupKey::Str(StrTag::Url, value),
        Kind::Email => LookupKey::Str(StrTag::Email, value),
        Kind::FileName => LookupKey::Str(StrTag::FileName, value),
        Kind::Mac => {
            let mut digits = [0u8; 12];
            let mut n = 0;
            for b in value.bytes().filter(|&b| b != b':') {
                *digits.get_mut(n)? = b;
                n += 1;
            }
            LookupKey::Mac(normalize::hex_array(
                std::str::from_utf8(&digits[..n]).ok()?,
            )?)
        }
        Kind::Asn => LookupKey::Asn(value.parse().ok()?),
        hash => {
            let family = u8::from(matches!(hash, Kind::X509Sha1 | Kind::X509Sha256));
            if Some(value.len()) != hash.hash_len().map(|n| 2 * n) {
                return None;
            }
            LookupKey::Hash(family, value)
        }
    })
}

/// An address (full length) or a block, host bits cleared.
pub(crate) fn net_key(ip: IpAddr, len: u8) -> Key {
    match ip {
        IpAddr::V4(v) if len >= 32 => Key::Ip(IpAddr::V4(v)),
        IpAddr::V6(v) if len >= 128 => Key::Ip(IpAddr::V6(v)),
        IpAddr::V4(v) => {
            let mask = u32::MAX.checked_shl(32 - u32::from(len)).unwrap_or(0);
            Key::Net(IpAddr::V4((u32::from(v) & mask).into()), len)
        }
        IpAddr::V6(v) => {
            let mask = u128::MAX.checked_shl(128 - u32::from(len)).unwrap_or(0);
            Key::Net(IpAddr::V6((u128::from(v) & mask).into()), len)
        }
    }
}

/// The canonical form of a literal compared with a path of `kind`, as the readers would
/// produce it; `None` if the literal can never equal such a value.
pub(crate) fn canonical(kind: Kind, lit: &Literal) -> Option<String> {
    match (kind, lit) {
        (Kind::Asn, Literal::Int(n)) => u32::try_from(*n).ok().map(|n| n.to_string()),
        (Kind::Asn, _) | (_, Literal::Int(_)) => None,
        (_, Literal::Str(s)) => crate::Observable::new(kind, s).map(|o| o.value),
        _ => None,
    }
}

/// The keys of a `path = lit` / `path IN (..lit..)` comparison (one), or of
/// `path ISSUBSET lit` when `subset`.
pub(crate) fn comparison_key(path: &ObjectPath, lit: &Literal, subset: bool) -> Option<Key> {
    let kind = path_kind(path)?;
    if subset {
        let Literal::Str(s) = lit else { return None };
        if !matches!(kind, Kind::Ipv4 | Kind::Ipv6) {
            return None;
        }
        let (ip, len) = normalize::ip_net(s)?;
        return Some(net_key(ip, len));
    }
    key_of(kind, &canonical(kind, lit)?)
}

/// `'%.example.com'` (one leading `%.`, no other wildcard): the parent domain.
pub(crate) fn like_suffix(pattern: &str) -> Option<String> {
    let rest = pattern.strip_prefix("%.")?;
    if rest.contains(['%', '_']) {
        return None;
    }
    normalize::domain(rest).filter(|d| d == rest)
}
