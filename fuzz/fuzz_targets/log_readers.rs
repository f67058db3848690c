//! Fuzzes every log reader: arbitrary bytes never panic, every error names a line that
//! exists in the input, and matching (which reads one-per-line and EVE input in place,
//! in batches) counts the same observations and malformed lines as the readers yield.
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
        let report = matcher.match_reader(data, &format);
        assert_eq!((report.observations, report.malformed), (ok, bad), "{name}");
    }
});
