//! Pages of every stored version (not only current ones) by `seq`, for TAXII's
//! `match[version]=all` over a whole collection.

use rusqlite::types::Value;
use rusqlite::{Connection, params_from_iter};

use super::query::{DEFAULT_LIMIT, MAX_LIMIT};
use crate::{ListQuery, Page, StoreError, StoredObject};

/// Every version matching the query's types, date and cursor, lowest `seq` first (the
/// query's `order` and `text` are not used).
pub(super) fn list_versions(c: &Connection, q: &ListQuery) -> Result<Page, StoreError> {
    let limit = match q.limit {
        0 => DEFAULT_LIMIT,
        n => n.min(MAX_LIMIT),
    };
    let mut sql = "SELECT seq, date_added, is_current, json FROM versions WHERE seq > ?".to_owned();
    let mut args: Vec<Value> = vec![Value::Integer(q.cursor.unwrap_or(0))];
    if !q.types.is_empty() {
        sql.push_str(" AND type IN (");
        for (i, t) in q.types.iter().enumerate() {
            sql.push_str(if i == 0 { "?" } else { ", ?" });
            args.push(Value::Text(t.clone()));
        }
        sql.push(')');
    }
    if let Some(after) = &q.added_after {
        sql.push_str(" AND date_added > ?");
        args.push(Value::Text(after.clone()));
    }
    sql.push_str(" ORDER BY seq ASC LIMIT ?");
    args.push(Value::Integer(i64::try_from(limit).unwrap_or(i64::MAX)));
    let mut st = c.prepare_cached(&sql)?;
    let objects: Vec<StoredObject> = st
        .query_map(params_from_iter(args), |r| {
            Ok(StoredObject {
                seq: r.get(0)?,
                date_added: r.get(1)?,
                current: r.get(2)?,
                json: r.get(3)?,
            })
        })?
        .collect::<Result<_, _>>()?;
    let next = (objects.len() == limit)
        .then(|| objects.last().map(|o| o.seq))
        .flatten();
    Ok(Page { objects, next })
}
