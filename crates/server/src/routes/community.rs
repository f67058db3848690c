//! The community this node belongs to: `GET /api/v1/community` (name, charter, members
//! and their state), `/community/log` (the governance log in its order, paged) and
//! `/community/proposals` (open proposals, their votes and time left); and, for admins,
//! `POST /community/proposals` and `/community/votes`, signed with the node key.
//!
//! The state is the one every member computes from the log
//! (`concord_federation::governance::Communities`); these routes only show it, and write
//! through `concord_federation::governance::publish`, as `concord community propose` and
//! `vote` do (an entry that would not count is not stored). Any token reads, as every
//! `GET` of the API; the members this node refuses locally, and the operator's reasons,
//! are shown to admins only (peers are an admin's business). `community` names one (id,
//! id prefix or name) when the node holds several.

use std::sync::Arc;

use axum::Json;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use concord_community::State as Community;
use concord_federation::governance::{Communities, Unpicked};
use concord_store::Role;
use serde_json::{Value, json};

use crate::AppState;
use crate::auth::ReaderAccess;
use crate::error::ApiError;
use crate::routes::blocking;

/// Default log page size.
const DEFAULT_LIMIT: usize = 100;
/// Largest log page.
const MAX_LIMIT: usize = 1_000;

/// Query parameters of the community routes.
#[derive(Debug, Default)]
struct Params {
    community: Option<String>,
    limit: Option<usize>,
    next: Option<String>,
}

fn params(raw: Option<&str>, allowed: &[&str]) -> Result<Params, ApiError> {
    let pairs: Vec<(String, String)> =
        serde_urlencoded::from_str(raw.unwrap_or("")).map_err(|e| {
            ApiError::bad_parameter("query", format!("the query string cannot be read: {e}"))
        })?;
    let mut p = Params::default();
    for (key, value) in pairs {
        match key.as_str() {
            k if !allowed.contains(&k) => {
                return Err(ApiError::bad_parameter(
                    &key,
                    format!(
                        "unknown parameter `{key}`; this route takes {}",
                        allowed.join(", ")
                    ),
                ));
            }
            "community" => p.community = Some(value).filter(|v| !v.trim().is_empty()),
            "limit" => {
                let n = value
                    .parse::<usize>()
                    .ok()
                    .filter(|n| (1..=MAX_LIMIT).contains(n))
                    .ok_or_else(|| {
                        ApiError::bad_parameter(
                            "limit",
                            format!("`limit` must be a number from 1 to {MAX_LIMIT}"),
                        )
                    })?;
                p.limit = Some(n);
            }
            _ => p.next = Some(value),
        }
    }
    Ok(p)
}

/// The held community `which` names (or the only one).
async fn community(state: &AppState, which: Option<&str>) -> Result<Arc<Community>, ApiError> {
    let (store, communities) = (state.store.clone(), state.communities.clone());
    let states = blocking(move || Ok(communities.states(store.as_ref())?)).await?;
    Communities::pick(&states, which).map_err(|e| match e {
        Unpicked::Ambiguous(_) => ApiError::bad_parameter(
            "community",
            format!("{e}; name one with `?community=` (its id or name)"),
        ),
        e => ApiError::new(StatusCode::NOT_FOUND, "community_not_found", e.to_string()),
    })
}

