//! [`reconcile`]: this node's peers made to follow the communities' decisions (see the
//! parent module's docs).

use std::collections::BTreeMap;
use std::sync::Arc;

use concord_community::{Member, State, Status};
use concord_keys::node_id_of_hex;
use concord_store::Store;
use concord_store::StoreError;
use concord_store::federation::PeerRecord;

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
    use crate::governance::{
        Communities, entry_document, genesis_document, memberships, retired_keys,
    };
    use concord_community::{Action, Choice, Content, Entry};
    use concord_keys::NodeKey;
    use concord_store::federation::FederationStore;
    use concord_store::governance::GovernanceStore;
    use concord_store::sqlite::SqliteStore;

    const NOW: &str = "2026-06-01T00:00:00.000Z";

    use crate::governance::tests::founded;

    /// `n` members' keys, the community they found, and a store holding its genesis (the
    /// node of the first key).
    fn held(n: u8) -> (Vec<NodeKey>, concord_community::Genesis, SqliteStore) {
        let keys: Vec<NodeKey> = (1..=n).map(|i| NodeKey::from_seed([i; 32])).collect();
        let g = founded(&keys);
        let store = SqliteStore::open_in_memory().unwrap();
        store
            .put_governance(&[genesis_document(&g)], "", None)
            .unwrap();
        (keys, g, store)
    }

    #[test]
    fn decisions_become_peers_and_refusals() {
        let (keys, g, store) = held(3);
        let (my_id, my_key) = (keys[0].node_id(), keys[0].public_hex());
        let me = Me {
            node_id: &my_id,
            key: &my_key,
        };
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
        let (keys, g, store) = held(2);
        let (my_id, my_key) = (keys[0].node_id(), keys[0].public_hex());
        let me = Me {
            node_id: &my_id,
            key: &my_key,
        };
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
}
