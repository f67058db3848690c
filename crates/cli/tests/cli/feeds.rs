//! `concord feed run` of a MISP feed whose events go through one import: an event that
//! cannot be fetched or read does not stop the others, and only it is fetched again.

use crate::common::*;
use crate::formats::{add_feeds, feed_run};

/// The `N new` figure of a feed run's summary line.
fn new_objects(summary: &str) -> usize {
    summary
        .split(": ")
        .flat_map(|part| part.split(", "))
        .find_map(|f| f.strip_suffix(" new").and_then(|n| n.trim().parse().ok()))
        .unwrap_or_else(|| panic!("no `N new` in {summary}"))
}

#[test]
fn a_misp_feed_run_imports_the_good_events_and_fetches_only_the_bad_ones_again() {
    let Some(corpus) = corpus() else { return };
    let tmp = tempfile::tempdir().unwrap();
    init(tmp.path());
    let feed = tmp.path().join("site");
    std::fs::create_dir(&feed).unwrap();
    for e in std::fs::read_dir(corpus.join("misp/feed")).unwrap() {
        let p = e.unwrap().path();
        std::fs::copy(&p, feed.join(p.file_name().unwrap())).unwrap();
    }
    // A third event the manifest lists but the feed does not hold, and the second one
    // cut in half (truncated JSON).
    let manifest_at = feed.join("manifest.json");
    let mut manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&manifest_at).unwrap()).unwrap();
    let missing = "0b4d6f1e-2c3a-4d5e-8f90-a1b2c3d4e5f6";
    let mut entry = manifest["5721c2e4-05ec-4af3-9264-411b950d210f"].clone();
    entry["info"] = "an event not on the server".into();
    manifest[missing] = entry;
    std::fs::write(&manifest_at, manifest.to_string()).unwrap();
    let cut_at = feed.join("57e27c3d-17a8-4c3b-8195-493e950d210f.json");
    let whole = std::fs::read(&cut_at).unwrap();
    std::fs::write(&cut_at, &whole[..whole.len() / 2]).unwrap();
    add_feeds(
        tmp.path(),
        &format!(
            "\n[[feeds]]\nname = \"local\"\nurl = \"{}\"\nformat = \"misp-feed\"\n",
            feed.display()
        ),
    );

    let (code, so, se) = feed_run(tmp.path(), "local");
    assert_eq!(code, Some(2), "{so}{se}");
    // The good event is stored whole; the cut one up to where it breaks.
    assert!(new_objects(&so) > 0, "{so}");
    assert!(so.contains("2 events fetched"), "{so}");
    assert!(so.contains(&format!("{missing}.json")), "{so}");
    assert!(
        so.contains("57e27c3d-17a8-4c3b-8195-493e950d210f.json: could not be read completely"),
        "{so}"
    );
    assert!(
        !so.contains("5721c2e4-05ec-4af3-9264-411b950d210f.json: could not"),
        "{so}"
    );

    // Again: the good event is not fetched again, the cut one is (the missing one is
    // tried and still missing).
    let (code, so, _) = feed_run(tmp.path(), "local");
    assert_eq!(code, Some(2), "{so}");
    assert!(so.contains("1 events fetched"), "{so}");

    // Repaired: the rest of the cut event arrives.
    std::fs::write(&cut_at, &whole).unwrap();
    let (_, so, _) = feed_run(tmp.path(), "local");
    assert!(so.contains("1 events fetched"), "{so}");
    assert!(new_objects(&so) > 0, "{so}");
    let (_, so, _) = feed_run(tmp.path(), "local");
    assert!(so.contains("0 events fetched"), "{so}");
}
