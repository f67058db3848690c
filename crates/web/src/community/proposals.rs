//! `/community/proposals`: the open proposals (what each asks, its votes, the yes votes
//! it needs and the time left), the latest decided ones with their outcome, and for
//! admins the forms that propose and vote, signed with the node key through
//! `concord_federation::governance::publish` (as the API and `concord community propose`
//! and `vote` do; an entry that would not count is not stored, and the page says why).

use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use concord_community::{
    Action, Charter, Choice, Content, Outcome, Proposal, State as Community, Status,
};
use concord_federation::governance::PublishError;
use concord_store::Role;
use maud::{Markup, html};

use super::super::i18n::Lang;
use super::super::layout::{self, Notice, csrf_field};
use super::super::session::Ctx;
use super::super::{Web, blocking};
use super::{Unnamed, Which, duration_text, kind_name, load, member_name, subnav, unnamed_page};

/// Decided proposals shown, newest first.
pub const DECIDED_SHOWN: usize = 50;

/// The kinds of proposal the form offers (an admission takes the candidate's signed
/// application, `concord community apply`, checked as the CLI and the API check it).
const FORM_KINDS: [&str; 7] = [
    "admit",
    "suspend",
    "readmit",
    "expel",
    "revoke-key",
    "define",
    "change-charter",
];

/// Seconds from `now` to `deadline` (0 when past or unreadable).
fn seconds_left(deadline: &str, now: &str) -> i64 {
    let instant = |t: &str| concord_stix::Timestamp::parse_millis(t).map(|t| t.instant());
    match (instant(deadline), instant(now)) {
        (Ok(end), Ok(now)) => (end - now).num_seconds().max(0),
        _ => 0,
    }
}

/// A proposal's state in words, with what it depends on.
fn state_text(l: Lang, p: &Proposal, now: &str) -> Markup {
    match &p.outcome {
        Outcome::Open if p.open_at(now) => html! { strong { (l.t("community-state-open")) } },
        Outcome::Open => html! { strong { (l.t("community-state-expired")) } },
        Outcome::Passed { at } => {
            html! { strong { (l.t("community-state-passed")) } " · " (l.datetime(at)) }
        }
        Outcome::Failed { at, reason } => html! {
            strong { (l.t("community-state-failed")) } " · " (l.datetime(at))
            " · " span lang="en" dir="ltr" { (reason) }
        },
        Outcome::Superseded { by } => html! {
            strong { (l.t("community-state-superseded")) } " " span.id { (by) }
        },
    }
}

fn choice_name(l: Lang, c: Choice) -> String {
    l.t(match c {
        Choice::Yes => "community-yes",
        Choice::No => "community-no",
    })
}

/// "2 of the 3 members entitled to vote".
fn needed_of(l: Lang, p: &Proposal) -> String {
    let mut args = fluent_bundle::FluentArgs::new();
    args.set("needed", l.number(count(p.required)));
    args.set("count", count(p.electorate.len()));
    l.t_args("community-needed-of", Some(&args))
}

