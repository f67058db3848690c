//! A node's data directory: configuration, Ed25519 key, database. Created on `init` or on
//! the first `serve`.
//!
//! The directory is made mode 0700 and its secrets (`concord.toml`, `node.key`, the
//! database files) 0600; [`check_permissions`] warns at start about a configuration or
//! database others may read and refuses a `node.key` they may read. [`lock`] holds
//! `concord.lock` so that one node at a time runs on a directory. With `[store]
//! database_url` set, the store is that PostgreSQL database instead of `concord.db`
//! (`crate::database`).

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;
use concord_store::{Role, sqlite::SqliteStore};
use sha2::{Digest, Sha256};

use crate::config::{self, Config};
use crate::database::NodeStore;

/// The database file inside the data directory.
pub const DB_FILE: &str = "concord.db";
/// The secret key file (hex seed, mode 0600).
pub const KEY_FILE: &str = "node.key";
/// The public key file (hex).
pub const PUB_FILE: &str = "node.pub";
/// The node id, once the node's key was rotated (the id its first key gave it, which it
/// keeps; absent before the first rotation, when the id is the key's).
pub const ID_FILE: &str = "node.id";
/// The lock file: held (an OS advisory lock) by the process running the node, and
/// holding its PID.
pub const LOCK_FILE: &str = "concord.lock";

/// An opened node: its directory, configuration and store.
pub struct Node {
    /// The data directory.
    pub dir: PathBuf,
    /// Loaded configuration.
    pub config: Config,
    /// The store: SQLite or PostgreSQL, used as `dyn Store`.
    pub store: NodeStore,
}

/// What `init` did.
pub struct Init {
    /// Whether the directory was set up just now.
    pub created: bool,
    /// The admin token, when one was created just now (shown once).
    pub admin_token: Option<String>,
}

/// Creates the data directory if needed; returns whether it was new and, if so, a
/// one-time admin token. `database_url`, when given, is written into the new
/// `concord.toml` (`[store]`): the node's store is then that PostgreSQL database. A URL
/// set by the environment is used but not written into the file.
pub fn init(dir: &Path, name: Option<&str>, database_url: Option<&str>) -> anyhow::Result<Init> {
    let key_path = dir.join(KEY_FILE);
    let cfg_path = dir.join(config::FILE_NAME);
    if key_path.exists() {
        if database_url.is_some() {
            anyhow::bail!(
                "{} is already initialised; to move its data to PostgreSQL run `concord migrate --to URL`",
                dir.display()
            );
        }
        return Ok(Init {
            created: false,
            admin_token: None,
        });
    }
    if database_url.is_some() && cfg_path.exists() {
        anyhow::bail!(
            "{} exists; set `database_url` in its [store] section instead of --database-url",
            cfg_path.display()
        );
    }
    create_dir(dir)?;
    let key = concord_federation::identity::NodeKey::generate()?;
    let node_id = key.node_id();

    let mut cfg = Config::load(dir)?;
    cfg.node_id = node_id.clone();
    if let Some(n) = name {
        cfg.node_name = n.to_owned();
    }
    // The environment's URL is used; only the one given here is written to the file.
    let file_url = database_url.unwrap_or_default().to_owned();
    if let Some(url) = database_url {
        url.clone_into(&mut cfg.store.database_url);
    }
    // The store first: a database that cannot be reached leaves no half-made node.
    let store = open_store(dir, &cfg)?;
    // A database that is another node's store is refused before anything is written.
    crate::database::check_node(&store, &node_id, false)?;
    let identity = crate::identity::objects(&cfg, &node_id);
    concord_store::import::import_values(&*store, identity, 100, &mut |_| {})?;
    let secret = concord_server::auth::new_token_secret();
    // The operator's token reads everything, as node tokens did before clearances.
    store.create_token_with(&concord_store::NewToken {
        name: "initial admin",
        role: Role::Admin,
        hash: &concord_server::auth::hash_token(&secret),
        clearance: concord_stix::Tlp::Red,
        expires: None,
    })?;
    if !cfg_path.exists() {
        // The password an environment variable holds stays out of the file.
        let mut file = cfg.clone();
        file.store.database_url = file_url;
        write_secret(&cfg_path, &file.render_file())?;
    }
    let policy_path = dir.join(&cfg.policy_file);
    if !cfg.policy_file.is_empty() && !policy_path.exists() {
        fs::write(&policy_path, concord_policy::DEFAULT_POLICY)
            .with_context(|| format!("cannot write {}", policy_path.display()))?;
    }
    crate::database::check_node(&store, &node_id, true)?;
    fs::write(dir.join(PUB_FILE), format!("{}\n", key.public_hex()))?;
    // Last: the key marks the directory initialised.
    write_secret(&key_path, &format!("{}\n", key.seed_hex()))?;
    tracing::info!(dir = %dir.display(), store = %store.location(), "Data directory created.");
    Ok(Init {
        created: true,
        admin_token: Some(secret),
    })
}

