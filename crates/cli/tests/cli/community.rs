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

pub(crate) fn ok(node: &Node, args: &[&str]) -> String {
    let out = run(node.path(), args);
    assert!(
        out.status.success(),
        "concord {args:?}: {}{}",
        stdout(&out),
        stderr(&out)
    );
    stdout(&out)
}

pub(crate) fn show(node: &Node) -> Value {
    let v: Value = serde_json::from_str(&ok(node, &["community", "show", "--json"])).unwrap();
    v[0].clone()
}

pub(crate) fn peer_ids(node: &Node) -> Vec<String> {
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

fn json_of(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("{e}: {text}"))
}

/// The problems of a failed `community verify --json`: (entry, kind, reason).
fn problems(out: &std::process::Output) -> Vec<(String, String, String)> {
    assert!(!out.status.success(), "{}", stdout(out));
    assert!(stderr(out).contains("found"), "{}", stderr(out));
    json_of(&stdout(out))
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|v| v["problems"].as_array().unwrap().clone())
        .map(|p| {
            let s = |k: &str| p[k].as_str().unwrap().to_owned();
            (s("entry"), s("kind"), s("reason"))
        })
        .collect()
}

/// Regression for issue 24: `community verify` re-checks a node's log from scratch and
/// a log exported from it off-node, naming each tampered document with its reason.
#[test]
fn verify_checks_the_log_on_the_node_and_exported() {
    let nodes: Vec<Node> = ["a", "b", "c"].into_iter().map(Node::new).collect();
    let (a, b, c) = (&nodes[0], &nodes[1], &nodes[2]);
    let files = tempfile::tempdir().unwrap();
    let file = |name: &str| files.path().join(name).display().to_string();
    for n in [a, b, c] {
        let out = file(&n.name);
        ok(
            n,
            &[
                "community",
                "apply",
                "--organisation",
                "CERT",
                "--out",
                &out,
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
            "verified",
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
    ok(b, &["community", "sign", &genesis]);
    ok(c, &["community", "sign", &genesis]);
    ok(a, &["community", "found", &genesis]);
    // Two open proposals (each one yes of the two needed).
    ok(
        a,
        &[
            "community",
            "propose",
            "define",
            "taxonomies",
            r#"["admiralty"]"#,
        ],
    );
    ok(
        a,
        &["community", "propose", "define", "levels", "[1, 2, 3]"],
    );

    let text = ok(a, &["community", "verify"]);
    assert!(text.contains("3 founders, 3 signatures verified"), "{text}");
    assert!(text.contains("2 read, 2 well-formed"), "{text}");
    assert!(text.contains("matches the state this node holds"), "{text}");
    assert!(text.contains("none found"), "{text}");
    let v = json_of(&ok(a, &["community", "verify", "--json"]));
    assert_eq!(v[0]["counted"], 2);
    assert_eq!(v[0]["matches"], true);

    // Off-node: the exported log verifies without any data directory.
    let log = file("log.json");
    ok(a, &["community", "export", "--out", &log]);
    let nowhere = files.path().join("no-node");
    let out = run(&nowhere, &["community", "verify", "--file", &log]);
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    assert!(stdout(&out).contains("none found"), "{}", stdout(&out));

    // Tampered copies of the export: each problem named by its document.
    let exported = json_of(&std::fs::read_to_string(&log).unwrap());
    let first = exported["entries"][0].clone();
    // The listing and the export are both in the log's order.
    let listing = ok(a, &["community", "log", "--json"]);
    let id0 = json_of(&listing)[0]["id"].as_str().unwrap().to_owned();
    let tampered = |name: &str, edit: &dyn Fn(&mut Value)| {
        let mut v = exported.clone();
        edit(&mut v);
        let path = file(name);
        std::fs::write(&path, v.to_string()).unwrap();
        problems(&run(
            &nowhere,
            &["community", "verify", "--json", "--file", &path],
        ))
    };
    let mangled = tampered("mangled.json", &|v| {
        let sig = v["entries"][0]["signature"].as_str().unwrap().to_owned();
        v["entries"][0]["signature"] = Value::String(mangled_signature(&sig));
    });
    assert_eq!(mangled.len(), 1, "{mangled:?}");
    assert_eq!(mangled[0].0, id0);
    assert_eq!(mangled[0].1, "invalid");
    assert!(mangled[0].2.contains("does not verify"), "{mangled:?}");
    let oversized = tampered("oversized.json", &|v| {
        v["entries"][1]["body"]["content"]["note"] = Value::String("x".repeat(70_000));
    });
    assert!(oversized[0].2.contains("over the limit"), "{oversized:?}");
    let unsigned = tampered("unsigned.json", &|v| {
        v["genesis"]["signatures"]
            .as_object_mut()
            .unwrap()
            .remove(&b.id);
    });
    assert_eq!(unsigned[0].1, "genesis");
    assert!(
        unsigned[0].2.contains(&b.id) && unsigned[0].2.contains("has not signed"),
        "{unsigned:?}"
    );
    let garbage = tampered("garbage.json", &|v| {
        v["entries"][1] = json!({"hello": "world"});
    });
    assert_eq!(garbage[0].0, "entries[1]");
    assert_eq!(garbage[0].1, "unreadable");
    // A listing is not a log: the message says how to export one.
    let listed = file("listing.json");
    std::fs::write(&listed, &listing).unwrap();
    let out = run(&nowhere, &["community", "verify", "--file", &listed]);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("community export"),
        "{}",
        stderr(&out)
    );

    // On the node: a stored entry whose signature was changed in the database.
    let db = rusqlite::Connection::open(a.path().join("concord.db")).unwrap();
    let mut forged = first.clone();
    forged["signature"] = json!(mangled_signature(first["signature"].as_str().unwrap()));
    let changed = db
        .execute(
            "UPDATE governance SET document = ?1 WHERE id = ?2",
            rusqlite::params![forged.to_string(), id0],
        )
        .unwrap();
    assert_eq!(changed, 1);
    drop(db);
    let found = problems(&run(a.path(), &["community", "verify", "--json"]));
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(
        (found[0].0.as_str(), found[0].1.as_str()),
        (id0.as_str(), "invalid")
    );
    let out = run(a.path(), &["community", "verify"]);
    assert!(!out.status.success());
    assert!(
        stdout(&out).contains(&id0) && stdout(&out).contains("does not verify"),
        "{}",
        stdout(&out)
    );
}

fn mangled_signature(sig: &str) -> String {
    let flipped = if sig.starts_with('A') { "B" } else { "A" };
    format!("{flipped}{}", &sig[1..])
}
