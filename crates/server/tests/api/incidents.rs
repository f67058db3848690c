//! Coordinated-response routes over an in-memory store: open, change and read an
//! incident, its timeline, alert errors, requests with a past deadline, routing, and
//! role checks.

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

use super::common::{TestApp, indicator};

async fn patch(t: &TestApp, path: &str, body: &Value) -> super::common::Resp {
    t.request(
        Method::PATCH,
        path,
        Some(&t.analyst),
        Some(("application/json", body.to_string().into_bytes())),
    )
    .await
}

#[tokio::test]
async fn incidents_open_change_and_show_their_timeline() {
    let t = TestApp::new();
    t.import(vec![indicator(1, "203.0.113.9")]).await;
    let ind = indicator(1, "203.0.113.9")["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let res = t
        .post(
            "/api/v1/incidents",
            &t.analyst,
            &json!({"name": "Ransomware at hospitals", "severity": "critical",
                "incident_types": ["ransomware"], "links": [ind]}),
        )
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text());
    let inc = res.json();
    let id = inc["id"].as_str().unwrap().to_owned();
    assert_eq!(inc["criticality"], 100);
    assert_eq!(inc["investigation_status"], "new");

    let res = patch(
        &t,
        &format!("/api/v1/incidents/{id}"),
        &json!({"investigation_status": "closed", "determination": "blocked"}),
    )
    .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text());
    assert_eq!(res.json()["versions"], 2);

    let list = t.get("/api/v1/incidents", &t.reader).await.json();
    assert_eq!(list["incidents"].as_array().unwrap().len(), 1);
    let one = t
        .get(&format!("/api/v1/incidents/{id}"), &t.reader)
        .await
        .json();
    assert_eq!(one["investigation_status"], "closed");

    let tl = t
        .get(&format!("/api/v1/incidents/{id}/timeline"), &t.reader)
        .await
        .json();
    let entries = tl["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 4, "{tl}"); // two versions, the relationship, the indicator
    assert!(entries.iter().all(|e| e["local"] == true));
}

#[tokio::test]
async fn bad_input_gets_clear_errors() {
    let t = TestApp::new();
    // Readers may not open incidents.
    let res = t
        .post("/api/v1/incidents", &t.reader, &json!({"name": "x"}))
        .await;
    res.assert_error(StatusCode::FORBIDDEN, "forbidden");
    let res = t
        .post(
            "/api/v1/incidents",
            &t.analyst,
            &json!({"name": "x", "determination": "maybe"}),
        )
        .await;
    let body = res.assert_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("determination")
    );
    let res = t
        .post("/api/v1/incidents", &t.analyst, &json!({"nom": "x"}))
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    let missing = "incident--00000000-0000-4000-8000-000000000999";
    t.get(&format!("/api/v1/incidents/{missing}"), &t.reader)
        .await
        .assert_error(StatusCode::NOT_FOUND, "not_found");
    // An acknowledgement for an alert that does not exist.
    t.post(
        &format!("/api/v1/incidents/{missing}/acks"),
        &t.analyst,
        &json!({"status": "seen"}),
    )
    .await
    .assert_error(StatusCode::NOT_FOUND, "not_found");

    let id = t
        .post("/api/v1/incidents", &t.analyst, &json!({"name": "C2"}))
        .await
        .json()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    // Not an alert yet; no peers to alert; own incident cannot be acknowledged.
    t.get(&format!("/api/v1/incidents/{id}/alert"), &t.reader)
        .await
        .assert_error(StatusCode::CONFLICT, "refused");
    t.post(
        &format!("/api/v1/incidents/{id}/alert"),
        &t.analyst,
        &json!({"to": ["all"]}),
    )
    .await
    .assert_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid");
    // A deadline in the past.
    let res = t
        .post(
            &format!("/api/v1/incidents/{id}/requests"),
            &t.analyst,
            &json!({"action": "take-down", "to": ["all"], "deadline": "2001-01-01T00:00:00Z"}),
        )
        .await;
    let body = res.assert_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("in the past")
    );
    // Notifications and custody of unknown objects.
    let n = t.get("/api/v1/notifications", &t.reader).await.json();
    assert_eq!(n["notifications"], json!([]));
    let missing_note = "note--00000000-0000-4000-8000-000000000999";
    t.request(
        Method::POST,
        &format!("/api/v1/notifications/{missing_note}/send"),
        Some(&t.analyst),
        None,
    )
    .await
    .assert_error(StatusCode::NOT_FOUND, "not_found");
    t.get(
        "/api/v1/evidence/artifact--00000000-0000-5000-8000-000000000999/custody",
        &t.reader,
    )
    .await
    .assert_error(StatusCode::NOT_FOUND, "not_found");
    // Routing with no known constituency.
    let r = t.get("/api/v1/route/198.51.100.7", &t.reader).await.json();
    assert_eq!(r["kind"], "ip");
    assert!(r["responsible"].is_null());
    t.get("/api/v1/route/not%20a%20value", &t.reader)
        .await
        .assert_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid");
}
