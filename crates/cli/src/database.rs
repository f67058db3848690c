//! The node's database: SQLite (`concord.db` in the data directory, the default) or
//! PostgreSQL (`[store] database_url`), opened as one [`NodeStore`] that every command
//! uses through the `Store` traits; [`redact`] is how a database URL is ever shown.
//!
//! The URL may hold a password. It is read from `concord.toml` (mode 0600) or
//! `CONCORD_STORE_DATABASE_URL`, handed to the PostgreSQL client, and otherwise appears
//! (in messages, logs, `node show`) only redacted.
//!
//! [`migrate_to`] is `concord migrate --to URL`: a SQLite node's store copied whole into
//! an empty PostgreSQL database (`PgStore::copy_from_sqlite_with`).

mod delegate;

use std::ops::Deref;
use std::path::Path;
use std::sync::Arc;

use anyhow::{Context, bail};
use concord_store::federation::FederationStore;
use concord_store::sqlite::SqliteStore;
use concord_store::users::Users;
use concord_store::{Limits, Store};
use concord_store_pg::PgStore;

/// What shows in place of a password.
const HIDDEN: &str = "***";

/// A node's store: either backend. It implements the store traits (handing each call to
/// the backend) and derefs to `dyn Store`.
pub enum NodeStore {
    /// `concord.db` in the data directory.
    Sqlite(SqliteStore),
    /// A PostgreSQL database; the URL, redacted, for messages.
    Postgres(PgStore, String),
}

impl Deref for NodeStore {
    type Target = dyn Store;

    fn deref(&self) -> &Self::Target {
        match self {
            NodeStore::Sqlite(s) => s,
            NodeStore::Postgres(s, _) => s,
        }
    }
}

impl NodeStore {
    /// Opens the PostgreSQL store at `url`, creating or migrating its schema.
    pub fn postgres(url: &str, limits: Limits) -> anyhow::Result<NodeStore> {
        let shown = redact(url);
        let store = PgStore::open_with_limits(url, limits)
            .with_context(|| format!("cannot open the PostgreSQL store at {shown}"))?;
        Ok(NodeStore::Postgres(store, shown))
    }

    /// Where the data is: `sqlite` or the redacted PostgreSQL URL.
    pub fn location(&self) -> String {
        match self {
            NodeStore::Sqlite(_) => "sqlite".into(),
            NodeStore::Postgres(_, url) => url.clone(),
        }
    }

    /// The store as the server and background tasks share it.
    pub fn shared(self) -> Arc<dyn Store> {
        match self {
            NodeStore::Sqlite(s) => Arc::new(s),
            NodeStore::Postgres(s, _) => Arc::new(s),
        }
    }
}

/// Makes sure the store is the node `node_id`'s: a PostgreSQL database records the node
/// id of the first node that serves from it, and refuses any other (a second `concord
/// init` against the same database, or a replica given another node's `node.key`); a
/// SQLite store is the directory's own. `node_id` is recorded only when `claim` is set.
pub fn check_node(store: &NodeStore, node_id: &str, claim: bool) -> anyhow::Result<()> {
    let NodeStore::Postgres(pg, shown) = store else {
        return Ok(());
    };
    let recorded = if claim {
        Some(pg.claim_node(node_id)?)
    } else {
        pg.node_id()?
    };
    match recorded {
        Some(other) if other != node_id => bail!(
            "the database at {shown} is the store of node {other}, but this data directory's {} is node {node_id}'s: one database holds one node. To run another replica of node {other}, copy its data directory (with its {} and {}) and serve from the copy, instead of `concord init`",
            crate::node::KEY_FILE,
            crate::node::KEY_FILE,
            crate::config::FILE_NAME
        ),
        _ => Ok(()),
    }
}

