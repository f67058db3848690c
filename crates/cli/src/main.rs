//! `concord`: the command-line entry point of a Concord node.
//!
//! Configuration is `concord.toml`, then `CONCORD_*` environment variables; this crate is
//! the only one that uses `anyhow`, prints to a terminal, or reads the process environment.
//! Imports run one `concord_ingest::import_inputs` pipeline per command, whatever the
//! number of inputs (a MISP feed's changed events, each fetched when its turn comes), with
//! the progress bar and messages on this side (`import::BarProgress`); what each input's
//! reading came to (`InputEnd`) decides whether a feed event counts as imported.
//!
//! `serve` holds `concord.lock` (one node per data directory, `node::lock`), stops cleanly
//! on `SIGTERM`/`SIGINT` (streams end, requests get `STOP_GRACE`) and reloads feeds and the
//! policy on `SIGHUP`. A store whose schema opening would migrate
//! (`store::sqlite::pending_migration`) is backed up first, under that lock, to
//! `backups/pre-migration-v<N>-<time>.tar` (`backup::migrate_with_backup`, called by
//! `node::open` and `serve`); no command migrates a store beside a running node.
//! `tests/cli/readme.rs` runs README.md's `sh` blocks on a scratch node.

mod backup;
mod community;
mod config;
mod database;
mod export;
mod federation;
mod feeds;
mod identity;
mod import;
mod matching;
mod node;
mod pipe;
mod progress;
mod replica;
mod response;
mod table;
mod taxii;
mod tls;
mod users;

#[cfg(test)]
mod command_tree;

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use clap::{Parser, Subcommand};
use concord_store::{ListQuery, Store};
use tracing_subscriber::EnvFilter;

