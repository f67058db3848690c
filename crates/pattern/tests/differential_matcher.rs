//! Differential test of the evaluator against the OASIS `stix2-matcher` (STIX 2.1 mode):
//! corpus and generated patterns, each against generated observed-data, in one Python run.

mod common;

use std::collections::BTreeMap;

use common::generate::{Rng, observation_expr};
use concord_pattern::Timestamp;
use concord_pattern::eval::{Observation, matches};
use serde_json::{Value, json};

const STRINGS: &[&str] = &[
    "a.example",
    "b.example",
    "10.1.2.3",
    "192.168.0.1",
    "x'y",
    "abcz",
    "a_c",
    "10.0.0.0/8",
];

fn pick_value(r: &mut Rng) -> Value {
    match r.below(6) {
        0 => json!(42),
        1 => json!(1.5),
        2 => json!(r.chance(50)),
        3 => json!("d41d8cd98f00b204e9800998ecf8427e"),
        _ => json!(STRINGS[r.below(STRINGS.len())]),
    }
}

/// A few SCOs of the types the generated patterns use, with values from the same pools.
fn objects(r: &mut Rng, obs: usize) -> BTreeMap<String, Value> {
    let mut m = BTreeMap::new();
    let id = |t: &str, n: usize| format!("{t}--00000000-0000-4000-8000-{:06}{:06}", obs, n);
    let ip = id("ipv4-addr", 1);
    let ip_value = ["10.1.2.3", "192.168.0.1", "10.0.0.0/8"][r.below(3)];
    m.insert(ip.clone(), json!({"type": "ipv4-addr", "value": ip_value}));
    let addr = id("email-addr", 2);
    m.insert(
        addr.clone(),
        json!({"type": "email-addr", "value": pick_value(r)}),
    );
    if r.chance(60) {
        m.insert(
            id("network-traffic", 3),
            json!({"type": "network-traffic", "src_ref": ip, "dst_port": pick_value(r)}),
        );
    }
    if r.chance(60) {
        m.insert(
            id("email-message", 4),
            json!({"type": "email-message", "to_refs": [addr]}),
        );
    }
    if r.chance(70) {
        m.insert(id("file", 5), json!({"type": "file", "name": pick_value(r), "size": pick_value(r),
            "hashes": {"MD5": "d41d8cd98f00b204e9800998ecf8427e", "SHA-256": pick_value(r)},
            "magic_number_hex": "ffd8", "created": "2024-01-01T00:00:00Z",
            "extensions": {"windows-pebinary-ext": {"sections": [{"entropy": 7.5}, {"entropy": pick_value(r)}]}}}));
    }
    for t in [
        "domain-name",
        "url",
        "process",
        "x-custom",
        "artifact",
        "user-account",
    ] {
        if r.chance(40) {
            let mut o = json!({"type": t, "value": pick_value(r), "command_line": pick_value(r),
                "odd key": [pick_value(r)], "is_admin": r.chance(50)});
            if t == "artifact" {
                o["payload_bin"] = json!("aGVsbG8=");
            }
            m.insert(id(t, 10 + r.below(1000)), o);
        }
    }
    m
}

fn observations(r: &mut Rng) -> Vec<Observation> {
    let base = 1_704_067_200i64; // 2024-01-01T00:00:00Z
    (0..1 + r.below(3))
        .map(|i| {
            let first = base + i64::try_from(r.below(400)).unwrap_or(0);
            let last = first + i64::try_from(r.below(30)).unwrap_or(0);
            let ts = |s: i64| {
                Timestamp::from_unix_nanos(i128::from(s) * 1_000_000_000).expect("in range")
            };
            let mut o = Observation::new(ts(first), ts(last), 1 + r.below(3) as u64);
            o.objects = objects(r, i);
            o
        })
        .collect()
}

fn to_json(obs: &[Observation]) -> Value {
    Value::Array(
        obs.iter()
            .map(|o| json!({"first_observed": o.first_observed.to_string(), "last_observed": o.last_observed.to_string(),
                "number_observed": o.number_observed, "objects": o.objects}))
            .collect(),
    )
}

#[test]
fn evaluator_matches_stix2_matcher() {
    let Some(python) = common::python_with("stix2matcher") else {
        return;
    };
    let mut patterns: Vec<String> = Vec::new();
    if let Some(dir) = common::corpus_dir() {
        let text = std::fs::read_to_string(dir.join("patterns.txt")).expect("patterns.txt");
        patterns.extend(text.lines().map(str::to_string));
    }
    let mut rng = Rng(0xdead_beef_0bad_cafe);
    for _ in 0..2500 {
        patterns.push(observation_expr(&mut rng, 0));
    }
    // Only what both sides accept: strict parsing keeps qualifiers meaningful.
    patterns.retain(|p| concord_pattern::parse_strict(p).is_ok());
    let mut cases = Vec::new();
    let mut lines = String::new();
    for p in &patterns {
        for _ in 0..3 {
            let obs = observations(&mut rng);
            lines.push_str(&json!({"pattern": p, "observations": to_json(&obs)}).to_string());
            lines.push('\n');
            cases.push((p.clone(), obs));
        }
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let input = dir.path().join("cases.jsonl");
    std::fs::write(&input, lines).expect("write");
    let theirs = common::run_script(&python, "match_observations.py", &input);
    assert_eq!(theirs.len(), cases.len());
    let (mut compared, mut matched, mut errors, mut bad) = (0, 0, 0, Vec::new());
    for ((p, obs), t) in cases.iter().zip(&theirs) {
        if t.starts_with("error") {
            errors += 1;
            continue;
        }
        compared += 1;
        let ours = matches(&concord_pattern::parse(p).expect("parses"), obs);
        matched += usize::from(ours);
        if ours != (t == "match") {
            bad.push(format!(
                "{p}\n    ours: {ours}, theirs: {t}\n    {}",
                to_json(obs)
            ));
        }
    }
    eprintln!(
        "differential matcher: {} cases ({} patterns), {compared} compared, {matched} matches, {errors} reference errors",
        cases.len(),
        patterns.len()
    );
    assert!(
        bad.is_empty(),
        "{} disagreements:\n{}",
        bad.len(),
        bad.iter().take(10).cloned().collect::<Vec<_>>().join("\n")
    );
}
