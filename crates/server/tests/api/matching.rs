//! `POST /api/v1/match`: a log matched against stored indicators gives stored sightings.

use axum::http::{Method, StatusCode};
use serde_json::json;

use super::common::*;

const LOG: &str = concat!(
    r#"{"timestamp":"2026-01-02T10:00:00.000000+0000","event_type":"flow","src_ip":"10.0.0.1","dest_ip":"198.51.100.7"}"#,
    "\nnot json\n",
    r#"{"timestamp":"2026-01-02T11:00:00.000000+0000","event_type":"flow","src_ip":"10.0.0.1","dest_ip":"192.0.2.1"}"#,
    "\n"
);

#[tokio::test]
async fn a_log_gives_stored_sightings() {
    let t = TestApp::new();
    t.import(vec![
        indicator(1, "198.51.100.7"),
        indicator(2, "203.0.113.5"),
        identity(7),
    ])
    .await;
    let me = format!("identity--{}", uuid(7));
    assert!(t.state.matching.set_identity(me.clone()));
    let res = t
        .request(
            Method::POST,
            "/api/v1/match?format=eve",
            Some(&t.analyst),
            Some(("text/plain", LOG.as_bytes().to_vec())),
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text());
    let body = res.json();
    let s = &body["summary"];
    assert_eq!(s["lines"], 3, "{body}");
    assert_eq!(s["observations"], 2, "{body}");
    assert_eq!(s["malformed"], 1, "{body}");
    assert_eq!(s["errors"][0]["line"], 2, "{body}");
    assert_eq!(s["indicators_hit"], 1, "{body}");
    assert_eq!(s["sightings_written"], 1, "{body}");
    let sightings = body["sightings"].as_array().expect("sightings");
    assert_eq!(sightings.len(), 1);
    assert_eq!(
        sightings[0]["sighting_of_ref"],
        format!("indicator--{}", uuid(1))
    );
    assert_eq!(sightings[0]["count"], 1);
    assert_eq!(sightings[0]["where_sighted_refs"], json!([me]), "{body}");
    let sighter = t.get(&format!("/api/v1/objects/{me}"), &t.reader).await;
    assert_eq!(sighter.status, StatusCode::OK, "{}", sighter.text());
    assert_eq!(sighter.json()["object"]["type"], "identity");

    // Stored.
    let id = sightings[0]["id"].as_str().expect("id");
    let got = t.get(&format!("/api/v1/objects/{id}"), &t.reader).await;
    assert_eq!(got.status, StatusCode::OK, "{}", got.text());
    assert_eq!(got.json()["object"]["count"], 1);
}

#[tokio::test]
async fn match_needs_analyst_and_a_known_format() {
    let t = TestApp::new();
    t.request(
        Method::POST,
        "/api/v1/match",
        Some(&t.reader),
        Some(("text/plain", LOG.as_bytes().to_vec())),
    )
    .await
    .assert_error(StatusCode::FORBIDDEN, "forbidden");
    t.request(
        Method::POST,
        "/api/v1/match?format=pcap",
        Some(&t.analyst),
        Some(("text/plain", vec![])),
    )
    .await
    .assert_error(StatusCode::BAD_REQUEST, "bad_parameter");
    let res = t
        .request(
            Method::POST,
            "/api/v1/match?format=lines",
            Some(&t.analyst),
            Some(("text/plain", b"198.51.100.9\n".to_vec())),
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text());
    assert_eq!(
        res.json(),
        json!({
            "summary": { "lines": 1, "observations": 1, "malformed": 0, "errors": [],
                         "indicators_hit": 0, "sightings_written": 0, "compile_errors": 0 },
            "sightings": []
        })
    );
}
