//! The SQLite schemas and their migrations, versioned with `PRAGMA user_version`: the
//! main database (versions, markings, tokens) and the index database (the derived
//! indexes, which can always be rebuilt from the main database).

use std::path::Path;

use rusqlite::{Connection, OpenFlags, OptionalExtension, TransactionBehavior, params};

use crate::StoreError;

/// The schema version this code writes in the main database (`PRAGMA user_version`).
pub const SCHEMA_VERSION: i64 = 3;

/// The schema version of the index database. An index database of another version is
/// emptied and rebuilt (its content is derived).
/// Index version 2: `refs_target` covers `(target, source, path)`, so the references to a
/// much-referenced object (a source identity of 100,000 objects) come in order from the
/// index instead of being sorted whole for each page. Older index files are rebuilt.
/// Index version 3: correlation values take `concord_stix::observable::Kind::normalise`,
/// the matcher's forms (URLs per RFC 3986, MAC addresses in colon form, hashes checked).
const INDEX_SCHEMA_VERSION: i64 = 3;

/// Version 1: versions, markings, observables, refs, search, tokens (all in one file).
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

/// Version 2 (from 1): versions are found by `id_key` (a 64-bit hash of the id, see
/// [`id_key`]) instead of a unique text index on `(id, version)`; `replaces` names the
/// version a new current version demoted (for the indexer); the derived indexes move to
/// the index database; `store_meta` holds a random store id that the index database
/// copies, so an index file that belongs to another database is noticed.
const V2: &str = r"
ALTER TABLE versions ADD COLUMN id_key INTEGER NOT NULL DEFAULT 0;
ALTER TABLE versions ADD COLUMN replaces INTEGER;
DROP INDEX versions_id_version;
DROP TABLE observables;
DROP TABLE refs;
DROP TABLE search;
CREATE TABLE store_meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;
INSERT INTO store_meta (key, value) VALUES ('store_id', lower(hex(randomblob(16))));
";

/// Created after `id_key` is filled in.
const V2_INDEX: &str = "CREATE INDEX versions_id_key ON versions (id_key);";

/// Version 3: each version's TLP levels as ranks (`Tlp::rank`, 0 CLEAR to 4 RED), so that
/// a listing for a clearance filters in its own query at the cost of a column compare:
/// `tlp` is the strictest of its object markings (`visibility::object_level`), `tlp_max`
/// that or a stricter granular marking (`visibility::highest_level`). Filled in from
/// each version's JSON by the same functions the rule uses.
const V3: &str = r"
ALTER TABLE versions ADD COLUMN tlp INTEGER NOT NULL DEFAULT 0;
ALTER TABLE versions ADD COLUMN tlp_max INTEGER NOT NULL DEFAULT 0;
";

/// Fills in V3's columns for versions that carry a marking (the others are CLEAR, the
/// columns' default).
fn fill_tlp_columns(tx: &Connection) -> Result<(), StoreError> {
    use concord_stix::visibility::{highest_level, object_level};
    let mut marked = tx.prepare(
        "SELECT seq, json FROM versions \
         WHERE seq IN (SELECT seq FROM markings) OR instr(json, '\"granular_markings\"') > 0",
    )?;
    // Levels first, updates after: the scan does not walk rows it is changing.
    let levels: Vec<(i64, i64, i64)> = marked
        .query_map([], |r| {
            let v: serde_json::Value =
                serde_json::from_str(r.get_ref(1)?.as_str()?).unwrap_or(serde_json::Value::Null);
            Ok((r.get(0)?, object_level(&v).rank(), highest_level(&v).rank()))
        })?
        .collect::<Result<_, _>>()?;
    let mut set = tx.prepare("UPDATE versions SET tlp = ?1, tlp_max = ?2 WHERE seq = ?3")?;
    for (seq, tlp, tlp_max) in &levels {
        set.execute(params![tlp, tlp_max, seq])?;
    }
    let n = levels.len();
    tracing::info!(versions = n, "TLP columns filled in.");
    Ok(())
}

/// The index database, with `{p}` replaced by the schema prefix (`idx.` when it is
/// created through an attaching connection, empty on its own connection).
///
/// - `state`: the indexer's cursor (`indexed_seq`: every version up to it is reflected)
///   and the store id of the main database it was built from.
/// - `observables`: one row per `(kind, value, id)` of current versions.
/// - `refs`: one row per `(source, path, target)` of current versions.
/// - `search`: FTS5 (`trigram`, diacritics removed) over `search_text()` of current
///   versions; its rowid is the version's `seq`.
const INDEX_DDL: &str = r"
CREATE TABLE {p}state (
    one         INTEGER PRIMARY KEY CHECK (one = 1),
    store_id    TEXT    NOT NULL,
    indexed_seq INTEGER NOT NULL
);
INSERT INTO {p}state (one, store_id, indexed_seq) VALUES (1, '', 0);

