//! Files replaced whole, never seen half-written: the one way Concord writes a state
//! file, a key, a certificate, evidence or a backup archive.
//!
//! The new content goes to a temporary file beside the final one (same directory, so the
//! rename cannot cross file systems), is synced to disk, and is renamed over the final
//! path with [`tempfile::NamedTempFile::persist`]; then the directory is synced too, so
//! that after a crash the path holds either the old content or the whole new one. A
//! temporary file left by a failed write is removed when its [`AtomicFile`] is dropped.
//!
//! ```
//! let dir = tempfile::tempdir().unwrap();
//! let path = dir.path().join("state.json");
//! concord_store::atomic::write(&path, b"{}", concord_store::atomic::Mode::Shared).unwrap();
//! assert_eq!(std::fs::read(&path).unwrap(), b"{}");
//! ```

use std::fs::File;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use tempfile::NamedTempFile;

/// Who may read the file once written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Its owner only (mode 0600 on Unix): private keys, backups, secrets.
    Private,
    /// As `std::fs::write` creates files (mode 0666 less the umask on Unix).
    Shared,
}

/// A file being written that replaces `path` whole when [`AtomicFile::commit`]ted; it
/// writes through [`Write`] or [`AtomicFile::file`]. Dropped without a commit, it removes
/// its temporary file and leaves `path` as it was.
#[derive(Debug)]
pub struct AtomicFile {
    tmp: NamedTempFile,
    path: PathBuf,
}

impl AtomicFile {
    /// Starts a file that will replace `path` (whose directory must exist), with the
    /// [`Mode`] it gets.
    ///
    /// # Errors
    /// When the temporary file cannot be created in `path`'s directory.
    pub fn create(path: &Path, mode: Mode) -> io::Result<AtomicFile> {
        let dir = parent(path);
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let prefix = format!(".{name}.");
        let mut b = tempfile::Builder::new();
        b.prefix(&prefix).suffix(".tmp");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            b.permissions(std::fs::Permissions::from_mode(match mode {
                Mode::Private => 0o600,
                Mode::Shared => 0o666,
            }));
        }
        #[cfg(not(unix))]
        let _ = mode;
        let tmp = b.tempfile_in(dir)?;
        Ok(AtomicFile {
            tmp,
            path: path.to_owned(),
        })
    }

    /// The temporary file, e.g. for its metadata.
    pub fn file(&mut self) -> &mut File {
        self.tmp.as_file_mut()
    }

    /// Syncs the content, renames it over the final path and syncs the directory.
    ///
    /// # Errors
    /// When a sync or the rename fails; the final path then keeps its old content (the
    /// directory sync failing is the exception: the new content is in place but may not
    /// survive a crash).
    pub fn commit(mut self) -> io::Result<()> {
        self.tmp.flush()?;
        self.tmp.as_file().sync_all()?;
        self.tmp.persist(&self.path).map_err(|e| e.error)?;
        sync_dir(parent(&self.path))
    }
}

impl Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.tmp.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.tmp.flush()
    }
}

/// Replaces `path` by `bytes` whole (see the module doc).
///
/// # Errors
/// As [`AtomicFile::create`], writing and [`AtomicFile::commit`].
pub fn write(path: &Path, bytes: &[u8], mode: Mode) -> io::Result<()> {
    let mut f = AtomicFile::create(path, mode)?;
    f.write_all(bytes)?;
    f.commit()
}

/// The directory of `path` (`.` for a bare file name).
fn parent(path: &Path) -> &Path {
    path.parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
}

/// Makes a rename in `dir` durable (Unix; elsewhere the rename is all there is).
fn sync_dir(dir: &Path) -> io::Result<()> {
    #[cfg(unix)]
    File::open(dir)?.sync_all()?;
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_whole_and_leaves_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.json");
        write(&path, b"old", Mode::Shared).unwrap();
        write(&path, b"new content", Mode::Shared).unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"new content");
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["state.json"]);
    }

    #[test]
    fn a_dropped_file_leaves_the_old_content() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("key.pem");
        write(&path, b"old", Mode::Private).unwrap();
        let mut f = AtomicFile::create(&path, Mode::Private).unwrap();
        f.write_all(b"half").unwrap();
        drop(f);
        assert_eq!(std::fs::read(&path).unwrap(), b"old");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn a_missing_directory_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("no/such/dir/file");
        assert!(write(&path, b"x", Mode::Shared).is_err());
    }

    #[cfg(unix)]
    #[test]
    fn modes_are_kept() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let secret = dir.path().join("secret");
        write(&secret, b"k", Mode::Private).unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&secret), 0o600);
        // Shared: what `std::fs::write` gives a new file under the same umask.
        let shared = dir.path().join("shared");
        let plain = dir.path().join("plain");
        write(&shared, b"s", Mode::Shared).unwrap();
        std::fs::write(&plain, b"s").unwrap();
        assert_eq!(mode(&shared), mode(&plain));
        // Replacing a file gives the new file's mode, as the old rename did.
        write(&secret, b"k2", Mode::Private).unwrap();
        assert_eq!(mode(&secret), 0o600);
    }
}
