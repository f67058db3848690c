//! The TAXII 2.1 server routes: discovery, the API root, collections, manifest, objects
//! (GET, POST), one object (GET, DELETE), versions and status, as an axum router with its
//! own state, authentication (HTTP Basic with an API token as password, or Bearer) and
//! content negotiation (406, 415, 413 in the TAXII error format).
//!
//! Where work runs: reads that cost one bounded query (authentication, an object by id, an
//! unfiltered page of current versions) run on the async worker; filtered scans (up to
//! `SCAN_BUDGET` rows) run on the blocking pool. Unfiltered objects and manifest pages are
//! written from the store's rows straight into the body (no object copies, no JSON
//! parsing). An authenticated caller is kept for `CALLER_TTL` (1 s): a revoked token or a
//! changed clearance applies within it.
//!
//! Invariants: every answer, errors included, has the media type
//! `application/taxii+json;version=2.1`, errors in the TAXII error format; writes go
//! through `concord-ingest` only (a POST's envelope through `concord_ingest::document`,
//! with at most `MAX_DETAILS` successes and failures listed in its status); a collection a token may neither read nor write is answered as absent
//! (404); a token reads only objects at or below its clearance
//! (`concord_store::token_clearance`); an expired token gets 401.

mod paging;
mod read;
mod write;

pub use write::MAX_DETAILS;

use std::sync::Arc;

use axum::Router;
use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, get};
use base64::Engine as _;
use concord_store::{Role, Store};
use serde::{Deserialize, Serialize};

use crate::collection::CollectionConfig;
use crate::error::TaxiiError;
use crate::status::StatusBoard;
use crate::wire::{ApiRootInfo, Collections, Discovery, TAXII_MEDIA_TYPE};

/// Settings of the TAXII server.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct TaxiiConfig {
    /// Title of the discovery resource.
    pub title: String,
    /// Description of the server.
    pub description: String,
    /// Contact shown in discovery.
    pub contact: String,
    /// Path segment of the one API root (`/taxii2/<api_root>/`).
    pub api_root: String,
    /// Title of the API root.
    pub api_root_title: String,
    /// Whether the default collection (every object) is served.
    pub default_collection: bool,
    /// Further collections.
    pub collections: Vec<CollectionConfig>,
    /// Largest `POST` body, in bytes (413 above it).
    pub max_content_length: usize,
    /// Most objects in one `POST` envelope (413 above it, and nothing of it is stored).
    pub max_objects_per_request: usize,
    /// Key of the MAC that binds `next` tokens; keep it stable across restarts.
    #[serde(skip)]
    pub next_key: Vec<u8>,
}

impl Default for TaxiiConfig {
    fn default() -> Self {
        Self {
            title: "Concord TAXII server".to_owned(),
            description: "STIX 2.1 objects shared through a Concord node.".to_owned(),
            contact: String::new(),
            api_root: "api".to_owned(),
            api_root_title: "Concord".to_owned(),
            default_collection: true,
            collections: Vec::new(),
            max_content_length: 64 * 1024 * 1024,
            max_objects_per_request: concord_ingest::document::DEFAULT_MAX_OBJECTS,
            next_key: uuid::Uuid::new_v4().as_bytes().to_vec(),
        }
    }
}

impl TaxiiConfig {
    /// Every collection served: the default one (if enabled) and the configured ones.
    pub fn all_collections(&self) -> Vec<CollectionConfig> {
        let mut all = Vec::new();
        if self.default_collection {
            all.push(CollectionConfig::default_collection());
        }
        all.extend(self.collections.iter().cloned());
        all
    }

    /// Checks the settings (API root path, collection filters, duplicate ids).
    pub fn validate(&self) -> Result<(), String> {
        if self.api_root.is_empty()
            || !self
                .api_root
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            return Err(format!(
                "taxii api_root {:?} must be a non-empty path segment of letters, digits, - and _",
                self.api_root
            ));
        }
        let all = self.all_collections();
        for (i, c) in all.iter().enumerate() {
            c.validate()?;
            if all[..i].iter().any(|o| o.id == c.id) {
                return Err(format!("two TAXII collections have the id {}", c.id));
            }
        }
        Ok(())
    }
}

