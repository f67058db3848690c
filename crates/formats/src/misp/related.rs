//! The parts of a MISP event around its attributes: object references, galaxy clusters
//! (to threat actors, intrusion sets, malware, tools, attack patterns, courses of action),
//! sightings and event reports.

use serde_json::{Map, Value, json};

use super::import::{Converter, flag, is_uuid, text, uuid_of};
use super::tags::Tags;
use crate::error::{FormatError, Item};
use crate::source::{stable_id, unix_time};

impl Converter<'_> {
    /// The object references of a MISP object (`ObjectReference`) and the MISP 2.5
    /// analyst relationships (`Relationship`) of an object or attribute, to STIX
    /// relationships. A target outside the event is a warning; the rest goes on.
    pub(super) fn references(&mut self, o: &Value, path: String) {
        let has = |k: &str| {
            o.get(k)
                .and_then(Value::as_array)
                .is_some_and(|l| !l.is_empty())
        };
        if !(has("ObjectReference") || has("Relationship")) || flag(o.get("deleted")) {
            return;
        }
        let Some(src_uuid) = o.get("uuid").and_then(Value::as_str) else {
            return;
        };
        let Some(src) = self.ids.get(&src_uuid.to_ascii_lowercase()).cloned() else {
            return;
        };
        for (list, target_key) in [
            ("ObjectReference", "referenced_uuid"),
            ("Relationship", "related_object_uuid"),
        ] {
            for (i, r) in o
                .get(list)
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .enumerate()
            {
                self.reference(&src, r, target_key, format!("{path}.{list}[{i}]"));
            }
        }
    }

    fn reference(&mut self, src: &str, r: &Value, target_key: &str, path: String) {
        if flag(r.get("deleted")) {
            return;
        }
        let target_uuid = r
            .get(target_key)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_ascii_lowercase();
        let Some(target) = self.ids.get(&target_uuid).cloned() else {
            self.out.push(Item::Warning(FormatError::path(
                path,
                format!("refers to {target_uuid:?}, which is not in this event; left out"),
            )));
            return;
        };
        let rel = r
            .get("relationship_type")
            .and_then(Value::as_str)
            .map(relationship_type)
            .unwrap_or_else(|| "related-to".into());
        let id = match r.get("uuid").and_then(Value::as_str) {
            Some(u) if is_uuid(u) => format!("relationship--{}", u.to_ascii_lowercase()),
            _ => stable_id("relationship", &[src, &rel, &target]),
        };
        let time = r
            .get("timestamp")
            .and_then(unix_time)
            .or_else(|| {
                r.get("modified")
                    .and_then(Value::as_str)
                    .and_then(crate::source::feed_time)
            })
            .unwrap_or_else(|| self.time.clone());
        let mut m = self.sdo("relationship", id, &time, &Tags::default(), None);
        m.insert("relationship_type".into(), Value::from(rel));
        m.insert("source_ref".into(), Value::from(src));
        m.insert("target_ref".into(), Value::from(target));
        if let Some(c) = r
            .get("comment")
            .and_then(Value::as_str)
            .filter(|c| !c.is_empty())
        {
            m.insert("description".into(), Value::from(c));
        }
        self.emit(Value::Object(m), true);
    }

    /// Proposals (MISP shadow attributes) about the record that became `target` (an
    /// attribute's object, the object holding an attribute, or the event's grouping):
    /// see [`Converter::proposal`].
    pub(super) fn proposals(&mut self, a: &Value, target: &str, path: &dyn std::fmt::Display) {
        for (i, p) in a
            .get("ShadowAttribute")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .enumerate()
        {
            self.proposal(p, target, &format!("{path}.ShadowAttribute[{i}]"));
        }
    }

    /// One proposal: another organisation suggests a change to an attribute (or a new
    /// attribute, at event level), which the event's owner has not accepted. It is not
    /// applied: the event stays as its owner published it. A proposal to delete becomes
    /// an `opinion` (`disagree`) on the attribute's object; any other proposal a `note`
    /// on it, written by the proposing organisation, whose MISP extension holds the
    /// proposed record (so that the export gives it back as a shadow attribute).
    pub(super) fn proposal(&mut self, p: &Value, target: &str, path: &str) {
        if flag(p.get("deleted")) {
            return;
        }
        let Some(ty) = p.get("type").and_then(Value::as_str) else {
            return self.error(format!("{path}.type"), "a proposal needs a `type`");
        };
        let Some(value) = text(p.get("value")) else {
            return self.error(format!("{path}.value"), "a proposal needs a `value`");
        };
        let time = p
            .get("timestamp")
            .and_then(unix_time)
            .unwrap_or_else(|| self.time.clone());
        let to_ids = flag(p.get("to_ids"));
        let delete = flag(p.get("proposal_to_delete"));
        let category = p.get("category").and_then(Value::as_str).unwrap_or("");
        let who = self.identity(p.get("Org"));
        let org = p
            .pointer("/Org/name")
            .and_then(Value::as_str)
            .unwrap_or("another organisation");
        // A proposal's uuid is often the attribute's own: the id is minted over the
        // proposal's content instead, so two proposals never collide.
        let attribute = p
            .get("uuid")
            .and_then(Value::as_str)
            .filter(|u| is_uuid(u))
            .map(str::to_ascii_lowercase);
        let key = [
            target,
            attribute.as_deref().unwrap_or(""),
            org,
            &time,
            ty,
            category,
            &value,
            if to_ids { "1" } else { "0" },
            if delete { "d" } else { "" },
        ];
        let mut record = Map::new();
        if let Some(u) = &attribute {
            record.insert("attribute_uuid".into(), Value::from(u.as_str()));
        }
        record.insert("type".into(), Value::from(ty));
        if !category.is_empty() {
            record.insert("category".into(), Value::from(category));
        }
        record.insert("value".into(), Value::from(value.as_str()));
        record.insert("to_ids".into(), Value::from(to_ids));
        record.insert("proposal_to_delete".into(), Value::from(delete));
        record.insert("org".into(), Value::from(org));
        let comment = p
            .get("comment")
            .and_then(Value::as_str)
            .filter(|c| !c.is_empty());
        if let Some(c) = comment {
            record.insert("comment".into(), Value::from(c));
        }
        let ext = json!({"extension_type": "property-extension", "proposal": record});
        let ty_out = if delete { "opinion" } else { "note" };
        let id = stable_id(ty_out, &key);
        let mut m = self.sdo(ty_out, id, &time, &Tags::default(), None);
        if let Some(w) = who {
            m.insert("created_by_ref".into(), Value::from(w));
        }
        m.insert("object_refs".into(), json!([target]));
        if delete {
            m.insert("opinion".into(), Value::from("disagree"));
            m.insert(
                "explanation".into(),
                json!(format!(
                    "MISP proposal by {org} to delete the attribute {ty} {value}"
                )),
            );
        } else {
            m.insert(
                "abstract".into(),
                json!(format!("MISP proposal by {org}: {ty} {value}")),
            );
            let mut content = format!(
                "{org} proposes the attribute {ty} `{value}` (category {}, to_ids {to_ids})",
                if category.is_empty() { "-" } else { category }
            );
            if let Some(c) = comment {
                content.push_str(&format!(": {c}"));
            }
            content.push_str(". Not applied: the event's owner has not accepted it.");
            m.insert("content".into(), Value::from(content));
        }
        self.finish(m, ext, true);
    }

    /// Galaxy clusters to SDOs; returns their ids.
    /// `refer`: the grouping lists them (event-level galaxies; clusters attached to an
    /// attribute are reached through its relationship to them).
    pub(super) fn galaxy(&mut self, g: &Value, path: &str, refer: bool) -> Vec<String> {
        let gtype = g.get("type").and_then(Value::as_str).unwrap_or("");
        let mut ids = Vec::new();
        let mut shared: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
        for c in g
            .get("GalaxyCluster")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if let Some(u) = c.get("uuid").and_then(Value::as_str) {
                *shared.entry(u).or_default() += 1;
            }
        }
        if let Some(u) = g.get("uuid").and_then(Value::as_str) {
            *shared.entry(u).or_default() += 1;
        }
        for (i, c) in g
            .get("GalaxyCluster")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .enumerate()
        {
            let ctype = c.get("type").and_then(Value::as_str).unwrap_or(gtype);
            let Some(value) = c.get("value").and_then(Value::as_str) else {
                self.error(
                    format!("{path}.GalaxyCluster[{i}].value"),
                    "a cluster needs a `value`",
                );
                continue;
            };
            let Some(sdo) = galaxy_sdo_type(ctype) else {
                continue;
            };
            // A cluster's own uuid names it; older MISP exports give every cluster the
            // galaxy's uuid instead, so a uuid shared within the galaxy is not used.
            let own = c
                .get("uuid")
                .and_then(Value::as_str)
                .filter(|u| is_uuid(u) && shared.get(*u).copied().unwrap_or(0) == 1);
            let id = match own {
                Some(u) => format!("{sdo}--{}", u.to_ascii_lowercase()),
                None => stable_id(sdo, &["misp-galaxy", ctype, value]),
            };
            let mut m = Map::new();
            m.insert("type".into(), Value::from(sdo));
            m.insert("spec_version".into(), Value::from("2.1"));
            m.insert("id".into(), Value::from(id.clone()));
            m.insert("created".into(), Value::from(self.time.clone()));
            m.insert("modified".into(), Value::from(self.time.clone()));
            m.insert("name".into(), Value::from(value));
            if let Some(d) = c
                .get("description")
                .and_then(Value::as_str)
                .filter(|d| !d.is_empty())
            {
                m.insert("description".into(), Value::from(d));
            }
            if sdo == "malware" {
                m.insert("is_family".into(), Value::from(true));
            }
            if let Some(tag) = c.get("tag_name").and_then(Value::as_str) {
                m.insert("labels".into(), json!([tag]));
            }
            let synonyms: Vec<&str> = c
                .pointer("/meta/synonyms")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .collect();
            if !synonyms.is_empty()
                && matches!(
                    sdo,
                    "malware" | "threat-actor" | "intrusion-set" | "tool" | "campaign"
                )
            {
                m.insert("aliases".into(), Value::from(synonyms));
            }
            let refs: Vec<Value> = c
                .pointer("/meta/refs")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .filter(|u| u.starts_with("http"))
                .map(|u| json!({"source_name": "misp-galaxy", "url": u}))
                .collect();
            if !refs.is_empty() {
                m.insert("external_references".into(), Value::from(refs));
            }
            let markings = self.markings(&Tags::default());
            if !markings.is_empty() {
                m.insert("object_marking_refs".into(), Value::from(markings));
            }
            ids.push(id);
            self.emit(Value::Object(m), refer);
        }
        ids
    }

    pub(super) fn galaxies_of(&mut self, a: &Value, id: &str, path: &dyn std::fmt::Display) {
        let galaxies: Vec<Value> = a
            .get("Galaxy")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        for (i, g) in galaxies.iter().enumerate() {
            for target in self.galaxy(g, &format!("{path}.Galaxy[{i}]"), false) {
                let rid = stable_id("relationship", &[id, "related-to", &target]);
                let time = self.time.clone();
                let mut m = self.sdo("relationship", rid, &time, &Tags::default(), None);
                m.insert("relationship_type".into(), Value::from("related-to"));
                m.insert("source_ref".into(), Value::from(id));
                m.insert("target_ref".into(), Value::from(target));
                self.emit(Value::Object(m), true);
            }
        }
    }

    pub(super) fn sightings(&mut self, a: &Value, target: &str, path: &dyn std::fmt::Display) {
        for (i, s) in a
            .get("Sighting")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .enumerate()
        {
            let Some(when) = s.get("date_sighting").and_then(unix_time) else {
                self.error(
                    format!("{path}.Sighting[{i}].date_sighting"),
                    "a sighting needs a time",
                );
                continue;
            };
            let uuid = match s.get("uuid").and_then(Value::as_str) {
                Some(u) if is_uuid(u) => u.to_ascii_lowercase(),
                _ => uuid_of(&stable_id("sighting", &[target, &when])),
            };
            let who = self.identity(s.get("Organisation"));
            let kind = text(s.get("type")).unwrap_or_else(|| "0".into());
            let tags = Tags::default();
            match kind.as_str() {
                "0" => {
                    let mut m =
                        self.sdo("sighting", format!("sighting--{uuid}"), &when, &tags, None);
                    m.insert("sighting_of_ref".into(), Value::from(target));
                    m.insert("first_seen".into(), Value::from(when.clone()));
                    m.insert("last_seen".into(), Value::from(when));
                    m.insert("count".into(), Value::from(1));
                    if let Some(w) = who {
                        m.insert("where_sighted_refs".into(), json!([w]));
                    }
                    self.emit(Value::Object(m), true);
                }
                "1" => {
                    let mut m = self.sdo("opinion", format!("opinion--{uuid}"), &when, &tags, None);
                    m.insert("opinion".into(), Value::from("strongly-disagree"));
                    m.insert(
                        "explanation".into(),
                        Value::from("MISP false-positive sighting"),
                    );
                    m.insert("object_refs".into(), json!([target]));
                    self.emit(Value::Object(m), true);
                }
                _ => {}
            }
        }
    }

    pub(super) fn report(&mut self, r: &Value, path: String) {
        if flag(r.get("deleted")) {
            return;
        }
        let Some(content) = r.get("content").and_then(Value::as_str) else {
            return self.error(format!("{path}.content"), "an event report needs `content`");
        };
        let uuid = match r.get("uuid").and_then(Value::as_str) {
            Some(u) if is_uuid(u) => u.to_ascii_lowercase(),
            _ => uuid_of(&stable_id("note", &[&self.event_uuid, &path])),
        };
        let time = r
            .get("timestamp")
            .and_then(unix_time)
            .unwrap_or_else(|| self.time.clone());
        let mut m = self.sdo(
            "note",
            format!("note--{uuid}"),
            &time,
            &Tags::default(),
            r.get("distribution"),
        );
        if let Some(n) = r.get("name").and_then(Value::as_str) {
            m.insert("abstract".into(), Value::from(n));
        }
        m.insert(
            "content".into(),
            json!(if content.is_empty() { " " } else { content }),
        );
        m.insert("object_refs".into(), json!([self.grouping_id()]));
        let ext = json!({"extension_type": "property-extension", "event_report": {"uuid": uuid}});
        self.finish(m, ext, true);
    }
}

/// A STIX relationship type from MISP's (lower case, hyphens).
fn relationship_type(s: &str) -> String {
    let t: String = s
        .trim()
        .to_ascii_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    let t = t.trim_matches('-').to_owned();
    if t.is_empty() { "related-to".into() } else { t }
}

/// The SDO type a galaxy's clusters become, if any.
pub(super) fn galaxy_sdo_type(galaxy: &str) -> Option<&'static str> {
    let g = galaxy.to_ascii_lowercase();
    Some(if g.contains("intrusion-set") {
        "intrusion-set"
    } else if g.contains("threat-actor") {
        "threat-actor"
    } else if g.contains("attack-pattern") {
        "attack-pattern"
    } else if g.contains("course-of-action") {
        "course-of-action"
    } else if g.contains("tool") {
        "tool"
    } else if g.contains("malware")
        || [
            "banker",
            "ransomware",
            "rat",
            "stealer",
            "botnet",
            "android",
            "backdoor",
            "exploit-kit",
            "malpedia",
            "cryptominers",
        ]
        .contains(&g.as_str())
    {
        "malware"
    } else {
        return None;
    })
}
