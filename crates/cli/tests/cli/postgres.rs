//! A node on PostgreSQL (issue 25): `[store] database_url`, `concord init
//! --database-url`, `concord migrate --to` (the migrated node answers every read as the
//! SQLite original did), and `serve` answering REST, TAXII, health and metrics from the
//! database. Each test gets a fresh database on the throwaway server (`concord-testpg`;
//! `TESTPG_URL` from `scripts/test`) and skips loudly without one, failing under
//! `CI=true`. The URL carries a password (trust authentication ignores it), which no
//! output of these commands may show. [`Backend`] lets other tests (TAXII, federation)
//! run a node on either store.

use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::common::*;
use crate::service::serve;

/// The store a node under test runs on.
#[derive(Debug, Clone)]
pub(crate) enum Backend {
    /// `concord.db` in the data directory (the default).
    Sqlite,
    /// The PostgreSQL database at this URL.
    Postgres(String),
}

impl Backend {
    /// A fresh PostgreSQL database, or `None` (loudly; a failure under `CI=true`)
    /// without PostgreSQL.
    pub(crate) fn postgres() -> Option<Backend> {
        database().map(Backend::Postgres)
    }

    /// What `concord init` adds to make a node on this store.
    pub(crate) fn init_args(&self) -> Vec<&str> {
        match self {
            Backend::Sqlite => Vec::new(),
            Backend::Postgres(url) => vec!["--database-url", url.as_str()],
        }
    }

    /// Moves the node in `dir`, made on SQLite, onto this store, as an operator would:
    /// `concord migrate --to`, then the URL in `[store]`; its SQLite file is removed, so
    /// that nothing can still read it.
    pub(crate) fn adopt(&self, dir: &Path) {
        let Backend::Postgres(url) = self else { return };
        ok_without_password("migrate", &run(dir, &["migrate", "--to", url.as_str()]));
        let cfg = dir.join("concord.toml");
        let text = std::fs::read_to_string(&cfg).unwrap();
        assert!(text.contains("database_url = \"\""), "{text}");
        std::fs::write(
            &cfg,
            text.replace("database_url = \"\"", &format!("database_url = {url:?}")),
        )
        .unwrap();
        std::fs::remove_file(dir.join("concord.db")).unwrap();
        let show = run(dir, &["node", "show", "--json"]);
        let shown: Value = serde_json::from_str(&ok_without_password("node show", &show)).unwrap();
        assert_ne!(shown["store"], "sqlite", "{shown}");
    }
}

/// The password put in every URL here.
const PASSWORD: &str = "pw-never-shown-7f3a";

/// A fresh database's URL with [`PASSWORD`] in it, or `None` (loudly) without PostgreSQL.
fn database() -> Option<String> {
    let url = concord_testpg::database()?;
    let with = url.replacen("://concord@", &format!("://concord:{PASSWORD}@"), 1);
    assert_ne!(with, url, "the test URL names the user concord: {url}");
    Some(with)
}

/// Asserts that the output of a command succeeded and shows no password; its stdout.
fn ok_without_password(what: &str, out: &std::process::Output) -> String {
    let (o, e) = (stdout(out), stderr(out));
    assert!(out.status.success(), "{what}: {e}");
    assert!(
        !o.contains(PASSWORD) && !e.contains(PASSWORD),
        "{what} showed the password:\n{o}\n{e}"
    );
    o
}

/// An indicator with a name to search for.
fn indicator(name: &str) -> Value {
    let id = format!(
        "indicator--{}",
        uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_OID, name.as_bytes())
    );
    json!({"type": "indicator", "spec_version": "2.1", "id": id,
        "created": "2026-01-01T00:00:00.000Z", "modified": "2026-01-01T00:00:00.000Z",
        "name": name, "pattern": "[domain-name:value = 'pg.example']",
        "pattern_type": "stix", "valid_from": "2026-01-01T00:00:00Z"})
}

