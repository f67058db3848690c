//! Tests only: a throwaway PostgreSQL server and a fresh database per test.
//!
//! [`database`] is what a test calls: it gives the URL of a new, empty database on a
//! server shared by the whole test process, or `None` (after a loud message on stderr)
//! when PostgreSQL is not installed outside CI; under `CI=true` a missing PostgreSQL is a
//! failure. When `TESTPG_URL` is set (`scripts/test` starts one server for the
//! whole suite with the `concord-testpg` binary), the databases are made there and no
//! server is started.
//!
//! A server ([`Server::start`]) is `initdb` and `pg_ctl start` in a temporary directory
//! (its unix socket too), on a free port of 127.0.0.1, trust authentication for the user
//! `concord` (a superuser), UTF-8 with the `C.UTF-8` locale (so that `pg_trgm` counts
//! Chinese and Arabic letters as word characters), no fsync. As root (CI), the
//! programs run as the `postgres` user, since PostgreSQL refuses to run as root. A small
//! shell holds the server: when its standard input closes (the [`Server`] is dropped,
//! or the test process ends in any way, even killed) it stops the server and removes
//! the directory, so a process-wide server never outlives its process.
//! [`Server::start_tls`] starts one with TLS on (`ssl=on`) and a given certificate.
//!
//! ```no_run
//! let Some(url) = concord_testpg::database() else { return };
//! assert!(url.starts_with("postgres://"));
//! ```

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Why no server could be had.
#[derive(Debug)]
pub enum Error {
    /// PostgreSQL's programs are not installed (or not where they were looked for).
    Missing(String),
    /// They are, but the server did not start, or a database could not be made.
    Failed(String),
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Error::Missing(m) => write!(f, "PostgreSQL is not installed: {m}"),
            Error::Failed(m) => write!(f, "the test PostgreSQL failed: {m}"),
        }
    }
}

impl std::error::Error for Error {}

/// The shell that starts the server, waits for its standard input to close, then stops
/// the server and removes the directory. Arguments: directory, port, bin directory, more
/// server options (may be empty).
const WATCHDOG: &str = r#"
set -e
dir="$1"; port="$2"; bin="$3"; more="$4"
"$bin/initdb" -D "$dir/data" -U concord -A trust -E UTF8 --locale=C.UTF-8 -N \
    >"$dir/initdb.log" 2>&1
"$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
    -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=400 $more" \
    start >"$dir/pg_ctl.log" 2>&1
echo ready
set +e
while read -r _; do :; done
"$bin/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1
rm -rf "$dir"
"#;

/// A running throwaway server; dropping it stops the server and removes its files.
#[derive(Debug)]
pub struct Server {
    child: Child,
    stdin: Option<ChildStdin>,
    dir: tempfile::TempDir,
    port: u16,
    bin: PathBuf,
}

/// The directory of PostgreSQL's programs: `$TESTPG_BIN`, else `pg_config --bindir`,
/// else the newest `/usr/lib/postgresql/*/bin` (Debian's layout).
pub fn bin_dir() -> Result<PathBuf, Error> {
    let has_initdb = |p: &Path| p.join("initdb").is_file() && p.join("pg_ctl").is_file();
    if let Some(dir) = std::env::var_os("TESTPG_BIN") {
        let dir = PathBuf::from(dir);
        return if has_initdb(&dir) {
            Ok(dir)
        } else {
            Err(Error::Missing(format!(
                "no initdb and pg_ctl in TESTPG_BIN={}",
                dir.display()
            )))
        };
    }
    if let Ok(out) = Command::new("pg_config").arg("--bindir").output() {
        let dir = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
        if out.status.success() && has_initdb(&dir) {
            return Ok(dir);
        }
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let v: u32 = e.file_name().to_str()?.parse().ok()?;
            let bin = e.path().join("bin");
            has_initdb(&bin).then_some((v, bin))
        })
        .collect();
    versions.sort();
    versions.pop().map(|(_, bin)| bin).ok_or_else(|| {
        Error::Missing(
            "no initdb/pg_ctl in TESTPG_BIN, pg_config --bindir or /usr/lib/postgresql/*/bin \
             (Debian: apt-get install postgresql)"
                .into(),
        )
    })
}

fn running_as_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// Writes a file only its owner reads (PostgreSQL refuses a key others may read), owned
/// by the `postgres` user when `root` (the server runs as that user then).
fn write_private(path: &Path, text: &str, root: bool) -> std::io::Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?
        .write_all(text.as_bytes())?;
    if root
        && !Command::new("chown")
            .arg("postgres:")
            .arg(path)
            .status()?
            .success()
    {
        return Err(std::io::Error::other("chown postgres failed"));
    }
    Ok(())
}

fn free_port() -> Result<u16, Error> {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| Error::Failed(format!("no free port on 127.0.0.1: {e}")))
}

