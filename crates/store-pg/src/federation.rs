//! Federation tables in PostgreSQL: peers, provenance of received versions, the audit
//! chain (the rules of the SQLite backend's `federation` module). Writes that add
//! versions or audit entries take the write lock first, so writers in several processes
//! keep one `seq` order and one audit chain.

use std::collections::HashMap;

use concord_stix::{Object, Timestamp};
use concord_store::federation::{
    AUDIT_GENESIS, AuditEntry, AuditRecord, FederationStore, HeldOrigin, PeerRecord, Provenance,
    Redactor, Refusal, audit_hash, check_origin,
};
use concord_store::{Outcome, StoreError};
use tokio_postgres::Row;

use crate::ingest::{self, WRITE_LOCK};
use crate::{PgStore, R};

const PEER_COLUMNS: &str = "node_id, name, url, public_key, country, sectors, agreement, added, \
    cursor, head, last_sync, last_error, last_error_at, received, live_since, insecure_http, \
    refused, last_refusal, last_refusal_at";

fn peer(r: &Row) -> PeerRecord {
    let sectors: String = r.get(5);
    PeerRecord {
        node_id: r.get(0),
        name: r.get(1),
        url: r.get(2),
        public_key: r.get(3),
        country: r.get(4),
        sectors: serde_json::from_str(&sectors).unwrap_or_default(),
        agreement: r.get(6),
        added: r.get(7),
        cursor: r.get(8),
        head: r.get(9),
        last_sync: r.get(10),
        last_error: r.get(11),
        last_error_at: r.get(12),
        received: r.get(13),
        live_since: r.get(14),
        insecure_http: r.get(15),
        refused: r.get(16),
        last_refusal: r.get(17),
        last_refusal_at: r.get(18),
    }
}

/// A provenance from the row's columns starting at `at` (origin, origin_key, signature,
/// received_from, hops_left, redactor, redactor_key, redactor_sig).
fn provenance_row(r: &Row, at: usize) -> Provenance {
    let redactor: Option<String> = r.get(at + 5);
    Provenance {
        origin: r.get(at),
        origin_key: r.get(at + 1),
        signature: r.get(at + 2),
        received_from: r.get(at + 3),
        hops_left: u32::try_from(r.get::<_, i64>(at + 4)).unwrap_or(0),
        redactor: redactor.map(|node| Redactor {
            node,
            key: r.get::<_, Option<String>>(at + 6).unwrap_or_default(),
            signature: r.get::<_, Option<String>>(at + 7).unwrap_or_default(),
        }),
    }
}

fn audit_record(r: &Row) -> AuditRecord {
    let reasons: String = r.get(7);
    AuditRecord {
        n: r.get(0),
        at: r.get(1),
        entry: AuditEntry {
            peer: r.get(2),
            object_id: r.get(3),
            version: r.get(4),
            verdict: r.get(5),
            agreement: r.get(6),
            reasons: serde_json::from_str(&reasons).unwrap_or(serde_json::Value::Null),
        },
        prev: r.get(8),
        hash: r.get(9),
    }
}

const PROVENANCE_COLUMNS: &str = "origin, origin_key, signature, received_from, hops_left, \
    redactor, redactor_key, redactor_sig";

/// Runs one statement on a writing connection.
fn exec(
    store: &PgStore,
    sql: &'static str,
    args: Vec<Box<dyn tokio_postgres::types::ToSql + Send + Sync>>,
) -> Result<u64, StoreError> {
    store.write(move |c| async move {
        let args: Vec<&(dyn tokio_postgres::types::ToSql + Sync)> = args
            .iter()
            .map(|a| a.as_ref() as &(dyn tokio_postgres::types::ToSql + Sync))
            .collect();
        Ok(c.execute(sql, &args).await?)
    })
}

/// The held versions of `ids` with their origin (`None`: created here, or no provenance).
async fn held_origins(
    tx: &deadpool_postgres::Transaction<'_>,
    ids: &[&str],
) -> R<HashMap<String, Vec<HeldOrigin>>> {
    let rows = tx
        .query(
            "SELECT v.id, v.version, CASE WHEN p.id IS NULL OR p.received_from = '' \
             THEN NULL ELSE p.origin END \
             FROM versions v LEFT JOIN provenance p ON p.id = v.id AND p.version = v.version \
             WHERE v.id = ANY($1)",
            &[&ids],
        )
        .await?;
    let mut held: HashMap<String, Vec<HeldOrigin>> = HashMap::new();
    for r in rows {
        held.entry(r.get(0)).or_default().push(HeldOrigin {
            version: r.get(1),
            origin: r.get(2),
        });
    }
    Ok(held)
}

