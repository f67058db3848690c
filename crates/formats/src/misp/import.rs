//! MISP JSON events to STIX 2.1 (the mapping table is in the crate documentation).
//!
//! Input shapes: `{"response": [{"Event": …}, …]}` (the REST API), `{"Event": …}` (feed
//! event files), a bare event object, or an array of any of these. A `response` list or a
//! top-level array is streamed event by event, so memory grows with the largest event,
//! not with the file. A record that cannot be converted is an error naming its JSON path
//! (`$.response[0].Event.Attribute[3].type`); the rest of the event goes on.

use std::collections::{HashMap, HashSet};

use concord_stix::Tlp;
use concord_stix::concord_ext::{Distribution, Grading, Pap};
use foldhash::fast::RandomState;
use serde_json::{Map, Value, json};

use super::pattern::{build_pattern, may_not_parse};
use super::tags::{self, Tags};
use super::types::{self, Observed};
use super::{EXTENSION_ID, extension_definition};
use crate::error::{FormatError, Item};
use crate::source::{Source, stable_id, unix_time};

/// Reads a MISP JSON document and hands over, event by event, the STIX objects of each
/// (and located errors). Returns the number of events; fails on a JSON syntax error
/// (with line and column; the events before it have been handed over) or a document
/// that is not MISP.
pub fn read<R: std::io::Read>(
    reader: R,
    source: &Source,
    each: &mut dyn FnMut(Item) -> bool,
) -> Result<usize, FormatError> {
    let mut events = 0usize;
    let mut first = true;
    let mut on_event = |path: String, ev: Value| -> bool {
        if first {
            first = false;
            if !each(Item::Object(extension_definition())) {
                return false;
            }
        }
        events += 1;
        for item in convert_event(&ev, &path, source) {
            if !each(item) {
                return false;
            }
        }
        true
    };
    crate::json_stream::stream_misp(reader, &mut on_event)?;
    Ok(events)
}

/// The event inside a document value (`{"Event": …}` or a bare event).
pub fn unwrap_event(v: &Value) -> &Value {
    v.get("Event").unwrap_or(v)
}

/// The JSON path of a list element (`$.response[0].Event.Attribute[7]`), written out
/// only for a message: most records never need theirs.
pub(super) struct Indexed<'a>(
    pub(super) &'a str,
    pub(super) &'static str,
    pub(super) usize,
);

impl std::fmt::Display for Indexed<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}[{}]", self.0, self.1, self.2)
    }
}

/// Converts one event (the value of `Event`, or a document holding one) to STIX objects
/// and errors. `path` is the JSON path of the value, for error messages.
pub fn convert_event(doc: &Value, path: &str, source: &Source) -> Vec<Item> {
    let (ev, path) = match doc.get("Event") {
        Some(e) => (e, format!("{path}.Event")),
        None => (doc, path.to_owned()),
    };
    let Some(map) = ev.as_object() else {
        return vec![Item::Error(FormatError::path(
            path,
            "a MISP event must be an object",
        ))];
    };
    if !map.contains_key("info") && !map.contains_key("Attribute") && !map.contains_key("uuid") {
        return vec![Item::Error(FormatError::path(
            path,
            "not a MISP event (no `uuid`, `info` or `Attribute`)",
        ))];
    }
    let mut c = Converter::new(map, path, source);
    c.run();
    c.out
}

/// The id of the grouping an event becomes: `grouping--<event uuid>`, or, for an event
/// whose uuid is not RFC 4122, one minted from the source's name and the event's `info`
/// (so a feed can find the grouping of an event its manifest listed).
pub fn grouping_id(event_uuid: Option<&str>, info: &str, source: &Source) -> String {
    match event_uuid {
        Some(u) if is_uuid(u) => format!("grouping--{}", u.to_ascii_lowercase()),
        _ => stable_id("grouping", &[&source.name, info]),
    }
}

