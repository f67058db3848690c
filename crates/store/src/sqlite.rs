//! The SQLite backend (embedded default): WAL mode, one writer connection behind a mutex,
//! a small pool of reader connections so that reads never wait for a long import, and a
//! background indexer that builds the derived indexes behind the writes.
//!
//! Two files (the `schema` module has the DDL). The main database (`concord.db`) holds what
//! an `ingest` transaction writes:
//! - `versions`: one row per stored version, keyed by `seq` (`INTEGER PRIMARY KEY
//!   AUTOINCREMENT`, so it stays strictly increasing even if rows were ever deleted), with
//!   the extracted columns, the canonical JSON, an `is_current` flag and `replaces` (the
//!   `seq` of the version a new current version demoted). Exactly one version per id has
//!   `is_current = 1`: the one with the highest `version_ns` (on a tie the first stored
//!   keeps it). Versions are found through `id_key`, a 64-bit hash of the id (a small
//!   integer index instead of a unique text index on `(id, version)`); every look-up also
//!   compares the id, so a hash collision costs a row read, never a wrong answer.
//!   `(id, version)` uniqueness is kept by the writer, which holds the write lock while it
//!   checks the held versions. A partial index on `(type, seq) WHERE is_current = 1`
//!   serves typed listings.
//! - `markings`: `(seq, marking_ref)` for every version, for TLP filtering.
//! - `tokens`: API token hashes; `store_meta`: a random store id.
//! - `request_nonces`, `taxii_statuses`, `signin_attempts`: short-lived state, bounded
//!   and expiring ([`crate::ephemeral`]).
//!
//! The index database ([`index_path`]: `concord.db-index`) holds the derived indexes,
//! which can always be rebuilt from the main database:
//! - `observables`: the correlation index, one row per `(kind, value, id)` of current
//!   versions (never one row per pair of objects).
//! - `refs`: one row per `(source, path, target)` of current versions, indexed by target.
//! - `search`: an FTS5 table (`trigram` tokenizer with `remove_diacritics 1`, so Chinese
//!   is found and French accents are ignored) over `search_text()` of current versions;
//!   its rowid is the version's `seq`.
//! - `state`: the indexer's cursor (`indexed_seq`) and the store id it was built from.
//!
//! The indexer (see the `indexer` module) follows `seq` from its cursor in chunks of up to
//! 50,000 versions, each one transaction on the index database that also moves the
//! cursor, so two indexers (say `concord import` and `concord serve` on one file) never
//! apply a chunk twice. A store opened on a file runs it on a background thread (stopped
//! when the store is dropped), which waits while the database is being written (up to a
//! backlog of 1,000,000 versions) and indexes everything once writes pause. Reads that use
//! the derived indexes — `list` with a text filter, `correlations`, `relationships` —
//! first call [`SqliteStore::catch_up`], which indexes whatever is pending, so they see
//! every version committed before them: cheap when the backlog is small, but a search
//! issued during a bulk import waits until the import's backlog is indexed.
//! [`Stats::index_lag`](crate::Stats::index_lag) shows the backlog. An index file that
//! belongs to another database, or that is ahead of the main database (which lost
//! transactions to an OS crash), is emptied and rebuilt. Keeping the indexes in a second
//! file lets the indexer write without holding the main database's write lock.
//!
//! Because SQLite admits one writer at a time and `seq` is assigned inside the writing
//! transaction, versions become visible in `seq` order: a reader paging by `seq` never
//! misses a version that commits later with a lower `seq`.
//!
//! Full-text queries: the text is split on whitespace and every word must match (AND);
//! more distinct words than [`Limits::search_terms`] (16) are refused. Words of three
//! characters or more go to the FTS5 index, each quoted as an FTS string (so `"`, `*`,
//! `(`, `AND`, `:` in user input are plain text). Shorter words (e.g. a two-character
//! Chinese word such as 钓鱼) cannot use a trigram index: they are matched with `LIKE`
//! (ASCII case-insensitive, accents significant) on the rows the index found for the
//! longer words, or, in a search of short words only, by one scan of the indexed text
//! for all of them (refused when [`Limits::short_search_scan`] is off). Every listing
//! query runs within [`Limits::query_budget`] (2 s): SQLite's progress handler stops it
//! after that, with [`StoreError::Budget`].
//!
//! A full disk: SQLite's `SQLITE_FULL`, and its I/O errors while the file system has no
//! space left, come back as [`StoreError::DiskFull`]; the failed transaction keeps
//! nothing, and writes succeed again once space is freed. The background indexer backs
//! off after failures (0.5 s doubling up to 60 s, one log line per attempt).
//!
//! Durability: every `ingest` call is one `BEGIN IMMEDIATE` transaction on the main
//! database; WAL with `synchronous = NORMAL` keeps every committed transaction when the
//! process is killed (an OS crash may lose the last ones, never corrupt the file). The
//! index database is WAL + NORMAL too, and a killed indexer leaves its cursor at its last
//! commit. `busy_timeout` (10 s) lets a `concord import` and a `concord serve` process
//! share the files. The background thread checkpoints the main database's WAL (PASSIVE)
//! while writes go on, so the writing thread seldom copies pages itself.
//!
//! Ingest cost (see `bench/results/`): an `ingest` transaction appends to `versions` and
//! `markings` and inserts into two small integer-keyed indexes; the trigram FTS index,
//! which dominates the indexer's time, is filled in large chunks (an 8 MB FTS hash, so a
//! chunk becomes few segments).
//!
//! Pages and checkpoints: a new store's database has 32 KiB pages (a bulk import needs
//! about 15 % less CPU than with 4 KiB; an older store keeps its page size), and the writer
//! checkpoints at 64 MiB of WAL whatever the page size.
//!
//! Reads use a bounded pool of reader connections (2 per core, at least 4; a read waits for
//! one, and only after 2 s opens an extra one) that map the database files; the background
//! indexer's connection reads through its own cache instead, so that a bulk import's memory
//! stays bounded. Page sizes and other limits are written into the SQL, never bound (the
//! `query` module says why). `list_borrowed` hands rows to a callback without copying them
//! out, for answers written straight into a response (with the JSON, each row's seq and
//! JSON only: the page's first and last date added come back in `Listed`).

