//! ARCHITECTURE.md stays true: every crate under `crates/` has a section there, and every
//! crate named there exists.

use std::path::PathBuf;

#[test]
fn architecture_md_names_exactly_the_crates() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let text = std::fs::read_to_string(root.join("ARCHITECTURE.md")).unwrap();
    let mut on_disk: Vec<String> = std::fs::read_dir(root.join("crates"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    on_disk.sort();
    let mut documented: Vec<String> = text
        .lines()
        .filter_map(|l| l.strip_prefix("### `crates/"))
        .filter_map(|l| l.split('`').next())
        .map(str::to_owned)
        .collect();
    documented.sort();
    assert_eq!(on_disk, documented, "crates/ and ARCHITECTURE.md disagree");
}
