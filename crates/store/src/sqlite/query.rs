//! Reading: one object, its versions, pages of current versions (with type, date, cursor
//! and full-text filters) and counts.
//!
//! Limits are written into the SQL, never bound: with STAT4, SQLite re-prepares a cached
//! statement with a bound `LIMIT` on every reuse; a cached keyed lookup has no `ORDER BY`
//! either, since rusqlite's cache clears its bindings and SQLite then recompiles it (test
//! `cached_reads_are_not_prepared_again`).

use rusqlite::types::{Type, Value};
use rusqlite::{Connection, OptionalExtension, Row, params, params_from_iter};

use super::indexer;
use super::schema::id_key;

use crate::limits::TRIGRAM;
use crate::{
    Limits, ListQuery, Listed, ListedRow, Order, Page, Stats, StoreError, StoredObject, Within,
};

/// Page size used when a query asks for 0.
pub const DEFAULT_LIMIT: usize = 100;
/// The largest page served.
pub const MAX_LIMIT: usize = 10_000;
/// Chunk size of `for_each_current`.
pub(super) const CHUNK: usize = 1_000;

/// Columns read into a [`StoredObject`], in [`stored`]'s order.
const COLUMNS: &str = "seq, date_added, is_current, json";

fn stored(r: &Row<'_>) -> rusqlite::Result<StoredObject> {
    Ok(StoredObject {
        seq: r.get(0)?,
        date_added: r.get(1)?,
        current: r.get(2)?,
        json: r.get(3)?,
    })
}

/// The current version of one id.
const GET_SQL: &str = "SELECT seq, date_added, is_current, json FROM versions WHERE id_key = ?1 AND id = ?2 AND is_current = 1";

/// Every version of one id, unordered. Not `ORDER BY`: SQLite compiles a cached statement
/// with an `ORDER BY` here again at each use (rusqlite clears its bindings when it goes
/// back into the cache, and SQLite then expires it), which cost more than the lookup; an
/// id has few versions, sorted in Rust.
const VERSIONS_SQL: &str = "SELECT seq, date_added, is_current, json, version_ns FROM versions WHERE id_key = ?1 AND id = ?2";

pub(super) fn get(c: &Connection, id: &str) -> Result<Option<StoredObject>, StoreError> {
    let mut st = c.prepare_cached(GET_SQL)?;
    Ok(st.query_row(params![id_key(id), id], stored).optional()?)
}

/// Every version of `id`, oldest first (by version, then by arrival).
pub(super) fn versions(c: &Connection, id: &str) -> Result<Vec<StoredObject>, StoreError> {
    let mut st = c.prepare_cached(VERSIONS_SQL)?;
    let rows = st.query_map(params![id_key(id), id], |r| {
        Ok((r.get::<_, i64>(4)?, stored(r)?))
    })?;
    let mut all: Vec<(i64, StoredObject)> = rows.collect::<Result<_, _>>()?;
    all.sort_unstable_by_key(|(ns, o)| (*ns, o.seq));
    Ok(all.into_iter().map(|(_, o)| o).collect())
}

/// A full-text filter: the FTS5 query for words of three characters or more (each an
/// FTS string, ANDed), and the `LIKE` patterns for shorter words (which a trigram index
/// cannot serve).
#[derive(Debug, Default)]
pub(super) struct TextFilter {
    pub fts: Option<String>,
    pub like: Vec<String>,
}

impl TextFilter {
    /// Whether it filters anything.
    pub fn is_some(&self) -> bool {
        self.fts.is_some() || !self.like.is_empty()
    }

    /// The conditions on the `search` table (named `table`) that select the matching
    /// rows, ANDed after a ` WHERE `-ready start, with their arguments: the FTS match
    /// first, so that the short words only filter what the index found (or, with none,
    /// one scan checks every short word at once).
    pub fn push_conditions(&self, table: &str, sql: &mut String, args: &mut Vec<Value>) {
        let mut and = "";
        if let Some(fts) = &self.fts {
            sql.push_str(&format!("{table} MATCH ?"));
            args.push(Value::Text(fts.clone()));
            and = " AND ";
        }
        for pattern in &self.like {
            sql.push_str(&format!("{and}{table}.text LIKE ? ESCAPE '\\'"));
            args.push(Value::Text(pattern.clone()));
            and = " AND ";
        }
    }
}

