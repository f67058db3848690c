//! Issue 22, item 6: walking a collection by `added_after` = the last page's
//! `X-TAXII-Date-Added-Last` (as OpenCTI's TAXII ingestion and many scripts do) returns
//! exactly what walking it by `next` returns, whatever the size of the writes.

use concord_taxii::server::TaxiiConfig;
use serde_json::{Value, json};

use super::common::*;

/// The ids of a walk over `path`, page by page: by `next` tokens, or by `added_after` =
/// the previous page's last date added.
async fn walk(node: &Node, path: &str, limit: usize, by_date: bool) -> Vec<String> {
    let mut ids = Vec::new();
    let mut tail = String::new();
    loop {
        let a = node
            .get(&format!("{path}?limit={limit}{tail}"), READER)
            .await;
        assert_eq!(a.status, 200, "{}", a.body);
        let page = a.body["objects"].as_array().cloned().unwrap_or_default();
        ids.extend(page.iter().map(|o| o["id"].as_str().unwrap().to_owned()));
        if a.body["more"] != true {
            return ids;
        }
        assert!(!page.is_empty(), "an empty page says more follow");
        tail = if by_date {
            let last = a.headers["x-taxii-date-added-last"].to_str().unwrap();
            let dated: Vec<&str> = page
                .iter()
                .filter_map(|o| o["date_added"].as_str())
                .collect();
            if let Some(d) = dated.last() {
                assert_eq!(*d, last, "the header names the page's last entry");
            }
            format!("&added_after={last}")
        } else {
            format!("&next={}", a.body["next"].as_str().unwrap())
        };
    }
}

#[tokio::test]
async fn paging_by_added_after_returns_what_paging_by_next_returns() {
    let node = Node::new(TaxiiConfig::default());
    // Writes of 1 and 7 objects through TAXII, of 100 and 10,000 through the import path
    // (each one transaction: every object of it was stored at the same clock reading).
    let mut from = 0;
    for n in [1usize, 7] {
        let objects: Vec<Value> = (from..from + n).map(indicator).collect();
        let a = node
            .post(&objects_path(), ANALYST, &json!({ "objects": objects }))
            .await;
        assert_eq!(a.body["success_count"], n, "{}", a.body);
        from += n;
    }
    for n in [100usize, 10_000] {
        let objects: Vec<Value> = (from..from + n).map(indicator).collect();
        let mut reports = 0;
        concord_store::import::import_values(&*node.store, objects, n, &mut |_| reports += 1)
            .unwrap();
        assert_eq!(reports, 1, "one write");
        from += n;
    }
    let manifest = objects_path().replace("/objects/", "/manifest/");
    for path in [objects_path(), manifest] {
        for limit in [1_000, 97] {
            let by_next = walk(&node, &path, limit, false).await;
            assert_eq!(by_next.len(), from, "{path} limit {limit}");
            let by_date = walk(&node, &path, limit, true).await;
            assert_eq!(by_date, by_next, "{path} limit {limit}");
        }
    }
    // Every date added is distinct, and they increase with the order of storing.
    let manifest = objects_path().replace("/objects/", "/manifest/");
    let mut dates: Vec<String> = Vec::new();
    let mut tail = String::new();
    loop {
        let a = node
            .get(&format!("{manifest}?limit=1000{tail}"), READER)
            .await;
        dates.extend(
            a.body["objects"]
                .as_array()
                .unwrap()
                .iter()
                .map(|o| o["date_added"].as_str().unwrap().to_owned()),
        );
        match a.body["next"].as_str() {
            Some(next) if a.body["more"] == true => tail = format!("&next={next}"),
            _ => break,
        }
    }
    assert_eq!(dates.len(), from);
    for pair in dates.windows(2) {
        assert!(
            concord_store::date_added::is_after(&pair[1], &pair[0]),
            "{} then {}",
            pair[0],
            pair[1]
        );
    }
}
