//! One observable per line; the kind is detected from the value's shape.

use super::Line;
use super::refill::Refill;
use crate::error::{LineError, LineErrorKind};
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
        let shown: String = t.chars().take(80).collect();
        Err(LineError::new(n, LineErrorKind::Unrecognised(shown)))
    })
}