impl FederationStore for PgStore {
    fn put_peer(&self, p: &PeerRecord) -> Result<(), StoreError> {
        let sectors = serde_json::to_string(&p.sectors).unwrap_or_else(|_| "[]".into());
        let added = if p.added.is_empty() {
            Timestamp::now_millis()
        } else {
            p.added.clone()
        };
        exec(
            self,
            "INSERT INTO peers (node_id, name, url, public_key, country, sectors, agreement, \
             added, insecure_http) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
             ON CONFLICT (node_id) DO UPDATE SET name = excluded.name, url = excluded.url, \
             public_key = excluded.public_key, country = excluded.country, \
             sectors = excluded.sectors, agreement = excluded.agreement, \
             insecure_http = excluded.insecure_http",
            vec![
                Box::new(p.node_id.clone()),
                Box::new(p.name.clone()),
                Box::new(p.url.clone()),
                Box::new(p.public_key.clone()),
                Box::new(p.country.clone()),
                Box::new(sectors),
                Box::new(p.agreement.clone()),
                Box::new(added),
                Box::new(p.insecure_http),
            ],
        )?;
        Ok(())
    }

    fn peers(&self) -> Result<Vec<PeerRecord>, StoreError> {
        self.read(|c| async move {
            let st = c
                .prepare_cached(&format!(
                    "SELECT {PEER_COLUMNS} FROM peers ORDER BY name, node_id"
                ))
                .await?;
            Ok(c.query(&st, &[]).await?.iter().map(peer).collect())
        })
    }

    fn remove_peer(&self, node_id: &str) -> Result<bool, StoreError> {
        let n = exec(
            self,
            "DELETE FROM peers WHERE node_id = $1",
            vec![Box::new(node_id.to_owned())],
        )?;
        Ok(n > 0)
    }

    fn peer_failed(&self, node_id: &str, error: &str) -> Result<(), StoreError> {
        exec(
            self,
            "UPDATE peers SET last_error = $2, last_error_at = $3 WHERE node_id = $1",
            vec![
                Box::new(node_id.to_owned()),
                Box::new(error.to_owned()),
                Box::new(Timestamp::now_millis()),
            ],
        )?;
        Ok(())
    }

    fn peer_live(&self, node_id: &str, live: bool) -> Result<(), StoreError> {
        exec(
            self,
            "UPDATE peers SET live_since = $2 WHERE node_id = $1",
            vec![
                Box::new(node_id.to_owned()),
                Box::new(live.then(Timestamp::now_millis)),
            ],
        )?;
        Ok(())
    }

    fn peer_synced(&self, node_id: &str, head: i64) -> Result<(), StoreError> {
        exec(
            self,
            "UPDATE peers SET last_sync = $2, last_error = NULL, last_error_at = NULL, \
             head = $3 WHERE node_id = $1",
            vec![
                Box::new(node_id.to_owned()),
                Box::new(Timestamp::now_millis()),
                Box::new(head),
            ],
        )?;
        Ok(())
    }

    fn peer_refused(&self, node_id: &str, count: i64, reason: &str) -> Result<(), StoreError> {
        exec(
            self,
            "UPDATE peers SET refused = refused + $2, last_refusal = $3, last_refusal_at = $4, \
             last_error = $3, last_error_at = $4 WHERE node_id = $1",
            vec![
                Box::new(node_id.to_owned()),
                Box::new(count),
                Box::new(reason.to_owned()),
                Box::new(Timestamp::now_millis()),
            ],
        )?;
        Ok(())
    }