impl Server {
    /// Starts a server (see the module doc); returns once it accepts connections.
    pub fn start() -> Result<Server, Error> {
        Server::start_with(None)
    }

    fn start_with(tls: Option<(&str, &str)>) -> Result<Server, Error> {
        let bin = bin_dir()?;
        let failed = |what: &str, e: std::io::Error| Error::Failed(format!("{what}: {e}"));
        let dir = tempfile::Builder::new()
            .prefix("concord-pg-")
            .tempdir()
            .map_err(|e| failed("cannot make a temporary directory", e))?;
        let root = running_as_root();
        if root {
            let ok = Command::new("chown")
                .arg("postgres:")
                .arg(dir.path())
                .status()
                .map_err(|e| failed("chown", e))?;
            if !ok.success() {
                return Err(Error::Failed(format!(
                    "cannot give {} to the postgres user (PostgreSQL refuses to run as root)",
                    dir.path().display()
                )));
            }
        }
        let mut more = String::new();
        if let Some((cert, key)) = tls {
            let (cert_file, key_file) =
                (dir.path().join("server.crt"), dir.path().join("server.key"));
            for (file, text) in [(&cert_file, cert), (&key_file, key)] {
                write_private(file, text, root)
                    .map_err(|e| failed(&format!("cannot write {}", file.display()), e))?;
            }
            more = format!(
                "-c ssl=on -c ssl_cert_file={} -c ssl_key_file={}",
                cert_file.display(),
                key_file.display()
            );
        }
        let port = free_port()?;
        let mut cmd = if root {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--", "sh"]);
            c
        } else {
            Command::new("sh")
        };
        cmd.arg("-c")
            .arg(WATCHDOG)
            .arg("sh")
            .arg(dir.path())
            .arg(port.to_string())
            .arg(&bin)
            .arg(&more)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        let mut child = cmd.spawn().map_err(|e| failed("cannot start sh", e))?;
        let stdin = child.stdin.take();
        let mut line = String::new();
        if let Some(out) = child.stdout.take() {
            // The shell's only output is this line, once the server accepts connections.
            let _ = BufReader::new(out).read_line(&mut line);
        }
        if line.trim() != "ready" {
            let _ = child.wait();
            let logs: Vec<String> = ["initdb.log", "pg_ctl.log", "server.log"]
                .iter()
                .filter_map(|f| std::fs::read_to_string(dir.path().join(f)).ok())
                .collect();
            return Err(Error::Failed(format!(
                "the server did not start on port {port} (binaries in {}):\n{}",
                bin.display(),
                logs.join("\n")
            )));
        }
        Ok(Server {
            child,
            stdin,
            dir,
            port,
            bin,
        })
    }

    /// The URL of the server without a database (`postgres://concord@127.0.0.1:PORT`).
    pub fn base_url(&self) -> String {
        format!("postgres://concord@127.0.0.1:{}", self.port)
    }

    /// The server's port on 127.0.0.1.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The directory holding the server's data, socket and logs.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// The directory of the PostgreSQL programs it runs.
    pub fn bin(&self) -> &Path {
        &self.bin
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        // End of input tells the shell to stop the server and remove the directory.
        if let Some(mut stdin) = self.stdin.take() {
            let _ = stdin.flush();
        }
        let _ = self.child.wait();
    }
}

