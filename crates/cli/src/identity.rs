//! The STIX objects that describe a node's organisation (an `identity`, and its country as
//! a `location` with a `located-at` relationship), plus the definitions every node ships
//! (Concord's extension definition and PAP markings). Ids are derived from the node id,
//! so the objects are the same on every start.

use concord_stix::Tlp;
use concord_stix::concord_ext::{self, Pap};
use serde_json::{Value, json};

use crate::config::Config;

fn derived_id(kind: &str, node_id: &str) -> String {
    let ns = uuid::Uuid::parse_str(concord_ext::CONCORD_IDENTITY.trim_start_matches("identity--"))
        .unwrap_or_default();
    format!(
        "{kind}--{}",
        uuid::Uuid::new_v5(&ns, format!("{kind} {node_id}").as_bytes())
    )
}

/// The id of a node's organisation identity.
pub fn identity_id(node_id: &str) -> String {
    derived_id("identity", node_id)
}

/// The node's organisation identity.
pub fn identity(cfg: &Config, node_id: &str) -> Value {
    let now = "2026-01-01T00:00:00.000Z";
    let name = if cfg.organisation.is_empty() {
        &cfg.node_name
    } else {
        &cfg.organisation
    };
    let mut v = json!({
        "type": "identity", "spec_version": "2.1", "id": identity_id(node_id),
        "created": now, "modified": now, "name": name,
        "identity_class": "organization",
        "description": format!("Concord node {node_id}"),
        "object_marking_refs": [Tlp::Clear.marking_id()],
    });
    if !cfg.sectors.is_empty() {
        v["sectors"] = json!(cfg.sectors);
    }
    v
}

/// Every object created at init: the organisation (and its country), Concord's
/// extension definition and identity, and the PAP marking definitions.
pub fn objects(cfg: &Config, node_id: &str) -> Vec<Value> {
    let now = "2026-01-01T00:00:00.000Z";
    let mut out = vec![
        concord_ext::concord_identity(),
        concord_ext::extension_definition(),
    ];
    out.extend(
        [Pap::Clear, Pap::Green, Pap::Amber, Pap::Red]
            .iter()
            .map(|p| p.marking_definition()),
    );
    let ident = identity(cfg, node_id);
    if cfg.country.len() == 2 {
        let loc = derived_id("location", node_id);
        out.push(json!({
            "type": "location", "spec_version": "2.1", "id": loc,
            "created": now, "modified": now, "country": cfg.country.to_ascii_uppercase(),
            "object_marking_refs": [Tlp::Clear.marking_id()],
        }));
        out.push(json!({
            "type": "relationship", "spec_version": "2.1",
            "id": derived_id("relationship", node_id),
            "created": now, "modified": now, "relationship_type": "located-at",
            "source_ref": ident["id"], "target_ref": loc,
            "object_marking_refs": [Tlp::Clear.marking_id()],
        }));
    }
    out.insert(0, ident);
    out
}
