//! Fuzzes the plain and CSV feed readers (every preset, and one-value-per-line with kinds
//! guessed): never a panic, and every indicator valid with a pattern that parses.
#![no_main]

use concord_formats::plain::{self, Layout};
use concord_formats::{Item, Source};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let source = Source::new("fuzz", "2026-01-01T00:00:00.000Z");
    let mut layouts = plain::presets();
    layouts.push(Layout::guessing());
    let pick = data.first().copied().unwrap_or(0) as usize % layouts.len();
    let _ = plain::read(data, &layouts[pick], &source, &mut |item| {
        if let Item::Object(v) = item {
            concord_stix::Object::from_value(v.clone())
                .unwrap_or_else(|e| panic!("invalid object {v}: {e}"));
            if let Some(p) = v.get("pattern").and_then(|p| p.as_str()) {
                concord_pattern::parse(p).unwrap_or_else(|e| panic!("{p}: {e}"));
            }
        }
        true
    });
});
