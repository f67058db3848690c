//! Administration (`/admin`, admins only): users (create; change role, clearance, and
//! whether they may sign in), every API token with its owner, and the TAXII collections
//! this node serves.

use std::collections::HashMap;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use concord_stix::Tlp;
use concord_store::users::{TLP_LEVELS, User};
use concord_store::{Role, TokenRecord};
use maud::{Markup, html};

use super::account::{ROLES, role_name};
use super::layout::{self, Notice, csrf_field};
use super::session::{Ctx, hash_password, password_problem};
use super::{Web, blocking};

/// Longest user name accepted.
pub const MAX_NAME: usize = 64;

/// Whether a user name is acceptable: 1 to 64 characters, no spaces or control
/// characters (letters of any script are fine).
pub fn valid_name(name: &str) -> bool {
    let n = name.chars().count();
    (1..=MAX_NAME).contains(&n) && !name.chars().any(|c| c.is_control() || c.is_whitespace())
}

fn tlp_name(t: Tlp) -> String {
    format!("TLP:{}", t.as_str().to_uppercase())
}

type Listing = (Vec<User>, Vec<(TokenRecord, Option<i64>)>);

fn render(ctx: &Ctx, web: &Web, data: &Listing, notice: Option<Notice>) -> Response {
    let l = ctx.lang;
    let (users, tokens) = data;
    let names: HashMap<i64, &str> = users.iter().map(|u| (u.id, u.name.as_str())).collect();
    let collections = web.app.config.taxii.all_collections();
    let body: Markup = html! {
        section.card aria-labelledby="users-h" {
            h2 #users-h { (l.t_n("admin-users", "count", i64::try_from(users.len()).unwrap_or(0))) }
            table {
                thead { tr {
                    th scope="col" { (l.t("col-name")) }
                    th scope="col" { (l.t("account-role")) }
                    th scope="col" { (l.t("account-clearance")) }
                    th scope="col" { (l.t("admin-disabled")) }
                    th scope="col" { (l.t("col-actions")) }
                } }
                tbody {
                    @for u in users {
                        @let form_id = format!("user-{}", u.id);
                        tr {
                            td { bdi { (u.name) } }
                            td {
                                select name="role" form=(form_id) aria-label={ (l.t("account-role")) " " (u.name) } {
                                    @for r in ROLES {
                                        option value=(r.as_str()) selected[r == u.role] { (l.t(role_name(r))) }
                                    }
                                }
                            }
                            td {
                                select name="clearance" form=(form_id) aria-label={ (l.t("account-clearance")) " " (u.name) } {
                                    @for t in TLP_LEVELS {
                                        option value=(t.as_str()) selected[t == u.clearance] { (tlp_name(t)) }
                                    }
                                }
                            }
                            td {
                                input type="checkbox" name="disabled" value="on" form=(form_id) checked[u.disabled] aria-label={ (l.t("admin-disabled")) " " (u.name) };
                            }
                            td {
                                form #(form_id) method="post" action={ "/admin/users/" (u.id) } {
                                    (csrf_field(ctx))
                                    button type="submit" aria-label={ (l.t("admin-save")) " " (u.name) } { (l.t("admin-save")) }
                                }
                            }
                        }
                    }
                }
            }
            h3 { (l.t("admin-new-user")) }
            form.row method="post" action="/admin/users" {
                (csrf_field(ctx))
                p {
                    label for="new-name" { (l.t("account-name")) }
                    input #new-name type="text" name="name" required maxlength="64" autocomplete="off";
                }
                p {
                    label for="new-password" { (l.t("signin-password")) }
                    input #new-password type="password" name="password" required minlength="10" maxlength="1024" autocomplete="new-password";
                }
                p {
                    label for="new-role" { (l.t("account-role")) }
                    select #new-role name="role" {
                        @for r in ROLES { option value=(r.as_str()) { (l.t(role_name(r))) } }
                    }
                }
                p {
                    label for="new-clearance" { (l.t("account-clearance")) }
                    select #new-clearance name="clearance" {
                        @for t in TLP_LEVELS { option value=(t.as_str()) selected[t == Tlp::Green] { (tlp_name(t)) } }
                    }
                }
                p { button type="submit" { (l.t("admin-create-user")) } }
            }
        }
        section.card aria-labelledby="all-tokens-h" {
            h2 #all-tokens-h { (l.t("admin-tokens")) }
            @if tokens.is_empty() {
                p.muted { (l.t("account-no-tokens")) }
            } @else {
                table {
                    thead { tr {
                        th scope="col" { (l.t("col-name")) }
                        th scope="col" { (l.t("account-role")) }
                        th scope="col" { (l.t("admin-owner")) }
                        th scope="col" { (l.t("col-created")) }
                        th scope="col" { (l.t("col-actions")) }
                    } }
                    tbody {
                        @for (t, owner) in tokens {
                            tr {
                                td { bdi { (t.name) } }
                                td { (l.t(role_name(t.role))) }
                                td {
                                    @match owner.and_then(|o| names.get(&o)) {
                                        Some(n) => { bdi { (n) } }
                                        None => { span.muted { (l.t("admin-no-owner")) } }
                                    }
                                }
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
        }
        section.card aria-labelledby="taxii-h" {
            h2 #taxii-h { (l.t("admin-collections")) }
            p.muted { (l.t_s("admin-collections-root", "root", &web.app.config.taxii.api_root)) }
            table {
                thead { tr {
                    th scope="col" { (l.t("col-name")) }
                    th scope="col" { (l.t("field-id")) }
                    th scope="col" { (l.t("admin-collection-filter")) }
                    th scope="col" { (l.t("admin-collection-read")) }
                    th scope="col" { (l.t("admin-collection-write")) }
                } }
                tbody {
                    @for c in &collections {
                        tr {
                            td { bdi { (c.title) } @if !c.description.is_empty() { br; span.muted { (c.description) } } }
                            td.id { (c.id) }
                            td {
                                @if c.types.is_empty() && c.tlp.is_empty() && c.sources.is_empty() && c.labels.is_empty() {
                                    (l.t("admin-collection-all"))
                                } @else {
                                    code dir="ltr" { (c.types.join(", ")) " " (c.tlp.join(", ")) " " (c.labels.join(", ")) }
                                }
                            }
                            td { (c.can_read.iter().map(|r| l.t(role_name(*r))).collect::<Vec<_>>().join(", ")) }
                            td { (c.can_write.iter().map(|r| l.t(role_name(*r))).collect::<Vec<_>>().join(", ")) }
                        }
                    }
                }
            }
        }
    };
    layout::page(ctx, &l.t("admin-title"), notice, body)
}

async fn listing(ctx: &Ctx, web: &Web) -> Result<Listing, Response> {
    let store = web.app.store.clone();
    blocking(ctx, move || {
        let users = store.users()?;
        let mut tokens = Vec::new();
        for t in store.tokens()? {
            let owner = store.token_owner(t.id)?;
            tokens.push((t, owner));
        }
        Ok((users, tokens))
    })
    .await
}

/// `GET /admin`.
pub async fn page(ctx: Ctx, State(web): State<Web>) -> Result<Response, Response> {
    ctx.require_role(Role::Admin)?;
    let data = listing(&ctx, &web).await?;
    Ok(render(&ctx, &web, &data, None))
}

/// Body of `POST /admin/users`.
#[derive(Debug, serde::Deserialize)]
pub struct NewUserForm {
    csrf: String,
    name: String,
    password: String,
    role: String,
    clearance: String,
}

/// `POST /admin/users`.
pub async fn create_user(
    ctx: Ctx,
    State(web): State<Web>,
    axum::Form(form): axum::Form<NewUserForm>,
) -> Result<Response, Response> {
    let admin = ctx.require_role(Role::Admin)?.clone();
    ctx.check_csrf(&form.csrf)?;
    let l = ctx.lang;
    let name = form.name.trim().to_owned();
    let problem = if !valid_name(&name) {
        Some("admin-bad-name")
    } else {
        password_problem(&form.password)
    };
    let role = Role::parse(&form.role);
    let clearance = form.clearance.parse::<Tlp>().ok();
    let (None, Some(role), Some(clearance)) = (problem, role, clearance) else {
        let data = listing(&ctx, &web).await?;
        let mut res = render(
            &ctx,
            &web,
            &data,
            Some(Notice::error(l.t(problem.unwrap_or("admin-bad-user")))),
        );
        *res.status_mut() = StatusCode::BAD_REQUEST;
        return Ok(res);
    };
    let store = web.app.store.clone();
    let password = form.password;
    let n = name.clone();
    let created = blocking(&ctx, move || {
        store.create_user(&n, role, clearance, &hash_password(&password))
    })
    .await?;
    let data = listing(&ctx, &web).await?;
    let Some(user) = created else {
        let mut res = render(
            &ctx,
            &web,
            &data,
            Some(Notice::error(l.t_s("admin-name-taken", "name", &name))),
        );
        *res.status_mut() = StatusCode::CONFLICT;
        return Ok(res);
    };
    tracing::info!(user = %user.name, role = role.as_str(), clearance = clearance.as_str(), by = %admin.name, "User created on the web.");
    Ok(render(
        &ctx,
        &web,
        &data,
        Some(Notice::ok(l.t_s("admin-user-created", "name", &user.name))),
    ))
}

/// Body of `POST /admin/users/{id}`.
#[derive(Debug, serde::Deserialize)]
pub struct UpdateUserForm {
    csrf: String,
    role: String,
    clearance: String,
    #[serde(default)]
    disabled: Option<String>,
}

/// `POST /admin/users/{id}`: role, clearance and the disabled flag. An admin cannot
/// lower their own role or disable themselves (so a node always keeps an admin).
pub async fn update_user(
    ctx: Ctx,
    State(web): State<Web>,
    Path(id): Path<i64>,
    axum::Form(form): axum::Form<UpdateUserForm>,
) -> Result<Response, Response> {
    let admin = ctx.require_role(Role::Admin)?.clone();
    ctx.check_csrf(&form.csrf)?;
    let l = ctx.lang;
    let disabled = form.disabled.as_deref() == Some("on");
    let (Some(role), Some(clearance)) =
        (Role::parse(&form.role), form.clearance.parse::<Tlp>().ok())
    else {
        return Err(layout::error_page(
            &ctx,
            StatusCode::BAD_REQUEST,
            &l.t("admin-bad-user"),
        ));
    };
    if id == admin.id && (role != Role::Admin || disabled) {
        let data = listing(&ctx, &web).await?;
        let mut res = render(&ctx, &web, &data, Some(Notice::error(l.t("admin-self"))));
        *res.status_mut() = StatusCode::BAD_REQUEST;
        return Ok(res);
    }
    let store = web.app.store.clone();
    let found = blocking(&ctx, move || {
        store.update_user(id, role, clearance, disabled)
    })
    .await?;
    if !found {
        return Err(layout::error_page(
            &ctx,
            StatusCode::NOT_FOUND,
            &l.t("error-not-found"),
        ));
    }
    tracing::info!(user_id = id, role = role.as_str(), clearance = clearance.as_str(), disabled, by = %admin.name, "User changed on the web.");
    let data = listing(&ctx, &web).await?;
    Ok(render(
        &ctx,
        &web,
        &data,
        Some(Notice::ok(l.t("admin-user-saved"))),
    ))
}
