//! `concord community`: found or join a community, apply for membership, propose and
//! vote, and show what the log decided. Entries are signed with the node key and stored
//! in the node's store; a running `serve` replicates them to the other members and
//! applies the decisions to its peers (`concord_federation::governance`).

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use concord_community::{
    Action, Application, Charter, Choice, Community, Content, Entry, Genesis, GenesisBody,
    MemberInfo, Outcome, State,
};
use concord_federation::governance::{Communities, Unpicked, genesis_document};
use concord_federation::identity::{NodeKey, fingerprint};
use concord_stix::Timestamp;
use concord_store::governance::{ENTRY, GovernanceStore, LocalRefusal};
use serde::Serialize;

use crate::node::Node;
use crate::table;

pub mod rotate;
mod verify;

/// `concord community` subcommands.
#[derive(clap::Subcommand)]
pub enum CommunityCommand {
    /// Write this node's signed application (node id, key, URL, organisation, country,
    /// sectors): founders list it in a genesis, sponsors propose its admission.
    Apply {
        /// The organisation running this node.
        #[arg(long)]
        organisation: String,
        /// ISO 3166 country code.
        #[arg(long)]
        country: Option<String>,
        /// A sector served (repeatable).
        #[arg(long = "sector")]
        sectors: Vec<String>,
        /// Where to write it (default: standard output).
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Draft a genesis from founders' applications (step 1 of founding; each founder
    /// then runs `community sign`, and every founder `community found`).
    Genesis {
        /// The community's name.
        #[arg(long)]
        name: String,
        /// The charter (JSON; default: two sponsors and 2/3 to admit, 3/4 to change the
        /// charter, 1/2 otherwise, a week to vote).
        #[arg(long)]
        charter: Option<PathBuf>,
        /// A founder's application file (repeatable; this node's own is added).
        #[arg(long = "member")]
        members: Vec<PathBuf>,
        /// Where to write the draft.
        #[arg(long)]
        out: PathBuf,
    },
    /// Add this node's signature to a genesis file (in place).
    Sign {
        /// The genesis file.
        file: PathBuf,
    },
    /// Found (as a founder) or join (as a candidate) the community of a genesis signed
    /// by every founder: it is stored here, and its members become peers.
    #[command(alias = "join")]
    Found {
        /// The genesis file.
        file: PathBuf,
    },
    /// Propose a decision (it counts as this node's yes vote).
    Propose {
        /// The community (id or name; optional when this node holds one).
        #[arg(long)]
        community: Option<String>,
        /// Why, in a few words.
        #[arg(long, default_value = "")]
        note: String,
        #[command(subcommand)]
        action: ProposeCommand,
    },
    /// Vote on a proposal.
    Vote {
        /// The proposal's entry id (or a unique prefix).
        proposal: String,
        /// yes or no.
        choice: String,
        /// The community (id or name; optional when this node holds one).
        #[arg(long)]
        community: Option<String>,
    },
    /// Refuse a member on this node alone (no peering, no data either way), whatever the
    /// community decided, or lift that with --lift. Shown by `community show`.
    Refuse {
        /// The member's node id.
        member: String,
        /// Why (shown to this node's operators).
        #[arg(long, default_value = "refused by the operator")]
        reason: String,
        /// Lift the refusal instead.
        #[arg(long)]
        lift: bool,
    },
    /// Rotate this node's key (no vote needed): a new key is made, and the rotation,
    /// signed by the old and the new key, is published in every held community this node
    /// is a member of. Members accept the old key until the effective time and only the
    /// new one from then. The node keeps its id. The new key waits in `node.key.next`
    /// and replaces `node.key` once that time has come; a running `serve` restarts itself
    /// in place then. Replicas: copy `node.key.next` into every replica's data directory
    /// before that time.
    Rotate {
        /// When the new key takes effect (RFC 3339 with milliseconds, UTC); default: in
        /// `--in` seconds.
        #[arg(long)]
        effective: Option<String>,
        /// Seconds from now until the new key takes effect, when `--effective` is not
        /// given.
        #[arg(long = "in", default_value_t = 300)]
        in_secs: u64,
    },
    /// Show each community: members, keys, charter, open proposals, equivocations, and
    /// the members this node refuses.
    Show {
        /// The community (id or name; default: all held).
        #[arg(long)]
        community: Option<String>,
        /// Print one JSON array of community states instead of tables.
        #[arg(long)]
        json: bool,
    },
    /// Re-verify the governance log from scratch: the genesis and its founders'
    /// signatures, every entry's signature, its author's membership and key at its
    /// time, voting periods and equivocations; the state is recomputed and compared with
    /// the one this node holds. Lists each problem with the entry's id and the reason;
    /// exits non-zero on any.
    Verify {
        /// The community (id or name; default: every one held).
        #[arg(long, conflicts_with = "file")]
        community: Option<String>,
        /// Verify a log exported by `concord community export` instead (needs no data
        /// directory).
        #[arg(long)]
        file: Option<PathBuf>,
        /// Print one JSON array of verifications instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Write a community's log (the genesis and every entry, as signed) to a file that
    /// `concord community verify --file` checks anywhere.
    Export {
        /// The community (id or name; optional when this node holds one).
        #[arg(long)]
        community: Option<String>,
        /// Where to write it (default: standard output).
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// List a community's log entries in the log's order, with what each did (and, in
    /// JSON, when each was stored at this node).
    Log {
        /// The community (id or name; optional when this node holds one).
        #[arg(long)]
        community: Option<String>,
        /// Print one JSON array instead of a table.
        #[arg(long)]
        json: bool,
    },
}

/// What `community propose` proposes.
#[derive(clap::Subcommand)]
pub enum ProposeCommand {
    /// Admit the node of an application file; name the other sponsors.
    Admit {
        /// The candidate's application file (`concord community apply`).
        application: PathBuf,
        /// Another sponsoring member (node id; repeatable; this node is one).
        #[arg(long = "sponsor")]
        sponsors: Vec<String>,
    },
    /// Suspend a member.
    Suspend {
        /// Its node id.
        member: String,
    },
    /// Lift a member's suspension.
    Readmit {
        /// Its node id.
        member: String,
    },
    /// Expel a member.
    Expel {
        /// Its node id.
        member: String,
    },
    /// Revoke a member's key.
    Revoke {
        /// Its node id.
        member: String,
        /// The key (hex; default: its current key).
        #[arg(long)]
        key: Option<String>,
        /// Not trusted from (default: now).
        #[arg(long)]
        since: Option<String>,
        /// A replacement key (hex) the member gave out of band.
        #[arg(long)]
        replacement: Option<String>,
    },
    /// Replace the charter.
    Charter {
        /// The new charter (JSON).
        file: PathBuf,
    },
    /// Adopt or change a community-wide definition.
    Define {
        /// Its name (e.g. classification-levels, negative-categories, taxonomies).
        name: String,
        /// Its value (JSON).
        value: String,
    },
}

/// The member record of the application file at `path`, when it verifies.
fn read_application(path: &Path) -> anyhow::Result<MemberInfo> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the application {}", path.display()))?;
    let app: Application = serde_json::from_str(&text)
        .with_context(|| format!("{} is not an application", path.display()))?;
    app.verify()
        .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))
}

