//! Authentication (401) and roles (403), token management.

use axum::http::{Method, StatusCode, header};
use serde_json::json;

use super::common::{TestApp, campaign};

#[tokio::test]
async fn missing_token_is_401_with_www_authenticate() {
    let t = TestApp::new();
    let res = t.request(Method::GET, "/api/v1/objects", None, None).await;
    res.assert_error(StatusCode::UNAUTHORIZED, "unauthorized");
    let challenge = res
        .headers
        .get(header::WWW_AUTHENTICATE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    assert!(challenge.starts_with("Bearer"), "{challenge:?}");
}

#[tokio::test]
async fn unknown_or_malformed_token_is_401() {
    let t = TestApp::new();
    let res = t.get("/api/v1/objects", "cnc_0000").await;
    let body = res.assert_error(StatusCode::UNAUTHORIZED, "unauthorized");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap_or("")
            .contains("unknown")
    );
    for header_value in ["Basic dXNlcjpwYXNz", "Bearer", "Bearer   "] {
        let req = axum::http::Request::builder()
            .uri("/api/v1/objects")
            .header(header::AUTHORIZATION, header_value)
            .body(axum::body::Body::empty())
            .expect("request");
        t.send(req)
            .await
            .assert_error(StatusCode::UNAUTHORIZED, "unauthorized");
    }
}

#[tokio::test]
async fn unauthenticated_post_is_401_and_stores_nothing() {
    let t = TestApp::new();
    let before = t.store_state();
    let body = json!([campaign(1, "x")]).to_string().into_bytes();
    let res = t
        .request(
            Method::POST,
            "/api/v1/objects",
            None,
            Some(("application/json", body)),
        )
        .await;
    res.assert_error(StatusCode::UNAUTHORIZED, "unauthorized");
    assert_eq!(t.store_state(), before);
}

#[tokio::test]
async fn reader_may_read_but_not_post_objects() {
    let t = TestApp::new();
    assert_eq!(
        t.get("/api/v1/objects", &t.reader).await.status,
        StatusCode::OK
    );
    let before = t.store_state();
    let res = t
        .post("/api/v1/objects", &t.reader, &json!([campaign(1, "x")]))
        .await;
    let body = res.assert_error(StatusCode::FORBIDDEN, "forbidden");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap_or("")
            .contains("analyst"),
        "{body}"
    );
    assert_eq!(t.store_state(), before);
}

#[tokio::test]
async fn analyst_and_reader_may_not_manage_tokens() {
    let t = TestApp::new();
    for token in [&t.analyst, &t.reader] {
        t.get("/api/v1/tokens", token)
            .await
            .assert_error(StatusCode::FORBIDDEN, "forbidden");
        t.post(
            "/api/v1/tokens",
            token,
            &json!({"name": "x", "role": "admin"}),
        )
        .await
        .assert_error(StatusCode::FORBIDDEN, "forbidden");
        t.request(Method::DELETE, "/api/v1/tokens/1", Some(token), None)
            .await
            .assert_error(StatusCode::FORBIDDEN, "forbidden");
    }
    let tokens = t.get("/api/v1/tokens", &t.admin).await.json();
    assert_eq!(tokens["tokens"].as_array().map(Vec::len), Some(3));
}

#[tokio::test]
async fn admin_creates_lists_and_revokes_tokens() {
    let t = TestApp::new();
    let res = t
        .post(
            "/api/v1/tokens",
            &t.admin,
            &json!({"name": "feed robot", "role": "analyst"}),
        )
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text());
    let created = res.json();
    let secret = created["token"].as_str().expect("secret").to_owned();
    assert!(secret.starts_with("cnc_"));
    assert_eq!(created["role"], "analyst");
    assert_eq!(created["name"], "feed robot");

    // The new token works with its role.
    let res = t
        .post("/api/v1/objects", &secret, &json!(campaign(1, "x")))
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text());

    // The listing never shows secrets or hashes.
    let list = t.get("/api/v1/tokens", &t.admin).await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(!list.text().contains(&secret));
    assert!(
        !list
            .text()
            .contains(&concord_server::auth::hash_token(&secret))
    );
    assert_eq!(list.json()["tokens"].as_array().map(Vec::len), Some(4));

    let id = created["id"].as_i64().expect("id");
    let res = t
        .request(
            Method::DELETE,
            &format!("/api/v1/tokens/{id}"),
            Some(&t.admin),
            None,
        )
        .await;
    assert_eq!(res.status, StatusCode::NO_CONTENT);
    t.get("/api/v1/objects", &secret)
        .await
        .assert_error(StatusCode::UNAUTHORIZED, "unauthorized");
    t.request(
        Method::DELETE,
        &format!("/api/v1/tokens/{id}"),
        Some(&t.admin),
        None,
    )
    .await
    .assert_error(StatusCode::NOT_FOUND, "not_found");
    t.request(Method::DELETE, "/api/v1/tokens/abc", Some(&t.admin), None)
        .await
        .assert_error(StatusCode::BAD_REQUEST, "bad_parameter");
}

#[tokio::test]
async fn token_creation_rejects_bad_bodies_in_our_format() {
    let t = TestApp::new();
    let cases: Vec<(Vec<u8>, &str, StatusCode, &str)> = vec![
        (
            b"{not json".to_vec(),
            "application/json",
            StatusCode::BAD_REQUEST,
            "invalid_json",
        ),
        (
            br#"{"name":"x","role":"root"}"#.to_vec(),
            "application/json",
            StatusCode::BAD_REQUEST,
            "bad_role",
        ),
        (
            br#"{"name":"  ","role":"reader"}"#.to_vec(),
            "application/json",
            StatusCode::BAD_REQUEST,
            "bad_token_name",
        ),
        (
            br#"{"name":"x"}"#.to_vec(),
            "application/json",
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_body",
        ),
        (
            br#"{"name":"x","role":"reader","extra":1}"#.to_vec(),
            "application/json",
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_body",
        ),
        (
            br#"{"name":"x","role":"reader"}"#.to_vec(),
            "text/plain",
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
        ),
    ];
    for (body, content_type, status, code) in cases {
        let res = t
            .request(
                Method::POST,
                "/api/v1/tokens",
                Some(&t.admin),
                Some((content_type, body)),
            )
            .await;
        res.assert_error(status, code);
    }
    let tokens = t.get("/api/v1/tokens", &t.admin).await.json();
    assert_eq!(
        tokens["tokens"].as_array().map(Vec::len),
        Some(3),
        "no token was created"
    );
}
