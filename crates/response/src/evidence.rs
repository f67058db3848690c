//! Evidence: files attached to an incident as STIX `artifact` objects (SHA-256 in
//! `hashes`, contents in `payload_bin` so they travel by ordinary sync, a size limit),
//! their contents kept in `<data_dir>/evidence/<sha256>`, and a chain of custody: a
//! `note` (`kind = "custody"`) for every node that added or received the file, saying
//! whether the hash was verified there. Custody notes travel like any note, so each
//! holder sees the whole chain its peers' policies allow; the outbound audit log records
//! every hop.

use std::path::{Path, PathBuf};

use base64::Engine;
use concord_stix::id::new_id;
use concord_store::{ListQuery, Order, Store};
use serde::Serialize;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::{ResponseError, Result, ext, now, store_objects};

/// Default largest file accepted (`[evidence] max_bytes` in `response.toml`).
pub const DEFAULT_MAX_BYTES: u64 = 8 * 1024 * 1024;

/// The directory under the data directory holding evidence contents.
pub fn evidence_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("evidence")
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

fn write_contents(dir: &Path, sha: &str, bytes: &[u8]) -> Result<PathBuf> {
    std::fs::create_dir_all(dir)
        .map_err(|e| ResponseError::Invalid(format!("cannot create {}: {e}", dir.display())))?;
    let path = dir.join(sha);
    concord_store::atomic::write(&path, bytes, concord_store::atomic::Mode::Shared)
        .map_err(|e| ResponseError::Invalid(format!("cannot write {}: {e}", path.display())))?;
    Ok(path)
}

fn custody(
    store: &dyn Store,
    me: &str,
    artifact: &Value,
    incident: Option<&str>,
    event: &str,
    verified: bool,
    detail: &str,
) -> Result<String> {
    let ts = now();
    let id = new_id("note");
    let artifact_id = artifact["id"].as_str().unwrap_or_default();
    let mut refs = vec![json!(artifact_id)];
    if let Some(i) = incident {
        refs.push(json!(i));
    }
    let sha = artifact["hashes"]["SHA-256"].as_str().unwrap_or("");
    let mut v = json!({
        "type": "note", "spec_version": "2.1", "id": id,
        "created": ts, "modified": ts,
        "abstract": format!("Chain of custody: {event}"),
        "content": format!("{event} by {me}: SHA-256 {sha} {}{detail}",
            if verified { "verified" } else { "NOT verified" }),
        "object_refs": refs,
    });
    let markings = crate::tlp_refs(artifact);
    if !markings.is_empty() {
        v["object_marking_refs"] = json!(markings);
    }
    ext::set(
        &mut v,
        ext::props(json!({"kind": "custody", "event": event, "by_node": me,
            "sha256": sha, "verified": verified})),
    );
    store_objects(store, vec![v])?;
    Ok(id)
}

/// A file to attach.
#[derive(Debug, Clone, Copy)]
pub struct NewEvidence<'a> {
    /// Its contents.
    pub bytes: &'a [u8],
    /// Its media type.
    pub mime_type: Option<&'a str>,
    /// The SHA-256 (hex) it must have, if the caller knows it.
    pub expected_sha256: Option<&'a str>,
    /// The size limit.
    pub max_bytes: u64,
}

/// Attaches a file to an incident held here: checks the size limit and, when given, the
/// expected SHA-256; keeps the contents under `data_dir/evidence`; stores the artifact, a
/// relationship from the incident and the first custody entry. Returns the artifact id.
pub fn add(
    store: &dyn Store,
    me: &str,
    data_dir: &Path,
    incident_id: &str,
    file: &NewEvidence<'_>,
) -> Result<String> {
    let NewEvidence {
        bytes,
        mime_type,
        expected_sha256,
        max_bytes,
    } = *file;
    if bytes.len() as u64 > max_bytes {
        return Err(ResponseError::Invalid(format!(
            "the file has {} bytes, over the evidence limit of {max_bytes} bytes",
            bytes.len()
        )));
    }
    let sha = sha256_hex(bytes);
    if let Some(e) = expected_sha256
        && !e.eq_ignore_ascii_case(&sha)
    {
        return Err(ResponseError::Invalid(format!(
            "sha256: the file's SHA-256 is {sha}, not {e}: nothing stored"
        )));
    }
    let incident = crate::incident::current(store, incident_id)?;
    let mut art = json!({
        "type": "artifact", "spec_version": "2.1",
        "payload_bin": base64::engine::general_purpose::STANDARD.encode(bytes),
        "hashes": {"SHA-256": sha},
    });
    // The deterministic SCO id (STIX namespace, id-contributing properties): the same
    // file gets the same id everywhere.
    let artifact_id = art
        .as_object()
        .and_then(|m| concord_stix::sco_id::deterministic_id("artifact", m))
        .unwrap_or_else(|| crate::incident::derived_id("artifact", &format!("sha256 {sha}")));
    art["id"] = json!(artifact_id);
    if let Some(m) = mime_type {
        art["mime_type"] = json!(m);
    }
    let markings = crate::tlp_refs(&incident);
    if !markings.is_empty() {
        art["object_marking_refs"] = json!(markings);
    }
    write_contents(&evidence_dir(data_dir), &sha, bytes)?;
    store_objects(store, vec![art.clone()])?;
    crate::incident::update(
        store,
        incident_id,
        &crate::incident::IncidentChange {
            links: vec![artifact_id.clone()],
            ..Default::default()
        },
    )
    .or_else(|e| match e {
        // An incident of another node: link by the custody note only.
        ResponseError::Refused(_) => Ok(Value::Null),
        other => Err(other),
    })?;
    custody(store, me, &art, Some(incident_id), "added", true, "")?;
    Ok(artifact_id)
}

