//! The write routes: `POST .../objects/` (through `concord_ingest::document`, the
//! import of STIX every front end shares: objects parsed and stored batch by batch,
//! answered with a status resource that counts every object and names the first
//! [`MAX_DETAILS`] successes and failures with their reasons; an envelope of more than
//! `max_objects_per_request` objects is refused whole with 413), `DELETE
//! .../objects/{id}/` (every version), and `GET .../status/{id}/`.

use std::collections::VecDeque;
use std::sync::{Mutex, PoisonError};

use axum::extract::{Path, RawQuery, Request, State};
use axum::http::{StatusCode, header};
use axum::response::Response;
use concord_ingest::Target;
use concord_ingest::document::{DocumentError, Layout, import_document};
use concord_stix::input::InputError;
use concord_store::Outcome;
use concord_store::import::{DEFAULT_BATCH, ObjectResult};
use serde::Deserialize;
use serde_json::Value;

use super::{Caller, TaxiiState, taxii_body, taxii_json};
use crate::collection::{CollectionConfig, Head};
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
    // writer from changing an object above its clearance (`ClearedStore`).
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
    let store = concord_store::cleared::ClearedStore::for_caller(state.store.clone(), clearance);
    let max_objects = state.config.max_objects_per_request;
    let filter = coll.clone();
    let (total, details) = tokio::task::spawn_blocking(move || {
        let details = Shared(Mutex::new(Details::default()));
        let imported = import_document(
            Target::Store(&*store),
            &bytes,
            Layout::Envelope,
            max_objects,
            DEFAULT_BATCH,
            &mut |at, o| details.lock().admit(&filter, at, o),
            &details,
        )
        .map_err(envelope_error)?;
        let details = details
            .0
            .into_inner()
            .unwrap_or_else(PoisonError::into_inner);
        Ok::<_, TaxiiError>((imported.total, details))
    })
    .await??;
    let Details {
        successes,
        failures,
        success_count,
        failure_count,
        ..
    } = details;
    let status = Status {
        id: uuid::Uuid::new_v4().to_string(),
        status: "complete".to_owned(),
        request_timestamp: Some(request_timestamp),
        total_count: total as u64,
        success_count,
        successes,
        failure_count,
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
    let (board, owner, kept) = (state.statuses.clone(), caller.name.clone(), status.clone());
    tokio::task::spawn_blocking(move || board.put(&owner, &kept)).await??;
    Ok(taxii_json(StatusCode::ACCEPTED, &status))
}

/// Details a status lists at most in each of `successes` and `failures` (the first ones,
/// in envelope order); `success_count` and `failure_count` count every object.
pub const MAX_DETAILS: usize = 1_000;

/// [`Details`] filled by `admit` (each object, before the import) and by the import,
/// which tells each committed batch's results as its progress. Uncontended: one thread
/// locks it, once per object and once per batch.
struct Shared(Mutex<Details>);

impl Shared {
    fn lock(&self) -> std::sync::MutexGuard<'_, Details> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl concord_ingest::Progress for Shared {
    fn stored(&self, results: &[ObjectResult], _: u64) {
        let mut d = self.lock();
        results.iter().for_each(|r| d.result(r));
    }
}

/// The status of an add-objects request as it is built, batch by batch.
#[derive(Debug, Default)]
struct Details {
    successes: Vec<StatusDetail>,
    failures: Vec<StatusDetail>,
    success_count: u64,
    failure_count: u64,
    /// (position, (id, version)) of admitted objects whose results have not come back.
    waiting: VecDeque<(usize, (String, String))>,
}

impl Details {
    /// Whether the collection takes object `o` (at position `at`); a failure if not.
    fn admit(&mut self, coll: &CollectionConfig, at: usize, o: &Value) -> bool {
        let label = (
            o.get("id").and_then(Value::as_str).unwrap_or("").to_owned(),
            object_version(o, "").to_owned(),
        );
        let head = Head::deserialize(o).unwrap_or_default();
        match coll.admits(&head) {
            Ok(()) => {
                self.waiting.push_back((at, label));
                true
            }
            Err(why) if o.is_object() => {
                self.failure(&label, format!("not stored: {why}"));
                false
            }
            Err(_) => {
                self.failure(&label, "not a STIX object (not a JSON object)".to_owned());
                false
            }
        }
    }

    /// Records the import's result for an admitted object.
    fn result(&mut self, r: &ObjectResult) {
        let index = match r {
            ObjectResult::Accepted { index, .. } | ObjectResult::Rejected { index, .. } => *index,
        };
        // Results come back in the order objects were admitted: the first one waiting.
        let label = self
            .waiting
            .iter()
            .position(|(at, _)| *at == index)
            .and_then(|i| self.waiting.remove(i))
            .map(|(_, l)| l)
            .unwrap_or_default();
        match r {
            ObjectResult::Accepted { outcome, .. } => match outcome {
                Outcome::Conflict => self.failure(
                    &label,
                    "a different object with this id and modified is already held; a version never changes".to_owned(),
                ),
                Outcome::New => self.success(&label, "stored"),
                Outcome::NewVersion => self.success(&label, "stored as a new version"),
                Outcome::Unchanged => self.success(&label, "already held"),
            },
            ObjectResult::Rejected { reasons, .. } => {
                let why: Vec<String> = reasons.iter().map(ToString::to_string).collect();
                self.failure(&label, why.join("; "));
            }
        }
    }

    fn success(&mut self, label: &(String, String), message: &str) {
        self.success_count += 1;
        if self.successes.len() < MAX_DETAILS {
            self.successes.push(detail(label, message.to_owned()));
        }
    }

    fn failure(&mut self, label: &(String, String), message: String) {
        self.failure_count += 1;
        if self.failures.len() < MAX_DETAILS {
            self.failures.push(detail(label, message));
        }
    }
}

fn envelope_error(e: DocumentError) -> TaxiiError {
    match e {
        DocumentError::Input(InputError::Json(j)) => TaxiiError::bad_request(
            "invalid_json",
            format!("the body is not a JSON document: {j}"),
        ),
        DocumentError::Utf8 { .. } => TaxiiError::bad_request(
            "invalid_json",
            format!("the body is not a JSON document: {e}"),
        ),
        DocumentError::TooMany { .. } => TaxiiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_many_objects",
            e.to_string(),
        ),
        DocumentError::Store(e) => e.into(),
        other => TaxiiError::bad_request("invalid_envelope", other.to_string()),
    }
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
    // A point read: stays on the async worker.
    let s = state.statuses.get(&id)?.ok_or_else(|| {
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
