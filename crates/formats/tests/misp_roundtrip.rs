//! MISP round trip: each event of the corpus, imported and exported again, gives the same
//! set of (type, value, to_ids, tags) attributes; and PyMISP's `MISPEvent.load` accepts
//! every exported event.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use common::*;
use concord_formats::Source;
use concord_formats::misp::export::MispExporter;
use concord_formats::misp::import;
use serde_json::Value;

type Attr = (String, String, bool, BTreeSet<String>);

fn norm_tag(t: &str) -> String {
    if t.eq_ignore_ascii_case("tlp:white") {
        "tlp:clear".into()
    } else {
        t.to_owned()
    }
}

fn tags(v: &Value) -> BTreeSet<String> {
    v.get("Tag")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|t| t.get("name").and_then(Value::as_str))
        .map(norm_tag)
        .collect()
}

fn flag(v: Option<&Value>) -> bool {
    matches!(v, Some(Value::Bool(true))) || v.and_then(Value::as_str) == Some("1")
}

/// Every live attribute of an event (top level and inside objects); TLP/PAP tags equal to
/// the event's are left out (they are the event's marking, not the attribute's own).
fn attributes(ev: &Value) -> BTreeSet<Attr> {
    let event_tags = tags(ev);
    let mut out = BTreeSet::new();
    let all = ev
        .get("Attribute")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .chain(
            ev.get("Object")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter(|o| !flag(o.get("deleted")))
                .flat_map(|o| {
                    o.get("Attribute")
                        .and_then(Value::as_array)
                        .into_iter()
                        .flatten()
                }),
        );
    for a in all {
        if flag(a.get("deleted")) {
            continue;
        }
        let t: BTreeSet<String> = tags(a)
            .into_iter()
            .filter(|t| {
                let marking = t.to_ascii_lowercase().starts_with("tlp:")
                    || t.to_ascii_lowercase().starts_with("pap:");
                !(marking && event_tags.contains(t))
            })
            .collect();
        let value = match a.get("value") {
            Some(Value::String(s)) => s.clone(),
            Some(v) => v.to_string(),
            None => continue,
        };
        out.insert((
            a["type"].as_str().unwrap().to_owned(),
            value,
            flag(a.get("to_ids")),
            t,
        ));
    }
    out
}

fn events_of(doc: &Value) -> Vec<Value> {
    if let Some(r) = doc.get("response").and_then(Value::as_array) {
        return r
            .iter()
            .map(|e| e.get("Event").unwrap_or(e).clone())
            .collect();
    }
    vec![doc.get("Event").unwrap_or(doc).clone()]
}

fn corpus_events() -> Vec<PathBuf> {
    let Some(dir) = corpus() else { return vec![] };
    let mut files: Vec<_> = std::fs::read_dir(dir.join("misp"))
        .unwrap()
        .chain(std::fs::read_dir(dir.join("misp/feed")).unwrap())
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json") && !p.ends_with("manifest.json"))
        .collect();
    files.sort();
    files
}

fn export_of(path: &Path) -> Vec<Value> {
    let mut c = Collected::default();
    let source = Source::new("roundtrip", NOW);
    import::read(std::fs::File::open(path).unwrap(), &source, &mut |i| {
        c.push(i)
    })
    .unwrap();
    let mut x = MispExporter::new();
    for o in c.objects {
        x.add(o);
    }
    x.events()
}

#[test]
fn every_corpus_event_round_trips() {
    let files = corpus_events();
    let mut compared = 0;
    for f in &files {
        let doc: Value = serde_json::from_slice(&std::fs::read(f).unwrap()).unwrap();
        let exported: BTreeMap<String, Value> = export_of(f)
            .into_iter()
            .map(|e| {
                (
                    e["Event"]["uuid"].as_str().unwrap().to_owned(),
                    e["Event"].clone(),
                )
            })
            .collect();
        for ev in events_of(&doc) {
            let uuid = ev["uuid"].as_str().unwrap();
            let back = exported
                .get(uuid)
                .unwrap_or_else(|| panic!("{}: event {uuid} not exported", f.display()));
            let (a, b) = (attributes(&ev), attributes(back));
            assert_eq!(
                a.difference(&b).collect::<Vec<_>>(),
                b.difference(&a).collect::<Vec<_>>(),
                "{}: attributes lost (left) or added (right)",
                f.display()
            );
            assert_eq!(back["info"], ev["info"]);
            compared += a.len();
        }
    }
    if !files.is_empty() {
        assert!(compared > 300, "only {compared} attributes compared");
    }
}

fn venv_python() -> Option<PathBuf> {
    let venv = std::env::var_os("CONCORD_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../.venv"));
    let py = venv.join("bin/python");
    let ok = py.is_file()
        && std::process::Command::new(&py)
            .args(["-c", "import pymisp"])
            .status()
            .is_ok_and(|s| s.success());
    if ok {
        return Some(py);
    }
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "CI=true but pymisp is missing from {} (run scripts/test)",
        venv.display()
    );
    eprintln!(
        "SKIPPED: pymisp not found in {}; run scripts/test to install it",
        venv.display()
    );
    None
}

#[test]
fn pymisp_loads_every_exported_event() {
    let files = corpus_events();
    if files.is_empty() {
        return;
    }
    let Some(py) = venv_python() else { return };
    let dir = tempfile::tempdir().unwrap();
    let mut n = 0;
    for f in &files {
        for ev in export_of(f) {
            n += 1;
            std::fs::write(dir.path().join(format!("{n}.json")), ev.to_string()).unwrap();
        }
    }
    let script = r#"
import sys, glob, json
from pymisp import MISPEvent
bad = 0
files = sorted(glob.glob(sys.argv[1] + '/*.json'))
for f in files:
    try:
        e = MISPEvent()
        e.load(open(f).read())
        d = json.loads(e.to_json())
        assert d.get('info') is not None, 'no info'
        n = len(e.attributes) + sum(len(o.attributes) for o in e.objects)
        src = json.load(open(f))['Event']
        m = len(src.get('Attribute', [])) + sum(len(o['Attribute']) for o in src.get('Object', []))
        assert n == m, f'{n} attributes loaded of {m}'
    except Exception as ex:
        bad += 1
        print(f'{f}: {type(ex).__name__}: {ex}')
print(f'{len(files)} events, {bad} rejected')
sys.exit(1 if bad else 0)
"#;
    let out = std::process::Command::new(py)
        .args(["-c", script, dir.path().to_str().unwrap()])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains(&format!("{n} events, 0 rejected")));
}