/// Threads of `serve`'s blocking pool (store work, imports, matching) at most.
const BLOCKING_THREADS: usize = 64;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Concord: a federated node for sharing cyber-threat and incident information.
#[derive(Parser)]
#[command(name = "concord", version)]
struct Cli {
    /// The node's data directory.
    #[arg(
        long,
        global = true,
        env = "CONCORD_DATA_DIR",
        default_value = "./concord-data"
    )]
    data_dir: PathBuf,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Create the data directory (configuration, node key, database, admin token).
    Init {
        /// Display name of the node.
        #[arg(long)]
        name: Option<String>,
        /// Also make a self-signed TLS certificate vouched for by the node key, so that
        /// `serve` speaks HTTPS (see `concord tls self-signed`).
        #[arg(long)]
        tls: bool,
        /// Keep the node's data in this PostgreSQL database (an empty one, or one this
        /// node used before) instead of SQLite: written to concord.toml as `[store]
        /// database_url`.
        #[arg(long, value_name = "URL")]
        database_url: Option<String>,
    },
    /// Run the node's HTTP API (initialising the data directory on first start).
    Serve {
        /// Address to listen on [default: 127.0.0.1:7470; env CONCORD_LISTEN].
        #[arg(long)]
        listen: Option<String>,
    },
    /// Import STIX 2.1 (bundles, arrays, objects), MISP (event JSON or a feed), CSAF 2.0,
    /// CSV and plain lists of values; the format is recognised from the content or named
    /// with --format (auto, stix, misp, misp-feed, csaf, csv, lines).
    Import(import::ImportArgs),
    /// Export the current versions of objects: a STIX 2.1 bundle, MISP events or a MISP
    /// feed, CSV, plain lines, a hosts file or Suricata rules (--format).
    Export(export::ExportArgs),
    /// Feeds polled on a schedule (`[[feeds]]` in concord.toml).
    Feed {
        #[command(subcommand)]
        command: feeds::FeedCommand,
    },
    /// This node's identity (id, public key, fingerprint) for peers.
    Node {
        #[command(subcommand)]
        command: federation::NodeCommand,
    },
    /// A community of equal members: found, apply, propose, vote, show.
    Community {
        #[command(subcommand)]
        command: community::CommunityCommand,
    },
    /// Peers this node syncs with.
    Peer {
        #[command(subcommand)]
        command: federation::PeerCommand,
    },
    /// The outbound policy: explain a decision, test a policy file.
    Policy {
        #[command(subcommand)]
        command: federation::PolicyCommand,
    },
    /// The audit log of outbound decisions.
    Audit {
        #[command(subcommand)]
        command: federation::AuditCommand,
    },
    /// Incidents: open, update, close, show, list, timeline.
    Incident {
        #[command(subcommand)]
        command: response::IncidentCommand,
    },
    /// Urgent alerts to peers and their acknowledgements.
    Alert {
        #[command(subcommand)]
        command: response::AlertCommand,
    },
    /// Requests for assistance between members.
    Request {
        #[command(subcommand)]
        command: response::RequestCommand,
    },
    /// Constituency routing: which member is responsible for a value.
    Route {
        #[command(subcommand)]
        command: response::RouteCommand,
    },
    /// Notification subscriptions (webhook, e-mail).
    Subscription {
        #[command(subcommand)]
        command: response::SubscriptionCommand,
    },
    /// Local users of the web interface.
    User {
        #[command(subcommand)]
        command: users::UserCommand,
    },
    /// Match logs (Suricata EVE, Zeek, ECS, CSV, lines, STIX) against current indicators.
    ///
    /// One STIX sighting is stored per indicator hit and file. Exit status 2 if a file
    /// could not be read or a sighting was rejected.
    Match {
        /// Log format.
        #[arg(long, default_value = "eve", value_parser = ["eve", "zeek", "ecs", "csv", "lines", "stix"])]
        format: String,
        /// Write the sightings to this file as JSON lines instead of storing them.
        #[arg(short, long)]
        output: Option<PathBuf>,
        /// Threads to match a large EVE or one-per-line log on (default: `match_threads`
        /// of the configuration; 0 is one per core).
        #[arg(long)]
        threads: Option<usize>,
        /// Log files (`-` for standard input).
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Full-text search over names, descriptions, patterns and observable values.
    Search {
        /// The text to find (any language).
        text: String,
        /// At most this many results.
        #[arg(long, default_value_t = 50)]
        limit: usize,
        /// Print the objects as one JSON array instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// STIX patterns.
    Pattern {
        #[command(subcommand)]
        command: PatternCommand,
    },
    /// TAXII 2.1 client commands (pull from other servers).
    Taxii {
        #[command(subcommand)]
        command: taxii::TaxiiCommand,
    },
    /// The node's TLS certificate.
    Tls {
        #[command(subcommand)]
        command: tls::TlsCommand,
    },
    /// Manage API tokens.
    Token {
        #[command(subcommand)]
        command: users::TokenCommand,
    },
    /// Write the whole node (database copy taken while it runs, keys, configuration,
    /// evidence) to one archive with a manifest of checksums.
    Backup {
        /// The archive to write (must not exist).
        #[arg(long)]
        out: PathBuf,
    },
    /// Copy this node's SQLite store whole into an empty PostgreSQL database (the node
    /// stopped), then print the `[store] database_url` that makes it run there.
    Migrate {
        /// The PostgreSQL database (`postgres://user:password@host:5432/db`); from the
        /// environment, a password stays out of the process list.
        #[arg(
            long,
            value_name = "URL",
            env = "CONCORD_MIGRATE_TO",
            hide_env_values = true
        )]
        to: String,
    },
    /// Check a backup archive, then write it into --data-dir (new or empty).
    Restore {
        /// The archive made by `concord backup`.
        archive: PathBuf,
    },
}

#[derive(Subcommand)]
enum PatternCommand {
    /// Check patterns: one line per pattern, `valid` or `invalid: ` with the position and
    /// what was expected. Exit status 2 if any is invalid.
    Check {
        /// A pattern (omit with --file).
        #[arg(required_unless_present = "file", conflicts_with = "file")]
        pattern: Option<String>,
        /// A file of patterns, one per line (`-` for standard input).
        #[arg(long)]
        file: Option<PathBuf>,
    },
}