fn count(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// One open proposal as a card, with the vote form when this node may still vote.
fn open_card(ctx: &Ctx, c: &Community, p: &Proposal, me: Option<&str>, now: &str) -> Markup {
    let l = ctx.lang;
    let admin = ctx.user().is_some_and(|u| u.role >= Role::Admin);
    let may_vote = me.filter(|m| p.electorate.contains(*m) && !p.votes.contains_key(*m));
    html! {
        section.card id=(p.id) aria-labelledby={ "h-" (p.id) } {
            h3 id={ "h-" (p.id) } { (kind_name(l, p.action.kind())) }
            p { code lang="en" dir="ltr" { (p.action.describe()) } }
            p {
                (l.t_s("community-proposed-by", "member", &member_name(c, &p.author)))
                " · " (l.datetime(&p.at)) " · " span.id.muted { (p.id) }
            }
            @if !p.note.is_empty() { blockquote { bdi { (p.note) } } }
            dl {
                dt { (l.t("col-status")) } dd { (state_text(l, p, now)) }
                dt { (l.t("community-yes-votes")) } dd { (l.number(count(p.yes()))) }
                dt { (l.t("community-no-votes")) } dd { (l.number(count(p.no()))) }
                dt { (l.t("community-needed")) }
                dd { (needed_of(l, p)) }
                dt { (l.t("community-time-left")) }
                dd { (duration_text(l, seconds_left(&p.deadline, now))) " · " (l.datetime(&p.deadline)) }
            }
            @if !p.votes.is_empty() {
                table {
                    caption { (l.t("community-votes-cast")) }
                    thead { tr {
                        th scope="col" { (l.t("community-col-member")) }
                        th scope="col" { (l.t("community-col-vote")) }
                        th scope="col" { (l.t("col-at")) }
                    } }
                    tbody {
                        @for (member, v) in &p.votes {
                            tr {
                                td { bdi { (member_name(c, member)) } }
                                td { (choice_name(l, v.choice)) }
                                td { (l.datetime(&v.at)) }
                            }
                        }
                    }
                }
            }
            @if admin {
                @if let Some(_me) = may_vote {
                    form.inline method="post" action="/community/votes" {
                        (csrf_field(ctx))
                        input type="hidden" name="community" value=(c.community);
                        input type="hidden" name="proposal" value=(p.id);
                        button type="submit" name="choice" value="yes" { (l.t("community-vote-yes")) }
                        " "
                        button.secondary type="submit" name="choice" value="no" { (l.t("community-vote-no")) }
                    }
                } @else if let Some(v) = me.and_then(|m| p.votes.get(m)) {
                    p.muted { (l.t_s("community-voted-already", "choice", &choice_name(l, v.choice))) }
                } @else {
                    p.muted { (l.t("community-cannot-vote")) }
                }
            }
        }
    }
}

/// The form that proposes a decision (admins of a node that is an active member).
fn propose_form(ctx: &Ctx, c: &Community) -> Markup {
    let l = ctx.lang;
    let charter = serde_json::to_string_pretty(&c.charter).unwrap_or_default();
    html! {
        section.card aria-labelledby="propose-h" {
            h2 #propose-h { (l.t("community-propose")) }
            p.muted { (l.t("community-propose-about")) }
            form method="post" action="/community/proposals" {
                (csrf_field(ctx))
                input type="hidden" name="community" value=(c.community);
                p {
                    label for="p-action" { (l.t("community-col-decision")) }
                    select #p-action name="action" {
                        @for k in FORM_KINDS {
                            option value=(k) { (l.t(&format!("community-kind-{k}"))) }
                        }
                    }
                }
                p {
                    label for="p-application" { (l.t("community-field-application")) }
                    textarea #p-application name="application" dir="ltr" rows="6" {}
                }
                p {
                    label for="p-sponsors" { (l.t("community-field-sponsors")) }
                    input #p-sponsors type="text" name="sponsors" dir="ltr" autocomplete="off" maxlength="2000";
                }
                p {
                    label for="p-member" { (l.t("community-field-member")) }
                    select #p-member name="member" {
                        option value="" { "—" }
                        @for m in c.members.values().filter(|m| m.status != Status::Expelled) {
                            option value=(m.info.node_id) { (m.info.organisation) " (" (m.info.node_id) ")" }
                        }
                    }
                }
                p {
                    label for="p-key" { (l.t("community-field-key")) }
                    input #p-key type="text" name="key" dir="ltr" autocomplete="off" maxlength="128";
                }
                p {
                    label for="p-replacement" { (l.t("community-field-replacement")) }
                    input #p-replacement type="text" name="replacement" dir="ltr" autocomplete="off" maxlength="128";
                }
                p {
                    label for="p-name" { (l.t("community-field-name")) }
                    input #p-name type="text" name="name" dir="ltr" autocomplete="off" maxlength="200";
                }
                p {
                    label for="p-value" { (l.t("community-field-value")) }
                    textarea #p-value name="value" dir="ltr" rows="4" {}
                }
                p {
                    label for="p-charter" { (l.t("community-field-charter")) }
                    textarea #p-charter name="charter" dir="ltr" rows="8" { (charter) }
                }
                p {
                    label for="p-note" { (l.t("community-field-note")) }
                    input #p-note type="text" name="note" maxlength="1000";
                }
                p { button type="submit" { (l.t("community-propose-submit")) } }
            }
        }
    }
}

