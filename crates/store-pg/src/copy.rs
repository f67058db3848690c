//! Copying a SQLite node's database whole into an empty PostgreSQL store (the store side
//! of `concord migrate --to postgres://...`): every version with its `seq`,
//! `date_added`, current flag and TLP ranks, tokens, users, sessions, token
//! owners, peers with their cursors, provenance and the audit chain as they are, in one
//! PostgreSQL transaction (all of it or nothing). The sequences continue after the
//! copied values; the derived indexes are built behind, by the indexer (its cursor is set
//! back to the start), and a search or correlation asked before it is done waits for it.

use std::path::Path;

use concord_store::StoreError;
use rusqlite::types::ValueRef;
use tokio_postgres::types::ToSql;

use crate::indexer::INDEX_LOCK;
use crate::ingest::{INSERT_VERSIONS, WRITE_LOCK};
use crate::{Fail, PgStore, R};

/// Rows sent to the copying transaction at a time.
const CHUNK: usize = 5_000;

/// What was copied.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CopyReport {
    /// Versions copied.
    pub versions: u64,
    /// Rows of the other tables copied, by table.
    pub rows: Vec<(&'static str, u64)>,
}

/// The kind of a column, as PostgreSQL takes it (every column may be NULL).
#[derive(Clone, Copy)]
enum Kind {
    Text,
    Int,
    Bool,
}

/// The tables copied as they are: name, then columns and kinds.
const TABLES: &[(&str, &[(&str, Kind)])] = &[
    (
        "tokens",
        &[
            ("id", Kind::Int),
            ("name", Kind::Text),
            ("role", Kind::Text),
            ("hash", Kind::Text),
            ("created", Kind::Text),
            ("clearance", Kind::Text),
            ("expires", Kind::Text),
            ("last_used", Kind::Text),
        ],
    ),
    (
        "users",
        &[
            ("id", Kind::Int),
            ("name", Kind::Text),
            ("role", Kind::Text),
            ("clearance", Kind::Text),
            ("password_hash", Kind::Text),
            ("created", Kind::Text),
            ("disabled", Kind::Bool),
        ],
    ),
    (
        "sessions",
        &[
            ("hash", Kind::Text),
            ("user_id", Kind::Int),
            ("csrf", Kind::Text),
            ("expires", Kind::Text),
        ],
    ),
    (
        "user_tokens",
        &[("token_id", Kind::Int), ("user_id", Kind::Int)],
    ),
    (
        "peers",
        &[
            ("node_id", Kind::Text),
            ("name", Kind::Text),
            ("url", Kind::Text),
            ("public_key", Kind::Text),
            ("country", Kind::Text),
            ("sectors", Kind::Text),
            ("agreement", Kind::Text),
            ("added", Kind::Text),
            ("cursor", Kind::Int),
            ("head", Kind::Int),
            ("last_sync", Kind::Text),
            ("last_error", Kind::Text),
            ("last_error_at", Kind::Text),
            ("received", Kind::Int),
            ("live_since", Kind::Text),
            ("insecure_http", Kind::Bool),
            ("refused", Kind::Int),
            ("last_refusal", Kind::Text),
            ("last_refusal_at", Kind::Text),
        ],
    ),
    (
        "provenance",
        &[
            ("id", Kind::Text),
            ("version", Kind::Text),
            ("origin", Kind::Text),
            ("origin_key", Kind::Text),
            ("signature", Kind::Text),
            ("received_from", Kind::Text),
            ("hops_left", Kind::Int),
            ("redactor", Kind::Text),
            ("redactor_key", Kind::Text),
            ("redactor_sig", Kind::Text),
        ],
    ),
    (
        "audit",
        &[
            ("n", Kind::Int),
            ("at", Kind::Text),
            ("peer", Kind::Text),
            ("object_id", Kind::Text),
            ("version", Kind::Text),
            ("verdict", Kind::Text),
            ("agreement", Kind::Text),
            ("reasons", Kind::Text),
            ("prev", Kind::Text),
            ("hash", Kind::Text),
        ],
    ),
];

