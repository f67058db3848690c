//! Governance in PostgreSQL: community documents (genesis and log entries), the
//! per-peer governance cursor and local refusals, as `sqlite::governance` keeps them.
//! Documents are numbered under the store's write lock, so `n` grows in commit order
//! and a peer paging by it never misses one.

use concord_stix::Timestamp;
use concord_store::StoreError;
use concord_store::governance::{
    GovernanceDocument, GovernanceRecord, GovernanceStore, LocalRefusal,
};
use tokio_postgres::Row;

use crate::ingest::WRITE_LOCK;
use crate::{PgStore, R};

const COLUMNS: &str = "n, community, id, kind, at, document, received_from, received";

fn record(r: &Row) -> GovernanceRecord {
    GovernanceRecord {
        n: r.get(0),
        doc: GovernanceDocument {
            community: r.get(1),
            id: r.get(2),
            kind: r.get(3),
            at: r.get(4),
            document: r.get(5),
        },
        received_from: r.get(6),
        received: r.get(7),
    }
}

impl GovernanceStore for PgStore {
    fn put_governance(
        &self,
        docs: &[GovernanceDocument],
        received_from: &str,
        cursor: Option<i64>,
    ) -> Result<usize, StoreError> {
        let docs = docs.to_vec();
        let from = received_from.to_owned();
        self.write(move |mut c| async move {
            let tx = c.transaction().await?;
            tx.execute("SELECT pg_advisory_xact_lock($1)", &[&WRITE_LOCK])
                .await?;
            let now = Timestamp::now_millis();
            let mut n: i64 = tx
                .query_one("SELECT coalesce(max(n), 0) FROM governance", &[])
                .await?
                .get(0);
            let mut new = 0usize;
            for d in &docs {
                let put = tx
                    .execute(
                        "INSERT INTO governance (n, community, id, kind, at, document, \
                         received_from, received) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
                         ON CONFLICT (community, id) DO NOTHING",
                        &[
                            &(n + 1),
                            &d.community,
                            &d.id,
                            &d.kind,
                            &d.at,
                            &d.document,
                            &from,
                            &now,
                        ],
                    )
                    .await?;
                if put > 0 {
                    n += 1;
                    new += 1;
                }
            }
            if let Some(cursor) = cursor {
                tx.execute(
                    "INSERT INTO governance_cursors (peer, n) VALUES ($1, $2) \
                     ON CONFLICT (peer) DO UPDATE \
                     SET n = greatest(governance_cursors.n, excluded.n)",
                    &[&from, &cursor],
                )
                .await?;
            }
            tx.commit().await?;
            R::Ok(new)
        })
    }

    fn governance(&self, community: Option<&str>) -> Result<Vec<GovernanceRecord>, StoreError> {
        let community = community.map(str::to_owned);
        self.read(move |c| async move {
            let rows = c
                .query(
                    &format!(
                        "SELECT {COLUMNS} FROM governance \
                         WHERE $1::text IS NULL OR community = $1 ORDER BY n"
                    ),
                    &[&community],
                )
                .await?;
            R::Ok(rows.iter().map(record).collect())
        })
    }

    fn governance_after(
        &self,
        after: i64,
        limit: usize,
    ) -> Result<Vec<GovernanceRecord>, StoreError> {
        let limit = i64::try_from(limit.clamp(1, 10_000)).unwrap_or(10_000);
        self.read(move |c| async move {
            let rows = c
                .query(
                    &format!("SELECT {COLUMNS} FROM governance WHERE n > $1 ORDER BY n LIMIT $2"),
                    &[&after, &limit],
                )
                .await?;
            R::Ok(rows.iter().map(record).collect())
        })
    }

    fn governance_head(&self) -> Result<i64, StoreError> {
        self.read(|c| async move {
            R::Ok(
                c.query_one("SELECT coalesce(max(n), 0) FROM governance", &[])
                    .await?
                    .get(0),
            )
        })
    }

    fn governance_cursor(&self, peer: &str) -> Result<i64, StoreError> {
        let peer = peer.to_owned();
        self.read(move |c| async move {
            R::Ok(
                c.query_opt("SELECT n FROM governance_cursors WHERE peer = $1", &[&peer])
                    .await?
                    .map_or(0, |r| r.get(0)),
            )
        })
    }

    fn set_local_refusal(&self, node_id: &str, reason: Option<&str>) -> Result<bool, StoreError> {
        let node_id = node_id.to_owned();
        let reason = reason.map(str::to_owned);
        self.write(move |c| async move {
            let changed = match reason {
                Some(r) => {
                    c.execute(
                        "INSERT INTO governance_refusals (node_id, reason, since) \
                         VALUES ($1, $2, $3) \
                         ON CONFLICT (node_id) DO UPDATE SET reason = excluded.reason",
                        &[&node_id, &r, &Timestamp::now_millis()],
                    )
                    .await?
                }
                None => {
                    c.execute(
                        "DELETE FROM governance_refusals WHERE node_id = $1",
                        &[&node_id],
                    )
                    .await?
                }
            };
            R::Ok(changed > 0)
        })
    }

    fn local_refusals(&self) -> Result<Vec<LocalRefusal>, StoreError> {
        self.read(|c| async move {
            let rows = c
                .query(
                    "SELECT node_id, reason, since FROM governance_refusals ORDER BY node_id",
                    &[],
                )
                .await?;
            R::Ok(
                rows.iter()
                    .map(|r| LocalRefusal {
                        node_id: r.get(0),
                        reason: r.get(1),
                        since: r.get(2),
                    })
                    .collect(),
            )
        })
    }
}
