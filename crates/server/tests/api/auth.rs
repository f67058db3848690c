//! Authentication (401) and roles (403), token management.

use axum::http::{Method, StatusCode, header};
use serde_json::{Value, json};

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

/// A TLP:GREEN and a TLP:RED campaign, as the analyst.
async fn green_and_red(t: &TestApp) {
    let mut green = campaign(1, "green one");
    green["object_marking_refs"] =
        json!(["marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"]);
    let mut red = campaign(2, "red one");
    red["object_marking_refs"] =
        json!(["marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1"]);
    t.import(vec![green, red]).await;
}

/// Issue 27: a token made through the API reads TLP:GREEN unless asked for more, never
/// more than the token that makes it; its clearance and expiry are in the answers.
#[tokio::test]
async fn api_tokens_read_up_to_their_clearance() {
    let t = TestApp::new();
    green_and_red(&t).await;
    let made = |body: Value| {
        let t = &t;
        async move {
            let res = t.post("/api/v1/tokens", &t.admin, &body).await;
            assert_eq!(res.status, StatusCode::CREATED, "{}", res.text());
            res.json()
        }
    };
    let plain = made(json!({"name": "plain", "role": "reader"})).await;
    assert_eq!(plain["clearance"], "green");
    assert_eq!(plain["expires"], Value::Null);
    let red =
        made(json!({"name": "red", "role": "reader", "clearance": "red", "expires": "30d"})).await;
    assert_eq!(red["clearance"], "red");
    assert!(
        red["expires"].as_str().is_some_and(|e| e.ends_with('Z')),
        "{red}"
    );

    let names = |secret: String| {
        let t = &t;
        async move {
            let body = t.get("/api/v1/objects?type=campaign", &secret).await.json();
            let mut names: Vec<String> = body["objects"]
                .as_array()
                .unwrap()
                .iter()
                .map(|o| o["name"].as_str().unwrap().to_owned())
                .collect();
            names.sort();
            names
        }
    };
    assert_eq!(
        names(plain["token"].as_str().unwrap().into()).await,
        ["green one"]
    );
    assert_eq!(
        names(red["token"].as_str().unwrap().into()).await,
        ["green one", "red one"]
    );

    // An admin token that reads GREEN cannot make one that reads more.
    let green_admin = made(json!({"name": "green admin", "role": "admin"})).await;
    let res = t
        .post(
            "/api/v1/tokens",
            green_admin["token"].as_str().unwrap(),
            &json!({"name": "x", "role": "reader", "clearance": "amber"}),
        )
        .await;
    let body = res.assert_error(StatusCode::FORBIDDEN, "forbidden");
    assert!(body.to_string().contains("TLP:GREEN"), "{body}");

    for (bad, code) in [
        (
            json!({"name": "x", "role": "reader", "clearance": "purple"}),
            "bad_clearance",
        ),
        (
            json!({"name": "x", "role": "reader", "expires": "yesterday"}),
            "bad_expiry",
        ),
        (
            json!({"name": "x", "role": "reader", "expires": "2001-01-01T00:00:00Z"}),
            "bad_expiry",
        ),
    ] {
        t.post("/api/v1/tokens", &t.admin, &bad)
            .await
            .assert_error(StatusCode::BAD_REQUEST, code);
    }
}

/// Issue 27: an expired token gets 401 saying it expired, on the REST API and TAXII.
#[tokio::test]
async fn an_expired_token_gets_401() {
    let t = TestApp::new();
    let secret = concord_server::auth::new_token_secret();
    t.state
        .store
        .create_token_with(&concord_store::NewToken {
            name: "old",
            role: concord_store::Role::Reader,
            hash: &concord_server::auth::hash_token(&secret),
            clearance: concord_stix::Tlp::Green,
            expires: Some("2001-01-01T00:00:00.000Z".into()),
        })
        .unwrap();
    let body = t
        .get("/api/v1/objects", &secret)
        .await
        .assert_error(StatusCode::UNAUTHORIZED, "unauthorized");
    assert!(body.to_string().contains("expired"), "{body}");
    let res = t.get("/taxii2/", &secret).await;
    assert_eq!(res.status, StatusCode::UNAUTHORIZED, "{}", res.text());
    assert!(res.text().contains("expired"), "{}", res.text());
}

/// Issue 27: a token's last use is recorded (at most once a minute).
#[tokio::test]
async fn a_token_use_is_recorded() {
    let t = TestApp::new();
    assert_eq!(
        t.get("/api/v1/objects", &t.reader).await.status,
        StatusCode::OK
    );
    let store = t.state.store.clone();
    let reader = || {
        store
            .tokens()
            .unwrap()
            .into_iter()
            .find(|r| r.name == "test-reader")
            .unwrap()
    };
    // Recorded beside the request: wait for it, boundedly.
    let started = std::time::Instant::now();
    while reader().last_used.is_none() {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(5),
            "never recorded"
        );
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    let first = reader().last_used;
    let now = concord_stix::Timestamp::now_millis();
    assert!(
        !store.touch_token(reader().id, &now).unwrap(),
        "twice within a minute"
    );
    assert_eq!(reader().last_used, first);
}
