//! Differential fuzzing of the EVE reader's scanner: on any line, it either gives up or
//! reads exactly what the `serde_json` `Value` path reads (observations and errors).
//! Except on lines holding `serde_json`'s private raw-value token as a member name: with
//! its `raw_value` feature (which axum turns on) `serde_json` reads that member's string
//! as embedded JSON, where the scanner reads the plain object the text is (see the test
//! `serde_json_private_raw_value_key_is_plain_json_to_the_scanner`).
#![no_main]

use concord_matcher::readers::testing::eve_fast_and_serde;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    for line in text.split('\n') {
        if line.contains("$serde_json::private::RawValue") {
            continue;
        }
        let (fast, slow) = eve_fast_and_serde(line);
        if let Some(fast) = fast {
            assert_eq!(fast, slow, "{line:?}");
        }
    }
});
