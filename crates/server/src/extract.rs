//! Extractors of ours wrapping axum's, so that every rejected request gets our JSON error
//! format: [`ApiJson`] for small JSON bodies, [`ApiPath`] for path parameters and
//! [`Document`] for raw STIX documents of up to `body_limit` bytes.

use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, JsonRejection, PathRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use serde::de::DeserializeOwned;

use crate::AppState;
use crate::error::ApiError;

/// `axum::Json`, rejecting with [`ApiError`].
#[derive(Debug)]
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned> FromRequest<AppState> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, ApiError> {
        check_length(&req, state.config.body_limit)?;
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(v)) => Ok(ApiJson(v)),
            Err(r) => Err(json_rejection(&r, state.config.body_limit)),
        }
    }
}

fn json_rejection(r: &JsonRejection, limit: usize) -> ApiError {
    match r.status() {
        StatusCode::PAYLOAD_TOO_LARGE => ApiError::payload_too_large(limit),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => unsupported_media_type(),
        StatusCode::UNPROCESSABLE_ENTITY => ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_body",
            r.body_text(),
        ),
        _ => ApiError::bad_request("invalid_json", r.body_text()),
    }
}

fn unsupported_media_type() -> ApiError {
    ApiError::new(
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
        "send the body as JSON with the header `Content-Type: application/json`",
    )
}

/// `axum::extract::Path`, rejecting with [`ApiError`].
#[derive(Debug)]
pub struct ApiPath<T>(pub T);

impl<T: DeserializeOwned + Send> FromRequestParts<AppState> for ApiPath<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(v)) => Ok(ApiPath(v)),
            Err(r) => Err(path_rejection(&r)),
        }
    }
}

fn path_rejection(r: &PathRejection) -> ApiError {
    ApiError::new(StatusCode::BAD_REQUEST, "bad_parameter", r.body_text())
}

/// The raw bytes of a document body, at most `config.body_limit` long, with a JSON (or
/// absent) `Content-Type`. Reading stops as soon as the limit is passed (413).
#[derive(Debug)]
pub struct Document(pub Bytes);

impl FromRequest<AppState> for Document {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, ApiError> {
        if let Some(ct) = req.headers().get(header::CONTENT_TYPE) {
            let ct = ct.to_str().unwrap_or("").to_ascii_lowercase();
            let mime = ct.split(';').next().unwrap_or("").trim();
            if !(mime == "application/json" || mime.ends_with("+json")) {
                return Err(unsupported_media_type());
            }
        }
        check_length(&req, state.config.body_limit)?;
        match Bytes::from_request(req, state).await {
            Ok(b) => Ok(Document(b)),
            Err(r) => Err(bytes_rejection(&r, state.config.body_limit)),
        }
    }
}

/// Refuses a body whose announced `Content-Length` is over the limit before reading any
/// of it (the body limit alone would only stop once `limit` bytes had arrived).
fn check_length(req: &Request, limit: usize) -> Result<(), ApiError> {
    let announced = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    match announced {
        Some(n) if n > limit as u64 => Err(ApiError::payload_too_large(limit)),
        _ => Ok(()),
    }
}

fn bytes_rejection(r: &BytesRejection, limit: usize) -> ApiError {
    if r.status() == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::payload_too_large(limit)
    } else {
        ApiError::bad_request(
            "unreadable_body",
            format!("the request body could not be read: {}", r.body_text()),
        )
    }
}

/// The raw bytes of a log body (any `Content-Type`), at most `config.body_limit` long.
#[derive(Debug)]
pub struct LogBody(pub Bytes);

impl FromRequest<AppState> for LogBody {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, ApiError> {
        check_length(&req, state.config.body_limit)?;
        match Bytes::from_request(req, state).await {
            Ok(b) => Ok(LogBody(b)),
            Err(r) => Err(bytes_rejection(&r, state.config.body_limit)),
        }
    }
}
