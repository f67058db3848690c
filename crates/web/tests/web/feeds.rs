//! Feed health: a real data directory with the CLI's `concord.toml` (`[[feeds]]`) and
//! `feeds-state.json` shows each feed's last run, counts and errors on the dashboard
//! (error texts only on the feeds page, for analysts) and follows changes to the files.

use concord_server::ServerConfig;

use super::common::TestWeb;

const CONFIG: &str = r#"
[server]
listen = "127.0.0.1:8443"

[[feeds]]
name = "abuse-urls"
url = "https://feeds.example/urls.csv"
format = "csv"

[[feeds]]
name = "never-ran"
url = "/var/feeds/list.txt"
format = "lines"
"#;

fn state() -> serde_json::Value {
    serde_json::json!({
        "abuse-urls": {
            "last_run": "2024-03-01T10:00:00.000Z", "new": 1234, "new_versions": 7,
            "unchanged": 50, "rejected": 2, "record_errors": 1, "expired": 3,
            "events_fetched": 0, "errors": ["fetch https://feeds.example/urls.csv: <script>alert(1)</script> timed out"],
            "events": {}, "ids": ["indicator--00000000-0000-4000-8000-000000000001"],
            "a_field_from_a_newer_cli": true
        },
        "removed-feed": {"last_run": "2024-02-01T00:00:00Z", "new": 5}
    })
}

#[tokio::test]
async fn feeds_of_the_data_directory_show_their_last_run_counts_and_errors() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("concord.toml"), CONFIG).unwrap();
    std::fs::write(
        dir.path().join("feeds-state.json"),
        serde_json::to_vec_pretty(&state()).unwrap(),
    )
    .unwrap();
    let web = TestWeb::with_config(ServerConfig {
        data_dir: Some(dir.path().to_owned()),
        ..ServerConfig::default()
    });

    // The feeds page: every feed, configured ones first, with counts and error texts.
    let mut analyst = web.signed_in("analyst").await;
    let page = analyst.get("/matching").await;
    let body = page.page();
    let at = |s: &str| {
        body.find(s)
            .unwrap_or_else(|| panic!("{s:?} missing from {body}"))
    };
    assert!(at("abuse-urls") < at("never-ran") && at("never-ran") < at("removed-feed"));
    assert!(body.contains("Mar 1, 2024, 10:00 UTC"), "{body}");
    assert!(body.contains(">1,234<"), "{body}");
    assert!(body.contains("Not run yet."));
    assert!(body.contains("(no longer in concord.toml)"));
    assert!(body.contains("&lt;script&gt;alert(1)&lt;/script&gt; timed out"));
    assert!(!body.contains("No feeds are configured"));

    // The dashboard, for a reader: the same feeds with the number of errors, not their text.
    let mut reader = web.signed_in("green").await;
    let dash = reader.get("/").await;
    let body = dash.page();
    assert!(body.contains("abuse-urls") && body.contains("never-ran"));
    assert!(
        body.contains("last run Mar 1, 2024, 10:00 UTC: 1,234 new, 7 new versions, 3 rejected"),
        "{body}"
    );
    assert!(body.contains("1 error"), "{body}");
    assert!(
        !body.contains("timed out"),
        "error texts stay on the feeds page"
    );

    // A new run is shown at once (the files are read again when they change), in the
    // reader's language.
    let mut s = state();
    s["abuse-urls"]["errors"] = serde_json::json!([]);
    s["abuse-urls"]["new"] = serde_json::json!(99);
    s["abuse-urls"]["last_run"] = serde_json::json!("2024-03-02T11:30:00.000Z");
    std::fs::write(
        dir.path().join("feeds-state.json"),
        serde_json::to_vec(&s).unwrap(),
    )
    .unwrap();
    reader.accept_language = "fr".into();
    let dash = reader.get("/").await;
    let body = dash.page();
    assert!(body.contains("2 mars 2024, 11:30 UTC"), "{body}");
    assert!(
        body.contains(": 99 nouveaux, 7 nouvelles versions, 3 rejetés"),
        "{body}"
    );
    assert!(!body.contains("1 erreur"));

    // A damaged state file is reported, and the configured feeds are still listed.
    std::fs::write(dir.path().join("feeds-state.json"), b"{\"abuse-urls\": [").unwrap();
    let page = analyst.get("/matching").await;
    let body = page.page();
    assert!(
        body.contains("A feed file could not be read: feeds-state.json"),
        "{body}"
    );
    assert!(body.contains("abuse-urls") && body.contains("Not run yet."));
}

#[tokio::test]
async fn without_a_data_directory_or_feeds_the_panel_says_so() {
    let web = TestWeb::new();
    let mut c = web.signed_in("analyst").await;
    assert!(
        c.get("/matching")
            .await
            .page()
            .contains("No feeds are configured on this node.")
    );
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("concord.toml"), "[server]\n").unwrap();
    let web = TestWeb::with_config(ServerConfig {
        data_dir: Some(dir.path().to_owned()),
        ..ServerConfig::default()
    });
    let mut c = web.signed_in("analyst").await;
    assert!(
        c.get("/")
            .await
            .page()
            .contains("No feeds are configured on this node.")
    );
}
