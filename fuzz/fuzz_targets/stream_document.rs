//! Fuzzes the streaming reader: never panics, and reports as many objects as it handed
//! over. (Equality with `parse_document` is a unit test; with duplicate JSON keys the two
//! readers may legitimately differ, since JSON leaves duplicates undefined.)
#![no_main]

use concord_stix::input::stream_document;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut streamed = 0usize;
    if let Ok(n) = stream_document(data, &mut |_| {
        streamed += 1;
        true
    }) {
        assert_eq!(n, streamed);
    }
});
