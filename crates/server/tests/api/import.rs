//! `POST /api/v1/objects`: mixed bundles, every kind of bad input, body limits.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::body::{Body, Bytes};
use axum::http::{Method, Request, StatusCode, header};
use concord_server::ServerConfig;
use serde_json::{Value, json};

use super::common::{TestApp, campaign, identity, indicator, uuid};

fn results(body: &Value) -> &Vec<Value> {
    body["results"].as_array().expect("results")
}

#[tokio::test]
async fn bundle_with_one_bad_object_keeps_the_good_ones() {
    let t = TestApp::new();
    let bad_id = format!("indicator--{}", uuid(99));
    let mut bad = campaign(99, "bad");
    bad["id"] = json!(bad_id);
    let bundle = json!({
        "type": "bundle", "id": format!("bundle--{}", uuid(1)),
        "objects": [indicator(1, "198.51.100.1"), bad, identity(2)]
    });
    let res = t.post("/api/v1/objects", &t.analyst, &bundle).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text());
    let body = res.json();
    assert_eq!(body["summary"]["new"], 2);
    assert_eq!(body["summary"]["rejected"], 1);
    assert!(
        body["message"]
            .as_str()
            .unwrap_or("")
            .contains("1 rejected"),
        "{body}"
    );
    let r = results(&body);
    assert_eq!(r.len(), 3);
    assert_eq!(r[0]["status"], "accepted");
    assert_eq!(r[0]["outcome"], "new");
    assert_eq!(r[1]["status"], "rejected");
    assert_eq!(r[1]["index"], 1);
    assert_eq!(r[1]["id"], bad_id.as_str());
    assert_eq!(r[1]["reasons"][0]["path"], "$.id");
    assert_eq!(r[1]["reasons"][0]["rule"], "id-prefix");
    assert_eq!(r[1]["reasons"][0]["object_id"], bad_id.as_str());
    assert_eq!(r[2]["status"], "accepted");

    let ok = t
        .get(
            &format!("/api/v1/objects/indicator--{}", uuid(1)),
            &t.reader,
        )
        .await;
    assert_eq!(ok.status, StatusCode::OK);
    assert_eq!(
        t.get(&format!("/api/v1/objects/identity--{}", uuid(2)), &t.reader)
            .await
            .status,
        StatusCode::OK
    );
    t.get(&format!("/api/v1/objects/{bad_id}"), &t.reader)
        .await
        .assert_error(StatusCode::NOT_FOUND, "not_found");
}

/// One bad input: its body, and what the answer must say.
struct Case {
    name: &'static str,
    body: Vec<u8>,
    status: StatusCode,
    /// The error code (for 400) or the violated rule (for 422).
    code: &'static str,
    /// For 422: the property path named; for 400: a word the message must hold.
    mention: &'static str,
}

fn obj(v: Value) -> Vec<u8> {
    v.to_string().into_bytes()
}

