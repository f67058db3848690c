//! Users in SQLite: accounts, sessions, token ownership, and the clearance-limited reads
//! of the web interface.
//!
//! An object's TLP level is computed from the `markings` table (object markings of each
//! version), so a clearance filter is a `NOT EXISTS` probe of that table's primary key
//! per candidate row while a listing walks `seq`.

use concord_stix::Tlp;
use rusqlite::types::Value;
use rusqlite::{Connection, OptionalExtension, Row, params, params_from_iter};

use super::schema::id_key;
use super::{SqliteStore, lock, query};
use crate::users::{ClearedQuery, CountRow, Session, User, Users};
use crate::{Limits, Order, Page, Role, StoreError, StoredObject, TokenRecord};

/// Tables of this module, created if missing each time a database is opened.
pub(super) const DDL: &str = r"
CREATE TABLE IF NOT EXISTS users (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    name          TEXT    NOT NULL UNIQUE,
    role          TEXT    NOT NULL,
    clearance     TEXT    NOT NULL,
    password_hash TEXT    NOT NULL,
    created       TEXT    NOT NULL,
    disabled      INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS sessions (
    hash    TEXT    PRIMARY KEY,
    user_id INTEGER NOT NULL,
    csrf    TEXT    NOT NULL,
    expires TEXT    NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS sessions_user ON sessions (user_id);
CREATE TABLE IF NOT EXISTS user_tokens (
    token_id INTEGER PRIMARY KEY,
    user_id  INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS user_tokens_user ON user_tokens (user_id);
";

const USER_COLUMNS: &str = "id, name, role, clearance, created, disabled";

fn conversion(col: usize, what: String) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(col, rusqlite::types::Type::Text, what.into())
}

fn user_row(r: &Row<'_>) -> rusqlite::Result<User> {
    let role: String = r.get(2)?;
    let clearance: String = r.get(3)?;
    Ok(User {
        id: r.get(0)?,
        name: r.get(1)?,
        role: Role::parse(&role).ok_or_else(|| conversion(2, format!("unknown role {role:?}")))?,
        clearance: clearance
            .parse()
            .map_err(|e| conversion(3, format!("{e}")))?,
        created: r.get(4)?,
        disabled: r.get(5)?,
    })
}

fn stored(r: &Row<'_>) -> rusqlite::Result<StoredObject> {
    Ok(StoredObject {
        seq: r.get(0)?,
        date_added: r.get(1)?,
        current: r.get(2)?,
        json: r.get(3)?,
    })
}

fn list_cleared(c: &Connection, q: &ClearedQuery, limits: &Limits) -> Result<Page, StoreError> {
    let base = &q.base;
    let limit = query::page_limit(base);
    let filter = match base.text.as_deref() {
        Some(text) => query::text_filter(text, limits)?,
        None => query::TextFilter::default(),
    };
    let text = filter.is_some();
    // With a text filter the full-text table drives the walk (CROSS JOIN keeps it the
    // outer loop), newest `seq` (its rowid) first, so a page stops after `limit` hits
    // instead of collecting and sorting every match first.
    let mut sql = String::from(if text {
        "SELECT versions.seq, versions.date_added, versions.is_current, versions.json \
         FROM idx.search CROSS JOIN versions ON versions.seq = search.rowid \
         WHERE versions.is_current = 1"
    } else {
        "SELECT seq, date_added, is_current, json FROM versions WHERE is_current = 1"
    });
    let mut args: Vec<Value> = Vec::new();
    query::push_filters(&mut sql, &mut args, base);
    // Object markings within the clearance (granular ones are the reader's to apply),
    // and for a TLP filter, of exactly that level (unmarked objects are CLEAR).
    sql.push_str(&format!(" AND versions.tlp <= {}", q.clearance.rank()));
    if let Some(t) = q.tlp {
        sql.push_str(&format!(" AND versions.tlp = {}", t.rank()));
    }
    if let Some(label) = &q.label {
        sql.push_str(
            " AND EXISTS (SELECT 1 FROM json_each(versions.json, '$.labels') AS l WHERE l.value = ?)",
        );
        args.push(Value::Text(label.clone()));
    }
    if let Some(source) = &q.source {
        sql.push_str(" AND created_by_ref = ?");
        args.push(Value::Text(source.clone()));
    }
    if let Some(before) = &q.added_before {
        crate::date_added::Before::new(before).push_sql("date_added", &mut sql, &mut args);
    }
    let key = if text { "search.rowid" } else { "seq" };
    if let Some(cursor) = base.cursor {
        sql.push_str(&format!(
            " AND {key} {} ?",
            match base.order {
                Order::NewestFirst => "<",
                Order::BySeq => ">",
            }
        ));
        args.push(Value::Integer(cursor));
    }
    if text {
        sql.push_str(" AND ");
        filter.push_conditions("search", &mut sql, &mut args);
    }
    // The page size is part of the SQL, not a parameter (see `query::list_sql`).
    sql.push_str(&format!(
        " ORDER BY {key} {} LIMIT {limit}",
        match base.order {
            Order::NewestFirst => "DESC",
            Order::BySeq => "ASC",
        }
    ));
    let mut st = c.prepare_cached(&sql)?;
    let objects: Vec<StoredObject> = st
        .query_map(params_from_iter(args), stored)?
        .collect::<Result<_, _>>()?;
    let next = (objects.len() == limit)
        .then(|| objects.last().map(|o| o.seq))
        .flatten();
    Ok(Page { objects, next })
}

fn tlp_levels(c: &Connection, ids: &[String]) -> Result<Vec<(String, Tlp)>, StoreError> {
    let mut st = c.prepare_cached(&format!(
        "SELECT {} FROM versions WHERE id_key = ?1 AND id = ?2 AND is_current = 1",
        "versions.tlp"
    ))?;
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        let level: Option<i64> = st
            .query_row(params![id_key(id), id], |r| r.get(0))
            .optional()?;
        if let Some(level) = level {
            out.push((id.clone(), Tlp::from_rank(level)));
        }
    }
    Ok(out)
}

fn count_rows(c: &Connection) -> Result<Vec<CountRow>, StoreError> {
    // One walk over the current versions, summed here (a GROUP BY over four columns would
    // sort a million rows first).
    let mut st = c.prepare_cached(
        "SELECT type, tlp, created_by_ref, substr(date_added, 1, 10) \
         FROM versions WHERE is_current = 1",
    )?;
    let mut rows = st.query([])?;
    let mut sums: std::collections::HashMap<(String, i64, Option<String>, String), i64> =
        std::collections::HashMap::new();
    while let Some(r) = rows.next()? {
        let ty = r.get_ref(0)?.as_str().unwrap_or("");
        let level: i64 = r.get(1)?;
        let source = r.get_ref(2)?.as_str_or_null().unwrap_or(None);
        let day = r.get_ref(3)?.as_str().unwrap_or("");
        let key = (
            ty.to_owned(),
            level,
            source.map(str::to_owned),
            day.to_owned(),
        );
        *sums.entry(key).or_default() += 1;
    }
    Ok(sums
        .into_iter()
        .map(|((object_type, level, source, day), count)| CountRow {
            object_type,
            tlp: Tlp::from_rank(level),
            source,
            day,
            count,
        })
        .collect())
}

impl Users for SqliteStore {
    fn create_user(
        &self,
        name: &str,
        role: Role,
        clearance: Tlp,
        password_hash: &str,
    ) -> Result<Option<User>, StoreError> {
        let created = concord_stix::Timestamp::now_millis();
        let c = lock(&self.writer);
        let mut st = c.prepare_cached(
            "INSERT INTO users (name, role, clearance, password_hash, created) \
             VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (name) DO NOTHING",
        )?;
        if st.execute(params![
            name,
            role.as_str(),
            clearance.as_str(),
            password_hash,
            created
        ])? == 0
        {
            return Ok(None);
        }
        Ok(Some(User {
            id: c.last_insert_rowid(),
            name: name.to_owned(),
            role,
            clearance,
            created,
            disabled: false,
        }))
    }

    fn user_by_name(&self, name: &str) -> Result<Option<(User, String)>, StoreError> {
        self.read(|c| {
            let mut st = c.prepare_cached(&format!(
                "SELECT {USER_COLUMNS}, password_hash FROM users WHERE name = ?1"
            ))?;
            Ok(st
                .query_row([name], |r| Ok((user_row(r)?, r.get(6)?)))
                .optional()?)
        })
    }

    fn user(&self, id: i64) -> Result<Option<User>, StoreError> {
        self.read(|c| {
            let mut st =
                c.prepare_cached(&format!("SELECT {USER_COLUMNS} FROM users WHERE id = ?1"))?;
            Ok(st.query_row([id], user_row).optional()?)
        })
    }

    fn users(&self) -> Result<Vec<User>, StoreError> {
        self.read(|c| {
            let mut st =
                c.prepare_cached(&format!("SELECT {USER_COLUMNS} FROM users ORDER BY name"))?;
            let rows = st.query_map([], user_row)?;
            Ok(rows.collect::<Result<_, _>>()?)
        })
    }

    fn set_password(&self, id: i64, password_hash: &str) -> Result<bool, StoreError> {
        let mut c = lock(&self.writer);
        let tx = c.transaction()?;
        let n = tx.execute(
            "UPDATE users SET password_hash = ?1 WHERE id = ?2",
            params![password_hash, id],
        )?;
        tx.execute("DELETE FROM sessions WHERE user_id = ?1", [id])?;
        tx.commit()?;
        Ok(n > 0)
    }

    fn update_user(
        &self,
        id: i64,
        role: Role,
        clearance: Tlp,
        disabled: bool,
    ) -> Result<bool, StoreError> {
        let mut c = lock(&self.writer);
        let tx = c.transaction()?;
        let n = tx.execute(
            "UPDATE users SET role = ?1, clearance = ?2, disabled = ?3 WHERE id = ?4",
            params![role.as_str(), clearance.as_str(), disabled, id],
        )?;
        if disabled {
            tx.execute("DELETE FROM sessions WHERE user_id = ?1", [id])?;
        }
        tx.commit()?;
        Ok(n > 0)
    }

    fn create_session(
        &self,
        hash: &str,
        user_id: i64,
        csrf: &str,
        expires: &str,
    ) -> Result<(), StoreError> {
        let c = lock(&self.writer);
        c.prepare_cached(
            "INSERT INTO sessions (hash, user_id, csrf, expires) VALUES (?1, ?2, ?3, ?4)",
        )?
        .execute(params![hash, user_id, csrf, expires])?;
        Ok(())
    }

    fn session(&self, hash: &str, now: &str) -> Result<Option<Session>, StoreError> {
        self.read(|c| {
            let mut st = c.prepare_cached(
                "SELECT u.id, u.name, u.role, u.clearance, u.created, u.disabled, s.csrf, s.expires \
                 FROM sessions s JOIN users u ON u.id = s.user_id \
                 WHERE s.hash = ?1 AND s.expires > ?2 AND u.disabled = 0",
            )?;
            Ok(st
                .query_row([hash, now], |r| {
                    Ok(Session {
                        user: user_row(r)?,
                        csrf: r.get(6)?,
                        expires: r.get(7)?,
                    })
                })
                .optional()?)
        })
    }

    fn delete_session(&self, hash: &str, now: &str) -> Result<(), StoreError> {
        let c = lock(&self.writer);
        c.prepare_cached("DELETE FROM sessions WHERE hash = ?1 OR expires <= ?2")?
            .execute([hash, now])?;
        Ok(())
    }

    fn link_token(&self, token_id: i64, user_id: i64) -> Result<(), StoreError> {
        let c = lock(&self.writer);
        c.prepare_cached("INSERT OR REPLACE INTO user_tokens (token_id, user_id) VALUES (?1, ?2)")?
            .execute([token_id, user_id])?;
        Ok(())
    }

    fn token_owner(&self, token_id: i64) -> Result<Option<i64>, StoreError> {
        self.read(|c| {
            let mut st = c.prepare_cached("SELECT user_id FROM user_tokens WHERE token_id = ?1")?;
            Ok(st.query_row([token_id], |r| r.get(0)).optional()?)
        })
    }

    fn user_tokens(&self, user_id: i64) -> Result<Vec<TokenRecord>, StoreError> {
        self.read(|c| {
            let sql = format!(
                "SELECT {} FROM tokens t JOIN user_tokens u ON u.token_id = t.id \
                 WHERE u.user_id = ?1 ORDER BY t.id",
                super::tokens::columns("t.")
            );
            let mut st = c.prepare_cached(&sql)?;
            let rows = st.query_map([user_id], super::tokens::record)?;
            Ok(rows.collect::<Result<_, _>>()?)
        })
    }

    fn list_cleared(&self, q: &ClearedQuery) -> Result<Page, StoreError> {
        self.search_catch_up(&q.base)?;
        self.read_within(|c| list_cleared(c, q, &self.limits))
    }

    fn tlp_levels(&self, ids: &[String]) -> Result<Vec<(String, Tlp)>, StoreError> {
        self.read(|c| tlp_levels(c, ids))
    }

    fn count_rows(&self) -> Result<Vec<CountRow>, StoreError> {
        self.read(count_rows)
    }

    fn last_seq(&self) -> Result<i64, StoreError> {
        self.read(|c| {
            Ok(
                c.query_row("SELECT coalesce(max(seq), 0) FROM versions", [], |r| {
                    r.get(0)
                })?,
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use concord_stix::Object;

    use super::*;
    use crate::users::ClearedQuery;
    use crate::{ListQuery, Store};

    fn obj(n: u32, tlp: Option<Tlp>, label: &str) -> Object {
        let mut v = serde_json::json!({
            "type": "indicator", "spec_version": "2.1",
            "id": format!("indicator--00000000-0000-4000-8000-{n:012}"),
            "created": "2024-01-01T00:00:00.000Z", "modified": "2024-01-01T00:00:00.000Z",
            "name": format!("needle {n}"), "pattern": "[ipv4-addr:value = '198.51.100.1']",
            "pattern_type": "stix", "valid_from": "2024-01-01T00:00:00Z",
            "labels": [label],
            "created_by_ref": "identity--00000000-0000-4000-8000-000000000001",
        });
        if let Some(t) = tlp {
            v["object_marking_refs"] = serde_json::json!([t.marking_id()]);
        }
        Object::from_value(v).unwrap()
    }

    fn store() -> SqliteStore {
        let s = SqliteStore::open_in_memory().unwrap();
        s.ingest(&[
            obj(1, None, "a"),
            obj(2, Some(Tlp::Green), "b"),
            obj(3, Some(Tlp::Amber), "a"),
            obj(4, Some(Tlp::Red), "b"),
        ])
        .unwrap();
        s
    }

    fn names(p: &Page) -> Vec<String> {
        p.objects
            .iter()
            .map(|o| o.value()["name"].as_str().unwrap().to_owned())
            .collect()
    }

    #[test]
    fn listings_never_exceed_the_clearance() {
        let s = store();
        let mut q = ClearedQuery::new(Tlp::Green);
        assert_eq!(
            names(&s.list_cleared(&q).unwrap()),
            ["needle 2", "needle 1"]
        );
        q.base.text = Some("needle".into());
        assert_eq!(names(&s.list_cleared(&q).unwrap()).len(), 2);
        q.tlp = Some(Tlp::Red);
        assert!(s.list_cleared(&q).unwrap().objects.is_empty());
        let mut q = ClearedQuery::new(Tlp::Red);
        q.tlp = Some(Tlp::Amber);
        assert_eq!(names(&s.list_cleared(&q).unwrap()), ["needle 3"]);
        q.tlp = Some(Tlp::Clear);
        assert_eq!(names(&s.list_cleared(&q).unwrap()), ["needle 1"]);
        let mut q = ClearedQuery::new(Tlp::Amber);
        q.label = Some("b".into());
        assert_eq!(names(&s.list_cleared(&q).unwrap()), ["needle 2"]);
        q.label = None;
        q.source = Some("identity--00000000-0000-4000-8000-000000000009".into());
        assert!(s.list_cleared(&q).unwrap().objects.is_empty());
        q.source = None;
        q.base = ListQuery {
            limit: 1,
            ..ListQuery::default()
        };
        let p = s.list_cleared(&q).unwrap();
        assert_eq!(names(&p), ["needle 3"]);
        q.base.cursor = p.next;
        assert_eq!(names(&s.list_cleared(&q).unwrap()), ["needle 2"]);
    }

    #[test]
    fn levels_and_counts() {
        let s = store();
        let ids: Vec<String> = (1..=5)
            .map(|n| format!("indicator--00000000-0000-4000-8000-{n:012}"))
            .collect();
        let levels = s.tlp_levels(&ids).unwrap();
        let levels: Vec<Tlp> = levels.into_iter().map(|(_, t)| t).collect();
        assert_eq!(levels, [Tlp::Clear, Tlp::Green, Tlp::Amber, Tlp::Red]);
        let rows = s.count_rows().unwrap();
        assert_eq!(rows.iter().map(|r| r.count).sum::<i64>(), 4);
        assert!(rows.iter().any(|r| r.tlp == Tlp::Red && r.count == 1));
    }

    #[test]
    fn users_sessions_and_tokens() {
        let s = store();
        let u = s
            .create_user("ana", Role::Analyst, Tlp::Amber, "$argon2id$x")
            .unwrap()
            .unwrap();
        assert!(
            s.create_user("ana", Role::Admin, Tlp::Red, "h")
                .unwrap()
                .is_none()
        );
        let (found, hash) = s.user_by_name("ana").unwrap().unwrap();
        assert_eq!(found, u);
        assert_eq!(hash, "$argon2id$x");
        s.create_session("h1", u.id, "csrf1", "2999-01-01T00:00:00Z")
            .unwrap();
        s.create_session("h0", u.id, "csrf0", "2000-01-01T00:00:00Z")
            .unwrap();
        let now = "2026-01-01T00:00:00Z";
        assert_eq!(s.session("h1", now).unwrap().unwrap().csrf, "csrf1");
        assert!(s.session("h0", now).unwrap().is_none());
        assert!(
            s.update_user(u.id, Role::Reader, Tlp::Green, false)
                .unwrap()
        );
        assert_eq!(
            s.session("h1", now).unwrap().unwrap().user.role,
            Role::Reader
        );
        assert!(s.set_password(u.id, "new").unwrap());
        assert!(s.session("h1", now).unwrap().is_none(), "sessions end");
        s.create_session("h2", u.id, "c", "2999-01-01T00:00:00Z")
            .unwrap();
        s.update_user(u.id, Role::Reader, Tlp::Green, true).unwrap();
        assert!(s.session("h2", now).unwrap().is_none(), "disabled");
        let t = s.create_token("script", Role::Reader, "th").unwrap();
        s.link_token(t.id, u.id).unwrap();
        assert_eq!(s.token_owner(t.id).unwrap(), Some(u.id));
        assert_eq!(s.user_tokens(u.id).unwrap(), [t]);
        assert_eq!(s.users().unwrap().len(), 1);
    }
}
