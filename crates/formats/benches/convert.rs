//! Conversion throughput without the store: MISP events (a `response` document or feed
//! event files) to STIX objects, each validated as the import path does
//! (`Object::from_value`) as soon as it is handed over, so that peak memory shows what
//! the reader itself holds. `cargo bench -p concord-formats --bench convert -- FILE...`
//! (bench/formats generates large inputs and reports peak RSS).

use std::time::Instant;

use concord_formats::{Item, Source, misp};

// The allocator of the `concord` binary, so that the figures compare with its imports.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let files: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    if files.is_empty() {
        eprintln!("usage: cargo bench -p concord-formats --bench convert -- FILE...");
        return;
    }
    let source = Source::new("bench", "2026-01-01T00:00:00.000Z");
    let (mut objects, mut errors, mut attributes) = (0usize, 0usize, 0usize);
    let mut validating = std::time::Duration::ZERO;
    let start = Instant::now();
    for f in &files {
        let file = std::fs::File::open(f).expect("readable file");
        misp::import::read(file, &source, &mut |i| {
            match i {
                Item::Object(v) => {
                    if let Some(ext) = misp::extension_of(&v)
                        && ext.get("event").is_none()
                    {
                        attributes += ext
                            .get("attributes")
                            .and_then(|a| a.as_array())
                            .map_or(1, Vec::len);
                    }
                    let t = Instant::now();
                    concord_stix::Object::from_value(v).expect("valid object");
                    validating += t.elapsed();
                    objects += 1;
                }
                _ => errors += 1,
            }
            true
        })
        .expect("readable MISP");
    }
    let secs = start.elapsed().as_secs_f64();
    let convert = secs - validating.as_secs_f64();
    println!(
        "{attributes} attributes -> {objects} objects ({errors} errors) in {secs:.2} s: {:.0} attributes/s converted and validated; conversion alone {convert:.2} s ({:.0} attributes/s), validation {:.2} s",
        attributes as f64 / secs,
        attributes as f64 / convert,
        validating.as_secs_f64()
    );
}
