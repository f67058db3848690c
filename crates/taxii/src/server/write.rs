//! The write routes: `POST .../objects/` (through the one import path, answered with a
//! status resource that names each object's success or failure and its reasons),
//! `DELETE .../objects/{id}/` (every version), and `GET .../status/{id}/`.

use axum::extract::{Path, RawQuery, Request, State};
use axum::http::{StatusCode, header};
use axum::response::Response;
use concord_store::Outcome;
use concord_store::import::{DEFAULT_BATCH, ObjectResult, import_values_as};
use serde_json::Value;

use super::{Caller, TaxiiState, taxii_body, taxii_json};
use crate::collection::Head;
use crate::error::TaxiiError;
use crate::query::Params;
use crate::wire::{Status, StatusDetail, object_version};

fn content_type_ok(req: &Request) -> bool {
    let Some(ct) = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let mut parts = ct.split(';').map(str::trim);
    let mime = parts.next().unwrap_or("").to_ascii_lowercase();
    let version = parts
        .filter_map(|p| p.split_once('='))
        .find(|(k, _)| k.trim().eq_ignore_ascii_case("version"))
        .map(|(_, v)| v.trim().trim_matches('"').to_owned());
    mime == "application/taxii+json" && version.is_none_or(|v| v == "2.1")
}

fn too_large(limit: usize) -> TaxiiError {
    TaxiiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
        format!(
            "the envelope is larger than max_content_length ({limit} bytes); send fewer objects per request"
        ),
    )
}

/// `POST .../collections/{id}/objects/`.
pub(super) async fn add_objects(
    caller: Caller,
    State(state): State<TaxiiState>,
    Path(collection): Path<String>,
    req: Request,
) -> Result<Response, TaxiiError> {
    // Role decides whether the caller may write; the collection's filters (not the
    // clearance, which limits reading) decide what it admits; the import path keeps a
    // writer from changing an object above its clearance (`import_values_as`).
    let mut coll = state.collection(&collection, &caller)?;
    let clearance = coll.clearance.take();
    if !coll.writable_by(caller.role) {
        return Err(TaxiiError::forbidden(format!(
            "token {:?} (role {}) may not write to collection {}",
            caller.name,
            caller.role.as_str(),
            coll.id
        )));
    }
    if !content_type_ok(&req) {
        return Err(TaxiiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "send the envelope with `Content-Type: application/taxii+json;version=2.1`",
        ));
    }
    let limit = state.config.max_content_length;
    let announced = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if announced.is_some_and(|n| n > limit as u64) {
        return Err(too_large(limit));
    }
    let bytes = axum::body::to_bytes(req.into_body(), limit)
        .await
        .map_err(|_| too_large(limit))?;
    let request_timestamp = concord_stix::Timestamp::now_millis();
    let envelope: Value = serde_json::from_slice(&bytes).map_err(|e| {
        TaxiiError::bad_request(
            "invalid_json",
            format!("the body is not a JSON document: {e}"),
        )
    })?;
    let Some(Value::Array(objects)) = envelope.get("objects").cloned() else {
        return Err(TaxiiError::bad_request(
            "invalid_envelope",
            "the body must be a TAXII envelope: a JSON object with an `objects` array",
        ));
    };
    let total = objects.len();
    let labels: Vec<(String, String)> = objects
        .iter()
        .map(|o| {
            (
                o.get("id").and_then(Value::as_str).unwrap_or("").to_owned(),
                object_version(o, "").to_owned(),
            )
        })
        .collect();
    let mut failures: Vec<StatusDetail> = Vec::new();
    let mut admitted: Vec<(usize, Value)> = Vec::with_capacity(total);
    for (i, o) in objects.into_iter().enumerate() {
        let head: Head = serde_json::from_value(o.clone()).unwrap_or_default();
        match coll.admits(&head) {
            Ok(()) => admitted.push((i, o)),
            Err(why) if o.is_object() => {
                failures.push(detail(&labels[i], format!("not stored: {why}")))
            }
            Err(_) => failures.push(detail(
                &labels[i],
                "not a STIX object (not a JSON object)".to_owned(),
            )),
        }
    }
    let store = state.store.clone();
    let positions: Vec<usize> = admitted.iter().map(|(i, _)| *i).collect();
    let results = tokio::task::spawn_blocking(move || {
        let mut results: Vec<ObjectResult> = Vec::with_capacity(admitted.len());
        import_values_as(
            &store,
            admitted.into_iter().map(|(_, v)| v),
            DEFAULT_BATCH,
            clearance,
            &mut |b| {
                results.extend_from_slice(b);
            },
        )
        .map(|_| results)
    })
    .await??;
    let mut successes = Vec::new();
    for r in results {
        match r {
            ObjectResult::Accepted { index, outcome, .. } => {
                let label = &labels[positions[index]];
                match outcome {
                    Outcome::Conflict => failures.push(detail(
                        label,
                        "a different object with this id and modified is already held; a version never changes".to_owned(),
                    )),
                    Outcome::New => successes.push(detail(label, "stored".to_owned())),
                    Outcome::NewVersion => successes.push(detail(label, "stored as a new version".to_owned())),
                    Outcome::Unchanged => successes.push(detail(label, "already held".to_owned())),
                }
            }
            ObjectResult::Rejected { index, reasons, .. } => {
                let why: Vec<String> = reasons.iter().map(ToString::to_string).collect();
                failures.push(detail(&labels[positions[index]], why.join("; ")));
            }
        }
    }
    let status = Status {
        id: uuid::Uuid::new_v4().to_string(),
        status: "complete".to_owned(),
        request_timestamp: Some(request_timestamp),
        total_count: total as u64,
        success_count: successes.len() as u64,
        successes,
        failure_count: failures.len() as u64,
        failures,
        pending_count: 0,
        pendings: Vec::new(),
    };
    tracing::info!(
        token = %caller.name,
        collection = %coll.id,
        total,
        succeeded = status.success_count,
        failed = status.failure_count,
        "TAXII objects added."
    );
    state.statuses.put(&caller.name, status.clone());
    Ok(taxii_json(StatusCode::ACCEPTED, &status))
}