    fn ingest_received(
        &self,
        me: &str,
        peer: &str,
        objects: &[Object],
        provenance: &[Provenance],
        cursor: i64,
        head: i64,
    ) -> Result<Vec<Result<Outcome, Refusal>>, StoreError> {
        let rows = ingest::rows(objects);
        let provenance = provenance.to_vec();
        let (me, peer) = (me.to_owned(), peer.to_owned());
        self.write(move |mut c| async move {
            let now = Timestamp::now_millis();
            let tx = c.transaction().await?;
            // The lock first: the origin rules see what is held now, and nothing is
            // written between that read and this transaction's writes.
            tx.execute("SELECT pg_advisory_xact_lock($1)", &[&WRITE_LOCK])
                .await?;
            let ids: Vec<&str> = rows.iter().map(ingest::Row::id).collect();
            let mut held = held_origins(&tx, &ids).await?;
            let mut results: Vec<Option<Result<Outcome, Refusal>>> = Vec::with_capacity(rows.len());
            let mut accepted = Vec::with_capacity(rows.len());
            for (i, (row, p)) in rows.iter().zip(&provenance).enumerate() {
                let versions = held.entry(row.id().to_owned()).or_default();
                match check_origin(&me, row.id(), row.version(), &p.origin, versions) {
                    Ok(()) => {
                        // Later versions of the same call see this one as held.
                        versions.push(HeldOrigin {
                            version: row.version().to_owned(),
                            origin: Some(p.origin.clone()),
                        });
                        accepted.push(i);
                        results.push(None);
                    }
                    Err(refusal) => results.push(Some(Err(refusal))),
                }
            }
            let mut taken: Vec<Option<ingest::Row>> = rows.into_iter().map(Some).collect();
            let kept: Vec<ingest::Row> = accepted.iter().filter_map(|&i| taken[i].take()).collect();
            let outcomes = ingest::put_rows(&tx, &kept).await?;
            let put = tx
                .prepare_cached(&format!(
                    "INSERT INTO provenance (id, version, {PROVENANCE_COLUMNS}) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT DO NOTHING"
                ))
                .await?;
            let mut stored = 0i64;
            for ((&i, row), outcome) in accepted.iter().zip(&kept).zip(outcomes) {
                results[i] = Some(Ok(outcome));
                if !matches!(outcome, Outcome::New | Outcome::NewVersion) {
                    continue;
                }
                stored += 1;
                let p = &provenance[i];
                let r = p.redactor.as_ref();
                tx.execute(
                    &put,
                    &[
                        &row.id(),
                        &row.version(),
                        &p.origin,
                        &p.origin_key,
                        &p.signature,
                        &p.received_from,
                        &i64::from(p.hops_left),
                        &r.map(|r| &r.node),
                        &r.map(|r| &r.key),
                        &r.map(|r| &r.signature),
                    ],
                )
                .await?;
            }
            tx.execute(
                "UPDATE peers SET cursor = greatest(cursor, $2), head = greatest($3, $2), \
                 received = received + $4, last_sync = $5, last_error = NULL, \
                 last_error_at = NULL WHERE node_id = $1",
                &[&peer, &cursor, &head, &stored, &now],
            )
            .await?;
            tx.commit().await?;
            Ok(results.into_iter().flatten().collect())
        })
    }

    fn provenance(&self, id: &str, version: &str) -> Result<Option<Provenance>, StoreError> {
        let (id, version) = (id.to_owned(), version.to_owned());
        self.read(move |c| async move {
            let st = c
                .prepare_cached(&format!(
                    "SELECT {PROVENANCE_COLUMNS} FROM provenance WHERE id = $1 AND version = $2"
                ))
                .await?;
            Ok(c.query_opt(&st, &[&id, &version])
                .await?
                .map(|r| provenance_row(&r, 0)))
        })
    }

    fn provenance_between(
        &self,
        after: i64,
        upto: i64,
    ) -> Result<HashMap<i64, Provenance>, StoreError> {
        self.read(move |c| async move {
            let st = c
                .prepare_cached(
                    "SELECT v.seq, p.origin, p.origin_key, p.signature, p.received_from, \
                     p.hops_left, p.redactor, p.redactor_key, p.redactor_sig \
                     FROM versions v JOIN provenance p ON p.id = v.id AND p.version = v.version \
                     WHERE v.seq > $1 AND v.seq <= $2",
                )
                .await?;
            Ok(c.query(&st, &[&after, &upto])
                .await?
                .iter()
                .map(|r| (r.get(0), provenance_row(r, 1)))
                .collect())
        })
    }