#[test]
fn a_node_on_postgres_serves_rest_taxii_health_and_metrics() {
    let Some(url) = database() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");
    // A database that cannot be reached: an error naming it without its password, and
    // no half-made node in the way of the next try.
    let unreachable = format!("postgres://concord:{PASSWORD}@127.0.0.1:1/none");
    let out = run(&dir, &["init", "--database-url", &unreachable]);
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(
        err.contains("cannot open the PostgreSQL store at postgres://concord:***@127.0.0.1:1/none"),
        "{err}"
    );
    assert!(!err.contains(PASSWORD), "{err}");
    let out = run(&dir, &["init", "--name", "pg node", "--database-url", &url]);
    let admin = admin_token(&ok_without_password("init", &out)).unwrap();
    // The data lives in PostgreSQL: no SQLite file was made.
    assert!(!dir.join("concord.db").exists());
    let show = run(&dir, &["node", "show", "--json"]);
    let shown: Value = serde_json::from_str(&ok_without_password("node show", &show)).unwrap();
    let hidden = url.replace(PASSWORD, "***");
    assert_eq!(shown["store"], hidden.as_str(), "{shown}");

    let node = serve(&dir, &tmp.path().join("serve.log"));
    let obj = indicator("Postgres beacon");
    let id = obj["id"].as_str().unwrap();
    let bundle = json!({"type": "bundle", "id": "bundle--00000000-0000-4000-8000-000000000001",
        "objects": [obj]})
    .to_string();
    let (code, body) = http(
        &node.addr,
        "POST",
        "/api/v1/objects",
        Some(&admin),
        Some(&bundle),
    );
    assert_eq!(code, 200, "{body}");
    let (code, body) = http(
        &node.addr,
        "GET",
        "/api/v1/objects?type=indicator",
        Some(&admin),
        None,
    );
    assert_eq!(code, 200, "{body}");
    let listed: Value = serde_json::from_str(&body).unwrap();
    let ids: Vec<&str> = listed["objects"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|o| o["id"].as_str())
        .collect();
    assert_eq!(ids, [id], "{body}");
    // Search reads the derived text the import path wrote.
    let (code, body) = http(
        &node.addr,
        "GET",
        "/api/v1/objects?q=beacon",
        Some(&admin),
        None,
    );
    assert_eq!(code, 200, "{body}");
    assert!(body.contains(id), "{body}");

    let taxii = format!(
        "/taxii2/api/collections/{}/objects/?match[type]=indicator",
        concord_taxii::collection::DEFAULT_COLLECTION_ID
    );
    let (code, body) = http(&node.addr, "GET", &taxii, Some(&admin), None);
    assert_eq!(code, 200, "{body}");
    let envelope: Value = serde_json::from_str(&body).unwrap();
    assert!(
        envelope["objects"]
            .as_array()
            .unwrap()
            .iter()
            .any(|o| o["id"] == id),
        "{body}"
    );

    let (code, body) = http(&node.addr, "GET", "/healthz", None, None);
    assert_eq!(code, 200, "{body}");
    let (code, body) = http(&node.addr, "GET", "/readyz", None, None);
    assert_eq!(code, 200, "{body}");
    let (code, body) = http(&node.addr, "GET", "/metrics", None, None);
    assert_eq!(code, 200, "{body}");
    assert!(body.contains("concord_store_up 1"), "{body}");
    for line in [
        "concord_store_pool_connections{pool=\"plain\",state=\"max\"}",
        "concord_store_pool_connections{pool=\"listings\",state=\"open\"}",
        "concord_store_pool_waiting{pool=\"plain\"} 0",
    ] {
        assert!(body.contains(line), "{line} missing from {body}");
    }

    // What only makes sense on SQLite says so, naming the command.
    let out = run(&dir, &["backup", "--out", "x.tar"]);
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(
        err.contains("`concord backup`") && err.contains("PostgreSQL") && err.contains("***"),
        "{err}"
    );
    assert!(!err.contains(PASSWORD), "{err}");

    drop(node);
    let log = std::fs::read_to_string(tmp.path().join("serve.log")).unwrap();
    assert!(
        log.contains(&hidden),
        "serve logs where its store is: {log}"
    );
    assert!(!log.contains(PASSWORD), "{log}");
}

