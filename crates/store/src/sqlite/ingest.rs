//! Writing a batch of objects: outcome rules, the current-version flag and the derived
//! indexes (markings, observables, references, full-text) in one transaction.

use concord_stix::{Object, Observable, Reference, Timestamp};
use rusqlite::{Connection, Statement, Transaction, TransactionBehavior, params};

use crate::{Outcome, StoreError};

/// An object with everything the writer needs computed beforehand (outside the lock).
pub(super) struct Row<'a> {
    obj: &'a Object,
    json: String,
    search: String,
    observables: Vec<Observable>,
    refs: Vec<Reference>,
}

impl<'a> Row<'a> {
    pub(super) fn new(obj: &'a Object) -> Self {
        Row {
            obj,
            json: obj.canonical_json(),
            search: obj.search_text(),
            observables: obj.observables(),
            refs: obj.references(),
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

/// The statements of one write transaction, prepared once per batch.
struct Writer<'c> {
    held: Statement<'c>,
    json_of: Statement<'c>,
    insert: Statement<'c>,
    marking: Statement<'c>,
    demote: Statement<'c>,
    obs_add: Statement<'c>,
    obs_del: Statement<'c>,
    refs_add: Statement<'c>,
    refs_del: Statement<'c>,
    search_add: Statement<'c>,
    search_del: Statement<'c>,
}

impl<'c> Writer<'c> {
    fn new(tx: &'c Transaction<'_>) -> rusqlite::Result<Self> {
        Ok(Writer {
            held: tx.prepare("SELECT seq, version, version_ns, is_current FROM versions WHERE id = ?1")?,
            json_of: tx.prepare("SELECT type, json FROM versions WHERE seq = ?1")?,
            insert: tx.prepare(
                "INSERT INTO versions (id, type, version, version_ns, created, modified, \
                 spec_version, created_by_ref, revoked, confidence, lang, date_added, \
                 is_current, json) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
            )?,
            marking: tx.prepare("INSERT OR IGNORE INTO markings (seq, marking_ref) VALUES (?1, ?2)")?,
            demote: tx.prepare("UPDATE versions SET is_current = 0 WHERE seq = ?1")?,
            obs_add: tx
                .prepare("INSERT OR IGNORE INTO observables (kind, value, id) VALUES (?1, ?2, ?3)")?,
            obs_del: tx.prepare("DELETE FROM observables WHERE kind = ?1 AND value = ?2 AND id = ?3")?,
            refs_add: tx
                .prepare("INSERT OR REPLACE INTO refs (source, path, target) VALUES (?1, ?2, ?3)")?,
            refs_del: tx.prepare("DELETE FROM refs WHERE source = ?1")?,
            search_add: tx.prepare("INSERT INTO search (rowid, text) VALUES (?1, ?2)")?,
            search_del: tx.prepare("DELETE FROM search WHERE rowid = ?1")?,
        })
    }

    fn put(&mut self, row: &Row<'_>, now: &str) -> Result<Outcome, StoreError> {
        let obj = row.obj;
        let id = obj.id();
        let held: Vec<Held> = self
            .held
            .query_map([id], |r| {
                Ok(Held {
                    seq: r.get(0)?,
                    version: r.get(1)?,
                    version_ns: r.get(2)?,
                    current: r.get(3)?,
                })
            })?
            .collect::<Result<_, _>>()?;
        if let Some(same) = held.iter().find(|h| h.version == obj.version()) {
            let (_, json): (String, String) = self
                .json_of
                .query_row([same.seq], |r| Ok((r.get(0)?, r.get(1)?)))?;
            return Ok(if json == row.json {
                Outcome::Unchanged
            } else {
                Outcome::Conflict
            });
        }
        let current = held.iter().find(|h| h.current);
        let becomes_current = current.is_none_or(|c| obj.version_nanos() > c.version_ns);
        if becomes_current && let Some(old) = current {
            self.retire(old.seq, id)?;
        }
        let seq = self.insert.insert(params![
            id,
            obj.type_name(),
            obj.version(),
            obj.version_nanos(),
            obj.str("created"),
            obj.str("modified"),
            obj.spec_version(),
            obj.created_by_ref(),
            obj.revoked(),
            obj.confidence(),
            obj.lang(),
            now,
            becomes_current,
            row.json,
        ])?;
        for m in obj.marking_refs() {
            self.marking.execute(params![seq, m])?;
        }
        if becomes_current {
            for o in &row.observables {
                self.obs_add.execute(params![o.kind, o.value, id])?;
            }
            for r in &row.refs {
                self.refs_add.execute(params![id, r.path, r.target])?;
            }
            if !row.search.is_empty() {
                self.search_add.execute(params![seq, row.search])?;
            }
        }
        Ok(if held.is_empty() {
            Outcome::New
        } else {
            Outcome::NewVersion
        })
    }

    /// Takes the derived index rows of the version `seq` of `id` away: a newer version
    /// becomes current.
    fn retire(&mut self, seq: i64, id: &str) -> Result<(), StoreError> {
        self.demote.execute([seq])?;
        let (ty, json): (String, String) = self
            .json_of
            .query_row([seq], |r| Ok((r.get(0)?, r.get(1)?)))?;
        let map: serde_json::Map<String, serde_json::Value> =
            serde_json::from_str(&json).map_err(|e| StoreError::Corrupt {
                id: id.to_owned(),
                reason: e.to_string(),
            })?;
        for o in concord_stix::observable::extract(&ty, &map) {
            self.obs_del.execute(params![o.kind, o.value, id])?;
        }
        self.refs_del.execute([id])?;
        self.search_del.execute([seq])?;
        Ok(())
    }
}

/// Stores `rows` in one immediate transaction; one outcome per row.
pub(super) fn ingest(conn: &mut Connection, rows: &[Row<'_>]) -> Result<Vec<Outcome>, StoreError> {
    let now = Timestamp::now_millis();
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let mut out = Vec::with_capacity(rows.len());
    {
        let mut w = Writer::new(&tx)?;
        for row in rows {
            out.push(w.put(row, &now)?);
        }
    }
    tx.commit()?;
    Ok(out)
}
