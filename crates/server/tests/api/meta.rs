//! Health, metrics, the OpenAPI document, unknown routes and methods.

use axum::http::{Method, StatusCode, header};

use super::common::{TestApp, campaign};

#[tokio::test]
async fn healthz_needs_no_token() {
    let t = TestApp::new();
    let res = t.request(Method::GET, "/healthz", None, None).await;
    assert_eq!(res.status, StatusCode::OK);
    assert_eq!(res.json(), serde_json::json!({"status": "ok"}));
}

/// Issue 27: `/readyz` answers 200 when the database answers and the indexer is caught up,
/// and 503 with the reason once the node is stopping.
#[tokio::test]
async fn readyz_checks_the_database_and_says_what_is_wrong() {
    let t = TestApp::new();
    let res = t.request(Method::GET, "/readyz", None, None).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text());
    assert_eq!(res.json()["status"], "ready");
    t.state.stopping.send_replace(true);
    let res = t.request(Method::GET, "/readyz", None, None).await;
    assert_eq!(
        res.status,
        StatusCode::SERVICE_UNAVAILABLE,
        "{}",
        res.text()
    );
    assert!(res.text().contains("stopping"), "{}", res.text());
}

#[tokio::test]
async fn metrics_count_requests_by_route_template() {
    let t = TestApp::new();
    t.import(vec![campaign(1, "c")]).await;
    let id = format!("campaign--{}", super::common::uuid(1));
    t.get(&format!("/api/v1/objects/{id}"), &t.reader).await;
    t.get(
        "/api/v1/objects/campaign--00000000-0000-4000-8000-000000000000",
        &t.reader,
    )
    .await;
    t.request(Method::GET, "/api/v1/objects", None, None).await;
    t.request(Method::GET, "/no/such/route", None, None).await;
    let res = t.request(Method::GET, "/metrics", None, None).await;
    assert_eq!(res.status, StatusCode::OK);
    let ct = res
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    assert!(ct.starts_with("text/plain"), "{ct}");
    let text = res.text();
    for line in [
        "concord_http_requests_total{method=\"POST\",route=\"/api/v1/objects\",status=\"200\"} 1",
        "concord_http_requests_total{method=\"GET\",route=\"/api/v1/objects/{id}\",status=\"200\"} 1",
        "concord_http_requests_total{method=\"GET\",route=\"/api/v1/objects/{id}\",status=\"404\"} 1",
        "concord_http_requests_total{method=\"GET\",route=\"/api/v1/objects\",status=\"401\"} 1",
        "concord_http_requests_total{method=\"GET\",route=\"unmatched\",status=\"404\"} 1",
        "concord_http_request_duration_seconds_count{method=\"GET\",route=\"/api/v1/objects/{id}\"} 2",
        "concord_import_objects_total{result=\"new\"} 1",
        "concord_objects{type=\"campaign\"} 1",
        "concord_store_up 1",
    ] {
        assert!(text.contains(line), "missing {line:?} in:\n{text}");
    }
    assert!(
        text.lines()
            .any(|l| l.starts_with("concord_store_last_seq ") && !l.ends_with(" 0")),
        "{text}"
    );
    assert!(!text.contains(&id), "raw paths must not become labels");
    // Every sample line is `name{labels} value` or `name value`.
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        let value = line.rsplit(' ').next().unwrap_or("");
        assert!(value.parse::<f64>().is_ok(), "bad sample line {line:?}");
    }
}

#[tokio::test]
async fn each_app_has_its_own_metrics() {
    let a = TestApp::new();
    let b = TestApp::new();
    a.request(Method::GET, "/healthz", None, None).await;
    let text = b.request(Method::GET, "/metrics", None, None).await.text();
    assert!(!text.contains("route=\"/healthz\""), "{text}");
}