/// State while one event is converted.
pub(super) struct Converter<'a> {
    pub(super) ev: &'a Map<String, Value>,
    pub(super) path: String,
    pub(super) source: &'a Source,
    pub(super) event_uuid: String,
    pub(super) time: String,
    pub(super) author: String,
    pub(super) tags: Tags,
    pub(super) grading: Option<Grading>,
    pub(super) out: Vec<Item>,
    /// MISP uuid -> STIX id of what it became.
    pub(super) ids: HashMap<String, String, RandomState>,
    /// STIX ids the grouping refers to.
    pub(super) refs: Vec<String>,
    pub(super) seen: HashSet<String, RandomState>,
    /// STIX ids already in `refs`.
    pub(super) referred: HashSet<String, RandomState>,
    pub(super) paps: HashSet<Pap>,
    /// Concord's extension (grading) for each distribution a record can have: slots 0-4
    /// for the MISP levels 0-4, slot 5 for "the event's" (no level, 5, or unreadable).
    /// Built once per event instead of once per object (`Grading::apply` serialises).
    grading_ext: [Option<Option<Value>>; 6],
}

/// Whether a MISP uuid can serve as a STIX id's UUID (RFC 4122 variant and version, as
/// `concord_stix` requires); other uuids are replaced by deterministic ones.
pub(super) fn is_uuid(s: &str) -> bool {
    concord_stix::id::parse_uuid(s).is_some()
}

pub(super) fn text(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

pub(super) fn flag(v: Option<&Value>) -> bool {
    match v {
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) => s == "1" || s.eq_ignore_ascii_case("true"),
        Some(Value::Number(n)) => n.as_i64() == Some(1),
        _ => false,
    }
}

/// MISP distribution levels to Concord's grading: 0 (organisation only) stays on the
/// node, 1 (community) and 4 (sharing group) go to direct peers, 2 (connected
/// communities) one hop further, 3 (all) across the federation; 5 inherits the event's.
pub fn grading_of(distribution: Option<&Value>) -> Option<Grading> {
    let level = text(distribution)?.trim().parse::<u8>().ok()?;
    let mut g = Grading::default();
    match level {
        0 => {
            g.distribution = Distribution::Node;
            g.hops = 0;
        }
        1 | 4 => {
            g.distribution = Distribution::Peers;
            g.hops = 0;
        }
        2 => g.hops = 1,
        3 => {}
        _ => return None,
    }
    Some(g)
}

impl<'a> Converter<'a> {
    fn new(ev: &'a Map<String, Value>, path: String, source: &'a Source) -> Self {
        let info = ev.get("info").and_then(Value::as_str).unwrap_or("");
        let event_uuid = uuid_of(&grouping_id(
            ev.get("uuid").and_then(Value::as_str),
            info,
            source,
        ));
        let time = ev
            .get("timestamp")
            .and_then(unix_time)
            .or_else(|| {
                ev.get("date")
                    .and_then(Value::as_str)
                    .and_then(crate::source::feed_time)
            })
            .unwrap_or_else(|| source.now.clone());
        let tags = tags::read(ev.get("Tag"));
        let grading = grading_of(ev.get("distribution"));
        Converter {
            ev,
            path,
            source,
            event_uuid,
            time,
            author: String::new(),
            tags,
            grading,
            out: Vec::new(),
            ids: HashMap::default(),
            refs: Vec::new(),
            seen: HashSet::default(),
            referred: HashSet::default(),
            paps: HashSet::new(),
            grading_ext: Default::default(),
        }
    }

    pub(super) fn error(&mut self, path: String, message: impl Into<String>) {
        self.out.push(Item::Error(FormatError::path(path, message)));
    }

    /// Emits an object once; `refer`: the grouping lists it (also when it was emitted
    /// before without being listed, as a cluster attached to an attribute and the event).
    pub(super) fn emit(&mut self, v: Value, refer: bool) {
        let id = v["id"].as_str().unwrap_or_default();
        if refer && !self.referred.contains(id) {
            self.referred.insert(id.to_owned());
            self.refs.push(id.to_owned());
        }
        if !self.seen.contains(id) {
            self.seen.insert(id.to_owned());
            self.out.push(Item::Object(v));
        }
    }

