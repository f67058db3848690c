//! Data-driven validation tests: `data/ok/*.json` must validate and round-trip without
//! losing any property; `data/err/*.json` must be rejected with exactly the messages in
//! the `.expected` file beside it. `UPDATE_EXPECT=1 cargo test` rewrites those files.

use std::path::{Path, PathBuf};

use concord_stix::Object;
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
fn err_objects_are_rejected_with_the_expected_messages() {
    let update = std::env::var_os("UPDATE_EXPECT").is_some();
    let mut failures = Vec::new();
    for path in files("err") {
        let value: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        let got = match Object::from_value(value) {
            Ok(_) => "(accepted)\n".to_owned(),
            Err(e) => e.violations.iter().map(|v| format!("{v}\n")).collect(),
        };
        let expected_path = path.with_extension("expected");
        if update {
            std::fs::write(&expected_path, &got).unwrap();
            continue;
        }
        let expected = std::fs::read_to_string(&expected_path).unwrap_or_default();
        if got != expected {
            failures.push(format!(
                "{}:\n  expected: {expected}  got:      {got}",
                path.display()
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{}\n(UPDATE_EXPECT=1 rewrites the .expected files)",
        failures.join("\n")
    );
}
