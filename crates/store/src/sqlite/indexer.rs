//! The indexer: keeps the derived indexes (observables, refs, search) of the index
//! database in step with the versions of the main database, behind the writes.
//!
//! It follows `seq` with a cursor (`idx.state.indexed_seq`) and handles large chunks of
//! versions at a time. Each chunk is one transaction that first takes the index
//! database's write lock, then reads the cursor, reads the versions after it (a read
//! snapshot of the main database), removes the rows of versions that new versions
//! replaced (`versions.replaces`), inserts the rows of the versions that are current,
//! sorted by key (a sorted insert touches each B-tree page once), and moves the cursor —
//! so two indexers, in one process or two, never apply a chunk twice, and a killed
//! indexer leaves the cursor where its last commit put it.
//!
//! A version that is not current in the snapshot gets no rows: whichever version
//! replaced it has a higher `seq`, and the chunk that reaches that version removes the
//! rows of the one it replaced. A version never becomes current again once demoted.

use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use concord_stix::Object;
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

use super::lock;
use crate::StoreError;

/// Versions handled per indexing transaction.
pub(super) const CHUNK: i64 = 50_000;
/// While the database is being written, the background indexer leaves the derived
/// indexes alone unless this many versions are pending: on a 2-core machine, indexing
/// beside a bulk import slows the import down by more than it gains (1M objects, loaded
/// machine: import 23k/s and 9.7k/s end to end with a bound of 250,000; import 32k/s
/// and 9.0k/s end to end when indexing waits for the import to end). The
/// bound keeps an endless stream of writes from starving the indexes; the price is that
/// a read that needs them (text search, correlations, relationships) issued during a
/// bulk import first indexes the backlog. Once writes pause, everything is indexed.
const MAX_LAG_WHILE_WRITING: i64 = 1_000_000;
/// Writes count as paused when no new version (from any process) appeared for this
/// long; the background indexer then indexes whatever is pending. It looks twice per
/// interval, and at once when its own store commits.
const QUIET: Duration = Duration::from_millis(1_000);
/// How often the background thread checkpoints the main database while it is written
/// (PASSIVE: it never blocks writers or readers).
const CHECKPOINT_EVERY: Duration = Duration::from_millis(500);
use crate::backoff::Backoff;

/// Where the indexer stands.
#[derive(Debug, Clone, Copy)]
pub(super) struct Position {
    /// Every version up to this `seq` is reflected in the derived indexes.
    pub indexed: i64,
    /// The highest `seq` of the main database.
    pub last: i64,
}

impl Position {
    /// Versions not yet indexed.
    pub fn lag(self) -> i64 {
        (self.last - self.indexed).max(0)
    }
}

fn last_seq(c: &Connection) -> rusqlite::Result<i64> {
    Ok(c.query_row(
        "SELECT seq FROM main.sqlite_sequence WHERE name = 'versions'",
        [],
        |r| r.get(0),
    )
    .optional()?
    .unwrap_or(0))
}

/// The indexer's position, read on a connection with the index database attached as
/// `idx`. An index built from another database counts as empty.
pub(super) fn position(c: &Connection) -> Result<Position, StoreError> {
    let (indexed, same): (i64, bool) = c.query_row(
        "SELECT indexed_seq, store_id = (SELECT value FROM main.store_meta WHERE key = 'store_id') \
         FROM idx.state",
        [],
        |r| Ok((r.get(0)?, r.get::<_, Option<bool>>(1)?.unwrap_or(false))),
    )?;
    let last = last_seq(c)?;
    Ok(Position {
        indexed: if same && indexed <= last { indexed } else { 0 },
        last,
    })
}

/// The derived rows of one chunk, collected before any is written.
#[derive(Default)]
struct Changes {
    obs_del: Vec<(String, String, String)>,
    refs_del: Vec<String>,
    search_del: Vec<i64>,
    obs_add: Vec<(String, String, String)>,
    refs_add: Vec<(String, String, String)>,
    search_add: Vec<(i64, String)>,
}

fn parse(id: &str, json: &str) -> Result<serde_json::Map<String, serde_json::Value>, StoreError> {
    serde_json::from_str(json).map_err(|e| StoreError::Corrupt {
        id: id.to_owned(),
        reason: e.to_string(),
    })
}

