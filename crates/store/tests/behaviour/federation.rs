//! Peers and their state, versions received from peers (origin rules, provenance,
//! cursors), this node's own signatures, the audit log's hash chain.

use concord_store::federation::{
    AUDIT_GENESIS, AuditEntry, PeerRecord, Provenance, Redactor, Refusal, audit_hash,
};
use concord_store::{Limits, Outcome};
use serde_json::json;

use super::{Open, id_of, indicator, object, put, with};

fn peer(node_id: &str, name: &str) -> PeerRecord {
    PeerRecord {
        node_id: node_id.into(),
        name: name.into(),
        url: format!("https://{name}.example"),
        public_key: "ab".repeat(32),
        country: Some("FR".into()),
        sectors: vec!["energy".into()],
        ..PeerRecord::default()
    }
}

fn provenance(origin: &str, from: &str) -> Provenance {
    Provenance {
        origin: origin.into(),
        origin_key: "cd".repeat(32),
        signature: "sig".into(),
        received_from: from.into(),
        hops_left: 2,
        redactor: None,
    }
}

pub fn peers_and_their_state(o: Open) {
    let Some(store) = o(Limits::default()) else {
        return;
    };
    store.put_peer(&peer("node-b", "bravo")).unwrap();
    store.put_peer(&peer("node-a", "alpha")).unwrap();
    let peers = store.peers().unwrap();
    assert_eq!(
        peers.iter().map(|p| p.name.as_str()).collect::<Vec<_>>(),
        ["alpha", "bravo"]
    );
    assert_eq!(peers[0].sectors, ["energy"]);
    assert!(!peers[0].added.is_empty());
    store.peer_failed("node-a", "connection refused").unwrap();
    store.peer_live("node-a", true).unwrap();
    store.peer_refused("node-a", 3, "bad signature").unwrap();
    let a = store.peers().unwrap().remove(0);
    assert_eq!(a.last_error.as_deref(), Some("bad signature"));
    assert_eq!(
        (a.refused, a.last_refusal.as_deref()),
        (3, Some("bad signature"))
    );
    assert!(a.live_since.is_some());
    store.peer_synced("node-a", 42).unwrap();
    store.peer_live("node-a", false).unwrap();
    let a = store.peers().unwrap().remove(0);
    assert_eq!((a.head, a.last_error, a.live_since), (42, None, None));
    assert!(a.last_sync.is_some());
    // An update keeps the cursor and counters.
    let mut renamed = peer("node-a", "alpha2");
    renamed.insecure_http = true;
    store.put_peer(&renamed).unwrap();
    let a = store.peers().unwrap().remove(0);
    assert_eq!(
        (a.name.as_str(), a.insecure_http, a.refused),
        ("alpha2", true, 3)
    );
    assert!(store.remove_peer("node-a").unwrap());
    assert!(!store.remove_peer("node-a").unwrap());
    assert_eq!(store.peers().unwrap().len(), 1);
}

pub fn received_versions_pass_the_origin_rules(o: Open) {
    let Some(store) = o(Limits::default()) else {
        return;
    };
    store.put_peer(&peer("node-a", "alpha")).unwrap();
    let v1 = indicator("shared", "[ipv4-addr:value = '203.0.113.5']");
    let v2 = with(v1.clone(), json!({"modified": "2026-02-01T00:00:00.000Z"}));
    let v3 = with(v1.clone(), json!({"modified": "2026-03-01T00:00:00.000Z"}));
    let mine = indicator("mine", "[ipv4-addr:value = '203.0.113.6']");
    put(store.as_ref(), &[mine.clone()]);
    let mine2 = with(
        mine.clone(),
        json!({"modified": "2026-02-01T00:00:00.000Z"}),
    );
    let mut redacted = provenance("origin-x", "node-a");
    redacted.redactor = Some(Redactor {
        node: "node-a".into(),
        key: "ef".repeat(32),
        signature: "rsig".into(),
    });
    let results = store
        .ingest_received(
            "me",
            "node-a",
            &[object(&v1), object(&v2), object(&mine2)],
            &[
                provenance("origin-x", "node-a"),
                redacted.clone(),
                provenance("origin-x", "node-a"),
            ],
            5,
            9,
        )
        .unwrap();
    assert_eq!(results[0], Ok(Outcome::New));
    assert_eq!(results[1], Ok(Outcome::NewVersion));
    assert!(
        matches!(results[2], Err(Refusal::OwnObject { .. })),
        "{:?}",
        results[2]
    );
    let a = store.peers().unwrap().remove(0);
    assert_eq!((a.cursor, a.head, a.received), (5, 9, 2));
    let version = "2026-02-01T00:00:00.000Z";
    assert_eq!(
        store.provenance(&id_of(&v1), version).unwrap(),
        Some(redacted)
    );
    // The origin never changes; a version already held passes.
    let results = store
        .ingest_received(
            "me",
            "node-a",
            &[object(&v3), object(&v1)],
            &[
                provenance("origin-y", "node-a"),
                provenance("origin-y", "node-a"),
            ],
            4,
            9,
        )
        .unwrap();
    assert!(
        matches!(results[0], Err(Refusal::OriginChanged { .. })),
        "{:?}",
        results[0]
    );
    assert_eq!(results[1], Ok(Outcome::Unchanged));
    let a = store.peers().unwrap().remove(0);
    assert_eq!(a.cursor, 5, "the cursor never goes back");
    assert_eq!(store.versions(&id_of(&v1)).unwrap().len(), 2);
}

