//! Pages of every stored version (not only current ones) by `seq`, for TAXII's
//! `match[version]=all` over a whole collection.

use rusqlite::types::Value;
use rusqlite::{Connection, params_from_iter};

use super::query::{page_limit, push_filters};
use crate::{ListQuery, Page, StoreError, StoredObject};

/// Every version matching the query's types, date and cursor, lowest `seq` first (the
/// query's `order` and `text` are not used).
pub(super) fn list_versions(c: &Connection, q: &ListQuery) -> Result<Page, StoreError> {
    let limit = page_limit(q);
    let mut sql = "SELECT seq, date_added, is_current, json FROM versions WHERE seq > ?".to_owned();
    let mut args: Vec<Value> = vec![Value::Integer(q.cursor.unwrap_or(0))];
    push_filters(&mut sql, &mut args, q);
    // The page size is part of the SQL, not a parameter (see `query::list_sql`).
    sql.push_str(&format!(" ORDER BY seq ASC LIMIT {limit}"));
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
