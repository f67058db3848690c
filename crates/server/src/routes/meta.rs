//! Routes without authentication: health (`/healthz`: the process is up; `/readyz`: it can
//! serve), metrics and the OpenAPI document.

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::AppState;

/// `GET /healthz`: `{"status": "ok"}` while the process serves requests; with
/// `leases` (the background work this process runs, by lease name) when it runs any.
pub async fn healthz(State(state): State<AppState>) -> Json<Value> {
    let known = !state.leases.all().is_empty();
    if known {
        Json(json!({ "status": "ok", "leases": state.leases.held() }))
    } else {
        Json(json!({ "status": "ok" }))
    }
}

/// The indexer backlog (versions) above which `/readyz` answers 503: searches and
/// correlations would first wait for it.
pub const READY_INDEX_LAG: i64 = 100_000;

/// `GET /readyz`: 200 `{"status": "ready"}` when the database answers a trivial query and
/// the indexer is less than [`READY_INDEX_LAG`] versions behind; 503 with `problems`
/// naming what is wrong otherwise.
pub async fn readyz(State(state): State<AppState>) -> Response {
    let store = state.store.clone();
    let mut problems = Vec::new();
    let mut lag = None;
    match tokio::task::spawn_blocking(move || store.stats()).await {
        Ok(Ok(stats)) => {
            lag = Some(stats.index_lag);
            if stats.index_lag >= READY_INDEX_LAG {
                problems.push(format!(
                    "the indexer is {} versions behind (ready below {READY_INDEX_LAG})",
                    stats.index_lag
                ));
            }
        }
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "Readiness: the database does not answer.");
            problems.push(format!("the database does not answer: {e}"));
        }
        Err(e) => {
            tracing::error!(error = %e, "Readiness check task failed.");
            problems.push("the database check did not finish".to_owned());
        }
    }
    if *state.stopping.borrow() {
        problems.push("the node is stopping".to_owned());
    }
    if problems.is_empty() {
        Json(json!({ "status": "ready", "index_lag": lag })).into_response()
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({ "status": "not ready", "problems": problems, "index_lag": lag })),
        )
            .into_response()
    }
}

/// `GET /metrics`: Prometheus text format.
pub async fn metrics(
    State(state): State<AppState>,
    parts: axum::http::request::Parts,
) -> Result<impl IntoResponse, crate::ApiError> {
    crate::metrics::check_access(&parts, &state).await?;
    let st = state.clone();
    let (stats, gauges) =
        match tokio::task::spawn_blocking(move || (st.store.stats(), crate::metrics::gather(&st)))
            .await
        {
            Ok((Ok(stats), gauges)) => (Some(stats), gauges),
            Ok((Err(e), gauges)) => {
                tracing::error!(error = %e, "Store statistics unavailable for metrics.");
                (None, gauges)
            }
            Err(e) => {
                tracing::error!(error = %e, "Store statistics task failed.");
                (None, crate::metrics::NodeGauges::default())
            }
        };
    Ok((
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        state.metrics.render(stats.as_ref())
            + &crate::metrics::render_node(&gauges, stats.as_ref())
            + &state.leases.render(),
    ))
}

/// `GET /api/v1/openapi.json`: the OpenAPI 3.1 description of this API.
pub async fn openapi(State(state): State<AppState>) -> Json<Value> {
    Json(crate::openapi::document(&state.config))
}
