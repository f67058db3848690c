//! Incidents: STIX `incident` objects with the OASIS incident core extension (required
//! `determination` and `investigation_status`, optional `criticality`, `incident_types`,
//! `impact_refs`) and the response extension (`severity`, `first_seen`, `last_seen`).
//! Every change is a new version; links to indicators, observed data, sightings,
//! malware, vulnerabilities and identities are `relationship` objects (`targets` for an
//! identity, `related-to` otherwise).
//!
//! Only the origin makes new versions of an incident; another node adds notes instead.

use concord_stix::id::{new_id, parse_id};
use concord_store::{ListQuery, Order, Store};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use crate::ext::{self, DETERMINATIONS, INCIDENT_CORE_EXT, INVESTIGATION_STATUSES, SEVERITIES};
use crate::{ResponseError, Result, get_current, next_modified, now, store_objects};

/// What opening an incident takes.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NewIncident {
    /// A short name (required).
    pub name: String,
    /// A description.
    pub description: Option<String>,
    /// `suspected` when absent.
    pub determination: Option<String>,
    /// `new` when absent.
    pub investigation_status: Option<String>,
    /// `low`, `medium`, `high` or `critical`.
    pub severity: Option<String>,
    /// 0..=100 (from the severity when absent).
    pub criticality: Option<u8>,
    /// Incident types (open vocabulary: `ransomware`, `phishing`, ...).
    pub incident_types: Vec<String>,
    /// First and last seen (timestamps).
    pub first_seen: Option<String>,
    /// Last seen.
    pub last_seen: Option<String>,
    /// TLP level (`green` when absent).
    pub tlp: Option<String>,
    /// Labels.
    pub labels: Vec<String>,
    /// Ids of objects involved (indicators, observed data, sightings, malware,
    /// vulnerabilities, identities, ...).
    pub links: Vec<String>,
}

/// A change to an incident: absent fields keep their value.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct IncidentChange {
    /// New name.
    pub name: Option<String>,
    /// New description.
    pub description: Option<String>,
    /// New determination.
    pub determination: Option<String>,
    /// New investigation status.
    pub investigation_status: Option<String>,
    /// New severity.
    pub severity: Option<String>,
    /// New criticality.
    pub criticality: Option<u8>,
    /// Replaces the incident types.
    pub incident_types: Option<Vec<String>>,
    /// New first seen.
    pub first_seen: Option<String>,
    /// New last seen.
    pub last_seen: Option<String>,
    /// More objects involved.
    pub links: Vec<String>,
}

fn check_one_of(field: &str, v: &str, allowed: &[&str]) -> Result<()> {
    if allowed.contains(&v) {
        Ok(())
    } else {
        Err(ResponseError::Invalid(format!(
            "{field}: {v:?} is not one of {}",
            allowed.join(", ")
        )))
    }
}

fn check_status(v: &str) -> Result<()> {
    // An open vocabulary: the suggested values, or another lower-case token.
    if INVESTIGATION_STATUSES.contains(&v)
        || (!v.is_empty() && v.chars().all(|c| c.is_ascii_lowercase() || c == '-'))
    {
        Ok(())
    } else {
        Err(ResponseError::Invalid(format!(
            "investigation_status: {v:?} is not a vocabulary value (new, open, closed)"
        )))
    }
}

fn check_time(field: &str, v: &str) -> Result<String> {
    concord_stix::Timestamp::parse(v)
        .map(|t| concord_stix::Timestamp::format_millis(t.instant()))
        .map_err(|e| ResponseError::Invalid(format!("{field}: {v:?} is not a timestamp: {e}")))
}

fn severity_criticality(s: &str) -> Result<u8> {
    SEVERITIES
        .iter()
        .find(|(n, _)| *n == s)
        .map(|(_, c)| *c)
        .ok_or_else(|| {
            ResponseError::Invalid(format!(
                "severity: {s:?} is not one of low, medium, high, critical"
            ))
        })
}

fn link_relationships(incident: &Value, links: &[String], store: &dyn Store) -> Result<Vec<Value>> {
    let id = incident["id"].as_str().unwrap_or_default();
    let ts = crate::version_of(incident).to_owned();
    let markings = crate::tlp_refs(incident);
    let mut out = Vec::new();
    for target in links {
        let (ty, _) = parse_id(target).map_err(|e| {
            ResponseError::Invalid(format!("links: {target:?} is not a STIX id: {e}"))
        })?;
        if ty == "sighting" {
            return Err(ResponseError::Invalid(format!(
                "links: {target} is a sighting (a relationship cannot point at it): link the \
                 indicator or observed data it refers to, and the timeline shows the sighting"
            )));
        }
        if matches!(
            ty,
            "relationship" | "marking-definition" | "extension-definition" | "language-content"
        ) {
            return Err(ResponseError::Invalid(format!(
                "links: {target} cannot be linked to an incident"
            )));
        }
        // Keep links idempotent: one relationship per (incident, target).
        let rel_id = derived_id("relationship", &format!("{id} {target}"));
        if store.get(&rel_id)?.is_some() {
            continue;
        }
        let rel_type = if ty == "identity" {
            "targets"
        } else {
            "related-to"
        };
        let mut rel = json!({
            "type": "relationship", "spec_version": "2.1", "id": rel_id,
            "created": ts, "modified": ts,
            "relationship_type": rel_type, "source_ref": id, "target_ref": target,
        });
        if !markings.is_empty() {
            rel["object_marking_refs"] = json!(markings);
        }
        out.push(rel);
    }
    Ok(out)
}

