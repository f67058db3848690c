//! Objects, peers and provenances the tests share.

use concord_policy::{Context, Peer, Provenance};
use concord_stix::Tlp;
use concord_stix::concord_ext::{EXTENSION_ID, Pap};
use serde_json::{Value, json};

pub const LOCAL: &str = "node-local";
pub const KEY: &[u8] = b"test redaction key";

pub fn ctx() -> Context<'static> {
    Context {
        local_node: LOCAL,
        redaction_key: KEY,
    }
}

pub fn local() -> Provenance {
    Provenance {
        origin: LOCAL.into(),
        received_from: None,
        hops_left: None,
    }
}

pub fn received(from: &str, hops: u32) -> Provenance {
    Provenance {
        origin: "node-origin".into(),
        received_from: Some(from.into()),
        hops_left: Some(hops),
    }
}

pub fn peer(id: &str) -> Peer {
    Peer {
        node_id: id.into(),
        name: format!("{id}-name"),
        country: None,
        sectors: Vec::new(),
        agreement: None,
        communities: Vec::new(),
    }
}

pub fn tlp(t: Tlp) -> &'static str {
    t.marking_id()
}

pub fn pap(p: Pap) -> &'static str {
    p.marking_id()
}

const TS: &str = "2026-11-22T00:00:00.000Z";

/// An indicator of an outside address, with these marking refs.
pub fn indicator(markings: &[&str]) -> Value {
    json!({
        "type": "indicator", "spec_version": "2.1",
        "id": "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
        "created": TS, "modified": TS,
        "name": "C2 server",
        "pattern": "[ipv4-addr:value = '198.51.100.7']",
        "pattern_type": "stix",
        "valid_from": TS,
        "object_marking_refs": markings,
    })
}

/// A note with this content, with these marking refs.
pub fn note(content: &str, markings: &[&str]) -> Value {
    json!({
        "type": "note", "spec_version": "2.1",
        "id": "note--6d1c9c4e-2b7a-4f0e-9a51-0c4b8f3d2e11",
        "created": TS, "modified": TS,
        "content": content,
        "object_refs": ["indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"],
        "object_marking_refs": markings,
    })
}

/// An individual's identity.
pub fn person(name: &str, email: &str, markings: &[&str]) -> Value {
    json!({
        "type": "identity", "spec_version": "2.1",
        "id": "identity--3c6b9f0a-1d2e-4f5a-8b7c-9d0e1f2a3b4c",
        "created": TS, "modified": TS,
        "name": name,
        "identity_class": "individual",
        "contact_information": format!("{email}, +33 1 23 45 67 89"),
        "description": format!("{name} reported the phishing wave."),
        "object_marking_refs": markings,
    })
}

/// Puts Concord's grading extension on an object.
pub fn graded(mut v: Value, ext: Value) -> Value {
    let mut e = ext;
    e["extension_type"] = json!("property-extension");
    v["extensions"] = json!({ EXTENSION_ID: e });
    v
}

/// Asserts that a value is valid STIX.
pub fn valid(v: &Value) {
    if let Err(e) = concord_stix::Object::from_value(v.clone()) {
        panic!("not valid STIX: {e}\n{v:#}");
    }
}
