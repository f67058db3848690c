//! Coverage compared with MISP's own converter: misp-stix's STIX 2.1 export of the two
//! test event collections (`stix/misp-stix_test_events_collection_stix21.json`) against
//! Concord's import of the same events (`misp/misp-stix_test_events_collection_{1,2}.json`).
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
