//! Users in PostgreSQL: accounts, sessions, token ownership, and the clearance-limited
//! reads of the web interface (the rules of the SQLite backend's `users` module).

use concord_stix::Tlp;
use concord_store::users::{ClearedQuery, CountRow, Session, User, Users};
use concord_store::{Page, Role, StoreError, TokenRecord};
use tokio_postgres::Row;

use crate::query::{self, Sql};
use crate::{PgStore, R, corrupt};

const USER_COLUMNS: &str = "id, name, role, clearance, created, disabled";

fn user_row(r: &Row) -> R<User> {
    let id: i64 = r.get(0);
    let role: String = r.get(2);
    let clearance: String = r.get(3);
    Ok(User {
        id,
        name: r.get(1),
        role: Role::parse(&role)
            .ok_or_else(|| corrupt(&format!("user {id}"), format!("unknown role {role:?}")))?,
        clearance: clearance.parse::<concord_stix::Tlp>().ok().ok_or_else(|| {
            corrupt(
                &format!("user {id}"),
                format!("unknown TLP level {clearance:?}"),
            )
        })?,
        created: r.get(4),
        disabled: r.get(5),
    })
}

/// Appends the filters a [`ClearedQuery`] adds to its base query.
fn push_cleared(sql: &mut Sql, q: &ClearedQuery) {
    // Object markings within the clearance (granular ones are the reader's to apply),
    // and for a TLP filter, of exactly that level (unmarked objects are CLEAR).
    sql.text
        .push_str(&format!(" AND v.tlp <= {}", q.clearance.rank()));
    if let Some(t) = q.tlp {
        sql.text.push_str(&format!(" AND v.tlp = {}", t.rank()));
    }
    if let Some(label) = &q.label {
        let p = sql.arg(label.clone());
        sql.text.push_str(&format!(
            " AND (v.json::jsonb -> 'labels') @> jsonb_build_array({p}::text)"
        ));
    }
    if let Some(source) = &q.source {
        let p = sql.arg(source.clone());
        sql.text.push_str(&format!(" AND v.created_by_ref = {p}"));
    }
    if let Some(before) = &q.added_before {
        match concord_stix::Timestamp::parse(before) {
            // Stored at whole microseconds: "before t" is "before t rounded up to one".
            Ok(t) => {
                let t = t.instant();
                let mut us = t.timestamp_micros();
                if t.timestamp_subsec_nanos() % 1_000 != 0 {
                    us += 1;
                }
                let p = sql.arg(us);
                sql.text.push_str(&format!(" AND v.added_us < {p}"));
            }
            Err(_) => {
                let p = sql.arg(before.clone());
                sql.text.push_str(&format!(" AND v.date_added < {p}"));
            }
        }
    }
}

impl Users for PgStore {
    fn create_user(
        &self,
        name: &str,
        role: Role,
        clearance: Tlp,
        password_hash: &str,
    ) -> Result<Option<User>, StoreError> {
        let created = concord_stix::Timestamp::now_millis();
        let (name, hash) = (name.to_owned(), password_hash.to_owned());
        self.write(move |c| async move {
            let row = c
                .query_opt(
                    "INSERT INTO users (name, role, clearance, password_hash, created) \
                     VALUES ($1, $2, $3, $4, $5) ON CONFLICT (name) DO NOTHING RETURNING id",
                    &[&name, &role.as_str(), &clearance.as_str(), &hash, &created],
                )
                .await?;
            Ok(row.map(|r| User {
                id: r.get(0),
                name,
                role,
                clearance,
                created,
                disabled: false,
            }))
        })
    }

    fn user_by_name(&self, name: &str) -> Result<Option<(User, String)>, StoreError> {
        let name = name.to_owned();
        self.read(move |c| async move {
            let st = c
                .prepare_cached(&format!(
                    "SELECT {USER_COLUMNS}, password_hash FROM users WHERE name = $1"
                ))
                .await?;
            match c.query_opt(&st, &[&name]).await? {
                Some(r) => Ok(Some((user_row(&r)?, r.get(6)))),
                None => Ok(None),
            }
        })
    }