/// The filter for a search text: its words (whitespace-separated, duplicates dropped)
/// all must match. Refused ([`StoreError::Search`]) when it has more words than
/// `limits.search_terms`, or only words too short for the trigram index while
/// `limits.short_search_scan` is off.
pub(super) fn text_filter(text: &str, limits: &Limits) -> Result<TextFilter, StoreError> {
    let mut words: Vec<&str> = Vec::new();
    for word in text.split_whitespace() {
        if !words.contains(&word) {
            words.push(word);
        }
    }
    if words.len() > limits.search_terms {
        return Err(StoreError::Search(format!(
            "search has {} terms; at most {} allowed",
            words.len(),
            limits.search_terms
        )));
    }
    let mut fts = Vec::new();
    let mut like = Vec::new();
    let mut short = None;
    for word in words {
        if word.chars().count() >= TRIGRAM {
            fts.push(format!("\"{}\"", word.replace('"', "\"\"")));
        } else {
            short.get_or_insert(word);
            let escaped: String = word
                .chars()
                .flat_map(|ch| match ch {
                    '%' | '_' | '\\' => vec!['\\', ch],
                    _ => vec![ch],
                })
                .collect();
            like.push(format!("%{escaped}%"));
        }
    }
    if let Some(word) = short
        && fts.is_empty()
        && !limits.short_search_scan
    {
        return Err(StoreError::Search(format!(
            "search term {word:?} is shorter than {TRIGRAM} characters and would scan every \
             object; add a longer word"
        )));
    }
    let fts = (!fts.is_empty()).then(|| fts.join(" "));
    Ok(TextFilter { fts, like })
}

/// The page size a query asks for: `DEFAULT_LIMIT` when 0, at most `MAX_LIMIT`.
pub(super) fn page_limit(q: &ListQuery) -> usize {
    match q.limit {
        0 => DEFAULT_LIMIT,
        n => n.min(MAX_LIMIT),
    }
}

/// Appends the type and `added_after` filters of a query to a `WHERE` clause.
pub(super) fn push_filters(sql: &mut String, args: &mut Vec<Value>, q: &ListQuery) {
    if !q.types.is_empty() {
        sql.push_str(" AND type IN (");
        for (i, t) in q.types.iter().enumerate() {
            sql.push_str(if i == 0 { "?" } else { ", ?" });
            args.push(Value::Text(t.clone()));
        }
        sql.push(')');
    }
    if let Some(after) = &q.added_after {
        crate::date_added::After::new(after).push_sql("date_added", sql, args);
    }
    // The levels are literals: a handful of statements, each keeping its plan.
    match q.within {
        Some(Within::Objects(t)) => sql.push_str(&format!(" AND versions.tlp <= {}", t.rank())),
        Some(Within::Whole(t)) => sql.push_str(&format!(" AND versions.tlp_max <= {}", t.rank())),
        None => {}
    }
}

/// The `SELECT` of `columns` for a page of `limit` current versions as `q` asks (the
/// page size, or one more), and its arguments.
fn list_sql(
    columns: &str,
    q: &ListQuery,
    limit: usize,
    limits: &Limits,
) -> Result<(String, Vec<Value>), StoreError> {
    let mut sql = format!("SELECT {columns} FROM versions WHERE is_current = 1");
    let mut args: Vec<Value> = Vec::new();
    push_filters(&mut sql, &mut args, q);
    if let Some(cursor) = q.cursor {
        sql.push_str(match q.order {
            Order::NewestFirst => " AND seq < ?",
            Order::BySeq => " AND seq > ?",
        });
        args.push(Value::Integer(cursor));
    }
    if let Some(text) = &q.text {
        let filter = text_filter(text, limits)?;
        if filter.is_some() {
            sql.push_str(" AND seq IN (SELECT rowid FROM idx.search WHERE ");
            filter.push_conditions("search", &mut sql, &mut args);
            sql.push(')');
        }
    }
    // The page size is part of the SQL, not a parameter: SQLite (with STAT4) marks a
    // statement whose LIMIT is bound to be prepared again whenever its parameters are
    // bound again, which is every reuse of a cached statement; a literal keeps the plan.
    sql.push_str(match q.order {
        Order::NewestFirst => " ORDER BY seq DESC",
        Order::BySeq => " ORDER BY seq ASC",
    });
    sql.push_str(&format!(" LIMIT {limit}"));
    Ok((sql, args))
}

