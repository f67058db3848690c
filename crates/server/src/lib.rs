//! The HTTP application of a Concord node: the REST API under `/api/v1`, bearer-token
//! auth with roles, TAXII and federation mounted, the one matching service, Prometheus
//! metrics, the OpenAPI document and the listener. It wires the crates together and holds
//! no business rules itself: validation is `concord-stix`'s, storage and the import path
//! are `concord-store`'s.
//!
//! [`app_with`] builds the node's router from this crate's routes and the [`Part`]s built
//! elsewhere (the web interface: `concord_web::part`; this crate does not depend on it),
//! so tests drive it without a socket; [`app`] is the same without parts. [`serve_with`]
//! runs it on a listener (HTTPS with [`tls`], or plain HTTP on loopback; a header read
//! timeout and a connection limit) until a shutdown signal, then drains open requests.
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
//! serve(listener, state, Vec::new(), async { let _ = tokio::signal::ctrl_c().await; }).await
//! # }
//! ```
//!
//! Routes (all JSON; errors are `{"error": {"status", "code", "message", "details"}}`):
//!
//! | route | role |
//! |---|---|
//! | `GET /healthz`, `GET /readyz`, `GET /metrics`, `GET /api/v1/openapi.json` | none |
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
//!
//! Invariants: only this crate knows HTTP (besides the TAXII routes it mounts under
//! `/taxii2/`, the federation routes under `/federation/v1/` and the parts it merges, such
//! as `concord-web`'s pages); every error leaves as the JSON error format above; blocking
//! store calls run on the blocking pool; every route is in a list the router is built from
//! (`route_paths`, with the parts'), walked by the leak test. A server told to stop
//! (`serve`'s shutdown future) sets `AppState::stopping`, which ends every open event
//! stream (web live notifications, federation `/events`) at once; it then only finishes
//! the requests under way.
//!
//! The listener (`serve_with`, `tls`) is hyper's HTTP/1; HTTPS by tokio-rustls, with HSTS
//! on every answer; plain HTTP only on loopback unless `allow_plain_http`. Every request
//! carries the remote address (`ConnectInfo`) and `concord_federation::tls::Transport`
//! (encrypted or not). `/metrics` answers by `metrics::decide` over that address and
//! `ServerConfig::metrics_access` (loopback only by default; `open`; or `token`: others
//! with an API token).
//!
//! Every router (this crate's, `routes::incidents`, `concord_taxii::server`,
//! `concord_federation::server`, and each [`Part`], such as `concord-web`'s) is folded
//! from a private `table()` of paths and handlers that also gives its paths;
//! `route_paths` joins them.

pub mod auth;
pub mod error;
pub mod extract;
pub mod idle;
pub mod leases;
pub mod matching;
pub mod metrics;
pub mod openapi;
pub mod part;
pub mod routes;
pub mod tls;

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
pub use part::Part;

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
    /// Who may read `/metrics` (default: clients on loopback only).
    pub metrics_access: metrics::Access,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            body_limit: 64 * 1024 * 1024,
            max_objects_per_request: concord_ingest::document::DEFAULT_MAX_OBJECTS,
            node_name: "concord".to_owned(),
            public_url: "http://127.0.0.1:8443".to_owned(),
            taxii: concord_taxii::server::TaxiiConfig::default(),
            data_dir: None,
            metrics_access: metrics::Access::default(),
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
    /// Requests begun, for the idle watcher ([`idle`]).
    pub activity: Arc<idle::Activity>,
    /// The communities' states, computed again when the governance log grows (the
    /// `/api/v1/community` routes).
    pub communities: Arc<concord_federation::governance::Communities>,
    /// The leases of background work this process holds (several replicas on one
    /// database run each piece once): `/healthz` and `/metrics` show them.
    pub leases: Arc<leases::LeaseBoard>,
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
            activity: Arc::default(),
            communities: Arc::default(),
            leases: Arc::default(),
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
    ("GET", "/readyz"),
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
    ("GET", "/api/v1/community"),
    ("GET", "/api/v1/community/log"),
    ("GET", "/api/v1/community/proposals"),
    ("POST", "/api/v1/community/proposals"),
    ("POST", "/api/v1/community/votes"),
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

/// This crate's routes alone (REST, coordinated response, TAXII, federation), ready to
/// serve: [`app_with`] without parts.
pub fn app(state: AppState) -> Router {
    app_with(state, Vec::new())
}

