//! Alerts and acknowledgements. An alert is a new version of an incident (or report)
//! created here, marked urgent (`alert` in the response extension: `urgent`, `round`,
//! `sent`) and addressed to peers (`recipients` in Concord's extension, which the
//! outbound policy enforces). A receiver acknowledges with an `opinion` referring to the
//! alert (`kind = "ack"`, `status` `seen`, `acting`, `not-affected` or `resolved`),
//! addressed back to the alert's origin only.
//!
//! The sender's view ([`status`]) counts an acknowledgement only if its verified origin
//! is a recipient of the alert and it names that same node as its author; anything else
//! is listed as ignored with the reason, and logged.

use std::collections::BTreeMap;

use concord_stix::concord_ext::{self, Distribution, Grading};
use concord_stix::id::new_id;
use concord_store::{ListQuery, Order, Store};
use serde::Serialize;
use serde_json::{Value, json};

use crate::{ResponseError, Result, ext, now, store_objects};

/// Acknowledgement statuses, with the STIX `opinion` value each is sent with.
pub const ACK_STATUSES: &[(&str, &str)] = &[
    ("seen", "neutral"),
    ("acting", "agree"),
    ("not-affected", "disagree"),
    ("resolved", "strongly-agree"),
];

/// Sends an incident (or report) created here as an alert to the peers `to` names (see
/// [`crate::resolve_peers`]). Returns the alert version.
pub fn send(store: &dyn Store, id: &str, to: &[String]) -> Result<Value> {
    let recipients = crate::resolve_peers(store, to)?;
    crate::incident::new_version(store, id, |v| {
        let tlp = concord_stix::Tlp::strictest(
            v["object_marking_refs"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str),
        );
        if tlp == Some(concord_stix::Tlp::Red) {
            return Err(ResponseError::Refused(format!(
                "{id} is TLP:RED, which never leaves this node: it cannot be an alert"
            )));
        }
        mark(v, &recipients, 1);
        Ok(())
    })
}

fn mark(v: &mut Value, recipients: &[String], round: u64) {
    let mut props = ext::get(v).cloned().unwrap_or_default();
    props.remove("extension_type");
    if !props.contains_key("kind") {
        props.insert(
            "kind".into(),
            json!(v["type"].as_str().unwrap_or("incident")),
        );
    }
    props.insert(
        "alert".into(),
        json!({"urgent": true, "round": round, "sent": now()}),
    );
    ext::set(v, props);
    let mut labels: Vec<Value> = v["labels"].as_array().cloned().unwrap_or_default();
    if !labels.iter().any(|l| l == "urgent") {
        labels.push(json!("urgent"));
    }
    v["labels"] = json!(labels);
    let grading = Grading::of(v).unwrap_or_default();
    grading.apply(v);
    concord_ext::set_recipients(v, recipients);
}

/// Whether a held object is an alert, with its recipients and round.
pub fn alert_info(v: &Value) -> Option<(Vec<String>, u64, String)> {
    let a = ext::get(v)?.get("alert")?;
    Some((
        concord_ext::recipients(v),
        a["round"].as_u64().unwrap_or(1),
        a["sent"].as_str().unwrap_or("").to_owned(),
    ))
}

