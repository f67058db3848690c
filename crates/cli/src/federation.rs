//! `concord node`, `concord peer`, `concord policy` and `concord audit`: the node's
//! identity, its peers, its outbound policy and the audit log of what left it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, bail};
use concord_federation::identity::{NodeKey, fingerprint, node_id_of_hex};
use concord_federation::outbound;
use concord_store::Store;
use concord_store::federation::{AUDIT_GENESIS, FederationStore, PeerRecord, audit_hash};
use serde_json::json;

use crate::node::Node;

/// `concord node` subcommands.
#[derive(clap::Subcommand)]
pub enum NodeCommand {
    /// Print this node's id, public key, fingerprint and URL (what peers need to add it).
    Show {
        /// Print one JSON object (`id`, `public_key`, `fingerprint`, `url`, `name`).
        #[arg(long)]
        json: bool,
    },
}

/// `concord peer` subcommands.
#[derive(clap::Subcommand)]
pub enum PeerCommand {
    /// Register a peer. Nothing flows until both sides have added each other.
    Add {
        /// The peer's base URL (e.g. http://127.0.0.1:7471).
        url: String,
        /// The peer's Ed25519 public key (hex, from its `concord node show`).
        #[arg(long)]
        key: String,
        /// A display name.
        #[arg(long)]
        name: Option<String>,
        /// The agreement of this node's policy that applies to the peer.
        #[arg(long)]
        agreement: Option<String>,
        /// The peer's country (ISO 3166 code), for policy groups.
        #[arg(long)]
        country: Option<String>,
        /// A sector of the peer, for policy groups (repeatable).
        #[arg(long = "sector")]
        sectors: Vec<String>,
        /// Allow a plain http:// URL to a host other than loopback: what is pulled from
        /// the peer travels readable on the path (shown in `peer list`, written to the
        /// audit log). Without it such a URL is refused.
        #[arg(long)]
        insecure_http: bool,
    },
    /// Show each peer's state: last sync, cursor, lag, errors.
    List {
        /// Print one JSON array instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Remove a peer (by node id or name).
    Remove {
        /// Node id or name.
        peer: String,
    },
}

/// `concord policy` subcommands.
#[derive(clap::Subcommand)]
pub enum PolicyCommand {
    /// Print the decision for one object and one peer, with the rule behind each part.
    Explain {
        /// The object id (its current version is used).
        object: String,
        /// The peer (node id or name).
        #[arg(long)]
        peer: String,
    },
    /// Check a policy file and print what each peer would receive from the current
    /// store, in counts by type and decision, before putting it in force.
    Test {
        /// The policy file to check.
        file: PathBuf,
        /// Print one JSON array (one object per peer and type) instead of a table.
        #[arg(long)]
        json: bool,
    },
}

/// `concord audit` subcommands.
#[derive(clap::Subcommand)]
pub enum AuditCommand {
    /// Check the whole hash chain; name the first entry that does not fit.
    Verify,
    /// List outbound decisions.
    Show {
        /// Only decisions about this peer (node id or name).
        #[arg(long)]
        peer: Option<String>,
        /// At most this many entries (the newest).
        #[arg(long, default_value_t = 100)]
        limit: usize,
        /// Print one JSON array instead of a table.
        #[arg(long)]
        json: bool,
    },
}

/// The node key of a data directory (a rotated key once its rotation is in effect:
/// `crate::community::rotate`), under the node's id (`node.id` after a rotation: the id
/// stays that of the node's first key).
pub fn node_key(dir: &Path) -> anyhow::Result<NodeKey> {
    crate::community::rotate::take_over_if_due(dir)?;
    load_key(dir)
}

/// The key in `node.key` under the node's id, pending rotations aside.
pub(crate) fn load_key(dir: &Path) -> anyhow::Result<NodeKey> {
    let path = dir.join(crate::node::KEY_FILE);
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("cannot read the node key {}", path.display()))?;
    let key = NodeKey::from_seed_hex(&text)?;
    let id_path = dir.join(crate::node::ID_FILE);
    match std::fs::read_to_string(&id_path) {
        Ok(id) => {
            let id = id.trim();
            if !is_node_id(id) {
                bail!("{} does not hold a node id: {id:?}", id_path.display());
            }
            Ok(key.with_node_id(id))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(key),
        Err(e) => Err(e).with_context(|| format!("cannot read {}", id_path.display())),
    }
}

/// Whether `s` has the form of a node id (`concord-` and 24 lower-case hex digits).
fn is_node_id(s: &str) -> bool {
    s.strip_prefix("concord-").is_some_and(|h| {
        h.len() == 24
            && h.bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    })
}

/// The URL this node is reached at: the one its running `serve` uses (which `--listen`
/// may have changed), else the configured one.
pub fn public_url(node: &Node) -> String {
    crate::node::serving_url(&node.dir)
        .unwrap_or_else(|| node.config.public_url_or(&node.config.listen))
}

/// The policy file in force (absolute), if one is configured and present.
pub fn policy_path(node: &Node) -> Option<PathBuf> {
    if node.config.policy_file.is_empty() {
        return None;
    }
    let p = node.dir.join(&node.config.policy_file);
    p.exists().then_some(p)
}

fn find_peer(store: &dyn Store, which: &str) -> anyhow::Result<PeerRecord> {
    let peers = store.peers()?;
    peers
        .iter()
        .find(|p| p.node_id == which)
        .or_else(|| peers.iter().find(|p| p.name == which))
        .cloned()
        .with_context(|| format!("no peer {which:?} (see `concord peer list`)"))
}

/// Runs `concord node`.
pub fn node(node: &Node, command: NodeCommand) -> anyhow::Result<ExitCode> {
    let NodeCommand::Show { json } = command;
    let key = node_key(&node.dir)?;
    let public = key.public_hex();
    let fp = fingerprint(&public)?;
    let url = public_url(node);
    // `store`: `sqlite`, or the PostgreSQL URL without its password.
    let shown = json!({"id": key.node_id(), "public_key": public, "fingerprint": fp,
        "url": url, "name": node.config.node_name, "store": node.store.location()});
    let fields: Vec<(&str, String)> = ["name", "id", "public_key", "fingerprint", "url", "store"]
        .iter()
        .map(|k| (*k, crate::table::text(&shown[*k])))
        .collect();
    crate::table::show(json, &shown, &fields)?;
    Ok(ExitCode::SUCCESS)
}

fn state_of(p: &PeerRecord) -> &'static str {
    match (&p.last_error, &p.last_sync, &p.live_since) {
        (Some(_), ..) => "error",
        (None, Some(_), Some(_)) => "connected",
        (None, Some(_), None) => "synced",
        (None, None, _) => "never synced",
    }
}

