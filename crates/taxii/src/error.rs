//! Errors of the TAXII routes, answered in the TAXII error message format with the TAXII
//! media type (never in the REST API's format).

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use crate::wire::{ErrorMessage, TAXII_MEDIA_TYPE};

/// An error answer of a TAXII route.
#[derive(Debug, Clone)]
pub struct TaxiiError {
    /// The HTTP status.
    pub status: StatusCode,
    /// Stable short code (`unauthorized`, `bad_parameter`, ...).
    pub code: &'static str,
    /// What is wrong and what to do.
    pub description: String,
    /// Structured details, if any.
    pub details: Option<Value>,
}

impl TaxiiError {
    /// An error with a status, code and description.
    pub fn new(status: StatusCode, code: &'static str, description: impl Into<String>) -> Self {
        Self {
            status,
            code,
            description: description.into(),
            details: None,
        }
    }

    /// 400 naming a query parameter.
    pub fn bad_parameter(name: &str, description: impl Into<String>) -> Self {
        let mut e = Self::new(StatusCode::BAD_REQUEST, "bad_parameter", description);
        e.details = Some(serde_json::json!({ "parameter": name }));
        e
    }

    /// 400 for a malformed body.
    pub fn bad_request(code: &'static str, description: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, description)
    }

    /// 401: no or unknown credentials.
    pub fn unauthorized(description: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "unauthorized", description)
    }

    /// 403: the credentials do not allow this.
    pub fn forbidden(description: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "forbidden", description)
    }

    /// 404.
    pub fn not_found(description: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", description)
    }

    /// 500: logs `error` with a fresh id and shows only that id.
    pub fn internal(error: &dyn std::fmt::Display, context: &str) -> Self {
        let id = uuid::Uuid::new_v4();
        tracing::error!(error_id = %id, error = %error, context, "Internal error in a TAXII route.");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            format!("internal error, id {id}; the node's operator can find it in the log"),
        )
    }

    /// The TAXII error message of this error.
    pub fn message(&self) -> ErrorMessage {
        ErrorMessage {
            title: self.status.canonical_reason().unwrap_or("Error").to_owned(),
            description: Some(self.description.clone()),
            error_id: None,
            error_code: Some(self.code.to_owned()),
            http_status: Some(self.status.as_u16().to_string()),
            details: self.details.clone(),
        }
    }
}

impl std::fmt::Display for TaxiiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} {}: {}",
            self.status.as_u16(),
            self.code,
            self.description
        )
    }
}

impl std::error::Error for TaxiiError {}

impl From<concord_store::StoreError> for TaxiiError {
    fn from(e: concord_store::StoreError) -> Self {
        match e {
            concord_store::StoreError::DiskFull(m) => {
                tracing::error!(error = %m, "Disk full: a TAXII write failed.");
                Self::new(
                    StatusCode::INSUFFICIENT_STORAGE,
                    "disk_full",
                    "disk full: the server cannot store anything until its operator frees space; nothing of this request was kept",
                )
            }
            concord_store::StoreError::Search(m) => Self::bad_request("invalid_search", m),
            e @ concord_store::StoreError::Budget { .. } => Self::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "query_budget",
                e.to_string(),
            ),
            other => Self::internal(&other, "store"),
        }
    }
}

impl From<tokio::task::JoinError> for TaxiiError {
    fn from(e: tokio::task::JoinError) -> Self {
        Self::internal(&e, "blocking task")
    }
}

impl IntoResponse for TaxiiError {
    fn into_response(self) -> Response {
        let body = serde_json::to_vec(&self.message()).unwrap_or_default();
        let mut res = (self.status, body).into_response();
        let h = res.headers_mut();
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static(TAXII_MEDIA_TYPE),
        );
        if self.status == StatusCode::UNAUTHORIZED {
            h.append(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Basic realm=\"concord-taxii\""),
            );
            h.append(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"concord-taxii\""),
            );
        }
        res
    }
}
