//! Reading: one object, its versions, pages of current versions (type, date, TLP, cursor
//! and full-text filters), every version by `seq`, counts, correlations and
//! relationships.

use std::collections::HashMap;
use std::sync::Arc;

use concord_store::limits::TRIGRAM;
use concord_store::{
    Correlation, Limits, ListQuery, Listed, ListedRow, Order, Page, Related, Stats, StoreError,
    StoredObject, Within,
};
use deadpool_postgres::Object as Conn;
use tokio_postgres::Row;
use tokio_postgres::types::ToSql;

use crate::cache::{Cached, RowCache};
use crate::{R, corrupt};

/// Page size used when a query asks for 0 (as the SQLite backend).
pub(crate) const DEFAULT_LIMIT: usize = 100;
/// The largest page served (as the SQLite backend).
pub(crate) const MAX_LIMIT: usize = 10_000;
/// Chunk size of `for_each_current`.
pub(crate) const CHUNK: usize = 1_000;
/// At most this many other objects per shared value (as the SQLite backend).
const CORRELATIONS_PER_VALUE: i64 = 1_000;
/// At most this many references per direction (as the SQLite backend).
const RELATED_PER_DIRECTION: i64 = 10_000;

/// Columns read into a [`StoredObject`], in [`stored`]'s order.
pub(crate) const COLUMNS: &str = "v.seq, v.date_added, v.is_current, v.json";

/// A statement built for a query, with its arguments.
pub(crate) struct Sql {
    pub(crate) text: String,
    args: Vec<Box<dyn ToSql + Send + Sync>>,
}

impl Sql {
    fn new(text: impl Into<String>) -> Sql {
        Sql {
            text: text.into(),
            args: Vec::new(),
        }
    }

    /// Appends an argument and returns its placeholder (`$n`).
    pub(crate) fn arg(&mut self, value: impl ToSql + Send + Sync + 'static) -> String {
        self.args.push(Box::new(value));
        format!("${}", self.args.len())
    }

    async fn query(&self, c: &Conn) -> R<Vec<Row>> {
        let st = c.prepare_cached(&self.text).await?;
        let args: Vec<&(dyn ToSql + Sync)> = self
            .args
            .iter()
            .map(|a| a.as_ref() as &(dyn ToSql + Sync))
            .collect();
        Ok(c.query(&st, &args).await?)
    }
}

pub(crate) fn stored(r: &Row) -> StoredObject {
    StoredObject {
        seq: r.get(0),
        date_added: r.get(1),
        current: r.get(2),
        json: r.get(3),
    }
}

pub(crate) async fn get(c: &Conn, id: &str) -> R<Option<StoredObject>> {
    let st = c
        .prepare_cached(
            "SELECT v.seq, v.date_added, v.is_current, v.json FROM versions v \
             WHERE v.id = $1 AND v.is_current",
        )
        .await?;
    Ok(c.query_opt(&st, &[&id]).await?.as_ref().map(stored))
}

/// Every version of `id`, oldest first (by version, then by arrival).
pub(crate) async fn versions(c: &Conn, id: &str) -> R<Vec<StoredObject>> {
    let st = c
        .prepare_cached(
            "SELECT v.seq, v.date_added, v.is_current, v.json FROM versions v \
             WHERE v.id = $1 ORDER BY v.version_ns, v.seq",
        )
        .await?;
    Ok(c.query(&st, &[&id]).await?.iter().map(stored).collect())
}

/// The page size a query asks for: `DEFAULT_LIMIT` when 0, at most `MAX_LIMIT`.
pub(crate) fn page_limit(q: &ListQuery) -> usize {
    match q.limit {
        0 => DEFAULT_LIMIT,
        n => n.min(MAX_LIMIT),
    }
}

/// The `LIKE` patterns of a search text, one per distinct word (all must match), each
/// matched against the lower-cased, unaccented search text. Refused
/// ([`StoreError::Search`]) as the SQLite backend refuses: more words than
/// `limits.search_terms`, or only words too short for the trigram index while
/// `limits.short_search_scan` is off.
pub(crate) fn text_patterns(text: &str, limits: &Limits) -> Result<Vec<String>, StoreError> {
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
    if let Some(short) = words.first()
        && words.iter().all(|w| w.chars().count() < TRIGRAM)
        && !limits.short_search_scan
    {
        return Err(StoreError::Search(format!(
            "search term {short:?} is shorter than {TRIGRAM} characters and would scan every \
             object; add a longer word"
        )));
    }
    Ok(words
        .iter()
        .map(|w| {
            w.chars()
                .flat_map(|ch| match ch {
                    '%' | '_' | '\\' => vec!['\\', ch],
                    _ => vec![ch],
                })
                .collect()
        })
        .collect())
}