fn detail(label: &(String, String), message: String) -> StatusDetail {
    StatusDetail {
        id: label.0.clone(),
        version: label.1.clone(),
        message: Some(message),
    }
}

/// `GET .../status/{id}/`.
pub(super) async fn status(
    _caller: Caller,
    State(state): State<TaxiiState>,
    Path(id): Path<String>,
) -> Result<Response, TaxiiError> {
    let s = state.statuses.get(&id).ok_or_else(|| {
        TaxiiError::not_found(format!("no status {id:?} (statuses are kept for a day)"))
    })?;
    Ok(taxii_json(StatusCode::OK, &s))
}

/// `DELETE .../collections/{id}/objects/{object_id}/`: removes every version (the
/// `match[...]` filters that would pick single versions are refused).
pub(super) async fn delete_object(
    caller: Caller,
    State(state): State<TaxiiState>,
    Path((collection, object)): Path<(String, String)>,
    RawQuery(raw): RawQuery,
) -> Result<Response, TaxiiError> {
    // Role decides whether the caller may delete; clearance decides which objects: one
    // with a version the caller does not see whole answers as an absent one would.
    let coll = state.collection(&collection, &caller)?;
    if !coll.writable_by(caller.role) {
        return Err(TaxiiError::forbidden(format!(
            "token {:?} (role {}) may not delete from collection {}",
            caller.name,
            caller.role.as_str(),
            coll.id
        )));
    }
    let p = Params::parse(raw.as_deref(), &["version", "spec_version"])?;
    if !p.versions.only_last() || !p.spec_versions.is_empty() {
        return Err(TaxiiError::bad_parameter(
            "match[version]",
            "this server deletes an object with all its versions; send DELETE without match[...] filters",
        ));
    }
    super::read::ensure_exists(&state, &coll, &object).await?;
    if let Some(c) = coll.clearance {
        let held = state.store.versions(&object)?;
        if held.iter().any(|v| {
            concord_stix::visibility::view(&v.value(), c) != concord_stix::visibility::View::Whole
        }) {
            return Err(TaxiiError::not_found(format!(
                "no object {object} in collection {}",
                coll.id
            )));
        }
    }
    let store = state.store.clone();
    let id = object.clone();
    let removed = tokio::task::spawn_blocking(move || store.delete(&id)).await??;
    tracing::info!(token = %caller.name, collection = %coll.id, object = %object, versions = removed, "TAXII object deleted.");
    Ok(taxii_body(StatusCode::OK, Vec::new()))
}
