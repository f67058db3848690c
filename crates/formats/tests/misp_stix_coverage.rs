//! Coverage compared with MISP's own converter: misp-stix's STIX 2.1 export of the two
//! test event collections (`stix/misp-stix_test_events_collection_stix21.json`) against
//! Concord's import of the same events (`misp/misp-stix_test_events_collection_{1,2}.json`),
//! and what misp-stix makes of every MISP event of the corpus (`tests/data/misp-stix/`).
//!
//! Concord maps the same events to the same grouping and indicator ids with the same
//! patterns, and `to_ids = false` attributes to observed data with the same id and SCO
//! values. Where it differs, on purpose (see the crate documentation): misp-stix also
//! writes observed data plus a `based-on` relationship for every `to_ids` attribute
//! (Concord: the indicator only), and it labels objects `misp:type=…`/`misp:category=…`
//! (Concord: its MISP extension).

mod common;

use std::collections::{BTreeSet, HashMap};

use common::*;
use concord_formats::Source;
use concord_formats::misp::import;
use serde_json::Value;

fn observables(pattern: &str) -> BTreeSet<String> {
    let p = concord_pattern::parse(pattern).unwrap();
    concord_pattern::observables::extract(&p)
        .into_iter()
        .map(|o| format!("{} {}", o.path, o.value))
        .collect()
}

fn sco_values(all: &HashMap<String, Value>, od: &Value) -> BTreeSet<String> {
    od["object_refs"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| all.get(r.as_str().unwrap()))
        .map(|s| {
            let v = s
                .get("value")
                .or(s.get("number"))
                .or(s.get("name"))
                .cloned()
                .unwrap_or_default();
            format!("{} {v}", s["type"].as_str().unwrap())
        })
        .collect()
}

#[test]
fn concord_covers_what_misp_stix_maps() {
    let Some(dir) = corpus() else { return };
    let reference: Value = serde_json::from_slice(
        &std::fs::read(dir.join("stix/misp-stix_test_events_collection_stix21.json")).unwrap(),
    )
    .unwrap();
    let mut ours = Collected::default();
    let source = Source::new("misp-stix tests", NOW);
    for f in [
        "misp-stix_test_events_collection_1.json",
        "misp-stix_test_events_collection_2.json",
    ] {
        let file = std::fs::File::open(dir.join("misp").join(f)).unwrap();
        import::read(file, &source, &mut |i| ours.push(i)).unwrap();
    }
    assert!(ours.errors.is_empty(), "{:?}", ours.errors);
    ours.assert_valid();
    let by_id: HashMap<String, Value> = ours
        .objects
        .iter()
        .map(|o| (o["id"].as_str().unwrap().to_owned(), o.clone()))
        .collect();
    let theirs: HashMap<String, Value> = reference["objects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| (o["id"].as_str().unwrap().to_owned(), o.clone()))
        .collect();
    let (mut same, mut indicator_only) = (0, 0);
    for (id, o) in &theirs {
        match o["type"].as_str().unwrap() {
            "grouping" => {
                let g = by_id.get(id).unwrap_or_else(|| panic!("no grouping {id}"));
                assert_eq!(g["name"], o["name"]);
                same += 1;
            }
            "indicator" => {
                let i = by_id.get(id).unwrap_or_else(|| panic!("no indicator {id}"));
                assert_eq!(
                    observables(i["pattern"].as_str().unwrap()),
                    observables(o["pattern"].as_str().unwrap()),
                    "{id}"
                );
                same += 1;
            }
            "observed-data" => match by_id.get(id) {
                Some(od) => {
                    assert_eq!(sco_values(&by_id, od), sco_values(&theirs, o), "{id}");
                    same += 1;
                }
                None => {
                    // misp-stix's observed data beside an indicator of the same attribute.
                    let ind = id.replace("observed-data--", "indicator--");
                    assert!(
                        by_id.contains_key(&ind),
                        "{id}: neither observed data nor indicator"
                    );
                    indicator_only += 1;
                }
            },
            _ => {}
        }
    }
    assert_eq!(
        (same, indicator_only),
        (8, 3),
        "groupings+indicators+observed data, and the differences"
    );
}

/// The values a STIX pattern compares with (lower case), whatever the object path: misp-stix
/// writes `network-traffic:dst_ref.value` (and `dst_ref.type`) where Concord writes
/// `ipv4-addr:value`.
fn pattern_values(pattern: &str) -> BTreeSet<String> {
    let p = concord_pattern::parse(pattern).unwrap_or_else(|e| panic!("{pattern}: {e}"));
    concord_pattern::observables::extract(&p)
        .into_iter()
        .filter(|o| !o.path.to_string().ends_with("_ref.type"))
        .map(|o| o.value.to_string().trim_matches('\'').to_lowercase())
        .collect()
}

/// The values of the SCOs of observed data as `generate.py` reads misp-stix's: `value`,
/// `name`, `key`, `number` and hashes, in lower case.
fn sco_plain_values(all: &HashMap<String, Value>, od: &Value) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for r in od["object_refs"].as_array().unwrap() {
        let Some(s) = all.get(r.as_str().unwrap()) else {
            continue;
        };
        for k in ["value", "name", "key", "number"] {
            match s.get(k) {
                Some(Value::String(v)) => {
                    out.insert(v.to_lowercase());
                }
                Some(v @ Value::Number(_)) => {
                    out.insert(v.to_string());
                }
                _ => {}
            }
        }
        for h in s
            .get("hashes")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
        {
            out.insert(h.1.as_str().unwrap().to_lowercase());
        }
    }
    out
}

