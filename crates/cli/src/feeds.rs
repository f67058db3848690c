//! `concord feed`: feeds polled on a schedule (`[[feeds]]` in concord.toml).

use std::path::Path;
use std::sync::Arc;

use concord_store::Store;
use serde::{Deserialize, Serialize};

/// One `[[feeds]]` entry.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct FeedConfig {
    /// The feed's name.
    pub name: String,
}

/// `concord feed` subcommands.
#[derive(clap::Subcommand)]
pub enum FeedCommand {
    /// List the configured feeds.
    List,
}

/// Runs a `concord feed` subcommand.
pub fn run(
    node: &crate::node::Node,
    command: FeedCommand,
) -> anyhow::Result<std::process::ExitCode> {
    match command {
        FeedCommand::List => {
            for f in &node.config.feeds {
                println!("{}", f.name);
            }
        }
    }
    Ok(std::process::ExitCode::SUCCESS)
}

/// Starts polling the configured feeds in the background (while `serve` runs).
pub fn spawn_polling(_dir: &Path, _store: Arc<dyn Store>, feeds: Vec<FeedConfig>) {
    if !feeds.is_empty() {
        tracing::warn!(count = feeds.len(), "Feed polling is not built yet.");
    }
}
