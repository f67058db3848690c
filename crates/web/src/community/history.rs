//! `/community/log`: the governance log in its order (signed time, then entry id, as
//! `GET /api/v1/community/log` gives it), page by page, each entry with its author,
//! what it says and whether it counted (and if not, why).

use std::collections::HashMap;

use axum::extract::{Query, State};
use axum::response::Response;
use concord_community::{Choice, Content, Entry, State as Community};
use maud::{Markup, html};

use super::super::i18n::Lang;
use super::super::layout;
use super::super::session::{Ctx, percent_encode};
use super::super::{Web, blocking};
use super::{Which, kind_name, load, member_name, subnav, unnamed_page};

/// Entries per page.
pub const LOG_PAGE: usize = 50;

/// What an entry says, in words.
fn what(l: Lang, c: &Community, content: &Content) -> Markup {
    match content {
        Content::Proposal { action, .. } => html! {
            (l.t_s("community-entry-proposal", "kind", &kind_name(l, action.kind())))
            br; code lang="en" dir="ltr" { (action.describe()) }
        },
        Content::Vote { proposal, choice } => {
            let id = match choice {
                Choice::Yes => "community-entry-vote-yes",
                Choice::No => "community-entry-vote-no",
            };
            html! {
                (l.t(id)) br;
                @match c.proposals.get(proposal) {
                    Some(p) => { code lang="en" dir="ltr" { (p.action.describe()) } }
                    None => { span.id { (proposal) } }
                }
            }
        }
        Content::RotateKey { effective, .. } => {
            html! { (l.t_s("community-entry-rotate", "date", &l.datetime(effective))) }
        }
    }
}

/// `GET /community/log[?after=ENTRY]`.
pub async fn page(
    ctx: Ctx,
    State(web): State<Web>,
    Query(q): Query<Which>,
) -> Result<Response, Response> {
    ctx.require()?;
    let c = match load(&ctx, &web, q.community.as_deref()).await? {
        Ok(c) => c,
        Err(u) => return Ok(unnamed_page(&ctx, &u, "/community/log")),
    };
    let l = ctx.lang;
    let store = web.app.store.clone();
    let id = c.community.clone();
    let records = blocking(&ctx, move || store.governance(Some(&id))).await?;
    let entries = concord_federation::governance::log_order(records);
    // An `after` that is not an entry of this log starts from the beginning.
    let start = q
        .after
        .as_deref()
        .and_then(|after| entries.iter().position(|(_, id, _)| id == after))
        .map_or(0, |i| i + 1);
    let reasons: HashMap<&str, &str> = c
        .rejected
        .iter()
        .map(|r| (r.entry.as_str(), r.reason.as_str()))
        .collect();
    let page: Vec<(usize, &(String, String, Entry))> = entries
        .iter()
        .enumerate()
        .skip(start)
        .take(LOG_PAGE)
        .collect();
    let total = i64::try_from(entries.len()).unwrap_or(i64::MAX);
    let base = format!("/community/log?community={}", percent_encode(&c.community));
    let body = html! {
        (subnav(l, &c, "/community/log"))
        p { (l.t_n("community-log-total", "count", total)) }
        @if page.is_empty() {
            p.muted { (l.t("community-log-empty")) }
        } @else {
            table {
                thead { tr {
                    th scope="col" { "#" }
                    th scope="col" { (l.t("col-at")) }
                    th scope="col" { (l.t("community-col-author")) }
                    th scope="col" { (l.t("col-details")) }
                    th scope="col" { (l.t("community-col-counted")) }
                } }
                tbody {
                    @for (i, (at, id, e)) in &page {
                        tr id=(id) {
                            td.num { (l.number(i64::try_from(*i + 1).unwrap_or(0))) }
                            td { (l.datetime(at)) }
                            td { bdi { (member_name(&c, &e.body.author)) } }
                            td { (what(l, &c, &e.body.content)) br; span.id.muted { (id) } }
                            td {
                                @match reasons.get(id.as_str()) {
                                    None => { (l.t("community-counted")) }
                                    Some(r) => {
                                        strong.error { (l.t("community-not-counted-short")) }
                                        br; span lang="en" dir="ltr" { (r) }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        nav.pager aria-label=(l.t("pager-label")) {
            @if start > 0 {
                a href=(base) { (l.t("pager-first")) }
            }
            @if start + page.len() < entries.len() {
                @if let Some((_, (_, last, _))) = page.last() {
                    a href={ (base) "&after=" (percent_encode(last)) } rel="next" { (l.t("pager-next")) }
                }
            }
        }
    };
    Ok(layout::page(
        &ctx,
        &l.t_s("community-log-title", "name", &c.name),
        None,
        body,
    ))
}
