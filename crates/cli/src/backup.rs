//! `concord backup` and `concord restore`: a whole node in one tar archive.
//!
//! The archive holds a consistent copy of the database and its index file (SQLite's online
//! backup, taken while the node serves and imports), every other regular file of the data
//! directory (`node.key`, `node.pub`, `concord.toml`, the policy and response files, TLS
//! files, `evidence/`), and last `manifest.json`: the store's schema version and last
//! `seq`, and each file's path, size and SHA-256. `manifest.sha256` closes the archive.
//!
//! `restore` reads the archive twice: first to check every file against the manifest
//! (and that no file is missing or extra), writing nothing; then, only if all of it
//! matched, to write the files into a new or empty directory (directories 0700, files
//! 0600), after which it opens the restored store and checks its last `seq`.
//!
//! Upgrades: [`migrate_with_backup`] runs before any command opens a store whose schema
//! this program would migrate. Under the data directory's lock it writes a backup to
//! `backups/pre-migration-v<N>-<time>.tar` (left out of later backups), then migrates.

use std::collections::BTreeMap;
use std::fs;
use std::io::{Read, Write};
use std::path::{Component, Path, PathBuf};

use anyhow::{Context, bail};
use concord_store::atomic::{AtomicFile, Mode};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::node::DB_FILE;

/// The archive entry holding the manifest.
pub const MANIFEST: &str = "manifest.json";
/// The archive entry holding the SHA-256 of the manifest (hex).
const MANIFEST_SUM: &str = "manifest.sha256";
/// The format name written in every manifest.
const FORMAT: &str = "concord-backup";
/// The manifest format this code writes and reads.
const FORMAT_VERSION: u32 = 1;

/// `manifest.json`: what a backup holds.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Manifest {
    /// Always `concord-backup`.
    pub format: String,
    /// Manifest format version (1).
    pub format_version: u32,
    /// The `concord` version that made it.
    pub concord_version: String,
    /// When it was made (RFC 3339 UTC).
    pub created: String,
    /// The node id in its configuration.
    pub node_id: String,
    /// The main database's schema version.
    pub schema_version: i64,
    /// The highest `seq` in the database copy.
    pub last_seq: i64,
    /// Every file, in archive order.
    pub files: Vec<FileEntry>,
}

/// One file of a backup.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct FileEntry {
    /// Path relative to the data directory, `/`-separated.
    pub path: String,
    /// Size in bytes.
    pub size: u64,
    /// SHA-256 of the contents (hex).
    pub sha256: String,
}

/// The folder of the data directory that automatic backups are written to.
pub const BACKUPS_DIR: &str = "backups";

/// Whether a data-directory file is left out of the archive: the live database files
/// (copied through the backup API instead), lock files and earlier backups
/// ([`BACKUPS_DIR`]).
fn skipped(rel: &Path) -> bool {
    let name = rel.to_string_lossy();
    let db = DB_FILE;
    name.starts_with(&format!("{db}-wal"))
        || name.starts_with(&format!("{db}-shm"))
        || name == db
        || name.starts_with(&format!("{db}-index"))
        || name.starts_with(&format!("{db}-journal"))
        || name.ends_with(".lock")
        || name == "lock"
        || rel.starts_with(BACKUPS_DIR)
}

/// Regular files under `dir` (relative paths, sorted), minus [`skipped`] ones and
/// whatever is under `exclude` (the backup's own staging directory, when it is made inside
/// the data directory).
fn data_files(dir: &Path, exclude: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let mut found = Vec::new();
    let mut stack = vec![PathBuf::new()];
    let exclude = fs::canonicalize(exclude).ok();
    while let Some(rel) = stack.pop() {
        let abs = dir.join(&rel);
        for entry in fs::read_dir(&abs).with_context(|| format!("cannot read {}", abs.display()))? {
            let entry = entry?;
            let rel = rel.join(entry.file_name());
            let kind = entry.file_type()?;
            if exclude.is_some() && fs::canonicalize(entry.path()).ok() == exclude {
                continue;
            }
            if kind.is_dir() {
                stack.push(rel);
            } else if kind.is_file() {
                if !skipped(&rel) && rel.to_str().is_some() {
                    found.push(rel);
                }
            } else {
                tracing::warn!(path = %rel.display(), "Not a regular file; left out of the backup.");
            }
        }
    }
    found.sort();
    Ok(found)
}

