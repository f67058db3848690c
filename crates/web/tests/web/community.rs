//! The community pages (issue 24): members, charter, proposals and history in every
//! language; admins propose and vote through the node key, readers only read, a forged
//! CSRF token changes nothing; local refusals are shown to admins only, as the API does.

use std::sync::Arc;

use axum::http::StatusCode;
use chrono::{Duration, Utc};
use concord_community::{
    Action, Charter, Choice, Content, Entry, Genesis, GenesisBody, MemberInfo, Outcome,
    State as Community,
};
use concord_federation::governance::{entry_document, genesis_document};
use concord_federation::identity::NodeKey;
use concord_federation::server::{FederationConfig, FederationState};
use concord_server::{AppState, ServerConfig};
use concord_stix::Timestamp;
use concord_store::Store;
use concord_store::sqlite::SqliteStore;
use concord_web::i18n::SOURCES;
use concord_web::session::hash_password;

use super::common::{PASSWORD, TestWeb, USERS};

/// The seed of this node's key (a founder).
const NODE: u8 = 7;

fn key(seed: u8) -> NodeKey {
    NodeKey::from_seed([seed; 32])
}

fn ago(minutes: i64) -> String {
    Timestamp::format_millis(Utc::now() - Duration::minutes(minutes))
}

/// A federating node with the test users, founder of "Web CERTs" with two others
/// (organisations "CERT-1", "CERT-2" and "CERT-7", this node); "CERT-1" proposed a
/// definition half an hour ago, which needs two yes votes of three.
struct Fixture {
    web: TestWeb,
    proposal: String,
}

fn fixture() -> Fixture {
    fixture_in(None)
}

/// The fixture with `data_dir` (where `response.toml` is read).
fn fixture_in(data_dir: Option<&std::path::Path>) -> Fixture {
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open_in_memory().expect("store"));
    let hash = hash_password(PASSWORD);
    for (name, role, clearance) in USERS {
        store
            .create_user(name, *role, *clearance, &hash)
            .expect("user")
            .expect("new user");
    }
    let proposal = store_community(store.as_ref());
    let fed = FederationState::new(
        store.clone(),
        key(NODE),
        FederationConfig {
            url: "http://127.0.0.1:7470".into(),
            ..FederationConfig::default()
        },
    )
    .expect("federation state");
    let config = ServerConfig {
        data_dir: data_dir.map(std::path::Path::to_path_buf),
        ..ServerConfig::default()
    };
    let web = TestWeb::from_state(AppState::new(store, config).with_federation(fed));
    Fixture { web, proposal }
}

/// Stores the genesis of "Web CERTs" and CERT-1's open proposal; returns its id.
pub(super) fn store_community(store: &dyn Store) -> String {
    let founders: Vec<NodeKey> = [1, 2, NODE].into_iter().map(key).collect();
    let mut genesis = Genesis::new(GenesisBody {
        name: "Web CERTs".into(),
        charter: Charter::example(),
        founders: founders
            .iter()
            .zip([1, 2, NODE])
            .map(|(k, n)| MemberInfo {
                node_id: k.node_id(),
                public_key: k.public_hex(),
                url: format!("https://cert-{n}.example"),
                organisation: format!("CERT-{n}"),
                country: Some("FR".into()),
                sectors: vec!["health".into()],
            })
            .collect(),
        created: ago(60),
    });
    for k in &founders {
        genesis.sign(k);
    }
    let proposal = Entry::sign(
        &genesis.id(),
        &founders[0],
        &ago(30),
        Content::Proposal {
            action: Action::Define {
                name: "taxonomies".into(),
                value: serde_json::json!(["tlp"]),
            },
            note: "we need one vocabulary".into(),
        },
    );
    store
        .put_governance(
            &[genesis_document(&genesis), entry_document(&proposal)],
            "",
            None,
        )
        .expect("governance");
    proposal.id()
}

fn state(web: &TestWeb) -> Arc<Community> {
    let states = web
        .state
        .communities
        .states(web.store().as_ref())
        .expect("states");
    assert_eq!(states.len(), 1);
    states[0].clone()
}

/// The text of a page without its tags.
fn text_of(html: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' => {
                in_tag = false;
                out.push(' ');
            }
            _ if !in_tag => out.push(c),
            _ => {}
        }
    }
    out
}

