//! Integration tests: the corpus's indicators compiled and hit by their own values, the
//! sighting accepted by `concord-stix`, and the index agreeing with the evaluator.

use std::sync::Arc;

use concord_matcher::{
    Index, IndicatorInput, Kind, Matcher, Observable, Observation, readers::Format, to_sighting,
};
use concord_pattern::{Literal, Timestamp, observables};
use proptest::prelude::*;
use serde_json::Value;

const CORPUS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/corpus");

fn t(s: &str) -> Timestamp {
    Timestamp::parse(s).unwrap()
}

/// A current indicator numbered `n` with `pattern`.
fn indicator(n: u32, pattern: &str) -> IndicatorInput {
    IndicatorInput::new(
        format!("indicator--00000000-0000-4000-8000-{n:012}"),
        pattern,
        t("2000-01-01T00:00:00Z"),
    )
}

fn kind_of(path: &concord_pattern::ObjectPath) -> Option<Kind> {
    let p = path.to_string();
    Some(match p.as_str() {
        "ipv4-addr:value" => Kind::Ipv4,
        "ipv6-addr:value" => Kind::Ipv6,
        "domain-name:value" => Kind::Domain,
        "url:value" => Kind::Url,
        "email-addr:value" => Kind::Email,
        "file:hashes.MD5" => Kind::Md5,
        "file:hashes.'SHA-1'" => Kind::Sha1,
        "file:hashes.'SHA-256'" => Kind::Sha256,
        "file:name" => Kind::FileName,
        _ => return None,
    })
}

#[test]
fn corpus_indicators_are_hit_by_their_own_values() {
    let dir = std::path::Path::new(CORPUS).join("stix");
    let Ok(entries) = std::fs::read_dir(&dir) else {
        assert_ne!(
            std::env::var("CI").as_deref(),
            Ok("true"),
            "corpus missing at {}",
            dir.display()
        );
        eprintln!("!!! SKIPPED: corpus not found at {} !!!", dir.display());
        return;
    };
    let mut inds = Vec::new();
    for e in entries
        .flatten()
        .filter(|e| e.path().extension().is_some_and(|x| x == "json"))
    {
        let text = std::fs::read(e.path()).unwrap();
        // Every corpus file goes through the STIX reader without a panic.
        let _ = concord_matcher::readers::read(&text[..], &Format::Stix).count();
        let Ok(v) = serde_json::from_slice::<Value>(&text) else {
            continue;
        };
        let objects = v
            .get("objects")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        for o in objects
            .iter()
            .filter(|o| o["type"] == "indicator" && o["pattern_type"] != "sigma")
        {
            let (Some(id), Some(p)) = (o["id"].as_str(), o["pattern"].as_str()) else {
                continue;
            };
            inds.push(IndicatorInput::new(id, p, t("2000-01-01T00:00:00Z")));
        }
    }
    assert!(
        inds.len() > 20,
        "only {} indicators in the corpus",
        inds.len()
    );
    let (index, errors) = Index::build(&inds, t("2026-01-01T00:00:00Z"));
    let stats = index.stats();
    eprintln!(
        "corpus: {} indicators, {stats:?}, {} errors",
        inds.len(),
        errors.len()
    );
    let matcher = Matcher::new(Arc::new(index));
    let mut checked = 0;
    for ind in &inds {
        let Ok(p) = concord_pattern::parse(&ind.pattern) else {
            continue;
        };
        if !observables::is_simple(&p) {
            continue;
        }
        for po in observables::extract(&p) {
            let (Some(kind), Literal::Str(v)) = (kind_of(&po.path), &po.value) else {
                continue;
            };
            let Some(ob) = Observable::new(kind, v) else {
                continue;
            };
            let obs = Observation {
                observables: vec![ob],
                ..Observation::default()
            };
            let hits = matcher.match_observation(&obs);
            assert!(
                hits.iter().any(|h| h.indicator_id == ind.id),
                "{} not hit by {v}",
                ind.id
            );
            checked += 1;
        }
    }
    assert!(checked > 20, "only {checked} values checked");
}

