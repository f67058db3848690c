//! MISP objects (`Object`: a template name and its attributes) to STIX: the `to_ids`
//! attributes of an object become one indicator whose pattern joins them, the others
//! observed data of their SCOs; an object with neither becomes a note.

use serde_json::{Map, Value, json};

use super::import::{Converter, flag, is_uuid, property_extension, text};
use super::pattern::{build_pattern, may_not_parse};
use super::tags::{self, Tags};
use super::types;
use crate::source::{stable_id, unix_time};

impl Converter<'_> {
    /// A MISP object (`Object` with its attributes) to STIX: an indicator with one
    /// pattern over its `to_ids` attributes, observed data of its SCOs, or a note.
    pub(super) fn object(&mut self, o: &Value, path: String) {
        if flag(o.get("deleted")) {
            return;
        }
        let name = o.get("name").and_then(Value::as_str).unwrap_or("object");
        let uuid = match o.get("uuid").and_then(Value::as_str) {
            Some(u) if is_uuid(u) => u.to_ascii_lowercase(),
            _ => {
                return self.error(format!("{path}.uuid"), "a MISP object needs a uuid");
            }
        };
        let time = o
            .get("timestamp")
            .and_then(unix_time)
            .unwrap_or_else(|| self.time.clone());
        let mut records = Vec::new();
        let mut indicator_parts = Vec::new();
        let mut observed_parts = Vec::new();
        let mut tags = Tags::default();
        let mut any_ids = false;
        let mut attr_uuids = Vec::new();
        let mut live = Vec::new();
        let mint = |t: &str, n: usize| stable_id(t, &[&uuid, &n.to_string()]);
        let sco_ids = types::Ids::new(&mint);
        for (i, a) in o
            .get("Attribute")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .enumerate()
        {
            let apath = format!("{path}.Attribute[{i}]");
            if flag(a.get("deleted")) {
                continue;
            }
            let Some(ty) = a.get("type").and_then(Value::as_str) else {
                self.error(format!("{apath}.type"), "an attribute needs a `type`");
                continue;
            };
            if !types::is_known(ty) {
                self.error(
                    format!("{apath}.type"),
                    format!("unknown MISP attribute type `{ty}`"),
                );
                continue;
            }
            let Some(value) = text(a.get("value")) else {
                self.error(format!("{apath}.value"), "an attribute needs a `value`");
                continue;
            };
            let obs = match types::observe(ty, &value, Some(&sco_ids)) {
                Ok(o) => o,
                Err(e) => {
                    self.error(format!("{apath}.value"), e);
                    continue;
                }
            };
            let to_ids = flag(a.get("to_ids"));
            live.push((a, apath));
            let at = tags::read(a.get("Tag"));
            tags.tlp = tags.tlp.max(at.tlp);
            tags.pap = tags.pap.max(at.pap);
            let mut r = Map::new();
            if let Some(u) = a.get("uuid").and_then(Value::as_str).filter(|u| is_uuid(u)) {
                r.insert("uuid".into(), Value::from(u.to_ascii_lowercase()));
                attr_uuids.push(u.to_ascii_lowercase());
            }
            r.insert("type".into(), Value::from(ty));
            if let Some(rel) = a.get("object_relation").and_then(Value::as_str) {
                r.insert("object_relation".into(), Value::from(rel));
            }
            if let Some(c) = a.get("category").and_then(Value::as_str) {
                r.insert("category".into(), Value::from(c));
            }
            r.insert("value".into(), Value::from(value));
            r.insert("to_ids".into(), Value::from(to_ids));
            if !at.labels.is_empty() {
                r.insert("tags".into(), Value::from(at.labels));
            }
            records.push(Value::Object(r));
            if let Some(obs) = obs {
                if to_ids {
                    any_ids = true;
                    indicator_parts.push(obs.clone());
                }
                observed_parts.push(obs);
            }
        }
        let mut meta = Map::new();
        meta.insert("uuid".into(), Value::from(uuid.clone()));
        meta.insert("name".into(), Value::from(name));
        if let Some(m) = o.get("meta-category").and_then(Value::as_str) {
            meta.insert("meta_category".into(), Value::from(m));
        }
        let comment = o
            .get("comment")
            .and_then(Value::as_str)
            .filter(|c| !c.is_empty());
        let ext = property_extension("object", meta, Some(records));
        let obj_tags = Tags {
            labels: vec![format!("misp-object:{name}")],
            ..tags
        };
        let distribution = o.get("distribution");
        let id = if any_ids {
            let pattern = build_pattern(&indicator_parts);
            if may_not_parse(&indicator_parts)
                && let Err(e) = concord_pattern::parse(&pattern)
            {
                return self.error(path, format!("cannot be a STIX pattern: {e}"));
            }
            let mut m = self.sdo(
                "indicator",
                format!("indicator--{uuid}"),
                &time,
                &obj_tags,
                distribution,
            );
            m.insert("name".into(), Value::from(comment.unwrap_or(name)));
            m.insert("pattern".into(), Value::from(pattern));
            m.insert("pattern_type".into(), Value::from("stix"));
            m.insert("pattern_version".into(), Value::from("2.1"));
            m.insert("valid_from".into(), Value::from(time));
            if let Some(c) = comment {
                m.insert("description".into(), Value::from(c));
            }
            self.finish(m, ext, true)
        } else if !observed_parts.is_empty() {
            let scos = self.scos(observed_parts, &obj_tags);
            let mut m = self.sdo(
                "observed-data",
                format!("observed-data--{uuid}"),
                &time,
                &obj_tags,
                distribution,
            );
            m.insert("first_observed".into(), Value::from(time.clone()));
            m.insert("last_observed".into(), Value::from(time));
            m.insert("number_observed".into(), Value::from(1));
            m.insert("object_refs".into(), Value::from(scos));
            self.finish(m, ext, true)
        } else {
            let mut m = self.sdo(
                "note",
                format!("note--{uuid}"),
                &time,
                &obj_tags,
                distribution,
            );
            m.insert(
                "abstract".into(),
                Value::from(format!("MISP object {name}")),
            );
            let content = ext["attributes"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|r| {
                    format!(
                        "{}: {}",
                        r["object_relation"]
                            .as_str()
                            .or(r["type"].as_str())
                            .unwrap_or(""),
                        r["value"].as_str().unwrap_or("")
                    )
                })
                .collect::<Vec<_>>()
                .join("\n");
            m.insert(
                "content".into(),
                json!(if content.is_empty() {
                    name.to_owned()
                } else {
                    content
                }),
            );
            m.insert(
                "object_refs".into(),
                Value::Array(vec![Value::from(self.grouping_id())]),
            );
            self.finish(m, ext, true)
        };
        // Object attributes are referred to through their object; so are their galaxy
        // clusters and proposals.
        for u in attr_uuids {
            self.ids.insert(u, id.clone());
        }
        self.ids.insert(uuid, id.clone());
        for (a, apath) in live {
            self.galaxies_of(a, &id, &apath);
            self.sightings(a, &id, &apath);
            self.proposals(a, &id, &apath);
        }
    }
}
