//! Integration tests of the SQLite store, one module per feature.

// `&[v.clone()]` reads better in these tests than `std::slice::from_ref(&v)`.
#![allow(clippy::cloned_ref_to_slice_refs)]

mod all_versions;
mod common;
mod concurrency;
mod crash;
mod delete;
mod graph;
mod import;
mod indexer;
mod paging;
mod schema;
mod search;
mod tokens;
mod versioning;
mod within;

// The behaviour every backend shows, on in-memory SQLite stores (the PostgreSQL backend
// runs the same in crates/store-pg).
#[path = "../behaviour/mod.rs"]
mod behaviour;

mod on_sqlite {
    fn open(limits: concord_store::Limits) -> Option<std::sync::Arc<dyn concord_store::Store>> {
        let store = concord_store::sqlite::SqliteStore::open_in_memory()
            .expect("in-memory store")
            .with_limits(limits);
        Some(std::sync::Arc::new(store))
    }

    crate::behaviour_tests!(open);
}
