//! Federation tables in SQLite: peers, provenance of received versions, the audit chain.

use concord_stix::{Object, Timestamp};
use rusqlite::{OptionalExtension, Row, params};

use super::schema::id_key;
use super::{SqliteStore, ingest};
use crate::federation::{
    AUDIT_GENESIS, AuditEntry, AuditRecord, FederationStore, HeldOrigin, PeerRecord, Provenance,
    Redactor, Refusal, audit_hash, check_origin,
};
use crate::{Outcome, StoreError};

/// Tables of this module, created if missing each time a database is opened.
pub(super) const DDL: &str = "
CREATE TABLE IF NOT EXISTS peers (
    node_id       TEXT PRIMARY KEY,
    name          TEXT NOT NULL,
    url           TEXT NOT NULL,
    public_key    TEXT NOT NULL,
    country       TEXT,
    sectors       TEXT NOT NULL DEFAULT '[]',
    agreement     TEXT,
    added         TEXT NOT NULL,
    cursor        INTEGER NOT NULL DEFAULT 0,
    head          INTEGER NOT NULL DEFAULT 0,
    last_sync     TEXT,
    last_error    TEXT,
    last_error_at TEXT,
    received      INTEGER NOT NULL DEFAULT 0,
    live_since    TEXT,
    refused       INTEGER NOT NULL DEFAULT 0,
    last_refusal  TEXT,
    last_refusal_at TEXT
);
CREATE TABLE IF NOT EXISTS provenance (
    id            TEXT NOT NULL,
    version       TEXT NOT NULL,
    origin        TEXT NOT NULL,
    origin_key    TEXT NOT NULL,
    signature     TEXT NOT NULL,
    received_from TEXT NOT NULL,
    hops_left     INTEGER NOT NULL,
    redactor      TEXT,
    redactor_key  TEXT,
    redactor_sig  TEXT,
    PRIMARY KEY (id, version)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS audit (
    n         INTEGER PRIMARY KEY,
    at        TEXT NOT NULL,
    peer      TEXT NOT NULL,
    object_id TEXT NOT NULL,
    version   TEXT NOT NULL,
    verdict   TEXT NOT NULL,
    agreement TEXT,
    reasons   TEXT NOT NULL,
    prev      TEXT NOT NULL,
    hash      TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS audit_peer ON audit (peer, n);
";

/// Columns added after the tables first shipped: (table, column, declaration); an open
/// adds those missing.
pub(super) const ADDED_COLUMNS: &[(&str, &str, &str)] = &[
    ("peers", "live_since", "TEXT"),
    ("peers", "insecure_http", "INTEGER NOT NULL DEFAULT 0"),
    ("peers", "refused", "INTEGER NOT NULL DEFAULT 0"),
    ("peers", "last_refusal", "TEXT"),
    ("peers", "last_refusal_at", "TEXT"),
];

const PEER_COLUMNS: &str = "node_id, name, url, public_key, country, sectors, agreement, added, \
    cursor, head, last_sync, last_error, last_error_at, received, live_since, insecure_http, \
    refused, last_refusal, last_refusal_at";

fn peer(r: &Row<'_>) -> rusqlite::Result<PeerRecord> {
    let sectors: String = r.get(5)?;
    Ok(PeerRecord {
        node_id: r.get(0)?,
        name: r.get(1)?,
        url: r.get(2)?,
        public_key: r.get(3)?,
        country: r.get(4)?,
        sectors: serde_json::from_str(&sectors).unwrap_or_default(),
        agreement: r.get(6)?,
        added: r.get(7)?,
        cursor: r.get(8)?,
        head: r.get(9)?,
        last_sync: r.get(10)?,
        last_error: r.get(11)?,
        last_error_at: r.get(12)?,
        received: r.get(13)?,
        live_since: r.get(14)?,
        insecure_http: r.get(15)?,
        refused: r.get(16)?,
        last_refusal: r.get(17)?,
        last_refusal_at: r.get(18)?,
    })
}

/// A provenance from the row's columns starting at `at` (origin, origin_key, signature,
/// received_from, hops_left, redactor, redactor_key, redactor_sig).
fn provenance_row(r: &Row<'_>, at: usize) -> rusqlite::Result<Provenance> {
    let redactor: Option<String> = r.get(at + 5)?;
    Ok(Provenance {
        origin: r.get(at)?,
        origin_key: r.get(at + 1)?,
        signature: r.get(at + 2)?,
        received_from: r.get(at + 3)?,
        hops_left: r.get(at + 4)?,
        redactor: match redactor {
            Some(node) => Some(Redactor {
                node,
                key: r.get(at + 6)?,
                signature: r.get(at + 7)?,
            }),
            None => None,
        },
    })
}

fn audit_record(r: &Row<'_>) -> rusqlite::Result<AuditRecord> {
    let reasons: String = r.get(7)?;
    Ok(AuditRecord {
        n: r.get(0)?,
        at: r.get(1)?,
        entry: AuditEntry {
            peer: r.get(2)?,
            object_id: r.get(3)?,
            version: r.get(4)?,
            verdict: r.get(5)?,
            agreement: r.get(6)?,
            reasons: serde_json::from_str(&reasons).unwrap_or(serde_json::Value::Null),
        },
        prev: r.get(8)?,
        hash: r.get(9)?,
    })
}

impl FederationStore for SqliteStore {
    fn put_peer(&self, p: &PeerRecord) -> Result<(), StoreError> {
        let sectors = serde_json::to_string(&p.sectors).unwrap_or_else(|_| "[]".into());
        let added = if p.added.is_empty() {
            Timestamp::now_millis()
        } else {
            p.added.clone()
        };
        self.write(|c| {
            c.execute(
                "INSERT INTO peers (node_id, name, url, public_key, country, sectors, agreement, added, \
                 insecure_http) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) \
                 ON CONFLICT (node_id) DO UPDATE SET name = excluded.name, url = excluded.url, \
                 public_key = excluded.public_key, country = excluded.country, \
                 sectors = excluded.sectors, agreement = excluded.agreement, \
                 insecure_http = excluded.insecure_http",
                params![
                    p.node_id,
                    p.name,
                    p.url,
                    p.public_key,
                    p.country,
                    sectors,
                    p.agreement,
                    added,
                    p.insecure_http
                ],
            )?;
            Ok(())
        })
    }

    fn peers(&self) -> Result<Vec<PeerRecord>, StoreError> {
        self.read(|c| {
            let mut st = c.prepare_cached(&format!(
                "SELECT {PEER_COLUMNS} FROM peers ORDER BY name, node_id"
            ))?;
            let rows = st.query_map([], peer)?;
            Ok(rows.collect::<Result<_, _>>()?)
        })
    }

    fn remove_peer(&self, node_id: &str) -> Result<bool, StoreError> {
        self.write(|c| Ok(c.execute("DELETE FROM peers WHERE node_id = ?1", [node_id])? > 0))
    }

    fn peer_failed(&self, node_id: &str, error: &str) -> Result<(), StoreError> {
        self.write(|c| {
            c.execute(
                "UPDATE peers SET last_error = ?2, last_error_at = ?3 WHERE node_id = ?1",
                params![node_id, error, Timestamp::now_millis()],
            )?;
            Ok(())
        })
    }

    fn peer_live(&self, node_id: &str, live: bool) -> Result<(), StoreError> {
        self.write(|c| {
            c.execute(
                "UPDATE peers SET live_since = ?2 WHERE node_id = ?1",
                params![node_id, live.then(Timestamp::now_millis)],
            )?;
            Ok(())
        })
    }

    fn peer_synced(&self, node_id: &str, head: i64) -> Result<(), StoreError> {
        self.write(|c| {
            c.execute(
                "UPDATE peers SET last_sync = ?2, last_error = NULL, last_error_at = NULL, \
                 head = ?3 WHERE node_id = ?1",
                params![node_id, Timestamp::now_millis(), head],
            )?;
            Ok(())
        })
    }

    fn peer_refused(&self, node_id: &str, count: i64, reason: &str) -> Result<(), StoreError> {
        self.write(|c| {
            c.execute(
                "UPDATE peers SET refused = refused + ?2, last_refusal = ?3, last_refusal_at = ?4, \
                 last_error = ?3, last_error_at = ?4 WHERE node_id = ?1",
                params![node_id, count, reason, Timestamp::now_millis()],
            )?;
            Ok(())
        })
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
        let results = self.write(|c| {
            let now = Timestamp::now_millis();
            let tx = c.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            let mut results: Vec<Option<Result<Outcome, Refusal>>> =
                Vec::with_capacity(objects.len());
            let mut accepted = Vec::with_capacity(objects.len());
            {
                // The origin rules see what is held now, in this transaction, and what
                // this call accepted before (a page may hold several versions of an id).
                let mut held_of = tx.prepare_cached(
                    "SELECT v.version, CASE WHEN p.id IS NULL OR p.received_from = '' \
                     THEN NULL ELSE p.origin END \
                     FROM versions v LEFT JOIN provenance p ON p.id = v.id AND p.version = v.version \
                     WHERE v.id_key = ?1 AND v.id = ?2",
                )?;
                let mut this_call: std::collections::HashMap<&str, Vec<HeldOrigin>> =
                    std::collections::HashMap::new();
                for (i, (obj, p)) in objects.iter().zip(provenance).enumerate() {
                    let id = obj.id();
                    let mut held = held_of
                        .query_map(params![id_key(id), id], |r| {
                            Ok(HeldOrigin {
                                version: r.get(0)?,
                                origin: r.get(1)?,
                            })
                        })?
                        .collect::<Result<Vec<_>, _>>()?;
                    if let Some(earlier) = this_call.get(id) {
                        held.extend(earlier.iter().cloned());
                    }
                    match check_origin(me, id, obj.version(), &p.origin, &held) {
                        Ok(()) => {
                            this_call.entry(id).or_default().push(HeldOrigin {
                                version: obj.version().to_owned(),
                                origin: Some(p.origin.clone()),
                            });
                            accepted.push(i);
                            results.push(None);
                        }
                        Err(refusal) => results.push(Some(Err(refusal))),
                    }
                }
                let rows: Vec<ingest::Row<'_>> = accepted
                    .iter()
                    .map(|&i| ingest::Row::new(&objects[i]))
                    .collect();
                let outcomes = ingest::put_rows(&tx, &rows)?;
                let mut put = tx.prepare_cached(
                    "INSERT OR IGNORE INTO provenance (id, version, origin, origin_key, signature, \
                     received_from, hops_left, redactor, redactor_key, redactor_sig) \
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                )?;
                let mut stored = 0i64;
                for (&i, outcome) in accepted.iter().zip(outcomes) {
                    results[i] = Some(Ok(outcome));
                    if !matches!(outcome, Outcome::New | Outcome::NewVersion) {
                        continue;
                    }
                    stored += 1;
                    let (obj, p) = (&objects[i], &provenance[i]);
                    let r = p.redactor.as_ref();
                    put.execute(params![
                        obj.id(),
                        obj.version(),
                        p.origin,
                        p.origin_key,
                        p.signature,
                        p.received_from,
                        p.hops_left,
                        r.map(|r| &r.node),
                        r.map(|r| &r.key),
                        r.map(|r| &r.signature),
                    ])?;
                }
                tx.execute(
                    "UPDATE peers SET cursor = max(cursor, ?2), head = max(?3, ?2), \
                     received = received + ?4, last_sync = ?5, last_error = NULL, \
                     last_error_at = NULL WHERE node_id = ?1",
                    params![peer, cursor, head, stored, now],
                )?;
            }
            tx.commit()?;
            Ok(results.into_iter().flatten().collect::<Vec<_>>())
        })?;
        if let Some(bg) = &self.indexer {
            bg.notify();
        }
        Ok(results)
    }

    fn provenance(&self, id: &str, version: &str) -> Result<Option<Provenance>, StoreError> {
        self.read(|c| {
            let mut st = c.prepare_cached(
                "SELECT origin, origin_key, signature, received_from, hops_left, redactor, \
                 redactor_key, redactor_sig FROM provenance WHERE id = ?1 AND version = ?2",
            )?;
            Ok(st
                .query_row(params![id, version], |r| provenance_row(r, 0))
                .optional()?)
        })
    }

    fn provenance_between(
        &self,
        after: i64,
        upto: i64,
    ) -> Result<std::collections::HashMap<i64, Provenance>, StoreError> {
        self.read(|c| {
            let mut st = c.prepare_cached(
                "SELECT v.seq, p.origin, p.origin_key, p.signature, p.received_from, p.hops_left, \
                 p.redactor, p.redactor_key, p.redactor_sig \
                 FROM versions v JOIN provenance p ON p.id = v.id AND p.version = v.version \
                 WHERE v.seq > ?1 AND v.seq <= ?2",
            )?;
            let rows = st.query_map(params![after, upto], |r| {
                Ok((r.get::<_, i64>(0)?, provenance_row(r, 1)?))
            })?;
            Ok(rows.collect::<Result<_, _>>()?)
        })
    }

    fn unsigned_local(
        &self,
        after: i64,
        limit: usize,
    ) -> Result<Vec<(i64, String, String, String)>, StoreError> {
        let limit = i64::try_from(limit.clamp(1, 100_000)).unwrap_or(100_000);
        self.read(|c| {
            // The limit is part of the SQL, not a parameter (see `query::list_sql`).
            let mut st = c.prepare_cached(&format!(
                "SELECT v.seq, v.id, v.version, v.json FROM versions v \
                 LEFT JOIN provenance p ON p.id = v.id AND p.version = v.version \
                 WHERE v.seq > ?1 AND p.id IS NULL ORDER BY v.seq LIMIT {limit}"
            ))?;
            let rows = st.query_map(params![after], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
            })?;
            Ok(rows.collect::<Result<_, _>>()?)
        })
    }

    fn put_local_signatures(
        &self,
        signed: &[(String, String, Provenance)],
    ) -> Result<(), StoreError> {
        if signed.is_empty() {
            return Ok(());
        }
        self.write(|c| {
            let tx = c.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            {
                let mut put = tx.prepare_cached(
                    "INSERT OR IGNORE INTO provenance (id, version, origin, origin_key, signature, \
                     received_from, hops_left) VALUES (?1, ?2, ?3, ?4, ?5, '', ?6)",
                )?;
                for (id, version, p) in signed {
                    put.execute(params![
                        id,
                        version,
                        p.origin,
                        p.origin_key,
                        p.signature,
                        p.hops_left
                    ])?;
                }
            }
            tx.commit()?;
            Ok(())
        })
    }

    fn append_audit(&self, entries: &[AuditEntry]) -> Result<(), StoreError> {
        if entries.is_empty() {
            return Ok(());
        }
        self.write(|c| {
            let tx = c.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            {
                let (mut n, mut prev): (i64, String) = tx
                    .query_row(
                        "SELECT n, hash FROM audit ORDER BY n DESC LIMIT 1",
                        [],
                        |r| Ok((r.get(0)?, r.get(1)?)),
                    )
                    .optional()?
                    .unwrap_or((0, AUDIT_GENESIS.to_owned()));
                let at = Timestamp::now_millis();
                let mut put = tx.prepare_cached(
                    "INSERT INTO audit (n, at, peer, object_id, version, verdict, agreement, \
                     reasons, prev, hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                )?;
                for e in entries {
                    n += 1;
                    let hash = audit_hash(&prev, n, &at, e);
                    put.execute(params![
                        n,
                        at,
                        e.peer,
                        e.object_id,
                        e.version,
                        e.verdict,
                        e.agreement,
                        e.reasons.to_string(),
                        prev,
                        hash
                    ])?;
                    prev = hash;
                }
            }
            tx.commit()?;
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
        self.read(|c| {
            let cols = "n, at, peer, object_id, version, verdict, agreement, reasons, prev, hash";
            let rows = match peer {
                Some(p) => {
                    let mut st = c.prepare_cached(&format!(
                        "SELECT {cols} FROM audit WHERE peer = ?1 AND n > ?2 ORDER BY n \
                         LIMIT {limit}"
                    ))?;
                    st.query_map(params![p, after], audit_record)?
                        .collect::<Result<Vec<_>, _>>()?
                }
                None => {
                    let mut st = c.prepare_cached(&format!(
                        "SELECT {cols} FROM audit WHERE n > ?1 ORDER BY n LIMIT {limit}"
                    ))?;
                    st.query_map(params![after], audit_record)?
                        .collect::<Result<Vec<_>, _>>()?
                }
            };
            Ok(rows)
        })
    }

    fn audit_sent_since(&self, peer: &str, since: &str) -> Result<u64, StoreError> {
        self.read(|c| {
            let n: i64 = c.query_row(
                "SELECT count(*) FROM audit WHERE peer = ?1 AND at >= ?2 \
                 AND verdict IN ('send', 'send-redacted')",
                params![peer, since],
                |r| r.get(0),
            )?;
            Ok(u64::try_from(n).unwrap_or(0))
        })
    }

    fn head_seq(&self) -> Result<i64, StoreError> {
        self.read(|c| {
            Ok(
                c.query_row("SELECT coalesce(max(seq), 0) FROM versions", [], |r| {
                    r.get(0)
                })?,
            )
        })
    }
}
