//! Hostile input: `<script>` in every text field of imported objects, in user and token
//! names, in search terms and uploads; no page may contain it unescaped. (No page of the
//! interface has a `<script>` element at all, so any `<script` in a page is injected.)

use axum::http::StatusCode;
use serde_json::json;

use super::common::{T, TestWeb, enc, id};

const XSS: &str = "<script>alert('x')</script>";
const XSS2: &str = "\"><script>alert(2)</script><img src=x onerror=alert(3)>";

fn hostile_objects() -> Vec<serde_json::Value> {
    let both = format!("{XSS} {XSS2}");
    vec![
        json!({
            "type": "identity", "spec_version": "2.1", "id": id("identity", 1),
            "created": T, "modified": T, "name": both, "description": both,
            "identity_class": "organization", "roles": [XSS], "sectors": ["government"],
            "contact_information": XSS2,
        }),
        json!({
            "type": "malware", "spec_version": "2.1", "id": id("malware", 2),
            "created": T, "modified": T, "name": both, "description": both,
            "is_family": true, "aliases": [XSS, XSS2], "labels": [XSS, XSS2],
            "created_by_ref": id("identity", 1),
            "external_references": [{"source_name": both, "description": both, "url": "javascript:alert(1)", "external_id": XSS}],
            "kill_chain_phases": [{"kill_chain_name": "lockheed-martin-cyber-kill-chain", "phase_name": "exploitation"}],
            "x_custom": {"nested": XSS, "list": [XSS2]},
        }),
        json!({
            "type": "indicator", "spec_version": "2.1", "id": id("indicator", 3),
            "created": T, "modified": T, "name": both, "description": both,
            "pattern": "[domain-name:value = '<script>alert(1)</script>.example']",
            "pattern_type": "stix", "valid_from": T, "labels": [XSS],
            "created_by_ref": id("identity", 1),
        }),
        json!({
            "type": "relationship", "spec_version": "2.1", "id": id("relationship", 4),
            "created": T, "modified": T, "relationship_type": "indicates",
            "description": both, "source_ref": id("indicator", 3), "target_ref": id("malware", 2),
        }),
        json!({
            "type": "malware", "spec_version": "2.1", "id": id("malware", 2),
            "created": T, "modified": "2024-03-02T10:00:00.000Z", "name": format!("{both} v2"),
            "description": XSS2, "is_family": true,
        }),
    ]
}

/// A page without the one script element the interface has: the page script, loaded
/// from `/assets/` (so any other `<script` is injected).
fn without_page_script(page: &str) -> String {
    let mut out = page.to_owned();
    while let Some(at) = out.find("<script src=\"/assets/concord.js?v=") {
        let end = out[at..]
            .find("</script>")
            .map_or(out.len(), |e| at + e + "</script>".len());
        out.replace_range(at..end, "");
    }
    out
}

fn assert_clean(page: &str, where_: &str) {
    let lower = without_page_script(page).to_lowercase();
    assert!(!lower.contains("<script"), "{where_} contains a script tag");
    assert!(
        !lower.contains("<img"),
        "{where_} contains an injected element"
    );
    assert!(
        !lower.contains("href=\"javascript:"),
        "{where_} links javascript:"
    );
}

#[tokio::test]
async fn injected_markup_is_escaped_on_every_page() {
    let web = TestWeb::new();
    let mut c = web.signed_in("admin").await;
    let csrf = c.csrf().await;
    // Through the import page itself (its result page is checked too).
    let bundle = json!({"type": "bundle", "id": "bundle--00000000-0000-4000-8000-000000000001", "objects": hostile_objects()});
    let res = c
        .import_file(&csrf, bundle.to_string().as_bytes(), "upload.json")
        .await;
    assert_clean(res.page(), "import result");
    assert!(res.body.contains("New: 4."), "{}", res.body);
    // A rejected object whose id and message carry markup.
    let bad = json!([{"type": "malware", "id": format!("malware--{XSS}"), "name": XSS}]);
    let res = c
        .import_file(&csrf, bad.to_string().as_bytes(), "upload.json")
        .await;
    assert_clean(&res.body, "import rejection");
    assert!(res.body.contains("Rejected: 1."), "{}", res.body);
    // A file that is not what it claims, with markup in its name too.
    let res = c
        .import_file(
            &csrf,
            format!("{XSS}{{").as_bytes(),
            "<script>x</script>.json",
        )
        .await;
    assert_eq!(res.status, StatusCode::OK);
    assert!(res.body.contains("This file is not a STIX document"));
    assert_clean(&res.body, "import of a non-STIX file");
    // A user and a token named with markup (no spaces, so the name is allowed).
    let res = c
        .post_form(
            "/admin/users",
            &[
                ("csrf", &csrf),
                ("name", "<script>alert(9)</script>"),
                ("password", "a long password!"),
                ("role", "reader"),
                ("clearance", "clear"),
            ],
        )
        .await;
    assert_clean(res.page(), "admin after hostile user");
    let res = c
        .post_form(
            "/account/tokens",
            &[("csrf", &csrf), ("name", XSS2), ("role", "reader")],
        )
        .await;
    assert_clean(res.page(), "account after hostile token");
    let long = "A".repeat(10_000);
    let pages = [
        "/".to_owned(),
        "/objects".to_owned(),
        format!("/objects?q={}", enc(XSS)),
        format!("/objects?label={}", enc(XSS)),
        format!("/objects?q={long}"),
        format!("/objects?type={}", enc(XSS)),
        format!("/objects?source={}", enc(XSS2)),
        format!("/objects/{}", id("malware", 2)),
        format!("/objects/{}?a=1&b=5#versions", id("malware", 2)),
        format!("/objects/{}", id("indicator", 3)),
        format!("/objects/{}", id("identity", 1)),
        format!("/objects/{}", id("relationship", 4)),
        format!("/objects/{}/graph", id("malware", 2)),
        format!("/objects/{}/graph", id("indicator", 3)),
        format!("/objects/{}", enc(XSS)),
        "/account".to_owned(),
        "/admin".to_owned(),
        "/import".to_owned(),
        "/matching".to_owned(),
        "/notifications".to_owned(),
        format!("/import/jobs/{}", enc(XSS)),
        format!("/signin?next={}", enc(XSS2)),
        format!("/lang/ar?back={}", enc("javascript:alert(1)")),
    ];
    for p in &pages {
        let res = c.get(p).await;
        assert!(res.status.as_u16() < 500, "{p}: {}", res.status);
        assert_clean(&res.body, p);
        if p.contains("/lang/") {
            assert_eq!(res.location(), "/", "no redirect to a foreign URL");
        }
    }
    c.cookies.remove("concord_lang");
    // The markup is shown as text.
    let page = c.get(&format!("/objects/{}", id("malware", 2))).await;
    assert!(
        page.body
            .contains("&lt;script&gt;alert('x')&lt;/script&gt;")
    );
    // The diff between the two versions of the malware shows escaped values.
    let versions = web.store().versions(&id("malware", 2)).unwrap();
    let diff = c
        .get(&format!(
            "/objects/{}?a={}&b={}",
            id("malware", 2),
            versions[0].seq,
            versions[1].seq
        ))
        .await;
    assert!(diff.page().contains("properties differ"), "{}", diff.body);
    assert_clean(&diff.body, "diff");
    // A hostile log line on the matching page.
    let res = c
        .post_multipart(
            "/matching",
            &[("csrf", &csrf), ("format", "eve")],
            format!("{XSS}\n{{\"a\":").as_bytes(),
        )
        .await;
    assert_clean(res.page(), "matching with malformed lines");
}
