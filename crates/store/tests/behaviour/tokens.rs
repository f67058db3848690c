//! Token records: unique hashes, clearance, expiry, last use; the work state kept beside them.

use concord_stix::Tlp;
use concord_store::{Limits, NewToken, Role};

use super::Open;

pub fn create_find_list_revoke(o: Open) {
    let Some(store) = o(Limits::default()) else {
        return;
    };
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

pub fn clearance_expiry_and_last_use(o: Open) {
    let Some(store) = o(Limits::default()) else {
        return;
    };
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
        concord_store::token_clearance(store.as_ref(), &found).unwrap(),
        Tlp::Amber
    );
    assert!(store.touch_token(t.id, "2026-05-01T10:00:00.000Z").unwrap());
    assert!(!store.touch_token(t.id, "2026-05-01T10:00:59.000Z").unwrap());
    let used = store.token_by_hash("hash-p").unwrap().unwrap();
    assert_eq!(used.last_used.as_deref(), Some("2026-05-01T10:00:00.000Z"));
    assert!(store.touch_token(t.id, "2026-05-01T10:01:00.000Z").unwrap());
}

/// The positions of background work (`Store::work_state`): absent until set, replaced
/// by a later set, one value per key, and apart from the store's own `store_meta` rows.
pub fn work_state_is_kept_per_key(o: Open) {
    let Some(store) = o(Limits::default()) else {
        return;
    };
    assert_eq!(store.work_state("response/notify_cursor").unwrap(), None);
    store
        .set_work_state("response/notify_cursor", "41")
        .unwrap();
    store.set_work_state("response/scan_cursor", "7").unwrap();
    store
        .set_work_state("response/notify_cursor", "42")
        .unwrap();
    assert_eq!(
        store
            .work_state("response/notify_cursor")
            .unwrap()
            .as_deref(),
        Some("42")
    );
    assert_eq!(
        store.work_state("response/scan_cursor").unwrap().as_deref(),
        Some("7")
    );
    // Work state cannot reach the store's own entries.
    assert_eq!(store.work_state("store_id").unwrap(), None);
    store.set_work_state("store_id", "x").unwrap();
    assert_eq!(store.work_state("store_id").unwrap().as_deref(), Some("x"));
}