/// Indexes up to `max` versions after the cursor in one transaction; returns the new
/// position.
pub(super) fn index_chunk(c: &Connection, max: i64) -> Result<Position, StoreError> {
    let tx = rusqlite::Transaction::new_unchecked(c, TransactionBehavior::Deferred)?;
    // The first statement writes to the index database only: it takes that database's
    // write lock (waiting for another indexer) before the cursor is read.
    tx.execute("UPDATE idx.state SET indexed_seq = indexed_seq", [])?;
    let (store_id, mut cursor): (String, i64) =
        tx.query_row("SELECT store_id, indexed_seq FROM idx.state", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })?;
    let main_id: String = tx.query_row(
        "SELECT value FROM main.store_meta WHERE key = 'store_id'",
        [],
        |r| r.get(0),
    )?;
    let last = last_seq(&tx)?;
    if store_id != main_id || cursor > last {
        // A new index, another database's index, or the main database lost transactions
        // (an OS crash after the index committed): start again from nothing.
        if !store_id.is_empty() {
            tracing::info!(
                indexed = cursor,
                last,
                "Rebuilding the derived indexes from the start."
            );
        }
        tx.execute_batch(
            "DELETE FROM idx.observables; DELETE FROM idx.refs; DELETE FROM idx.search;",
        )?;
        tx.execute(
            "UPDATE idx.state SET store_id = ?1, indexed_seq = 0",
            [&main_id],
        )?;
        cursor = 0;
    }
    if cursor >= last {
        tx.commit()?;
        return Ok(Position {
            indexed: cursor,
            last,
        });
    }

    let mut ch = Changes::default();
    let mut upto = cursor;
    {
        // The batch size is part of the SQL, not a parameter (see `query::list_sql`).
        let mut rows = tx.prepare_cached(&format!(
            "SELECT seq, id, is_current, replaces, json FROM main.versions \
             WHERE seq > ?1 ORDER BY seq LIMIT {max}"
        ))?;
        let mut old = tx.prepare_cached("SELECT type, json FROM main.versions WHERE seq = ?1")?;
        let mut q = rows.query(params![cursor])?;
        while let Some(r) = q.next()? {
            let seq: i64 = r.get(0)?;
            let id: String = r.get(1)?;
            let current: bool = r.get(2)?;
            let replaces: Option<i64> = r.get(3)?;
            upto = seq;
            if let Some(old_seq) = replaces {
                let prev: Option<(String, String)> = old
                    .query_row([old_seq], |r| Ok((r.get(0)?, r.get(1)?)))
                    .optional()?;
                if let Some((ty, json)) = prev {
                    for o in crate::observables::of(&ty, &parse(&id, &json)?) {
                        ch.obs_del.push((o.kind, o.value, id.clone()));
                    }
                }
                ch.refs_del.push(id.clone());
                ch.search_del.push(old_seq);
            }
            if !current {
                continue;
            }
            let json: String = r.get(4)?;
            match Object::from_json(&json) {
                Ok(obj) => {
                    for o in crate::observables::of(obj.type_name(), obj.as_map()) {
                        ch.obs_add.push((o.kind, o.value, id.clone()));
                    }
                    for reference in obj.references() {
                        ch.refs_add
                            .push((id.clone(), reference.path, reference.target));
                    }
                    let text = obj.search_text();
                    if !text.is_empty() {
                        ch.search_add.push((seq, text));
                    }
                }
                Err(e) => {
                    tracing::warn!(id = %id, seq, error = ?e, "Stored version no longer validates; not indexed.");
                }
            }
        }
    }
    if upto == cursor {
        // No version after the cursor (sqlite_sequence ran ahead): nothing to index.
        upto = last;
    }
    write(&tx, ch)?;
    tx.execute("UPDATE idx.state SET indexed_seq = ?1", [upto])?;
    tx.commit()?;
    Ok(Position {
        indexed: upto,
        last,
    })
}