    pub(super) fn identity(&mut self, org: Option<&Value>) -> Option<String> {
        let org = org?;
        let name = org.get("name").and_then(Value::as_str)?;
        let id = match org.get("uuid").and_then(Value::as_str) {
            Some(u) if is_uuid(u) => format!("identity--{}", u.to_ascii_lowercase()),
            _ => stable_id("identity", &["misp-org", name]),
        };
        let v = json!({"type": "identity", "spec_version": "2.1", "id": id,
            "created": self.time, "modified": self.time,
            "name": name, "identity_class": "organization"});
        self.emit(v, false);
        Some(id)
    }

    fn run(&mut self) {
        self.author = self
            .identity(self.ev.get("Orgc").or(self.ev.get("Org")))
            .unwrap_or_else(|| {
                let s = self.source.identity();
                let id = self.source.identity_id();
                self.emit(s, false);
                id
            });
        let ev = self.ev;
        let base = self.path.clone();
        for (i, a) in ev
            .get("Attribute")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .enumerate()
        {
            self.attribute(a, &Indexed(&base, "Attribute", i));
        }
        let objects: Vec<&Value> = ev
            .get("Object")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .collect();
        for (i, o) in objects.iter().enumerate() {
            self.object(o, format!("{base}.Object[{i}]"));
        }
        for (i, o) in objects.iter().enumerate() {
            self.references(o, format!("{base}.Object[{i}]"));
        }
        // MISP 2.5 analyst relationships of attributes, once every target has an id.
        for (i, a) in ev
            .get("Attribute")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .enumerate()
            .filter(|(_, a)| a.get("Relationship").is_some())
        {
            self.references(a, format!("{base}.Attribute[{i}]"));
        }
        let grouping = self.grouping_id();
        for (i, p) in ev
            .get("ShadowAttribute")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .enumerate()
        {
            self.proposal(p, &grouping, &format!("{base}.ShadowAttribute[{i}]"));
        }
        let mut galaxy_refs = Vec::new();
        for (i, g) in ev
            .get("Galaxy")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .enumerate()
        {
            galaxy_refs.extend(self.galaxy(g, &format!("{base}.Galaxy[{i}]"), true));
        }
        for (i, r) in ev
            .get("EventReport")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .enumerate()
        {
            self.report(r, format!("{base}.EventReport[{i}]"));
        }
        let _ = galaxy_refs;
        self.grouping();
    }

    /// Common properties of an SDO made from a MISP record.
    pub(super) fn sdo(
        &mut self,
        ty: &str,
        id: String,
        time: &str,
        tags: &Tags,
        distribution: Option<&Value>,
    ) -> Map<String, Value> {
        let mut m = Map::new();
        m.insert("type".into(), Value::from(ty));
        m.insert("spec_version".into(), Value::from("2.1"));
        m.insert("id".into(), Value::from(id));
        m.insert("created".into(), Value::from(time));
        m.insert("modified".into(), Value::from(time));
        m.insert("created_by_ref".into(), Value::from(self.author.clone()));
        if !tags.labels.is_empty() {
            m.insert("labels".into(), Value::from(tags.labels.clone()));
        }
        let markings = self.markings(tags);
        if !markings.is_empty() {
            m.insert("object_marking_refs".into(), Value::from(markings));
        }
        if let Some(ext) = self.grading_extension(distribution) {
            let mut exts = Map::new();
            exts.insert(concord_stix::concord_ext::EXTENSION_ID.into(), ext);
            m.insert("extensions".into(), Value::Object(exts));
        }
        m
    }

    /// Concord's extension for a record of this MISP distribution (or the event's), as
    /// `Grading::apply` writes it on an object without extensions, minus `categories: []`
    /// (STIX forbids empty lists); cached per event.
    fn grading_extension(&mut self, distribution: Option<&Value>) -> Option<Value> {
        let level = match distribution {
            Some(Value::String(s)) => s.trim().parse::<u8>().ok(),
            Some(Value::Number(n)) => n.as_u64().and_then(|n| u8::try_from(n).ok()),
            _ => None,
        };
        let slot = level.filter(|l| *l <= 4).map_or(5, usize::from);
        if self.grading_ext[slot].is_none() {
            let grading = grading_of(distribution).or_else(|| self.grading.clone());
            self.grading_ext[slot] = Some(grading.and_then(|g| extension_value(&g)));
        }
        self.grading_ext[slot].clone().flatten()
    }

