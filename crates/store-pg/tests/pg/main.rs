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

/// Runs `f` with a plain connection to the database at `url` (what the store's API
/// cannot show or do: its derived rows, an older schema).
fn on_database<T>(url: &str, f: impl AsyncFnOnce(&tokio_postgres::Client) -> T) -> T {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let (c, conn) = tokio_postgres::connect(url, tokio_postgres::NoTls)
            .await
            .unwrap();
        let driver = tokio::spawn(conn);
        let out = f(&c).await;
        drop(c);
        let _ = driver.await;
        out
    })
}

/// One value of a query on the database itself.
pub fn scalar(url: &str, sql: &str) -> i64 {
    on_database(url, async |c| c.query_one(sql, &[]).await.unwrap().get(0))
}

/// Runs statements on the database itself.
pub fn execute(url: &str, sql: &str) {
    on_database(url, async |c| c.batch_execute(sql).await.unwrap());
}

mod on_postgres {
    crate::behaviour_tests!(crate::open);
}