fn main() -> std::process::ExitCode {
    pipe::quiet_on_closed_pipe();
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        // The reader of our output went away (`concord export | head`): nothing to say.
        Err(e) if pipe::closed_pipe(&e) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn init_logging(filter: &str, json: bool) {
    let text = std::env::var("CONCORD_LOG").unwrap_or_else(|_| filter.to_owned());
    let mut filter =
        EnvFilter::try_from_env("CONCORD_LOG").unwrap_or_else(|_| EnvFilter::new(filter));
    // The PostgreSQL client logs the server's notices ("relation ... already exists,
    // skipping" at every start) at info; only its warnings unless asked for.
    if !text.contains("tokio_postgres")
        && let Ok(quiet) = "tokio_postgres=warn".parse()
    {
        filter = filter.add_directive(quiet);
    }
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = if json {
        // One JSON object per line, for log collectors (`log_format = "json"`).
        builder.json().flatten_event(true).try_init()
    } else {
        // Colours only on a terminal; log files and pipes get plain text.
        builder
            .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
            .try_init()
    };
}

fn run(cli: Cli) -> anyhow::Result<std::process::ExitCode> {
    let dir = cli.data_dir;
    let (log, json) = config::Config::load(&dir)
        .map(|c| (c.log, c.log_format == "json"))
        .unwrap_or_else(|_| ("info".into(), false));
    init_logging(&log, json);
    config::warn_unknown_env_vars();
    match cli.command {
        Command::Init {
            name,
            tls,
            database_url,
        } => {
            let init = node::init(&dir, name.as_deref(), database_url.as_deref())?;
            if init.created {
                println!("Initialised Concord data directory {}", dir.display());
                if let Some(token) = init.admin_token {
                    println!("Admin token (shown once, keep it safe): {token}");
                }
            } else {
                println!("{} is already initialised; nothing changed.", dir.display());
            }
            let cfg = config::Config::load(&dir)?;
            if tls && !cfg.tls() {
                let made = tls::self_signed(&dir, &cfg, &[], 397)?;
                println!(
                    "Self-signed TLS certificate {} (SPKI SHA-256 {}); serve speaks HTTPS.",
                    made.cert.display(),
                    made.spki_sha256
                );
            }
        }
        Command::Tls { command } => tls::run(&dir, command)?,
        Command::Backup { out } => backup::run_backup(&dir, &out)?,
        Command::Restore { archive } => backup::run_restore(&archive, &dir)?,
        Command::Migrate { to } => database::migrate_to(&dir, &to)?,
        Command::Serve { listen } => serve(&dir, listen)?,
        Command::Import(args) => {
            let node = node::open(&dir)?;
            if !import::run(&node, &args)? {
                return Ok(std::process::ExitCode::from(2));
            }
        }
        Command::Export(args) => {
            let node = node::open(&dir)?;
            export::run(&node, &args)?;
        }
        Command::Feed { command } => {
            let node = node::open(&dir)?;
            return feeds::run(&node, command);
        }
        Command::Node { command } => return federation::node(&node::open(&dir)?, command),
        Command::Peer { command } => return federation::peer(&node::open(&dir)?, command),
        Command::Community { command } => return community::main(&dir, command),
        Command::Policy { command } => return federation::policy(&node::open(&dir)?, command),
        Command::Audit { command } => return federation::audit(&node::open(&dir)?, command),
        Command::Incident { command } => return response::incident(&node::open(&dir)?, command),
        Command::Alert { command } => return response::alert(&node::open(&dir)?, command),
        Command::Request { command } => return response::request(&node::open(&dir)?, command),
        Command::Route { command } => return response::route(&node::open(&dir)?, command),
        Command::Subscription { command } => {
            return response::subscription(&node::open(&dir)?, command);
        }
        Command::User { command } => {
            let node = node::open(&dir)?;
            return users::run(&node, command);
        }
        Command::Match {
            format,
            output,
            threads,
            files,
        } => {
            let node = node::open(&dir)?;
            let threads = threads.unwrap_or(node.config.match_threads);
            if !matching::run(&node, &format, output.as_deref(), threads, &files)? {
                return Ok(std::process::ExitCode::from(2));
            }
        }
        Command::Search { text, limit, json } => {
            let node = node::open(&dir)?;
            let page = node.store.list(&ListQuery {
                text: Some(text),
                limit,
                ..ListQuery::default()
            })?;
            let found: Vec<serde_json::Value> = page.objects.iter().map(|o| o.value()).collect();
            table::list(json, &found, &["ID", "TYPE", "NAME"], |v| {
                let name = ["name", "value", "pattern"]
                    .iter()
                    .find_map(|k| v.get(*k).and_then(|x| x.as_str()))
                    .unwrap_or("");
                vec![
                    table::text(&v["id"]),
                    table::text(&v["type"]),
                    name.to_owned(),
                ]
            })?;
        }
        Command::Pattern {
            command: PatternCommand::Check { pattern, file },
        } => {
            let verdicts = match (pattern, file) {
                (Some(p), _) => vec![concord_pattern::verdict(&p)],
                (None, Some(f)) => {
                    let text = if f == std::path::Path::new("-") {
                        std::io::read_to_string(std::io::stdin())?
                    } else {
                        std::fs::read_to_string(&f)
                            .with_context(|| format!("cannot read {}", f.display()))?
                    };
                    concord_pattern::check_lines(&text)
                }
                (None, None) => Vec::new(),
            };
            for v in &verdicts {
                println!("{v}");
            }
            if verdicts.iter().any(|v| v != "valid") {
                return Ok(std::process::ExitCode::from(2));
            }
        }
        Command::Taxii { command } => {
            let node = node::open(&dir)?;
            taxii::run(&node.dir, node.store.shared(), command)?;
        }
        Command::Token { command } => return users::token(&node::open(&dir)?, command),
    }
    Ok(std::process::ExitCode::SUCCESS)
}

/// Connections the kernel may hold for `accept` (capped by `net.core.somaxconn`): bursts of
/// thousands of clients must not see their SYNs dropped while the node is busy.
const LISTEN_BACKLOG: u32 = 8192;

/// Binds the first address `listen` resolves to, with a deep accept queue.
async fn bind(listen: &str) -> std::io::Result<tokio::net::TcpListener> {
    let mut last = std::io::Error::other("the address resolves to nothing");
    for addr in tokio::net::lookup_host(listen).await? {
        let socket = if addr.is_ipv4() {
            tokio::net::TcpSocket::new_v4()?
        } else {
            tokio::net::TcpSocket::new_v6()?
        };
        socket.set_reuseaddr(true)?;
        match socket.bind(addr) {
            Ok(()) => return socket.listen(LISTEN_BACKLOG),
            Err(e) => last = e,
        }
    }
    Err(last)
}

/// How long requests under way may take to finish once the node is told to stop; then
/// they are cut and background work gets as long again to reach a safe point.
const STOP_GRACE: std::time::Duration = std::time::Duration::from_secs(10);

/// What `serve` is told by signals: `SIGTERM` or `SIGINT` stop the node (a second one
/// stops it at once), `SIGHUP` reloads what can be reloaded.
enum Signal {
    Stop(&'static str),
    Reload,
}

/// Listens for `SIGTERM`, `SIGINT` and `SIGHUP` (installed before the node says it is
/// listening, so that no signal meets the default action that kills the process).
#[cfg(unix)]
fn signals() -> anyhow::Result<tokio::sync::mpsc::UnboundedReceiver<Signal>> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate()).context("cannot listen for SIGTERM")?;
    let mut int = signal(SignalKind::interrupt()).context("cannot listen for SIGINT")?;
    let mut hup = signal(SignalKind::hangup()).context("cannot listen for SIGHUP")?;
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(async move {
        let mut stopping = false;
        loop {
            let got = tokio::select! {
                _ = term.recv() => Signal::Stop("SIGTERM"),
                _ = int.recv() => Signal::Stop("SIGINT"),
                _ = hup.recv() => Signal::Reload,
            };
            if let Signal::Stop(name) = got {
                if stopping {
                    tracing::warn!(signal = name, "Second stop signal: stopping at once.");
                    std::process::exit(1);
                }
                stopping = true;
            }
            if tx.send(got).is_err() {
                return;
            }
        }
    });
    Ok(rx)
}

