//! The SQLite schema and its migrations, versioned with `PRAGMA user_version`.

use rusqlite::{Connection, TransactionBehavior};

use crate::StoreError;

/// The schema version this code writes (`PRAGMA user_version`).
pub const SCHEMA_VERSION: i64 = 1;

/// Version 1: versions, markings, observables, refs, search, tokens.
const V1: &str = r"
CREATE TABLE versions (
    seq            INTEGER PRIMARY KEY AUTOINCREMENT,
    id             TEXT    NOT NULL,
    type           TEXT    NOT NULL,
    version        TEXT    NOT NULL,   -- modified, else created, else '' (SCOs)
    version_ns     INTEGER NOT NULL,   -- version as ns since the epoch, for ordering
    created        TEXT,
    modified       TEXT,
    spec_version   TEXT    NOT NULL,
    created_by_ref TEXT,
    revoked        INTEGER NOT NULL,
    confidence     INTEGER,
    lang           TEXT,
    date_added     TEXT    NOT NULL,   -- node clock, RFC 3339 UTC, milliseconds
    is_current     INTEGER NOT NULL,   -- 1 for the current version of its id
    json           TEXT    NOT NULL    -- RFC 8785 canonical text
);
CREATE UNIQUE INDEX versions_id_version ON versions (id, version);
CREATE INDEX versions_current_type ON versions (type, seq) WHERE is_current = 1;

CREATE TABLE markings (
    seq         INTEGER NOT NULL,
    marking_ref TEXT    NOT NULL,
    PRIMARY KEY (seq, marking_ref)
) WITHOUT ROWID;

CREATE TABLE observables (
    kind  TEXT NOT NULL,
    value TEXT NOT NULL,
    id    TEXT NOT NULL,
    PRIMARY KEY (kind, value, id)
) WITHOUT ROWID;

CREATE TABLE refs (
    source TEXT NOT NULL,
    path   TEXT NOT NULL,
    target TEXT NOT NULL,
    PRIMARY KEY (source, path)
) WITHOUT ROWID;
CREATE INDEX refs_target ON refs (target);

CREATE VIRTUAL TABLE search USING fts5 (
    text,
    tokenize = 'trigram remove_diacritics 1'
);

CREATE TABLE tokens (
    id      INTEGER PRIMARY KEY AUTOINCREMENT,
    name    TEXT NOT NULL,
    role    TEXT NOT NULL,
    hash    TEXT NOT NULL UNIQUE,
    created TEXT NOT NULL
);
";

/// Creates the schema or brings it up to [`SCHEMA_VERSION`], in one immediate transaction
/// (so two processes opening a new database at once do not both create it).
pub(super) fn migrate(conn: &Connection) -> Result<(), StoreError> {
    let tx = rusqlite::Transaction::new_unchecked(conn, TransactionBehavior::Immediate)?;
    let version: i64 = tx.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if version > SCHEMA_VERSION {
        return Err(StoreError::Corrupt {
            id: "schema".into(),
            reason: format!(
                "database schema version {version} is newer than this program's ({SCHEMA_VERSION})"
            ),
        });
    }
    if version < 1 {
        tx.execute_batch(V1)?;
        tracing::info!(version = SCHEMA_VERSION, "Created database schema.");
    }
    tx.pragma_update(None, "user_version", SCHEMA_VERSION)?;
    tx.commit()?;
    Ok(())
}
