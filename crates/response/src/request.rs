//! Requests for assistance: a `note` referring to an incident and the related objects,
//! naming the help wanted (`action`), the target peers (its `recipients`) and a deadline.
//! A target answers with a `note` referring to the request (`accepted`, `declined` with a
//! reason, or `done`), addressed back to the requester only. Both sides read the state
//! and its history with [`status`]; answers count only from a target, by its verified
//! origin.

use std::collections::BTreeMap;

use concord_stix::concord_ext::{self, Distribution, Grading};
use concord_stix::id::new_id;
use concord_store::Store;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::{ResponseError, Result, ext, now, store_objects};

/// The kinds of help a request may ask for.
pub const ACTIONS: &[&str] = &[
    "take-down",
    "block-indicators",
    "preserve-evidence",
    "contact-victim",
    "analyse-sample",
];

/// Answers a target may give.
pub const STATES: &[&str] = &["accepted", "declined", "done"];

/// What a request takes.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NewRequest {
    /// One of [`ACTIONS`].
    pub action: String,
    /// Target peers (names, node ids, `all`, `country:XX`, `sector:NAME`).
    pub to: Vec<String>,
    /// The deadline (a timestamp in the future).
    pub deadline: String,
    /// What is asked, for people.
    pub text: String,
    /// Related objects (the C2 host, indicators, artifacts, ...).
    pub related: Vec<String>,
}

/// Sends a request for assistance about an incident held here; returns its id.
pub fn create(store: &dyn Store, incident_id: &str, req: &NewRequest) -> Result<String> {
    if !ACTIONS.contains(&req.action.as_str()) {
        return Err(ResponseError::Invalid(format!(
            "action: {:?} is not one of {}",
            req.action,
            ACTIONS.join(", ")
        )));
    }
    let deadline = concord_stix::Timestamp::parse(&req.deadline).map_err(|e| {
        ResponseError::Invalid(format!(
            "deadline: {:?} is not a timestamp: {e}",
            req.deadline
        ))
    })?;
    if deadline.instant() <= chrono::Utc::now() {
        return Err(ResponseError::Invalid(format!(
            "deadline: {} is in the past",
            req.deadline
        )));
    }
    let incident = crate::incident::current(store, incident_id)?;
    let targets = crate::resolve_peers(store, &req.to)?;
    let mut refs = vec![json!(incident_id)];
    for r in &req.related {
        concord_stix::id::parse_id(r)
            .map_err(|e| ResponseError::Invalid(format!("related: {r:?} is not a STIX id: {e}")))?;
        refs.push(json!(r));
    }
    let ts = now();
    let id = new_id("note");
    let text = if req.text.trim().is_empty() {
        format!(
            "Please {} (see the related objects).",
            req.action.replace('-', " ")
        )
    } else {
        req.text.clone()
    };
    let mut v = json!({
        "type": "note", "spec_version": "2.1", "id": id,
        "created": ts, "modified": ts,
        "abstract": format!("Request for assistance: {}", req.action),
        "content": text, "object_refs": refs,
    });
    let markings = crate::tlp_refs(&incident);
    if !markings.is_empty() {
        v["object_marking_refs"] = json!(markings);
    }
    ext::set(
        &mut v,
        ext::props(json!({
            "kind": "request", "action": req.action,
            "deadline": concord_stix::Timestamp::format_millis(deadline.instant()),
            "incident_ref": incident_id,
        })),
    );
    Grading {
        distribution: Distribution::Peers,
        hops: 0,
        ..Grading::default()
    }
    .apply(&mut v);
    concord_ext::set_recipients(&mut v, &targets);
    store_objects(store, vec![v])?;
    Ok(id)
}

/// Answers a request held here that was sent to this node `me`; returns the answer's id.
pub fn respond(
    store: &dyn Store,
    me: &str,
    request_id: &str,
    state: &str,
    text: Option<&str>,
) -> Result<String> {
    if !STATES.contains(&state) {
        return Err(ResponseError::Invalid(format!(
            "state: {state:?} is not one of accepted, declined, done"
        )));
    }
    let text = text.map(str::trim).filter(|t| !t.is_empty());
    if state == "declined" && text.is_none() {
        return Err(ResponseError::Invalid(
            "reason: declining a request needs a reason".into(),
        ));
    }
    let req = crate::get_current(store, request_id)?;
    if ext::kind(&req) != Some("request") {
        return Err(ResponseError::Refused(format!(
            "{request_id} is not a request for assistance"
        )));
    }
    let origin = crate::origin_of(store, me, &req)?;
    if origin == me {
        return Err(ResponseError::Refused(format!(
            "{request_id} was sent by this node; only its targets answer it"
        )));
    }
    if !concord_ext::recipients(&req).iter().any(|r| r == me) {
        return Err(ResponseError::Refused(format!(
            "{request_id} is not addressed to this node ({me})"
        )));
    }
    let ts = now();
    let id = new_id("note");
    let incident = ext::str_prop(&req, "incident_ref")
        .unwrap_or_default()
        .to_owned();
    let mut refs = vec![json!(request_id)];
    if !incident.is_empty() {
        refs.push(json!(incident));
    }
    let mut v = json!({
        "type": "note", "spec_version": "2.1", "id": id,
        "created": ts, "modified": ts,
        "abstract": format!("Request {state}"),
        "content": text.unwrap_or(state),
        "object_refs": refs,
    });
    let markings = crate::tlp_refs(&req);
    if !markings.is_empty() {
        v["object_marking_refs"] = json!(markings);
    }
    ext::set(
        &mut v,
        ext::props(
            json!({"kind": "request-response", "state": state, "by_node": me,
            "request_ref": request_id}),
        ),
    );
    Grading {
        distribution: Distribution::Peers,
        hops: 0,
        ..Grading::default()
    }
    .apply(&mut v);
    concord_ext::set_recipients(&mut v, &[origin]);
    store_objects(store, vec![v])?;
    Ok(id)
}

