//! `concord incident`, `concord alert`, `concord request`, `concord route` and
//! `concord subscription`: coordinated response. The work is done by `concord-response`;
//! this module parses arguments, reads `constituency.toml` and `response.toml` from the
//! data directory, prints, and runs the background work of `serve`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use concord_response::constituency::{self, Constituency};
use concord_response::settings::{self, Settings};
use concord_response::{alert, incident, request, timeline};
use concord_store::Store;
use serde_json::Value;

use crate::node::Node;

mod background;
pub use background::spawn_background;

/// Fields shared by `incident open` and `incident update`.
#[derive(clap::Args, Default)]
pub struct IncidentFields {
    /// Description.
    #[arg(long)]
    description: Option<String>,
    /// Determination: suspected, successful-attempt, failed-attempt, blocked,
    /// false-positive, low-value.
    #[arg(long)]
    determination: Option<String>,
    /// Investigation status: new, open, closed.
    #[arg(long)]
    status: Option<String>,
    /// Severity: low, medium, high, critical.
    #[arg(long)]
    severity: Option<String>,
    /// Criticality 0-100 (from the severity when absent).
    #[arg(long)]
    criticality: Option<u8>,
    /// Incident type (repeatable): ransomware, phishing, ...
    #[arg(long = "type")]
    types: Vec<String>,
    /// When it was first seen (timestamp).
    #[arg(long)]
    first_seen: Option<String>,
    /// When it was last seen (timestamp).
    #[arg(long)]
    last_seen: Option<String>,
    /// An object involved (repeatable): indicator, observed data, malware, vulnerability,
    /// identity, ...
    #[arg(long = "link")]
    links: Vec<String>,
}