/// Waits (bounded) until the node's derived indexes have caught up (`/readyz` says
/// `index_lag` 0), so that searches see every object.
fn indexed(addr: &str) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let (_, body) = http(addr, "GET", "/readyz", None, None);
        if serde_json::from_str::<Value>(&body).is_ok_and(|v| v["index_lag"] == 0) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "the indexer did not catch up: {body}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The answer to a GET: `(path, status, body)`.
type Answer = (String, u16, String);

/// GETs `first` and every following page (`next` in the body, passed as `next=`).
fn walk(addr: &str, token: &str, first: &str, out: &mut Vec<Answer>) {
    let mut path = first.to_owned();
    for _ in 0..1_000 {
        let (code, body) = http(addr, "GET", &path, Some(token), None);
        let page: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
        out.push((path.clone(), code, body));
        let Some(next) = page["next"].as_str() else {
            return;
        };
        path = format!("{first}&next={next}");
    }
    panic!("more than 1,000 pages from {first}");
}

/// Every read the migration must keep as it was: REST listings (all, by type, by search)
/// and TAXII objects and manifest pages, each page after page; every object by REST and
/// TAXII and its TAXII versions. Small pages, so that every listing has several.
fn reads(addr: &str, token: &str, ids: &[&str]) -> Vec<Answer> {
    let taxii = format!(
        "/taxii2/api/collections/{}",
        concord_taxii::collection::DEFAULT_COLLECTION_ID
    );
    let mut out = Vec::new();
    for first in [
        "/api/v1/objects?limit=7".to_owned(),
        "/api/v1/objects?limit=4&type=indicator".to_owned(),
        "/api/v1/objects?limit=3&q=migrated".to_owned(),
        "/api/v1/objects?limit=3&q=renamed".to_owned(),
        "/api/v1/objects?limit=5&order=seq".to_owned(),
        format!("{taxii}/objects/?limit=7"),
        format!("{taxii}/objects/?limit=6&match[version]=all"),
        format!("{taxii}/objects/?limit=5&match[type]=indicator,relationship"),
        format!("{taxii}/manifest/?limit=7"),
        format!("{taxii}/manifest/?limit=4&match[version]=all"),
    ] {
        walk(addr, token, &first, &mut out);
    }
    for id in ids {
        for path in [
            format!("/api/v1/objects/{id}"),
            format!("{taxii}/objects/{id}/"),
            format!("{taxii}/objects/{id}/?match[version]=all"),
            format!("{taxii}/objects/{id}/versions/"),
        ] {
            let (code, body) = http(addr, "GET", &path, Some(token), None);
            out.push((path, code, body));
        }
    }
    out
}