fn key_of(node: &Node) -> anyhow::Result<NodeKey> {
    crate::federation::node_key(&node.dir)
}

fn read_json<T: serde::de::DeserializeOwned>(path: &Path, what: &str) -> anyhow::Result<T> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the {what} {}", path.display()))?;
    serde_json::from_str(&text).with_context(|| format!("{} is not a {what}", path.display()))
}

fn write_json<T: Serialize>(path: &Path, value: &T) -> anyhow::Result<()> {
    let mut text = serde_json::to_string_pretty(value)?;
    text.push('\n');
    std::fs::write(path, text).with_context(|| format!("cannot write {}", path.display()))
}

/// The states of the held communities.
fn states(node: &Node) -> anyhow::Result<Vec<std::sync::Arc<State>>> {
    Ok(Communities::default().states(&node.store)?)
}

/// The held community named by `which` (id, id prefix or name), or the only one.
fn pick(node: &Node, which: Option<&str>) -> anyhow::Result<std::sync::Arc<State>> {
    match Communities::pick(&states(node)?, which) {
        Ok(s) => Ok(s),
        Err(Unpicked::NoneHeld) => {
            bail!("this node holds no community; run `concord community found FILE`")
        }
        Err(e) => bail!("{e}; name one with --community"),
    }
}

