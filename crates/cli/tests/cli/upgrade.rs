//! Upgrades (issue 27): a store written by an older release is backed up, under the data
//! directory's lock, before its schema is migrated; the backup restores.

use std::path::Path;

use serde_json::{Value, json};

use crate::common::*;
use crate::service::{STOP_GRACE, kill, serve, wait_at_most};

/// Version 1 of the main schema as the first release wrote it (one file: versions,
/// markings, the derived tables, tokens).
const V1: &str = "
CREATE TABLE versions (seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL,
  type TEXT NOT NULL, version TEXT NOT NULL, version_ns INTEGER NOT NULL,
  created TEXT, modified TEXT, spec_version TEXT NOT NULL, created_by_ref TEXT,
  revoked INTEGER NOT NULL, confidence INTEGER, lang TEXT,
  date_added TEXT NOT NULL, is_current INTEGER NOT NULL, json TEXT NOT NULL);
CREATE UNIQUE INDEX versions_id_version ON versions (id, version);
CREATE INDEX versions_current_type ON versions (type, seq) WHERE is_current = 1;
CREATE TABLE markings (seq INTEGER NOT NULL, marking_ref TEXT NOT NULL,
  PRIMARY KEY (seq, marking_ref)) WITHOUT ROWID;
CREATE TABLE observables (kind TEXT NOT NULL, value TEXT NOT NULL,
  id TEXT NOT NULL, PRIMARY KEY (kind, value, id)) WITHOUT ROWID;
CREATE TABLE refs (source TEXT NOT NULL, path TEXT NOT NULL,
  target TEXT NOT NULL, PRIMARY KEY (source, path)) WITHOUT ROWID;
CREATE INDEX refs_target ON refs (target);
CREATE VIRTUAL TABLE search USING fts5 (text, tokenize = 'trigram remove_diacritics 1');
CREATE TABLE tokens (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL,
  role TEXT NOT NULL, hash TEXT NOT NULL UNIQUE, created TEXT NOT NULL);
PRAGMA user_version = 1;
";

const T0: &str = "2024-01-01T00:00:00.000Z";

/// Replaces the store of the initialised data directory `dir` with a version-1 store
/// holding `objects` and the admin token `admin`.
fn downgrade_to_v1(dir: &Path, admin: &str, objects: &[Value]) {
    for f in [
        "concord.db",
        "concord.db-wal",
        "concord.db-shm",
        "concord.db-index",
        "concord.db-index-wal",
        "concord.db-index-shm",
    ] {
        let _ = std::fs::remove_file(dir.join(f));
    }
    let c = rusqlite::Connection::open(dir.join("concord.db")).unwrap();
    c.execute_batch("PRAGMA journal_mode = WAL;").unwrap();
    c.execute_batch(V1).unwrap();
    for v in objects {
        let obj = concord_stix::Object::from_value(v.clone()).unwrap();
        c.execute(
            "INSERT INTO versions (id, type, version, version_ns, created, modified, spec_version, \
             revoked, date_added, is_current, json) VALUES (?1, ?2, ?3, 0, ?3, ?3, '2.1', 0, ?3, 1, ?4)",
            rusqlite::params![v["id"].as_str(), v["type"].as_str(), T0, obj.canonical_json()],
        )
        .unwrap();
    }
    let hash = {
        use sha2::Digest;
        hex::encode(sha2::Sha256::digest(admin.as_bytes()))
    };
    c.execute(
        "INSERT INTO tokens (name, role, hash, created) VALUES ('initial admin', 'admin', ?1, ?2)",
        rusqlite::params![hash, T0],
    )
    .unwrap();
}

fn user_version(dir: &Path) -> i64 {
    let c = rusqlite::Connection::open(dir.join("concord.db")).unwrap();
    c.query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap()
}

/// The backups written into the data directory.
fn backups(dir: &Path) -> Vec<std::path::PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir.join("backups")) else {
        return Vec::new();
    };
    let mut found: Vec<_> = entries
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "tar"))
        .collect();
    found.sort();
    found
}

