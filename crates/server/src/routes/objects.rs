//! Object routes: import (`POST /api/v1/objects`, through `concord_ingest::document`, as
//! every front end imports STIX), listing, search, one object, its
//! versions, relationships and correlations.

use std::sync::{Mutex, PoisonError};

use axum::Json;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use concord_ingest::Target;
use concord_ingest::document::{DocumentError, Layout, import_document};
use concord_stix::input::InputError;
use concord_stix::visibility::View;
use concord_store::import::{DEFAULT_BATCH, ObjectResult, Summary};
use concord_store::{ListQuery, Order, StoredObject};
use serde_json::{Value, json};

use crate::AppState;
use crate::auth::{AnalystAccess, Clearance, ReaderAccess};
use crate::error::ApiError;
use crate::extract::{ApiPath, Document};
use crate::routes::blocking;

/// Page size when `limit` is not given.
pub const DEFAULT_LIMIT: usize = 100;
/// Largest `limit` accepted.
pub const MAX_LIMIT: usize = 1000;

fn input_error(e: &InputError) -> ApiError {
    match e {
        InputError::Json(j) => {
            let hint = if j.to_string().contains("recursion limit") {
                " (the document nests arrays or objects too deeply)"
            } else {
                ""
            };
            ApiError::bad_request(
                "invalid_json",
                format!("the body is not a valid JSON document: {j}{hint}"),
            )
            .with_detail(json!({ "line": j.line(), "column": j.column() }))
        }
        other => ApiError::bad_request("wrong_shape", other.to_string()),
    }
}

/// Per-object results an import answer lists at most. Up to this many objects every
/// result is listed, in input order; past it only the rejections and conflicts are, up
/// to this many, and the answer says how many results it leaves out (the summary counts
/// them all).
pub const MAX_LISTED_RESULTS: usize = 10_000;

/// The results an import answer lists (see [`MAX_LISTED_RESULTS`]).
#[derive(Debug, Default)]
struct Listed {
    results: Vec<ObjectResult>,
    total: usize,
    /// Whether every result is still listed (else only rejections and conflicts).
    every: bool,
}

impl Listed {
    fn new() -> Listed {
        Listed {
            every: true,
            ..Listed::default()
        }
    }

    fn add(&mut self, r: &ObjectResult) {
        self.total += 1;
        let notable = |r: &ObjectResult| {
            !matches!(
                r,
                ObjectResult::Accepted { outcome, .. } if *outcome != concord_store::Outcome::Conflict
            )
        };
        if self.every && self.results.len() == MAX_LISTED_RESULTS {
            self.every = false;
            self.results.retain(notable);
        }
        if (self.every || notable(r)) && self.results.len() < MAX_LISTED_RESULTS {
            self.results.push(r.clone());
        }
    }

    fn omitted(&self) -> usize {
        self.total - self.results.len()
    }
}

/// [`Listed`] as the import's progress, which tells each committed batch's results (one
/// lock per batch).
struct Listing(Mutex<Listed>);

impl concord_ingest::Progress for Listing {
    fn stored(&self, results: &[ObjectResult], _: u64) {
        let mut listed = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        results.iter().for_each(|r| listed.add(r));
    }
}

fn document_error(e: DocumentError) -> ApiError {
    match e {
        DocumentError::Input(e) => input_error(&e),
        DocumentError::Utf8 { line, column } => ApiError::bad_request(
            "invalid_json",
            format!("the body is not a valid JSON document: {e}"),
        )
        .with_detail(json!({ "line": line, "column": column })),
        DocumentError::TooMany { .. } => ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_many_objects",
            e.to_string(),
        ),
        DocumentError::Store(e) => e.into(),
        other => ApiError::bad_request("wrong_shape", other.to_string()),
    }
}

