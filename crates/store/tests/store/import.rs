//! The shared import path: per-object results, and indicators whose pattern does not
//! parse are rejected with the parser's position while the rest of the batch is kept.

use concord_store::Store;
use concord_store::import::{ObjectResult, import_values};
use concord_store::sqlite::SqliteStore;
use serde_json::json;

fn indicator(id: &str, pattern: &str) -> serde_json::Value {
    json!({"type": "indicator", "spec_version": "2.1", "id": id,
        "created": "2024-01-01T00:00:00.000Z", "modified": "2024-01-01T00:00:00.000Z",
        "pattern": pattern, "pattern_type": "stix", "valid_from": "2024-01-01T00:00:00Z"})
}

#[test]
fn indicator_with_a_bad_pattern_is_rejected_and_the_rest_kept() {
    let store = SqliteStore::open_in_memory().unwrap();
    let good = "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f";
    let bad = "indicator--a932fcc6-e032-476c-826f-cb970a5a1ade";
    let other = "indicator--b932fcc6-e032-476c-826f-cb970a5a1ade";
    let mut other_type = indicator(other, "alert tcp any any -> any any");
    other_type["pattern_type"] = json!("snort");
    let values = vec![
        indicator(good, "[ipv4-addr:value = '198.51.100.1']"),
        indicator(bad, "[ipv4-addr:value = '198.51.100.1' AND]"),
        other_type,
    ];
    let mut results = Vec::new();
    let summary = import_values(&store, values, 10, &mut |r| results.extend_from_slice(r)).unwrap();
    assert_eq!((summary.new, summary.rejected), (2, 1));
    let rejected: Vec<_> = results
        .iter()
        .filter_map(|r| match r {
            ObjectResult::Rejected { id, reasons, .. } => Some((id.clone(), reasons.clone())),
            ObjectResult::Accepted { .. } => None,
        })
        .collect();
    assert_eq!(rejected.len(), 1);
    assert_eq!(rejected[0].0.as_deref(), Some(bad));
    let reason = &rejected[0].1[0];
    assert_eq!(
        (reason.path.as_str(), reason.rule),
        ("$.pattern", "pattern")
    );
    assert!(
        reason
            .message
            .starts_with("invalid STIX pattern: at 37: expected an object type"),
        "{}",
        reason.message
    );
    assert!(store.get(good).unwrap().is_some());
    assert!(store.get(bad).unwrap().is_none());
}