/// Acknowledges an alert held here (sent by a peer to this node `me`). Returns the
/// acknowledgement's id. Refused when the alert is not held, not an alert, not addressed
/// to this node, or was created here.
pub fn ack(
    store: &dyn Store,
    me: &str,
    alert_id: &str,
    status: &str,
    note: Option<&str>,
) -> Result<String> {
    let opinion = ACK_STATUSES
        .iter()
        .find(|(s, _)| *s == status)
        .map(|(_, o)| *o)
        .ok_or_else(|| {
            ResponseError::Invalid(format!(
                "status: {status:?} is not one of seen, acting, not-affected, resolved"
            ))
        })?;
    let alert = crate::get_current(store, alert_id).map_err(|_| {
        ResponseError::NotFound(format!("no alert {alert_id} is held on this node"))
    })?;
    let (recipients, round, _) = alert_info(&alert)
        .ok_or_else(|| ResponseError::Refused(format!("{alert_id} is not an alert")))?;
    let origin = crate::origin_of(store, me, &alert)?;
    if origin == me {
        return Err(ResponseError::Refused(format!(
            "{alert_id} was sent by this node; only its recipients acknowledge it"
        )));
    }
    if !recipients.iter().any(|r| r == me) {
        return Err(ResponseError::Refused(format!(
            "{alert_id} is not addressed to this node ({me})"
        )));
    }
    let ts = now();
    let id = new_id("opinion");
    let mut v = json!({
        "type": "opinion", "spec_version": "2.1", "id": id,
        "created": ts, "modified": ts, "opinion": opinion,
        "object_refs": [alert_id],
    });
    let markings = crate::tlp_refs(&alert);
    if !markings.is_empty() {
        v["object_marking_refs"] = json!(markings);
    }
    if let Some(n) = note.filter(|n| !n.trim().is_empty()) {
        v["explanation"] = json!(n);
    }
    ext::set(
        &mut v,
        ext::props(json!({"kind": "ack", "status": status, "by_node": me, "round": round})),
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

/// The state of one recipient of an alert, as its sender sees it.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct PeerState {
    /// The recipient's node id.
    pub peer: String,
    /// Its name, if it is a registered peer.
    pub name: Option<String>,
    /// Its latest acknowledgement status, or `no-answer`.
    pub state: String,
    /// When it last answered.
    pub at: Option<String>,
    /// Whether it has not answered within the configured time.
    pub overdue: bool,
    /// Every acknowledgement it sent, oldest first: (time, status, note).
    pub history: Vec<(String, String, Option<String>)>,
}

/// An acknowledgement that was not counted, and why.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Ignored {
    /// The acknowledgement's id.
    pub id: String,
    /// Its verified origin.
    pub origin: String,
    /// Why it was not counted.
    pub reason: String,
}

/// The sender's view of an alert.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct AlertStatus {
    /// The alert (incident) id.
    pub alert: String,
    /// Its current round (1, then one more per re-announcement).
    pub round: u64,
    /// When the current round was sent.
    pub sent: String,
    /// One entry per recipient.
    pub peers: Vec<PeerState>,
    /// Acknowledgements not counted.
    pub ignored: Vec<Ignored>,
}

