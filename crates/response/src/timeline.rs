//! The timeline of an incident: its versions, every object linked to it (relationships
//! either way, notes, opinions and other objects that refer to it), and one step further
//! for what refers to those (answers to requests, sightings of linked indicators), in
//! time order, each with the node that said it (verified origin, or this node).

use std::collections::{BTreeSet, HashMap};

use concord_store::Store;
use serde::Serialize;
use serde_json::Value;

use crate::{Result, ext};

/// Most objects a timeline gathers (a guard against huge graphs).
pub const MAX_ENTRIES: usize = 5_000;

/// One entry of a timeline.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Entry {
    /// When it was said: the version's `modified` (or `created`).
    pub at: String,
    /// The object id.
    pub id: String,
    /// Its STIX type.
    #[serde(rename = "type")]
    pub object_type: String,
    /// The response kind (`incident`, `ack`, `request`, ...), if it is a response object.
    pub kind: Option<String>,
    /// The node that said it (verified origin, or this node).
    pub origin: String,
    /// Its display name (peer name, or `this node`), if known.
    pub origin_name: Option<String>,
    /// Whether it was created here.
    pub local: bool,
    /// One line for people.
    pub summary: String,
}

fn summary_of(v: &Value) -> String {
    let ty = v["type"].as_str().unwrap_or("");
    let s = |k: &str| v[k].as_str().unwrap_or("").to_owned();
    match (ty, ext::kind(v)) {
        ("incident", _) => {
            let core = &v["extensions"][ext::INCIDENT_CORE_EXT];
            let mut t = format!(
                "incident {:?}: {}, {}",
                s("name"),
                core["investigation_status"].as_str().unwrap_or("?"),
                core["determination"].as_str().unwrap_or("?")
            );
            if let Some(a) = ext::get(v).and_then(|e| e.get("alert")) {
                t.push_str(&format!(
                    "; alert round {} to {} peer(s)",
                    a["round"],
                    concord_stix::concord_ext::recipients(v).len()
                ));
            }
            t
        }
        ("opinion", Some("ack")) => format!(
            "acknowledged: {}{}",
            ext::str_prop(v, "status").unwrap_or("?"),
            v["explanation"]
                .as_str()
                .map(|e| format!(" ({e})"))
                .unwrap_or_default()
        ),
        ("note", Some("request")) => format!(
            "request for assistance: {} by {}: {}",
            ext::str_prop(v, "action").unwrap_or("?"),
            ext::str_prop(v, "deadline").unwrap_or("?"),
            s("content")
        ),
        ("note", Some("request-response")) => format!(
            "request {}: {}",
            ext::str_prop(v, "state").unwrap_or("?"),
            s("content")
        ),
        ("note", Some("constituency-notification")) => {
            format!("constituency notification: {}", s("content"))
        }
        ("note", _) => format!("note: {}", s("content")),
        ("opinion", _) => format!("opinion: {}", s("opinion")),
        ("relationship", _) => format!(
            "{} {} {}",
            s("source_ref"),
            s("relationship_type"),
            s("target_ref")
        ),
        ("sighting", _) => format!(
            "sighting of {} ({} time(s))",
            s("sighting_of_ref"),
            v["count"].as_i64().unwrap_or(1)
        ),
        _ => {
            let name = v["name"].as_str().or(v["value"].as_str()).unwrap_or("");
            format!("{ty} {name}").trim().to_owned()
        }
    }
}

/// The timeline of an incident held here, oldest first. `me` is this node's id.
pub fn timeline(store: &dyn Store, me: &str, incident_id: &str) -> Result<Vec<Entry>> {
    crate::incident::current(store, incident_id)?;
    let names = crate::node_names(store, me)?;
    let mut seen: BTreeSet<String> = BTreeSet::new();
    let mut entries = Vec::new();
    for version in store.versions(incident_id)? {
        entries.push(entry(store, me, &names, &version.value())?);
    }
    seen.insert(incident_id.to_owned());
    // Depth 1: what the incident links to and what refers to it; depth 2: what refers to
    // those (answers, acknowledgements, sightings).
    let mut frontier = vec![incident_id.to_owned()];
    for depth in 0..2 {
        let mut next = Vec::new();
        for id in &frontier {
            for rel in store.relationships(id)? {
                let mut ids = vec![rel.id.clone()];
                if let Some((rid, _)) = &rel.relationship {
                    ids.push(rid.clone());
                }
                for other in ids {
                    // At depth 2 follow only what refers to an object (not what it refers
                    // to), so the timeline stays about this incident.
                    if depth == 1 && rel.direction == "outgoing" && rel.relationship.is_none() {
                        continue;
                    }
                    // Markings and authorship are not events of the incident.
                    if rel.via.contains("marking_ref") || rel.via.contains("created_by_ref") {
                        continue;
                    }
                    if seen.len() >= MAX_ENTRIES || !seen.insert(other.clone()) {
                        continue;
                    }
                    if let Some(o) = store.get(&other)? {
                        let v = o.value();
                        entries.push(entry(store, me, &names, &v)?);
                        next.push(other);
                    }
                }
            }
        }
        frontier = next;
    }
    entries.sort_by(|a, b| a.at.cmp(&b.at).then_with(|| a.id.cmp(&b.id)));
    Ok(entries)
}

fn entry(store: &dyn Store, me: &str, names: &HashMap<String, String>, v: &Value) -> Result<Entry> {
    let origin = crate::origin_of(store, me, v)?;
    Ok(Entry {
        at: crate::version_of(v).to_owned(),
        id: v["id"].as_str().unwrap_or_default().to_owned(),
        object_type: v["type"].as_str().unwrap_or_default().to_owned(),
        kind: ext::kind(v).map(str::to_owned),
        origin_name: names.get(&origin).cloned(),
        local: origin == me,
        origin,
        summary: summary_of(v),
    })
}
