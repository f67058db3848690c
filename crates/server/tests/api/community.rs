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

/// An app over the same store that federates as founder `k` (so it can sign).
fn federating_as(t: &TestApp, k: &NodeKey) -> TestApp {
    let mut other = TestApp::with_store(
        t.state.store.clone(),
        concord_server::ServerConfig::default(),
    );
    let federation = concord_federation::server::FederationState::new(
        t.state.store.clone(),
        NodeKey::from_seed_hex(k.seed_hex()).unwrap(),
        concord_federation::server::FederationConfig::default(),
    )
    .unwrap();
    other.state = other.state.clone().with_federation(federation);
    other.router = concord_server::app(other.state.clone());
    other
}

async fn post(
    t: &TestApp,
    path: &str,
    token: &str,
    body: serde_json::Value,
) -> super::common::Resp {
    let body = Some(("application/json", body.to_string().into_bytes()));
    t.request(axum::http::Method::POST, path, Some(token), body)
        .await
}

#[tokio::test]
async fn admins_propose_and_vote_with_the_node_key() {
    let t = TestApp::new();
    let log = stored_log(&t);
    let define = serde_json::json!({
        "action": { "action": "define", "name": "levels", "value": [1, 2] },
        "note": "three levels are too many",
    });
    // A node that does not federate has no key to sign with.
    post(&t, "/api/v1/community/proposals", &t.admin, define.clone())
        .await
        .assert_error(StatusCode::CONFLICT, "not_federating");

    let a = federating_as(&t, &log.founders[0]);
    // Readers and analysts may not.
    for token in [&a.reader, &a.analyst] {
        post(&a, "/api/v1/community/proposals", token, define.clone())
            .await
            .assert_error(StatusCode::FORBIDDEN, "forbidden");
    }
    let res = post(&a, "/api/v1/community/proposals", &a.admin, define).await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text());
    let proposal = res.json()["proposal"].as_str().unwrap().to_owned();
    assert_eq!(res.json()["outcome"]["state"], "open");
    let open = a.get("/api/v1/community/proposals", &a.reader).await.json();
    let p = open["proposals"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["id"] == proposal.as_str())
        .unwrap()
        .clone();
    assert_eq!(p["author"], log.founders[0].node_id());
    assert_eq!(p["yes"], 1);

    // A second founder's node votes yes by a prefix of the id: it passes.
    let b = federating_as(&t, &log.founders[1]);
    let res = post(
        &b,
        "/api/v1/community/votes",
        &b.admin,
        serde_json::json!({ "proposal": &proposal[..24], "choice": "yes" }),
    )
    .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text());
    assert_eq!(res.json()["proposal"], proposal.as_str());
    assert_eq!(res.json()["outcome"]["state"], "passed");
    let v = b.get("/api/v1/community", &b.reader).await.json();
    assert_eq!(v["definitions"]["levels"], serde_json::json!([1, 2]));

    // A vote that would not count is refused and not stored.
    let before = b.get("/api/v1/community/log", &b.reader).await.json()["total"].clone();
    post(
        &b,
        "/api/v1/community/votes",
        &b.admin,
        serde_json::json!({ "proposal": proposal, "choice": "no" }),
    )
    .await
    .assert_error(StatusCode::UNPROCESSABLE_ENTITY, "would_not_count");
    let after = b.get("/api/v1/community/log", &b.reader).await.json()["total"].clone();
    assert_eq!(before, after);
    post(
        &b,
        "/api/v1/community/votes",
        &b.admin,
        serde_json::json!({ "proposal": "entry--nothing", "choice": "yes" }),
    )
    .await
    .assert_error(StatusCode::NOT_FOUND, "proposal_not_found");
    post(
        &b,
        "/api/v1/community/votes",
        &b.admin,
        serde_json::json!({ "proposal": proposal, "choice": "maybe" }),
    )
    .await
    .assert_error(StatusCode::BAD_REQUEST, "bad_choice");
    // A node that is no member cannot sign for the community.
    let outsider = federating_as(&t, &key(20));
    post(
        &outsider,
        "/api/v1/community/votes",
        &outsider.admin,
        serde_json::json!({ "proposal": log.open.id(), "choice": "yes" }),
    )
    .await
    .assert_error(StatusCode::CONFLICT, "not_a_member");
}

