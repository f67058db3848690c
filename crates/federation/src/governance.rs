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

use concord_community::{Entry, Genesis, Member, State, Status};
use concord_keys::node_id_of_hex;
use concord_store::Store;
use concord_store::StoreError;
use concord_store::federation::PeerRecord;
use concord_store::governance::{ENTRY, GENESIS, GovernanceDocument, GovernanceRecord};
use serde::{Deserialize, Serialize};

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

/// What [`reconcile`] changed.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Reconciled {
    /// Peers added or updated (node ids).
    pub put: Vec<String>,
    /// Peers removed (node ids).
    pub removed: Vec<String>,
}

/// Who this node is in the communities: its node id (its member id, kept across
/// rotations) and its current public key (hex).
#[derive(Debug, Clone, Copy)]
pub struct Me<'a> {
    /// The node id of the node's key.
    pub node_id: &'a str,
    /// The node's public key (hex).
    pub key: &'a str,
}

impl Me<'_> {
    fn is(&self, m: &Member) -> bool {
        m.info.node_id == self.node_id || m.keys.iter().any(|k| k.key == self.key)
    }
}

/// Makes this node's peers follow the communities' decisions at `now` (RFC 3339 with
/// milliseconds; see the module docs). A member's peer record carries the key valid at
/// `now`: when a rotation takes effect, the record (named by the member id) takes the new
/// key and keeps its cursors, so that nothing is pulled twice or skipped.
pub fn reconcile(
    store: &dyn Store,
    me: Me<'_>,
    states: &[Arc<State>],
    now: &str,
) -> Result<Reconciled, StoreError> {
    let peers = store.peers()?;
    let refused: Vec<String> = store
        .local_refusals()?
        .into_iter()
        .map(|r| r.node_id)
        .collect();
    let mut want: BTreeMap<String, (PeerRecord, Vec<String>)> = BTreeMap::new();
    let mut drop: BTreeMap<String, String> = BTreeMap::new();
    for s in states {
        let my_status = s.members.values().find(|m| me.is(m)).map(|m| m.status);
        let taking_part = my_status != Some(Status::Expelled);
        for m in s.members.values() {
            if me.is(m) {
                continue;
            }
            let key = m
                .key_at(now)
                .or_else(|| m.latest_key())
                .unwrap_or_default()
                .to_owned();
            // A member keeps its id when it rotates its key: the record's key changes.
            let node_id = m.info.node_id.clone();
            let refused_here = refused.contains(&node_id)
                || m.keys
                    .iter()
                    .any(|k| node_id_of_hex(&k.key).is_ok_and(|id| refused.contains(&id)));
            let others: Vec<String> = m
                .keys
                .iter()
                .filter(|k| k.key != key)
                .map(|k| k.key.clone())
                .collect();
            if refused_here {
                for k in &m.keys {
                    drop.insert(k.key.clone(), "refused by this node".into());
                }
            } else if taking_part && m.status != Status::Expelled && !key.is_empty() {
                for k in &others {
                    drop.insert(k.clone(), "rotated away".into());
                }
                want.insert(
                    node_id.clone(),
                    (
                        PeerRecord {
                            node_id,
                            name: m.info.organisation.clone(),
                            url: m.info.url.clone(),
                            public_key: key,
                            country: m.info.country.clone(),
                            sectors: m.info.sectors.clone(),
                            ..PeerRecord::default()
                        },
                        others,
                    ),
                );
            } else {
                for k in &m.keys {
                    drop.insert(k.key.clone(), m.status.to_string());
                }
            }
        }
        for (k, _) in s.revoked_keys() {
            drop.insert(k.to_owned(), "revoked".into());
        }
    }
    let wanted: Vec<String> = want.values().map(|(w, _)| w.public_key.clone()).collect();
    let wanted_ids: Vec<String> = want.keys().cloned().collect();
    let mut done = Reconciled::default();
    for (id, (mut w, others)) in want {
        let existing = peers.iter().find(|p| p.node_id == id);
        // Records of the member under another id (made by an earlier version of this
        // code, which named a rotated member by its new key's id): replaced by this one.
        let elsewhere: Vec<&PeerRecord> = peers
            .iter()
            .filter(|p| {
                p.node_id != id && (p.public_key == w.public_key || others.contains(&p.public_key))
            })
            .collect();
        let unchanged = existing.is_some_and(|p| {
            p.url == w.url
                && p.public_key == w.public_key
                && p.country == w.country
                && p.sectors == w.sectors
        });
        if unchanged && elsewhere.is_empty() {
            continue;
        }
        if let Some(p) = existing.or(elsewhere.first().copied()) {
            w.name = p.name.clone();
            w.agreement = p.agreement.clone();
            w.insecure_http = p.insecure_http;
        }
        if existing.is_some_and(|p| p.public_key != w.public_key) {
            tracing::info!(peer = %id, "Community decision: the peer's key was rotated; it keeps its id and cursors.");
        }
        store.put_peer(&w)?;
        if existing.is_none()
            && let Some(p) = elsewhere.iter().max_by_key(|p| p.cursor)
        {
            // The same node under its member id: its change feed goes on where it was.
            store.ingest_received(me.node_id, &id, &[], &[], p.cursor, p.head)?;
            let governance = store.governance_cursor(&p.node_id)?;
            store.put_governance(&[], &id, Some(governance))?;
            tracing::info!(peer = %id, earlier = %p.node_id, cursor = p.cursor,
                "Community decision: the peer's record moved to its member id; its cursors carry over.");
        }
        for p in &elsewhere {
            store.remove_peer(&p.node_id)?;
            done.removed.push(p.node_id.clone());
        }
        tracing::info!(peer = %id, url = %w.url, "Community decision: peer added or updated.");
        done.put.push(id);
    }
    for p in &peers {
        if let Some(why) = drop.get(&p.public_key)
            && !wanted.contains(&p.public_key)
            && !wanted_ids.contains(&p.node_id)
            && !done.removed.contains(&p.node_id)
        {
            store.remove_peer(&p.node_id)?;
            tracing::info!(peer = %p.node_id, reason = %why, "Community decision: peer removed.");
            done.removed.push(p.node_id.clone());
        }
    }
    Ok(done)
}