/// A UUIDv5 id under the response extension's namespace (stable for the same name).
pub fn derived_id(ty: &str, name: &str) -> String {
    let ns = uuid::Uuid::parse_str(ext::RESPONSE_EXT.trim_start_matches("extension-definition--"))
        .unwrap_or_default();
    format!("{ty}--{}", uuid::Uuid::new_v5(&ns, name.as_bytes()))
}

/// Opens an incident; returns its id.
pub fn open(store: &dyn Store, new: &NewIncident) -> Result<String> {
    if new.name.trim().is_empty() {
        return Err(ResponseError::Invalid(
            "name: an incident needs a name".into(),
        ));
    }
    let determination = new.determination.as_deref().unwrap_or("suspected");
    check_one_of("determination", determination, DETERMINATIONS)?;
    let status = new.investigation_status.as_deref().unwrap_or("new");
    check_status(status)?;
    let tlp: concord_stix::Tlp = new
        .tlp
        .as_deref()
        .unwrap_or("green")
        .parse()
        .map_err(|e| ResponseError::Invalid(format!("tlp: {e}")))?;
    let ts = now();
    let id = new_id("incident");
    let mut v = json!({
        "type": "incident", "spec_version": "2.1", "id": id,
        "created": ts, "modified": ts, "name": new.name.trim(),
        "object_marking_refs": [tlp.marking_id()],
    });
    if let Some(d) = &new.description {
        v["description"] = json!(d);
    }
    if !new.labels.is_empty() {
        v["labels"] = json!(new.labels);
    }
    let mut core = json!({
        "extension_type": "property-extension",
        "determination": determination,
        "investigation_status": status,
    });
    let criticality = match (new.criticality, new.severity.as_deref()) {
        (Some(c), _) => Some(c),
        (None, Some(s)) => Some(severity_criticality(s)?),
        _ => None,
    };
    if let Some(c) = criticality {
        if c > 100 {
            return Err(ResponseError::Invalid(format!(
                "criticality: {c} is not from 0 to 100"
            )));
        }
        core["criticality"] = json!(c);
    }
    if !new.incident_types.is_empty() {
        core["incident_types"] = json!(new.incident_types);
    }
    v["extensions"] = json!({ INCIDENT_CORE_EXT: core });
    let mut props = Map::new();
    props.insert("kind".into(), json!("incident"));
    if let Some(s) = &new.severity {
        severity_criticality(s)?;
        props.insert("severity".into(), json!(s));
    }
    if let Some(t) = &new.first_seen {
        props.insert("first_seen".into(), json!(check_time("first_seen", t)?));
    }
    if let Some(t) = &new.last_seen {
        props.insert("last_seen".into(), json!(check_time("last_seen", t)?));
    }
    check_seen_order(&props)?;
    ext::set(&mut v, props);
    let mut all = vec![v.clone()];
    all.extend(link_relationships(&v, &new.links, store)?);
    store_objects(store, all)?;
    Ok(id)
}

fn check_seen_order(props: &Map<String, Value>) -> Result<()> {
    if let (Some(f), Some(l)) = (
        props.get("first_seen").and_then(Value::as_str),
        props.get("last_seen").and_then(Value::as_str),
    ) && l < f
    {
        return Err(ResponseError::Invalid(format!(
            "last_seen {l} is before first_seen {f}"
        )));
    }
    Ok(())
}

/// The current version of an incident held here (of any origin), or an error.
pub fn current(store: &dyn Store, id: &str) -> Result<Value> {
    let v = get_current(store, id)?;
    if v["type"] != "incident" && v["type"] != "report" {
        return Err(ResponseError::Invalid(format!(
            "{id} is a {}, not an incident",
            v["type"].as_str().unwrap_or("?")
        )));
    }
    Ok(v)
}

/// Writes a new version of a held incident created here, changed by `f`; returns the
/// new version. Only the node that opened an incident versions it.
pub fn new_version(
    store: &dyn Store,
    id: &str,
    f: impl FnOnce(&mut Value) -> Result<()>,
) -> Result<Value> {
    let old = current(store, id)?;
    if !crate::is_local(store, &old)? {
        return Err(ResponseError::Refused(format!(
            "{id} was created by another node; only its origin makes new versions (add a note instead)"
        )));
    }
    let mut v = old.clone();
    f(&mut v)?;
    v["modified"] = json!(next_modified(crate::version_of(&old)));
    store_objects(store, vec![v.clone()])?;
    Ok(v)
}