    fn user(&self, id: i64) -> Result<Option<User>, StoreError> {
        self.read(move |c| async move {
            let st = c
                .prepare_cached(&format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1"))
                .await?;
            c.query_opt(&st, &[&id])
                .await?
                .as_ref()
                .map(user_row)
                .transpose()
        })
    }

    fn users(&self) -> Result<Vec<User>, StoreError> {
        self.read(|c| async move {
            let st = c
                .prepare_cached(&format!("SELECT {USER_COLUMNS} FROM users ORDER BY name"))
                .await?;
            c.query(&st, &[]).await?.iter().map(user_row).collect()
        })
    }

    fn set_password(&self, id: i64, password_hash: &str) -> Result<bool, StoreError> {
        let hash = password_hash.to_owned();
        self.write(move |mut c| async move {
            let tx = c.transaction().await?;
            let n = tx
                .execute(
                    "UPDATE users SET password_hash = $1 WHERE id = $2",
                    &[&hash, &id],
                )
                .await?;
            tx.execute("DELETE FROM sessions WHERE user_id = $1", &[&id])
                .await?;
            tx.commit().await?;
            Ok(n > 0)
        })
    }

    fn update_user(
        &self,
        id: i64,
        role: Role,
        clearance: Tlp,
        disabled: bool,
    ) -> Result<bool, StoreError> {
        self.write(move |mut c| async move {
            let tx = c.transaction().await?;
            let n = tx
                .execute(
                    "UPDATE users SET role = $1, clearance = $2, disabled = $3 WHERE id = $4",
                    &[&role.as_str(), &clearance.as_str(), &disabled, &id],
                )
                .await?;
            if disabled {
                tx.execute("DELETE FROM sessions WHERE user_id = $1", &[&id])
                    .await?;
            }
            tx.commit().await?;
            Ok(n > 0)
        })
    }

    fn create_session(
        &self,
        hash: &str,
        user_id: i64,
        csrf: &str,
        expires: &str,
    ) -> Result<(), StoreError> {
        let (hash, csrf, expires) = (hash.to_owned(), csrf.to_owned(), expires.to_owned());
        self.write(move |c| async move {
            c.execute(
                "INSERT INTO sessions (hash, user_id, csrf, expires) VALUES ($1, $2, $3, $4)",
                &[&hash, &user_id, &csrf, &expires],
            )
            .await?;
            Ok(())
        })
    }

    fn session(&self, hash: &str, now: &str) -> Result<Option<Session>, StoreError> {
        let (hash, now) = (hash.to_owned(), now.to_owned());
        self.read(move |c| async move {
            let st = c
                .prepare_cached(
                    "SELECT u.id, u.name, u.role, u.clearance, u.created, u.disabled, s.csrf, \
                     s.expires FROM sessions s JOIN users u ON u.id = s.user_id \
                     WHERE s.hash = $1 AND s.expires > $2 AND NOT u.disabled",
                )
                .await?;
            match c.query_opt(&st, &[&hash, &now]).await? {
                Some(r) => Ok(Some(Session {
                    user: user_row(&r)?,
                    csrf: r.get(6),
                    expires: r.get(7),
                })),
                None => Ok(None),
            }
        })
    }

    fn delete_session(&self, hash: &str, now: &str) -> Result<(), StoreError> {
        let (hash, now) = (hash.to_owned(), now.to_owned());
        self.write(move |c| async move {
            c.execute(
                "DELETE FROM sessions WHERE hash = $1 OR expires <= $2",
                &[&hash, &now],
            )
            .await?;
            Ok(())
        })
    }

    fn link_token(&self, token_id: i64, user_id: i64) -> Result<(), StoreError> {
        self.write(move |c| async move {
            c.execute(
                "INSERT INTO user_tokens (token_id, user_id) VALUES ($1, $2) \
                 ON CONFLICT (token_id) DO UPDATE SET user_id = excluded.user_id",
                &[&token_id, &user_id],
            )
            .await?;
            Ok(())
        })
    }

    fn token_owner(&self, token_id: i64) -> Result<Option<i64>, StoreError> {
        self.read(move |c| async move {
            let st = c
                .prepare_cached("SELECT user_id FROM user_tokens WHERE token_id = $1")
                .await?;
            Ok(c.query_opt(&st, &[&token_id]).await?.map(|r| r.get(0)))
        })
    }

    fn user_tokens(&self, user_id: i64) -> Result<Vec<TokenRecord>, StoreError> {
        self.read(move |c| async move {
            let st = c
                .prepare_cached(&format!(
                    "SELECT {} FROM tokens t JOIN user_tokens u ON u.token_id = t.id \
                     WHERE u.user_id = $1 ORDER BY t.id",
                    crate::tokens::columns("t.")
                ))
                .await?;
            c.query(&st, &[&user_id])
                .await?
                .iter()
                .map(crate::tokens::record)
                .collect()
        })
    }

    fn list_cleared(&self, q: &ClearedQuery) -> Result<Page, StoreError> {
        let limit = query::page_limit(&q.base);
        let sql = query::list_sql_with(query::COLUMNS, &q.base, limit, &self.limits, |sql| {
            push_cleared(sql, q);
        })?;
        self.search_catch_up(&q.base)?;
        self.listing(move |c| async move { query::list(&c, sql, limit).await })
    }

    fn tlp_levels(&self, ids: &[String]) -> Result<Vec<(String, Tlp)>, StoreError> {
        let ids = ids.to_vec();
        self.read(move |c| async move {
            let st = c
                .prepare_cached("SELECT id, tlp FROM versions WHERE id = ANY($1) AND is_current")
                .await?;
            let found: std::collections::HashMap<String, i64> = c
                .query(&st, &[&ids])
                .await?
                .iter()
                .map(|r| (r.get(0), r.get(1)))
                .collect();
            // In the order asked for.
            Ok(ids
                .into_iter()
                .filter_map(|id| {
                    let level = *found.get(&id)?;
                    Some((id, Tlp::from_rank(level)))
                })
                .collect())
        })
    }

    fn count_rows(&self) -> Result<Vec<CountRow>, StoreError> {
        self.read(|c| async move {
            let rows = c
                .query(
                    "SELECT type, tlp, created_by_ref, substr(date_added, 1, 10), count(*) \
                     FROM versions WHERE is_current GROUP BY 1, 2, 3, 4",
                    &[],
                )
                .await?;
            Ok(rows
                .iter()
                .map(|r| CountRow {
                    object_type: r.get(0),
                    tlp: Tlp::from_rank(r.get(1)),
                    source: r.get(2),
                    day: r.get(3),
                    count: r.get(4),
                })
                .collect())
        })
    }

    fn last_seq(&self) -> Result<i64, StoreError> {
        self.read(|c| async move {
            Ok(
                c.query_one("SELECT coalesce(max(seq), 0) FROM versions", &[])
                    .await?
                    .get(0),
            )
        })
    }
}
