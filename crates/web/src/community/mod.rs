//! The community this node belongs to (issue 24): `/community` (name, charter, members
//! with their keys, definitions, equivocations, and, for admins, the members this node
//! refuses locally), `/community/proposals` (open proposals with their votes, the votes
//! needed and the time left; decided ones; admins propose and vote there) and
//! `/community/log` (the governance log, paged).
//!
//! The state is the one every member computes from the log
//! (`concord_federation::governance::Communities`), as `GET /api/v1/community` shows it,
//! and what a role sees is what the API gives the same role: any signed-in user reads
//! the community (membership is not TLP-marked data, and every `GET` of the API is a
//! reader's), local refusals are an admin's business, and only admins write, through
//! `concord_federation::governance::publish` as `POST /api/v1/community/proposals` and
//! `/votes` do. `?community=` names one (id, id prefix or name) when the node holds
//! several.

pub mod history;
pub mod proposals;

use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use concord_community::{DecisionKind, Member, State as Community, Status, Threshold};
use concord_federation::governance::{Communities, Unpicked};
use concord_store::Role;
use concord_store::governance::LocalRefusal;
use maud::{Markup, html};

use super::i18n::Lang;
use super::layout;
use super::session::{Ctx, percent_encode};
use super::{Web, blocking};

/// Query of the community pages.
#[derive(Debug, Default, serde::Deserialize)]
pub struct Which {
    /// The community: id, id prefix or name (optional when the node holds one).
    #[serde(default)]
    pub community: Option<String>,
    /// The log page after this entry (`/community/log`).
    #[serde(default)]
    pub after: Option<String>,
}

/// What the pages show when no one community is named: nothing held, or a choice.
enum Unnamed {
    /// The node holds no community.
    None,
    /// Several are held: the user picks one.
    Choose(Vec<Arc<Community>>),
}

/// The held community `which` names, or what to show instead (a 404 page for a name
/// the node does not hold).
async fn load(
    ctx: &Ctx,
    web: &Web,
    which: Option<&str>,
) -> Result<Result<Arc<Community>, Unnamed>, Response> {
    let (store, communities) = (web.app.store.clone(), web.app.communities.clone());
    let states = blocking(ctx, move || communities.states(store.as_ref())).await?;
    let which = which.map(str::trim).filter(|w| !w.is_empty());
    if states.is_empty() {
        return Ok(Err(Unnamed::None));
    }
    match Communities::pick(&states, which) {
        Ok(c) => Ok(Ok(c)),
        Err(Unpicked::NoneHeld) => Ok(Err(Unnamed::None)),
        Err(Unpicked::Ambiguous(_)) if which.is_none() => Ok(Err(Unnamed::Choose(states))),
        Err(_) => Err(layout::error_page(
            ctx,
            StatusCode::NOT_FOUND,
            &ctx.lang.t("community-not-found"),
        )),
    }
}

/// The page for "no community" or "pick one".
fn unnamed_page(ctx: &Ctx, unnamed: &Unnamed, path: &str) -> Response {
    let l = ctx.lang;
    let body = match unnamed {
        Unnamed::None => html! { p.card { (l.t("community-none")) } },
        Unnamed::Choose(states) => html! {
            p { (l.t("community-choose")) }
            ul {
                @for s in states {
                    li {
                        a href={ (path) "?community=" (percent_encode(&s.community)) } { bdi { (s.name) } }
                        " " span.id.muted { (s.community) }
                    }
                }
            }
        },
    };
    layout::page(ctx, &l.t("community-title-plain"), None, body)
}

/// `?community=ID` for links between the community pages.
fn query(c: &Community) -> String {
    format!("?community={}", percent_encode(&c.community))
}

