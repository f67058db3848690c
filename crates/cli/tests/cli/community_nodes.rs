//! Issue 24's community of seven real `concord serve` processes on loopback, through the
//! CLI only: three found it; four more are admitted one by one by a sponsor, a second
//! sponsor and the threshold; a proposal one vote short never takes effect; a revoked key
//! is refused by every node; a member rotates its key and every object it shared before
//! and after arrives exactly once everywhere; a node stopped during three decisions has
//! the same state as the others once it is back.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::common::node::Node;
use crate::common::*;
use crate::community::{ok, peer_ids, show};
use crate::federation::wait_until;

const GREEN: &str = "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb";
const LIMIT: Duration = Duration::from_secs(60);
/// The voting period of definitions: short, so that a proposal one vote short is seen
/// to expire. Other decisions have two minutes.
const DEFINE_PERIOD_SECS: u64 = 8;

fn charter() -> Value {
    let rule = |fraction: [u32; 2], sponsors: u32, period: u64| json!({"threshold": {"fraction": fraction}, "period_secs": period, "sponsors": sponsors});
    json!({"rules": {
        "admit": rule([2, 3], 2, 120),
        "suspend": rule([1, 2], 0, 120),
        "readmit": rule([1, 2], 0, 120),
        "expel": rule([2, 3], 0, 120),
        "revoke-key": rule([1, 2], 0, 120),
        "change-charter": rule([3, 4], 0, 120),
        "define": rule([1, 2], 0, DEFINE_PERIOD_SECS),
    }})
}

/// The entry id a `propose` printed.
fn entry_id(out: &str) -> String {
    let start = out
        .find("entry--")
        .unwrap_or_else(|| panic!("no entry id in {out}"));
    out[start..]
        .split(|c: char| c.is_whitespace() || c == ')')
        .next()
        .unwrap()
        .to_owned()
}

/// `proposer` proposes (`args` after `community propose`), then each of `voters`, once
/// it holds the proposal, votes yes. Returns the proposal's id and the last output.
fn decide(proposer: &Node, voters: &[&Node], args: &[&str]) -> (String, String) {
    let mut full = vec!["community", "propose"];
    full.extend_from_slice(args);
    let id = entry_id(&ok(proposer, &full));
    let mut last = String::new();
    for (i, v) in voters.iter().enumerate() {
        // The voter holds the proposal and the votes before its own, so that it sees
        // the outcome its vote makes.
        wait_until("the voter holds the proposal and its votes", LIMIT, || {
            show(v)["proposals"][&id]["votes"]
                .as_object()
                .is_some_and(|votes| votes.len() > i)
        });
        last = ok(v, &["community", "vote", &id, "yes"]);
    }
    if last.contains("passed") {
        // Everyone who took part sees the decision before proposing the next one.
        for n in std::iter::once(proposer).chain(voters.iter().copied()) {
            wait_until("the decision reached every participant", LIMIT, || {
                show(n)["proposals"][&id]["outcome"]["state"] == "passed"
            });
        }
    }
    (id, last)
}

fn indicator(n: u32) -> (String, Value) {
    let id = format!("indicator--00000000-0000-4000-8000-{n:012}");
    let v = json!({
        "type": "indicator", "spec_version": "2.1", "id": id,
        "created": "2026-02-01T00:00:00.000Z", "modified": "2026-02-01T00:00:00.000Z",
        "pattern": format!("[ipv4-addr:value = '198.51.100.{}']", n % 250),
        "pattern_type": "stix", "valid_from": "2026-02-01T00:00:00Z",
        "object_marking_refs": [GREEN]
    });
    (id, v)
}

/// The public key the node's running `serve` signs with (`GET /federation/v1/node`), or
/// `None` while it does not answer (restarting in place).
fn serving_key(node: &Node) -> Option<String> {
    let (status, body) = try_http(&node.addr(), "GET", "/federation/v1/node", None, None)?;
    let v: Value = serde_json::from_str(&body).ok().filter(|_| status == 200)?;
    Some(v["public_key"].as_str()?.to_owned())
}

/// How many versions of `id` the node holds.
fn versions(node: &Node, id: &str) -> usize {
    let (status, body) = http(
        &node.addr(),
        "GET",
        &format!("/api/v1/objects/{id}/versions"),
        Some(&node.admin),
        None,
    );
    if status != 200 {
        return 0;
    }
    let v: Value = serde_json::from_str(&body).unwrap();
    v["versions"].as_array().map_or(0, Vec::len)
}

fn peers(node: &Node) -> Vec<Value> {
    let v: Value = serde_json::from_str(&ok(node, &["peer", "list", "--json"])).unwrap();
    v.as_array().unwrap().clone()
}

/// The state as every member computes it (without what is local to the node).
fn shared_state(node: &Node) -> Value {
    let mut s = show(node);
    s.as_object_mut().unwrap().remove("refused_here");
    s
}