/// `GET /api/v1/community`: the community's name, charter, definitions, members with
/// their status and keys, equivocations, and counts of the log's entries.
pub async fn show(
    caller: ReaderAccess,
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>, ApiError> {
    let p = params(raw.as_deref(), &["community"])?;
    let c = community(&state, p.community.as_deref()).await?;
    let now = concord_stix::Timestamp::now_millis();
    let members: Vec<Value> = c
        .members
        .values()
        .map(|m| {
            json!({
                "node_id": m.info.node_id,
                "organisation": m.info.organisation,
                "country": m.info.country,
                "sectors": m.info.sectors,
                "url": m.info.url,
                "status": m.status,
                "since": m.since,
                "key": m.key_at(&now),
                "keys": m.keys,
            })
        })
        .collect();
    let mut body = json!({
        "community": c.community,
        "name": c.name,
        "created": c.created,
        "charter": c.charter,
        "definitions": c.definitions,
        "members": members,
        "equivocations": c.equivocations,
        "entries": { "counted": c.accepted.len(), "refused": c.rejected.len() },
    });
    if caller.0.role >= Role::Admin {
        let store = state.store.clone();
        let refusals = blocking(move || Ok(store.local_refusals()?)).await?;
        let here: Vec<_> = refusals
            .into_iter()
            .filter(|r| c.members.contains_key(&r.node_id))
            .collect();
        body["refused_here"] = json!(here);
    }
    Ok(Json(body))
}

/// `GET /api/v1/community/log`: the log's entries in its order (signed time, then id),
/// each signed entry with whether it counted and, if not, why; `limit` per page (default
/// 100, at most 1,000), `next` from the previous page.
pub async fn log(
    _caller: ReaderAccess,
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>, ApiError> {
    let p = params(raw.as_deref(), &["community", "limit", "next"])?;
    let c = community(&state, p.community.as_deref()).await?;
    let store = state.store.clone();
    let id = c.community.clone();
    let records = blocking(move || Ok(store.governance(Some(&id))?)).await?;
    let entries = concord_federation::governance::log_order(records);
    let start =
        match &p.next {
            None => 0,
            Some(after) => entries
                .iter()
                .position(|(_, id, _)| id == after)
                .ok_or_else(|| {
                    ApiError::bad_parameter(
                        "next",
                        "`next` is not an entry of this log; use the `next` of the previous page",
                    )
                })?
                + 1,
        };
    let limit = p.limit.unwrap_or(DEFAULT_LIMIT);
    let mut reasons = std::collections::HashMap::new();
    for r in c.rejected.iter().rev() {
        reasons.insert(r.entry.as_str(), r.reason.as_str());
    }
    let page: Vec<Value> = entries
        .iter()
        .skip(start)
        .take(limit)
        .map(|(at, id, e)| {
            let reason = reasons.get(id.as_str());
            json!({
                "id": id,
                "at": at,
                "author": e.body.author,
                "what": e.body.content.describe(),
                "counted": reason.is_none(),
                "reason": reason,
                "entry": e,
            })
        })
        .collect();
    let more = start + page.len() < entries.len();
    let next = if more {
        page.last()
            .and_then(|v| v["id"].as_str())
            .map(str::to_owned)
    } else {
        None
    };
    Ok(Json(json!({
        "community": c.community,
        "total": entries.len(),
        "entries": page,
        "more": more,
        "next": next,
    })))
}

/// `GET /api/v1/community/proposals`: the proposals still open (undecided and within
/// their period), oldest first, each with its votes, the yes votes it needs and the
/// seconds left to vote.
pub async fn proposals(
    _caller: ReaderAccess,
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>, ApiError> {
    let p = params(raw.as_deref(), &["community"])?;
    let c = community(&state, p.community.as_deref()).await?;
    let now = concord_stix::Timestamp::now_millis();
    let instant = |t: &str| concord_stix::Timestamp::parse_millis(t).map(|t| t.instant());
    let mut open: Vec<_> = c.proposals.values().filter(|p| p.open_at(&now)).collect();
    open.sort_by(|a, b| (&a.at, &a.id).cmp(&(&b.at, &b.id)));
    let list: Vec<Value> = open
        .into_iter()
        .map(|p| {
            let left = match (instant(&p.deadline), instant(&now)) {
                (Ok(end), Ok(now)) => (end - now).num_seconds().max(0),
                _ => 0,
            };
            let votes: Vec<Value> = p
                .votes
                .iter()
                .map(|(member, v)| {
                    json!({ "member": member, "choice": v.choice, "at": v.at, "entry": v.entry })
                })
                .collect();
            json!({
                "id": p.id,
                "author": p.author,
                "at": p.at,
                "deadline": p.deadline,
                "seconds_left": left,
                "what": p.action.describe(),
                "action": p.action,
                "note": p.note,
                "kind": p.action.kind(),
                "electorate": p.electorate,
                "required": p.required,
                "yes": p.yes(),
                "no": p.no(),
                "votes": votes,
            })
        })
        .collect();
    Ok(Json(json!({ "community": c.community, "proposals": list })))
}

/// Body of `POST /api/v1/community/proposals`.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewProposal {
    /// The community (id, id prefix or name; optional when the node holds one).
    #[serde(default)]
    pub community: Option<String>,
    /// What is proposed, as in a log entry (`{"action": "define", "name", "value"}`).
    pub action: concord_community::Action,
    /// Why, in a few words.
    #[serde(default)]
    pub note: String,
    /// For an admission: the candidate's application (`concord community apply`), its
    /// member record signed by the key it names. Required there, refused elsewhere.
    #[serde(default)]
    pub application: Option<concord_community::Application>,
}

/// Body of `POST /api/v1/community/votes`.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewVote {
    /// The community (id, id prefix or name; optional when the node holds one).
    #[serde(default)]
    pub community: Option<String>,
    /// The proposal's entry id, or a unique prefix of it.
    pub proposal: String,
    /// `yes` or `no`.
    pub choice: String,
}

/// Signs `content` with the node key and stores it (`governance::publish`, as `concord
/// community propose` and `vote` do); 201 with the entry id and the proposal's outcome.
async fn publish(
    state: &AppState,
    which: Option<String>,
    content: concord_community::Content,
    proposal: Option<String>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    use concord_federation::governance::PublishError;
    let Some(federation) = state.federation.clone() else {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "not_federating",
            "this node does not federate, so it has no key to sign governance entries with",
        ));
    };
    let (store, communities) = (state.store.clone(), state.communities.clone());
    let published = blocking(move || {
        concord_federation::governance::publish(
            store.as_ref(),
            &communities,
            federation.key(),
            which.as_deref(),
            content,
        )
        .map_err(|e| match e {
            PublishError::Unpicked(Unpicked::Ambiguous(_)) => ApiError::bad_request(
                "ambiguous_community",
                format!("{e}; name one with `community`"),
            ),
            PublishError::Unpicked(e) => {
                ApiError::new(StatusCode::NOT_FOUND, "community_not_found", e.to_string())
            }
            PublishError::NotMember(m) => ApiError::new(StatusCode::CONFLICT, "not_a_member", m),
            PublishError::NotCounted(r) => ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "would_not_count",
                format!("the entry would not count, so it was not stored: {r}"),
            ),
            PublishError::Store(e) => e.into(),
            e => ApiError::internal(&e, "publishing a governance entry"),
        })
    })
    .await?;
    let id = published.entry.id();
    let proposal = proposal.unwrap_or_else(|| id.clone());
    let outcome = published.state.proposals.get(&proposal).map(|p| &p.outcome);
    Ok((
        StatusCode::CREATED,
        Json(json!({ "entry": id, "proposal": proposal, "outcome": outcome })),
    ))
}