/// Appends the type, `added_after` and TLP filters of a query.
fn push_filters(sql: &mut Sql, q: &ListQuery) {
    if !q.types.is_empty() {
        let p = sql.arg(q.types.clone());
        sql.text.push_str(&format!(" AND v.type = ANY({p})"));
    }
    if let Some(after) = &q.added_after {
        match concord_stix::Timestamp::parse(after) {
            // Versions are stored at whole microseconds: "after t" is "after t's
            // microsecond".
            Ok(t) => {
                let p = sql.arg(crate::ingest::micros(t.instant()));
                sql.text.push_str(&format!(" AND v.added_us > {p}"));
            }
            Err(_) => {
                let p = sql.arg(after.clone());
                sql.text.push_str(&format!(" AND v.date_added > {p}"));
            }
        }
    }
    match q.within {
        Some(Within::Objects(t)) => sql.text.push_str(&format!(" AND v.tlp <= {}", t.rank())),
        Some(Within::Whole(t)) => sql
            .text
            .push_str(&format!(" AND v.tlp_max <= {}", t.rank())),
        None => {}
    }
}

/// Appends the full-text filter of a query (rows whose current version's search text
/// holds every word).
fn push_text(sql: &mut Sql, q: &ListQuery, limits: &Limits) -> Result<(), StoreError> {
    let Some(text) = q.text.as_deref() else {
        return Ok(());
    };
    let patterns = text_patterns(text, limits)?;
    if patterns.is_empty() {
        return Ok(());
    }
    sql.text
        .push_str(" AND v.seq IN (SELECT s.seq FROM search s WHERE true");
    for pattern in patterns {
        let p = sql.arg(pattern);
        sql.text.push_str(&format!(
            " AND s.text LIKE '%' || lower(unaccent({p})) || '%' ESCAPE '\\'"
        ));
    }
    sql.text.push(')');
    Ok(())
}

/// The `SELECT` of `columns` (of `versions v`) for a page of `limit` current versions as
/// `q` asks.
pub(crate) fn list_sql(
    columns: &str,
    q: &ListQuery,
    limit: usize,
    limits: &Limits,
) -> Result<Sql, StoreError> {
    list_sql_with(columns, q, limit, limits, |_| {})
}

/// [`list_sql`] with the conditions `more` appends (` AND ...`).
pub(crate) fn list_sql_with(
    columns: &str,
    q: &ListQuery,
    limit: usize,
    limits: &Limits,
    more: impl FnOnce(&mut Sql),
) -> Result<Sql, StoreError> {
    let mut sql = Sql::new(format!(
        "SELECT {columns} FROM versions v WHERE v.is_current"
    ));
    push_filters(&mut sql, q);
    let before = sql.text.len();
    more(&mut sql);
    let plain = sql.text.len() == before && q.text.as_deref().is_none_or(|t| t.trim().is_empty());
    if let Some(cursor) = q.cursor {
        let p = sql.arg(cursor);
        sql.text.push_str(&match q.order {
            Order::NewestFirst => format!(" AND v.seq < {p}"),
            Order::BySeq => format!(" AND v.seq > {p}"),
        });
    }
    push_text(&mut sql, q, limits)?;
    sql.text.push_str(match q.order {
        Order::NewestFirst => " ORDER BY v.seq DESC",
        Order::BySeq => " ORDER BY v.seq ASC",
    });
    push_limit(&mut sql, limit, plain && plain_filters(q));
    Ok(sql)
}

/// Page sizes written into the SQL of a plain page (see [`push_limit`]): the usual ones,
/// and each plus one (the look-ahead row of `list_borrowed`).
const USUAL_LIMITS: [usize; 9] = [10, 20, 25, 50, 100, 200, 250, 500, 1_000];

/// Whether a query's filters leave a page whose best plan is the same for every value of
/// its parameters: no type, date or text filter (the TLP filter is written as a
/// literal), so only the cursor varies. Its pages are read in `seq` order from the
/// partial index of current versions, whatever the cursor.
fn plain_filters(q: &ListQuery) -> bool {
    q.types.is_empty() && q.added_after.is_none()
}

