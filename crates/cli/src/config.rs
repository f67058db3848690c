//! Node configuration: `concord.toml` in the data directory, overridden by `CONCORD_*`
//! environment variables, overridden by command-line flags.

use std::path::Path;

use anyhow::Context;
use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};

/// Everything a node reads at start.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// The node's display name.
    pub node_name: String,
    /// The node id (derived from its public key at init).
    pub node_id: String,
    /// Address `serve` listens on.
    pub listen: String,
    /// The URL peers and users reach this node at (defaults to `https://<listen>` when
    /// serving TLS, `http://<listen>` otherwise).
    pub public_url: String,
    /// The TLS certificate chain `serve` presents (PEM; relative to the data directory;
    /// empty: plain HTTP). Reloaded when the file changes.
    pub tls_cert: String,
    /// The certificate's private key (PEM; relative to the data directory).
    pub tls_key: String,
    /// Serve plain HTTP on an address other than loopback (refused otherwise; a warning
    /// at every start).
    pub allow_plain_http: bool,
    /// Seconds a connection may take to finish its TLS handshake and send a request head.
    pub header_read_timeout_secs: u64,
    /// Connections served at once; further ones wait in the listen queue.
    pub max_connections: usize,
    /// Seconds without a request after which the node gives its database caches back
    /// (0: never).
    pub idle_release_secs: u64,
    /// Largest request body the API accepts, in bytes.
    pub body_limit: usize,
    /// Most objects one request may hold (`POST /api/v1/objects`, TAXII add-objects);
    /// a request holding more gets 413 and nothing of it is stored.
    pub max_objects_per_request: usize,
    /// Objects per import batch (a batch is validated and stored at once; `concord import
    /// FILE` commits whole batches together, at least 50,000 objects per transaction).
    pub import_batch: usize,
    /// Threads `concord match`, `POST /api/v1/match` and the web upload match a large EVE
    /// or one-per-line log on (0: one per core); each reads its own blocks of whole lines
    /// and the reports merge in order.
    pub match_threads: usize,
    /// Words a full-text search may have at most (each is one more index lookup).
    pub search_terms: usize,
    /// Whether a search made only of words under 3 characters (too short for the trigram
    /// index, e.g. a two-character Chinese word) may scan the indexed text; when `false`
    /// such a search is refused and asks for a longer word.
    pub short_search_scan: bool,
    /// Milliseconds one listing query (a page, a search, correlations) may run before it
    /// is stopped with 503 (0: no limit).
    pub query_budget_ms: u64,
    /// Bytes of an indicator's STIX pattern at most; a longer one is rejected at import.
    pub pattern_bytes: usize,
    /// Comparisons of an indicator's STIX pattern at most; more are rejected at import.
    pub pattern_comparisons: usize,
    /// Log filter (tracing `EnvFilter` syntax), e.g. `info` or `concord_server=debug`.
    pub log: String,
    /// Log line format: `text` (default) or `json` (one JSON object per line).
    pub log_format: String,
    /// The TAXII 2.1 server (`[taxii]`: title, api_root, default_collection, ...).
    pub taxii: concord_taxii::server::TaxiiConfig,
    /// Further TAXII collections (`[[taxii_collections]]`: id, title, description, types,
    /// tlp, sources, labels, can_read, can_write).
    pub taxii_collections: Vec<concord_taxii::collection::CollectionConfig>,
    /// TAXII servers that `serve` pulls from on an interval (`[[taxii_sources]]`).
    pub taxii_sources: Vec<concord_taxii::pull::Source>,
    /// The organisation running this node (its STIX identity's name; default: node_name).
    pub organisation: String,
    /// The organisation's country (ISO 3166 alpha-2), for peers' policy groups.
    pub country: String,
    /// The organisation's sectors (STIX industry-sector vocabulary).
    pub sectors: Vec<String>,
    /// The outbound policy file, relative to the data directory (empty: built-in default).
    pub policy_file: String,
    /// Sync with peers (`[federation]`).
    pub federation: FederationSettings,
    /// Feeds that `serve` polls on a schedule (`[[feeds]]`).
    pub feeds: Vec<crate::feeds::FeedConfig>,
    /// Who may scrape `/metrics` (`[metrics]`).
    pub metrics: MetricsSettings,
    /// Where the node keeps its data (`[store]`).
    pub store: StoreSettings,
    /// The same setting as `[store] database_url` (the spelling of issue 25; environment:
    /// `CONCORD_DATABASE_URL`): [`Config::load`] moves it there, and refuses the two set
    /// to different URLs.
    pub database_url: DatabaseUrl,
}