mod all_versions;
pub mod backup;
mod budget;
mod delete;
mod ephemeral;
mod federation;
mod governance;
mod graph;
mod indexer;
mod ingest;
mod query;
mod schema;
mod tokens;
mod users;

pub use schema::{PendingMigration, SCHEMA_VERSION, pending_migration};

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use concord_stix::Object;
use rusqlite::Connection;

use crate::{
    Correlation, Limits, ListQuery, NewToken, Outcome, Page, Related, Stats, Store, StoreError,
    StoredObject, TokenRecord,
};

/// How long a connection waits for another connection's write lock before failing.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// Reader connections open at most (per store), unless a reader waited longer than
/// [`READER_WAIT`]: more would only contend for the same cores, and each new connection
/// costs an open, an attach and its own statement cache.
fn max_readers() -> usize {
    std::thread::available_parallelism().map_or(4, |n| (2 * n.get()).max(4))
}

/// Bytes of the database file a reader connection maps (SQLite caps it at its compiled
/// maximum, 2 GiB in the bundled build).
const READER_MMAP: i64 = 1 << 40;

/// How long a read waits for a pooled connection before it opens an extra one (closed
/// after use), so that a burst can never deadlock the pool.
const READER_WAIT: Duration = Duration::from_secs(2);

/// A [`Store`] in a SQLite database file and its index file (or in memory, for tests).
pub struct SqliteStore {
    writer: Mutex<Connection>,
    /// `None` for an in-memory store: reads then use the writer connection.
    readers: Option<ReaderPool>,
    /// `None` for an in-memory store: its indexes are brought up to date by the reads
    /// that need them, on the writer connection.
    indexer: Option<indexer::Background>,
    /// Bounds on one caller's work ([`SqliteStore::with_limits`]).
    limits: Limits,
}

struct ReaderPool {
    path: PathBuf,
    index: PathBuf,
    max: usize,
    state: Mutex<PoolState>,
    returned: std::sync::Condvar,
}

#[derive(Default)]
struct PoolState {
    idle: Vec<Connection>,
    /// Connections of the pool in existence (idle or in use).
    open: usize,
    /// Reads waiting for a connection to come back: a returned connection wakes one only
    /// if there is one (a condition variable's notify is a system call even when no
    /// thread waits, and every read returns a connection).
    waiting: usize,
}

impl ReaderPool {
    fn connect(&self) -> Result<Connection, StoreError> {
        let c = Connection::open(&self.path)?;
        c.busy_timeout(BUSY_TIMEOUT)?;
        attach(&c, &self.index)?;
        configure(&c, false)?;
        c.pragma_update(Some("idx"), "mmap_size", READER_MMAP)?;
        Ok(c)
    }