/// `POST /api/v1/community/proposals` (admin): proposes a decision signed with the node
/// key; it counts as this node's yes.
pub async fn propose(
    _caller: crate::auth::AdminAccess,
    State(state): State<AppState>,
    crate::extract::ApiJson(body): crate::extract::ApiJson<NewProposal>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    check_application(&body)?;
    let content = concord_community::Content::Proposal {
        action: body.action,
        note: body.note,
    };
    publish(&state, body.community, content, None).await
}

/// An admission names a member only through the candidate's own signed application:
/// without it an administrator could propose any key and URL in a candidate's name.
fn check_application(body: &NewProposal) -> Result<(), ApiError> {
    let field = || json!({ "field": "application" });
    match (&body.action, &body.application) {
        (concord_community::Action::Admit { member, .. }, Some(app)) => {
            let signed = app.verify().map_err(|e| {
                ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "bad_application", e)
                    .with_detail(field())
            })?;
            if &signed != member {
                return Err(ApiError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "bad_application",
                    format!(
                        "the member to admit differs from the one {} applied as",
                        signed.node_id
                    ),
                )
                .with_detail(field()));
            }
            Ok(())
        }
        (concord_community::Action::Admit { .. }, None) => Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "application_required",
            "an admission needs the candidate's signed application (`concord community apply`)",
        )
        .with_detail(field())),
        (_, Some(_)) => Err(ApiError::bad_request(
            "unexpected_application",
            "an application goes only with an admission",
        )
        .with_detail(field())),
        (_, None) => Ok(()),
    }
}

/// `POST /api/v1/community/votes` (admin): votes on an open proposal, signed with the
/// node key.
pub async fn vote(
    _caller: crate::auth::AdminAccess,
    State(state): State<AppState>,
    crate::extract::ApiJson(body): crate::extract::ApiJson<NewVote>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let choice: concord_community::Choice = body.choice.parse().map_err(|e: String| {
        ApiError::bad_request("bad_choice", e).with_detail(json!({ "field": "choice" }))
    })?;
    let c = community(&state, body.community.as_deref()).await?;
    let proposal = c
        .proposal_by_prefix(&body.proposal)
        .map_err(|e| {
            ApiError::new(StatusCode::NOT_FOUND, "proposal_not_found", e)
                .with_detail(json!({ "field": "proposal" }))
        })?
        .id
        .clone();
    let content = concord_community::Content::Vote {
        proposal: proposal.clone(),
        choice,
    };
    publish(&state, Some(c.community.clone()), content, Some(proposal)).await
}
