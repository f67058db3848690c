//! Deleting an object (TAXII `DELETE`): every version of an id, their markings and the
//! derived index rows of the versions the indexer has reflected, in one transaction on a
//! connection that sees both the main and the index database.

use rusqlite::{Connection, TransactionBehavior, params};
use serde_json::{Map, Value};

use super::schema::id_key;
use crate::StoreError;

/// Deletes every version of `id`; returns how many were removed.
pub(super) fn delete(c: &mut Connection, id: &str) -> Result<usize, StoreError> {
    let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let key = id_key(id);
    let versions: Vec<(i64, String, String)> = {
        let mut st = tx.prepare_cached(
            "SELECT seq, type, json FROM main.versions WHERE id_key = ?1 AND id = ?2",
        )?;
        let rows = st.query_map(params![key, id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
        rows.collect::<Result<_, _>>()?
    };
    if versions.is_empty() {
        return Ok(0);
    }
    let indexed: i64 = tx.query_row("SELECT indexed_seq FROM idx.state", [], |r| r.get(0))?;
    {
        let mut markings = tx.prepare_cached("DELETE FROM main.markings WHERE seq = ?1")?;
        let mut search = tx.prepare_cached("DELETE FROM idx.search WHERE rowid = ?1")?;
        let mut in_search = tx.prepare_cached("SELECT 1 FROM idx.search WHERE rowid = ?1")?;
        let mut obs = tx.prepare_cached(
            "DELETE FROM idx.observables WHERE kind = ?1 AND value = ?2 AND id = ?3",
        )?;
        for (seq, ty, json) in &versions {
            markings.execute([seq])?;
            // Versions past the indexer's cursor were never reflected, and the indexer
            // will not see them any more. Observable rows of reflected versions that a
            // later version replaced are gone; deleting them again is harmless. FTS5 rows
            // are deleted only if present: deleting an absent rowid corrupts its totals.
            if *seq <= indexed {
                if in_search.exists([seq])? {
                    search.execute([seq])?;
                }
                let map: Map<String, Value> =
                    serde_json::from_str(json).map_err(|e| StoreError::Corrupt {
                        id: id.to_owned(),
                        reason: e.to_string(),
                    })?;
                for o in crate::observables::of(ty, &map) {
                    obs.execute(params![o.kind, o.value, id])?;
                }
            }
        }
        tx.execute("DELETE FROM idx.refs WHERE source = ?1", [id])?;
    }
    tx.execute(
        "DELETE FROM main.versions WHERE id_key = ?1 AND id = ?2",
        params![key, id],
    )?;
    tx.commit()?;
    Ok(versions.len())
}
