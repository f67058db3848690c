//! The PostgreSQL backend of [`concord_store::Store`]: a node's objects, tokens, users
//! and federation state in one PostgreSQL database, which any number of Concord
//! processes may share.
//!
//! What it keeps and how (the `schema` module has the DDL):
//! - `versions`: one row per stored version, keyed by `seq` (from a sequence, never
//!   reused), with the extracted columns, `date_added` as written (text) and as
//!   microseconds since the epoch (`added_us`, for comparisons: texts of the older
//!   millisecond form a migrated store holds do not order as text), the canonical JSON
//!   (text, byte for byte), `is_current`, `replaces` and the TLP ranks `tlp`/`tlp_max`.
//! - `tokens`, `users`, `sessions`, `user_tokens`, `peers`, `provenance`,
//!   `audit`, `store_meta`: as in the SQLite backend.
//! - `request_nonces`, `taxii_statuses`, `signin_attempts`: short-lived state every
//!   replica sees alike (`concord_store::ephemeral`), bounded and expiring.
//! - The derived indexes, `observables` (correlations), `refs` and `search` (the search
//!   text of current versions, lower-cased and without accents, with a `pg_trgm` GIN
//!   index: found by substring in every language, Chinese and Arabic included), and
//!   `index_state`, the cursor of the indexer that writes them behind the writes.
//!
//! The indexer (the `indexer` module) follows `seq` in chunks, each one transaction that
//! moves the cursor under an advisory lock, so indexers of several processes never apply
//! a chunk twice. As on SQLite, an ingest writes versions only (the search
//! rows' trigram index is most of what writing them costs), and reads that use the
//! derived indexes — listings with a text filter, `correlations`, `relationships` — first
//! index whatever is pending ([`PgStore::catch_up`]), so they see every version
//! committed before them: cheap when little is pending, but a search asked during a
//! bulk import waits until its backlog is indexed. In the background, `concord serve`
//! runs [`PgStore::run_indexer`] under the `indexer` lease (one replica at a time), which
//! waits while versions keep arriving (up to a backlog of 1,000,000) and indexes
//! everything once writes pause. [`Stats::index_lag`] shows the backlog.
//!
//! Writers: every writing transaction that adds versions first takes one transaction
//! advisory lock (`WRITE_LOCK`), then reads the last `date_added` and takes its `seq`s.
//! So writers of all processes are ordered: `seq` and `date_added` strictly increase in
//! commit order, and a reader paging by `seq` never misses a version that commits later
//! with a lower `seq` (the same guarantee SQLite's single writer gives).
//!
//! Listing queries (pages, searches, correlations, relationships: what the SQLite backend
//! runs within its budget) go through a pool whose connections run with
//! `statement_timeout` set to the query budget ([`Limits::query_budget`]); one stopped by
//! it is [`StoreError::Budget`]. Writes, point reads and counts go through a second pool
//! without a timeout.
//!
//! Pages handed over whole (`list_borrowed`: TAXII objects and manifest pages) select
//! only `seq`, `added_us` and `tlp_max` (from the `versions_page` index, which the
//! background indexer keeps vacuumed), every filter and the caller's clearance in that
//! query, and take the rows' content from a bounded in-memory cache by `seq` (the
//! `cache` module says why that cannot show what the query did not select).
//!
//! The client is `tokio-postgres` on a small runtime the store owns, where the
//! connections' tasks run: a call's future is polled on the calling thread (within that
//! runtime, parked between polls), so the blocking [`Store`] methods work from any
//! thread, inside an async runtime or not (on a worker of a multi-threaded one the wait
//! is `block_in_place`).
//!
//! ```no_run
//! use concord_store::Store;
//! let store = concord_store_pg::PgStore::open("postgres://concord@127.0.0.1:5432/concord")?;
//! assert_eq!(store.stats()?.versions, 0);
//! # Ok::<(), concord_store::StoreError>(())
//! ```
//!
//! Search is `pg_trgm` over lower-cased text without accents (`unaccent`); the database
//! needs a UTF-8 `LC_CTYPE` for non-Latin letters. Text columns are `COLLATE "C"` (byte
//! order, as SQLite). The schema is versioned in `store_meta` and migrated under an
//! advisory lock. `copy_from_sqlite` copies a SQLite node's database whole (every version
//! with its `seq` and `date_added`, tokens, users, peers and cursors, provenance, the audit
//! chain) into an empty store in one transaction (`concord migrate --to`). `concord` opens
//! it when `[store] database_url` is set. Its behaviour is the SQLite backend's, held by
//! the shared behaviour tests (`crates/store/tests/behaviour`, run by both backends' test
//! binaries).

