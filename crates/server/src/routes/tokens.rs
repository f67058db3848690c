//! Token management (admin only): list, create (the secret is shown once), revoke.
//!
//! Tokens belong to users of the web interface (`concord_store::users`): a token created
//! here with a token that belongs to a user belongs to that user too, and appears on the
//! user's page. Tokens created by `concord token create` belong to nobody.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use concord_store::Role;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::AppState;
use crate::auth::{AdminAccess, hash_token, new_token_secret};
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiPath};
use crate::routes::blocking;

/// Longest token name accepted.
const MAX_NAME: usize = 200;

/// Body of `POST /api/v1/tokens`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewToken {
    /// Who or what the token is for.
    pub name: String,
    /// `reader`, `analyst` or `admin`.
    pub role: String,
}

/// `GET /api/v1/tokens`: every token, without secrets.
pub async fn list(
    _caller: AdminAccess,
    State(state): State<AppState>,
) -> Result<Json<Value>, ApiError> {
    let store = state.store.clone();
    let tokens = blocking(move || Ok(store.tokens()?)).await?;
    Ok(Json(json!({ "tokens": tokens })))
}

/// `POST /api/v1/tokens`: 201 with the new secret, shown only in this answer.
pub async fn create(
    caller: AdminAccess,
    State(state): State<AppState>,
    ApiJson(body): ApiJson<NewToken>,
) -> Result<Response, ApiError> {
    let name = body.name.trim().to_owned();
    if name.is_empty() || name.chars().count() > MAX_NAME || name.chars().any(char::is_control) {
        return Err(ApiError::bad_request(
            "bad_token_name",
            format!(
                "`name` must be 1 to {MAX_NAME} printable characters saying who the token is for"
            ),
        )
        .with_detail(json!({ "field": "name" })));
    }
    let Some(role) = Role::parse(&body.role) else {
        return Err(ApiError::bad_request(
            "bad_role",
            format!(
                "`role` must be `reader`, `analyst` or `admin`, not {:?}",
                body.role
            ),
        )
        .with_detail(json!({ "field": "role" })));
    };
    let secret = new_token_secret();
    let hash = hash_token(&secret);
    let store = state.store.clone();
    let caller_id = caller.0.id;
    let record = blocking(move || {
        let record = store.create_token(&name, role, &hash)?;
        if let Some(owner) = store.token_owner(caller_id)? {
            store.link_token(record.id, owner)?;
        }
        Ok(record)
    })
    .await?;
    tracing::info!(token_id = record.id, name = %record.name, role = record.role.as_str(), by = %caller.0.name, "Token created.");
    let body = json!({
        "token": secret,
        "id": record.id,
        "name": record.name,
        "role": record.role,
        "created": record.created,
    });
    Ok((StatusCode::CREATED, Json(body)).into_response())
}

/// `DELETE /api/v1/tokens/{id}`: 204, or 404 when no such token exists.
pub async fn revoke(
    caller: AdminAccess,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<i64>,
) -> Result<StatusCode, ApiError> {
    let store = state.store.clone();
    if blocking(move || Ok(store.revoke_token(id)?)).await? {
        tracing::info!(token_id = id, by = %caller.0.name, "Token revoked.");
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::not_found(format!(
            "no token with id {id}; GET /api/v1/tokens lists them"
        ))
        .with_detail(json!({ "id": id })))
    }
}