/// The proposals page of `c`, with `notice` (the outcome of a form).
fn render(ctx: &Ctx, web: &Web, c: &Community, notice: Option<Notice>) -> Response {
    let l = ctx.lang;
    let now = concord_stix::Timestamp::now_millis();
    let me = web.app.federation.as_ref().map(|f| f.key().node_id());
    let admin = ctx.user().is_some_and(|u| u.role >= Role::Admin);
    let mut open: Vec<&Proposal> = c.proposals.values().filter(|p| p.open_at(&now)).collect();
    open.sort_by(|a, b| (&a.at, &a.id).cmp(&(&b.at, &b.id)));
    let mut decided: Vec<&Proposal> = c.proposals.values().filter(|p| !p.open_at(&now)).collect();
    decided.sort_by(|a, b| (&b.at, &b.id).cmp(&(&a.at, &a.id)));
    decided.truncate(DECIDED_SHOWN);
    let member = me.as_deref().is_some_and(|m| c.is_active(m));
    let body = html! {
        (subnav(l, c, "/community/proposals"))
        section aria-labelledby="open-h" {
            h2 #open-h { (l.t_n("community-open", "count", count(open.len()))) }
            @if open.is_empty() { p.muted { (l.t("community-open-none")) } }
            @for p in &open { (open_card(ctx, c, p, me.as_deref(), &now)) }
        }
        @if admin {
            @if member {
                (propose_form(ctx, c))
            } @else {
                p.card { (l.t("community-not-member")) }
            }
        }
        section.card aria-labelledby="decided-h" {
            h2 #decided-h { (l.t("community-decided")) }
            @if decided.is_empty() {
                p.muted { (l.t("community-decided-none")) }
            } @else {
                table {
                    thead { tr {
                        th scope="col" { (l.t("col-at")) }
                        th scope="col" { (l.t("community-col-decision")) }
                        th scope="col" { (l.t("col-details")) }
                        th scope="col" { (l.t("col-status")) }
                        th scope="col" { (l.t("community-col-tally")) }
                    } }
                    tbody {
                        @for p in &decided {
                            tr id=(p.id) {
                                td { (l.datetime(&p.at)) }
                                td { (kind_name(l, p.action.kind())) }
                                td { code lang="en" dir="ltr" { (p.action.describe()) } }
                                td { (state_text(l, p, &now)) }
                                td.num { (l.number(count(p.yes()))) " / " (l.number(count(p.required))) }
                            }
                        }
                    }
                }
            }
        }
    };
    layout::page(
        ctx,
        &l.t_s("community-proposals-title", "name", &c.name),
        notice,
        body,
    )
}

/// `GET /community/proposals`.
pub async fn page(
    ctx: Ctx,
    State(web): State<Web>,
    Query(q): Query<Which>,
) -> Result<Response, Response> {
    ctx.require()?;
    match load(&ctx, &web, q.community.as_deref()).await? {
        Ok(c) => Ok(render(&ctx, &web, &c, None)),
        Err(u) => Ok(unnamed_page(&ctx, &u, "/community/proposals")),
    }
}

/// The held community a form names, or an error page.
async fn named(ctx: &Ctx, web: &Web, which: Option<&str>) -> Result<Arc<Community>, Response> {
    match load(ctx, web, which).await? {
        Ok(c) => Ok(c),
        Err(Unnamed::None | Unnamed::Choose(_)) => Err(layout::error_page(
            ctx,
            StatusCode::NOT_FOUND,
            &ctx.lang.t("community-not-found"),
        )),
    }
}

/// Signs and stores `content` for `c`, then shows the proposals page with the outcome:
/// the state with the entry and `done` on success, the reason and `c` unchanged when
/// nothing was stored.
async fn publish(
    ctx: &Ctx,
    web: &Web,
    c: Arc<Community>,
    content: Content,
    done: &str,
) -> Result<Response, Response> {
    let l = ctx.lang;
    let user = ctx.require_role(Role::Admin)?.clone();
    let Some(federation) = web.app.federation.clone() else {
        return Ok(failed(
            ctx,
            web,
            &c,
            StatusCode::CONFLICT,
            l.t("community-no-key"),
        ));
    };
    let (store, communities) = (web.app.store.clone(), web.app.communities.clone());
    let which = c.community.clone();
    let published = blocking(ctx, move || {
        Ok(concord_federation::governance::publish(
            store.as_ref(),
            &communities,
            federation.key(),
            Some(which.as_str()),
            content,
        ))
    })
    .await?;
    match published {
        Ok(p) => {
            tracing::info!(entry = %p.entry.id(), community = %p.state.community, by = %user.name, "Governance entry published on the web.");
            Ok(render(ctx, web, &p.state, Some(Notice::ok(l.t(done)))))
        }
        Err(PublishError::NotMember(_)) => Ok(failed(
            ctx,
            web,
            &c,
            StatusCode::CONFLICT,
            l.t("community-not-member"),
        )),
        Err(PublishError::NotCounted(reason)) => Ok(failed(
            ctx,
            web,
            &c,
            StatusCode::UNPROCESSABLE_ENTITY,
            l.t_s("community-not-counted", "reason", &reason),
        )),
        Err(e) => Err(super::super::internal(ctx, &e)),
    }
}

fn failed(ctx: &Ctx, web: &Web, c: &Community, status: StatusCode, text: String) -> Response {
    let mut res = render(ctx, web, c, Some(Notice::error(text)));
    *res.status_mut() = status;
    res
}

/// Body of `POST /community/votes`.
#[derive(Debug, serde::Deserialize)]
pub struct VoteForm {
    csrf: String,
    #[serde(default)]
    community: Option<String>,
    proposal: String,
    choice: String,
}

