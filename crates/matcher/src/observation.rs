//! What the readers produce and the matcher consumes: an [`Observation`] (one log line or
//! one observed-data) holding typed, normalised [`Observable`]s.

use std::collections::BTreeMap;

use concord_pattern::Timestamp;
use serde_json::{Map, Value, json};

/// The kind of an observable value: `concord-stix`'s, so that matching and correlation
/// share one vocabulary and one normalisation per kind ([`Kind::normalise`]).
pub use concord_stix::observable::Kind;

/// One typed value seen in a log, in canonical form ([`Kind::normalise`]).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Observable {
    /// What the value is.
    pub kind: Kind,
    /// The canonical value.
    pub value: String,
}

impl Observable {
    /// Normalises `raw` as a `kind` ([`Kind::normalise`], the normalisation correlation
    /// applies too); `None` if it is not a valid value of that kind (an IP that does not
    /// parse, a hash of the wrong length).
    pub fn new(kind: Kind, raw: &str) -> Option<Observable> {
        let value = kind.normalise(raw)?;
        Some(Observable { kind, value })
    }

    /// An IP observable of the right family (IPv4 or IPv6) for `raw`.
    pub fn ip(raw: &str) -> Option<Observable> {
        Observable::new(Kind::Ipv4, raw).or_else(|| Observable::new(Kind::Ipv6, raw))
    }
}

/// Source and destination of a connection, when the log says.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Flow {
    /// Source address (canonical).
    pub src: Option<String>,
    /// Destination address (canonical).
    pub dst: Option<String>,
    /// Source port.
    pub src_port: Option<u16>,
    /// Destination port.
    pub dst_port: Option<u16>,
    /// Protocols, lower-case (`tcp`, `dns`).
    pub protocols: Vec<String>,
}

/// One observation: a log line or one STIX observed-data.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Observation {
    /// 1-based line number (for STIX input: the position of the observed-data, from 1).
    pub line: u64,
    /// When it was seen, if the input says.
    pub timestamp: Option<Timestamp>,
    /// The observables, normalised.
    pub observables: Vec<Observable>,
    /// The connection, for `network-traffic` patterns. Boxed, as `objects` is: an
    /// observation then takes 72 bytes, not 152 (test `an_observation_takes_72_bytes`),
    /// and a batch of them walked by [`crate::Matcher::match_batch`] reads about half
    /// the memory.
    pub flow: Option<Box<Flow>>,
    /// The SCOs as given, by id, for STIX input (then used as is by the evaluator).
    pub objects: Option<Box<BTreeMap<String, Value>>>,
}

impl Observation {
    /// Adds an observable if `raw` is a valid `kind`; returns whether it was added.
    pub fn push(&mut self, kind: Kind, raw: &str) -> bool {
        Observable::new(kind, raw)
            .map(|o| self.observables.push(o))
            .is_some()
    }

    /// The observation as an observed-data for [`concord_pattern::eval`]: the given SCOs
    /// for STIX input, otherwise one SCO per observable (all file hashes and the file name
    /// in one `file`), plus a `network-traffic` for the flow. Without a timestamp, `at` is
    /// used.
    pub fn to_eval(&self, at: Timestamp) -> concord_pattern::eval::Observation {
        let t = self.timestamp.unwrap_or(at);
        let mut o = concord_pattern::eval::Observation::new(t, t, 1);
        if let Some(objects) = &self.objects {
            o.objects = (**objects).clone();
            return o;
        }
        // Several hashes of one algorithm (or several names) mean several files.
        let mut files: Vec<(Map<String, Value>, Map<String, Value>)> = Vec::new();
        let mut cert = Map::new();
        let mut ip_ids: BTreeMap<&str, String> = BTreeMap::new();
        for (i, ob) in self.observables.iter().enumerate() {
            let v = &ob.value;
            let (ty, body) = match ob.kind {
                Kind::Ipv4 => ("ipv4-addr", json!({ "value": v })),
                Kind::Ipv6 => ("ipv6-addr", json!({ "value": v })),
                Kind::Domain => ("domain-name", json!({ "value": v })),
                Kind::Url => ("url", json!({ "value": v })),
                Kind::Email => ("email-addr", json!({ "value": v })),
                Kind::Mac => ("mac-addr", json!({ "value": v })),
                Kind::Asn => (
                    "autonomous-system",
                    json!({ "number": v.parse::<u64>().unwrap_or(0) }),
                ),
                Kind::FileName => {
                    match files.iter_mut().find(|f| !f.0.contains_key("name")) {
                        Some(f) => f.0.insert("name".into(), json!(v)),
                        None => {
                            files.push((Map::from_iter([("name".into(), json!(v))]), Map::new()));
                            None
                        }
                    };
                    continue;
                }
                Kind::X509Sha1 | Kind::X509Sha256 => {
                    cert.insert(algo(ob.kind).into(), json!(v));
                    continue;
                }
                _ => {
                    let a = algo(ob.kind);
                    match files.iter_mut().find(|f| !f.1.contains_key(a)) {
                        Some(f) => f.1.insert(a.into(), json!(v)),
                        None => {
                            files.push((Map::new(), Map::from_iter([(a.into(), json!(v))])));
                            None
                        }
                    };
                    continue;
                }
            };
            let id = format!("{ty}--{i}");
            if matches!(ob.kind, Kind::Ipv4 | Kind::Ipv6) {
                ip_ids.insert(v, id.clone());
            }
            let mut body = body;
            body["type"] = json!(ty);
            o.objects.insert(id, body);
        }
        for (i, (mut file, hashes)) in files.into_iter().enumerate() {
            if !hashes.is_empty() {
                file.insert("hashes".into(), Value::Object(hashes));
            }
            file.insert("type".into(), json!("file"));
            o.objects.insert(format!("file--f{i}"), Value::Object(file));
        }
        if !cert.is_empty() {
            o.objects.insert(
                "x509-certificate--0".into(),
                json!({"type": "x509-certificate", "hashes": cert}),
            );
        }
        if let Some(f) = &self.flow {
            let mut nt = json!({ "type": "network-traffic", "protocols": f.protocols });
            let refs = [("src_ref", &f.src), ("dst_ref", &f.dst)];
            for (key, addr) in refs {
                if let Some(id) = addr.as_deref().and_then(|a| ip_ids.get(a)) {
                    nt[key] = json!(id);
                }
            }
            if let Some(p) = f.src_port {
                nt["src_port"] = json!(p);
            }
            if let Some(p) = f.dst_port {
                nt["dst_port"] = json!(p);
            }
            o.objects.insert("network-traffic--0".into(), nt);
        }
        o
    }
}

/// The STIX hash algorithm name of a hash kind.
pub(crate) fn algo(kind: Kind) -> &'static str {
    match kind {
        Kind::Md5 => "MD5",
        Kind::Sha1 | Kind::X509Sha1 => "SHA-1",
        Kind::Sha512 => "SHA-512",
        _ => "SHA-256",
    }
}

#[cfg(test)]
mod size {
    /// The flow and the STIX objects are boxed: an observation takes 72 bytes (152 with
    /// them inline), and a batch walked by `match_batch` reads little more than the line
    /// holding each observable list.
    #[test]
    fn an_observation_takes_72_bytes() {
        assert!(std::mem::size_of::<super::Observation>() <= 72);
    }
}
