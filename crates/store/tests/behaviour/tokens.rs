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

/// A token's clearance as every request asks for it (`Store::token_with_clearance`):
/// the token's own, lowered to its owner's; the same as `token_clearance`, and a change
/// of the owner's clearance holds from the next look-up.
pub fn a_token_reads_with_its_owners_clearance_at_most(o: Open) {
    let Some(store) = o(Limits::default()) else {
        return;
    };
    let token = |name: &'static str, hash: &'static str, clearance| {
        store
            .create_token_with(&NewToken {
                name,
                role: Role::Reader,
                hash,
                clearance,
                expires: None,
            })
            .unwrap()
    };
    let own = token("own", "hash-own", Tlp::Amber);
    let low = token("low", "hash-low", Tlp::Red);
    let high = token("high", "hash-high", Tlp::Green);
    let gone = token("gone", "hash-gone", Tlp::Amber);
    let ana = store
        .create_user("ana", Role::Analyst, Tlp::Green, "x")
        .unwrap()
        .unwrap();
    let bo = store
        .create_user("bo", Role::Analyst, Tlp::Red, "x")
        .unwrap()
        .unwrap();
    store.link_token(low.id, ana.id).unwrap();
    store.link_token(high.id, bo.id).unwrap();
    store.link_token(gone.id, 1_000_000).unwrap();
    let check = |hash: &str, want: Tlp| {
        let (record, level) = store.token_with_clearance(hash).unwrap().unwrap();
        assert_eq!(store.token_by_hash(hash).unwrap(), Some(record.clone()));
        assert_eq!(level, want, "{hash}");
        assert_eq!(
            concord_store::token_clearance(store.as_ref(), &record).unwrap(),
            want,
            "{hash}"
        );
    };
    check("hash-own", Tlp::Amber);
    check("hash-low", Tlp::Green);
    check("hash-high", Tlp::Green);
    check("hash-gone", Tlp::Clear);
    assert_eq!(store.token_with_clearance("nope").unwrap(), None);
    assert_eq!(own.clearance, Tlp::Amber);
    // Lowering the owner's clearance lowers its tokens' at once.
    assert!(
        store
            .update_user(ana.id, Role::Analyst, Tlp::Clear, false)
            .unwrap()
    );
    check("hash-low", Tlp::Clear);
    assert!(store.revoke_token(low.id).unwrap());
    assert_eq!(store.token_with_clearance("hash-low").unwrap(), None);
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
