//! `/api/v1/community`: the community's state, its log paged, its open proposals, as
//! every member computes them from the stored governance log (issue 24).

use axum::http::StatusCode;
use chrono::{Duration, Utc};
use concord_community::{
    Action, Charter, Choice, Content, Entry, Genesis, GenesisBody, MemberInfo,
};
use concord_federation::governance::{entry_document, genesis_document};
use concord_keys::NodeKey;
use concord_stix::Timestamp;

use super::common::TestApp;

fn key(i: u8) -> NodeKey {
    NodeKey::from_seed([i; 32])
}

/// `minutes` ago, as a signed timestamp.
fn ago(minutes: i64) -> String {
    Timestamp::format_millis(Utc::now() - Duration::minutes(minutes))
}

struct Log {
    founders: Vec<NodeKey>,
    genesis: Genesis,
    passed: Entry,
    open: Entry,
    forged: Entry,
}

/// Three founders an hour ago; a definition passed, another open with a yes and a no;
/// an outsider's vote refused.
fn stored_log(t: &TestApp) -> Log {
    let founders: Vec<NodeKey> = (1..=3).map(key).collect();
    let mut genesis = Genesis::new(GenesisBody {
        name: "API CERTs".into(),
        charter: Charter::example(),
        founders: founders
            .iter()
            .map(|k| MemberInfo {
                node_id: k.node_id(),
                public_key: k.public_hex(),
                url: format!("https://{}.example", k.node_id()),
                organisation: "CERT".into(),
                country: Some("FR".into()),
                sectors: vec![],
            })
            .collect(),
        created: ago(60),
    });
    for k in &founders {
        genesis.sign(k);
    }
    let id = genesis.id();
    let define = |k: &NodeKey, at: i64, name: &str| {
        Entry::sign(
            &id,
            k,
            &ago(at),
            Content::Proposal {
                action: Action::Define {
                    name: name.into(),
                    value: serde_json::json!(name),
                },
                note: "why not".into(),
            },
        )
    };
    let vote = |k: &NodeKey, at: i64, p: &Entry, choice| {
        Entry::sign(
            &id,
            k,
            &ago(at),
            Content::Vote {
                proposal: p.id(),
                choice,
            },
        )
    };
    let passed = define(&founders[0], 50, "a");
    let open = define(&founders[1], 40, "b");
    let forged = vote(&key(20), 20, &open, Choice::Yes);
    let mut docs = vec![genesis_document(&genesis)];
    for e in [
        passed.clone(),
        vote(&founders[1], 49, &passed, Choice::Yes),
        open.clone(),
        vote(&founders[2], 30, &open, Choice::No),
        forged.clone(),
    ] {
        docs.push(entry_document(&e));
    }
    t.state.store.put_governance(&docs, "", None).unwrap();
    Log {
        founders,
        genesis,
        passed,
        open,
        forged,
    }
}

#[tokio::test]
async fn the_community_shows_its_members_and_charter() {
    let t = TestApp::new();
    t.get("/api/v1/community", &t.reader)
        .await
        .assert_error(StatusCode::NOT_FOUND, "community_not_found");
    let log = stored_log(&t);
    let refused = log.founders[2].node_id();
    t.state
        .store
        .set_local_refusal(&refused, Some("audit pending"))
        .unwrap();

    let res = t.get("/api/v1/community", &t.reader).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text());
    let v = res.json();
    assert_eq!(v["community"], log.genesis.id());
    assert_eq!(v["name"], "API CERTs");
    assert_eq!(v["charter"]["rules"]["admit"]["sponsors"], 2);
    assert_eq!(v["definitions"]["a"], "a");
    assert!(v["definitions"].get("b").is_none());
    let members = v["members"].as_array().unwrap();
    assert_eq!(members.len(), 3);
    for m in members {
        assert_eq!(m["status"], "active");
        assert!(m["key"].is_string(), "{m}");
    }
    assert_eq!(v["entries"]["counted"], 4);
    assert_eq!(v["entries"]["refused"], 1);
    // The operator's local refusals are an admin's business.
    assert!(v.get("refused_here").is_none(), "{v}");
    let v = t.get("/api/v1/community", &t.admin).await.json();
    assert_eq!(v["refused_here"][0]["node_id"], refused);
    assert_eq!(v["refused_here"][0]["reason"], "audit pending");

    // By name or id prefix; an unknown one is not found.
    let by_name = t
        .get("/api/v1/community?community=API%20CERTs", &t.reader)
        .await;
    assert_eq!(by_name.json()["community"], log.genesis.id());
    let prefix = format!("/api/v1/community?community={}", &log.genesis.id()[..20]);
    assert_eq!(t.get(&prefix, &t.reader).await.status, StatusCode::OK);
    t.get("/api/v1/community?community=nobody", &t.reader)
        .await
        .assert_error(StatusCode::NOT_FOUND, "community_not_found");
    t.get("/api/v1/community?limit=3", &t.reader)
        .await
        .assert_error(StatusCode::BAD_REQUEST, "bad_parameter");
    t.request(axum::http::Method::GET, "/api/v1/community", None, None)
        .await
        .assert_error(StatusCode::UNAUTHORIZED, "unauthorized");
}

