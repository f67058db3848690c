//! Collections: named views of the store (by type, TLP, source and label) with read and
//! write rights per token role, as `[[taxii_collections]]` in `concord.toml` defines them.

use concord_stix::markings::Tlp;
use concord_store::Role;
use serde::{Deserialize, Serialize};

use crate::wire::{CollectionInfo, STIX_MEDIA_TYPE};

/// Id of the default collection every node has unless configured otherwise.
pub const DEFAULT_COLLECTION_ID: &str = "365fed99-08fa-fdcd-a1b3-fb247eb41d01";

fn all_roles() -> Vec<Role> {
    vec![Role::Reader, Role::Analyst, Role::Admin]
}

fn writers() -> Vec<Role> {
    vec![Role::Analyst, Role::Admin]
}

/// One collection as configured.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct CollectionConfig {
    /// Collection id (a UUID, as TAXII recommends).
    pub id: String,
    /// Name shown to clients.
    pub title: String,
    /// What it holds.
    #[serde(default)]
    pub description: String,
    /// Only these STIX types (any if empty).
    #[serde(default)]
    pub types: Vec<String>,
    /// Only objects whose strictest TLP level is one of these (`clear`, `green`, `amber`,
    /// `amber+strict`, `red`); objects without a TLP marking never match a non-empty list.
    #[serde(default)]
    pub tlp: Vec<String>,
    /// Only objects whose `created_by_ref` is one of these identity ids.
    #[serde(default)]
    pub sources: Vec<String>,
    /// Only objects carrying at least one of these labels.
    #[serde(default)]
    pub labels: Vec<String>,
    /// Roles that may read.
    #[serde(default = "all_roles")]
    pub can_read: Vec<Role>,
    /// Roles that may write.
    #[serde(default = "writers")]
    pub can_write: Vec<Role>,
    /// The reading caller's TLP clearance (set per request from the token's user, never
    /// configured): objects above it are not in the collection for that caller.
    #[serde(skip)]
    pub clearance: Option<Tlp>,
}

impl CollectionConfig {
    /// The default collection: every object, readable by every role, writable by analysts.
    pub fn default_collection() -> Self {
        Self {
            id: DEFAULT_COLLECTION_ID.to_owned(),
            title: "All objects".to_owned(),
            description: "Every object this node holds that the caller may read.".to_owned(),
            types: Vec::new(),
            tlp: Vec::new(),
            sources: Vec::new(),
            labels: Vec::new(),
            can_read: all_roles(),
            can_write: writers(),
            clearance: None,
        }
    }

    /// Whether a token of `role` may read it.
    pub fn readable_by(&self, role: Role) -> bool {
        self.can_read.contains(&role)
    }

    /// Whether a token of `role` may write to it.
    pub fn writable_by(&self, role: Role) -> bool {
        self.can_write.contains(&role)
    }

    /// Whether a token of `role` may see it at all.
    pub fn visible_to(&self, role: Role) -> bool {
        self.readable_by(role) || self.writable_by(role)
    }

    /// The collection resource as a caller of `role` sees it.
    pub fn info(&self, role: Role) -> CollectionInfo {
        CollectionInfo {
            id: self.id.clone(),
            title: self.title.clone(),
            description: (!self.description.is_empty()).then(|| self.description.clone()),
            alias: None,
            can_read: self.readable_by(role),
            can_write: self.writable_by(role),
            media_types: vec![STIX_MEDIA_TYPE.to_owned()],
        }
    }

    /// Whether filters other than the type filter apply (so objects must be parsed).
    pub fn has_content_filters(&self) -> bool {
        self.has_filters_besides_clearance() || self.limiting_clearance().is_some()
    }

    /// Whether the collection's own filters (TLP levels, sources, labels) apply.
    pub fn has_filters_besides_clearance(&self) -> bool {
        !(self.tlp.is_empty() && self.sources.is_empty() && self.labels.is_empty())
    }

    /// The caller's clearance when it can hide anything (TLP:RED sees every level).
    pub fn limiting_clearance(&self) -> Option<Tlp> {
        self.clearance.filter(|c| *c < Tlp::Red)
    }