/// Applies a chunk's changes: removals first, then insertions, each sorted by key.
fn write(tx: &Connection, mut ch: Changes) -> Result<(), StoreError> {
    ch.obs_del.sort_unstable();
    ch.obs_del.dedup();
    ch.refs_del.sort_unstable();
    ch.refs_del.dedup();
    ch.search_del.sort_unstable();
    ch.search_del.dedup();
    ch.obs_add.sort_unstable();
    ch.obs_add.dedup();
    ch.refs_add.sort_unstable();
    // One row per (source, path): the last one wins, as with INSERT OR REPLACE.
    ch.refs_add
        .dedup_by(|later, earlier| later.0 == earlier.0 && later.1 == earlier.1);
    {
        let mut st = tx.prepare_cached(
            "DELETE FROM idx.observables WHERE kind = ?1 AND value = ?2 AND id = ?3",
        )?;
        for (k, v, id) in &ch.obs_del {
            st.execute(params![k, v, id])?;
        }
        let mut st = tx.prepare_cached("DELETE FROM idx.refs WHERE source = ?1")?;
        for s in &ch.refs_del {
            st.execute([s])?;
        }
        // Only rows that are there: a replaced version may never have been indexed (no
        // text, or replaced within this chunk), and FTS5 keeps its totals right only when
        // deletes name present rows.
        let mut present = tx.prepare_cached("SELECT 1 FROM idx.search WHERE rowid = ?1")?;
        let mut st = tx.prepare_cached("DELETE FROM idx.search WHERE rowid = ?1")?;
        for seq in &ch.search_del {
            if present.exists([seq])? {
                st.execute([seq])?;
            }
        }
    }
    {
        let mut st = tx.prepare_cached(
            "INSERT OR IGNORE INTO idx.observables (kind, value, id) VALUES (?1, ?2, ?3)",
        )?;
        for (k, v, id) in &ch.obs_add {
            st.execute(params![k, v, id])?;
        }
        let mut st = tx.prepare_cached(
            "INSERT OR REPLACE INTO idx.refs (source, path, target) VALUES (?1, ?2, ?3)",
        )?;
        for (s, p, t) in &ch.refs_add {
            st.execute(params![s, p, t])?;
        }
        let mut st = tx.prepare_cached("INSERT INTO idx.search (rowid, text) VALUES (?1, ?2)")?;
        for (seq, text) in &ch.search_add {
            st.execute(params![seq, text])?;
        }
    }
    Ok(())
}

/// Indexes every version committed before the call (chunk by chunk).
pub(super) fn catch_up(c: &Connection) -> Result<Position, StoreError> {
    let target = position(c)?.last;
    loop {
        let p = index_chunk(c, CHUNK)?;
        if p.indexed >= target || p.indexed >= p.last {
            return Ok(p);
        }
    }
}

/// What the background thread is told.
#[derive(Default)]
struct Signal {
    /// The store is being dropped.
    stop: bool,
    /// This store committed versions since the thread last looked (it then looks at
    /// once rather than at its next poll).
    written: bool,
    /// Bulk write sessions of this store in progress: the database counts as being
    /// written even when no commit came for a while (a bulk transaction commits every
    /// 50,000 objects, which can take longer than [`QUIET`]).
    bulk: usize,
}

/// State shared by the store and its background indexer thread.
pub(super) struct Shared {
    /// The indexer's connection: the main database with the index database attached.
    pub conn: Mutex<Connection>,
    signal: Mutex<Signal>,
    wake: Condvar,
}

/// The background indexer of a file store: started by `open`, stopped on drop.
pub(super) struct Background {
    pub shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

impl Background {
    /// Starts the thread.
    pub fn start(conn: Connection) -> Result<Background, StoreError> {
        let shared = Arc::new(Shared {
            conn: Mutex::new(conn),
            signal: Mutex::new(Signal::default()),
            wake: Condvar::new(),
        });
        let for_thread = Arc::clone(&shared);
        let thread = std::thread::Builder::new()
            .name("concord-indexer".into())
            .spawn(move || {
                // Derived indexes are background work: the rest gets the cores first.
                crate::lower_thread_priority();
                run(&for_thread)
            })
            .map_err(|source| StoreError::Open {
                path: "indexer thread".into(),
                source,
            })?;
        Ok(Background {
            shared,
            thread: Some(thread),
        })
    }

    /// Tells the thread that versions were committed.
    pub fn notify(&self) {
        lock(&self.shared.signal).written = true;
        self.shared.wake.notify_one();
    }

