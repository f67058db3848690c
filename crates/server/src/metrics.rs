//! Request metrics kept per [`crate::AppState`] (no global recorder, so tests
//! can build several apps) and rendered in the Prometheus text format (version 0.0.4).
//!
//! Labels stay low-cardinality: `route` is the matched route template
//! (`/api/v1/objects/{id}`), never the raw path; unknown routes count as `unmatched`.

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
}
