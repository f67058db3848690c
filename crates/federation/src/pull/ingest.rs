//! Storing what a peer sent: a change page's envelopes verified, validated and stored with
//! the cursor ([`ingest_page`]), and governance documents checked before storage
//! ([`ingest_governance`]).

use std::collections::HashMap;

use concord_store::Store;
use concord_store::federation::PeerRecord;

use super::PullError;
use crate::envelope::Envelope;

/// What storing one page did.
#[derive(Debug, Default)]
pub(super) struct PagePart {
    pub(super) stored: usize,
    pub(super) unchanged: usize,
    pub(super) rejected: usize,
    pub(super) first_rejection: Option<String>,
}

fn object_id(env: &Envelope) -> String {
    env.object
        .get("id")
        .and_then(|v| v.as_str())
        .unwrap_or("(no id)")
        .to_owned()
}

/// What the held communities say about the keys that sign versions.
#[derive(Debug, Default)]
pub(super) struct Signers {
    /// Keys revoked or rotated away (`governance::retired_keys`).
    pub(super) retired: HashMap<String, crate::governance::Retired>,
    /// Keys members rotated to, with the member id they sign for
    /// (`governance::bound_keys`).
    pub(super) bound: HashMap<String, String>,
    /// The key the communities give the sending peer now, when it is a member (a
    /// rotation in effect before its record caught up): a redaction signed with it, or
    /// with the record's key, is the peer's.
    pub(super) peer_key_now: Option<String>,
}

/// Why an envelope's origin or redactor key may not vouch for it: a community revoked
/// the key, or its member rotated it away, from a time at or before the version's
/// `modified` (or `created`).
fn retired_signer(
    env: &Envelope,
    retired: &HashMap<String, crate::governance::Retired>,
) -> Option<String> {
    if retired.is_empty() {
        return None;
    }
    let version = crate::outbound::version_of(&env.object);
    let signers = std::iter::once(("origin", &env.origin, &env.origin_key))
        .chain(env.redactor.as_ref().map(|r| ("redactor", &r.node, &r.key)));
    for (role, node, key) in signers {
        if let Some(r) = retired.get(key)
            && concord_store::date_added::compare(version, &r.since).is_ge()
        {
            let what = if r.revoked { "revoked" } else { "rotated away" };
            return Some(format!(
                "the key of {role} {node} was {what} by community {:?} from {}, \
                 before this version ({version})",
                r.community, r.since
            ));
        }
    }
    None
}

