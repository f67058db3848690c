//! The derived indexes are built behind the writes, from a cursor, by whichever store
//! gets there first: every read that uses them sees every committed version, nothing is
//! indexed twice, and an index file that does not belong to its database is rebuilt.

use concord_store::sqlite::{SqliteStore, index_path};
use concord_store::{ListQuery, Store};
use serde_json::json;

use crate::common::{id_of, indicator, put, sco, with};

fn search(store: &SqliteStore, text: &str) -> usize {
    store
        .list(&ListQuery {
            text: Some(text.to_owned()),
            limit: 1_000,
            ..Default::default()
        })
        .expect("search")
        .objects
        .len()
}

#[test]
fn lag_is_reported_and_catch_up_clears_it() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("lag.db")).unwrap();
    let values: Vec<_> = (0..300)
        .map(|i| indicator(&format!("lagging {i}"), "[ipv4-addr:value = '203.0.113.9']"))
        .collect();
    put(&store, &values);
    let before = store.stats().unwrap();
    assert_eq!(before.last_seq, 300);
    assert!(before.index_lag <= 300);
    store.catch_up().unwrap();
    assert_eq!(store.stats().unwrap().index_lag, 0);
    assert_eq!(search(&store, "lagging"), 300);
}

#[test]
fn two_stores_on_one_file_index_each_version_once() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("shared.db");
    let a = SqliteStore::open(&path).unwrap();
    let b = SqliteStore::open(&path).unwrap();
    let ip = sco("ipv4-addr", "192.0.2.77");
    put(&a, &[ip.clone()]);
    let mut indicators = Vec::new();
    for round in 0..4 {
        let batch: Vec<_> = (0..200)
            .map(|i| {
                indicator(
                    &format!("twice {round} {i}"),
                    "[ipv4-addr:value = '192.0.2.77']",
                )
            })
            .collect();
        indicators.extend(batch.iter().map(id_of));
        // Writes through one store, index catch-ups through both, at once.
        std::thread::scope(|s| {
            s.spawn(|| put(&a, &batch));
            s.spawn(|| b.catch_up().unwrap());
            s.spawn(|| a.catch_up().unwrap());
        });
    }
    // One correlation row per (value, object): nothing was applied twice.
    let found = b.correlations(&id_of(&ip)).unwrap();
    assert_eq!(found.len(), indicators.len());
    let mut ids: Vec<_> = found.iter().map(|c| c.id.clone()).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), indicators.len());
    assert_eq!(search(&a, "twice"), indicators.len());
    assert_eq!(a.stats().unwrap().index_lag, 0);
}

#[test]
fn replaced_versions_leave_the_indexes_even_across_chunks() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("versions.db")).unwrap();
    let v1 = indicator("first wording", "[domain-name:value = 'one.example']");
    put(&store, &[v1.clone()]);
    store.catch_up().unwrap();
    assert_eq!(search(&store, "first"), 1);
    // The new version arrives after v1 was indexed: the indexer removes v1's rows.
    let v2 = with(
        v1.clone(),
        json!({"modified": "2026-03-01T00:00:00.000Z", "name": "second wording",
               "pattern": "[domain-name:value = 'two.example']"}),
    );
    let d1 = sco("domain-name", "one.example");
    let d2 = sco("domain-name", "two.example");
    put(&store, &[v2, d1.clone(), d2.clone()]);
    assert_eq!(search(&store, "first"), 0);
    assert_eq!(search(&store, "second"), 1);
    assert!(store.correlations(&id_of(&d1)).unwrap().is_empty());
    assert_eq!(store.correlations(&id_of(&d2)).unwrap()[0].id, id_of(&v1));
}

#[test]
fn an_index_file_of_another_database_is_rebuilt() {
    let dir = tempfile::tempdir().unwrap();
    let (one, two) = (dir.path().join("one.db"), dir.path().join("two.db"));
    {
        let store = SqliteStore::open(&one).unwrap();
        put(
            &store,
            &[indicator(
                "only in one",
                "[ipv4-addr:value = '198.51.100.5']",
            )],
        );
        store.catch_up().unwrap();
    }
    {
        let store = SqliteStore::open(&two).unwrap();
        put(
            &store,
            &[indicator(
                "only in two",
                "[ipv4-addr:value = '198.51.100.6']",
            )],
        );
        store.catch_up().unwrap();
    }
    // Database two now gets database one's index file.
    for suffix in ["", "-wal", "-shm"] {
        let from = format!("{}{suffix}", index_path(&one).display());
        let to = format!("{}{suffix}", index_path(&two).display());
        let _ = std::fs::remove_file(&to);
        if std::path::Path::new(&from).exists() {
            std::fs::copy(&from, &to).unwrap();
        }
    }
    let store = SqliteStore::open(&two).unwrap();
    assert_eq!(search(&store, "two"), 1);
    assert_eq!(search(&store, "one"), 0);
    assert_eq!(store.integrity_check().unwrap(), ["ok"]);
}

