//! `concord user`: local users of the web interface (add, change password, list), and
//! `concord token`: API tokens (create with a role, clearance and expiry; list; revoke).
//!
//! A password is never taken from the command line (it would show in process lists and
//! shell history): it is read from standard input with `--password-stdin` (first line),
//! else asked twice at a terminal prompt without echo.

use std::io::BufRead;

use anyhow::{Context, bail};
use concord_store::users::Users;
use concord_store::{NewToken, Role, Store};
use concord_web::session::{hash_password, password_problem};

/// `concord user` subcommands.
#[derive(clap::Subcommand)]
pub enum UserCommand {
    /// Add a user who signs in to the web interface.
    Add {
        /// The sign-in name (1 to 64 characters, no spaces).
        name: String,
        /// reader, analyst or admin.
        #[arg(long, default_value = "reader")]
        role: String,
        /// The highest TLP level the user sees: clear, green, amber, amber+strict or red.
        #[arg(long, default_value = "green")]
        clearance: String,
        /// Read the password from the first line of standard input instead of a prompt.
        #[arg(long)]
        password_stdin: bool,
    },
    /// Set a user's password (this ends the user's sessions).
    Passwd {
        /// The sign-in name.
        name: String,
        /// Read the password from the first line of standard input instead of a prompt.
        #[arg(long)]
        password_stdin: bool,
    },
    /// List users.
    List {
        /// Print one JSON array instead of a table.
        #[arg(long)]
        json: bool,
    },
}

