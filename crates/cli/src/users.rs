//! `concord user`: local users of the web interface.

/// `concord user` subcommands.
#[derive(clap::Subcommand)]
pub enum UserCommand {
    /// List users.
    List,
}

/// Runs a `concord user` subcommand.
pub fn run(
    _node: &crate::node::Node,
    command: UserCommand,
) -> anyhow::Result<std::process::ExitCode> {
    match command {
        UserCommand::List => anyhow::bail!("users are not built yet"),
    }
}
