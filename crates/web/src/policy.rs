//! "What would each peer receive of this object, and why" (`/objects/{id}/policy`,
//! admins): the outbound policy's decision for every registered peer, with the rule behind
//! each part and, for a redacted copy, the properties that change. The decision is
//! `concord-federation`'s (the same call the change feed makes); the rules' explanations
//! are the policy engine's own sentences, in English, marked `lang="en"`.

use std::collections::BTreeSet;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use concord_store::Role;
use maud::html;
use serde_json::Value;

use super::layout;
use super::session::Ctx;
use super::view::{self, display_name, visible};
use super::{Web, blocking};

/// `GET /objects/{id}/policy`.
pub async fn page(
    ctx: Ctx,
    State(web): State<Web>,
    Path(id): Path<String>,
) -> Result<Response, Response> {
    let user = ctx.require_role(Role::Admin)?.clone();
    let l = ctx.lang;
    let not_found = || layout::error_page(&ctx, StatusCode::NOT_FOUND, &l.t("error-no-object"));
    if !view::is_stix_id(&id) {
        return Err(not_found());
    }
    let Some(fed) = web.app.federation.clone() else {
        let body = html! { p.card { (l.t("policy-no-federation")) } };
        return Ok(layout::page(&ctx, &l.t("policy-title-plain"), None, body));
    };
    let store = web.app.store.clone();
    let key = id.clone();
    let loaded = blocking(&ctx, move || {
        let Some(held) = store.get(&key)? else {
            return Ok(None);
        };
        let object = held.value();
        if !visible(&object, user.clearance) {
            return Ok(None);
        }
        let policy = fed.policy();
        let mut rows = Vec::new();
        for peer in store.peers()? {
            let decision = match concord_federation::outbound::decide(
                &*store,
                fed.key(),
                &policy,
                &object,
                &peer,
            ) {
                Ok((d, _)) => d,
                Err(e) => {
                    tracing::warn!(error = %e, peer = %peer.node_id, "Policy explanation failed.");
                    continue;
                }
            };
            rows.push((peer, decision));
        }
        Ok(Some((object, rows)))
    })
    .await?;
    let Some((object, rows)) = loaded else {
        return Err(not_found());
    };
    let changed = |sent: &Option<Value>| -> Vec<String> {
        let (Some(a), Some(b)) = (object.as_object(), sent.as_ref().and_then(Value::as_object))
        else {
            return Vec::new();
        };
        let keys: BTreeSet<&String> = a.keys().chain(b.keys()).collect();
        keys.into_iter()
            .filter(|k| a.get(*k) != b.get(*k))
            .cloned()
            .collect()
    };
    let name = display_name(&object);
    let body = html! {
        p { a href={ "/objects/" (id) } { (l.t("graph-back")) } }
        @if rows.is_empty() {
            p.card { (l.t("dashboard-peers-none")) }
        }
        @for (peer, d) in &rows {
            section.card {
                h2 { bdi { (peer.name) } " " span.id.muted { (peer.node_id) } }
                p {
                    strong { (l.t(&format!("verdict-{}", d.verdict.as_str()))) }
                    @if let Some(a) = &d.agreement { " · " (l.t("col-agreement")) ": " bdi { (a) } }
                    @if d.verdict.as_str() != "withhold" {
                        " · " (l.t("provenance-hops")) ": " (l.number(i64::from(d.hops_left)))
                    }
                }
                @let diff = changed(&d.object);
                @if d.verdict.as_str() == "send-redacted" && !diff.is_empty() {
                    p { (l.t("policy-changed")) " " code dir="ltr" { (diff.join(", ")) } }
                }
                table {
                    thead { tr {
                        th scope="col" { (l.t("policy-rule")) }
                        th scope="col" { (l.t("policy-effect")) }
                        th scope="col" { (l.t("policy-why")) }
                    } }
                    tbody {
                        @for r in &d.reasons {
                            tr {
                                td { code dir="ltr" { (r.rule) } }
                                td { (l.t(&format!("effect-{}", r.effect.as_str()))) }
                                td lang="en" dir="ltr" { (r.message) }
                            }
                        }
                    }
                }
            }
        }
    };
    Ok(layout::page(
        &ctx,
        &l.t_s("policy-title", "name", &name),
        None,
        body,
    ))
}
