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
    if let Some(cursor) = read("response-state.json").and_then(|v| v["notify_cursor"].as_i64())
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
            "concord_deliveries_in_flight ",
            "concord_delivery_failures_total{channel=\"webhook\"} ",
            "concord_build_info{version=\"",
        ] {
            assert!(text.contains(line), "{line} missing from\n{text}");
        }
    }
}
