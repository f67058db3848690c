//! A real federation of `concord serve` processes on loopback, configured through the CLI:
//! a chain A-B-C (origin signatures through a middle node, TLP:RED stays home, personal
//! data redacted per agreement; on SQLite and again with every node on PostgreSQL), a
//! five-node full mesh that converges with no duplicates, and partition, restart and
//! kill -9 during a pull.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::common::node::{Node, link};
use crate::common::*;
use crate::postgres::Backend;

const GREEN: &str = "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb";
const RED: &str = "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1";

impl Node {
    /// Every held (id, version) of the node, sorted (from `concord export`).
    fn holdings(&self) -> Vec<(String, String)> {
        let out = run(self.path(), &["export"]);
        assert!(out.status.success(), "{}", stderr(&out));
        let bundle: Value = serde_json::from_slice(&out.stdout).unwrap();
        let mut all: Vec<(String, String)> = bundle["objects"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| {
                (
                    o["id"].as_str().unwrap().to_owned(),
                    o["modified"].as_str().unwrap_or("").to_owned(),
                )
            })
            .collect();
        all.sort();
        all
    }

    fn peers(&self) -> Vec<Value> {
        let out = run(self.path(), &["peer", "list", "--json"]);
        serde_json::from_str(&stdout(&out)).unwrap()
    }
}

fn indicator(n: usize, marking: &str) -> Value {
    json!({
        "type": "indicator", "spec_version": "2.1",
        "id": format!("indicator--00000000-0000-4000-8000-{n:012}"),
        "created": "2026-02-01T00:00:00.000Z", "modified": "2026-02-01T00:00:00.000Z",
        "name": format!("C2 host {n}"),
        "pattern": format!("[ipv4-addr:value = '198.51.{}.{}']", (n / 250) % 250, n % 250),
        "pattern_type": "stix", "valid_from": "2026-02-01T00:00:00Z",
        "object_marking_refs": [marking]
    })
}

