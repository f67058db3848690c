//! The response extension: Concord's second extension definition (STIX 2.1 section 7.3),
//! a property extension that says what a response object is (`kind`) and carries the
//! properties of that kind. The OASIS incident core extension is used for what it
//! defines (determination, investigation status, criticality, incident types, impacts).

use serde_json::{Map, Value, json};

/// The id of the response extension definition.
pub const RESPONSE_EXT: &str = "extension-definition--f1622b64-61d9-4a10-b8c4-dd7c4703eb88";

/// The OASIS incident core extension (cti-stix-common-objects, `incident-core`).
pub const INCIDENT_CORE_EXT: &str = "extension-definition--ef765651-680c-498d-9894-99799f2fa126";

/// Values of the incident core extension's `determination` (an enumeration).
pub const DETERMINATIONS: &[&str] = &[
    "blocked",
    "failed-attempt",
    "false-positive",
    "low-value",
    "successful-attempt",
    "suspected",
];

/// Values of the incident core extension's `investigation_status` vocabulary.
pub const INVESTIGATION_STATUSES: &[&str] = &["new", "open", "closed"];

/// Severity levels (response extension), with the core extension's `criticality` each
/// maps to when none is given.
pub const SEVERITIES: &[(&str, u8)] =
    &[("low", 25), ("medium", 50), ("high", 75), ("critical", 100)];

/// The response extension definition object.
pub fn extension_definition() -> Value {
    json!({
        "type": "extension-definition",
        "spec_version": "2.1",
        "id": RESPONSE_EXT,
        "created_by_ref": concord_stix::concord_ext::CONCORD_IDENTITY,
        "created": "2026-11-22T00:00:00.000Z",
        "modified": "2026-11-22T00:00:00.000Z",
        "name": "Concord coordinated response",
        "description": "What a coordinated-response object is (kind: incident, ack, request, \
            request-response, constituency, constituency-notification) and its properties: \
            severity and first/last seen of incidents, alert rounds, acknowledgement \
            status, requested action and deadline, answers, constituencies.",
        "schema": "https://example.invalid/concord/extension/response/v1",
        "version": "1.0.0",
        "extension_types": ["property-extension"]
    })
}

/// The response extension's properties on an object (without `extension_type`), if any.
pub fn get(v: &Value) -> Option<&Map<String, Value>> {
    v.get("extensions")?.get(RESPONSE_EXT)?.as_object()
}

/// The `kind` of a response object.
pub fn kind(v: &Value) -> Option<&str> {
    get(v)?.get("kind")?.as_str()
}

/// A string property of the response extension.
pub fn str_prop<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    get(v)?.get(key)?.as_str()
}

/// Sets the response extension on an object (replacing an earlier one).
pub fn set(v: &mut Value, mut props: Map<String, Value>) {
    props.insert("extension_type".into(), json!("property-extension"));
    if let Some(m) = v.as_object_mut() {
        let ext = m.entry("extensions").or_insert_with(|| json!({}));
        if let Some(e) = ext.as_object_mut() {
            e.insert(RESPONSE_EXT.into(), Value::Object(props));
        }
    }
}

/// Builds the properties map of a `json!` object literal.
pub fn props(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}