/// `POST /api/v1/objects`: imports a bundle, an array of objects, or one object. The
/// objects are parsed one at a time and stored in batches (memory bounded by the batch);
/// a document of more than `max_objects_per_request` objects is refused whole (413).
pub async fn create(
    caller: AnalystAccess,
    State(state): State<AppState>,
    Document(bytes): Document,
) -> Result<Response, ApiError> {
    let size = bytes.len();
    // The caller's clearance limits what the write may touch (ClearedStore).
    let store = concord_store::cleared::ClearedStore::for_caller(state.store.clone(), caller.1.0);
    let limit = state.config.max_objects_per_request;
    let (summary, listed) = blocking(move || {
        let listed = Listing(Mutex::new(Listed::new()));
        let imported = import_document(
            Target::Store(&*store),
            &bytes,
            Layout::Stix,
            limit,
            DEFAULT_BATCH,
            &mut |_, _| true,
            &listed,
        )
        .map_err(document_error)?;
        let listed = listed
            .0
            .into_inner()
            .unwrap_or_else(PoisonError::into_inner);
        Ok((imported.summary, listed))
    })
    .await?;
    state.metrics.record_import(&summary);
    tracing::info!(
        token = %caller.0.name,
        bytes = size,
        new = summary.new,
        new_versions = summary.new_versions,
        unchanged = summary.unchanged,
        conflicts = summary.conflicts,
        rejected = summary.rejected,
        "Objects imported."
    );
    Ok(import_response(&summary, &listed))
}

fn import_response(summary: &Summary, listed: &Listed) -> Response {
    let total = listed.total;
    let accepted = total - summary.rejected;
    let mut message = if summary.rejected == 0 {
        format!("accepted {accepted} of {total} objects")
    } else {
        format!(
            "accepted {accepted} of {total} objects; {} rejected (see `results` entries with \"status\": \"rejected\" for the id, property path and rule of each)",
            summary.rejected
        )
    };
    let omitted = listed.omitted();
    if omitted > 0 {
        message.push_str(&format!(
            "; `results` lists only rejections and conflicts, at most {MAX_LISTED_RESULTS}, leaving out {omitted} results (the summary counts every object)"
        ));
    }
    let mut body = json!({ "message": message, "summary": summary, "results": listed.results });
    if omitted > 0 {
        body["omitted_results"] = json!(omitted);
    }
    if total > 0 && accepted == 0 {
        let err = ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "all_rejected", message);
        body["error"] = err.body()["error"].take();
        return (StatusCode::UNPROCESSABLE_ENTITY, Json(body)).into_response();
    }
    (StatusCode::OK, Json(body)).into_response()
}

/// Parsed listing parameters.
struct ListParams {
    query: ListQuery,
}

fn parse_params(raw: Option<&str>, allowed: &[&str]) -> Result<ListParams, ApiError> {
    let pairs: Vec<(String, String)> =
        serde_urlencoded::from_str(raw.unwrap_or("")).map_err(|e| {
            ApiError::bad_parameter("query", format!("the query string cannot be read: {e}"))
        })?;
    let mut q = ListQuery {
        limit: DEFAULT_LIMIT,
        ..ListQuery::default()
    };
    for (key, value) in pairs {
        if !allowed.contains(&key.as_str()) {
            return Err(ApiError::bad_parameter(
                &key,
                format!(
                    "unknown parameter `{key}`; this route takes {}",
                    allowed.join(", ")
                ),
            ));
        }
        match key.as_str() {
            "type" => {
                for ty in value.split(',').map(str::trim).filter(|t| !t.is_empty()) {
                    concord_stix::id::check_type_name(ty).map_err(|e| {
                        ApiError::bad_parameter(
                            "type",
                            format!("`type` {ty:?} is not a STIX type name: {e}"),
                        )
                    })?;
                    q.types.push(ty.to_owned());
                }
            }
            "q" => q.text = Some(value).filter(|v| !v.trim().is_empty()),
            "added_after" => {
                let t = concord_stix::Timestamp::parse(&value).map_err(|e| {
                    ApiError::bad_parameter(
                        "added_after",
                        format!("`added_after` is not a timestamp: {e}"),
                    )
                })?;
                q.added_after = Some(concord_store::date_added::format(t.instant()));
            }
            "limit" => {
                q.limit = value.parse::<usize>().ok().filter(|n| (1..=MAX_LIMIT).contains(n)).ok_or_else(|| {
                    ApiError::bad_parameter(
                        "limit",
                        format!("`limit` must be a whole number from 1 to {MAX_LIMIT}, not {value:?}"),
                    )
                })?;
            }
            "next" => {
                q.cursor = Some(value.parse::<i64>().ok().filter(|n| *n >= 0).ok_or_else(|| {
                    ApiError::bad_parameter(
                        "next",
                        format!("`next` {value:?} is not a cursor this node issued; pass the `next` value of the previous page unchanged"),
                    )
                })?);
            }
            "order" => {
                q.order = match value.as_str() {
                    "newest" => Order::NewestFirst,
                    "seq" => Order::BySeq,
                    _ => {
                        return Err(ApiError::bad_parameter(
                            "order",
                            format!("`order` must be `newest` or `seq`, not {value:?}"),
                        ));
                    }
                }
            }
            _ => {}
        }
    }
    Ok(ListParams { query: q })
}

