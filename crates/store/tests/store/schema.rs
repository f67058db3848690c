//! Opening databases: a current one takes no write lock; an older one gets what later
//! modules added.

use concord_store::federation::{FederationStore, PeerRecord};
use concord_store::sqlite::SqliteStore;

#[test]
fn an_open_while_another_connection_writes_does_not_wait() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("concord.db");
    drop(SqliteStore::open(&path).unwrap());
    // Another process holds the write lock (as `serve` does while it stores a page).
    let writer = rusqlite::Connection::open(&path).unwrap();
    writer.execute_batch("BEGIN IMMEDIATE").unwrap();
    let start = std::time::Instant::now();
    let store = SqliteStore::open(&path).unwrap();
    assert!(start.elapsed() < std::time::Duration::from_secs(2));
    assert!(store.peers().unwrap().is_empty());
    writer.execute_batch("ROLLBACK").unwrap();
}

#[test]
fn a_peers_table_from_before_live_since_is_brought_up_to_date() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("concord.db");
    {
        let store = SqliteStore::open(&path).unwrap();
        store
            .put_peer(&PeerRecord {
                node_id: "concord-aaaaaaaaaaaaaaaaaaaaaaaa".into(),
                name: "old".into(),
                url: "http://127.0.0.1:1".into(),
                public_key: "00".repeat(32),
                ..PeerRecord::default()
            })
            .unwrap();
    }
    {
        let c = rusqlite::Connection::open(&path).unwrap();
        c.execute_batch(
            "ALTER TABLE peers DROP COLUMN live_since; \
             DELETE FROM store_meta WHERE key = 'module_ddl';",
        )
        .unwrap();
    }
    let store = SqliteStore::open(&path).unwrap();
    let peers = store.peers().unwrap();
    assert_eq!(peers.len(), 1);
    assert_eq!(peers[0].name, "old");
    store.peer_live(&peers[0].node_id, true).unwrap();
    assert!(store.peers().unwrap()[0].live_since.is_some());
}

fn page_size(path: &std::path::Path) -> i64 {
    let c = rusqlite::Connection::open(path).unwrap();
    c.pragma_query_value(None, "page_size", |r| r.get(0))
        .unwrap()
}

#[test]
fn a_new_store_has_32_kib_pages_and_an_older_one_keeps_its_own() {
    use crate::common::{id_of, indicator, put};
    use concord_store::Store;

    let dir = tempfile::tempdir().unwrap();
    let fresh = dir.path().join("fresh.db");
    drop(SqliteStore::open(&fresh).unwrap());
    assert_eq!(page_size(&fresh), 32_768);

    // A store from before: SQLite's default page size, already in WAL mode.
    let old = dir.path().join("old.db");
    {
        let c = rusqlite::Connection::open(&old).unwrap();
        c.execute_batch("PRAGMA page_size = 4096; PRAGMA journal_mode = WAL; CREATE TABLE t (x);")
            .unwrap();
    }
    let store = SqliteStore::open(&old).unwrap();
    let v = indicator("kept", "[ipv4-addr:value = '198.51.100.7']");
    put(&store, std::slice::from_ref(&v));
    assert!(store.get(&id_of(&v)).unwrap().is_some());
    drop(store);
    assert_eq!(page_size(&old), 4096);
}