fn bad_cases() -> Vec<Case> {
    let id = "campaign--b932fcc6-e032-476c-826f-cb970a5a1ade";
    let base = || {
        json!({"type":"campaign","spec_version":"2.1","id":id,
               "created":"2024-01-01T00:00:00.000Z","modified":"2024-01-01T00:00:00.000Z","name":"x"})
    };
    let with = |k: &str, v: Value| {
        let mut o = base();
        o[k] = v;
        obj(o)
    };
    let mut invalid_utf8 = br#"[{"type":"campaign","name":"caf"#.to_vec();
    invalid_utf8.extend_from_slice(&[0xff, 0xfe]);
    invalid_utf8.extend_from_slice(br#""}]"#);
    vec![
        Case {
            name: "not JSON",
            body: b"{\"type\": \"campaign\",\n  oops}".to_vec(),
            status: StatusCode::BAD_REQUEST,
            code: "invalid_json",
            mention: "line 2",
        },
        Case {
            name: "truncated JSON",
            body: b"[{\"type\":".to_vec(),
            status: StatusCode::BAD_REQUEST,
            code: "invalid_json",
            mention: "line 1",
        },
        Case {
            name: "empty body",
            body: Vec::new(),
            status: StatusCode::BAD_REQUEST,
            code: "invalid_json",
            mention: "line",
        },
        Case {
            name: "a number",
            body: b"42".to_vec(),
            status: StatusCode::BAD_REQUEST,
            code: "wrong_shape",
            mention: "a number",
        },
        Case {
            name: "a string",
            body: b"\"indicator\"".to_vec(),
            status: StatusCode::BAD_REQUEST,
            code: "wrong_shape",
            mention: "a string",
        },
        Case {
            name: "bundle objects not a list",
            body: obj(json!({"type":"bundle","id":"bundle--x","objects":7})),
            status: StatusCode::BAD_REQUEST,
            code: "wrong_shape",
            mention: "objects",
        },
        Case {
            name: "invalid UTF-8",
            body: invalid_utf8,
            status: StatusCode::BAD_REQUEST,
            code: "invalid_json",
            mention: "column",
        },
        Case {
            name: "deep nesting",
            body: "[".repeat(200_000).into_bytes(),
            status: StatusCode::BAD_REQUEST,
            code: "invalid_json",
            mention: "deeply",
        },
        Case {
            name: "deep objects",
            body: "{\"a\":".repeat(100_000).into_bytes(),
            status: StatusCode::BAD_REQUEST,
            code: "invalid_json",
            mention: "deeply",
        },
        Case {
            name: "wrong id prefix",
            body: with("id", json!("malware--b932fcc6-e032-476c-826f-cb970a5a1ade")),
            status: StatusCode::UNPROCESSABLE_ENTITY,
            code: "id-prefix",
            mention: "$.id",
        },
        Case {
            name: "bad timestamp",
            body: with("created", json!("2024-01-01 00:00:00")),
            status: StatusCode::UNPROCESSABLE_ENTITY,
            code: "timestamp",
            mention: "$.created",
        },
        Case {
            name: "modified before created",
            body: with("created", json!("2024-01-02T00:00:00.000Z")),
            status: StatusCode::UNPROCESSABLE_ENTITY,
            code: "order",
            mention: "$.modified",
        },
        Case {
            name: "missing required property",
            body: obj(
                json!({"type":"indicator","spec_version":"2.1","id":"indicator--b932fcc6-e032-476c-826f-cb970a5a1ade",
                "created":"2024-01-01T00:00:00.000Z","modified":"2024-01-01T00:00:00.000Z","pattern_type":"stix","valid_from":"2024-01-01T00:00:00Z"}),
            ),
            status: StatusCode::UNPROCESSABLE_ENTITY,
            code: "required",
            mention: "$.pattern",
        },
        Case {
            name: "created_by_ref to a non-identity",
            body: with(
                "created_by_ref",
                json!("malware--b932fcc6-e032-476c-826f-cb970a5a1ade"),
            ),
            status: StatusCode::UNPROCESSABLE_ENTITY,
            code: "ref-type",
            mention: "$.created_by_ref",
        },
        Case {
            name: "custom type with a bad name",
            body: obj(
                json!({"type":"X_Thing","spec_version":"2.1","id":"X_Thing--b932fcc6-e032-476c-826f-cb970a5a1ade","created":"2024-01-01T00:00:00.000Z","modified":"2024-01-01T00:00:00.000Z"}),
            ),
            status: StatusCode::UNPROCESSABLE_ENTITY,
            code: "type-name",
            mention: "$.type",
        },
        Case {
            name: "custom type without modified",
            body: obj(
                json!({"type":"x-acme-thing","spec_version":"2.1","id":"x-acme-thing--b932fcc6-e032-476c-826f-cb970a5a1ade","created":"2024-01-01T00:00:00.000Z"}),
            ),
            status: StatusCode::UNPROCESSABLE_ENTITY,
            code: "required",
            mention: "$.modified",
        },
    ]
}

#[tokio::test]
async fn every_bad_input_is_explained_and_changes_nothing() {
    let t = TestApp::new();
    t.import(vec![campaign(1, "kept")]).await;
    let before = t.store_state();
    for case in bad_cases() {
        let res = t.post_raw("/api/v1/objects", &t.analyst, case.body).await;
        assert_eq!(res.status, case.status, "{}: {}", case.name, res.text());
        let body = res.json();
        if case.status == StatusCode::BAD_REQUEST {
            res.assert_error(case.status, case.code);
            let message = body["error"]["message"].as_str().unwrap_or("");
            assert!(message.contains(case.mention), "{}: {message}", case.name);
        } else {
            assert_eq!(
                body["error"]["code"], "all_rejected",
                "{}: {body}",
                case.name
            );
            assert_eq!(body["summary"]["rejected"], 1, "{}: {body}", case.name);
            let reasons = body["results"][0]["reasons"].as_array().expect("reasons");
            assert!(
                reasons
                    .iter()
                    .any(|r| r["rule"] == case.code && r["path"] == case.mention),
                "{}: {body}",
                case.name
            );
            assert!(
                reasons
                    .iter()
                    .all(|r| r["message"].as_str().is_some_and(|m| !m.is_empty()))
            );
        }
        assert_eq!(t.store_state(), before, "{} changed the store", case.name);
    }
    // What was there before is still there.
    let got = t
        .get(&format!("/api/v1/objects/campaign--{}", uuid(1)), &t.reader)
        .await;
    assert_eq!(got.json()["object"]["name"], "kept");
}

#[tokio::test]
async fn non_object_items_are_rejected_by_index() {
    let t = TestApp::new();
    let res = t
        .post(
            "/api/v1/objects",
            &t.analyst,
            &json!([1, campaign(1, "ok"), "x"]),
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text());
    let body = res.json();
    assert_eq!(body["summary"]["rejected"], 2);
    assert_eq!(body["results"][0]["status"], "rejected");
    assert_eq!(body["results"][2]["index"], 2);
}

#[tokio::test]
async fn custom_object_following_the_rules_is_accepted_whole() {
    let t = TestApp::new();
    let custom = json!({"type":"x-acme-thing","spec_version":"2.1","id":"x-acme-thing--b932fcc6-e032-476c-826f-cb970a5a1ade",
        "created":"2024-01-01T00:00:00.000Z","modified":"2024-01-01T00:00:00.000Z","x_acme_score":7,"nested":{"Any-Key":[1,{"deep":true}]}});
    let res = t.post("/api/v1/objects", &t.analyst, &custom).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text());
    assert_eq!(res.json()["summary"]["new"], 1);
    let got = t
        .get(
            "/api/v1/objects/x-acme-thing--b932fcc6-e032-476c-826f-cb970a5a1ade",
            &t.reader,
        )
        .await
        .json();
    assert_eq!(got["object"], custom);
    assert_eq!(got["revoked"], false);
    assert!(got["seq"].as_i64().is_some());
}

