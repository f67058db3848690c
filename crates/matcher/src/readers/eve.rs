//! Suricata EVE, fast path: each line is deserialised into borrowed structs holding only
//! the fields [`super::json::eve`] reads. A line those structs do not describe (a field of
//! another JSON type, a duplicate key, invalid JSON, not an object) goes through the
//! `serde_json::Value` path instead, so observations and errors are the same as there.

use std::borrow::Cow;
use std::fmt;

use serde::Deserialize;
use serde::de::{self, Deserializer, Visitor};

use super::Line;
use super::json;
use super::refill::Refill;
use super::scan::{Next, Scanner};
use super::time::parse_time;
use crate::error::LineError;
use crate::observation::{Kind, Observation};

/// A JSON string, borrowed from the line unless it had escapes.
struct Str<'a>(Cow<'a, str>);

impl<'de: 'a, 'a> Deserialize<'de> for Str<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Str<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Str<'de>, E> {
                Ok(Str(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Str<'de>, E> {
                Ok(Str(Cow::Owned(v.to_string())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Str<'de>, E> {
                Ok(Str(Cow::Owned(v)))
            }
        }
        d.deserialize_str(V)
    }
}

/// A timestamp as JSON gives it: a string or a number (anything else: the slow path).
enum Ts<'a> {
    Str(Str<'a>),
    Num(serde_json::Number),
}

impl<'de: 'a, 'a> Deserialize<'de> for Ts<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Ts<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string or a number")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Ts<'de>, E> {
                Ok(Ts::Str(Str(Cow::Borrowed(v))))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Ts<'de>, E> {
                Ok(Ts::Str(Str(Cow::Owned(v.to_string()))))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Ts<'de>, E> {
                Ok(Ts::Str(Str(Cow::Owned(v))))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Ts<'de>, E> {
                Ok(Ts::Num(v.into()))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Ts<'de>, E> {
                Ok(Ts::Num(v.into()))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Ts<'de>, E> {
                serde_json::Number::from_f64(v)
                    .map(Ts::Num)
                    .ok_or_else(|| E::custom("not finite"))
            }
        }
        d.deserialize_any(V)
    }
}

#[derive(Deserialize, Default)]
struct Eve<'a> {
    #[serde(borrow)]
    timestamp: Option<Ts<'a>>,
    #[serde(borrow)]
    src_ip: Option<Str<'a>>,
    #[serde(borrow)]
    dest_ip: Option<Str<'a>>,
    src_port: Option<u64>,
    dest_port: Option<u64>,
    #[serde(borrow)]
    proto: Option<Str<'a>>,
    #[serde(borrow)]
    app_proto: Option<Str<'a>>,
    #[serde(borrow)]
    dns: Option<Dns<'a>>,
    #[serde(borrow)]
    http: Option<Http<'a>>,
    #[serde(borrow)]
    tls: Option<Tls<'a>>,
    #[serde(borrow)]
    fileinfo: Option<FileInfo<'a>>,
    #[serde(borrow)]
    email: Option<Email<'a>>,
}

#[derive(Deserialize, Default)]
struct Rr<'a> {
    #[serde(borrow)]
    rrname: Option<Str<'a>>,
}

#[derive(Deserialize, Default)]
struct Dns<'a> {
    #[serde(borrow)]
    rrname: Option<Str<'a>>,
    #[serde(borrow)]
    query: Option<Vec<Rr<'a>>>,
    #[serde(borrow)]
    answers: Option<Vec<Rr<'a>>>,
}

#[derive(Deserialize, Default)]
struct Http<'a> {
    #[serde(borrow)]
    hostname: Option<Str<'a>>,
    #[serde(borrow)]
    url: Option<Str<'a>>,
}

#[derive(Deserialize, Default)]
struct Tls<'a> {
    #[serde(borrow)]
    sni: Option<Str<'a>>,
    #[serde(borrow)]
    fingerprint: Option<Str<'a>>,
}