mod cache;
mod copy;
mod copy_in;
mod ephemeral;
mod federation;
mod governance;
mod indexer;
mod ingest;
pub mod lease;
mod node;
mod query;
mod schema;
pub mod tls;
mod tokens;
mod users;
mod wait;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use concord_stix::Object;
use concord_store::{
    Correlation, Limits, ListQuery, Listed, ListedRow, NewToken, Outcome, Page, Related, Stats,
    Store, StoreError, StoredObject, TokenRecord,
};
use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod};

pub use copy::CopyReport;
pub use indexer::IndexPosition;
pub use schema::SCHEMA_VERSION;

/// Connections of each pool at most.
const POOL_SIZE: usize = 16;

/// Bytes of versions the row cache holds at most (`cache`).
const ROW_CACHE_BYTES: usize = 256 << 20;

/// How long a call waits for a free connection before it fails.
const POOL_WAIT: Duration = Duration::from_secs(30);

/// A failure inside the store, converted to [`StoreError`] at the trait's edge (so `?`
/// works on the client's errors, which `StoreError` cannot name).
#[derive(Debug)]
pub(crate) struct Fail(pub(crate) StoreError);

/// What the store's inner functions return.
pub(crate) type R<T> = Result<T, Fail>;

impl From<StoreError> for Fail {
    fn from(e: StoreError) -> Self {
        Fail(e)
    }
}

impl From<tokio_postgres::Error> for Fail {
    fn from(e: tokio_postgres::Error) -> Self {
        use tokio_postgres::error::SqlState;
        let Some(db) = e.as_db_error() else {
            // With its causes: "error performing TLS handshake" alone does not say that
            // the certificate was refused, nor why.
            let mut text = e.to_string();
            let mut cause = std::error::Error::source(&e);
            while let Some(c) = cause {
                text.push_str(": ");
                text.push_str(&c.to_string());
                cause = c.source();
            }
            return Fail(StoreError::Backend(text));
        };
        let text = format!("{} (SQLSTATE {})", db.message(), db.code().code());
        if *db.code() == SqlState::DISK_FULL {
            return Fail(StoreError::DiskFull(text));
        }
        Fail(StoreError::Backend(text))
    }
}

impl From<deadpool_postgres::PoolError> for Fail {
    fn from(e: deadpool_postgres::PoolError) -> Self {
        match e {
            deadpool_postgres::PoolError::Backend(e) => e.into(),
            other => Fail(StoreError::Backend(format!(
                "no database connection: {other}"
            ))),
        }
    }
}

/// A corrupt stored row.
pub(crate) fn corrupt(id: &str, reason: impl std::fmt::Display) -> Fail {
    Fail(StoreError::Corrupt {
        id: id.to_owned(),
        reason: reason.to_string(),
    })
}

/// A [`Store`] in a PostgreSQL database.
pub struct PgStore {
    /// Connections for listing queries (pages, searches, correlations, relationships):
    /// `statement_timeout` is the query budget.
    listings: Pool,
    /// Connections for everything else: writes, point reads, counts (no timeout).
    plain: Pool,
    /// Runs the client's tasks; shut down in the background on drop (a runtime may not
    /// be dropped inside another one's task, where a server may drop its store).
    runtime: Option<tokio::runtime::Runtime>,
    handle: tokio::runtime::Handle,
    limits: Limits,
    /// Versions by `seq` for pages handed over whole (`cache`).
    cache: Arc<cache::RowCache>,
}

impl std::fmt::Debug for PgStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgStore")
            .field("limits", &self.limits)
            .finish_non_exhaustive()
    }
}

impl Drop for PgStore {
    fn drop(&mut self) {
        if let Some(rt) = self.runtime.take() {
            rt.shutdown_background();
        }
    }
}

