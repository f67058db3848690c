//! The indexer: keeps the derived indexes (`observables`, `refs`, `search`) in step with
//! `versions`, behind the writes, as the SQLite backend's indexer does. Writing the
//! search rows (a `pg_trgm` GIN index) is most of what a write of new objects costs, so
//! an import writes versions only, and the indexer catches up after it.
//!
//! It follows `seq` with a cursor (`index_state.indexed_seq`). Each chunk is one
//! transaction that first takes a transaction advisory lock (`INDEX_LOCK`), then reads
//! the cursor and the versions after it (one statement, so one snapshot), removes the
//! rows of the ids whose current version a new version replaced (`versions.replaces`),
//! inserts the rows of the versions that are current in that snapshot, and moves the
//! cursor. So indexers of every process never apply a chunk twice, and one stopped in
//! the middle leaves the cursor at its last commit. Versions become visible in `seq`
//! order (the writers' `WRITE_LOCK`), so the cursor never passes a version that commits
//! later.
//!
//! A version that is not current in the snapshot gets no rows: whichever version
//! replaced it has a higher `seq`, and the chunk that reaches that one removes the rows
//! of its id. A version never becomes current again once demoted. Deleting an object
//! takes `INDEX_LOCK` after `WRITE_LOCK` (the indexer never takes `WRITE_LOCK`), so a
//! chunk never writes rows of an object deleted meanwhile.

use std::time::{Duration, Instant};

use concord_stix::Object;
use concord_store::backoff::Backoff;
use deadpool_postgres::Object as Conn;

use crate::{PgStore, R};

/// The advisory lock key of an indexing transaction ("concord" in ASCII, then a 3).
pub(crate) const INDEX_LOCK: i64 = 0x636f_6e63_6f72_6403;

/// Versions handled per indexing transaction.
pub(crate) const CHUNK: i64 = 20_000;

/// Where the indexer stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IndexPosition {
    /// Every version up to this `seq` is reflected in the derived indexes.
    pub indexed: i64,
    /// The highest `seq` of the store.
    pub last: i64,
}

impl IndexPosition {
    /// Versions not yet indexed.
    pub fn lag(self) -> i64 {
        (self.last - self.indexed).max(0)
    }
}

/// The indexer's position.
pub(crate) async fn position(c: &Conn) -> R<IndexPosition> {
    let st = c
        .prepare_cached(
            "SELECT (SELECT indexed_seq FROM index_state), \
             (SELECT coalesce(max(seq), 0) FROM versions)",
        )
        .await?;
    let r = c.query_one(&st, &[]).await?;
    Ok(IndexPosition {
        indexed: r.get::<_, Option<i64>>(0).unwrap_or(0),
        last: r.get(1),
    })
}

/// PostgreSQL text cannot hold NUL; a search text drops it (it never is a search word).
fn no_nul(s: String) -> String {
    if s.contains('\0') {
        s.replace('\0', " ")
    } else {
        s
    }
}

/// The derived index rows of a current version.
struct Derived {
    seq: i64,
    id: String,
    observables: Vec<(String, String)>,
    refs: Vec<(String, String)>,
    search: String,
}

impl Derived {
    fn of(seq: i64, id: String, obj: &Object) -> Derived {
        Derived {
            seq,
            id,
            observables: concord_store::observables::of(obj.type_name(), obj.as_map())
                .into_iter()
                .filter(|o| !o.value.contains('\0'))
                .map(|o| (o.kind, o.value))
                .collect(),
            refs: obj
                .references()
                .into_iter()
                .map(|r| (r.path, r.target))
                .collect(),
            search: no_nul(obj.search_text()),
        }
    }
}