#[derive(Deserialize, Default)]
struct FileInfo<'a> {
    #[serde(borrow)]
    md5: Option<Str<'a>>,
    #[serde(borrow)]
    sha1: Option<Str<'a>>,
    #[serde(borrow)]
    sha256: Option<Str<'a>>,
    #[serde(borrow)]
    filename: Option<Str<'a>>,
}

#[derive(Deserialize, Default)]
struct Email<'a> {
    #[serde(borrow)]
    from: Option<Str<'a>>,
    #[serde(borrow)]
    to: Option<Vec<Str<'a>>>,
    #[serde(borrow)]
    cc: Option<Vec<Str<'a>>>,
}

/// Reads a line into the borrowed structs with [`Scanner`], as `serde_json` would fill
/// them; `None` when the scanner is not sure (then `serde_json` reads the line, and what
/// `e` holds is not to be used). A field given twice, or of another JSON type than the
/// struct's, is `None` too (serde's derive rejects both, and the `Value` path decides).
/// `e` is filled in place, not returned: the structs take about 500 bytes, and each move
/// of them is a copy.
fn scan<'a>(text: &'a str, e: &mut Eve<'a>) -> Option<()> {
    let mut sc = Scanner::new(text);
    let mut seen = 0u32;
    sc.object(|sc, key| {
        let bit = match key {
            "timestamp" => 1,
            "src_ip" => 2,
            "dest_ip" => 4,
            "src_port" => 8,
            "dest_port" => 16,
            "proto" => 32,
            "app_proto" => 64,
            "dns" => 128,
            "http" => 256,
            "tls" => 512,
            "fileinfo" => 1024,
            "email" => 2048,
            _ => return sc.skip(),
        };
        once(&mut seen, bit)?;
        // On the bit: the key's text is compared once.
        match bit {
            1 => e.timestamp = opt(sc, |sc| Some(Ts::Str(Str(sc.string()?))))?,
            2 => e.src_ip = opt_str(sc)?,
            4 => e.dest_ip = opt_str(sc)?,
            8 => e.src_port = opt(sc, Scanner::uint)?,
            16 => e.dest_port = opt(sc, Scanner::uint)?,
            32 => e.proto = opt_str(sc)?,
            64 => e.app_proto = opt_str(sc)?,
            128 => e.dns = opt(sc, scan_dns)?,
            256 => {
                e.http = opt(sc, |sc| {
                    let mut h = Http::default();
                    fields(sc, &mut |sc, k| match k {
                        "hostname" => {
                            h.hostname = opt_str(sc)?;
                            Some(1)
                        }
                        "url" => {
                            h.url = opt_str(sc)?;
                            Some(2)
                        }
                        _ => Some(0),
                    })?;
                    Some(h)
                })?;
            }
            512 => {
                e.tls = opt(sc, |sc| {
                    let mut t = Tls::default();
                    fields(sc, &mut |sc, k| match k {
                        "sni" => {
                            t.sni = opt_str(sc)?;
                            Some(1)
                        }
                        "fingerprint" => {
                            t.fingerprint = opt_str(sc)?;
                            Some(2)
                        }
                        _ => Some(0),
                    })?;
                    Some(t)
                })?;
            }
            1024 => {
                e.fileinfo = opt(sc, |sc| {
                    let mut f = FileInfo::default();
                    fields(sc, &mut |sc, k| match k {
                        "md5" => {
                            f.md5 = opt_str(sc)?;
                            Some(1)
                        }
                        "sha1" => {
                            f.sha1 = opt_str(sc)?;
                            Some(2)
                        }
                        "sha256" => {
                            f.sha256 = opt_str(sc)?;
                            Some(4)
                        }
                        "filename" => {
                            f.filename = opt_str(sc)?;
                            Some(8)
                        }
                        _ => Some(0),
                    })?;
                    Some(f)
                })?;
            }
            _ => e.email = opt(sc, scan_email)?,
        }
        Some(())
    })?;
    sc.at_end().then_some(())
}

