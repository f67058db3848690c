//! Fuzzes every log reader: arbitrary bytes never panic, every error names a line that
//! exists in the input, and matching (which reads one-per-line and EVE input in place,
//! in batches) counts the same observations and malformed lines as the readers yield;
//! a one-per-line observation is what `detect` makes of its line; and matching one-per-line
//! input (which makes no observations for values in canonical form) against an index of
//! every kind gives the sightings that matching each observation of the reader gives.
#![no_main]

use std::sync::{Arc, OnceLock};

use concord_matcher::readers::{Format, read};
use concord_matcher::{Index, IndicatorInput, Matcher, Observable, MAX_VALUES};
use concord_pattern::Timestamp;
use libfuzzer_sys::fuzz_target;

/// An index with short values of every kind (easy for the fuzzer to find), a block, a
/// domain with its subdomains and an indicator the evaluator decides.
fn indexed() -> &'static Matcher {
    static M: OnceLock<Matcher> = OnceLock::new();
    M.get_or_init(|| {
        let t = |s| Timestamp::parse(s).expect("time");
        let patterns = [
            "[domain-name:value = 'a.b']",
            "[domain-name:value = 'c.d']",
            "[ipv4-addr:value = '1.2.3.4']",
            "[ipv4-addr:value ISSUBSET '10.0.0.0/8']",
            "[ipv4-addr:value = '10.1.1.1' OR ipv4-addr:value ISSUBSET '10.1.0.0/16']",
            "[ipv6-addr:value = '::1']",
            "[url:value = 'http://a.b/']",
            "[email-addr:value = 'a@b.c']",
            "[file:hashes.MD5 = '00000000000000000000000000000000']",
            "[file:hashes.'SHA-1' = '0000000000000000000000000000000000000000']",
            "[mac-addr:value = '00:00:00:00:00:00']",
            "[autonomous-system:number = 1]",
            "[domain-name:value = 'e.f' AND domain-name:value LIKE 'e%']",
        ];
        let inputs: Vec<IndicatorInput> = patterns
            .iter()
            .enumerate()
            .map(|(i, p)| {
                let id = format!("indicator--00000000-0000-4000-8000-{i:012}");
                let mut ind = IndicatorInput::new(id, *p, t("2025-01-01T00:00:00Z"));
                if i == 1 {
                    ind.labels.push("match-subdomains".into());
                }
                ind
            })
            .collect();
        let (index, errors) = Index::build(&inputs, t("2026-01-01T00:00:00Z"));
        assert!(errors.is_empty(), "{errors:?}");
        Matcher::new(Arc::new(index))
    })
}

fuzz_target!(|data: &[u8]| {
    let lines = data.split(|&b| b == b'\n').count() as u64;
    let matcher = Matcher::new(Arc::new(Index::new()));
    for name in ["eve", "zeek", "ecs", "csv", "lines", "stix"] {
        let format = Format::from_name(name).expect("known format");
        let (mut ok, mut bad) = (0u64, 0u64);
        for record in read(data, &format) {
            match record {
                Ok(obs) => {
                    ok += 1;
                    let _ = obs.to_eval(concord_pattern::Timestamp::from_unix_nanos(0).expect("epoch"));
                }
                Err(e) => {
                    bad += 1;
                    assert!(e.line >= 1 && e.line <= lines.max(1), "{name}: {e} of {lines} lines");
                }
            }
        }
        if name == "lines" {
            // Each one-per-line observation (read in place, with shortcuts for the
            // commonest shapes) is what the public `detect` makes of its line.
            let raw: Vec<&[u8]> = data.split(|&b| b == b'\n').collect();
            for obs in read(data, &format).flatten() {
                let text = std::str::from_utf8(raw[obs.line as usize - 1]).expect("read as UTF-8");
                let expected = concord_matcher::readers::detect(text.trim());
                assert_eq!(Some(&obs.observables[..]), expected.as_ref().map(std::slice::from_ref), "{text:?}");
            }
        }
        let report = matcher.match_reader(data, &format);
        assert_eq!((report.observations, report.malformed), (ok, bad), "{name}");
    }
    // Sightings of one-per-line input: (indicator, count, distinct values in first-hit
    // order), as each observation of the reader matched on its own gives them.
    let m = indexed();
    let mut expected: Vec<(String, u64, Vec<Observable>)> = Vec::new();
    for obs in read(data, &Format::Lines).flatten() {
        for hit in m.match_observation(&obs) {
            let at = match expected.iter().position(|e| e.0 == hit.indicator_id) {
                Some(at) => at,
                None => {
                    expected.push((hit.indicator_id.clone(), 0, Vec::new()));
                    expected.len() - 1
                }
            };
            let e = &mut expected[at];
            e.1 += 1;
            if let Some(ob) = hit.observable
                && !e.2.contains(&ob)
                && e.2.len() < MAX_VALUES
            {
                e.2.push(ob);
            }
        }
    }
    let report = m.match_reader(data, &Format::Lines);
    let got: Vec<(String, u64, Vec<Observable>)> = report
        .sightings
        .into_iter()
        .map(|s| (s.indicator_id, s.count, s.values))
        .collect();
    assert_eq!(got, expected);
});
