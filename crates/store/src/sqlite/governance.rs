//! Governance tables in SQLite: community documents (genesis and log entries) and the
//! per-peer governance cursor.

use concord_stix::Timestamp;
use rusqlite::{OptionalExtension, Row, params};

use super::SqliteStore;
use crate::StoreError;
use crate::governance::{GovernanceDocument, GovernanceRecord, GovernanceStore, LocalRefusal};

/// Tables of this module, created if missing each time a database is opened.
pub(super) const DDL: &str = "
CREATE TABLE IF NOT EXISTS governance (
    n             INTEGER PRIMARY KEY,
    community     TEXT NOT NULL,
    id            TEXT NOT NULL,
    kind          TEXT NOT NULL,
    at            TEXT NOT NULL,
    document      TEXT NOT NULL,
    received_from TEXT NOT NULL,
    received      TEXT NOT NULL,
    UNIQUE (community, id)
);
CREATE TABLE IF NOT EXISTS governance_cursors (
    peer   TEXT PRIMARY KEY,
    n      INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS governance_refusals (
    node_id TEXT PRIMARY KEY,
    reason  TEXT NOT NULL,
    since   TEXT NOT NULL
) WITHOUT ROWID;
";

const COLUMNS: &str = "n, community, id, kind, at, document, received_from, received";

fn record(r: &Row<'_>) -> rusqlite::Result<GovernanceRecord> {
    Ok(GovernanceRecord {
        n: r.get(0)?,
        doc: GovernanceDocument {
            community: r.get(1)?,
            id: r.get(2)?,
            kind: r.get(3)?,
            at: r.get(4)?,
            document: r.get(5)?,
        },
        received_from: r.get(6)?,
        received: r.get(7)?,
    })
}

impl GovernanceStore for SqliteStore {
    fn put_governance(
        &self,
        docs: &[GovernanceDocument],
        received_from: &str,
        cursor: Option<i64>,
    ) -> Result<usize, StoreError> {
        self.write(|c| {
            let tx = c.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            let now = Timestamp::now_millis();
            let mut new = 0;
            {
                let mut put = tx.prepare_cached(
                    "INSERT INTO governance (community, id, kind, at, document, received_from, \
                     received) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) \
                     ON CONFLICT (community, id) DO NOTHING",
                )?;
                for d in docs {
                    new += put.execute(params![
                        d.community,
                        d.id,
                        d.kind,
                        d.at,
                        d.document,
                        received_from,
                        now
                    ])?;
                }
            }
            if let Some(n) = cursor {
                tx.execute(
                    "INSERT INTO governance_cursors (peer, n) VALUES (?1, ?2) \
                     ON CONFLICT (peer) DO UPDATE SET n = max(n, excluded.n)",
                    params![received_from, n],
                )?;
            }
            tx.commit()?;
            Ok(new)
        })
    }

    fn governance(&self, community: Option<&str>) -> Result<Vec<GovernanceRecord>, StoreError> {
        self.read(|c| {
            let mut st = c.prepare_cached(&format!(
                "SELECT {COLUMNS} FROM governance WHERE ?1 IS NULL OR community = ?1 ORDER BY n"
            ))?;
            let rows = st.query_map([community], record)?;
            Ok(rows.collect::<Result<_, _>>()?)
        })
    }

    fn governance_after(
        &self,
        after: i64,
        limit: usize,
    ) -> Result<Vec<GovernanceRecord>, StoreError> {
        // The limit is part of the SQL, not a parameter (see `query::list_sql`).
        let limit = limit.clamp(1, 10_000);
        self.read(|c| {
            let mut st = c.prepare_cached(&format!(
                "SELECT {COLUMNS} FROM governance WHERE n > ?1 ORDER BY n LIMIT {limit}"
            ))?;
            let rows = st.query_map([after], record)?;
            Ok(rows.collect::<Result<_, _>>()?)
        })
    }

    fn governance_head(&self) -> Result<i64, StoreError> {
        self.read(|c| {
            Ok(
                c.query_row("SELECT coalesce(max(n), 0) FROM governance", [], |r| {
                    r.get(0)
                })?,
            )
        })
    }

    fn set_local_refusal(&self, node_id: &str, reason: Option<&str>) -> Result<bool, StoreError> {
        self.write(|c| {
            let changed = match reason {
                Some(r) => c.execute(
                    "INSERT INTO governance_refusals (node_id, reason, since) VALUES (?1, ?2, ?3) \
                     ON CONFLICT (node_id) DO UPDATE SET reason = excluded.reason",
                    params![node_id, r, Timestamp::now_millis()],
                )?,
                None => c.execute(
                    "DELETE FROM governance_refusals WHERE node_id = ?1",
                    [node_id],
                )?,
            };
            Ok(changed > 0)
        })
    }

    fn local_refusals(&self) -> Result<Vec<LocalRefusal>, StoreError> {
        self.read(|c| {
            let mut st = c.prepare_cached(
                "SELECT node_id, reason, since FROM governance_refusals ORDER BY node_id",
            )?;
            let rows = st.query_map([], |r| {
                Ok(LocalRefusal {
                    node_id: r.get(0)?,
                    reason: r.get(1)?,
                    since: r.get(2)?,
                })
            })?;
            Ok(rows.collect::<Result<_, _>>()?)
        })
    }

    fn governance_cursor(&self, peer: &str) -> Result<i64, StoreError> {
        self.read(|c| {
            Ok(c.query_row(
                "SELECT n FROM governance_cursors WHERE peer = ?1",
                [peer],
                |r| r.get(0),
            )
            .optional()?
            .unwrap_or(0))
        })
    }
}