    pub(super) fn markings(&mut self, tags: &Tags) -> Vec<String> {
        let mut refs = Vec::new();
        if let Some(t) = tags.tlp.or(self.tags.tlp) {
            refs.push(t.marking_id().to_owned());
        }
        if let Some(p) = tags.pap.or(self.tags.pap) {
            if self.paps.insert(p) {
                self.emit(p.marking_definition(), false);
            }
            refs.push(p.marking_id().to_owned());
        }
        refs
    }

    fn attribute(&mut self, a: &Value, path: &Indexed<'_>) {
        if flag(a.get("deleted")) {
            return;
        }
        let Some(ty) = a.get("type").and_then(Value::as_str) else {
            return self.error(format!("{path}.type"), "an attribute needs a `type`");
        };
        if !types::is_known(ty) {
            return self.error(
                format!("{path}.type"),
                format!("unknown MISP attribute type `{ty}`"),
            );
        }
        let Some(value) = text(a.get("value")) else {
            return self.error(format!("{path}.value"), "an attribute needs a `value`");
        };
        let uuid = match a.get("uuid").and_then(Value::as_str) {
            Some(u) if is_uuid(u) => u.to_ascii_lowercase(),
            _ => uuid_of(&stable_id("indicator", &[&self.event_uuid, ty, &value])),
        };
        let to_ids = flag(a.get("to_ids"));
        let time = a
            .get("timestamp")
            .and_then(unix_time)
            .unwrap_or_else(|| self.time.clone());
        let tags = tags::read(a.get("Tag"));
        let mut record = Map::new();
        record.insert("uuid".into(), Value::from(uuid.clone()));
        record.insert("type".into(), Value::from(ty));
        if let Some(c) = a.get("category").and_then(Value::as_str) {
            record.insert("category".into(), Value::from(c));
        }
        record.insert("value".into(), Value::from(value.clone()));
        record.insert("to_ids".into(), Value::from(to_ids));
        let comment = a
            .get("comment")
            .and_then(Value::as_str)
            .filter(|c| !c.is_empty());
        let ext = property_extension("attribute", record, None);
        let mint = |t: &str, n: usize| stable_id(t, &[&uuid, &n.to_string()]);
        let sco_ids = types::Ids::new(&mint);
        let observed = match types::observe(ty, &value, (!to_ids).then_some(&sco_ids)) {
            Ok(o) => o,
            Err(e) => return self.error(format!("{path}.value"), e),
        };
        let distribution = a.get("distribution");
        let first_seen = a
            .get("first_seen")
            .and_then(Value::as_str)
            .and_then(crate::source::feed_time);
        let last_seen = a
            .get("last_seen")
            .and_then(Value::as_str)
            .and_then(crate::source::feed_time);
        let id = if ty == "vulnerability" {
            let id = format!("vulnerability--{uuid}");
            let mut m = self.sdo("vulnerability", id.clone(), &time, &tags, distribution);
            m.insert("name".into(), Value::from(value.clone()));
            if value.to_ascii_uppercase().starts_with("CVE-") {
                m.insert(
                    "external_references".into(),
                    json!([{"source_name": "cve", "external_id": value.to_ascii_uppercase()}]),
                );
            }
            if let Some(c) = comment {
                m.insert("description".into(), Value::from(c));
            }
            self.finish(m, ext, true)
        } else if let (Some(lang), true) = (types::rule_language(ty), to_ids) {
            if lang == "stix" && concord_pattern::parse(&value).is_err() {
                return self.error(format!("{path}.value"), "not a valid STIX pattern");
            }
            let id = format!("indicator--{uuid}");
            let mut m = self.sdo("indicator", id, &time, &tags, distribution);
            m.insert("pattern".into(), Value::from(value));
            m.insert("pattern_type".into(), Value::from(lang));
            m.insert(
                "valid_from".into(),
                Value::from(first_seen.as_deref().unwrap_or(&time)),
            );
            if let Some(c) = comment {
                m.insert("description".into(), Value::from(c));
            }
            self.finish(m, ext, true)
        } else if let Some(obs) = observed {
            if to_ids {
                let pattern = build_pattern(std::slice::from_ref(&obs));
                if may_not_parse(std::slice::from_ref(&obs))
                    && let Err(e) = concord_pattern::parse(&pattern)
                {
                    return self.error(
                        format!("{path}.value"),
                        format!("cannot be a STIX pattern: {e}"),
                    );
                }
                let id = format!("indicator--{uuid}");
                let mut m = self.sdo("indicator", id, &time, &tags, distribution);
                m.insert("name".into(), Value::from(value));
                m.insert("pattern".into(), Value::from(pattern));
                m.insert("pattern_type".into(), Value::from("stix"));
                m.insert("pattern_version".into(), Value::from("2.1"));
                let from = first_seen.clone().unwrap_or_else(|| time.clone());
                m.insert("valid_from".into(), Value::from(from.clone()));
                if let Some(until) = last_seen.filter(|u| *u > from) {
                    m.insert("valid_until".into(), Value::from(until));
                }
                if let Some(c) = comment {
                    m.insert("description".into(), Value::from(c));
                }
                self.finish(m, ext, true)
            } else {
                let id = format!("observed-data--{uuid}");
                let scos = self.scos(vec![obs], &tags);
                let mut m = self.sdo("observed-data", id, &time, &tags, distribution);
                let first = first_seen.unwrap_or_else(|| time.clone());
                let last = last_seen
                    .filter(|l| *l >= first)
                    .unwrap_or_else(|| first.clone());
                m.insert("first_observed".into(), Value::from(first));
                m.insert("last_observed".into(), Value::from(last));
                m.insert("number_observed".into(), Value::from(1));
                m.insert("object_refs".into(), Value::from(scos));
                self.finish(m, ext, true)
            }
        } else {
            let id = format!("note--{uuid}");
            let mut m = self.sdo("note", id, &time, &tags, distribution);
            m.insert("abstract".into(), Value::from(format!("MISP {ty}")));
            m.insert("content".into(), Value::from(value));
            m.insert(
                "object_refs".into(),
                Value::Array(vec![Value::from(self.grouping_id())]),
            );
            self.finish(m, ext, true)
        };
        self.ids.insert(uuid.clone(), id.clone());
        self.galaxies_of(a, &id, path);
        self.sightings(a, &id, path);
        self.proposals(a, &id, path);
    }