/// One column's values of a chunk.
enum Array {
    Text(Vec<Option<String>>),
    Int(Vec<Option<i64>>),
    Bool(Vec<Option<bool>>),
}

impl Array {
    fn new(kind: Kind) -> Array {
        match kind {
            Kind::Text => Array::Text(Vec::new()),
            Kind::Int => Array::Int(Vec::new()),
            Kind::Bool => Array::Bool(Vec::new()),
        }
    }

    fn push(&mut self, v: ValueRef<'_>) {
        match (self, v) {
            (Array::Text(a), ValueRef::Text(t) | ValueRef::Blob(t)) => {
                a.push(Some(String::from_utf8_lossy(t).into_owned()));
            }
            (Array::Text(a), ValueRef::Integer(i)) => a.push(Some(i.to_string())),
            (Array::Int(a), ValueRef::Integer(i)) => a.push(Some(i)),
            (Array::Bool(a), ValueRef::Integer(i)) => a.push(Some(i != 0)),
            (Array::Text(a), _) => a.push(None),
            (Array::Int(a), _) => a.push(None),
            (Array::Bool(a), _) => a.push(None),
        }
    }

    fn boxed(self) -> Box<dyn ToSql + Send + Sync> {
        match self {
            Array::Text(a) => Box::new(a),
            Array::Int(a) => Box::new(a),
            Array::Bool(a) => Box::new(a),
        }
    }
}

/// What the reading side sends to the copying transaction.
enum Message {
    /// Rows of a table: the insert and one array per column.
    Rows(String, Vec<Box<dyn ToSql + Send + Sync>>),
    /// Versions (the arrays of `INSERT_VERSIONS`).
    Versions(Vec<Box<dyn ToSql + Send + Sync>>),
    /// Everything was sent: set what follows and commit.
    Done { date_added_last: Option<String> },
}

fn sqlite(e: rusqlite::Error) -> StoreError {
    StoreError::Backend(format!("reading the SQLite database: {e}"))
}

/// The copying transaction: refuses a store that holds anything, then applies messages
/// until `Done`, then commits.
async fn apply(
    mut c: deadpool_postgres::Object,
    mut rx: tokio::sync::mpsc::Receiver<Message>,
) -> R<()> {
    let tx = c.transaction().await?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&WRITE_LOCK])
        .await?;
    // Indexers wait until the copy is committed, then index it from the start.
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&INDEX_LOCK])
        .await?;
    tx.execute("UPDATE index_state SET indexed_seq = 0", &[])
        .await?;
    let held: i64 = tx
        .query_one(
            "SELECT (SELECT count(*) FROM versions) + (SELECT count(*) FROM tokens) + \
             (SELECT count(*) FROM users) + (SELECT count(*) FROM peers) + \
             (SELECT count(*) FROM audit)",
            &[],
        )
        .await?
        .get(0);
    if held > 0 {
        return Err(Fail(StoreError::Backend(
            "the PostgreSQL database already holds a node (versions, tokens, users, peers or \
             audit entries); copy only into an empty one"
                .into(),
        )));
    }
    while let Some(m) = rx.recv().await {
        match m {
            Message::Rows(sql, arrays) => {
                let args: Vec<&(dyn ToSql + Sync)> = arrays
                    .iter()
                    .map(|a| a.as_ref() as &(dyn ToSql + Sync))
                    .collect();
                tx.execute(sql.as_str(), &args).await?;
            }
            Message::Versions(arrays) => {
                let args: Vec<&(dyn ToSql + Sync)> = arrays
                    .iter()
                    .map(|a| a.as_ref() as &(dyn ToSql + Sync))
                    .collect();
                tx.execute(INSERT_VERSIONS, &args).await?;
            }
            Message::Done { date_added_last } => {
                tx.batch_execute(
                    "SELECT setval('versions_seq', coalesce((SELECT max(seq) FROM versions), 0) + 1, false);
                     SELECT setval(pg_get_serial_sequence('tokens', 'id'), coalesce((SELECT max(id) FROM tokens), 0) + 1, false);
                     SELECT setval(pg_get_serial_sequence('users', 'id'), coalesce((SELECT max(id) FROM users), 0) + 1, false);",
                )
                .await?;
                if let Some(last) = date_added_last {
                    tx.execute(
                        "INSERT INTO store_meta (key, value) VALUES ('date_added_last', $1) \
                         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                        &[&last],
                    )
                    .await?;
                }
                tx.commit().await?;
                return Ok(());
            }
        }
    }
    Err(Fail(StoreError::Backend(
        "the copy stopped before it was complete; nothing was kept".into(),
    )))
}

