//! The governance stream between members of a community, and what its decisions do to
//! this node's peers.
//!
//! Governance documents (a community's genesis and log entries) travel on their own
//! route, `GET /federation/v1/governance`, which the outbound policy does not filter: a
//! peer gets every document of each community in which it is a member (active or
//! suspended, as this node computes the state), and nothing of the others. A received
//! document is stored only when it is well-formed and its signatures verify
//! ([`check_document`]): a genesis signed by every founder, an entry signed by the key it
//! names for a community whose genesis this node holds. Whether an entry counts is the
//! community state's business ([`concord_community::Community::from_entries`]).
//!
//! [`reconcile`] turns the computed states into peers: every member of a community this
//! node holds, active or suspended, is a peer (URL and current key from the log; the
//! operator's name, agreement and insecure flag of an existing record are kept); an
//! expelled member, or a key that was revoked, is removed; and once this node is itself
//! expelled it keeps no peers of that community. A member's record carries the key valid
//! now: after a rotation the old key stays the peer's until the rotation's effective
//! time; then the record's key becomes the new one. The record keeps the member's id
//! (the id of its first key, which a node keeps when it rotates) and so its cursors:
//! nothing is pulled twice or skipped. This node finds itself in a community by its node
//! id or by its current key ([`Me`]). Suspension stops data both ways without
//! removing the peer: the server refuses a suspended member's data requests and the
//! puller pulls only governance from it ([`Communities::barred`]), so governance still
//! flows and a readmission reaches it. A revoked key is refused by the request check at
//! once, before any reconcile, and so is a key rotated away once the rotation is in
//! effect ([`Communities::barred`]). Versions signed by a key after it was revoked or
//! rotated away are refused by the puller ([`retired_keys`]); those it signed before its
//! revocation are kept and flagged where provenance is shown ([`revoked_signer`]). A member this node refuses locally
//! (`GovernanceStore::set_local_refusal`, `concord community refuse`) is not a peer here,
//! whatever the community decided: each node stays sovereign over its own data, and the
//! refusal is listed by `concord community show`.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use concord_community::{Entry, Genesis, State, Status};
use concord_keys::node_id_of_hex;
use concord_store::Store;
use concord_store::StoreError;
use concord_store::federation::PeerRecord;
use concord_store::governance::{ENTRY, GENESIS, GovernanceDocument, GovernanceRecord};
use serde::{Deserialize, Serialize};

mod reconcile;

/// Most documents in one governance page.
pub const MAX_GOVERNANCE_PAGE: usize = 1_000;

/// A page of governance documents after a cursor.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct GovernancePage {
    /// The serving node.
    pub node: String,
    /// The documents this peer may have, each with its number at the serving node.
    pub documents: Vec<PagedDocument>,
    /// The cursor for the next page (the last number looked at).
    pub next: i64,
    /// Whether more documents follow.
    pub more: bool,
}

/// A document in a page.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PagedDocument {
    /// Its number at the serving node.
    pub n: i64,
    /// The document.
    pub doc: GovernanceDocument,
}

/// A community's log as its readers see it (`GET /api/v1/community/log`, the web page
/// `/community/log`): its stored entries in the log's order, signed time then id, each
/// with that time and id.
pub fn log_order(records: Vec<GovernanceRecord>) -> Vec<(String, String, Entry)> {
    let mut entries: Vec<(String, String, Entry)> = records
        .into_iter()
        .filter(|r| r.doc.kind == ENTRY)
        .filter_map(|r| {
            let e = serde_json::from_str(&r.doc.document).ok()?;
            Some((r.doc.at, r.doc.id, e))
        })
        .collect();
    entries.sort_by(|a, b| (&a.0, &a.1).cmp(&(&b.0, &b.1)));
    entries
}

/// The genesis and entries of one community, read from stored documents (unreadable
/// ones are skipped with a warning: they were checked when stored).
fn community_of(records: &[&GovernanceRecord]) -> Option<(Genesis, Vec<Entry>)> {
    let mut genesis = None;
    let mut entries = Vec::new();
    for r in records {
        match r.doc.kind.as_str() {
            GENESIS => match serde_json::from_str::<Genesis>(&r.doc.document) {
                Ok(g) => genesis = Some(g),
                Err(e) => tracing::warn!(id = %r.doc.id, error = %e, "Unreadable stored genesis."),
            },
            _ => match serde_json::from_str::<Entry>(&r.doc.document) {
                Ok(e) => entries.push(e),
                Err(e) => tracing::warn!(id = %r.doc.id, error = %e, "Unreadable stored entry."),
            },
        }
    }
    Some((genesis?, entries))
}

