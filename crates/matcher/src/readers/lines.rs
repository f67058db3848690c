//! One observable per line; the kind is detected from the value's shape.

use super::Line;
use super::refill::Refill;
use super::refill::{AT, DOT, LETTER, NOT_ASCII, NOT_HEX, SEPARATOR, UPPER, ascii_domain, classes};
use crate::error::{LineError, LineErrorKind};
use crate::normalize;
use crate::observation::{Kind, Observable, Observation};

/// The observable a bare value is: IP address or CIDR, URL (has `://`), e-mail (has `@`),
/// hash (hex of 32, 40, 64 or 128 digits), MAC address, AS number (`AS` + digits), or
/// domain name (has a dot). `None` for anything else.
pub fn detect(value: &str) -> Option<Observable> {
    let v = value.trim();
    if v.is_empty() {
        return None;
    }
    // Every address or block has a dot or a colon: hashes and words skip the parsers.
    if v.contains(['.', ':'])
        && let Some(ob) = Observable::ip(v)
    {
        return Some(ob);
    }
    if v.contains("://") {
        return Observable::new(Kind::Url, v);
    }
    if v.contains('@') {
        return Observable::new(Kind::Email, v);
    }
    if v.bytes().all(|b| b.is_ascii_hexdigit()) {
        let kind = match v.len() {
            32 => Kind::Md5,
            40 => Kind::Sha1,
            64 => Kind::Sha256,
            128 => Kind::Sha512,
            _ => return None,
        };
        return Observable::new(kind, v);
    }
    if v.len() == 17 && v.matches([':', '-']).count() == 5 {
        return Observable::new(Kind::Mac, v);
    }
    if (v.starts_with("AS") || v.starts_with("as")) && v[2..].bytes().all(|b| b.is_ascii_digit()) {
        return Observable::new(Kind::Asn, v);
    }
    if v.contains('.') {
        return Observable::new(Kind::Domain, v);
    }
    None
}

/// What a bare value (trimmed, not blank, not a comment) is, as [`detect`] reads it, told
/// apart without copying it where it is already in canonical form: a plain IPv4 address,
/// a digest in lower-case hex, a URL or e-mail address in canonical form, an ASCII domain
/// name (canonical once lower-cased); anything else is [`detect`]'s. `None` where `detect`
/// gives none.
pub(crate) fn shape(v: &str) -> Option<Shape<'_>> {
    if normalize::ipv4(v).is_some() {
        return Some(Shape::Same(Kind::Ipv4, v));
    }
    let kind = match v.len() {
        32 => Kind::Md5,
        40 => Kind::Sha1,
        64 => Kind::Sha256,
        128 => Kind::Sha512,
        _ => Kind::Domain,
    };
    // One branch-free pass tells every shape below apart.
    let b = v.as_bytes();
    let class = classes(b);
    if kind != Kind::Domain && class & NOT_HEX == 0 {
        return Some(Shape::Same(kind, v));
    }
    // An ASCII name with a dot and a letter, and no colon, slash or `@`: no address, URL,
    // e-mail, digest or AS number looks so, so `detect` would make it a domain (a 17-byte
    // value with five hyphens it would try as a MAC address first).
    if class & (DOT | LETTER | SEPARATOR | AT | NOT_ASCII) == DOT | LETTER
        && !(b.len() == 17 && b.iter().filter(|&&c| c == b'-').count() == 5)
    {
        let d = ascii_domain(v)?;
        return Some(if class & UPPER == 0 {
            Shape::Same(Kind::Domain, d)
        } else {
            Shape::Lower(d)
        });
    }
    // With `://` no address parses (its first `/` is followed by another), so `detect`
    // makes it a URL; without a colon or slash but with an `@`, an e-mail address. In
    // canonical form already, either is the text itself.
    if class & NOT_ASCII == 0
        && class & SEPARATOR != 0
        && v.contains("://")
        && normalize::url_is_canonical(v)
    {
        return Some(Shape::Same(Kind::Url, v));
    }
    if class & (SEPARATOR | AT) == AT && normalize::email_is_canonical(v) {
        return Some(Shape::Same(Kind::Email, v));
    }
    detect(v).map(Shape::New)
}

/// A bare value's observable, by [`shape`].
#[derive(Debug)]
pub(crate) enum Shape<'a> {
    /// Of this kind, canonical as it is.
    Same(Kind, &'a str),
    /// An ASCII domain name, canonical once lower-cased.
    Lower(&'a str),
    /// Normalised into a new observable.
    New(Observable),
}

/// One line; blank lines and `#` comments give nothing.
pub(crate) fn record((n, line): Line) -> Option<Result<Observation, LineError>> {
    let line = match line {
        Ok(l) => l,
        Err(k) => return Some(Err(LineError::new(n, k))),
    };
    let mut obs = Observation::default();
    record_into(n, &line, &mut obs).map(|r| r.map(|()| obs))
}

/// [`record`] into a reused observation (cleared first when the line is one).
pub(crate) fn record_into(
    n: u64,
    line: &str,
    obs: &mut Observation,
) -> Option<Result<(), LineError>> {
    let t = line.trim();
    if t.is_empty() || t.starts_with('#') {
        return None;
    }
    let mut r = Refill::new(obs);
    let found = r.detect(t);
    r.finish();
    Some(if found {
        obs.line = n;
        obs.timestamp = None;
        obs.flow = None;
        obs.objects = None;
        Ok(())
    } else {
        Err(unrecognised(n, t))
    })
}

/// The error of line `n`, whose value `t` is none of the kinds.
pub(crate) fn unrecognised(n: u64, t: &str) -> LineError {
    let shown: String = t.chars().take(80).collect();
    LineError::new(n, LineErrorKind::Unrecognised(shown))
}
