//! `concord incident`, `concord alert`, `concord request`, `concord route` and
//! `concord subscription`: coordinated response.

use std::process::ExitCode;

use crate::node::Node;

/// `concord incident` subcommands.
#[derive(clap::Subcommand)]
pub enum IncidentCommand {
    /// List incidents.
    List,
}

/// `concord alert` subcommands.
#[derive(clap::Subcommand)]
pub enum AlertCommand {
    /// List alerts.
    List,
}

/// `concord request` subcommands (requests for assistance).
#[derive(clap::Subcommand)]
pub enum RequestCommand {
    /// List requests.
    List,
}

/// `concord route` subcommands (constituency routing).
#[derive(clap::Subcommand)]
pub enum RouteCommand {
    /// Which member is responsible for an IP, ASN or domain, and why.
    Explain {
        /// The value.
        value: String,
    },
}

/// `concord subscription` subcommands (notifications).
#[derive(clap::Subcommand)]
pub enum SubscriptionCommand {
    /// List subscriptions.
    List,
}

fn not_built() -> anyhow::Result<ExitCode> {
    anyhow::bail!("not built yet")
}

/// Runs `concord incident`.
pub fn incident(_node: &Node, _command: IncidentCommand) -> anyhow::Result<ExitCode> {
    not_built()
}

/// Runs `concord alert`.
pub fn alert(_node: &Node, _command: AlertCommand) -> anyhow::Result<ExitCode> {
    not_built()
}

/// Runs `concord request`.
pub fn request(_node: &Node, _command: RequestCommand) -> anyhow::Result<ExitCode> {
    not_built()
}

/// Runs `concord route`.
pub fn route(_node: &Node, _command: RouteCommand) -> anyhow::Result<ExitCode> {
    not_built()
}

/// Runs `concord subscription`.
pub fn subscription(_node: &Node, _command: SubscriptionCommand) -> anyhow::Result<ExitCode> {
    not_built()
}

/// Starts the background work of coordinated response while `serve` runs
/// (re-announcing unanswered alerts, notification delivery).
pub fn spawn_background(
    _node_dir: &std::path::Path,
    _store: std::sync::Arc<dyn concord_store::Store>,
) {
}