/// A peer as `peer list` shows it: its record with its state and lag.
#[derive(serde::Serialize)]
struct PeerRow<'a> {
    #[serde(flatten)]
    peer: &'a PeerRecord,
    state: &'static str,
    lag: i64,
}

/// Runs `concord peer`.
pub fn peer(node: &Node, command: PeerCommand) -> anyhow::Result<ExitCode> {
    let store = &node.store;
    match command {
        PeerCommand::Add {
            url,
            key,
            name,
            agreement,
            country,
            sectors,
            insecure_http,
        } => {
            let node_id = node_id_of_hex(&key)?;
            if node_id == node_key(&node.dir)?.node_id() {
                bail!("that is this node's own key");
            }
            let parsed = reqwest_like_url_check(&url)?;
            // Decided from the URL alone: no traffic goes to the address.
            concord_federation::tls::check_url(&parsed, insecure_http)
                .map_err(|e| anyhow::anyhow!("peer URL {e}"))?;
            let insecure_http =
                insecure_http && concord_federation::tls::check_url(&parsed, false).is_err();
            let record = PeerRecord {
                name: name.unwrap_or_else(|| node_id.clone()),
                node_id: node_id.clone(),
                url: parsed,
                public_key: key.trim().to_ascii_lowercase(),
                country,
                sectors,
                agreement,
                insecure_http,
                ..PeerRecord::default()
            };
            store.put_peer(&record)?;
            if insecure_http {
                store.append_audit(&[concord_store::federation::AuditEntry {
                    peer: node_id.clone(),
                    object_id: String::new(),
                    version: String::new(),
                    verdict: "peer-insecure-http".into(),
                    agreement: None,
                    reasons: json!([{"rule": "transport.insecure-http", "effect": "allow",
                        "message": format!("peer added with --insecure-http: {} is plain HTTP to a non-loopback host", record.url)}]),
                }])?;
                eprintln!(
                    "warning: {} is plain HTTP: what this node pulls from the peer travels readable on the path.",
                    record.url
                );
            }
            println!(
                "Peer {} ({node_id}) added; fingerprint {}. It must add this node too.",
                record.name,
                fingerprint(&record.public_key)?
            );
        }
        PeerCommand::List { json } => {
            let peers = store.peers()?;
            let shown: Vec<PeerRow> = peers
                .iter()
                .map(|p| PeerRow {
                    peer: p,
                    state: state_of(p),
                    lag: (p.head - p.cursor).max(0),
                })
                .collect();
            if peers.is_empty() && !json {
                eprintln!("No peers. Add one with `concord peer add URL --key PUBKEY`.");
            }
            crate::table::list(
                json,
                &shown,
                &[
                    "NAME",
                    "NODE",
                    "URL",
                    "STATE",
                    "LIVE SINCE",
                    "LAST SYNC",
                    "CURSOR",
                    "LAG",
                    "RECEIVED",
                    "REFUSED",
                    "ERROR",
                ],
                |r| {
                    let p = r.peer;
                    let url = if p.insecure_http {
                        format!("{} (INSECURE: plain HTTP)", p.url)
                    } else {
                        p.url.clone()
                    };
                    vec![
                        p.name.clone(),
                        p.node_id.clone(),
                        url,
                        r.state.to_owned(),
                        crate::table::opt(p.live_since.as_deref()),
                        crate::table::opt(p.last_sync.as_deref()),
                        p.cursor.to_string(),
                        r.lag.to_string(),
                        p.received.to_string(),
                        p.refused.to_string(),
                        // The last refusal stays shown after later pulls succeed.
                        crate::table::opt(p.last_error.as_deref().or(p.last_refusal.as_deref())),
                    ]
                },
            )?;
        }
        PeerCommand::Remove { peer } => {
            let p = find_peer(store, &peer)?;
            store.remove_peer(&p.node_id)?;
            println!("Peer {} ({}) removed.", p.name, p.node_id);
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn reqwest_like_url_check(url: &str) -> anyhow::Result<String> {
    let u = url.trim().trim_end_matches('/');
    let rest = u
        .strip_prefix("http://")
        .or_else(|| u.strip_prefix("https://"))
        .with_context(|| format!("peer URL {url:?} must start with http:// or https://"))?;
    if rest.is_empty() || rest.contains(char::is_whitespace) {
        bail!("peer URL {url:?} has no host");
    }
    Ok(u.to_owned())
}

fn load_policy(node: &Node) -> anyhow::Result<concord_policy::Policy> {
    concord_federation::server::load_policy(policy_path(node).as_deref())
        .map_err(|e| anyhow::anyhow!(e))
}

/// What `policy test` counts for one peer and one type.
#[derive(serde::Serialize, Default)]
struct PolicyCounts {
    peer: String,
    node_id: String,
    #[serde(rename = "type")]
    object_type: String,
    send: u64,
    send_redacted: u64,
    withhold: u64,
}

/// Runs `concord policy`.
pub fn policy(node: &Node, command: PolicyCommand) -> anyhow::Result<ExitCode> {
    let key = node_key(&node.dir)?;
    match command {
        PolicyCommand::Explain { object, peer } => {
            let policy = load_policy(node)?;
            let p = find_peer(&node.store, &peer)?;
            let held = node
                .store
                .get(&object)?
                .with_context(|| format!("no object {object}"))?;
            let (decision, prov) = outbound::decide(&node.store, &key, &policy, &held.value(), &p)?;
            println!("Object {object} for peer {} ({}):", p.name, p.node_id);
            if let Some(prov) = prov.filter(|p| !p.is_local()) {
                println!(
                    "  received from {}, created by {} ({} re-shares left)",
                    prov.received_from, prov.origin, prov.hops_left
                );
            }
            println!("{decision}");
        }
        PolicyCommand::Test { file, json } => {
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("cannot read {}", file.display()))?;
            let policy = concord_policy::Policy::parse(&text)
                .map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
            // Notes go to standard error: standard output is the table (or JSON) alone.
            eprintln!("{}: valid policy.", file.display());
            let mut peers = node.store.peers()?;
            if peers.is_empty() {
                eprintln!("No peers registered; showing a peer with no name, country or sector.");
                peers.push(PeerRecord {
                    node_id: "concord-000000000000000000000000".into(),
                    name: "(any peer)".into(),
                    ..PeerRecord::default()
                });
            }
            let mut rows = Vec::new();
            for p in &peers {
                let mut counts: BTreeMap<String, PolicyCounts> = BTreeMap::new();
                node.store.for_each_current(&[], &mut |obj| {
                    let v = obj.value();
                    if let Ok((d, _)) = outbound::decide(&node.store, &key, &policy, &v, p) {
                        let ty = v["type"].as_str().unwrap_or("?").to_owned();
                        let c = counts.entry(ty.clone()).or_insert_with(|| PolicyCounts {
                            peer: p.name.clone(),
                            node_id: p.node_id.clone(),
                            object_type: ty,
                            ..PolicyCounts::default()
                        });
                        match d.verdict {
                            concord_policy::Verdict::Send => c.send += 1,
                            concord_policy::Verdict::SendRedacted => c.send_redacted += 1,
                            concord_policy::Verdict::Withhold => c.withhold += 1,
                        }
                    }
                    Ok(())
                })?;
                rows.extend(counts.into_values());
            }
            crate::table::list(
                json,
                &rows,
                &["PEER", "TYPE", "SEND", "SEND-REDACTED", "WITHHOLD"],
                |c| {
                    vec![
                        c.peer.clone(),
                        c.object_type.clone(),
                        c.send.to_string(),
                        c.send_redacted.to_string(),
                        c.withhold.to_string(),
                    ]
                },
            )?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Runs `concord audit`.
pub fn audit(node: &Node, command: AuditCommand) -> anyhow::Result<ExitCode> {
    let store = &node.store;
    match command {
        AuditCommand::Verify => {
            let mut prev = AUDIT_GENESIS.to_owned();
            let mut expected_n = 1;
            let mut after = 0;
            loop {
                let chunk = store.audit(None, after, 10_000)?;
                if chunk.is_empty() {
                    break;
                }
                for r in &chunk {
                    let problem = if r.n != expected_n {
                        Some(format!("expected entry {expected_n}, found {}", r.n))
                    } else if r.prev != prev {
                        Some("its `prev` is not the hash of the entry before".to_owned())
                    } else if r.hash != audit_hash(&r.prev, r.n, &r.at, &r.entry) {
                        Some("its content does not match its hash".to_owned())
                    } else {
                        None
                    };
                    if let Some(p) = problem {
                        println!("Audit log broken at entry {}: {p}.", r.n);
                        return Ok(ExitCode::from(2));
                    }
                    prev = r.hash.clone();
                    expected_n += 1;
                    after = r.n;
                }
            }
            println!(
                "Audit log intact: {} entries, last hash {prev}.",
                expected_n - 1
            );
        }
        AuditCommand::Show { peer, limit, json } => {
            let peer = peer.map(|p| find_peer(store, &p).map(|r| r.node_id).unwrap_or(p));
            let mut all = Vec::new();
            let mut after = 0;
            loop {
                let chunk = store.audit(peer.as_deref(), after, 10_000)?;
                let Some(last) = chunk.last() else { break };
                after = last.n;
                all.extend(chunk);
                if all.len() > limit {
                    all.drain(..all.len() - limit);
                }
            }
            crate::table::list(
                json,
                &all,
                &[
                    "N",
                    "AT",
                    "PEER",
                    "OBJECT",
                    "VERSION",
                    "VERDICT",
                    "AGREEMENT",
                ],
                |r| {
                    vec![
                        r.n.to_string(),
                        r.at.clone(),
                        r.entry.peer.clone(),
                        r.entry.object_id.clone(),
                        r.entry.version.clone(),
                        r.entry.verdict.clone(),
                        crate::table::opt(r.entry.agreement.as_deref()),
                    ]
                },
            )?;
        }
    }
    Ok(ExitCode::SUCCESS)
}
