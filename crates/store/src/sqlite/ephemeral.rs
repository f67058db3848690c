//! Short-lived state in SQLite (`crate::ephemeral`): request nonces, TAXII statuses and
//! sign-in attempts, each a small table of the main database written through the
//! writer connection. One node process serves a SQLite store, so its writer lock alone
//! makes each step atomic; the statements are the PostgreSQL backend's all the same.

use rusqlite::{OptionalExtension, TransactionBehavior, params};

use super::SqliteStore;
use crate::StoreError;
use crate::ephemeral::{Bounds, EphemeralStore, Limit};

/// The tables (created if missing, as the other modules' tables).
pub(super) const DDL: &str = "
CREATE TABLE IF NOT EXISTS request_nonces (
    key  TEXT    PRIMARY KEY,
    seen INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS request_nonces_seen ON request_nonces (seen);
CREATE TABLE IF NOT EXISTS taxii_statuses (
    seq     INTEGER PRIMARY KEY,
    id      TEXT    NOT NULL UNIQUE,
    owner   TEXT    NOT NULL,
    made_ms INTEGER NOT NULL,
    json    TEXT    NOT NULL
);
CREATE INDEX IF NOT EXISTS taxii_statuses_made ON taxii_statuses (made_ms);
CREATE TABLE IF NOT EXISTS signin_attempts (
    key      TEXT    PRIMARY KEY,
    attempts INTEGER NOT NULL,
    since_ms INTEGER NOT NULL
) WITHOUT ROWID;
";

/// A count as `usize` (a row count is never negative).
fn count(n: i64) -> usize {
    usize::try_from(n).unwrap_or(0)
}

impl EphemeralStore for SqliteStore {
    fn first_use_of_nonce(
        &self,
        keyid: &str,
        nonce: &str,
        now: i64,
        window: i64,
    ) -> Result<bool, StoreError> {
        let key = format!("{keyid} {nonce}");
        // A nonce seen more than twice the window ago can be used again (its request's
        // date is out of the window by then anyway); one seen since cannot.
        let stale = now.saturating_sub(window.saturating_mul(2));
        self.write(|c| {
            let n = c
                .prepare_cached(
                    "INSERT INTO request_nonces (key, seen) VALUES (?1, ?2) \
                     ON CONFLICT (key) DO UPDATE SET seen = excluded.seen \
                     WHERE request_nonces.seen < ?3",
                )?
                .execute(params![key, now, stale])?;
            Ok(n == 1)
        })
    }

    fn forget_nonces(&self, before: i64) -> Result<usize, StoreError> {
        self.write(|c| {
            Ok(
                c.prepare_cached("DELETE FROM request_nonces WHERE seen < ?1")?
                    .execute([before])?,
            )
        })
    }

    fn put_taxii_status(
        &self,
        id: &str,
        owner: &str,
        json: &str,
        now_ms: i64,
        bounds: Bounds,
    ) -> Result<(), StoreError> {
        let keep = i64::try_from(bounds.keep).unwrap_or(i64::MAX);
        self.write(|c| {
            let tx = rusqlite::Transaction::new_unchecked(c, TransactionBehavior::Immediate)?;
            let seq: i64 = tx
                .prepare_cached(
                    "INSERT INTO taxii_statuses (id, owner, made_ms, json) \
                     VALUES (?1, ?2, ?3, ?4) \
                     ON CONFLICT (id) DO UPDATE SET owner = excluded.owner, \
                     made_ms = excluded.made_ms, json = excluded.json RETURNING seq",
                )?
                .query_row(params![id, owner, now_ms, json], |r| r.get(0))?;
            tx.prepare_cached("DELETE FROM taxii_statuses WHERE seq <= ?1 OR made_ms < ?2")?
                .execute(params![
                    seq.saturating_sub(keep),
                    now_ms.saturating_sub(bounds.ttl_ms)
                ])?;
            tx.commit()?;
            Ok(())
        })
    }

    fn taxii_status(&self, id: &str, since_ms: i64) -> Result<Option<String>, StoreError> {
        self.read(|c| {
            Ok(c.prepare_cached(
                "SELECT json FROM main.taxii_statuses WHERE id = ?1 AND made_ms >= ?2",
            )?
            .query_row(params![id, since_ms], |r| r.get(0))
            .optional()?)
        })
    }

    fn reserve_attempt(
        &self,
        limits: &[Limit<'_>],
        now_ms: i64,
        window_ms: i64,
    ) -> Result<Option<usize>, StoreError> {
        let open_since = now_ms.saturating_sub(window_ms);
        self.write(|c| {
            let tx = rusqlite::Transaction::new_unchecked(c, TransactionBehavior::Immediate)?;
            for (i, l) in limits.iter().enumerate() {
                let used: Option<i64> = tx
                    .prepare_cached(
                        "SELECT attempts FROM signin_attempts WHERE key = ?1 AND since_ms > ?2",
                    )?
                    .query_row(params![l.key, open_since], |r| r.get(0))
                    .optional()?;
                if used.is_some_and(|n| n >= i64::from(l.max)) {
                    return Ok(Some(i));
                }
            }
            for l in limits {
                tx.prepare_cached(
                    "INSERT INTO signin_attempts (key, attempts, since_ms) VALUES (?1, 1, ?2) \
                     ON CONFLICT (key) DO UPDATE SET \
                     attempts = CASE WHEN since_ms > ?3 THEN attempts + 1 ELSE 1 END, \
                     since_ms = CASE WHEN since_ms > ?3 THEN since_ms ELSE ?2 END",
                )?
                .execute(params![l.key, now_ms, open_since])?;
            }
            tx.commit()?;
            Ok(None)
        })
    }

    fn give_back_attempt(&self, key: &str, all: bool) -> Result<(), StoreError> {
        self.write(|c| {
            if all {
                c.prepare_cached("DELETE FROM signin_attempts WHERE key = ?1")?
                    .execute([key])?;
            } else {
                c.prepare_cached(
                    "UPDATE signin_attempts SET attempts = max(attempts - 1, 0) WHERE key = ?1",
                )?
                .execute([key])?;
            }
            Ok(())
        })
    }

    fn prune_attempts(&self, before_ms: i64, max: usize) -> Result<usize, StoreError> {
        self.write(|c| {
            let tx = rusqlite::Transaction::new_unchecked(c, TransactionBehavior::Immediate)?;
            tx.prepare_cached("DELETE FROM signin_attempts WHERE since_ms <= ?1")?
                .execute([before_ms])?;
            let mut left =
                count(tx.query_row("SELECT count(*) FROM signin_attempts", [], |r| r.get(0))?);
            if left >= max {
                tx.execute("DELETE FROM signin_attempts", [])?;
                left = 0;
            }
            tx.commit()?;
            Ok(left)
        })
    }
}
