//! API token records: only a hash of each secret is stored, with the token's role,
//! clearance, expiry and last use (the rules of the SQLite backend's `tokens` module).

use concord_stix::{Timestamp, Tlp};
use concord_store::{NewToken, Role, TOKEN_TOUCH_SECS, TokenRecord};
use deadpool_postgres::Object as Conn;
use tokio_postgres::Row;

use crate::{R, corrupt};

/// The columns [`record`] reads, in order, each prefixed with `alias` (`"t."` or `""`).
pub(crate) fn columns(alias: &str) -> String {
    [
        "id",
        "name",
        "role",
        "created",
        "clearance",
        "expires",
        "last_used",
    ]
    .iter()
    .map(|c| format!("{alias}{c}"))
    .collect::<Vec<_>>()
    .join(", ")
}

/// A token row selected with [`columns`].
pub(crate) fn record(r: &Row) -> R<TokenRecord> {
    let id: i64 = r.get(0);
    let role: String = r.get(2);
    let role = Role::parse(&role)
        .ok_or_else(|| corrupt(&format!("token {id}"), format!("unknown role {role:?}")))?;
    let clearance: Option<String> = r.get(4);
    // A row without a clearance reads as little as a new token does by default.
    let clearance = match clearance {
        None => Tlp::Green,
        Some(c) => c
            .parse::<concord_stix::Tlp>()
            .ok()
            .ok_or_else(|| corrupt(&format!("token {id}"), format!("unknown TLP {c:?}")))?,
    };
    Ok(TokenRecord {
        id,
        name: r.get(1),
        role,
        created: r.get(3),
        clearance,
        expires: r.get(5),
        last_used: r.get(6),
    })
}

/// A [`NewToken`] owned, to be moved into a task.
pub(crate) struct Owned {
    name: String,
    role: Role,
    hash: String,
    clearance: Tlp,
    expires: Option<String>,
}

impl From<&NewToken<'_>> for Owned {
    fn from(t: &NewToken<'_>) -> Self {
        Owned {
            name: t.name.to_owned(),
            role: t.role,
            hash: t.hash.to_owned(),
            clearance: t.clearance,
            expires: t.expires.clone(),
        }
    }
}

pub(crate) async fn create(c: &Conn, t: &Owned) -> R<TokenRecord> {
    let created = Timestamp::now_millis();
    let st = c
        .prepare_cached(
            "INSERT INTO tokens (name, role, hash, created, clearance, expires) \
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .await?;
    let id: i64 = c
        .query_one(
            &st,
            &[
                &t.name,
                &t.role.as_str(),
                &t.hash,
                &created,
                &t.clearance.as_str(),
                &t.expires,
            ],
        )
        .await?
        .get(0);
    Ok(TokenRecord {
        id,
        name: t.name.clone(),
        role: t.role,
        created,
        clearance: t.clearance,
        expires: t.expires.clone(),
        last_used: None,
    })
}

pub(crate) async fn by_hash(c: &Conn, hash: &str) -> R<Option<TokenRecord>> {
    let st = c
        .prepare_cached(&format!(
            "SELECT {} FROM tokens WHERE hash = $1",
            columns("")
        ))
        .await?;
    c.query_opt(&st, &[&hash])
        .await?
        .as_ref()
        .map(record)
        .transpose()
}

/// [`by_hash`] with the clearance the token reads with, in one statement: the token's
/// own, lowered to its owner's when a user owns it, `TLP:CLEAR` when its owner is gone
/// (`concord_store::token_clearance`, the same rule).
pub(crate) async fn with_clearance(c: &Conn, hash: &str) -> R<Option<(TokenRecord, Tlp)>> {
    let st = c
        .prepare_cached(&format!(
            "SELECT {}, ut.user_id IS NOT NULL, u.clearance FROM tokens t \
             LEFT JOIN user_tokens ut ON ut.token_id = t.id \
             LEFT JOIN users u ON u.id = ut.user_id WHERE t.hash = $1",
            columns("t.")
        ))
        .await?;
    let Some(row) = c.query_opt(&st, &[&hash]).await? else {
        return Ok(None);
    };
    let token = record(&row)?;
    let owned: bool = row.get(7);
    let owner: Option<String> = row.get(8);
    let level = match (owned, owner) {
        (false, _) => token.clearance,
        (true, None) => Tlp::Clear,
        (true, Some(c)) => c
            .parse::<Tlp>()
            .map_err(|_| {
                corrupt(
                    &format!("token {}", token.id),
                    format!("owner's clearance {c:?}"),
                )
            })?
            .min(token.clearance),
    };
    Ok(Some((token, level)))
}

pub(crate) async fn all(c: &Conn) -> R<Vec<TokenRecord>> {
    let st = c
        .prepare_cached(&format!("SELECT {} FROM tokens ORDER BY id", columns("")))
        .await?;
    c.query(&st, &[]).await?.iter().map(record).collect()
}

pub(crate) async fn revoke(c: &Conn, id: i64) -> R<bool> {
    let st = c.prepare_cached("DELETE FROM tokens WHERE id = $1").await?;
    Ok(c.execute(&st, &[&id]).await? > 0)
}

/// Sets `last_used` to `now` unless it is less than [`TOKEN_TOUCH_SECS`] older.
pub(crate) async fn touch(c: &Conn, id: i64, now: &str) -> R<bool> {
    // A `now` that is not a timestamp (never from this program) records at once.
    let before = Timestamp::parse(now).map_or_else(
        |_| now.to_owned(),
        |t| Timestamp::format_millis(t.instant() - chrono::Duration::seconds(TOKEN_TOUCH_SECS)),
    );
    let st = c
        .prepare_cached(
            "UPDATE tokens SET last_used = $2 WHERE id = $1 \
             AND (last_used IS NULL OR last_used <= $3)",
        )
        .await?;
    Ok(c.execute(&st, &[&id, &now, &before]).await? > 0)
}