/// What [`backup`] wrote.
pub struct Made {
    /// The manifest written into the archive.
    pub manifest: Manifest,
    /// Bytes of the archive.
    pub bytes: u64,
}

/// Writes a backup of the node in `dir` (which may be serving) to `out`, which must not
/// exist. The archive is written under a temporary name and renamed when complete.
pub fn backup(dir: &Path, out: &Path) -> anyhow::Result<Made> {
    if !dir.join(crate::node::KEY_FILE).exists() {
        bail!(
            "{} is not a Concord data directory (no node.key)",
            dir.display()
        );
    }
    if out.exists() {
        bail!("{} exists; choose a new file for the backup", out.display());
    }
    let config = crate::config::Config::load(dir)?;
    let parent = out
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let file_name = out
        .file_name()
        .context("the backup file needs a name")?
        .to_string_lossy()
        .into_owned();
    let staging = parent.join(format!(".{file_name}.{}.d", std::process::id()));
    let result = (|| {
        create_private_dir(&staging)?;
        let db_copy = staging.join(DB_FILE);
        let info = concord_store::sqlite::backup::backup(&dir.join(DB_FILE), &db_copy)
            .context("cannot copy the database")?;
        let index_copy = concord_store::sqlite::index_path(&db_copy);
        let mut sources: Vec<(String, PathBuf)> = vec![(DB_FILE.to_owned(), db_copy)];
        if index_copy.exists() {
            let name = concord_store::sqlite::index_path(Path::new(DB_FILE));
            sources.push((name.to_string_lossy().into_owned(), index_copy));
        }
        for rel in data_files(dir, &staging)? {
            let name = rel
                .components()
                .map(|c| c.as_os_str().to_string_lossy())
                .collect::<Vec<_>>()
                .join("/");
            sources.push((name, dir.join(rel)));
        }
        let file = AtomicFile::create(out, Mode::Private)
            .with_context(|| format!("cannot create a file beside {}", out.display()))?;
        let mut tar = tar::Builder::new(std::io::BufWriter::new(file));
        let mut files = Vec::new();
        for (name, path) in &sources {
            let f =
                fs::File::open(path).with_context(|| format!("cannot read {}", path.display()))?;
            let size = f.metadata()?.len();
            let mut hashing = Hashing::new(f.take(size));
            tar.append_data(&mut header(size), name, &mut hashing)
                .with_context(|| format!("cannot archive {}", path.display()))?;
            files.push(FileEntry {
                path: name.clone(),
                size,
                sha256: hashing.finish(),
            });
        }
        let manifest = Manifest {
            format: FORMAT.into(),
            format_version: FORMAT_VERSION,
            concord_version: env!("CARGO_PKG_VERSION").into(),
            created: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            node_id: config.node_id,
            schema_version: info.schema_version,
            last_seq: info.last_seq,
            files,
        };
        let text = serde_json::to_vec_pretty(&manifest)?;
        let sum = hex::encode(Sha256::digest(&text));
        tar.append_data(&mut header(text.len() as u64), MANIFEST, text.as_slice())?;
        tar.append_data(&mut header(sum.len() as u64), MANIFEST_SUM, sum.as_bytes())?;
        let mut w = tar.into_inner()?;
        w.flush()?;
        let mut f = w.into_inner().map_err(|e| e.into_error())?;
        let bytes = f.file().metadata()?.len();
        f.commit()
            .with_context(|| format!("cannot move the archive to {}", out.display()))?;
        anyhow::Ok(Made { manifest, bytes })
    })();
    let _ = fs::remove_dir_all(&staging);
    result
}

/// A tar header for a private regular file of `size` bytes.
fn header(size: u64) -> tar::Header {
    let mut h = tar::Header::new_gnu();
    h.set_size(size);
    h.set_mode(0o600);
    h.set_entry_type(tar::EntryType::Regular);
    h.set_mtime(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs()),
    );
    h
}

/// A reader that hashes what passes through it.
struct Hashing<R> {
    inner: R,
    sha: Sha256,
}

