//! Every page answers, with the content it promises: dashboard charts, browsing with
//! filters and cursor pages, full-text search in several scripts, the object page with
//! versions and their difference, the graph, import, matching, administration.

use axum::http::{Method, StatusCode, header};
use concord_stix::Tlp;
use serde_json::json;

use super::common::{T, TestWeb, enc, id, indicator, malware, relationship};

#[tokio::test]
async fn every_page_route_answers_for_an_admin() {
    let web = TestWeb::new();
    web.import(vec![
        indicator(1, "C2 address", Some(Tlp::Green), "198.51.100.1"),
        malware(2, "Poison Ivy", None),
        relationship(3, &id("indicator", 1), &id("malware", 2), None),
    ]);
    let mut c = web.signed_in("admin").await;
    for path in [
        "/".to_owned(),
        "/objects".to_owned(),
        format!("/objects/{}", id("indicator", 1)),
        format!("/objects/{}/graph", id("indicator", 1)),
        "/import".to_owned(),
        "/matching".to_owned(),
        "/account".to_owned(),
        "/admin".to_owned(),
        "/peers".to_owned(),
        "/incidents".to_owned(),
        "/notifications".to_owned(),
        "/community".to_owned(),
        "/community/proposals".to_owned(),
        "/community/log".to_owned(),
        "/signin".to_owned(),
    ] {
        let res = c.get(&path).await;
        if path == "/signin" {
            assert_eq!(res.status, StatusCode::SEE_OTHER, "signed in already");
            continue;
        }
        let body = res.page();
        assert!(body.starts_with("<!DOCTYPE html>"), "{path}");
        let csp = res
            .headers
            .get(header::CONTENT_SECURITY_POLICY)
            .expect("CSP");
        assert!(csp.to_str().unwrap().contains("script-src 'self'"));
        assert!(
            body.len() < 200 * 1024,
            "{path} weighs {} bytes",
            body.len()
        );
    }
    for (asset, mime) in [
        ("style.css", "text/css"),
        ("favicon.svg", "image/svg+xml"),
        ("concord.js", "text/javascript"),
    ] {
        let res = c.get(&format!("/assets/{asset}")).await;
        assert_eq!(res.status, StatusCode::OK);
        assert!(
            res.headers[header::CONTENT_TYPE]
                .to_str()
                .unwrap()
                .starts_with(mime)
        );
    }
    assert_eq!(c.get("/assets/nope.js").await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_root_stays_json_for_api_clients() {
    let web = TestWeb::new();
    let mut c = web.client();
    let res = c
        .send(Method::GET, "/api/v1/nothing", None, Vec::new())
        .await;
    assert_eq!(res.status, StatusCode::NOT_FOUND);
    assert!(res.body.contains("route_not_found"));
    let req = axum::http::Request::builder()
        .uri("/")
        .body(axum::body::Body::empty())
        .unwrap();
    let res = tower::ServiceExt::oneshot(web.router.clone(), req)
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert!(
        res.headers()[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .contains("json")
    );
    // A browser asking for / is sent to sign in.
    assert_eq!(c.get("/").await.location(), "/signin?next=/");
}

#[tokio::test]
async fn browsing_filters_and_pages_by_cursor() {
    let web = TestWeb::new();
    let mut objects = Vec::new();
    for n in 1..=120u32 {
        let mut v = indicator(
            n,
            &format!("bulk indicator {n}"),
            None,
            &format!("10.0.{}.{}", n / 200, n % 200),
        );
        if n % 2 == 0 {
            v["labels"] = json!(["even"]);
        }
        v["created_by_ref"] = json!(id("identity", if n % 3 == 0 { 1 } else { 2 }));
        objects.push(v);
    }
    objects.push(malware(500, "Lonely malware", Some(Tlp::Amber)));
    web.import(objects);
    let mut c = web.signed_in("admin").await;
    let first = c.get("/objects?type=indicator").await;
    let body = first.page().to_owned();
    assert!(body.contains("50 objects on this page."));
    assert!(body.contains("bulk indicator 120"));
    let next_at = body.find("rel=\"next\"").expect("a next link");
    let href_start = body[..next_at].rfind("href=\"").unwrap() + 6;
    let href = body[href_start..]
        .split('"')
        .next()
        .unwrap()
        .replace("&amp;", "&");
    let second = c.get(&href).await;
    assert!(second.page().contains("bulk indicator 70"));
    assert!(!second.body.contains("bulk indicator 71<"));
    let third_href = {
        let b = &second.body;
        let at = b.find("rel=\"next\"").unwrap();
        let s = b[..at].rfind("href=\"").unwrap() + 6;
        b[s..].split('"').next().unwrap().replace("&amp;", "&")
    };
    let third = c.get(&third_href).await;
    assert!(third.page().contains("20 objects on this page."));
    assert!(!third.body.contains("rel=\"next\""));
    // Filters.
    let labelled = c.get("/objects?label=even&type=indicator").await;
    assert!(labelled.page().contains("bulk indicator 120"));
    assert!(!labelled.body.contains("bulk indicator 119<"));
    let src = c
        .get(&format!("/objects?source={}", enc(&id("identity", 1))))
        .await;
    assert!(src.page().contains("bulk indicator 99<"));
    assert!(!src.body.contains("bulk indicator 100<"));
    let amber = c.get("/objects?tlp=amber").await;
    assert!(amber.page().contains("Lonely malware"));
    assert!(!amber.body.contains("bulk indicator"));
    let today = chrono::Utc::now().date_naive();
    let none = c.get("/objects?to=2000-01-01").await;
    assert!(none.page().contains("No object matches these filters."));
    let all = c.get(&format!("/objects?from={today}&q=Lonely")).await;
    assert!(all.page().contains("Lonely malware"));
    for bad in [
        "/objects?type=Not%20A%20Type",
        "/objects?tlp=purple",
        "/objects?from=yesterday",
        "/objects?after=-3",
        "/objects?source=me",
    ] {
        assert_eq!(c.get(bad).await.status, StatusCode::BAD_REQUEST, "{bad}");
    }
}

#[tokio::test]
async fn search_finds_text_in_every_script() {
    let web = TestWeb::new();
    let names = [
        (1, "Фишинговая кампания против банков"),
        (2, "حملة تصيد احتيالي"),
        (3, "针对银行的钓鱼攻击活动"),
        (4, "Campagne d'hameçonnage ciblée"),
        (5, "Campaña de suplantación"),
    ];
    web.import(
        names
            .iter()
            .map(|(n, name)| malware(*n, name, None))
            .collect(),
    );
    let mut c = web.signed_in("green").await;
    for (q, expect) in [
        ("Фишинговая", 1),
        ("تصيد", 2),
        ("钓鱼", 3),
        ("银行的钓鱼", 3),
        ("hameconnage", 4),
        ("suplantación", 5),
    ] {
        let page = c.get(&format!("/objects?q={}", enc(q))).await;
        let body = page.page();
        assert!(body.contains(&id("malware", expect)), "{q}");
        for (n, _) in names.iter().filter(|(n, _)| *n != expect) {
            assert!(!body.contains(&id("malware", *n)), "{q} also finds {n}");
        }
    }
}

#[tokio::test]
async fn object_page_shows_fields_versions_and_their_difference() {
    let web = TestWeb::new();
    let mut v1 = malware(1, "Poison Ivy", None);
    v1["description"] = json!("A remote access tool.");
    let mut v2 = v1.clone();
    v2["modified"] = json!("2024-04-01T00:00:00.000Z");
    v2["description"] = json!("A remote access trojan.");
    v2["aliases"] = json!(["PIVY"]);
    web.import(vec![
        v1,
        v2,
        indicator(2, "PIVY C2", None, "198.51.100.9"),
        indicator(3, "Another C2", None, "198.51.100.9"),
        relationship(4, &id("indicator", 2), &id("malware", 1), None),
    ]);
    let mut c = web.signed_in("green").await;
    let page = c.get(&format!("/objects/{}", id("malware", 1))).await;
    let body = page.page();
    assert!(body.contains("<h1>Poison Ivy</h1>"));
    assert!(body.contains("A remote access trojan."));
    assert!(body.contains("2 versions"));
    assert!(body.contains("1 relationship"));
    assert!(body.contains("No markings (treated as TLP:CLEAR)."));
    let versions = web.store().versions(&id("malware", 1)).unwrap();
    let diff = c
        .get(&format!(
            "/objects/{}?a={}&b={}",
            id("malware", 1),
            versions[0].seq,
            versions[1].seq
        ))
        .await;
    let body = diff.page();
    assert!(body.contains("3 properties differ"), "{body}");
    assert!(body.contains("A remote access tool."));
    assert!(body.contains("(added)"));
    // Correlation: the two indicators share an address.
    let page = c.get(&format!("/objects/{}", id("indicator", 2))).await;
    assert!(page.page().contains("1 correlation"));
    assert!(page.body.contains("Another C2"));
    // The graph: an SVG with a link per node.
    let graph = c
        .get(&format!("/objects/{}/graph", id("indicator", 2)))
        .await;
    let body = graph.page();
    assert!(body.contains("<svg"));
    assert!(body.contains(&format!("<a href=\"/objects/{}\">", id("malware", 1))));
    assert!(body.contains(&format!("<a href=\"/objects/{}\">", id("indicator", 3))));
    assert!(body.contains("2 objects in the graph"));
    assert_eq!(
        c.get("/objects/not-an-id").await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn import_and_matching_pages_report_per_object_results() {
    let web = TestWeb::new();
    let mut c = web.signed_in("analyst").await;
    let csrf = c.csrf().await;
    let doc = json!({"type": "bundle", "id": "bundle--00000000-0000-4000-8000-000000000009", "objects": [
        indicator(1, "Upload one", None, "203.0.113.5"),
        {"type": "indicator", "spec_version": "2.1", "id": id("indicator", 2), "created": T, "modified": T,
         "pattern": "[ipv4-addr:value = ", "pattern_type": "stix", "valid_from": T},
    ]});
    let res = c
        .import_file(&csrf, doc.to_string().as_bytes(), "upload.json")
        .await;
    let body = res.page();
    assert!(body.contains("New: 1."), "{body}");
    assert!(body.contains("Rejected: 1."));
    assert!(body.contains("rejected"));
    assert!(body.contains(&id("indicator", 2)));
    let res = c.post_multipart("/import", &[("csrf", &csrf)], b"").await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST);
    assert!(res.body.contains("Choose a file first."));
    // The node's identity, as `serve` sets it: sightings name it as where they were seen.
    let node = "identity--00000000-0000-4000-8000-0000000000aa";
    assert!(web.state.matching.set_identity(node));
    let res = c
        .post_multipart(
            "/matching",
            &[("csrf", &csrf), ("format", "lines")],
            b"203.0.113.5\n192.0.2.1\n",
        )
        .await;
    let body = res.page();
    assert!(body.contains("Sightings written: 1."), "{body}");
    assert!(body.contains("Upload one"));
    let stored = web
        .state
        .store
        .list(&concord_store::ListQuery {
            types: vec!["sighting".into()],
            ..Default::default()
        })
        .unwrap();
    assert_eq!(stored.objects.len(), 1);
    assert_eq!(
        stored.objects[0].value()["where_sighted_refs"],
        json!([node])
    );
    let res = c
        .post_multipart("/matching", &[("csrf", &csrf), ("format", "pcap")], b"x")
        .await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST);
    // The dashboard now lists the sighting.
    let dash = c.get("/").await;
    assert!(dash.page().contains("Recent sightings"));
    assert!(dash.body.contains("sighting--"));
}

#[tokio::test]
async fn peers_page_shows_sync_state_and_verifies_the_audit_chain() {
    use concord_store::federation::{AuditEntry, PeerRecord};
    let web = TestWeb::new();
    web.import(vec![indicator(1, "Shared", None, "198.51.100.1")]);
    web.store()
        .put_peer(&PeerRecord {
            node_id: "node-b".into(),
            name: "CERT B".into(),
            url: "https://b.example".into(),
            added: T.into(),
            ..PeerRecord::default()
        })
        .unwrap();
    // Synced once (its head at 20, nothing received yet), then a pull failed.
    web.store().peer_synced("node-b", 20).unwrap();
    web.store()
        .peer_failed("node-b", "connection refused")
        .unwrap();
    let entry = |verdict: &str| AuditEntry {
        peer: "node-b".into(),
        object_id: id("indicator", 1),
        version: T.into(),
        verdict: verdict.into(),
        agreement: Some("national".into()),
        reasons: json!([{"rule": "tlp", "effect": "allow"}]),
    };
    web.store()
        .append_audit(&[entry("send"), entry("withhold")])
        .unwrap();
    let mut admin = web.signed_in("admin").await;
    let page = admin.get("/peers").await;
    let body = page.page();
    assert!(body.contains("CERT B"));
    assert!(body.contains("connection refused"));
    assert!(body.contains(">20<"), "lag = head - cursor");
    assert!(body.contains("withheld"));
    let verified = admin.get("/peers?verify=1").await;
    assert!(
        verified
            .page()
            .contains("The audit chain is intact (2 entries checked).")
    );
    let dash = admin.get("/").await;
    assert!(
        dash.page()
            .contains("1 peer is connected. 1 failed its last pull.")
    );
    let mut reader = web.signed_in("green").await;
    assert_eq!(reader.get("/peers").await.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn incidents_are_listed_with_their_timeline_within_the_clearance() {
    use concord_response::incident::{self, NewIncident};
    let web = TestWeb::new();
    web.import(vec![indicator(
        1,
        "Ransom C2",
        Some(Tlp::Green),
        "198.51.100.66",
    )]);
    let open = |name: &str, tlp: &str| {
        incident::open(
            &**web.store(),
            &NewIncident {
                name: name.into(),
                severity: Some("high".into()),
                tlp: Some(tlp.into()),
                links: vec![id("indicator", 1)],
                ..NewIncident::default()
            },
        )
        .unwrap()
    };
    let green = open("Ransomware at a hospital", "green");
    let red = open("Secret red incident", "red");
    let mut reader = web.signed_in("green").await;
    let list = reader.get("/incidents").await;
    let body = list.page();
    assert!(body.contains("Ransomware at a hospital"));
    assert!(!body.contains("Secret red incident"));
    let page = reader.get(&format!("/incidents/{green}")).await;
    let body = page.page();
    assert!(body.contains("<h1>Ransomware at a hospital</h1>"));
    assert!(body.contains("Timeline"));
    assert!(
        body.contains("Ransom C2"),
        "the linked indicator is on the timeline"
    );
    assert!(body.contains("high"));
    assert_eq!(
        reader.get(&format!("/incidents/{red}")).await.status,
        StatusCode::NOT_FOUND
    );
    // The dashboard lists it among the recent incidents, marked once it is an alert.
    let dash = reader.get("/").await;
    assert!(dash.page().contains("Ransomware at a hospital"));
    assert!(!dash.body.contains("tlp-amber\">alert<"));
    web.store()
        .put_peer(&concord_store::federation::PeerRecord {
            node_id: "node-b".into(),
            name: "CERT B".into(),
            url: "https://b.example".into(),
            added: T.into(),
            ..Default::default()
        })
        .unwrap();
    concord_response::alert::send(&**web.store(), &green, &["node-b".to_owned()]).unwrap();
    let dash = reader.get("/").await;
    assert!(dash.page().contains("tlp-amber\">alert<"), "{}", dash.body);
    assert!(!dash.body.contains("Secret red incident"));
    let mut admin = web.signed_in("admin").await;
    assert!(
        admin
            .get("/incidents")
            .await
            .page()
            .contains("Secret red incident")
    );
    assert_eq!(
        admin.get("/incidents/not-an-id").await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn admins_see_what_each_peer_would_receive() {
    use concord_federation::identity::NodeKey;
    use concord_federation::server::{FederationConfig, FederationState};
    use concord_store::federation::PeerRecord;
    let store: std::sync::Arc<dyn concord_store::Store> =
        std::sync::Arc::new(concord_store::sqlite::SqliteStore::open_in_memory().unwrap());
    let hash = concord_web::session::hash_password(super::common::PASSWORD);
    store
        .create_user("admin", concord_store::Role::Admin, Tlp::Red, &hash)
        .unwrap();
    let fed = FederationState::new(
        store.clone(),
        NodeKey::from_seed([7; 32]),
        FederationConfig::default(),
    )
    .unwrap();
    let state =
        concord_server::AppState::new(store.clone(), concord_server::ServerConfig::default())
            .with_federation(fed);
    let web = TestWeb::from_state(state);
    web.import(vec![
        indicator(1, "Shared green", Some(Tlp::Green), "198.51.100.1"),
        indicator(2, "Kept red", Some(Tlp::Red), "198.51.100.2"),
    ]);
    store
        .put_peer(&PeerRecord {
            node_id: "node-b".into(),
            name: "CERT B".into(),
            url: "https://b.example".into(),
            ..PeerRecord::default()
        })
        .unwrap();
    let mut admin = web.signed_in("admin").await;
    let object = admin.get(&format!("/objects/{}", id("indicator", 2))).await;
    assert!(
        object
            .page()
            .contains("/policy\">What each peer would receive</a>")
    );
    let red = admin
        .get(&format!("/objects/{}/policy", id("indicator", 2)))
        .await;
    let body = red.page();
    assert!(body.contains("CERT B"));
    assert!(body.contains("<strong>withheld</strong>"), "{body}");
    assert!(body.contains("builtin.tlp-red"));
    let green = admin
        .get(&format!("/objects/{}/policy", id("indicator", 1)))
        .await;
    assert!(green.page().contains("CERT B"));
}

#[tokio::test]
async fn import_reads_plain_lists_and_misp_events_too() {
    let web = TestWeb::new();
    let mut c = web.signed_in("analyst").await;
    let csrf = c.csrf().await;
    let list = b"# blocklist\n203.0.113.77\nevil.example.org\nnot a value at all\n";
    let res = c.import_file(&csrf, list, "blocklist.txt").await;
    let body = res.page().to_owned();
    assert!(body.contains("Read as: one value per line"), "{body}");
    assert!(body.contains("record could not be converted"), "{body}");
    let page = c.get("/objects?q=203.0.113.77").await;
    assert!(page.page().contains("203.0.113.77"));
    // The same list again: nothing new (the held versions are kept).
    let again = c.import_file(&csrf, list, "blocklist.txt").await;
    assert!(
        again.page().contains("New: 0. New versions: 0."),
        "{}",
        again.body
    );
    let misp = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/corpus/misp/pymisp_existing_event.json");
    match std::fs::read(&misp) {
        Ok(bytes) => {
            let res = c.import_file(&csrf, &bytes, "upload.json").await;
            let body = res.page();
            assert!(body.contains("Read as: MISP JSON"), "{body}");
            assert!(!body.contains("New: 0."), "{body}");
        }
        Err(_) => {
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "CI=true but the corpus is missing"
            );
            eprintln!(
                "SKIPPED (MISP part): the shared corpus is not at {}",
                misp.display()
            );
        }
    }
}

#[tokio::test]
async fn import_reads_a_csv_file_in_a_chosen_layout() {
    let web = TestWeb::new();
    let mut c = web.signed_in("analyst").await;
    let form = c.get("/import").await;
    assert!(
        form.page().contains("<option value=\"urlhaus\">"),
        "{}",
        form.body
    );
    let csrf = c.csrf().await;
    // Two rows in URLhaus's CSV layout (a value column that is not the first one), and
    // one row with a column missing.
    let csv = b"# URLhaus\n\
        \"2026-11-01 10:00:00\",\"http://c2.bad.example/drop.exe\",\"online\",\"malware_download\",\"c2.bad.example\",\"198.51.100.9\",\"64500\",\"NL\"\n\
        \"2026-11-01 11:00:00\",\"http://other.bad.example/x\",\"offline\",\"phishing\",\"other.bad.example\",\"198.51.100.10\",\"64500\",\"NL\"\n\
        \"2026-11-01 12:00:00\",\"http://short.bad.example/\",\"online\"\n";
    let res = c
        .import_file_with(
            &[("csrf", &csrf), ("layout", "urlhaus")],
            csv,
            "urlhaus.csv",
        )
        .await;
    let body = res.page().to_owned();
    assert!(
        body.contains("Read as: a list or CSV file with the chosen layout"),
        "{body}"
    );
    // Two indicators and the identity of the file as their source.
    assert!(body.contains("New: 3."), "{body}");
    assert!(body.contains("record could not be converted"), "{body}");
    let found = c.get("/objects?q=c2.bad.example").await;
    assert!(
        found.page().contains("c2.bad.example/drop.exe"),
        "{}",
        found.body
    );
    // A layout that does not exist is refused with its name, and nothing is stored.
    let bad = c
        .post_file(
            "/import",
            &[("csrf", &csrf), ("layout", "<script>nope</script>")],
            csv,
            "x.csv",
        )
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(
        bad.body.contains("There is no known layout called"),
        "{}",
        bad.body
    );
    assert!(!bad.body.contains("<script>nope"), "{}", bad.body);
}

#[tokio::test]
async fn an_import_job_belongs_to_its_user_and_reports_its_state() {
    let web = TestWeb::new();
    let mut c = web.signed_in("analyst").await;
    let csrf = c.csrf().await;
    let doc = json!([indicator(1, "Job one", None, "203.0.113.9")]);
    let res = c
        .post_file(
            "/import",
            &[("csrf", &csrf)],
            doc.to_string().as_bytes(),
            "job.json",
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    let job = res.location().to_owned();
    let status_url = format!("{job}/status");
    // The page script's view of it: JSON, `running` until done.
    let mut done = false;
    for _ in 0..3000 {
        let s = c.get(&status_url).await;
        assert_eq!(s.status, StatusCode::OK);
        let v: serde_json::Value = serde_json::from_str(&s.body).unwrap();
        if v["running"] == json!(false) {
            done = true;
            break;
        }
        assert!(v["text"].is_string(), "{v}");
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    assert!(done, "the job never finished");
    let page = c.get(&job).await;
    assert!(page.page().contains("New: 1."), "{}", page.body);
    assert!(
        !page.body.contains("http-equiv=\"refresh\""),
        "a finished job's page stays"
    );
    // The form page lists it among the user's recent imports.
    let form = c.get("/import").await;
    assert!(form.page().contains(&format!("href=\"{job}\"")));
    assert!(form.body.contains("job.json"));
    // Another user (even an admin) does not see it; nobody signed in gets 401 / sign-in.
    let mut admin = web.signed_in("admin").await;
    assert_eq!(admin.get(&job).await.status, StatusCode::NOT_FOUND);
    assert_eq!(admin.get(&status_url).await.status, StatusCode::NOT_FOUND);
    assert!(!admin.get("/import").await.body.contains("job.json"));
    let mut anon = web.client();
    assert_eq!(anon.get(&status_url).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(anon.get(&job).await.status, StatusCode::SEE_OTHER);
}