pub fn local_signatures_and_provenance(o: Open) {
    let Some(store) = o(Limits::default()) else {
        return;
    };
    let a = indicator("a", "[ipv4-addr:value = '203.0.113.7']");
    let b = indicator("b", "[ipv4-addr:value = '203.0.113.8']");
    put(store.as_ref(), &[a.clone(), b.clone()]);
    let unsigned = store.unsigned_local(0, 10).unwrap();
    assert_eq!(unsigned.len(), 2);
    assert_eq!(unsigned[0].1, id_of(&a));
    assert_eq!(unsigned[0].2, super::T0);
    assert_eq!(unsigned[0].3, store.get(&id_of(&a)).unwrap().unwrap().json);
    let mut own = provenance("me", "");
    own.hops_left = 3;
    store
        .put_local_signatures(&[(id_of(&a), super::T0.to_owned(), own.clone())])
        .unwrap();
    let left = store.unsigned_local(0, 10).unwrap();
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].1, id_of(&b));
    assert_eq!(store.unsigned_local(left[0].0, 10).unwrap().len(), 0);
    let between = store
        .provenance_between(0, store.head_seq().unwrap())
        .unwrap();
    assert_eq!(between.len(), 1);
    let (seq, p) = between.into_iter().next().unwrap();
    assert_eq!(seq, unsigned[0].0);
    assert!(p.is_local());
    assert_eq!(p, own);
    // A version that has a provenance keeps it.
    store
        .put_local_signatures(&[(id_of(&a), super::T0.to_owned(), provenance("other", ""))])
        .unwrap();
    assert_eq!(store.provenance(&id_of(&a), super::T0).unwrap(), Some(own));
}

fn entry(peer: &str, verdict: &str, n: usize) -> AuditEntry {
    AuditEntry {
        peer: peer.into(),
        object_id: format!("indicator--00000000-0000-4000-8000-{n:012}"),
        version: super::T0.into(),
        verdict: verdict.into(),
        agreement: n.is_multiple_of(2).then(|| "mou".to_owned()),
        reasons: json!([{"rule": "tlp", "effect": verdict, "message": format!("entry {n}")}]),
    }
}

pub fn the_audit_log_is_one_hash_chain(o: Open) {
    let Some(store) = o(Limits::default()) else {
        return;
    };
    store
        .append_audit(&[entry("node-a", "send", 1), entry("node-b", "withhold", 2)])
        .unwrap();
    store
        .append_audit(&[
            entry("node-a", "send-redacted", 3),
            entry("node-a", "withhold", 4),
        ])
        .unwrap();
    store.append_audit(&[]).unwrap();
    let all = store.audit(None, 0, 100).unwrap();
    assert_eq!(all.iter().map(|r| r.n).collect::<Vec<_>>(), [1, 2, 3, 4]);
    let mut prev = AUDIT_GENESIS.to_owned();
    for r in &all {
        assert_eq!(r.prev, prev);
        assert_eq!(r.hash, audit_hash(&r.prev, r.n, &r.at, &r.entry));
        prev.clone_from(&r.hash);
    }
    assert_eq!(all[2].entry, entry("node-a", "send-redacted", 3));
    let a: Vec<i64> = store
        .audit(Some("node-a"), 1, 100)
        .unwrap()
        .iter()
        .map(|r| r.n)
        .collect();
    assert_eq!(a, [3, 4]);
    assert_eq!(store.audit(None, 0, 2).unwrap().len(), 2);
    assert_eq!(
        store
            .audit_sent_since("node-a", "2000-01-01T00:00:00.000Z")
            .unwrap(),
        2
    );
    assert_eq!(
        store
            .audit_sent_since("node-a", "2999-01-01T00:00:00.000Z")
            .unwrap(),
        0
    );
}
