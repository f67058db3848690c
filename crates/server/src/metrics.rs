//! Request metrics kept per [`crate::AppState`] (no global recorder, so tests
//! can build several apps) and rendered in the Prometheus text format (version 0.0.4).
//!
//! Labels stay low-cardinality: `route` is the matched route template
//! (`/api/v1/objects/{id}`), never the raw path; unknown routes count as `unmatched`;
//! `peer` and `feed` are the names an operator gave (a handful per node).
//!
//! Besides the counters, a scrape reads what an operator pages on ([`NodeGauges`]): the
//! database, index and WAL file sizes, the indexer's lag, each peer's state, lag and last
//! error, each feed's last run, the notification backlog and failed deliveries, and the
//! build.
//!
//! Who may scrape is configurable ([`Access`], `[metrics] access` in `concord.toml`):
//! loopback clients only by default; [`decide`] is the rule, [`check_access`] applies it.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use concord_store::Stats;

use crate::AppState;

/// Upper bounds (seconds) of the request duration histogram buckets.
const BUCKETS: [f64; 11] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

#[derive(Debug, Default, Clone)]
struct Histogram {
    counts: [u64; BUCKETS.len()],
    sum: f64,
    count: u64,
}

#[derive(Debug, Default)]
struct Inner {
    requests: BTreeMap<(&'static str, String, u16), u64>,
    durations: BTreeMap<(&'static str, String), Histogram>,
    imported: BTreeMap<&'static str, u64>,
}

/// The counters of one application.
#[derive(Debug, Default)]
pub struct Metrics {
    inner: Mutex<Inner>,
}

fn method_label(m: &axum::http::Method) -> &'static str {
    match m.as_str() {
        "GET" => "GET",
        "HEAD" => "HEAD",
        "POST" => "POST",
        "PUT" => "PUT",
        "PATCH" => "PATCH",
        "DELETE" => "DELETE",
        "OPTIONS" => "OPTIONS",
        _ => "other",
    }
}

impl Metrics {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // A poisoned lock only means a panic elsewhere mid-update; counters stay usable.
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Records one finished request.
    pub fn record_request(
        &self,
        method: &axum::http::Method,
        route: &str,
        status: u16,
        seconds: f64,
    ) {
        let method = method_label(method);
        let mut inner = self.lock();
        *inner
            .requests
            .entry((method, route.to_owned(), status))
            .or_default() += 1;
        let h = inner
            .durations
            .entry((method, route.to_owned()))
            .or_default();
        for (i, bound) in BUCKETS.iter().enumerate() {
            if seconds <= *bound {
                h.counts[i] += 1;
            }
        }
        h.sum += seconds;
        h.count += 1;
    }

    /// Records imported objects by result (`new`, `new_version`, `unchanged`, `conflict`,
    /// `rejected`).
    pub fn record_import(&self, summary: &concord_store::import::Summary) {
        let mut inner = self.lock();
        for (label, n) in [
            ("new", summary.new),
            ("new_version", summary.new_versions),
            ("unchanged", summary.unchanged),
            ("conflict", summary.conflicts),
            ("rejected", summary.rejected),
        ] {
            *inner.imported.entry(label).or_default() += n as u64;
        }
    }

