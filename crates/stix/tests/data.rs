//! Data-driven validation tests: `data/ok/*.json` must validate and round-trip without
//! losing any property; `data/err/*.json` must be rejected with exactly the messages in
//! the `.expected` file beside it. `UPDATE_EXPECT=1 cargo test` rewrites those files.

use std::path::{Path, PathBuf};

use concord_stix::{Object, Timestamp};
use serde_json::Value;

fn files(dir: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(dir);
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    v.sort();
    v
}

#[test]
fn ok_objects_validate_and_round_trip() {
    for path in files("ok") {
        let value: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        let obj =
            Object::from_value(value.clone()).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let again: Value = serde_json::from_str(&obj.canonical_json()).unwrap();
        assert_eq!(
            again,
            value,
            "{}: canonical form changed the meaning",
            path.display()
        );
    }
}

#[test]
fn columns_agree_with_the_accessors_also_once_the_map_is_taken() {
    let mut checked = 0;
    for path in files("ok") {
        let value: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        let mut variants = vec![value.clone()];
        // The same object with the optional columns present, absent or of the wrong JSON
        // type where the schema allows any (custom objects keep what they have).
        let mut more = value.clone();
        more["revoked"] = serde_json::json!(true);
        more["confidence"] = serde_json::json!(85);
        more["lang"] = serde_json::json!("fr");
        more["created_by_ref"] =
            serde_json::json!("identity--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f");
        more["object_marking_refs"] = serde_json::json!([
            "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
            "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"
        ]);
        variants.push(more);
        for v in variants {
            let Ok(obj) = Object::from_value(v) else {
                continue;
            };
            let c = obj.columns();
            let p = path.display();
            assert_eq!(c.version(), obj.version(), "{p}");
            assert_eq!(c.created, obj.str("created"), "{p}");
            assert_eq!(c.modified, obj.str("modified"), "{p}");
            assert_eq!(c.spec_version, obj.spec_version(), "{p}");
            assert_eq!(c.created_by_ref, obj.created_by_ref(), "{p}");
            assert_eq!(c.revoked, obj.revoked(), "{p}");
            assert_eq!(c.confidence, obj.confidence(), "{p}");
            assert_eq!(c.lang, obj.lang(), "{p}");
            assert_eq!(c.marking_refs, obj.marking_refs(), "{p}");
            // The timestamps validation parsed are the ones the object keeps.
            let parsed = |prop| obj.str(prop).and_then(|s| Timestamp::parse(s).ok());
            assert_eq!(obj.created(), parsed("created"), "{p}");
            assert_eq!(obj.modified(), parsed("modified"), "{p}");
            // Once the map is taken out, the object still answers what a store writes.
            let mut taken = obj.clone();
            let map = taken.take_map();
            assert_eq!(&map, obj.as_map(), "{p}");
            assert_eq!(taken.columns(), c, "{p}");
            assert_eq!(taken.version(), obj.version(), "{p}");
            assert_eq!(taken.version_nanos(), obj.version_nanos(), "{p}");
            assert_eq!(taken.id(), obj.id(), "{p}");
            assert_eq!(taken.type_name(), obj.type_name(), "{p}");
            assert_eq!(taken.canonical_str(), obj.canonical_str(), "{p}");
            checked += 1;
        }
    }
    assert!(checked >= 8, "only {checked} objects checked");
}

#[test]
fn err_objects_are_rejected_with_the_expected_messages() {
    for path in files("err") {
        let value: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        let got = match Object::from_value(value) {
            Ok(_) => "(accepted)\n".to_owned(),
            Err(e) => e.violations.iter().map(|v| format!("{v}\n")).collect(),
        };
        expect_test::expect_file![path.with_extension("expected")].assert_eq(&got);
    }
}