impl<R: Read> Hashing<R> {
    fn new(inner: R) -> Self {
        Hashing {
            inner,
            sha: Sha256::new(),
        }
    }

    fn finish(self) -> String {
        hex::encode(self.sha.finalize())
    }
}

impl<R: Read> Read for Hashing<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.sha.update(&buf[..n]);
        Ok(n)
    }
}

/// A relative archive path made only of normal components (no `..`, no root).
fn safe_path(name: &str) -> anyhow::Result<PathBuf> {
    let p = Path::new(name);
    if name.is_empty() || !p.components().all(|c| matches!(c, Component::Normal(_))) {
        bail!("the archive names an unsafe path {name:?}");
    }
    Ok(p.to_owned())
}

/// Reads the archive once, hashing every entry; checks them against the manifest.
fn verify(archive: &Path) -> anyhow::Result<Manifest> {
    let f =
        fs::File::open(archive).with_context(|| format!("cannot open {}", archive.display()))?;
    let mut tar = tar::Archive::new(std::io::BufReader::new(f));
    let mut seen: BTreeMap<String, (u64, String)> = BTreeMap::new();
    let mut manifest_text = None;
    let mut manifest_sum = None;
    let corrupt = |what: String| {
        anyhow::anyhow!(
            "{} is not a valid Concord backup: {what}",
            archive.display()
        )
    };
    for entry in tar.entries().map_err(|e| corrupt(e.to_string()))? {
        let mut entry = entry.map_err(|e| corrupt(e.to_string()))?;
        if entry.header().entry_type() != tar::EntryType::Regular {
            return Err(corrupt(
                "it holds an entry that is not a regular file".into(),
            ));
        }
        let name = entry
            .path()
            .map_err(|e| corrupt(e.to_string()))?
            .to_str()
            .ok_or_else(|| corrupt("an entry's name is not UTF-8".into()))?
            .to_owned();
        safe_path(&name)?;
        if name == MANIFEST || name == MANIFEST_SUM {
            let mut text = Vec::new();
            entry
                .read_to_end(&mut text)
                .map_err(|e| corrupt(e.to_string()))?;
            if name == MANIFEST {
                manifest_text = Some(text);
            } else {
                manifest_sum = Some(String::from_utf8_lossy(&text).trim().to_owned());
            }
            continue;
        }
        let mut hashing = Hashing::new(&mut entry);
        let size = std::io::copy(&mut hashing, &mut std::io::sink())
            .map_err(|e| corrupt(format!("cannot read {name}: {e}")))?;
        if seen
            .insert(name.clone(), (size, hashing.finish()))
            .is_some()
        {
            return Err(corrupt(format!("{name} appears twice")));
        }
    }
    let text = manifest_text.ok_or_else(|| corrupt(format!("no {MANIFEST}")))?;
    let sum = manifest_sum.ok_or_else(|| corrupt(format!("no {MANIFEST_SUM}")))?;
    if hex::encode(Sha256::digest(&text)) != sum {
        return Err(corrupt(format!("{MANIFEST} does not match its checksum")));
    }
    let manifest: Manifest =
        serde_json::from_slice(&text).map_err(|e| corrupt(format!("{MANIFEST}: {e}")))?;
    if manifest.format != FORMAT || manifest.format_version != FORMAT_VERSION {
        return Err(corrupt(format!(
            "unknown format {} version {}",
            manifest.format, manifest.format_version
        )));
    }
    if manifest.schema_version > concord_store::sqlite::SCHEMA_VERSION {
        bail!(
            "the backup's database schema version {} is newer than this program's ({}); restore it with a newer concord",
            manifest.schema_version,
            concord_store::sqlite::SCHEMA_VERSION
        );
    }
    let mut listed = BTreeMap::new();
    for f in &manifest.files {
        safe_path(&f.path)?;
        match seen.get(&f.path) {
            None => return Err(corrupt(format!("{} is listed but missing", f.path))),
            Some((size, sha)) if *size != f.size || *sha != f.sha256 => {
                return Err(corrupt(format!(
                    "{} does not match its checksum in the manifest",
                    f.path
                )));
            }
            Some(_) => {}
        }
        listed.insert(f.path.clone(), ());
    }
    if let Some(extra) = seen.keys().find(|k| !listed.contains_key(*k)) {
        return Err(corrupt(format!("{extra} is not in the manifest")));
    }
    if !listed.contains_key(DB_FILE) || !listed.contains_key(crate::node::KEY_FILE) {
        return Err(corrupt(format!(
            "it lacks {DB_FILE} or {}",
            crate::node::KEY_FILE
        )));
    }
    Ok(manifest)
}

