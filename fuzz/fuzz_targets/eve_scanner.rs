//! Differential fuzzing of the EVE reader's scanner: on any line, it either gives up or
//! reads exactly what the `serde_json` `Value` path reads (observations and errors).
#![no_main]

use concord_matcher::readers::testing::eve_fast_and_serde;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    for line in text.split('\n') {
        let (fast, slow) = eve_fast_and_serde(line);
        if let Some(fast) = fast {
            assert_eq!(fast, slow, "{line:?}");
        }
    }
});