/// Appends ` LIMIT n`. A prepared statement whose `LIMIT` is a parameter is planned
/// again at every execution (PostgreSQL cannot cost a generic plan without the row
/// count, so it keeps choosing a custom plan): on a TAXII page that planning was about a
/// fifth of the server's time. So the LIMIT of a `plain` page of a usual size is a
/// literal, and its statement gets one generic plan; any other page size is a parameter
/// (each connection caches its statements, and a literal for every size asked for would
/// make one statement each), as is every filtered query's, whose best plan depends on
/// its values (a rare type, a recent date, a rare word).
fn push_limit(sql: &mut Sql, limit: usize, plain: bool) {
    if plain && USUAL_LIMITS.iter().any(|&u| limit == u || limit == u + 1) {
        sql.text.push_str(&format!(" LIMIT {limit}"));
    } else {
        let p = sql.arg(i64::try_from(limit).unwrap_or(i64::MAX));
        sql.text.push_str(&format!(" LIMIT {p}"));
    }
}

/// The `SELECT` of every version by `seq` (the query's types, date, TLP and cursor).
pub(crate) fn versions_sql(q: &ListQuery, limit: usize) -> Sql {
    let mut sql = Sql::new(format!("SELECT {COLUMNS} FROM versions v WHERE v.seq > $1"));
    sql.args.push(Box::new(q.cursor.unwrap_or(0)));
    push_filters(&mut sql, q);
    sql.text.push_str(" ORDER BY v.seq ASC");
    push_limit(&mut sql, limit, plain_filters(q));
    sql
}

/// A page of [`StoredObject`]s selected by `sql` (with [`COLUMNS`]).
pub(crate) async fn list(c: &Conn, sql: Sql, limit: usize) -> R<Page> {
    let objects: Vec<StoredObject> = sql.query(c).await?.iter().map(stored).collect();
    let next = (objects.len() == limit)
        .then(|| objects.last().map(|o| o.seq))
        .flatten();
    Ok(Page { objects, next })
}

/// The columns of a page read through the row cache ([`cached_rows`]).
pub(crate) const KEY_COLUMNS: &str = "v.seq, v.added_us, v.tlp_max";

/// A row of a page read through the cache: its `seq`, `tlp_max` and content.
pub(crate) type KeyedRow = (i64, i64, Arc<Cached>);

/// The rows `sql` (selecting [`KEY_COLUMNS`], in `order`) selects, in that order, with
/// their content from `cache`, those it lacks read by `seq` (and kept there). A row
/// deleted between the two queries, or whose `seq` now holds another version, is left
/// out, as if the page had been read a moment later.
///
/// The selected rows come back as one row of three arrays (`array_agg` over the page's
/// query): one message to send and decode instead of one per row, which cost the server
/// and the client more than the rows' few bytes. The three aggregates read the same rows
/// in the same order, so their elements pair up; the order of the page is restored here.
pub(crate) async fn cached_rows(
    c: &Conn,
    mut sql: Sql,
    order: Order,
    cache: &RowCache,
) -> R<Vec<KeyedRow>> {
    sql.text = format!(
        "SELECT array_agg(p.seq), array_agg(p.added_us), array_agg(p.tlp_max) FROM ({}) p",
        sql.text
    );
    let row = sql.query(c).await?;
    let column = |i: usize| -> Vec<i64> {
        row.first()
            .and_then(|r| r.get::<_, Option<Vec<i64>>>(i))
            .unwrap_or_default()
    };
    let (seqs, added, tlp_max) = (column(0), column(1), column(2));
    let mut keys: Vec<(i64, i64, i64)> = seqs
        .into_iter()
        .zip(added)
        .zip(tlp_max)
        .map(|((seq, added), tlp_max)| (seq, added, tlp_max))
        .collect();
    match order {
        Order::BySeq => keys.sort_unstable_by_key(|k| k.0),
        Order::NewestFirst => keys.sort_unstable_by_key(|k| std::cmp::Reverse(k.0)),
    }
    let by_seq: Vec<(i64, i64)> = keys.iter().map(|&(seq, added, _)| (seq, added)).collect();
    let found = cache.get(&by_seq);
    let missing: Vec<i64> = by_seq
        .iter()
        .zip(&found)
        .filter(|(_, f)| f.is_none())
        .map(|(&(seq, _), _)| seq)
        .collect();
    let mut read: HashMap<i64, Arc<Cached>> = HashMap::new();
    if !missing.is_empty() {
        let st = c
            .prepare_cached(
                "SELECT seq, added_us, date_added, id, version, json FROM versions \
                 WHERE seq = ANY($1)",
            )
            .await?;
        let fresh: Vec<(i64, Arc<Cached>)> = c
            .query(&st, &[&missing])
            .await?
            .iter()
            .map(|r| {
                let row = Cached {
                    added_us: r.get(1),
                    date_added: r.get(2),
                    id: r.get(3),
                    version: r.get(4),
                    json: r.get(5),
                };
                (r.get(0), Arc::new(row))
            })
            .collect();
        cache.insert(&fresh);
        read.extend(fresh);
    }
    Ok(keys
        .iter()
        .zip(found)
        .filter_map(|(&(seq, added, tlp_max), held)| {
            let row = held.or_else(|| read.get(&seq).filter(|c| c.added_us == added).cloned())?;
            Some((seq, tlp_max, row))
        })
        .collect())
}