fn pool(
    config: &tokio_postgres::Config,
    tls: &tokio_postgres_rustls::MakeRustlsConnect,
    handle: &tokio::runtime::Handle,
) -> R<Pool> {
    let manager = Manager::from_config(
        config.clone(),
        tls.clone(),
        ManagerConfig {
            recycling_method: RecyclingMethod::Fast,
        },
    );
    // The pool's timeouts run on the store's runtime.
    let _entered = handle.enter();
    Pool::builder(manager)
        .max_size(POOL_SIZE)
        .runtime(deadpool_postgres::Runtime::Tokio1)
        .wait_timeout(Some(POOL_WAIT))
        .create_timeout(Some(POOL_WAIT))
        .build()
        .map_err(|e| {
            Fail(StoreError::Backend(format!(
                "cannot make a connection pool: {e}"
            )))
        })
}

impl PgStore {
    /// Opens the store in the database at `url` (`postgres://user@host:port/db`, or any
    /// form `tokio-postgres` accepts, with libpq's `sslmode` and `sslrootcert`: see
    /// [`tls`]), creating or migrating its schema.
    ///
    /// # Errors
    /// The URL is invalid, its TLS settings cannot be followed, the database cannot be
    /// reached (or its certificate is refused), or its schema is newer than this
    /// program's.
    pub fn open(url: &str) -> Result<PgStore, StoreError> {
        PgStore::open_with_limits(url, Limits::default())
    }

    /// [`PgStore::open`] with the given limits on one caller's work.
    ///
    /// # Errors
    /// As [`PgStore::open`].
    pub fn open_with_limits(url: &str, limits: Limits) -> Result<PgStore, StoreError> {
        let connection = tls::connection(url)?;
        let (config, tls) = (connection.config.clone(), connection.tls.clone());
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("concord-pg")
            .enable_all()
            .build()
            .map_err(|e| StoreError::Backend(format!("cannot start the database runtime: {e}")))?;
        let handle = runtime.handle().clone();
        let mut read_config = config.clone();
        let budget = limits.query_budget.map_or(0, |d| d.as_millis());
        read_config.options(format!("-c statement_timeout={budget}"));
        let store = PgStore {
            listings: pool(&read_config, &tls, &handle).map_err(|f| f.0)?,
            plain: pool(&config, &tls, &handle).map_err(|f| f.0)?,
            runtime: Some(runtime),
            handle,
            limits,
            cache: Arc::new(cache::RowCache::new(ROW_CACHE_BYTES)),
        };
        store
            .write(schema::migrate)
            .map_err(|e| connection.explain(e))?;
        Ok(store)
    }