    /// A connection of the pool (`true`), or an extra one (`false`) after a long wait.
    fn take(&self) -> Result<(Connection, bool), StoreError> {
        let mut st = lock(&self.state);
        let deadline = std::time::Instant::now() + READER_WAIT;
        loop {
            if let Some(c) = st.idle.pop() {
                return Ok((c, true));
            }
            if st.open < self.max {
                st.open += 1;
                drop(st);
                return match self.connect() {
                    Ok(c) => Ok((c, true)),
                    Err(e) => {
                        let mut st = lock(&self.state);
                        st.open -= 1;
                        if st.waiting > 0 {
                            self.returned.notify_one();
                        }
                        Err(e)
                    }
                };
            }
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            if left.is_zero() {
                drop(st);
                tracing::warn!(
                    max = self.max,
                    "All reader connections busy; opening an extra one."
                );
                return Ok((self.connect()?, false));
            }
            st.waiting += 1;
            st = self
                .returned
                .wait_timeout(st, left)
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .0;
            st.waiting -= 1;
        }
    }
}

/// A connection taken from the pool; dropping it gives it back (or, after a panic while
/// it was in use, closes it and frees its place).
struct Lease<'a> {
    pool: &'a ReaderPool,
    conn: Option<Connection>,
    pooled: bool,
}

impl Drop for Lease<'_> {
    fn drop(&mut self) {
        let Some(c) = self.conn.take() else { return };
        if !self.pooled {
            return;
        }
        let mut st = lock(&self.pool.state);
        let wake = st.waiting > 0;
        if std::thread::panicking() {
            st.open -= 1;
            drop(st);
            drop(c);
        } else {
            st.idle.push(c);
        }
        if wake {
            self.pool.returned.notify_one();
        }
    }
}

/// The index database of the main database at `path`: the same name with `-index`
/// appended (`concord.db` -> `concord.db-index`, with its own `-wal` and `-shm`).
pub fn index_path(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push("-index");
    PathBuf::from(name)
}

/// Whether the file system holding `path` has no space left for an unprivileged writer.
fn no_space_left(path: &Path) -> bool {
    #[cfg(target_os = "linux")]
    {
        let dir = path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        rustix::fs::statvfs(dir).is_ok_and(|s| s.f_bavail == 0)
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = path;
        false
    }
}

/// Attaches the index database at `index` as `idx`.
fn attach(conn: &Connection, index: &Path) -> Result<(), StoreError> {
    let index = index.to_str().ok_or_else(|| StoreError::Open {
        path: index.display().to_string(),
        source: std::io::Error::new(std::io::ErrorKind::InvalidInput, "path is not UTF-8"),
    })?;
    conn.execute("ATTACH DATABASE ?1 AS idx", [index])?;
    Ok(())
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let path = self.readers.as_ref().map(|r| r.path.display().to_string());
        f.debug_struct("SqliteStore")
            .field("path", &path)
            .finish_non_exhaustive()
    }
}

/// Locks a mutex, recovering the guard if a thread panicked while holding it: a
/// connection stays usable (an open transaction is rolled back when it is dropped).
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The page size of a new store's database. Objects are stored whole, as canonical JSON
/// of about a kilobyte each: with 32 KiB pages a bulk import spends about 15 % less CPU
/// than with SQLite's default of 4 KiB (fewer B-tree splits and WAL frames per object;
/// bench/results/2026-11-22-formats.txt), and objects of up to ~32 KiB need no overflow
/// pages. A store created with another page size keeps it (changing it needs a VACUUM).
const PAGE_SIZE: i64 = 32_768;

/// The WAL size at which the writer checkpoints, and to which the WAL file is truncated.
const WAL_CHECKPOINT_BYTES: i64 = 64 * 1024 * 1024;

/// The smallest WAL checkpoint size on a nearly full file system.
const WAL_CHECKPOINT_MIN: i64 = 1024 * 1024;

/// The WAL size at which the writer checkpoints: [`WAL_CHECKPOINT_BYTES`], or an eighth
/// of the space left on the file system holding the database when the store is opened if
/// that is less (at least [`WAL_CHECKPOINT_MIN`]), so that on a small volume the WAL
/// cannot fill it alone.
fn wal_checkpoint_bytes(conn: &Connection) -> i64 {
    let free = conn
        .path()
        .filter(|p| !p.is_empty())
        .and_then(|p| free_bytes(Path::new(p)));
    match free {
        Some(f) => (f / 8).clamp(WAL_CHECKPOINT_MIN, WAL_CHECKPOINT_BYTES),
        None => WAL_CHECKPOINT_BYTES,
    }
}

