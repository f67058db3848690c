//! A community end to end on loopback: three nodes found it and find each other without
//! `peer add`; a fourth is admitted by two sponsors and the threshold, and then syncs
//! with all of them; its key is revoked and its requests are refused.

use std::sync::Arc;
use std::time::Duration;

use concord_community::{
    Action, Charter, Choice, Community, Content, Entry, Genesis, GenesisBody, MemberInfo, State,
};
use concord_federation::governance::{entry_document, genesis_document};
use concord_federation::identity::NodeKey;
use concord_federation::pull::{PullConfig, PullError, Puller};
use concord_federation::server::{FederationConfig, FederationState, router};
use concord_stix::Timestamp;
use concord_store::Store;
use concord_store::federation::PeerRecord;
use concord_store::import::import_values;
use concord_store::sqlite::SqliteStore;

struct Node {
    _dir: tempfile::TempDir,
    store: Arc<dyn Store>,
    key: NodeKey,
    url: String,
}

impl Node {
    /// A node serving federation on loopback with its puller running.
    async fn start(seed: u8) -> Node {
        let dir = tempfile::tempdir().unwrap();
        let store: Arc<dyn Store> = Arc::new(SqliteStore::open(&dir.path().join("db")).unwrap());
        let key = NodeKey::from_seed([seed; 32]);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let state = FederationState::new(
            store.clone(),
            key.clone(),
            FederationConfig {
                name: format!("node {seed}"),
                url: url.clone(),
                ..Default::default()
            },
        )
        .unwrap();
        tokio::spawn(async move { axum::serve(listener, router(state)).await });
        let puller = Arc::new(Puller::new(
            store.clone(),
            key.clone(),
            PullConfig {
                interval: Duration::from_millis(300),
                peers_refresh: Duration::from_millis(100),
                ..PullConfig::default()
            },
        ));
        tokio::spawn(puller.run());
        Node {
            _dir: dir,
            store,
            key,
            url,
        }
    }

    fn info(&self) -> MemberInfo {
        MemberInfo {
            node_id: self.key.node_id(),
            public_key: self.key.public_hex(),
            url: self.url.clone(),
            organisation: format!("CERT {}", &self.key.node_id()[8..12]),
            country: Some("NL".into()),
            sectors: vec!["energy".into()],
        }
    }

    fn id(&self) -> String {
        self.key.node_id()
    }

    fn peer_ids(&self) -> Vec<String> {
        let mut ids: Vec<String> = self
            .store
            .peers()
            .unwrap()
            .into_iter()
            .map(|p| p.node_id)
            .collect();
        ids.sort();
        ids
    }

    /// Signs and stores an entry here, as `concord community propose|vote` does.
    fn sign(&self, g: &Genesis, content: Content) -> Entry {
        let e = Entry::sign(&g.id(), &self.key, &Timestamp::now_millis(), content);
        self.store
            .put_governance(&[entry_document(&e)], "", None)
            .unwrap();
        e
    }

    fn state(&self, g: &Genesis) -> State {
        let records = self.store.governance(Some(&g.id())).unwrap();
        let entries: Vec<Entry> = records
            .iter()
            .filter(|r| r.doc.kind == "entry")
            .map(|r| serde_json::from_str(&r.doc.document).unwrap())
            .collect();
        Community::from_entries(g, &entries).unwrap()
    }

    fn has(&self, id: &str) -> bool {
        self.store.get(id).unwrap().is_some()
    }
}

/// `GET path` at `to`, signed by `key` (as a peer's puller signs).
async fn signed_get(key: &NodeKey, to: &Node, path: &str) -> (u16, String) {
    let authority = concord_federation::httpsig::authority_of(&to.url).unwrap();
    let (p, q) = match path.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (path, None),
    };
    let h = concord_federation::httpsig::sign(
        key,
        "GET",
        &authority,
        p,
        q,
        b"",
        chrono::Utc::now().timestamp(),
    );
    let resp = reqwest::Client::new()
        .get(format!("{}{path}", to.url))
        .header("date", h.date)
        .header("content-digest", h.content_digest)
        .header("signature-input", h.signature_input)
        .header("signature", h.signature)
        .send()
        .await
        .unwrap();
    (resp.status().as_u16(), resp.text().await.unwrap())
}

