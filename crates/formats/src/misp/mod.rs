//! MISP: JSON events (import and export), the MISP feed layout (manifest.json, event
//! files, hashes.csv), and the attribute type table.
//!
//! What STIX cannot say about a MISP record (its attribute type and category, `to_ids`,
//! an object's template name and its attributes one by one) travels in Concord's MISP
//! property extension ([`EXTENSION_ID`]), so that an event imported and exported again
//! gives back the same attributes.

pub mod export;
pub mod feed;
pub mod import;
mod objects;
pub mod pattern;
mod related;
pub mod tags;
pub mod types;

use serde_json::{Value, json};

/// The id of the extension definition of Concord's MISP view.
pub const EXTENSION_ID: &str = "extension-definition--3c1c7f0e-5d5b-4d0e-9a43-0f6b8f0b8a52";

/// The extension definition object (emitted once by every MISP import).
pub fn extension_definition() -> Value {
    json!({
        "type": "extension-definition",
        "spec_version": "2.1",
        "id": EXTENSION_ID,
        "created_by_ref": concord_stix::concord_ext::CONCORD_IDENTITY,
        "created": "2026-11-22T00:00:00.000Z",
        "modified": "2026-11-22T00:00:00.000Z",
        "name": "Concord MISP view",
        "description": "The MISP record an object was imported from: the event (uuid, date, \
            threat level, analysis, sharing group), the attribute (uuid, type, category, \
            value, to_ids) or the object (uuid, template name, its attributes).",
        "schema": "https://example.invalid/concord/extension/misp/v1",
        "version": "1.0.0",
        "extension_types": ["property-extension"]
    })
}

/// The MISP extension of an object, if it has one.
pub fn extension_of(obj: &Value) -> Option<&Value> {
    obj.get("extensions").and_then(|e| e.get(EXTENSION_ID))
}

/// Every attribute of a MISP event: its own, then those of its objects (deleted objects
/// included; callers that skip them filter).
pub fn event_attributes(ev: &Value) -> impl Iterator<Item = &Value> {
    let own = ev
        .get("Attribute")
        .and_then(Value::as_array)
        .into_iter()
        .flatten();
    let in_objects = ev
        .get("Object")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .flat_map(|o| {
            o.get("Attribute")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
        });
    own.chain(in_objects)
}