/// Verifies the archive, then writes it into `dir` (new, or an empty directory).
pub fn restore(archive: &Path, dir: &Path) -> anyhow::Result<Manifest> {
    if dir.exists() {
        let mut entries =
            fs::read_dir(dir).with_context(|| format!("cannot read {}", dir.display()))?;
        if entries.next().is_some() {
            bail!(
                "{} is not empty; restore into a new or empty directory",
                dir.display()
            );
        }
    }
    let manifest = verify(archive)?;
    let sums: BTreeMap<&str, &str> = manifest
        .files
        .iter()
        .map(|f| (f.path.as_str(), f.sha256.as_str()))
        .collect();
    create_private_dir(dir)?;
    let f = fs::File::open(archive)?;
    let mut tar = tar::Archive::new(std::io::BufReader::new(f));
    for entry in tar.entries()? {
        let mut entry = entry?;
        let name = entry.path()?.to_string_lossy().into_owned();
        let Some(expected) = sums.get(name.as_str()) else {
            continue;
        };
        let target = dir.join(safe_path(&name)?);
        if let Some(parent) = target.parent() {
            create_private_dir(parent)?;
        }
        let mut out = std::io::BufWriter::new(private_file(&target)?);
        let mut hashing = Hashing::new(&mut entry);
        std::io::copy(&mut hashing, &mut out)?;
        // The archive was checked, but it is read again: it must not have changed since.
        if hashing.finish() != *expected {
            bail!(
                "{name} changed in {} while it was restored",
                archive.display()
            );
        }
        out.into_inner().map_err(|e| e.into_error())?.sync_all()?;
    }
    let store = concord_store::sqlite::SqliteStore::open(&dir.join(DB_FILE))
        .context("cannot open the restored database")?;
    let last = concord_store::Store::stats(&store)?.last_seq;
    if last != manifest.last_seq {
        bail!(
            "the restored database ends at seq {last}, the manifest says {}",
            manifest.last_seq
        );
    }
    Ok(manifest)
}

/// `concord backup --out FILE`: writes the archive and prints what it holds.
pub fn run_backup(dir: &Path, out: &Path) -> anyhow::Result<()> {
    let url = crate::config::Config::load(dir)?.store.database_url;
    if !url.is_empty() {
        bail!(
            "`concord backup` works on a node with the SQLite store only: it copies concord.db, and this node's store is PostgreSQL ({}); back up that database with pg_dump, and the data directory's files (node.key, concord.toml, policy.toml, evidence/) as files",
            crate::database::redact(&url)
        );
    }
    let made = backup(dir, out)?;
    println!(
        "Backup {}: {} files, {} bytes, schema {}, last seq {}.",
        out.display(),
        made.manifest.files.len(),
        made.bytes,
        made.manifest.schema_version,
        made.manifest.last_seq
    );
    Ok(())
}

/// `concord restore FILE --data-dir DIR`: restores and prints what it wrote.
pub fn run_restore(archive: &Path, dir: &Path) -> anyhow::Result<()> {
    // The archive's concord.toml names no database (a PostgreSQL node makes no backup);
    // the environment's would make the restored node open another store than the one
    // restored.
    if !crate::config::Config::load(dir)?
        .store
        .database_url
        .is_empty()
    {
        bail!(
            "`concord restore` writes a node with the SQLite store, but CONCORD_STORE_DATABASE_URL names a PostgreSQL database; restore without it, then copy the node there with `concord migrate --to URL`"
        );
    }
    let m = restore(archive, dir)?;
    println!(
        "Restored {} files of node {} into {} (last seq {}).",
        m.files.len(),
        m.node_id,
        dir.display(),
        m.last_seq
    );
    Ok(())
}