/// Checks a document received from a peer: its kind, that its id and time are its own,
/// and its signatures. `genesis` is the community's genesis when this node holds it.
pub fn check_document(doc: &GovernanceDocument, genesis: Option<&Genesis>) -> Result<(), String> {
    match doc.kind.as_str() {
        GENESIS => {
            let g: Genesis = serde_json::from_str(&doc.document)
                .map_err(|e| format!("genesis {}: not a genesis: {e}", doc.id))?;
            g.check().map_err(|e| format!("genesis {}: {e}", doc.id))?;
            if g.id() != doc.id || doc.community != doc.id || g.body.created != doc.at {
                return Err(format!(
                    "genesis {} is labelled with another id or time",
                    doc.id
                ));
            }
            Ok(())
        }
        ENTRY => {
            let g = genesis.ok_or_else(|| {
                format!(
                    "entry {} is for community {}, whose genesis this node does not hold",
                    doc.id, doc.community
                )
            })?;
            let e: Entry = serde_json::from_str(&doc.document)
                .map_err(|e| format!("entry {}: not an entry: {e}", doc.id))?;
            let id = e
                .check(&g.id())
                .map_err(|e| format!("entry {}: {e}", doc.id))?;
            if id != doc.id || e.body.at != doc.at {
                return Err(format!(
                    "entry {} is labelled with another id or time",
                    doc.id
                ));
            }
            Ok(())
        }
        other => Err(format!("document {} has unknown kind {other:?}", doc.id)),
    }
}

/// The stored document of a genesis.
pub fn genesis_document(g: &Genesis) -> GovernanceDocument {
    GovernanceDocument {
        community: g.id(),
        id: g.id(),
        kind: GENESIS.into(),
        at: g.body.created.clone(),
        document: serde_json::to_string(g).unwrap_or_default(),
    }
}

/// The stored document of an entry.
pub fn entry_document(e: &Entry) -> GovernanceDocument {
    GovernanceDocument {
        community: e.body.community.clone(),
        id: e.id(),
        kind: ENTRY.into(),
        at: e.body.at.clone(),
        document: serde_json::to_string(e).unwrap_or_default(),
    }
}

