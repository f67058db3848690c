//! A user never sees anything above their TLP clearance: not in lists, counts, search,
//! object pages, versions, relationships, correlations or the graph.

use axum::http::StatusCode;
use concord_stix::Tlp;

use super::common::{TestWeb, id, indicator, malware, relationship};

/// Objects at every level, linked and correlated with each other.
fn fixture(web: &TestWeb) {
    web.import(vec![
        indicator(1, "visible-clear-indicator", None, "198.51.100.7"),
        indicator(
            2,
            "visible-green-indicator",
            Some(Tlp::Green),
            "198.51.100.7",
        ),
        indicator(
            3,
            "hidden-amber-indicator",
            Some(Tlp::Amber),
            "198.51.100.7",
        ),
        indicator(4, "hidden-red-indicator", Some(Tlp::Red), "198.51.100.7"),
        malware(5, "hidden-red-malware", Some(Tlp::Red)),
        malware(6, "visible-green-malware", Some(Tlp::Green)),
        // green indicator -> red malware (a red target), and -> green malware by a red SRO.
        relationship(7, &id("indicator", 2), &id("malware", 5), Some(Tlp::Green)),
        relationship(8, &id("indicator", 2), &id("malware", 6), Some(Tlp::Red)),
        relationship(9, &id("indicator", 1), &id("malware", 6), None),
    ]);
}

const HIDDEN: &[&str] = &[
    "hidden-amber-indicator",
    "hidden-red-indicator",
    "hidden-red-malware",
    "indicator--00000000-0000-4000-8000-000000000003",
    "indicator--00000000-0000-4000-8000-000000000004",
    "malware--00000000-0000-4000-8000-000000000005",
    "relationship--00000000-0000-4000-8000-000000000008",
];

fn assert_hidden(page: &str, where_: &str) {
    for h in HIDDEN {
        assert!(!page.contains(h), "{where_} shows {h}");
    }
}

#[tokio::test]
async fn a_green_reader_sees_nothing_above_green_anywhere() {
    let web = TestWeb::new();
    fixture(&web);
    let mut c = web.signed_in("green").await;
    let pages = [
        "/".to_owned(),
        "/objects".to_owned(),
        "/objects?q=hidden".to_owned(),
        "/objects?q=indicator".to_owned(),
        "/objects?tlp=red".to_owned(),
        "/objects?tlp=amber".to_owned(),
        "/objects?type=indicator".to_owned(),
        format!("/objects/{}", id("indicator", 1)),
        format!("/objects/{}", id("indicator", 2)),
        format!("/objects/{}/graph", id("indicator", 2)),
        format!("/objects/{}/graph", id("indicator", 1)),
        format!("/objects/{}", id("malware", 6)),
        format!("/objects/{}/graph", id("malware", 6)),
        "/account".to_owned(),
    ];
    for p in &pages {
        let res = c.get(p).await;
        assert_hidden(res.page(), p);
    }
    // The visible ones are there.
    let list = c.get("/objects").await;
    assert!(list.body.contains("visible-green-indicator"));
    assert!(list.body.contains("visible-clear-indicator"));
    let page = c.get(&format!("/objects/{}", id("indicator", 2))).await;
    assert!(
        page.body.contains("visible-clear-indicator"),
        "correlated, visible"
    );
    let graph = c
        .get(&format!("/objects/{}/graph", id("indicator", 1)))
        .await;
    assert!(graph.body.contains("visible-green-malware"));
    // Objects above the clearance answer as absent.
    for n in [3, 4] {
        for suffix in ["", "/graph"] {
            let res = c
                .get(&format!("/objects/{}{suffix}", id("indicator", n)))
                .await;
            assert_eq!(res.status, StatusCode::NOT_FOUND);
            for h in HIDDEN.iter().filter(|h| !h.contains("--")) {
                assert!(!res.body.contains(h), "404 page shows {h}");
            }
        }
    }
    // Counts: 2 indicators, 1 malware, 2 relationships (7 and 9) are visible.
    let dash = c.get("/").await;
    assert!(
        dash.body.contains("You can see 5 objects on this node."),
        "{}",
        dash.body
    );
    assert!(!dash.body.contains("TLP:RED"));
    assert!(!dash.body.contains("TLP:AMBER"));
}

#[tokio::test]
async fn a_clear_reader_sees_only_clear_and_unmarked_objects() {
    let web = TestWeb::new();
    fixture(&web);
    let mut c = web.signed_in("clear").await;
    let list = c.get("/objects").await;
    assert!(list.page().contains("visible-clear-indicator"));
    assert!(!list.body.contains("visible-green-indicator"));
    let dash = c.get("/").await;
    assert!(
        dash.body.contains("You can see 2 objects on this node."),
        "{}",
        dash.body
    );
    // The red admin sees all nine.
    let mut admin = web.signed_in("admin").await;
    let dash = admin.get("/").await;
    assert!(dash.body.contains("You can see 9 objects on this node."));
    let list = admin.get("/objects?q=hidden").await;
    assert!(list.body.contains("hidden-red-malware"));
}

#[tokio::test]
async fn granular_markings_above_the_clearance_withhold_what_they_select() {
    let web = TestWeb::new();
    let mut v = indicator(11, "granular-secret", Some(Tlp::Green), "203.0.113.9");
    v["granular_markings"] = serde_json::json!([{
        "marking_ref": Tlp::Red.marking_id(), "selectors": ["description"]
    }]);
    v["description"] = serde_json::json!("the red part");
    web.import(vec![v]);
    let mut c = web.signed_in("green").await;
    let list = c.get("/objects").await;
    assert!(list.page().contains("granular-secret"));
    assert!(!list.body.contains("the red part"));
    let page = c.get(&format!("/objects/{}", id("indicator", 11))).await;
    assert!(page.page().contains("granular-secret"));
    assert!(!page.body.contains("the red part"), "{}", page.body);
    // A search does not find it by what was withheld, nor at all (the words may have
    // matched the withheld part).
    assert!(
        !c.get("/objects?q=granular")
            .await
            .page()
            .contains("granular-secret")
    );
    let mut admin = web.signed_in("admin").await;
    let page = admin
        .get(&format!("/objects/{}", id("indicator", 11)))
        .await;
    assert!(page.page().contains("the red part"));
}

#[tokio::test]
async fn log_matching_uses_only_indicators_within_the_clearance() {
    let web = TestWeb::new();
    fixture(&web);
    let mut analyst = web.signed_in("analyst").await;
    let csrf = analyst.csrf().await;
    let res = analyst
        .post_multipart(
            "/matching",
            &[("csrf", &csrf), ("format", "lines")],
            b"198.51.100.7\n",
        )
        .await;
    let body = res.page();
    // Amber analyst: indicators 1, 2, 3 match; 4 (red) does not.
    assert!(body.contains("visible-clear-indicator"));
    assert!(body.contains("hidden-amber-indicator"));
    assert!(!body.contains("hidden-red-indicator"));
    // Sightings inherit the indicator's marking: the green reader does not see the
    // sighting of the amber indicator.
    let mut green = web.signed_in("green").await;
    let list = green.get("/objects?type=sighting").await;
    assert!(list.page().contains("class=\"tlp tlp-green\""));
    assert!(
        !list.body.contains("class=\"tlp tlp-amber\""),
        "{}",
        list.body
    );
    assert_hidden(&list.body, "sightings");
}