/// Bytes an unprivileged writer may still use on the file system holding `path`.
fn free_bytes(path: &Path) -> Option<i64> {
    #[cfg(target_os = "linux")]
    {
        let dir = path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let s = rustix::fs::statvfs(dir).ok()?;
        i64::try_from(s.f_bavail.saturating_mul(s.f_frsize)).ok()
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = path;
        None
    }
}

/// [`wal_checkpoint_bytes`] in pages of the connection's main database (SQLite counts the
/// autocheckpoint threshold in pages, whatever their size).
fn wal_checkpoint_pages(conn: &Connection) -> Result<i64, StoreError> {
    let page: i64 = conn.pragma_query_value(None, "page_size", |r| r.get(0))?;
    Ok(wal_checkpoint_bytes(conn) / page.max(512))
}

fn configure(conn: &Connection, writer: bool) -> Result<(), StoreError> {
    conn.busy_timeout(BUSY_TIMEOUT)?;
    conn.set_prepared_statement_cache_capacity(64);
    conn.pragma_update(None, "foreign_keys", false)?;
    conn.pragma_update(None, "temp_store", "memory")?;
    if writer {
        // WAL + NORMAL: a committed transaction survives a killed process; only an OS
        // crash or power loss may lose the last transactions (never corrupts).
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.pragma_update(None, "cache_size", -131_072)?;
        // The background thread of a file store checkpoints the WAL (PASSIVE) twice a
        // second while writes go on, so that the copying is done off the writing thread;
        // the writer's own checkpoint at 64 MB of WAL then has little left to copy, and
        // completes it so that the next transaction can start the WAL file again (a
        // passive checkpoint racing the writes never completes). 128 MB page cache.
        conn.pragma_update(None, "wal_autocheckpoint", wal_checkpoint_pages(conn)?)?;
        conn.pragma_update(None, "journal_size_limit", wal_checkpoint_bytes(conn))?;
    } else {
        // Reads may ask for the derived indexes: reader connections see them as `idx`.
        conn.pragma_update(None, "cache_size", -16_384)?;
        conn.pragma_update(None, "query_only", true)?;
        // Readers map the database files (up to SQLite's compiled limit) instead of
        // copying each page they touch out of the OS cache with pread into their own
        // cache: random pages of a large store cost a memory access, not a system call.
        conn.pragma_update(None, "mmap_size", READER_MMAP)?;
    }
    Ok(())
}

impl SqliteStore {
    /// Opens (creating it and its parent directories if missing) the database at `path`,
    /// switches it to WAL mode and creates or migrates the schema.
    pub fn open(path: &Path) -> Result<SqliteStore, StoreError> {
        let open_err = |source: std::io::Error| {
            if source.kind() == std::io::ErrorKind::StorageFull {
                return StoreError::DiskFull(format!("cannot create {}: {source}", path.display()));
            }
            StoreError::Open {
                path: path.display().to_string(),
                source,
            }
        };
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(open_err)?;
        }
        let conn = Connection::open(path)?;
        conn.busy_timeout(BUSY_TIMEOUT)?;
        // Takes effect only on a database that is still empty; before WAL mode, which
        // fixes the page size of the file it starts.
        conn.pragma_update(None, "page_size", PAGE_SIZE)?;
        let mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
        if !mode.eq_ignore_ascii_case("wal") {
            tracing::warn!(path = %path.display(), mode = %mode, "Database is not in WAL mode.");
        }
        configure(&conn, true)?;
        schema::migrate(&conn)?;