/// Why [`publish`] stored nothing.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PublishError {
    /// No one community is named.
    #[error(transparent)]
    Unpicked(#[from] Unpicked),
    /// This node is not a member.
    #[error("{0}")]
    NotMember(String),
    /// The entry would not count; it was not stored.
    #[error("the entry would not count: {0}")]
    NotCounted(String),
    /// The stored genesis is invalid.
    #[error("the community's genesis: {0}")]
    Genesis(#[from] concord_community::EntryError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What [`publish`] stored.
#[derive(Debug, Clone)]
pub struct Published {
    /// The signed entry.
    pub entry: Entry,
    /// The community's state with it.
    pub state: Arc<State>,
}

/// Signs `content` now with the node's `key` as its member of the community `which`
/// names ([`Communities::pick`]) and stores it, when it counts in the state every member
/// will compute with it; an entry that would not count is not stored. The running
/// server replicates what is stored to the other members.
pub fn publish(
    store: &dyn Store,
    communities: &Communities,
    key: &concord_keys::NodeKey,
    which: Option<&str>,
    content: concord_community::Content,
) -> Result<Published, PublishError> {
    publish_with(store, communities, which, |state, at| {
        state.sign(key, at, content)
    })
}

/// Rotates this node's key from `old` to `new` in the community `which` names: the
/// rotation, signed by both keys now, ends `old` and starts `new` at `effective` (RFC
/// 3339 with milliseconds), and is stored as [`publish`] stores an entry.
pub fn publish_rotation(
    store: &dyn Store,
    communities: &Communities,
    old: &concord_keys::NodeKey,
    new: &concord_keys::NodeKey,
    which: Option<&str>,
    effective: &str,
) -> Result<Published, PublishError> {
    publish_with(store, communities, which, |state, at| {
        let public = old.public_hex();
        let member = state
            .members
            .values()
            .find(|m| m.keys.iter().any(|k| k.key == public))
            .ok_or_else(|| format!("this node is not a member of {}", state.name))?;
        Ok(Entry::rotate(
            &state.community,
            &member.info.node_id,
            old,
            new,
            at,
            effective,
        ))
    })
}

/// Signs an entry with `sign` (given the state and the time now) and stores it when it
/// counts.
fn publish_with(
    store: &dyn Store,
    communities: &Communities,
    which: Option<&str>,
    sign: impl FnOnce(&State, &str) -> Result<Entry, String>,
) -> Result<Published, PublishError> {
    let states = communities.states(store)?;
    let state = Communities::pick(&states, which)?;
    let at = concord_stix::Timestamp::now_millis();
    let entry = sign(&state, &at).map_err(PublishError::NotMember)?;
    let records = store.governance(Some(&state.community))?;
    let records: Vec<&GovernanceRecord> = records.iter().collect();
    let Some((genesis, mut entries)) = community_of(&records) else {
        return Err(Unpicked::NotHeld(state.community.clone()).into());
    };
    entries.push(entry.clone());
    let after = concord_community::Community::from_entries(&genesis, &entries)?;
    let id = entry.id();
    if let Some(r) = after.rejected.iter().find(|r| r.entry == id) {
        return Err(PublishError::NotCounted(r.reason.clone()));
    }
    store.put_governance(&[entry_document(&entry)], "", None)?;
    Ok(Published {
        entry,
        state: Arc::new(after),
    })
}

/// Why [`Communities::pick`] found no one community.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Unpicked {
    /// The node holds no community.
    #[error("this node holds no community")]
    NoneHeld,
    /// None held has that id, id prefix or name.
    #[error("this node holds no community {0:?}")]
    NotHeld(String),
    /// Several match.
    #[error("{0} communities match")]
    Ambiguous(usize),
}

/// The states of the communities held in a store, computed again only when the store
/// got new governance documents.
#[derive(Debug, Default)]
pub struct Communities {
    cache: Mutex<(i64, Vec<Arc<State>>)>,
}

impl Communities {
    /// The state of every community whose genesis the store holds.
    pub fn states(&self, store: &dyn Store) -> Result<Vec<Arc<State>>, StoreError> {
        let head = store.governance_head()?;
        {
            let cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
            if cache.0 == head {
                return Ok(cache.1.clone());
            }
        }
        let records = store.governance(None)?;
        let mut by_community: BTreeMap<&str, Vec<&GovernanceRecord>> = BTreeMap::new();
        for r in &records {
            by_community.entry(&r.doc.community).or_default().push(r);
        }
        let mut states = Vec::new();
        for (id, docs) in by_community {
            let Some((genesis, entries)) = community_of(&docs) else {
                continue;
            };
            match concord_community::Community::from_entries(&genesis, &entries) {
                Ok(s) => states.push(Arc::new(s)),
                Err(e) => tracing::warn!(community = %id, error = %e, "Stored genesis is invalid."),
            }
        }
        let mut cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
        *cache = (head, states.clone());
        Ok(states)
    }

    /// The held community named by `which` (its id, a prefix of it, or its name), or
    /// the only one held when `which` is `None`.
    pub fn pick(states: &[Arc<State>], which: Option<&str>) -> Result<Arc<State>, Unpicked> {
        let found: Vec<&Arc<State>> = states
            .iter()
            .filter(|s| {
                which.is_none_or(|w| s.community == w || s.community.starts_with(w) || s.name == w)
            })
            .collect();
        match (found.as_slice(), which) {
            ([one], _) => Ok(Arc::clone(one)),
            ([], None) => Err(Unpicked::NoneHeld),
            ([], Some(w)) => Err(Unpicked::NotHeld(w.to_owned())),
            (many, _) => Err(Unpicked::Ambiguous(many.len())),
        }
    }

    /// The genesis of each held community, by id.
    pub fn geneses(store: &dyn Store) -> Result<HashMap<String, Genesis>, StoreError> {
        Ok(store
            .governance(None)?
            .into_iter()
            .filter(|r| r.doc.kind == GENESIS)
            .filter_map(|r| Some((r.doc.id, serde_json::from_str(&r.doc.document).ok()?)))
            .collect())
    }

    /// Why a peer with `key` may not be served at `now` (RFC 3339 with milliseconds):
    /// its key revoked, rotated away (from the rotation's effective time) or not yet in
    /// force, its member expelled, or (for data, `data`) suspended, by a held community.
    pub fn barred(states: &[Arc<State>], key: &str, data: bool, now: &str) -> Option<String> {
        for s in states {
            let Some((m, period)) = s.key_owner(key) else {
                continue;
            };
            if let Some(since) = &period.revoked {
                return Some(format!(
                    "key {key} revoked by community {:?} from {since}",
                    s.name
                ));
            }
            if let Some(until) = period.until.as_deref().filter(|u| now >= *u) {
                return Some(format!(
                    "key {key} rotated away at {until} (community {:?})",
                    s.name
                ));
            }
            if now < period.from.as_str() {
                return Some(format!(
                    "key {key} takes effect at {} (community {:?})",
                    period.from, s.name
                ));
            }
            match m.status {
                Status::Expelled => {
                    return Some(format!("expelled from community {:?}", s.name));
                }
                Status::Suspended if data => {
                    return Some(format!("suspended by community {:?}", s.name));
                }
                _ => {}
            }
        }
        None
    }

    /// Communities in which `node_id` (as registered: its current key's node id, or its
    /// member id) is a member, active or suspended.
    pub fn member_of<'a>(states: &'a [Arc<State>], peer: &PeerRecord) -> Vec<&'a str> {
        states
            .iter()
            .filter(|s| {
                s.members.values().any(|m| {
                    m.status != Status::Expelled
                        && (m.info.node_id == peer.node_id
                            || m.keys.iter().any(|k| k.key == peer.public_key))
                })
            })
            .map(|s| s.community.as_str())
            .collect()
    }
}