/// A database URL that shows only redacted in `{:?}` (it may hold a password).
#[derive(Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(transparent)]
pub struct DatabaseUrl(pub String);

impl std::fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}", crate::database::redact(&self.0))
    }
}

impl Default for Config {
    fn default() -> Self {
        Self {
            node_name: "concord".into(),
            node_id: String::new(),
            listen: "127.0.0.1:7470".into(),
            public_url: String::new(),
            tls_cert: String::new(),
            tls_key: String::new(),
            allow_plain_http: false,
            header_read_timeout_secs: 10,
            max_connections: concord_server::DEFAULT_MAX_CONNECTIONS,
            idle_release_secs: 60,
            body_limit: 64 * 1024 * 1024,
            max_objects_per_request: concord_ingest::document::DEFAULT_MAX_OBJECTS,
            import_batch: concord_store::import::DEFAULT_BATCH,
            match_threads: 0,
            search_terms: concord_store::limits::SEARCH_TERMS,
            short_search_scan: true,
            query_budget_ms: 2_000,
            pattern_bytes: concord_store::limits::PATTERN_BYTES,
            pattern_comparisons: concord_store::limits::PATTERN_COMPARISONS,
            log: "info".into(),
            log_format: "text".into(),
            taxii: concord_taxii::server::TaxiiConfig::default(),
            taxii_collections: Vec::new(),
            taxii_sources: Vec::new(),
            feeds: Vec::new(),
            organisation: String::new(),
            country: String::new(),
            sectors: Vec::new(),
            policy_file: "policy.toml".into(),
            federation: FederationSettings::default(),
            metrics: MetricsSettings::default(),
            store: StoreSettings::default(),
            database_url: DatabaseUrl::default(),
        }
    }
}

/// `[store]`: the node's database.
#[derive(Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct StoreSettings {
    /// A PostgreSQL URL (`postgres://user:password@host:5432/db`): the node keeps its
    /// data in that database. Empty: SQLite, `concord.db` in the data directory. It may
    /// hold a password: it is shown only through [`crate::database::redact`].
    pub database_url: String,
}

/// Without the password the URL may hold, so that no `{:?}` of the configuration shows it.
impl std::fmt::Debug for StoreSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoreSettings")
            .field("database_url", &crate::database::redact(&self.database_url))
            .finish()
    }
}

/// `[metrics]`: who may read `GET /metrics`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct MetricsSettings {
    /// `loopback` (default: clients on this host only), `open` (every client), or
    /// `token` (clients on this host, and others with an API token of any role).
    pub access: concord_server::metrics::Access,
}

/// `[federation]`: how this node syncs with its peers.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct FederationSettings {
    /// Pull from peers while serving.
    pub enabled: bool,
    /// Seconds between polls of a peer when no live notice arrives.
    pub pull_interval_secs: u64,
    /// Versions asked per page.
    pub page_size: usize,
    /// Largest clock difference accepted on signed requests, in seconds.
    pub max_clock_skew_secs: i64,
    /// Keep a live notice connection to each peer.
    pub live: bool,
    /// Seconds a pull request may take before it is abandoned.
    pub timeout_secs: u64,
}

impl Default for FederationSettings {
    fn default() -> Self {
        FederationSettings {
            enabled: true,
            pull_interval_secs: 30,
            page_size: 1_000,
            max_clock_skew_secs: 300,
            live: true,
            timeout_secs: 60,
        }
    }
}