    /// Runs `fut` on the calling thread, within the store's runtime (connections made
    /// meanwhile, and the pool's timers, belong to it), and waits for its answer. The
    /// connections' own tasks run on the store's runtime; polling the call's future here
    /// rather than spawning it there saves two thread hand-offs per call.
    fn block<T: Send + 'static>(
        &self,
        fut: impl Future<Output = R<T>> + Send + 'static,
    ) -> Result<T, StoreError> {
        // On a worker of a multi-threaded runtime (a server's handler calling a bounded
        // read directly), the wait hands the worker's other tasks to another thread:
        // otherwise each worker serves one request per database round trip.
        let on_worker = tokio::runtime::Handle::try_current()
            .is_ok_and(|h| h.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread);
        let run = || {
            let _entered = self.handle.enter();
            wait::block_on(fut)
        };
        let answer = if on_worker {
            tokio::task::block_in_place(run)
        } else {
            run()
        };
        answer.map_err(|f| f.0)
    }

    /// Runs `f` with a connection of `pool`.
    fn with<T, F, Fut>(&self, pool: &Pool, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(deadpool_postgres::Object) -> Fut + Send + 'static,
        Fut: Future<Output = R<T>> + Send,
    {
        let pool = pool.clone();
        self.block(async move {
            let client = pool.get().await?;
            f(client).await
        })
    }

    /// Runs `f` with a connection for listing queries; a statement stopped by the query
    /// budget is [`StoreError::Budget`].
    pub(crate) fn listing<T, F, Fut>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(deadpool_postgres::Object) -> Fut + Send + 'static,
        Fut: Future<Output = R<T>> + Send,
    {
        let budget = self.limits.query_budget;
        self.with(&self.listings, f).map_err(|e| match (e, budget) {
            (StoreError::Backend(m), Some(budget)) if m.contains("SQLSTATE 57014") => {
                StoreError::Budget { budget }
            }
            (e, _) => e,
        })
    }

    /// Runs `f` with a connection without a time limit, for a point read or a count.
    pub(crate) fn read<T, F, Fut>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(deadpool_postgres::Object) -> Fut + Send + 'static,
        Fut: Future<Output = R<T>> + Send,
    {
        self.with(&self.plain, f)
    }

    /// Runs `f` with a connection for writing.
    pub(crate) fn write<T, F, Fut>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(deadpool_postgres::Object) -> Fut + Send + 'static,
        Fut: Future<Output = R<T>> + Send,
    {
        self.with(&self.plain, f)
    }

    /// The limits this store applies.
    pub fn store_limits(&self) -> Limits {
        self.limits
    }

    /// Brings the derived indexes (correlations, references, full-text search) up to
    /// every version committed before the call, indexing what is pending on this call's
    /// connection (waiting first for another indexer at work). Cheap when nothing is
    /// pending. `list` with a text filter, `correlations` and `relationships` call it
    /// themselves.
    ///
    /// # Errors
    /// The database fails.
    pub fn catch_up(&self) -> Result<(), StoreError> {
        self.write(|mut c| async move { indexer::catch_up(&mut c).await })
    }

    /// Before a listing with a text filter (already checked against the limits): brings
    /// the indexes up to date.
    pub(crate) fn search_catch_up(&self, q: &ListQuery) -> Result<(), StoreError> {
        if q.text.as_deref().is_some_and(|t| !t.trim().is_empty()) {
            self.catch_up()?;
        }
        Ok(())
    }

    /// Where the indexer stands.
    ///
    /// # Errors
    /// The database fails.
    pub fn index_position(&self) -> Result<IndexPosition, StoreError> {
        self.read(|c| async move { indexer::position(&c).await })
    }

    /// Vacuums `versions` (see `indexer::vacuum`).
    fn vacuum_versions(&self) -> Result<(), StoreError> {
        self.write(|c| async move { indexer::vacuum(&c).await })
    }

    /// Indexes one chunk of the pending versions, if any; whether there was one.
    fn index_chunk(&self) -> Result<bool, StoreError> {
        self.write(|mut c| async move {
            Ok(indexer::index_chunk(&mut c, indexer::CHUNK)
                .await?
                .is_some())
        })
    }

    /// The background indexer: runs on the calling thread, indexing as `turn` says
    /// (asked before each step: `concord serve` answers whether it holds the `indexer`
    /// lease, and stops it when it restarts in place). While versions keep arriving (a new
    /// one seen within the last second) it leaves the backlog alone up to 1,000,000
    /// versions, so that a bulk import is not slowed by indexing beside it; once writes
    /// pause it indexes everything. Failures are logged and retried after a growing
    /// wait (0.5 s doubling up to 60 s).
    pub fn run_indexer(&self, turn: &mut dyn FnMut() -> concord_store::Turn) {
        indexer::run(self, turn);
    }
}

impl Store for PgStore {
    fn ingest(&self, objects: &[Object]) -> Result<Vec<Outcome>, StoreError> {
        if objects.is_empty() {
            return Ok(Vec::new());
        }
        let rows = ingest::rows(objects);
        self.write(move |mut c| async move {
            let tx = c.transaction().await?;
            let out = ingest::put_rows(&tx, &rows).await?;
            tx.commit().await?;
            Ok(out)
        })
    }

    fn get(&self, id: &str) -> Result<Option<StoredObject>, StoreError> {
        let id = id.to_owned();
        self.read(move |c| async move { query::get(&c, &id).await })
    }

    fn versions(&self, id: &str) -> Result<Vec<StoredObject>, StoreError> {
        let id = id.to_owned();
        self.read(move |c| async move { query::versions(&c, &id).await })
    }

    fn list(&self, q: &ListQuery) -> Result<Page, StoreError> {
        let sql = query::list_sql(query::COLUMNS, q, query::page_limit(q), &self.limits)?;
        self.search_catch_up(q)?;
        let limit = query::page_limit(q);
        self.listing(move |c| async move { query::list(&c, sql, limit).await })
    }