/// Indexes up to `max` versions after the cursor in one transaction: the new cursor, or
/// `None` when no version follows it.
pub(crate) async fn index_chunk(c: &mut Conn, max: i64) -> R<Option<i64>> {
    let tx = c.transaction().await?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&INDEX_LOCK])
        .await?;
    let st = tx
        .prepare_cached(
            "SELECT v.seq, v.id, v.is_current, v.replaces IS NOT NULL, v.json FROM versions v \
             WHERE v.seq > (SELECT indexed_seq FROM index_state) ORDER BY v.seq LIMIT $1",
        )
        .await?;
    let rows = tx.query(&st, &[&max]).await?;
    let Some(upto) = rows.last().map(|r| r.get::<_, i64>(0)) else {
        return Ok(None);
    };
    let mut replaced: Vec<&str> = Vec::new();
    let mut current: Vec<Derived> = Vec::new();
    for r in &rows {
        let seq: i64 = r.get(0);
        let id: &str = r.get(1);
        if r.get::<_, bool>(3) {
            replaced.push(id);
        }
        if !r.get::<_, bool>(2) {
            continue;
        }
        match Object::from_json(r.get(4)) {
            Ok(obj) => current.push(Derived::of(seq, id.to_owned(), &obj)),
            Err(e) => {
                tracing::warn!(id = %id, seq, error = ?e, "Stored version no longer validates; not indexed.");
            }
        }
    }
    replaced.sort_unstable();
    replaced.dedup();
    if !replaced.is_empty() {
        tx.execute("DELETE FROM observables WHERE id = ANY($1)", &[&replaced])
            .await?;
        tx.execute("DELETE FROM refs WHERE source = ANY($1)", &[&replaced])
            .await?;
        tx.execute("DELETE FROM search WHERE id = ANY($1)", &[&replaced])
            .await?;
    }
    insert(&tx, &current).await?;
    tx.execute("UPDATE index_state SET indexed_seq = $1", &[&upto])
        .await?;
    tx.commit().await?;
    Ok(Some(upto))
}

/// Inserts the derived index rows of current versions, each table's rows sorted by key.
async fn insert(tx: &deadpool_postgres::Transaction<'_>, current: &[Derived]) -> R<()> {
    let mut obs: Vec<(&str, &str, &str)> = Vec::new();
    let mut refs: Vec<(&str, &str, &str)> = Vec::new();
    let (mut s_seq, mut s_id, mut s_text) = (Vec::new(), Vec::<&str>::new(), Vec::<&str>::new());
    for d in current {
        obs.extend(
            d.observables
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str(), d.id.as_str())),
        );
        refs.extend(
            d.refs
                .iter()
                .map(|(p, t)| (d.id.as_str(), p.as_str(), t.as_str())),
        );
        if !d.search.is_empty() {
            s_seq.push(d.seq);
            s_id.push(&d.id);
            s_text.push(&d.search);
        }
    }
    obs.sort_unstable();
    obs.dedup();
    // One row per (source, path): the last one wins.
    refs.reverse();
    refs.sort_by(|a, b| (a.0, a.1).cmp(&(b.0, b.1)));
    refs.dedup_by(|later, earlier| later.0 == earlier.0 && later.1 == earlier.1);
    if !obs.is_empty() {
        let (k, v, i) = unzip3(&obs);
        tx.execute(
            "INSERT INTO observables (kind, value, id) \
             SELECT * FROM unnest($1::text[], $2::text[], $3::text[]) ON CONFLICT DO NOTHING",
            &[&k, &v, &i],
        )
        .await?;
    }
    if !refs.is_empty() {
        let (s, p, t) = unzip3(&refs);
        tx.execute(
            "INSERT INTO refs (source, path, target) \
             SELECT * FROM unnest($1::text[], $2::text[], $3::text[])",
            &[&s, &p, &t],
        )
        .await?;
    }
    if !s_seq.is_empty() {
        tx.execute(
            "INSERT INTO search (seq, id, text) \
             SELECT s, i, lower(unaccent(t)) FROM unnest($1::bigint[], $2::text[], $3::text[]) \
             AS u(s, i, t)",
            &[&s_seq, &s_id, &s_text],
        )
        .await?;
    }
    Ok(())
}

fn unzip3<'a>(v: &[(&'a str, &'a str, &'a str)]) -> (Vec<&'a str>, Vec<&'a str>, Vec<&'a str>) {
    let mut out = (
        Vec::with_capacity(v.len()),
        Vec::with_capacity(v.len()),
        Vec::with_capacity(v.len()),
    );
    for (a, b, c) in v {
        out.0.push(*a);
        out.1.push(*b);
        out.2.push(*c);
    }
    out
}

