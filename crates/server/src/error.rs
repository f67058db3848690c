//! The one error type of the HTTP API, [`ApiError`], and its JSON body.
//!
//! Every error answer, whatever produced it, has the body
//! `{"error": {"status": 4xx, "code": "short_code", "message": "...", "details": [...]}}`.
//! Input errors explain what is wrong; internal errors are logged with an id and only that
//! id is shown to the caller.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

/// An error answer of the API.
#[derive(Debug, Clone)]
pub struct ApiError {
    /// The HTTP status.
    pub status: StatusCode,
    /// A stable short code (`unauthorized`, `not_found`, `bad_parameter`, ...).
    pub code: &'static str,
    /// A sentence a person can act on.
    pub message: String,
    /// Structured details (violations, parameter names, ...); may be empty.
    pub details: Vec<Value>,
}

impl ApiError {
    /// An error with a status, code and message, without details.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            details: Vec::new(),
        }
    }

    /// Adds a detail value.
    #[must_use]
    pub fn with_detail(mut self, detail: Value) -> Self {
        self.details.push(detail);
        self
    }

    /// 400 for a malformed request body.
    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, message)
    }

    /// 400 for a query or path parameter, naming it in `details`.
    pub fn bad_parameter(name: &str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "bad_parameter", message)
            .with_detail(json!({ "parameter": name }))
    }

    /// 401: no or unknown bearer token.
    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "unauthorized", message)
    }

    /// 403: the token's role may not do this.
    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "forbidden", message)
    }

    /// 404 for a missing thing.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", message)
    }

    /// 413 for a body over the configured limit.
    pub fn payload_too_large(limit: usize) -> Self {
        Self::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            format!(
                "the request body is larger than this node accepts ({limit} bytes); split it into smaller documents"
            ),
        )
        .with_detail(json!({ "limit_bytes": limit }))
    }

    /// 500: logs `error` with a fresh id and returns an error that shows only that id.
    pub fn internal(error: &dyn std::fmt::Display, context: &str) -> Self {
        let id = uuid::Uuid::new_v4();
        tracing::error!(error_id = %id, error = %error, context, "Internal error.");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            format!("internal error, id {id}; the node's operator can find it in the log"),
        )
    }

    /// The JSON body of this error.
    pub fn body(&self) -> Value {
        json!({
            "error": {
                "status": self.status.as_u16(),
                "code": self.code,
                "message": self.message,
                "details": self.details,
            }
        })
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} {}: {}",
            self.status.as_u16(),
            self.code,
            self.message
        )
    }
}

impl std::error::Error for ApiError {}

impl From<concord_store::StoreError> for ApiError {
    fn from(e: concord_store::StoreError) -> Self {
        match e {
            concord_store::StoreError::Cursor(c) => Self::bad_parameter(
                "next",
                format!("`next` cursor {c:?} was not issued by this node"),
            ),
            concord_store::StoreError::DiskFull(m) => {
                tracing::error!(error = %m, "Disk full: a write failed.");
                Self::new(
                    StatusCode::INSUFFICIENT_STORAGE,
                    "disk_full",
                    "disk full: the node cannot store anything until its operator frees space; nothing of this request was kept",
                )
            }
            concord_store::StoreError::Search(m) => Self::bad_parameter("q", m),
            e @ concord_store::StoreError::Budget { .. } => Self::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "query_budget",
                e.to_string(),
            ),
            other => Self::internal(&other, "store"),
        }
    }
}

impl From<tokio::task::JoinError> for ApiError {
    fn from(e: tokio::task::JoinError) -> Self {
        Self::internal(&e, "blocking task")
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut res = (self.status, axum::Json(self.body())).into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            res.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"concord\""),
            );
        }
        res
    }
}

/// Fallback for unknown routes: 404 in our format.
pub async fn route_not_found(uri: axum::http::Uri) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "route_not_found",
        format!(
            "no route {}; see /api/v1/openapi.json for the routes of this API",
            uri.path()
        ),
    )
}

/// Turns axum's bare 405 answers into our format (middleware).
pub async fn json_method_not_allowed(
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    let res = next.run(req).await;
    if res.status() == StatusCode::METHOD_NOT_ALLOWED && !is_json(&res) {
        let allow = res.headers().get(header::ALLOW).cloned();
        let mut out = ApiError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
            format!("{method} is not allowed on {path}; see /api/v1/openapi.json"),
        )
        .into_response();
        if let Some(allow) = allow {
            out.headers_mut().insert(header::ALLOW, allow);
        }
        return out;
    }
    res
}

/// Answer for a handler that panicked (a bug): logged with an id, 500 in our format.
pub fn panic_response(panic: Box<dyn std::any::Any + Send + 'static>) -> Response {
    let what = panic
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| panic.downcast_ref::<&str>().copied())
        .unwrap_or("(no message)");
    ApiError::internal(&format!("handler panicked: {what}"), "panic").into_response()
}

fn is_json(res: &Response) -> bool {
    res.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            let mime = v.split(';').next().unwrap_or("").trim();
            mime == "application/json" || mime.ends_with("+json")
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_errors_show_only_an_id() {
        let e = ApiError::internal(&"disk I/O error at /var/lib/concord/secret.db", "test");
        assert_eq!(e.status, StatusCode::INTERNAL_SERVER_ERROR);
        let body = e.body().to_string();
        assert!(body.contains("internal error, id "), "{body}");
        assert!(!body.contains("secret.db"), "{body}");
    }

    #[test]
    fn panics_become_internal_errors() {
        let res = panic_response(Box::new("boom"));
        assert_eq!(res.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert!(is_json(&res));
    }

    #[test]
    fn unauthorized_carries_a_bearer_challenge() {
        let res = ApiError::unauthorized("no").into_response();
        assert!(res.headers().get(header::WWW_AUTHENTICATE).is_some());
    }
}
