//! STIX observed-data: a bundle, a JSON array of objects, one object, or one object per
//! line. Each `observed-data` becomes an [`Observation`] whose SCOs (from `object_refs`
//! resolved in the same input, or STIX 2.0 `objects`) are kept for the evaluator.

use std::collections::{BTreeMap, HashMap};
use std::io::BufRead;

use serde_json::Value;

use super::time::json_time;
use crate::error::{LineError, LineErrorKind};
use crate::observation::{Kind, Observable, Observation};

/// Inputs larger than this are refused (the whole document is held in memory).
pub const MAX_BYTES: u64 = 1 << 30;

/// Reads all observed-data; errors carry the line number (JSON lines) or the object's
/// position (documents).
pub(crate) fn read(input: impl BufRead) -> Vec<Result<Observation, LineError>> {
    let mut text = Vec::new();
    use std::io::Read;
    if let Err(e) = input.take(MAX_BYTES).read_to_end(&mut text) {
        return vec![Err(LineError::new(1, LineErrorKind::Io(e.to_string())))];
    }
    let objects: Vec<(u64, Result<Value, LineErrorKind>)> =
        match serde_json::from_slice::<Value>(&text) {
            Ok(Value::Array(items)) => items
                .into_iter()
                .zip(1..)
                .map(|(v, i)| (i, Ok(v)))
                .collect(),
            Ok(Value::Object(mut m)) if m.get("type").and_then(Value::as_str) == Some("bundle") => {
                match m.remove("objects") {
                    Some(Value::Array(items)) => items
                        .into_iter()
                        .zip(1..)
                        .map(|(v, i)| (i, Ok(v)))
                        .collect(),
                    _ => vec![(1, Err(LineErrorKind::Stix("bundle without objects".into())))],
                }
            }
            Ok(v @ Value::Object(_)) => vec![(1, Ok(v))],
            Ok(_) => vec![(
                1,
                Err(LineErrorKind::Stix(
                    "not a STIX object, array or bundle".into(),
                )),
            )],
            // Not one document: try one object per line.
            Err(_) => text
                .split(|&b| b == b'\n')
                .zip(1..)
                .filter(|(l, _)| !l.iter().all(u8::is_ascii_whitespace))
                .map(|(l, n)| {
                    (
                        n,
                        serde_json::from_slice(l).map_err(|e| LineErrorKind::Json(e.to_string())),
                    )
                })
                .collect(),
        };
    let by_id: HashMap<&str, &Value> = objects
        .iter()
        .filter_map(|(_, v)| v.as_ref().ok())
        .filter_map(|v| Some((v.get("id")?.as_str()?, v)))
        .collect();
    let mut out = Vec::new();
    for (n, v) in &objects {
        match v {
            Err(k) => out.push(Err(LineError::new(*n, k.clone()))),
            Ok(v) if v.get("type").and_then(Value::as_str) == Some("observed-data") => {
                out.push(
                    observed(*n, v, &by_id).map_err(|m| LineError::new(*n, LineErrorKind::Stix(m))),
                );
            }
            Ok(_) => {}
        }
    }
    out
}

fn observed(n: u64, od: &Value, by_id: &HashMap<&str, &Value>) -> Result<Observation, String> {
    let mut objects = BTreeMap::new();
    if let Some(refs) = od.get("object_refs").and_then(Value::as_array) {
        for r in refs.iter().filter_map(Value::as_str) {
            match by_id.get(r) {
                Some(o) => {
                    objects.insert(r.to_string(), (*o).clone());
                }
                None => return Err(format!("object_refs: {r} is not in the input")),
            }
        }
    } else if let Some(Value::Object(m)) = od.get("objects") {
        objects.extend(m.iter().map(|(k, v)| (k.clone(), v.clone())));
    } else {
        return Err("observed-data without object_refs or objects".into());
    }
    let mut obs = Observation {
        line: n,
        timestamp: json_time(od.get("last_observed"))
            .or_else(|| json_time(od.get("first_observed"))),
        ..Observation::default()
    };
    for o in objects.values() {
        sco_observables(o, &mut obs.observables);
    }
    obs.objects = Some(Box::new(objects));
    Ok(obs)
}

fn sco_observables(o: &Value, out: &mut Vec<Observable>) {
    let s = |k: &str| o.get(k).and_then(Value::as_str);
    let ty = o.get("type").and_then(Value::as_str).unwrap_or("");
    let mut add = |kind, raw: Option<&str>| out.extend(raw.and_then(|r| Observable::new(kind, r)));
    match ty {
        "ipv4-addr" => add(Kind::Ipv4, s("value")),
        "ipv6-addr" => add(Kind::Ipv6, s("value")),
        "domain-name" => add(Kind::Domain, s("value")),
        "url" => add(Kind::Url, s("value")),
        "email-addr" => add(Kind::Email, s("value")),
        "mac-addr" => add(Kind::Mac, s("value")),
        "autonomous-system" => {
            let n = o.get("number").map(Value::to_string);
            add(Kind::Asn, n.as_deref());
        }
        "file" | "artifact" | "x509-certificate" => {
            if ty == "file" {
                add(Kind::FileName, s("name"));
            }
            for (algo, h) in o
                .get("hashes")
                .and_then(Value::as_object)
                .into_iter()
                .flatten()
            {
                let kind = match (ty, algo.to_ascii_uppercase().replace('-', "").as_str()) {
                    ("x509-certificate", "SHA1") => Kind::X509Sha1,
                    ("x509-certificate", "SHA256") => Kind::X509Sha256,
                    ("x509-certificate", _) => continue,
                    (_, "MD5") => Kind::Md5,
                    (_, "SHA1") => Kind::Sha1,
                    (_, "SHA256") => Kind::Sha256,
                    (_, "SHA512") => Kind::Sha512,
                    _ => continue,
                };
                add(kind, h.as_str());
            }
        }
        _ => {}
    }
}