    /// A bulk write session starts (`true`) or ends (`false`).
    pub fn bulk(&self, starts: bool) {
        let mut s = lock(&self.shared.signal);
        if starts {
            s.bulk += 1;
        } else {
            s.bulk = s.bulk.saturating_sub(1);
            s.written = true;
        }
        drop(s);
        self.shared.wake.notify_one();
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        lock(&self.shared.signal).stop = true;
        self.shared.wake.notify_one();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Copies the main database's WAL back into the database file without blocking writers
/// or readers (`PASSIVE`), so that the writing thread seldom runs a checkpoint itself.
fn checkpoint(c: &Connection) {
    let done = c.query_row("PRAGMA main.wal_checkpoint(PASSIVE)", [], |r| {
        Ok((r.get::<_, i64>(1)?, r.get::<_, i64>(2)?))
    });
    if let Err(e) = done {
        tracing::debug!(error = %e, "Background checkpoint skipped.");
    }
}

fn run(shared: &Shared) {
    let mut more = false;
    let mut last_write = Instant::now();
    let mut last_checkpoint = Instant::now();
    let mut seen_last = -1;
    let mut backoff = Backoff::default();
    loop {
        let bulk;
        {
            let mut s = lock(&shared.signal);
            // While backing off, a commit does not wake it: only the wait's end does.
            let backing_off = backoff.remaining(Instant::now());
            if !s.stop && !backing_off.is_zero() {
                s = shared
                    .wake
                    .wait_timeout_while(s, backing_off, |s| !s.stop)
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .0;
            } else if !s.stop && !more && !s.written {
                s = shared
                    .wake
                    .wait_timeout(s, QUIET / 2)
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .0;
            }
            if s.stop {
                return;
            }
            if !backoff.ready(Instant::now()) {
                continue;
            }
            s.written = false;
            bulk = s.bulk > 0;
        }
        more = false;
        let conn = lock(&shared.conn);
        let position = match position(&conn) {
            Ok(p) => p,
            Err(e) => {
                let wait = backoff.failed(Instant::now());
                tracing::warn!(error = %e, retry_in = ?wait, "Indexer cannot read its position.");
                continue;
            }
        };
        // Writes of any process on this database count: `concord import` and
        // `concord serve` behave alike.
        if position.last != seen_last || bulk {
            seen_last = position.last;
            last_write = Instant::now();
        }
        let writing = last_write.elapsed() < QUIET;
        if writing && last_checkpoint.elapsed() >= CHECKPOINT_EVERY {
            checkpoint(&conn);
            last_checkpoint = Instant::now();
        }
        // While the database is being written, wait (up to a bound); once writes pause
        // (a quiet interval without a new version), index whatever is pending.
        let lag = position.lag();
        if lag == 0 || (writing && lag < MAX_LAG_WHILE_WRITING) {
            continue;
        }
        match index_chunk(&conn, CHUNK) {
            Ok(p) => {
                more = p.lag() > 0;
                if !more {
                    // Caught up: the pages read for this spell of indexing are not
                    // needed until the next one, which may be hours away.
                    if let Err(e) = conn.execute_batch("PRAGMA shrink_memory") {
                        tracing::debug!(error = %e, "Indexer could not shrink its cache.");
                    }
                }
                let failures = backoff.succeeded();
                if failures > 0 {
                    tracing::info!(failures, "Indexing works again.");
                }
            }
            Err(e) => {
                let wait = backoff.failed(Instant::now());
                tracing::warn!(error = %e, retry_in = ?wait, "Indexing failed; will retry.");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Issue 22, item 5: a failing indexer waits twice as long after each failure in a
    /// row, up to a minute, makes no attempt before, and is back to normal after one
    /// success (times given, so the test does not wait).
    #[test]
    fn a_failing_indexer_backs_off_up_to_a_minute_and_recovers() {
        let start = Instant::now();
        let mut b = Backoff::default();
        assert!(b.ready(start));
        let mut now = start;
        let mut waits = Vec::new();
        for _ in 0..10 {
            let wait = b.failed(now);
            assert!(!b.ready(now));
            assert!(!b.ready(now + wait - Duration::from_millis(1)));
            assert_eq!(b.remaining(now), wait);
            now += wait;
            assert!(b.ready(now));
            waits.push(wait.as_millis());
        }
        assert_eq!(
            waits,
            [
                500, 1_000, 2_000, 4_000, 8_000, 16_000, 32_000, 60_000, 60_000, 60_000
            ]
        );
        // A long outage never overflows: still one minute.
        for _ in 0..100 {
            b.failed(now);
        }
        assert_eq!(b.remaining(now), crate::backoff::BACKOFF_MAX);
        assert_eq!(b.succeeded(), 110);
        assert!(b.ready(now));
        assert_eq!(
            b.failed(now),
            crate::backoff::BACKOFF_FIRST,
            "a new outage starts from the start"
        );
    }
}
