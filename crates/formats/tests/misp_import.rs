//! MISP events to STIX: every event of the corpus converts to valid objects with
//! parseable patterns; ids are stable; tags, distribution, objects, galaxies, sightings.

mod common;

use common::*;
use concord_formats::Source;
use concord_formats::misp::import;

fn import_file(path: &std::path::Path) -> Collected {
    let mut c = Collected::default();
    let source = Source::new(path.file_name().unwrap().to_string_lossy(), NOW);
    import::read(std::fs::File::open(path).unwrap(), &source, &mut |i| {
        c.push(i)
    })
    .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    c
}

fn misp_files() -> Vec<std::path::PathBuf> {
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

#[test]
fn every_corpus_event_converts_to_valid_stix() {
    let files = misp_files();
    for f in &files {
        let c = import_file(f);
        assert!(c.errors.is_empty(), "{}: {:?}", f.display(), c.errors);
        c.assert_valid();
        assert_eq!(
            c.of_type("grouping").len().max(1),
            c.of_type("grouping").len(),
            "{}",
            f.display()
        );
        // Deterministic: the same input gives the same objects.
        assert_eq!(import_file(f).objects, c.objects);
    }
}

#[test]
fn what_the_corpus_becomes() {
    for f in misp_files() {
        let c = import_file(&f);
        let mut types = std::collections::BTreeMap::new();
        for o in &c.objects {
            *types
                .entry(o["type"].as_str().unwrap().to_owned())
                .or_insert(0) += 1;
        }
        eprintln!(
            "{}: {types:?} warnings {}",
            f.file_name().unwrap().to_string_lossy(),
            c.warnings.len()
        );
    }
}

/// Found by the `misp_event` fuzz target: a MISP uuid that is not an RFC 4122 UUID (the
/// version nibble is `a`) must not become a STIX id.
#[test]
fn a_uuid_that_is_not_rfc_4122_gets_a_deterministic_id() {
    let ev = serde_json::json!({"Event": {"uuid": "57c4445b-c548-4654-af0b-4be3950d210f", "info": "x",
        "Attribute": [{"uuid": "57c4448a-fb04-a57d-87e7-4127950d210f", "type": "filename",
            "value": "a.exe", "to_ids": true, "timestamp": "1472480394"}]}});
    let mut c = Collected::default();
    for i in import::convert_event(&ev, "$", &Source::new("t", NOW)) {
        c.push(i);
    }
    assert!(c.errors.is_empty(), "{:?}", c.errors);
    c.assert_valid();
    assert_eq!(c.of_type("indicator").len(), 1);
}
