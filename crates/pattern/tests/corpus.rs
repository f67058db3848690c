//! Every pattern of the shared corpus is accepted, every invalid one is rejected.

mod common;

#[test]
fn corpus_valid_patterns_are_accepted() {
    let Some(dir) = common::corpus_dir() else {
        return;
    };
    let text = std::fs::read_to_string(dir.join("patterns.txt")).expect("patterns.txt");
    let mut failures = Vec::new();
    let mut count = 0;
    for line in text.lines().filter(|l| !l.is_empty()) {
        count += 1;
        match concord_pattern::parse(line) {
            Ok(p) => {
                let printed = p.to_string();
                let again = concord_pattern::parse(&printed);
                assert_eq!(
                    again.as_ref().ok(),
                    Some(&p),
                    "round trip of {line} via {printed}: {again:?}"
                );
            }
            Err(e) => failures.push(format!("{line}\n    {e}")),
        }
    }
    assert!(count > 600, "only {count} patterns");
    assert!(
        failures.is_empty(),
        "{} of {count} rejected:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn corpus_invalid_patterns_are_rejected() {
    let Some(dir) = common::corpus_dir() else {
        return;
    };
    let text =
        std::fs::read_to_string(dir.join("patterns-invalid.tsv")).expect("patterns-invalid.tsv");
    let mut accepted = Vec::new();
    for line in text.lines().skip(1) {
        let pattern = line.split('\t').next().unwrap_or_default();
        if concord_pattern::parse(pattern).is_ok() {
            accepted.push(pattern.to_string());
        }
    }
    assert!(
        accepted.is_empty(),
        "accepted invalid patterns:\n{}",
        accepted.join("\n")
    );
}
