//! Writing a batch of objects: outcome rules, the current-version flag and markings, in
//! one transaction, each version with its own `date_added` (see [`crate::date_added`]).
//! The derived indexes are the indexer's job (see [`super::indexer`]).

use chrono::{DateTime, Utc};
use concord_stix::{Object, Tlp};
use rusqlite::{
    CachedStatement, Connection, OptionalExtension, Transaction, TransactionBehavior, params,
};

use super::schema::id_key;
use crate::{Outcome, StoreError};

/// An object with everything the writer needs computed beforehand (outside the lock).
pub(super) struct Row<'a> {
    obj: &'a Object,
    key: i64,
    /// The canonical text, borrowed from the object (bound to the insert without a copy).
    json: &'a str,
}

impl<'a> Row<'a> {
    pub(super) fn new(obj: &'a Object) -> Self {
        Row {
            obj,
            key: id_key(obj.id()),
            json: obj.canonical_str(),
        }
    }
}

/// A held version of an id.
struct Held {
    seq: i64,
    version: String,
    version_ns: i64,
    current: bool,
}

/// The statements of a write transaction (from the connection's statement cache, so a
/// bulk session's many batches prepare them once).
struct Writer<'c> {
    held: CachedStatement<'c>,
    json_of: CachedStatement<'c>,
    insert: CachedStatement<'c>,
    marking: CachedStatement<'c>,
    demote: CachedStatement<'c>,
    /// The `date_added` of the last version written (in the database or by this writer).
    last_added: Option<DateTime<Utc>>,
    /// The clock, read once per batch.
    now: DateTime<Utc>,
}

impl<'c> Writer<'c> {
    fn new(tx: &'c Connection) -> rusqlite::Result<Self> {
        Ok(Writer {
            held: tx.prepare_cached(
                "SELECT seq, version, version_ns, is_current FROM versions \
                 WHERE id_key = ?1 AND id = ?2",
            )?,
            json_of: tx.prepare_cached("SELECT json FROM versions WHERE seq = ?1")?,
            insert: tx.prepare_cached(
                "INSERT INTO versions (id_key, id, type, version, version_ns, created, modified, \
                 spec_version, created_by_ref, revoked, confidence, lang, date_added, \
                 is_current, replaces, json, tlp, tlp_max) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, \
                 ?17, ?18)",
            )?,
            marking: tx.prepare_cached(
                "INSERT OR IGNORE INTO markings (seq, marking_ref) VALUES (?1, ?2)",
            )?,
            demote: tx.prepare_cached("UPDATE versions SET is_current = 0 WHERE seq = ?1")?,
            last_added: last_added(tx)?,
            now: Utc::now(),
        })
    }

    /// The next version's `date_added`.
    fn tick(&mut self) -> String {
        let t = crate::date_added::next(self.last_added, self.now);
        self.last_added = Some(t);
        crate::date_added::format(t)
    }

    fn put(&mut self, row: &Row<'_>) -> Result<Outcome, StoreError> {
        let obj = row.obj;
        let id = obj.id();
        let cols = obj.columns();
        let version = cols.version();
        let held: Vec<Held> = self
            .held
            .query_map(params![row.key, id], |r| {
                Ok(Held {
                    seq: r.get(0)?,
                    version: r.get(1)?,
                    version_ns: r.get(2)?,
                    current: r.get(3)?,
                })
            })?
            .collect::<Result<_, _>>()?;
        if let Some(same) = held.iter().find(|h| h.version == version) {
            let json: String = self.json_of.query_row([same.seq], |r| r.get(0))?;
            return Ok(if json == row.json {
                Outcome::Unchanged
            } else {
                Outcome::Conflict
            });
        }
        let current = held.iter().find(|h| h.current);
        let becomes_current = current.is_none_or(|c| obj.version_nanos() > c.version_ns);
        // The demoted version's derived index rows are taken away by the indexer when it
        // reaches this version (`replaces`).
        let replaces = if becomes_current && let Some(old) = current {
            self.demote.execute([old.seq])?;
            Some(old.seq)
        } else {
            None
        };
        let date_added = self.tick();
        // The version's levels as the visibility rule sees them (`schema::V3`).
        let tlp = Tlp::strictest(cols.marking_refs.iter().copied()).unwrap_or(Tlp::Clear);
        let tlp_max = tlp.max(cols.granular_level);
        let seq = self.insert.insert(params![
            row.key,
            id,
            obj.type_name(),
            version,
            obj.version_nanos(),
            cols.created,
            cols.modified,
            cols.spec_version,
            cols.created_by_ref,
            cols.revoked,
            cols.confidence,
            cols.lang,
            date_added,
            becomes_current,
            replaces,
            row.json,
            tlp.rank(),
            tlp_max.rank(),
        ])?;
        for m in &cols.marking_refs {
            self.marking.execute(params![seq, m])?;
        }
        Ok(if held.is_empty() {
            Outcome::New
        } else {
            Outcome::NewVersion
        })
    }
}

/// Stores `rows` in one immediate transaction; one outcome per row.
pub(super) fn ingest(conn: &mut Connection, rows: &[Row<'_>]) -> Result<Vec<Outcome>, StoreError> {
    ingest_then(conn, rows, |_, _| Ok(()))
}

/// Stores `rows` and then runs `then` with the outcomes, in the same transaction (so what
/// `then` writes is committed with the objects or not at all).
pub(super) fn ingest_then(
    conn: &mut Connection,
    rows: &[Row<'_>],
    then: impl FnOnce(&Transaction<'_>, &[Outcome]) -> Result<(), StoreError>,
) -> Result<Vec<Outcome>, StoreError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let out = put_rows(&tx, rows)?;
    then(&tx, &out)?;
    tx.commit()?;
    Ok(out)
}

/// Writes `rows` in the transaction open on `conn` (the caller begins and commits it);
/// one outcome per row. Rows written earlier in the same transaction count as held.
/// Each version written gets a `date_added` later than the last one in the database
/// (read in this transaction, so writers of other processes count too), which is kept in
/// `store_meta` so that deleting the newest versions never lets it go back.
pub(super) fn put_rows(conn: &Connection, rows: &[Row<'_>]) -> Result<Vec<Outcome>, StoreError> {
    let mut w = Writer::new(conn)?;
    let before = w.last_added;
    let out = rows
        .iter()
        .map(|row| w.put(row))
        .collect::<Result<_, _>>()?;
    if w.last_added != before
        && let Some(last) = w.last_added
    {
        conn.prepare_cached(
            "INSERT INTO store_meta (key, value) VALUES ('date_added_last', ?1) \
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        )?
        .execute([crate::date_added::format(last)])?;
    }
    Ok(out)
}

/// The latest `date_added` of the database: the one kept in `store_meta`, or that of the
/// last version (a database written by an older version of Concord has none kept, or
/// an older one).
fn last_added(conn: &Connection) -> rusqlite::Result<Option<DateTime<Utc>>> {
    let kept: Option<String> = conn
        .prepare_cached("SELECT value FROM store_meta WHERE key = 'date_added_last'")?
        .query_row([], |r| r.get(0))
        .optional()?;
    let newest: Option<String> = conn
        .prepare_cached("SELECT date_added FROM versions ORDER BY seq DESC LIMIT 1")?
        .query_row([], |r| r.get(0))
        .optional()?;
    Ok(crate::date_added::latest(
        kept.iter().chain(&newest).map(String::as_str),
    ))
}