#[test]
fn report_turns_into_a_valid_sighting() {
    let ind = IndicatorInput::new(
        "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
        "[domain-name:value = 'bad.example']",
        t("2025-01-01T00:00:00Z"),
    );
    let (index, _) = Index::build([&ind], t("2026-01-01T00:00:00Z"));
    let log = "bad.example\n!!\nok.example\nbad.example\n";
    let report = Matcher::new(Arc::new(index)).match_reader(log.as_bytes(), &Format::Lines);
    assert_eq!(
        (report.records, report.observations, report.malformed),
        (4, 3, 1)
    );
    assert_eq!(report.errors[0].line, 2);
    assert_eq!(report.sightings[0].count, 2);
    let s = to_sighting(
        &report.sightings[0],
        "identity--c3f8a7a3-0b5a-4a4e-9d8c-3a1f0e5f1a11",
        t("2026-01-01T00:00:00Z"),
    );
    concord_stix::Object::from_value(s.clone()).expect("valid sighting");
    let eve = "{\"timestamp\":\"2026-01-02T10:00:00Z\",\"dns\":{\"rrname\":\"bad.example\"}}\n{\"timestamp\":\"2026-01-01T09:00:00Z\",\"tls\":{\"sni\":\"bad.example\"}}\n";
    let (index, _) = Index::build([&ind], t("2026-01-01T00:00:00Z"));
    let report = Matcher::new(Arc::new(index)).match_reader(eve.as_bytes(), &Format::Eve);
    let s = to_sighting(
        &report.sightings[0],
        "identity--c3f8a7a3-0b5a-4a4e-9d8c-3a1f0e5f1a11",
        t("2026-01-03T00:00:00Z"),
    );
    assert_eq!(
        (s["first_seen"].as_str(), s["last_seen"].as_str()),
        (
            Some("2026-01-01T09:00:00.000Z"),
            Some("2026-01-02T10:00:00.000Z")
        )
    );
    concord_stix::Object::from_value(s).expect("valid sighting with first/last seen");
}

/// Canonical values (what readers produce), so that string equality in the evaluator and
/// normalised lookup in the index mean the same.
fn value() -> impl Strategy<Value = (Kind, String)> {
    prop_oneof![
        (0u8..4, 0u8..4).prop_map(|(a, b)| (Kind::Ipv4, format!("10.0.{a}.{b}"))),
        (0u8..4, prop_oneof![Just(24u8), Just(30), Just(32)])
            .prop_map(|(a, l)| (Kind::Ipv4, format!("10.0.{a}.0/{l}"))),
        (1u16..5).prop_map(|a| (Kind::Ipv6, format!("2001:db8::{a}"))),
        (0u8..4).prop_map(|a| (Kind::Domain, format!("h{a}.example"))),
        (0u8..4).prop_map(|a| (Kind::Url, format!("http://h{a}.example/p"))),
        (0u8..4).prop_map(|a| (Kind::Md5, format!("{a:032x}"))),
        (0u8..4).prop_map(|a| (Kind::Email, format!("u{a}@example.org"))),
    ]
}

fn comparison((kind, v): &(Kind, String), subset: bool) -> String {
    let path = match kind {
        Kind::Ipv4 => "ipv4-addr:value",
        Kind::Ipv6 => "ipv6-addr:value",
        Kind::Domain => "domain-name:value",
        Kind::Url => "url:value",
        Kind::Md5 => "file:hashes.MD5",
        _ => "email-addr:value",
    };
    let ip = matches!(kind, Kind::Ipv4 | Kind::Ipv6);
    if ip && (subset || v.contains('/')) {
        // `=` with a CIDR literal is indexed as a range on purpose; keep it out here.
        format!("{path} ISSUBSET '{v}'")
    } else {
        format!("{path} = '{v}'")
    }
}