#[tokio::test]
async fn openapi_lists_every_route_the_router_serves() {
    let t = TestApp::new();
    let res = t
        .request(Method::GET, "/api/v1/openapi.json", None, None)
        .await;
    assert_eq!(res.status, StatusCode::OK);
    let doc = res.json();
    assert!(doc["openapi"].as_str().is_some_and(|v| v.starts_with("3.")));
    assert!(doc["info"]["title"].is_string() && doc["info"]["version"].is_string());
    assert_eq!(
        doc["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );
    let paths = doc["paths"].as_object().expect("paths");
    let mut documented = 0;
    for (path, item) in paths {
        for (method, op) in item.as_object().expect("path item") {
            documented += 1;
            assert!(
                op["responses"].as_object().is_some_and(|r| !r.is_empty()),
                "{method} {path}"
            );
            // Every `{param}` of the template is declared as a path parameter.
            for name in path.split('{').skip(1).filter_map(|s| s.split('}').next()) {
                let declared = op["parameters"]
                    .as_array()
                    .is_some_and(|ps| ps.iter().any(|p| p["name"] == name && p["in"] == "path"));
                assert!(declared, "{method} {path} does not declare {name}");
            }
            // The router serves it (any answer but "no such route" / "method not allowed").
            let concrete = path.replace("{id}", "1");
            let res = t
                .request(
                    method.to_uppercase().parse().expect("method"),
                    &concrete,
                    Some(&t.admin),
                    None,
                )
                .await;
            assert_ne!(
                res.status,
                StatusCode::METHOD_NOT_ALLOWED,
                "{method} {path}"
            );
            if res.status == StatusCode::NOT_FOUND {
                assert_ne!(
                    res.json()["error"]["code"],
                    "route_not_found",
                    "{method} {path}"
                );
            }
        }
    }
    assert_eq!(documented, concord_server::ROUTES.len());
    for (method, path) in concord_server::ROUTES {
        assert!(
            doc["paths"][path][method.to_lowercase()].is_object(),
            "{method} {path} undocumented"
        );
    }
    // Every $ref resolves.
    let text = doc.to_string();
    for part in text.split("\"$ref\":\"#/components/schemas/").skip(1) {
        let name = part.split('"').next().unwrap_or("");
        assert!(
            doc["components"]["schemas"][name].is_object(),
            "dangling $ref {name}"
        );
    }
}

#[tokio::test]
async fn unknown_route_and_method_get_json_errors() {
    let t = TestApp::new();
    t.request(Method::GET, "/api/v1/nothing", Some(&t.reader), None)
        .await
        .assert_error(StatusCode::NOT_FOUND, "route_not_found");
    t.request(Method::GET, "/", None, None)
        .await
        .assert_error(StatusCode::NOT_FOUND, "route_not_found");
    let res = t
        .request(Method::PUT, "/api/v1/objects", Some(&t.admin), None)
        .await;
    res.assert_error(StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed");
    assert!(res.headers.get(header::ALLOW).is_some());
}

/// The served OpenAPI document passes the reference `openapi-spec-validator` (installed
/// by `scripts/test` in the test virtualenv).
#[tokio::test]
async fn openapi_document_passes_openapi_spec_validator() {
    let venv = std::env::var_os("CONCORD_VENV")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| {
            std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../.venv")
        });
    let exe = venv.join("bin/openapi-spec-validator");
    if !exe.is_file() {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "CI=true but {} is missing (run scripts/test)",
            exe.display()
        );
        eprintln!(
            "SKIPPED: {} not found; run scripts/test to install it",
            exe.display()
        );
        return;
    }
    let t = TestApp::new();
    let res = t
        .request(Method::GET, "/api/v1/openapi.json", None, None)
        .await;
    assert_eq!(res.status, StatusCode::OK);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("openapi.json");
    std::fs::write(&file, &res.bytes).unwrap();
    let out = std::process::Command::new(&exe)
        .arg(&file)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "openapi-spec-validator rejected the document:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