/// The node's router, ready to serve: this crate's routes and `parts` (the web interface,
/// `concord_web::part`), all under one fallback and the same layers (body limit, panic
/// catching, metrics, idle watch, trace). [`route_paths`] with the same parts lists every
/// route it has.
pub fn app_with(state: AppState, parts: Vec<Part>) -> Router {
    let federation = match &state.federation {
        Some(f) => concord_federation::server::router(f.clone()),
        None => Router::new(),
    };
    let own = table()
        .into_iter()
        .fold(Router::new(), |r, (path, m)| r.route(path, m))
        .with_state(state.clone())
        .merge(concord_taxii::server::router(state.taxii.clone()))
        .merge(routes::incidents::router(state.clone()))
        .merge(federation);
    parts
        .into_iter()
        .fold(own, |r, part| r.merge(part.into_router()))
        .fallback(error::route_not_found)
        .layer(DefaultBodyLimit::max(state.config.body_limit))
        .layer(CatchPanicLayer::custom(error::panic_response))
        .layer(axum::middleware::from_fn(error::json_method_not_allowed))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            metrics::track,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.activity.clone(),
            idle::touch,
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

/// The node's own REST routes (`/healthz`, `/metrics`, `/api/v1/...` but the coordinated
/// response's): paths and handlers; [`app_with`] is built from exactly this list.
fn table() -> Vec<(&'static str, axum::routing::MethodRouter<AppState>)> {
    use routes::{community, matching, meta, objects, tokens};
    vec![
        ("/healthz", get(meta::healthz)),
        ("/readyz", get(meta::readyz)),
        ("/metrics", get(meta::metrics)),
        ("/api/v1/openapi.json", get(meta::openapi)),
        ("/api/v1/objects", get(objects::list).post(objects::create)),
        ("/api/v1/objects/{id}", get(objects::get_one)),
        ("/api/v1/objects/{id}/versions", get(objects::versions)),
        (
            "/api/v1/objects/{id}/relationships",
            get(objects::relationships),
        ),
        ("/api/v1/correlations/{id}", get(objects::correlations)),
        ("/api/v1/search", get(objects::search)),
        ("/api/v1/match", post(matching::run)),
        ("/api/v1/tokens", get(tokens::list).post(tokens::create)),
        ("/api/v1/tokens/{id}", delete(tokens::revoke)),
        ("/api/v1/community", get(community::show)),
        ("/api/v1/community/log", get(community::log)),
        (
            "/api/v1/community/proposals",
            get(community::proposals).post(community::propose),
        ),
        ("/api/v1/community/votes", post(community::vote)),
    ]
}

/// Every route path of the node [`app_with`] builds for `state` and `parts`: the REST
/// API, coordinated response, TAXII, (when the node federates) federation, and each
/// part's (the web interface's). Each router is built from the same list that gives its
/// paths here, so a test that walks this list walks every route, including one added
/// later.
pub fn route_paths(state: &AppState, parts: &[Part]) -> Vec<String> {
    let mut paths: Vec<String> = table().into_iter().map(|(p, _)| p.to_owned()).collect();
    paths.extend(routes::incidents::route_paths());
    paths.extend(concord_taxii::server::route_paths(&state.taxii));
    if state.federation.is_some() {
        paths.extend(concord_federation::server::route_paths());
    }
    for part in parts {
        paths.extend_from_slice(part.paths());
    }
    paths
}

/// Connections served at once by default. It bounds file descriptors and buffers, not
/// availability: connections that trickle their request head are closed after the header
/// read timeout, so thousands of idle sockets (the 10,000-connection test) neither fill it
/// for long nor keep a real client waiting (about 20 KB each at most: some 320 MB in all).
pub const DEFAULT_MAX_CONNECTIONS: usize = 16_384;

/// How [`serve_with`] listens.
#[derive(Debug, Clone)]
pub struct Listening {
    /// Serve HTTPS with this certificate (reloaded when its files change); `None`: plain
    /// HTTP, which is refused on an address other than loopback unless `allow_plain_http`.
    pub tls: Option<Arc<tls::ReloadingCert>>,
    /// Allow plain HTTP on an address other than loopback (warned about at every start).
    pub allow_plain_http: bool,
    /// A connection that has not sent a whole request head (or finished its TLS
    /// handshake) within this time is closed.
    pub header_read_timeout: std::time::Duration,
    /// Connections served at once; further ones wait in the listen queue.
    pub max_connections: usize,
    /// Give the store's caches back once no request began for this long (`None`:
    /// never; see [`idle`]).
    pub idle_release: Option<std::time::Duration>,
}

impl Default for Listening {
    fn default() -> Self {
        Listening {
            tls: None,
            allow_plain_http: false,
            header_read_timeout: std::time::Duration::from_secs(10),
            max_connections: DEFAULT_MAX_CONNECTIONS,
            idle_release: Some(std::time::Duration::from_secs(60)),
        }
    }
}

/// Serves [`app_with`] `parts` on `listener` in plain HTTP with the default limits (see
/// [`serve_with`]).
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    parts: Vec<Part>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    serve_with(listener, state, parts, shutdown, Listening::default()).await
}

