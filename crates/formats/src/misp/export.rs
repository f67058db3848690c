//! STIX 2.1 to MISP JSON events (`{"Event": …}` documents that PyMISP's
//! `MISPEvent.load` accepts).
//!
//! A `grouping` or `report` becomes an event holding what it refers to; objects that no
//! grouping refers to go into one more event. Objects imported from MISP carry Concord's
//! MISP extension and are given back as they came (attribute type, category, value,
//! `to_ids`, object template); other indicators become one attribute per plain value of
//! their pattern (`to_ids` true, or a `stix2-pattern` attribute when the pattern is not
//! plain), observed data one attribute per SCO value (`to_ids` false), notes `text`
//! attributes, vulnerabilities `vulnerability` attributes, sightings attribute
//! sightings, and malware, threat actors, intrusion sets, tools, attack patterns and
//! courses of action `misp-galaxy` tags. Relationships are not exported.
//!
//! The exporter needs the objects an event refers to, so it holds the exported objects
//! in memory (unlike the flat exports, which stream).

use std::collections::{HashMap, HashSet};

use concord_stix::Tlp;
use concord_stix::concord_ext::{Distribution, Grading, Pap};
use serde_json::{Map, Value, json};

use super::extension_of;
use super::tags::{pap_tag, tlp_tag};
use crate::export::plain_values;
use crate::observable::Kind;
use crate::source::stable_id;

/// Builds MISP events from a set of STIX objects.
#[derive(Default)]
pub struct MispExporter {
    objects: HashMap<String, Value>,
    order: Vec<String>,
}

fn s<'a>(v: &'a Value, k: &str) -> &'a str {
    v.get(k).and_then(Value::as_str).unwrap_or("")
}

fn uuid_part(id: &str) -> String {
    id.split_once("--")
        .map(|(_, u)| u.to_owned())
        .unwrap_or_default()
}

fn unix(ts: &str) -> String {
    concord_stix::Timestamp::parse(ts)
        .map(|t| t.instant().timestamp().to_string())
        .unwrap_or_else(|_| "0".into())
}

fn labels(v: &Value) -> Vec<String> {
    v.get("labels")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .map(str::to_owned)
        .collect()
}

fn marking_tags(v: &Value) -> Vec<String> {
    let refs: Vec<&str> = v
        .get("object_marking_refs")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    let mut out = Vec::new();
    if let Some(t) = Tlp::strictest(refs.iter().copied()) {
        out.push(tlp_tag(t));
    }
    if let Some(p) = Pap::strictest(refs.iter().copied()) {
        out.push(pap_tag(p));
    }
    out
}

fn tag_list(names: &[String]) -> Value {
    let mut seen = HashSet::new();
    Value::Array(
        names
            .iter()
            .filter(|n| seen.insert(n.as_str()))
            .map(|n| json!({"name": n}))
            .collect(),
    )
}

/// MISP distribution of Concord's grading (the inverse of the import's mapping).
fn distribution(v: &Value) -> Option<String> {
    v.get("extensions")?
        .get(concord_stix::concord_ext::EXTENSION_ID)?;
    let g = Grading::of(v).ok()?;
    Some(
        match (g.distribution, g.hops) {
            (Distribution::Node, _) => "0",
            (Distribution::Peers, _) => "1",
            (Distribution::Federation, 1) => "2",
            (Distribution::Federation, _) => "3",
        }
        .into(),
    )
}

impl MispExporter {
    /// An empty exporter.
    pub fn new() -> Self {
        MispExporter::default()
    }

    /// Adds one STIX object.
    pub fn add(&mut self, v: Value) {
        let id = s(&v, "id").to_owned();
        if id.is_empty() {
            return;
        }
        if self.objects.insert(id.clone(), v).is_none() {
            self.order.push(id);
        }
    }

    /// The events, as `{"Event": …}` documents.
    pub fn events(&self) -> Vec<Value> {
        let mut used: HashSet<&str> = HashSet::new();
        let mut sightings: HashMap<&str, Vec<&Value>> = HashMap::new();
        for v in self.objects.values() {
            if s(v, "type") == "sighting" {
                sightings
                    .entry(s(v, "sighting_of_ref"))
                    .or_default()
                    .push(v);
            }
        }
        let mut events = Vec::new();
        for id in &self.order {
            let g = &self.objects[id];
            if !matches!(s(g, "type"), "grouping" | "report") {
                continue;
            }
            let refs: Vec<&str> = g
                .get("object_refs")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .collect();
            used.extend(refs.iter().copied());
            events.push(self.event(g, &refs, &sightings));
        }
        let rest: Vec<&str> = self
            .order
            .iter()
            .map(String::as_str)
            .filter(|id| !used.contains(id))
            .filter(|id| {
                matches!(
                    s(&self.objects[*id], "type"),
                    "indicator" | "observed-data" | "note" | "vulnerability"
                )
            })
            .collect();
        if !rest.is_empty() {
            let first = &self.objects[rest[0]];
            let now = s(first, "modified").to_owned();
            let g = json!({"type": "grouping", "id": stable_id("grouping", &["concord-export", rest[0]]),
                "name": "Concord export", "created": now, "modified": now});
            events.push(self.event(&g, &rest, &sightings));
        }
        events
    }