/// Changes an incident (a new version, plus relationships for new links).
pub fn update(store: &dyn Store, id: &str, change: &IncidentChange) -> Result<Value> {
    let v = new_version(store, id, |v| {
        if let Some(n) = &change.name {
            if n.trim().is_empty() {
                return Err(ResponseError::Invalid("name: must not be empty".into()));
            }
            v["name"] = json!(n.trim());
        }
        if let Some(d) = &change.description {
            v["description"] = json!(d);
        }
        let core = &mut v["extensions"][INCIDENT_CORE_EXT];
        if !core.is_object() {
            *core = json!({"extension_type": "property-extension", "determination": "suspected",
                "investigation_status": "new"});
        }
        if let Some(d) = &change.determination {
            check_one_of("determination", d, DETERMINATIONS)?;
            core["determination"] = json!(d);
        }
        if let Some(s) = &change.investigation_status {
            check_status(s)?;
            core["investigation_status"] = json!(s);
        }
        if let Some(c) = change.criticality {
            if c > 100 {
                return Err(ResponseError::Invalid(format!(
                    "criticality: {c} is not from 0 to 100"
                )));
            }
            core["criticality"] = json!(c);
        } else if let Some(s) = &change.severity {
            core["criticality"] = json!(severity_criticality(s)?);
        }
        if let Some(t) = &change.incident_types {
            if t.is_empty() {
                core.as_object_mut().map(|m| m.remove("incident_types"));
            } else {
                core["incident_types"] = json!(t);
            }
        }
        let mut props = ext::get(v).cloned().unwrap_or_default();
        props.remove("extension_type");
        props.insert("kind".into(), json!("incident"));
        if let Some(s) = &change.severity {
            props.insert("severity".into(), json!(s));
        }
        if let Some(t) = &change.first_seen {
            props.insert("first_seen".into(), json!(check_time("first_seen", t)?));
        }
        if let Some(t) = &change.last_seen {
            props.insert("last_seen".into(), json!(check_time("last_seen", t)?));
        }
        check_seen_order(&props)?;
        ext::set(v, props);
        Ok(())
    })?;
    let rels = link_relationships(&v, &change.links, store)?;
    if !rels.is_empty() {
        store_objects(store, rels)?;
    }
    Ok(v)
}

/// Closes an incident (`investigation_status` `closed`), optionally with a final
/// determination.
pub fn close(store: &dyn Store, id: &str, determination: Option<String>) -> Result<Value> {
    update(
        store,
        id,
        &IncidentChange {
            investigation_status: Some("closed".into()),
            determination,
            ..IncidentChange::default()
        },
    )
}

/// A summary of an incident: the fields of both extensions, its origin, whether it is
/// an alert, and the object itself.
pub fn show(store: &dyn Store, me: &str, id: &str) -> Result<Value> {
    let v = current(store, id)?;
    summary(store, me, &v)
}

/// The summary of a held incident version.
pub fn summary(store: &dyn Store, me: &str, v: &Value) -> Result<Value> {
    let core = &v["extensions"][INCIDENT_CORE_EXT];
    let origin = crate::origin_of(store, me, v)?;
    let versions = store.versions(v["id"].as_str().unwrap_or_default())?.len();
    Ok(json!({
        "id": v["id"],
        "version": crate::version_of(v),
        "versions": versions,
        "name": v["name"],
        "determination": core["determination"],
        "investigation_status": core["investigation_status"],
        "criticality": core["criticality"],
        "incident_types": core["incident_types"],
        "severity": ext::str_prop(v, "severity"),
        "first_seen": ext::str_prop(v, "first_seen"),
        "last_seen": ext::str_prop(v, "last_seen"),
        "tlp": concord_stix::Tlp::strictest(
            v["object_marking_refs"].as_array().into_iter().flatten().filter_map(Value::as_str)
        ).map(|t| t.as_str()),
        "origin": origin,
        "local": origin == me,
        "alert": ext::get(v).and_then(|e| e.get("alert")).cloned(),
        "recipients": concord_stix::concord_ext::recipients(v),
        "object": v,
    }))
}

/// Every current incident held here, newest first (at most `limit`).
pub fn list(store: &dyn Store, me: &str, limit: usize) -> Result<Vec<Value>> {
    let page = store.list(&ListQuery {
        types: vec!["incident".into()],
        order: Order::NewestFirst,
        limit: limit.clamp(1, 1000),
        ..ListQuery::default()
    })?;
    page.objects
        .iter()
        .map(|o| summary(store, me, &o.value()))
        .collect()
}
