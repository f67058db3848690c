//! What a peer receives: a page of this node's changes after a cursor, each version
//! passed through the outbound policy, signed, and recorded in the audit log.

use concord_policy::{Context, Decision, Policy, Verdict};
use concord_store::federation::{AuditEntry, PeerRecord, Provenance};
use concord_store::{ListQuery, Order, Store};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::FederationError;
use crate::envelope::Envelope;
use crate::identity::NodeKey;

/// Largest page a peer may ask for.
pub const MAX_PAGE: usize = 5_000;

/// One page of changes for a peer (`GET /federation/v1/changes`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChangesPage {
    /// The sending node's id.
    pub node: String,
    /// The sender's highest `seq` when the page was made.
    pub head: i64,
    /// The cursor to ask with next (`after`): the last `seq` this page covers, sent or
    /// withheld.
    pub next: i64,
    /// Whether more changes follow `next`.
    pub more: bool,
    /// Versions examined and withheld from this peer.
    pub withheld: usize,
    /// The page stopped early because the peer's volume limit was reached.
    #[serde(default)]
    pub throttled: bool,
    /// What the peer receives.
    pub changes: Vec<Envelope>,
}

/// The policy's view of a registered peer (a member of no community).
pub fn policy_peer(p: &PeerRecord) -> concord_policy::Peer {
    policy_peer_in(p, &[])
}

/// The policy's view of a registered peer that is an active member of `communities`
/// (names and ids, [`crate::governance::memberships`]).
pub fn policy_peer_in(p: &PeerRecord, communities: &[String]) -> concord_policy::Peer {
    concord_policy::Peer {
        node_id: p.node_id.clone(),
        name: p.name.clone(),
        country: p.country.clone(),
        sectors: p.sectors.clone(),
        agreement: p.agreement.clone(),
        communities: communities.to_vec(),
    }
}

/// The communities (names and ids) the store's governance logs make `peer` an active
/// member of.
fn memberships_in(store: &dyn Store, peer: &PeerRecord) -> Result<Vec<String>, FederationError> {
    let states = crate::governance::Communities::default().states(store)?;
    Ok(crate::governance::memberships(&states, peer))
}

/// The version string of an object (`modified`, or `created`, or empty).
pub fn version_of(v: &Value) -> &str {
    v.get("modified")
        .or_else(|| v.get("created"))
        .and_then(Value::as_str)
        .unwrap_or("")
}

/// The policy decision for one held object version and one peer, with the provenance
/// that was used (looked up in the store). `origin` is this node unless the version was
/// received.
pub fn decide(
    store: &dyn Store,
    key: &NodeKey,
    policy: &Policy,
    object: &Value,
    peer: &PeerRecord,
) -> Result<(Decision, Option<Provenance>), FederationError> {
    let id = object.get("id").and_then(Value::as_str).unwrap_or("");
    let prov = store.provenance(id, version_of(object))?;
    let communities = memberships_in(store, peer)?;
    let decision = decide_in(key, policy, object, prov.as_ref(), peer, &communities);
    Ok((decision, prov))
}

/// The policy decision for an object whose provenance is known (`None`: created here),
/// for a peer that is a member of no community.
pub fn decide_with(
    key: &NodeKey,
    policy: &Policy,
    object: &Value,
    prov: Option<&Provenance>,
    peer: &PeerRecord,
) -> Decision {
    decide_in(key, policy, object, prov, peer, &[])
}

/// [`decide_with`] for a peer that is an active member of `communities` (names and ids).
pub fn decide_in(
    key: &NodeKey,
    policy: &Policy,
    object: &Value,
    prov: Option<&Provenance>,
    peer: &PeerRecord,
    communities: &[String],
) -> Decision {
    let local = key.node_id();
    let pprov = match prov.filter(|p| !p.is_local()) {
        Some(p) => concord_policy::Provenance {
            origin: p.origin.clone(),
            received_from: Some(p.received_from.clone()),
            hops_left: Some(p.hops_left),
        },
        None => concord_policy::Provenance {
            origin: local.clone(),
            received_from: None,
            hops_left: None,
        },
    };
    let redaction_key = key.redaction_key();
    let ctx = Context {
        local_node: &local,
        redaction_key: &redaction_key,
    };
    concord_policy::decide(
        policy,
        &ctx,
        object,
        &pprov,
        &policy_peer_in(peer, communities),
    )
}

fn verdict_name(v: &Verdict) -> &'static str {
    match v {
        Verdict::Send => "send",
        Verdict::SendRedacted => "send-redacted",
        Verdict::Withhold => "withhold",
    }
}

/// Over a connection readable on the path only TLP:CLEAR goes: an object marked higher
/// (object or granular markings), or not marked with TLP at all, is withheld, and the
/// reason says why.
pub fn clear_only(mut d: Decision, object: &Value) -> Decision {
    let refs = object
        .get("object_marking_refs")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .chain(
            object
                .get("granular_markings")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(|g| g.get("marking_ref")),
        )
        .filter_map(Value::as_str);
    if matches!(d.verdict, Verdict::Withhold)
        || concord_stix::Tlp::strictest(refs) == Some(concord_stix::Tlp::Clear)
    {
        return d;
    }
    d.verdict = Verdict::Withhold;
    d.object = None;
    d.hops_left = 0;
    d.volume_limit = None;
    d.reasons.push(concord_policy::Reason {
        rule: "transport.cleartext".into(),
        effect: concord_policy::Effect::Deny,
        message: "the peer asked over unencrypted HTTP: only TLP:CLEAR goes in clear".into(),
    });
    d
}

