//! Token management (admin only): list, create (the secret is shown once), revoke.
//!
//! Tokens belong to users of the web interface (`concord_store::users`): a token created
//! here with a token that belongs to a user belongs to that user too, and appears on the
//! user's page. Tokens created by `concord token create` belong to nobody.
//!
//! A token reads TLP:GREEN at most unless `clearance` asks for more; never more than the
//! creating token reads. `expires` (`30d` or an RFC 3339 time) ends it.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use concord_stix::Tlp;
use concord_store::Role;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::AppState;
use crate::auth::{AdminAccess, hash_token, new_token_secret, parse_expiry};
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
    /// The highest TLP level it reads: `clear`, `green` (the default), `amber`,
    /// `amber+strict` or `red`; at most the creating token's.
    #[serde(default)]
    pub clearance: Option<String>,
    /// When it stops working: a duration from now (`30d`, `12h`) or an RFC 3339 time.
    #[serde(default)]
    pub expires: Option<String>,
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
    let clearance = match body.clearance.as_deref() {
        None => Tlp::Green,
        Some(c) => c.parse::<Tlp>().map_err(|e| {
            ApiError::bad_request("bad_clearance", format!("`clearance`: {e}"))
                .with_detail(json!({ "field": "clearance" }))
        })?,
    };
    if caller.1.0.is_some_and(|own| clearance > own) {
        return Err(ApiError::forbidden(format!(
            "a token cannot read more than the token that creates it: {:?} reads up to TLP:{}",
            caller.0.name,
            caller
                .1
                .0
                .map(|t| t.as_str())
                .unwrap_or_default()
                .to_uppercase()
        )));
    }
    let expires = match body.expires.as_deref() {
        None => None,
        Some(e) => Some(parse_expiry(e, chrono::Utc::now()).map_err(|m| {
            ApiError::bad_request("bad_expiry", m).with_detail(json!({ "field": "expires" }))
        })?),
    };
    let secret = new_token_secret();
    let hash = hash_token(&secret);
    let store = state.store.clone();
    let caller_id = caller.0.id;
    let record = blocking(move || {
        let record = store.create_token_with(&concord_store::NewToken {
            name: &name,
            role,
            hash: &hash,
            clearance,
            expires,
        })?;
        if let Some(owner) = store.token_owner(caller_id)? {
            store.link_token(record.id, owner)?;
        }
        Ok(record)
    })
    .await?;
    tracing::info!(token_id = record.id, name = %record.name, role = record.role.as_str(),
        clearance = record.clearance.as_str(), expires = record.expires.as_deref().unwrap_or("never"),
        by = %caller.0.name, "Token created.");
    let body = json!({
        "token": secret,
        "id": record.id,
        "name": record.name,
        "role": record.role,
        "created": record.created,
        "clearance": record.clearance,
        "expires": record.expires,
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