/// `POST /community/votes` (admins): this node's vote on an open proposal.
pub async fn vote(
    ctx: Ctx,
    State(web): State<Web>,
    axum::Form(form): axum::Form<VoteForm>,
) -> Result<Response, Response> {
    ctx.require_role(Role::Admin)?;
    ctx.check_csrf(&form.csrf)?;
    let l = ctx.lang;
    let c = named(&ctx, &web, form.community.as_deref()).await?;
    let Ok(choice) = form.choice.parse::<Choice>() else {
        return Ok(failed(
            &ctx,
            &web,
            &c,
            StatusCode::BAD_REQUEST,
            l.t("community-bad-choice"),
        ));
    };
    let proposal = match c.proposal_by_prefix(form.proposal.trim()) {
        Ok(p) => p.id.clone(),
        Err(_) => {
            return Ok(failed(
                &ctx,
                &web,
                &c,
                StatusCode::NOT_FOUND,
                l.t("community-no-proposal"),
            ));
        }
    };
    let content = Content::Vote { proposal, choice };
    publish(&ctx, &web, c, content, "community-voted").await
}

/// Body of `POST /community/proposals`: the kind and the fields it uses.
#[derive(Debug, serde::Deserialize)]
pub struct ProposeForm {
    csrf: String,
    #[serde(default)]
    community: Option<String>,
    action: String,
    #[serde(default)]
    member: String,
    #[serde(default)]
    key: String,
    #[serde(default)]
    replacement: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    value: String,
    #[serde(default)]
    charter: String,
    #[serde(default)]
    note: String,
    #[serde(default)]
    application: String,
    #[serde(default)]
    sponsors: String,
}

/// The action a proposal form asks for (`me`: this node's id, a sponsor of an admission
/// it proposes), or the message id (and detail) of what is wrong.
fn action_of(form: &ProposeForm, me: &str) -> Result<Action, (&'static str, String)> {
    let member = form.member.trim().to_owned();
    let need_member = || {
        if member.is_empty() {
            Err(("community-need-member", String::new()))
        } else {
            Ok(member.clone())
        }
    };
    Ok(match form.action.as_str() {
        "admit" => {
            if form.application.trim().is_empty() {
                return Err(("community-need-application", String::new()));
            }
            let application: concord_community::Application =
                serde_json::from_str(form.application.trim())
                    .map_err(|e| ("community-bad-application", e.to_string()))?;
            let member = application
                .verify()
                .map_err(|e| ("community-bad-application", e))?;
            let mut sponsors = vec![me.to_owned()];
            for s in form.sponsors.split(|c: char| c == ',' || c.is_whitespace()) {
                if !s.is_empty() && !sponsors.iter().any(|k| k == s) {
                    sponsors.push(s.to_owned());
                }
            }
            Action::Admit { member, sponsors }
        }
        "suspend" => Action::Suspend {
            member: need_member()?,
        },
        "readmit" => Action::Readmit {
            member: need_member()?,
        },
        "expel" => Action::Expel {
            member: need_member()?,
        },
        "revoke-key" => {
            let key = form.key.trim().to_owned();
            if key.is_empty() {
                return Err(("community-need-key", String::new()));
            }
            let replacement = Some(form.replacement.trim().to_owned()).filter(|r| !r.is_empty());
            Action::RevokeKey {
                member: need_member()?,
                key,
                since: concord_stix::Timestamp::now_millis(),
                replacement,
            }
        }
        "define" => {
            let name = form.name.trim().to_owned();
            if name.is_empty() {
                return Err(("community-need-name", String::new()));
            }
            let value = serde_json::from_str(form.value.trim())
                .map_err(|e| ("community-bad-json", e.to_string()))?;
            Action::Define { name, value }
        }
        "change-charter" => {
            let charter: Charter = serde_json::from_str(form.charter.trim())
                .map_err(|e| ("community-bad-json", e.to_string()))?;
            charter.check().map_err(|e| ("community-bad-charter", e))?;
            Action::ChangeCharter { charter }
        }
        _ => return Err(("community-bad-action", String::new())),
    })
}

/// `POST /community/proposals` (admins): proposes a decision; it counts as this node's
/// yes.
pub async fn propose(
    ctx: Ctx,
    State(web): State<Web>,
    axum::Form(form): axum::Form<ProposeForm>,
) -> Result<Response, Response> {
    ctx.require_role(Role::Admin)?;
    ctx.check_csrf(&form.csrf)?;
    let l = ctx.lang;
    let c = named(&ctx, &web, form.community.as_deref()).await?;
    let me = web
        .app
        .federation
        .as_ref()
        .map(|f| f.key().node_id())
        .unwrap_or_default();
    let action = match action_of(&form, &me) {
        Ok(a) => a,
        Err((id, detail)) => {
            return Ok(failed(
                &ctx,
                &web,
                &c,
                StatusCode::BAD_REQUEST,
                l.t_s(id, "detail", &detail),
            ));
        }
    };
    let content = Content::Proposal {
        action,
        note: form.note.trim().to_owned(),
    };
    publish(&ctx, &web, c, content, "community-proposed").await
}