/// What the TAXII routes share.
#[derive(Clone)]
pub struct TaxiiState {
    /// The node's storage.
    pub store: Arc<dyn Store>,
    /// The settings.
    pub config: Arc<TaxiiConfig>,
    /// Statuses of recent `POST`s (in the store: every replica reads them).
    pub statuses: Arc<StatusBoard>,
    collections: Arc<Vec<CollectionConfig>>,
    hash_token: fn(&str) -> String,
    callers: Arc<CallerCache>,
}

/// Callers recently authenticated, by token hash, for [`CALLER_TTL`]: three store
/// lookups per request cost a tenth of a page's CPU. A revoked token, a changed role or
/// clearance therefore take effect within that time. Unknown tokens are not kept.
#[derive(Default)]
struct CallerCache {
    entries: std::sync::Mutex<std::collections::HashMap<String, (std::time::Instant, Caller)>>,
}

/// How long an authenticated caller is trusted without asking the store again.
pub const CALLER_TTL: std::time::Duration = std::time::Duration::from_secs(1);

/// The most callers kept (the cache starts again when full).
const CALLER_CACHE_MAX: usize = 4096;

impl CallerCache {
    fn get(&self, hash: &str) -> Option<Caller> {
        let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries
            .get(hash)
            .filter(|(at, _)| at.elapsed() < CALLER_TTL)
            .map(|(_, c)| c.clone())
    }

    fn put(&self, hash: String, caller: &Caller) {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if entries.len() >= CALLER_CACHE_MAX {
            entries.retain(|_, (at, _)| at.elapsed() < CALLER_TTL);
            if entries.len() >= CALLER_CACHE_MAX {
                entries.clear();
            }
        }
        entries.insert(hash, (std::time::Instant::now(), caller.clone()));
    }
}

impl std::fmt::Debug for TaxiiState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TaxiiState")
            .field("api_root", &self.config.api_root)
            .finish_non_exhaustive()
    }
}

impl TaxiiState {
    /// State over a store; `hash_token` maps a presented secret to the hash the store
    /// keeps (the server's `auth::hash_token`).
    pub fn new(store: Arc<dyn Store>, config: TaxiiConfig, hash_token: fn(&str) -> String) -> Self {
        let collections = Arc::new(config.all_collections());
        Self {
            statuses: Arc::new(StatusBoard::new(store.clone())),
            store,
            config: Arc::new(config),
            collections,
            hash_token,
            callers: Arc::default(),
        }
    }

    /// The API root's path, `/taxii2/<api_root>/`.
    pub fn root_path(&self) -> String {
        format!("/taxii2/{}/", self.config.api_root)
    }

    /// The collection `id` as `caller` sees it (limited to the caller's TLP clearance) if
    /// the caller may see it; 404 otherwise (hidden ones too).
    fn collection(&self, id: &str, caller: &Caller) -> Result<CollectionConfig, TaxiiError> {
        let mut c = self
            .collections
            .iter()
            .find(|c| c.id == id && c.visible_to(caller.role))
            .cloned()
            .ok_or_else(|| {
                TaxiiError::not_found(format!("no collection {id:?} on this API root"))
            })?;
        c.clearance = caller.clearance;
        Ok(c)
    }
}

/// An authenticated caller: the token's name and role, and the TLP clearance the token
/// reads with (`concord_store::token_clearance`: its own, capped by its owner's).
#[derive(Debug, Clone)]
pub struct Caller {
    /// Token name.
    pub name: String,
    /// Token role.
    pub role: Role,
    /// The token's TLP clearance (`None`: TLP:RED, every object whole).
    pub clearance: Option<concord_stix::Tlp>,
}

