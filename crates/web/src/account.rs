//! The user's own page (`/account`): role and clearance, password change, and the API
//! tokens the user owns (created with a role no higher than the user's, the secret shown
//! once; revoked by their owner or an admin).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use concord_store::{Role, TokenRecord};
use maud::{Markup, html};

use super::layout::{self, Notice, csrf_field, tlp_badge};
use super::session::{self, CsrfForm, Ctx, hash_password, password_problem, verify_password};
use super::{Web, blocking};
use concord_server::auth::{hash_token, new_token_secret};

/// Longest token name accepted.
const MAX_TOKEN_NAME: usize = 200;

/// The message id of a role's name.
pub fn role_name(r: Role) -> &'static str {
    match r {
        Role::Reader => "role-reader",
        Role::Analyst => "role-analyst",
        Role::Admin => "role-admin",
    }
}

/// Every role, lowest first.
pub const ROLES: [Role; 3] = [Role::Reader, Role::Analyst, Role::Admin];

fn render(
    ctx: &Ctx,
    tokens: &[TokenRecord],
    secret: Option<&str>,
    notice: Option<Notice>,
) -> Response {
    let l = ctx.lang;
    let Some(user) = ctx.user() else {
        return layout::redirect("/signin");
    };
    let body: Markup = html! {
        section.card aria-labelledby="me-h" {
            h2 #me-h { (l.t("account-profile")) }
            dl.fields {
                dt { (l.t("account-name")) } dd { bdi { (user.name) } }
                dt { (l.t("account-role")) } dd { (l.t(role_name(user.role))) }
                dt { (l.t("account-clearance")) } dd { (tlp_badge(user.clearance)) }
            }
        }
        section.card aria-labelledby="tokens-h" {
            h2 #tokens-h { (l.t("account-tokens")) }
            @if let Some(s) = secret {
                p role="status" { (l.t("account-token-once")) }
                p.secret dir="ltr" { (s) }
            }
            @if tokens.is_empty() {
                p.muted { (l.t("account-no-tokens")) }
            } @else {
                table {
                    thead { tr {
                        th scope="col" { (l.t("col-name")) }
                        th scope="col" { (l.t("account-role")) }
                        th scope="col" { (l.t("col-created")) }
                        th scope="col" { (l.t("col-actions")) }
                    } }
                    tbody {
                        @for t in tokens {
                            tr {
                                td { bdi { (t.name) } }
                                td { (l.t(role_name(t.role))) }
                                td { (l.datetime(&t.created)) }
                                td {
                                    form.inline method="post" action={ "/account/tokens/" (t.id) "/revoke" } {
                                        (csrf_field(ctx))
                                        button.secondary type="submit" aria-label={ (l.t("account-revoke")) " " (t.name) } { (l.t("account-revoke")) }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            h3 { (l.t("account-new-token")) }
            form.row method="post" action="/account/tokens" {
                (csrf_field(ctx))
                p {
                    label for="token-name" { (l.t("account-token-name")) }
                    input #token-name type="text" name="name" required maxlength="200";
                }
                p {
                    label for="token-role" { (l.t("account-role")) }
                    select #token-role name="role" {
                        @for r in ROLES {
                            @if r <= user.role {
                                option value=(r.as_str()) { (l.t(role_name(r))) }
                            }
                        }
                    }
                }
                p { button type="submit" { (l.t("account-create-token")) } }
            }
        }
        section.card aria-labelledby="pw-h" {
            h2 #pw-h { (l.t("account-password")) }
            form.narrow method="post" action="/account/password" {
                (csrf_field(ctx))
                p {
                    label for="current" { (l.t("account-current-password")) }
                    input #current type="password" name="current" autocomplete="current-password" required maxlength="1024";
                }
                p {
                    label for="new" { (l.t("account-new-password")) }
                    input #new type="password" name="new" autocomplete="new-password" required minlength="10" maxlength="1024";
                }
                p {
                    label for="confirm" { (l.t("account-confirm-password")) }
                    input #confirm type="password" name="confirm" autocomplete="new-password" required minlength="10" maxlength="1024";
                }
                p { button type="submit" { (l.t("account-change-password")) } }
            }
        }
    };
    layout::page(ctx, &l.t("account-title"), notice, body)
}

async fn tokens_of(ctx: &Ctx, web: &Web, user_id: i64) -> Result<Vec<TokenRecord>, Response> {
    let store = web.app.store.clone();
    blocking(ctx, move || store.user_tokens(user_id)).await
}

/// `GET /account`.
pub async fn page(ctx: Ctx, State(web): State<Web>) -> Result<Response, Response> {
    let id = ctx.require()?.id;
    let tokens = tokens_of(&ctx, &web, id).await?;
    Ok(render(&ctx, &tokens, None, None))
}

/// Body of `POST /account/password`.
#[derive(Debug, serde::Deserialize)]
pub struct PasswordForm {
    csrf: String,
    current: String,
    new: String,
    confirm: String,
}

/// `POST /account/password`: checks the current password; the new one ends every
/// session of the user (this one too), so the user signs in again.
pub async fn password(
    ctx: Ctx,
    State(web): State<Web>,
    axum::Form(form): axum::Form<PasswordForm>,
) -> Result<Response, Response> {
    let user = ctx.require()?.clone();
    ctx.check_csrf(&form.csrf)?;
    let l = ctx.lang;
    let fail = |tokens: &[TokenRecord], id: &str| {
        let mut res = render(&ctx, tokens, None, Some(Notice::error(l.t(id))));
        *res.status_mut() = StatusCode::BAD_REQUEST;
        res
    };
    let tokens = tokens_of(&ctx, &web, user.id).await?;
    if form.new != form.confirm {
        return Err(fail(&tokens, "password-mismatch"));
    }
    if let Some(problem) = password_problem(&form.new) {
        return Err(fail(&tokens, problem));
    }
    let store = web.app.store.clone();
    let name = user.name.clone();
    let found = blocking(&ctx, move || store.user_by_name(&name)).await?;
    let current = form.current;
    let ok = tokio::task::spawn_blocking(move || {
        found.is_some_and(|(_, h)| {
            current.len() <= session::MAX_PASSWORD && verify_password(&current, &h)
        })
    })
    .await
    .unwrap_or(false);
    if !ok {
        return Err(fail(&tokens, "password-wrong"));
    }
    let new = form.new;
    let store = web.app.store.clone();
    let uid = user.id;
    blocking(&ctx, move || store.set_password(uid, &hash_password(&new))).await?;
    tracing::info!(user = %user.name, "Password changed on the web.");
    Ok(layout::redirect("/signin"))
}

/// Body of `POST /account/tokens`.
#[derive(Debug, serde::Deserialize)]
pub struct TokenForm {
    csrf: String,
    name: String,
    role: String,
}

/// `POST /account/tokens`: a token owned by the user; its secret is shown once.
pub async fn create_token(
    ctx: Ctx,
    State(web): State<Web>,
    axum::Form(form): axum::Form<TokenForm>,
) -> Result<Response, Response> {
    let user = ctx.require()?.clone();
    ctx.check_csrf(&form.csrf)?;
    let l = ctx.lang;
    let tokens = tokens_of(&ctx, &web, user.id).await?;
    let name = form.name.trim().to_owned();
    let role = Role::parse(&form.role).filter(|r| *r <= user.role);
    let bad_name = name.is_empty()
        || name.chars().count() > MAX_TOKEN_NAME
        || name.chars().any(char::is_control);
    let (Some(role), false) = (role, bad_name) else {
        let mut res = render(
            &ctx,
            &tokens,
            None,
            Some(Notice::error(l.t("account-token-invalid"))),
        );
        *res.status_mut() = StatusCode::BAD_REQUEST;
        return Ok(res);
    };
    let secret = new_token_secret();
    let hash = hash_token(&secret);
    let store = web.app.store.clone();
    let (uid, clearance) = (user.id, user.clearance);
    blocking(&ctx, move || {
        // The user's own clearance, stated on the token itself (not only through its owner).
        let t = store.create_token_with(&concord_store::NewToken {
            name: &name,
            role,
            hash: &hash,
            clearance,
            expires: None,
        })?;
        store.link_token(t.id, uid)
    })
    .await?;
    tracing::info!(user = %user.name, role = role.as_str(), "Token created on the web.");
    let tokens = tokens_of(&ctx, &web, user.id).await?;
    Ok(render(
        &ctx,
        &tokens,
        Some(&secret),
        Some(Notice::ok(l.t("account-token-created"))),
    ))
}

/// `POST /account/tokens/{id}/revoke`: by the token's owner or an admin.
pub async fn revoke_token(
    ctx: Ctx,
    State(web): State<Web>,
    Path(id): Path<i64>,
    axum::Form(form): axum::Form<CsrfForm>,
) -> Result<Response, Response> {
    let user = ctx.require()?.clone();
    ctx.check_csrf(&form.csrf)?;
    let store = web.app.store.clone();
    let owner = blocking(&ctx, move || store.token_owner(id)).await?;
    if owner != Some(user.id) && user.role < Role::Admin {
        return Err(layout::error_page(
            &ctx,
            StatusCode::FORBIDDEN,
            &ctx.lang.t("error-forbidden"),
        ));
    }
    let store = web.app.store.clone();
    blocking(&ctx, move || store.revoke_token(id)).await?;
    tracing::info!(user = %user.name, token_id = id, "Token revoked on the web.");
    Ok(layout::redirect(if owner == Some(user.id) {
        "/account"
    } else {
        "/admin"
    }))
}
