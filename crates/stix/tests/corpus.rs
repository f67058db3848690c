//! Conformance: every object in the shared STIX corpus validates, and the file that the
//! corpus marks INVALID is rejected with the object id and property named.

use std::path::PathBuf;

use concord_stix::{Object, input::parse_document};

fn corpus() -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus/stix");
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

#[test]
fn every_corpus_object_validates() {
    let Some(dir) = corpus() else { return };
    let mut checked = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if path.extension().is_none_or(|e| e != "json") || name.contains("INVALID") {
            continue;
        }
        let objects = parse_document(&std::fs::read(&path).unwrap()).unwrap();
        for obj in objects {
            match Object::from_value(obj) {
                Ok(_) => checked += 1,
                // The spec's SCO examples abbreviate artifact payloads ("...= ..."), which
                // is not base64; the OASIS validator rejects them too.
                Err(e)
                    if name == "sco-examples-bundle.json"
                        && e.to_string().contains("payload_bin: must be base64") => {}
                Err(e) => panic!("{name}: {e}"),
            }
        }
    }
    assert!(checked > 2000, "only {checked} objects checked");
}

#[test]
fn invalid_timestamp_file_is_rejected_precisely() {
    let Some(dir) = corpus() else { return };
    let objects = parse_document(
        &std::fs::read(dir.join("using-tlp2.0-green-INVALID-timestamp.json")).unwrap(),
    )
    .unwrap();
    let errors: Vec<String> = objects
        .into_iter()
        .filter_map(|o| Object::from_value(o).err())
        .map(|e| e.to_string())
        .collect();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(
        errors[0].starts_with("relationship--1621d4d4-b67d-11e3-9670-f01faf20d111: $.created:"),
        "{}",
        errors[0]
    );
}
