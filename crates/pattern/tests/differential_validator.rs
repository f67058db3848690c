//! Differential test of the parser's verdicts against the OASIS validator
//! (`stix2patterns.validator.validate`, STIX 2.1) on the corpus and a few thousand
//! generated patterns, valid and subtly invalid.

mod common;

use common::generate::{Rng, pattern};
use concord_pattern::ErrorKind;

/// Where we reject what the reference accepts, on purpose. Each kind cites its reason.
fn allowed_disagreement(
    ours: &Result<concord_pattern::Pattern, concord_pattern::PatternError>,
    theirs: &str,
) -> bool {
    // The reference crashes (AttributeError) on `[-1]` indexes and `hashes[0]`; the grammar
    // (STIXPattern.g4 indexPathStep) accepts both.
    if theirs.starts_with("invalid: exception") {
        return ours.is_ok();
    }
    match ours {
        // STIX 2.1 section 9.6 specifies PCRE for MATCHES; we run what the `regex` crate
        // compiles (documented in validate.rs); the validator does not check regexes.
        Err(e) if theirs == "valid" => {
            matches!(e.kind, ErrorKind::InvalidRegex | ErrorKind::TooDeep)
        }
        _ => false,
    }
}

#[test]
fn verdicts_match_the_oasis_validator() {
    let Some(python) = common::python_with("stix2patterns") else {
        return;
    };
    let mut patterns: Vec<String> = Vec::new();
    if let Some(dir) = common::corpus_dir() {
        let valid = std::fs::read_to_string(dir.join("patterns.txt")).expect("patterns.txt");
        patterns.extend(valid.lines().map(str::to_string));
        let invalid = std::fs::read_to_string(dir.join("patterns-invalid.tsv")).expect("tsv");
        patterns.extend(
            invalid
                .lines()
                .skip(1)
                .filter_map(|l| l.split('\t').next())
                .map(str::to_string),
        );
    }
    let mut rng = Rng(0x5eed_1234_abcd_ef01);
    for _ in 0..4000 {
        patterns.push(pattern(&mut rng));
    }
    patterns.retain(|p| !p.contains(['\n', '\r']));
    let dir = tempfile::tempdir().expect("tempdir");
    let input = dir.path().join("patterns.txt");
    std::fs::write(&input, patterns.join("\n") + "\n").expect("write");
    let theirs = common::run_script(&python, "validate_patterns.py", &input);
    assert_eq!(theirs.len(), patterns.len());
    let (mut valid, mut allowed, mut bad) = (0, 0, Vec::new());
    for (p, t) in patterns.iter().zip(&theirs) {
        let ours = concord_pattern::parse(p);
        let agree = ours.is_ok() == (t == "valid");
        valid += usize::from(t == "valid");
        if !agree {
            if allowed_disagreement(&ours, t) {
                allowed += 1;
            } else {
                bad.push(format!(
                    "{p}\n    ours:   {:?}\n    theirs: {t}",
                    ours.map(|_| "valid")
                ));
            }
        }
    }
    eprintln!(
        "differential validator: {} patterns, {valid} valid per reference, {allowed} allowed disagreements",
        patterns.len()
    );
    assert!(
        bad.is_empty(),
        "{} disagreements:\n{}",
        bad.len(),
        bad.iter().take(30).cloned().collect::<Vec<_>>().join("\n")
    );
}
