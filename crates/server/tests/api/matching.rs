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

/// `set_threads` (what `serve` sets from `match_threads`) reaches the route's matcher, and
/// a body cut into blocks on several threads gives the one-thread summary and sightings.
#[tokio::test]
async fn the_threads_setting_reaches_the_route_and_changes_no_result() {
    let t = TestApp::new();
    t.import(vec![
        indicator(1, "198.51.100.7"),
        indicator(2, "203.0.113.5"),
    ])
    .await;
    // About 3.5 MB: several of the matcher's 1 MiB blocks.
    let mut log = String::new();
    for i in 0..30_000u32 {
        let dest = match i {
            _ if i % 1_000 == 17 => "198.51.100.7".to_owned(),
            _ if i % 777 == 5 => "203.0.113.5".to_owned(),
            _ => format!("10.{}.{}.{}", i >> 16, (i >> 8) & 255, i & 255),
        };
        if i % 5_000 == 4_999 {
            log.push_str("{\"broken\n");
        }
        log.push_str(&format!(
            "{{\"timestamp\":\"2026-01-02T10:{:02}:{:02}.000000+0000\",\"event_type\":\"flow\",\"src_ip\":\"10.9.8.7\",\"dest_ip\":\"{dest}\",\"flow\":{{\"pkts_toserver\":{i},\"bytes_toserver\":{},\"start\":\"2026-01-02T10:00:00.000000+0000\"}},\"app_proto\":\"failed\",\"proto\":\"TCP\"}}\n",
            (i / 60) % 60,
            i % 60,
            i * 61
        ));
    }
    assert!(log.len() > 3 << 20, "{}", log.len());
    let mut results = Vec::new();
    for threads in [1, 3] {
        t.state.matching.set_threads(threads);
        let matcher = t.state.matching.matcher().await.expect("matcher");
        assert_eq!(matcher.threads(), threads);
        let res = t
            .request(
                Method::POST,
                "/api/v1/match?format=eve",
                Some(&t.analyst),
                Some(("text/plain", log.clone().into_bytes())),
            )
            .await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.text());
        let body = res.json();
        let mut summary = body["summary"].clone();
        assert_eq!(summary["malformed"], 6, "{summary}");
        assert_eq!(summary["indicators_hit"], 2, "{summary}");
        summary["sightings_written"] = json!(null);
        // Sighting ids and creation times are new each time; what was seen is not.
        let mut seen: Vec<_> = body["sightings"]
            .as_array()
            .expect("sightings")
            .iter()
            .map(|s| {
                json!([
                    s["sighting_of_ref"],
                    s["count"],
                    s["first_seen"],
                    s["last_seen"]
                ])
                .to_string()
            })
            .collect();
        seen.sort();
        results.push((summary, seen));
    }
    assert_eq!(results[0], results[1]);
    assert_eq!(results[0].1.len(), 2);
}