proptest! {
    #[test]
    fn index_agrees_with_the_evaluator(
        inds in prop::collection::vec((prop::collection::vec((value(), any::<bool>()), 1..3), any::<bool>()), 1..6),
        seen in prop::collection::vec(value(), 1..4),
    ) {
        let inputs: Vec<IndicatorInput> = inds.iter().zip(0..).map(|((cmps, split), n)| {
            let parts: Vec<String> = cmps.iter().map(|(v, s)| comparison(v, *s)).collect();
            let pattern = if *split {
                parts.iter().map(|p| format!("[{p}]")).collect::<Vec<_>>().join(" OR ")
            } else {
                format!("[{}]", parts.join(" OR "))
            };
            indicator(n, &pattern)
        }).collect();
        let (index, errors) = Index::build(&inputs, t("2026-01-01T00:00:00Z"));
        prop_assert!(errors.is_empty());
        prop_assert_eq!(index.stats().indexed, inputs.len());
        let mut obs = Observation::default();
        for (k, v) in &seen {
            obs.push(*k, v);
        }
        let epoch = Timestamp::from_unix_nanos(0).unwrap();
        let as_eval = [obs.to_eval(epoch)];
        let matcher = Matcher::new(Arc::new(index));
        let hits = matcher.match_observation(&obs);
        // The batched path gives what one call per observation gives.
        let mut batch: Vec<Observation> = seen.iter().map(|(k, v)| {
            let mut o = Observation::default();
            o.push(*k, v);
            o
        }).collect();
        batch.push(obs.clone());
        let mut one_by_one = Vec::new();
        let mut out = Vec::new();
        for (n, o) in batch.iter().enumerate() {
            matcher.match_indexes(o, &mut out);
            one_by_one.extend(out.iter().map(|&(s, i)| (n, s, i)));
        }
        let mut batched = Vec::new();
        matcher.match_batch(&batch, &mut batched);
        prop_assert_eq!(batched, one_by_one);
        for ind in &inputs {
            let expected = concord_pattern::eval::matches(&concord_pattern::parse(&ind.pattern).unwrap(), &as_eval);
            let got = hits.iter().any(|h| h.indicator_id == ind.id);
            prop_assert_eq!(got, expected, "{} on {:?}", ind.pattern, seen);
        }
    }
}

/// One-per-line input goes through batches of 64 (`match_reader`'s fast path): counts,
/// first and last lines, order of first match and malformed lines must be those of reading
/// line by line, across batch borders and with errors between batches.
#[test]
fn one_per_line_batches_keep_counts_order_and_errors() {
    let inputs = [
        indicator(1, "[domain-name:value = 'evil.example']"),
        indicator(2, "[ipv4-addr:value = '198.51.100.1']"),
    ];
    let (index, errors) = Index::build(&inputs, t("2026-01-01T00:00:00Z"));
    assert!(errors.is_empty());
    let mut text = String::new();
    let (mut want_ip, mut want_domain, mut want_bad) = (0, 0, Vec::new());
    for k in 1..=300u64 {
        if k % 13 == 0 {
            text.push_str("%%% not a value\n");
            want_bad.push(k);
        } else if k % 7 == 0 {
            text.push_str("198.51.100.1\n");
            want_ip += 1;
        } else if k % 11 == 0 {
            text.push_str("Evil.Example\n");
            want_domain += 1;
        } else {
            text.push_str(&format!("192.0.2.{}\n", k % 250));
        }
    }
    let r = Matcher::new(Arc::new(index)).match_reader(text.as_bytes(), &Format::Lines);
    assert_eq!(r.records, 300);
    assert_eq!(r.malformed, want_bad.len() as u64);
    let lines: Vec<u64> = r.errors.iter().map(|e| e.line).collect();
    assert_eq!(lines, want_bad[..lines.len()]);
    // The IP first appears on line 7, the domain on line 11: order of first match.
    assert_eq!(r.sightings.len(), 2);
    assert_eq!(r.sightings[0].indicator_id, inputs[1].id);
    assert_eq!(r.sightings[0].count, want_ip);
    assert_eq!(r.sightings[1].indicator_id, inputs[0].id);
    assert_eq!(r.sightings[1].count, want_domain);
}

/// A sighting keeps the distinct values that hit, in order of first hit, at most
/// `MAX_VALUES`, whether it has fewer values than the report keeps hashes of inline or
/// many more, with values seen again in any order; on one thread and on two.
#[test]
fn sighting_values_are_distinct_in_first_hit_order() {
    let inputs = [
        indicator(1, "[ipv4-addr:value ISSUBSET '10.0.0.0/8']"),
        indicator(2, "[ipv4-addr:value ISSUBSET '10.0.0.0/30']"),
    ];
    let (index, errors) = Index::build(&inputs, t("2026-01-01T00:00:00Z"));
    assert!(errors.is_empty());
    let mut text = String::new();
    let mut seen: Vec<String> = Vec::new();
    for k in 0..2_000u64 {
        // Few values at first (0-5), then many, each coming back now and then.
        let v = if k < 300 { k * 7 % 6 } else { k * 7919 % 251 };
        let ip = format!("10.0.{}.{}", v / 256, v % 256);
        if !seen.contains(&ip) {
            seen.push(ip.clone());
        }
        text.push_str(&ip);
        text.push('\n');
    }
    for threads in [1, 2] {
        let m = Matcher::new(Arc::new(index.clone())).with_threads(threads);
        let r = m.match_reader(text.as_bytes(), &Format::Lines);
        let values = |s: usize| -> Vec<String> {
            r.sightings[s]
                .values
                .iter()
                .map(|o| o.value.clone())
                .collect()
        };
        assert_eq!(values(0), seen[..concord_matcher::MAX_VALUES]);
        let small: Vec<String> = seen
            .iter()
            .filter(|ip| ip.as_str() < "10.0.0.4" && ip.len() == 8)
            .cloned()
            .collect();
        assert_eq!(values(1), small, "{threads} threads");
    }
}

