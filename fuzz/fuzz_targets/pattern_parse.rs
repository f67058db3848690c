//! Fuzzes the STIX pattern parser: never panics on any bytes, and whatever it accepts
//! prints to text that parses back to the same tree.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(pattern) = concord_pattern::parse_bytes(data) {
        let printed = pattern.to_string();
        let again = concord_pattern::parse(&printed);
        assert_eq!(again.as_ref().ok(), Some(&pattern), "printed: {printed:?}, reparsed: {again:?}");
        let _ = concord_pattern::observables::is_simple(&pattern);
    }
});
