//! Fuzzes the policy file parser: never panics, and a policy that parses decides on an
//! object without panicking.
#![no_main]

use concord_policy::{Context, Peer, Policy, Provenance, decide};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(policy) = Policy::parse(text) else {
        return;
    };
    let object = serde_json::json!({
        "type": "note", "spec_version": "2.1",
        "id": "note--00000000-0000-4000-8000-000000000001",
        "created": "2026-01-01T00:00:00.000Z", "modified": "2026-01-01T00:00:00.000Z",
        "content": "mail bob@example.org from 192.0.2.7",
        "object_refs": ["indicator--00000000-0000-4000-8000-000000000002"],
        "object_marking_refs": ["marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"]
    });
    let _ = decide(
        &policy,
        &Context {
            local_node: "concord-a",
            redaction_key: b"k",
        },
        &object,
        &Provenance {
            origin: "concord-a".into(),
            received_from: None,
            hops_left: None,
        },
        &Peer {
            node_id: "concord-b".into(),
            name: "b".into(),
            country: Some("FR".into()),
            sectors: vec!["cert".into()],
            agreement: None,
        },
    );
});