/// Every MISP event of the corpus against what misp-stix makes of it
/// (`tests/data/misp-stix/reference.json`, written by `generate.py` beside it): each
/// indicator misp-stix writes, Concord writes with the same id and the same values; each
/// observed data, Concord writes with the same id and SCO values, or (a `to_ids`
/// attribute) as the indicator of the same uuid only. Events misp-stix cannot convert
/// (galaxy clusters without a uuid) Concord converts whole.
#[test]
fn every_corpus_event_against_misp_stix() {
    let Some(dir) = corpus() else { return };
    let reference: serde_json::Map<String, Value> = serde_json::from_slice(
        &std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/data/misp-stix/reference.json"
        ))
        .unwrap(),
    )
    .unwrap();
    let mut by_file: HashMap<String, HashMap<String, Value>> = HashMap::new();
    let (mut same_ind, mut same_od, mut ind_for_od, mut theirs_failed) = (0, 0, 0, 0);
    let mut differences = Vec::new();
    for (uuid, entry) in &reference {
        let file = entry["file"].as_str().unwrap();
        let ours = by_file.entry(file.to_owned()).or_insert_with(|| {
            let mut c = Collected::default();
            let source = Source::new("misp-stix comparison", NOW);
            import::read(
                std::fs::File::open(dir.join(file)).unwrap(),
                &source,
                &mut |i| c.push(i),
            )
            .unwrap();
            assert!(c.errors.is_empty(), "{file}: {:?}", c.errors);
            c.objects
                .into_iter()
                .map(|o| (o["id"].as_str().unwrap().to_owned(), o))
                .collect()
        });
        assert!(
            ours.contains_key(&format!("grouping--{uuid}")),
            "{file}: event {uuid} is a grouping"
        );
        if entry.get("error").is_some() {
            theirs_failed += 1;
            continue;
        }
        for (id, pattern) in entry["indicators"].as_object().unwrap() {
            match ours.get(id) {
                Some(i)
                    if pattern_values(i["pattern"].as_str().unwrap())
                        == pattern_values(pattern.as_str().unwrap()) =>
                {
                    same_ind += 1
                }
                Some(i) => differences.push(format!("{file} {id}: {} vs {pattern}", i["pattern"])),
                None => differences.push(format!("{file} {id}: no indicator ({pattern})")),
            }
        }
        for (id, values) in entry["observed"].as_object().unwrap() {
            let theirs: BTreeSet<String> = values
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_str().unwrap().to_lowercase())
                .collect();
            let indicator = id.replace("observed-data--", "indicator--");
            match ours.get(id) {
                Some(od) => {
                    let mine = sco_plain_values(ours, od);
                    if mine.is_superset(&theirs) {
                        same_od += 1;
                    } else {
                        differences.push(format!("{file} {id}: SCO values {mine:?} vs {theirs:?}"));
                    }
                }
                None if ours.contains_key(&indicator) => ind_for_od += 1,
                None => differences.push(format!("{file} {id}: no observed data ({theirs:?})")),
            }
        }
    }
    // Where Concord maps differently on purpose, with the reason.
    let known = [(
        "indicator--57c54b0f-27a4-458b-8e63-4455950d210f",
        "regkey|value: misp-stix escapes `%` in the data (`\\%TEMP\\%`), which an equality \
         comparison then takes literally, and compares `values.data`; Concord compares the \
         value as MISP holds it at `values[*].data` (`values` is a list)",
    )];
    let before = differences.len();
    differences.retain(|d| !known.iter().any(|(id, _)| d.contains(id)));
    assert_eq!(
        before - differences.len(),
        known.len(),
        "a known difference is gone"
    );
    assert!(differences.is_empty(), "{}", differences.join("\n"));
    assert_eq!(
        (same_ind, same_od, ind_for_od, theirs_failed),
        (283, 46, 284, 3),
        "indicators and observed data alike, indicator only (to_ids), events misp-stix could not convert"
    );
}
