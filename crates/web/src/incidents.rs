//! Incidents (`/incidents`, readers): the incidents held here within the user's
//! clearance, and one incident with its state, the acknowledgements per peer of the alert
//! this node sent about it, and its timeline (requests for assistance, answers, notes,
//! evidence), each entry shown only if the user may see its object. The work is
//! `concord-response`'s; this module only shows it.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use concord_response::{alert, incident, timeline};
use concord_store::users::ClearedQuery;
use concord_store::{Order, StoreError};
use maud::html;
use serde_json::Value;

use super::i18n::Lang;
use super::layout::{self, tlp_badge};
use super::session::Ctx;
use super::view::{self, display_name, object_link, object_tlp, visible};
use super::{Web, blocking, internal};

/// Incidents per page.
pub const PAGE_SIZE: usize = 50;
/// Overdue threshold for alert answers shown here (as the API's default).
const OVERDUE_SECS: u64 = concord_server::routes::incidents::DEFAULT_OVERDUE_SECS;

/// This node's id as `concord-response` names it.
pub(super) fn me(web: &Web) -> String {
    web.app
        .federation
        .as_ref()
        .map_or_else(|| "local".to_owned(), |f| f.key().node_id())
}

fn text(v: &Value, key: &str) -> String {
    v.get(key).and_then(Value::as_str).unwrap_or("—").to_owned()
}

fn kind_name(l: Lang, kind: Option<&str>, ty: &str) -> String {
    match kind {
        Some(
            k @ ("incident"
            | "ack"
            | "request"
            | "request-response"
            | "custody"
            | "constituency-notification"),
        ) => l.t(&format!("kind-{k}")),
        Some(other) => other.to_owned(),
        None => ty.to_owned(),
    }
}

/// Query of `GET /incidents`.
#[derive(Debug, Default, serde::Deserialize)]
pub struct ListQuery {
    #[serde(default)]
    after: Option<i64>,
}

/// `GET /incidents`.
pub async fn list(
    ctx: Ctx,
    State(web): State<Web>,
    Query(q): Query<ListQuery>,
) -> Result<Response, Response> {
    let user = ctx.require()?.clone();
    let l = ctx.lang;
    let store = web.app.store.clone();
    let me = me(&web);
    let (rows, next) = blocking(&ctx, move || {
        let mut query = ClearedQuery::new(user.clearance);
        query.base.types = vec!["incident".into()];
        query.base.order = Order::NewestFirst;
        query.base.limit = PAGE_SIZE;
        query.base.cursor = q.after;
        let page = store.list_cleared(&query)?;
        let mut rows = Vec::new();
        for o in page.objects {
            let v = o.value();
            if !visible(&v, user.clearance) {
                continue;
            }
            match incident::summary(&*store, &me, &v) {
                Ok(s) => rows.push(s),
                Err(concord_response::ResponseError::Store(e)) => return Err(e),
                Err(e) => tracing::warn!(error = %e, "Incident summary failed."),
            }
        }
        Ok((rows, page.next))
    })
    .await?;
    let body = html! {
        @if rows.is_empty() {
            p.card { (l.t("incidents-empty")) }
        } @else {
            table {
                thead { tr {
                    th scope="col" { (l.t("col-name")) }
                    th scope="col" { (l.t("incident-status")) }
                    th scope="col" { (l.t("incident-determination")) }
                    th scope="col" { (l.t("incident-severity")) }
                    th scope="col" { (l.t("col-tlp")) }
                    th scope="col" { (l.t("incident-origin")) }
                    th scope="col" { (l.t("col-modified")) }
                } }
                tbody {
                    @for s in &rows {
                        @let id = s.get("id").and_then(Value::as_str).unwrap_or("");
                        tr {
                            td {
                                a href={ "/incidents/" (id) } { bdi { (text(s, "name")) } }
                                @if s.get("alert").is_some_and(|a| !a.is_null()) {
                                    " " span.tlp.tlp-amber { (l.t("incident-alert")) }
                                }
                            }
                            td { (text(s, "investigation_status")) }
                            td { (text(s, "determination")) }
                            td { (text(s, "severity")) }
                            td { (tlp_badge(object_tlp(&s["object"]))) }
                            td {
                                @if s.get("local").and_then(Value::as_bool) == Some(true) {
                                    (l.t("incident-local"))
                                } @else {
                                    span.id { (text(s, "origin")) }
                                }
                            }
                            td { (l.datetime(&text(s, "version"))) }
                        }
                    }
                }
            }
        }
        nav.pager aria-label=(l.t("pager-label")) {
            @if let Some(n) = next {
                a href={ "/incidents?after=" (n) } rel="next" { (l.t("pager-next")) }
            }
        }
    };
    Ok(layout::page(&ctx, &l.t("incidents-title"), None, body))
}