/// The file name of the configuration inside the data directory.
pub const FILE_NAME: &str = "concord.toml";

impl Config {
    /// The store's limits on one caller's work, as configured.
    pub fn store_limits(&self) -> concord_store::Limits {
        concord_store::Limits {
            search_terms: self.search_terms.max(1),
            short_search_scan: self.short_search_scan,
            query_budget: (self.query_budget_ms > 0)
                .then(|| std::time::Duration::from_millis(self.query_budget_ms)),
            pattern_bytes: self.pattern_bytes,
            pattern_comparisons: self.pattern_comparisons,
        }
    }

    /// Loads the configuration of a data directory (defaults if the file is missing).
    pub fn load(data_dir: &Path) -> anyhow::Result<Config> {
        let file = data_dir.join(FILE_NAME);
        // Only variables naming a configuration key are configuration, each mapped to its
        // key path explicitly (CONCORD_FEDERATION_PAGE_SIZE -> federation.page_size): a
        // split on `_` cannot tell a section from a key with an underscore in its name.
        let keys = env_keys();
        let mut config: Config = Figment::from(Serialized::defaults(Config::default()))
            .merge(Toml::file(&file))
            .merge(Env::prefixed("CONCORD_").filter_map(move |k| {
                keys.get(k.as_str().to_ascii_uppercase().as_str())
                    .map(|path| path.clone().into())
            }))
            .extract()
            .with_context(|| {
                format!(
                    "invalid configuration in {} or CONCORD_* variables",
                    file.display()
                )
            })?;
        config.settle_database_url()?;
        Ok(config)
    }

    /// Moves the top-level `database_url` into `[store]`: both spellings name the same
    /// setting; set to different URLs they are an error naming both.
    fn settle_database_url(&mut self) -> anyhow::Result<()> {
        let top = std::mem::take(&mut self.database_url.0);
        if top.is_empty() || top == self.store.database_url {
            return Ok(());
        }
        if !self.store.database_url.is_empty() {
            anyhow::bail!(
                "database_url ({}, from concord.toml or CONCORD_DATABASE_URL) and [store] database_url ({}, from concord.toml or CONCORD_STORE_DATABASE_URL) name different databases; they are the same setting: set one of them",
                crate::database::redact(&top),
                crate::database::redact(&self.store.database_url)
            );
        }
        self.store.database_url = top;
        Ok(())
    }

