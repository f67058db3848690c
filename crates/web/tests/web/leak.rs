//! The route-complete leak test: canary values are placed in AMBER and RED objects, in
//! properties under RED granular markings, and in incidents, notes and sightings above
//! GREEN; then every route the node's router has (`concord_server::route_paths`, built
//! from the same lists as the router) is called with its parameter variants as a GREEN
//! reader and as a GREEN analyst, and no answer may hold a canary. A route without
//! variants here fails the test, so a route added later is covered or the test fails.
//!
//! Also the write probes: a GREEN analyst trying to change, delete or probe a RED object
//! through REST, TAXII and the web upload changes nothing and gets the answer an absent
//! object gives.

use std::time::Duration;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use concord_stix::Tlp;
use concord_store::{Role, Store};
use concord_web::session::hash_password;
use serde_json::{Value, json};
use tower::ServiceExt;

use std::sync::Arc;

use concord_federation::identity::NodeKey;
use concord_federation::server::{FederationConfig, FederationState};
use concord_server::{AppState, ServerConfig};
use concord_store::federation::PeerRecord;
use concord_store::sqlite::SqliteStore;

use super::common::{PASSWORD, T, TestWeb, id, indicator};

/// This node's public URL: federation requests are signed for its authority.
const NODE_URL: &str = "http://127.0.0.1:7470";

/// A node that federates, with one registered peer under the default policy (a
/// GREEN-only agreement: TLP:CLEAR and TLP:GREEN objects of the general class).
fn federated_web(peer: &NodeKey) -> TestWeb {
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open_in_memory().expect("store"));
    let fed = FederationState::new(
        store.clone(),
        NodeKey::from_seed([7; 32]),
        FederationConfig {
            url: NODE_URL.into(),
            ..FederationConfig::default()
        },
    )
    .expect("federation state");
    store
        .put_peer(&PeerRecord {
            node_id: peer.node_id(),
            name: "green-only-peer".into(),
            url: "http://127.0.0.1:9".into(),
            public_key: peer.public_hex(),
            ..PeerRecord::default()
        })
        .expect("peer");
    TestWeb::from_state(AppState::new(store, ServerConfig::default()).with_federation(fed))
}

/// Signs the store's local versions with the node key, as the signer does while serving.
fn sign_local(web: &TestWeb) {
    concord_federation::signer::sign_all(&**web.store(), &NodeKey::from_seed([7; 32]))
        .expect("sign");
}

/// Texts that must never reach a GREEN caller.
const CANARIES: &[&str] = &[
    "CANARY-AMBER-OBJECT",
    "CANARY-RED-OBJECT",
    "CANARY-RED-GRANULAR",
    "203.0.113.77",
    "CANARY-RED-INCIDENT",
    "CANARY-RED-NOTE",
    "CANARY-AMBER-SIGHTING",
    "CANARY-RED-RELATIONSHIP",
    "CANARY-RED-HIDES-WHOLE",
];

fn canary_ids() -> Vec<String> {
    vec![
        id("indicator", 901),
        id("malware", 902),
        id("incident", 904),
        id("note", 905),
        id("sighting", 906),
        id("relationship", 907),
        id("indicator", 908),
    ]
}

fn marked(mut v: Value, tlp: Tlp) -> Value {
    v["object_marking_refs"] = json!([tlp.marking_id()]);
    v
}