    /// The metrics in Prometheus text format; `stats` adds the store gauges.
    pub fn render(&self, stats: Option<&Stats>) -> String {
        let inner = self.lock().clone_parts();
        let mut out = String::new();
        out.push_str("# HELP concord_http_requests_total HTTP requests answered, by method, route template and status.\n");
        out.push_str("# TYPE concord_http_requests_total counter\n");
        for ((method, route, status), n) in &inner.requests {
            let _ = writeln!(
                out,
                "concord_http_requests_total{{method=\"{method}\",route=\"{}\",status=\"{status}\"}} {n}",
                escape(route)
            );
        }
        out.push_str(
            "# HELP concord_http_request_duration_seconds Time to answer HTTP requests.\n",
        );
        out.push_str("# TYPE concord_http_request_duration_seconds histogram\n");
        for ((method, route), h) in &inner.durations {
            let labels = format!("method=\"{method}\",route=\"{}\"", escape(route));
            for (bound, n) in BUCKETS.iter().zip(h.counts) {
                let _ = writeln!(
                    out,
                    "concord_http_request_duration_seconds_bucket{{{labels},le=\"{bound}\"}} {n}"
                );
            }
            let _ = writeln!(
                out,
                "concord_http_request_duration_seconds_bucket{{{labels},le=\"+Inf\"}} {}",
                h.count
            );
            let _ = writeln!(
                out,
                "concord_http_request_duration_seconds_sum{{{labels}}} {}",
                h.sum
            );
            let _ = writeln!(
                out,
                "concord_http_request_duration_seconds_count{{{labels}}} {}",
                h.count
            );
        }
        out.push_str(
            "# HELP concord_import_objects_total Objects received through the API, by result.\n",
        );
        out.push_str("# TYPE concord_import_objects_total counter\n");
        for (result, n) in &inner.imported {
            let _ = writeln!(
                out,
                "concord_import_objects_total{{result=\"{result}\"}} {n}"
            );
        }
        if let Some(stats) = stats {
            out.push_str("# HELP concord_objects Current objects held, by STIX type.\n");
            out.push_str("# TYPE concord_objects gauge\n");
            for (ty, n) in &stats.by_type {
                let _ = writeln!(out, "concord_objects{{type=\"{}\"}} {n}", escape(ty));
            }
            out.push_str("# HELP concord_store_versions Object versions held.\n");
            out.push_str("# TYPE concord_store_versions gauge\n");
            let _ = writeln!(out, "concord_store_versions {}", stats.versions);
            out.push_str("# HELP concord_store_ids Distinct object ids held.\n");
            out.push_str("# TYPE concord_store_ids gauge\n");
            let _ = writeln!(out, "concord_store_ids {}", stats.objects);
            out.push_str("# HELP concord_store_last_seq Highest change sequence number.\n");
            out.push_str("# TYPE concord_store_last_seq gauge\n");
            let _ = writeln!(out, "concord_store_last_seq {}", stats.last_seq);
        }
        out.push_str(
            "# HELP concord_store_up Whether the store answered the last metrics scrape.\n",
        );
        out.push_str("# TYPE concord_store_up gauge\n");
        let _ = writeln!(out, "concord_store_up {}", u8::from(stats.is_some()));
        out
    }
}

/// The database files a scrape measures, relative to the data directory.
const DB_FILES: [(&str, &str); 4] = [
    ("database", "concord.db"),
    ("wal", "concord.db-wal"),
    ("index", "concord.db-index"),
    ("index_wal", "concord.db-index-wal"),
];

/// One peer as a scrape sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct PeerGauge {
    /// The peer's display name (the label).
    pub name: String,
    /// Versions of its change feed not yet pulled (`head - cursor`, at least 0).
    pub lag: i64,
    /// Whether its last pull failed (a last error is recorded).
    pub failing: bool,
    /// Whether a live notice connection to it is open.
    pub live: bool,
    /// Objects received from it, in all.
    pub received: i64,
}

/// One feed's last run as a scrape sees it (from `feeds-state.json`).
#[derive(Debug, Clone, PartialEq)]
pub struct FeedGauge {
    /// The feed's name (the label).
    pub name: String,
    /// Errors of its last run.
    pub errors: u64,
    /// Objects and records its last run rejected.
    pub rejected: u64,
}

/// What a scrape reads besides the counters.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NodeGauges {
    /// Sizes in bytes of the database files present, by kind (`database`, `wal`, ...).
    pub files: Vec<(&'static str, u64)>,
    /// The peers (empty when the store could not list them).
    pub peers: Vec<PeerGauge>,
    /// The feeds that have run.
    pub feeds: Vec<FeedGauge>,
    /// Versions not yet passed to the notification subscriptions, when known.
    pub notify_backlog: Option<i64>,
    /// The store's connection pools (none on SQLite).
    pub pools: Vec<concord_store::PoolGauge>,
}

