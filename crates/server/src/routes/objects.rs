//! Object routes: import (`POST /api/v1/objects`), listing, search, one object, its
//! versions, relationships and correlations.

use axum::Json;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use concord_stix::input::{InputError, parse_document};
use concord_stix::visibility::View;
use concord_store::import::{DEFAULT_BATCH, ObjectResult, Summary, import_values_as};
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

/// `POST /api/v1/objects`: imports a bundle, an array of objects, or one object.
pub async fn create(
    caller: AnalystAccess,
    State(state): State<AppState>,
    Document(bytes): Document,
) -> Result<Response, ApiError> {
    let size = bytes.len();
    let store = state.store.clone();
    let clearance = caller.1.0;
    let (summary, results) = blocking(move || {
        let values = parse_document(&bytes).map_err(|e| input_error(&e))?;
        let mut results: Vec<ObjectResult> = Vec::with_capacity(values.len());
        let summary = import_values_as(&store, values, DEFAULT_BATCH, clearance, &mut |batch| {
            results.extend_from_slice(batch)
        })?;
        Ok((summary, results))
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
    Ok(import_response(&summary, &results))
}

fn import_response(summary: &Summary, results: &[ObjectResult]) -> Response {
    let total = results.len();
    let accepted = total - summary.rejected;
    let message = if summary.rejected == 0 {
        format!("accepted {accepted} of {total} objects")
    } else {
        format!(
            "accepted {accepted} of {total} objects; {} rejected (see `results` entries with \"status\": \"rejected\" for the id, property path and rule of each)",
            summary.rejected
        )
    };
    let mut body = json!({ "message": message, "summary": summary, "results": results });
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
    let key = id.clone();
    let provenance = blocking(move || Ok(store.provenance(&key, &version)?)).await?;
    Ok(Json(json!({
        "object": object,
        "seq": stored.seq,
        "date_added": stored.date_added,
        "revoked": revoked(&object),
        // Where it came from: null when created at this node; otherwise the origin node
        // (whose signature was verified on receipt), the peer it came from, and the
        // node that redacted it on the way, if any.
        "provenance": provenance.filter(|p| !p.is_local()).map(|p| json!({
            "origin": p.origin,
            "origin_key": p.origin_key,
            "received_from": p.received_from,
            "hops_left": p.hops_left,
            "redacted_by": p.redactor.map(|r| r.node),
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
