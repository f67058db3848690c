//! What `concord policy explain` prints, as data: `tests/data/explain/NAME.json` holds a
//! policy ("default" for [`DEFAULT_POLICY`]), provenance, peer and object;
//! `NAME.txt` the decision's text and, after a blank line, the object sent.
//! `UPDATE_EXPECT=1` rewrites the `.txt` files.

use std::fs;
use std::path::Path;

use concord_policy::{DEFAULT_POLICY, Peer, Policy, Provenance, decide};
use serde_json::Value;

#[test]
fn explanations_match_the_expected_text() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/explain");
    let mut files: Vec<_> = fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    assert!(files.len() >= 4);
    for path in files {
        let case: Value = serde_json::from_str(&fs::read_to_string(&path).unwrap()).unwrap();
        let text = case["policy"].as_str().unwrap();
        let policy = Policy::parse(if text == "default" {
            DEFAULT_POLICY
        } else {
            text
        })
        .unwrap();
        let s = |v: &Value| v.as_str().map(str::to_owned);
        let prov = Provenance {
            origin: s(&case["provenance"]["origin"]).unwrap(),
            received_from: s(&case["provenance"]["received_from"]),
            hops_left: case["provenance"]["hops_left"].as_u64().map(|h| h as u32),
        };
        let p = &case["peer"];
        let peer = Peer {
            node_id: s(&p["node_id"]).unwrap(),
            name: s(&p["name"]).unwrap(),
            country: s(&p["country"]),
            sectors: p["sectors"]
                .as_array()
                .unwrap()
                .iter()
                .filter_map(s)
                .collect(),
            agreement: s(&p["agreement"]),
            communities: Vec::new(),
        };
        let d = decide(
            &policy,
            &crate::common::ctx(),
            &case["object"],
            &prov,
            &peer,
        );
        let mut got = d.to_string();
        if let Some(o) = &d.object {
            got += &format!("\n{}\n", serde_json::to_string_pretty(o).unwrap());
        }
        expect_test::expect_file![path.with_extension("txt")].assert_eq(&got);
    }
}