    fn event(&self, g: &Value, refs: &[&str], sightings: &HashMap<&str, Vec<&Value>>) -> Value {
        let ext = extension_of(g).and_then(|e| e.get("event"));
        let field = |k: &str| ext.and_then(|e| e.get(k)).cloned();
        let uuid = field("uuid")
            .and_then(|u| u.as_str().map(str::to_owned))
            .unwrap_or_else(|| uuid_part(s(g, "id")));
        let modified = s(g, "modified");
        let date = field("date")
            .and_then(|d| d.as_str().map(str::to_owned))
            .unwrap_or_else(|| s(g, "created").get(..10).unwrap_or("1970-01-01").to_owned());
        let mut tags = labels(g);
        tags.extend(marking_tags(g));
        let event_markings = marking_tags(g);
        let mut ev = Map::new();
        ev.insert("uuid".into(), json!(uuid));
        ev.insert("info".into(), json!(s(g, "name")));
        ev.insert("date".into(), json!(date));
        ev.insert("timestamp".into(), json!(unix(modified)));
        ev.insert(
            "threat_level_id".into(),
            field("threat_level_id").unwrap_or(json!("4")),
        );
        ev.insert("analysis".into(), field("analysis").unwrap_or(json!("0")));
        ev.insert(
            "published".into(),
            field("published").unwrap_or(json!(false)),
        );
        if let Some(d) = field("distribution").or_else(|| distribution(g).map(Value::from)) {
            ev.insert("distribution".into(), d);
        }
        if let Some(org) = self.objects.get(s(g, "created_by_ref")) {
            ev.insert(
                "Orgc".into(),
                json!({"name": s(org, "name"), "uuid": uuid_part(s(org, "id"))}),
            );
        }
        let mut attributes = Vec::new();
        let mut objects = Vec::new();
        for r in refs {
            let Some(o) = self.objects.get(*r) else {
                continue;
            };
            match s(o, "type") {
                "malware" | "threat-actor" | "intrusion-set" | "tool" | "attack-pattern"
                | "course-of-action" => {
                    let tag = labels(o)
                        .into_iter()
                        .find(|l| l.starts_with("misp-galaxy:"))
                        .unwrap_or_else(|| {
                            format!("misp-galaxy:{}=\"{}\"", s(o, "type"), s(o, "name"))
                        });
                    tags.push(tag);
                }
                _ => {
                    let (attrs, obj) = self.convert(o, &event_markings, sightings);
                    attributes.extend(attrs);
                    objects.extend(obj);
                }
            }
        }
        ev.insert("Tag".into(), tag_list(&tags));
        ev.insert("Attribute".into(), Value::Array(attributes));
        ev.insert("Object".into(), Value::Array(objects));
        json!({"Event": ev})
    }

