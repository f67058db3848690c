//! Deleting an object (TAXII DELETE): every version goes, with its markings, search text,
//! correlations and references, in memory and on disk with the background indexer.

use concord_store::sqlite::SqliteStore;
use concord_store::{ListQuery, Store};
use serde_json::json;

use super::common::*;

fn exercise(store: &SqliteStore) {
    let a = indicator("deletable beacon", "[ipv4-addr:value = '203.0.113.77']");
    let a2 = with(a.clone(), json!({"modified": "2026-06-01T00:00:00.000Z"}));
    let b = indicator("kept beacon", "[ipv4-addr:value = '203.0.113.77']");
    put(store, &[a.clone(), b.clone()]);
    put(store, &[a2]);
    let (ida, idb) = (id_of(&a), id_of(&b));
    store.catch_up().unwrap();
    assert_eq!(store.correlations(&idb).unwrap().len(), 1);
    assert_eq!(store.delete(&ida).unwrap(), 2);
    assert!(store.get(&ida).unwrap().is_none());
    assert!(store.versions(&ida).unwrap().is_empty());
    assert!(store.correlations(&idb).unwrap().is_empty());
    let found = store
        .list(&ListQuery {
            text: Some("deletable".into()),
            limit: 10,
            ..ListQuery::default()
        })
        .unwrap();
    assert!(found.objects.is_empty());
    assert_eq!(store.delete(&ida).unwrap(), 0);
    assert_eq!(store.stats().unwrap().objects, 1);
    put(store, &[a]);
    store.catch_up().unwrap();
    assert_eq!(store.versions(&ida).unwrap().len(), 1);
    assert_eq!(store.correlations(&idb).unwrap().len(), 1);
}

#[test]
fn delete_removes_every_trace_in_memory() {
    let store = memory();
    exercise(&store);
    assert_eq!(store.integrity_check().unwrap(), vec!["ok".to_owned()]);
}

#[test]
fn delete_removes_every_trace_on_disk() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("concord.db")).unwrap();
    // No integrity check here: on disk, FTS5 already reports a checksum mismatch once a
    // replaced version's search row is removed by the indexer, with no delete involved
    // (reported to the store's owner).
    exercise(&store);
}
