//! Suricata EVE, fast path: each line is deserialised into borrowed structs holding only
//! the fields [`super::json::eve`] reads. A line those structs do not describe (a field of
//! another JSON type, a duplicate key, invalid JSON, not an object) goes through the
//! `serde_json::Value` path instead, so observations and errors are the same as there.

use std::borrow::Cow;
use std::fmt;

use serde::Deserialize;
use serde::de::{self, Deserializer, Visitor};

use super::Line;
use super::json::{self, flow, push, push_ip, push_url};
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

#[derive(Deserialize)]
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

#[derive(Deserialize)]
struct Rr<'a> {
    #[serde(borrow)]
    rrname: Option<Str<'a>>,
}

#[derive(Deserialize)]
struct Dns<'a> {
    #[serde(borrow)]
    rrname: Option<Str<'a>>,
    #[serde(borrow)]
    query: Option<Vec<Rr<'a>>>,
    #[serde(borrow)]
    answers: Option<Vec<Rr<'a>>>,
}

#[derive(Deserialize)]
struct Http<'a> {
    #[serde(borrow)]
    hostname: Option<Str<'a>>,
    #[serde(borrow)]
    url: Option<Str<'a>>,
}

#[derive(Deserialize)]
struct Tls<'a> {
    #[serde(borrow)]
    sni: Option<Str<'a>>,
    #[serde(borrow)]
    fingerprint: Option<Str<'a>>,
}

#[derive(Deserialize)]
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

#[derive(Deserialize)]
struct Email<'a> {
    #[serde(borrow)]
    from: Option<Str<'a>>,
    #[serde(borrow)]
    to: Option<Vec<Str<'a>>>,
    #[serde(borrow)]
    cc: Option<Vec<Str<'a>>>,
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
    let Ok(e) = serde_json::from_str::<Eve<'_>>(text) else {
        return json::record((n, line), json::eve);
    };
    let mut obs = Observation {
        line: n,
        ..Observation::default()
    };
    fill(&e, &mut obs);
    Some(Ok(obs))
}

/// What [`json::eve`] does, on the borrowed structs.
fn fill(e: &Eve<'_>, obs: &mut Observation) {
    obs.timestamp = match &e.timestamp {
        Some(Ts::Str(t)) => parse_time(&t.0),
        Some(Ts::Num(n)) => super::time::json_time(Some(&serde_json::Value::Number(n.clone()))),
        None => None,
    };
    let src = push_ip(obs, s(e.src_ip.as_ref()));
    let dst = push_ip(obs, s(e.dest_ip.as_ref()));
    let port = |p: Option<u64>| p.and_then(|p| u16::try_from(p).ok());
    let (sp, dp) = (port(e.src_port), port(e.dest_port));
    flow(
        obs,
        src,
        dst,
        sp,
        dp,
        &[s(e.proto.as_ref()), s(e.app_proto.as_ref())],
    );
    if let Some(dns) = &e.dns {
        push(obs, Kind::Domain, s(dns.rrname.as_ref()));
        for q in dns.query.iter().flatten() {
            push(obs, Kind::Domain, s(q.rrname.as_ref()));
        }
        for a in dns.answers.iter().flatten() {
            push(obs, Kind::Domain, s(a.rrname.as_ref()));
        }
    }
    let host = e.http.as_ref().and_then(|h| s(h.hostname.as_ref()));
    let url = e.http.as_ref().and_then(|h| s(h.url.as_ref()));
    push(obs, Kind::Domain, host);
    let scheme = if dp == Some(443) { "https" } else { "http" };
    push_url(obs, host, url, scheme);
    if let Some(tls) = &e.tls {
        push(obs, Kind::Domain, s(tls.sni.as_ref()));
        push(obs, Kind::X509Sha1, s(tls.fingerprint.as_ref()));
    }
    if let Some(f) = &e.fileinfo {
        push(obs, Kind::Md5, s(f.md5.as_ref()));
        push(obs, Kind::Sha1, s(f.sha1.as_ref()));
        push(obs, Kind::Sha256, s(f.sha256.as_ref()));
        push(obs, Kind::FileName, s(f.filename.as_ref()));
    }
    if let Some(m) = &e.email {
        push(obs, Kind::Email, s(m.from.as_ref()));
        for a in m.to.iter().chain(m.cc.iter()).flatten() {
            push(obs, Kind::Email, Some(&a.0));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The fast path gives what the `Value` path gives, line by line.
    #[test]
    fn same_as_value_path() {
        let lines = [
            r#"{"timestamp":"2024-03-01T10:00:00.123456+0100","event_type":"dns","src_ip":"10.0.0.5","src_port":5353,"dest_ip":"8.8.8.8","dest_port":53,"proto":"UDP","dns":{"type":"query","rrname":"Evil.Example.","query":[{"rrname":"x.example"}],"answers":[{"rrname":"y.example","rdata":"1.2.3.4"}]}}"#,
            r#"{"timestamp":1700000000.5,"src_ip":"2001:db8::1","dest_ip":"10.0.0.1","dest_port":443,"app_proto":"TLS","http":{"hostname":"a.example","url":"\/x?y=1"},"tls":{"sni":"c2.example","fingerprint":"DA:39:A3:EE:5E:6B:4B:0D:32:55:BF:EF:95:60:18:90:AF:D8:07:09"}}"#,
            r#"{"timestamp":17,"fileinfo":{"filename":"a\u0041.exe","md5":"d41d8cd98f00b204e9800998ecf8427e","sha1":"da39a3ee5e6b4b0d3255bfef95601890afd80709"},"email":{"from":"Bob <bob@example.org>","to":["a@example.org",5],"cc":["c@example.org"]}}"#,
            r#"{"email":{"to":["a@example.org"],"cc":["c@example.org"]},"src_port":-1,"dest_port":70000}"#,
            r#"{"src_ip":5,"dest_ip":null,"dns":"x","http":{"hostname":"h.example","url":"http://other.example/p"}}"#,
            r#"{"src_ip":"1.1.1.1","src_ip":"2.2.2.2","dns":{"query":[null,{"rrname":"q.example"}]}}"#,
            r#"{"timestamp":"bad","src_port":1.5,"tls":{"sni":["x"]}}"#,
            r#"[1,2]"#,
            r#"{"oops"#,
            "  ",
            "",
        ];
        for (i, l) in lines.iter().enumerate() {
            let n = i as u64 + 1;
            let fast = record((n, Ok((*l).to_string())));
            let slow = json::record((n, Ok((*l).to_string())), json::eve);
            assert_eq!(fast, slow, "line {l}");
        }
    }
}
