//! One path per job (issue 23): the same inputs through `concord import`'s reading
//! (`concord_ingest` with a bulk target, as `concord import FILE` runs it), `POST
//! /api/v1/objects`, TAXII add-objects and the web upload give the same stored versions and
//! the same per-object outcomes, twice over (the second time settled against the first);
//! and the same log through `concord match`'s matching, `POST /api/v1/match` and the web
//! upload gives the same sightings, none of them of a warning-listed indicator. REST and
//! TAXII take STIX only, so the other formats compare the CLI's reading with the web's.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use concord_ingest::{Input, Options, Progress, Target, import_inputs};
use concord_server::ServerConfig;
use concord_server::auth::hash_token;
use concord_store::import::ObjectResult;
use concord_store::sqlite::SqliteStore;
use concord_store::{ListQuery, Order, Role, Store};
use serde_json::{Value, json};
use tower::ServiceExt;

use super::common::TestWeb;

const TAXII: &str = "application/taxii+json;version=2.1";

fn corpus() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus");
    if dir.is_dir() {
        return Some(dir);
    }
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "CI=true but the corpus is missing"
    );
    eprintln!("SKIPPED: the shared corpus is not at {}", dir.display());
    None
}

/// A node whose data directory holds the corpus's warning lists, with an analyst token
/// (no clearance: it sees what the node's own tools see).
fn node(dir: &Path) -> (TestWeb, String) {
    let config = ServerConfig {
        data_dir: Some(dir.to_owned()),
        ..ServerConfig::default()
    };
    let web = TestWeb::with_config(config);
    let secret = concord_server::auth::new_token_secret();
    web.store()
        .create_token("paths", Role::Analyst, &hash_token(&secret))
        .expect("token");
    (web, secret)
}

/// (id, outcome) of each object, sorted: `new`, `new_version`, `unchanged`, `conflict`
/// or `rejected`.
type Outcomes = Vec<(String, String)>;

fn outcome_of(r: &ObjectResult) -> (String, String) {
    match r {
        ObjectResult::Accepted { id, outcome, .. } => (
            id.clone(),
            serde_json::to_value(outcome)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default(),
        ),
        ObjectResult::Rejected { id, .. } => (id.clone().unwrap_or_default(), "rejected".into()),
    }
}

#[derive(Default)]
struct Collect(Mutex<Outcomes>);

impl Progress for Collect {
    fn stored(&self, results: &[ObjectResult], _: u64) {
        self.0
            .lock()
            .unwrap()
            .extend(results.iter().map(outcome_of));
    }
}

/// What `concord import FILE` runs: the ingest library, the data directory's warning
/// lists, a bulk session, the source named after the file.
fn cli_import(
    store: &SqliteStore,
    dir: &Path,
    name: &str,
    bytes: &[u8],
    preset: Option<&str>,
) -> Outcomes {
    let lists = concord_ingest::warninglists::for_node(dir, None, &mut |f, e| {
        panic!("{}: {e}", f.display())
    })
    .unwrap();
    let opts = Options {
        preset: preset.map(str::to_owned),
        lists,
        ..Options::default()
    };
    let collect = Collect::default();
    let imported = import_inputs(
        Target::Bulk(store),
        vec![Input::bytes(name, bytes.to_vec())],
        &opts,
        5000,
        false,
        &collect,
    );
    assert!(imported.totals.store_error.is_none());
    let mut o = collect.0.into_inner().unwrap();
    o.sort();
    o
}

async fn bearer(
    web: &TestWeb,
    token: &str,
    path: &str,
    ct: &str,
    body: Vec<u8>,
) -> (StatusCode, Value) {
    let req = Request::builder()
        .method(Method::POST)
        .uri(path)
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .header(header::CONTENT_TYPE, ct)
        .header(
            header::ACCEPT,
            if ct == TAXII {
                TAXII
            } else {
                "application/json"
            },
        )
        .body(Body::from(body))
        .unwrap();
    let res = web.router.clone().oneshot(req).await.unwrap();
    let status = res.status();
    let bytes = http_body_util::BodyExt::collect(res.into_body())
        .await
        .unwrap()
        .to_bytes();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

async fn rest_import(web: &TestWeb, token: &str, bytes: &[u8]) -> Outcomes {
    let (status, body) = bearer(
        web,
        token,
        "/api/v1/objects",
        "application/json",
        bytes.to_vec(),
    )
    .await;
    assert!(status.is_success(), "{status} {body}");
    let mut o: Outcomes = body["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let id = r["id"].as_str().unwrap_or("").to_owned();
            match r["status"].as_str() {
                Some("accepted") => (id, r["outcome"].as_str().unwrap().to_owned()),
                _ => (id, "rejected".to_owned()),
            }
        })
        .collect();
    o.sort();
    o
}

