//! [`NodeStore`] implements the store traits by handing every call to the backend it
//! holds, so that it goes wherever a `&dyn Store` does (a `&NodeStore` does not deref
//! there by itself: a reference coerces to a trait object only from a type implementing
//! the trait).

use std::collections::HashMap;

use concord_stix::{Object, Tlp};
use concord_store::ephemeral::{Bounds, EphemeralStore, Limit};
use concord_store::federation::{
    AuditEntry, AuditRecord, FederationStore, PeerRecord, Provenance, Refusal,
};
use concord_store::governance::{
    GovernanceDocument, GovernanceRecord, GovernanceStore, LocalRefusal,
};
use concord_store::users::{ClearedQuery, CountRow, Session, User, Users};
use concord_store::{
    Correlation, Limits, ListQuery, Listed, ListedRow, NewToken, Outcome, Page, PoolGauge, Related,
    Role, Stats, Store, StoreError, StoredObject, TokenRecord,
};

use super::NodeStore;

/// Methods that call the same method of the backend (`**self`, a `dyn Store`).
macro_rules! delegate {
    ($($name:ident($($arg:ident: $ty:ty),*) -> $ret:ty;)*) => {
        $(fn $name(&self, $($arg: $ty),*) -> $ret {
            (**self).$name($($arg),*)
        })*
    };
}

