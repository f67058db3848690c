//! Token records.

use concord_store::{Role, Store};

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
