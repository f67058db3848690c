//! The real-browser test: serves the app on 127.0.0.1, then runs
//! `tests/browser/run.mjs` with node, which drives Debian's chromium through
//! playwright-core (sign in, import a corpus bundle, search, object and graph, a live
//! notification appearing on a page, Arabic and Chinese), runs axe-core on every page and saves screenshots under
//! `target/web-screenshots/`. A second run serves the app over HTTPS with a self-signed
//! certificate that chromium trusts by its public key alone (`tests/browser/https.mjs`):
//! pages load, answers carry HSTS, cookies are `Secure`, TAXII answers a page's `fetch`.
//! Skips loudly when chromium, node or the npm packages are missing, except under
//! `CI=true`, where that fails.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use concord_server::{AppState, Listening, ServerConfig, serve, serve_with};
use concord_stix::Tlp;
use concord_store::sqlite::SqliteStore;
use concord_store::{Role, Store};
use concord_web::session::hash_password;

const CHROMIUM: &str = "/usr/bin/chromium";

fn manifest() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Why the browser test cannot run here, if it cannot.
fn missing() -> Option<String> {
    let browser_dir = manifest().join("tests/browser");
    if !Path::new(CHROMIUM).exists() {
        return Some(format!(
            "{CHROMIUM} is missing (scripts/test-browser-setup installs it)"
        ));
    }
    if !browser_dir.join("node_modules/playwright-core").is_dir()
        || !browser_dir.join("node_modules/axe-core").is_dir()
    {
        return Some(format!(
            "{}/node_modules is missing (scripts/test-browser-setup runs npm ci)",
            browser_dir.display()
        ));
    }
    if std::process::Command::new("node")
        .arg("--version")
        .output()
        .is_err()
    {
        return Some("node is missing".into());
    }
    let corpus = manifest().join("../../../shared/corpus/stix/poisonivy.json");
    if !corpus.is_file() {
        return Some(format!("the shared corpus is not at {}", corpus.display()));
    }
    None
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_a_real_browser() {
    if let Some(why) = missing() {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "CI=true but the browser test cannot run: {why}"
        );
        eprintln!("SKIPPED: browser test: {why}");
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let store = SqliteStore::open(&dir.path().join("concord.db")).expect("store");
    let store: Arc<dyn Store> = Arc::new(store);
    let password = "browser test password";
    store
        .create_user("analyst", Role::Admin, Tlp::Red, &hash_password(password))
        .expect("user")
        .expect("new");
    // A community with an open proposal, for the community pages.
    super::community::store_community(store.as_ref());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    // The node's data directory: a web subscription (live notifications of objects
    // labelled "urgent") and the CLI's feed state, as `concord serve` would have them.
    std::fs::write(
        dir.path().join("response.toml"),
        "[[subscription]]\nname = \"urgent\"\nlabels = [\"urgent\"]\nweb = true\n",
    )
    .expect("response.toml");
    std::fs::write(
        dir.path().join("concord.toml"),
        "[[feeds]]\nname = \"abuse-urls\"\nurl = \"https://feeds.example/urls.csv\"\nformat = \"csv\"\n\n[[feeds]]\nname = \"partner-misp\"\nurl = \"https://misp.example/feed\"\n",
    )
    .expect("concord.toml");
    std::fs::write(
        dir.path().join("feeds-state.json"),
        r#"{"abuse-urls": {"last_run": "2024-03-01T10:00:00.000Z", "new": 1234, "new_versions": 7, "unchanged": 50, "rejected": 2, "record_errors": 1, "expired": 3, "errors": ["fetch https://feeds.example/urls.csv: timed out after 30 s"]}}"#,
    )
    .expect("feeds-state.json");
    let state = AppState::new(
        store,
        ServerConfig {
            data_dir: Some(dir.path().to_owned()),
            ..ServerConfig::default()
        },
    );
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let web = concord_web::part(state.clone());
    let server = tokio::spawn(serve(listener, state, vec![web], async {
        let _ = stopped.await;
    }));
    let shots = manifest().join("../../target/web-screenshots");
    std::fs::create_dir_all(&shots).expect("screenshot dir");
    let corpus = manifest().join("../../../shared/corpus/stix/poisonivy.json");
    let mut cmd = std::process::Command::new("node");
    cmd.arg(manifest().join("tests/browser/run.mjs"))
        .env("CONCORD_URL", format!("http://{addr}"))
        .env("CONCORD_USER", "analyst")
        .env("CONCORD_PASSWORD", password)
        .env("CONCORD_CORPUS_FILE", &corpus)
        .env("CONCORD_SCREENSHOTS", &shots)
        .env("CHROMIUM", CHROMIUM)
        .current_dir(manifest().join("tests/browser"));
    let out = tokio::task::spawn_blocking(move || cmd.output())
        .await
        .expect("join")
        .expect("node runs");
    let _ = stop.send(());
    let _ = server.await;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    eprintln!("{stdout}\n{stderr}");
    assert!(
        out.status.success(),
        "browser test failed:\n{stdout}\n{stderr}"
    );
    assert!(stdout.contains("BROWSER TEST OK"), "{stdout}");
}

/// The app over HTTPS (issue 26): a self-signed certificate for 127.0.0.1 that chromium
/// trusts by the SHA-256 of its public key only (and refuses without it); every answer
/// carries HSTS; the session cookie is `Secure`; TAXII over the same connection.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn over_https_in_a_real_browser() {
    if let Some(why) = missing() {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "CI=true but the browser test cannot run: {why}"
        );
        eprintln!("SKIPPED: browser test over HTTPS: {why}");
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let made = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_owned()]).expect("cert");
    let (cert, key) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    std::fs::write(&cert, made.cert.pem()).expect("cert.pem");
    std::fs::write(&key, made.signing_key.serialize_pem()).expect("key.pem");
    let store = SqliteStore::open(&dir.path().join("concord.db")).expect("store");
    let store: Arc<dyn Store> = Arc::new(store);
    let password = "browser test password";
    store
        .create_user("analyst", Role::Admin, Tlp::Red, &hash_password(password))
        .expect("user")
        .expect("new");
    let token = "browser-https-taxii-token";
    store
        .create_token(
            "taxii",
            Role::Analyst,
            &concord_server::auth::hash_token(token),
        )
        .expect("token");
    let indicator = serde_json::json!({
        "type": "indicator", "spec_version": "2.1",
        "id": "indicator--26262626-2626-4626-8626-262626262626",
        "created": "2026-02-01T00:00:00.000Z", "modified": "2026-02-01T00:00:00.000Z",
        "name": "over HTTPS", "pattern": "[domain-name:value = 'tls.example']",
        "pattern_type": "stix", "valid_from": "2026-02-01T00:00:00Z"
    });
    concord_store::import::import_values(store.as_ref(), [indicator].into_iter(), 10, &mut |_| {})
        .expect("import");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("https://{}", listener.local_addr().expect("addr"));
    let state = AppState::new(
        store,
        ServerConfig {
            data_dir: Some(dir.path().to_owned()),
            public_url: base.clone(),
            ..ServerConfig::default()
        },
    );
    let tls = concord_server::tls::ReloadingCert::load(cert.clone(), key, None, Default::default())
        .expect("the certificate loads");
    let listening = Listening {
        tls: Some(tls),
        ..Listening::default()
    };
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let web = concord_web::part(state.clone());
    let server = tokio::spawn(serve_with(
        listener,
        state,
        vec![web],
        async {
            let _ = stopped.await;
        },
        listening,
    ));
    let shots = manifest().join("../../target/web-screenshots");
    std::fs::create_dir_all(&shots).expect("screenshot dir");
    let mut cmd = std::process::Command::new("node");
    cmd.arg(manifest().join("tests/browser/https.mjs"))
        .env("CONCORD_URL", &base)
        .env("CONCORD_CERT_FILE", &cert)
        .env("CONCORD_USER", "analyst")
        .env("CONCORD_PASSWORD", password)
        .env("CONCORD_TOKEN", token)
        .env(
            "CONCORD_COLLECTION",
            concord_taxii::collection::DEFAULT_COLLECTION_ID,
        )
        .env("CONCORD_SCREENSHOTS", &shots)
        .env("CHROMIUM", CHROMIUM)
        .current_dir(manifest().join("tests/browser"));
    let out = tokio::task::spawn_blocking(move || cmd.output())
        .await
        .expect("join")
        .expect("node runs");
    let _ = stop.send(());
    let _ = server.await;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    eprintln!("{stdout}\n{stderr}");
    assert!(
        out.status.success(),
        "browser test over HTTPS failed:\n{stdout}\n{stderr}"
    );
    assert!(stdout.contains("BROWSER HTTPS TEST OK"), "{stdout}");
}