/// Keeps the ids whose current version a caller may see whole: an object seen redacted
/// may hold the very value or reference that links it, so it does not appear as a
/// neighbour (ids not held reveal nothing and stay).
async fn visible_ids(
    state: &AppState,
    ids: Vec<String>,
    clearance: Clearance,
) -> Result<std::collections::HashSet<String>, ApiError> {
    if clearance.0.is_none() {
        return Ok(ids.into_iter().collect());
    }
    let store = state.store.clone();
    blocking(move || {
        let mut shown = std::collections::HashSet::new();
        for id in ids {
            match store.get(&id)? {
                Some(o) if !clearance.sees_whole(&o.value()) => {}
                _ => {
                    shown.insert(id);
                }
            }
        }
        Ok(shown)
    })
    .await
}

/// A page of a listing; a caller with a clearance gets only objects within it, chosen
/// by the store (full pages, and the cursor moves only over what the caller may see),
/// each as [`Clearance::reveal`] shows it. A text search does not return an object that
/// had something withheld: the words may have matched what was withheld.
async fn page(
    state: &AppState,
    query: ListQuery,
    clearance: Clearance,
) -> Result<Json<Value>, ApiError> {
    let store = state.store.clone();
    let text = query.text.is_some();
    let page = blocking(move || {
        Ok(match clearance.0 {
            Some(c) => store.list_cleared(&concord_store::users::ClearedQuery {
                base: query,
                ..concord_store::users::ClearedQuery::new(c)
            })?,
            None => store.list(&query)?,
        })
    })
    .await?;
    let objects: Vec<Value> = page
        .objects
        .iter()
        .filter_map(|o| {
            let v = o.value();
            match clearance.view(&v) {
                View::Whole => Some(v),
                View::Redacted(r) if !text => Some(r),
                _ => None,
            }
        })
        .collect();
    Ok(Json(
        json!({ "objects": objects, "next": page.next.map(|n| n.to_string()) }),
    ))
}

