//! Fuzzes the MISP JSON reader: it never panics, and every object it hands over is valid
//! STIX with a pattern that parses (the importer's promise).
#![no_main]

use concord_formats::{Item, Source, misp::import};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let source = Source::new("fuzz", "2026-01-01T00:00:00.000Z");
    let _ = import::read(data, &source, &mut |item| {
        if let Item::Object(v) = item {
            let obj = concord_stix::Object::from_value(v.clone())
                .unwrap_or_else(|e| panic!("invalid object {v}: {e}"));
            if obj.type_name() == "indicator" && obj.str("pattern_type") == Some("stix") {
                let p = obj.str("pattern").unwrap_or_default();
                concord_pattern::parse(p).unwrap_or_else(|e| panic!("{p}: {e}"));
            }
        }
        true
    });
});