CREATE TABLE {p}observables (
    kind  TEXT NOT NULL,
    value TEXT NOT NULL,
    id    TEXT NOT NULL,
    PRIMARY KEY (kind, value, id)
) WITHOUT ROWID;

CREATE TABLE {p}refs (
    source TEXT NOT NULL,
    path   TEXT NOT NULL,
    target TEXT NOT NULL,
    PRIMARY KEY (source, path)
) WITHOUT ROWID;
CREATE INDEX {p}refs_target ON refs (target, source, path);

CREATE VIRTUAL TABLE {p}search USING fts5 (
    text,
    tokenize = 'trigram remove_diacritics 1',
    columnsize = 0
);
-- Bulk indexing: an 8 MB in-memory hash per flush, so that a chunk becomes few large
-- segments (fewer merges) instead of many 1 MB ones (bigger hashes were slower to fill);
-- automerge 16 instead of 4 (measured at 300k objects: a fifth less indexing time).
INSERT INTO {p}search (search, rank) VALUES ('hashsize', 8388608);
INSERT INTO {p}search (search, rank) VALUES ('automerge', 16);
";

/// The tables of the index database, dropped when its schema version is not ours.
const INDEX_TABLES: &[&str] = &["state", "observables", "refs", "search"];

/// The key versions are looked up by: a 64-bit hash of the id (FNV-1a, then the
/// SplitMix64 finaliser), stable across processes and releases. Two ids may share a key;
/// every look-up also compares the id.
pub(super) fn id_key(id: &str) -> i64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in id.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h ^= h >> 30;
    h = h.wrapping_mul(0xbf58_476d_1ce4_e5b9);
    h ^= h >> 27;
    h = h.wrapping_mul(0x94d0_49bb_1331_11eb);
    h ^= h >> 31;
    i64::from_ne_bytes(h.to_ne_bytes())
}

/// A digest of the later modules' table definitions, kept in `store_meta` so that an open
/// can tell whether they were applied.
fn module_ddl_digest() -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    h.update(super::users::DDL.as_bytes());
    h.update(super::federation::DDL.as_bytes());
    h.update(super::governance::DDL.as_bytes());
    h.update(super::ephemeral::DDL.as_bytes());
    for (t, c, d) in super::federation::ADDED_COLUMNS
        .iter()
        .chain(super::tokens::ADDED_COLUMNS)
    {
        h.update(format!("{t}.{c} {d};").as_bytes());
    }
    hex::encode(h.finalize())
}

/// Whether the main schema is at [`SCHEMA_VERSION`] with the later modules' tables (a read,
/// no lock held after it).
fn current(conn: &Connection) -> Result<bool, StoreError> {
    let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if version != SCHEMA_VERSION {
        return Ok(false);
    }
    let ddl: Option<String> = conn
        .query_row(
            "SELECT value FROM store_meta WHERE key = 'module_ddl'",
            [],
            |r| r.get(0),
        )
        .optional()?;
    Ok(ddl.as_deref() == Some(module_ddl_digest().as_str()))
}

/// A change that opening an existing store would make to its main schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PendingMigration {
    /// The schema version on disk (`PRAGMA user_version`).
    pub from: i64,
    /// The version this program migrates it to ([`SCHEMA_VERSION`]).
    pub to: i64,
}

/// Whether opening the database at `path` would migrate its main schema: it holds a
/// store at an older version, or one whose later modules' tables or columns are missing.
/// `None` for a missing or empty file (a new store is created, nothing to keep), a
/// current store, and one newer than this program (opening it is refused). It reads the
/// schema only and holds no lock afterwards, so the caller can take a backup, under its
/// own lock, before anything is changed.
///
/// # Errors
/// The file cannot be opened or read as a SQLite database.
pub fn pending_migration(path: &Path) -> Result<Option<PendingMigration>, StoreError> {
    let empty = std::fs::metadata(path).map_or(true, |m| m.len() == 0);
    if empty {
        return Ok(None);
    }
    // Read-write without create: a WAL database needs its shared-memory file, which a
    // read-only connection could not make; nothing is written.
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    conn.busy_timeout(super::BUSY_TIMEOUT)?;
    let from: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if from == 0 || from > SCHEMA_VERSION || current(&conn)? {
        return Ok(None);
    }
    Ok(Some(PendingMigration {
        from,
        to: SCHEMA_VERSION,
    }))
}

