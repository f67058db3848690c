//! Token records.

use concord_stix::Tlp;
use concord_store::sqlite::SqliteStore;
use concord_store::{NewToken, Role, Store};

use crate::common::memory;

#[test]
fn create_find_list_revoke() {
    let store = memory();
    let a = store.create_token("ops", Role::Admin, "hash-a").unwrap();
    let b = store.create_token("feed", Role::Reader, "hash-b").unwrap();
    assert!(
        store.create_token("dup", Role::Reader, "hash-a").is_err(),
        "hash is unique"
    );
    assert_eq!(store.token_by_hash("hash-b").unwrap(), Some(b.clone()));
    assert_eq!(store.token_by_hash("nope").unwrap(), None);
    assert_eq!(store.tokens().unwrap(), [a.clone(), b]);
    assert!(store.revoke_token(a.id).unwrap());
    assert!(!store.revoke_token(a.id).unwrap());
    assert_eq!(store.tokens().unwrap().len(), 1);
}

/// Issue 27: a token keeps its clearance and expiry; its last use is written at most once
/// a minute.
#[test]
fn clearance_expiry_and_last_use() {
    let store = memory();
    let t = store
        .create_token_with(&NewToken {
            name: "partner",
            role: Role::Reader,
            hash: "hash-p",
            clearance: Tlp::Amber,
            expires: Some("2030-01-01T00:00:00.000Z".into()),
        })
        .unwrap();
    let found = store.token_by_hash("hash-p").unwrap().unwrap();
    assert_eq!(found, t);
    assert_eq!(found.clearance, Tlp::Amber);
    assert!(!found.expired_at("2029-12-31T23:59:59.999Z"));
    assert!(found.expired_at("2030-01-01T00:00:00.000Z"));
    assert_eq!(
        concord_store::token_clearance(&store, &found).unwrap(),
        Tlp::Amber
    );

    assert!(store.touch_token(t.id, "2026-05-01T10:00:00.000Z").unwrap());
    assert!(!store.touch_token(t.id, "2026-05-01T10:00:59.000Z").unwrap());
    let used = store.token_by_hash("hash-p").unwrap().unwrap();
    assert_eq!(used.last_used.as_deref(), Some("2026-05-01T10:00:00.000Z"));
    assert!(!used.touch_due("2026-05-01T10:00:59.000Z"));
    assert!(used.touch_due("2026-05-01T10:01:00.000Z"));
    assert!(store.touch_token(t.id, "2026-05-01T10:01:00.000Z").unwrap());
}

/// Issue 27: a database made before token clearances gets them on opening: its admin
/// tokens (the operator's, from `init`) read TLP:RED as before, the others TLP:GREEN.
#[test]
fn tokens_of_an_older_database_get_a_clearance() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("concord.db");
    {
        let store = SqliteStore::open(&path).unwrap();
        store.create_token("ops", Role::Admin, "hash-a").unwrap();
        store.create_token("feed", Role::Reader, "hash-r").unwrap();
    }
    {
        // Back to the tables as an older program left them.
        let c = rusqlite::Connection::open(&path).unwrap();
        c.execute_batch(
            "ALTER TABLE tokens DROP COLUMN clearance;
             ALTER TABLE tokens DROP COLUMN expires;
             ALTER TABLE tokens DROP COLUMN last_used;
             DELETE FROM store_meta WHERE key = 'module_ddl';",
        )
        .unwrap();
    }
    let store = SqliteStore::open(&path).unwrap();
    let clearance = |h: &str| store.token_by_hash(h).unwrap().unwrap().clearance;
    assert_eq!(clearance("hash-a"), Tlp::Red);
    assert_eq!(clearance("hash-r"), Tlp::Green);
    let t = store.token_by_hash("hash-r").unwrap().unwrap();
    assert_eq!((t.expires, t.last_used), (None, None));
}