/// Serves [`app_with`] `parts` (a node serves the web interface, `concord_web::part`) on
/// `listener` until `shutdown` completes, then finishes the requests under way and
/// returns. Fails at once when asked to serve plain HTTP on an address other than
/// loopback without `allow_plain_http`.
pub async fn serve_with(
    listener: tokio::net::TcpListener,
    state: AppState,
    parts: Vec<Part>,
    shutdown: impl Future<Output = ()> + Send + 'static,
    listening: Listening,
) -> std::io::Result<()> {
    let addr = listener.local_addr()?;
    if listening.tls.is_none() && !addr.ip().is_loopback() {
        if !listening.allow_plain_http {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                format!(
                    "refusing to serve plain HTTP on {addr}, which is not a loopback address: \
                     set tls_cert and tls_key (e.g. `concord tls self-signed`), or \
                     allow_plain_http = true to send everything in clear"
                ),
            ));
        }
        tracing::warn!(%addr, "Serving plain HTTP on a non-loopback address (allow_plain_http): \
            tokens, cookies and data travel readable; only TLP:CLEAR goes to peers.");
    }
    let acceptor = match &listening.tls {
        Some(cert) => Some(tokio_rustls::TlsAcceptor::from(
            cert.server_config().map_err(std::io::Error::other)?,
        )),
        None => None,
    };
    tracing::info!(%addr, node = %state.config.node_name, tls = acceptor.is_some(),
        max_connections = listening.max_connections, "Serving the API.");
    state.matching.start();
    if let Some(after) = listening.idle_release {
        tokio::spawn(idle::release_when_idle(
            state.clone(),
            after,
            state.stopping.subscribe(),
        ));
    }
    let stopping = state.stopping.clone();
    let router = app_with(state, parts);
    let limit = Arc::new(tokio::sync::Semaphore::new(
        listening.max_connections.max(1),
    ));
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(hyper_util::rt::TokioTimer::new())
        .header_read_timeout(listening.header_read_timeout);
    let handshake_timeout = listening.header_read_timeout;
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            p = limit.clone().acquire_owned() => match p {
                Ok(p) => p,
                Err(_) => break,
            },
            () = &mut shutdown => break,
        };
        let (stream, remote) = tokio::select! {
            r = listener.accept() => match r {
                Ok(c) => c,
                Err(e) => {
                    accept_failed(&e).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let router = router.clone();
        let http = http.clone();
        let watcher = graceful.watcher();
        let acceptor = acceptor.clone();
        tokio::spawn(async move {
            let _permit = permit;
            match acceptor {
                Some(acceptor) => {
                    match tokio::time::timeout(handshake_timeout, acceptor.accept(stream)).await {
                        Ok(Ok(tls)) => {
                            let svc = connection_service(router, remote, true);
                            let conn =
                                http.serve_connection(hyper_util::rt::TokioIo::new(tls), svc);
                            let _ = watcher.watch(conn).await;
                        }
                        Ok(Err(e)) => tracing::debug!(%remote, error = %e, "TLS handshake failed."),
                        Err(_) => tracing::debug!(%remote, "TLS handshake timed out."),
                    }
                }
                None => {
                    let svc = connection_service(router, remote, false);
                    let conn = http.serve_connection(hyper_util::rt::TokioIo::new(stream), svc);
                    let _ = watcher.watch(conn).await;
                }
            }
        });
    }
    drop(listener);
    tracing::info!("Stopping: ending event streams, finishing requests under way.");
    stopping.send_replace(true);
    graceful.shutdown().await;
    Ok(())
}

/// A failed `accept`: a connection that went away before it was taken is nothing; running
/// out of file descriptors or memory is logged and waited out briefly (`accept` would fail
/// again at once).
async fn accept_failed(e: &std::io::Error) {
    use std::io::ErrorKind::{ConnectionAborted, ConnectionRefused, ConnectionReset};
    if matches!(
        e.kind(),
        ConnectionAborted | ConnectionRefused | ConnectionReset
    ) {
        return;
    }
    tracing::error!(error = %e, "Cannot accept a connection; retrying in a second.");
    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
}

/// The service of one connection: the router, with the remote address
/// ([`axum::extract::ConnectInfo`]) and the [`Transport`](concord_federation::tls::Transport)
/// in every request's extensions, and HSTS on every answer over TLS.
fn connection_service(
    router: Router,
    remote: std::net::SocketAddr,
    encrypted: bool,
) -> impl hyper::service::Service<
    hyper::Request<hyper::body::Incoming>,
    Response = axum::response::Response,
    Error = std::convert::Infallible,
    Future = impl Future<Output = Result<axum::response::Response, std::convert::Infallible>> + Send,
> + Clone {
    hyper::service::service_fn(move |mut req: hyper::Request<hyper::body::Incoming>| {
        let router = router.clone();
        async move {
            let ext = req.extensions_mut();
            ext.insert(axum::extract::ConnectInfo(remote));
            ext.insert(concord_federation::tls::Transport { encrypted, remote });
            let mut resp =
                tower::ServiceExt::oneshot(router, req.map(axum::body::Body::new)).await?;
            if encrypted {
                resp.headers_mut().insert(
                    axum::http::header::STRICT_TRANSPORT_SECURITY,
                    axum::http::HeaderValue::from_static(tls::HSTS),
                );
            }
            Ok(resp)
        }
    })
}
