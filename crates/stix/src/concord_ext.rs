//! Concord's STIX extension (one extension definition, STIX 2.1 section 7.3) and the PAP
//! marking definitions a node ships.
//!
//! The extension is a property extension: an object carries it under
//! `extensions["extension-definition--7aa79434-…"]` with
//! `"extension_type": "property-extension"` and the properties of [`Grading`]. An object
//! without it is graded by [`Grading::default`]: classification `general`, no categories,
//! distribution `federation`, 3 hops.
//!
//! ```
//! use concord_stix::concord_ext::{Grading, Classification, Distribution};
//! let v = serde_json::json!({"type": "note", "extensions": {
//!     concord_stix::concord_ext::EXTENSION_ID: {"extension_type": "property-extension",
//!         "classification": "important", "categories": ["personal-information"],
//!         "distribution": "peers", "hops": 1}}});
//! let g = Grading::of(&v).unwrap();
//! assert_eq!(g.classification, Classification::Important);
//! assert_eq!(g.distribution, Distribution::Peers);
//! assert_eq!(Grading::of(&serde_json::json!({"type": "note"})).unwrap(), Grading::default());
//! ```

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// The id of Concord's extension definition.
pub const EXTENSION_ID: &str = "extension-definition--7aa79434-99f0-458b-b7bd-6810d29b0a9a";

/// The identity that created Concord's shipped definitions (extension and PAP markings).
pub const CONCORD_IDENTITY: &str = "identity--efbd561f-65e2-4899-9013-1a2da2ce0547";

/// Hops an object without the extension may still travel.
pub const DEFAULT_HOPS: u32 = 3;

/// Data grading levels, as data-security laws use them (`general` < `important` < `core`).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
#[serde(rename_all = "kebab-case")]
pub enum Classification {
    /// Ordinary data.
    #[default]
    General,
    /// Important data.
    Important,
    /// Core data.
    Core,
}

impl Classification {
    /// The name used in the extension and in policy files.
    pub fn as_str(self) -> &'static str {
        match self {
            Classification::General => "general",
            Classification::Important => "important",
            Classification::Core => "core",
        }
    }
}

/// How far an object may be re-shared.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
#[serde(rename_all = "kebab-case")]
pub enum Distribution {
    /// Never leaves the node that holds it.
    Node,
    /// Goes to the origin's direct peers only; they do not pass it on.
    Peers,
    /// May be passed on from node to node while hops remain.
    #[default]
    Federation,
}

impl Distribution {
    /// The name used in the extension.
    pub fn as_str(self) -> &'static str {
        match self {
            Distribution::Node => "node",
            Distribution::Peers => "peers",
            Distribution::Federation => "federation",
        }
    }
}

/// The properties of Concord's extension on one object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Grading {
    /// Data grading level.
    pub classification: Classification,
    /// Data categories (`personal-information`, `victim-identity`, ...). Left out of the
    /// JSON when empty (STIX forbids empty lists).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub categories: Vec<String>,
    /// How far it may be re-shared.
    pub distribution: Distribution,
    /// How many re-shares are still allowed.
    pub hops: u32,
}

impl Default for Grading {
    fn default() -> Self {
        Grading {
            classification: Classification::General,
            categories: Vec::new(),
            distribution: Distribution::Federation,
            hops: DEFAULT_HOPS,
        }
    }
}

/// The extension on an object is malformed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("extensions.{EXTENSION_ID}: {0}")]
pub struct GradingError(pub String);

impl Grading {
    /// The grading of an object: its extension's properties, or the defaults when the
    /// object does not carry the extension.
    pub fn of(object: &Value) -> Result<Grading, GradingError> {
        match object.get("extensions").and_then(|e| e.get(EXTENSION_ID)) {
            None => Ok(Grading::default()),
            Some(ext) => {
                let mut ext = ext.clone();
                if let Some(m) = ext.as_object_mut() {
                    m.remove("extension_type");
                }
                serde_json::from_value(ext).map_err(|e| GradingError(e.to_string()))
            }
        }
    }

    /// The extension's JSON (with `extension_type`), to put under
    /// `extensions[EXTENSION_ID]`.
    pub fn to_extension(&self) -> Value {
        let mut v = serde_json::to_value(self).unwrap_or(Value::Null);
        if let Some(m) = v.as_object_mut() {
            m.insert("extension_type".into(), json!("property-extension"));
        }
        v
    }

