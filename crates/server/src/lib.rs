//! The HTTP application of a Concord node: the REST API under `/api/v1`, bearer-token
//! auth with roles, Prometheus metrics and the OpenAPI document. It wires the crates
//! together and holds no business rules itself: validation is `concord-stix`'s, storage
//! and the import path are `concord-store`'s.
//!
//! [`app`] builds the router, so tests drive it without a socket; [`serve`] runs it on a
//! listener until a shutdown signal, then drains open requests.
//!
//! ```no_run
//! use std::sync::Arc;
//! use concord_server::{AppState, ServerConfig, serve};
//! use concord_store::sqlite::SqliteStore;
//!
//! # async fn run() -> std::io::Result<()> {
//! let store = SqliteStore::open_in_memory().expect("store");
//! let state = AppState::new(Arc::new(store), ServerConfig::default());
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:8443").await?;
//! serve(listener, state, async { let _ = tokio::signal::ctrl_c().await; }).await
//! # }
//! ```
//!
//! Routes (all JSON; errors are `{"error": {"status", "code", "message", "details"}}`):
//!
//! | route | role |
//! |---|---|
//! | `GET /healthz`, `GET /metrics`, `GET /api/v1/openapi.json` | none |
//! | `GET /api/v1/objects`, `/objects/{id}`, `/objects/{id}/versions`, `/objects/{id}/relationships`, `/correlations/{id}`, `/search` | reader |
//! | `POST /api/v1/objects`, `POST /api/v1/match` | analyst |
//! | `GET`, `POST /api/v1/tokens`, `DELETE /api/v1/tokens/{id}` | admin |
//! | `/taxii2/...`: TAXII 2.1 (see `concord-taxii`; Basic or Bearer, per-collection roles) | per collection |
//! | `/federation/v1/...`: sync between nodes (see `concord-federation`; RFC 9421 signatures of registered peers) | peer |
//!
//! `GET /api/v1/objects/{id}` answers `{"object": <STIX object>, "seq", "date_added",
//! "revoked"}`; listings answer `{"objects": [<STIX object>...], "next": "<cursor>" | null}`;
//! `POST /api/v1/objects` answers `{"message", "summary", "results": [{"status":
//! "accepted" | "rejected", "index", "id", "outcome" | "reasons"}]}` with 200, or 422 (and
//! an `error` member) when every object was rejected. `/api/v1/openapi.json` has the rest.

pub mod auth;
pub mod error;
pub mod extract;
pub mod matching;
pub mod metrics;
pub mod openapi;
pub mod routes;
pub mod web;

use std::future::Future;
use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{delete, get, post};
use concord_store::Store;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::trace::{DefaultMakeSpan, DefaultOnResponse, TraceLayer};
use tracing::Level;

pub use error::ApiError;

/// Settings of the HTTP application.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// Largest request body accepted, in bytes (default 64 MiB); larger ones get 413.
    pub body_limit: usize,
    /// Most objects `POST /api/v1/objects` takes in one request (default 100,000); a
    /// document holding more gets 413 and nothing of it is stored.
    pub max_objects_per_request: usize,
    /// This node's name, shown in the OpenAPI document.
    pub node_name: String,
    /// The URL under which clients reach this node (for the OpenAPI `servers` entry).
    pub public_url: String,
    /// The TAXII 2.1 server mounted under `/taxii2/` (default collection, API root, ...).
    pub taxii: concord_taxii::server::TaxiiConfig,
    /// The node's data directory, when the server runs inside a node (`concord serve`):
    /// pages read the state files the CLI keeps there (e.g. `feeds-state.json`).
    pub data_dir: Option<std::path::PathBuf>,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            body_limit: 64 * 1024 * 1024,
            max_objects_per_request: concord_store::document::DEFAULT_MAX_OBJECTS,
            node_name: "concord".to_owned(),
            public_url: "http://127.0.0.1:8443".to_owned(),
            taxii: concord_taxii::server::TaxiiConfig::default(),
            data_dir: None,
        }
    }
}

/// What every handler shares: the store, the settings and the metrics.
#[derive(Clone)]
pub struct AppState {
    /// The node's storage.
    pub store: Arc<dyn Store>,
    /// The settings.
    pub config: Arc<ServerConfig>,
    /// Request and import counters of this application.
    pub metrics: Arc<metrics::Metrics>,
    /// The TAXII routes' state (same store, TAXII settings, recent statuses).
    pub taxii: concord_taxii::server::TaxiiState,
    /// The `/federation/v1` routes' state, when this node federates.
    pub federation: Option<concord_federation::server::FederationState>,
    /// The live indicator index `POST /api/v1/match` matches against (kept current by a
    /// background task that [`serve`] starts).
    pub matching: Arc<matching::LiveMatching>,
    /// Turns `true` when [`serve`] is told to stop: open event streams (the web UI's live
    /// notifications, federation `/events`) end then, so that the server does not wait
    /// for them.
    pub stopping: Arc<tokio::sync::watch::Sender<bool>>,
}