/// Waits until `cond` holds, checking every 20 ms, for at most 20 s.
async fn until(what: &str, mut cond: impl FnMut() -> bool) {
    let start = std::time::Instant::now();
    while !cond() {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "timed out waiting until {what}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn sorted(mut ids: Vec<String>) -> Vec<String> {
    ids.sort();
    ids
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn founders_sync_a_sponsored_member_joins_and_a_revoked_key_is_refused() {
    let (a, b, c, d) = (
        Node::start(51).await,
        Node::start(52).await,
        Node::start(53).await,
        Node::start(54).await,
    );
    let mut genesis = Genesis::new(GenesisBody {
        name: "loopback CERTs".into(),
        charter: Charter::example(),
        founders: vec![a.info(), b.info(), c.info()],
        created: Timestamp::now_millis(),
    });
    for n in [&a, &b, &c] {
        genesis.sign(&n.key);
    }
    // Each founder holds the genesis; the candidate has it too (it joins with it).
    for n in [&a, &b, &c, &d] {
        n.store
            .put_governance(&[genesis_document(&genesis)], "", None)
            .unwrap();
    }
    // The founders find each other without `peer add`.
    for (n, others) in [(&a, [&b, &c]), (&b, [&a, &c]), (&c, [&a, &b])] {
        let want = sorted(others.iter().map(|o| o.id()).collect());
        until("the founders are peers", || n.peer_ids() == want).await;
    }
    // Data flows between them by the (default) policy.
    let object = serde_json::json!({
        "type": "indicator", "spec_version": "2.1",
        "id": "indicator--00000000-0000-4000-8000-000000000024",
        "created": "2026-01-01T00:00:00.000Z", "modified": "2026-01-01T00:00:00.000Z",
        "pattern": "[ipv4-addr:value = '203.0.113.24']", "pattern_type": "stix",
        "valid_from": "2026-01-01T00:00:00Z",
        "object_marking_refs": ["marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da"]
    });
    let id = "indicator--00000000-0000-4000-8000-000000000024";
    import_values(a.store.as_ref(), vec![object], 10, &mut |_| {}).unwrap();
    until("B and C got A's object", || b.has(id) && c.has(id)).await;

    // D is not a member: nobody serves it.
    assert!(!d.has(id));
    assert!(!a.peer_ids().contains(&d.id()));
    let (status, _) = signed_get(&d.key, &a, "/federation/v1/governance?after=0").await;
    assert_eq!(status, 401);
    // A bilateral peer of A that is no member gets none of the community's documents,
    // while a member gets them all.
    let e = Node::start(55).await;
    a.store
        .put_peer(&PeerRecord {
            node_id: e.id(),
            name: "bilateral".into(),
            url: e.url.clone(),
            public_key: e.key.public_hex(),
            ..PeerRecord::default()
        })
        .unwrap();
    let (status, body) = signed_get(&e.key, &a, "/federation/v1/governance?after=0").await;
    assert_eq!(status, 200, "{body}");
    let page: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(page["documents"], serde_json::json!([]), "{body}");
    let (_, body) = signed_get(&b.key, &a, "/federation/v1/governance?after=0").await;
    let page: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        page["documents"][0]["doc"]["id"],
        genesis.id().as_str(),
        "{body}"
    );

    // A and B sponsor D; A proposes (its yes), B votes yes once it got the proposal:
    // 2 of 3, the threshold.
    let proposal = a.sign(
        &genesis,
        Content::Proposal {
            action: Action::Admit {
                member: d.info(),
                sponsors: vec![a.id(), b.id()],
            },
            note: "national CERT".into(),
        },
    );
    until("B got the proposal", || {
        b.state(&genesis).proposals.contains_key(&proposal.id())
    })
    .await;
    let vote = b.sign(
        &genesis,
        Content::Vote {
            proposal: proposal.id(),
            choice: Choice::Yes,
        },
    );
    for n in [&a, &b, &c] {
        until("every founder admitted D and peers with it", || {
            n.state(&genesis).is_active(&d.id()) && n.peer_ids().contains(&d.id())
        })
        .await;
    }
    // D gets the whole log, finds itself admitted, peers with everyone and gets data.
    until("D synced with all members", || {
        d.state(&genesis).is_active(&d.id())
            && d.peer_ids() == sorted(vec![a.id(), b.id(), c.id()])
            && d.has(id)
    })
    .await;
    assert!(d.state(&genesis).accepted.contains(&vote.id()));

    // A request signed by D's key is served until the key is revoked.
    let puller = Puller::new(d.store.clone(), d.key.clone(), PullConfig::default());
    let a_at_d: PeerRecord = d
        .store
        .peers()
        .unwrap()
        .into_iter()
        .find(|p| p.node_id == a.id())
        .unwrap();
    puller.fetch(&a_at_d, 0).await.unwrap();

    let revoke = c.sign(
        &genesis,
        Content::Proposal {
            action: Action::RevokeKey {
                member: d.id(),
                key: d.key.public_hex(),
                since: Timestamp::now_millis(),
                replacement: None,
            },
            note: "key stolen".into(),
        },
    );
    until("A got the revocation proposal", || {
        a.state(&genesis).proposals.contains_key(&revoke.id())
    })
    .await;
    a.sign(
        &genesis,
        Content::Vote {
            proposal: revoke.id(),
            choice: Choice::Yes,
        },
    );
    for n in [&a, &b, &c] {
        until("every member revoked D's key and dropped it", || {
            n.state(&genesis).revoked_keys().count() == 1 && !n.peer_ids().contains(&d.id())
        })
        .await;
    }
    // An operator adding the peer back by hand does not make the key good again (the
    // request check refuses it, and the next reconcile drops the record again).
    a.store
        .put_peer(&PeerRecord {
            node_id: d.id(),
            name: "d by hand".into(),
            url: d.url.clone(),
            public_key: d.key.public_hex(),
            ..PeerRecord::default()
        })
        .unwrap();
    match puller.fetch(&a_at_d, 0).await {
        Err(PullError::Status { status: 401, body }) => {
            assert!(
                body.contains("revoked") || body.contains("unknown key"),
                "{body}"
            );
        }
        other => panic!("a revoked key was served: {other:?}"),
    }
}

fn indicator(n: u32) -> serde_json::Value {
    serde_json::json!({
        "type": "indicator", "spec_version": "2.1",
        "id": format!("indicator--00000000-0000-4000-8000-{n:012}"),
        "created": "2026-01-01T00:00:00.000Z", "modified": "2026-01-01T00:00:00.000Z",
        "pattern": format!("[ipv4-addr:value = '203.0.113.{n}']"), "pattern_type": "stix",
        "valid_from": "2026-01-01T00:00:00Z",
        "object_marking_refs": ["marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da"]
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn suspension_stops_data_both_ways_and_readmission_restores_it() {
    let (a, b, c) = (
        Node::start(61).await,
        Node::start(62).await,
        Node::start(63).await,
    );
    let mut genesis = Genesis::new(GenesisBody {
        name: "suspension".into(),
        charter: Charter::example(),
        founders: vec![a.info(), b.info(), c.info()],
        created: Timestamp::now_millis(),
    });
    for n in [&a, &b, &c] {
        genesis.sign(&n.key);
    }
    for n in [&a, &b, &c] {
        n.store
            .put_governance(&[genesis_document(&genesis)], "", None)
            .unwrap();
    }
    let id = |n: u32| format!("indicator--00000000-0000-4000-8000-{n:012}");
    import_values(a.store.as_ref(), vec![indicator(1)], 10, &mut |_| {}).unwrap();
    until("B and C got A's first object", || {
        b.has(&id(1)) && c.has(&id(1))
    })
    .await;

    // A proposes to suspend C: its yes is 1/2 of the two entitled (C does not vote).
    let suspend = a.sign(
        &genesis,
        Content::Proposal {
            action: Action::Suspend { member: c.id() },
            note: String::new(),
        },
    );
    until("A and C know C is suspended", || {
        let suspended = |n: &Node| {
            n.state(&genesis).members[&c.id()].status == concord_community::Status::Suspended
        };
        suspended(&a) && suspended(&c)
    })
    .await;
    assert!(a.state(&genesis).proposals[&suspend.id()].outcome != concord_community::Outcome::Open);
    // C stays a peer (governance flows) but no data moves either way.
    assert!(a.peer_ids().contains(&c.id()));
    until("B knows too", || {
        b.state(&genesis).members[&c.id()].status == concord_community::Status::Suspended
    })
    .await;
    import_values(a.store.as_ref(), vec![indicator(2)], 10, &mut |_| {}).unwrap();
    import_values(c.store.as_ref(), vec![indicator(3)], 10, &mut |_| {}).unwrap();
    until("B got A's second object", || b.has(&id(2))).await;
    let (status, body) = signed_get(&c.key, &a, "/federation/v1/changes?after=0").await;
    assert_eq!(status, 401, "{body}");
    assert!(body.contains("suspended"), "{body}");
    let (status, _) = signed_get(&c.key, &a, "/federation/v1/governance?after=0").await;
    assert_eq!(status, 200);
    // A's and B's pullers ask C for governance only: C's object stays with C.
    let b_pulled = Puller::new(b.store.clone(), b.key.clone(), PullConfig::default());
    let c_at_b = b
        .store
        .peers()
        .unwrap()
        .into_iter()
        .find(|p| p.node_id == c.id())
        .unwrap();
    let r = b_pulled.pull(&c_at_b).await.unwrap();
    assert_eq!(r.pages, 0, "data was pulled from a suspended member: {r:?}");
    assert!(!a.has(&id(3)) && !b.has(&id(3)) && !c.has(&id(2)));

    // Readmission (B's yes alone is the threshold): C learns of it through governance,
    // and data flows again both ways.
    b.sign(
        &genesis,
        Content::Proposal {
            action: Action::Readmit { member: c.id() },
            note: String::new(),
        },
    );
    until("data flows again both ways", || {
        c.has(&id(2)) && a.has(&id(3)) && b.has(&id(3))
    })
    .await;
}