/// Marks `bit` seen; `None` if it was already (a duplicate field).
fn once(seen: &mut u32, bit: u32) -> Option<()> {
    (*seen & bit == 0).then(|| *seen |= bit)
}

/// A value that may be `null` (then `Some(None)`), else read by `f`.
fn opt<'a, T>(
    sc: &mut Scanner<'a>,
    f: impl FnOnce(&mut Scanner<'a>) -> Option<T>,
) -> Option<Option<T>> {
    if sc.next_is() == Next::Null {
        sc.null()?;
        return Some(None);
    }
    f(sc).map(Some)
}

fn opt_str<'a>(sc: &mut Scanner<'a>) -> Option<Option<Str<'a>>> {
    opt(sc, |sc| sc.string().map(Str))
}

/// The keys of a nested object: `read` takes the value of a known key and gives its bit
/// (0 for an unknown key, which is then skipped; `None` gives up).
fn fields<'a>(
    sc: &mut Scanner<'a>,
    read: &mut dyn FnMut(&mut Scanner<'a>, &str) -> Option<u32>,
) -> Option<()> {
    let mut seen = 0;
    sc.object(|sc, k| match read(sc, k)? {
        0 => sc.skip(),
        bit => once(&mut seen, bit),
    })
}

fn scan_dns<'a>(sc: &mut Scanner<'a>) -> Option<Dns<'a>> {
    let mut d = Dns::default();
    let mut seen = 0;
    sc.object(|sc, k| {
        match k {
            "rrname" => {
                once(&mut seen, 1)?;
                d.rrname = opt_str(sc)?;
            }
            "query" => {
                once(&mut seen, 2)?;
                d.query = opt(sc, rrs)?;
            }
            "answers" => {
                once(&mut seen, 4)?;
                d.answers = opt(sc, rrs)?;
            }
            _ => sc.skip()?,
        }
        Some(())
    })?;
    Some(d)
}

/// A list of objects with an optional `rrname`.
fn rrs<'a>(sc: &mut Scanner<'a>) -> Option<Vec<Rr<'a>>> {
    let mut out = Vec::new();
    sc.array(|sc| {
        let mut rr = Rr::default();
        let mut seen = 0;
        sc.object(|sc, k| {
            if k == "rrname" {
                once(&mut seen, 1)?;
                rr.rrname = opt_str(sc)?;
                Some(())
            } else {
                sc.skip()
            }
        })?;
        out.push(rr);
        Some(())
    })?;
    Some(out)
}

fn scan_email<'a>(sc: &mut Scanner<'a>) -> Option<Email<'a>> {
    let mut m = Email::default();
    let mut seen = 0;
    let strs = |sc: &mut Scanner<'a>| {
        let mut out = Vec::new();
        sc.array(|sc| {
            out.push(Str(sc.string()?));
            Some(())
        })?;
        Some(out)
    };
    sc.object(|sc, k| {
        match k {
            "from" => {
                once(&mut seen, 1)?;
                m.from = opt_str(sc)?;
            }
            "to" => {
                once(&mut seen, 2)?;
                m.to = opt(sc, strs)?;
            }
            "cc" => {
                once(&mut seen, 4)?;
                m.cc = opt(sc, strs)?;
            }
            _ => sc.skip()?,
        }
        Some(())
    })?;
    Some(m)
}

fn s<'b>(v: Option<&'b Str<'_>>) -> Option<&'b str> {
    v.map(|s| &*s.0)
}

/// One EVE line; blank lines give nothing.
pub(crate) fn record((n, line): Line) -> Option<Result<Observation, LineError>> {
    let text = match &line {
        Ok(l) => l.as_str(),
        Err(_) => return json::record((n, line), json::eve),
    };
    if text.trim().is_empty() {
        return None;
    }
    let mut e = Eve::default();
    if scan(text, &mut e).is_none() {
        e = match serde_json::from_str::<Eve<'_>>(text) {
            Ok(e) => e,
            Err(_) => return json::record((n, line), json::eve),
        };
    }
    let mut obs = Observation {
        line: n,
        ..Observation::default()
    };
    fill(&e, &mut obs);
    Some(Ok(obs))
}

