//! Fuzzes every log reader: arbitrary bytes never panic, and every error names a line that
//! exists in the input.
#![no_main]

use concord_matcher::readers::{Format, read};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let lines = data.split(|&b| b == b'\n').count() as u64;
    for name in ["eve", "zeek", "ecs", "csv", "lines", "stix"] {
        let format = Format::from_name(name).expect("known format");
        for record in read(data, &format) {
            match record {
                Ok(obs) => {
                    let _ = obs.to_eval(concord_pattern::Timestamp::from_unix_nanos(0).expect("epoch"));
                }
                Err(e) => assert!(e.line >= 1 && e.line <= lines.max(1), "{name}: {e} of {lines} lines"),
            }
        }
    }
});