/// The `INSERT` of a table's columns from one array each.
fn insert_sql(table: &str, cols: &[(&str, Kind)]) -> String {
    let names: Vec<&str> = cols.iter().map(|(n, _)| *n).collect();
    let arrays: Vec<String> = cols
        .iter()
        .enumerate()
        .map(|(i, (_, k))| {
            let ty = match k {
                Kind::Text => "text",
                Kind::Int => "bigint",
                Kind::Bool => "boolean",
            };
            format!("${}::{ty}[]", i + 1)
        })
        .collect();
    format!(
        "INSERT INTO {table} ({}) SELECT * FROM unnest({})",
        names.join(", "),
        arrays.join(", ")
    )
}

impl PgStore {
    /// Copies the SQLite database at `path` (a node's `concord.db`, migrated to the
    /// current SQLite schema first) whole into this store, which must hold no node yet
    /// (see the module doc). Nothing is kept if it fails.
    ///
    /// # Errors
    /// The SQLite database cannot be opened or read, this store is not empty, or
    /// PostgreSQL fails.
    ///
    /// # Panics
    /// When called from inside an async runtime (it blocks its thread while it reads).
    pub fn copy_from_sqlite(&self, path: &Path) -> Result<CopyReport, StoreError> {
        self.copy_from_sqlite_with(path, &mut |_| {})
    }

