//! The object graph: correlations (shared observable values) and relationships
//! (`*_ref(s)` properties, relationship and sighting SROs), both over current versions.

use rusqlite::{Connection, OptionalExtension, params};

use super::schema::id_key;

use crate::{Correlation, Related, StoreError};

/// At most this many other objects are returned per shared value (a value such as a
/// public resolver's address may be carried by a large share of the store).
pub const CORRELATIONS_PER_VALUE: i64 = 1_000;
/// At most this many references are returned per direction (every object marked TLP:GREEN
/// refers to the same marking definition).
pub const RELATED_PER_DIRECTION: i64 = 10_000;

/// The type part of an id (`indicator--...` -> `indicator`).
fn type_of(id: &str) -> &str {
    id.split_once("--").map_or(id, |(t, _)| t)
}

/// The current version's type and canonical JSON.
fn current_json(c: &Connection, id: &str) -> Result<Option<(String, String)>, StoreError> {
    let mut st = c.prepare_cached(
        "SELECT type, json FROM versions WHERE id_key = ?1 AND id = ?2 AND is_current = 1",
    )?;
    Ok(st
        .query_row(params![id_key(id), id], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?)
}

pub(super) fn correlations(c: &Connection, id: &str) -> Result<Vec<Correlation>, StoreError> {
    let Some((ty, json)) = current_json(c, id)? else {
        return Ok(Vec::new());
    };
    let map: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(&json).map_err(|e| StoreError::Corrupt {
            id: id.to_owned(),
            reason: e.to_string(),
        })?;
    // Limits are part of the SQL, not parameters (see `query::list_sql`).
    let mut st = c.prepare_cached(&format!(
        "SELECT id FROM idx.observables WHERE kind = ?1 AND value = ?2 AND id <> ?3 \
         ORDER BY id LIMIT {CORRELATIONS_PER_VALUE}"
    ))?;
    let mut out = Vec::new();
    for o in crate::observables::of(&ty, &map) {
        let ids = st.query_map((&o.kind, &o.value, id), |r| r.get::<_, String>(0))?;
        for other in ids {
            let other = other?;
            out.push(Correlation {
                object_type: type_of(&other).to_owned(),
                id: other,
                kind: o.kind.clone(),
                value: o.value.clone(),
            });
        }
    }
    Ok(out)
}

/// `(path, target)` of every reference an object's current version makes.
fn outgoing(c: &Connection, id: &str) -> Result<Vec<(String, String)>, StoreError> {
    let mut st = c.prepare_cached(&format!(
        "SELECT path, target FROM idx.refs WHERE source = ?1 ORDER BY path \
         LIMIT {RELATED_PER_DIRECTION}"
    ))?;
    let rows = st.query_map([id], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Whether a sighting's property path names what was sighted (`sighting_of_ref`) or one
/// of its context lists.
fn sighting_context(path: &str) -> bool {
    path.starts_with("$.where_sighted_refs[") || path.starts_with("$.observed_data_refs[")
}

/// Which other end of an SRO to report.
enum End {
    /// The reference at this path.
    Path(&'static str),
    /// A sighting's `where_sighted_refs` and `observed_data_refs`.
    SightingContext,
}

impl End {
    fn matches(&self, path: &str) -> bool {
        match self {
            End::Path(p) => path == *p,
            End::SightingContext => sighting_context(path),
        }
    }
}

/// The ends of an SRO linked to `id` through `path`, with the direction seen from `id`.
fn through_sro(
    c: &Connection,
    sro: &str,
    path: &str,
    id: &str,
) -> Result<Vec<Related>, StoreError> {
    let (kind, other_end, direction) = match type_of(sro) {
        "relationship" if path == "$.source_ref" => {
            (rel_type(c, sro)?, End::Path("$.target_ref"), "outgoing")
        }
        "relationship" if path == "$.target_ref" => {
            (rel_type(c, sro)?, End::Path("$.source_ref"), "incoming")
        }
        "sighting" if path == "$.sighting_of_ref" => {
            ("sighting".to_owned(), End::SightingContext, "incoming")
        }
        "sighting" if sighting_context(path) => (
            "sighting".to_owned(),
            End::Path("$.sighting_of_ref"),
            "outgoing",
        ),
        _ => return Ok(Vec::new()),
    };
    let mut out = Vec::new();
    for (p, target) in outgoing(c, sro)? {
        if target == id {
            continue;
        }
        if other_end.matches(&p) {
            out.push(Related {
                id: target,
                direction,
                via: p,
                relationship: Some((sro.to_owned(), kind.clone())),
            });
        }
    }
    Ok(out)
}

fn rel_type(c: &Connection, sro: &str) -> Result<String, StoreError> {
    let mut st = c.prepare_cached(
        "SELECT json_extract(json, '$.relationship_type') FROM versions \
         WHERE id_key = ?1 AND id = ?2 AND is_current = 1",
    )?;
    let t: Option<Option<String>> = st
        .query_row(params![id_key(sro), sro], |r| r.get(0))
        .optional()?;
    Ok(t.flatten().unwrap_or_default())
}

pub(super) fn relationships(c: &Connection, id: &str) -> Result<Vec<Related>, StoreError> {
    let mut out: Vec<Related> = outgoing(c, id)?
        .into_iter()
        .map(|(via, target)| Related {
            id: target,
            direction: "outgoing",
            via,
            relationship: None,
        })
        .collect();
    let incoming: Vec<(String, String)> = {
        let mut st = c.prepare_cached(&format!(
            "SELECT source, path FROM idx.refs WHERE target = ?1 ORDER BY source, path \
             LIMIT {RELATED_PER_DIRECTION}"
        ))?;
        let rows = st.query_map([id], |r| Ok((r.get(0)?, r.get(1)?)))?;
        rows.collect::<Result<_, _>>()?
    };
    for (source, path) in incoming {
        out.extend(through_sro(c, &source, &path, id)?);
        out.push(Related {
            id: source,
            direction: "incoming",
            via: path,
            relationship: None,
        });
    }
    Ok(out)
}