        // The index database: WAL too, its schema created on a connection of its own.
        let index = index_path(path);
        {
            let ic = Connection::open(&index)?;
            ic.busy_timeout(BUSY_TIMEOUT)?;
            let _: String = ic.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
            schema::migrate_index(&ic, "")?;
        }
        let ic = Connection::open(path)?;
        ic.busy_timeout(BUSY_TIMEOUT)?;
        attach(&ic, &index)?;
        configure(&ic, false)?;
        ic.pragma_update(None, "query_only", false)?;
        // The indexer reads the store's new versions in order, once: through its own small
        // cache, not a map of the file, whose touched pages would count in the process's
        // memory for the rest of a bulk import (a 2M-object import's peak RSS grew by
        // the 200 MB the indexer had read by then).
        ic.pragma_update(None, "mmap_size", 0)?;
        ic.pragma_update(Some("idx"), "synchronous", "NORMAL")?;
        ic.pragma_update(Some("idx"), "cache_size", -131_072)?;
        ic.pragma_update(Some("idx"), "journal_size_limit", wal_checkpoint_bytes(&ic))?;
        // Counted in pages of the store's database and applied to both files: the index
        // file keeps SQLite's 4 KiB pages, so its WAL is checkpointed at 8 MiB when the
        // store has 32 KiB pages (measured at 1M objects: the import no slower).
        ic.pragma_update(None, "wal_autocheckpoint", wal_checkpoint_pages(&ic)?)?;
        let indexer = indexer::Background::start(ic)?;
        indexer.notify();
        tracing::debug!(path = %path.display(), "Opened SQLite store.");
        Ok(SqliteStore {
            writer: Mutex::new(conn),
            readers: Some(ReaderPool {
                path: path.to_owned(),
                index,
                max: max_readers(),
                state: Mutex::new(PoolState::default()),
                returned: std::sync::Condvar::new(),
            }),
            indexer: Some(indexer),
            limits: Limits::default(),
        })
    }

    /// A private in-memory store (one connection, used for writes and reads).
    pub fn open_in_memory() -> Result<SqliteStore, StoreError> {
        let conn = Connection::open_in_memory()?;
        configure(&conn, true)?;
        schema::migrate(&conn)?;
        conn.execute_batch("ATTACH DATABASE ':memory:' AS idx")?;
        schema::migrate_index(&conn, "idx.")?;
        Ok(SqliteStore {
            writer: Mutex::new(conn),
            readers: None,
            indexer: None,
            limits: Limits::default(),
        })
    }

    /// The store with these limits on one caller's work instead of the defaults (search
    /// words, query time budget, pattern size at import).
    #[must_use]
    pub fn with_limits(mut self, limits: Limits) -> SqliteStore {
        self.limits = limits;
        self
    }

    /// Brings the derived indexes (correlations, references, full-text search) up to
    /// every version committed before the call, indexing what is pending in this thread
    /// (waiting first if another indexer is at work). Cheap when nothing is pending.
    /// `list` with a text filter, `correlations` and `relationships` call it themselves.
    pub fn catch_up(&self) -> Result<(), StoreError> {
        let done = match &self.indexer {
            Some(bg) => indexer::catch_up(&lock(&bg.shared.conn)),
            None => indexer::catch_up(&lock(&self.writer)),
        };
        done.map(drop).map_err(|e| self.disk_full_or(e))
    }

    /// Runs `f` with a reader connection (the writer's, for an in-memory store).
    fn read<T>(
        &self,
        f: impl FnOnce(&Connection) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        self.read_mut(|c| f(c))
    }

    /// [`Self::read`] within the query time budget ([`Limits::query_budget`]): for
    /// the queries that answer a caller's page or search.
    fn read_within<T>(
        &self,
        f: impl FnOnce(&Connection) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let budget = self.limits.query_budget;
        self.read_mut(|c| budget::within(c, budget, f))
    }

    fn read_mut<T>(
        &self,
        f: impl FnOnce(&mut Connection) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let Some(pool) = &self.readers else {
            return f(&mut lock(&self.writer));
        };
        let (conn, pooled) = pool.take()?;
        let mut lease = Lease {
            pool,
            conn: Some(conn),
            pooled,
        };
        f(lease.conn.as_mut().expect("a leased connection"))
    }

    /// Before a listing with a text filter: refuses a search the limits do not allow
    /// (before any indexing work is done for it), then brings the indexes up to date.
    fn search_catch_up(&self, q: &ListQuery) -> Result<(), StoreError> {
        if let Some(text) = q.text.as_deref().filter(|t| !t.trim().is_empty()) {
            query::text_filter(text, &self.limits)?;
            self.catch_up()?;
        }
        Ok(())
    }

    /// Runs `f` with the writer connection.
    fn write<T>(
        &self,
        f: impl FnOnce(&mut Connection) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        f(&mut lock(&self.writer)).map_err(|e| self.disk_full_or(e))
    }

    /// `e`, or [`StoreError::DiskFull`] when it is an I/O error of SQLite while the file
    /// system of the database has no space left (SQLite reports `SQLITE_FULL` for a
    /// write that found no space, but a plain I/O error when growing the WAL or its
    /// index found none).
    fn disk_full_or(&self, e: StoreError) -> StoreError {
        let StoreError::Database(db) = &e else {
            return e;
        };
        if db.sqlite_error_code() != Some(rusqlite::ErrorCode::SystemIoFailure) {
            return e;
        }
        match self.readers.as_ref().map(|r| r.path.as_path()) {
            Some(path) if no_space_left(path) => {
                StoreError::DiskFull(format!("no space left for {}: {db}", path.display()))
            }
            _ => e,
        }
    }

    /// Runs `PRAGMA integrity_check` and returns its messages (`["ok"]` when sound).
    pub fn integrity_check(&self) -> Result<Vec<String>, StoreError> {
        self.read(|c| {
            let mut st = c.prepare("PRAGMA integrity_check")?;
            let rows = st.query_map([], |r| r.get::<_, String>(0))?;
            Ok(rows.collect::<Result<_, _>>()?)
        })
    }
}

