//! ARCHITECTURE.md stays true: every crate under `crates/` has a section there, every
//! crate named there exists, and each section's "May depend on:" line names exactly the
//! workspace crates its `Cargo.toml` depends on (a new dependency fails until the map
//! says so).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn architecture_md() -> String {
    std::fs::read_to_string(root().join("ARCHITECTURE.md")).unwrap()
}

#[test]
fn architecture_md_names_exactly_the_crates() {
    let text = architecture_md();
    let mut on_disk: Vec<String> = std::fs::read_dir(root().join("crates"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    on_disk.sort();
    let mut documented: Vec<String> = sections(&text).into_iter().map(|(c, _)| c).collect();
    documented.sort();
    assert_eq!(on_disk, documented, "crates/ and ARCHITECTURE.md disagree");
}

#[test]
fn may_depend_on_lines_match_each_cargo_toml() {
    let text = architecture_md();
    let mut wrong = Vec::new();
    for (name, body) in sections(&text) {
        let listed = match may_depend_on(&body) {
            Ok(listed) => listed,
            Err(e) => {
                wrong.push(format!("crates/{name}: {e}"));
                continue;
            }
        };
        let manifest = root().join("crates").join(&name).join("Cargo.toml");
        let actual = workspace_dependencies(&manifest);
        if listed != actual {
            wrong.push(format!(
                "crates/{name}: ARCHITECTURE.md says it may depend on {listed:?}, \
                 its Cargo.toml [dependencies] name {actual:?}"
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// Each `### `crates/NAME`` section: the crate's directory name and the section's lines.
fn sections(text: &str) -> Vec<(String, Vec<String>)> {
    let mut out: Vec<(String, Vec<String>)> = Vec::new();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("### `crates/") {
            let name = rest.split('`').next().unwrap_or_default().to_owned();
            out.push((name, Vec::new()));
        } else if line.starts_with('#') {
            // A heading of another kind ends the section (its lines are dropped below).
            out.push((String::new(), Vec::new()));
        } else if let Some(last) = out.last_mut() {
            last.1.push(line.to_owned());
        }
    }
    out.retain(|(name, _)| !name.is_empty());
    out
}

/// The short crate names of a section's one "May depend on:" entry (which may wrap over
/// lines and ends with a full stop); "nothing in the workspace." is the empty set.
fn may_depend_on(body: &[String]) -> Result<BTreeSet<String>, String> {
    let starts: Vec<usize> = (0..body.len())
        .filter(|&i| body[i].starts_with("May depend on:"))
        .collect();
    let [start] = starts[..] else {
        return Err(format!(
            "expected one line starting with \"May depend on:\", found {}",
            starts.len()
        ));
    };
    let mut entry = String::new();
    for line in &body[start..] {
        entry.push_str(line.trim());
        entry.push(' ');
        if line.trim_end().ends_with('.') {
            break;
        }
    }
    let entry = entry.trim_start_matches("May depend on:").trim();
    if entry == "nothing in the workspace." {
        return Ok(BTreeSet::new());
    }
    let names: BTreeSet<String> = entry
        .split('`')
        .skip(1)
        .step_by(2)
        .map(str::to_owned)
        .collect();
    if names.is_empty() {
        return Err(format!(
            "\"May depend on: {entry}\" names no crate in backquotes \
             (say \"nothing in the workspace.\" for none)"
        ));
    }
    Ok(names)
}

/// The workspace crates (`concord-NAME`, as `NAME`) a manifest lists under
/// `[dependencies]` (or a `[target.'cfg(..)'.dependencies]` table); dev- and build-
/// dependencies do not count.
fn workspace_dependencies(manifest: &Path) -> BTreeSet<String> {
    let text = std::fs::read_to_string(manifest)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", manifest.display()));
    let mut out = BTreeSet::new();
    let mut in_dependencies = false;
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            let header = line.trim_start_matches('[').trim_end_matches(']');
            if let Some(dep) = header.strip_prefix("dependencies.") {
                if let Some(short) = dep.strip_prefix("concord-") {
                    out.insert(short.to_owned());
                }
                in_dependencies = false;
            } else {
                in_dependencies = header == "dependencies"
                    || (header.starts_with("target.") && header.ends_with(".dependencies"));
            }
            continue;
        }
        if !in_dependencies {
            continue;
        }
        let key = line
            .split(['=', '.'])
            .next()
            .unwrap_or_default()
            .trim()
            .trim_matches('"');
        if let Some(short) = key.strip_prefix("concord-") {
            out.insert(short.to_owned());
        }
    }
    out
}
