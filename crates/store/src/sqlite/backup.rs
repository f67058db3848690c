//! Online backup of a store's files while other processes keep writing them: SQLite's
//! backup API copies each database as one consistent snapshot (a read transaction in WAL
//! mode, which never blocks the writer), so the copy needs no `-wal` file beside it.

use std::path::Path;

use rusqlite::backup::{Backup, StepResult};
use rusqlite::{Connection, OpenFlags};

use super::{BUSY_TIMEOUT, index_path};
use crate::StoreError;

/// What an online backup copied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackupInfo {
    /// The main database's schema version (`PRAGMA user_version` of the copy).
    pub schema_version: i64,
    /// The highest `seq` in the copy (0 for an empty store).
    pub last_seq: i64,
}

/// Copies the store at `src` (main database and its index file, see
/// [`index_path`](super::index_path)) to `dst` and `dst`'s index path, which must not
/// exist yet. The index file is copied first: an index copy behind the main copy is
/// caught up by the indexer when the copy is opened, whereas one ahead of it would be
/// rebuilt from scratch.
///
/// # Errors
/// A database error of either copy, or a destination that already exists.
pub fn backup(src: &Path, dst: &Path) -> Result<BackupInfo, StoreError> {
    let dst_index = index_path(dst);
    for p in [dst, dst_index.as_path()] {
        if p.exists() {
            return Err(StoreError::Open {
                path: p.display().to_string(),
                source: std::io::Error::new(
                    std::io::ErrorKind::AlreadyExists,
                    "the backup destination exists",
                ),
            });
        }
    }
    let src_index = index_path(src);
    if src_index.exists() {
        copy_database(&src_index, &dst_index)?;
    }
    copy_database(src, dst)?;
    let copy = Connection::open_with_flags(dst, OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    let schema_version = copy.pragma_query_value(None, "user_version", |r| r.get(0))?;
    let last_seq = copy
        .query_row("SELECT coalesce(max(seq), 0) FROM versions", [], |r| {
            r.get(0)
        })
        .unwrap_or(0);
    Ok(BackupInfo {
        schema_version,
        last_seq,
    })
}

/// Copies one database file in a single backup step: every page under one read
/// transaction, so writes by other connections (which would restart a backup made of
/// several steps) cannot keep it from finishing.
fn copy_database(src: &Path, dst: &Path) -> Result<(), StoreError> {
    if !src.exists() {
        return Err(StoreError::Open {
            path: src.display().to_string(),
            source: std::io::Error::new(std::io::ErrorKind::NotFound, "no database file"),
        });
    }
    let from = Connection::open_with_flags(
        src,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    from.busy_timeout(BUSY_TIMEOUT)?;
    let mut to = Connection::open(dst)?;
    {
        let backup = Backup::new(&from, &mut to)?;
        let deadline = std::time::Instant::now() + BUSY_TIMEOUT;
        loop {
            match backup.step(-1)? {
                StepResult::Done => break,
                StepResult::More => {}
                StepResult::Busy | StepResult::Locked => {
                    if std::time::Instant::now() > deadline {
                        return Err(StoreError::Open {
                            path: src.display().to_string(),
                            source: std::io::Error::other(
                                "the database stayed locked during the backup",
                            ),
                        });
                    }
                    std::thread::sleep(std::time::Duration::from_millis(50));
                }
                _ => {}
            }
        }
    }
    // The copy is a self-contained file: no WAL beside it.
    let _: String = to.query_row("PRAGMA journal_mode = DELETE", [], |r| r.get(0))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sqlite::SqliteStore;
    use crate::{Store, import::import_values};

    fn indicator(n: usize) -> serde_json::Value {
        serde_json::json!({
            "type": "indicator", "spec_version": "2.1",
            "id": format!("indicator--00000000-0000-4000-8000-{n:012}"),
            "created": "2024-01-01T00:00:00.000Z", "modified": "2024-01-01T00:00:00.000Z",
            "pattern": format!("[ipv4-addr:value = '10.0.{}.{}']", n / 256, n % 256),
            "pattern_type": "stix", "valid_from": "2024-01-01T00:00:00Z"
        })
    }

    #[test]
    fn a_backup_opens_as_a_store_with_the_same_objects() {
        let dir = tempfile::tempdir().unwrap();
        let src = dir.path().join("a/concord.db");
        let store = SqliteStore::open(&src).unwrap();
        import_values(&store, (0..50).map(indicator), 10, &mut |_| {}).unwrap();
        let dst = dir.path().join("b/concord.db");
        std::fs::create_dir_all(dst.parent().unwrap()).unwrap();
        let info = backup(&src, &dst).unwrap();
        assert_eq!(info.schema_version, super::super::SCHEMA_VERSION);
        assert_eq!(info.last_seq, store.stats().unwrap().last_seq);
        assert!(index_path(&dst).exists());
        assert!(!dst.with_extension("db-wal").exists());
        let copy = SqliteStore::open(&dst).unwrap();
        assert_eq!(
            copy.stats().unwrap().objects,
            store.stats().unwrap().objects
        );
        // A second backup to the same place is refused, not merged.
        assert!(backup(&src, &dst).is_err());
    }
}
