//! A community of real `concord serve` processes on loopback, run through the CLI only:
//! three nodes found it (genesis drafted, signed by each, published by each) and peer
//! without `peer add`; a fourth applies, is admitted by two sponsors reaching the
//! threshold and syncs with all; its key is revoked and its requests are refused.

use std::time::Duration;

use serde_json::{Value, json};

use crate::common::node::Node;
use crate::common::*;
use crate::federation::wait_until;

const GREEN: &str = "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb";
const LIMIT: Duration = Duration::from_secs(30);

fn ok(node: &Node, args: &[&str]) -> String {
    let out = run(node.path(), args);
    assert!(
        out.status.success(),
        "concord {args:?}: {}{}",
        stdout(&out),
        stderr(&out)
    );
    stdout(&out)
}

fn show(node: &Node) -> Value {
    let v: Value = serde_json::from_str(&ok(node, &["community", "show", "--json"])).unwrap();
    v[0].clone()
}

fn peer_ids(node: &Node) -> Vec<String> {
    let v: Value = serde_json::from_str(&ok(node, &["peer", "list", "--json"])).unwrap();
    let mut ids: Vec<String> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["node_id"].as_str().unwrap().to_owned())
        .collect();
    ids.sort();
    ids
}

fn sorted(ids: &[&str]) -> Vec<String> {
    let mut v: Vec<String> = ids.iter().map(|s| (*s).to_owned()).collect();
    v.sort();
    v
}

fn active(state: &Value, id: &str) -> bool {
    state["members"][id]["status"] == "active"
}

#[test]
fn founders_peer_by_themselves_admit_a_fourth_and_refuse_its_revoked_key() {
    let mut nodes: Vec<Node> = ["a", "b", "c", "d"].into_iter().map(Node::new).collect();
    for n in &mut nodes {
        n.start();
    }
    let (a, b, c, d) = (&nodes[0], &nodes[1], &nodes[2], &nodes[3]);
    let files = tempfile::tempdir().unwrap();
    let file = |name: &str| files.path().join(name).display().to_string();
    for (n, country) in [(a, "FR"), (b, "DE"), (c, "NL"), (d, "BE")] {
        let org = format!("CERT-{country}");
        ok(
            n,
            &[
                "community",
                "apply",
                "--organisation",
                &org,
                "--country",
                country,
                "--sector",
                "energy",
                "--out",
                &file(&n.name),
            ],
        );
    }
    let genesis = file("genesis.json");
    ok(
        a,
        &[
            "community",
            "genesis",
            "--name",
            "loopback CERTs",
            "--member",
            &file("a"),
            "--member",
            &file("b"),
            "--member",
            &file("c"),
            "--out",
            &genesis,
        ],
    );
    // Not every founder signed yet: nobody can found it.
    let out = run(a.path(), &["community", "found", &genesis]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("has not signed"), "{}", stderr(&out));
    ok(b, &["community", "sign", &genesis]);
    ok(c, &["community", "sign", &genesis]);
    for n in [a, b, c] {
        assert!(ok(n, &["community", "found", &genesis]).contains("Founded"));
    }
    assert!(ok(d, &["community", "join", &genesis]).contains("candidate"));

    // The founders peer with each other without `peer add`, and data flows.
    for (n, others) in [(a, [b, c]), (b, [a, c]), (c, [a, b])] {
        let want = sorted(&[&others[0].id, &others[1].id]);
        wait_until("the founders peer", LIMIT, || peer_ids(n) == want);
    }
    let id = "indicator--00000000-0000-4000-8000-000000002424";
    a.post(&[json!({
        "type": "indicator", "spec_version": "2.1", "id": id,
        "created": "2026-02-01T00:00:00.000Z", "modified": "2026-02-01T00:00:00.000Z",
        "pattern": "[ipv4-addr:value = '198.51.100.24']", "pattern_type": "stix",
        "valid_from": "2026-02-01T00:00:00Z", "object_marking_refs": [GREEN]
    })]);
    wait_until("B and C got A's object", LIMIT, || {
        b.get(id).is_some() && c.get(id).is_some()
    });
    assert!(d.get(id).is_none(), "a candidate got data");

    // A and B sponsor D: A proposes, B votes yes (2 of 3).
    let out = ok(
        a,
        &[
            "community",
            "propose",
            "--note",
            "national CERT",
            "admit",
            &file("d"),
            "--sponsor",
            &b.id,
        ],
    );
    assert!(out.contains("open"), "{out}");
    let proposal = show(a)["proposals"]
        .as_object()
        .unwrap()
        .keys()
        .next()
        .unwrap()
        .clone();
    wait_until("B got the proposal", LIMIT, || {
        show(b)["proposals"].get(&proposal).is_some()
    });
    let out = ok(b, &["community", "vote", &proposal[..20], "yes"]);
    assert!(out.contains("passed"), "{out}");
    for n in [a, b, c] {
        wait_until("D is a member and a peer everywhere", LIMIT, || {
            active(&show(n), &d.id) && peer_ids(n).contains(&d.id)
        });
    }
    wait_until("D syncs with every member", LIMIT, || {
        active(&show(d), &d.id)
            && peer_ids(d) == sorted(&[&a.id, &b.id, &c.id])
            && d.get(id).is_some()
    });
    let table = ok(d, &["community", "show"]);
    assert!(
        table.contains("CERT-BE") && table.contains("MEMBER"),
        "{table}"
    );
    let log = ok(d, &["community", "log"]);
    assert!(
        log.contains("propose admit") && log.contains("vote Yes"),
        "{log}"
    );

    // C refuses D on its own: D is no peer of C, and C's operator sees why; lifted, D
    // is back.
    ok(
        c,
        &["community", "refuse", &d.id, "--reason", "audit pending"],
    );
    wait_until("C dropped D", LIMIT, || !peer_ids(c).contains(&d.id));
    assert_eq!(show(c)["refused_here"][0]["reason"], "audit pending");
    assert!(ok(c, &["community", "show"]).contains("REFUSED HERE"));
    assert!(peer_ids(a).contains(&d.id), "a refusal is one node's alone");
    ok(c, &["community", "refuse", &d.id, "--lift"]);
    wait_until("C peers with D again", LIMIT, || {
        peer_ids(c).contains(&d.id)
    });

    // C proposes to revoke D's key, A agrees: every member drops D and refuses it.
    ok(
        c,
        &[
            "community",
            "propose",
            "--note",
            "key stolen",
            "revoke",
            &d.id,
        ],
    );
    let revoke = show(c)["proposals"]
        .as_object()
        .unwrap()
        .iter()
        .find(|(_, p)| p["action"]["action"] == "revoke-key")
        .map(|(id, _)| id.clone())
        .unwrap();
    wait_until("A got the revocation", LIMIT, || {
        show(a)["proposals"].get(&revoke).is_some()
    });
    ok(a, &["community", "vote", &revoke, "yes"]);
    for n in [a, b, c] {
        wait_until("D's key is revoked and D dropped", LIMIT, || {
            !peer_ids(n).contains(&d.id)
                && show(n)["members"][&d.id]["keys"][0]["revoked"].is_string()
        });
    }
    // D's requests are refused (its pulls fail with 401).
    wait_until("A refuses D", LIMIT, || {
        let v: Value = serde_json::from_str(&ok(d, &["peer", "list", "--json"])).unwrap();
        v.as_array().unwrap().iter().any(|p| {
            p["node_id"] == a.id.as_str()
                && p["last_error"].as_str().is_some_and(|e| e.contains("401"))
        })
    });
}