fn genesis_of(node: &Node, community: &str) -> anyhow::Result<Genesis> {
    Communities::geneses(&node.store)?
        .remove(community)
        .with_context(|| format!("no genesis of {community} held"))
}

/// Signs and stores an entry as this node's member of `community`, if it counts.
fn publish(node: &Node, community: &str, content: Content) -> anyhow::Result<Entry> {
    let key = key_of(node)?;
    let published = concord_federation::governance::publish(
        &node.store,
        &Communities::default(),
        &key,
        Some(community),
        content,
    )?;
    Ok(published.entry)
}

/// Runs a `community` subcommand on the data directory `dir` (opened unless the
/// command needs no node: verifying an exported log).
pub fn main(dir: &Path, command: CommunityCommand) -> anyhow::Result<std::process::ExitCode> {
    match command {
        CommunityCommand::Verify {
            file: Some(file),
            json,
            ..
        } => verify::file(&file, json),
        CommunityCommand::Verify {
            community, json, ..
        } => verify::node_log(&crate::node::open(dir)?, community.as_deref(), json),
        command => {
            run(&crate::node::open(dir)?, command)?;
            Ok(std::process::ExitCode::SUCCESS)
        }
    }
}

/// Runs a `community` subcommand.
fn run(node: &Node, command: CommunityCommand) -> anyhow::Result<()> {
    match command {
        CommunityCommand::Verify { .. } => bail!("`community verify` runs through `main`"),
        CommunityCommand::Rotate { effective, in_secs } => rotate::rotate(node, effective, in_secs),
        CommunityCommand::Export { community, out } => {
            let state = pick(node, community.as_deref())?;
            verify::export(node, &state.community, out.as_deref())
        }
        CommunityCommand::Apply {
            organisation,
            country,
            sectors,
            out,
        } => {
            let key = key_of(node)?;
            let member = MemberInfo {
                node_id: key.node_id(),
                public_key: key.public_hex(),
                url: crate::federation::public_url(node),
                organisation,
                country: country.map(|c| c.to_ascii_uppercase()),
                sectors,
            };
            let app = Application::sign(member, &key);
            match out {
                Some(path) => {
                    write_json(&path, &app)?;
                    println!("Application written to {}.", path.display());
                    Ok(())
                }
                None => table::print_json(&app),
            }
        }
        CommunityCommand::Genesis {
            name,
            charter,
            members,
            out,
        } => {
            let charter = match charter {
                Some(p) => read_json::<Charter>(&p, "charter")?,
                None => Charter::example(),
            };
            charter
                .check()
                .map_err(|e| anyhow::anyhow!("charter: {e}"))?;
            let mut founders = Vec::new();
            for m in &members {
                founders.push(read_application(m)?);
            }
            let key = key_of(node)?;
            if !founders.iter().any(|f| f.node_id == key.node_id()) {
                bail!(
                    "this node is not among the founders; add its own application (`concord community apply --out FILE`) with --member"
                );
            }
            let mut genesis = Genesis::new(GenesisBody {
                name,
                charter,
                founders,
                created: Timestamp::now_millis(),
            });
            genesis.sign(&key);
            write_json(&out, &genesis)?;
            println!(
                "Genesis of {} written to {}; signed by this node. Unsigned: {}.",
                genesis.id(),
                out.display(),
                genesis.unsigned().join(", ")
            );
            Ok(())
        }
        CommunityCommand::Sign { file } => {
            let mut genesis: Genesis = read_json(&file, "genesis")?;
            let key = key_of(node)?;
            if !genesis
                .body
                .founders
                .iter()
                .any(|f| f.node_id == key.node_id())
            {
                bail!("this node is not a founder of {}", genesis.id());
            }
            genesis.sign(&key);
            write_json(&file, &genesis)?;
            let missing = genesis.unsigned();
            if missing.is_empty() {
                println!(
                    "Signed; every founder has signed. Each founder now runs `concord community found {}`.",
                    file.display()
                );
            } else {
                println!("Signed. Still to sign: {}.", missing.join(", "));
            }
            Ok(())
        }
        CommunityCommand::Found { file } => {
            let genesis: Genesis = read_json(&file, "genesis")?;
            genesis
                .check()
                .with_context(|| format!("{} cannot found a community", file.display()))?;
            node.store
                .put_governance(&[genesis_document(&genesis)], "", None)?;
            let me = key_of(node)?.node_id();
            let founder = genesis.body.founders.iter().any(|f| f.node_id == me);
            println!(
                "{} community {:?} ({}); {}",
                if founder { "Founded" } else { "Joined" },
                genesis.body.name,
                genesis.id(),
                if founder {
                    "its members become peers once `concord serve` runs."
                } else {
                    "this node is a candidate: send your application (`concord community apply`) to a member who sponsors it."
                }
            );
            Ok(())
        }
        CommunityCommand::Propose {
            community,
            note,
            action,
        } => {
            let state = pick(node, community.as_deref())?;
            let me = key_of(node)?.node_id();
            let action = match action {
                ProposeCommand::Admit {
                    application,
                    mut sponsors,
                } => {
                    if !sponsors.contains(&me) {
                        sponsors.insert(0, me);
                    }
                    Action::Admit {
                        member: read_application(&application)?,
                        sponsors,
                    }
                }
                ProposeCommand::Suspend { member } => Action::Suspend { member },
                ProposeCommand::Readmit { member } => Action::Readmit { member },
                ProposeCommand::Expel { member } => Action::Expel { member },
                ProposeCommand::Revoke {
                    member,
                    key,
                    since,
                    replacement,
                } => {
                    let key = match key {
                        Some(k) => k,
                        None => state
                            .members
                            .get(&member)
                            .and_then(|m| m.latest_key())
                            .with_context(|| format!("{member} has no current key"))?
                            .to_owned(),
                    };
                    let since = since.unwrap_or_else(Timestamp::now_millis);
                    concord_community::entry::check_time("since", &since)?;
                    Action::RevokeKey {
                        member,
                        key,
                        since,
                        replacement,
                    }
                }
                ProposeCommand::Charter { file } => Action::ChangeCharter {
                    charter: read_json(&file, "charter")?,
                },
                ProposeCommand::Define { name, value } => {
                    let value = serde_json::from_str(&value)
                        .with_context(|| format!("the value of {name} is not JSON"))?;
                    Action::Define { name, value }
                }
            };
            let describe = action.describe();
            let entry = publish(node, &state.community, Content::Proposal { action, note })?;
            let after = pick(node, Some(&state.community))?;
            let outcome = after
                .proposals
                .get(&entry.id())
                .map(|p| outcome_text(&p.outcome))
                .unwrap_or_default();
            println!("Proposed {describe}: {} ({outcome}).", entry.id());
            Ok(())
        }
        CommunityCommand::Vote {
            proposal,
            choice,
            community,
        } => {
            let state = pick(node, community.as_deref())?;
            let choice: Choice = choice.parse().map_err(anyhow::Error::msg)?;
            let id = state
                .proposal_by_prefix(&proposal)
                .map_err(anyhow::Error::msg)?
                .id
                .clone();
            publish(
                node,
                &state.community,
                Content::Vote {
                    proposal: id.clone(),
                    choice,
                },
            )?;
            let after = pick(node, Some(&state.community))?;
            let outcome = after
                .proposals
                .get(&id)
                .map(|p| outcome_text(&p.outcome))
                .unwrap_or_default();
            println!("Voted {choice:?} on {id} ({outcome}).");
            Ok(())
        }
        CommunityCommand::Refuse {
            member,
            reason,
            lift,
        } => {
            let changed = node
                .store
                .set_local_refusal(&member, (!lift).then_some(reason.as_str()))?;
            match (lift, changed) {
                (false, _) => println!(
                    "{member} is refused on this node: `concord serve` drops it as a peer within seconds."
                ),
                (true, true) => println!(
                    "Refusal of {member} lifted: it is a peer again if the community admits it."
                ),
                (true, false) => println!("{member} was not refused."),
            }
            Ok(())
        }
        CommunityCommand::Show { community, json } => {
            let all = match community.as_deref() {
                Some(c) => vec![pick(node, Some(c))?],
                None => states(node)?,
            };
            let refusals = node.store.local_refusals()?;
            if json {
                #[derive(Serialize)]
                struct Shown<'a> {
                    #[serde(flatten)]
                    state: &'a State,
                    /// Members this node refuses locally.
                    refused_here: Vec<&'a LocalRefusal>,
                }
                let all: Vec<Shown<'_>> = all
                    .iter()
                    .map(|s| Shown {
                        state: s,
                        refused_here: refused_in(s, &refusals),
                    })
                    .collect();
                return table::print_json(&all);
            }
            let now = Timestamp::now_millis();
            let mut first = true;
            if all.is_empty() {
                return table::list(false, &[] as &[State], &["COMMUNITY", "NAME"], |_| {
                    Vec::new()
                });
            }
            for s in all {
                if !first {
                    table::gap()?;
                }
                first = false;
                show_one(&s, &now)?;
                let refused = refused_in(&s, &refusals);
                if !refused.is_empty() {
                    table::gap()?;
                    table::list(false, &refused, &["REFUSED HERE", "REASON", "SINCE"], |r| {
                        vec![r.node_id.clone(), r.reason.clone(), r.since.clone()]
                    })?;
                }
            }
            Ok(())
        }
        CommunityCommand::Log { community, json } => {
            if community.is_none() && states(node)?.is_empty() {
                // Nothing founded or joined yet: an empty log.
                return table::list(json, &[] as &[State], LOG_HEADERS, |_| Vec::new());
            }
            let state = pick(node, community.as_deref())?;
            let genesis = genesis_of(node, &state.community)?;
            let records = node.store.governance(Some(&state.community))?;
            // When each entry was stored here (its arrival, for one made elsewhere).
            let received: std::collections::HashMap<&str, &str> = records
                .iter()
                .map(|r| (r.doc.id.as_str(), r.received.as_str()))
                .collect();
            let mut entries: Vec<Entry> = records
                .iter()
                .filter(|r| r.doc.kind == ENTRY)
                .filter_map(|r| serde_json::from_str(&r.doc.document).ok())
                .collect();
            entries.sort_by_cached_key(|e| (e.body.at.clone(), e.id()));
            let state = Community::from_entries(&genesis, &entries)?;
            // The first reason given for each refused entry.
            let mut reasons = std::collections::HashMap::new();
            for r in state.rejected.iter().rev() {
                reasons.insert(r.entry.as_str(), r.reason.as_str());
            }
            #[derive(Serialize)]
            struct Line {
                id: String,
                at: String,
                author: String,
                what: String,
                counted: bool,
                reason: Option<String>,
                received: String,
            }
            let lines: Vec<Line> = entries
                .iter()
                .map(|e| {
                    let id = e.id();
                    let reason = reasons.get(id.as_str()).map(|r| (*r).to_owned());
                    Line {
                        received: received.get(id.as_str()).copied().unwrap_or("").to_owned(),
                        what: e.body.content.describe(),
                        counted: reason.is_none(),
                        at: e.body.at.clone(),
                        author: e.body.author.clone(),
                        id,
                        reason,
                    }
                })
                .collect();
            table::list(json, &lines, LOG_HEADERS, |l| {
                vec![
                    l.at.clone(),
                    l.author.clone(),
                    l.id.clone(),
                    l.what.clone(),
                    match &l.reason {
                        None => "yes".into(),
                        Some(r) => format!("no: {r}"),
                    },
                ]
            })
        }
    }
}

