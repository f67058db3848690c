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
//! courses of action `misp-galaxy` tags. Notes that came from MISP event reports become
//! event reports again, and MISP proposals (notes and opinions with a `proposal` in the
//! MISP extension) shadow attributes of the attribute they are about.
//!
//! Relationships, as MISP users read them (see [`MispExporter::events`]):
//!
//! | STIX relationship | MISP |
//! |---|---|
//! | source a MISP object, target an attribute or object of the same event | `ObjectReference` of the source object (uuid and `relationship_type` kept), what every MISP version shows in its graph |
//! | source an attribute, target an attribute or object of the same event | an analyst-data `Relationship` of the attribute (MISP 2.4.184 and later, 2.5) |
//! | target a malware, threat actor, intrusion set, tool, attack pattern or course of action | the cluster's `misp-galaxy:` tag on the source attribute (MISP attaches clusters to attributes by tag); nothing more if an attribute of a source object already has it |
//! | anything else (an end outside the event, an end that is neither an attribute nor an object, a source object whose cluster no attribute carries) | one line in the event report "Relationships (Concord)", with MISP's `@[attribute](uuid)` / `@[object](uuid)` links where an end is in the event and the STIX id where it is not |
//!
//! A relationship belongs to the events that list it or hold its source.
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

/// What every event of an export looks up: sightings by the object sighted, relationships
/// by source.
struct Context<'a> {
    sightings: &'a HashMap<&'a str, Vec<&'a Value>>,
    by_source: &'a HashMap<&'a str, Vec<&'a str>>,
}

/// What a STIX object became in one event.
#[derive(Clone)]
enum Shape {
    /// These top-level attributes (indexes into the event's `Attribute`).
    Attributes(Vec<usize>),
    /// This MISP object (index into the event's `Object`).
    Object(usize),
}

/// The STIX types that become galaxy clusters (tags) in MISP.
fn is_cluster(ty: &str) -> bool {
    matches!(
        ty,
        "malware"
            | "threat-actor"
            | "intrusion-set"
            | "tool"
            | "attack-pattern"
            | "course-of-action"
    )
}

/// The `misp-galaxy:` tag of a cluster SDO.
fn cluster_tag(o: &Value) -> String {
    labels(o)
        .into_iter()
        .find(|l| l.starts_with("misp-galaxy:"))
        .unwrap_or_else(|| format!("misp-galaxy:{}=\"{}\"", s(o, "type"), s(o, "name")))
}

/// The proposal a note or opinion carries in the MISP extension, if any.
fn proposal_of(o: &Value) -> Option<&Value> {
    extension_of(o).and_then(|e| e.get("proposal"))
}