/// Listens for Ctrl-C (the only stop signal off Unix).
#[cfg(not(unix))]
fn signals() -> anyhow::Result<tokio::sync::mpsc::UnboundedReceiver<Signal>> {
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            let _ = tx.send(Signal::Stop("Ctrl-C"));
        }
    });
    Ok(rx)
}

/// What `SIGHUP` reloads: the feeds of concord.toml (their pollers restart), the outbound
/// policy file (read now rather than at its next use). TLS files reload by themselves
/// when they change, and response.toml (subscriptions) is read on every delivery pass.
struct Reloadable {
    dir: std::path::PathBuf,
    /// The feeds to poll (`None`: stop polling), followed by `replica::poll_feeds`.
    feeds: tokio::sync::watch::Sender<Option<Vec<feeds::FeedConfig>>>,
    federation: Option<concord_federation::server::FederationState>,
}

impl Reloadable {
    fn reload(&mut self) {
        tracing::info!("SIGHUP: reloading the configuration.");
        match config::Config::load(&self.dir) {
            Ok(c) => {
                let n = c.feeds.len();
                self.feeds.send_replace(Some(c.feeds));
                tracing::info!(feeds = n, "Feeds reloaded.");
            }
            Err(e) => tracing::error!(error = %format!("{e:#}"),
                "The configuration does not load; feeds keep their previous settings."),
        }
        if let Some(f) = &self.federation {
            // Re-reads the policy file when it changed (an error keeps the old policy).
            let _ = f.policy();
        }
        tracing::info!(
            "Reloaded. Subscriptions (response.toml) are read at every pass; TLS files when they change."
        );
    }
}

