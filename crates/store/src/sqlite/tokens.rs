//! API token records: only a hash of each secret is stored, with the token's role,
//! clearance, expiry and last use.

use concord_stix::{Timestamp, Tlp};
use rusqlite::{Connection, OptionalExtension, Row};

use crate::{NewToken, Role, StoreError, TOKEN_TOUCH_SECS, TokenRecord};

/// Columns added to `tokens` after it first shipped (table, column, declaration), added by
/// the migration when missing. A token that existed before them gets `clearance = 'red'`
/// when it is an admin token (the operator's token made by `init`, which read everything
/// before) and `'green'` otherwise, which [`BACKFILL`] sets once.
pub(super) const ADDED_COLUMNS: &[(&str, &str, &str)] = &[
    ("tokens", "clearance", "TEXT"),
    ("tokens", "expires", "TEXT"),
    ("tokens", "last_used", "TEXT"),
];

/// Gives tokens made before clearances existed theirs (see [`ADDED_COLUMNS`]).
pub(super) const BACKFILL: &str = "UPDATE tokens SET clearance = \
    CASE WHEN role = 'admin' THEN 'red' ELSE 'green' END WHERE clearance IS NULL;";

/// The columns [`record`] reads, in order (prefix them with a table alias with
/// [`columns`]).
const COLUMNS: [&str; 7] = [
    "id",
    "name",
    "role",
    "created",
    "clearance",
    "expires",
    "last_used",
];

/// [`COLUMNS`] joined, each prefixed with `alias` (`"t."` or `""`).
pub(super) fn columns(alias: &str) -> String {
    COLUMNS
        .iter()
        .map(|c| format!("{alias}{c}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn conversion(col: usize, what: String) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(col, rusqlite::types::Type::Text, what.into())
}

/// A token row selected with [`columns`].
pub(super) fn record(r: &Row<'_>) -> rusqlite::Result<TokenRecord> {
    let role: String = r.get(2)?;
    let role = Role::parse(&role).ok_or_else(|| conversion(2, format!("unknown role {role:?}")))?;
    let clearance: Option<String> = r.get(4)?;
    // A row without a clearance (written by an older program after the migration) reads
    // as little as a new token does by default.
    let clearance = match clearance {
        None => Tlp::Green,
        Some(c) => c.parse().map_err(|e| conversion(4, format!("{e}")))?,
    };
    Ok(TokenRecord {
        id: r.get(0)?,
        name: r.get(1)?,
        role,
        created: r.get(3)?,
        clearance,
        expires: r.get(5)?,
        last_used: r.get(6)?,
    })
}

pub(super) fn create(c: &Connection, t: &NewToken<'_>) -> Result<TokenRecord, StoreError> {
    let created = Timestamp::now_millis();
    let mut st = c.prepare_cached(
        "INSERT INTO tokens (name, role, hash, created, clearance, expires) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?;
    let id = st.insert((
        t.name,
        t.role.as_str(),
        t.hash,
        &created,
        t.clearance.as_str(),
        &t.expires,
    ))?;
    Ok(TokenRecord {
        id,
        name: t.name.to_owned(),
        role: t.role,
        created,
        clearance: t.clearance,
        expires: t.expires.clone(),
        last_used: None,
    })
}

pub(super) fn by_hash(c: &Connection, hash: &str) -> Result<Option<TokenRecord>, StoreError> {
    let sql = format!("SELECT {} FROM tokens WHERE hash = ?1", columns(""));
    let mut st = c.prepare_cached(&sql)?;
    Ok(st.query_row([hash], record).optional()?)
}

pub(super) fn all(c: &Connection) -> Result<Vec<TokenRecord>, StoreError> {
    let sql = format!("SELECT {} FROM tokens ORDER BY id", columns(""));
    let mut st = c.prepare_cached(&sql)?;
    let rows = st.query_map([], record)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

pub(super) fn revoke(c: &Connection, id: i64) -> Result<bool, StoreError> {
    let mut st = c.prepare_cached("DELETE FROM tokens WHERE id = ?1")?;
    Ok(st.execute([id])? > 0)
}

/// Sets `last_used` to `now` unless it is less than [`TOKEN_TOUCH_SECS`] older.
pub(super) fn touch(c: &Connection, id: i64, now: &str) -> Result<bool, StoreError> {
    // A `now` that is not a timestamp (never from this program) records at once.
    let before = Timestamp::parse(now).map_or_else(
        |_| now.to_owned(),
        |t| Timestamp::format_millis(t.instant() - chrono::Duration::seconds(TOKEN_TOUCH_SECS)),
    );
    let mut st = c.prepare_cached(
        "UPDATE tokens SET last_used = ?2 WHERE id = ?1 AND (last_used IS NULL OR last_used <= ?3)",
    )?;
    Ok(st.execute((id, now, &before))? > 0)
}