#[tokio::test]
async fn reimport_is_unchanged_and_a_newer_version_is_current() {
    let t = TestApp::new();
    t.import(vec![campaign(1, "v1")]).await;
    let again = t.import(vec![campaign(1, "v1")]).await;
    assert_eq!(again["summary"]["unchanged"], 1);
    let mut v2 = campaign(1, "v2");
    v2["modified"] = json!("2024-02-01T00:00:00.000Z");
    let body = t.import(vec![v2]).await;
    assert_eq!(body["summary"]["new_versions"], 1);
    let id = format!("campaign--{}", uuid(1));
    assert_eq!(
        t.get(&format!("/api/v1/objects/{id}"), &t.reader)
            .await
            .json()["object"]["name"],
        "v2"
    );
    let versions = t
        .get(&format!("/api/v1/objects/{id}/versions"), &t.reader)
        .await
        .json();
    let versions = versions["versions"].as_array().expect("versions").clone();
    assert_eq!(versions.len(), 2);
    assert_eq!(versions[0]["object"]["name"], "v1");
    assert_eq!(versions[0]["current"], false);
    assert_eq!(versions[1]["current"], true);
}

#[tokio::test]
async fn empty_document_is_accepted_and_wrong_content_type_is_415() {
    let t = TestApp::new();
    let body = t.import(vec![]).await;
    assert_eq!(body["summary"]["new"], 0);
    let res = t
        .request(
            Method::POST,
            "/api/v1/objects",
            Some(&t.analyst),
            Some(("text/csv", b"[]".to_vec())),
        )
        .await;
    res.assert_error(StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type");
    // STIX's own media type is JSON too.
    let res = t
        .request(
            Method::POST,
            "/api/v1/objects",
            Some(&t.analyst),
            Some((
                "application/stix+json;version=2.1",
                json!([campaign(1, "x")]).to_string().into_bytes(),
            )),
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text());
}

#[tokio::test]
async fn body_just_over_a_small_limit_is_413() {
    let limit = 2048;
    let t = TestApp::with_config(ServerConfig {
        body_limit: limit,
        ..ServerConfig::default()
    });
    let mut at_limit = json!([campaign(1, "x")]).to_string().into_bytes();
    at_limit.resize(limit, b' ');
    let res = t.post_raw("/api/v1/objects", &t.analyst, at_limit).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text());

    let before = t.store_state();
    let mut over = json!([campaign(2, "y")]).to_string().into_bytes();
    over.resize(limit + 1, b' ');
    let res = t.post_raw("/api/v1/objects", &t.analyst, over).await;
    let body = res.assert_error(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large");
    assert_eq!(body["error"]["details"][0]["limit_bytes"], limit);
    assert_eq!(t.store_state(), before);

    // Small JSON bodies of other routes obey the same limit.
    let mut big = br#"{"name":"x","role":"reader","pad":""#.to_vec();
    big.resize(limit + 10, b'a');
    big.extend_from_slice(b"\"}");
    let res = t
        .request(
            Method::POST,
            "/api/v1/tokens",
            Some(&t.admin),
            Some(("application/json", big)),
        )
        .await;
    res.assert_error(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large");
}

#[tokio::test]
async fn hundred_megabyte_stream_is_413_without_reading_it_all() {
    let t = TestApp::new();
    const CHUNK: usize = 1 << 20;
    let pulled = Arc::new(AtomicUsize::new(0));
    let counter = pulled.clone();
    let chunk = Bytes::from(vec![b' '; CHUNK]);
    let stream = futures_util::stream::iter((0..100).map(move |_| {
        counter.fetch_add(1, Ordering::SeqCst);
        Ok::<_, std::io::Error>(chunk.clone())
    }));
    let req = Request::builder()
        .method(Method::POST)
        .uri("/api/v1/objects")
        .header(header::AUTHORIZATION, format!("Bearer {}", t.analyst))
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from_stream(stream))
        .expect("request");
    let res = t.send(req).await;
    res.assert_error(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large");
    let read = pulled.load(Ordering::SeqCst);
    assert!(
        read <= 66,
        "read {read} MiB of a 100 MiB body with a 64 MiB limit"
    );
}

#[tokio::test]
async fn hundred_megabyte_body_with_length_is_413() {
    let t = TestApp::new();
    let body = vec![b' '; 100 * 1000 * 1000];
    let res = t.post_raw("/api/v1/objects", &t.analyst, body).await;
    res.assert_error(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large");
}

#[tokio::test]
async fn import_across_batches_reports_every_object_in_order() {
    let t = TestApp::new();
    let n = concord_store::import::DEFAULT_BATCH as u32 + 500;
    let mut objects: Vec<Value> = (0..n).map(|i| campaign(i, &format!("c{i}"))).collect();
    let bad_at = n as usize - 10;
    objects[bad_at]["modified"] = json!("2000-01-01T00:00:00.000Z");
    let body = t.import(objects).await;
    assert_eq!(body["summary"]["new"], n - 1);
    assert_eq!(body["summary"]["rejected"], 1);
    let r = results(&body);
    assert_eq!(r.len(), n as usize);
    assert!(
        r.iter().enumerate().all(|(i, x)| x["index"] == i),
        "results are in input order"
    );
    assert_eq!(r[bad_at]["status"], "rejected");
    assert_eq!(r[bad_at]["reasons"][0]["rule"], "order");
    assert_eq!(
        t.state.store.stats().expect("stats").objects,
        i64::from(n - 1)
    );
}

#[tokio::test]
async fn concurrent_imports_and_reads_all_succeed() {
    let t = Arc::new(TestApp::new());
    let mut tasks = Vec::new();
    for w in 0..8u32 {
        let t = t.clone();
        tasks.push(tokio::spawn(async move {
            let objects: Vec<Value> = (0..20)
                .map(|i| campaign(w * 1000 + i, "parallel"))
                .collect();
            let res = t
                .post("/api/v1/objects", &t.analyst, &Value::Array(objects))
                .await;
            assert_eq!(res.status, StatusCode::OK, "{}", res.text());
            let res = t.get("/api/v1/objects?limit=5", &t.reader).await;
            assert_eq!(res.status, StatusCode::OK, "{}", res.text());
        }));
    }
    for task in tasks {
        task.await.expect("task");
    }
    assert_eq!(t.state.store.stats().expect("stats").objects, 160);
}

/// Issue 22: a request of many tiny objects is answered with every object counted and
/// the listed results bounded (the rejections first).
#[tokio::test]
async fn many_tiny_objects_are_counted_and_the_listed_results_bounded() {
    use concord_server::routes::objects::MAX_LISTED_RESULTS;
    let t = TestApp::new();
    let tiny = MAX_LISTED_RESULTS + 2_000;
    let mut objects: Vec<Value> = (0..tiny).map(|_| json!({})).collect();
    objects.extend((0..10).map(|i| campaign(i, "kept")));
    let res = t
        .post("/api/v1/objects", &t.analyst, &Value::Array(objects))
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text());
    let body = res.json();
    assert_eq!(body["summary"]["new"], 10);
    assert_eq!(body["summary"]["rejected"], tiny);
    let r = results(&body);
    assert_eq!(r.len(), MAX_LISTED_RESULTS);
    assert!(
        r.iter().all(|x| x["status"] == "rejected"),
        "rejections listed"
    );
    assert_eq!(r[MAX_LISTED_RESULTS - 1]["index"], MAX_LISTED_RESULTS - 1);
    assert_eq!(body["omitted_results"], tiny + 10 - MAX_LISTED_RESULTS);
    let message = body["message"].as_str().unwrap_or("");
    assert!(message.contains("leaving out"), "{message}");
    assert_eq!(t.state.store.stats().expect("stats").objects, 10);
}

/// Issue 22: a document over `max_objects_per_request` gets 413 naming the limit, and
/// nothing of it is stored; what was accepted before stays.
#[tokio::test]
async fn more_objects_than_the_limit_is_413_and_stores_nothing() {
    let t = TestApp::with_config(ServerConfig {
        max_objects_per_request: 50,
        ..ServerConfig::default()
    });
    let first: Vec<Value> = (0..50).map(|i| campaign(i, "first")).collect();
    let body = t.import(first).await;
    assert_eq!(body["summary"]["new"], 50);
    let before = t.store_state();
    let bundle = json!({
        "type": "bundle", "id": format!("bundle--{}", uuid(1)),
        "objects": (100..151).map(|i| campaign(i, "over")).collect::<Vec<_>>()
    });
    let res = t.post("/api/v1/objects", &t.analyst, &bundle).await;
    res.assert_error(StatusCode::PAYLOAD_TOO_LARGE, "too_many_objects");
    let message = res.json()["error"]["message"]
        .as_str()
        .unwrap_or("")
        .to_owned();
    assert!(
        message.contains("holds 51 objects; at most 50")
            && message.contains("max_objects_per_request"),
        "{message}"
    );
    assert_eq!(t.store_state(), before, "nothing of it stored");
    let got = t
        .get(&format!("/api/v1/objects/campaign--{}", uuid(3)), &t.reader)
        .await;
    assert_eq!(
        got.json()["object"]["name"],
        "first",
        "accepted before, kept"
    );
}