    /// Writes this grading into an object's `extensions` (replacing an earlier one).
    pub fn apply(&self, object: &mut Value) {
        if let Some(m) = object.as_object_mut() {
            let ext = m.entry("extensions").or_insert_with(|| json!({}));
            if let Some(e) = ext.as_object_mut() {
                let mut new = self.to_extension();
                if let (Some(r), Some(n)) = (
                    e.get(EXTENSION_ID)
                        .and_then(|x| x.get("recipients"))
                        .cloned(),
                    new.as_object_mut(),
                ) {
                    n.insert("recipients".into(), r);
                }
                e.insert(EXTENSION_ID.into(), new);
            }
        }
    }
}

/// The peers an object is addressed to (`recipients` in Concord's extension: node ids or
/// peer names), or an empty list when it is not addressed (every peer the policy allows).
/// Kept apart from [`Grading`] so that code building a `Grading` by hand is unaffected;
/// [`Grading::apply`] keeps the recipients already on the object.
pub fn recipients(object: &Value) -> Vec<String> {
    object
        .get("extensions")
        .and_then(|e| e.get(EXTENSION_ID))
        .and_then(|e| e.get("recipients"))
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

/// Addresses an object to these peers (node ids or peer names), adding Concord's
/// extension with the default grading if the object has none; an empty list removes the
/// address.
pub fn set_recipients(object: &mut Value, recipients: &[String]) {
    if object
        .get("extensions")
        .and_then(|e| e.get(EXTENSION_ID))
        .is_none()
    {
        Grading::default().apply(object);
    }
    if let Some(ext) = object
        .get_mut("extensions")
        .and_then(|e| e.get_mut(EXTENSION_ID))
        .and_then(Value::as_object_mut)
    {
        if recipients.is_empty() {
            ext.remove("recipients");
        } else {
            ext.insert("recipients".into(), json!(recipients));
        }
    }
}

/// The extension definition object itself, shipped with every node.
pub fn extension_definition() -> Value {
    json!({
        "type": "extension-definition",
        "spec_version": "2.1",
        "id": EXTENSION_ID,
        "created_by_ref": CONCORD_IDENTITY,
        "created": "2026-11-22T00:00:00.000Z",
        "modified": "2026-11-22T00:00:00.000Z",
        "name": "Concord sharing grade",
        "description": "Data grading and re-sharing limits of Concord: classification \
            (general, important, core), data categories, distribution (node, peers, \
            federation) and the number of re-shares still allowed (hops).",
        "schema": "https://example.invalid/concord/extension/grading/v1",
        "version": "1.0.0",
        "extension_types": ["property-extension"]
    })
}

/// A Permissible Actions Protocol level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Pap {
    /// PAP:CLEAR (PAP:WHITE in older texts): no restriction.
    Clear,
    /// PAP:GREEN: active actions allowed.
    Green,
    /// PAP:AMBER: passive cross-checks only.
    Amber,
    /// PAP:RED: non-detectable actions only.
    Red,
}

/// PAP has no standard STIX marking ids; these are the statement marking definitions a
/// Concord node ships (id, level, statement).
pub const PAP_IDS: &[(&str, Pap, &str)] = &[
    (
        "marking-definition--c65a91a4-a455-4a75-baed-44cf9d8c506b",
        Pap::Clear,
        "PAP:CLEAR",
    ),
    (
        "marking-definition--e41da0ba-0bc8-4132-817c-301796757733",
        Pap::Green,
        "PAP:GREEN",
    ),
    (
        "marking-definition--8209b12f-a63b-4a69-a57f-343ba78d7938",
        Pap::Amber,
        "PAP:AMBER",
    ),
    (
        "marking-definition--3ee694b3-067a-4e73-9757-a70f6a95ff67",
        Pap::Red,
        "PAP:RED",
    ),
];

impl Pap {
    /// The level a Concord PAP marking id stands for.
    pub fn from_marking_id(id: &str) -> Option<Pap> {
        PAP_IDS.iter().find(|(i, ..)| *i == id).map(|(_, p, _)| *p)
    }