const LOG_HEADERS: &[&str] = &["AT", "AUTHOR", "ENTRY", "WHAT", "COUNTED"];

/// The local refusals of members of `s`.
fn refused_in<'a>(s: &State, refusals: &'a [LocalRefusal]) -> Vec<&'a LocalRefusal> {
    refusals
        .iter()
        .filter(|r| s.members.contains_key(&r.node_id))
        .collect()
}

fn outcome_text(o: &Outcome) -> String {
    match o {
        Outcome::Open => "open".into(),
        Outcome::Passed { at } => format!("passed at {at}"),
        Outcome::Failed { reason, .. } => format!("failed: {reason}"),
        Outcome::Superseded { by } => format!("superseded by {by}"),
    }
}

fn show_one(s: &State, now: &str) -> anyhow::Result<()> {
    table::show(
        false,
        s,
        &[
            ("community", s.community.clone()),
            ("name", s.name.clone()),
            ("founded", s.created.clone()),
            ("members", s.active().count().to_string()),
            ("entries counted", s.accepted.len().to_string()),
            ("entries refused", s.rejected.len().to_string()),
        ],
    )?;
    table::gap()?;
    let members: Vec<_> = s.members.values().collect();
    table::list(
        false,
        &members,
        &[
            "MEMBER",
            "ORGANISATION",
            "COUNTRY",
            "SECTORS",
            "STATUS",
            "KEY",
            "URL",
        ],
        |m| {
            let key = m.key_at(now).or_else(|| m.latest_key()).unwrap_or("");
            vec![
                m.info.node_id.clone(),
                m.info.organisation.clone(),
                table::opt(m.info.country.as_deref()),
                m.info.sectors.join(", "),
                m.status.to_string(),
                fingerprint(key).unwrap_or_else(|_| "(revoked)".into()),
                m.info.url.clone(),
            ]
        },
    )?;
    table::gap()?;
    let rules: Vec<_> = s.charter.rules.iter().collect();
    table::list(
        false,
        &rules,
        &["DECISION", "THRESHOLD", "PERIOD", "SPONSORS"],
        |(k, r)| {
            vec![
                k.to_string(),
                r.threshold.to_string(),
                format!("{} h", r.period_secs / 3600),
                r.sponsors.to_string(),
            ]
        },
    )?;
    table::gap()?;
    let open: Vec<_> = s.proposals.values().filter(|p| p.open_at(now)).collect();
    table::list(
        false,
        &open,
        &["PROPOSAL", "WHAT", "YES", "NO", "NEEDED", "CLOSES"],
        |p| {
            vec![
                p.id.clone(),
                p.action.describe(),
                p.yes().to_string(),
                p.no().to_string(),
                p.required.to_string(),
                p.deadline.clone(),
            ]
        },
    )?;
    if !s.equivocations.is_empty() {
        table::gap()?;
        table::list(
            false,
            &s.equivocations,
            &["EQUIVOCATING MEMBER", "ABOUT", "COUNTED", "REFUSED"],
            |e| {
                vec![
                    e.member.clone(),
                    e.about.clone(),
                    e.first.clone(),
                    e.second.clone(),
                ]
            },
        )?;
    }
    Ok(())
}