/// One EVE line into `obs` (refilled): the scanner's reading if it is sure, else
/// [`record`]'s. Blank lines give nothing.
pub(crate) fn record_into(
    n: u64,
    line: &str,
    obs: &mut Observation,
) -> Option<Result<(), LineError>> {
    if let Some(r) = scan_into(n, line, obs) {
        return r;
    }
    match record((n, Ok(line.to_owned())))? {
        Ok(o) => {
            *obs = o;
            Some(Ok(()))
        }
        Err(e) => Some(Err(e)),
    }
}

/// [`record_into`] by the scanner alone: `None` if it gave up.
pub(crate) fn scan_into(
    n: u64,
    line: &str,
    obs: &mut Observation,
) -> Option<Option<Result<(), LineError>>> {
    if line.trim().is_empty() {
        return Some(None);
    }
    let mut e = Eve::default();
    scan(line, &mut e)?;
    obs.line = n;
    obs.timestamp = None;
    obs.objects = None;
    fill(&e, obs);
    Some(Some(Ok(())))
}

/// What [`json::eve`] does, on the borrowed structs; the observation's observables and
/// flow are refilled in place (see [`Refill`]).
fn fill(e: &Eve<'_>, obs: &mut Observation) {
    obs.timestamp = match &e.timestamp {
        Some(Ts::Str(t)) => parse_time(&t.0),
        Some(Ts::Num(n)) => super::time::json_time(Some(&serde_json::Value::Number(n.clone()))),
        None => None,
    };
    let mut r = Refill::new(obs);
    let src = r.push_ip(s(e.src_ip.as_ref()));
    let dst = r.push_ip(s(e.dest_ip.as_ref()));
    let port = |p: Option<u64>| p.and_then(|p| u16::try_from(p).ok());
    let (sp, dp) = (port(e.src_port), port(e.dest_port));
    r.flow(
        src,
        dst,
        (sp, dp),
        &[s(e.proto.as_ref()), s(e.app_proto.as_ref())],
    );
    if let Some(dns) = &e.dns {
        r.push(Kind::Domain, s(dns.rrname.as_ref()));
        for q in dns.query.iter().flatten() {
            r.push(Kind::Domain, s(q.rrname.as_ref()));
        }
        for a in dns.answers.iter().flatten() {
            r.push(Kind::Domain, s(a.rrname.as_ref()));
        }
    }
    let host = e.http.as_ref().and_then(|h| s(h.hostname.as_ref()));
    let url = e.http.as_ref().and_then(|h| s(h.url.as_ref()));
    r.push(Kind::Domain, host);
    let scheme = if dp == Some(443) { "https" } else { "http" };
    // As `json::push_url`: an absolute URL as is, else the host and the path joined.
    match (host, url) {
        (_, Some(p)) if p.contains("://") => r.push(Kind::Url, Some(p)),
        (Some(h), Some(p)) => {
            let sep = if p.starts_with('/') { "" } else { "/" };
            r.push_url_parts(&[scheme, "://", h, sep, p]);
        }
        _ => {}
    }
    if let Some(tls) = &e.tls {
        r.push(Kind::Domain, s(tls.sni.as_ref()));
        r.push(Kind::X509Sha1, s(tls.fingerprint.as_ref()));
    }
    if let Some(f) = &e.fileinfo {
        r.push(Kind::Md5, s(f.md5.as_ref()));
        r.push(Kind::Sha1, s(f.sha1.as_ref()));
        r.push(Kind::Sha256, s(f.sha256.as_ref()));
        r.push(Kind::FileName, s(f.filename.as_ref()));
    }
    if let Some(m) = &e.email {
        r.push(Kind::Email, s(m.from.as_ref()));
        for a in m.to.iter().chain(m.cc.iter()).flatten() {
            r.push(Kind::Email, Some(&a.0));
        }
    }
    r.finish();
}

#[cfg(test)]
#[path = "eve_tests.rs"]
mod tests;