/// Why a key may no longer vouch for what it signs from some time on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Retired {
    /// From when (RFC 3339): versions of that time or later signed by the key are refused.
    pub since: String,
    /// Revoked by a vote (what it signed before stays, flagged), or only rotated away.
    pub revoked: bool,
    /// The community's name.
    pub community: String,
}

/// Every key the held communities revoked or rotated away, with the time from which it
/// no longer signs (the earlier of the revocation and the rotation's effective time).
pub fn retired_keys(states: &[Arc<State>]) -> HashMap<String, Retired> {
    let mut out: HashMap<String, Retired> = HashMap::new();
    for s in states {
        for k in s.members.values().flat_map(|m| &m.keys) {
            let Some(since) = [&k.revoked, &k.until].into_iter().flatten().min() else {
                continue;
            };
            let entry = out.entry(k.key.clone()).or_insert_with(|| Retired {
                since: since.clone(),
                revoked: false,
                community: s.name.clone(),
            });
            if since < &entry.since {
                entry.since.clone_from(since);
                entry.community.clone_from(&s.name);
            }
            entry.revoked |= k.revoked.is_some();
        }
    }
    out
}

/// The keys the held communities bind to a member whose id is not their own: the keys a
/// member rotated to (key hex to member id). A node keeps its id when it rotates its key,
/// so a version it signs with its new key names the member id as its origin; this map
/// is what lets that signature vouch for that id. Only a rotation signed by the member's
/// key of the time and by the new key puts a key here (`concord_community`), and every
/// member's id is its first key's ([`concord_keys::node_id_of`]).
pub fn bound_keys(states: &[Arc<State>]) -> HashMap<String, String> {
    let mut out = HashMap::new();
    for s in states {
        for m in s.members.values() {
            for k in &m.keys {
                if node_id_of_hex(&k.key).is_ok_and(|id| id != m.info.node_id) {
                    out.insert(k.key.clone(), m.info.node_id.clone());
                }
            }
        }
    }
    out
}

/// The key the held communities give member `node_id` at `now`, if it is a member of
/// one: what a peer's requests and redactions are checked against from a rotation's
/// effective time, before [`reconcile`] updates its record.
pub fn member_key_at<'a>(states: &'a [Arc<State>], node_id: &str, now: &str) -> Option<&'a str> {
    states
        .iter()
        .filter_map(|s| s.members.get(node_id))
        .find_map(|m| m.key_at(now))
}