/// `concord token` subcommands.
#[derive(clap::Subcommand)]
pub enum TokenCommand {
    /// Create a token and print it alone on standard output (it is stored only as a hash).
    Create {
        /// reader, analyst or admin.
        #[arg(long, value_parser = ["reader", "analyst", "admin"])]
        role: String,
        /// A name to recognise it by.
        #[arg(long, default_value = "")]
        name: String,
        /// The highest TLP level it reads: clear, green, amber, amber+strict or red.
        #[arg(long, default_value = "green")]
        clearance: String,
        /// When it stops working: a duration from now (90m, 12h, 30d, 8w) or an RFC 3339
        /// time. Default: never.
        #[arg(long)]
        expires: Option<String>,
    },
    /// List tokens (never their secrets).
    List {
        /// Print one JSON array instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Revoke a token by its id.
    Revoke {
        /// The id shown by `token list`.
        id: i64,
    },
}

/// Runs a `concord token` subcommand.
pub fn token(
    node: &crate::node::Node,
    command: TokenCommand,
) -> anyhow::Result<std::process::ExitCode> {
    let store = &node.store;
    match command {
        TokenCommand::Create {
            role,
            name,
            clearance,
            expires,
        } => {
            let role = Role::parse(&role).with_context(|| {
                format!("--role must be reader, analyst or admin, not {role:?}")
            })?;
            let clearance: concord_stix::Tlp = clearance
                .parse()
                .map_err(|e| anyhow::anyhow!("--clearance: {e}"))?;
            let expires = expires
                .map(|e| concord_server::auth::parse_expiry(&e, chrono::Utc::now()))
                .transpose()
                .map_err(|m| anyhow::anyhow!("--expires: {m}"))?;
            let secret = concord_server::auth::new_token_secret();
            let record = store.create_token_with(&NewToken {
                name: &name,
                role,
                hash: &concord_server::auth::hash_token(&secret),
                clearance,
                expires,
            })?;
            tracing::info!(
                token_id = record.id,
                role = role.as_str(),
                clearance = clearance.as_str(),
                "Token created."
            );
            println!("{secret}");
        }
        TokenCommand::List { json } => {
            crate::table::list(
                json,
                &store.tokens()?,
                &[
                    "ID",
                    "NAME",
                    "ROLE",
                    "CLEARANCE",
                    "CREATED",
                    "EXPIRES",
                    "LAST USED",
                ],
                |t| {
                    vec![
                        t.id.to_string(),
                        t.name.clone(),
                        t.role.as_str().to_owned(),
                        tlp(t.clearance),
                        t.created.clone(),
                        t.expires.clone().unwrap_or_else(|| "never".into()),
                        t.last_used.clone().unwrap_or_else(|| "never".into()),
                    ]
                },
            )?;
        }
        TokenCommand::Revoke { id } => {
            if !store.revoke_token(id)? {
                bail!("no token with id {id} (`concord token list` shows them)");
            }
            println!("Token {id} revoked.");
        }
    }
    Ok(std::process::ExitCode::SUCCESS)
}

/// A clearance as people read it: `TLP:AMBER+STRICT`.
fn tlp(level: concord_stix::Tlp) -> String {
    format!("TLP:{}", level.as_str().to_uppercase())
}

/// Reads a new password: first line of stdin, or twice at a prompt.
fn read_password(from_stdin: bool) -> anyhow::Result<String> {
    let password = if from_stdin {
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .context("cannot read the password from standard input")?;
        line.trim_end_matches(['\r', '\n']).to_owned()
    } else {
        let first = rpassword::prompt_password("Password: ")
            .context("cannot prompt for a password (no terminal? use --password-stdin)")?;
        let again = rpassword::prompt_password("Password again: ")?;
        if first != again {
            bail!("the two passwords differ");
        }
        first
    };
    if let Some(problem) = password_problem(&password) {
        bail!(
            "{}",
            match problem {
                "password-too-short" => "the password must have at least 10 characters",
                _ => "the password must have at most 1024 characters",
            }
        );
    }
    Ok(password)
}

/// Whether a user name is acceptable (as the web interface's administration checks).
fn valid_name(name: &str) -> bool {
    let n = name.chars().count();
    (1..=64).contains(&n) && !name.chars().any(|c| c.is_control() || c.is_whitespace())
}

/// Runs a `concord user` subcommand.
pub fn run(
    node: &crate::node::Node,
    command: UserCommand,
) -> anyhow::Result<std::process::ExitCode> {
    let store = &node.store;
    match command {
        UserCommand::Add {
            name,
            role,
            clearance,
            password_stdin,
        } => {
            if !valid_name(&name) {
                bail!("user names have 1 to 64 characters, without spaces: {name:?}");
            }
            let role = Role::parse(&role).with_context(|| {
                format!("--role must be reader, analyst or admin, not {role:?}")
            })?;
            let clearance: concord_stix::Tlp = clearance
                .parse()
                .map_err(|e| anyhow::anyhow!("--clearance: {e}"))?;
            let password = read_password(password_stdin)?;
            let Some(user) =
                store.create_user(&name, role, clearance, &hash_password(&password))?
            else {
                bail!("a user named {name:?} exists already (use `concord user passwd`)");
            };
            println!(
                "Added user {} (role {}, clearance TLP:{}).",
                user.name,
                user.role.as_str(),
                user.clearance.as_str().to_uppercase()
            );
        }
        UserCommand::Passwd {
            name,
            password_stdin,
        } => {
            let Some((user, _)) = store.user_by_name(&name)? else {
                bail!("no user named {name:?} (`concord user list` shows them)");
            };
            let password = read_password(password_stdin)?;
            store.set_password(user.id, &hash_password(&password))?;
            println!("Password of {} changed; their sessions ended.", user.name);
        }
        UserCommand::List { json } => {
            crate::table::list(
                json,
                &store.users()?,
                &["NAME", "ROLE", "CLEARANCE", "STATE", "CREATED"],
                |u| {
                    vec![
                        u.name.clone(),
                        u.role.as_str().to_owned(),
                        tlp(u.clearance),
                        if u.disabled { "disabled" } else { "active" }.to_owned(),
                        u.created.clone(),
                    ]
                },
            )?;
        }
    }
    Ok(std::process::ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_checked() {
        assert!(valid_name("ana"));
        assert!(valid_name("أحمد"));
        assert!(!valid_name("two words"));
        assert!(!valid_name(""));
        assert!(!valid_name(&"x".repeat(65)));
    }
}