/// An admission names its member only through the candidate's signed application: an
/// administrator cannot propose a key and URL in a candidate's name. Each refusal names
/// the field and stores nothing.
#[tokio::test]
async fn an_admission_needs_the_candidates_own_application() {
    use concord_community::Application;
    let t = TestApp::new();
    let log = stored_log(&t);
    let a = federating_as(&t, &log.founders[0]);
    let candidate = key(9);
    let member = MemberInfo {
        node_id: candidate.node_id(),
        public_key: candidate.public_hex(),
        url: "https://candidate.example".into(),
        organisation: "New CERT".into(),
        country: Some("DE".into()),
        sectors: vec![],
    };
    let admit = |m: &MemberInfo| {
        serde_json::json!({ "action": "admit", "member": m,
            "sponsors": [log.founders[0].node_id(), log.founders[1].node_id()] })
    };
    let total =
        || async { a.get("/api/v1/community/log", &a.reader).await.json()["total"].clone() };
    let before = total().await;

    let refused = [
        // No application at all.
        (
            serde_json::json!({ "action": admit(&member) }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "application_required",
        ),
        // Signed by another key than the candidate's.
        (
            serde_json::json!({ "action": admit(&member), "application": Application::sign(member.clone(), &key(8)) }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "bad_application",
        ),
        // The candidate applied with another URL than the one proposed.
        (
            serde_json::json!({
                "action": admit(&MemberInfo { url: "https://attacker.example".into(), ..member.clone() }),
                "application": Application::sign(member.clone(), &candidate),
            }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "bad_application",
        ),
        // An application beside anything but an admission.
        (
            serde_json::json!({
                "action": { "action": "define", "name": "levels", "value": [1] },
                "application": Application::sign(member.clone(), &candidate),
            }),
            StatusCode::BAD_REQUEST,
            "unexpected_application",
        ),
    ];
    for (body, status, code) in refused {
        let res = post(&a, "/api/v1/community/proposals", &a.admin, body).await;
        let body = res.assert_error(status, code);
        assert_eq!(
            body["error"]["details"][0]["field"], "application",
            "{body}"
        );
    }
    assert_eq!(
        total().await,
        before,
        "a refused admission stored something"
    );

    let res = post(
        &a,
        "/api/v1/community/proposals",
        &a.admin,
        serde_json::json!({ "action": admit(&member), "application": Application::sign(member.clone(), &candidate) }),
    )
    .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text());
    assert_eq!(res.json()["outcome"]["state"], "open");
}

/// Issue 24: a version signed by a key before a community revoked it is kept, and its
/// provenance says so (`signer_key_revoked`: role, key, since, community); a version
/// whose signer's key was never revoked carries no flag.
#[tokio::test]
async fn a_version_signed_before_its_keys_revocation_is_flagged() {
    use concord_store::federation::Provenance;
    let t = TestApp::new();
    let log = stored_log(&t);
    let (f0, f1, f2) = (&log.founders[0], &log.founders[1], &log.founders[2]);
    let received = |n: u32, origin: &NodeKey| {
        let v = serde_json::json!({
            "type": "indicator", "spec_version": "2.1",
            "id": format!("indicator--00000000-0000-4000-8000-0000000000{n:02}"),
            "created": "2026-01-01T00:00:00.000Z", "modified": "2026-01-01T00:00:00.000Z",
            "pattern": "[ipv4-addr:value = '192.0.2.1']", "pattern_type": "stix",
            "valid_from": "2026-01-01T00:00:00Z",
        });
        let prov = Provenance {
            origin: origin.node_id(),
            origin_key: origin.public_hex(),
            signature: "c2lnbmVk".into(),
            received_from: f1.node_id(),
            hops_left: 1,
            redactor: None,
        };
        (concord_stix::Object::from_value(v).unwrap(), prov)
    };
    let (stolen, kept) = (received(1, f2), received(2, f0));
    t.state
        .store
        .ingest_received(
            "concord-test",
            &f1.node_id(),
            &[stolen.0.clone(), kept.0.clone()],
            &[stolen.1, kept.1],
            2,
            2,
        )
        .unwrap();
    let flag = |id: String| {
        let t = &t;
        async move {
            let res = t.get(&format!("/api/v1/objects/{id}"), &t.reader).await;
            assert_eq!(res.status, StatusCode::OK, "{}", res.text());
            res.json()["provenance"]["signer_key_revoked"].clone()
        }
    };
    let stolen_id = stolen.0.id().to_owned();
    assert!(flag(stolen_id.clone()).await.is_null());

    // The two other founders revoke the third's key (it may not vote on it).
    let since = ago(10);
    let revoke = Entry::sign(
        &log.genesis.id(),
        f0,
        &ago(9),
        Content::Proposal {
            action: Action::RevokeKey {
                member: f2.node_id(),
                key: f2.public_hex(),
                since: since.clone(),
                replacement: None,
            },
            note: "stolen".into(),
        },
    );
    let yes = Entry::sign(
        &log.genesis.id(),
        f1,
        &ago(8),
        Content::Vote {
            proposal: revoke.id(),
            choice: Choice::Yes,
        },
    );
    t.state
        .store
        .put_governance(&[entry_document(&revoke), entry_document(&yes)], "", None)
        .unwrap();
    let v = flag(stolen_id).await;
    assert_eq!(v["role"], "origin", "{v}");
    assert_eq!(v["key"], f2.public_hex());
    assert_eq!(v["since"], since.as_str());
    assert_eq!(v["community"], "API CERTs");
    assert!(flag(kept.0.id().to_owned()).await.is_null());
}
