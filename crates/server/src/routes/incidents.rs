//! `/api/v1/incidents` and the other coordinated-response routes: incidents (list,
//! open, one, change, timeline), alerts (send, the sender's view, acknowledge), requests
//! for assistance (create, state, answer) and constituency routing. The work is done by
//! `concord-response`; these handlers map its errors to ours.

use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, get, post};
use axum::{Json, Router};
use concord_response::{ResponseError, alert, constituency, evidence, incident, request, timeline};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use crate::AppState;
use crate::auth::{AnalystAccess, Clearance, ReaderAccess};
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiPath};
use crate::routes::blocking;

/// Seconds after which an unanswered alert recipient is shown as overdue, unless the
/// query says otherwise (`concord serve` re-announces per `response.toml`).
pub const DEFAULT_OVERDUE_SECS: u64 = 900;

/// The coordinated-response routes: paths and handlers. [`router`] is built from exactly
/// this list and [`route_paths`] lists it (tests walk every route of the node).
fn table() -> Vec<(&'static str, MethodRouter<AppState>)> {
    vec![
        ("/api/v1/incidents", get(list).post(open)),
        ("/api/v1/incidents/{id}", get(show).patch(update)),
        ("/api/v1/incidents/{id}/timeline", get(timeline_of)),
        (
            "/api/v1/incidents/{id}/alert",
            get(alert_status).post(alert_send),
        ),
        ("/api/v1/incidents/{id}/acks", post(ack)),
        ("/api/v1/incidents/{id}/requests", post(request_create)),
        ("/api/v1/requests/{id}", get(request_show)),
        ("/api/v1/requests/{id}/responses", post(request_respond)),
        ("/api/v1/route/{value}", get(route_explain)),
        ("/api/v1/notifications", get(notifications)),
        ("/api/v1/notifications/{id}/send", post(notification_send)),
        ("/api/v1/evidence/{id}/custody", get(custody)),
    ]
}

/// The paths of [`router`]'s routes.
pub fn route_paths() -> Vec<String> {
    table().into_iter().map(|(p, _)| p.to_owned()).collect()
}

/// The coordinated-response routes.
pub fn router(state: AppState) -> Router {
    table()
        .into_iter()
        .fold(Router::new(), |r, (path, m)| r.route(path, m))
        .with_state(state)
}

fn api_error(e: ResponseError) -> ApiError {
    match e {
        ResponseError::Invalid(m) => ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid", m),
        ResponseError::NotFound(m) => ApiError::not_found(m),
        ResponseError::Refused(m) => ApiError::new(StatusCode::CONFLICT, "refused", m),
        ResponseError::Store(s) => s.into(),
        other => ApiError::internal(&other, "coordinated response"),
    }
}

/// This node's id (the federation key's), or `local` when the node does not federate.
fn me(state: &AppState) -> String {
    state
        .federation
        .as_ref()
        .map_or_else(|| "local".to_owned(), |f| f.key().node_id())
}

/// Runs `f` off the async workers over the store as the caller may use it: every read
/// limited to what the caller's clearance sees whole, and writes unable to change or
/// reveal what is above it ([`concord_store::cleared::ClearedStore`]).
async fn run<T: Send + 'static>(
    state: &AppState,
    clearance: Clearance,
    f: impl FnOnce(&dyn concord_store::Store, &str) -> Result<T, ResponseError> + Send + 'static,
) -> Result<T, ApiError> {
    let store = concord_store::cleared::ClearedStore::for_caller(state.store.clone(), clearance.0);
    let me = me(state);
    blocking(move || f(&*store, &me).map_err(api_error)).await
}

/// `GET /api/v1/incidents`: incidents held here, newest first.
pub async fn list(c: ReaderAccess, State(state): State<AppState>) -> Result<Response, ApiError> {
    let items = run(&state, c.1, |s, me| incident::list(s, me, 1000)).await?;
    Ok(Json(json!({ "incidents": items })).into_response())
}

