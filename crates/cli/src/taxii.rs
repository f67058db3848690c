//! `concord taxii pull`: pulls collections of a TAXII 2.1 server into the node, resuming
//! from where the last pull of each collection stopped; and the polling of
//! `[[taxii_sources]]` while serving.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use clap::Subcommand;
use concord_store::Store;
use concord_taxii::client::{Client, Options};
use concord_taxii::pull::{CollectionReport, Pull, Source, pull};

/// The resume file in the data directory.
pub const STATE_FILE: &str = "taxii-pull.json";

/// TAXII subcommands.
#[derive(Subcommand)]
pub enum TaxiiCommand {
    /// Pull objects from a TAXII 2.1 server (discovery or API root URL) and import them.
    Pull {
        /// Discovery (`.../taxii2/`) or API root URL.
        url: String,
        /// Only this collection (id or alias); every readable one if absent.
        #[arg(long)]
        collection: Option<String>,
        /// HTTP Basic user.
        #[arg(long, env = "CONCORD_TAXII_USER")]
        user: Option<String>,
        /// HTTP Basic password.
        #[arg(long, env = "CONCORD_TAXII_PASSWORD", hide_env_values = true)]
        password: Option<String>,
        /// Bearer token (instead of user and password).
        #[arg(
            long,
            env = "CONCORD_TAXII_TOKEN",
            hide_env_values = true,
            conflicts_with = "password"
        )]
        token: Option<String>,
        /// Fetch only objects added after this timestamp (instead of the remembered position).
        #[arg(long)]
        added_after: Option<String>,
        /// Allow a plain http:// URL to a host other than loopback: credentials and
        /// objects travel readable on the path. Without it such a URL is refused.
        #[arg(long)]
        insecure_http: bool,
        /// Send the credentials to an API root that the discovery document names on
        /// another origin (scheme, host, port) too; without it such a root is refused.
        #[arg(long)]
        allow_cross_origin_credentials: bool,
    },
}

/// Runs a TAXII subcommand against the node in `dir`.
pub fn run(dir: &Path, store: Arc<dyn Store>, command: TaxiiCommand) -> anyhow::Result<()> {
    let TaxiiCommand::Pull {
        url,
        collection,
        user,
        password,
        token,
        added_after,
        insecure_http,
        allow_cross_origin_credentials,
    } = command;
    if let Some(a) = &added_after {
        concord_stix::Timestamp::parse(a)
            .map_err(|e| anyhow::anyhow!("--added-after {a:?} is not a timestamp: {e}"))?;
    }
    let source = Source {
        url,
        collection,
        user,
        password,
        token,
        interval_secs: 0,
        insecure_http,
        allow_cross_origin_credentials,
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let reports = runtime.block_on(pull_source(store, &source, added_after, &state_path(dir)))?;
    for r in &reports {
        println!("{}", describe(r));
    }
    Ok(())
}

fn state_path(dir: &Path) -> PathBuf {
    dir.join(STATE_FILE)
}

/// Pulls one source once.
pub async fn pull_source(
    store: Arc<dyn Store>,
    source: &Source,
    added_after: Option<String>,
    state_file: &Path,
) -> anyhow::Result<Vec<CollectionReport>> {
    // Checked before any traffic: nothing goes in clear across a network unless asked.
    concord_federation::tls::check_url(&source.url, source.insecure_http)
        .map_err(|e| anyhow::anyhow!("TAXII source {e}"))?;
    let client = Client::new(source.auth(), Options::default())?;
    let req = Pull {
        url: source.url.clone(),
        collection: source.collection.clone(),
        added_after,
        state_file: state_file.to_owned(),
        allow_cross_origin_credentials: source.allow_cross_origin_credentials,
    };
    let reports = pull(store, &client, &req, &mut |r: &CollectionReport| {
        tracing::debug!(collection = %r.id, pages = r.pages, received = r.received, "TAXII page imported.");
    })
    .await?;
    Ok(reports)
}

/// One line about a pulled collection.
pub fn describe(r: &CollectionReport) -> String {
    let s = &r.summary;
    format!(
        "Collection {} ({}): {} objects in {} pages; new {}, new versions {}, unchanged {}, conflicts {}, rejected {}; next pull starts after {}",
        r.id,
        r.title,
        r.received,
        r.pages,
        s.new,
        s.new_versions,
        s.unchanged,
        s.conflicts,
        s.rejected,
        r.last_date_added.as_deref().unwrap_or("(the beginning)")
    )
}

/// Polls each `[[taxii_sources]]` entry on its interval, forever (spawned by `serve`).
pub fn spawn_polling(dir: &Path, store: Arc<dyn Store>, sources: Vec<Source>) {
    let state_file = state_path(dir);
    for source in sources {
        let store = store.clone();
        let state_file = state_file.clone();
        tokio::spawn(async move {
            let every = Duration::from_secs(source.interval_secs.max(10));
            let mut tick = tokio::time::interval(every);
            loop {
                tick.tick().await;
                match pull_source(store.clone(), &source, None, &state_file).await {
                    Ok(reports) => {
                        for r in &reports {
                            tracing::info!(source = %source.url, summary = %describe(r), "TAXII source pulled.");
                        }
                    }
                    Err(e) => {
                        tracing::warn!(source = %source.url, error = %format!("{e:#}"), "TAXII pull failed; retrying at the next interval.")
                    }
                }
            }
        });
    }
}