#[cfg(test)]
mod tests {
    use super::*;
    use concord_community::{Action, Charter, Choice, Content, GenesisBody, MemberInfo};
    use concord_keys::NodeKey;
    use concord_store::federation::FederationStore;
    use concord_store::governance::GovernanceStore;
    use concord_store::sqlite::SqliteStore;

    const NOW: &str = "2026-06-01T00:00:00.000Z";

    fn info(k: &NodeKey) -> MemberInfo {
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
    fn decisions_become_peers_and_refusals() {
        let keys: Vec<NodeKey> = (1..=3).map(|i| NodeKey::from_seed([i; 32])).collect();
        let mut g = Genesis::new(GenesisBody {
            name: "c".into(),
            charter: Charter::example(),
            founders: keys.iter().map(info).collect(),
            created: "2026-01-01T00:00:00.000Z".into(),
        });
        for k in &keys {
            g.sign(k);
        }
        let store = SqliteStore::open_in_memory().unwrap();
        let (my_id, my_key) = (keys[0].node_id(), keys[0].public_hex());
        let me = Me {
            node_id: &my_id,
            key: &my_key,
        };
        store
            .put_governance(&[genesis_document(&g)], "", None)
            .unwrap();
        let communities = Communities::default();
        let states = communities.states(&store).unwrap();
        let done = reconcile(&store, me, &states, NOW).unwrap();
        assert_eq!(done.put.len(), 2);
        let peer2 = store
            .peers()
            .unwrap()
            .into_iter()
            .find(|p| p.node_id == keys[2].node_id())
            .unwrap();
        assert_eq!(memberships(&states, &peer2), vec!["c".to_owned(), g.id()]);
        assert!(reconcile(&store, me, &states, NOW).unwrap().put.is_empty());
        // A member refused locally is no peer here until the refusal is lifted.
        store
            .set_local_refusal(&keys[2].node_id(), Some("not yet"))
            .unwrap();
        let done = reconcile(&store, me, &states, NOW).unwrap();
        assert_eq!(done.removed, vec![keys[2].node_id()]);
        assert!(reconcile(&store, me, &states, NOW).unwrap().put.is_empty());
        store.set_local_refusal(&keys[2].node_id(), None).unwrap();
        assert_eq!(
            reconcile(&store, me, &states, NOW).unwrap().put,
            vec![keys[2].node_id()]
        );
        // An operator's name and agreement stay.
        let mut p = store.peers().unwrap()[0].clone();
        p.name = "named by hand".into();
        p.agreement = Some("strict".into());
        store.put_peer(&p).unwrap();

        // Suspending keys[2]: still a peer (governance flows), refused data.
        let suspend = Entry::sign(
            &g.id(),
            &keys[0],
            "2026-01-02T00:00:00.000Z",
            Content::Proposal {
                action: Action::Suspend {
                    member: keys[2].node_id(),
                },
                note: String::new(),
            },
        );
        let yes = Entry::sign(
            &g.id(),
            &keys[1],
            "2026-01-02T00:01:00.000Z",
            Content::Vote {
                proposal: suspend.id(),
                choice: Choice::Yes,
            },
        );
        store
            .put_governance(&[entry_document(&suspend), entry_document(&yes)], "", None)
            .unwrap();
        let states = communities.states(&store).unwrap();
        reconcile(&store, me, &states, NOW).unwrap();
        assert_eq!(store.peers().unwrap().len(), 2);
        let why = Communities::barred(&states, &keys[2].public_hex(), true, NOW).unwrap();
        assert!(why.contains("suspended"), "{why}");
        assert!(
            memberships(&states, &peer2).is_empty(),
            "suspended is not active"
        );
        assert_eq!(
            Communities::barred(&states, &keys[2].public_hex(), false, NOW),
            None
        );
        assert_eq!(
            Communities::barred(&states, &keys[1].public_hex(), true, NOW),
            None
        );
        let kept = store
            .peers()
            .unwrap()
            .into_iter()
            .find(|q| q.node_id == p.node_id)
            .unwrap();
        assert_eq!(
            (kept.name.as_str(), kept.agreement.as_deref()),
            ("named by hand", Some("strict"))
        );

        // Revoking keys[1]'s key: refused everywhere and dropped.
        let revoke = Entry::sign(
            &g.id(),
            &keys[0],
            "2026-01-03T00:00:00.000Z",
            Content::Proposal {
                action: Action::RevokeKey {
                    member: keys[1].node_id(),
                    key: keys[1].public_hex(),
                    since: "2026-01-02T12:00:00.000Z".into(),
                    replacement: None,
                },
                note: String::new(),
            },
        );
        store
            .put_governance(&[entry_document(&revoke)], "", None)
            .unwrap();
        // One yes of the one entitled active member (keys[0]) is the threshold.
        let states = communities.states(&store).unwrap();
        let why = Communities::barred(&states, &keys[1].public_hex(), false, NOW).unwrap();
        assert!(why.contains("revoked"), "{why}");
        let done = reconcile(&store, me, &states, NOW).unwrap();
        assert_eq!(done.removed, vec![keys[1].node_id()]);
    }

    #[test]
    fn a_rotation_gives_the_peer_its_new_key_at_its_effective_time() {
        let keys: Vec<NodeKey> = (1..=2).map(|i| NodeKey::from_seed([i; 32])).collect();
        let mut g = Genesis::new(GenesisBody {
            name: "c".into(),
            charter: Charter::example(),
            founders: keys.iter().map(info).collect(),
            created: "2026-01-01T00:00:00.000Z".into(),
        });
        for k in &keys {
            g.sign(k);
        }
        let store = SqliteStore::open_in_memory().unwrap();
        let (my_id, my_key) = (keys[0].node_id(), keys[0].public_hex());
        let me = Me {
            node_id: &my_id,
            key: &my_key,
        };
        store
            .put_governance(&[genesis_document(&g)], "", None)
            .unwrap();
        let communities = Communities::default();
        let states = communities.states(&store).unwrap();
        reconcile(&store, me, &states, NOW).unwrap();
        let old = keys[1].node_id();
        // Pulled up to 7 of its changes and 3 of its governance documents.
        store.ingest_received(&my_id, &old, &[], &[], 7, 9).unwrap();
        store.put_governance(&[], &old, Some(3)).unwrap();

        let new = NodeKey::from_seed([9; 32]);
        let effective = "2026-06-02T00:00:00.000Z";
        let rotation = Entry::rotate(
            &g.id(),
            &old,
            &keys[1],
            &new,
            "2026-06-01T12:00:00.000Z",
            effective,
        );
        store
            .put_governance(&[entry_document(&rotation)], "", None)
            .unwrap();
        let states = communities.states(&store).unwrap();
        let before = "2026-06-01T23:59:59.999Z";
        // Until the effective time the old key is the peer's; the new one is not yet.
        assert!(
            reconcile(&store, me, &states, before)
                .unwrap()
                .put
                .is_empty()
        );
        assert_eq!(store.peers().unwrap()[0].node_id, old);
        assert_eq!(
            Communities::barred(&states, &keys[1].public_hex(), true, before),
            None
        );
        let why = Communities::barred(&states, &new.public_hex(), true, before).unwrap();
        assert!(why.contains("takes effect"), "{why}");
        // From then on the member's record carries the new key, with its id and cursors.
        let done = reconcile(&store, me, &states, effective).unwrap();
        assert_eq!(done.put, vec![old.clone()]);
        assert!(done.removed.is_empty());
        let peers = store.peers().unwrap();
        assert_eq!(peers.len(), 1);
        assert_eq!(
            (
                peers[0].node_id.as_str(),
                peers[0].public_key.as_str(),
                peers[0].cursor
            ),
            (old.as_str(), new.public_hex().as_str(), 7)
        );
        assert_eq!(store.governance_cursor(&old).unwrap(), 3);
        let why = Communities::barred(&states, &keys[1].public_hex(), false, effective).unwrap();
        assert!(why.contains("rotated away"), "{why}");
        assert_eq!(
            Communities::barred(&states, &new.public_hex(), true, effective),
            None
        );
        let retired = retired_keys(&states);
        assert_eq!(retired[&keys[1].public_hex()].since, effective);
        assert!(!retired[&keys[1].public_hex()].revoked);
        assert!(reconcile(&store, me, &states, effective).unwrap() == Reconciled::default());

        // The rotated node, which keeps its id, is no peer of its own.
        let new_key = new.public_hex();
        let rotated = Me {
            node_id: &old,
            key: &new_key,
        };
        let other = SqliteStore::open_in_memory().unwrap();
        other
            .put_governance(&[genesis_document(&g), entry_document(&rotation)], "", None)
            .unwrap();
        let done = reconcile(&other, rotated, &states, effective).unwrap();
        assert_eq!(done.put, vec![keys[0].node_id()]);

        // A record an earlier version made under the new key's own id moves to the member
        // id with its cursors.
        let upgraded = SqliteStore::open_in_memory().unwrap();
        upgraded
            .put_governance(&[genesis_document(&g), entry_document(&rotation)], "", None)
            .unwrap();
        upgraded
            .put_peer(&PeerRecord {
                node_id: new.node_id(),
                name: "B, renamed here".into(),
                url: keys[1].node_id(),
                public_key: new.public_hex(),
                ..PeerRecord::default()
            })
            .unwrap();
        upgraded
            .ingest_received(&my_id, &new.node_id(), &[], &[], 11, 12)
            .unwrap();
        let done = reconcile(&upgraded, me, &states, effective).unwrap();
        assert_eq!(done.put, vec![old.clone()]);
        assert_eq!(done.removed, vec![new.node_id()]);
        let peers = upgraded.peers().unwrap();
        assert_eq!(peers.len(), 1);
        assert_eq!(
            (
                peers[0].node_id.as_str(),
                peers[0].name.as_str(),
                peers[0].cursor
            ),
            (old.as_str(), "B, renamed here", 11)
        );
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
