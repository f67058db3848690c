//! Two and three in-process nodes on loopback: signed pulls, the outbound policy, origin
//! signatures through a middle node, tampering, unknown keys and the audit chain; and a
//! malicious peer (`malicious`).

mod community;
mod malicious;

use std::sync::Arc;

use concord_federation::identity::NodeKey;
use concord_federation::pull::{PullConfig, PullError, Puller};
use concord_federation::server::{FederationConfig, FederationState, router};
use concord_stix::Object;
use concord_store::federation::{FederationStore, PeerRecord};
use concord_store::sqlite::SqliteStore;
use concord_store::{Store, import::import_values};
use serde_json::{Value, json};

const GREEN: &str = "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da";
const RED: &str = "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed";

struct TestNode {
    _dir: tempfile::TempDir,
    store: Arc<dyn Store>,
    key: NodeKey,
    url: String,
    name: String,
}

impl TestNode {
    async fn start(name: &str, seed: u8, policy: Option<&str>) -> TestNode {
        let dir = tempfile::tempdir().unwrap();
        let store: Arc<dyn Store> = Arc::new(SqliteStore::open(&dir.path().join("db")).unwrap());
        let key = NodeKey::from_seed([seed; 32]);
        let policy_file = policy.map(|text| {
            let p = dir.path().join("policy.toml");
            std::fs::write(&p, text).unwrap();
            p
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let state = FederationState::new(
            store.clone(),
            key.clone(),
            FederationConfig {
                name: name.into(),
                url: url.clone(),
                policy_file,
                ..Default::default()
            },
        )
        .unwrap();
        tokio::spawn(async move { axum::serve(listener, router(state)).await });
        TestNode {
            _dir: dir,
            store,
            key,
            url,
            name: name.into(),
        }
    }

    fn record(&self) -> PeerRecord {
        PeerRecord {
            node_id: self.key.node_id(),
            name: self.name.clone(),
            url: self.url.clone(),
            public_key: self.key.public_hex(),
            ..PeerRecord::default()
        }
    }

    fn add_peer(&self, other: &TestNode) {
        self.store.put_peer(&other.record()).unwrap();
    }

    fn add(&self, objects: Vec<Value>) {
        let s = import_values(self.store.as_ref(), objects, 100, &mut |_| {}).unwrap();
        assert_eq!(s.rejected, 0);
    }

    fn peer(&self, other: &TestNode) -> PeerRecord {
        self.peer_record(&other.key.node_id())
    }

    fn peer_record(&self, node_id: &str) -> PeerRecord {
        self.store
            .peers()
            .unwrap()
            .into_iter()
            .find(|p| p.node_id == node_id)
            .unwrap()
    }

    /// One pull from the peer `node_id` as registered here now.
    async fn pull_peer(
        &self,
        node_id: &str,
    ) -> Result<concord_federation::pull::PullReport, PullError> {
        let puller = Puller::new(self.store.clone(), self.key.clone(), PullConfig::default());
        puller.pull(&self.peer_record(node_id)).await
    }

    async fn pull_from(
        &self,
        other: &TestNode,
    ) -> Result<concord_federation::pull::PullReport, PullError> {
        let puller = Puller::new(self.store.clone(), self.key.clone(), PullConfig::default());
        puller.pull(&self.peer(other)).await
    }

    fn has(&self, id: &str) -> bool {
        self.store.get(id).unwrap().is_some()
    }
}

fn indicator(n: u32, marking: &str) -> Value {
    json!({
        "type": "indicator", "spec_version": "2.1",
        "id": format!("indicator--00000000-0000-4000-8000-{n:012}"),
        "created": "2026-01-01T00:00:00.000Z", "modified": "2026-01-01T00:00:00.000Z",
        "name": format!("bad host {n}"),
        "pattern": format!("[ipv4-addr:value = '203.0.113.{}']", n % 250),
        "pattern_type": "stix", "valid_from": "2026-01-01T00:00:00Z",
        "object_marking_refs": [marking]
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_chain_carries_origin_signatures_and_keeps_red_at_home() {
    let a = TestNode::start("a", 1, None).await;
    let b = TestNode::start("b", 2, None).await;
    let c = TestNode::start("c", 3, None).await;
    for (x, y) in [(&a, &b), (&b, &a), (&b, &c), (&c, &b)] {
        x.add_peer(y);
    }
    a.add(vec![indicator(1, GREEN), indicator(2, RED)]);
    let green = "indicator--00000000-0000-4000-8000-000000000001";
    let red = "indicator--00000000-0000-4000-8000-000000000002";

    let r = b.pull_from(&a).await.unwrap();
    assert_eq!((r.stored, r.rejected), (1, 0), "{r:?}");
    assert!(b.has(green));
    assert!(!b.has(red), "TLP:RED left its node");
    let prov = b
        .store
        .provenance(green, "2026-01-01T00:00:00.000Z")
        .unwrap()
        .unwrap();
    assert_eq!(prov.origin, a.key.node_id());
    assert_eq!(prov.hops_left, 3, "the first share is not a re-share");

    // C gets A's object through B, still signed by A.
    c.pull_from(&b).await.unwrap();
    assert!(c.has(green));
    let prov = c
        .store
        .provenance(green, "2026-01-01T00:00:00.000Z")
        .unwrap()
        .unwrap();
    assert_eq!(prov.origin, a.key.node_id());
    assert_eq!(prov.received_from, b.key.node_id());
    assert_eq!(prov.hops_left, 2);

    // Idempotent: pulling again moves nothing; nothing goes back to its origin.
    let again = b.pull_from(&a).await.unwrap();
    assert_eq!(again.stored, 0);
    let back = a.pull_from(&b).await.unwrap();
    assert_eq!(back.stored, 0);

    // Every decision was audited at A, RED as withheld.
    let audit = a.store.audit(None, 0, 100).unwrap();
    assert!(
        audit
            .iter()
            .any(|e| e.entry.object_id == red && e.entry.verdict == "withhold")
    );
    assert!(
        audit
            .iter()
            .any(|e| e.entry.object_id == green && e.entry.verdict == "send")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_key_gets_401_and_the_cursor_only_moves_on_commit() {
    let a = TestNode::start("a", 11, None).await;
    let b = TestNode::start("b", 12, None).await;
    b.add_peer(&a); // A has not added B.
    a.add(vec![indicator(5, GREEN)]);
    match b.pull_from(&a).await {
        Err(PullError::Status { status: 401, body }) => {
            assert!(body.contains("unknown key"), "{body}")
        }
        other => panic!("expected 401, got {other:?}"),
    }
    assert_eq!(b.peer(&a).cursor, 0);
    a.add_peer(&b);
    b.pull_from(&a).await.unwrap();
    assert!(b.peer(&a).cursor > 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn personal_data_goes_redacted_where_the_agreement_says_so() {
    let policy = r#"
unmarked_tlp = "amber"
[[agreement]]
name = "redacting"
peers = "*"
tlp = ["clear", "green"]
redact_categories = ["personal-information"]
[agreement.redaction]
hash_emails = true
"#;
    let a = TestNode::start("a", 21, Some(policy)).await;
    let b = TestNode::start("b", 22, None).await;
    a.add_peer(&b);
    b.add_peer(&a);
    let note = json!({
        "type": "note", "spec_version": "2.1",
        "id": "note--00000000-0000-4000-8000-000000000077",
        "created": "2026-01-01T00:00:00.000Z", "modified": "2026-01-01T00:00:00.000Z",
        "content": "Phishing reported by alice.victim@example.org",
        "object_refs": ["indicator--00000000-0000-4000-8000-000000000001"],
        "object_marking_refs": [GREEN]
    });
    a.add(vec![note]);
    let r = b.pull_from(&a).await.unwrap();
    assert_eq!(
        r.stored,
        1,
        "{r:?} {:?}",
        a.store.audit(None, 0, 10).unwrap()
    );
    let got = b
        .store
        .get("note--00000000-0000-4000-8000-000000000077")
        .unwrap()
        .unwrap();
    assert!(!got.json.contains("alice.victim"), "{}", got.json);
    assert!(got.json.contains("redacted.invalid"), "{}", got.json);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tampered_object_is_rejected_and_reported() {
    let a = TestNode::start("a", 31, None).await;
    let b = TestNode::start("b", 32, None).await;
    a.add_peer(&b);
    a.add(vec![indicator(7, GREEN), indicator(8, GREEN)]);

    // A proxy that changes one byte of one object on the way. B's signature covers the
    // proxy's authority, which A refuses, so the proxy (given B's key for the test) signs
    // its own request to A.
    let target = a.url.clone();
    let b_key = b.key.clone();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let proxy_url = format!("http://{}", listener.local_addr().unwrap());
    let app = axum::Router::new().fallback(move |req: axum::extract::Request| {
        let target = target.clone();
        let b_key = b_key.clone();
        async move {
            let h = concord_federation::httpsig::sign(
                &b_key,
                "GET",
                &concord_federation::httpsig::authority_of(&target).unwrap(),
                req.uri().path(),
                req.uri().query(),
                b"",
                chrono::Utc::now().timestamp(),
            );
            let fwd = reqwest::Client::new()
                .get(format!("{target}{}", req.uri()))
                .header("date", h.date)
                .header("content-digest", h.content_digest)
                .header("signature-input", h.signature_input)
                .header("signature", h.signature);
            let resp = fwd.send().await.unwrap();
            let status = resp.status().as_u16();
            let body = resp.bytes().await.unwrap();
            let raw = zstd::bulk::decompress(&body, 1 << 24).unwrap();
            let text = String::from_utf8(raw)
                .unwrap()
                .replacen("bad host 7", "bad host 9", 1);
            let body = zstd::bulk::compress(text.as_bytes(), 3).unwrap();
            axum::response::Response::builder()
                .status(status)
                .header("content-encoding", "zstd")
                .body(axum::body::Body::from(body))
                .unwrap()
        }
    });
    tokio::spawn(async move { axum::serve(listener, app).await });
    let mut via_proxy = a.record();
    via_proxy.url = proxy_url;
    b.store.put_peer(&via_proxy).unwrap();

    let r = b.pull_from(&a).await.unwrap();
    assert_eq!((r.stored, r.rejected), (1, 1), "{r:?}");
    assert!(r.first_rejection.unwrap().contains("does not verify"));
    assert!(!b.has("indicator--00000000-0000-4000-8000-000000000007"));
    assert!(b.has("indicator--00000000-0000-4000-8000-000000000008"));
    let record = b.peer(&a);
    assert!(
        record
            .last_error
            .unwrap()
            .contains("refused 1 version(s); first: indicator--")
    );
    assert_eq!(record.refused, 1);
    assert!(record.last_refusal.unwrap().contains("does not verify"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn garbage_bodies_are_errors_and_nothing_is_stored() {
    let a = TestNode::start("a", 41, None).await;
    let b = TestNode::start("b", 42, None).await;
    a.add_peer(&b);
    a.add(vec![indicator(9, GREEN)]);
    for garbage in [b"not zstd at all".to_vec(), {
        let full = zstd::bulk::compress(b"{\"node\": \"x\", \"changes\": []}", 3).unwrap();
        full[..full.len() / 2].to_vec()
    }] {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let app = axum::Router::new().fallback(move || {
            let g = garbage.clone();
            async move {
                axum::response::Response::builder()
                    .header("content-encoding", "zstd")
                    .body(axum::body::Body::from(g))
                    .unwrap()
            }
        });
        tokio::spawn(async move { axum::serve(listener, app).await });
        let mut rec = a.record();
        rec.url = url;
        b.store.put_peer(&rec).unwrap();
        let err = b.pull_from(&a).await.unwrap_err();
        assert!(matches!(err, PullError::Body(_)), "{err}");
        assert_eq!(b.peer(&a).cursor, 0);
    }
    assert_eq!(b.store.head_seq().unwrap(), 0);
}

#[test]
fn the_audit_chain_links_every_entry() {
    let store = SqliteStore::open_in_memory().unwrap();
    let e = |n: u32| concord_store::federation::AuditEntry {
        peer: "p".into(),
        object_id: format!("indicator--{n}"),
        version: String::new(),
        verdict: "send".into(),
        agreement: None,
        reasons: json!([]),
    };
    store.append_audit(&[e(1), e(2)]).unwrap();
    store.append_audit(&[e(3)]).unwrap();
    let all = store.audit(None, 0, 10).unwrap();
    assert_eq!(all.len(), 3);
    let mut prev = concord_store::federation::AUDIT_GENESIS.to_owned();
    for r in &all {
        assert_eq!(r.prev, prev);
        assert_eq!(
            r.hash,
            concord_store::federation::audit_hash(&r.prev, r.n, &r.at, &r.entry)
        );
        prev = r.hash.clone();
    }
    let _ = Object::from_value(indicator(1, GREEN)).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_volume_limit_holds_back_the_rest_for_later() {
    let policy = r#"
[[agreement]]
name = "small"
peers = "*"
tlp = ["clear", "green"]
volume_limit = { objects = 2, per_secs = 3600 }
"#;
    let a = TestNode::start("a", 51, Some(policy)).await;
    let b = TestNode::start("b", 52, None).await;
    a.add_peer(&b);
    b.add_peer(&a);
    a.add((1..=5).map(|n| indicator(100 + n, GREEN)).collect());
    let r = b.pull_from(&a).await.unwrap();
    assert_eq!(r.stored, 2, "{r:?}");
    // Nothing was skipped: the cursor stopped where the limit did.
    let again = b.pull_from(&a).await.unwrap();
    assert_eq!(again.stored, 0);
    let sent = a
        .store
        .audit(None, 0, 100)
        .unwrap()
        .into_iter()
        .filter(|e| e.entry.verdict == "send")
        .count();
    assert_eq!(sent, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_clock_far_off_or_a_replayed_request_gets_401() {
    let a = TestNode::start("a", 61, None).await;
    let b = TestNode::start("b", 62, None).await;
    a.add_peer(&b);
    let _ = rustls::crypto::ring::default_provider().install_default();
    let client = reqwest::Client::new();
    let send = |offset: i64| {
        let h = concord_federation::httpsig::sign(
            &b.key,
            "GET",
            &concord_federation::httpsig::authority_of(&a.url).unwrap(),
            "/federation/v1/changes",
            Some("after=0"),
            b"",
            chrono::Utc::now().timestamp() + offset,
        );
        client
            .get(format!("{}/federation/v1/changes?after=0", a.url))
            .header("date", h.date)
            .header("content-digest", h.content_digest)
            .header("signature-input", h.signature_input)
            .header("signature", h.signature)
    };
    let off = send(3_600).send().await.unwrap();
    assert_eq!(off.status().as_u16(), 401);
    assert!(off.text().await.unwrap().contains("clock skew"));

    let ok = send(0).build().unwrap();
    let replay = ok.try_clone().unwrap();
    assert_eq!(client.execute(ok).await.unwrap().status().as_u16(), 200);
    let again = client.execute(replay).await.unwrap();
    assert_eq!(again.status().as_u16(), 401);
    assert!(again.text().await.unwrap().contains("replayed"));
}

/// A peer that answers with headers and then stalls, or sends far more changes than asked:
/// the pull fails with a clear error, and sync with a good peer goes on.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stalling_or_flooding_peers_fail_alone() {
    let good = TestNode::start("good", 71, None).await;
    let b = TestNode::start("b", 72, None).await;
    good.add_peer(&b);
    b.add_peer(&good);
    good.add(vec![indicator(300, GREEN)]);

    // A stalling peer: headers, a few bytes, then nothing.
    let stall_key = NodeKey::from_seed([73; 32]);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let stall_url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        loop {
            let Ok((mut sock, _)) = listener.accept().await else {
                return;
            };
            tokio::spawn(async move {
                use tokio::io::AsyncWriteExt;
                let _ = sock
                    .write_all(b"HTTP/1.1 200 OK\r\ncontent-encoding: zstd\r\ncontent-length: 100000\r\n\r\n(\xb5/")
                    .await;
                tokio::time::sleep(std::time::Duration::from_secs(600)).await;
            });
        }
    });
    // A flooding peer: a page of 3 changes when 2 were asked for.
    let flood_key = NodeKey::from_seed([74; 32]);
    let page = concord_federation::outbound::ChangesPage {
        node: flood_key.node_id(),
        head: 3,
        next: 3,
        more: false,
        withheld: 0,
        throttled: false,
        changes: (1..=3)
            .map(|n| {
                concord_federation::envelope::Envelope::originate(
                    &flood_key,
                    n,
                    indicator(400 + n as u32, GREEN),
                    3,
                )
            })
            .collect(),
    };
    let body = zstd::bulk::compress(&serde_json::to_vec(&page).unwrap(), 3).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let flood_url = format!("http://{}", listener.local_addr().unwrap());
    let app = axum::Router::new().fallback(move || {
        let body = body.clone();
        async move {
            axum::response::Response::builder()
                .header("content-encoding", "zstd")
                .body(axum::body::Body::from(body))
                .unwrap()
        }
    });
    tokio::spawn(async move { axum::serve(listener, app).await });

    for (key, url, name) in [
        (&stall_key, stall_url, "staller"),
        (&flood_key, flood_url, "flooder"),
    ] {
        b.store
            .put_peer(&PeerRecord {
                node_id: key.node_id(),
                name: name.into(),
                url,
                public_key: key.public_hex(),
                ..PeerRecord::default()
            })
            .unwrap();
    }
    let puller = Arc::new(Puller::new(
        b.store.clone(),
        b.key.clone(),
        PullConfig {
            page_size: 2,
            timeout: std::time::Duration::from_secs(2),
            interval: std::time::Duration::from_secs(1),
            ..PullConfig::default()
        },
    ));
    let run = tokio::spawn(puller.run());
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let peers = b.store.peers().unwrap();
        let err = |n: &str| {
            peers
                .iter()
                .find(|p| p.name == n)
                .and_then(|p| p.last_error.clone())
        };
        if b.has("indicator--00000000-0000-4000-8000-000000000300")
            && err("staller").is_some()
            && err("flooder").is_some()
        {
            assert!(
                err("flooder")
                    .unwrap()
                    .contains("3 changes in a page of at most 2")
            );
            assert!(
                err("staller").unwrap().contains("request to"),
                "{:?}",
                err("staller")
            );
            break;
        }
        assert!(std::time::Instant::now() < deadline, "{peers:?}");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    run.abort();
    assert!(!b.has("indicator--00000000-0000-4000-8000-000000000401"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn versions_signed_by_the_signer_travel_with_that_signature() {
    let a = TestNode::start("a", 81, None).await;
    let b = TestNode::start("b", 82, None).await;
    a.add_peer(&b);
    b.add_peer(&a);
    a.add(vec![indicator(500, GREEN), indicator(501, GREEN)]);
    let signed = concord_federation::signer::sign_all(a.store.as_ref(), &a.key).unwrap();
    assert_eq!(signed, 2);
    assert_eq!(
        concord_federation::signer::sign_all(a.store.as_ref(), &a.key).unwrap(),
        0
    );
    let id = "indicator--00000000-0000-4000-8000-000000000500";
    let local = a
        .store
        .provenance(id, "2026-01-01T00:00:00.000Z")
        .unwrap()
        .unwrap();
    assert!(local.is_local());
    // A version created later is signed when it is sent.
    a.add(vec![indicator(502, GREEN)]);
    let r = b.pull_from(&a).await.unwrap();
    assert_eq!((r.stored, r.rejected), (3, 0), "{r:?}");
    let at_b = b
        .store
        .provenance(id, "2026-01-01T00:00:00.000Z")
        .unwrap()
        .unwrap();
    assert_eq!(at_b.signature, local.signature);
    assert_eq!(at_b.origin, a.key.node_id());
    assert!(!at_b.is_local());
}

/// A peer's open `/events` stream ends when the serving node stops (peers stay connected
/// for good, so a server that waited for them would never stop).
#[tokio::test]
async fn a_stopping_node_ends_its_peers_event_streams() {
    let a = TestNode::start("a", 31, None).await;
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open(&dir.path().join("db")).unwrap());
    store.put_peer(&a.record()).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let (stopping, stop_rx) = tokio::sync::watch::channel(false);
    let state = FederationState::new(
        store,
        NodeKey::from_seed([32; 32]),
        FederationConfig {
            name: "b".into(),
            url: url.clone(),
            ..Default::default()
        },
    )
    .unwrap()
    .ending_streams_on(stop_rx);
    let mut on_stop = stopping.subscribe();
    let server = tokio::spawn(async move {
        axum::serve(listener, router(state))
            .with_graceful_shutdown(async move {
                let _ = on_stop.wait_for(|s| *s).await;
            })
            .await
    });
    let path = "/federation/v1/events";
    let h = concord_federation::httpsig::sign(
        &a.key,
        "GET",
        &concord_federation::httpsig::authority_of(&url).unwrap(),
        path,
        None,
        b"",
        chrono::Utc::now().timestamp(),
    );
    // A puller's client, as a peer has.
    let _ = Puller::new(a.store.clone(), a.key.clone(), PullConfig::default());
    let resp = reqwest::Client::new()
        .get(format!("{url}{path}"))
        .header("date", h.date)
        .header("content-digest", h.content_digest)
        .header("signature-input", h.signature_input)
        .header("signature", h.signature)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let mut body = resp.bytes_stream();
    use futures_util::StreamExt as _;
    // The current head comes first.
    let first = tokio::time::timeout(std::time::Duration::from_secs(5), body.next())
        .await
        .expect("a first notice")
        .unwrap()
        .unwrap();
    assert!(String::from_utf8_lossy(&first).contains("event: head"));
    let asked = std::time::Instant::now();
    stopping.send_replace(true);
    tokio::time::timeout(std::time::Duration::from_secs(5), server)
        .await
        .expect("the node stops with a peer connected")
        .unwrap()
        .unwrap();
    assert!(
        asked.elapsed() < std::time::Duration::from_secs(1),
        "{:?}",
        asked.elapsed()
    );
    // The peer sees its stream end.
    let end = tokio::time::timeout(std::time::Duration::from_secs(2), async {
        while let Some(Ok(_)) = body.next().await {}
    })
    .await;
    assert!(end.is_ok(), "the stream stays open");
}
