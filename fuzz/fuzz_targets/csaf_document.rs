//! Fuzzes the CSAF importer (the section 6.1 checks, then the conversion): never a panic,
//! and every object of an accepted document is valid STIX.
#![no_main]

use concord_formats::{Item, Source, csaf};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let source = Source::new("fuzz", "2026-01-01T00:00:00.000Z");
    let _ = csaf::read(data, &source, &mut |item| {
        if let Item::Object(v) = item {
            concord_stix::Object::from_value(v.clone())
                .unwrap_or_else(|e| panic!("invalid object {v}: {e}"));
        }
        true
    });
});