/// Creates the main schema or brings it up to [`SCHEMA_VERSION`], in one immediate
/// transaction (so two processes opening a new database at once do not both create it).
pub(super) fn migrate(conn: &Connection) -> Result<(), StoreError> {
    // Opening a current database takes no write lock, so a command opening the store
    // while `serve` is writing never waits for it.
    if current(conn)? {
        return Ok(());
    }
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
    }
    if version < 2 {
        tx.execute_batch(V2)?;
        {
            let mut ids = tx.prepare("SELECT seq, id FROM versions")?;
            let mut set = tx.prepare("UPDATE versions SET id_key = ?1 WHERE seq = ?2")?;
            let rows: Vec<(i64, String)> = ids
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<Result<_, _>>()?;
            for (seq, id) in rows {
                set.execute(params![id_key(&id), seq])?;
            }
        }
        tx.execute_batch(V2_INDEX)?;
        tracing::info!(
            from = version,
            to = SCHEMA_VERSION,
            "Database schema created or migrated."
        );
    }
    if version < 3 {
        tx.execute_batch(V3)?;
        if version >= 1 {
            fill_tlp_columns(&tx)?;
        }
    }
    // Tables of later modules: created if missing, independent of the schema version.
    tx.execute_batch(super::users::DDL)?;
    tx.execute_batch(super::federation::DDL)?;
    tx.execute_batch(super::governance::DDL)?;
    tx.execute_batch(super::ephemeral::DDL)?;
    // Columns added to those tables after they first shipped.
    for (table, column, decl) in super::federation::ADDED_COLUMNS
        .iter()
        .chain(super::tokens::ADDED_COLUMNS)
    {
        let has: bool = tx.query_row(
            &format!("SELECT count(*) > 0 FROM pragma_table_info('{table}') WHERE name = ?1"),
            [column],
            |r| r.get(0),
        )?;
        if !has {
            tx.execute_batch(&format!("ALTER TABLE {table} ADD COLUMN {column} {decl};"))?;
        }
    }
    tx.execute_batch(super::tokens::BACKFILL)?;
    tx.execute(
        "INSERT OR REPLACE INTO store_meta (key, value) VALUES ('module_ddl', ?1)",
        [module_ddl_digest()],
    )?;
    tx.pragma_update(None, "user_version", SCHEMA_VERSION)?;
    tx.commit()?;
    Ok(())
}

/// Creates the index schema under `prefix` (`""` on a connection of its own, `"idx."` on
/// an in-memory store's connection), or empties and recreates it when it was written by
/// another index schema version (its content is derived, the indexer rebuilds it).
pub(super) fn migrate_index(conn: &Connection, prefix: &str) -> Result<(), StoreError> {
    let schema = prefix.strip_suffix('.').unwrap_or("main");
    let version: i64 =
        conn.query_row(&format!("PRAGMA {schema}.user_version"), [], |r| r.get(0))?;
    if version == INDEX_SCHEMA_VERSION {
        return Ok(());
    }
    let tx = rusqlite::Transaction::new_unchecked(conn, TransactionBehavior::Immediate)?;
    let version: i64 = tx.query_row(&format!("PRAGMA {schema}.user_version"), [], |r| r.get(0))?;
    if version != INDEX_SCHEMA_VERSION {
        for t in INDEX_TABLES {
            tx.execute_batch(&format!("DROP TABLE IF EXISTS {prefix}{t};"))?;
        }
        tx.execute_batch(&INDEX_DDL.replace("{p}", prefix))?;
        tx.execute_batch(&format!(
            "PRAGMA {schema}.user_version = {INDEX_SCHEMA_VERSION};"
        ))?;
    }
    tx.commit()?;
    Ok(())
}

#[cfg(test)]
mod pending_tests {
    use super::*;

    #[test]
    fn an_older_store_is_pending_a_new_or_current_one_is_not() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("concord.db");
        assert_eq!(pending_migration(&path).unwrap(), None, "missing");
        std::fs::write(&path, "").unwrap();
        assert_eq!(pending_migration(&path).unwrap(), None, "empty");
        {
            let c = Connection::open(&path).unwrap();
            c.execute_batch(V1).unwrap();
            c.pragma_update(None, "user_version", 1).unwrap();
        }
        assert_eq!(
            pending_migration(&path).unwrap(),
            Some(PendingMigration {
                from: 1,
                to: SCHEMA_VERSION
            })
        );
        // Looking changed nothing.
        let c = Connection::open(&path).unwrap();
        let v: i64 = c
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(v, 1);
        migrate(&c).unwrap();
        assert_eq!(pending_migration(&path).unwrap(), None, "migrated");
        // A store whose later modules' columns are missing is pending too.
        c.execute_batch("ALTER TABLE tokens DROP COLUMN last_used;")
            .unwrap();
        c.execute("DELETE FROM store_meta WHERE key = 'module_ddl'", [])
            .unwrap();
        assert_eq!(
            pending_migration(&path).unwrap().map(|p| p.from),
            Some(SCHEMA_VERSION)
        );
    }
}