fn fixture(web: &TestWeb) {
    let mut granular = indicator(903, "visible-granular", Some(Tlp::Green), "203.0.113.77");
    granular["description"] = json!("CANARY-RED-GRANULAR source");
    granular["granular_markings"] = json!([{
        "marking_ref": Tlp::Red.marking_id(), "selectors": ["description", "pattern"]
    }]);
    // A granular RED marking on the id: the whole object is hidden from a GREEN reader
    // (the rule fails closed), although its object marking is GREEN.
    let mut whole = indicator(
        908,
        "CANARY-RED-HIDES-WHOLE",
        Some(Tlp::Green),
        "198.51.100.8",
    );
    whole["granular_markings"] = json!([{
        "marking_ref": Tlp::Red.marking_id(), "selectors": ["id"]
    }]);
    web.import(vec![
        whole,
        indicator(1, "visible-green", Some(Tlp::Green), "198.51.100.7"),
        indicator(2, "visible-green-two", Some(Tlp::Green), "203.0.113.99"),
        indicator(901, "CANARY-AMBER-OBJECT", Some(Tlp::Amber), "198.51.100.7"),
        marked(
            json!({"type": "malware", "spec_version": "2.1", "id": id("malware", 902),
                "created": T, "modified": T, "name": "CANARY-RED-OBJECT", "is_family": false}),
            Tlp::Red,
        ),
        granular,
        marked(
            json!({"type": "incident", "spec_version": "2.1", "id": id("incident", 904),
                "created": T, "modified": T, "name": "CANARY-RED-INCIDENT"}),
            Tlp::Red,
        ),
        marked(
            json!({"type": "note", "spec_version": "2.1", "id": id("note", 905),
                "created": T, "modified": T, "content": "CANARY-RED-NOTE",
                "object_refs": [id("indicator", 1)]}),
            Tlp::Red,
        ),
        marked(
            json!({"type": "sighting", "spec_version": "2.1", "id": id("sighting", 906),
                "created": T, "modified": T, "sighting_of_ref": id("indicator", 1),
                "description": "CANARY-AMBER-SIGHTING"}),
            Tlp::Amber,
        ),
        marked(
            json!({"type": "relationship", "spec_version": "2.1", "id": id("relationship", 907),
                "created": T, "modified": T, "relationship_type": "indicates",
                "description": "CANARY-RED-RELATIONSHIP",
                "source_ref": id("indicator", 1), "target_ref": id("indicator", 2)}),
            Tlp::Red,
        ),
    ]);
}

/// A caller: a session cookie (web) and a bearer token (REST, TAXII), both the user's.
struct Caller {
    name: &'static str,
    /// Federation routes are asked as the registered peer (its key signs them).
    peer: NodeKey,
    cookie: String,
    csrf: String,
    token: String,
}

async fn caller(web: &TestWeb, name: &'static str, role: Role) -> Caller {
    let store = web.store();
    let user = store
        .create_user(name, role, Tlp::Green, &hash_password(PASSWORD))
        .expect("user")
        .expect("new user");
    let secret = concord_server::auth::new_token_secret();
    let record = store
        .create_token(name, role, &concord_server::auth::hash_token(&secret))
        .expect("token");
    store.link_token(record.id, user.id).expect("link");
    let mut c = web.signed_in(name).await;
    let csrf = c.csrf().await;
    let cookie = c
        .cookies
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("; ");
    Caller {
        name,
        peer: NodeKey::from_seed([9; 32]),
        cookie,
        csrf,
        token: secret,
    }
}