impl AppState {
    /// State over a store with the given settings and fresh metrics.
    pub fn new(store: Arc<dyn Store>, config: ServerConfig) -> AppState {
        let taxii = concord_taxii::server::TaxiiState::new(
            store.clone(),
            config.taxii.clone(),
            auth::hash_token,
        );
        AppState {
            matching: matching::LiveMatching::new(store.clone()),
            store,
            taxii,
            config: Arc::new(config),
            metrics: Arc::new(metrics::Metrics::default()),
            federation: None,
            stopping: Arc::new(tokio::sync::watch::Sender::new(false)),
        }
    }

    /// The same state serving the `/federation/v1` routes too.
    pub fn with_federation(mut self, f: concord_federation::server::FederationState) -> Self {
        self.federation = Some(f.ending_streams_on(self.stopping.subscribe()));
        self
    }
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

/// Every route as (method, path template), as the router and the OpenAPI document have them.
pub const ROUTES: &[(&str, &str)] = &[
    ("GET", "/healthz"),
    ("GET", "/metrics"),
    ("GET", "/api/v1/openapi.json"),
    ("GET", "/api/v1/objects"),
    ("POST", "/api/v1/objects"),
    ("GET", "/api/v1/objects/{id}"),
    ("GET", "/api/v1/objects/{id}/versions"),
    ("GET", "/api/v1/objects/{id}/relationships"),
    ("GET", "/api/v1/correlations/{id}"),
    ("GET", "/api/v1/search"),
    ("POST", "/api/v1/match"),
    ("GET", "/api/v1/tokens"),
    ("POST", "/api/v1/tokens"),
    ("DELETE", "/api/v1/tokens/{id}"),
    ("GET", "/api/v1/incidents"),
    ("POST", "/api/v1/incidents"),
    ("GET", "/api/v1/incidents/{id}"),
    ("PATCH", "/api/v1/incidents/{id}"),
    ("GET", "/api/v1/incidents/{id}/timeline"),
    ("GET", "/api/v1/incidents/{id}/alert"),
    ("POST", "/api/v1/incidents/{id}/alert"),
    ("POST", "/api/v1/incidents/{id}/acks"),
    ("POST", "/api/v1/incidents/{id}/requests"),
    ("GET", "/api/v1/requests/{id}"),
    ("POST", "/api/v1/requests/{id}/responses"),
    ("GET", "/api/v1/route/{value}"),
    ("GET", "/api/v1/notifications"),
    ("POST", "/api/v1/notifications/{id}/send"),
    ("GET", "/api/v1/evidence/{id}/custody"),
];

/// The application's router, ready to serve.
pub fn app(state: AppState) -> Router {
    use routes::{matching, meta, objects, tokens};
    let federation = match &state.federation {
        Some(f) => concord_federation::server::router(f.clone()),
        None => Router::new(),
    };
    Router::new()
        .route("/healthz", get(meta::healthz))
        .route("/metrics", get(meta::metrics))
        .route("/api/v1/openapi.json", get(meta::openapi))
        .route("/api/v1/objects", get(objects::list).post(objects::create))
        .route("/api/v1/objects/{id}", get(objects::get_one))
        .route("/api/v1/objects/{id}/versions", get(objects::versions))
        .route(
            "/api/v1/objects/{id}/relationships",
            get(objects::relationships),
        )
        .route("/api/v1/correlations/{id}", get(objects::correlations))
        .route("/api/v1/search", get(objects::search))
        .route("/api/v1/match", post(matching::run))
        .route("/api/v1/tokens", get(tokens::list).post(tokens::create))
        .route("/api/v1/tokens/{id}", delete(tokens::revoke))
        .with_state(state.clone())
        .merge(concord_taxii::server::router(state.taxii.clone()))
        .merge(web::router(state.clone()))
        .merge(routes::incidents::router(state.clone()))
        .merge(federation)
        .fallback(error::route_not_found)
        .layer(DefaultBodyLimit::max(state.config.body_limit))
        .layer(CatchPanicLayer::custom(error::panic_response))
        .layer(axum::middleware::from_fn(error::json_method_not_allowed))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            metrics::track,
        ))
        // One line per request is an access log: at `debug` (`log = "info,tower_http=debug"`
        // turns it on), since at `info` a busy TAXII server spent as much CPU writing it
        // as serving the page. Server errors (5xx) are logged at `error` either way.
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(DefaultMakeSpan::new().level(Level::DEBUG))
                .on_response(DefaultOnResponse::new().level(Level::DEBUG)),
        )
}

/// Serves [`app`] on `listener` until `shutdown` completes, then finishes the requests
/// under way and returns.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    if let Ok(addr) = listener.local_addr() {
        tracing::info!(%addr, node = %state.config.node_name, "Serving the API.");
    }
    state.matching.start();
    let stopping = state.stopping.clone();
    let shutdown = async move {
        shutdown.await;
        tracing::info!("Stopping: ending event streams, finishing requests under way.");
        stopping.send_replace(true);
    };
    // Connection info gives the web sign-in the client's address for its lockout.
    let app = app(state).into_make_service_with_connect_info::<std::net::SocketAddr>();
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
}