/// `GET /api/v1/objects`: a page of current versions.
pub async fn list(
    caller: ReaderAccess,
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>, ApiError> {
    let params = parse_params(
        raw.as_deref(),
        &["type", "q", "added_after", "limit", "next", "order"],
    )?;
    page(&state, params.query, caller.1).await
}

/// `GET /api/v1/search`: like the listing, with a required full-text query `q`.
pub async fn search(
    caller: ReaderAccess,
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>, ApiError> {
    let params = parse_params(
        raw.as_deref(),
        &["q", "type", "added_after", "limit", "next", "order"],
    )?;
    if params.query.text.is_none() {
        return Err(ApiError::bad_parameter(
            "q",
            "`q` is required and must not be empty: give the words to search for",
        ));
    }
    page(&state, params.query, caller.1).await
}

fn check_id(id: &str) -> Result<(), ApiError> {
    concord_stix::id::parse_id(id).map(|_| ()).map_err(|e| {
        ApiError::bad_parameter(
            "id",
            format!("{id:?} is not a STIX identifier (type--UUID): {e}"),
        )
    })
}

fn no_object(id: &str) -> ApiError {
    ApiError::not_found(format!("no object with id {id} is held by this node"))
        .with_detail(json!({ "id": id }))
}

fn revoked(value: &Value) -> bool {
    value
        .get("revoked")
        .and_then(Value::as_bool)
        .unwrap_or(false)
}

/// Fetches the current version of `id`, or 404.
async fn current(state: &AppState, id: &str) -> Result<StoredObject, ApiError> {
    check_id(id)?;
    let store = state.store.clone();
    let key = id.to_owned();
    blocking(move || Ok(store.get(&key)?))
        .await?
        .ok_or_else(|| no_object(id))
}

/// `GET /api/v1/objects/{id}`: `{"object", "seq", "date_added", "revoked"}`.
pub async fn get_one(
    caller: ReaderAccess,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<Value>, ApiError> {
    let stored = current(&state, &id).await?;
    let held = stored.value();
    let version = version_of(&held);
    let Some(object) = caller.1.reveal(held) else {
        return Err(no_object(&id));
    };
    let store = state.store.clone();
    let communities = state.communities.clone();
    let key = id.clone();
    let (provenance, revoked_signer) = blocking(move || {
        let p = store.provenance(&key, &version)?;
        // A version signed before its signer's key was revoked is kept, and flagged.
        let flag = match &p {
            Some(p) if !p.is_local() => {
                let states = communities.states(store.as_ref())?;
                concord_federation::governance::revoked_signer(&states, p)
            }
            _ => None,
        };
        Ok((p, flag))
    })
    .await?;
    Ok(Json(json!({
        "object": object,
        "seq": stored.seq,
        "date_added": stored.date_added,
        "revoked": revoked(&object),
        // Where it came from: null when created at this node; otherwise the origin node
        // (whose signature was verified on receipt), the peer it came from, and the
        // node that redacted it on the way, if any; and, when a community revoked the key
        // that signed it (after this version), which key and from when.
        "provenance": provenance.filter(|p| !p.is_local()).map(|p| json!({
            "origin": p.origin,
            "origin_key": p.origin_key,
            "received_from": p.received_from,
            "hops_left": p.hops_left,
            "redacted_by": p.redactor.map(|r| r.node),
            "signer_key_revoked": revoked_signer,
        })),
    })))
}

fn version_of(v: &Value) -> String {
    v.get("modified")
        .or_else(|| v.get("created"))
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_owned()
}

/// `GET /api/v1/objects/{id}/versions`: every held version, oldest first.
pub async fn versions(
    caller: ReaderAccess,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<Value>, ApiError> {
    check_id(&id)?;
    let store = state.store.clone();
    let key = id.clone();
    let versions = blocking(move || Ok(store.versions(&key)?)).await?;
    let versions: Vec<Value> = versions
        .iter()
        .filter_map(|v| {
            let object = caller.1.reveal(v.value())?;
            Some(json!({ "object": object, "seq": v.seq, "date_added": v.date_added, "current": v.current }))
        })
        .collect();
    if versions.is_empty() {
        return Err(no_object(&id));
    }
    Ok(Json(json!({ "id": id, "versions": versions })))
}

/// `GET /api/v1/objects/{id}/relationships`: related objects, both directions.
pub async fn relationships(
    caller: ReaderAccess,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<Value>, ApiError> {
    let clearance = caller.1;
    let asked = current(&state, &id).await?.value();
    if !clearance.sees(&asked) {
        return Err(no_object(&id));
    }
    let store = state.store.clone();
    let key = id.clone();
    let mut related = blocking(move || Ok(store.relationships(&key)?)).await?;
    if !clearance.sees_whole(&asked) {
        // Its own references may lie in what was withheld: only others' references to it.
        related.retain(|r| r.direction == "incoming");
    }
    let mut ids: Vec<String> = related.iter().map(|r| r.id.clone()).collect();
    ids.extend(
        related
            .iter()
            .filter_map(|r| r.relationship.as_ref().map(|(rid, _)| rid.clone())),
    );
    let shown = visible_ids(&state, ids, clearance).await?;
    let related: Vec<Value> = related
        .iter()
        .filter(|r| {
            shown.contains(&r.id)
                && r.relationship.as_ref().is_none_or(|(rid, _)| shown.contains(rid))
        })
        .map(|r| {
            json!({
                "id": r.id,
                "direction": r.direction,
                "via": r.via,
                "relationship": r.relationship.as_ref().map(|(rid, rtype)| json!({ "id": rid, "relationship_type": rtype })),
            })
        })
        .collect();
    Ok(Json(json!({ "id": id, "relationships": related })))
}

/// `GET /api/v1/correlations/{id}`: objects sharing an observable value with `id`.
pub async fn correlations(
    caller: ReaderAccess,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<Value>, ApiError> {
    let clearance = caller.1;
    let asked = current(&state, &id).await?.value();
    if !clearance.sees(&asked) {
        return Err(no_object(&id));
    }
    let store = state.store.clone();
    let key = id.clone();
    let mut correlations = blocking(move || Ok(store.correlations(&key)?)).await?;
    if !clearance.sees_whole(&asked) {
        // The shared value may be one that was withheld.
        correlations.clear();
    }
    let ids = correlations.iter().map(|c| c.id.clone()).collect();
    let shown = visible_ids(&state, ids, clearance).await?;
    let correlations: Vec<_> = correlations
        .into_iter()
        .filter(|c| shown.contains(&c.id))
        .collect();
    Ok(Json(json!({ "id": id, "correlations": correlations })))
}