/// Reads the gauges of a node (blocking: files and the store).
pub fn gather(state: &AppState) -> NodeGauges {
    let mut g = NodeGauges::default();
    let dir = state.config.data_dir.clone();
    if let Some(dir) = &dir {
        for (kind, name) in DB_FILES {
            if let Ok(m) = std::fs::metadata(dir.join(name)) {
                g.files.push((kind, m.len()));
            }
        }
    }
    g.pools = state.store.pools();
    match state.store.peers() {
        Ok(peers) => {
            g.peers = peers
                .into_iter()
                .map(|p| PeerGauge {
                    lag: (p.head - p.cursor).max(0),
                    failing: p.last_error.is_some(),
                    live: p.live_since.is_some(),
                    received: p.received,
                    name: p.name,
                })
                .collect();
        }
        Err(e) => tracing::warn!(error = %e, "Peers unavailable for metrics."),
    }
    let Some(dir) = dir else { return g };
    let read = |name: &str| -> Option<serde_json::Value> {
        serde_json::from_slice(&std::fs::read(dir.join(name)).ok()?).ok()
    };
    if let Some(serde_json::Value::Object(feeds)) = read("feeds-state.json") {
        let n = |v: &serde_json::Value, k: &str| v[k].as_u64().unwrap_or(0);
        g.feeds = feeds
            .iter()
            .map(|(name, v)| FeedGauge {
                name: name.clone(),
                errors: v["errors"].as_array().map_or(0, |a| a.len() as u64),
                rejected: n(v, "rejected") + n(v, "record_errors"),
            })
            .collect();
    }
    let cursor = match state.store.work_state(concord_response::notify::CURSOR_KEY) {
        Ok(Some(text)) => text.parse::<i64>().ok(),
        // A node upgraded from when the cursor was kept in the data directory.
        Ok(None) => read("response-state.json").and_then(|v| v["notify_cursor"].as_i64()),
        Err(e) => {
            tracing::warn!(error = %e, "Notification cursor unavailable for metrics.");
            None
        }
    };
    if let Some(cursor) = cursor
        && let Ok(head) = state.store.head_seq()
    {
        g.notify_backlog = Some((head - cursor).max(0));
    }
    g
}

/// Writes a metric's `# HELP` and `# TYPE` lines.
fn head(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
}