    /// [`PgStore::copy_from_sqlite`], calling `progress` with the number of versions
    /// read so far after each chunk of them is handed to the copying transaction.
    ///
    /// # Errors
    /// As [`PgStore::copy_from_sqlite`].
    ///
    /// # Panics
    /// As [`PgStore::copy_from_sqlite`].
    pub fn copy_from_sqlite_with(
        &self,
        path: &Path,
        progress: &mut dyn FnMut(u64),
    ) -> Result<CopyReport, StoreError> {
        // Opening it migrates an older schema (and fails on a newer one).
        drop(concord_store::sqlite::SqliteStore::open(path)?);
        let db = rusqlite::Connection::open_with_flags(
            path,
            rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(sqlite)?;
        // One read transaction: a consistent snapshot even if a process writes meanwhile.
        db.execute_batch("BEGIN").map_err(sqlite)?;
        let (tx, rx) = tokio::sync::mpsc::channel::<Message>(2);
        let pool = self.plain.clone();
        let (done_tx, done_rx) = std::sync::mpsc::sync_channel(1);
        self.handle.spawn(async move {
            let r = async {
                let c = pool.get().await?;
                apply(c, rx).await
            }
            .await;
            let _ = done_tx.send(r);
        });
        let sent = send_all(&db, &tx, progress);
        drop(tx);
        let applied = done_rx
            .recv()
            .unwrap_or_else(|_| Err(Fail(StoreError::Backend("the copy task ended".into()))));
        // An error of the applying side explains a failed send; report it first.
        applied.map_err(|f| f.0)?;
        sent
    }
}

/// Reads every table and sends it (the channel is bounded: reading waits for writing).
fn send_all(
    db: &rusqlite::Connection,
    tx: &tokio::sync::mpsc::Sender<Message>,
    progress: &mut dyn FnMut(u64),
) -> Result<CopyReport, StoreError> {
    let send = |m: Message| {
        tx.blocking_send(m)
            .map_err(|_| StoreError::Backend("the copying transaction stopped".into()))
    };
    let mut report = CopyReport {
        versions: send_versions(db, &send, progress)?,
        rows: Vec::new(),
    };
    for (table, cols) in TABLES {
        let names: Vec<&str> = cols.iter().map(|(n, _)| *n).collect();
        let mut st = db
            .prepare(&format!("SELECT {} FROM {table}", names.join(", ")))
            .map_err(sqlite)?;
        let mut rows = st.query([]).map_err(sqlite)?;
        let sql = insert_sql(table, cols);
        let fresh = || cols.iter().map(|(_, k)| Array::new(*k)).collect::<Vec<_>>();
        let mut arrays = fresh();
        let (mut n, mut total) = (0usize, 0u64);
        while let Some(r) = rows.next().map_err(sqlite)? {
            for (i, a) in arrays.iter_mut().enumerate() {
                a.push(r.get_ref(i).map_err(sqlite)?);
            }
            n += 1;
            total += 1;
            if n == CHUNK {
                let full = std::mem::replace(&mut arrays, fresh());
                send(Message::Rows(
                    sql.clone(),
                    full.into_iter().map(Array::boxed).collect(),
                ))?;
                n = 0;
            }
        }
        if n > 0 {
            send(Message::Rows(
                sql,
                arrays.into_iter().map(Array::boxed).collect(),
            ))?;
        }
        report.rows.push((table, total));
    }
    let date_added_last: Option<String> = db
        .query_row(
            "SELECT value FROM store_meta WHERE key = 'date_added_last'",
            [],
            |r| r.get(0),
        )
        .ok();
    send(Message::Done { date_added_last })?;
    Ok(report)
}

/// Sends every version, by `seq`, in chunks; returns how many.
fn send_versions(
    db: &rusqlite::Connection,
    send: &dyn Fn(Message) -> Result<(), StoreError>,
    progress: &mut dyn FnMut(u64),
) -> Result<u64, StoreError> {
    let mut st = db
        .prepare(
            "SELECT seq, id, type, version, version_ns, created, modified, spec_version, \
             created_by_ref, revoked, confidence, lang, date_added, is_current, replaces, tlp, \
             tlp_max, json FROM versions ORDER BY seq",
        )
        .map_err(sqlite)?;
    let mut rows = st.query([]).map_err(sqlite)?;
    let kinds = [
        Kind::Int,
        Kind::Text,
        Kind::Text,
        Kind::Text,
        Kind::Int,
        Kind::Text,
        Kind::Text,
        Kind::Text,
        Kind::Text,
        Kind::Bool,
        Kind::Int,
        Kind::Text,
        Kind::Text,
        Kind::Int, // added_us, computed
        Kind::Bool,
        Kind::Int,
        Kind::Int,
        Kind::Int,
        Kind::Text,
    ];
    let fresh = || kinds.iter().map(|k| Array::new(*k)).collect::<Vec<_>>();
    let mut arrays = fresh();
    let (mut n, mut total) = (0usize, 0u64);
    while let Some(r) = rows.next().map_err(sqlite)? {
        // SQLite columns 0..=12 go to arrays 0..=12, `added_us` is array 13, the rest
        // shift by one.
        for (i, a) in arrays.iter_mut().enumerate().take(13) {
            a.push(r.get_ref(i).map_err(sqlite)?);
        }
        let id: String = r.get(1).map_err(sqlite)?;
        let added: String = r.get(12).map_err(sqlite)?;
        let added_us = concord_stix::Timestamp::parse(&added)
            .map(|t| t.instant().timestamp_micros())
            .map_err(|e| StoreError::Corrupt {
                id,
                reason: format!("date_added {added:?}: {e:?}"),
            })?;
        arrays[13].push(ValueRef::Integer(added_us));
        for (i, a) in arrays.iter_mut().enumerate().skip(14) {
            a.push(r.get_ref(i - 1).map_err(sqlite)?);
        }
        n += 1;
        total += 1;
        if n == CHUNK {
            let full = std::mem::replace(&mut arrays, fresh());
            send(Message::Versions(
                full.into_iter().map(Array::boxed).collect(),
            ))?;
            progress(total);
            n = 0;
        }
    }
    if n > 0 {
        send(Message::Versions(
            arrays.into_iter().map(Array::boxed).collect(),
        ))?;
        progress(total);
    }
    Ok(total)
}
