//! `concord community verify` and `export`: re-verifying a governance log from scratch
//! (`concord_community::verify`), either the node's own (each stored document read back
//! and checked against its labels, the recomputed state compared with the state the node
//! serves from) or a log exported by `concord community export`, off-node.

use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, bail};
use concord_community::{Entry, Genesis, ProblemKind, Verification, verify};
use concord_federation::governance::Communities;
use concord_store::governance::{GENESIS, GovernanceRecord, GovernanceStore};
use serde_json::Value;

use crate::node::Node;
use crate::table;

/// One community's documents as stored, read back: the genesis (if readable) and the
/// entries, with what could not be read or is labelled with another id or time.
struct Stored {
    id: String,
    genesis: Option<Genesis>,
    entries: Vec<Entry>,
    unreadable: Vec<(String, String)>,
}

fn read_stored(community: &str, records: &[GovernanceRecord]) -> Stored {
    let mut s = Stored {
        id: community.to_owned(),
        genesis: None,
        entries: Vec::new(),
        unreadable: Vec::new(),
    };
    for r in records {
        let doc = &r.doc;
        if doc.kind == GENESIS {
            match serde_json::from_str::<Genesis>(&doc.document) {
                Ok(g) => {
                    if g.id() != doc.id || g.body.created != doc.at {
                        s.unreadable.push((
                            doc.id.clone(),
                            format!(
                                "stored as genesis {} of {}, but its body is genesis {} of {}",
                                doc.id,
                                doc.at,
                                g.id(),
                                g.body.created
                            ),
                        ));
                    }
                    s.genesis = Some(g);
                }
                Err(e) => s
                    .unreadable
                    .push((doc.id.clone(), format!("not a genesis: {e}"))),
            }
            continue;
        }
        match serde_json::from_str::<Entry>(&doc.document) {
            Ok(e) => {
                if e.id() != doc.id || e.body.at != doc.at {
                    s.unreadable.push((
                        doc.id.clone(),
                        format!(
                            "stored as {} made at {}, but its body is {} made at {}",
                            doc.id,
                            doc.at,
                            e.id(),
                            e.body.at
                        ),
                    ));
                }
                s.entries.push(e);
            }
            Err(e) => s
                .unreadable
                .push((doc.id.clone(), format!("not an entry: {e}"))),
        }
    }
    s
}

/// Verifies the node's log of each held community (or the one named by `which`),
/// comparing each recomputed state with the state the node serves from.
pub fn node_log(node: &Node, which: Option<&str>, json: bool) -> anyhow::Result<ExitCode> {
    let records = node.store.governance(None)?;
    let mut by_community: std::collections::BTreeMap<&str, Vec<GovernanceRecord>> =
        std::collections::BTreeMap::new();
    for r in &records {
        by_community
            .entry(r.doc.community.as_str())
            .or_default()
            .push(r.clone());
    }
    let held = Communities::default().states(&node.store)?;
    let mut results = Vec::new();
    for (community, records) in &by_community {
        let stored = read_stored(community, records);
        let name = stored.genesis.as_ref().map(|g| g.body.name.as_str());
        if let Some(w) = which
            && !(stored.id == w || stored.id.starts_with(w) || name == Some(w))
        {
            continue;
        }
        let Some(genesis) = &stored.genesis else {
            bail!(
                "this node holds {} entries of community {} but not its genesis",
                stored.entries.len(),
                stored.id
            );
        };
        let mut v = verify(genesis, &stored.entries);
        for (id, reason) in &stored.unreadable {
            v.add(id.clone(), ProblemKind::Unreadable, reason.clone());
        }
        match held.iter().find(|s| s.community == stored.id) {
            Some(state) => v.compare(state),
            None if v.state.is_some() => v.add(
                stored.id.clone(),
                ProblemKind::Mismatch,
                "the node holds no state of this community",
            ),
            None => {}
        }
        results.push(v);
    }
    if let (true, Some(w)) = (results.is_empty(), which) {
        bail!("this node holds no community {w:?}");
    }
    report(&results, json, "the state this node holds")
}