/// Verifies and validates a page's envelopes and stores the good ones with the cursor.
/// An envelope is refused (nothing of it stored) when its redactor is not the sending
/// peer, when the signature that must cover the object does not verify, when the key
/// that signed it was revoked or rotated away before the version's time, when the object
/// is invalid, or when the origin rules refuse it (`concord_store::federation::check_origin`,
/// applied by the store in the writing transaction).
pub(super) fn ingest_page(
    store: &dyn Store,
    me: &str,
    peer: &PeerRecord,
    changes: Vec<Envelope>,
    next: i64,
    head: i64,
    signers: &Signers,
) -> Result<PagePart, PullError> {
    let mut part = PagePart::default();
    let mut keys = HashMap::new();
    // The node's own limits (pattern size) apply to what peers send as to local writes.
    let limits = store.limits();
    // Each object is validated first (the import path's rules; this also makes its RFC
    // 8785 form), then the signature that must cover it is checked over that form.
    let mut candidates = Vec::with_capacity(changes.len());
    let reject = |part: &mut PagePart, reason: String| {
        tracing::warn!(peer = %peer.node_id, reason = %reason, "Refused an object version from a peer.");
        part.rejected += 1;
        if part.first_rejection.is_none() {
            part.first_rejection = Some(reason);
        }
    };
    for mut env in changes {
        let id = object_id(&env);
        if let Some(reason) = retired_signer(&env, &signers.retired) {
            reject(&mut part, format!("{id}: {reason}"));
            continue;
        }
        let checked = env
            .check_redactor(&peer.node_id, &peer.public_key)
            .or_else(|e| match &signers.peer_key_now {
                Some(now) => env.check_redactor(&peer.node_id, now),
                None => Err(e),
            })
            .and_then(|()| env.signer(&mut keys, &signers.bound));
        let (key, sig) = match checked {
            Ok(ks) => ks,
            Err(reason) => {
                reject(&mut part, format!("{id}: {reason}"));
                continue;
            }
        };
        match concord_store::import::validate_with(std::mem::take(&mut env.object), &limits) {
            Ok(obj) => candidates.push((env, obj, key, sig)),
            Err(e) => reject(&mut part, format!("{id}: {e}")),
        }
    }
    // Signatures are checked in batches (about twice as fast as one by one); a batch
    // that fails is checked one by one to find the bad ones.
    let mut verified = vec![false; candidates.len()];
    for (chunk_no, chunk) in candidates.chunks(256).enumerate() {
        let msgs: Vec<&[u8]> = chunk
            .iter()
            .map(|c| c.1.canonical_str().as_bytes())
            .collect();
        let sigs: Vec<ed25519_dalek::Signature> = chunk.iter().map(|c| c.3).collect();
        let pks: Vec<ed25519_dalek::VerifyingKey> = chunk.iter().map(|c| c.2).collect();
        let all_good = ed25519_dalek::verify_batch(&msgs, &sigs, &pks).is_ok();
        for (i, c) in chunk.iter().enumerate() {
            verified[chunk_no * 256 + i] = all_good
                || c.2
                    .verify_strict(c.1.canonical_str().as_bytes(), &c.3)
                    .is_ok();
        }
    }
    let mut objects = Vec::with_capacity(candidates.len());
    let mut provenance = Vec::with_capacity(candidates.len());
    for ((env, obj, ..), ok) in candidates.into_iter().zip(verified) {
        if !ok {
            let who = match &env.redactor {
                Some(r) => format!("redactor {}", r.node),
                None => format!("origin {}", env.origin),
            };
            reject(
                &mut part,
                format!("{}: signature of {who} does not verify", obj.id()),
            );
            continue;
        }
        provenance.push(env.provenance(&peer.node_id));
        objects.push(obj);
    }
    let outcomes = store.ingest_received(me, &peer.node_id, &objects, &provenance, next, head)?;
    for o in outcomes {
        match o {
            Ok(concord_store::Outcome::New | concord_store::Outcome::NewVersion) => {
                part.stored += 1;
            }
            Ok(_) => part.unchanged += 1,
            Err(refusal) => reject(&mut part, refusal.to_string()),
        }
    }
    Ok(part)
}