    /// The text of a fresh `concord.toml`, with comments.
    pub fn render_file(&self) -> String {
        format!(
            "# Concord node configuration. Every key can be overridden by an environment\n\
             # variable CONCORD_<KEY> (e.g. CONCORD_LISTEN=127.0.0.1:8000), and every key of a\n\
             # section by CONCORD_<SECTION>_<KEY> (e.g. CONCORD_FEDERATION_PAGE_SIZE=500).\n\n\
             # Display name of this node.\nnode_name = {name:?}\n\
             # Node id, derived from the Ed25519 public key in node.pub. Do not edit.\nnode_id = {id:?}\n\
             # Address the API listens on.\nlisten = {listen:?}\n\
             # URL users and peers reach this node at (empty: https://<listen> with TLS, else http://<listen>).\npublic_url = {url:?}\n\
             # HTTPS: certificate chain and key (PEM, relative to this directory; reloaded when\n\
             # they change). `concord tls self-signed` makes a pair the node key vouches for.\n\
             # Empty: plain HTTP, which serve refuses on a non-loopback address unless\n\
             # allow_plain_http = true.\ntls_cert = {cert:?}\ntls_key = {key:?}\nallow_plain_http = {plain}\n\
             # Seconds to finish the TLS handshake and send a request head; connections at once.\n\
             header_read_timeout_secs = {hrt}\nmax_connections = {maxc}\n\
             # Seconds without a request after which the database caches are given back (0: never).\n\
             idle_release_secs = {idle}\n\
             # Largest request body accepted, in bytes.\nbody_limit = {limit}\n\
             # Most objects one API or TAXII request may hold (more: 413, nothing stored).\nmax_objects_per_request = {max_objects}\n\
             # Objects per import batch (concord import commits at least 50,000 per transaction).\nimport_batch = {batch}\n\
             # Threads concord match, POST /api/v1/match and the web upload use on a large EVE or\n# one-per-line log (0: one per core).\nmatch_threads = {threads}\n\
             # Log filter, e.g. \"info\" or \"concord_server=debug,info\"; \"info,tower_http=debug\" adds a line per request.\nlog = {log:?}\n\
             # Log lines as \"text\" or \"json\" (one JSON object per line, for log collectors).\nlog_format = {log_format:?}\n\n\
             # The organisation running this node (its STIX identity), for peers.\n\
             organisation = {org:?}\ncountry = {country:?}\nsectors = {sectors:?}\n\
             # Outbound policy: what may leave this node for which peer (relative path).\n\
             policy_file = {policy:?}\n\n\
             # The database: empty, SQLite (concord.db here); or a PostgreSQL URL, e.g.\n\
             # \"postgres://concord:PASSWORD@127.0.0.1:5432/concord\" (`concord migrate --to URL`\n\
             # copies this node's SQLite data there). Keep this file private (mode 0600) when\n\
             # the URL holds a password, or set CONCORD_STORE_DATABASE_URL (or\n\
             # CONCORD_DATABASE_URL) instead; `database_url` at the top level is the same setting.\n\
             [store]\ndatabase_url = {database_url:?}\n\n\
             # Sync with peers (`concord peer add`).\n\
             [federation]\nenabled = true\npull_interval_secs = 30\npage_size = 1000\n\
             max_clock_skew_secs = 300\nlive = true\ntimeout_secs = 60\n\n\
             # Who may read /metrics: \"loopback\" (clients on this host), \"open\" (anyone), or\n\
             # \"token\" (this host, and others with an API token: Authorization: Bearer ...).\n\
             [metrics]\naccess = {metrics_access:?}\n\n\
             # TAXII 2.1 is served under /taxii2/ with a default collection of every object.\n\
             # More collections, readable/writable by token role:\n\
             # [[taxii_collections]]\n\
             # id = \"4f7e2c1a-0000-4000-8000-000000000001\"\n\
             # title = \"Indicators, TLP:CLEAR and GREEN\"\n\
             # types = [\"indicator\"]\n\
             # tlp = [\"clear\", \"green\"]\n\
             # can_read = [\"reader\", \"analyst\", \"admin\"]\n\
             # can_write = [\"analyst\", \"admin\"]\n\
             # TAXII servers to pull from while serving:\n\
             # [[taxii_sources]]\n\
             # url = \"https://taxii.example.org/taxii2/\"\n\
             # collection = \"...\"\n\
             # token = \"...\"\n\
             # interval_secs = 3600\n\
             # Credentials go only to the origin of `url`; to send them to an API root that\n\
             # the discovery names on another origin too:\n\
             # allow_cross_origin_credentials = true\n",
            name = self.node_name,
            id = self.node_id,
            listen = self.listen,
            url = self.public_url,
            cert = self.tls_cert,
            key = self.tls_key,
            plain = self.allow_plain_http,
            hrt = self.header_read_timeout_secs,
            maxc = self.max_connections,
            idle = self.idle_release_secs,
            limit = self.body_limit,
            max_objects = self.max_objects_per_request,
            batch = self.import_batch,
            threads = self.match_threads,
            log = self.log,
            log_format = self.log_format,
            org = self.organisation,
            country = self.country,
            sectors = self.sectors,
            policy = self.policy_file,
            metrics_access = self.metrics.access.as_str(),
            database_url = self.store.database_url,
        )
    }
}