#[test]
fn a_version_1_database_is_migrated_and_indexed() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v1.db");
    let ind = indicator("migrated wording", "[ipv4-addr:value = '198.51.100.44']");
    let ip = sco("ipv4-addr", "198.51.100.44");
    {
        // The schema and rows as version 1 of the store wrote them (one file, text index
        // on (id, version), derived tables inside).
        let c = rusqlite::Connection::open(&path).unwrap();
        c.execute_batch(
            "PRAGMA journal_mode = WAL;
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
             CREATE VIRTUAL TABLE search USING fts5 (text,
               tokenize = 'trigram remove_diacritics 1');
             CREATE TABLE tokens (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL,
               role TEXT NOT NULL, hash TEXT NOT NULL UNIQUE, created TEXT NOT NULL);
             PRAGMA user_version = 1;",
        )
        .unwrap();
        for (v, ty, version) in [
            (&ind, "indicator", crate::common::T0),
            (&ip, "ipv4-addr", ""),
        ] {
            let obj = crate::common::object(v);
            c.execute(
                "INSERT INTO versions (id, type, version, version_ns, spec_version, revoked, \
                 date_added, is_current, json) VALUES (?1, ?2, ?3, 0, '2.1', 0, ?4, 1, ?5)",
                rusqlite::params![
                    id_of(v),
                    ty,
                    version,
                    crate::common::T0,
                    obj.canonical_json()
                ],
            )
            .unwrap();
        }
    }
    let store = SqliteStore::open(&path).unwrap();
    assert!(store.get(&id_of(&ind)).unwrap().is_some());
    assert_eq!(search(&store, "migrated"), 1);
    let found = store.correlations(&id_of(&ip)).unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].id, id_of(&ind));
    assert_eq!(store.stats().unwrap().index_lag, 0);
    assert_eq!(store.integrity_check().unwrap(), ["ok"]);
}

/// Replacing a version removes its full-text row; the index file must stay consistent
/// (FTS5's own integrity check) and find only the new text.
#[test]
fn replaced_versions_leave_a_consistent_full_text_index() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("fts.db");
    let store = SqliteStore::open(&path).unwrap();
    let v1 = indicator("first wording", "[ipv4-addr:value = '203.0.113.9']");
    put(&store, &[v1.clone()]);
    store.catch_up().unwrap();
    let v2 = with(
        v1.clone(),
        json!({"modified": "2030-01-01T00:00:00.000Z", "name": "second wording"}),
    );
    put(&store, &[v2]);
    store.catch_up().unwrap();
    // Two versions in one indexer chunk: the first is never in the full-text index, so
    // its removal must not be applied to it.
    let w1 = indicator("third wording", "[ipv4-addr:value = '203.0.113.10']");
    let w2 = with(
        w1.clone(),
        json!({"modified": "2030-01-01T00:00:00.000Z", "name": "fourth wording"}),
    );
    put(&store, &[w1]);
    put(&store, &[w2]);
    store.catch_up().unwrap();
    assert_eq!(search(&store, "third wording"), 0);
    assert_eq!(search(&store, "fourth wording"), 1);
    assert_eq!(search(&store, "first wording"), 0);
    assert_eq!(search(&store, "second wording"), 1);
    drop(store);
    let conn = rusqlite::Connection::open(index_path(&path)).unwrap();
    conn.execute("INSERT INTO search (search) VALUES ('integrity-check')", [])
        .expect("FTS5 integrity-check");
    let ok: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(ok, "ok");
}

/// The indexer thread runs at a lower priority than the threads that import and serve.
#[cfg(target_os = "linux")]
#[test]
fn the_indexer_thread_is_niced() {
    let dir = tempfile::tempdir().unwrap();
    let _store = SqliteStore::open(&dir.path().join("concord.db")).unwrap();
    // Fields of /proc/self/task/<tid>/stat after the parenthesised name: nice is the 17th.
    let nice_of = |name: &str| -> Option<i64> {
        for task in std::fs::read_dir("/proc/self/task").ok()? {
            let path = task.ok()?.path();
            let comm = std::fs::read_to_string(path.join("comm")).ok()?;
            if comm.trim() == name {
                let stat = std::fs::read_to_string(path.join("stat")).ok()?;
                let rest = stat.rsplit_once(')')?.1;
                return rest.split_whitespace().nth(16)?.parse().ok();
            }
        }
        None
    };
    let mut nice = None;
    for _ in 0..100 {
        nice = nice_of("concord-indexer");
        if nice == Some(10) {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    assert_eq!(nice, Some(10), "the indexer thread's nice value");
}