/// Creates a database named `name` on the server at `base` (a URL without database) with
/// `psql` from `bin` (or the `PATH`).
pub fn create_database(base: &str, name: &str, bin: Option<&Path>) -> Result<String, Error> {
    let psql = bin.map_or_else(|| PathBuf::from("psql"), |b| b.join("psql"));
    let out = Command::new(&psql)
        .args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "-d"])
        .arg(format!("{base}/postgres"))
        .arg("-c")
        .arg(format!("CREATE DATABASE \"{name}\""))
        .output()
        .map_err(|e| Error::Missing(format!("cannot run {}: {e}", psql.display())))?;
    if !out.status.success() {
        return Err(Error::Failed(format!(
            "CREATE DATABASE {name} on {base}: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        )));
    }
    Ok(format!("{base}/{name}"))
}

/// The process's server: started at the first call, stopped when the process ends.
fn shared() -> &'static Result<(String, Option<PathBuf>), Error> {
    static SHARED: OnceLock<Result<(String, Option<PathBuf>), Error>> = OnceLock::new();
    static SERVER: OnceLock<Server> = OnceLock::new();
    SHARED.get_or_init(|| {
        if let Ok(url) = std::env::var("TESTPG_URL") {
            return Ok((url.trim_end_matches('/').to_owned(), bin_dir().ok()));
        }
        let server = Server::start()?;
        let out = (server.base_url(), Some(server.bin.clone()));
        // Never dropped: the watchdog shell stops it when the process's end closes its
        // input.
        let _ = SERVER.set(server);
        Ok(out)
    })
}

/// A fresh database for one test: its URL, or `None` when PostgreSQL is missing and this
/// is not CI (after saying so loudly on stderr).
///
/// # Panics
/// When PostgreSQL is missing under `CI=true`, when the server fails to start, or when
/// the database cannot be made.
pub fn database() -> Option<String> {
    static N: AtomicUsize = AtomicUsize::new(0);
    let (base, bin) = match shared() {
        Ok(s) => s,
        Err(Error::Missing(m)) if std::env::var("CI").as_deref() != Ok("true") => {
            eprintln!(
                "\n*** SKIPPED: this test needs PostgreSQL, which is not installed ({m}). \
                 CI fails here. ***\n"
            );
            return None;
        }
        Err(e) => panic!("{e}"),
    };
    let name = format!(
        "t{}_{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    );
    match create_database(base, &name, bin.as_deref()) {
        Ok(url) => Some(url),
        Err(e) => panic!("{e}"),
    }
}

/// A server that also accepts TLS (`ssl=on`) with a certificate for [`TlsServer::HOST`]
/// signed by a test authority, for tests of the clients' `sslmode`; the authority's
/// certificate and another authority's are in PEM files beside it. Connections without
/// TLS are still accepted (the server cannot refuse them by itself with trust
/// authentication).
pub struct TlsServer {
    /// The server.
    pub server: Server,
    files: tempfile::TempDir,
}

impl TlsServer {
    /// The host name the server's certificate names (connect with `hostaddr=127.0.0.1`).
    pub const HOST: &'static str = "db.test";

    /// Starts it (see [`Server::start`]).
    pub fn start() -> Result<TlsServer, Error> {
        let failed = |what: &str, e: &dyn std::fmt::Display| Error::Failed(format!("{what}: {e}"));
        let authority = |name: &str| {
            let mut params = rcgen::CertificateParams::new(Vec::<String>::new())
                .map_err(|e| failed("certificate", &e))?;
            params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
            params
                .distinguished_name
                .push(rcgen::DnType::CommonName, name);
            let key = rcgen::KeyPair::generate().map_err(|e| failed("key", &e))?;
            rcgen::CertifiedIssuer::self_signed(params, key).map_err(|e| failed("authority", &e))
        };
        let (ca, other) = (authority("concord test CA")?, authority("another CA")?);
        let key = rcgen::KeyPair::generate().map_err(|e| failed("key", &e))?;
        let cert = rcgen::CertificateParams::new(vec![Self::HOST.to_owned()])
            .and_then(|p| p.signed_by(&key, &ca))
            .map_err(|e| failed("server certificate", &e))?;
        let files = tempfile::tempdir().map_err(|e| failed("temporary directory", &e))?;
        for (name, issuer) in [("ca.pem", &ca), ("other.pem", &other)] {
            std::fs::write(files.path().join(name), issuer.pem())
                .map_err(|e| failed("cannot write an authority", &e))?;
        }
        let server = Server::start_with(Some((&cert.pem(), &key.serialize_pem())))?;
        Ok(TlsServer { server, files })
    }

    /// The PEM file of the authority that signed the server's certificate.
    pub fn authority(&self) -> PathBuf {
        self.files.path().join("ca.pem")
    }

    /// The PEM file of an authority that did not.
    pub fn other_authority(&self) -> PathBuf {
        self.files.path().join("other.pem")
    }

    /// The URL of `database` at `host` (the server's address whatever the name), with
    /// `sslmode` and, if given, `sslrootcert`.
    pub fn url(&self, database: &str, host: &str, mode: &str, root: Option<&Path>) -> String {
        let root = root.map_or(String::new(), |r| format!("&sslrootcert={}", r.display()));
        format!(
            "postgres://concord@{host}:{}/{database}?hostaddr=127.0.0.1&sslmode={mode}{root}",
            self.server.port()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A server starts, takes databases, and is gone with its files once dropped.
    #[test]
    fn a_server_starts_makes_databases_and_goes_away() {
        let server = match Server::start() {
            Ok(s) => s,
            Err(Error::Missing(m)) if std::env::var("CI").as_deref() != Ok("true") => {
                eprintln!("\n*** SKIPPED: PostgreSQL is not installed ({m}). ***\n");
                return;
            }
            Err(e) => panic!("{e}"),
        };
        let dir = server.dir().to_owned();
        let url = create_database(&server.base_url(), "a", Some(server.bin())).unwrap();
        assert_eq!(
            url,
            format!("postgres://concord@127.0.0.1:{}/a", server.port())
        );
        let again = create_database(&server.base_url(), "a", Some(server.bin()));
        assert!(matches!(again, Err(Error::Failed(_))), "{again:?}");
        let port = server.port();
        drop(server);
        assert!(!dir.exists(), "{} removed", dir.display());
        assert!(
            std::net::TcpStream::connect(("127.0.0.1", port)).is_err(),
            "server stopped"
        );
    }
}