async fn taxii_add(web: &TestWeb, token: &str, objects: &[Value]) -> Outcomes {
    let path = format!(
        "/taxii2/api/collections/{}/objects/",
        concord_taxii::collection::DEFAULT_COLLECTION_ID
    );
    let envelope = json!({ "objects": objects });
    let (status, body) = bearer(web, token, &path, TAXII, envelope.to_string().into_bytes()).await;
    assert!(status.is_success(), "{status} {body}");
    let mut o = Outcomes::new();
    for s in body["successes"].as_array().into_iter().flatten() {
        let outcome = match s["message"].as_str() {
            Some("stored") => "new",
            Some("stored as a new version") => "new_version",
            Some("already held") => "unchanged",
            m => panic!("unknown success {m:?}"),
        };
        o.push((s["id"].as_str().unwrap().to_owned(), outcome.to_owned()));
    }
    for f in body["failures"].as_array().into_iter().flatten() {
        let conflict = f["message"]
            .as_str()
            .is_some_and(|m| m.starts_with("a different object"));
        let outcome = if conflict { "conflict" } else { "rejected" };
        o.push((
            f["id"].as_str().unwrap_or("").to_owned(),
            outcome.to_owned(),
        ));
    }
    o.sort();
    o
}

/// The per-object results table of a finished web import.
fn web_outcomes(page: &str) -> Outcomes {
    let table = page
        .split("id=\"import-results\"")
        .nth(1)
        .and_then(|t| t.split("</table>").next())
        .unwrap_or_else(|| panic!("no results table: {page}"));
    let body = table.split("<tbody>").nth(1).unwrap_or("");
    let mut o = Outcomes::new();
    for row in body.split("<tr").skip(1) {
        let id = row
            .split("href=\"/objects/")
            .nth(1)
            .and_then(|r| r.split('"').next())
            .map(str::to_owned)
            .unwrap_or_default();
        let id = if id.is_empty() {
            row.split("<span class=\"id\">")
                .nth(1)
                .and_then(|r| r.split('<').next())
                .unwrap_or("")
                .replace('—', "")
        } else {
            id
        };
        let outcome = if row.contains("class=\"removed\"") {
            "rejected"
        } else if row.contains("new version") {
            "new_version"
        } else if row.contains("already held") {
            "unchanged"
        } else if row.contains("conflict") {
            "conflict"
        } else {
            "new"
        };
        o.push((id, outcome.to_owned()));
    }
    o.sort();
    o
}

async fn web_import(web: &TestWeb, name: &str, bytes: &[u8], preset: Option<&str>) -> Outcomes {
    // The admin's clearance (RED) sees every object whole, as the CLI does.
    let mut c = web.signed_in("admin").await;
    let csrf = c.csrf().await;
    let mut fields = vec![("csrf", csrf.as_str())];
    if let Some(p) = preset {
        fields.push(("layout", p));
    }
    let res = c.import_file_with(&fields, bytes, name).await;
    assert!(res.body.contains("import-done"), "{}", res.body);
    web_outcomes(&res.body)
}

