//! `POST /api/v1/match`: matches a log (the body) against the node's current indicators
//! (the server's live index, see [`crate::matching::LiveMatching`]), stores one STIX
//! sighting per indicator hit and answers the summary and the sightings. Only hits on
//! indicators the caller sees whole count ([`crate::matching::sightings_by`]).

use axum::Json;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use concord_matcher::readers::Format;
use concord_store::cleared::ClearedStore;
use serde_json::{Value, json};

use crate::AppState;
use crate::auth::AnalystAccess;
use crate::error::ApiError;
use crate::extract::LogBody;
use crate::matching;
use crate::routes::blocking;

/// The log formats `format` accepts.
pub const FORMATS: &[&str] = &["eve", "zeek", "ecs", "csv", "lines", "stix"];

fn parse_format(raw: Option<&str>) -> Result<Format, ApiError> {
    let pairs: Vec<(String, String)> =
        serde_urlencoded::from_str(raw.unwrap_or("")).map_err(|e| {
            ApiError::bad_parameter("query", format!("the query string cannot be read: {e}"))
        })?;
    let mut name = "eve".to_owned();
    for (key, value) in pairs {
        if key != "format" {
            return Err(ApiError::bad_parameter(
                &key,
                format!("unknown parameter `{key}`; this route takes format"),
            ));
        }
        name = value;
    }
    Format::from_name(&name).ok_or_else(|| {
        ApiError::bad_parameter(
            "format",
            format!(
                "`format` must be one of {}, not {name:?}",
                FORMATS.join(", ")
            ),
        )
    })
}

/// `POST /api/v1/match?format=eve|zeek|ecs|csv|lines|stix` (default `eve`).
pub async fn run(
    caller: AnalystAccess,
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
    LogBody(bytes): LogBody,
) -> Result<Json<Value>, ApiError> {
    let format = parse_format(raw.as_deref())?;
    let size = bytes.len();
    let store = state.store.clone();
    let clearance = caller.1.0;
    let matcher = state.matching.matcher().await.map_err(|e| match e {
        matching::LiveError::Store(e) => ApiError::from(e),
        e => ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "index_not_ready",
            e.to_string(),
        ),
    })?;
    let compile_errors = state.matching.compile_errors();
    let identity = state.matching.identity().map(str::to_owned);
    let (report, sightings, import) = blocking(move || {
        let now = matching::now();
        let seen = ClearedStore::for_caller(store, clearance);
        let (report, sightings) = matching::match_log(
            &matcher,
            &bytes[..],
            &format,
            &*seen,
            identity.as_deref(),
            now,
        )?;
        let mut rejected = Vec::new();
        let import = matching::store_sightings(&*seen, sightings.clone(), &mut |r| {
            rejected.push(r.clone())
        })?;
        if !rejected.is_empty() {
            tracing::warn!(?rejected, "Sightings rejected by the store.");
        }
        Ok((report, sightings, import))
    })
    .await?;
    state.metrics.record_import(&import);
    let written = import.new + import.new_versions + import.unchanged;
    tracing::info!(
        token = %caller.0.name,
        bytes = size,
        observations = report.observations,
        malformed = report.malformed,
        sightings = written,
        "Log matched."
    );
    let mut summary = matching::summary(&report, written);
    summary["compile_errors"] = json!(compile_errors);
    Ok(Json(json!({ "summary": summary, "sightings": sightings })))
}
