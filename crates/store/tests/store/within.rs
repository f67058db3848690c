//! Listings for a clearance on a database from before the store kept TLP levels (schema
//! version 2): the levels are filled in when it is opened, and every listing then keeps
//! to the visibility rule (the rule's own test, `behaviour::within`, runs on every
//! backend).

use std::sync::Arc;

use concord_store::Store;
use concord_store::sqlite::SqliteStore;

use crate::behaviour::within::{check, objects};
use crate::common::put;

#[test]
fn a_database_from_before_the_levels_is_filled_in_when_opened() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v2.db");
    let values = objects();
    {
        let store = SqliteStore::open(&path).unwrap();
        put(&store, &values);
    }
    {
        // As version 2 of the schema left it: no level columns.
        let c = rusqlite::Connection::open(&path).unwrap();
        c.execute_batch(
            "ALTER TABLE versions DROP COLUMN tlp; \
             ALTER TABLE versions DROP COLUMN tlp_max; \
             PRAGMA user_version = 2;",
        )
        .unwrap();
    }
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open(&path).unwrap());
    check(&store, &values);
    let version: i64 = rusqlite::Connection::open(&path)
        .unwrap()
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert!(version >= 3, "schema version {version}");
}
