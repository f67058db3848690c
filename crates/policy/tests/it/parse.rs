//! The policy file parser: data-driven error and ok cases, and inputs that must not
//! make it panic.
//!
//! `tests/data/err/NAME.toml` must fail with the message in `NAME.err`;
//! `tests/data/ok/NAME.toml` must parse. `UPDATE_EXPECT=1` rewrites the `.err` files.

use std::fs;
use std::path::{Path, PathBuf};

use concord_policy::{
    DEFAULT_POLICY, IpScope, PeerList, Policy, PolicyError, PolicyErrorKind, VolumeLimit,
};
use concord_stix::Tlp;
use concord_stix::concord_ext::{Classification, Pap};
use proptest::prelude::*;

fn data(dir: &str) -> Vec<PathBuf> {
    let base = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(dir);
    let mut files: Vec<PathBuf> = fs::read_dir(&base)
        .unwrap_or_else(|e| panic!("{}: {e}", base.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no data in {}", base.display());
    files
}

#[test]
fn error_cases_give_the_expected_message() {
    for path in data("err") {
        let text = fs::read_to_string(&path).unwrap();
        let got = match Policy::parse(&text) {
            Ok(_) => "parsed without error".to_owned(),
            Err(e) => e.to_string(),
        };
        expect_test::expect_file![path.with_extension("err")].assert_eq(&format!("{got}\n"));
    }
}

#[test]
fn the_issues_example_error() {
    let text = fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/err/unknown-tlp.toml"),
    )
    .unwrap();
    let e = Policy::parse(&text).unwrap_err();
    assert_eq!(
        e.to_string(),
        format!(
            "policy.toml line 8, column 17: agreement[1].tlp: \"orange\" is not a TLP level \
             (accepted: {})",
            concord_stix::markings::TLP_SPELLINGS
        )
    );
    assert_eq!(
        (e.line, e.column, e.key.as_str()),
        (8, 17, "agreement[1].tlp")
    );
    assert!(matches!(e.kind, PolicyErrorKind::Value(_)));
}

#[test]
fn ok_cases_parse() {
    for path in data("ok") {
        let text = fs::read_to_string(&path).unwrap();
        if let Err(e) = Policy::parse(&text) {
            panic!("{}: {e}", path.display());
        }
    }
}

#[test]
fn the_full_format_is_read() {
    let text = fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/ok/eu-certs.toml"),
    )
    .unwrap();
    let p = Policy::parse(&text).unwrap();
    assert_eq!(p.unmarked_tlp, Tlp::Amber);
    assert_eq!(p.detectors.constituency.len(), 3);
    assert_eq!(p.detectors.constituency[2].to_string(), "198.51.100.7/32");
    assert_eq!(p.detectors.constituency_category, "victim-identity");
    let [eu, rest] = p.agreements() else {
        panic!("two agreements expected")
    };
    assert_eq!(eu.name, "eu-certs");
    assert_eq!(eu.countries, ["DE", "FR"]);
    assert_eq!(eu.tlp, [Tlp::Clear, Tlp::Green, Tlp::Amber]);
    assert_eq!(eu.max_classification, Classification::Important);
    assert_eq!(eu.deny_categories, ["critical-infrastructure"]);
    assert_eq!(
        eu.volume_limit,
        Some(VolumeLimit {
            objects: 50000,
            per_secs: 86400
        })
    );
    assert_eq!(eu.redaction.drop, ["x_internal_note"]);
    assert_eq!(eu.redaction.ipv4_prefix, Some(24));
    assert_eq!(eu.redaction.ipv6_prefix, Some(48));
    assert_eq!(eu.redaction.ip_scope, IpScope::Constituency);
    assert!(eu.redaction.hash_emails && eu.redaction.hash_names);
    assert_eq!(rest.peers, PeerList::All);
    assert_eq!(rest.tlp, [Tlp::Clear, Tlp::Clear, Tlp::Green]);
    assert_eq!(rest.pap, Some(vec![Pap::Clear, Pap::Green]));
    // Without deny_categories: the default negative list.
    assert_eq!(rest.deny_categories.len(), 4);
}

#[test]
fn redact_categories_take_their_place_off_the_default_negative_list() {
    let p = Policy::parse(
        "[[agreement]]\nname = \"a\"\ntlp = [\"clear\"]\nredact_categories = [\"personal-information\"]\n",
    )
    .unwrap();
    let a = &p.agreements()[0];
    assert!(
        !a.deny_categories
            .contains(&"personal-information".to_owned())
    );
    assert!(a.deny_categories.contains(&"victim-identity".to_owned()));
}

#[test]
fn nesting_and_odd_input_do_not_panic() {
    let deep = format!("a = {}", "[".repeat(100_000));
    assert!(Policy::parse(&deep).is_err());
    let deep_tables = format!("a = {}", "{ b = ".repeat(50_000));
    assert!(Policy::parse(&deep_tables).is_err());
    for text in [
        "",
        "\u{feff}",
        "\0",
        "[[agreement]]",
        "agreement = []",
        "agreement = [1]",
        "[[agreement]]\nname = \"a\"\ntlp = [1]",
        "[[agreement]]\nname = \"a\"\ntlp = []\nvolume_limit = { objects = -1, per_secs = 1 }",
        "[[agreement]]\nname = \"a\"\ntlp = []\nvolume_limit = { objects = 1, per_secs = 0 }",
        "[[agreement]]\nname = \"a\"\ntlp = []\n[agreement.redaction]\nipv6_prefix = 99999999999999999999",
        "[detectors]\nconstituency = [\"::/0\", \"0.0.0.0/0\"]",
        "unmarked_tlp = 1979-05-27T07:32:00Z",
        "a.b.c = 1",
        "\"\u{1F600}\" = 1",
    ] {
        let _ = Policy::parse(text);
    }
}

fn mutate(base: &str, edits: &[(usize, u8, u8)]) -> String {
    let mut bytes = base.as_bytes().to_vec();
    for &(at, op, byte) in edits {
        if bytes.is_empty() {
            bytes.push(byte);
            continue;
        }
        let at = at % bytes.len();
        match op % 3 {
            0 => {
                bytes.remove(at);
            }
            1 => bytes.insert(at, byte),
            _ => bytes[at] = byte,
        }
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn parse_never_panics_on_any_text(text in "\\PC{0,400}") {
        let _ = Policy::parse(&text);
    }

    #[test]
    fn parse_never_panics_on_a_damaged_default_policy(
        edits in prop::collection::vec((any::<usize>(), any::<u8>(), prop::sample::select(
            b"[]{}=\",.\n#'\\ 0123456789abcdefghijklmnopqrstuvwxyz+-:".to_vec())), 1..8)
    ) {
        let text = mutate(DEFAULT_POLICY, &edits);
        match Policy::parse(&text) {
            Ok(_) => {}
            Err(PolicyError { line, column, .. }) => {
                prop_assert!(line >= 1 && line <= text.lines().count() + 1);
                prop_assert!(column >= 1);
            }
        }
    }
}