    fn list_borrowed(
        &self,
        q: &ListQuery,
        with_json: bool,
        each: &mut dyn FnMut(&ListedRow<'_>),
    ) -> Result<Listed, StoreError> {
        let page = query::page_limit(q);
        let sql = query::list_sql(query::KEY_COLUMNS, q, page + 1, &self.limits)?;
        self.search_catch_up(q)?;
        let (cache, order) = (self.cache.clone(), q.order);
        let rows =
            self.listing(move |c| async move { query::cached_rows(&c, sql, order, &cache).await })?;
        query::hand_over(&rows, page, with_json, q.within, each)
    }

    fn list_versions(&self, q: &ListQuery) -> Result<Page, StoreError> {
        let limit = query::page_limit(q);
        let sql = query::versions_sql(q, limit);
        self.listing(move |c| async move { query::list(&c, sql, limit).await })
    }

    fn correlations(&self, id: &str) -> Result<Vec<Correlation>, StoreError> {
        self.catch_up()?;
        let id = id.to_owned();
        self.listing(move |c| async move { query::correlations(&c, &id).await })
    }

    fn relationships(&self, id: &str) -> Result<Vec<Related>, StoreError> {
        self.catch_up()?;
        let id = id.to_owned();
        self.listing(move |c| async move { query::relationships(&c, &id).await })
    }

    fn for_each_current(
        &self,
        types: &[String],
        each: &mut dyn FnMut(StoredObject) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        let mut q = ListQuery {
            types: types.to_vec(),
            order: concord_store::Order::BySeq,
            limit: query::CHUNK,
            ..ListQuery::default()
        };
        loop {
            // No connection is held between chunks, so `each` may use the store.
            let page = self.list(&q)?;
            for o in page.objects {
                each(o)?;
            }
            match page.next {
                Some(next) => q.cursor = Some(next),
                None => return Ok(()),
            }
        }
    }

    fn create_token_with(&self, token: &NewToken<'_>) -> Result<TokenRecord, StoreError> {
        let token = tokens::Owned::from(token);
        self.write(move |c| async move { tokens::create(&c, &token).await })
    }

    fn touch_token(&self, id: i64, now: &str) -> Result<bool, StoreError> {
        let now = now.to_owned();
        self.write(move |c| async move { tokens::touch(&c, id, &now).await })
    }

    fn token_by_hash(&self, hash: &str) -> Result<Option<TokenRecord>, StoreError> {
        let hash = hash.to_owned();
        self.read(move |c| async move { tokens::by_hash(&c, &hash).await })
    }

    fn token_with_clearance(
        &self,
        hash: &str,
    ) -> Result<Option<(TokenRecord, concord_stix::Tlp)>, StoreError> {
        let hash = hash.to_owned();
        self.read(move |c| async move { tokens::with_clearance(&c, &hash).await })
    }

    fn tokens(&self) -> Result<Vec<TokenRecord>, StoreError> {
        self.read(|c| async move { tokens::all(&c).await })
    }

    fn revoke_token(&self, id: i64) -> Result<bool, StoreError> {
        self.write(move |c| async move { tokens::revoke(&c, id).await })
    }

    fn pools(&self) -> Vec<concord_store::PoolGauge> {
        [("listings", &self.listings), ("plain", &self.plain)]
            .into_iter()
            .map(|(name, pool)| {
                let s = pool.status();
                concord_store::PoolGauge {
                    name,
                    max: s.max_size,
                    open: s.size,
                    idle: s.available,
                    waiting: s.waiting,
                }
            })
            .collect()
    }

    fn work_state(&self, key: &str) -> Result<Option<String>, StoreError> {
        self.meta_value(&concord_store::work_state_key(key))
    }

    fn set_work_state(&self, key: &str, value: &str) -> Result<(), StoreError> {
        self.set_meta_value(&concord_store::work_state_key(key), value)
    }

    fn stats(&self) -> Result<Stats, StoreError> {
        self.read(|c| async move { query::stats(&c).await })
    }

    fn delete(&self, id: &str) -> Result<usize, StoreError> {
        let id = id.to_owned();
        self.write(move |mut c| async move {
            let tx = c.transaction().await?;
            let n = ingest::delete(&tx, &id).await?;
            tx.commit().await?;
            Ok(n)
        })
    }

    fn limits(&self) -> Limits {
        self.limits
    }
}