/// Verifies artifacts received from peers that have no custody entry of this node yet:
/// the payload's SHA-256 against `hashes`; a match is kept under `data_dir/evidence`.
/// Either way a custody entry (`received`, verified or not) records it. Returns
/// (artifact id, verified) for each one handled.
pub fn receive_pending(
    store: &dyn Store,
    me: &str,
    data_dir: &Path,
) -> Result<Vec<(String, bool)>> {
    let page = store.list(&ListQuery {
        types: vec!["artifact".into()],
        order: Order::NewestFirst,
        limit: 1000,
        ..ListQuery::default()
    })?;
    let mut done = Vec::new();
    for o in page.objects {
        let art = o.value();
        let id = art["id"].as_str().unwrap_or_default().to_owned();
        if crate::is_local(store, &art)? || chain(store, me, &id)?.iter().any(|c| c.node == me) {
            continue;
        }
        let expected = art["hashes"]["SHA-256"]
            .as_str()
            .unwrap_or("")
            .to_ascii_lowercase();
        let payload = art["payload_bin"]
            .as_str()
            .and_then(|p| base64::engine::general_purpose::STANDARD.decode(p).ok());
        let (verified, detail) = match &payload {
            Some(bytes) if !expected.is_empty() && sha256_hex(bytes) == expected => {
                write_contents(&evidence_dir(data_dir), &expected, bytes)?;
                (true, String::new())
            }
            Some(bytes) => (
                false,
                format!(" (the contents hash to {}; not kept)", sha256_hex(bytes)),
            ),
            None => (false, " (no contents received)".to_owned()),
        };
        if !verified {
            tracing::warn!(artifact = %id, %detail, "Evidence received with a wrong hash.");
        }
        let incident = chain_incident(store, &id)?;
        custody(
            store,
            me,
            &art,
            incident.as_deref(),
            "received",
            verified,
            &detail,
        )?;
        done.push((id, verified));
    }
    Ok(done)
}

fn chain_incident(store: &dyn Store, artifact_id: &str) -> Result<Option<String>> {
    for rel in store.relationships(artifact_id)? {
        if concord_stix::id::type_of(&rel.id) == Some("incident") {
            return Ok(Some(rel.id));
        }
        if let Some(o) = store.get(&rel.id)? {
            let v = o.value();
            if let Some(i) = v["object_refs"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .find(|r| r.starts_with("incident--"))
            {
                return Ok(Some(i.to_owned()));
            }
        }
    }
    Ok(None)
}

/// One entry of a chain of custody.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct CustodyEntry {
    /// When.
    pub at: String,
    /// `added` or `received`.
    pub event: String,
    /// The node (verified origin of the entry, or this node).
    pub node: String,
    /// Whether that node verified the hash.
    pub verified: bool,
    /// The hash it checked.
    pub sha256: String,
}

/// The chain of custody of an artifact held here, oldest first. Entries whose verified
/// origin is not the node they name are left out.
pub fn chain(store: &dyn Store, me: &str, artifact_id: &str) -> Result<Vec<CustodyEntry>> {
    let mut out = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for rel in store.relationships(artifact_id)? {
        if rel.direction != "incoming" || !seen.insert(rel.id.clone()) {
            continue;
        }
        let Some(o) = store.get(&rel.id)? else {
            continue;
        };
        let v = o.value();
        if ext::kind(&v) != Some("custody") {
            continue;
        }
        let origin = crate::origin_of(store, me, &v)?;
        if ext::str_prop(&v, "by_node") != Some(origin.as_str()) {
            tracing::warn!(entry = %rel.id, %origin, "Custody entry ignored: it names another node.");
            continue;
        }
        out.push(CustodyEntry {
            at: crate::version_of(&v).to_owned(),
            event: ext::str_prop(&v, "event").unwrap_or("").to_owned(),
            node: origin,
            verified: ext::get(&v)
                .and_then(|e| e.get("verified"))
                .and_then(Value::as_bool)
                .unwrap_or(false),
            sha256: ext::str_prop(&v, "sha256").unwrap_or("").to_owned(),
        });
    }
    out.sort_by(|a, b| a.at.cmp(&b.at));
    Ok(out)
}