/// A write session for bulk imports (`concord import` of a large file): several batches
/// of objects written in one transaction, committed when the caller says so. Each
/// commit of a transaction writes every B-tree page it changed to the WAL, and the
/// `versions_id_key` index takes ids at random positions, so a transaction of 5,000
/// new ids rewrites nearly the whole index once it has fewer than about 5,000 pages:
/// the cost per object of small transactions grows with the database. Batches written
/// here commit together (all of them or none), and hold the writer connection (other
/// writers of this store, and of other processes, wait) until the session ends.
/// Objects written and not committed are rolled back when the session is dropped.
/// While a session is open the background indexer counts the database as being written
/// (it waits, as during any import, until the backlog reaches its bound).
pub struct BulkWriter<'s> {
    store: &'s SqliteStore,
    conn: MutexGuard<'s, Connection>,
    /// A transaction is open.
    open: bool,
}

impl SqliteStore {
    /// Whether the store is in memory (reads then go through the writer connection).
    pub(crate) fn in_memory(&self) -> bool {
        self.readers.is_none()
    }

    /// Starts a bulk write session (see [`BulkWriter`]); it holds the writer connection
    /// until dropped.
    pub fn bulk_writer(&self) -> BulkWriter<'_> {
        let conn = lock(&self.writer);
        if let Some(bg) = &self.indexer {
            bg.bulk(true);
        }
        BulkWriter {
            store: self,
            conn,
            open: false,
        }
    }
}

impl BulkWriter<'_> {
    /// Writes a batch in the session's transaction (beginning one if none is open);
    /// outcomes as [`Store::ingest`] gives them, counting what this transaction wrote
    /// before as held. On an error the whole open transaction is rolled back.
    pub fn ingest(&mut self, objects: &[Object]) -> Result<Vec<Outcome>, StoreError> {
        if objects.is_empty() {
            return Ok(Vec::new());
        }
        let rows: Vec<ingest::Row<'_>> = objects.iter().map(ingest::Row::new).collect();
        if !self.open {
            self.conn.execute_batch("BEGIN IMMEDIATE")?;
            self.open = true;
        }
        let written = ingest::put_rows(&self.conn, &rows);
        if written.is_err() {
            self.rollback();
        }
        written.map_err(|e| self.store.disk_full_or(e))
    }

    /// Commits what the session wrote since the last commit (nothing to do if nothing).
    /// On an error nothing of it is kept.
    pub fn commit(&mut self) -> Result<(), StoreError> {
        if !self.open {
            return Ok(());
        }
        if let Err(e) = self.conn.execute_batch("COMMIT") {
            self.rollback();
            return Err(self.store.disk_full_or(e.into()));
        }
        self.open = false;
        if let Some(bg) = &self.store.indexer {
            bg.notify();
        }
        Ok(())
    }

    fn rollback(&mut self) {
        self.open = false;
        if !self.conn.is_autocommit()
            && let Err(e) = self.conn.execute_batch("ROLLBACK")
        {
            tracing::warn!(error = %e, "Rolling back a bulk write failed.");
        }
    }
}

impl Drop for BulkWriter<'_> {
    fn drop(&mut self) {
        if self.open {
            self.rollback();
        }
        if let Some(bg) = &self.store.indexer {
            bg.bulk(false);
        }
    }
}