#[tokio::test]
async fn the_log_pages_in_order_with_what_counted() {
    let t = TestApp::new();
    let log = stored_log(&t);
    let first = t
        .get("/api/v1/community/log?limit=2", &t.reader)
        .await
        .json();
    assert_eq!(first["total"], 5);
    assert_eq!(first["more"], true);
    let page = first["entries"].as_array().unwrap();
    assert_eq!(page.len(), 2);
    assert_eq!(page[0]["id"], log.passed.id());
    assert_eq!(page[0]["counted"], true);
    assert_eq!(page[0]["what"], "propose define a");
    // The signed entry itself, which any member can check.
    assert_eq!(page[0]["entry"]["signature"], log.passed.signature);
    let next = first["next"].as_str().unwrap();
    assert_eq!(next, page[1]["id"]);
    let rest = t
        .get(
            &format!("/api/v1/community/log?limit=100&next={next}"),
            &t.reader,
        )
        .await
        .json();
    assert_eq!(rest["more"], false);
    assert!(rest["next"].is_null());
    let rest = rest["entries"].as_array().unwrap();
    assert_eq!(rest.len(), 3);
    assert_eq!(rest[0]["id"], log.open.id());
    let forged = rest.iter().find(|e| e["id"] == log.forged.id()).unwrap();
    assert_eq!(forged["counted"], false);
    assert!(
        forged["reason"]
            .as_str()
            .unwrap()
            .contains("is not a member"),
        "{forged}"
    );
    let ats: Vec<&str> = page
        .iter()
        .chain(rest)
        .map(|e| e["at"].as_str().unwrap())
        .collect();
    assert!(ats.windows(2).all(|w| w[0] <= w[1]), "{ats:?}");
    for bad in ["limit=0", "limit=1001", "next=entry--nothing"] {
        t.get(&format!("/api/v1/community/log?{bad}"), &t.reader)
            .await
            .assert_error(StatusCode::BAD_REQUEST, "bad_parameter");
    }
}

#[tokio::test]
async fn open_proposals_show_their_votes_and_time_left() {
    let t = TestApp::new();
    let log = stored_log(&t);
    let v = t.get("/api/v1/community/proposals", &t.reader).await.json();
    let open = v["proposals"].as_array().unwrap();
    assert_eq!(open.len(), 1, "{v}");
    let p = &open[0];
    assert_eq!(p["id"], log.open.id());
    assert_eq!(p["author"], log.founders[1].node_id());
    assert_eq!(p["what"], "define b");
    assert_eq!(p["note"], "why not");
    assert_eq!((p["yes"].as_u64(), p["no"].as_u64()), (Some(1), Some(1)));
    assert_eq!(p["required"], 2);
    assert_eq!(p["votes"].as_array().unwrap().len(), 2);
    // A week to vote, made 40 minutes ago.
    let left = p["seconds_left"].as_i64().unwrap();
    let week = 7 * 24 * 3600;
    assert!((week - 41 * 60..=week - 39 * 60).contains(&left), "{left}");
}