/// One request of a route's variants.
struct Req {
    method: Method,
    path: String,
    body: Option<(&'static str, Vec<u8>)>,
}

fn get(path: impl Into<String>) -> Req {
    Req {
        method: Method::GET,
        path: path.into(),
        body: None,
    }
}

fn with(method: Method, path: impl Into<String>, ct: &'static str, body: Vec<u8>) -> Req {
    Req {
        method,
        path: path.into(),
        body: Some((ct, body)),
    }
}

/// Every id worth asking about: the canaries' and the visible ones'.
fn ids() -> Vec<String> {
    let mut v = canary_ids();
    v.extend([id("indicator", 1), id("indicator", 2), id("indicator", 903)]);
    v
}

const TAXII_JSON: &str = "application/taxii+json;version=2.1";

/// The requests that cover a route template (`{root}` stands for the TAXII API root);
/// `None` for a template this test does not know, which fails the test.
fn variants(template: &str, csrf: &str) -> Option<Vec<Req>> {
    let each_id = |f: &dyn Fn(&str) -> String| ids().iter().map(|i| get(f(i))).collect();
    let stix = |v: Value| serde_json::to_vec(&v).unwrap_or_default();
    let coll = "{root}collections/{collection}/";
    let t = template;
    Some(match t {
        "/healthz" | "/readyz" | "/metrics" | "/api/v1/openapi.json" => vec![get(t)],
        "/api/v1/objects" => vec![
            get(t),
            get("/api/v1/objects?type=indicator"),
            get("/api/v1/objects?type=malware&limit=1000"),
            get("/api/v1/objects?type=incident"),
            get("/api/v1/objects?type=sighting&order=seq"),
            get("/api/v1/objects?q=CANARY"),
            get("/api/v1/objects?added_after=2000-01-01T00:00:00Z"),
            with(
                Method::POST,
                t,
                "application/json",
                stix(indicator(990, "probe", None, "192.0.2.1")),
            ),
        ],
        "/api/v1/search" => [
            "CANARY",
            "CANARY-RED-GRANULAR",
            "203.0.113.77",
            "source",
            "visible",
        ]
        .iter()
        .map(|q| get(format!("/api/v1/search?q={q}")))
        .collect(),
        "/api/v1/objects/{id}" => each_id(&|i| format!("/api/v1/objects/{i}")),
        "/api/v1/objects/{id}/versions" => each_id(&|i| format!("/api/v1/objects/{i}/versions")),
        "/api/v1/objects/{id}/relationships" => {
            each_id(&|i| format!("/api/v1/objects/{i}/relationships"))
        }
        "/api/v1/correlations/{id}" => each_id(&|i| format!("/api/v1/correlations/{i}")),
        "/api/v1/match" => vec![with(
            Method::POST,
            "/api/v1/match?format=lines",
            "text/plain",
            b"198.51.100.7\n203.0.113.77\n".to_vec(),
        )],
        "/api/v1/tokens" => vec![get(t)],
        // Governance carries no STIX object; walked so that a change that made one leak
        // through it would show.
        "/api/v1/community" | "/api/v1/community/log" => vec![get(t)],
        "/api/v1/community/proposals" => vec![
            get(t),
            with(
                Method::POST,
                t,
                "application/json",
                br#"{"action": {"action": "define", "name": "CANARY", "value": 1}}"#.to_vec(),
            ),
        ],
        "/api/v1/community/votes" => vec![with(
            Method::POST,
            t,
            "application/json",
            br#"{"proposal": "entry--", "choice": "yes"}"#.to_vec(),
        )],
        "/api/v1/tokens/{id}" => vec![Req {
            method: Method::DELETE,
            path: "/api/v1/tokens/999999".into(),
            body: None,
        }],
        "/api/v1/incidents" => vec![get(t)],
        "/api/v1/incidents/{id}" => each_id(&|i| format!("/api/v1/incidents/{i}")),
        "/api/v1/incidents/{id}/timeline" => {
            each_id(&|i| format!("/api/v1/incidents/{i}/timeline"))
        }
        "/api/v1/incidents/{id}/alert" => each_id(&|i| format!("/api/v1/incidents/{i}/alert")),
        "/api/v1/incidents/{id}/acks" => ids()
            .iter()
            .map(|i| {
                with(
                    Method::POST,
                    format!("/api/v1/incidents/{i}/acks"),
                    "application/json",
                    br#"{"status": "seen"}"#.to_vec(),
                )
            })
            .collect(),
        "/api/v1/incidents/{id}/requests" => ids()
            .iter()
            .map(|i| {
                with(
                    Method::POST,
                    format!("/api/v1/incidents/{i}/requests"),
                    "application/json",
                    br#"{"to": ["all"], "kind": "analysis"}"#.to_vec(),
                )
            })
            .collect(),
        "/api/v1/requests/{id}" => each_id(&|i| format!("/api/v1/requests/{i}")),
        "/api/v1/requests/{id}/responses" => ids()
            .iter()
            .map(|i| {
                with(
                    Method::POST,
                    format!("/api/v1/requests/{i}/responses"),
                    "application/json",
                    br#"{"state": "accepted"}"#.to_vec(),
                )
            })
            .collect(),
        "/api/v1/route/{value}" => vec![get("/api/v1/route/198.51.100.7")],
        "/api/v1/notifications" => vec![get(t)],
        "/api/v1/notifications/{id}/send" => ids()
            .iter()
            .map(|i| {
                with(
                    Method::POST,
                    format!("/api/v1/notifications/{i}/send"),
                    "application/json",
                    Vec::new(),
                )
            })
            .collect(),
        "/api/v1/evidence/{id}/custody" => each_id(&|i| format!("/api/v1/evidence/{i}/custody")),
        "/taxii2/" | "{root}" | "{root}collections/" => vec![get(t)],
        "{root}collections/{id}/" => vec![get("{root}collections/{collection}/")],
        "{root}status/{status}/" => vec![get("{root}status/00000000-0000-4000-8000-000000000000/")],
        _ if t == format!("{coll}manifest/") || t == format!("{coll}objects/") => {
            let mut v = vec![
                get(t),
                get(format!("{t}?limit=1000")),
                get(format!("{t}?match[type]=indicator")),
                get(format!("{t}?match[version]=all")),
                get(format!("{t}?added_after=2000-01-01T00:00:00Z")),
            ];
            v.extend(ids().iter().map(|i| get(format!("{t}?match[id]={i}"))));
            if t.ends_with("objects/") {
                v.push(with(
                    Method::POST,
                    t,
                    TAXII_JSON,
                    stix(json!({"objects": [indicator(991, "probe", None, "192.0.2.2")]})),
                ));
            }
            v
        }
        _ if t == format!("{coll}objects/{{object}}/") => {
            each_id(&|i| format!("{coll}objects/{i}/"))
        }
        _ if t == format!("{coll}objects/{{object}}/versions/") => {
            each_id(&|i| format!("{coll}objects/{i}/versions/"))
        }
        "/taxii2/{*rest}" => vec![get("/taxii2/nothing/here/")],
        "/" | "/signin" | "/incidents" | "/notifications" | "/account" | "/peers" | "/admin"
        | "/import" | "/matching" => vec![get(t)],
        "/objects" => [
            "",
            "?q=CANARY",
            "?q=203.0.113.77",
            "?tlp=red",
            "?tlp=amber",
            "?type=indicator",
            "?type=incident",
            "?type=sighting",
            "?label=x",
        ]
        .iter()
        .map(|q| get(format!("/objects{q}")))
        .collect(),
        "/objects/{id}" => each_id(&|i| format!("/objects/{i}")),
        "/objects/{id}/graph" => each_id(&|i| format!("/objects/{i}/graph")),
        "/objects/{id}/policy" => each_id(&|i| format!("/objects/{i}/policy")),
        "/incidents/{id}" => each_id(&|i| format!("/incidents/{i}")),
        "/signout" | "/account/password" | "/account/tokens" | "/admin/users" => vec![with(
            Method::POST,
            t,
            "application/x-www-form-urlencoded",
            format!("csrf={csrf}").into_bytes(),
        )],
        "/account/tokens/{id}/revoke" | "/admin/users/{id}" => vec![with(
            Method::POST,
            t.replace("{id}", "1"),
            "application/x-www-form-urlencoded",
            format!("csrf={csrf}").into_bytes(),
        )],
        "/import/jobs/{id}" | "/import/jobs/{id}/status" => vec![get(t.replace("{id}", "1"))],
        // Governance carries no STIX object (as its API routes above).
        "/community" | "/community/log" => vec![get(t), get(format!("{t}?community=x"))],
        "/community/proposals" => vec![
            get(t),
            with(
                Method::POST,
                t,
                "application/x-www-form-urlencoded",
                format!("csrf={csrf}&action=define&name=CANARY&value=1").into_bytes(),
            ),
        ],
        "/community/votes" => vec![with(
            Method::POST,
            t,
            "application/x-www-form-urlencoded",
            format!("csrf={csrf}&proposal=entry--&choice=yes").into_bytes(),
        )],
        "/notifications/live" => vec![get(t)],
        "/lang/{code}" => vec![get("/lang/en?next=/objects")],
        "/federation/v1/node" | "/federation/v1/events" => vec![get(t)],
        "/federation/v1/governance" => vec![get("/federation/v1/governance?after=0")],
        "/federation/v1/changes" => vec![
            get("/federation/v1/changes?after=0&limit=1000"),
            get("/federation/v1/changes?after=0&limit=1"),
            get("/federation/v1/changes?after=3"),
        ],
        "/assets/{name}" => vec![get("/assets/app.css")],
        _ => return None,
    })
}

/// Calls the app; event streams are read for a short while (they never end).
async fn call(web: &TestWeb, who: &Caller, r: &Req, root: &str) -> (StatusCode, String) {
    let path = r.path.replace("{root}", root).replace(
        "{collection}",
        concord_taxii::collection::DEFAULT_COLLECTION_ID,
    );
    let mut req = Request::builder()
        .method(r.method.clone())
        .uri(&path)
        .header(header::ACCEPT, "*/*")
        .header(header::AUTHORIZATION, format!("Bearer {}", who.token))
        .header(header::COOKIE, &who.cookie);
    if let Some(rest) = path.strip_prefix("/federation/") {
        let (p, q) = match rest.split_once('?') {
            Some((p, q)) => (format!("/federation/{p}"), Some(q)),
            None => (path.clone(), None),
        };
        let authority = concord_federation::httpsig::authority_of(NODE_URL).expect("authority");
        let h = concord_federation::httpsig::sign(
            &who.peer,
            r.method.as_str(),
            &authority,
            &p,
            q,
            b"",
            chrono::Utc::now().timestamp(),
        );
        req = req
            .header("date", h.date)
            .header("content-digest", h.content_digest)
            .header("signature-input", h.signature_input)
            .header("signature", h.signature)
            .header(header::HOST, authority);
    }
    let body = match &r.body {
        Some((ct, b)) => {
            req = req.header(header::CONTENT_TYPE, *ct);
            Body::from(b.clone())
        }
        None => Body::empty(),
    };
    let res = web
        .router
        .clone()
        .oneshot(req.body(body).expect("request"))
        .await
        .expect("infallible");
    let status = res.status();
    let encoding = res
        .headers()
        .get(header::CONTENT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let mut body = res.into_body();
    let mut out = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_millis(300);
    loop {
        let frame =
            tokio::time::timeout_at(deadline, http_body_util::BodyExt::frame(&mut body)).await;
        match frame {
            Ok(Some(Ok(f))) => {
                if let Some(d) = f.data_ref() {
                    out.extend_from_slice(d);
                }
            }
            Ok(_) | Err(_) => break,
        }
    }
    if encoding == "zstd" {
        // A change page: read as the peer reads it, so the canaries are looked for in
        // what it holds, not in compressed bytes.
        let (page, _) =
            concord_federation::pull::decode_page(&encoding, &out, 1 << 30).expect("a change page");
        return (status, serde_json::to_string(&page).expect("page"));
    }
    assert!(
        encoding.is_empty(),
        "{path}: unexpected Content-Encoding {encoding}"
    );
    (status, String::from_utf8_lossy(&out).into_owned())
}

#[tokio::test]
async fn no_route_shows_a_canary_to_a_green_reader_or_analyst() {
    let web = federated_web(&NodeKey::from_seed([9; 32]));
    fixture(&web);
    sign_local(&web);
    let reader = caller(&web, "green-reader", Role::Reader).await;
    let analyst = caller(&web, "green-analyst", Role::Analyst).await;
    let root = web.state.taxii.root_path();
    let paths = web.paths.clone();
    assert!(paths.len() > 40, "{paths:?}");
    let mut uncovered = Vec::new();
    let mut calls = 0;
    for who in [&reader, &analyst] {
        for p in &paths {
            let template = if p.starts_with(&root) {
                p.replacen(&root, "{root}", 1)
            } else {
                p.clone()
            };
            let Some(reqs) = variants(&template, &who.csrf) else {
                uncovered.push(p.clone());
                continue;
            };
            for r in &reqs {
                let (status, body) = call(&web, who, r, &root).await;
                calls += 1;
                for c in CANARIES.iter().map(|c| (*c).to_owned()).chain(
                    canary_ids()
                        .into_iter()
                        .filter(|i| !r.path.contains(i.as_str())),
                ) {
                    assert!(
                        !body.contains(&c),
                        "{} {} as {} ({status}) shows {c}: {body}",
                        r.method,
                        r.path,
                        who.name
                    );
                }
            }
        }
    }
    assert!(
        uncovered.is_empty(),
        "routes not covered by the leak test (add their variants to `variants`): {uncovered:?}"
    );
    assert!(calls > 200, "{calls}");
    // The visible parts are there: the test would not notice a route that shows nothing.
    let (_, one) = call(
        &web,
        &reader,
        &get(format!("/api/v1/objects/{}", id("indicator", 903))),
        &root,
    )
    .await;
    assert!(one.contains("visible-granular"), "{one}");
    assert!(
        paths.iter().any(|p| p.starts_with("/federation/")),
        "{paths:?}"
    );
    // The green-only peer gets the green objects: federation answers are not empty.
    let (status, changes) = call(
        &web,
        &reader,
        &get("/federation/v1/changes?after=0&limit=1000"),
        &root,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{changes}");
    assert!(changes.contains("visible-green-two"), "{changes}");
    // An object seen redacted is no one's correlation: the shared value may be withheld.
    let mut sharing = indicator(4, "visible-sharing", Some(Tlp::Green), "203.0.113.77");
    sharing["modified"] = json!(T);
    web.import(vec![sharing]);
    let (_, corr) = call(
        &web,
        &reader,
        &get(format!("/api/v1/correlations/{}", id("indicator", 4))),
        &root,
    )
    .await;
    assert!(corr.contains("\"correlations\":[]"), "{corr}");
    let (_, corr) = call(
        &web,
        &analyst,
        &get(format!("/api/v1/correlations/{}", id("indicator", 903))),
        &root,
    )
    .await;
    assert!(corr.contains("\"correlations\":[]"), "{corr}");
}

/// What an id's answers look like when absent, to compare with a hidden one's.
fn normalise(body: &str, id: &str) -> String {
    body.replace(id, "ID")
}

#[tokio::test]
async fn a_green_analysts_writes_neither_change_nor_reveal_a_red_object() {
    let web = TestWeb::new();
    fixture(&web);
    let analyst = caller(&web, "green-analyst", Role::Analyst).await;
    let root = web.state.taxii.root_path();
    let red = id("malware", 902);
    let absent = id("malware", 999);
    let held_before = web.store().versions(&red).expect("versions");
    let version = |id: &str| {
        json!({"type": "malware", "spec_version": "2.1", "id": id,
            "created": T, "modified": "2025-01-01T00:00:00.000Z",
            "name": "replaced", "is_family": false})
    };
    let mut answers = Vec::new();
    for target in [&red, &absent] {
        let rest = call(
            &web,
            &analyst,
            &with(
                Method::POST,
                "/api/v1/objects",
                "application/json",
                serde_json::to_vec(&version(target)).unwrap_or_default(),
            ),
            &root,
        )
        .await;
        let taxii_add = call(
            &web,
            &analyst,
            &with(
                Method::POST,
                "{root}collections/{collection}/objects/",
                TAXII_JSON,
                serde_json::to_vec(&json!({"objects": [version(target)]})).unwrap_or_default(),
            ),
            &root,
        )
        .await;
        answers.push((rest, taxii_add, target.clone()));
    }
    let (red_rest, red_taxii, _) = &answers[0];
    let (abs_rest, abs_taxii, _) = &answers[1];
    assert_eq!(red_rest.0, abs_rest.0);
    assert_eq!(
        normalise(&red_rest.1, &red),
        normalise(&abs_rest.1, &absent)
    );
    assert_eq!(red_taxii.0, abs_taxii.0);
    assert!(
        red_taxii.1.contains("\"success_count\":1"),
        "{}",
        red_taxii.1
    );
    // Deleting: the red one answers as one that is not there.
    let del = |i: &str| Req {
        method: Method::DELETE,
        path: format!("{{root}}collections/{{collection}}/objects/{i}/"),
        body: None,
    };
    let never = id("malware", 998);
    let red_del = call(&web, &analyst, &del(&red), &root).await;
    let abs_del = call(&web, &analyst, &del(&never), &root).await;
    assert_eq!(red_del.0, StatusCode::NOT_FOUND);
    assert_eq!(red_del.0, abs_del.0);
    assert_eq!(normalise(&red_del.1, &red), normalise(&abs_del.1, &never));
    // The web upload.
    let mut c = web.signed_in("green-analyst").await;
    let csrf = c.csrf().await;
    let page = c
        .import_file(
            &csrf,
            &serde_json::to_vec(&version(&red)).unwrap_or_default(),
            "probe.json",
        )
        .await;
    assert!(!page.body.contains("CANARY"), "{}", page.body);
    // Nothing changed.
    assert_eq!(web.store().versions(&red).expect("versions"), held_before);
}