/// Variables with the `CONCORD_` prefix that are not configuration keys: command-line
/// options read from the environment and settings of the test suites.
const NOT_CONFIG: &[&str] = &[
    "DATA_DIR",
    "LOG",
    "TAXII_USER",
    "TAXII_TOKEN",
    "TAXII_PASSWORD",
    "VENV",
    "BIN",
    "CORPUS_FILE",
    "CRASH_CHILD",
    "SCREENSHOTS",
    "URL",
    "USER",
    "PASSWORD",
    "GIT_COMMIT",
    "MIGRATE_TO",
];

/// Every configuration key that an environment variable can set, by the variable's name
/// without its `CONCORD_` prefix: `LISTEN` -> `listen` for a top-level key, and
/// `FEDERATION_PAGE_SIZE` -> `federation.page_size` for a key of a section (a table in
/// `concord.toml`). Lists of tables (`[[feeds]]`) are set in the file only.
pub fn env_keys() -> std::collections::HashMap<String, String> {
    let mut keys = std::collections::HashMap::new();
    let Ok(serde_json::Value::Object(top)) = serde_json::to_value(Config::default()) else {
        return keys;
    };
    for (key, value) in top {
        if let serde_json::Value::Object(section) = value {
            for (sub, v) in section {
                if !v.is_object() && !is_table_list(&sub, &v) {
                    keys.insert(
                        format!("{key}_{sub}").to_ascii_uppercase(),
                        format!("{key}.{sub}"),
                    );
                }
            }
        } else if !is_table_list(&key, &value) {
            keys.insert(key.to_ascii_uppercase(), key);
        }
    }
    keys
}

/// Whether the default value of `key` is a list of tables. An empty list cannot be told
/// from an empty list of strings, so the lists of strings are named here.
fn is_table_list(key: &str, v: &serde_json::Value) -> bool {
    const STRING_LISTS: &[&str] = &["sectors"];
    match v {
        serde_json::Value::Array(items) => match items.first() {
            Some(first) => first.is_object(),
            None => !STRING_LISTS.contains(&key),
        },
        _ => false,
    }
}

/// Names of set `CONCORD_*` variables that are neither a configuration key nor one of the
/// known other variables (a typo, or a key of a list such as `[[feeds]]`).
pub fn unknown_env_vars() -> Vec<String> {
    let keys = env_keys();
    let mut unknown: Vec<String> = std::env::vars_os()
        .filter_map(|(k, _)| k.into_string().ok())
        .filter(|k| {
            k.strip_prefix("CONCORD_").is_some_and(|rest| {
                let rest = rest.to_ascii_uppercase();
                !keys.contains_key(&rest) && !NOT_CONFIG.contains(&rest.as_str())
            })
        })
        .collect();
    unknown.sort();
    unknown
}

/// Logs a warning for each of [`unknown_env_vars`].
pub fn warn_unknown_env_vars() {
    for name in unknown_env_vars() {
        tracing::warn!(
            variable = %name,
            "Unknown CONCORD_* variable ignored: it names no configuration key (CONCORD_<KEY> or CONCORD_<SECTION>_<KEY>, e.g. CONCORD_FEDERATION_PAGE_SIZE)."
        );
    }
}

impl Config {
    /// Whether `serve` is configured for HTTPS.
    pub fn tls(&self) -> bool {
        !self.tls_cert.is_empty() || !self.tls_key.is_empty()
    }