/// Creates the data directory (and its parents) if missing; the directory itself mode 0700.
fn create_dir(dir: &Path) -> anyhow::Result<()> {
    let mut b = fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        b.mode(0o700);
    }
    b.create(dir)
        .with_context(|| format!("cannot create data directory {}", dir.display()))
}

/// Writes a new file readable by its owner only (mode 0600); fails if it exists.
fn write_secret(path: &Path, text: &str) -> anyhow::Result<()> {
    let mut opts = fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts
        .open(path)
        .with_context(|| format!("cannot create {}", path.display()))?;
    f.write_all(text.as_bytes())?;
    f.sync_all()?;
    Ok(())
}

/// The lock on a data directory held by the running node: released when dropped (or when
/// the process ends, however it ends).
#[derive(Debug)]
pub struct DirLock {
    file: fs::File,
}

impl DirLock {
    /// Adds the URL the node serves at (after its PID), for `node show` to print while
    /// the node runs.
    pub fn set_url(&mut self, url: &str) -> anyhow::Result<()> {
        writeln!(self.file, "{url}")?;
        self.file.sync_all()?;
        Ok(())
    }
}

/// The URL a node running on `dir` serves at (as [`DirLock::set_url`] wrote it), if one
/// runs: the lock file is then held, which a shared lock's refusal tells.
pub fn serving_url(dir: &Path) -> Option<String> {
    let file = fs::File::open(dir.join(LOCK_FILE)).ok()?;
    match file.try_lock_shared() {
        Ok(()) => {
            let _ = file.unlock();
            None
        }
        Err(fs::TryLockError::WouldBlock) => {
            let text = fs::read_to_string(dir.join(LOCK_FILE)).ok()?;
            text.lines()
                .nth(1)
                .map(str::trim)
                .filter(|u| !u.is_empty())
                .map(str::to_owned)
        }
        Err(fs::TryLockError::Error(_)) => None,
    }
}

/// Takes the data directory's exclusive lock ([`LOCK_FILE`]) and writes this process's
/// PID into it, creating the directory if needed. Fails when another process holds it,
/// naming that process's PID. `serve` holds it while it runs; commands that must not run
/// beside a node (restoring a backup over it) take it too. `import` and the other
/// commands do not: SQLite keeps them consistent beside a running node.
pub fn lock(dir: &Path) -> anyhow::Result<DirLock> {
    use std::io::{Read, Seek};
    create_dir(dir)?;
    let path = dir.join(LOCK_FILE);
    let mut opts = fs::OpenOptions::new();
    opts.read(true).write(true).create(true).truncate(false);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut file = opts
        .open(&path)
        .with_context(|| format!("cannot open the lock file {}", path.display()))?;
    match file.try_lock() {
        Ok(()) => {}
        Err(fs::TryLockError::WouldBlock) => {
            let mut text = String::new();
            let _ = file.read_to_string(&mut text);
            // The PID, then (once it serves) the node's URL.
            let holder = match text.lines().next().unwrap_or_default().trim() {
                "" => "another process".to_owned(),
                pid => format!("process {pid}"),
            };
            anyhow::bail!(
                "{} is in use: {holder} runs a Concord node on it (it holds {}); stop that node first, or give this one another --data-dir",
                dir.display(),
                path.display()
            );
        }
        Err(fs::TryLockError::Error(e)) => {
            return Err(e).with_context(|| format!("cannot lock {}", path.display()));
        }
    }
    file.set_len(0)?;
    file.rewind()?;
    writeln!(file, "{}", std::process::id())?;
    file.sync_all()?;
    Ok(DirLock { file })
}

