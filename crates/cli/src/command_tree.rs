//! Tests over the whole command tree as clap defines it, so that a command added later is
//! held to the same rules: every command says what it does (the help names it), and every
//! command that lists or shows things takes `--json`, prints one JSON document through
//! the shared printer (`table.rs`), and prints a table with a header row without it.

use clap::CommandFactory;

use super::*;
use crate::table;

/// Names of commands that list or show things: each must take `--json`. A command of
/// another name that takes `--json` is held to the same rules.
const LISTING_NAMES: &[&str] = &[
    "list",
    "show",
    "status",
    "members",
    "notifications",
    "custody",
    "timeline",
    "search",
];

/// Every command below `cmd` that has no subcommands, with its path of names.
fn leaves(cmd: &clap::Command, path: &[String], out: &mut Vec<(Vec<String>, clap::Command)>) {
    for sub in cmd.get_subcommands() {
        let mut p = path.to_vec();
        p.push(sub.get_name().to_owned());
        if sub.has_subcommands() {
            leaves(sub, &p, out);
        } else {
            out.push((p, sub.clone()));
        }
    }
}

fn takes_json(cmd: &clap::Command) -> bool {
    cmd.get_arguments().any(|a| a.get_long() == Some("json"))
}

/// The commands that list or show things.
fn listings() -> Vec<(Vec<String>, clap::Command)> {
    let mut all = Vec::new();
    leaves(&Cli::command(), &[], &mut all);
    all.into_iter()
        .filter(|(p, c)| LISTING_NAMES.contains(&p[p.len() - 1].as_str()) || takes_json(c))
        .collect()
}

#[test]
fn every_command_has_a_help_text_and_the_top_level_help_names_it() {
    let mut cli = Cli::command();
    let help = cli.render_help().to_string();
    for sub in cli.get_subcommands() {
        let name = sub.get_name();
        assert!(
            help.lines()
                .any(|l| l.trim_start().starts_with(&format!("{name} "))),
            "`concord --help` does not name {name}:\n{help}"
        );
    }
    let mut all = Vec::new();
    leaves(&Cli::command(), &[], &mut all);
    for (path, cmd) in &all {
        assert!(
            cmd.get_about().is_some(),
            "`concord {}` has no help text (a `///` line on its variant)",
            path.join(" ")
        );
    }
}

#[test]
fn the_import_and_export_help_name_every_format() {
    let mut cli = Cli::command();
    let help = cli.render_help().to_string();
    let line = |name: &str| {
        help.lines()
            .find(|l| l.trim_start().starts_with(&format!("{name} ")))
            .unwrap_or_default()
            .to_owned()
    };
    for format in ["STIX", "MISP", "CSAF", "CSV", "plain lists"] {
        assert!(line("import").contains(format), "{format}: {help}");
    }
    for format in ["STIX", "MISP", "CSV", "hosts", "Suricata"] {
        assert!(line("export").contains(format), "{format}: {help}");
    }
}

/// A scratch node holding one of everything a listing can be asked about: an incident
/// sent as an alert to a peer, evidence, a request for assistance.
struct Scratch {
    dir: tempfile::TempDir,
    incident: String,
    artifact: String,
    request: String,
}

fn scratch() -> Scratch {
    let dir = tempfile::tempdir().unwrap();
    node::init(dir.path(), Some("scratch"), None).unwrap();
    let node = node::open(dir.path()).unwrap();
    let store: &dyn Store = &node.store;
    let me = federation::node_key(dir.path()).unwrap().node_id();
    let peer = concord_federation::identity::NodeKey::from_seed([7; 32]);
    store
        .put_peer(&concord_store::federation::PeerRecord {
            name: "b".into(),
            node_id: peer.node_id(),
            url: "http://127.0.0.1:9".into(),
            public_key: peer.public_hex(),
            ..Default::default()
        })
        .unwrap();
    let incident = concord_response::incident::open(
        store,
        &concord_response::incident::NewIncident {
            name: "Ransomware wave".into(),
            ..Default::default()
        },
    )
    .unwrap();
    let artifact = concord_response::evidence::add(
        store,
        &me,
        dir.path(),
        &incident,
        &concord_response::evidence::NewEvidence {
            bytes: b"sample",
            mime_type: None,
            expected_sha256: None,
            max_bytes: 1 << 20,
        },
    )
    .unwrap();
    concord_response::alert::send(store, &incident, &["b".into()]).unwrap();
    let request = concord_response::request::create(
        store,
        &incident,
        &concord_response::request::NewRequest {
            action: "take-down".into(),
            to: vec!["b".into()],
            deadline: concord_server::auth::parse_expiry("7d", chrono::Utc::now()).unwrap(),
            text: "Please".into(),
            related: Vec::new(),
        },
    )
    .unwrap();
    Scratch {
        dir,
        incident,
        artifact,
        request,
    }
}

impl Scratch {
    /// The value for a required positional argument of a listing.
    fn value(&self, path: &[String], arg: &str) -> String {
        match (path.join(" ").as_str(), arg) {
            ("incident show" | "incident timeline" | "alert status", "id") => self.incident.clone(),
            ("incident custody", "artifact") => self.artifact.clone(),
            ("request show", "id") => self.request.clone(),
            ("route explain", "value") => "198.51.100.7".into(),
            ("search", "text") => "Ransomware".into(),
            ("policy test", "file") => self.dir.path().join("policy.toml").display().to_string(),
            (p, a) => panic!(
                "`concord {p}` lists things and needs <{a}>: give the scratch node one in \
                 Scratch::value"
            ),
        }
    }

    /// Runs a listing in this process; returns what the printer wrote.
    fn list(&self, path: &[String], cmd: &clap::Command, json: bool) -> String {
        let mut argv = vec!["concord".to_owned(), "--data-dir".to_owned()];
        argv.push(self.dir.path().display().to_string());
        argv.extend(path.iter().cloned());
        for a in cmd.get_arguments() {
            if a.is_positional() && a.is_required_set() {
                argv.push(self.value(path, a.get_id().as_str()));
            }
        }
        if json {
            argv.push("--json".into());
        }
        let cli = Cli::try_parse_from(&argv).unwrap_or_else(|e| panic!("{argv:?}: {e}"));
        let (result, out) = table::capture(|| run(cli));
        if let Err(e) = result {
            panic!("{argv:?} failed: {e:#}");
        }
        out
    }
}

#[test]
fn every_listing_takes_json_and_prints_one_json_document_or_a_table_with_headers() {
    let listings = listings();
    // The walk finds them (a renamed enum would otherwise make this test vacuous).
    assert!(listings.len() >= 20, "{}", listings.len());
    let node = scratch();
    for (path, cmd) in &listings {
        let name = format!("concord {}", path.join(" "));
        assert!(takes_json(cmd), "`{name}` lists things but has no --json");
        let out = node.list(path, cmd, true);
        let v: serde_json::Value = serde_json::from_str(&out)
            .unwrap_or_else(|e| panic!("`{name} --json` printed no JSON document ({e}): {out}"));
        match &v {
            serde_json::Value::Array(items) => assert!(
                items.iter().all(serde_json::Value::is_object),
                "`{name} --json`: not an array of objects: {out}"
            ),
            serde_json::Value::Object(_) => {}
            _ => panic!("`{name} --json`: neither an array of objects nor an object: {out}"),
        }
        let text = node.list(path, cmd, false);
        let header = text.lines().next().unwrap_or_default();
        assert!(
            !header.is_empty() && !header.chars().any(char::is_lowercase),
            "`{name}` prints no header row first: {text}"
        );
    }
}