    /// Checks the configuration: TLP names must be known.
    pub fn validate(&self) -> Result<(), String> {
        for t in &self.tlp {
            if let Err(e) = t.parse::<Tlp>() {
                return Err(format!("collection {}: {e}", self.id));
            }
        }
        if self.id.trim().is_empty() || self.id.contains('/') {
            return Err(format!(
                "collection id {:?} is not usable in a URL",
                self.id
            ));
        }
        Ok(())
    }

    /// Whether an object (its head) belongs in this collection; `Err` says why not.
    pub fn admits(&self, head: &Head) -> Result<(), String> {
        if !self.types.is_empty() && !self.types.contains(&head.r#type) {
            return Err(format!(
                "type {} is not one of this collection's types",
                head.r#type
            ));
        }
        if !self.tlp.is_empty() {
            let level = Tlp::strictest(head.object_marking_refs.iter().map(String::as_str));
            let ok = level.is_some_and(|l| self.tlp.iter().any(|n| n.parse() == Ok(l)));
            if !ok {
                return Err("its TLP level is not one this collection holds".to_owned());
            }
        }
        if let Some(max) = self.clearance {
            // The one rule's first part (`concord_stix::visibility`): object markings
            // above the clearance hide the object; unmarked objects are CLEAR.
            let level = Tlp::strictest(head.object_marking_refs.iter().map(String::as_str))
                .unwrap_or(Tlp::Clear);
            if level > max {
                return Err(format!(
                    "its TLP level is above the caller's clearance ({})",
                    max.as_str()
                ));
            }
        }
        if !self.sources.is_empty()
            && !head
                .created_by_ref
                .as_ref()
                .is_some_and(|s| self.sources.contains(s))
        {
            return Err("its created_by_ref is not one of this collection's sources".to_owned());
        }
        if !self.labels.is_empty() && !head.labels.iter().any(|l| self.labels.contains(l)) {
            return Err("it carries none of this collection's labels".to_owned());
        }
        Ok(())
    }
}

/// The properties of an object that filters look at.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Head {
    /// Object id.
    #[serde(default)]
    pub id: String,
    /// STIX type.
    #[serde(default)]
    pub r#type: String,
    /// `spec_version`, if present.
    #[serde(default)]
    pub spec_version: Option<String>,
    /// `modified`, if present.
    #[serde(default)]
    pub modified: Option<String>,
    /// `created`, if present.
    #[serde(default)]
    pub created: Option<String>,
    /// Marking refs.
    #[serde(default)]
    pub object_marking_refs: Vec<String>,
    /// Creator.
    #[serde(default)]
    pub created_by_ref: Option<String>,
    /// Labels.
    #[serde(default)]
    pub labels: Vec<String>,
}

impl Head {
    /// Reads the head of a stored object's JSON (a default head if unreadable).
    pub fn parse(json: &str) -> Head {
        serde_json::from_str(json).unwrap_or_default()
    }

    /// The TAXII version of this object (`modified`, `created` or `date_added`).
    pub fn version<'a>(&'a self, date_added: &'a str) -> &'a str {
        self.modified
            .as_deref()
            .or(self.created.as_deref())
            .unwrap_or(date_added)
    }

    /// Its spec version (`2.1` when absent: this node holds only STIX 2.1).
    pub fn spec_version(&self) -> &str {
        self.spec_version.as_deref().unwrap_or("2.1")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_by_tlp_source_and_label() {
        let c = CollectionConfig {
            tlp: vec!["green".into(), "TLP:CLEAR".into()],
            labels: vec!["apt".into()],
            ..CollectionConfig::default_collection()
        };
        c.validate().unwrap();
        let mut h = Head {
            r#type: "indicator".into(),
            object_marking_refs: vec![Tlp::Green.marking_id().into()],
            labels: vec!["apt".into()],
            ..Head::default()
        };
        assert!(c.admits(&h).is_ok());
        h.object_marking_refs = vec![Tlp::Red.marking_id().into()];
        assert!(c.admits(&h).is_err());
        h.object_marking_refs.clear();
        assert!(c.admits(&h).is_err());
        let bad = CollectionConfig {
            tlp: vec!["purple".into()],
            ..CollectionConfig::default_collection()
        };
        assert!(bad.validate().is_err());
    }
}