/// `POST /api/v1/incidents`: opens an incident.
pub async fn open(
    c: AnalystAccess,
    State(state): State<AppState>,
    ApiJson(body): ApiJson<incident::NewIncident>,
) -> Result<Response, ApiError> {
    let v = run(&state, c.1, move |s, me| {
        let id = incident::open(s, &body)?;
        incident::show(s, me, &id)
    })
    .await?;
    tracing::info!(token = %c.0.name, incident = %v["id"], "Incident opened.");
    Ok((StatusCode::CREATED, Json(v)).into_response())
}

/// `GET /api/v1/incidents/{id}`.
pub async fn show(
    c: ReaderAccess,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
) -> Result<Response, ApiError> {
    let v = run(&state, c.1, move |s, me| incident::show(s, me, &id)).await?;
    Ok(Json(v).into_response())
}

/// `PATCH /api/v1/incidents/{id}`: a new version (`investigation_status: "closed"`
/// closes it).
pub async fn update(
    c: AnalystAccess,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<incident::IncidentChange>,
) -> Result<Response, ApiError> {
    let v = run(&state, c.1, move |s, me| {
        incident::update(s, &id, &body)?;
        incident::show(s, me, &id)
    })
    .await?;
    Ok(Json(v).into_response())
}

/// `GET /api/v1/incidents/{id}/timeline`.
pub async fn timeline_of(
    c: ReaderAccess,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
) -> Result<Response, ApiError> {
    let entries = run(&state, c.1, move |s, me| timeline::timeline(s, me, &id)).await?;
    Ok(Json(json!({ "entries": entries })).into_response())
}

/// The body of `POST /api/v1/incidents/{id}/alert`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlertBody {
    /// `all`, `country:XX`, `sector:NAME`, peer names or node ids.
    pub to: Vec<String>,
}

/// `POST /api/v1/incidents/{id}/alert`: sends the incident as an alert.
pub async fn alert_send(
    c: AnalystAccess,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<AlertBody>,
) -> Result<Response, ApiError> {
    let v = run(&state, c.1, move |s, me| {
        alert::send(s, &id, &body.to)?;
        incident::show(s, me, &id)
    })
    .await?;
    Ok(Json(v).into_response())
}

/// `GET /api/v1/incidents/{id}/alert?overdue_secs=N`: the sender's view per recipient.
pub async fn alert_status(
    c: ReaderAccess,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(raw.as_deref().unwrap_or(""))
        .map_err(|e| ApiError::bad_parameter("query", format!("cannot read the query: {e}")))?;
    let mut overdue = DEFAULT_OVERDUE_SECS;
    for (k, v) in pairs {
        match k.as_str() {
            "overdue_secs" => {
                overdue = v.parse().map_err(|_| {
                    ApiError::bad_parameter("overdue_secs", "`overdue_secs` must be a whole number")
                })?;
            }
            _ => {
                return Err(ApiError::bad_parameter(
                    &k,
                    format!("unknown parameter `{k}`; this route takes overdue_secs"),
                ));
            }
        }
    }
    let st = run(&state, c.1, move |s, me| alert::status(s, me, &id, overdue)).await?;
    Ok(Json(st).into_response())
}

/// The body of `POST /api/v1/incidents/{id}/acks`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AckBody {
    /// `seen`, `acting`, `not-affected` or `resolved`.
    pub status: String,
    /// A note for the sender.
    #[serde(default)]
    pub note: Option<String>,
}

/// `POST /api/v1/incidents/{id}/acks`: acknowledges an alert addressed to this node.
pub async fn ack(
    c: AnalystAccess,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<AckBody>,
) -> Result<Response, ApiError> {
    let ack = run(&state, c.1, move |s, me| {
        alert::ack(s, me, &id, &body.status, body.note.as_deref())
    })
    .await?;
    Ok((StatusCode::CREATED, Json(json!({ "id": ack }))).into_response())
}