/// Brings the store of the data directory `dir` to this program's schema, keeping a
/// backup of it first: when [`pending_migration`](concord_store::sqlite::pending_migration)
/// says opening it would migrate it, takes the directory's lock (unless the caller holds
/// it: `held`), looks again (another process may have migrated it meanwhile), writes
/// [`pre_migration_path`] with [`backup`], logs it, and opens the store, which migrates,
/// before the lock is released. A node running on the directory (it holds the lock) is
/// never migrated under: the command fails naming it. Returns the backup written, if any.
///
/// # Errors
/// The lock is held elsewhere, or the backup cannot be written (then nothing is migrated),
/// or the migration fails.
pub fn migrate_with_backup(
    dir: &Path,
    held: Option<&crate::node::DirLock>,
) -> anyhow::Result<Option<PathBuf>> {
    let db = dir.join(DB_FILE);
    let pending = |db: &Path| {
        concord_store::sqlite::pending_migration(db)
            .with_context(|| format!("cannot read the schema version of {}", db.display()))
    };
    if pending(&db)?.is_none() {
        return Ok(None);
    }
    let _lock = match held {
        Some(_) => None,
        None => Some(crate::node::lock(dir).context(
            "the database must be migrated to this program's schema, which needs the data directory to itself",
        )?),
    };
    // Under the lock: another process may have migrated it while this one waited.
    let Some(p) = pending(&db)? else {
        return Ok(None);
    };
    let out = pre_migration_path(dir, p.from)?;
    let made = backup(dir, &out).with_context(|| {
        format!(
            "cannot write the backup taken before migrating the database schema from version {} to {} (nothing was migrated)",
            p.from, p.to
        )
    })?;
    tracing::info!(backup = %out.display(), from = p.from, to = p.to, bytes = made.bytes,
        last_seq = made.manifest.last_seq,
        "Backup taken before migrating the database schema; `concord restore` reads it.");
    concord_store::sqlite::SqliteStore::open(&db).with_context(|| {
        format!(
            "cannot migrate the database schema from version {} to {}; the backup {} holds the store as it was",
            p.from,
            p.to,
            out.display()
        )
    })?;
    tracing::info!(from = p.from, to = p.to, "Database schema migrated.");
    Ok(Some(out))
}

/// A new file name for the backup taken before migrating from schema version `from`:
/// `<dir>/backups/pre-migration-v<from>-<UTC time>.tar` (a counter added if it exists);
/// the folder is created (mode 0700).
fn pre_migration_path(dir: &Path, from: i64) -> anyhow::Result<PathBuf> {
    let folder = dir.join(BACKUPS_DIR);
    create_private_dir(&folder)?;
    let time = chrono::Utc::now().format("%Y%m%dT%H%M%SZ");
    let base = format!("pre-migration-v{from}-{time}");
    let mut out = folder.join(format!("{base}.tar"));
    let mut n = 1;
    while out.exists() {
        n += 1;
        out = folder.join(format!("{base}-{n}.tar"));
    }
    Ok(out)
}

/// Creates a directory (and its parents) with mode 0700 on Unix.
fn create_private_dir(path: &Path) -> anyhow::Result<()> {
    let mut b = fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        b.mode(0o700);
    }
    b.create(path)
        .with_context(|| format!("cannot create {}", path.display()))
}

/// Creates a new file (failing if it exists) with mode 0600 on Unix.
fn private_file(path: &Path) -> anyhow::Result<fs::File> {
    let mut o = fs::OpenOptions::new();
    o.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(0o600);
    }
    o.open(path)
        .with_context(|| format!("cannot create {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_relative_paths_are_safe() {
        assert!(safe_path("evidence/ab").is_ok());
        for bad in ["", "../x", "/etc/passwd", "a/../../b", "./x"] {
            assert!(safe_path(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn live_database_files_and_locks_are_skipped() {
        for s in [
            "concord.db",
            "concord.db-wal",
            "concord.db-shm",
            "concord.db-index",
            "concord.db-index-wal",
            "serve.lock",
            "backups/pre-migration-v1-20250101T000000Z.tar",
        ] {
            assert!(skipped(Path::new(s)), "{s}");
        }
        for k in ["node.key", "concord.toml", "evidence/abc", "policy.toml"] {
            assert!(!skipped(Path::new(k)), "{k}");
        }
    }
}