/// `concord migrate --to URL`: copies the SQLite store of the node in `dir` into the empty
/// PostgreSQL database at `url` (the node stopped: its directory's lock is held
/// meanwhile), with a progress bar, then prints how to make the node use it.
pub fn migrate_to(dir: &Path, url: &str) -> anyhow::Result<()> {
    let shown = redact(url);
    if !dir.join(crate::node::KEY_FILE).exists() {
        bail!(
            "{} is not a Concord data directory (no {}); nothing to migrate",
            dir.display(),
            crate::node::KEY_FILE
        );
    }
    let config = crate::config::Config::load(dir)?;
    if !config.store.database_url.is_empty() {
        bail!(
            "this node's store is PostgreSQL already ({}); `concord migrate` copies a node's SQLite store",
            redact(&config.store.database_url)
        );
    }
    let lock = crate::node::lock(dir)
        .context("`concord migrate` copies the node as it is, which needs it stopped")?;
    crate::backup::migrate_with_backup(dir, Some(&lock))?;
    let db = dir.join(crate::node::DB_FILE);
    let versions = SqliteStore::open(&db)
        .and_then(|s| s.stats())
        .with_context(|| format!("cannot read {}", db.display()))?
        .versions;
    let pg = PgStore::open(url)
        .with_context(|| format!("cannot open the PostgreSQL store at {shown}"))?;
    let held = pg.stats()?.versions;
    let others = pg.tokens()?.len() + pg.users()?.len() + pg.peers()?.len();
    if held > 0 || others > 0 {
        bail!(
            "the database at {shown} is not empty (it holds {held} versions and {others} tokens, users or peers); `concord migrate` copies only into an empty database (make one with `createdb`)"
        );
    }
    let bar = crate::progress::count_bar(u64::try_from(versions).unwrap_or(0), "Copying versions");
    let report = pg
        .copy_from_sqlite_with(&db, &mut |n| bar.set_position(n))
        .with_context(|| format!("cannot copy {} into {shown}", db.display()));
    bar.finish_and_clear();
    let report = report?;
    drop(lock);
    let rows: Vec<String> = report
        .rows
        .iter()
        .map(|(table, n)| format!("{table} {n}"))
        .collect();
    println!(
        "Copied {} versions ({}) from {} to {shown}.",
        report.versions,
        rows.join(", "),
        db.display()
    );
    let hidden = if shown == url {
        String::new()
    } else {
        format!(" (with the password in place of {HIDDEN})")
    };
    println!(
        "To run this node on PostgreSQL, set database_url in the [store] section of {} (add the section if it is missing){hidden}:

[store]
database_url = {shown:?}

or set CONCORD_STORE_DATABASE_URL. {} stays as it is; the node no longer reads it once it runs on PostgreSQL.",
        dir.join(crate::config::FILE_NAME).display(),
        crate::node::DB_FILE
    );
    Ok(())
}

/// `url` with any password replaced by `***`: the password of a URL's user
/// (`postgres://user:secret@host/db`) and `password=` parameters (of a URL's query or of
/// a `key=value` connection string). Errs on the side of hiding: when the user part cannot
/// be told apart, everything before the last `@` after the user name goes.
pub fn redact(url: &str) -> String {
    let mut out = match url.split_once("://") {
        Some((scheme, rest)) => match rest.rfind('@') {
            Some(at) => match rest[..at].split_once(':') {
                Some((user, _)) => format!("{scheme}://{user}:{HIDDEN}{}", &rest[at..]),
                None => url.to_owned(),
            },
            None => url.to_owned(),
        },
        None => url.to_owned(),
    };
    let mut from = 0;
    while let Some(found) = out[from..].to_ascii_lowercase().find("password") {
        let key_end = from + found + "password".len();
        let after = out[key_end..].trim_start();
        let Some(value) = after.strip_prefix('=') else {
            from = key_end;
            continue;
        };
        let value = value.trim_start();
        let start = out.len() - value.len();
        let len = if let Some(quoted) = value.strip_prefix('\'') {
            // A quoted value of a key=value string: up to the closing quote (`\'` escapes).
            let mut end = quoted.len();
            let mut escaped = false;
            for (i, c) in quoted.char_indices() {
                match c {
                    '\\' if !escaped => escaped = true,
                    '\'' if !escaped => {
                        end = i + 1;
                        break;
                    }
                    _ => escaped = false,
                }
            }
            1 + end
        } else {
            value
                .find(|c: char| c == '&' || c == '#' || c.is_whitespace())
                .unwrap_or(value.len())
        };
        out.replace_range(start..start + len, HIDDEN);
        from = start + HIDDEN.len();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::redact;

    #[test]
    fn passwords_are_hidden() {
        for (url, shown) in [
            (
                "postgres://concord:s3cret@db.example:5432/concord",
                "postgres://concord:***@db.example:5432/concord",
            ),
            (
                "postgresql://u:p%40ss@h/db?sslmode=require",
                "postgresql://u:***@h/db?sslmode=require",
            ),
            // An unencoded `@` or `/` in the password still hides all of it.
            ("postgres://u:a@b/c@h/db", "postgres://u:***@h/db"),
            (
                "postgres://u@h/db?password=s3cret&sslmode=disable",
                "postgres://u@h/db?password=***&sslmode=disable",
            ),
            (
                "host=h user=u password='a b\\' c' dbname=d",
                "host=h user=u password=*** dbname=d",
            ),
            (
                "host=h PASSWORD = s3cret dbname=d",
                "host=h PASSWORD = *** dbname=d",
            ),
            ("postgres://u@h:5432/db", "postgres://u@h:5432/db"),
            ("postgres://h/db", "postgres://h/db"),
            ("", ""),
        ] {
            let got = redact(url);
            assert_eq!(got, shown, "{url}");
            assert!(!got.contains("s3cret") && !got.contains("ss@"), "{got}");
        }
    }
}