/// Builds the page of changes after `after` for `peer` and writes every decision to the
/// audit log before returning it. `now` is the current time (RFC 3339), for the volume
/// limit's window.
pub fn changes_for(
    store: &dyn Store,
    key: &NodeKey,
    policy: &Policy,
    peer: &PeerRecord,
    after: i64,
    limit: usize,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<ChangesPage, FederationError> {
    changes_over(store, key, policy, peer, after, limit, now, false)
}

/// [`changes_for`] for a request that came over a connection readable on the path
/// (`cleartext`): then only TLP:CLEAR objects are sent ([`clear_only`]).
#[allow(clippy::too_many_arguments)]
pub fn changes_over(
    store: &dyn Store,
    key: &NodeKey,
    policy: &Policy,
    peer: &PeerRecord,
    after: i64,
    limit: usize,
    now: chrono::DateTime<chrono::Utc>,
    cleartext: bool,
) -> Result<ChangesPage, FederationError> {
    let communities = memberships_in(store, peer)?;
    changes_in(
        store,
        key,
        policy,
        peer,
        &communities,
        after,
        limit,
        now,
        cleartext,
    )
}

/// [`changes_over`] for a peer that is an active member of `communities` (names and
/// ids), as the caller computed them.
#[allow(clippy::too_many_arguments)]
pub fn changes_in(
    store: &dyn Store,
    key: &NodeKey,
    policy: &Policy,
    peer: &PeerRecord,
    communities: &[String],
    after: i64,
    limit: usize,
    now: chrono::DateTime<chrono::Utc>,
    cleartext: bool,
) -> Result<ChangesPage, FederationError> {
    let limit = limit.clamp(1, MAX_PAGE);
    let head = store.head_seq()?;
    let page = store.list_versions(&ListQuery {
        cursor: Some(after),
        order: Order::BySeq,
        limit,
        ..ListQuery::default()
    })?;
    let mut out = ChangesPage {
        node: key.node_id(),
        head,
        next: after,
        more: false,
        withheld: 0,
        throttled: false,
        changes: Vec::new(),
    };
    let mut audit = Vec::with_capacity(page.objects.len());
    let last = page.objects.last().map_or(after, |o| o.seq);
    let provenance = store.provenance_between(after, last)?;
    let mut budget: Option<u64> = None;
    for stored in &page.objects {
        let object = stored.value();
        let prov = provenance.get(&stored.seq);
        let decision = decide_in(key, policy, &object, prov, peer, communities);
        let decision = if cleartext {
            clear_only(decision, &object)
        } else {
            decision
        };
        let sends = !matches!(decision.verdict, Verdict::Withhold);
        if sends && let Some(limit) = &decision.volume_limit {
            let left = match budget {
                Some(b) => b,
                None => {
                    let window = chrono::Duration::seconds(
                        i64::try_from(limit.per_secs).unwrap_or(i64::MAX / 2),
                    );
                    let since = (now - window).to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
                    limit
                        .objects
                        .saturating_sub(store.audit_sent_since(&peer.node_id, &since)?)
                }
            };
            if left == 0 {
                out.throttled = true;
                break;
            }
            budget = Some(left - 1);
        }
        audit.push(AuditEntry {
            peer: peer.node_id.clone(),
            object_id: object
                .get("id")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_owned(),
            version: version_of(&object).to_owned(),
            verdict: verdict_name(&decision.verdict).to_owned(),
            agreement: decision.agreement.clone(),
            reasons: serde_json::to_value(&decision.reasons).unwrap_or(Value::Null),
        });
        out.next = stored.seq;
        match (decision.verdict, decision.object) {
            (Verdict::Withhold, _) | (_, None) => out.withheld += 1,
            (verdict, Some(sent)) => {
                let redacted = matches!(verdict, Verdict::SendRedacted);
                out.changes.push(match prov {
                    // Signed by the signer when it was stored.
                    Some(p) if p.is_local() && !redacted => Envelope {
                        seq: stored.seq,
                        object: sent,
                        origin: p.origin.clone(),
                        origin_key: p.origin_key.clone(),
                        signature: p.signature.clone(),
                        hops: decision.hops_left,
                        redactor: None,
                    },
                    Some(p) if p.is_local() => {
                        Envelope::originate(key, stored.seq, sent, decision.hops_left)
                    }
                    // Unchanged, the stored text is already the RFC 8785 form.
                    None if !redacted => Envelope::originate_canonical(
                        key,
                        stored.seq,
                        sent,
                        &stored.json,
                        decision.hops_left,
                    ),
                    None => Envelope::originate(key, stored.seq, sent, decision.hops_left),
                    Some(p) => {
                        Envelope::forward(key, stored.seq, sent, p, decision.hops_left, redacted)
                    }
                });
            }
        }
    }
    out.more = out.throttled || page.next.is_some();
    store.append_audit(&audit)?;
    Ok(out)
}