/// `POST /api/v1/incidents/{id}/requests`: a request for assistance.
pub async fn request_create(
    c: AnalystAccess,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<request::NewRequest>,
) -> Result<Response, ApiError> {
    let st = run(&state, c.1, move |s, me| {
        let rid = request::create(s, &id, &body)?;
        request::status(s, me, &rid)
    })
    .await?;
    Ok((StatusCode::CREATED, Json(st)).into_response())
}

/// `GET /api/v1/requests/{id}`: state per target and history.
pub async fn request_show(
    c: ReaderAccess,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
) -> Result<Response, ApiError> {
    let st = run(&state, c.1, move |s, me| request::status(s, me, &id)).await?;
    Ok(Json(st).into_response())
}

/// The body of `POST /api/v1/requests/{id}/responses`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RespondBody {
    /// `accepted`, `declined` or `done`.
    pub state: String,
    /// The reason (required to decline) or a note.
    #[serde(default)]
    pub reason: Option<String>,
}

/// `POST /api/v1/requests/{id}/responses`: answers a request addressed to this node.
pub async fn request_respond(
    c: AnalystAccess,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<RespondBody>,
) -> Result<Response, ApiError> {
    let a = run(&state, c.1, move |s, me| {
        request::respond(s, me, &id, &body.state, body.reason.as_deref())
    })
    .await?;
    Ok((StatusCode::CREATED, Json(json!({ "id": a }))).into_response())
}

/// `GET /api/v1/route/{value}`: the member responsible for an IP, AS number or domain.
pub async fn route_explain(
    c: ReaderAccess,
    State(state): State<AppState>,
    ApiPath(value): ApiPath<String>,
) -> Result<Response, ApiError> {
    let r = run(&state, c.1, move |s, me| {
        let members = constituency::members(s, me)?;
        constituency::explain(&members, &value)
    })
    .await?;
    Ok(Json(r).into_response())
}

/// `GET /api/v1/notifications`: "your constituency is affected" notifications held here
/// (proposed or sent by this node, or received).
pub async fn notifications(
    c: ReaderAccess,
    State(state): State<AppState>,
) -> Result<Response, ApiError> {
    let items = run(&state, c.1, constituency::notifications).await?;
    Ok(Json(json!({ "notifications": items })).into_response())
}

/// `POST /api/v1/notifications/{id}/send`: sends a proposed notification.
pub async fn notification_send(
    c: AnalystAccess,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
) -> Result<Response, ApiError> {
    let v = run(&state, c.1, move |s, _| constituency::send(s, &id)).await?;
    Ok(Json(v).into_response())
}

/// `GET /api/v1/evidence/{id}/custody`: the chain of custody of an artifact.
pub async fn custody(
    c: ReaderAccess,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
) -> Result<Response, ApiError> {
    let chain = run(&state, c.1, move |s, me| {
        crate_get(s, &id)?;
        evidence::chain(s, me, &id)
    })
    .await?;
    Ok(Json(json!({ "custody": chain })).into_response())
}

fn crate_get(s: &dyn concord_store::Store, id: &str) -> Result<Value, ResponseError> {
    concord_response::get_current(s, id)
}