#[tokio::test]
async fn pages_render_in_every_language() {
    let f = fixture();
    let mut admin = f.web.signed_in("admin").await;
    for (code, _) in SOURCES {
        admin.accept_language = (*code).to_owned();
        for path in ["/community", "/community/proposals", "/community/log"] {
            let res = admin.get(path).await;
            let body = res.page();
            assert!(body.contains("Web CERTs"), "{code} {path}");
            assert!(body.contains(&format!("lang=\"{code}\"")), "{code} {path}");
            // Message ids start `community-` (or `live-`); the community's own id
            // starts `community--`.
            let text = text_of(body);
            let raw = text
                .match_indices("community-")
                .any(|(i, m)| !text[i + m.len()..].starts_with('-'));
            assert!(!raw, "{code} {path} shows a raw message id: {text}");
        }
    }
    // The English pages show what a member needs to know.
    admin.accept_language = "en".into();
    let overview = admin.get("/community").await.page().to_owned();
    for expected in [
        "CERT-1",
        "CERT-7",
        "health",
        "Admit a member",
        "2/3 of the members entitled to vote",
        "7 days",
        concord_keys::fingerprint(&key(1).public_hex())
            .unwrap()
            .as_str(),
    ] {
        assert!(overview.contains(expected), "{expected} missing");
    }
    let proposals = admin.get("/community/proposals").await.page().to_owned();
    for expected in [
        "Adopt a definition",
        "define taxonomies",
        "we need one vocabulary",
        "Proposed by CERT-1",
        "2 yes votes of the 3 members entitled to vote",
        "6 days",
        "Vote yes",
    ] {
        assert!(proposals.contains(expected), "{expected} missing");
    }
    let log = admin.get("/community/log").await.page().to_owned();
    assert!(log.contains("1 entry in the log"), "{log}");
    assert!(log.contains(&f.proposal));
}

