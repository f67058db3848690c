//! Integration tests of the PostgreSQL store: the behaviour every backend shows (shared
//! with the SQLite backend's tests), then what only this backend does. Each test gets a
//! fresh database on a throwaway server (`concord-testpg`).

// `&[v.clone()]` reads better in these tests than `std::slice::from_ref(&v)`.
#![allow(clippy::cloned_ref_to_slice_refs)]

mod backend;
#[path = "../../../store/tests/behaviour/mod.rs"]
mod behaviour;
mod copy;
mod indexer;

use std::sync::Arc;

use concord_store::{Limits, Store};
use concord_store_pg::PgStore;

/// A store on a fresh database, or `None` when PostgreSQL is missing outside CI.
pub fn open(limits: Limits) -> Option<Arc<dyn Store>> {
    let url = concord_testpg::database()?;
    let store = PgStore::open_with_limits(&url, limits)
        .unwrap_or_else(|e| panic!("cannot open the store at {url}: {e}"));
    Some(Arc::new(store))
}

mod on_postgres {
    crate::behaviour_tests!(crate::open);
}