#[test]
fn a_migrated_node_serves_the_same_objects_from_postgres() {
    let Some(url) = database() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");
    let admin = init(&dir);
    let file = tmp.path().join("objects.json");
    let mut objects: Vec<Value> = (0..30)
        .map(|i| indicator(&format!("migrated {i}")))
        .collect();
    // Relationships between them, for the relationship reads.
    for i in 0..5 {
        objects.push(json!({"type": "relationship", "spec_version": "2.1",
            "id": format!("relationship--00000000-0000-4000-8000-{i:012}"),
            "created": "2026-01-02T00:00:00.000Z", "modified": "2026-01-02T00:00:00.000Z",
            "relationship_type": "related-to",
            "source_ref": objects[i]["id"], "target_ref": objects[i + 1]["id"]}));
    }
    std::fs::write(&file, serde_json::to_string(&objects).unwrap()).unwrap();
    let out = run(&dir, &["import", file.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    // Newer versions of some.
    let later: Vec<Value> = objects[..5]
        .iter()
        .enumerate()
        .map(|(i, o)| {
            let mut o = o.clone();
            o["modified"] = json!("2026-02-01T00:00:00.000Z");
            o["name"] = json!(format!("renamed {i}"));
            o
        })
        .collect();
    std::fs::write(&file, serde_json::to_string(&later).unwrap()).unwrap();
    let out = run(&dir, &["import", file.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let exported = |what: &str| -> Vec<Value> {
        let out = run(&dir, &["export"]);
        let bundle: Value = serde_json::from_str(&ok_without_password(what, &out)).unwrap();
        bundle["objects"].as_array().unwrap().clone()
    };
    let before = exported("export from SQLite");
    assert!(before.len() > 30);
    let ids: Vec<&str> = objects.iter().map(|o| o["id"].as_str().unwrap()).collect();

    // What the SQLite original answers, once its indexer has caught up.
    let node = serve(&dir, &tmp.path().join("serve-sqlite.log"));
    indexed(&node.addr);
    let original = reads(&node.addr, &admin, &ids);
    drop(node);
    // The reads are not vacuous: they found objects, pages and versions.
    assert!(
        original.iter().all(|(_, code, _)| *code == 200),
        "{original:?}"
    );
    let body_of = |reads: &[Answer], path: &str| -> Value {
        let (_, _, body) = reads.iter().find(|(p, _, _)| p == path).unwrap();
        serde_json::from_str(body).unwrap()
    };
    assert_eq!(
        body_of(&original, "/api/v1/objects?limit=3&q=renamed")["objects"]
            .as_array()
            .unwrap()
            .len(),
        3
    );
    let versions = format!(
        "/taxii2/api/collections/{}/objects/{}/versions/",
        concord_taxii::collection::DEFAULT_COLLECTION_ID,
        ids[0]
    );
    assert_eq!(
        body_of(&original, &versions)["versions"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    assert!(
        original
            .iter()
            .filter(|(p, _, _)| p.contains("next="))
            .count()
            > 10
    );

    let out = run(&dir, &["migrate", "--to", &url]);
    let said = ok_without_password("migrate", &out);
    let hidden = url.replace(PASSWORD, "***");
    assert!(
        said.contains(&format!("Copied {} versions", before.len() + later.len())),
        "{said}"
    );
    assert!(
        said.contains(&format!("[store]\ndatabase_url = \"{hidden}\"")),
        "{said}"
    );
    // A second copy into the same database is refused, before anything is read (the URL
    // from the environment this time, which is no unknown variable).
    let out = concord(&dir)
        .env("CONCORD_MIGRATE_TO", &url)
        .arg("migrate")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(
        err.contains("not empty") && !err.contains(PASSWORD),
        "{err}"
    );
    assert!(!err.contains("Unknown CONCORD_"), "{err}");

    // SQLite's file is left as it was, and no longer read once the URL is set: here by
    // the environment.
    std::fs::remove_file(dir.join("concord.db")).unwrap();
    let out = concord(&dir)
        .env("CONCORD_STORE_DATABASE_URL", &url)
        .arg("export")
        .output()
        .unwrap();
    let bundle: Value =
        serde_json::from_str(&ok_without_password("export by the environment", &out)).unwrap();
    assert_eq!(bundle["objects"].as_array().unwrap(), &before);

    // As the message says: the URL, with its password, in [store].
    let cfg = dir.join("concord.toml");
    let text = std::fs::read_to_string(&cfg).unwrap();
    assert!(text.contains("database_url = \"\""), "{text}");
    std::fs::write(
        &cfg,
        text.replace("database_url = \"\"", &format!("database_url = {url:?}")),
    )
    .unwrap();
    assert_eq!(exported("export from PostgreSQL"), before);

    // Every read answers exactly as on SQLite: the same bodies, page for page.
    let node = serve(&dir, &tmp.path().join("serve.log"));
    let migrated = reads(&node.addr, &admin, &ids);
    assert_eq!(migrated.len(), original.len());
    for (was, is) in original.iter().zip(&migrated) {
        assert_eq!(was, is, "{} answers otherwise on PostgreSQL", was.0);
    }
    let (code, body) = http(&node.addr, "GET", "/healthz", None, None);
    assert_eq!(code, 200, "{body}");
    drop(node);
    let log = std::fs::read_to_string(tmp.path().join("serve.log")).unwrap();
    assert!(!log.contains(PASSWORD), "{log}");
}