fn serve(dir: &std::path::Path, listen: Option<String>) -> anyhow::Result<()> {
    // Every connection is an open file: allow as many as the hard limit does.
    match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(n) => tracing::debug!(limit = n, "Open-file limit."),
        Err(e) => tracing::warn!(error = %e, "Cannot raise the open-file limit."),
    }
    // One node per data directory, held until this function returns.
    let mut held = node::lock(dir)?;
    if config::Config::load(dir)?.store.database_url.is_empty() {
        backup::migrate_with_backup(dir, Some(&held))?;
    }
    // A key rotation coming into effect restarts the node in place, under the new key.
    while serve_once(dir, listen.clone(), &mut held)? == Served::KeyRotated {
        tracing::info!("Starting again under the rotated node key.");
    }
    tracing::info!("Stopped.");
    Ok(())
}

/// Why [`serve_once`] returned.
#[derive(Debug, PartialEq, Eq)]
enum Served {
    /// A signal stopped the node.
    Stopped,
    /// A pending node key's effective time came (`community::rotate::due`).
    KeyRotated,
}

/// Serves until a signal, or a key rotation coming into effect (checked every second),
/// stops the node.
fn serve_once(
    dir: &std::path::Path,
    listen: Option<String>,
    lock: &mut node::DirLock,
) -> anyhow::Result<Served> {
    let rotated = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let rotation = rotated.clone();
    let init = node::init(dir, None, None)?;
    let node = node::open(dir)?;
    node::check_permissions(&node.dir, &node.config)?;
    let listen = listen.unwrap_or_else(|| node.config.listen.clone());
    // A bounded blocking pool: store reads wait for one of a few pooled connections
    // anyway, so hundreds of blocking threads (seen under 64 clients: about 240, each with
    // its own allocator caches) only hold memory; idle ones end after ten seconds.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .max_blocking_threads(BLOCKING_THREADS)
        .thread_keep_alive(std::time::Duration::from_secs(10))
        .build()?;
    let served = runtime.block_on(async move {
        let mut signals = signals()?;
        let listener = bind(&listen)
            .await
            .with_context(|| format!("cannot listen on {listen}"))?;
        let addr = listener.local_addr()?;
        let public_url = node.config.public_url_or(&addr.to_string());
        // `node show` prints this URL while the node runs.
        lock.set_url(&public_url)?;
        let server_config = concord_server::ServerConfig {
            body_limit: node.config.body_limit,
            max_objects_per_request: node.config.max_objects_per_request,
            node_name: node.config.node_name.clone(),
            public_url: public_url.clone(),
            taxii: node::taxii_config(&node)?,
            data_dir: Some(node.dir.clone()),
            metrics_access: node.config.metrics.access,
        };
        let key = federation::node_key(&node.dir)?;
        let key_public = key.public_hex();
        // Replicas share a database: it must be this node's store (recorded on first use).
        database::check_node(&node.store, &key.node_id(), true)?;
        let data = node.store.location();
        let store: Arc<dyn concord_store::Store> = node.store.shared();
        let statement: concord_federation::tls::StatementCell = Default::default();
        let listening = listening_of(&node.config, &node.dir, &key, &statement)?;
        let fed_config = concord_federation::server::FederationConfig {
            name: node.config.node_name.clone(),
            url: public_url.clone(),
            identity: identity::identity(&node.config, &key.node_id()),
            policy_file: if node.config.policy_file.is_empty() {
                None
            } else {
                Some(node.dir.join(&node.config.policy_file))
            },
            max_skew_secs: node.config.federation.max_clock_skew_secs,
            tls_statement: Some(statement),
            ..Default::default()
        };
        let fed_state = concord_federation::server::FederationState::new(
            store.clone(),
            key.clone(),
            fed_config,
        )
        .map_err(|e| anyhow::anyhow!("cannot start federation: {e}"))?;
        let state =
            concord_server::AppState::new(store.clone(), server_config).with_federation(fed_state);
        // Sightings made by POST /api/v1/match name the node's identity.
        state
            .matching
            .set_identity(identity::identity_id(&key.node_id()));
        // And are matched on the node's `match_threads`.
        state
            .matching
            .set_threads(matching::resolve_threads(node.config.match_threads));
        // Background work runs once across the replicas of a node (one lease each).
        let replicas =
            replica::Replicas::new(&node.config.store.database_url, state.leases.clone())?;
        // Every version created here is signed soon after it is stored.
        let (key_dir, running) = (node.dir.clone(), key_public.clone());
        replicas
            .run_signer(store.clone(), key.clone(), move || {
                !community::rotate::due(&key_dir, &running)
            })
            .context("cannot start the signer")?;
        if node.config.federation.enabled {
            let f = &node.config.federation;
            let puller = concord_federation::pull::Puller::new(
                store.clone(),
                key,
                concord_federation::pull::PullConfig {
                    page_size: f.page_size,
                    interval: std::time::Duration::from_secs(f.pull_interval_secs.max(1)),
                    timeout: std::time::Duration::from_secs(f.timeout_secs.max(1)),
                    live: f.live,
                    ..Default::default()
                },
            );
            let puller = Arc::new(puller);
            replicas.run("federation-puller", move || {
                tokio::spawn(puller.clone().run());
            });
        }
        let (dir, s) = (node.dir.clone(), state.store.clone());
        let sources = node.config.taxii_sources.clone();
        replicas.run("taxii-sources", move || {
            taxii::spawn_polling(&dir, s.clone(), sources.clone());
        });
        let (feeds_tx, feeds_rx) =
            tokio::sync::watch::channel(Some(node.config.feeds.clone()));
        let (dir, s) = (node.dir.clone(), state.store.clone());
        replicas.run("feeds", move || {
            let polling = replica::poll_feeds(dir.clone(), s.clone(), feeds_rx.clone());
            tokio::spawn(polling);
        });
        let mut reloadable = Reloadable {
            dir: node.dir.clone(),
            feeds: feeds_tx,
            federation: state.federation.clone(),
        };
        let (dir, s) = (node.dir.clone(), state.store.clone());
        replicas.run("response", move || {
            response::spawn_background(&dir, s.clone());
        });
        if let Some(token) = init.admin_token {
            println!("Admin token (shown once, keep it safe): {token}");
        }
        println!(
            "Concord node {:?} listening on {public_url}",
            node.config.node_name
        );
        tracing::info!(%addr, data_dir = %node.dir.display(), store = %data, pid = std::process::id(), "Serving.");
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let key_dir = node.dir.clone();
        let running_key = key_public.clone();
        let stop_signal = tokio::spawn(async move {
            let mut stop_tx = Some(stop_tx);
            let mut tick = tokio::time::interval(std::time::Duration::from_secs(1));
            loop {
                let name = tokio::select! {
                    signal = signals.recv() => match signal {
                        Some(Signal::Reload) => {
                            reloadable.reload();
                            continue;
                        }
                        Some(Signal::Stop(name)) => name,
                        None => break,
                    },
                    _ = tick.tick() => {
                        if rotation.load(std::sync::atomic::Ordering::Relaxed)
                            || !community::rotate::due(&key_dir, &running_key)
                        {
                            continue;
                        }
                        rotation.store(true, std::sync::atomic::Ordering::Relaxed);
                        "key rotation"
                    }
                };
                tracing::info!(signal = name, grace_secs = STOP_GRACE.as_secs(),
                    "Stopping: no new connections; event streams end; requests under way finish.");
                if let Some(tx) = stop_tx.take() {
                    let _ = tx.send(());
                }
                reloadable.feeds.send_replace(None);
            }
        });
        let stopped = std::sync::Arc::new(tokio::sync::Notify::new());
        let told = stopped.clone();
        // The node serves its web interface with the API, under the same layers.
        let web = concord_web::part(state.clone());
        let serving = concord_server::serve_with(
            listener,
            state,
            vec![web],
            async move {
                let _ = stop_rx.await;
                told.notify_one();
            },
            listening,
        );
        let grace = async {
            stopped.notified().await;
            tokio::time::sleep(STOP_GRACE).await;
        };
        tokio::select! {
            r = serving => r?,
            () = grace => tracing::warn!(grace_secs = STOP_GRACE.as_secs(),
                "Requests still under way after the grace period are cut."),
        }
        stop_signal.abort();
        anyhow::Ok(())
    });
    // Background work (a feed import, the signer's batch) is in SQLite transactions that
    // commit or roll back whole; blocking work under way gets the grace period to finish.
    runtime.shutdown_timeout(STOP_GRACE);
    served?;
    if rotated.load(std::sync::atomic::Ordering::Relaxed) {
        Ok(Served::KeyRotated)
    } else {
        Ok(Served::Stopped)
    }
}