fn indicator(n: u32) -> Value {
    json!({"type": "indicator", "spec_version": "2.1",
        "id": format!("indicator--00000000-0000-4000-8000-{n:012}"),
        "created": T0, "modified": T0, "name": format!("kept across the upgrade {n}"),
        "pattern": format!("[ipv4-addr:value = '198.51.100.{n}']"), "pattern_type": "stix",
        "valid_from": "2024-01-01T00:00:00Z"})
}

/// Issue 27: `serve` on a store of an older schema first writes a backup into
/// `backups/` (under the data directory's lock), then migrates; while another process
/// holds the lock nothing is backed up or migrated, by `serve` or by `import`; the backup
/// is one `concord restore` accepts, holding the store as it was.
#[test]
fn an_older_store_is_backed_up_under_the_lock_before_it_is_migrated() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");
    let admin = init(&dir);
    let objects: Vec<Value> = (1..=3).map(indicator).collect();
    downgrade_to_v1(&dir, &admin, &objects);

    // Another process holds the directory: neither `serve` nor `import` migrates.
    {
        let holder = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(dir.join("concord.lock"))
            .unwrap();
        holder.try_lock().unwrap();
        std::fs::write(dir.join("concord.lock"), "4242\n").unwrap();
        let one = tmp.path().join("one.json");
        std::fs::write(&one, indicator(9).to_string()).unwrap();
        for args in [
            vec!["serve", "--listen", "127.0.0.1:0"],
            vec!["import", one.to_str().unwrap()],
        ] {
            let out = run(&dir, &args);
            assert!(!out.status.success(), "{args:?} ran");
            let err = stderr(&out);
            assert!(err.contains("process 4242"), "{args:?}: {err}");
            if args[0] == "import" {
                assert!(err.contains("must be migrated"), "{err}");
            }
        }
        assert_eq!(user_version(&dir), 1, "nothing migrated beside the holder");
        assert!(backups(&dir).is_empty(), "{:?}", backups(&dir));
    }

    // The lock released: `serve` backs up, migrates and serves the old objects.
    let mut node = serve(&dir, &tmp.path().join("serve.log"));
    assert_eq!(
        user_version(&dir),
        concord_store::sqlite::SCHEMA_VERSION,
        "migrated"
    );
    let made = backups(&dir);
    assert_eq!(made.len(), 1, "{made:?}");
    let name = made[0].file_name().unwrap().to_string_lossy().into_owned();
    assert!(name.starts_with("pre-migration-v1-"), "{name}");
    let (code, body) = http(
        &node.addr,
        "GET",
        "/api/v1/objects/indicator--00000000-0000-4000-8000-000000000002",
        Some(&admin),
        None,
    );
    assert_eq!(code, 200, "{body}");
    kill(node.child.id(), "TERM");
    assert!(wait_at_most(&mut node.child, STOP_GRACE + STOP_GRACE).success());
    let log = std::fs::read_to_string(&node.log).unwrap();
    assert!(log.contains("Backup taken before migrating"), "{log}");
    assert!(log.contains(&name), "{log}");

    // A current store is not backed up again.
    let out = run(&dir, &["export"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(backups(&dir).len(), 1);

    // The backup restores: the store as it was (schema 1, three versions), migrated when
    // the restored node opens it.
    let restored = tmp.path().join("restored");
    let out = run(&restored, &["restore", made[0].to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("last seq 3"), "{}", stdout(&out));
    let manifest: Value = {
        let mut archive = tar::Archive::new(std::fs::File::open(&made[0]).unwrap());
        let mut entry = archive
            .entries()
            .unwrap()
            .map(Result::unwrap)
            .find(|e| e.path().unwrap().to_str() == Some("manifest.json"))
            .expect("the backup has a manifest");
        serde_json::from_reader(&mut entry).unwrap()
    };
    assert_eq!(manifest["schema_version"], 1);
    assert_eq!(manifest["last_seq"], 3);
    assert!(
        !manifest.to_string().contains("backups/"),
        "backups are not archived again: {manifest}"
    );
    let out = run(&restored, &["export"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let bundle: Value = serde_json::from_str(&stdout(&out)).unwrap();
    let names: Vec<&str> = bundle["objects"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|o| o["name"].as_str())
        .filter(|n| n.starts_with("kept across"))
        .collect();
    assert_eq!(names.len(), 3, "{names:?}");
}