/// Verifies a log exported by `concord community export`.
pub fn file(path: &Path, json: bool) -> anyhow::Result<ExitCode> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the log {}", path.display()))?;
    let value: Value =
        serde_json::from_str(&text).with_context(|| format!("{} is not JSON", path.display()))?;
    if value.is_array() {
        bail!(
            "{} is a listing (`community log --json`), which carries no signatures; export \
             the log with `concord community export --out FILE`",
            path.display()
        );
    }
    let genesis: Genesis =
        serde_json::from_value(value.get("genesis").cloned().unwrap_or_default())
            .with_context(|| format!("{}: no readable genesis", path.display()))?;
    let Some(raw) = value.get("entries").and_then(Value::as_array) else {
        bail!("{}: no list of entries", path.display());
    };
    let mut entries = Vec::with_capacity(raw.len());
    let mut unreadable = Vec::new();
    for (i, e) in raw.iter().enumerate() {
        match serde_json::from_value::<Entry>(e.clone()) {
            Ok(e) => entries.push(e),
            Err(err) => unreadable.push((format!("entries[{i}]"), format!("not an entry: {err}"))),
        }
    }
    let mut v = verify(&genesis, &entries);
    for (at, reason) in unreadable {
        v.add(at, ProblemKind::Unreadable, reason);
    }
    report(&[v], json, "")
}

/// Prints what was checked and every problem; fails (exit code 1) on any problem.
fn report(results: &[Verification], json: bool, held: &str) -> anyhow::Result<ExitCode> {
    let problems: usize = results.iter().map(|v| v.problems.len()).sum();
    if json {
        table::print_json(results)?;
    } else if results.is_empty() {
        table::list(false, results, &["COMMUNITY", "PROBLEMS"], |_| Vec::new())?;
    } else {
        for (i, v) in results.iter().enumerate() {
            if i > 0 {
                table::gap()?;
            }
            let state = if v.state.is_some() {
                let compared = match v.matches {
                    Some(true) => format!("; matches {held}"),
                    Some(false) => format!("; differs from {held}"),
                    None => String::new(),
                };
                format!(
                    "recomputed from scratch: {} members ({} active), {} proposals{compared}",
                    v.members, v.active, v.proposals
                )
            } else {
                "not computed: the genesis is invalid".to_owned()
            };
            table::show(
                false,
                v,
                &[
                    ("community", v.community.clone()),
                    ("name", v.name.clone()),
                    (
                        "genesis",
                        format!(
                            "{} founders, {} signatures verified",
                            v.founders, v.founder_signatures
                        ),
                    ),
                    (
                        "entries",
                        format!(
                            "{} read, {} well-formed with signatures verified, {} counted",
                            v.entries, v.well_formed, v.counted
                        ),
                    ),
                    ("state", state),
                    (
                        "problems",
                        match v.problems.len() {
                            0 => "none found".to_owned(),
                            n => format!("{n}, listed below"),
                        },
                    ),
                ],
            )?;
            if !v.problems.is_empty() {
                table::gap()?;
                table::list(false, &v.problems, &["ENTRY", "PROBLEM", "REASON"], |p| {
                    vec![p.entry.clone(), p.kind.to_string(), p.reason.clone()]
                })?;
            }
        }
    }
    if problems == 0 {
        return Ok(ExitCode::SUCCESS);
    }
    eprintln!(
        "{problems} problem{} found.",
        if problems == 1 { "" } else { "s" }
    );
    Ok(ExitCode::FAILURE)
}

/// Writes the log of a held community (the genesis and every entry as stored, even one
/// that cannot be read, so that a verifier elsewhere sees exactly what this node holds),
/// in the log's order.
pub fn export(node: &Node, community: &str, out: Option<&Path>) -> anyhow::Result<()> {
    let genesis = super::genesis_of(node, community)?;
    let mut entries: Vec<(String, String, Value)> = node
        .store
        .governance(Some(community))?
        .into_iter()
        .filter(|r| r.doc.kind != GENESIS)
        .map(|r| {
            let value = serde_json::from_str(&r.doc.document)
                .unwrap_or_else(|_| Value::String(r.doc.document.clone()));
            (r.doc.at, r.doc.id, value)
        })
        .collect();
    entries.sort_by(|a, b| (&a.0, &a.1).cmp(&(&b.0, &b.1)));
    let count = entries.len();
    let log = serde_json::json!({
        "genesis": genesis,
        "entries": entries.into_iter().map(|(_, _, v)| v).collect::<Vec<_>>(),
    });
    match out {
        Some(path) => {
            super::write_json(path, &log)?;
            println!(
                "Log of {community} written to {} ({count} entries); check it anywhere with \
                 `concord community verify --file {}`.",
                path.display(),
                path.display()
            );
            Ok(())
        }
        None => table::print_json(&log),
    }
}
