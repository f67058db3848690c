//! API token records: only a hash of each secret is stored.

use concord_stix::Timestamp;
use rusqlite::{Connection, OptionalExtension, Row};

use crate::{Role, StoreError, TokenRecord};

fn record(r: &Row<'_>) -> rusqlite::Result<TokenRecord> {
    let role: String = r.get(2)?;
    let role = Role::parse(&role).ok_or_else(|| {
        rusqlite::Error::FromSqlConversionFailure(
            2,
            rusqlite::types::Type::Text,
            format!("unknown role {role:?}").into(),
        )
    })?;
    Ok(TokenRecord {
        id: r.get(0)?,
        name: r.get(1)?,
        role,
        created: r.get(3)?,
    })
}

pub(super) fn create(
    c: &Connection,
    name: &str,
    role: Role,
    hash: &str,
) -> Result<TokenRecord, StoreError> {
    let created = Timestamp::now_millis();
    let mut st =
        c.prepare_cached("INSERT INTO tokens (name, role, hash, created) VALUES (?1, ?2, ?3, ?4)")?;
    let id = st.insert((name, role.as_str(), hash, &created))?;
    Ok(TokenRecord {
        id,
        name: name.to_owned(),
        role,
        created,
    })
}

pub(super) fn by_hash(c: &Connection, hash: &str) -> Result<Option<TokenRecord>, StoreError> {
    let mut st = c.prepare_cached("SELECT id, name, role, created FROM tokens WHERE hash = ?1")?;
    Ok(st.query_row([hash], record).optional()?)
}

pub(super) fn all(c: &Connection) -> Result<Vec<TokenRecord>, StoreError> {
    let mut st = c.prepare_cached("SELECT id, name, role, created FROM tokens ORDER BY id")?;
    let rows = st.query_map([], record)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

pub(super) fn revoke(c: &Connection, id: i64) -> Result<bool, StoreError> {
    let mut st = c.prepare_cached("DELETE FROM tokens WHERE id = ?1")?;
    Ok(st.execute([id])? > 0)
}
