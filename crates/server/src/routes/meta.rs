//! Routes without authentication: health, metrics and the OpenAPI document.

use axum::Json;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use serde_json::{Value, json};

use crate::AppState;

/// `GET /healthz`: `{"status": "ok"}` while the process serves requests.
pub async fn healthz() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

/// `GET /metrics`: Prometheus text format.
pub async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
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
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        state.metrics.render(stats.as_ref())
            + &crate::metrics::render_node(&gauges, stats.as_ref()),
    )
}

/// `GET /api/v1/openapi.json`: the OpenAPI 3.1 description of this API.
pub async fn openapi(State(state): State<AppState>) -> Json<Value> {
    Json(crate::openapi::document(&state.config))
}
