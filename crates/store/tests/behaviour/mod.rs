//! Behaviour every `Store` backend must show, written once over `dyn Store` and run by
//! each backend's test binary: SQLite's (`tests/store`) and PostgreSQL's
//! (`crates/store-pg/tests`), which include this directory with `#[path]` and expand
//! [`behaviour_tests!`] with a function that opens a fresh, empty store.

#![allow(dead_code)]

pub mod ephemeral;
pub mod federation;
pub mod governance;
pub mod paging;
pub mod search;
pub mod tokens;
pub mod users;
pub mod versioning;
pub mod within;

use std::sync::Arc;

use concord_stix::Object;
use concord_store::{Limits, Outcome, Store};
use serde_json::{Value, json};

/// Opens a fresh, empty store with the given limits, or `None` when the backend cannot
/// run here (then the test returns at once, after its harness said why).
pub type Open = fn(Limits) -> Option<Arc<dyn Store>>;

/// The `created` time of every test object.
pub const T0: &str = "2026-01-01T00:00:00.000Z";

/// A fresh id of a type.
pub fn new_id(ty: &str) -> String {
    format!("{ty}--{}", uuid::Uuid::new_v4())
}

/// An SDO/SRO skeleton: type, id, spec_version, created = modified = `T0`.
pub fn sdo(ty: &str) -> Value {
    json!({"type": ty, "spec_version": "2.1", "id": new_id(ty), "created": T0, "modified": T0})
}

/// Sets properties on an object.
pub fn with(mut v: Value, props: Value) -> Value {
    if let (Some(map), Value::Object(props)) = (v.as_object_mut(), props) {
        map.extend(props);
    }
    v
}

/// An indicator with a STIX pattern.
pub fn indicator(name: &str, pattern: &str) -> Value {
    with(
        sdo("indicator"),
        json!({"name": name, "pattern": pattern, "pattern_type": "stix", "valid_from": T0}),
    )
}

/// A simple SCO with a `value`.
pub fn sco(ty: &str, value: &str) -> Value {
    json!({"type": ty, "id": new_id(ty), "value": value})
}

/// A relationship SRO.
pub fn relationship(source: &str, kind: &str, target: &str) -> Value {
    with(
        sdo("relationship"),
        json!({"relationship_type": kind, "source_ref": source, "target_ref": target}),
    )
}

/// The id of a JSON object.
pub fn id_of(v: &Value) -> String {
    v["id"].as_str().unwrap_or_default().to_owned()
}

/// Validates a value (panics in tests only).
pub fn object(v: &Value) -> Object {
    Object::from_value(v.clone()).unwrap_or_else(|e| panic!("test object is invalid: {e:?}"))
}

/// Stores values in one batch.
pub fn put(store: &dyn Store, values: &[Value]) -> Vec<Outcome> {
    let objects: Vec<Object> = values.iter().map(object).collect();
    store.ingest(&objects).expect("ingest")
}

/// One `#[test]` per behaviour, each on a fresh store from `$open` (an [`Open`]).
#[macro_export]
macro_rules! behaviour_tests {
    ($open:path) => {
        $crate::behaviour_tests!(@each $open;
            versioning::outcomes_of_new_versions_unchanged_and_conflicts,
            versioning::same_batch_versions_and_key_order,
            versioning::revoked_version_is_current,
            versioning::scos_are_unversioned,
            versioning::seq_and_date_added_strictly_increase,
            versioning::date_added_never_goes_back_after_a_delete,
            versioning::delete_removes_every_trace,
            versioning::list_versions_lists_every_version_by_seq,
            paging::by_seq_with_concurrent_writes,
            paging::newest_first_with_concurrent_writes,
            paging::filters_types_added_after_and_limits,
            paging::for_each_current_streams_by_seq,
            paging::list_borrowed_hands_over_the_page_list_gives,
            paging::list_borrowed_read_again_shows_new_versions_and_no_deleted_ones,
            tokens::create_find_list_revoke,
            tokens::clearance_expiry_and_last_use,
            tokens::a_token_reads_with_its_owners_clearance_at_most,
            tokens::work_state_is_kept_per_key,
            search::finds_every_language,
            search::syntax_characters_are_plain_text,
            search::search_sees_current_versions_only,
            search::a_search_of_too_many_words_is_refused,
            search::short_words_filter_or_are_refused_alone,
            search::correlations_and_relationships,
            within::listings_for_a_clearance_keep_to_the_visibility_rule,
            users::users_sessions_and_tokens,
            users::cleared_listings_levels_and_counts,
            federation::peers_and_their_state,
            federation::received_versions_pass_the_origin_rules,
            federation::local_signatures_and_provenance,
            federation::the_audit_log_is_one_hash_chain,
            governance::documents_are_kept_once_with_the_cursor,
            governance::local_refusals_are_kept_until_lifted,
            ephemeral::a_nonce_is_accepted_once_within_its_window,
            ephemeral::taxii_statuses_are_kept_bounded_and_expire,
            ephemeral::sign_in_attempts_are_counted_before_the_check,
        );
    };
    (@each $open:path; $($module:ident :: $name:ident),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                $crate::behaviour::$module::$name($open);
            }
        )*
    };
}