/// Hands the rows of a page (`page` and one more, from [`cached_rows`]) to `each`,
/// borrowed; for [`Within::Objects`], a row with a granular marking above the level comes
/// marked `redact`.
pub(crate) fn hand_over(
    rows: &[KeyedRow],
    page: usize,
    with_json: bool,
    within: Option<Within>,
    each: &mut dyn FnMut(&ListedRow<'_>),
) -> Result<Listed, StoreError> {
    let level = match within {
        Some(Within::Objects(t)) => Some(t.rank()),
        _ => None,
    };
    let mut listed = Listed::default();
    let mut last: Option<&Cached> = None;
    for (seq, tlp_max, row) in rows {
        if listed.rows == page {
            listed.more = true;
            break;
        }
        let redact = level.is_some_and(|l| *tlp_max > l);
        let listed_row = if with_json {
            ListedRow {
                seq: *seq,
                date_added: "",
                id: "",
                version: "",
                json: row.json.as_bytes(),
                redact,
            }
        } else {
            ListedRow {
                seq: *seq,
                date_added: &row.date_added,
                id: &row.id,
                version: &row.version,
                json: b"",
                redact,
            }
        };
        if listed.rows == 0 {
            listed.first_added.clone_from(&row.date_added);
        }
        each(&listed_row);
        last = Some(row);
        listed.last_seq = *seq;
        listed.rows += 1;
    }
    if let Some(row) = last {
        listed.last_added.clone_from(&row.date_added);
    }
    Ok(listed)
}

pub(crate) async fn stats(c: &Conn) -> R<Stats> {
    let versions: i64 = c
        .query_one("SELECT count(*) FROM versions", &[])
        .await?
        .get(0);
    let position = crate::indexer::position(c).await?;
    let by_type: Vec<(String, i64)> = c
        .query(
            "SELECT type, count(*) FROM versions WHERE is_current GROUP BY type ORDER BY type",
            &[],
        )
        .await?
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    let objects = by_type.iter().map(|(_, n)| n).sum();
    Ok(Stats {
        versions,
        objects,
        by_type,
        last_seq: position.last,
        index_lag: position.lag(),
    })
}

/// The type part of an id (`indicator--...` -> `indicator`).
fn type_of(id: &str) -> &str {
    id.split_once("--").map_or(id, |(t, _)| t)
}

/// Objects sharing an observable value with the current version of `id`: for each of
/// its values (by kind, then value), up to [`CORRELATIONS_PER_VALUE`] others by id.
pub(crate) async fn correlations(c: &Conn, id: &str) -> R<Vec<Correlation>> {
    let st = c
        .prepare_cached(&format!(
            "SELECT o.kind, o.value, x.id FROM observables o \
             CROSS JOIN LATERAL (SELECT x.id FROM observables x WHERE x.kind = o.kind \
             AND x.value = o.value AND x.id <> o.id ORDER BY x.id COLLATE \"C\" \
             LIMIT {CORRELATIONS_PER_VALUE}) x \
             WHERE o.id = $1 \
             ORDER BY o.kind COLLATE \"C\", o.value COLLATE \"C\", x.id COLLATE \"C\""
        ))
        .await?;
    Ok(c.query(&st, &[&id])
        .await?
        .iter()
        .map(|r| {
            let other: String = r.get(2);
            Correlation {
                object_type: type_of(&other).to_owned(),
                id: other,
                kind: r.get(0),
                value: r.get(1),
            }
        })
        .collect())
}

/// `(path, target)` of every reference an object's current version makes.
async fn outgoing(c: &Conn, id: &str) -> R<Vec<(String, String)>> {
    let st = c
        .prepare_cached(&format!(
            "SELECT path, target FROM refs WHERE source = $1 ORDER BY path COLLATE \"C\" \
             LIMIT {RELATED_PER_DIRECTION}"
        ))
        .await?;
    Ok(c.query(&st, &[&id])
        .await?
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect())
}

/// Whether a sighting's property path names one of its context lists.
fn sighting_context(path: &str) -> bool {
    path.starts_with("$.where_sighted_refs[") || path.starts_with("$.observed_data_refs[")
}

async fn rel_type(c: &Conn, sro: &str) -> R<String> {
    let st = c
        .prepare_cached("SELECT json FROM versions WHERE id = $1 AND is_current")
        .await?;
    let Some(row) = c.query_opt(&st, &[&sro]).await? else {
        return Ok(String::new());
    };
    let json: &str = row.get(0);
    let v: serde_json::Value = serde_json::from_str(json).map_err(|e| corrupt(sro, e))?;
    Ok(v["relationship_type"]
        .as_str()
        .unwrap_or_default()
        .to_owned())
}

/// The ends of an SRO linked to `id` through `path`, with the direction seen from `id`
/// (the rules of the SQLite backend's `graph` module).
async fn through_sro(c: &Conn, sro: &str, path: &str, id: &str) -> R<Vec<Related>> {
    // (relationship kind, the other end's path or None for a sighting's context lists,
    // direction)
    let (kind, other_end, direction): (String, Option<&str>, &'static str) = match type_of(sro) {
        "relationship" if path == "$.source_ref" => {
            (rel_type(c, sro).await?, Some("$.target_ref"), "outgoing")
        }
        "relationship" if path == "$.target_ref" => {
            (rel_type(c, sro).await?, Some("$.source_ref"), "incoming")
        }
        "sighting" if path == "$.sighting_of_ref" => ("sighting".to_owned(), None, "incoming"),
        "sighting" if sighting_context(path) => {
            ("sighting".to_owned(), Some("$.sighting_of_ref"), "outgoing")
        }
        _ => return Ok(Vec::new()),
    };
    let mut out = Vec::new();
    for (p, target) in outgoing(c, sro).await? {
        if target == id {
            continue;
        }
        let matches = match other_end {
            Some(end) => p == end,
            None => sighting_context(&p),
        };
        if matches {
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

pub(crate) async fn relationships(c: &Conn, id: &str) -> R<Vec<Related>> {
    let mut out: Vec<Related> = outgoing(c, id)
        .await?
        .into_iter()
        .map(|(via, target)| Related {
            id: target,
            direction: "outgoing",
            via,
            relationship: None,
        })
        .collect();
    let st = c
        .prepare_cached(&format!(
            "SELECT source, path FROM refs WHERE target = $1 \
             ORDER BY source COLLATE \"C\", path COLLATE \"C\" \
             LIMIT {RELATED_PER_DIRECTION}"
        ))
        .await?;
    let incoming: Vec<(String, String)> = c
        .query(&st, &[&id])
        .await?
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    for (source, path) in incoming {
        out.extend(through_sro(c, &source, &path, id).await?);
        out.push(Related {
            id: source,
            direction: "incoming",
            via: path,
            relationship: None,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limit_of(q: &ListQuery, limit: usize) -> String {
        let sql = list_sql(COLUMNS, q, limit, &Limits::default()).unwrap();
        sql.text[sql.text.rfind(" LIMIT ").unwrap()..].to_owned()
    }

    /// A plain page of a usual size gets its LIMIT as a literal (one generic plan per
    /// statement); other sizes, and every filtered query, a parameter.
    #[test]
    fn only_plain_pages_of_usual_sizes_have_a_literal_limit() {
        let plain = ListQuery {
            cursor: Some(7),
            within: Some(Within::Objects(concord_stix::Tlp::Green)),
            ..ListQuery::default()
        };
        assert_eq!(limit_of(&plain, 101), " LIMIT 101");
        assert_eq!(limit_of(&plain, 50), " LIMIT 50");
        assert_eq!(limit_of(&plain, 1001), " LIMIT 1001");
        assert_eq!(limit_of(&plain, 137), " LIMIT $2");
        let typed = ListQuery {
            types: vec!["indicator".into()],
            ..ListQuery::default()
        };
        assert_eq!(limit_of(&typed, 101), " LIMIT $2");
        let dated = ListQuery {
            added_after: Some("2026-01-01T00:00:00Z".into()),
            ..ListQuery::default()
        };
        assert_eq!(limit_of(&dated, 101), " LIMIT $2");
        let searched = ListQuery {
            text: Some("phishing".into()),
            ..ListQuery::default()
        };
        assert_eq!(limit_of(&searched, 101), " LIMIT $2");
        let blank = ListQuery {
            text: Some("  ".into()),
            ..ListQuery::default()
        };
        assert_eq!(limit_of(&blank, 101), " LIMIT 101");
        let versions = versions_sql(&ListQuery::default(), 100);
        assert!(versions.text.ends_with(" LIMIT 100"), "{}", versions.text);
    }
}