fn credentials(headers: &HeaderMap) -> Result<String, TaxiiError> {
    let value = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| {
            TaxiiError::unauthorized(
                "send an API token: HTTP Basic with the token as password, or `Authorization: Bearer <token>`",
            )
        })?;
    let (scheme, rest) = value.split_once(' ').unwrap_or((value, ""));
    let rest = rest.trim();
    if scheme.eq_ignore_ascii_case("bearer") && !rest.is_empty() {
        return Ok(rest.to_owned());
    }
    if scheme.eq_ignore_ascii_case("basic") {
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(rest)
            .ok()
            .and_then(|b| String::from_utf8(b).ok());
        if let Some((_, password)) = decoded.as_deref().and_then(|d| d.split_once(':'))
            && !password.is_empty()
        {
            return Ok(password.to_owned());
        }
    }
    Err(TaxiiError::unauthorized(
        "the Authorization header must be `Basic <base64(user:token)>` or `Bearer <token>`",
    ))
}

impl FromRequestParts<TaxiiState> for Caller {
    type Rejection = TaxiiError;

    async fn from_request_parts(parts: &mut Parts, state: &TaxiiState) -> Result<Self, TaxiiError> {
        let hash = (state.hash_token)(&credentials(&parts.headers)?);
        if let Some(caller) = state.callers.get(&hash) {
            return Ok(caller);
        }
        // Point lookups by primary key (one round trip on PostgreSQL): run here rather
        // than on the blocking pool, whose two thread hand-offs per request cost more CPU
        // than the lookups themselves.
        let store = &state.store;
        let found = store.token_with_clearance(&hash)?;
        let (record, clearance) = found.ok_or_else(|| {
            TaxiiError::unauthorized(
                "unknown or revoked token: ask an admin of this node for a valid one",
            )
        })?;
        let now = concord_stix::Timestamp::now_millis();
        if record.expired_at(&now) {
            return Err(TaxiiError::unauthorized(format!(
                "token {:?} expired at {}: ask an admin of this node for a new one",
                record.name,
                record.expires.as_deref().unwrap_or_default()
            )));
        }
        if record.touch_due(&now) {
            let (store, id) = (store.clone(), record.id);
            tokio::task::spawn_blocking(move || {
                if let Err(e) = store.touch_token(id, &now) {
                    tracing::warn!(token_id = id, error = %e, "Cannot record the token's last use.");
                }
            });
        }
        let caller = Caller {
            name: record.name,
            role: record.role,
            // TLP:RED sees every object whole: the same as no limit, without its cost.
            clearance: (clearance < concord_stix::Tlp::Red).then_some(clearance),
        };
        state.callers.put(hash, &caller);
        Ok(caller)
    }
}

/// A `200` answer with the TAXII media type.
pub(crate) fn taxii_body(status: StatusCode, body: Vec<u8>) -> Response {
    let mut res = (status, body).into_response();
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(TAXII_MEDIA_TYPE),
    );
    res
}

pub(crate) fn taxii_json<T: Serialize>(status: StatusCode, value: &T) -> Response {
    match serde_json::to_vec(value) {
        Ok(body) => taxii_body(status, body),
        Err(e) => TaxiiError::internal(&e, "serialise").into_response(),
    }
}

/// Whether an `Accept` header admits the TAXII 2.1 media type.
fn acceptable(accept: &str) -> bool {
    accept.split(',').any(|item| {
        let mut parts = item.split(';').map(str::trim);
        let mime = parts.next().unwrap_or("").to_ascii_lowercase();
        let version = parts
            .filter_map(|p| p.split_once('='))
            .find(|(k, _)| k.trim().eq_ignore_ascii_case("version"))
            .map(|(_, v)| v.trim().trim_matches('"').to_owned());
        match mime.as_str() {
            "*/*" | "application/*" => true,
            "application/taxii+json" => version.is_none_or(|v| v == "2.1"),
            _ => false,
        }
    })
}

/// Refuses requests whose `Accept` admits no TAXII 2.1 answer (406).
async fn accept_guard(req: Request, next: Next) -> Response {
    let accept = req
        .headers()
        .get(header::ACCEPT)
        .map(|v| v.to_str().unwrap_or("").to_owned());
    if let Some(accept) = accept
        && !acceptable(&accept)
    {
        return TaxiiError::new(
            StatusCode::NOT_ACCEPTABLE,
            "not_acceptable",
            format!("this server answers only {TAXII_MEDIA_TYPE}; the request accepts {accept:?}"),
        )
        .into_response();
    }
    next.run(req).await
}

