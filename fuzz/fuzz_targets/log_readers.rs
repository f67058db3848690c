//! Fuzzes every log reader: arbitrary bytes never panic, every error names a line that
//! exists in the input, and matching (which reads one-per-line and EVE input in place,
//! in batches) counts the same observations and malformed lines as the readers yield;
//! a one-per-line observation is what `detect` makes of its line.
#![no_main]

use std::sync::Arc;

use concord_matcher::readers::{Format, read};
use concord_matcher::{Index, Matcher};
use libfuzzer_sys::fuzz_target;

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
});