/// Every stored version: (id, modified, the object without the times a conversion
/// mints from "now"), in id order.
fn versions(store: &dyn Store) -> Vec<(String, String, String)> {
    let mut q = ListQuery {
        order: Order::BySeq,
        limit: 1000,
        ..ListQuery::default()
    };
    let mut all = Vec::new();
    loop {
        let page = store.list_versions(&q).unwrap();
        for o in &page.objects {
            let mut v = o.value();
            let id = v["id"].as_str().unwrap().to_owned();
            let modified = v["modified"].as_str().unwrap_or("").to_owned();
            if let Some(m) = v.as_object_mut() {
                for k in ["created", "modified", "valid_from"] {
                    m.remove(k);
                }
            }
            all.push((id, modified, v.to_string()));
        }
        match page.next {
            Some(n) if !page.objects.is_empty() => q.cursor = Some(n),
            _ => break,
        }
    }
    all.sort();
    // Converted records minted at different moments differ only in those times; the
    // number of versions per id must agree.
    all.into_iter()
        .map(|(id, modified, v)| {
            (
                id,
                if modified.is_empty() {
                    modified
                } else {
                    "t".into()
                },
                v,
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_front_end_stores_the_same_and_sights_the_same() {
    let Some(corpus) = corpus() else { return };
    let dir = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(
        corpus.join("taxonomies/misp-warninglists"),
        dir.path().join("warninglists"),
    )
    .unwrap();
    let read = |p: &str| std::fs::read(corpus.join(p)).unwrap();
    // A STIX document with a bad object and an indicator of a listed value (taken as it
    // is: STIX is not flagged).
    let mut stix: Value =
        serde_json::from_slice(&read("stix/indicators-for-C2-with-COA.json")).unwrap();
    let objects = stix["objects"].as_array_mut().unwrap();
    objects.push(json!({"type": "indicator", "spec_version": "2.1", "id": "indicator--5e1f0000-0000-4000-8000-0000000000d1",
        "created": "2024-03-01T10:00:00.000Z", "modified": "2024-03-01T10:00:00.000Z", "pattern": "[ipv4-addr:value = '10.1.2.3']",
        "pattern_type": "stix", "valid_from": "2024-03-01T10:00:00Z"}));
    objects.push(json!({"type": "indicator", "spec_version": "2.1", "id": "indicator--5e1f0000-0000-4000-8000-0000000000d2"}));
    let stix_objects = objects.clone();
    let stix = stix.to_string().into_bytes();
    let lines = b"10.1.2.3\n198.51.100.7\nhit-block.opendns.com\nnot a value at all\n".to_vec();
    let inputs: Vec<(&str, Vec<u8>, Option<&str>)> = vec![
        ("bundle.json", stix.clone(), None),
        ("event.json", read("misp/pymisp_existing_event.json"), None),
        (
            "feed-event.json",
            read("misp/feed/5721c2e4-05ec-4af3-9264-411b950d210f.json"),
            None,
        ),
        ("advisory.json", read("csaf/bsi-2022-0001.json"), None),
        (
            "urlhaus.csv",
            read("feeds/abusech/urlhaus-tld-ch-2019.csv"),
            Some("urlhaus"),
        ),
        ("blocklist.txt", lines.clone(), None),
    ];
    let cli = SqliteStore::open_in_memory().unwrap();
    let (rest, rest_token) = node(dir.path());
    let (taxii, taxii_token) = node(dir.path());
    let (web, web_token) = node(dir.path());
    for round in 0..2 {
        for (name, bytes, preset) in &inputs {
            let by_cli = cli_import(&cli, dir.path(), name, bytes, *preset);
            let by_web = web_import(&web, name, bytes, *preset).await;
            assert_eq!(by_cli, by_web, "{name}, round {round}: CLI and web upload");
            assert!(!by_cli.is_empty(), "{name}: nothing imported");
            // The second time, converted records settle against the held versions.
            let fresh = by_cli
                .iter()
                .filter(|(_, o)| o != "unchanged" && o != "rejected")
                .count();
            assert_eq!(round == 0, fresh > 0, "{name}, round {round}: {by_cli:?}");
            if *name == "bundle.json" {
                let by_rest = rest_import(&rest, &rest_token, bytes).await;
                assert_eq!(by_cli, by_rest, "{name}, round {round}: CLI and REST");
                let by_taxii = taxii_add(&taxii, &taxii_token, &stix_objects).await;
                assert_eq!(by_cli, by_taxii, "{name}, round {round}: CLI and TAXII");
                assert!(by_cli.iter().any(|(_, o)| o == "rejected"), "{by_cli:?}");
            }
        }
    }
    // Only the STIX document went through REST and TAXII.
    let stix_only = |all: Vec<(String, String, String)>, ids: &BTreeMap<String, ()>| -> Vec<_> {
        all.into_iter()
            .filter(|(id, ..)| ids.contains_key(id))
            .collect()
    };
    let stix_ids: BTreeMap<String, ()> = stix_objects
        .iter()
        .filter_map(|o| o["id"].as_str())
        .map(|id| (id.to_owned(), ()))
        .collect();
    let by_cli = versions(&cli);
    let by_web = versions(&**web.store());
    assert!(by_cli.len() > 30, "{by_cli:?}");
    assert_eq!(by_cli, by_web, "stored versions: CLI and web upload");
    assert_eq!(
        stix_only(by_cli.clone(), &stix_ids),
        versions(&**rest.store()),
        "CLI and REST"
    );
    assert_eq!(
        stix_only(by_cli, &stix_ids),
        versions(&**taxii.store()),
        "CLI and TAXII"
    );
    // The list's 10.1.2.3 is flagged (and 198.51.100.7 is not).
    let flagged = versions(&**web.store())
        .into_iter()
        .filter(|(_, _, v)| v.contains("warninglist:"))
        .count();
    assert!(flagged >= 1, "no indicator was flagged");

    // The same log through the three matching front ends, on the web node's store.
    let log = b"10.1.2.3\n198.51.100.7\nhit-block.opendns.com\n".to_vec();
    let store = web.store().clone();
    let node_id = "identity--00000000-0000-4000-8000-0000000000aa";
    assert!(web.state.matching.set_identity(node_id));
    let key = |s: &Value| {
        (
            s["sighting_of_ref"].as_str().unwrap_or("").to_owned(),
            s["count"].as_i64().unwrap_or(0),
            s["object_marking_refs"].clone(),
            s["where_sighted_refs"].clone(),
        )
    };
    // `concord match`: the one-off index and the node's own store.
    let by_cli = {
        let now = concord_server::matching::now();
        let loaded = concord_server::matching::load_index(&*store, now).unwrap();
        let matcher = concord_matcher::Matcher::new(Arc::new(loaded.index));
        let format = concord_matcher::readers::Format::from_name("lines").unwrap();
        let (_, sightings) = concord_server::matching::match_log(
            &matcher,
            &log[..],
            &format,
            &*store,
            Some(node_id),
            now,
        )
        .unwrap();
        let mut k: Vec<_> = sightings.iter().map(key).collect();
        k.sort_by(|a, b| a.0.cmp(&b.0));
        k
    };
    let by_api = {
        let (status, body) = bearer(
            &web,
            &web_token,
            "/api/v1/match?format=lines",
            "text/plain",
            log.clone(),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let mut k: Vec<_> = body["sightings"]
            .as_array()
            .unwrap()
            .iter()
            .map(key)
            .collect();
        k.sort_by(|a, b| a.0.cmp(&b.0));
        k
    };
    let before = store.stats().unwrap().objects;
    let mut c = web.signed_in("admin").await;
    let csrf = c.csrf().await;
    let page = c
        .post_file(
            "/matching",
            &[("csrf", &csrf), ("format", "lines")],
            &log,
            "log.txt",
        )
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    // The web page shows its sightings; they are stored, so read them back.
    let mut by_web: Vec<_> = {
        let q = ListQuery {
            types: vec!["sighting".into()],
            order: Order::BySeq,
            limit: 1000,
            ..ListQuery::default()
        };
        let all = store.list(&q).unwrap().objects;
        all.iter().map(|o| key(&o.value())).collect()
    };
    by_web.sort_by(|a, b| a.0.cmp(&b.0));
    assert!(!by_cli.is_empty(), "nothing sighted");
    assert_eq!(by_cli, by_api, "sightings: concord match and the API");
    // The API stored one sighting per indicator, the web upload as many again.
    assert_eq!(store.stats().unwrap().objects, before + by_cli.len() as i64);
    let mut doubled = by_api.clone();
    doubled.extend(by_cli.iter().cloned());
    doubled.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(by_web.len(), by_cli.len() * 2, "{by_web:?}");
    assert_eq!(by_web, doubled, "sightings: the web upload and the others");
    // No sighting of the flagged indicator of 10.1.2.3.
    for (of, ..) in &by_cli {
        let v = store.get(of).unwrap().unwrap().value();
        assert!(
            !concord_formats::warninglist::excluded(&v),
            "{of} is warning-listed"
        );
    }
}