async fn discovery(_caller: Caller, State(state): State<TaxiiState>) -> Response {
    let c = &state.config;
    let root = state.root_path();
    taxii_json(
        StatusCode::OK,
        &Discovery {
            title: c.title.clone(),
            description: (!c.description.is_empty()).then(|| c.description.clone()),
            contact: (!c.contact.is_empty()).then(|| c.contact.clone()),
            default: Some(root.clone()),
            api_roots: vec![root],
        },
    )
}

async fn api_root(_caller: Caller, State(state): State<TaxiiState>) -> Response {
    let c = &state.config;
    taxii_json(
        StatusCode::OK,
        &ApiRootInfo {
            title: c.api_root_title.clone(),
            description: Some(c.description.clone()),
            versions: vec![TAXII_MEDIA_TYPE.to_owned()],
            max_content_length: c.max_content_length as u64,
        },
    )
}

async fn collections(caller: Caller, State(state): State<TaxiiState>) -> Response {
    let list = state
        .collections
        .iter()
        .filter(|c| c.visible_to(caller.role))
        .map(|c| c.info(caller.role))
        .collect();
    taxii_json(StatusCode::OK, &Collections { collections: list })
}

async fn collection(
    caller: Caller,
    State(state): State<TaxiiState>,
    axum::extract::Path(id): axum::extract::Path<String>,
) -> Result<Response, TaxiiError> {
    let c = state.collection(&id, &caller)?;
    Ok(taxii_json(StatusCode::OK, &c.info(caller.role)))
}

async fn not_found(uri: axum::http::Uri) -> TaxiiError {
    TaxiiError::not_found(format!("no TAXII resource at {}", uri.path()))
}

async fn method_not_allowed(method: axum::http::Method, uri: axum::http::Uri) -> TaxiiError {
    TaxiiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        format!("{method} is not allowed on {}", uri.path()),
    )
}

/// The TAXII routes: full paths (`/taxii2/...`) and their handlers. [`router`] is built
/// from exactly this list, and [`route_paths`] lists it, so a test that walks every
/// route of the node sees a route as soon as it is added here.
fn table(state: &TaxiiState) -> Vec<(String, MethodRouter<TaxiiState>)> {
    let root = state.root_path();
    let coll = format!("{root}collections/{{collection}}/");
    vec![
        ("/taxii2/".to_owned(), get(discovery)),
        (root.clone(), get(api_root)),
        (format!("{root}status/{{status}}/"), get(write::status)),
        (format!("{root}collections/"), get(collections)),
        (format!("{root}collections/{{id}}/"), get(collection)),
        (format!("{coll}manifest/"), get(read::manifest)),
        (
            format!("{coll}objects/"),
            get(read::objects).post(write::add_objects),
        ),
        (
            format!("{coll}objects/{{object}}/"),
            get(read::object).delete(write::delete_object),
        ),
        (
            format!("{coll}objects/{{object}}/versions/"),
            get(read::versions),
        ),
        (
            "/taxii2/{*rest}".to_owned(),
            get(not_found).post(not_found).delete(not_found),
        ),
    ]
}

/// The paths of [`router`]'s routes.
pub fn route_paths(state: &TaxiiState) -> Vec<String> {
    table(state).into_iter().map(|(p, _)| p).collect()
}

/// The TAXII routes, with full paths (`/taxii2/...`), ready to merge into the node's app.
pub fn router(state: TaxiiState) -> Router {
    table(&state)
        .into_iter()
        .fold(Router::new(), |r, (path, m)| r.route(&path, m))
        .method_not_allowed_fallback(method_not_allowed)
        .layer(axum::middleware::from_fn(accept_guard))
        .with_state(state)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_headers() {
        for ok in [
            "application/taxii+json;version=2.1",
            "application/taxii+json",
            "*/*",
            "text/html, application/taxii+json; version=2.1",
        ] {
            assert!(acceptable(ok), "{ok}");
        }
        for bad in [
            "application/json",
            "application/taxii+json;version=2.0",
            "text/html",
        ] {
            assert!(!acceptable(bad), "{bad}");
        }
    }
}