/// The node gauges, the delivery counters and the build, in Prometheus text format.
pub fn render_node(g: &NodeGauges, stats: Option<&Stats>) -> String {
    use std::sync::atomic::Ordering::Relaxed;
    let mut out = String::new();
    head(
        &mut out,
        "concord_build_info",
        "gauge",
        "The running build: version and git commit (1).",
    );
    let _ = writeln!(
        out,
        "concord_build_info{{version=\"{}\",commit=\"{}\"}} 1",
        env!("CARGO_PKG_VERSION"),
        escape(option_env!("CONCORD_GIT_COMMIT").unwrap_or("unknown"))
    );
    head(
        &mut out,
        "concord_db_file_bytes",
        "gauge",
        "Size of the database files, by kind (database, wal, index, index_wal).",
    );
    for (kind, bytes) in &g.files {
        let _ = writeln!(out, "concord_db_file_bytes{{file=\"{kind}\"}} {bytes}");
    }
    if let Some(stats) = stats {
        head(
            &mut out,
            "concord_index_lag",
            "gauge",
            "Versions stored but not yet in the derived indexes (search, correlations).",
        );
        let _ = writeln!(out, "concord_index_lag {}", stats.index_lag);
    }
    head(
        &mut out,
        "concord_peer_lag",
        "gauge",
        "Versions of a peer's change feed not yet pulled.",
    );
    for p in &g.peers {
        let _ = writeln!(
            out,
            "concord_peer_lag{{peer=\"{}\"}} {}",
            escape(&p.name),
            p.lag
        );
    }
    head(
        &mut out,
        "concord_peer_failing",
        "gauge",
        "Whether the last pull from a peer failed (1).",
    );
    for p in &g.peers {
        let _ = writeln!(
            out,
            "concord_peer_failing{{peer=\"{}\"}} {}",
            escape(&p.name),
            u8::from(p.failing)
        );
    }
    head(
        &mut out,
        "concord_peer_live",
        "gauge",
        "Whether a live notice connection to a peer is open (1).",
    );
    for p in &g.peers {
        let _ = writeln!(
            out,
            "concord_peer_live{{peer=\"{}\"}} {}",
            escape(&p.name),
            u8::from(p.live)
        );
    }
    head(
        &mut out,
        "concord_peer_received_total",
        "counter",
        "Objects received from a peer.",
    );
    for p in &g.peers {
        let _ = writeln!(
            out,
            "concord_peer_received_total{{peer=\"{}\"}} {}",
            escape(&p.name),
            p.received
        );
    }
    head(
        &mut out,
        "concord_feed_errors",
        "gauge",
        "Errors of a feed's last run (0: it succeeded).",
    );
    for f in &g.feeds {
        let _ = writeln!(
            out,
            "concord_feed_errors{{feed=\"{}\"}} {}",
            escape(&f.name),
            f.errors
        );
    }
    head(
        &mut out,
        "concord_feed_rejected",
        "gauge",
        "Objects and records a feed's last run rejected.",
    );
    for f in &g.feeds {
        let _ = writeln!(
            out,
            "concord_feed_rejected{{feed=\"{}\"}} {}",
            escape(&f.name),
            f.rejected
        );
    }
    if let Some(n) = g.notify_backlog {
        head(
            &mut out,
            "concord_notify_backlog",
            "gauge",
            "Versions not yet passed to the notification subscriptions.",
        );
        let _ = writeln!(out, "concord_notify_backlog {n}");
    }
    if !g.pools.is_empty() {
        head(
            &mut out,
            "concord_store_pool_connections",
            "gauge",
            "Database connections of a pool: most it opens (max), open now (open), open and not in use (idle).",
        );
        for p in &g.pools {
            for (state, n) in [("max", p.max), ("open", p.open), ("idle", p.idle)] {
                let _ = writeln!(
                    out,
                    "concord_store_pool_connections{{pool=\"{}\",state=\"{state}\"}} {n}",
                    p.name
                );
            }
        }
        head(
            &mut out,
            "concord_store_pool_waiting",
            "gauge",
            "Callers waiting for a database connection of a pool.",
        );
        for p in &g.pools {
            let _ = writeln!(
                out,
                "concord_store_pool_waiting{{pool=\"{}\"}} {}",
                p.name, p.waiting
            );
        }
    }
    use concord_response::notify::counters;
    head(
        &mut out,
        "concord_deliveries_in_flight",
        "gauge",
        "Webhook and e-mail deliveries started and not yet finished.",
    );
    let _ = writeln!(
        out,
        "concord_deliveries_in_flight {}",
        counters::IN_FLIGHT.load(Relaxed)
    );
    head(
        &mut out,
        "concord_delivery_failures_total",
        "counter",
        "Deliveries given up after all attempts, by channel.",
    );
    let _ = writeln!(
        out,
        "concord_delivery_failures_total{{channel=\"webhook\"}} {}",
        counters::WEBHOOK_FAILED.load(Relaxed)
    );
    let _ = writeln!(
        out,
        "concord_delivery_failures_total{{channel=\"email\"}} {}",
        counters::EMAIL_FAILED.load(Relaxed)
    );
    out
}

impl Inner {
    fn clone_parts(&self) -> Inner {
        Inner {
            requests: self.requests.clone(),
            durations: self.durations.clone(),
            imported: self.imported.clone(),
        }
    }
}

fn escape(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// Who may read `GET /metrics` (`[metrics] access`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Access {
    /// Clients on a loopback address only (a scraper on the same host): the default.
    #[default]
    Loopback,
    /// Every client that reaches the node.
    Open,
    /// Loopback clients, and others with a valid API token of any role.
    Token,
}

impl Access {
    /// The name `concord.toml` gives it.
    pub fn as_str(self) -> &'static str {
        match self {
            Access::Loopback => "loopback",
            Access::Open => "open",
            Access::Token => "token",
        }
    }
}

/// What [`decide`] says of one request for `/metrics`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Answer it.
    Allow,
    /// 403: the client's address may not scrape.
    Forbidden,
    /// Answer it if it carries a valid token (401 otherwise).
    NeedsToken,
}