#[test]
fn seven_nodes_admit_decide_revoke_rotate_and_catch_up() {
    let started = Instant::now();
    let mut nodes: Vec<Node> = ["a", "b", "c", "d", "e", "f", "g"]
        .into_iter()
        .map(Node::new)
        .collect();
    for n in &mut nodes {
        n.start();
    }
    let files = tempfile::tempdir().unwrap();
    let file = |name: &str| files.path().join(name).display().to_string();
    for n in &nodes {
        let org = format!("CERT-{}", n.name.to_uppercase());
        ok(
            n,
            &[
                "community",
                "apply",
                "--organisation",
                &org,
                "--out",
                &file(&n.name),
            ],
        );
    }
    let charter_file = file("charter.json");
    std::fs::write(&charter_file, charter().to_string()).unwrap();
    let genesis = file("genesis.json");
    {
        let (a, b, c) = (&nodes[0], &nodes[1], &nodes[2]);
        ok(
            a,
            &[
                "community",
                "genesis",
                "--name",
                "seven",
                "--charter",
                &charter_file,
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
        for n in [a, b, c] {
            ok(n, &["community", "found", &genesis]);
        }
    }
    for n in &nodes[3..] {
        ok(n, &["community", "join", &genesis]);
    }

    // Four candidates admitted one by one: A proposes and sponsors, B sponsors, and as
    // many others vote as the threshold (2/3 of the members) needs.
    for (i, name) in ["d", "e", "f", "g"].into_iter().enumerate() {
        let members = 3 + i;
        let needed = (2 * members).div_ceil(3);
        let voters: Vec<&Node> = nodes[1..needed].iter().collect();
        let b_id = nodes[1].id.clone();
        let (_, out) = decide(
            &nodes[0],
            &voters,
            &["admit", &file(name), "--sponsor", &b_id],
        );
        assert!(out.contains("passed"), "{out}");
        let new = &nodes[3 + i];
        for n in &nodes[..=3 + i] {
            let others: Vec<String> = {
                let mut v: Vec<String> = nodes[..=3 + i]
                    .iter()
                    .filter(|o| o.id != n.id)
                    .map(|o| o.id.clone())
                    .collect();
                v.sort();
                v
            };
            wait_until(
                "the new member is in force and peers everywhere",
                LIMIT,
                || show(n)["members"][&new.id]["status"] == "active" && peer_ids(n) == others,
            );
        }
    }
    let [a, b, c, d, e, f, g] = &mut nodes[..] else {
        unreachable!()
    };

    // Objects shared by F before it rotates its key.
    let (before_id, before) = indicator(1);
    f.post(std::slice::from_ref(&before));

    // A definition gets three yes of the four needed (half of seven): it never takes
    // effect, and a vote after its period does not count.
    let (short, out) = decide(
        a,
        &[&*b, &*c],
        &["define", "taxonomies", r#"["admiralty"]"#],
    );
    assert!(out.contains("open"), "{out}");
    for n in [&*a, &*b, &*c, &*d, &*e, &*f, &*g] {
        wait_until("every node holds the three yes", LIMIT, || {
            show(n)["proposals"][&short]["votes"]
                .as_object()
                .is_some_and(|v| v.len() == 3)
        });
    }
    let deadline = show(a)["proposals"][&short]["deadline"]
        .as_str()
        .unwrap()
        .to_owned();
    wait_until("the period is over", LIMIT, || {
        concord_stix::Timestamp::now_millis() > deadline
    });
    let late = run(d.path(), &["community", "vote", &short, "yes"]);
    assert!(!late.status.success(), "a late vote counted");
    assert!(
        stderr(&late).contains("would not count"),
        "{}",
        stderr(&late)
    );
    for n in [&*a, &*b, &*c, &*d, &*e, &*f, &*g] {
        let s = show(n);
        assert_eq!(s["proposals"][&short]["outcome"]["state"], "open");
        assert!(s["definitions"].get("taxonomies").is_none(), "{s}");
    }

    // G's key is revoked (half of the six entitled): every node drops G and refuses
    // its requests.
    let (_, out) = decide(c, &[&*a, &*b], &["--note", "key stolen", "revoke", &g.id]);
    assert!(out.contains("passed"), "{out}");
    for n in [&*a, &*b, &*c, &*d, &*e, &*f] {
        wait_until("G's key is revoked and G dropped", LIMIT, || {
            !peer_ids(n).contains(&g.id)
                && show(n)["members"][&g.id]["keys"][0]["revoked"].is_string()
        });
    }
    let g_key = g.key.clone();
    wait_until("every node refuses G's requests", LIMIT, || {
        let p = peers(g);
        [&*a, &*b, &*c, &*d, &*e, &*f].iter().all(|n| {
            p.iter().any(|q| {
                q["node_id"] == n.id.as_str()
                    && q["last_error"].as_str().is_some_and(|e| e.contains("401"))
            })
        })
    });
    g.kill();
    assert!(
        show(a)["members"][&g.id]["keys"]
            .as_array()
            .unwrap()
            .iter()
            .all(|k| k["key"] != g_key || k["revoked"].is_string())
    );

    // F rotates its key, effective in three seconds, while it serves: at that time its
    // `serve` restarts itself in place under the new key and keeps its id. Every node
    // gives F's peer record the new key, and the objects F shared before and after
    // arrive once each, as does a new version of an object F created before.
    for n in [&*a, &*b, &*c, &*d, &*e] {
        wait_until("F's first object is everywhere", LIMIT, || {
            versions(n, &before_id) == 1
        });
    }
    let out = ok(f, &["community", "rotate", "--in", "3"]);
    assert!(out.contains(&format!("keeps its id {}", f.id)), "{out}");
    let effective = show(f)["members"][&f.id]["keys"][1]["from"]
        .as_str()
        .unwrap()
        .to_owned();
    let new_key = show(f)["members"][&f.id]["keys"][1]["key"]
        .as_str()
        .unwrap()
        .to_owned();
    for n in [&*a, &*b, &*c, &*d, &*e] {
        wait_until("the rotation arrived", LIMIT, || {
            show(n)["members"][&f.id]["keys"][0]["until"] == effective.as_str()
        });
    }
    // Until the effective time the old key is F's peer record everywhere.
    if concord_stix::Timestamp::now_millis() < effective {
        let record = peers(a).into_iter().find(|p| p["node_id"] == f.id.as_str());
        assert_eq!(record.unwrap()["public_key"], f.key.as_str());
    }
    // The running process itself answers with the new key once it restarted in place
    // (`node show` would read the key file, which any command swaps at that time).
    wait_until(
        "F's serve signs with its new key, without a restart",
        LIMIT,
        || serving_key(f).is_some_and(|k| k == new_key),
    );
    let shown: Value = serde_json::from_str(&ok(f, &["node", "show", "--json"])).unwrap();
    assert_eq!(shown["id"], f.id.as_str(), "F keeps its id");
    let (after_id, after) = indicator(2);
    // A new version of the object F created before the rotation: same origin.
    let mut before_again = before.clone();
    before_again["modified"] = json!(concord_stix::Timestamp::now_millis().as_str());
    f.post(&[after, before_again]);
    for n in [&*a, &*b, &*c, &*d, &*e] {
        wait_until(
            "F's peer record has the new key, and F's objects arrived",
            LIMIT,
            || {
                let record = peers(n).into_iter().find(|p| p["node_id"] == f.id.as_str());
                record.is_some_and(|r| r["public_key"] == new_key.as_str())
                    && versions(n, &after_id) == 1
                    && versions(n, &before_id) == 2
            },
        );
        assert_eq!(peers(n).len(), peers(a).len(), "a second record of F");
        let record = peers(n)
            .into_iter()
            .find(|p| p["node_id"] == f.id.as_str())
            .unwrap();
        assert!(record["cursor"].as_i64().unwrap() > 0, "{record}");
    }
    // F's audit log: each member pulled each of F's versions once, before and after
    // the rotation (a record that lost its cursor would have pulled the first again).
    let audit: Value =
        serde_json::from_str(&ok(f, &["audit", "show", "--json", "--limit", "100000"])).unwrap();
    for n in [&*a, &*b, &*c, &*d, &*e] {
        for (id, expected) in [(&before_id, 2), (&after_id, 1)] {
            let sent = audit
                .as_array()
                .unwrap()
                .iter()
                .filter(|x| {
                    x["peer"] == n.id.as_str()
                        && x["object_id"] == id.as_str()
                        && x["verdict"] != "withhold"
                })
                .count();
            assert_eq!(sent, expected, "{id} sent {sent} times to {}", n.name);
        }
    }
    // F, under its new key, still takes part: it gets what the others share.
    let (from_a_id, from_a) = indicator(3);
    a.post(&[from_a]);
    wait_until("F gets A's object under its new key", LIMIT, || {
        versions(f, &from_a_id) == 1
    });

    // E is stopped during three decisions (suspend, readmit, expel G); once back, it
    // computes the same state as the others.
    e.kill();
    let (_, out) = decide(a, &[&*b, &*c], &["suspend", &g.id]);
    assert!(out.contains("passed"), "{out}");
    let (_, out) = decide(b, &[&*a, &*c], &["readmit", &g.id]);
    assert!(out.contains("passed"), "{out}");
    let (_, out) = decide(c, &[&*a, &*b, &*d], &["expel", &g.id]);
    assert!(out.contains("passed"), "{out}");
    // D cast the deciding vote: it holds all three decisions.
    let settled = shared_state(d);
    assert_eq!(settled["members"][&g.id]["status"], "expelled");
    for n in [&*a, &*b, &*c, &*f] {
        wait_until("every running node has the three decisions", LIMIT, || {
            shared_state(n) == settled
        });
    }
    assert_ne!(shared_state(e), settled, "E decided while stopped");
    e.start();
    wait_until("E reaches the same state", LIMIT, || {
        shared_state(e) == settled
    });
    eprintln!(
        "seven nodes: the whole scenario took {:?}",
        started.elapsed()
    );
}