/// The links between the three community pages, the current one marked.
fn subnav(l: Lang, c: &Community, current: &str) -> Markup {
    let q = query(c);
    let pages = [
        ("/community", "community-overview"),
        ("/community/proposals", "community-proposals"),
        ("/community/log", "community-history"),
    ];
    html! {
        nav.pager aria-label=(l.t("community-pages")) {
            @for (path, id) in pages {
                @if path == current {
                    a href={ (path) (q) } aria-current="page" { (l.t(id)) }
                } @else {
                    a href={ (path) (q) } { (l.t(id)) }
                }
            }
        }
    }
}

/// The translated name of a kind of decision.
pub(crate) fn kind_name(l: Lang, kind: DecisionKind) -> String {
    l.t(&format!("community-kind-{}", kind.name()))
}

/// The translated name of a member's status.
fn status_name(l: Lang, status: Status) -> String {
    l.t(&format!("community-status-{status}"))
}

/// A threshold in words: "2/3 of the members" or "3 members".
fn threshold_text(l: Lang, t: Threshold) -> String {
    match t {
        Threshold::Count(n) => l.t_n("community-threshold-count", "count", i64::from(n)),
        Threshold::Fraction(num, den) => l.t_s(
            "community-threshold-fraction",
            "fraction",
            &format!("{num}/{den}"),
        ),
    }
}

/// A duration in seconds as days, hours or minutes (the largest whole unit, rounded
/// down; at least one minute when not zero).
pub(crate) fn duration_text(l: Lang, secs: i64) -> String {
    let secs = secs.max(0);
    if secs >= 2 * 86_400 {
        l.t_n("community-days", "count", secs / 86_400)
    } else if secs >= 3600 {
        l.t_n("community-hours", "count", secs / 3600)
    } else {
        l.t_n(
            "community-minutes",
            "count",
            (secs / 60).max(i64::from(secs > 0)),
        )
    }
}

/// The organisation of a member (its node id when unknown), for naming authors.
pub(crate) fn member_name(c: &Community, node_id: &str) -> String {
    c.members
        .get(node_id)
        .map_or_else(|| node_id.to_owned(), |m| m.info.organisation.clone())
}

/// A member's key now (or its newest), as a fingerprint.
fn fingerprint(m: &Member, now: &str) -> String {
    m.key_at(now)
        .or_else(|| m.latest_key())
        .and_then(|k| concord_keys::fingerprint(k).ok())
        .unwrap_or_else(|| "—".to_owned())
}

