//! Helpers of the formats tests: the shared corpus, and running an importer to the end.

#![allow(dead_code)]

use std::path::PathBuf;

use concord_formats::{FormatError, Item};
use serde_json::Value;

/// The shared corpus, or `None` (loudly) outside CI.
pub fn corpus() -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus");
    if dir.is_dir() {
        return Some(dir);
    }
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "CI=true but the corpus is missing at {}",
        dir.display()
    );
    eprintln!("SKIPPED: the shared corpus is not at {}", dir.display());
    None
}

/// What an importer handed over.
#[derive(Default, Debug)]
pub struct Collected {
    /// Objects.
    pub objects: Vec<Value>,
    /// Errors.
    pub errors: Vec<FormatError>,
    /// Warnings.
    pub warnings: Vec<FormatError>,
}

impl Collected {
    /// Keeps an item.
    pub fn push(&mut self, i: Item) -> bool {
        match i {
            Item::Object(v) => self.objects.push(v),
            Item::Error(e) => self.errors.push(e),
            Item::Warning(e) => self.warnings.push(e),
        }
        true
    }

    /// The objects of one type.
    pub fn of_type(&self, ty: &str) -> Vec<&Value> {
        self.objects.iter().filter(|o| o["type"] == ty).collect()
    }

    /// Every object is valid STIX and every STIX pattern parses.
    pub fn assert_valid(&self) {
        for o in &self.objects {
            concord_stix::Object::from_value(o.clone())
                .unwrap_or_else(|e| panic!("invalid object {o}: {e}"));
            if o["type"] == "indicator" && o["pattern_type"] == "stix" {
                let p = o["pattern"].as_str().unwrap();
                concord_pattern::parse(p).unwrap_or_else(|e| panic!("{p}: {e}"));
            }
        }
    }
}

/// "Now" of the tests.
pub const NOW: &str = "2026-11-22T00:00:00.000Z";