/// `match_batch` prepares and prefetches the lookups of 16 observations at a time and
/// fetches the input of the next windows ahead: over many windows, a last short one,
/// observations with no observable or several, and keys of every table, it gives what one
/// call per observation gives.
#[test]
fn batches_of_many_windows_equal_one_call_each() {
    let digest = |n: u64, len: usize| {
        let mut s = String::new();
        while s.len() < len {
            s.push_str(&format!(
                "{:016x}",
                n.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ s.len() as u64
            ));
        }
        s.truncate(len);
        s
    };
    let value = |n: u64| -> (Kind, String, &'static str) {
        match n % 7 {
            0 => (Kind::Md5, digest(n, 32), "file:hashes.MD5"),
            1 => (Kind::Sha256, digest(n, 64), "file:hashes.'SHA-256'"),
            2 => (
                Kind::Ipv4,
                format!("10.{}.{}.{}", n % 5, n % 250, n % 199),
                "ipv4-addr:value",
            ),
            3 => (
                Kind::Domain,
                format!("h{n}.example.com"),
                "domain-name:value",
            ),
            4 => (Kind::Url, format!("http://u{n}.example.net/p"), "url:value"),
            5 => (Kind::Email, format!("m{n}@example.org"), "email-addr:value"),
            _ => (Kind::Sha1, digest(n, 40), "file:hashes.'SHA-1'"),
        }
    };
    // Every third value is an indicator's.
    let mut inputs: Vec<IndicatorInput> = (0..300u32)
        .filter(|n| n % 3 == 0)
        .map(|n| {
            let (_, v, path) = value(n.into());
            indicator(n, &format!("[{path} = '{v}']"))
        })
        .collect();
    // Two the index cannot decide alone: the evaluator decides them on the observations
    // the index finds (one matches its observations, one never does).
    inputs.push(indicator(
        1_000,
        "[domain-name:value = 'h3.example.com' AND domain-name:value LIKE 'h%']",
    ));
    inputs.push(indicator(
        1_001,
        "[ipv4-addr:value = '10.2.2.2' AND ipv4-addr:value != '10.2.2.2']",
    ));
    let (index, errors) = Index::build(&inputs, t("2026-01-01T00:00:00Z"));
    assert!(errors.is_empty(), "{errors:?}");
    let stats = index.stats();
    assert_eq!(
        (stats.fallback, stats.every_observation),
        (2, 0),
        "{stats:?}"
    );
    let matcher = Matcher::new(Arc::new(index));
    // 16 * 6 + 5 observations; observation k holds k % 4 observables, observation 40
    // 40 (more keys than a window keeps on the stack).
    let mut n = 0;
    let batch: Vec<Observation> = (0..101)
        .map(|k| {
            let mut o = Observation::default();
            for _ in 0..if k == 40 { 40 } else { k % 4 } {
                let (kind, v, _) = value(n);
                assert!(o.push(kind, &v), "{v}");
                n += 1;
            }
            o
        })
        .collect();
    let mut one_by_one = Vec::new();
    let mut out = Vec::new();
    for (k, o) in batch.iter().enumerate() {
        matcher.match_indexes(o, &mut out);
        one_by_one.extend(out.iter().map(|&(s, i)| (k, s, i)));
    }
    assert!(one_by_one.len() > 40, "{}", one_by_one.len());
    // The evaluated indicator hit (slot 100: after the 100 plain ones), so did one of
    // the 40-observable observation's.
    assert!(one_by_one.iter().any(|h| h.1 == 100), "{one_by_one:?}");
    assert!(one_by_one.iter().any(|h| h.0 == 40), "{one_by_one:?}");
    let mut batched = Vec::new();
    matcher.match_batch(&batch, &mut batched);
    assert_eq!(batched, one_by_one);
    for len in [0, 1, 15, 16, 17, 32, 33, 48, 49] {
        matcher.match_batch(&batch[..len], &mut batched);
        let want: Vec<_> = one_by_one.iter().filter(|h| h.0 < len).copied().collect();
        assert_eq!(batched, want, "{len}");
    }
}