    /// The URL users and peers reach this node at: `public_url`, or the listen address
    /// with the scheme `serve` speaks.
    pub fn public_url_or(&self, listen: &str) -> String {
        if !self.public_url.is_empty() {
            self.public_url.clone()
        } else if self.tls() {
            format!("https://{listen}")
        } else {
            format!("http://{listen}")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_keys_name_top_level_and_section_keys() {
        let keys = env_keys();
        assert_eq!(keys["LISTEN"], "listen");
        assert_eq!(keys["LOG_FORMAT"], "log_format");
        assert_eq!(keys["FEDERATION_PAGE_SIZE"], "federation.page_size");
        assert_eq!(keys["FEDERATION_ENABLED"], "federation.enabled");
        assert_eq!(keys["TAXII_API_ROOT"], "taxii.api_root");
        assert_eq!(keys["SECTORS"], "sectors");
        assert_eq!(keys["METRICS_ACCESS"], "metrics.access");
        assert_eq!(keys["STORE_DATABASE_URL"], "store.database_url");
        // Lists of tables are set in the file only; `taxii.collections` would collide
        // with the top-level `taxii_collections`.
        for absent in ["FEEDS", "TAXII_COLLECTIONS", "TAXII_SOURCES"] {
            assert!(!keys.contains_key(absent), "{absent}");
        }
        for other in NOT_CONFIG {
            assert!(
                !keys.contains_key(*other) || *other == "LOG",
                "{other} is a configuration key"
            );
        }
    }

    /// Issue 25: `database_url` at the top level is `[store] database_url`; both set to
    /// different URLs is an error naming both, without their passwords.
    #[test]
    fn database_url_has_two_spellings() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join(FILE_NAME);
        let url = "postgres://concord:s3cret@db:5432/concord";
        std::fs::write(&file, format!("database_url = {url:?}\n")).unwrap();
        let cfg = Config::load(dir.path()).unwrap();
        assert_eq!(cfg.store.database_url, url);
        assert_eq!(cfg.database_url.0, "");
        std::fs::write(
            &file,
            format!("database_url = {url:?}\n[store]\ndatabase_url = {url:?}\n"),
        )
        .unwrap();
        assert_eq!(Config::load(dir.path()).unwrap().store.database_url, url);
        std::fs::write(
            &file,
            format!(
                "database_url = {url:?}\n[store]\ndatabase_url = \"postgres://other:pw2@db/x\"\n"
            ),
        )
        .unwrap();
        let err = format!("{:#}", Config::load(dir.path()).unwrap_err());
        assert!(
            err.contains("database_url (postgres://concord:***@db:5432/concord")
                && err.contains("[store] database_url (postgres://other:***@db/x"),
            "{err}"
        );
        assert!(!err.contains("s3cret") && !err.contains("pw2"), "{err}");
        assert_eq!(env_keys()["DATABASE_URL"], "database_url");
    }

    #[test]
    fn the_database_password_stays_out_of_debug_output() {
        let mut cfg = Config::default();
        cfg.store.database_url = "postgres://concord:s3cret@db:5432/concord".into();
        cfg.database_url = DatabaseUrl("postgres://concord:s3cret@db:5432/concord".into());
        let shown = format!("{cfg:?}");
        assert!(!shown.contains("s3cret"), "{shown}");
        assert!(
            shown.contains("postgres://concord:***@db:5432/concord"),
            "{shown}"
        );
    }

    #[test]
    fn metrics_access_comes_from_the_file_or_the_environment() {
        use concord_server::metrics::Access;
        let dir = tempfile::tempdir().unwrap();
        let cfg = Config::load(dir.path()).unwrap();
        assert_eq!(cfg.metrics.access, Access::Loopback);
        // A fresh file states the default, and loads back to the same.
        std::fs::write(dir.path().join(FILE_NAME), cfg.render_file()).unwrap();
        assert_eq!(Config::load(dir.path()).unwrap().metrics, cfg.metrics);
        std::fs::write(
            dir.path().join(FILE_NAME),
            "[metrics]\naccess = \"token\"\n",
        )
        .unwrap();
        assert_eq!(
            Config::load(dir.path()).unwrap().metrics.access,
            Access::Token
        );
        std::fs::write(
            dir.path().join(FILE_NAME),
            "[metrics]\naccess = \"everyone\"\n",
        )
        .unwrap();
        let err = format!("{:#}", Config::load(dir.path()).unwrap_err());
        assert!(
            err.contains("everyone") && err.contains("loopback"),
            "{err}"
        );
    }
}