impl Store for SqliteStore {
    fn delete(&self, id: &str) -> Result<usize, StoreError> {
        // The indexer's connection sees the main and the index database; holding it keeps
        // the background indexer out while the object's rows go.
        match &self.indexer {
            Some(bg) => delete::delete(&mut lock(&bg.shared.conn), id),
            None => delete::delete(&mut lock(&self.writer), id),
        }
        .map_err(|e| self.disk_full_or(e))
    }

    fn ingest(&self, objects: &[Object]) -> Result<Vec<Outcome>, StoreError> {
        if objects.is_empty() {
            return Ok(Vec::new());
        }
        // Canonical JSON and extracted values are computed before taking the lock.
        let rows: Vec<ingest::Row<'_>> = objects.iter().map(ingest::Row::new).collect();
        let outcomes = self.write(|c| ingest::ingest(c, &rows))?;
        if let Some(bg) = &self.indexer {
            bg.notify();
        }
        Ok(outcomes)
    }

    fn get(&self, id: &str) -> Result<Option<StoredObject>, StoreError> {
        self.read(|c| query::get(c, id))
    }

    fn versions(&self, id: &str) -> Result<Vec<StoredObject>, StoreError> {
        self.read(|c| query::versions(c, id))
    }

    fn list(&self, q: &ListQuery) -> Result<Page, StoreError> {
        self.search_catch_up(q)?;
        self.read_within(|c| query::list(c, q, &self.limits))
    }

