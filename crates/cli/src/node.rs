//! A node's data directory: configuration, Ed25519 key, database. Created on `init` or on
//! the first `serve`.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;
use concord_store::{Role, Store, sqlite::SqliteStore};
use sha2::{Digest, Sha256};

use crate::config::{self, Config};

/// The database file inside the data directory.
pub const DB_FILE: &str = "concord.db";
/// The secret key file (hex seed, mode 0600).
pub const KEY_FILE: &str = "node.key";
/// The public key file (hex).
pub const PUB_FILE: &str = "node.pub";

/// An opened node: its directory, configuration and store.
pub struct Node {
    /// The data directory.
    pub dir: PathBuf,
    /// Loaded configuration.
    pub config: Config,
    /// The store.
    pub store: SqliteStore,
}

/// What `init` did.
pub struct Init {
    /// Whether the directory was set up just now.
    pub created: bool,
    /// The admin token, when one was created just now (shown once).
    pub admin_token: Option<String>,
}

/// Creates the data directory if needed; returns whether it was new and, if so, a
/// one-time admin token.
pub fn init(dir: &Path, name: Option<&str>) -> anyhow::Result<Init> {
    let key_path = dir.join(KEY_FILE);
    if key_path.exists() {
        return Ok(Init {
            created: false,
            admin_token: None,
        });
    }
    fs::create_dir_all(dir)
        .with_context(|| format!("cannot create data directory {}", dir.display()))?;
    let key = concord_federation::identity::NodeKey::generate()?;
    let node_id = key.node_id();

    let mut cfg = Config::load(dir)?;
    cfg.node_id = node_id.clone();
    if let Some(n) = name {
        cfg.node_name = n.to_owned();
    }
    let cfg_path = dir.join(config::FILE_NAME);
    if !cfg_path.exists() {
        fs::write(&cfg_path, cfg.render_file())
            .with_context(|| format!("cannot write {}", cfg_path.display()))?;
    }
    let policy_path = dir.join(&cfg.policy_file);
    if !cfg.policy_file.is_empty() && !policy_path.exists() {
        fs::write(&policy_path, concord_policy::DEFAULT_POLICY)
            .with_context(|| format!("cannot write {}", policy_path.display()))?;
    }
    fs::write(dir.join(PUB_FILE), format!("{}\n", key.public_hex()))?;
    write_secret(&key_path, &format!("{}\n", key.seed_hex()))?;

    let store = SqliteStore::open(&dir.join(DB_FILE))?;
    let identity = crate::identity::objects(&cfg, &node_id);
    concord_store::import::import_values(&store, identity, 100, &mut |_| {})?;
    let secret = concord_server::auth::new_token_secret();
    store.create_token(
        "initial admin",
        Role::Admin,
        &concord_server::auth::hash_token(&secret),
    )?;
    tracing::info!(dir = %dir.display(), "Data directory created.");
    Ok(Init {
        created: true,
        admin_token: Some(secret),
    })
}

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
    let store = SqliteStore::open(&dir.join(DB_FILE))?.with_limits(config.store_limits());
    Ok(Node {
        dir: dir.to_owned(),
        config,
        store,
    })
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