/// `GET /incidents/{id}`.
pub async fn show(
    ctx: Ctx,
    State(web): State<Web>,
    Path(id): Path<String>,
) -> Result<Response, Response> {
    let user = ctx.require()?.clone();
    let l = ctx.lang;
    let not_found = || layout::error_page(&ctx, StatusCode::NOT_FOUND, &l.t("error-no-object"));
    if !view::is_stix_id(&id) || !id.starts_with("incident--") {
        return Err(not_found());
    }
    let store = web.app.store.clone();
    let me = me(&web);
    let key = id.clone();
    type Loaded = Option<(
        Value,
        Option<alert::AlertStatus>,
        Vec<(timeline::Entry, String)>,
    )>;
    let loaded: Result<Loaded, String> = blocking(&ctx, move || {
        let Some(current) = store.get(&key)? else {
            return Ok(Ok(None));
        };
        if !visible(&current.value(), user.clearance) {
            return Ok(Ok(None));
        }
        let summary = match incident::summary(&*store, &me, &current.value()) {
            Ok(s) => s,
            Err(e) => return Ok(Err(e.to_string())),
        };
        let acks = alert::status(&*store, &me, &key, OVERDUE_SECS).ok();
        let entries = match timeline::timeline(&*store, &me, &key) {
            Ok(e) => e,
            Err(concord_response::ResponseError::Store(e)) => return Err::<_, StoreError>(e),
            Err(e) => return Ok(Err(e.to_string())),
        };
        let mut shown = Vec::new();
        for e in entries {
            if let Some(o) = store.get(&e.id)? {
                let v = o.value();
                if visible(&v, user.clearance) {
                    let name = display_name(&v);
                    shown.push((e, name));
                }
            }
        }
        Ok(Ok(Some((summary, acks, shown))))
    })
    .await?;
    let (summary, acks, entries) = match loaded {
        Ok(Some(x)) => x,
        Ok(None) => return Err(not_found()),
        Err(e) => return Err(internal(&ctx, &e)),
    };
    let name = text(&summary, "name");
    let body = html! {
        p {
            (tlp_badge(object_tlp(&summary["object"]))) " "
            a href={ "/objects/" (id) } { (l.t("incident-object")) } " · "
            a href={ "/objects/" (id) "/graph" } { (l.t("object-open-graph")) }
        }
        section.card aria-labelledby="state-h" {
            h2 #state-h { (l.t("incident-state")) }
            dl.fields {
                dt { (l.t("incident-status")) } dd { (text(&summary, "investigation_status")) }
                dt { (l.t("incident-determination")) } dd { (text(&summary, "determination")) }
                dt { (l.t("incident-severity")) } dd { (text(&summary, "severity")) }
                dt { (l.t("incident-origin")) } dd {
                    @if summary.get("local").and_then(Value::as_bool) == Some(true) { (l.t("incident-local")) }
                    @else { span.id { (text(&summary, "origin")) } }
                }
                dt { (l.t("versions-heading-plain")) } dd { (l.number(summary.get("versions").and_then(Value::as_i64).unwrap_or(0))) }
            }
        }
        @if let Some(st) = &acks {
            section aria-labelledby="acks-h" {
                h2 #acks-h { (l.t_n("incident-acks", "round", i64::try_from(st.round).unwrap_or(0))) }
                table {
                    thead { tr {
                        th scope="col" { (l.t("col-peer")) }
                        th scope="col" { (l.t("col-status")) }
                        th scope="col" { (l.t("col-at")) }
                    } }
                    tbody {
                        @for p in &st.peers {
                            tr {
                                td { bdi { (p.name.as_deref().unwrap_or(&p.peer)) } }
                                td {
                                    (p.state)
                                    @if p.overdue { " " strong.error { (l.t("incident-overdue")) } }
                                }
                                td { (p.at.as_deref().map(|t| l.datetime(t)).unwrap_or_default()) }
                            }
                        }
                    }
                }
            }
        }
        section aria-labelledby="timeline-h" {
            h2 #timeline-h { (l.t("incident-timeline")) }
            @if entries.is_empty() {
                p.muted { (l.t("incident-timeline-empty")) }
            } @else {
                table {
                    thead { tr {
                        th scope="col" { (l.t("col-at")) }
                        th scope="col" { (l.t("col-kind")) }
                        th scope="col" { (l.t("col-object")) }
                        th scope="col" { (l.t("incident-said-by")) }
                    } }
                    tbody {
                        @for (e, name) in &entries {
                            tr {
                                td { (l.datetime(&e.at)) }
                                td { (kind_name(l, e.kind.as_deref(), &e.object_type)) }
                                td { (object_link(&e.id, name)) }
                                td {
                                    @if e.local { (l.t("incident-local")) }
                                    @else { bdi { (e.origin_name.as_deref().unwrap_or(&e.origin)) } }
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    Ok(layout::page(&ctx, &name, None, body))
}