/// The rule of who may scrape: `peer` is the client's address (`None` for a request made
/// in-process, without a connection, as tests do through `tower`); an IPv4 address mapped
/// into IPv6 counts as the IPv4 address it maps.
pub fn decide(access: Access, peer: Option<std::net::SocketAddr>) -> Verdict {
    let loopback = peer.is_none_or(|a| a.ip().to_canonical().is_loopback());
    match access {
        Access::Open => Verdict::Allow,
        _ if loopback => Verdict::Allow,
        Access::Loopback => Verdict::Forbidden,
        Access::Token => Verdict::NeedsToken,
    }
}

/// Applies [`decide`] to a request for `/metrics` with the node's `metrics_access`; a
/// token, where one is needed, is checked as every API route checks it (any role).
///
/// # Errors
/// 403 for an address that may not scrape; 401 for a missing, unknown or expired token.
pub async fn check_access(
    parts: &axum::http::request::Parts,
    state: &AppState,
) -> Result<(), crate::ApiError> {
    let peer = parts
        .extensions
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|c| c.0);
    match decide(state.config.metrics_access, peer) {
        Verdict::Allow => Ok(()),
        Verdict::Forbidden => {
            tracing::debug!(client = ?peer, "Refused /metrics to a client not on loopback.");
            Err(crate::ApiError::forbidden(
                "/metrics answers clients on this host only; to scrape from elsewhere, set \
                 `access = \"token\"` (with an API token) or `access = \"open\"` under \
                 [metrics] in concord.toml",
            ))
        }
        Verdict::NeedsToken => {
            crate::auth::authorize(parts, state, concord_store::Role::Reader, "reading metrics")
                .await
                .map(|_| ())
        }
    }
}

