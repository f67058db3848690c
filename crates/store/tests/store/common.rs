//! Small builders of valid STIX objects for the tests, with fresh random ids.

use concord_stix::Object;
use concord_store::sqlite::SqliteStore;
use concord_store::{Outcome, Store};
use serde_json::{Value, json};

/// The `created` time of every test object.
pub const T0: &str = "2026-01-01T00:00:00.000Z";

/// A fresh id of a type.
pub fn new_id(ty: &str) -> String {
    format!("{ty}--{}", uuid::Uuid::new_v4())
}

/// An SDO/SRO skeleton: type, id, spec_version, created = modified = `T0`.
pub fn sdo(ty: &str) -> Value {
    json!({"type": ty, "spec_version": "2.1", "id": new_id(ty), "created": T0, "modified": T0})
}

/// Sets properties on an object.
pub fn with(mut v: Value, props: Value) -> Value {
    if let (Some(map), Value::Object(props)) = (v.as_object_mut(), props) {
        map.extend(props);
    }
    v
}

/// An indicator with a STIX pattern.
pub fn indicator(name: &str, pattern: &str) -> Value {
    with(
        sdo("indicator"),
        json!({"name": name, "pattern": pattern, "pattern_type": "stix", "valid_from": T0}),
    )
}

/// A simple SCO with a `value` (ipv4-addr, domain-name, url...).
pub fn sco(ty: &str, value: &str) -> Value {
    json!({"type": ty, "id": new_id(ty), "value": value})
}

/// A file SCO with a SHA-256 hash.
pub fn file(sha256: &str) -> Value {
    json!({"type": "file", "id": new_id("file"), "hashes": {"SHA-256": sha256}})
}

/// An identity.
pub fn identity(name: &str) -> Value {
    with(
        sdo("identity"),
        json!({"name": name, "identity_class": "organization"}),
    )
}

/// A relationship SRO.
pub fn relationship(source: &str, kind: &str, target: &str) -> Value {
    with(
        sdo("relationship"),
        json!({"relationship_type": kind, "source_ref": source, "target_ref": target}),
    )
}

/// The id of a JSON object.
pub fn id_of(v: &Value) -> String {
    v["id"].as_str().unwrap_or_default().to_owned()
}

/// Validates a value (panics in tests only).
pub fn object(v: &Value) -> Object {
    Object::from_value(v.clone()).unwrap_or_else(|e| panic!("test object is invalid: {e:?}"))
}

/// Stores values one batch.
pub fn put(store: &SqliteStore, values: &[Value]) -> Vec<Outcome> {
    let objects: Vec<Object> = values.iter().map(object).collect();
    store.ingest(&objects).expect("ingest")
}

/// A fresh in-memory store.
pub fn memory() -> SqliteStore {
    SqliteStore::open_in_memory().expect("in-memory store")
}
