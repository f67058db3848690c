//! A malicious peer as a real HTTP server on loopback (issue 22): it serves change pages
//! that claim foreign origins, name other nodes as redactors, carry new versions of a third
//! node's and of the receiver's own objects, change an object's origin, or never end; and
//! it replays requests signed for one node to another. Each is refused, nothing of it is
//! stored, and the reason is in the peer's record (what `concord peer list` shows).

use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::response::Response;
use concord_federation::envelope::{Envelope, canonical};
use concord_federation::httpsig;
use concord_federation::identity::NodeKey;
use concord_federation::outbound::ChangesPage;
use concord_federation::pull::{PullConfig, PullError, Puller};
use concord_store::federation::{PeerRecord, Redactor};
use serde_json::Value;

use crate::{GREEN, RED, TestNode, indicator};

/// What the malicious peer answers to every request.
#[derive(Clone)]
enum Answer {
    /// A change page (zstd-compressed JSON).
    Page(Vec<u8>),
    /// A zstd body that never ends.
    Endless,
    /// Pages that always say more follow, each one step further.
    MoreForever,
}

/// A peer under the attacker's control: its key, its URL, and the answer it gives.
struct MaliciousPeer {
    key: NodeKey,
    url: String,
    answer: Arc<Mutex<Answer>>,
}

impl MaliciousPeer {
    async fn start(seed: u8) -> MaliciousPeer {
        let key = NodeKey::from_seed([seed; 32]);
        let answer = Arc::new(Mutex::new(Answer::Page(Vec::new())));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let (served, node) = (answer.clone(), key.node_id());
        let app = axum::Router::new().fallback(move |req: axum::extract::Request| {
            let answer = served.lock().unwrap().clone();
            let node = node.clone();
            async move {
                let body = match answer {
                    Answer::Page(body) => Body::from(body),
                    Answer::Endless => {
                        let chunk = bytes_of_zeros();
                        Body::from_stream(futures_util::stream::repeat_with(move || {
                            Ok::<_, std::io::Error>(chunk.clone())
                        }))
                    }
                    Answer::MoreForever => {
                        let after: i64 = req
                            .uri()
                            .query()
                            .and_then(|q| q.split('&').find_map(|kv| kv.strip_prefix("after=")))
                            .and_then(|v| v.parse().ok())
                            .unwrap_or(0);
                        Body::from(compress(&ChangesPage {
                            node,
                            head: after + 2,
                            next: after + 1,
                            more: true,
                            withheld: 1,
                            throttled: false,
                            changes: Vec::new(),
                        }))
                    }
                };
                Response::builder()
                    .header("content-encoding", "zstd")
                    .body(body)
                    .unwrap()
            }
        });
        tokio::spawn(async move { axum::serve(listener, app).await });
        MaliciousPeer { key, url, answer }
    }

    fn record(&self) -> PeerRecord {
        PeerRecord {
            node_id: self.key.node_id(),
            name: "mallory".into(),
            url: self.url.clone(),
            public_key: self.key.public_hex(),
            ..PeerRecord::default()
        }
    }

    /// Serves one page holding `changes` (numbered from `seq`).
    fn serve(&self, seq: i64, changes: Vec<Envelope>) {
        let next = seq + i64::try_from(changes.len()).unwrap() - 1;
        let page = ChangesPage {
            node: self.key.node_id(),
            head: next,
            next,
            more: false,
            withheld: 0,
            throttled: false,
            changes,
        };
        *self.answer.lock().unwrap() = Answer::Page(compress(&page));
    }
}

fn compress(page: &ChangesPage) -> Vec<u8> {
    zstd::bulk::compress(&serde_json::to_vec(page).unwrap(), 3).unwrap()
}

fn bytes_of_zeros() -> axum::body::Bytes {
    axum::body::Bytes::from(vec![0u8; 64 << 10])
}

