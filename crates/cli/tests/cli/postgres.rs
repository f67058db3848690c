//! A node on PostgreSQL (issue 25): `[store] database_url`, `concord init
//! --database-url`, `concord migrate --to`, and `serve` answering REST, TAXII, health and
//! metrics from the database. Each test gets a fresh database on the throwaway server
//! (`concord-testpg`; `TESTPG_URL` from `scripts/test`) and skips loudly without one,
//! failing under `CI=true`. The URL carries a password (trust authentication ignores it),
//! which no output of these commands may show.

use serde_json::{Value, json};

use crate::common::*;
use crate::service::serve;

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

#[test]
fn a_migrated_node_serves_the_same_objects_from_postgres() {
    let Some(url) = database() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");
    let admin = init(&dir);
    let file = tmp.path().join("objects.json");
    let objects: Vec<Value> = (0..30)
        .map(|i| indicator(&format!("migrated {i}")))
        .collect();
    std::fs::write(&file, serde_json::to_string(&objects).unwrap()).unwrap();
    let out = run(&dir, &["import", file.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let exported = |what: &str| -> Vec<Value> {
        let out = run(&dir, &["export"]);
        let bundle: Value = serde_json::from_str(&ok_without_password(what, &out)).unwrap();
        bundle["objects"].as_array().unwrap().clone()
    };
    let before = exported("export from SQLite");
    assert!(before.len() > 30);

    let out = run(&dir, &["migrate", "--to", &url]);
    let said = ok_without_password("migrate", &out);
    let hidden = url.replace(PASSWORD, "***");
    assert!(
        said.contains(&format!("Copied {} versions", before.len())),
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

    let node = serve(&dir, &tmp.path().join("serve.log"));
    for o in &objects {
        let id = o["id"].as_str().unwrap();
        let (code, body) = http(
            &node.addr,
            "GET",
            &format!("/api/v1/objects/{id}"),
            Some(&admin),
            None,
        );
        assert_eq!(code, 200, "{id}: {body}");
    }
    let (code, body) = http(&node.addr, "GET", "/healthz", None, None);
    assert_eq!(code, 200, "{body}");
    drop(node);
    let log = std::fs::read_to_string(tmp.path().join("serve.log")).unwrap();
    assert!(!log.contains(PASSWORD), "{log}");
}