/// How `serve` listens, from the configuration: HTTPS when `tls_cert` / `tls_key` are set
/// (paths relative to the data directory), the plain-HTTP permission and the limits.
fn listening_of(
    c: &config::Config,
    dir: &std::path::Path,
    key: &concord_federation::identity::NodeKey,
    statement: &concord_federation::tls::StatementCell,
) -> anyhow::Result<concord_server::Listening> {
    let tls = if c.tls() {
        if c.tls_cert.is_empty() || c.tls_key.is_empty() {
            anyhow::bail!("set both tls_cert and tls_key (or neither, for plain HTTP)");
        }
        let cert = concord_server::tls::ReloadingCert::load(
            dir.join(&c.tls_cert),
            dir.join(&c.tls_key),
            Some(key.clone()),
            statement.clone(),
        )
        .map_err(|e| anyhow::anyhow!(e))?;
        Some(cert)
    } else {
        None
    };
    Ok(concord_server::Listening {
        tls,
        allow_plain_http: c.allow_plain_http,
        header_read_timeout: std::time::Duration::from_secs(c.header_read_timeout_secs.max(1)),
        max_connections: c.max_connections.max(1),
        idle_release: (c.idle_release_secs > 0)
            .then(|| std::time::Duration::from_secs(c.idle_release_secs)),
    })
}
