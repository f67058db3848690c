//! JSON-lines logs: Suricata EVE, Zeek (JSON writer), Elastic Common Schema.

use serde_json::Value;

use super::Line;
use super::time::json_time;
use crate::error::{LineError, LineErrorKind};
use crate::observation::{Flow, Kind, Observable, Observation};

/// Parses one JSON line with `extract`; blank lines give nothing.
pub(crate) fn record(
    (n, line): Line,
    extract: fn(&Value, &mut Observation),
) -> Option<Result<Observation, LineError>> {
    let line = match line {
        Ok(l) => l,
        Err(k) => return Some(Err(LineError::new(n, k))),
    };
    if line.trim().is_empty() {
        return None;
    }
    let v: Value = match serde_json::from_str(&line) {
        Ok(v @ Value::Object(_)) => v,
        Ok(_) => {
            return Some(Err(LineError::new(
                n,
                LineErrorKind::Json("not an object".into()),
            )));
        }
        Err(e) => return Some(Err(LineError::new(n, LineErrorKind::Json(e.to_string())))),
    };
    let mut obs = Observation {
        line: n,
        ..Observation::default()
    };
    extract(&v, &mut obs);
    Some(Ok(obs))
}

fn s<'a>(v: &'a Value, path: &[&str]) -> Option<&'a str> {
    get(v, path)?.as_str()
}

fn get<'a>(v: &'a Value, path: &[&str]) -> Option<&'a Value> {
    path.iter().try_fold(v, |v, k| v.get(k))
}

pub(crate) fn port(v: Option<&Value>) -> Option<u16> {
    v?.as_u64().and_then(|p| u16::try_from(p).ok())
}

pub(crate) fn push_ip(obs: &mut Observation, raw: Option<&str>) -> Option<String> {
    let ob = Observable::ip(raw?)?;
    let v = ob.value.clone();
    obs.observables.push(ob);
    Some(v)
}

pub(crate) fn push(obs: &mut Observation, kind: Kind, raw: Option<&str>) {
    if let Some(r) = raw {
        obs.push(kind, r);
    }
}

/// `http.hostname` + `http.url` (a path) into a URL, or the URL itself if absolute.
pub(crate) fn push_url(
    obs: &mut Observation,
    host: Option<&str>,
    path: Option<&str>,
    scheme: &str,
) {
    match (host, path) {
        (_, Some(p)) if p.contains("://") => push(obs, Kind::Url, Some(p)),
        (Some(h), Some(p)) => {
            let sep = if p.starts_with('/') { "" } else { "/" };
            push(obs, Kind::Url, Some(&format!("{scheme}://{h}{sep}{p}")));
        }
        _ => {}
    }
}

pub(crate) fn flow(
    obs: &mut Observation,
    src: Option<String>,
    dst: Option<String>,
    sp: Option<u16>,
    dp: Option<u16>,
    protos: &[Option<&str>],
) {
    if src.is_some() || dst.is_some() {
        obs.flow = Some(Box::new(Flow {
            src,
            dst,
            src_port: sp,
            dst_port: dp,
            protocols: protos
                .iter()
                .flatten()
                .map(|p| p.to_ascii_lowercase())
                .collect(),
        }));
    }
}

/// Suricata EVE.
pub(crate) fn eve(v: &Value, obs: &mut Observation) {
    obs.timestamp = json_time(v.get("timestamp"));
    let src = push_ip(obs, s(v, &["src_ip"]));
    let dst = push_ip(obs, s(v, &["dest_ip"]));
    let (sp, dp) = (port(v.get("src_port")), port(v.get("dest_port")));
    flow(
        obs,
        src,
        dst,
        sp,
        dp,
        &[s(v, &["proto"]), s(v, &["app_proto"])],
    );
    push(obs, Kind::Domain, s(v, &["dns", "rrname"]));
    for q in get(v, &["dns", "query"])
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        push(obs, Kind::Domain, s(q, &["rrname"]));
    }
    for a in get(v, &["dns", "answers"])
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        push(obs, Kind::Domain, s(a, &["rrname"]));
    }
    let host = s(v, &["http", "hostname"]);
    push(obs, Kind::Domain, host);
    let scheme = if dp == Some(443) { "https" } else { "http" };
    push_url(obs, host, s(v, &["http", "url"]), scheme);
    push(obs, Kind::Domain, s(v, &["tls", "sni"]));
    push(obs, Kind::X509Sha1, s(v, &["tls", "fingerprint"]));
    for k in ["md5", "sha1", "sha256"] {
        let kind = match k {
            "md5" => Kind::Md5,
            "sha1" => Kind::Sha1,
            _ => Kind::Sha256,
        };
        push(obs, kind, s(v, &["fileinfo", k]));
    }
    push(obs, Kind::FileName, s(v, &["fileinfo", "filename"]));
    push(obs, Kind::Email, s(v, &["email", "from"]));
    for key in ["to", "cc"] {
        for a in get(v, &["email", key])
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            push(obs, Kind::Email, a.as_str());
        }
    }
}