fn err(description: &str) -> Value {
    json!({ "description": description,
        "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } } })
}

fn ok(description: &str) -> Value {
    json!({ "description": description,
        "content": { "application/json": { "schema": { "type": "object" } } } })
}

fn op(summary: &str, path_param: Option<&str>, body: Option<Value>, good: (&str, &str)) -> Value {
    let mut responses = json!({
        good.0: ok(good.1),
        "401": err("Missing, malformed or unknown bearer token."),
        "403": err("The token's role may not do this."),
        "500": err("Internal error; the message carries an id to find in the log."),
    });
    if path_param.is_some() {
        responses["404"] = err("Not held on this node.");
    }
    if body.is_some() {
        responses["409"] = err("Not allowed for this node (not addressed to it, not its origin).");
        responses["422"] = err("The body is wrong; the message names the field.");
    }
    let mut o = json!({ "summary": summary, "tags": ["response"], "responses": responses,
        "parameters": path_param.map_or_else(Vec::new, |p| vec![json!({
            "name": p, "in": "path", "required": true, "schema": { "type": "string" },
            "description": if p == "value" { "An IP address, an AS number (AS64500) or a domain." } else { "A STIX identifier." }
        })]) });
    if let Some(b) = body {
        o["requestBody"] =
            json!({ "required": true, "content": { "application/json": { "schema": b } } });
    }
    o
}

/// The OpenAPI paths of these routes (merged into the document by `openapi.rs`).
pub fn openapi_paths() -> Map<String, Value> {
    let s = |t: &str| json!({ "type": t });
    let strings = json!({ "type": "array", "items": { "type": "string" } });
    let incident = json!({ "type": "object", "properties": {
        "name": s("string"), "description": s("string"), "determination": s("string"),
        "investigation_status": s("string"), "severity": s("string"),
        "criticality": s("integer"), "incident_types": strings, "first_seen": s("string"),
        "last_seen": s("string"), "tlp": s("string"), "labels": strings, "links": strings } });
    let paths = json!({
        "/api/v1/incidents": {
            "get": op("Incidents held here, newest first.", None, None, ("200", "The incidents.")),
            "post": op("Open an incident (OASIS incident core extension).", None, Some(incident.clone()), ("201", "The incident.")),
        },
        "/api/v1/incidents/{id}": {
            "get": op("One incident.", Some("id"), None, ("200", "The incident.")),
            "patch": op("Change an incident: a new version.", Some("id"), Some(incident), ("200", "The incident.")),
        },
        "/api/v1/incidents/{id}/timeline": {
            "get": op("Everything said about the incident, by every node, in time order, with verified origins.", Some("id"), None, ("200", "The entries.")),
        },
        "/api/v1/incidents/{id}/alert": {
            "get": op("The sender's view of an alert: per recipient, its answer or none.", Some("id"), None, ("200", "The state.")),
            "post": op("Send the incident as an urgent alert to peers.", Some("id"),
                Some(json!({ "type": "object", "required": ["to"], "properties": { "to": strings } })), ("200", "The incident.")),
        },
        "/api/v1/incidents/{id}/acks": {
            "post": op("Acknowledge an alert addressed to this node.", Some("id"),
                Some(json!({ "type": "object", "required": ["status"], "properties": {
                    "status": { "type": "string", "enum": ["seen", "acting", "not-affected", "resolved"] },
                    "note": s("string") } })), ("201", "The acknowledgement's id.")),
        },
        "/api/v1/incidents/{id}/requests": {
            "post": op("Ask peers for assistance (deadline in the future).", Some("id"),
                Some(json!({ "type": "object", "required": ["action", "to", "deadline"], "properties": {
                    "action": { "type": "string", "enum": request::ACTIONS }, "to": strings,
                    "deadline": s("string"), "text": s("string"), "related": strings } })), ("201", "The request's state.")),
        },
        "/api/v1/requests/{id}": {
            "get": op("A request's state per target, with its history.", Some("id"), None, ("200", "The state.")),
        },
        "/api/v1/requests/{id}/responses": {
            "post": op("Answer a request addressed to this node.", Some("id"),
                Some(json!({ "type": "object", "required": ["state"], "properties": {
                    "state": { "type": "string", "enum": request::STATES }, "reason": s("string") } })), ("201", "The answer's id.")),
        },
        "/api/v1/notifications": {
            "get": op("\"Your constituency is affected\" notifications held here.", None, None, ("200", "The notifications.")),
        },
        "/api/v1/notifications/{id}/send": {
            "post": op("Send a proposed notification to the member it names.", Some("id"), None, ("200", "The sent version.")),
        },
        "/api/v1/evidence/{id}/custody": {
            "get": op("The chain of custody of an artifact: who added and who received it, hash verified or not.", Some("id"), None, ("200", "The chain.")),
        },
        "/api/v1/route/{value}": {
            "get": op("The member responsible for an IP address, AS number or domain, and why.", Some("value"), None, ("200", "The route.")),
        },
    });
    match paths {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}