    /// Parses `clear`, `white` (PAP 1.0), `green`, `amber`, `red`, with or without a
    /// `PAP:` prefix, in any case.
    pub fn parse(s: &str) -> Option<Pap> {
        let s = s.trim();
        let s = s
            .strip_prefix("PAP:")
            .or_else(|| s.strip_prefix("pap:"))
            .unwrap_or(s);
        match s.to_ascii_lowercase().as_str() {
            "clear" | "white" => Some(Pap::Clear),
            "green" => Some(Pap::Green),
            "amber" => Some(Pap::Amber),
            "red" => Some(Pap::Red),
            _ => None,
        }
    }

    /// This level's marking-definition id.
    pub fn marking_id(self) -> &'static str {
        PAP_IDS
            .iter()
            .find(|(_, p, _)| *p == self)
            .map_or("", |(i, ..)| i)
    }

    /// `clear`, `green`, `amber` or `red`.
    pub fn as_str(self) -> &'static str {
        match self {
            Pap::Clear => "clear",
            Pap::Green => "green",
            Pap::Amber => "amber",
            Pap::Red => "red",
        }
    }

    /// The strictest PAP level among marking refs, if any is a PAP marking.
    pub fn strictest<'a>(refs: impl IntoIterator<Item = &'a str>) -> Option<Pap> {
        refs.into_iter().filter_map(Pap::from_marking_id).max()
    }

    /// The marking-definition object of this level.
    pub fn marking_definition(self) -> Value {
        let (id, _, statement) = PAP_IDS
            .iter()
            .find(|(_, p, _)| *p == self)
            .copied()
            .unwrap_or(PAP_IDS[0]);
        json!({
            "type": "marking-definition",
            "spec_version": "2.1",
            "id": id,
            "created_by_ref": CONCORD_IDENTITY,
            "created": "2026-11-22T00:00:00.000Z",
            "name": statement,
            "definition_type": "statement",
            "definition": {"statement": statement}
        })
    }
}

/// The identity object that created Concord's shipped definitions.
pub fn concord_identity() -> Value {
    json!({
        "type": "identity",
        "spec_version": "2.1",
        "id": CONCORD_IDENTITY,
        "created": "2026-11-22T00:00:00.000Z",
        "modified": "2026-11-22T00:00:00.000Z",
        "name": "Concord",
        "identity_class": "system"
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Object;

    #[test]
    fn shipped_definitions_are_valid_stix() {
        let mut all = vec![extension_definition(), concord_identity()];
        all.extend(PAP_IDS.iter().map(|(_, p, _)| p.marking_definition()));
        for v in all {
            Object::from_value(v.clone()).unwrap_or_else(|e| panic!("{v}: {e}"));
        }
    }

    #[test]
    fn grading_round_trips_through_an_object() {
        let g = Grading {
            classification: Classification::Core,
            categories: vec!["victim-identity".into()],
            distribution: Distribution::Node,
            hops: 0,
        };
        let mut v = json!({"type": "indicator"});
        g.apply(&mut v);
        assert_eq!(Grading::of(&v).unwrap(), g);
        assert!(
            Grading::of(&json!({"extensions": {EXTENSION_ID: {"classification": "secret"}}}))
                .unwrap_err()
                .to_string()
                .contains("secret")
        );
    }

    #[test]
    fn recipients_are_kept_beside_the_grading() {
        let mut v = json!({"type": "incident"});
        assert!(recipients(&v).is_empty());
        set_recipients(&mut v, &["node-b".into(), "cert-c".into()]);
        assert_eq!(recipients(&v), ["node-b", "cert-c"]);
        // The grading reads as before (defaults), and re-applying it keeps the address.
        assert_eq!(Grading::of(&v).unwrap(), Grading::default());
        let g = Grading {
            hops: 1,
            ..Grading::default()
        };
        g.apply(&mut v);
        assert_eq!(Grading::of(&v).unwrap().hops, 1);
        assert_eq!(recipients(&v), ["node-b", "cert-c"]);
        set_recipients(&mut v, &[]);
        assert!(recipients(&v).is_empty());
    }

    #[test]
    fn pap_levels_parse_and_order() {
        assert_eq!(Pap::parse("PAP:WHITE"), Some(Pap::Clear));
        assert_eq!(Pap::parse("amber"), Some(Pap::Amber));
        assert_eq!(Pap::parse("PAP:BLUE"), None);
        assert_eq!(
            Pap::strictest([Pap::Green.marking_id(), Pap::Red.marking_id()]),
            Some(Pap::Red)
        );
    }
}
