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

/// The live object references of an event: (object uuid, referenced uuid, type).
fn references(ev: &Value) -> BTreeSet<(String, String, String)> {
    let mut out = BTreeSet::new();
    for o in ev
        .get("Object")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        if flag(o.get("deleted")) {
            continue;
        }
        for r in o
            .get("ObjectReference")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if flag(r.get("deleted")) {
                continue;
            }
            out.insert((
                o["uuid"].as_str().unwrap().to_owned(),
                r["referenced_uuid"].as_str().unwrap().to_owned(),
                r["relationship_type"].as_str().unwrap().replace(' ', "-"),
            ));
        }
    }
    out
}

/// The proposals of an event: (attribute uuid, type, value, to_ids, to delete), wherever
/// they sit (event, attributes, attributes of objects).
fn proposals(ev: &Value) -> BTreeSet<(String, String, String, bool, bool)> {
    let mut out = BTreeSet::new();
    let attrs = concord_formats::misp::event_attributes(ev);
    let all = ev
        .get("ShadowAttribute")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .chain(attrs.flat_map(|a| {
            a.get("ShadowAttribute")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
        }));
    for p in all {
        out.insert((
            p["uuid"].as_str().unwrap_or("").to_owned(),
            p["type"].as_str().unwrap().to_owned(),
            p["value"].as_str().unwrap().to_owned(),
            flag(p.get("to_ids")),
            flag(p.get("proposal_to_delete")),
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
    let (mut compared, mut refs_compared, mut proposals_compared) = (0, 0, 0);
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
            assert_eq!(
                references(back),
                references(&ev),
                "{}: object references",
                f.display()
            );
            assert_eq!(
                proposals(back),
                proposals(&ev),
                "{}: proposals",
                f.display()
            );
            compared += a.len();
            refs_compared += references(&ev).len();
            proposals_compared += proposals(&ev).len();
        }
    }
    if !files.is_empty() {
        assert!(compared > 300, "only {compared} attributes compared");
        assert!(
            refs_compared >= 1 && proposals_compared >= 2,
            "{refs_compared} references, {proposals_compared} proposals"
        );
    }
}

/// A MISP event and STIX relationships born in STIX (not in the event's grouping), of
/// every shape the exporter distinguishes, exported to MISP.
fn relationship_export() -> Vec<Value> {
    let ev = serde_json::json!({"Event": {
        "uuid": "d1d1d1d1-1111-4111-8111-111111111111", "info": "relationships", "timestamp": "1700000000",
        "Attribute": [
            {"uuid": "d2d2d2d2-2222-4222-8222-222222222222", "type": "ip-dst", "value": "203.0.113.9", "to_ids": true},
            {"uuid": "d3d3d3d3-3333-4333-8333-333333333333", "type": "domain", "value": "c2.example", "to_ids": false}],
        "Object": [{"uuid": "d4d4d4d4-4444-4444-8444-444444444444", "name": "file", "timestamp": "1700000003",
            "Attribute": [{"uuid": "d5d5d5d5-5555-4555-8555-555555555555", "type": "md5", "object_relation": "md5",
                "value": "0123456789abcdef0123456789abcdef", "to_ids": true}]}]
    }});
    let mut c = Collected::default();
    for i in import::convert_event(&ev, "$", &Source::new("t", NOW)) {
        c.push(i);
    }
    assert!(c.errors.is_empty(), "{:?}", c.errors);
    let rel = |n: u8, src: &str, ty: &str, dst: &str| {
        serde_json::json!({"type": "relationship", "spec_version": "2.1",
            "id": format!("relationship--e{n}e{n}e{n}e{n}-0000-4000-8000-00000000000{n}"),
            "created": NOW, "modified": NOW, "relationship_type": ty,
            "source_ref": src, "target_ref": dst})
    };
    let (ip, dom, file) = (
        "indicator--d2d2d2d2-2222-4222-8222-222222222222",
        "observed-data--d3d3d3d3-3333-4333-8333-333333333333",
        "indicator--d4d4d4d4-4444-4444-8444-444444444444",
    );
    let malware = "malware--f0f0f0f0-0000-4000-8000-000000000000";
    let mut x = MispExporter::new();
    for o in c.objects {
        x.add(o);
    }
    x.add(
        serde_json::json!({"type": "malware", "spec_version": "2.1", "id": malware,
        "created": NOW, "modified": NOW, "name": "Emotet", "is_family": true}),
    );
    x.add(rel(1, file, "communicates-with", ip));
    x.add(rel(2, ip, "resolves-to", dom));
    x.add(rel(3, ip, "indicates", malware));
    x.add(rel(4, dom, "related-to", file));
    x.add(rel(
        5,
        ip,
        "derived-from",
        "indicator--99999999-0000-4000-8000-000000000000",
    ));
    x.events()
}

/// Issue 6, mapping gaps: STIX relationships reach MISP as object references, attribute
/// relationships, cluster tags, or lines of an event report.
#[test]
fn relationships_are_exported_as_misp_users_read_them() {
    let events = relationship_export();
    assert_eq!(events.len(), 1);
    let ev = &events[0]["Event"];
    let attr = |uuid: &str| {
        ev["Attribute"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["uuid"] == uuid)
            .unwrap()
    };
    let obj = &ev["Object"][0];
    assert_eq!(obj["ObjectReference"].as_array().unwrap().len(), 1);
    let r = &obj["ObjectReference"][0];
    assert_eq!(
        (
            r["referenced_uuid"].as_str(),
            r["relationship_type"].as_str()
        ),
        (
            Some("d2d2d2d2-2222-4222-8222-222222222222"),
            Some("communicates-with")
        )
    );
    let ip = attr("d2d2d2d2-2222-4222-8222-222222222222");
    assert_eq!(ip["Relationship"].as_array().unwrap().len(), 1);
    assert_eq!(
        ip["Relationship"][0]["related_object_uuid"],
        "d3d3d3d3-3333-4333-8333-333333333333"
    );
    assert_eq!(ip["Relationship"][0]["related_object_type"], "Attribute");
    assert!(tags(ip).contains("misp-galaxy:malware=\"Emotet\""), "{ip}");
    let dom = attr("d3d3d3d3-3333-4333-8333-333333333333");
    assert_eq!(dom["Relationship"][0]["related_object_type"], "Object");
    assert_eq!(
        dom["Relationship"][0]["related_object_uuid"],
        "d4d4d4d4-4444-4444-8444-444444444444"
    );
    let reports = ev["EventReport"].as_array().unwrap();
    assert_eq!(reports.len(), 1);
    let content = reports[0]["content"].as_str().unwrap();
    assert!(
        content.contains("- @[attribute](d2d2d2d2-2222-4222-8222-222222222222) **derived-from** `indicator--99999999-0000-4000-8000-000000000000`"),
        "{content}"
    );
    assert_eq!(content.matches("\n- ").count(), 1, "{content}");
    // Imported again, attribute relationships and object references are relationships.
    let mut again = Collected::default();
    for i in import::convert_event(&events[0], "$", &Source::new("t", NOW)) {
        again.push(i);
    }
    assert!(again.errors.is_empty(), "{:?}", again.errors);
    again.assert_valid();
    let ends = |id: &str| {
        let r = again.objects.iter().find(|o| o["id"] == id).unwrap();
        (
            r["source_ref"].as_str().unwrap().to_owned(),
            r["target_ref"].as_str().unwrap().to_owned(),
        )
    };
    assert_eq!(
        ends("relationship--e2e2e2e2-0000-4000-8000-000000000002"),
        (
            "indicator--d2d2d2d2-2222-4222-8222-222222222222".into(),
            "observed-data--d3d3d3d3-3333-4333-8333-333333333333".into()
        )
    );
    assert_eq!(
        ends("relationship--e4e4e4e4-0000-4000-8000-000000000004").1,
        "indicator--d4d4d4d4-4444-4444-8444-444444444444"
    );
    // Exported again with a relationship MISP cannot hold: one report, the new one.
    let mut x = MispExporter::new();
    for o in again.objects {
        x.add(o);
    }
    x.add(serde_json::json!({"type": "relationship", "spec_version": "2.1",
        "id": "relationship--e6e6e6e6-0000-4000-8000-000000000006", "created": NOW, "modified": NOW,
        "relationship_type": "related-to", "source_ref": "indicator--d2d2d2d2-2222-4222-8222-222222222222",
        "target_ref": "indicator--88888888-0000-4000-8000-000000000000"}));
    let twice = x.events();
    let reports = twice[0]["Event"]["EventReport"].as_array().unwrap();
    assert_eq!(reports.len(), 1, "{reports:?}");
    assert!(
        reports[0]["content"]
            .as_str()
            .unwrap()
            .contains("indicator--88888888")
    );
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
    let hand = relationship_export();
    for ev in files.iter().flat_map(|f| export_of(f)).chain(hand) {
        {
            n += 1;
            std::fs::write(dir.path().join(format!("{n}.json")), ev.to_string()).unwrap();
        }
    }
    let script = r#"
import sys, glob, json
from pymisp import MISPEvent
bad = 0
totals = {}
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
        attrs = list(e.attributes) + [a for o in e.objects for a in o.attributes]
        src_attrs = src.get('Attribute', []) + [a for o in src.get('Object', []) for a in o['Attribute']]
        for what, loaded, given in [
            ('relationships', sum(len(a.relationships) for a in attrs), sum(len(a.get('Relationship', [])) for a in src_attrs)),
            ('proposals', sum(len(a.shadow_attributes) for a in attrs) + len(e.shadow_attributes),
                sum(len(a.get('ShadowAttribute', [])) for a in src_attrs) + len(src.get('ShadowAttribute', []))),
            ('object references', sum(len(o.references) for o in e.objects), sum(len(o.get('ObjectReference', [])) for o in src.get('Object', []))),
            ('event reports', len(e.event_reports), len(src.get('EventReport', []))),
        ]:
            assert loaded == given, f'{loaded} {what} loaded of {given}'
            totals[what] = totals.get(what, 0) + given
    except Exception as ex:
        bad += 1
        print(f'{f}: {type(ex).__name__}: {ex}')
print(f'{len(files)} events, {bad} rejected')
print('covered:', ' '.join(f'{k}={v}' for k, v in sorted(totals.items())))
assert all(totals.get(k, 0) > 0 for k in ['relationships', 'proposals', 'object references', 'event reports']), totals
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