/// Checks and stores a page of governance documents from `peer` with its governance
/// cursor. A document is refused (logged, not stored) when it does not check
/// ([`crate::governance::check_document`]) or is the genesis of a community this node
/// neither holds nor founded. Returns how many were new.
pub(super) fn ingest_governance(
    store: &dyn Store,
    me: &str,
    peer: &str,
    documents: Vec<crate::governance::PagedDocument>,
    next: i64,
) -> Result<usize, PullError> {
    let mut geneses = crate::governance::Communities::geneses(store)?;
    let mut good = Vec::with_capacity(documents.len());
    for d in documents {
        let doc = d.doc;
        let held = geneses.get(&doc.community);
        let checked = crate::governance::check_document(&doc, held).and_then(|()| {
            if doc.kind != concord_store::governance::GENESIS || held.is_some() {
                return Ok(None);
            }
            let g: concord_community::Genesis =
                serde_json::from_str(&doc.document).map_err(|e| e.to_string())?;
            if g.body.founders.iter().any(|f| f.node_id == me) {
                Ok(Some(g))
            } else {
                Err(format!(
                    "genesis {} is of a community this node neither joined nor founded",
                    doc.id
                ))
            }
        });
        match checked {
            Ok(genesis) => {
                if let Some(g) = genesis {
                    geneses.insert(g.id(), g);
                }
                good.push(doc);
            }
            Err(reason) => {
                tracing::warn!(peer = %peer, reason = %reason, "Refused a governance document.");
            }
        }
    }
    Ok(store.put_governance(&good, peer, Some(next))?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identity::NodeKey;

    #[test]
    fn versions_signed_by_a_revoked_key_after_its_revocation_are_refused() {
        let key = NodeKey::from_seed([8; 32]);
        let object = serde_json::json!({
            "type": "indicator", "spec_version": "2.1",
            "id": "indicator--00000000-0000-4000-8000-000000000008",
            "created": "2026-01-01T00:00:00.000Z", "modified": "2026-02-01T00:00:00.000Z",
            "pattern": "[ipv4-addr:value = '203.0.113.8']", "pattern_type": "stix",
            "valid_from": "2026-01-01T00:00:00Z"
        });
        let env = Envelope::originate(&key, 1, object, 3);
        let retired = |since: &str, revoked: bool| {
            HashMap::from([(
                key.public_hex(),
                crate::governance::Retired {
                    since: since.to_owned(),
                    revoked,
                    community: "c".into(),
                },
            )])
        };
        assert_eq!(retired_signer(&env, &HashMap::new()), None);
        let why = retired_signer(&env, &retired("2026-01-15T00:00:00.000Z", true)).unwrap();
        assert!(why.contains("was revoked by community"), "{why}");
        assert!(retired_signer(&env, &retired("2026-02-01T00:00:00.000Z", true)).is_some());
        assert_eq!(
            retired_signer(&env, &retired("2026-03-01T00:00:00.000Z", true)),
            None
        );
        // A key rotated away signs nothing after the rotation's effective time.
        let why = retired_signer(&env, &retired("2026-01-15T00:00:00.000Z", false)).unwrap();
        assert!(why.contains("rotated away"), "{why}");
        assert_eq!(
            retired_signer(&env, &retired("2026-03-01T00:00:00.000Z", false)),
            None
        );
    }

    #[test]
    fn a_rotated_peer_redacts_and_originates_under_its_id_with_its_new_key() {
        use concord_store::federation::FederationStore as _;
        let store = concord_store::sqlite::SqliteStore::open_in_memory().unwrap();
        let me = NodeKey::from_seed([1; 32]).node_id();
        let origin = NodeKey::from_seed([2; 32]);
        let first = NodeKey::from_seed([3; 32]);
        let id = first.node_id();
        // The peer after its rotation: its new key under the id its first key gave it.
        let rotated = NodeKey::from_seed([4; 32]).with_node_id(id.clone());
        let peer = PeerRecord {
            node_id: id.clone(),
            public_key: first.public_hex(),
            ..PeerRecord::default()
        };
        store.put_peer(&peer).unwrap();
        let object = |n: u32| {
            serde_json::json!({
                "type": "indicator", "spec_version": "2.1",
                "id": format!("indicator--00000000-0000-4000-8000-{n:012}"),
                "created": "2026-01-01T00:00:00.000Z", "modified": "2026-02-01T00:00:00.000Z",
                "pattern": format!("[ipv4-addr:value = '203.0.113.{n}']"), "pattern_type": "stix",
                "valid_from": "2026-01-01T00:00:00Z"
            })
        };
        // One object the peer redacted (another node's), one it created itself.
        let prov = Envelope::originate(&origin, 1, object(1), 3).provenance(&origin.node_id());
        let redacted = Envelope::forward(&rotated, 1, object(1), &prov, 2, true);
        let own = Envelope::originate(&rotated, 2, object(2), 3);
        let page = || vec![redacted.clone(), own.clone()];

        // Before the record or this node's communities know the new key: both refused.
        let part = ingest_page(&store, &me, &peer, page(), 2, 2, &Signers::default()).unwrap();
        assert_eq!((part.stored, part.rejected), (0, 2));
        let first_rejection = part.first_rejection.unwrap();
        assert!(
            first_rejection.contains("is not the sending peer"),
            "{first_rejection}"
        );

        // With the rotation in a held community's log: the key is the peer's now and is
        // bound to its id.
        let signers = Signers {
            bound: HashMap::from([(rotated.public_hex(), id.clone())]),
            peer_key_now: Some(rotated.public_hex()),
            ..Signers::default()
        };
        let part = ingest_page(&store, &me, &peer, page(), 4, 4, &signers).unwrap();
        assert_eq!(
            (part.stored, part.rejected),
            (2, 0),
            "{:?}",
            part.first_rejection
        );
    }
}