/// The sender's view of an alert created here: per recipient, its latest answer or none,
/// and whether it is overdue (`overdue_secs` after the first round was sent).
pub fn status(
    store: &dyn Store,
    me: &str,
    alert_id: &str,
    overdue_secs: u64,
) -> Result<AlertStatus> {
    let alert = crate::incident::current(store, alert_id)?;
    if !crate::is_local(store, &alert)? {
        return Err(ResponseError::Refused(format!(
            "{alert_id} was sent by another node; its answers are seen by its sender"
        )));
    }
    let (recipients, round, sent) = alert_info(&alert)
        .ok_or_else(|| ResponseError::Refused(format!("{alert_id} is not an alert")))?;
    let first_sent = store
        .versions(alert_id)?
        .iter()
        .filter_map(|o| alert_info(&o.value()).map(|(_, _, s)| s))
        .min()
        .unwrap_or_else(|| sent.clone());
    let names = crate::node_names(store, me)?;
    let mut history: BTreeMap<String, Vec<(String, String, Option<String>)>> = BTreeMap::new();
    let mut ignored = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for rel in store.relationships(alert_id)? {
        // One object may refer to this one from several properties.
        if rel.direction != "incoming" || !seen.insert(rel.id.clone()) {
            continue;
        }
        let Some(o) = store.get(&rel.id)? else {
            continue;
        };
        let v = o.value();
        if v["type"] != "opinion" || ext::kind(&v) != Some("ack") {
            continue;
        }
        let origin = crate::origin_of(store, me, &v)?;
        let by = ext::str_prop(&v, "by_node").unwrap_or("");
        let id = rel.id.clone();
        let reason = if origin == me {
            Some("created on this node, not by a recipient".to_owned())
        } else if !recipients.contains(&origin) {
            Some(format!(
                "from {origin}, which the alert is not addressed to"
            ))
        } else if by != origin {
            Some(format!(
                "forged: claims to be by {by:?} but its verified origin is {origin}"
            ))
        } else {
            None
        };
        if let Some(reason) = reason {
            tracing::warn!(alert = %alert_id, ack = %id, origin = %origin, %reason, "Acknowledgement ignored.");
            ignored.push(Ignored { id, origin, reason });
            continue;
        }
        history.entry(origin).or_default().push((
            crate::version_of(&v).to_owned(),
            ext::str_prop(&v, "status").unwrap_or("").to_owned(),
            v["explanation"].as_str().map(str::to_owned),
        ));
    }
    let overdue_at = concord_stix::Timestamp::parse(&first_sent)
        .ok()
        .map(|t| t.instant() + chrono::Duration::seconds(overdue_secs as i64));
    let late = overdue_at.is_some_and(|t| chrono::Utc::now() >= t);
    let peers = recipients
        .iter()
        .map(|p| {
            let mut h = history.remove(p).unwrap_or_default();
            h.sort();
            let last = h.last().cloned();
            PeerState {
                peer: p.clone(),
                name: names.get(p).cloned(),
                state: last
                    .as_ref()
                    .map_or("no-answer".to_owned(), |(_, s, _)| s.clone()),
                at: last.map(|(t, ..)| t),
                overdue: h.is_empty() && late,
                history: h,
            }
        })
        .collect();
    Ok(AlertStatus {
        alert: alert_id.to_owned(),
        round,
        sent,
        peers,
        ignored,
    })
}

/// Alerts created here, newest first.
pub fn list(store: &dyn Store, me: &str) -> Result<Vec<Value>> {
    let mut out = Vec::new();
    for ty in ["incident", "report"] {
        let page = store.list(&ListQuery {
            types: vec![ty.into()],
            order: Order::NewestFirst,
            limit: 1000,
            ..ListQuery::default()
        })?;
        for o in page.objects {
            let v = o.value();
            if let Some((recipients, round, sent)) = alert_info(&v) {
                let origin = crate::origin_of(store, me, &v)?;
                out.push(json!({
                    "id": v["id"], "name": v["name"], "origin": origin,
                    "local": origin == me, "recipients": recipients,
                    "round": round, "sent": sent,
                }));
            }
        }
    }
    Ok(out)
}

/// Re-announces alerts created here whose current round is older than `after_secs` and
/// that some recipient has not answered: a new version with the next round. Returns the
/// ids re-announced.
pub fn reannounce_due(store: &dyn Store, me: &str, after_secs: u64) -> Result<Vec<String>> {
    let mut done = Vec::new();
    for a in list(store, me)? {
        if a["local"] != true {
            continue;
        }
        let id = a["id"].as_str().unwrap_or_default().to_owned();
        let sent = a["sent"].as_str().unwrap_or_default();
        let due = concord_stix::Timestamp::parse(sent).is_ok_and(|t| {
            chrono::Utc::now() >= t.instant() + chrono::Duration::seconds(after_secs as i64)
        });
        if !due {
            continue;
        }
        let st = status(store, me, &id, after_secs)?;
        if st.peers.iter().all(|p| p.state != "no-answer") {
            continue;
        }
        let recipients: Vec<String> = st.peers.iter().map(|p| p.peer.clone()).collect();
        crate::incident::new_version(store, &id, |v| {
            mark(v, &recipients, st.round + 1);
            Ok(())
        })?;
        tracing::info!(alert = %id, round = st.round + 1, "Alert re-announced: some recipients have not answered.");
        done.push(id);
    }
    Ok(done)
}