pub(crate) fn wait_until(what: &str, limit: Duration, mut f: impl FnMut() -> bool) {
    let start = Instant::now();
    while !f() {
        assert!(
            start.elapsed() < limit,
            "timed out after {limit:?} waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn a_chain_carries_signed_objects_keeps_red_home_and_redacts_per_agreement() {
    chain(|| Some(Backend::Sqlite));
}

/// Issue 25: the same with every node on a PostgreSQL database of its own.
#[test]
fn a_chain_of_nodes_on_postgres_carries_keeps_red_home_and_redacts() {
    chain(Backend::postgres);
}

/// Issue 25: a node that has shared data, moved to PostgreSQL with `concord migrate`,
/// keeps its audit chain (it verifies on the copy, entry for entry the same) and its
/// peer continues from its cursor: nothing it held is sent again, what is new arrives.
#[test]
fn a_node_moved_to_postgres_keeps_its_audit_chain_and_its_peer_continues() {
    let Some(pg) = Backend::postgres() else {
        return;
    };
    let (mut a, mut b) = (Node::new("a"), Node::new("b"));
    a.start();
    b.start();
    link(&a, &b);
    let (before, red, after) = (
        indicator(31, GREEN),
        indicator(32, RED),
        indicator(33, GREEN),
    );
    a.post(&[before.clone(), red.clone()]);
    let id = |v: &Value| v["id"].as_str().unwrap().to_owned();
    wait_until("A's indicator at B", Duration::from_secs(30), || {
        b.get(&id(&before)).is_some()
    });
    let audit = |n: &Node| -> Vec<Value> {
        let out = run(n.path(), &["audit", "show", "--json"]);
        assert!(out.status.success(), "{}", stderr(&out));
        serde_json::from_slice::<Vec<Value>>(&out.stdout).unwrap()
    };
    let mentions = |entries: &[Value], id: &str| {
        entries
            .iter()
            .filter(|e| e.to_string().contains(id))
            .count()
    };
    let chain_before = audit(&a);
    assert!(
        mentions(&chain_before, &id(&before)) > 0,
        "{chain_before:?}"
    );
    assert!(mentions(&chain_before, &id(&red)) > 0, "{chain_before:?}");

    a.kill();
    pg.adopt(a.path());
    let verify = run(a.path(), &["audit", "verify"]);
    assert!(
        verify.status.success(),
        "{}{}",
        stdout(&verify),
        stderr(&verify)
    );
    assert!(stdout(&verify).contains("intact"), "{}", stdout(&verify));
    assert_eq!(
        audit(&a),
        chain_before,
        "the audit chain changed in the copy"
    );

    a.start();
    a.post(std::slice::from_ref(&after));
    wait_until("A's new indicator at B", Duration::from_secs(30), || {
        b.get(&id(&after)).is_some()
    });
    // B went on from its cursor: the objects of before the move were not decided on (so
    // not sent) again, and B holds one version of each.
    let chain_after = audit(&a);
    assert_eq!(chain_after[..chain_before.len()], chain_before[..]);
    assert_eq!(
        mentions(&chain_after, &id(&before)),
        mentions(&chain_before, &id(&before))
    );
    assert_eq!(
        mentions(&chain_after, &id(&red)),
        mentions(&chain_before, &id(&red))
    );
    assert!(mentions(&chain_after, &id(&after)) > 0);
    let held = b.holdings();
    for v in [&before, &after] {
        assert_eq!(
            held.iter().filter(|(i, _)| *i == id(v)).count(),
            1,
            "{held:?}"
        );
    }
    assert!(b.get(&id(&red)).is_none(), "TLP:RED reached B");
    let verify = run(a.path(), &["audit", "verify"]);
    assert!(verify.status.success(), "{}", stdout(&verify));
}

/// The chain test with each node's store from `backend` (a node is made, then moved
/// there); returns early (loudly) when `backend` gives none.
fn chain(backend: impl Fn() -> Option<Backend>) {
    let mut nodes = Vec::new();
    for name in ["a", "b", "c"] {
        let Some(store) = backend() else { return };
        let node = Node::new(name);
        store.adopt(node.path());
        nodes.push(node);
    }
    let [mut a, mut b, mut c] = <[Node; 3]>::try_from(nodes).ok().unwrap();
    // A's policy: B's agreement lets personal data go, redacted; everyone else gets the default.
    let policy = std::fs::read_to_string(a.path().join("policy.toml")).unwrap();
    let policy = policy.replacen(
        "[[agreement]]\nname = \"default\"",
        "[[agreement]]\nname = \"b-redacted\"\npeers = [\"b\"]\ntlp = [\"clear\", \"green\"]\n\
         redact_categories = [\"personal-information\"]\n[agreement.redaction]\nhash_emails = true\n\n\
         [[agreement]]\nname = \"default\"",
        1,
    );
    assert!(policy.contains("b-redacted"));
    std::fs::write(a.path().join("policy.toml"), policy).unwrap();
    let check = run(
        a.path(),
        &[
            "policy",
            "test",
            a.path().join("policy.toml").to_str().unwrap(),
        ],
    );
    assert!(check.status.success(), "{}", stderr(&check));

    for n in [&mut a, &mut b, &mut c] {
        n.start();
    }
    link(&a, &b);
    link(&b, &c);

    let note = json!({
        "type": "note", "spec_version": "2.1",
        "id": "note--00000000-0000-4000-8000-0000000000aa",
        "created": "2026-02-01T00:00:00.000Z", "modified": "2026-02-01T00:00:00.000Z",
        "content": "Victim mailbox jane.doe@example.org received the lure",
        "object_refs": ["indicator--00000000-0000-4000-8000-000000000001"],
        "object_marking_refs": [GREEN]
    });
    a.post(&[indicator(1, GREEN), indicator(2, RED), note]);
    let green = "indicator--00000000-0000-4000-8000-000000000001";
    let red = "indicator--00000000-0000-4000-8000-000000000002";

    let t = Instant::now();
    wait_until("A's indicator at C", Duration::from_secs(30), || {
        c.get(green).is_some()
    });
    eprintln!("A -> B -> C in {:?}", t.elapsed());
    let at_c = c.get(green).unwrap();
    assert_eq!(at_c["provenance"]["origin"], json!(a.id), "{at_c}");
    assert_eq!(at_c["provenance"]["received_from"], json!(b.id));
    assert!(at_c["provenance"]["redacted_by"].is_null());

    let at_b = b
        .get("note--00000000-0000-4000-8000-0000000000aa")
        .expect("note at B");
    let text = at_b["object"].to_string();
    assert!(!text.contains("jane.doe"), "{text}");
    assert!(text.contains("@redacted.invalid"), "{text}");

    assert!(b.get(red).is_none(), "TLP:RED reached B");
    assert!(c.get(red).is_none(), "TLP:RED reached C");

    // The decisions are in A's audit log, which verifies; `policy explain` names the rule.
    let audit = run(a.path(), &["audit", "show", "--peer", "b", "--json"]);
    let lines = stdout(&audit);
    assert!(lines.contains(red) && lines.contains("withhold"), "{lines}");
    let verify = run(a.path(), &["audit", "verify"]);
    assert!(verify.status.success(), "{}", stdout(&verify));
    assert!(stdout(&verify).contains("intact"));
    let explain = run(a.path(), &["policy", "explain", red, "--peer", "b"]);
    assert!(
        stdout(&explain).contains("withhold"),
        "{}",
        stdout(&explain)
    );
    assert!(
        stdout(&explain).to_lowercase().contains("red"),
        "{}",
        stdout(&explain)
    );

    // Peer state is visible.
    let peers = b.peers();
    assert_eq!(peers.len(), 2);
    assert!(peers.iter().all(|p| p["state"] == "connected"), "{peers:?}");

    // A request that is not signed by a registered peer gets 401.
    let (status, body) = http(
        &a.addr(),
        "GET",
        "/federation/v1/changes?after=0",
        None,
        None,
    );
    assert_eq!(status, 401, "{body}");
}

#[test]
fn a_full_mesh_converges_without_duplicates_and_survives_partition_and_kill_9() {
    let mut nodes: Vec<Node> = (0..5).map(|i| Node::new(&format!("n{i}"))).collect();
    for n in nodes.iter_mut() {
        n.start();
    }
    for i in 0..5 {
        for j in (i + 1)..5 {
            link(&nodes[i], &nodes[j]);
        }
    }
    // 1,000 objects created at pseudo-random nodes, in batches.
    let mut rng = 0x2545_f491_4f6c_dd1du64;
    for batch in 0..20 {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        let at = (rng % 5) as usize;
        let objs: Vec<Value> = (0..50)
            .map(|k| indicator(batch * 50 + k + 100, GREEN))
            .collect();
        nodes[at].post(&objs);
    }
    let converged = |nodes: &[Node]| {
        let first = nodes[0].holdings();
        nodes[1..].iter().all(|n| n.holdings() == first)
    };
    let t = Instant::now();
    wait_until("the mesh to converge", Duration::from_secs(60), || {
        converged(&nodes)
    });
    eprintln!(
        "5-node mesh converged on 1,000 objects in {:?}",
        t.elapsed()
    );
    let held = nodes[0].holdings();
    let mut ids: Vec<&String> = held.iter().map(|(id, _)| id).collect();
    ids.dedup();
    assert_eq!(ids.len(), held.len(), "a version is held twice");
    assert!(held.len() >= 1_000);

    // Partition: n4 stops, the others go on, n4 comes back and catches up.
    nodes[4].kill();
    let more: Vec<Value> = (0..200).map(|k| indicator(5_000 + k, GREEN)).collect();
    nodes[1].post(&more);
    nodes[4].start();
    wait_until("n4 to catch up", Duration::from_secs(60), || {
        converged(&nodes)
    });

    // kill -9 during a pull: a large backlog, killed mid-way, restarted.
    nodes[3].kill();
    for chunk in 0..4 {
        let big: Vec<Value> = (0..1_000)
            .map(|k| indicator(10_000 + chunk * 1_000 + k, GREEN))
            .collect();
        nodes[0].post(&big);
    }
    nodes[3].start();
    std::thread::sleep(Duration::from_millis(300));
    nodes[3].kill();
    nodes[3].start();
    wait_until("n3 to recover", Duration::from_secs(90), || {
        converged(&nodes)
    });
    let held = nodes[3].holdings();
    let mut ids: Vec<&String> = held.iter().map(|(id, _)| id).collect();
    ids.dedup();
    assert_eq!(ids.len(), held.len());
    assert!(held.len() >= 5_200);
}
