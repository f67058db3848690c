//! Short-lived state in PostgreSQL (`concord_store::ephemeral`): request nonces, TAXII
//! statuses and sign-in attempts, shared by every replica of the node. A nonce is
//! recorded by one `INSERT ... ON CONFLICT` whose affected row count says whether it was
//! new, so of two replicas given the same request exactly one accepts it. A sign-in
//! attempt is counted in one transaction that first makes sure each counter's row
//! exists, then locks the rows (`FOR UPDATE`, in key order, so two transactions never
//! wait on each other in a cycle), checks and counts: concurrent attempts on several
//! replicas are counted one after the other, as under the in-memory lock.

use concord_store::StoreError;
use concord_store::ephemeral::{Bounds, EphemeralStore, Limit};

use crate::{PgStore, R};

impl EphemeralStore for PgStore {
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
        self.write(move |c| async move {
            let n = c
                .execute(
                    "INSERT INTO request_nonces (key, seen) VALUES ($1, $2) \
                     ON CONFLICT (key) DO UPDATE SET seen = excluded.seen \
                     WHERE request_nonces.seen < $3",
                    &[&key, &now, &stale],
                )
                .await?;
            R::Ok(n == 1)
        })
    }

    fn forget_nonces(&self, before: i64) -> Result<usize, StoreError> {
        self.write(move |c| async move {
            let n = c
                .execute("DELETE FROM request_nonces WHERE seen < $1", &[&before])
                .await?;
            R::Ok(usize::try_from(n).unwrap_or(usize::MAX))
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
        let (id, owner, json) = (id.to_owned(), owner.to_owned(), json.to_owned());
        let keep = i64::try_from(bounds.keep).unwrap_or(i64::MAX);
        let expired = now_ms.saturating_sub(bounds.ttl_ms);
        self.write(move |mut c| async move {
            let tx = c.transaction().await?;
            let seq: i64 = tx
                .query_one(
                    "INSERT INTO taxii_statuses (id, owner, made_ms, json) \
                     VALUES ($1, $2, $3, $4) \
                     ON CONFLICT (id) DO UPDATE SET owner = excluded.owner, \
                     made_ms = excluded.made_ms, json = excluded.json RETURNING seq",
                    &[&id, &owner, &now_ms, &json],
                )
                .await?
                .get(0);
            tx.execute(
                "DELETE FROM taxii_statuses WHERE seq <= $1 OR made_ms < $2",
                &[&seq.saturating_sub(keep), &expired],
            )
            .await?;
            tx.commit().await?;
            R::Ok(())
        })
    }

    fn taxii_status(&self, id: &str, since_ms: i64) -> Result<Option<String>, StoreError> {
        let id = id.to_owned();
        self.read(move |c| async move {
            let row = c
                .query_opt(
                    "SELECT json FROM taxii_statuses WHERE id = $1 AND made_ms >= $2",
                    &[&id, &since_ms],
                )
                .await?;
            R::Ok(row.map(|r| r.get(0)))
        })
    }

    fn reserve_attempt(
        &self,
        limits: &[Limit<'_>],
        now_ms: i64,
        window_ms: i64,
    ) -> Result<Option<usize>, StoreError> {
        let limits: Vec<(String, i64)> = limits
            .iter()
            .map(|l| (l.key.to_owned(), i64::from(l.max)))
            .collect();
        let open_since = now_ms.saturating_sub(window_ms);
        self.write(move |mut c| async move {
            let mut keys: Vec<&str> = limits.iter().map(|(k, _)| k.as_str()).collect();
            keys.sort_unstable();
            keys.dedup();
            let tx = c.transaction().await?;
            for k in &keys {
                tx.execute(
                    "INSERT INTO signin_attempts (key, attempts, since_ms) VALUES ($1, 0, $2) \
                     ON CONFLICT (key) DO NOTHING",
                    &[k, &now_ms],
                )
                .await?;
            }
            let rows = tx
                .query(
                    "SELECT key, attempts, since_ms FROM signin_attempts \
                     WHERE key = ANY($1) ORDER BY key FOR UPDATE",
                    &[&keys],
                )
                .await?;
            let held = |key: &str| {
                rows.iter()
                    .find(|r| r.get::<_, &str>(0) == key)
                    .map(|r| (r.get::<_, i64>(1), r.get::<_, i64>(2)))
            };
            for (i, (key, max)) in limits.iter().enumerate() {
                if held(key).is_some_and(|(n, since)| since > open_since && n >= *max) {
                    tx.commit().await?;
                    return R::Ok(Some(i));
                }
            }
            for k in &keys {
                // An upsert, not an update: a prune may have removed the row since.
                tx.execute(
                    "INSERT INTO signin_attempts AS a (key, attempts, since_ms) \
                     VALUES ($1, 1, $3) ON CONFLICT (key) DO UPDATE SET \
                     attempts = CASE WHEN a.since_ms > $2 THEN a.attempts + 1 ELSE 1 END, \
                     since_ms = CASE WHEN a.since_ms > $2 THEN a.since_ms ELSE $3 END",
                    &[k, &open_since, &now_ms],
                )
                .await?;
            }
            tx.commit().await?;
            R::Ok(None)
        })
    }

    fn give_back_attempt(&self, key: &str, all: bool) -> Result<(), StoreError> {
        let key = key.to_owned();
        self.write(move |c| async move {
            if all {
                c.execute("DELETE FROM signin_attempts WHERE key = $1", &[&key])
                    .await?;
            } else {
                c.execute(
                    "UPDATE signin_attempts SET attempts = greatest(attempts - 1, 0) \
                     WHERE key = $1",
                    &[&key],
                )
                .await?;
            }
            R::Ok(())
        })
    }

    fn prune_attempts(&self, before_ms: i64, max: usize) -> Result<usize, StoreError> {
        let max = i64::try_from(max).unwrap_or(i64::MAX);
        self.write(move |mut c| async move {
            let tx = c.transaction().await?;
            tx.execute(
                "DELETE FROM signin_attempts WHERE since_ms <= $1",
                &[&before_ms],
            )
            .await?;
            let mut left: i64 = tx
                .query_one("SELECT count(*) FROM signin_attempts", &[])
                .await?
                .get(0);
            if left >= max {
                tx.execute("DELETE FROM signin_attempts", &[]).await?;
                left = 0;
            }
            tx.commit().await?;
            R::Ok(usize::try_from(left).unwrap_or(0))
        })
    }
}