    /// One STIX object to attributes, or to a MISP object.
    fn convert(
        &self,
        o: &Value,
        event_markings: &[String],
        sightings: &HashMap<&str, Vec<&Value>>,
    ) -> (Vec<Value>, Option<Value>) {
        let mut tags = labels(o);
        for t in marking_tags(o) {
            if !event_markings.contains(&t) {
                tags.push(t);
            }
        }
        let id = s(o, "id");
        let time = unix(s(o, "modified"));
        let comment = o.get("description").and_then(Value::as_str).unwrap_or("");
        let sight: Vec<Value> = sightings
            .get(id)
            .into_iter()
            .flatten()
            .map(|x| {
                json!({"uuid": uuid_part(s(x, "id")), "type": "0",
                    "date_sighting": unix(x.get("last_seen").or(x.get("first_seen"))
                        .and_then(Value::as_str).unwrap_or(s(x, "modified")))})
            })
            .collect();
        let ext = extension_of(o);
        if let Some(a) = ext.and_then(|e| e.get("attribute")) {
            let mut attr = a.as_object().cloned().unwrap_or_default();
            attr.insert("timestamp".into(), json!(time));
            if !comment.is_empty() {
                attr.insert("comment".into(), json!(comment));
            }
            attr.insert("Tag".into(), tag_list(&tags));
            if !sight.is_empty() {
                attr.insert("Sighting".into(), Value::Array(sight));
            }
            return (vec![Value::Object(attr)], None);
        }
        if let Some(meta) = ext.and_then(|e| e.get("object")) {
            let attrs: Vec<Value> = ext
                .and_then(|e| e.get("attributes"))
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .map(|a| {
                    let mut m = a.as_object().cloned().unwrap_or_default();
                    let t: Vec<String> = m
                        .remove("tags")
                        .and_then(|t| serde_json::from_value(t).ok())
                        .unwrap_or_default();
                    m.insert("timestamp".into(), json!(time));
                    m.insert("Tag".into(), tag_list(&t));
                    Value::Object(m)
                })
                .collect();
            let mut obj = json!({
                "uuid": meta.get("uuid").cloned().unwrap_or(json!(uuid_part(id))),
                "name": meta.get("name").cloned().unwrap_or(json!("object")),
                "meta-category": meta.get("meta_category").cloned().unwrap_or(json!("misc")),
                "timestamp": time,
                "Attribute": attrs,
            });
            if !comment.is_empty() {
                obj["comment"] = json!(comment);
            }
            return (Vec::new(), Some(obj));
        }
        let attr = |ty: &str, value: &str, to_ids: bool, uuid: String| {
            let mut m = json!({"uuid": uuid, "type": ty, "category": category(ty), "value": value,
                "to_ids": to_ids, "timestamp": time, "Tag": tag_list(&tags)});
            if !comment.is_empty() {
                m["comment"] = json!(comment);
            }
            if !sight.is_empty() {
                m["Sighting"] = Value::Array(sight.clone());
            }
            m
        };
        let mut out = Vec::new();
        match s(o, "type") {
            "indicator" => {
                let values = plain_values(o);
                let pattern_type = s(o, "pattern_type");
                if values.is_empty() || pattern_type != "stix" {
                    let ty = match pattern_type {
                        "yara" => "yara",
                        "snort" => "snort",
                        "sigma" => "sigma",
                        "suricata" => "suricata",
                        _ => "stix2-pattern",
                    };
                    out.push(attr(ty, s(o, "pattern"), true, uuid_part(id)));
                } else {
                    let single = values.len() == 1;
                    for pv in values {
                        let uuid = if single {
                            uuid_part(id)
                        } else {
                            uuid_part(&stable_id("attribute", &[id, &pv.value]))
                        };
                        let value = if pv.kind == Kind::Asn {
                            format!("AS{}", pv.value)
                        } else {
                            pv.value.clone()
                        };
                        out.push(attr(attribute_type(pv.kind), &value, true, uuid));
                    }
                }
            }
            "observed-data" => {
                for r in o
                    .get("object_refs")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_str)
                {
                    let Some(sco) = self.objects.get(r) else {
                        continue;
                    };
                    for (ty, value) in sco_values(sco) {
                        let uuid = uuid_part(&stable_id("attribute", &[id, r, &value]));
                        out.push(attr(ty, &value, false, uuid));
                    }
                }
            }
            "note" => out.push(attr("text", s(o, "content"), false, uuid_part(id))),
            "vulnerability" => out.push(attr("vulnerability", s(o, "name"), false, uuid_part(id))),
            _ => {}
        }
        (out, None)
    }
}

fn attribute_type(k: Kind) -> &'static str {
    match k {
        Kind::Ipv4 | Kind::Ipv6 => "ip-dst",
        Kind::Domain => "domain",
        Kind::Url => "url",
        Kind::Md5 => "md5",
        Kind::Sha1 => "sha1",
        Kind::Sha256 => "sha256",
        Kind::Sha512 => "sha512",
        Kind::Email => "email",
        Kind::Asn => "AS",
    }
}

/// MISP's default category of the types this exporter writes.
fn category(ty: &str) -> &'static str {
    match ty {
        "md5" | "sha1" | "sha256" | "sha512" | "filename" => "Payload delivery",
        "text" => "Other",
        "vulnerability" => "External analysis",
        "yara" | "snort" | "sigma" | "suricata" | "stix2-pattern" => "Network activity",
        "mutex" | "regkey" => "Artifacts dropped",
        _ => "Network activity",
    }
}

/// The (MISP type, value) pairs of an SCO.
fn sco_values(sco: &Value) -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    match s(sco, "type") {
        "ipv4-addr" | "ipv6-addr" => out.push(("ip-dst", s(sco, "value").to_owned())),
        "domain-name" => out.push(("domain", s(sco, "value").to_owned())),
        "url" => out.push(("url", s(sco, "value").to_owned())),
        "email-addr" => out.push(("email", s(sco, "value").to_owned())),
        "mutex" => out.push(("mutex", s(sco, "name").to_owned())),
        "windows-registry-key" => out.push(("regkey", s(sco, "key").to_owned())),
        "autonomous-system" => {
            if let Some(n) = sco.get("number").and_then(Value::as_u64) {
                out.push(("AS", format!("AS{n}")));
            }
        }
        "file" => {
            if let Some(n) = sco.get("name").and_then(Value::as_str) {
                out.push(("filename", n.to_owned()));
            }
            for (algo, ty) in [
                ("MD5", "md5"),
                ("SHA-1", "sha1"),
                ("SHA-256", "sha256"),
                ("SHA-512", "sha512"),
            ] {
                if let Some(h) = sco
                    .pointer(&format!("/hashes/{algo}"))
                    .and_then(Value::as_str)
                {
                    out.push((ty, h.to_owned()));
                }
            }
        }
        _ => {}
    }
    out.retain(|(_, v)| !v.is_empty());
    out
}
