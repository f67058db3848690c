//! CSAF 2.0: the corpus advisories convert to valid STIX; the OASIS validator test
//! documents of every implemented mandatory test (section 6.1) fail with that test id,
//! and their valid counterparts pass.

mod common;

use common::*;
use concord_formats::Source;
use concord_formats::csaf::{self, mandatory};
use serde_json::Value;

fn convert(doc: &Value) -> Collected {
    let mut c = Collected::default();
    for i in csaf::convert(doc, &Source::new("csaf", NOW)) {
        c.push(i);
    }
    c
}

#[test]
fn corpus_advisories_convert_to_valid_stix() {
    let Some(dir) = corpus() else { return };
    let mut n = 0;
    for e in std::fs::read_dir(dir.join("csaf")).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_none_or(|x| x != "json") {
            continue;
        }
        let doc: Value = serde_json::from_slice(&std::fs::read(&p).unwrap()).unwrap();
        let c = convert(&doc);
        assert!(c.errors.is_empty(), "{}: {:?}", p.display(), c.errors);
        c.assert_valid();
        assert_eq!(c.of_type("report").len(), 1);
        n += 1;
    }
    assert!(n >= 9);
    // What an advisory becomes.
    let doc: Value =
        serde_json::from_slice(&std::fs::read(dir.join("csaf/bsi-2022-0001.json")).unwrap())
            .unwrap();
    let c = convert(&doc);
    let v = c.of_type("vulnerability");
    assert_eq!(v[0]["name"], "CVE-2022-27193");
    assert!(v[0]["external_references"].to_string().contains("CWE-611"));
    let ext = &v[0]["extensions"][csaf::EXTENSION_ID];
    assert_eq!(ext["scores"][0]["cvss_v3"]["baseScore"], 6.1);
    assert_eq!(c.of_type("software").len(), 6);
    let rels: Vec<&str> = c
        .of_type("relationship")
        .iter()
        .map(|r| r["relationship_type"].as_str().unwrap())
        .collect();
    assert_eq!(rels.iter().filter(|r| **r == "known-affected").count(), 5);
    assert!(rels.contains(&"remediates"));
    assert_eq!(
        v[0]["object_marking_refs"][0],
        concord_stix::Tlp::Clear.marking_id(),
        "TLP:WHITE is TLP 2.0 CLEAR"
    );
}

#[test]
fn oasis_validator_testcases_of_the_implemented_tests() {
    let Some(dir) = corpus() else { return };
    let base = dir.join("csaf/validator-tests");
    let cases: Value =
        serde_json::from_slice(&std::fs::read(base.join("testcases.json")).unwrap()).unwrap();
    let mut checked = 0;
    let mut problems = Vec::new();
    for t in cases["tests"].as_array().unwrap() {
        let id = t["id"].as_str().unwrap();
        if !mandatory::IMPLEMENTED.contains(&id) {
            continue;
        }
        for (key, must_fail) in [("failures", true), ("valid", false)] {
            for f in t[key].as_array().into_iter().flatten() {
                let name = f["name"].as_str().unwrap();
                let doc: Value =
                    serde_json::from_slice(&std::fs::read(base.join(name)).unwrap()).unwrap();
                let errors = mandatory::check(&doc);
                let hit = errors.iter().any(|e| e.test == Some(id));
                checked += 1;
                if must_fail && !hit {
                    problems.push(format!("{name}: should fail {id}; got {errors:?}"));
                }
                if !must_fail && !errors.is_empty() {
                    problems.push(format!("{name}: valid for {id} but {errors:?}"));
                }
            }
        }
    }
    assert!(
        problems.is_empty(),
        "{} of {checked}:\n{}",
        problems.len(),
        problems.join("\n")
    );
    assert!(checked > 100, "{checked}");
}

#[test]
fn a_broken_product_tree_is_rejected_with_test_id_and_path() {
    let doc = serde_json::json!({
        "document": {"category": "csaf_base", "csaf_version": "2.0", "title": "t",
            "publisher": {"category": "other", "name": "CERT-T", "namespace": "https://cert.example"},
            "tracking": {"id": "T-1", "current_release_date": "2024-01-01T00:00:00Z",
                "initial_release_date": "2024-01-01T00:00:00Z", "status": "final", "version": "1",
                "revision_history": [{"date": "2024-01-01T00:00:00Z", "number": "1", "summary": "x"}]}},
        "product_tree": {"full_product_names": [{"product_id": "P1", "name": "A"}, {"product_id": "P1", "name": "B"}]},
        "vulnerabilities": [{"cve": "CVE-2024-0001", "product_status": {"known_affected": ["P2"]}}]
    });
    let c = convert(&doc);
    assert!(
        c.objects.is_empty(),
        "nothing of a failing document is imported"
    );
    let msgs: Vec<String> = c.errors.iter().map(ToString::to_string).collect();
    assert!(msgs.contains(&"$.vulnerabilities[0].product_status.known_affected[0]: CSAF mandatory test 6.1.1: product id \"P2\" is not defined in the product tree".to_owned()), "{msgs:?}");
    assert!(
        msgs.iter().any(|m| m.starts_with(
            "$.product_tree.full_product_names[1].product_id: CSAF mandatory test 6.1.2"
        )),
        "{msgs:?}"
    );
}