/// Middleware counting every request by method, matched route template and status.
pub async fn track(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let start = Instant::now();
    let method = req.method().clone();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let res = next.run(req).await;
    state.metrics.record_request(
        &method,
        &route,
        res.status().as_u16(),
        start.elapsed().as_secs_f64(),
    );
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metrics_access_by_client_address() {
        use std::net::SocketAddr;
        let addr = |s: &str| Some(s.parse::<SocketAddr>().unwrap());
        let local = [
            addr("127.0.0.1:5000"),
            addr("127.9.9.9:1"),
            addr("[::1]:5000"),
            addr("[::ffff:127.0.0.1]:5000"),
            None,
        ];
        let remote = [
            addr("192.0.2.7:5000"),
            addr("[2001:db8::1]:443"),
            addr("[::ffff:192.0.2.7]:5000"),
            addr("0.0.0.0:1"),
        ];
        for peer in local {
            for access in [Access::Loopback, Access::Open, Access::Token] {
                assert_eq!(decide(access, peer), Verdict::Allow, "{access:?} {peer:?}");
            }
        }
        for peer in remote {
            assert_eq!(
                decide(Access::Loopback, peer),
                Verdict::Forbidden,
                "{peer:?}"
            );
            assert_eq!(decide(Access::Open, peer), Verdict::Allow, "{peer:?}");
            assert_eq!(decide(Access::Token, peer), Verdict::NeedsToken, "{peer:?}");
        }
        assert_eq!(Access::default(), Access::Loopback);
    }

    /// The answer of the whole router to `GET /metrics` from `peer` with `token`, under
    /// `access`; the token `good` is a valid reader token, `old` an expired one.
    async fn scrape(access: Access, peer: &str, token: Option<&str>) -> u16 {
        use concord_store::{NewToken, Role, Store};
        use tower::ServiceExt;
        let store = concord_store::sqlite::SqliteStore::open_in_memory().unwrap();
        for (secret, expires) in [("good", None), ("old", Some("2001-01-01T00:00:00.000Z"))] {
            store
                .create_token_with(&NewToken {
                    name: secret,
                    role: Role::Reader,
                    hash: &crate::auth::hash_token(secret),
                    clearance: concord_stix::Tlp::Green,
                    expires: expires.map(str::to_owned),
                })
                .unwrap();
        }
        let config = crate::ServerConfig {
            metrics_access: access,
            ..crate::ServerConfig::default()
        };
        let app = crate::app(AppState::new(std::sync::Arc::new(store), config));
        let mut req = axum::http::Request::get("/metrics");
        if let Some(t) = token {
            req = req.header("authorization", format!("Bearer {t}"));
        }
        let mut req = req.body(axum::body::Body::empty()).unwrap();
        let addr: std::net::SocketAddr = peer.parse().unwrap();
        req.extensions_mut()
            .insert(axum::extract::ConnectInfo(addr));
        app.oneshot(req).await.unwrap().status().as_u16()
    }

    #[tokio::test]
    async fn metrics_route_answers_by_access_mode() {
        let (local, remote) = ("127.0.0.1:40000", "192.0.2.7:40000");
        assert_eq!(scrape(Access::Loopback, local, None).await, 200);
        assert_eq!(scrape(Access::Loopback, remote, None).await, 403);
        assert_eq!(scrape(Access::Loopback, remote, Some("good")).await, 403);
        assert_eq!(scrape(Access::Open, remote, None).await, 200);
        assert_eq!(scrape(Access::Token, local, None).await, 200);
        assert_eq!(scrape(Access::Token, remote, None).await, 401);
        assert_eq!(scrape(Access::Token, remote, Some("wrong")).await, 401);
        assert_eq!(scrape(Access::Token, remote, Some("old")).await, 401);
        assert_eq!(scrape(Access::Token, remote, Some("good")).await, 200);
    }

    #[test]
    fn renders_counters_and_histogram() {
        let m = Metrics::default();
        m.record_request(&axum::http::Method::GET, "/healthz", 200, 0.002);
        m.record_request(&axum::http::Method::GET, "/healthz", 200, 0.2);
        let text = m.render(None);
        assert!(text.contains(
            "concord_http_requests_total{method=\"GET\",route=\"/healthz\",status=\"200\"} 2"
        ));
        assert!(text.contains("concord_http_request_duration_seconds_bucket{method=\"GET\",route=\"/healthz\",le=\"0.005\"} 1"));
        assert!(text.contains(
            "concord_http_request_duration_seconds_count{method=\"GET\",route=\"/healthz\"} 2"
        ));
        assert!(text.contains("concord_store_up 0"));
    }

    #[test]
    fn renders_node_gauges() {
        let g = NodeGauges {
            files: vec![("database", 4096), ("wal", 0)],
            peers: vec![PeerGauge {
                name: "cert-b".into(),
                lag: 7,
                failing: true,
                live: false,
                received: 3,
            }],
            feeds: vec![FeedGauge {
                name: "abuse".into(),
                errors: 1,
                rejected: 2,
            }],
            notify_backlog: Some(5),
            pools: vec![concord_store::PoolGauge {
                name: "plain",
                max: 16,
                open: 3,
                idle: 2,
                waiting: 1,
            }],
        };
        let stats = Stats {
            index_lag: 9,
            ..Stats::default()
        };
        let text = render_node(&g, Some(&stats));
        for line in [
            "concord_db_file_bytes{file=\"database\"} 4096",
            "concord_db_file_bytes{file=\"wal\"} 0",
            "concord_index_lag 9",
            "concord_peer_lag{peer=\"cert-b\"} 7",
            "concord_peer_failing{peer=\"cert-b\"} 1",
            "concord_peer_live{peer=\"cert-b\"} 0",
            "concord_peer_received_total{peer=\"cert-b\"} 3",
            "concord_feed_errors{feed=\"abuse\"} 1",
            "concord_feed_rejected{feed=\"abuse\"} 2",
            "concord_notify_backlog 5",
            "concord_store_pool_connections{pool=\"plain\",state=\"max\"} 16",
            "concord_store_pool_connections{pool=\"plain\",state=\"open\"} 3",
            "concord_store_pool_connections{pool=\"plain\",state=\"idle\"} 2",
            "concord_store_pool_waiting{pool=\"plain\"} 1",
            "concord_deliveries_in_flight ",
            "concord_delivery_failures_total{channel=\"webhook\"} ",
            "concord_build_info{version=\"",
        ] {
            assert!(text.contains(line), "{line} missing from\n{text}");
        }
    }
}