/// An envelope signed by hand: `origin` is claimed (with its key) and `signer` makes the
/// origin signature; `redactor`, if any, signs the object as redactor under the name it
/// claims.
fn envelope(
    seq: i64,
    object: Value,
    origin: &NodeKey,
    signer: &NodeKey,
    redactor: Option<&NodeKey>,
) -> Envelope {
    let body = canonical(&object);
    Envelope {
        seq,
        origin: origin.node_id(),
        origin_key: origin.public_hex(),
        signature: signer.sign_b64(body.as_bytes()),
        hops: 2,
        redactor: redactor.map(|r| Redactor {
            node: r.node_id(),
            key: r.public_hex(),
            signature: r.sign_b64(body.as_bytes()),
        }),
        object,
    }
}

/// A later version of `object`, without its markings.
fn newer_unmarked(mut object: Value) -> Value {
    object["modified"] = Value::from("2026-06-01T00:00:00.000Z");
    object
        .as_object_mut()
        .unwrap()
        .remove("object_marking_refs");
    object
}

fn versions(node: &TestNode, id: &str) -> usize {
    node.store.versions(id).unwrap().len()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_trick_of_a_malicious_peer_is_refused_and_shown() {
    // B receives; C is an honest third node; M is the malicious peer.
    let b = TestNode::start("b", 101, None).await;
    let c = TestNode::start("c", 102, None).await;
    let m = MaliciousPeer::start(103).await;
    let other = NodeKey::from_seed([104; 32]);
    c.add_peer(&b);
    b.add_peer(&c);
    b.store.put_peer(&m.record()).unwrap();

    // B's own RED object, and C's object as B received it from C.
    let own = indicator(1, RED);
    let own_id = own["id"].as_str().unwrap().to_owned();
    b.add(vec![own.clone()]);
    let theirs = indicator(2, GREEN);
    let theirs_id = theirs["id"].as_str().unwrap().to_owned();
    c.add(vec![theirs.clone()]);
    assert_eq!(b.pull_from(&c).await.unwrap().stored, 1);

    let c_key = &c.key;
    let b_key = &b.key;
    let cases: Vec<(&str, Envelope, String)> = vec![
        (
            "a foreign origin signed with the peer's key",
            envelope(1, indicator(3, GREEN), c_key, &m.key, None),
            "signature of origin".into(),
        ),
        (
            "a foreign origin with the peer's own key",
            Envelope {
                origin_key: m.key.public_hex(),
                ..envelope(1, indicator(4, GREEN), c_key, &m.key, None)
            },
            format!(
                "claims origin {} but was signed with the key of {}",
                c.key.node_id(),
                m.key.node_id()
            ),
        ),
        (
            "a redactor that is not the sending peer",
            envelope(1, indicator(5, GREEN), c_key, &other, Some(&other)),
            format!(
                "redactor {} is not the sending peer {}",
                other.node_id(),
                m.key.node_id()
            ),
        ),
        (
            "a new version of a third node's object signed by the peer as its origin",
            envelope(1, newer_unmarked(theirs.clone()), c_key, &m.key, None),
            "signature of origin".into(),
        ),
        (
            "a new version of the receiver's own object, re-signed by the peer as redactor",
            envelope(1, newer_unmarked(own.clone()), b_key, &m.key, Some(&m.key)),
            "is this node's own object".into(),
        ),
        (
            "a new version of the receiver's own object, claimed as the peer's",
            envelope(1, newer_unmarked(own.clone()), &m.key, &m.key, None),
            "is this node's own object".into(),
        ),
        (
            "a new version of a third node's object, claimed as the peer's",
            envelope(1, newer_unmarked(theirs.clone()), &m.key, &m.key, None),
            format!(
                "claims origin {} but the versions held here come from origin {}",
                m.key.node_id(),
                c.key.node_id()
            ),
        ),
    ];
    let head_before = b.store.head_seq().unwrap();
    for (seq, (what, mut env, reason)) in (1..).zip(cases) {
        env.seq = seq;
        let id = env.object["id"].as_str().unwrap().to_owned();
        m.serve(seq, vec![env]);
        let r = b.pull_peer(&m.key.node_id()).await.unwrap();
        assert_eq!((r.stored, r.rejected), (0, 1), "{what}: {r:?}");
        let record = b.peer_record(&m.key.node_id());
        let shown = record.last_error.clone().unwrap_or_default();
        assert!(
            shown.starts_with("refused 1 version(s); first: ") && shown.contains(&reason),
            "{what}: {shown:?} should say {reason:?}"
        );
        assert_eq!(record.last_refusal.as_deref(), Some(shown.as_str()));
        assert_eq!(record.refused, seq, "{what}");
        assert_eq!(record.cursor, seq, "{what}: the page was read to its end");
        // Nothing of it is stored: no new id, no new version.
        match id.as_str() {
            i if i == own_id || i == theirs_id => assert_eq!(versions(&b, i), 1, "{what}"),
            i => assert!(!b.has(i), "{what}"),
        }
        assert_eq!(b.store.head_seq().unwrap(), head_before, "{what}");
    }
    // B's own object is still RED, and C's still C's.
    let current = b.store.get(&own_id).unwrap().unwrap();
    assert!(current.json.contains(RED));
    let prov = b
        .store
        .provenance(&theirs_id, "2026-01-01T00:00:00.000Z")
        .unwrap()
        .unwrap();
    assert_eq!(prov.origin, c.key.node_id());

    // What the peer may do: pass on C's object (a new version) redacted and signed by
    // itself as redactor; the provenance says so. Refusals stay in the record after it.
    let mut redacted = newer_unmarked(theirs.clone());
    redacted["object_marking_refs"] = serde_json::json!([GREEN]);
    redacted["name"] = Value::from("[redacted]");
    m.serve(
        8,
        vec![envelope(8, redacted.clone(), c_key, c_key, Some(&m.key))],
    );
    let r = b.pull_peer(&m.key.node_id()).await.unwrap();
    assert_eq!((r.stored, r.rejected), (1, 0), "{r:?}");
    let prov = b
        .store
        .provenance(&theirs_id, "2026-06-01T00:00:00.000Z")
        .unwrap()
        .unwrap();
    assert_eq!(prov.origin, c.key.node_id());
    assert_eq!(prov.received_from, m.key.node_id());
    assert_eq!(prov.redactor.unwrap().node, m.key.node_id());
    let record = b.peer_record(&m.key.node_id());
    assert_eq!(record.last_error, None);
    assert_eq!(record.refused, 7);
    assert!(
        record
            .last_refusal
            .unwrap()
            .contains("the versions held here come from origin")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_page_with_good_and_bad_versions_stores_only_the_good() {
    let b = TestNode::start("b", 111, None).await;
    let m = MaliciousPeer::start(113).await;
    let c = NodeKey::from_seed([112; 32]);
    b.store.put_peer(&m.record()).unwrap();
    let first = indicator(20, GREEN);
    let id = first["id"].as_str().unwrap().to_owned();
    // One version from C, then in the same page a later one claiming the peer as origin.
    m.serve(
        1,
        vec![
            envelope(1, first.clone(), &c, &c, None),
            envelope(2, newer_unmarked(first), &m.key, &m.key, None),
            envelope(3, indicator(21, GREEN), &m.key, &m.key, None),
        ],
    );
    let r = b.pull_peer(&m.key.node_id()).await.unwrap();
    assert_eq!((r.stored, r.rejected), (2, 1), "{r:?}");
    assert_eq!(versions(&b, &id), 1);
    assert!(b.has("indicator--00000000-0000-4000-8000-000000000021"));
    let record = b.peer_record(&m.key.node_id());
    assert!(
        record
            .last_error
            .unwrap()
            .contains(&format!("claims origin {}", m.key.node_id()))
    );
    assert_eq!(record.cursor, 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_and_endless_pages_are_refused() {
    let b = TestNode::start("b", 121, None).await;
    let m = MaliciousPeer::start(122).await;
    b.store.put_peer(&m.record()).unwrap();
    let puller = |config: PullConfig| Puller::new(b.store.clone(), b.key.clone(), config);

    // Too many objects for the page size asked.
    m.serve(
        1,
        (1..=3)
            .map(|n| envelope(n, indicator(30 + n as u32, GREEN), &m.key, &m.key, None))
            .collect(),
    );
    let small = PullConfig {
        page_size: 2,
        ..PullConfig::default()
    };
    let err = puller(small).pull(&m.record()).await.unwrap_err();
    assert!(
        err.to_string().contains("3 changes in a page of at most 2"),
        "{err}"
    );

    // Too many bytes once decompressed.
    let mut big = indicator(40, GREEN);
    big["description"] = Value::from("x".repeat(200_000));
    m.serve(1, vec![envelope(1, big, &m.key, &m.key, None)]);
    let tight = PullConfig {
        max_body_bytes: 100_000,
        ..PullConfig::default()
    };
    let err = puller(tight).pull(&m.record()).await.unwrap_err();
    assert!(
        err.to_string()
            .contains("decompressed body over the limit of 100000 bytes"),
        "{err}"
    );
    assert!(
        b.peer_record(&m.key.node_id())
            .last_error
            .unwrap()
            .contains("over the limit")
    );

    // A body that never ends.
    *m.answer.lock().unwrap() = Answer::Endless;
    let wire = PullConfig {
        max_wire_bytes: 1 << 20,
        ..PullConfig::default()
    };
    let err = puller(wire).pull(&m.record()).await.unwrap_err();
    assert!(matches!(err, PullError::Body(_)), "{err}");
    assert!(
        err.to_string()
            .contains("response over the limit of 1048576 bytes"),
        "{err}"
    );
    assert!(
        b.peer_record(&m.key.node_id())
            .last_error
            .unwrap()
            .contains("response over the limit")
    );
    assert_eq!(b.store.head_seq().unwrap(), 0, "nothing was stored");
    assert_eq!(b.peer_record(&m.key.node_id()).cursor, 0);

    // Pages that always say more follow: one pull takes at most `max_pages`.
    *m.answer.lock().unwrap() = Answer::MoreForever;
    let few = PullConfig {
        max_pages: 5,
        ..PullConfig::default()
    };
    let r = tokio::time::timeout(
        std::time::Duration::from_secs(30),
        puller(few).pull(&m.record()),
    )
    .await
    .expect("a pull ends")
    .unwrap();
    assert_eq!(r.pages, 5);
    assert!(r.more);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_signed_for_one_node_is_refused_by_another() {
    let a = TestNode::start("a", 131, None).await;
    let b = TestNode::start("b", 132, None).await;
    let p = TestNode::start("p", 133, None).await;
    a.add_peer(&p);
    b.add_peer(&p);
    let _ = rustls::crypto::ring::default_provider().install_default();
    let client = reqwest::Client::new();
    let path = "/federation/v1/changes";
    let signed_for = |target: &TestNode, host: &TestNode| {
        let h = httpsig::sign(
            &p.key,
            "GET",
            &httpsig::authority_of(&target.url).unwrap(),
            path,
            Some("after=0"),
            b"",
            chrono::Utc::now().timestamp(),
        );
        (h, httpsig::authority_of(&host.url).unwrap())
    };
    let send = |to: &TestNode, (h, host): (httpsig::SignatureHeaders, String)| {
        client
            .get(format!("{}{path}?after=0", to.url))
            .header("host", host)
            .header("date", h.date)
            .header("content-digest", h.content_digest)
            .header("signature-input", h.signature_input)
            .header("signature", h.signature)
            .build()
            .unwrap()
    };
    // Signed for A: A takes it; the same request replayed to B is refused there.
    let for_a = signed_for(&a, &a);
    let at_a = send(&a, for_a.clone());
    assert_eq!(client.execute(at_a).await.unwrap().status(), 200);
    let replayed = client.execute(send(&b, for_a.clone())).await.unwrap();
    assert_eq!(replayed.status(), 401);
    let why = replayed.text().await.unwrap();
    let (a_auth, b_auth) = (
        httpsig::authority_of(&a.url).unwrap(),
        httpsig::authority_of(&b.url).unwrap(),
    );
    assert!(
        why.contains(&format!(
            "request addressed to \\\"{a_auth}\\\", not to this node (\\\"{b_auth}\\\")"
        )),
        "{why}"
    );
    // Sent to B with B's name as `Host`: the signature still covers A only.
    let renamed = client
        .execute(send(&b, (for_a.0, b_auth.clone())))
        .await
        .unwrap();
    assert_eq!(renamed.status(), 401);
    assert!(renamed.text().await.unwrap().contains("bad signature"));
    // Signed for B, B takes it.
    let ok = client.execute(send(&b, signed_for(&b, &b))).await.unwrap();
    assert_eq!(ok.status(), 200);
}