    fn list_borrowed(
        &self,
        q: &ListQuery,
        with_json: bool,
        each: &mut dyn FnMut(&crate::ListedRow<'_>),
    ) -> Result<crate::Listed, StoreError> {
        self.search_catch_up(q)?;
        self.read_within(|c| query::list_borrowed(c, q, &self.limits, with_json, each))
    }

    fn list_versions(&self, q: &ListQuery) -> Result<Page, StoreError> {
        self.read_within(|c| all_versions::list_versions(c, q))
    }

    fn correlations(&self, id: &str) -> Result<Vec<Correlation>, StoreError> {
        self.catch_up()?;
        self.read_within(|c| graph::correlations(c, id))
    }

    fn relationships(&self, id: &str) -> Result<Vec<Related>, StoreError> {
        self.catch_up()?;
        self.read_within(|c| graph::relationships(c, id))
    }

    fn limits(&self) -> Limits {
        self.limits
    }

    fn for_each_current(
        &self,
        types: &[String],
        each: &mut dyn FnMut(StoredObject) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        let mut q = ListQuery {
            types: types.to_vec(),
            order: crate::Order::BySeq,
            limit: query::CHUNK,
            ..ListQuery::default()
        };
        loop {
            // The connection is released between chunks, so `each` may use the store.
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
        self.write(|c| tokens::create(c, token))
    }

    fn touch_token(&self, id: i64, now: &str) -> Result<bool, StoreError> {
        self.write(|c| tokens::touch(c, id, now))
    }

    fn token_by_hash(&self, hash: &str) -> Result<Option<TokenRecord>, StoreError> {
        self.read(|c| tokens::by_hash(c, hash))
    }

    fn tokens(&self) -> Result<Vec<TokenRecord>, StoreError> {
        self.read(tokens::all)
    }

    fn revoke_token(&self, id: i64) -> Result<bool, StoreError> {
        self.write(|c| tokens::revoke(c, id))
    }

    fn stats(&self) -> Result<Stats, StoreError> {
        self.read(query::stats)
    }

    fn work_state(&self, key: &str) -> Result<Option<String>, StoreError> {
        let key = crate::work_state_key(key);
        self.read(|c| {
            use rusqlite::OptionalExtension;
            Ok(
                c.prepare_cached("SELECT value FROM main.store_meta WHERE key = ?1")?
                    .query_row([&key], |r| r.get(0))
                    .optional()?,
            )
        })
    }

    fn set_work_state(&self, key: &str, value: &str) -> Result<(), StoreError> {
        let key = crate::work_state_key(key);
        self.write(|c| {
            c.prepare_cached(
                "INSERT INTO store_meta (key, value) VALUES (?1, ?2) \
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            )?
            .execute([&key, value])?;
            Ok(())
        })
    }

    fn release_memory(&self) -> bool {
        let mut all = true;
        let shrink = |c: &Connection| {
            if let Err(e) = c.execute_batch("PRAGMA shrink_memory") {
                tracing::debug!(error = %e, "Could not shrink a connection's caches.");
            }
        };
        // Idle reader connections are closed (each holds its page cache and its own
        // statement cache); the pool opens connections again as reads need them.
        if let Some(pool) = &self.readers {
            let idle = {
                let mut st = lock(&pool.state);
                let idle = std::mem::take(&mut st.idle);
                st.open -= idle.len();
                idle
            };
            drop(idle);
        }
        match self.writer.try_lock() {
            Ok(w) => shrink(&w),
            Err(_) => all = false,
        }
        if let Some(ix) = &self.indexer {
            match ix.shared.conn.try_lock() {
                Ok(c) => shrink(&c),
                Err(_) => all = false,
            }
        }
        tracing::debug!(all, "Released the database engine's caches.");
        all
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn indicators(from: usize, n: usize) -> Vec<Object> {
        (from..from + n)
            .map(|i| {
                Object::from_json(&format!(
                    r#"{{"type": "indicator", "spec_version": "2.1",
                    "id": "indicator--{i:08x}-4444-4444-8444-{i:012x}",
                    "created": "2026-01-01T00:00:00.000Z", "modified": "2026-01-01T00:00:00.000Z",
                    "description": "{}",
                    "pattern": "[file:name = 'f{i}']", "pattern_type": "stix",
                    "valid_from": "2026-01-01T00:00:00Z"}}"#,
                    "x".repeat(500)
                ))
                .unwrap()
            })
            .collect()
    }

    fn max_pages(store: &SqliteStore, pages: i64) -> i64 {
        lock(&store.writer)
            .query_row(&format!("PRAGMA max_page_count = {pages}"), [], |r| {
                r.get(0)
            })
            .unwrap()
    }

    /// Issue 22, item 5: a write that finds no room is `DiskFull` ("disk full: ..."),
    /// keeps nothing of itself, and the same write succeeds once there is room again
    /// (SQLite's page limit stands in for the file system).
    #[test]
    fn a_full_database_is_disk_full_and_writes_work_again_once_there_is_room() {
        let store = SqliteStore::open_in_memory().unwrap();
        let pages: i64 = lock(&store.writer)
            .query_row("PRAGMA page_count", [], |r| r.get(0))
            .unwrap();
        max_pages(&store, pages + 20);
        let mut from = 0;
        let (failed, held) = loop {
            let batch = indicators(from, 50);
            let held = store.stats().unwrap().versions;
            match store.ingest(&batch) {
                Ok(_) => from += 50,
                Err(e) => break (e, held),
            }
            assert!(from < 100_000, "the page limit never stopped the writes");
        };
        assert!(failed.is_disk_full(), "{failed:?}");
        assert!(failed.to_string().starts_with("disk full: "), "{failed}");
        assert_eq!(store.stats().unwrap().versions, held, "nothing of it kept");
        max_pages(&store, 1 << 30);
        let batch = indicators(from, 50);
        assert_eq!(store.ingest(&batch).unwrap(), vec![Outcome::New; 50]);
        // Each version its own date, later than every one before.
        let all = store
            .list(&ListQuery {
                order: crate::Order::BySeq,
                limit: 10_000,
                ..ListQuery::default()
            })
            .unwrap();
        for pair in all.objects.windows(2) {
            assert!(crate::date_added::is_after(
                &pair[1].date_added,
                &pair[0].date_added
            ));
        }
    }

    /// A read waiting for the only connection gets it when it comes back, not when its
    /// wait for an extra one runs out (2 s): the return wakes the waiting read.
    #[test]
    fn a_returned_connection_wakes_the_read_waiting_for_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("concord.db");
        drop(SqliteStore::open(&path).unwrap());
        let pool = ReaderPool {
            index: index_path(&path),
            path,
            max: 1,
            state: Mutex::new(PoolState::default()),
            returned: std::sync::Condvar::new(),
        };
        let (conn, pooled) = pool.take().unwrap();
        assert!(pooled);
        let held = Lease {
            pool: &pool,
            conn: Some(conn),
            pooled,
        };
        std::thread::scope(|s| {
            let waiter = s.spawn(|| {
                let start = std::time::Instant::now();
                let (_, pooled) = pool.take().unwrap();
                (start.elapsed(), pooled)
            });
            while lock(&pool.state).waiting == 0 {
                std::thread::yield_now();
            }
            drop(held);
            let (waited, pooled) = waiter.join().unwrap();
            assert!(pooled, "the pool's own connection, not an extra one");
            assert!(waited < READER_WAIT / 2, "woken after {waited:?}");
        });
        assert_eq!(lock(&pool.state).waiting, 0);
    }
}
