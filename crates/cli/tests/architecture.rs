//! ARCHITECTURE.md stays true: every crate under `crates/` has a section there, every
//! crate named there exists, and each section's "May depend on:" line names exactly the
//! workspace crates its `Cargo.toml` depends on (a new dependency fails until the map
//! says so); and its one ingest path holds: no crate but `ingest` and the store backends
//! writes through `concord_store::import` (issue 23), but for the node's own objects.

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

/// Crates that may call the store's import functions: the store backends, and `ingest`,
/// the one way in for everything a front end reads.
const IMPORT_OWNERS: [&str; 3] = ["store", "store-pg", "ingest"];

/// Files (under `crates/`) that write straight through `concord_store::import`: each
/// stores objects the node makes itself from what it holds or was told, which no front
/// end reads, so no warning list or settling applies (`concord_ingest`'s crate doc).
const NODE_OWN_WRITES: [(&str, &str); 3] = [
    (
        "cli/src/node.rs",
        "the node's identity objects, made at `concord node init`",
    ),
    (
        "server/src/matching.rs",
        "the sightings matching makes of a log against held indicators",
    ),
    (
        "response/src/lib.rs",
        "incidents, alerts, requests and evidence made for an analyst's action",
    ),
];

/// Whether a source file writes through the store's import functions
/// (`import_values`, `import_values_with`, `import_values_bulk`, named through
/// `concord_store::import`) or the store's raw writes (`Store::ingest`, `bulk_writer`),
/// outside its unit tests (a `#[cfg(test)] mod` and what follows it) and comment lines.
fn writes_through_the_store(text: &str) -> bool {
    let code: String = text
        .lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .flat_map(|l| l.chars().filter(|c| !c.is_whitespace()))
        .collect();
    let code = match code.find("#[cfg(test)]mod") {
        Some(at) => &code[..at],
        None => &code[..],
    };
    if code.contains("import::import_values")
        || code.contains(".ingest(")
        || code.contains("bulk_writer(")
        || code.contains("concord_store::import::*")
    {
        return true;
    }
    // `use concord_store::import::{.., import_values, ..}` (also nested in `import::{..}`).
    code.match_indices("import::{").any(|(at, m)| {
        let list = &code[at + m.len()..];
        let list = &list[..list.find('}').unwrap_or(list.len())];
        list.split(',')
            .any(|name| name.starts_with("import_values"))
    })
}

/// The one ingest path, by enumeration: every `.rs` file under `crates/*/src` that
/// writes through the store's import is in an owner crate or on the list of the node's
/// own writes, and every file on that list still does.
#[test]
fn only_ingest_writes_what_front_ends_read() {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|x| x == "rs") {
                out.push(p);
            }
        }
    }
    let crates = root().join("crates");
    let mut files = Vec::new();
    for c in std::fs::read_dir(&crates).unwrap() {
        let src = c.unwrap().path().join("src");
        if src.is_dir() {
            walk(&src, &mut files);
        }
    }
    let mut writers = BTreeSet::new();
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap();
        if writes_through_the_store(&text) {
            let rel = f.strip_prefix(&crates).unwrap();
            writers.insert(rel.to_string_lossy().replace('\\', "/"));
        }
    }
    // The scan sees the owners' own writes (a scan that finds nothing proves nothing).
    assert!(writers.contains("ingest/src/pipeline.rs"), "{writers:?}");
    let allowed: BTreeSet<&str> = NODE_OWN_WRITES.iter().map(|(f, _)| *f).collect();
    let stray: Vec<&String> = writers
        .iter()
        .filter(|f| {
            !IMPORT_OWNERS
                .iter()
                .any(|c| f.starts_with(&format!("{c}/")))
        })
        .filter(|f| !allowed.contains(f.as_str()))
        .collect();
    assert!(
        stray.is_empty(),
        "these files write through concord_store::import; read outside input through \
         concord_ingest (stix::import_values, document::import_document, import_inputs) \
         instead, or, for objects the node makes itself, add them to NODE_OWN_WRITES with \
         the reason: {stray:?}"
    );
    let stale: Vec<&&str> = allowed.iter().filter(|f| !writers.contains(**f)).collect();
    assert!(
        stale.is_empty(),
        "NODE_OWN_WRITES names files that no longer write through the store: {stale:?}"
    );
}

#[test]
fn the_scan_sees_every_way_of_naming_the_import() {
    for writes in [
        "use concord_store::import::{DEFAULT_BATCH, import_values};\nfn f() {}",
        "use concord_store::{Store,\n    import::{\n        import_values_with, Freed}};",
        "fn f() { concord_store::import::import_values_bulk(s, v, 1, 1, a, b); }",
        "use concord_store::import;\nfn f() { import::import_values(s, v, 1, a); }",
        "fn f() { store.ingest(&objects); }",
    ] {
        assert!(writes_through_the_store(writes), "{writes}");
    }
    for reads in [
        "fn f() { concord_ingest::stix::import_values(t, n, v, 1, &()); }",
        "use concord_store::import::{DEFAULT_BATCH, ObjectResult};",
        "//! Through [`concord_store::import::import_values`].\nfn f() {}",
        "fn f() {}\n#[cfg(test)]\nmod tests {\n    use concord_store::import::import_values;\n}",
    ] {
        assert!(!writes_through_the_store(reads), "{reads}");
    }
}