    pub(super) fn grouping_id(&self) -> String {
        format!("grouping--{}", self.event_uuid)
    }

    /// Adds the MISP extension and emits the object; returns its id.
    pub(super) fn finish(&mut self, mut m: Map<String, Value>, ext: Value, refer: bool) -> String {
        let id = m["id"].as_str().unwrap_or_default().to_owned();
        let exts = m.entry("extensions").or_insert_with(|| json!({}));
        if let Some(e) = exts.as_object_mut() {
            e.insert(EXTENSION_ID.into(), ext);
        }
        self.emit(Value::Object(m), refer);
        id
    }

    /// Emits the SCOs of observed data (their ids are minted from the record's uuid, so
    /// that the same value under different markings never collides); returns their ids.
    pub(super) fn scos(&mut self, observed: Vec<Observed>, tags: &Tags) -> Vec<String> {
        let markings = self.markings(tags);
        let mut ids = Vec::new();
        for mut s in observed.into_iter().flat_map(|o| o.scos) {
            if !markings.is_empty() {
                s["object_marking_refs"] = Value::from(markings.clone());
            }
            ids.push(s["id"].as_str().unwrap_or_default().to_owned());
            self.emit(s, true);
        }
        ids
    }

    fn grouping(&mut self) {
        let ev = self.ev;
        let id = self.grouping_id();
        let time = self.time.clone();
        let tags = self.tags.clone();
        let mut m = self.sdo("grouping", id, &time, &tags, None);
        if let Some(d) = ev
            .get("date")
            .and_then(Value::as_str)
            .and_then(crate::source::feed_time)
            && d < time
        {
            m.insert("created".into(), Value::from(d));
        }
        m.insert(
            "name".into(),
            json!(
                ev.get("info")
                    .and_then(Value::as_str)
                    .unwrap_or("MISP event")
            ),
        );
        m.insert("context".into(), Value::from("suspicious-activity"));
        let mut refs = std::mem::take(&mut self.refs);
        if refs.is_empty() {
            refs.push(self.author.clone());
        }
        m.insert("object_refs".into(), Value::from(refs));
        let mut meta = Map::new();
        meta.insert("uuid".into(), Value::from(self.event_uuid.clone()));
        for k in [
            "date",
            "threat_level_id",
            "analysis",
            "published",
            "distribution",
        ] {
            if let Some(v) = ev.get(k) {
                meta.insert(k.into(), v.clone());
            }
        }
        if let Some(sg) = ev.get("SharingGroup").and_then(|s| s.get("name")) {
            meta.insert("sharing_group".into(), sg.clone());
        }
        let ext = property_extension("event", meta, None);
        self.finish(m, ext, false);
    }
}