impl Store for NodeStore {
    delegate! {
        ingest(objects: &[Object]) -> Result<Vec<Outcome>, StoreError>;
        get(id: &str) -> Result<Option<StoredObject>, StoreError>;
        versions(id: &str) -> Result<Vec<StoredObject>, StoreError>;
        list(query: &ListQuery) -> Result<Page, StoreError>;
        list_borrowed(
            query: &ListQuery,
            with_json: bool,
            each: &mut dyn FnMut(&ListedRow<'_>)
        ) -> Result<Listed, StoreError>;
        list_versions(query: &ListQuery) -> Result<Page, StoreError>;
        correlations(id: &str) -> Result<Vec<Correlation>, StoreError>;
        relationships(id: &str) -> Result<Vec<Related>, StoreError>;
        for_each_current(
            types: &[String],
            each: &mut dyn FnMut(StoredObject) -> Result<(), StoreError>
        ) -> Result<(), StoreError>;
        create_token(name: &str, role: Role, hash: &str) -> Result<TokenRecord, StoreError>;
        create_token_with(token: &NewToken<'_>) -> Result<TokenRecord, StoreError>;
        touch_token(id: i64, now: &str) -> Result<bool, StoreError>;
        token_by_hash(hash: &str) -> Result<Option<TokenRecord>, StoreError>;
        token_with_clearance(hash: &str) -> Result<Option<(TokenRecord, concord_stix::Tlp)>, StoreError>;
        tokens() -> Result<Vec<TokenRecord>, StoreError>;
        revoke_token(id: i64) -> Result<bool, StoreError>;
        stats() -> Result<Stats, StoreError>;
        delete(id: &str) -> Result<usize, StoreError>;
        limits() -> Limits;
        release_memory() -> bool;
        pools() -> Vec<PoolGauge>;
        work_state(key: &str) -> Result<Option<String>, StoreError>;
        set_work_state(key: &str, value: &str) -> Result<(), StoreError>;
    }
}

impl Users for NodeStore {
    delegate! {
        create_user(
            name: &str,
            role: Role,
            clearance: Tlp,
            password_hash: &str
        ) -> Result<Option<User>, StoreError>;
        user_by_name(name: &str) -> Result<Option<(User, String)>, StoreError>;
        user(id: i64) -> Result<Option<User>, StoreError>;
        users() -> Result<Vec<User>, StoreError>;
        set_password(id: i64, password_hash: &str) -> Result<bool, StoreError>;
        update_user(
            id: i64,
            role: Role,
            clearance: Tlp,
            disabled: bool
        ) -> Result<bool, StoreError>;
        create_session(
            hash: &str,
            user_id: i64,
            csrf: &str,
            expires: &str
        ) -> Result<(), StoreError>;
        session(hash: &str, now: &str) -> Result<Option<Session>, StoreError>;
        delete_session(hash: &str, now: &str) -> Result<(), StoreError>;
        link_token(token_id: i64, user_id: i64) -> Result<(), StoreError>;
        token_owner(token_id: i64) -> Result<Option<i64>, StoreError>;
        user_tokens(user_id: i64) -> Result<Vec<TokenRecord>, StoreError>;
        list_cleared(q: &ClearedQuery) -> Result<Page, StoreError>;
        tlp_levels(ids: &[String]) -> Result<Vec<(String, Tlp)>, StoreError>;
        count_rows() -> Result<Vec<CountRow>, StoreError>;
        last_seq() -> Result<i64, StoreError>;
    }
}

impl FederationStore for NodeStore {
    delegate! {
        put_peer(peer: &PeerRecord) -> Result<(), StoreError>;
        peers() -> Result<Vec<PeerRecord>, StoreError>;
        remove_peer(node_id: &str) -> Result<bool, StoreError>;
        peer_failed(node_id: &str, error: &str) -> Result<(), StoreError>;
        peer_live(node_id: &str, live: bool) -> Result<(), StoreError>;
        peer_synced(node_id: &str, head: i64) -> Result<(), StoreError>;
        peer_refused(node_id: &str, count: i64, reason: &str) -> Result<(), StoreError>;
        ingest_received(
            me: &str,
            peer: &str,
            objects: &[Object],
            provenance: &[Provenance],
            cursor: i64,
            head: i64
        ) -> Result<Vec<Result<Outcome, Refusal>>, StoreError>;
        provenance(id: &str, version: &str) -> Result<Option<Provenance>, StoreError>;
        provenance_between(
            after: i64,
            upto: i64
        ) -> Result<HashMap<i64, Provenance>, StoreError>;
        unsigned_local(
            after: i64,
            limit: usize
        ) -> Result<Vec<(i64, String, String, String)>, StoreError>;
        put_local_signatures(
            signed: &[(String, String, Provenance)]
        ) -> Result<(), StoreError>;
        append_audit(entries: &[AuditEntry]) -> Result<(), StoreError>;
        audit(
            peer: Option<&str>,
            after: i64,
            limit: usize
        ) -> Result<Vec<AuditRecord>, StoreError>;
        audit_sent_since(peer: &str, since: &str) -> Result<u64, StoreError>;
        head_seq() -> Result<i64, StoreError>;
    }
}

impl GovernanceStore for NodeStore {
    delegate! {
        put_governance(
            docs: &[GovernanceDocument],
            received_from: &str,
            cursor: Option<i64>
        ) -> Result<usize, StoreError>;
        governance(community: Option<&str>) -> Result<Vec<GovernanceRecord>, StoreError>;
        governance_after(
            after: i64,
            limit: usize
        ) -> Result<Vec<GovernanceRecord>, StoreError>;
        governance_head() -> Result<i64, StoreError>;
        governance_cursor(peer: &str) -> Result<i64, StoreError>;
        set_local_refusal(node_id: &str, reason: Option<&str>) -> Result<bool, StoreError>;
        local_refusals() -> Result<Vec<LocalRefusal>, StoreError>;
    }
}

impl EphemeralStore for NodeStore {
    delegate! {
        first_use_of_nonce(
            keyid: &str,
            nonce: &str,
            now: i64,
            window: i64
        ) -> Result<bool, StoreError>;
        forget_nonces(before: i64) -> Result<usize, StoreError>;
        put_taxii_status(
            id: &str,
            owner: &str,
            json: &str,
            now_ms: i64,
            bounds: Bounds
        ) -> Result<(), StoreError>;
        taxii_status(id: &str, since_ms: i64) -> Result<Option<String>, StoreError>;
        reserve_attempt(
            limits: &[Limit<'_>],
            now_ms: i64,
            window_ms: i64
        ) -> Result<Option<usize>, StoreError>;
        give_back_attempt(key: &str, all: bool) -> Result<(), StoreError>;
        prune_attempts(before_ms: i64, max: usize) -> Result<usize, StoreError>;
    }
}