/// A proposal as a MISP shadow attribute.
fn shadow_attribute(o: &Value) -> Option<Value> {
    let p = proposal_of(o)?;
    let mut m = Map::new();
    for (from, to) in [
        ("attribute_uuid", "uuid"),
        ("type", "type"),
        ("category", "category"),
        ("value", "value"),
        ("to_ids", "to_ids"),
        ("proposal_to_delete", "proposal_to_delete"),
        ("comment", "comment"),
    ] {
        if let Some(v) = p.get(from) {
            m.insert(to.into(), v.clone());
        }
    }
    m.insert("timestamp".into(), json!(unix(s(o, "modified"))));
    if let Some(org) = p.get("org") {
        m.insert("Org".into(), json!({"name": org}));
    }
    Some(Value::Object(m))
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
        let mut by_source: HashMap<&str, Vec<&str>> = HashMap::new();
        for id in &self.order {
            let r = &self.objects[id];
            if s(r, "type") == "relationship" {
                by_source.entry(s(r, "source_ref")).or_default().push(id);
            }
        }
        let ctx = Context {
            sightings: &sightings,
            by_source: &by_source,
        };
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
            events.push(self.event(g, &refs, &ctx));
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
            events.push(self.event(&g, &rest, &ctx));
        }
        events
    }

    fn event(&self, g: &Value, refs: &[&str], ctx: &Context<'_>) -> Value {
        let sightings = ctx.sightings;
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
        let mut attributes: Vec<Value> = Vec::new();
        let mut objects: Vec<Value> = Vec::new();
        let mut reports: Vec<Value> = Vec::new();
        let mut proposals: Vec<&Value> = Vec::new();
        let mut shapes: HashMap<&str, Shape> = HashMap::new();
        for r in refs {
            let Some(o) = self.objects.get(*r) else {
                continue;
            };
            match s(o, "type") {
                ty if is_cluster(ty) => tags.push(cluster_tag(o)),
                "relationship" => {}
                "note" | "opinion" if proposal_of(o).is_some() => proposals.push(o),
                "note" if extension_of(o).is_some_and(|e| e.get("event_report").is_some()) => {
                    reports.push(event_report(o));
                }
                _ => {
                    let (attrs, obj) = self.convert(o, &event_markings, sightings);
                    if let Some(obj) = obj {
                        shapes.insert(s(o, "id"), Shape::Object(objects.len()));
                        objects.push(obj);
                    } else if !attrs.is_empty() {
                        let at = (attributes.len()..attributes.len() + attrs.len()).collect();
                        shapes.insert(s(o, "id"), Shape::Attributes(at));
                        attributes.extend(attrs);
                    }
                }
            }
        }
        let mut event_proposals = Vec::new();
        for p in proposals {
            let Some(shadow) = shadow_attribute(p) else {
                continue;
            };
            let uuid = shadow.get("uuid").and_then(Value::as_str).unwrap_or("");
            let holder = attributes.iter_mut().chain(
                objects
                    .iter_mut()
                    .flat_map(|o| o["Attribute"].as_array_mut().into_iter().flatten()),
            );
            match holder
                .into_iter()
                .find(|a| !uuid.is_empty() && s(a, "uuid") == uuid)
            {
                Some(a) => push_to(a, "ShadowAttribute", shadow),
                None => event_proposals.push(shadow),
            }
        }
        let lines = self.relationships(refs, ctx, &shapes, &mut attributes, &mut objects);
        if !lines.is_empty() {
            let mut content = String::from(
                "# Relationships\n\nRelationships between records of this event that MISP \
                 object references cannot hold (exported by Concord from STIX).\n\n",
            );
            for l in lines {
                content.push_str(&format!("- {l}\n"));
            }
            // This export's report replaces the one an earlier export wrote (imported
            // back as a note with the same uuid).
            let report_uuid = uuid_part(&stable_id("note", &["concord-relationships", &uuid]));
            reports.retain(|r| s(r, "uuid") != report_uuid);
            reports.push(json!({
                "uuid": report_uuid,
                "name": "Relationships (Concord)",
                "content": content,
                "distribution": "5",
                "timestamp": unix(modified),
            }));
        }
        ev.insert("Tag".into(), tag_list(&tags));
        ev.insert("Attribute".into(), Value::Array(attributes));
        ev.insert("Object".into(), Value::Array(objects));
        if !reports.is_empty() {
            ev.insert("EventReport".into(), Value::Array(reports));
        }
        if !event_proposals.is_empty() {
            ev.insert("ShadowAttribute".into(), Value::Array(event_proposals));
        }
        json!({"Event": ev})
    }

    /// Writes the relationships of one event into it (the mapping table above): object
    /// references, attribute relationships and cluster tags; returns the lines of the
    /// "Relationships" report for the rest.
    fn relationships(
        &self,
        refs: &[&str],
        ctx: &Context<'_>,
        shapes: &HashMap<&str, Shape>,
        attributes: &mut [Value],
        objects: &mut [Value],
    ) -> Vec<String> {
        // The relationships the event lists, and those from what it holds.
        let mut candidates: Vec<&str> = Vec::new();
        for r in refs {
            if self
                .objects
                .get(*r)
                .is_some_and(|o| s(o, "type") == "relationship")
            {
                candidates.push(r);
            }
            if shapes.contains_key(r) {
                candidates.extend(ctx.by_source.get(r).into_iter().flatten().copied());
            }
        }
        let mut done = HashSet::new();
        let mut lines = Vec::new();
        for id in candidates {
            if !done.insert(id) {
                continue;
            }
            let r = &self.objects[id];
            let (src, dst) = (s(r, "source_ref"), s(r, "target_ref"));
            let rel = s(r, "relationship_type");
            let uuid = uuid_part(id);
            let time = unix(s(r, "modified"));
            let comment = s(r, "description");
            let target = self.objects.get(dst);
            if let Some(t) = target.filter(|t| is_cluster(s(t, "type"))) {
                let tag = cluster_tag(t);
                match shapes.get(src) {
                    Some(Shape::Attributes(at)) => {
                        for &i in at {
                            add_tag(&mut attributes[i], &tag);
                        }
                        continue;
                    }
                    Some(Shape::Object(i))
                        if objects[*i]["Attribute"]
                            .as_array()
                            .into_iter()
                            .flatten()
                            .any(|a| has_tag(a, &tag)) =>
                    {
                        continue;
                    }
                    _ => {}
                }
            }
            let target_uuid = |shape: &Shape, atts: &[Value], objs: &[Value]| match shape {
                Shape::Attributes(at) => ("Attribute", s(&atts[at[0]], "uuid").to_owned()),
                Shape::Object(i) => ("Object", s(&objs[*i], "uuid").to_owned()),
            };
            match (shapes.get(src), shapes.get(dst)) {
                (Some(Shape::Object(i)), Some(t)) => {
                    let (_, referenced) = target_uuid(t, attributes, objects);
                    let object_uuid = s(&objects[*i], "uuid").to_owned();
                    let mut m = json!({"uuid": uuid, "object_uuid": object_uuid,
                        "referenced_uuid": referenced, "relationship_type": rel,
                        "timestamp": time});
                    if !comment.is_empty() {
                        m["comment"] = json!(comment);
                    }
                    push_to(&mut objects[*i], "ObjectReference", m);
                }
                (Some(Shape::Attributes(at)), Some(t)) => {
                    let (kind, related) = target_uuid(t, attributes, objects);
                    let mut m = json!({"uuid": uuid, "related_object_uuid": related,
                        "related_object_type": kind, "relationship_type": rel});
                    if !comment.is_empty() {
                        m["comment"] = json!(comment);
                    }
                    push_to(&mut attributes[at[0]], "Relationship", m);
                }
                (a, b) => {
                    let end = |shape: Option<&Shape>, id: &str| match shape {
                        Some(sh) => {
                            let (kind, u) = target_uuid(sh, attributes, objects);
                            format!("@[{}]({u})", kind.to_ascii_lowercase())
                        }
                        None => match self.objects.get(id) {
                            Some(o) if !s(o, "name").is_empty() => {
                                format!("{} \"{}\" (`{id}`)", s(o, "type"), s(o, "name"))
                            }
                            _ => format!("`{id}`"),
                        },
                    };
                    let mut line = format!("{} **{rel}** {}", end(a, src), end(b, dst));
                    if !comment.is_empty() {
                        line.push_str(&format!(": {comment}"));
                    }
                    lines.push(line);
                }
            }
        }
        lines
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

/// Appends `v` to the list `key` of a MISP record.
fn push_to(record: &mut Value, key: &str, v: Value) {
    match record.get_mut(key).and_then(Value::as_array_mut) {
        Some(l) => l.push(v),
        None => record[key] = json!([v]),
    }
}

fn has_tag(a: &Value, tag: &str) -> bool {
    a.get("Tag")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .any(|t| s(t, "name") == tag)
}

fn add_tag(a: &mut Value, tag: &str) {
    if !has_tag(a, tag) {
        push_to(a, "Tag", json!({"name": tag}));
    }
}

/// A note imported from a MISP event report, as an event report again.
fn event_report(o: &Value) -> Value {
    let uuid = extension_of(o)
        .and_then(|e| e.pointer("/event_report/uuid"))
        .and_then(Value::as_str)
        .map_or_else(|| uuid_part(s(o, "id")), str::to_owned);
    let name = match s(o, "abstract") {
        "" => "Report",
        n => n,
    };
    json!({"uuid": uuid, "name": name, "content": s(o, "content"), "distribution": "5",
        "timestamp": unix(s(o, "modified"))})
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
        Kind::Mac => "mac-address",
        Kind::X509Sha1 => "x509-fingerprint-sha1",
        Kind::X509Sha256 => "x509-fingerprint-sha256",
        Kind::FileName => "filename",
        // A kind added to the vocabulary later: MISP's free-text type until mapped.
        _ => "text",
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