#[tokio::test]
async fn an_admin_vote_counts_and_a_proposal_is_signed_by_the_node() {
    let f = fixture();
    let mut admin = f.web.signed_in("admin").await;
    let page = admin.get("/community/proposals").await;
    let csrf = page.csrf();
    let res = admin
        .post_form(
            "/community/votes",
            &[
                ("csrf", &csrf),
                ("proposal", &f.proposal),
                ("choice", "yes"),
            ],
        )
        .await;
    let body = res.page();
    assert!(body.contains("The vote was signed and stored"), "{body}");
    let s = state(&f.web);
    let p = &s.proposals[&f.proposal];
    assert_eq!(p.votes[&key(NODE).node_id()].choice, Choice::Yes);
    assert!(
        matches!(p.outcome, Outcome::Passed { .. }),
        "{:?}",
        p.outcome
    );
    assert_eq!(s.definitions["taxonomies"], serde_json::json!(["tlp"]));
    // Decided: no longer open, listed with its outcome.
    assert!(body.contains("No proposal is open."), "{body}");
    assert!(body.contains("passed"), "{body}");

    // A proposal from the form: suspend CERT-2; it counts as this node's yes.
    let cert2 = key(2).node_id();
    let res = admin
        .post_form(
            "/community/proposals",
            &[
                ("csrf", &csrf),
                ("action", "suspend"),
                ("member", &cert2),
                ("note", "compromised mail server"),
            ],
        )
        .await;
    assert!(res.page().contains("The proposal was signed and stored"));
    let s = state(&f.web);
    let suspend = s
        .proposals
        .values()
        .find(|p| {
            p.action
                == Action::Suspend {
                    member: cert2.clone(),
                }
        })
        .expect("the suspension is proposed");
    assert_eq!(suspend.author, key(NODE).node_id());
    assert_eq!(suspend.votes[&key(NODE).node_id()].choice, Choice::Yes);

    // A second vote on a decided proposal would not count: nothing is stored.
    let before = f.web.store().governance_head().unwrap();
    let res = admin
        .post_form(
            "/community/votes",
            &[("csrf", &csrf), ("proposal", &f.proposal), ("choice", "no")],
        )
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", res.body);
    assert!(res.body.contains("would not count"));
    assert_eq!(f.web.store().governance_head().unwrap(), before);

    // A form without what its kind needs is explained.
    let res = admin
        .post_form(
            "/community/proposals",
            &[
                ("csrf", &csrf),
                ("action", "define"),
                ("name", "x"),
                ("value", "{nope"),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST);
    assert!(res.body.contains("The value is not JSON"), "{}", res.body);
    assert_eq!(f.web.store().governance_head().unwrap(), before);
}

#[tokio::test]
async fn a_reader_reads_but_cannot_post_and_a_forged_csrf_is_refused() {
    let f = fixture();
    let refused = key(2).node_id();
    f.web
        .store()
        .set_local_refusal(&refused, Some("audit pending"))
        .unwrap();
    let head = f.web.store().governance_head().unwrap();

    let mut reader = f.web.signed_in("clear").await;
    let csrf = reader.csrf().await;
    let page = reader.get("/community").await.page().to_owned();
    assert!(page.contains("CERT-2"), "members are not TLP-marked data");
    assert!(
        !page.contains("audit pending"),
        "refusals are an admin's business"
    );
    let proposals = reader.get("/community/proposals").await.page().to_owned();
    assert!(proposals.contains("define taxonomies"));
    assert!(!proposals.contains("Vote yes"), "no vote form for a reader");
    assert!(!proposals.contains("action=\"/community/proposals\""));
    for (path, fields) in [
        (
            "/community/votes",
            vec![
                ("csrf", csrf.as_str()),
                ("proposal", f.proposal.as_str()),
                ("choice", "yes"),
            ],
        ),
        (
            "/community/proposals",
            vec![
                ("csrf", csrf.as_str()),
                ("action", "expel"),
                ("member", refused.as_str()),
            ],
        ),
    ] {
        let res = reader.post_form(path, &fields).await;
        assert_eq!(res.status, StatusCode::FORBIDDEN, "{path}");
    }
    assert_eq!(f.web.store().governance_head().unwrap(), head);

    let mut admin = f.web.signed_in("admin").await;
    let page = admin.get("/community").await.page().to_owned();
    assert!(page.contains("audit pending"), "{page}");
    let res = admin
        .post_form(
            "/community/votes",
            &[
                ("csrf", "forged"),
                ("proposal", &f.proposal),
                ("choice", "yes"),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
    assert_eq!(f.web.store().governance_head().unwrap(), head);
    assert!(state(&f.web).proposals[&f.proposal].votes.len() == 1);

    // Signed out: to the sign-in page.
    let mut anon = f.web.client();
    let res = anon.get("/community").await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    assert!(res.location().starts_with("/signin"));
}

#[tokio::test]
async fn a_node_without_a_community_says_so() {
    let web = TestWeb::new();
    let mut reader = web.signed_in("green").await;
    for path in ["/community", "/community/proposals", "/community/log"] {
        let body = reader.get(path).await.page().to_owned();
        assert!(body.contains("belongs to no community"), "{path}");
    }
    let res = reader.get("/community?community=nope").await;
    assert_eq!(
        res.status,
        StatusCode::OK,
        "no community at all: the same page"
    );
}

/// Decisions reach the web subscriptions with `governance = true` on the live channel
/// and the notifications page, for every signed-in user (membership is not TLP-marked).
#[tokio::test]
async fn a_decision_reaches_the_notifications_page() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("response.toml"),
        "[[subscription]]\nname = \"board\"\ngovernance = true\nweb = true\n",
    )
    .unwrap();
    let f = fixture_in(Some(dir.path()));
    let mut admin = f.web.signed_in("admin").await;
    let csrf = admin.get("/community/proposals").await.csrf();
    let res = admin
        .post_form(
            "/community/votes",
            &[
                ("csrf", &csrf),
                ("proposal", &f.proposal),
                ("choice", "yes"),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let mut reader = f.web.signed_in("clear").await;
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    let page = loop {
        let page = reader.get("/notifications").await.page().to_owned();
        if page.contains("Definition adopted") {
            break page;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no governance note: {page}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    assert!(page.contains("Web CERTs: define taxonomies"), "{page}");
    assert!(page.contains("/community/proposals?community="), "{page}");
    // The proposal was stored before the web interface started: not replayed.
    assert!(!page.contains("New proposal"), "{page}");
}

/// Issue 24: an object page flags a version whose signer's key a community revoked (the
/// version, signed before, is kept), in every language, as the API does.
#[tokio::test]
async fn an_object_page_flags_a_signer_whose_key_was_revoked() {
    use concord_store::federation::Provenance;
    let f = fixture();
    let store = f.web.store().clone();
    let (origin, from) = (key(2), key(1));
    let object = serde_json::json!({
        "type": "indicator", "spec_version": "2.1",
        "id": "indicator--00000000-0000-4000-8000-000000000042",
        "created": "2026-01-01T00:00:00.000Z", "modified": "2026-01-01T00:00:00.000Z",
        "name": "signed before the theft",
        "pattern": "[ipv4-addr:value = '192.0.2.1']", "pattern_type": "stix",
        "valid_from": "2026-01-01T00:00:00Z",
    });
    store
        .ingest_received(
            &key(NODE).node_id(),
            &from.node_id(),
            &[concord_stix::Object::from_value(object).unwrap()],
            &[Provenance {
                origin: origin.node_id(),
                origin_key: origin.public_hex(),
                signature: "c2lnbmVk".into(),
                received_from: from.node_id(),
                hops_left: 1,
                redactor: None,
            }],
            1,
            1,
        )
        .unwrap();
    let path = "/objects/indicator--00000000-0000-4000-8000-000000000042";
    let mut reader = f.web.signed_in("green").await;
    reader.accept_language = "en".into();
    let before = reader.get(path).await.page().to_owned();
    assert!(!before.contains("Signing key revoked"), "{before}");

    // CERT-1 and this node revoke CERT-2's key.
    let community = state(&f.web).community.clone();
    let revoke = Entry::sign(
        &community,
        &key(1),
        &ago(9),
        Content::Proposal {
            action: Action::RevokeKey {
                member: origin.node_id(),
                key: origin.public_hex(),
                since: ago(10),
                replacement: None,
            },
            note: "stolen".into(),
        },
    );
    let yes = Entry::sign(
        &community,
        &key(NODE),
        &ago(8),
        Content::Vote {
            proposal: revoke.id(),
            choice: concord_community::Choice::Yes,
        },
    );
    store
        .put_governance(&[entry_document(&revoke), entry_document(&yes)], "", None)
        .unwrap();
    let after = reader.get(path).await.page().to_owned();
    assert!(after.contains("Signing key revoked"), "{after}");
    assert!(after.contains("revoked by Web CERTs"), "{after}");
    for code in SOURCES.iter().map(|(c, _)| *c) {
        reader.accept_language = code.into();
        let text = text_of(reader.get(path).await.page());
        assert!(
            !text.contains("provenance-"),
            "{code} shows a raw message id: {text}"
        );
        assert!(text.contains("Web CERTs"), "{code}: {text}");
    }
}

/// Issue 24: an admin proposes an admission from the page with the candidate's signed
/// application (this node a sponsor, others named); an application signed by another
/// key, or none, is refused with the reason and stores nothing.
#[tokio::test]
async fn an_admission_is_proposed_from_the_page_with_the_candidates_application() {
    use concord_community::Application;
    let f = fixture();
    let mut admin = f.web.signed_in("admin").await;
    admin.accept_language = "en".into();
    let page = admin.get("/community/proposals").await;
    assert!(page.page().contains("Candidate"), "{}", page.page());
    let csrf = page.csrf();
    let candidate = key(30);
    let member = MemberInfo {
        node_id: candidate.node_id(),
        public_key: candidate.public_hex(),
        url: "https://cert-30.example".into(),
        organisation: "CERT-30".into(),
        country: Some("DE".into()),
        sectors: vec![],
    };
    let cert1 = key(1).node_id();
    let before = f.web.store().governance_head().unwrap();
    for (application, expected) in [
        (String::new(), "Paste the candidate"),
        (
            serde_json::to_string(&Application::sign(member.clone(), &key(31))).unwrap(),
            "The application is not valid",
        ),
        ("{nope".to_owned(), "The application is not valid"),
    ] {
        let res = admin
            .post_form(
                "/community/proposals",
                &[
                    ("csrf", &csrf),
                    ("action", "admit"),
                    ("application", &application),
                    ("sponsors", &cert1),
                ],
            )
            .await;
        assert_eq!(res.status, StatusCode::BAD_REQUEST, "{}", res.body);
        assert!(res.body.contains(expected), "{expected}: {}", res.body);
        assert_eq!(f.web.store().governance_head().unwrap(), before);
    }
    let application =
        serde_json::to_string(&Application::sign(member.clone(), &candidate)).unwrap();
    let res = admin
        .post_form(
            "/community/proposals",
            &[
                ("csrf", &csrf),
                ("action", "admit"),
                ("application", &application),
                ("sponsors", &cert1),
                ("note", "sponsored at the plenary"),
            ],
        )
        .await;
    assert!(
        res.page().contains("The proposal was signed and stored"),
        "{}",
        res.body
    );
    let s = state(&f.web);
    let admit = s
        .proposals
        .values()
        .find(|p| matches!(&p.action, Action::Admit { member: m, .. } if *m == member))
        .expect("the admission is proposed");
    assert_eq!(
        admit.action,
        Action::Admit {
            member,
            sponsors: vec![key(NODE).node_id(), cert1],
        }
    );
    assert_eq!(admit.author, key(NODE).node_id());
}
