//! `import`, `export` and `search`, including the OASIS validator over an export of the
//! whole STIX corpus.

use std::process::Command;

use serde_json::{Value, json};

use crate::common::*;

const IDENTITY: &str = "identity--f431f809-377b-45e0-aa1c-6a4751cae5ff";

fn indicator(id: &str, modified: &str, name: &str) -> Value {
    json!({
        "type": "indicator", "spec_version": "2.1", "id": id,
        "created": "2024-01-01T00:00:00.000Z", "modified": modified, "name": name,
        "pattern": "[ipv4-addr:value = '203.0.113.9']", "pattern_type": "stix",
        "valid_from": "2024-01-01T00:00:00Z", "created_by_ref": IDENTITY
    })
}

#[test]
fn a_bad_object_is_named_and_the_good_ones_are_kept() {
    let tmp = tempfile::tempdir().unwrap();
    init(tmp.path());
    let good = "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f";
    let bad_ts = "indicator--a932fcc6-e032-476c-826f-cb970a5a1ade";
    let bundle = json!({"type": "bundle", "id": "bundle--5d0092c5-5f74-4287-9642-33f4c354e56d", "objects": [
        {"type": "identity", "spec_version": "2.1", "id": IDENTITY, "created": "2024-01-01T00:00:00.000Z",
         "modified": "2024-01-01T00:00:00.000Z", "name": "CERT Example", "identity_class": "organization"},
        indicator(good, "2024-01-01T00:00:00.000Z", "C2 server"),
        {"type": "indicator", "spec_version": "2.1", "id": bad_ts, "created": "2024-13-01T00:00:00.000Z",
         "modified": "2024-01-01T00:00:00.000Z", "pattern": "[ipv4-addr:value = '1.2.3.4']",
         "pattern_type": "stix", "valid_from": "2024-01-01T00:00:00Z"},
        {"type": "malware", "spec_version": "2.1", "id": "indicator--b932fcc6-e032-476c-826f-cb970a5a1ade",
         "created": "2024-01-01T00:00:00.000Z", "modified": "2024-01-01T00:00:00.000Z", "is_family": false}
    ]});
    let file = tmp.path().join("mixed.json");
    std::fs::write(&file, bundle.to_string()).unwrap();
    let out = run(tmp.path(), &["import", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "rejections give exit status 2");
    let (so, se) = (stdout(&out), stderr(&out));
    assert!(
        so.contains("2 new, 0 new versions, 0 unchanged, 0 conflicting, 2 rejected"),
        "{so}"
    );
    assert!(
        se.contains(&format!("object #2 {bad_ts}: $.created:")),
        "{se}"
    );
    assert!(
        se.contains("$.id: identifier prefix `indicator` does not match type `malware`"),
        "{se}"
    );

    // A newer version, then the same file again.
    let v2 = tmp.path().join("v2.json");
    std::fs::write(
        &v2,
        indicator(good, "2024-02-01T00:00:00.000Z", "C2 server (updated)").to_string(),
    )
    .unwrap();
    let out = run(
        tmp.path(),
        &["import", v2.to_str().unwrap(), v2.to_str().unwrap()],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("0 new, 1 new versions, 1 unchanged"),
        "{}",
        stdout(&out)
    );

    let found = stdout(&run(tmp.path(), &["search", "updated"]));
    assert!(found.contains(good), "{found}");
    let export = run(tmp.path(), &["export", "--type", "indicator"]);
    let bundle: Value = serde_json::from_slice(&export.stdout).unwrap();
    let objects = bundle["objects"].as_array().unwrap();
    assert_eq!(objects.len(), 1);
    assert_eq!(objects[0]["name"], "C2 server (updated)");
}

#[test]
fn unreadable_input_is_reported_with_its_position() {
    let tmp = tempfile::tempdir().unwrap();
    init(tmp.path());
    let cases: [(&str, &[u8], &str); 4] = [
        (
            "broken.json",
            b"{\"type\": \"bundle\",\n \"objects\": [}",
            "line 2",
        ),
        ("number.json", b"42", "found a number"),
        ("latin1.json", b"{\"name\": \"caf\xe9\"}", "line 1"),
        ("missing.json", b"", "EOF"),
    ];
    for (name, bytes, expect) in cases {
        let f = tmp.path().join(name);
        std::fs::write(&f, bytes).unwrap();
        let out = run(tmp.path(), &["import", f.to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(2), "{name}");
        assert!(stderr(&out).contains(expect), "{name}: {}", stderr(&out));
    }
    let out = run(
        tmp.path(),
        &["import", tmp.path().join("absent.json").to_str().unwrap()],
    );
    assert!(stderr(&out).contains("cannot read"), "{}", stderr(&out));
}

#[test]
fn objects_before_a_syntax_error_are_kept() {
    let tmp = tempfile::tempdir().unwrap();
    init(tmp.path());
    let a = r#"{"type":"url","spec_version":"2.1","id":"url--4f2a4a0e-0f2f-4f0d-8a87-c1d9d05b7e1f","value":"http://a.example/"}"#;
    let b = r#"{"type":"url","spec_version":"2.1","id":"url--5f2a4a0e-0f2f-4f0d-8a87-c1d9d05b7e1f","value":"http://b.example/"}"#;
    let f = tmp.path().join("truncated.json");
    std::fs::write(&f, format!("{{\"type\": \"bundle\", \"id\": \"bundle--5d0092c5-5f74-4287-9642-33f4c354e56d\",\n\"objects\": [\n{a},\n{b},\n{{\"type\": \"url\", \"val")).unwrap();
    let out = run(tmp.path(), &["import", f.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stdout(&out).contains("2 new"), "{}", stdout(&out));
    assert!(stderr(&out).contains("line 5"), "{}", stderr(&out));
    // The node's own objects from init are not urls.
    let export = run(tmp.path(), &["export", "--type", "url"]);
    let bundle: Value = serde_json::from_slice(&export.stdout).unwrap();
    assert_eq!(bundle["objects"].as_array().unwrap().len(), 2);
}

#[test]
fn corpus_export_passes_the_oasis_validator() {
    let Some(corpus) = corpus() else { return };
    let Some(validator) = stix2_validator() else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    init(tmp.path());
    let mut files: Vec<String> = std::fs::read_dir(corpus.join("stix"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    files.sort();
    let mut args = vec!["import"];
    args.extend(files.iter().map(String::as_str));
    let out = run(tmp.path(), &args);
    let so = stdout(&out);
    // Rejected: the relationship of the file marked INVALID, and the three artifacts of
    // the spec's SCO examples whose payloads are abbreviated (not base64).
    assert!(so.contains(" 4 rejected"), "{so}\n{}", stderr(&out));
    for line in stderr(&out).lines() {
        let expected = (line.contains("INVALID") && line.contains("$.created"))
            || (line.contains("sco-examples-bundle.json")
                && line.contains("payload_bin: must be base64"));
        assert!(expected, "unexpected rejection: {line}");
    }

    let again = run(tmp.path(), &args);
    assert!(
        stdout(&again).contains("0 new, 0 new versions"),
        "re-import changes nothing: {}",
        stdout(&again)
    );

    let export = tmp.path().join("export.json");
    let out = run(tmp.path(), &["export", "-o", export.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let bundle: Value = serde_json::from_slice(&std::fs::read(&export).unwrap()).unwrap();
    assert!(bundle["objects"].as_array().unwrap().len() > 2000);

    let check = Command::new(&validator).arg(&export).output().unwrap();
    let report = String::from_utf8_lossy(&check.stdout);
    let errors: Vec<&str> = report
        .lines()
        .filter(|l| l.trim_start().starts_with("[X]") && !l.contains("STIX JSON: Invalid"))
        .collect();
    assert!(
        errors.is_empty(),
        "stix2-validator found errors:\n{}",
        errors.join("\n")
    );
    assert!(report.contains("STIX JSON: Valid"), "{report}");
}