/// Checks who may read the node's secrets: a `node.key` that others may read or write is
/// an error (with the `chmod` that fixes it); the directory, the configuration files, the
/// TLS key and the database that others may read are warned about.
#[cfg(unix)]
pub fn check_permissions(dir: &Path, config: &Config) -> anyhow::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let mode = |p: &Path| fs::metadata(p).ok().map(|m| m.permissions().mode() & 0o777);
    let key = dir.join(KEY_FILE);
    if let Some(m) = mode(&key)
        && m & 0o077 != 0
    {
        anyhow::bail!(
            "{} is open to other users (mode {m:04o}): anyone who reads it can act as this              node; fix it with `chmod 600 {}`",
            key.display(),
            key.display()
        );
    }
    if let Some(m) = mode(dir)
        && m & 0o077 != 0
    {
        tracing::warn!(dir = %dir.display(), mode = %format!("{m:04o}"),
            fix = %format!("chmod 700 {}", dir.display()),
            "The data directory is open to other users.");
    }
    let db = dir.join(DB_FILE);
    let mut files = vec![
        dir.join(config::FILE_NAME),
        dir.join("response.toml"),
        concord_store::sqlite::index_path(&db),
        db,
    ];
    if !config.tls_key.is_empty() {
        files.push(dir.join(&config.tls_key));
    }
    for f in files {
        if let Some(m) = mode(&f)
            && m & 0o077 != 0
        {
            tracing::warn!(file = %f.display(), mode = %format!("{m:04o}"),
                fix = %format!("chmod 600 {}", f.display()),
                "A file holding secrets is open to other users.");
        }
    }
    Ok(())
}

/// Checks who may read the node's secrets (nothing to check on this platform).
#[cfg(not(unix))]
pub fn check_permissions(_dir: &Path, _config: &Config) -> anyhow::Result<()> {
    Ok(())
}

/// Opens an existing data directory (run `init` first).
pub fn open(dir: &Path) -> anyhow::Result<Node> {
    if !dir.join(KEY_FILE).exists() {
        anyhow::bail!(
            "{} is not a Concord data directory (no {KEY_FILE}); run `concord init --data-dir {}` first",
            dir.display(),
            dir.display()
        );
    }
    let config = Config::load(dir)?;
    if config.store.database_url.is_empty() {
        // An older schema is backed up, under the directory's lock, before it is migrated.
        crate::backup::migrate_with_backup(dir, None)?;
    }
    let store = open_store(dir, &config)?;
    Ok(Node {
        dir: dir.to_owned(),
        config,
        store,
    })
}

/// Opens the store `config` names: PostgreSQL at `[store] database_url`, else
/// `concord.db` in `dir` (created mode 0600 if missing).
pub fn open_store(dir: &Path, config: &Config) -> anyhow::Result<NodeStore> {
    let limits = config.store_limits();
    if !config.store.database_url.is_empty() {
        return NodeStore::postgres(&config.store.database_url, limits);
    }
    // SQLite gives the WAL and shared-memory files the mode of the database file.
    let db = dir.join(DB_FILE);
    for file in [db.clone(), concord_store::sqlite::index_path(&db)] {
        if !file.exists() {
            write_secret(&file, "")?;
        }
    }
    Ok(NodeStore::Sqlite(
        SqliteStore::open(&db)?.with_limits(limits),
    ))
}

/// The TAXII server settings of a node: `[taxii]` plus `[[taxii_collections]]`, the body
/// limit as `max_content_length`, and a `next`-token key derived from the node key (so
/// tokens stay valid across restarts).
pub fn taxii_config(node: &Node) -> anyhow::Result<concord_taxii::server::TaxiiConfig> {
    let mut t = node.config.taxii.clone();
    t.collections
        .extend(node.config.taxii_collections.iter().cloned());
    t.max_content_length = node.config.body_limit;
    t.max_objects_per_request = node.config.max_objects_per_request;
    let seed = fs::read_to_string(node.dir.join(KEY_FILE))
        .with_context(|| format!("cannot read the node key in {}", node.dir.display()))?;
    t.next_key = Sha256::new()
        .chain_update(b"concord taxii next-token key v1\n")
        .chain_update(seed.trim().as_bytes())
        .finalize()
        .to_vec();
    t.validate()
        .map_err(|e| anyhow::anyhow!("invalid TAXII configuration: {e}"))?;
    Ok(t)
}