/// The value `Grading::apply` puts under Concord's extension id on an object that has no
/// extensions yet, without `categories` when it is empty.
fn extension_value(g: &Grading) -> Option<Value> {
    let mut v = Value::Object(Map::new());
    g.apply(&mut v);
    let mut ext = v
        .get_mut("extensions")?
        .as_object_mut()?
        .remove(concord_stix::concord_ext::EXTENSION_ID)?;
    if let Some(e) = ext.as_object_mut()
        && e.get("categories")
            .and_then(Value::as_array)
            .is_some_and(Vec::is_empty)
    {
        e.remove("categories");
    }
    Some(ext)
}

pub(super) fn uuid_of(id: &str) -> String {
    id.split_once("--")
        .map(|(_, u)| u.to_owned())
        .unwrap_or_default()
}

/// The TLP of a list of marking refs (for exporters).
pub fn tlp_of_refs(v: &Value) -> Option<Tlp> {
    Tlp::strictest(
        v.get("object_marking_refs")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str),
    )
}

/// MISP's record kept on an object as a STIX property extension: `{"extension_type":
/// "property-extension", KEY: record}`, with the object's attributes under `attributes`.
pub(super) fn property_extension(
    key: &str,
    record: Map<String, Value>,
    attributes: Option<Vec<Value>>,
) -> Value {
    let mut ext = Map::new();
    ext.insert("extension_type".into(), Value::from("property-extension"));
    ext.insert(key.into(), Value::Object(record));
    if let Some(a) = attributes {
        ext.insert("attributes".into(), Value::Array(a));
    }
    Value::Object(ext)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What `sdo` wrote before the per-event cache: `Grading::apply` on the object, then
    /// `categories: []` removed.
    fn applied(grading: Option<Grading>) -> Option<Value> {
        let mut v = json!({"type": "indicator"});
        grading?.apply(&mut v);
        let ext = v["extensions"][concord_stix::concord_ext::EXTENSION_ID].clone();
        let mut ext = ext.as_object().cloned().unwrap();
        if ext.get("categories") == Some(&json!([])) {
            ext.remove("categories");
        }
        Some(Value::Object(ext))
    }

    #[test]
    fn cached_grading_extension_is_what_apply_writes() {
        let source = Source::new("test", "2026-01-01T00:00:00.000Z");
        let levels = [
            None,
            Some(json!("0")),
            Some(json!("1")),
            Some(json!(2)),
            Some(json!(" 3 ")),
            Some(json!("4")),
            Some(json!("5")),
            Some(json!(3.0)),
            Some(json!("x")),
            Some(json!(300)),
            Some(json!(true)),
        ];
        for event_level in &levels {
            let mut ev = Map::new();
            ev.insert("info".into(), json!("e"));
            if let Some(l) = event_level {
                ev.insert("distribution".into(), l.clone());
            }
            let mut c = Converter::new(&ev, "$".into(), &source);
            // Twice each, so that the second answer comes from the cache.
            for level in levels.iter().chain(&levels) {
                let want = applied(grading_of(level.as_ref()).or_else(|| c.grading.clone()));
                assert_eq!(
                    c.grading_extension(level.as_ref()),
                    want,
                    "event {event_level:?}, record {level:?}"
                );
            }
        }
    }
}
