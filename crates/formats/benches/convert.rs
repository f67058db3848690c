//! Conversion throughput without the store: MISP events (a `response` document or feed
//! event files) to STIX objects, each validated as the import path does
//! (`Object::from_value`). `cargo bench -p concord-formats --bench convert -- FILE...`
//! (bench/formats generates large inputs).

use std::time::Instant;

use concord_formats::{Item, Source, misp};

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
    let mut convert_only = std::time::Duration::ZERO;
    let start = Instant::now();
    for f in &files {
        let file = std::fs::File::open(f).expect("readable file");
        let mut batch = Vec::new();
        let t = Instant::now();
        misp::import::read(file, &source, &mut |i| {
            match i {
                Item::Object(v) => {
                    if let Some(ext) = misp::extension_of(&v) {
                        attributes += ext
                            .get("attributes")
                            .and_then(|a| a.as_array())
                            .map_or(1, Vec::len);
                    }
                    batch.push(v);
                }
                _ => errors += 1,
            }
            true
        })
        .expect("readable MISP");
        convert_only += t.elapsed();
        for v in batch {
            concord_stix::Object::from_value(v).expect("valid object");
            objects += 1;
        }
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "{attributes} attributes -> {objects} objects ({errors} errors) in {secs:.2} s: {:.0} attributes/s converted and validated; conversion alone {:.2} s ({:.0} attributes/s)",
        attributes as f64 / secs,
        convert_only.as_secs_f64(),
        attributes as f64 / convert_only.as_secs_f64()
    );
}