/// One target's state of a request.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct TargetState {
    /// The target's node id.
    pub peer: String,
    /// Its name, if known.
    pub name: Option<String>,
    /// `pending`, `accepted`, `declined` or `done`.
    pub state: String,
    /// Every answer, oldest first: (time, state, text).
    pub history: Vec<(String, String, String)>,
}

/// A request as either side sees it.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct RequestStatus {
    /// The request id.
    pub request: String,
    /// The incident it is about.
    pub incident: Option<String>,
    /// The help asked for.
    pub action: String,
    /// The deadline.
    pub deadline: String,
    /// Whether the deadline passed with a target not done or declined.
    pub overdue: bool,
    /// Who asked.
    pub requester: String,
    /// One entry per target (a target sees only its own answers, as answers go to the
    /// requester only).
    pub targets: Vec<TargetState>,
}

/// The state of a request held here, with every answer held here.
pub fn status(store: &dyn Store, me: &str, request_id: &str) -> Result<RequestStatus> {
    let req = crate::get_current(store, request_id)?;
    if ext::kind(&req) != Some("request") {
        return Err(ResponseError::Invalid(format!(
            "{request_id} is not a request for assistance"
        )));
    }
    let requester = crate::origin_of(store, me, &req)?;
    let targets = concord_ext::recipients(&req);
    let names = crate::node_names(store, me)?;
    let mut answers: BTreeMap<String, Vec<(String, String, String)>> = BTreeMap::new();
    let mut seen = std::collections::HashSet::new();
    for rel in store.relationships(request_id)? {
        // One object may refer to this one from several properties.
        if rel.direction != "incoming" || !seen.insert(rel.id.clone()) {
            continue;
        }
        let Some(o) = store.get(&rel.id)? else {
            continue;
        };
        let v = o.value();
        if ext::kind(&v) != Some("request-response") {
            continue;
        }
        let origin = crate::origin_of(store, me, &v)?;
        if !targets.contains(&origin) || ext::str_prop(&v, "by_node") != Some(origin.as_str()) {
            tracing::warn!(request = %request_id, answer = %rel.id, %origin, "Answer ignored: not from a target of the request.");
            continue;
        }
        answers.entry(origin).or_default().push((
            crate::version_of(&v).to_owned(),
            ext::str_prop(&v, "state").unwrap_or("").to_owned(),
            v["content"].as_str().unwrap_or("").to_owned(),
        ));
    }
    let deadline = ext::str_prop(&req, "deadline").unwrap_or("").to_owned();
    let past =
        concord_stix::Timestamp::parse(&deadline).is_ok_and(|d| d.instant() <= chrono::Utc::now());
    let targets: Vec<TargetState> = targets
        .iter()
        .map(|t| {
            let mut h = answers.remove(t).unwrap_or_default();
            h.sort();
            TargetState {
                peer: t.clone(),
                name: names.get(t).cloned(),
                state: h.last().map_or("pending".into(), |(_, s, _)| s.clone()),
                history: h,
            }
        })
        .collect();
    Ok(RequestStatus {
        request: request_id.to_owned(),
        incident: ext::str_prop(&req, "incident_ref").map(str::to_owned),
        action: ext::str_prop(&req, "action").unwrap_or("").to_owned(),
        overdue: past
            && targets
                .iter()
                .any(|t| t.state != "done" && t.state != "declined"),
        deadline,
        requester,
        targets,
    })
}

/// Requests held here (sent or received), newest first, as (id, summary) values.
pub fn list(store: &dyn Store, me: &str) -> Result<Vec<Value>> {
    let page = store.list(&concord_store::ListQuery {
        types: vec!["note".into()],
        order: concord_store::Order::NewestFirst,
        limit: 1000,
        ..Default::default()
    })?;
    let mut out = Vec::new();
    for o in page.objects {
        let v = o.value();
        if ext::kind(&v) == Some("request") {
            let s = status(store, me, v["id"].as_str().unwrap_or_default())?;
            out.push(serde_json::to_value(s).unwrap_or(Value::Null));
        }
    }
    Ok(out)
}