pub(super) fn list(c: &Connection, q: &ListQuery, limits: &Limits) -> Result<Page, StoreError> {
    let limit = page_limit(q);
    let (sql, args) = list_sql(COLUMNS, q, limit, limits)?;
    let mut st = c.prepare_cached(&sql)?;
    let objects: Vec<StoredObject> = st
        .query_map(params_from_iter(args), stored)?
        .collect::<Result<_, _>>()?;
    let next = (objects.len() == limit)
        .then(|| objects.last().map(|o| o.seq))
        .flatten();
    Ok(Page { objects, next })
}

/// [`list`]'s rows handed to `each` as borrowed from the cursor: with the JSON (and then
/// without id, version and date added, which the caller writes from the JSON or not at
/// all) or with id, version and date added (and no JSON).
pub(super) fn list_borrowed(
    c: &Connection,
    q: &ListQuery,
    limits: &Limits,
    with_json: bool,
    each: &mut dyn FnMut(&ListedRow<'_>),
) -> Result<Listed, StoreError> {
    // Each column read costs a record decode, a copy in SQLite and a call per value: only
    // what is used. With the JSON, the date added is read from the first row and from
    // the last one of a full page only (the answer's headers need those two).
    // With `Within::Objects`, whether a row has a granular marking above the level.
    let redact = match q.within {
        Some(Within::Objects(t)) => format!(", tlp_max > {}", t.rank()),
        _ => String::new(),
    };
    let columns = if with_json {
        format!("seq, json, date_added{redact}")
    } else {
        format!("seq, date_added, id, version{redact}")
    };
    let redact_col = (!redact.is_empty()).then_some(if with_json { 3 } else { 4 });
    let page = page_limit(q);
    // One more row than the page: whether it exists says if more follow.
    let (sql, args) = list_sql(&columns, q, page + 1, limits)?;
    let mut st = c.prepare_cached(&sql)?;
    let mut rows = st.query(params_from_iter(args))?;
    let mut listed = Listed::default();
    while let Some(r) = rows.next()? {
        if listed.rows == page {
            listed.more = true;
            break;
        }
        let text = |i: usize| -> rusqlite::Result<&str> {
            r.get_ref(i)?
                .as_str()
                .map_err(|e| rusqlite::Error::FromSqlConversionFailure(i, Type::Text, Box::new(e)))
        };
        let seq = r.get(0)?;
        let redact = match redact_col {
            Some(i) => r.get(i)?,
            None => false,
        };
        let row = if with_json {
            if listed.rows == 0 {
                listed.first_added = text(2)?.to_owned();
            }
            if listed.rows + 1 == page {
                listed.last_added = text(2)?.to_owned();
            }
            ListedRow {
                seq,
                date_added: "",
                id: "",
                version: "",
                json: r.get_ref(1)?.as_bytes().map_err(|e| {
                    rusqlite::Error::FromSqlConversionFailure(1, Type::Text, Box::new(e))
                })?,
                redact,
            }
        } else {
            let row = ListedRow {
                seq,
                date_added: text(1)?,
                id: text(2)?,
                version: text(3)?,
                json: b"",
                redact,
            };
            if listed.rows == 0 {
                listed.first_added = row.date_added.to_owned();
            }
            listed.last_added.clear();
            listed.last_added.push_str(row.date_added);
            row
        };
        each(&row);
        listed.last_seq = seq;
        listed.rows += 1;
    }
    drop(rows);
    if with_json && listed.rows > 0 && listed.rows < page {
        // A short (last) page: its last row's date, read again by its seq. Versions are
        // never rewritten; one deleted in between leaves the date out.
        listed.last_added = c
            .prepare_cached(DATE_ADDED_SQL)?
            .query_row([listed.last_seq], |r| r.get(0))
            .optional()?
            .unwrap_or_default();
    }
    Ok(listed)
}

/// The date added of one version.
const DATE_ADDED_SQL: &str = "SELECT date_added FROM versions WHERE seq = ?1";

pub(super) fn stats(c: &Connection) -> Result<Stats, StoreError> {
    let versions: i64 = c.query_row("SELECT count(*) FROM versions", [], |r| r.get(0))?;
    let position = indexer::position(c)?;
    let mut st = c.prepare_cached(
        "SELECT type, count(*) FROM versions WHERE is_current = 1 GROUP BY type ORDER BY type",
    )?;
    let by_type: Vec<(String, i64)> = st
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    let objects = by_type.iter().map(|(_, n)| n).sum();
    Ok(Stats {
        versions,
        objects,
        by_type,
        last_seq: position.last,
        index_lag: position.lag(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sqlite::SqliteStore;
    use rusqlite::StatementStatus;

    fn indicator(i: usize, modified: &str) -> serde_json::Value {
        serde_json::json!({
            "type": "indicator", "spec_version": "2.1",
            "id": format!("indicator--{i:08x}-4444-4444-8444-{i:012x}"),
            "created": "2026-01-01T00:00:00.000Z", "modified": modified,
            "pattern": format!("[ipv4-addr:value = '10.0.{}.{}']", i / 256, i % 256),
            "pattern_type": "stix", "valid_from": "2026-01-01T00:00:00Z"
        })
    }

    /// How often SQLite compiled the cached statement `sql` again since it was first
    /// prepared on this connection.
    fn reprepared(c: &Connection, sql: &str) -> i32 {
        c.prepare_cached(sql)
            .unwrap()
            .get_status(StatementStatus::RePrepare)
    }

    /// The cached read statements run again without being compiled again: SQLite
    /// recompiles a statement at each use when the planner let its parameters change the
    /// plan (an `ORDER BY` of a keyed lookup, a bound `LIMIT`), which costs more than the
    /// lookup itself.
    #[test]
    fn cached_reads_are_not_prepared_again() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(&dir.path().join("concord.db")).unwrap();
        let (first, second) = ("2026-01-01T00:00:00.000Z", "2026-02-01T00:00:00.000Z");
        // Second versions first: `versions` must still answer oldest first.
        let objects = (0..200)
            .map(|i| indicator(i, second))
            .chain((0..200).map(|i| indicator(i, first)));
        crate::import::import_values(&store, objects, 100, &mut |_| {}).unwrap();
        let ids: Vec<String> = (0..200)
            .map(|i| indicator(i, first)["id"].as_str().unwrap().to_owned())
            .collect();
        let listing = ListQuery {
            types: vec!["indicator".into()],
            cursor: Some(3),
            order: Order::BySeq,
            limit: 50,
            ..Default::default()
        };
        store
            .read(|c| {
                for id in &ids {
                    assert!(get(c, id)?.unwrap().json.contains(second));
                    let v = versions(c, id)?;
                    assert_eq!(v.len(), 2);
                    assert!(v[0].json.contains(first) && v[1].json.contains(second));
                    let mut seqs = Vec::new();
                    let listed = list_borrowed(c, &listing, &Limits::default(), true, &mut |r| {
                        seqs.push(r.seq);
                    })?;
                    assert_eq!(seqs.len(), 50, "{seqs:?}");
                    assert_eq!((listed.rows, listed.more), (50, true));
                }
                for sql in [
                    GET_SQL,
                    VERSIONS_SQL,
                    &list_sql("seq, json, date_added", &listing, 51, &Limits::default())?.0,
                ] {
                    assert_eq!(reprepared(c, sql), 0, "compiled again at each use: {sql}");
                }
                Ok(())
            })
            .unwrap();
    }
}