/// `concord incident` subcommands.
#[derive(clap::Subcommand)]
pub enum IncidentCommand {
    /// Open an incident; prints its id.
    Open {
        /// A short name.
        #[arg(long)]
        name: String,
        /// TLP level (default green).
        #[arg(long)]
        tlp: Option<String>,
        /// Label (repeatable).
        #[arg(long = "label")]
        labels: Vec<String>,
        #[command(flatten)]
        fields: IncidentFields,
    },
    /// Change an incident (a new version).
    Update {
        /// The incident id.
        id: String,
        /// New name.
        #[arg(long)]
        name: Option<String>,
        #[command(flatten)]
        fields: IncidentFields,
    },
    /// Close an incident (investigation status `closed`).
    Close {
        /// The incident id.
        id: String,
        /// The final determination.
        #[arg(long)]
        determination: Option<String>,
    },
    /// Show an incident.
    Show {
        /// The incident id.
        id: String,
        /// Print one JSON object instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// List incidents.
    List {
        /// Print one JSON array instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Attach a file as evidence (an artifact with its SHA-256 and a chain of custody).
    Attach {
        /// The incident id.
        id: String,
        /// The file.
        file: PathBuf,
        /// The SHA-256 the file must have (refused otherwise).
        #[arg(long)]
        sha256: Option<String>,
        /// Its media type.
        #[arg(long)]
        mime_type: Option<String>,
    },
    /// The chain of custody of an artifact: who added it, who received it, whether each
    /// verified its hash.
    Custody {
        /// The artifact id.
        artifact: String,
        /// Print one JSON array instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Everything said about an incident, by every node, in time order.
    Timeline {
        /// The incident id.
        id: String,
        /// Print one JSON array instead of a table.
        #[arg(long)]
        json: bool,
    },
}

/// `concord alert` subcommands.
#[derive(clap::Subcommand)]
pub enum AlertCommand {
    /// Send an incident (or report) opened here as an urgent alert.
    Send {
        /// The incident id.
        id: String,
        /// Recipients (repeatable or comma-separated): `all`, `country:XX`,
        /// `sector:NAME`, peer names or node ids.
        #[arg(long, required = true)]
        to: Vec<String>,
    },
    /// Acknowledge an alert addressed to this node.
    Ack {
        /// The alert (incident) id.
        id: String,
        /// seen, acting, not-affected or resolved.
        #[arg(long)]
        status: String,
        /// A note for the sender.
        #[arg(long)]
        note: Option<String>,
    },
    /// Per recipient: who has seen the alert, who is acting, who has not answered.
    Status {
        /// The alert (incident) id.
        id: String,
        /// Print one JSON object instead of tables.
        #[arg(long)]
        json: bool,
    },
    /// List alerts (sent and received).
    List {
        /// Print one JSON array instead of a table.
        #[arg(long)]
        json: bool,
    },
}

/// `concord request` subcommands (requests for assistance).
#[derive(clap::Subcommand)]
pub enum RequestCommand {
    /// Ask peers for help with an incident; prints the request id.
    Create {
        /// The incident id.
        incident: String,
        /// take-down, block-indicators, preserve-evidence, contact-victim, analyse-sample.
        #[arg(long)]
        action: String,
        /// Target peers (repeatable or comma-separated).
        #[arg(long, required = true)]
        to: Vec<String>,
        /// Deadline: a time from now (+7d, +12h, +90m, +2w) or a future RFC 3339 time.
        #[arg(long)]
        deadline: String,
        /// What is asked.
        #[arg(long, default_value = "")]
        text: String,
        /// Related object ids (repeatable).
        #[arg(long = "related")]
        related: Vec<String>,
    },
    /// Answer a request addressed to this node.
    Respond {
        /// The request id.
        id: String,
        /// accepted, declined or done.
        #[arg(long)]
        state: String,
        /// Reason (required to decline) or note.
        #[arg(long)]
        reason: Option<String>,
    },
    /// A request's state per target and its history.
    Show {
        /// The request id.
        id: String,
        /// Print one JSON object instead of tables.
        #[arg(long)]
        json: bool,
    },
    /// List requests (sent and received).
    List {
        /// Print one JSON array instead of a table.
        #[arg(long)]
        json: bool,
    },
}

/// `concord route` subcommands (constituency routing).
#[derive(clap::Subcommand)]
pub enum RouteCommand {
    /// Which member is responsible for an IP, ASN or domain, and why.
    Explain {
        /// The value.
        value: String,
        /// Print one JSON object instead of tables.
        #[arg(long)]
        json: bool,
    },
    /// Publish this node's constituency (constituency.toml) in its identity.
    Publish,
    /// Members whose constituency is known here.
    Members {
        /// Print one JSON array instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Look for sightings, incidents and observed data touching other members'
    /// constituencies and create notifications (serve does this continuously).
    Scan,
    /// List constituency notifications (created here or received).
    Notifications {
        /// Print one JSON array instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Send a proposed notification.
    Send {
        /// The notification (note) id.
        id: String,
    },
}

/// `concord subscription` subcommands (notifications).
#[derive(clap::Subcommand)]
pub enum SubscriptionCommand {
    /// List the subscriptions of response.toml (webhook secrets shown as `***`).
    List {
        /// Print one JSON array instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Deliver a test notification (the newest incident, or a sample) to one
    /// subscription now, and report how it went.
    Test {
        /// The subscription's name.
        name: String,
    },
}

fn me(node: &Node) -> anyhow::Result<String> {
    Ok(crate::federation::node_key(&node.dir)?.node_id())
}

fn str_of(v: &Value) -> String {
    crate::table::text(v)
}

/// The node's response settings (`response.toml`; defaults when absent).
pub fn load_settings(dir: &Path) -> anyhow::Result<Settings> {
    let path = dir.join(settings::FILE_NAME);
    let settings = match std::fs::read_to_string(&path) {
        Ok(text) => Settings::parse(&text)?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Settings::default(),
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
    };
    // No notification goes in clear across a network unless the entry says so.
    for s in &settings.subscriptions {
        if let Some(h) = &s.webhook {
            concord_federation::tls::check_url(&h.url, h.insecure_http).map_err(|e| {
                anyhow::anyhow!("{}: subscription {:?}: webhook {e}", path.display(), s.name)
            })?;
        }
    }
    Ok(settings)
}

/// The node's constituency (`constituency.toml`), if declared.
pub fn load_constituency(dir: &Path) -> anyhow::Result<Option<Constituency>> {
    let path = dir.join(constituency::FILE_NAME);
    match std::fs::read_to_string(&path) {
        Ok(text) => Ok(Some(Constituency::parse(&text)?)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e).with_context(|| format!("cannot read {}", path.display())),
    }
}

fn new_incident(
    name: String,
    tlp: Option<String>,
    labels: Vec<String>,
    f: IncidentFields,
) -> incident::NewIncident {
    incident::NewIncident {
        name,
        description: f.description,
        determination: f.determination,
        investigation_status: f.status,
        severity: f.severity,
        criticality: f.criticality,
        incident_types: f.types,
        first_seen: f.first_seen,
        last_seen: f.last_seen,
        tlp,
        labels,
        links: f.links,
    }
}

/// An incident as `incident show` prints it: one JSON object, or its fields.
fn print_incident(json: bool, v: &Value) -> anyhow::Result<()> {
    let mut fields: Vec<(&str, String)> = [
        "id",
        "name",
        "investigation_status",
        "determination",
        "severity",
        "criticality",
        "incident_types",
        "first_seen",
        "last_seen",
        "tlp",
        "origin",
        "versions",
    ]
    .iter()
    .map(|k| (*k, str_of(&v[*k])))
    .collect();
    if !v["alert"].is_null() {
        fields.push((
            "alert",
            format!(
                "round {} to {}",
                str_of(&v["alert"]["round"]),
                str_of(&v["recipients"])
            ),
        ));
    }
    crate::table::show(json, v, &fields)
}

/// Runs `concord incident`.
pub fn incident(node: &Node, command: IncidentCommand) -> anyhow::Result<ExitCode> {
    let store: &dyn Store = &node.store;
    let me = me(node)?;
    match command {
        IncidentCommand::Open {
            name,
            tlp,
            labels,
            fields,
        } => {
            let id = incident::open(store, &new_incident(name, tlp, labels, fields))?;
            println!("{id}");
        }
        IncidentCommand::Update { id, name, fields } => {
            let change = incident::IncidentChange {
                name,
                description: fields.description,
                determination: fields.determination,
                investigation_status: fields.status,
                severity: fields.severity,
                criticality: fields.criticality,
                incident_types: (!fields.types.is_empty()).then_some(fields.types),
                first_seen: fields.first_seen,
                last_seen: fields.last_seen,
                links: fields.links,
            };
            let v = incident::update(store, &id, &change)?;
            println!("{id} updated (version {})", str_of(&v["modified"]));
        }
        IncidentCommand::Close { id, determination } => {
            let v = incident::close(store, &id, determination)?;
            println!("{id} closed (version {})", str_of(&v["modified"]));
        }
        IncidentCommand::Show { id, json } => {
            print_incident(json, &incident::show(store, &me, &id)?)?;
        }
        IncidentCommand::List { json } => {
            crate::table::list(
                json,
                &incident::list(store, &me, 1000)?,
                &["ID", "STATUS", "DETERMINATION", "SEVERITY", "NAME"],
                |v| {
                    [
                        "id",
                        "investigation_status",
                        "determination",
                        "severity",
                        "name",
                    ]
                    .iter()
                    .map(|k| str_of(&v[*k]))
                    .collect()
                },
            )?;
        }
        IncidentCommand::Attach {
            id,
            file,
            sha256,
            mime_type,
        } => {
            let settings = load_settings(&node.dir)?;
            let len = std::fs::metadata(&file)
                .with_context(|| format!("cannot read {}", file.display()))?
                .len();
            if len > settings.evidence.max_bytes {
                anyhow::bail!(
                    "{} has {len} bytes, over the evidence limit of {} bytes ([evidence] max_bytes in {})",
                    file.display(),
                    settings.evidence.max_bytes,
                    settings::FILE_NAME
                );
            }
            let bytes =
                std::fs::read(&file).with_context(|| format!("cannot read {}", file.display()))?;
            let art = concord_response::evidence::add(
                store,
                &me,
                &node.dir,
                &id,
                &concord_response::evidence::NewEvidence {
                    bytes: &bytes,
                    mime_type: mime_type.as_deref(),
                    expected_sha256: sha256.as_deref(),
                    max_bytes: settings.evidence.max_bytes,
                },
            )?;
            println!("{art}");
        }
        IncidentCommand::Custody { artifact, json } => {
            crate::table::list(
                json,
                &concord_response::evidence::chain(store, &me, &artifact)?,
                &["AT", "EVENT", "NODE", "SHA-256", "VERIFIED"],
                |c| {
                    vec![
                        c.at.clone(),
                        c.event.clone(),
                        c.node.clone(),
                        c.sha256.clone(),
                        if c.verified {
                            "verified"
                        } else {
                            "NOT VERIFIED"
                        }
                        .to_owned(),
                    ]
                },
            )?;
        }
        IncidentCommand::Timeline { id, json } => {
            crate::table::list(
                json,
                &timeline::timeline(store, &me, &id)?,
                &["AT", "BY", "SUMMARY"],
                |e| {
                    vec![
                        e.at.clone(),
                        e.origin_name.clone().unwrap_or_else(|| e.origin.clone()),
                        e.summary.clone(),
                    ]
                },
            )?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Runs `concord alert`.
pub fn alert(node: &Node, command: AlertCommand) -> anyhow::Result<ExitCode> {
    let store: &dyn Store = &node.store;
    let me = me(node)?;
    match command {
        AlertCommand::Send { id, to } => {
            let v = alert::send(store, &id, &to)?;
            println!(
                "{id} sent as an alert to {}",
                concord_stix::concord_ext::recipients(&v).join(", ")
            );
        }
        AlertCommand::Ack { id, status, note } => {
            let ack = alert::ack(store, &me, &id, &status, note.as_deref())?;
            println!("{ack}");
        }
        AlertCommand::Status { id, json } => {
            let settings = load_settings(&node.dir)?;
            let st = alert::status(store, &me, &id, settings.alerts.overdue_secs)?;
            if json {
                crate::table::print_json(&st)?;
            } else {
                let mut head = crate::table::Table::new(&["ALERT", "ROUND", "SENT"]);
                head.row(vec![
                    st.alert.clone(),
                    st.round.to_string(),
                    st.sent.clone(),
                ]);
                head.print()?;
                crate::table::gap()?;
                let mut peers = crate::table::Table::new(&["RECIPIENT", "STATE", "AT", "OVERDUE"]);
                for p in &st.peers {
                    peers.row(vec![
                        p.name.clone().unwrap_or_else(|| p.peer.clone()),
                        p.state.clone(),
                        crate::table::opt(p.at.as_deref()),
                        crate::table::yes_no(p.overdue),
                    ]);
                }
                peers.print()?;
                if !st.ignored.is_empty() {
                    crate::table::gap()?;
                    let mut ignored = crate::table::Table::new(&["IGNORED", "FROM", "WHY"]);
                    for i in &st.ignored {
                        ignored.row(vec![i.id.clone(), i.origin.clone(), i.reason.clone()]);
                    }
                    ignored.print()?;
                }
            }
        }
        AlertCommand::List { json } => {
            crate::table::list(
                json,
                &alert::list(store, &me)?,
                &["ID", "ROUND", "DIRECTION", "RECIPIENTS", "NAME"],
                |v| {
                    vec![
                        str_of(&v["id"]),
                        str_of(&v["round"]),
                        if v["local"] == true {
                            "sent"
                        } else {
                            "received"
                        }
                        .to_owned(),
                        str_of(&v["recipients"]),
                        str_of(&v["name"]),
                    ]
                },
            )?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// A request's deadline: `+7d` (or `7d`; m, h, d, w) from now, else the time as given.
fn deadline_of(text: &str) -> anyhow::Result<String> {
    let t = text.trim();
    let relative = t.strip_prefix('+').unwrap_or(t);
    let is_duration = relative.len() > 1
        && relative.ends_with(['m', 'h', 'd', 'w'])
        && relative[..relative.len() - 1]
            .bytes()
            .all(|b| b.is_ascii_digit());
    if !is_duration {
        return Ok(t.to_owned());
    }
    concord_server::auth::parse_expiry(relative, chrono::Utc::now())
        .map_err(|m| anyhow::anyhow!("--deadline: {m}"))
}

/// Runs `concord request`.
pub fn request(node: &Node, command: RequestCommand) -> anyhow::Result<ExitCode> {
    let store: &dyn Store = &node.store;
    let me = me(node)?;
    match command {
        RequestCommand::Create {
            incident,
            action,
            to,
            deadline,
            text,
            related,
        } => {
            let id = request::create(
                store,
                &incident,
                &request::NewRequest {
                    action,
                    to,
                    deadline: deadline_of(&deadline)?,
                    text,
                    related,
                },
            )?;
            println!("{id}");
        }
        RequestCommand::Respond { id, state, reason } => {
            let a = request::respond(store, &me, &id, &state, reason.as_deref())?;
            println!("{a}");
        }
        RequestCommand::Show { id, json } => {
            let st = request::status(store, &me, &id)?;
            if json {
                crate::table::print_json(&st)?;
            } else {
                let mut head = crate::table::Table::new(&[
                    "REQUEST", "ACTION", "DEADLINE", "OVERDUE", "INCIDENT",
                ]);
                head.row(vec![
                    st.request.clone(),
                    st.action.clone(),
                    st.deadline.clone(),
                    crate::table::yes_no(st.overdue),
                    crate::table::opt(st.incident.as_deref()),
                ]);
                head.print()?;
                crate::table::gap()?;
                let mut targets = crate::table::Table::new(&["TARGET", "STATE", "AT", "NOTE"]);
                for t in &st.targets {
                    let name = t.name.clone().unwrap_or_else(|| t.peer.clone());
                    if t.history.is_empty() {
                        targets.row(vec![name.clone(), t.state.clone()]);
                    }
                    for (at, state, text) in &t.history {
                        targets.row(vec![name.clone(), state.clone(), at.clone(), text.clone()]);
                    }
                }
                targets.print()?;
            }
        }
        RequestCommand::List { json } => {
            crate::table::list(
                json,
                &request::list(store, &me)?,
                &["ID", "ACTION", "DEADLINE", "OVERDUE", "TARGETS"],
                |v| {
                    let targets = v["targets"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .map(|t| {
                            let name = t["name"].as_str().or(t["peer"].as_str()).unwrap_or("?");
                            format!("{name}: {}", str_of(&t["state"]))
                        })
                        .collect::<Vec<_>>()
                        .join(", ");
                    vec![
                        str_of(&v["request"]),
                        str_of(&v["action"]),
                        str_of(&v["deadline"]),
                        crate::table::yes_no(v["overdue"] == true),
                        targets,
                    ]
                },
            )?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Publishes the constituency of `constituency.toml` in the node's identity, if the
/// file exists; returns whether a new version was written.
fn publish(dir: &Path, store: &dyn Store, me: &str) -> anyhow::Result<bool> {
    let Some(c) = load_constituency(dir)? else {
        return Ok(false);
    };
    Ok(constituency::publish(
        store,
        me,
        &crate::identity::identity_id(me),
        &c,
    )?)
}

/// Runs `concord route`.
pub fn route(node: &Node, command: RouteCommand) -> anyhow::Result<ExitCode> {
    let store: &dyn Store = &node.store;
    let me = me(node)?;
    match command {
        RouteCommand::Explain { value, json } => {
            let members = constituency::members(store, &me)?;
            let r = constituency::explain(&members, &value)?;
            if json {
                crate::table::print_json(&r)?;
            } else {
                let who = match &r.responsible {
                    Some(c) if c.node_id == me => format!("this node ({})", c.node_id),
                    Some(c) => format!("{} ({})", c.name, c.node_id),
                    None => "no member".to_owned(),
                };
                let mut head = crate::table::Table::new(&["VALUE", "KIND", "RESPONSIBLE", "WHY"]);
                head.row(vec![r.value.clone(), r.kind.clone(), who, r.reason.clone()]);
                head.print()?;
                if !r.claims.is_empty() {
                    crate::table::gap()?;
                    let mut claims = crate::table::Table::new(&["CLAIM BY", "RULE", "NODE"]);
                    for c in &r.claims {
                        claims.row(vec![c.name.clone(), c.rule.clone(), c.node_id.clone()]);
                    }
                    claims.print()?;
                }
            }
            if r.responsible.is_none() {
                return Ok(ExitCode::from(1));
            }
        }
        RouteCommand::Publish => {
            if load_constituency(&node.dir)?.is_none() {
                anyhow::bail!(
                    "no {} in {} (ip_ranges, asns, domain_suffixes, sectors)",
                    constituency::FILE_NAME,
                    node.dir.display()
                );
            }
            if publish(&node.dir, store, &me)? {
                println!("constituency published in the node's identity");
            } else {
                println!("constituency unchanged");
            }
        }
        RouteCommand::Members { json } => {
            crate::table::list(
                json,
                &constituency::members(store, &me)?,
                &["NAME", "NODE", "IP RANGES", "ASNS", "DOMAINS", "SECTORS"],
                |m| {
                    let c = &m.constituency;
                    vec![
                        m.name.clone(),
                        m.node_id.clone(),
                        c.ip_ranges.join(", "),
                        c.asns
                            .iter()
                            .map(|a| format!("AS{a}"))
                            .collect::<Vec<_>>()
                            .join(", "),
                        c.domain_suffixes.join(", "),
                        c.sectors.join(", "),
                    ]
                },
            )?;
        }
        RouteCommand::Scan => {
            let notify = load_constituency(&node.dir)?.unwrap_or_default().notify;
            let (created, _) = constituency::scan(store, &me, notify, 0)?;
            for id in &created {
                println!("{id}");
            }
            eprintln!("{} notification(s) created", created.len());
        }
        RouteCommand::Notifications { json } => {
            crate::table::list(
                json,
                &constituency::notifications(store, &me)?,
                &["ID", "STATE", "MEMBER", "DIRECTION", "CONTENT"],
                |v| {
                    vec![
                        str_of(&v["id"]),
                        str_of(&v["state"]),
                        str_of(&v["member"]),
                        if v["local"] == true {
                            "sent"
                        } else {
                            "received"
                        }
                        .to_owned(),
                        str_of(&v["content"]),
                    ]
                },
            )?;
        }
        RouteCommand::Send { id } => {
            constituency::send(store, &id)?;
            println!("{id} sent");
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Runs `concord subscription`.
pub fn subscription(node: &Node, command: SubscriptionCommand) -> anyhow::Result<ExitCode> {
    let settings = load_settings(&node.dir)?;
    match command {
        SubscriptionCommand::List { json } => {
            let mut shown = Vec::with_capacity(settings.subscriptions.len());
            for s in &settings.subscriptions {
                let mut v = serde_json::to_value(s)?;
                // Never print webhook secrets.
                if let Some(h) = v.get_mut("webhook").and_then(Value::as_object_mut) {
                    h.insert("secret".into(), Value::String("***".into()));
                }
                shown.push(v);
            }
            crate::table::list(
                json,
                &shown,
                &[
                    "NAME",
                    "WEBHOOK",
                    "E-MAIL TO",
                    "WEB",
                    "GOVERNANCE",
                    "TYPES",
                    "TLP",
                ],
                |v| {
                    vec![
                        str_of(&v["name"]),
                        str_of(&v["webhook"]["url"]),
                        str_of(&v["email"]["to"]),
                        str_of(&v["web"]),
                        str_of(&v["governance"]),
                        str_of(&v["types"]),
                        str_of(&v["tlp"]),
                    ]
                },
            )?;
        }
        SubscriptionCommand::Test { name } => {
            let sub = settings
                .subscriptions
                .iter()
                .find(|s| s.name == name)
                .with_context(|| format!("no subscription {name:?} in {}", settings::FILE_NAME))?;
            let me = me(node)?;
            let object = incident::list(&node.store, &me, 1)?
                .into_iter()
                .next()
                .map(|v| v["object"].clone())
                .unwrap_or_else(|| serde_json::json!({"type": "note", "content": "test"}));
            // A governance subscription gets an event as its deliveries carry them.
            let payload = if sub.governance {
                serde_json::json!({"subscription": name, "node": me, "test": true,
                    "governance": {"event": "test", "community_name": "", "what": "a test delivery"}})
            } else {
                serde_json::json!({"subscription": name, "node": me, "origin": me,
                    "local": true, "test": true, "object": object})
            };
            let attempts = sub.attempts.unwrap_or(5);
            let timeout = Duration::from_secs(sub.timeout_secs.unwrap_or(5).max(1));
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            let mut failed = false;
            rt.block_on(async {
                if let Some(h) = &sub.webhook {
                    let client = concord_response::notify::client().map_err(anyhow::Error::msg)?;
                    match concord_response::notify::deliver_webhook(
                        &client, h, &name, &payload, attempts, timeout,
                    )
                    .await
                    {
                        Ok(n) => println!("webhook {}: delivered (attempt {n})", h.url),
                        Err(e) => {
                            failed = true;
                            println!("webhook {}: failed: {e}", h.url);
                        }
                    }
                }
                if let Some(m) = &sub.email {
                    match concord_response::notify::deliver_email(m, &payload, attempts, timeout)
                        .await
                    {
                        Ok(n) => println!("e-mail via {}: delivered (attempt {n})", m.smtp),
                        Err(e) => {
                            failed = true;
                            println!("e-mail via {}: failed: {e}", m.smtp);
                        }
                    }
                }
                anyhow::Ok(())
            })?;
            if failed {
                return Ok(ExitCode::from(1));
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_deadline_can_be_relative() {
        let d = deadline_of("+7d").unwrap();
        let at = chrono::DateTime::parse_from_rfc3339(&d).unwrap();
        let days = (at.to_utc() - chrono::Utc::now()).num_hours();
        assert!((167..=168).contains(&days), "{d}");
        assert!(deadline_of("12h").is_ok());
        assert_eq!(
            deadline_of("2030-01-01T00:00:00Z").unwrap(),
            "2030-01-01T00:00:00Z"
        );
        assert!(
            deadline_of("+0d")
                .unwrap_err()
                .to_string()
                .contains("--deadline"),
            "zero is refused"
        );
    }
}