    fn unsigned_local(
        &self,
        after: i64,
        limit: usize,
    ) -> Result<Vec<(i64, String, String, String)>, StoreError> {
        let limit = i64::try_from(limit.clamp(1, 100_000)).unwrap_or(100_000);
        self.read(move |c| async move {
            let st = c
                .prepare_cached(
                    "SELECT v.seq, v.id, v.version, v.json FROM versions v \
                     LEFT JOIN provenance p ON p.id = v.id AND p.version = v.version \
                     WHERE v.seq > $1 AND p.id IS NULL ORDER BY v.seq LIMIT $2",
                )
                .await?;
            Ok(c.query(&st, &[&after, &limit])
                .await?
                .iter()
                .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3)))
                .collect())
        })
    }

    fn put_local_signatures(
        &self,
        signed: &[(String, String, Provenance)],
    ) -> Result<(), StoreError> {
        if signed.is_empty() {
            return Ok(());
        }
        let signed = signed.to_vec();
        self.write(move |mut c| async move {
            let tx = c.transaction().await?;
            let put = tx
                .prepare_cached(
                    "INSERT INTO provenance (id, version, origin, origin_key, signature, \
                     received_from, hops_left) VALUES ($1, $2, $3, $4, $5, '', $6) \
                     ON CONFLICT DO NOTHING",
                )
                .await?;
            for (id, version, p) in &signed {
                tx.execute(
                    &put,
                    &[
                        id,
                        version,
                        &p.origin,
                        &p.origin_key,
                        &p.signature,
                        &i64::from(p.hops_left),
                    ],
                )
                .await?;
            }
            tx.commit().await?;
            Ok(())
        })
    }

    fn append_audit(&self, entries: &[AuditEntry]) -> Result<(), StoreError> {
        if entries.is_empty() {
            return Ok(());
        }
        let entries = entries.to_vec();
        self.write(move |mut c| async move {
            let tx = c.transaction().await?;
            // One chain whoever appends: the next entry is computed under the lock.
            tx.execute("SELECT pg_advisory_xact_lock($1)", &[&WRITE_LOCK])
                .await?;
            let (mut n, mut prev): (i64, String) = tx
                .query_opt("SELECT n, hash FROM audit ORDER BY n DESC LIMIT 1", &[])
                .await?
                .map_or((0, AUDIT_GENESIS.to_owned()), |r| (r.get(0), r.get(1)));
            let at = Timestamp::now_millis();
            let put = tx
                .prepare_cached(
                    "INSERT INTO audit (n, at, peer, object_id, version, verdict, agreement, \
                     reasons, prev, hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
                )
                .await?;
            for e in &entries {
                n += 1;
                let hash = audit_hash(&prev, n, &at, e);
                tx.execute(
                    &put,
                    &[
                        &n,
                        &at,
                        &e.peer,
                        &e.object_id,
                        &e.version,
                        &e.verdict,
                        &e.agreement,
                        &e.reasons.to_string(),
                        &prev,
                        &hash,
                    ],
                )
                .await?;
                prev = hash;
            }
            tx.commit().await?;
            Ok(())
        })
    }

    fn audit(
        &self,
        peer: Option<&str>,
        after: i64,
        limit: usize,
    ) -> Result<Vec<AuditRecord>, StoreError> {
        let limit = i64::try_from(limit.clamp(1, 100_000)).unwrap_or(100_000);
        let peer = peer.map(str::to_owned);
        self.read(move |c| async move {
            let cols = "n, at, peer, object_id, version, verdict, agreement, reasons, prev, hash";
            let rows = match peer {
                Some(p) => {
                    let st = c
                        .prepare_cached(&format!(
                            "SELECT {cols} FROM audit WHERE peer = $1 AND n > $2 ORDER BY n \
                             LIMIT $3"
                        ))
                        .await?;
                    c.query(&st, &[&p, &after, &limit]).await?
                }
                None => {
                    let st = c
                        .prepare_cached(&format!(
                            "SELECT {cols} FROM audit WHERE n > $1 ORDER BY n LIMIT $2"
                        ))
                        .await?;
                    c.query(&st, &[&after, &limit]).await?
                }
            };
            Ok(rows.iter().map(audit_record).collect())
        })
    }

    fn audit_sent_since(&self, peer: &str, since: &str) -> Result<u64, StoreError> {
        let (peer, since) = (peer.to_owned(), since.to_owned());
        self.read(move |c| async move {
            let n: i64 = c
                .query_one(
                    "SELECT count(*) FROM audit WHERE peer = $1 AND at >= $2 \
                     AND verdict IN ('send', 'send-redacted')",
                    &[&peer, &since],
                )
                .await?
                .get(0);
            Ok(u64::try_from(n).unwrap_or(0))
        })
    }

    fn head_seq(&self) -> Result<i64, StoreError> {
        self.read(|c| async move {
            Ok(
                c.query_one("SELECT coalesce(max(seq), 0) FROM versions", &[])
                    .await?
                    .get(0),
            )
        })
    }
}