/// `GET /community`.
pub async fn page(
    ctx: Ctx,
    State(web): State<Web>,
    Query(q): Query<Which>,
) -> Result<Response, Response> {
    let user = ctx.require()?.clone();
    let c = match load(&ctx, &web, q.community.as_deref()).await? {
        Ok(c) => c,
        Err(u) => return Ok(unnamed_page(&ctx, &u, "/community")),
    };
    let refusals: Vec<LocalRefusal> = if user.role >= Role::Admin {
        let store = web.app.store.clone();
        blocking(&ctx, move || store.local_refusals())
            .await?
            .into_iter()
            .filter(|r| c.members.contains_key(&r.node_id))
            .collect()
    } else {
        Vec::new()
    };
    let admin = user.role >= Role::Admin;
    let l = ctx.lang;
    let now = concord_stix::Timestamp::now_millis();
    let active = c.active().count();
    let count = |n: usize| i64::try_from(n).unwrap_or(i64::MAX);
    let body = html! {
        (subnav(l, &c, "/community"))
        p {
            (l.t_s("community-founded", "date", &l.date(&c.created)))
            " · " span.id.muted { (c.community) }
        }
        p {
            (l.t_n("community-entries-counted", "count", count(c.accepted.len())))
            " · " (l.t_n("community-entries-refused", "count", count(c.rejected.len())))
        }
        section.card aria-labelledby="charter-h" {
            h2 #charter-h { (l.t("community-charter")) }
            table {
                thead { tr {
                    th scope="col" { (l.t("community-col-decision")) }
                    th scope="col" { (l.t("community-col-threshold")) }
                    th scope="col" { (l.t_n("community-col-needed-now", "count", count(active))) }
                    th scope="col" { (l.t("community-col-period")) }
                    th scope="col" { (l.t("community-col-sponsors")) }
                } }
                tbody {
                    @for (kind, rule) in &c.charter.rules {
                        tr {
                            th scope="row" { (kind_name(l, *kind)) }
                            td { (threshold_text(l, rule.threshold)) }
                            td.num { (l.number(count(rule.threshold.required(active)))) }
                            td { (duration_text(l, i64::try_from(rule.period_secs).unwrap_or(i64::MAX))) }
                            td.num {
                                @if *kind == DecisionKind::Admit { (l.number(i64::from(rule.sponsors))) } @else { "—" }
                            }
                        }
                    }
                }
            }
        }
        section.card aria-labelledby="members-h" {
            h2 #members-h { (l.t_n("community-members", "count", count(c.members.len()))) }
            table {
                thead { tr {
                    th scope="col" { (l.t("community-col-organisation")) }
                    th scope="col" { (l.t("community-col-country")) }
                    th scope="col" { (l.t("community-col-sectors")) }
                    th scope="col" { (l.t("col-status")) }
                    th scope="col" { (l.t("community-col-since")) }
                    th scope="col" { (l.t("community-col-fingerprint")) }
                    @if admin { th scope="col" { (l.t("community-col-refused-here")) } }
                } }
                tbody {
                    @for m in c.members.values() {
                        tr {
                            td { bdi { (m.info.organisation) } br; span.id.muted { (m.info.node_id) } }
                            td { (m.info.country.as_deref().unwrap_or("—")) }
                            td { bdi { (if m.info.sectors.is_empty() { "—".to_owned() } else { m.info.sectors.join(", ") }) } }
                            td { (status_name(l, m.status)) }
                            td { (l.date(&m.since)) }
                            td.id { code dir="ltr" { (fingerprint(m, &now)) } }
                            @if admin {
                                td {
                                    @match refusals.iter().find(|r| r.node_id == m.info.node_id) {
                                        Some(r) => { strong.error { (l.t("community-refused")) } " " bdi { (r.reason) } }
                                        None => { "—" }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        @if admin {
            section.card aria-labelledby="refusals-h" {
                h2 #refusals-h { (l.t("community-refusals")) }
                @if refusals.is_empty() {
                    p.muted { (l.t("community-refusals-none")) }
                } @else {
                    p { (l.t("community-refusals-about")) }
                    ul {
                        @for r in &refusals {
                            li {
                                bdi { (member_name(&c, &r.node_id)) } " "
                                span.id.muted { (r.node_id) } " · " (l.datetime(&r.since))
                                @if !r.reason.is_empty() { " · " bdi { (r.reason) } }
                            }
                        }
                    }
                }
            }
        }
        @if !c.equivocations.is_empty() {
            section.card aria-labelledby="equivocations-h" {
                h2 #equivocations-h { (l.t("community-equivocations")) }
                p { (l.t("community-equivocations-about")) }
                ul {
                    @for e in &c.equivocations {
                        li {
                            bdi { (member_name(&c, &e.member)) } ": "
                            span.id { (e.first) } " / " span.id { (e.second) }
                        }
                    }
                }
            }
        }
        section.card aria-labelledby="definitions-h" {
            h2 #definitions-h { (l.t("community-definitions")) }
            @if c.definitions.is_empty() {
                p.muted { (l.t("community-definitions-none")) }
            } @else {
                dl {
                    @for (name, value) in &c.definitions {
                        dt { code dir="ltr" { (name) } }
                        dd { code dir="ltr" { (value.to_string()) } }
                    }
                }
            }
        }
    };
    Ok(layout::page(
        &ctx,
        &l.t_s("community-title", "name", &c.name),
        None,
        body,
    ))
}