/// Zeek JSON (conn, dns, http, ssl, files, x509 logs).
pub(crate) fn zeek(v: &Value, obs: &mut Observation) {
    obs.timestamp = json_time(v.get("ts"));
    let src = push_ip(obs, s(v, &["id.orig_h"]));
    let dst = push_ip(obs, s(v, &["id.resp_h"]));
    let (sp, dp) = (port(v.get("id.orig_p")), port(v.get("id.resp_p")));
    flow(
        obs,
        src,
        dst,
        sp,
        dp,
        &[s(v, &["proto"]), s(v, &["service"])],
    );
    push(obs, Kind::Domain, s(v, &["query"]));
    let host = s(v, &["host"]);
    push(obs, Kind::Domain, host);
    push_url(obs, host, s(v, &["uri"]), "http");
    push(obs, Kind::Domain, s(v, &["server_name"]));
    push(obs, Kind::Md5, s(v, &["md5"]));
    push(obs, Kind::Sha1, s(v, &["sha1"]));
    push(obs, Kind::Sha256, s(v, &["sha256"]));
    push(obs, Kind::FileName, s(v, &["filename"]));
    for key in ["tx_hosts", "rx_hosts"] {
        for a in v.get(key).and_then(Value::as_array).into_iter().flatten() {
            push_ip(obs, a.as_str());
        }
    }
    push(obs, Kind::Email, s(v, &["mailfrom"]));
}

/// Elastic Common Schema, nested or with dotted keys.
pub(crate) fn ecs(v: &Value, obs: &mut Observation) {
    let f = |path: &[&str]| -> Option<&str> {
        s(v, path).or_else(|| v.get(path.join(".")).and_then(Value::as_str))
    };
    obs.timestamp = json_time(v.get("@timestamp"));
    let src = push_ip(obs, f(&["source", "ip"]));
    let dst = push_ip(obs, f(&["destination", "ip"]));
    let sp = port(get(v, &["source", "port"]).or_else(|| v.get("source.port")));
    let dp = port(get(v, &["destination", "port"]).or_else(|| v.get("destination.port")));
    flow(
        obs,
        src,
        dst,
        sp,
        dp,
        &[f(&["network", "transport"]), f(&["network", "protocol"])],
    );
    push(obs, Kind::Domain, f(&["dns", "question", "name"]));
    push(
        obs,
        Kind::Url,
        f(&["url", "full"]).or_else(|| f(&["url", "original"])),
    );
    push(obs, Kind::Domain, f(&["url", "domain"]));
    push(obs, Kind::Domain, f(&["destination", "domain"]));
    push(obs, Kind::Domain, f(&["tls", "client", "server_name"]));
    for (k, kind) in [
        ("md5", Kind::Md5),
        ("sha1", Kind::Sha1),
        ("sha256", Kind::Sha256),
        ("sha512", Kind::Sha512),
    ] {
        push(obs, kind, f(&["file", "hash", k]));
    }
    push(obs, Kind::FileName, f(&["file", "name"]));
    push(
        obs,
        Kind::Email,
        f(&["email", "from", "address"]).or_else(|| {
            get(v, &["email", "from", "address"])
                .and_then(|a| a.get(0))
                .and_then(Value::as_str)
        }),
    );
    for a in get(v, &["email", "to", "address"])
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        push(obs, Kind::Email, a.as_str());
    }
    push(
        obs,
        Kind::Asn,
        get(v, &["source", "as", "number"])
            .map(|n| n.to_string())
            .as_deref(),
    );
    push(
        obs,
        Kind::Asn,
        get(v, &["destination", "as", "number"])
            .map(|n| n.to_string())
            .as_deref(),
    );
    push(obs, Kind::Mac, f(&["source", "mac"]));
}