/// A revoked key that signed a held version before its revocation: the version is
/// kept, and its provenance shows this.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RevokedSigner {
    /// `origin` or `redactor`.
    pub role: &'static str,
    /// The key (hex).
    pub key: String,
    /// Revoked from.
    pub since: String,
    /// By the community named.
    pub community: String,
}

/// Whether a key that signed a version (its origin's, or its redactor's) was revoked by
/// a held community: what the provenance read paths show beside the version.
pub fn revoked_signer(
    states: &[Arc<State>],
    provenance: &concord_store::federation::Provenance,
) -> Option<RevokedSigner> {
    let signers = std::iter::once(("origin", &provenance.origin_key))
        .chain(provenance.redactor.as_ref().map(|r| ("redactor", &r.key)));
    for (role, key) in signers {
        for s in states {
            if let Some((_, k)) = s.key_owner(key)
                && let Some(since) = &k.revoked
            {
                return Some(RevokedSigner {
                    role,
                    key: key.clone(),
                    since: since.clone(),
                    community: s.name.clone(),
                });
            }
        }
    }
    None
}

/// Names and ids of the communities in which `peer` (by node id or key) is an active
/// member: what the policy's `communities` selector matches.
pub fn memberships(states: &[Arc<State>], peer: &PeerRecord) -> Vec<String> {
    let mut out = Vec::new();
    for s in states {
        let member = s.members.values().any(|m| {
            m.status == Status::Active
                && (m.info.node_id == peer.node_id
                    || m.keys.iter().any(|k| k.key == peer.public_key))
        });
        if member {
            out.push(s.name.clone());
            out.push(s.community.clone());
        }
    }
    out
}

pub use reconcile::{Me, Reconciled, reconcile};

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use concord_community::{Action, Charter, Content, GenesisBody, MemberInfo};
    use concord_keys::NodeKey;

    /// A community founded by `keys` on 2026-01-01 under the example charter.
    pub(crate) fn founded(keys: &[NodeKey]) -> Genesis {
        let mut g = Genesis::new(GenesisBody {
            name: "c".into(),
            charter: Charter::example(),
            founders: keys.iter().map(info).collect(),
            created: "2026-01-01T00:00:00.000Z".into(),
        });
        for k in keys {
            g.sign(k);
        }
        g
    }

    pub(crate) fn info(k: &NodeKey) -> MemberInfo {
        MemberInfo {
            node_id: k.node_id(),
            public_key: k.public_hex(),
            url: format!("http://127.0.0.1:1/{}", k.node_id()),
            organisation: "org".into(),
            country: Some("BE".into()),
            sectors: vec![],
        }
    }
    #[test]
    fn documents_are_checked_before_they_are_stored() {
        let k = NodeKey::from_seed([5; 32]);
        let mut g = Genesis::new(GenesisBody {
            name: "c".into(),
            charter: Charter::example(),
            founders: vec![info(&k)],
            created: "2026-01-01T00:00:00.000Z".into(),
        });
        g.sign(&k);
        check_document(&genesis_document(&g), None).unwrap();
        let mut unsigned = g.clone();
        unsigned.signatures.clear();
        let e = check_document(&genesis_document(&unsigned), None).unwrap_err();
        assert!(e.contains("has not signed"), "{e}");
        let entry = Entry::sign(
            &g.id(),
            &k,
            "2026-01-02T00:00:00.000Z",
            Content::Proposal {
                action: Action::Define {
                    name: "x".into(),
                    value: serde_json::json!(1),
                },
                note: String::new(),
            },
        );
        let doc = entry_document(&entry);
        check_document(&doc, Some(&g)).unwrap();
        assert!(
            check_document(&doc, None)
                .unwrap_err()
                .contains("does not hold")
        );
        let mut forged = doc.clone();
        forged.document = forged.document.replace("\"x\"", "\"y\"");
        assert!(check_document(&forged, Some(&g)).is_err());
        let mut relabelled = doc;
        relabelled.id = "entry--00".into();
        assert!(
            check_document(&relabelled, Some(&g))
                .unwrap_err()
                .contains("labelled")
        );
    }
}