/// Indexes every version committed before the call, chunk by chunk (waiting first for
/// an indexer of another process at work); cheap when nothing is pending.
pub(crate) async fn catch_up(c: &mut Conn) -> R<()> {
    let p = position(c).await?;
    if p.lag() == 0 {
        return Ok(());
    }
    while let Some(upto) = index_chunk(c, CHUNK).await? {
        if upto >= p.last {
            break;
        }
    }
    Ok(())
}

/// While versions keep arriving, the background indexer leaves the backlog alone unless
/// this many are pending: on a small machine, indexing beside a bulk import slows the
/// import by more than it gains (as on SQLite). Reads that need the indexes catch up
/// themselves meanwhile.
const MAX_LAG_WHILE_WRITING: i64 = 1_000_000;
/// Writes count as paused when no new version appeared for this long.
const QUIET: Duration = Duration::from_millis(1_000);
/// How often the background indexer looks at the store when there is nothing to do.
const POLL: Duration = Duration::from_millis(250);
/// Once caught up with writes that have paused, the background indexer vacuums
/// `versions` if this many versions arrived since it last did (and once after it
/// starts): see [`vacuum`].
const VACUUM_AFTER: i64 = 10_000;

/// `VACUUM (ANALYZE) versions`: marks the pages written since the last vacuum all-visible,
/// so that pages of current versions are read from the `versions_page` index alone (an
/// index-only scan, no heap fetch per row), and refreshes the planner's statistics.
/// PostgreSQL's autovacuum would do it too, but only after a fifth of the table is new,
/// and not soon after a bulk import. Cheap when little changed (the visibility map skips
/// pages already all-visible).
pub(crate) async fn vacuum(c: &Conn) -> R<()> {
    c.batch_execute("VACUUM (ANALYZE) versions").await?;
    Ok(())
}

/// The background indexer's loop (see [`PgStore::run_indexer`]).
pub(crate) fn run(store: &PgStore, turn: &mut dyn FnMut() -> concord_store::Turn) {
    concord_store::lower_thread_priority();
    let mut backoff = Backoff::default();
    // The backlog found at the start counts as written long ago: it is indexed at once.
    let mut seen_last: Option<i64> = None;
    let mut last_write = Instant::now()
        .checked_sub(QUIET)
        .unwrap_or_else(Instant::now);
    // The last `seq` when `versions` was last vacuumed (by this loop).
    let mut vacuumed_at: Option<i64> = None;
    loop {
        let wait = backoff.remaining(Instant::now());
        if !wait.is_zero() {
            std::thread::sleep(wait);
            continue;
        }
        match turn() {
            concord_store::Turn::Run => {}
            concord_store::Turn::Wait => {
                std::thread::sleep(POLL);
                continue;
            }
            concord_store::Turn::Stop => return,
        }
        let step = store.index_position().and_then(|p| {
            if seen_last.is_some_and(|s| s != p.last) {
                last_write = Instant::now();
            }
            seen_last = Some(p.last);
            let writing = last_write.elapsed() < QUIET;
            if p.lag() == 0 && !writing && vacuumed_at.is_none_or(|at| p.last - at >= VACUUM_AFTER)
            {
                vacuumed_at = Some(p.last);
                let started = Instant::now();
                match store.vacuum_versions() {
                    Ok(()) => tracing::debug!(took = ?started.elapsed(), "Vacuumed versions."),
                    // Pages then read the heap as well: slower, not wrong.
                    Err(e) => tracing::warn!(error = %e, "Cannot vacuum versions."),
                }
            }
            if p.lag() == 0 || (writing && p.lag() < MAX_LAG_WHILE_WRITING) {
                return Ok(false);
            }
            store.index_chunk()
        });
        match step {
            Ok(indexed) => {
                let failures = backoff.succeeded();
                if failures > 0 {
                    tracing::info!(failures, "Indexing works again.");
                }
                // After a chunk more may be pending: look again at once.
                if !indexed {
                    std::thread::sleep(POLL);
                }
            }
            Err(e) => {
                let wait = backoff.failed(Instant::now());
                tracing::warn!(error = %e, retry_in = ?wait, "Indexing failed; will retry.");
            }
        }
    }
}
