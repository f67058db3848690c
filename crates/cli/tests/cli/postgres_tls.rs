//! A node on PostgreSQL over TLS: a real server with `ssl=on` and a certificate for
//! `db.test` signed by a test authority. The node connects with `sslmode=verify-full`
//! and that authority (its store and its leases), is refused with the setting named
//! when the authority or the host name is wrong, and connects with `sslmode=require`.

use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::common::*;
use crate::service::serve;

/// Sets `[store] database_url` in a node's `concord.toml` (replacing `from`).
fn set_url(dir: &Path, from: &str, to: &str) {
    let toml = dir.join("concord.toml");
    let text = std::fs::read_to_string(&toml).unwrap();
    assert!(text.contains(from), "{text}");
    std::fs::write(&toml, text.replace(from, to)).unwrap();
}

#[test]
fn postgres_over_tls_verifies_the_server() {
    let tls = match concord_testpg::TlsServer::start() {
        Ok(s) => s,
        Err(concord_testpg::Error::Missing(m)) if std::env::var("CI").as_deref() != Ok("true") => {
            eprintln!("\n*** SKIPPED: PostgreSQL is not installed ({m}). ***\n");
            return;
        }
        Err(e) => panic!("{e}"),
    };
    let server = &tls.server;
    concord_testpg::create_database(&server.base_url(), "node", Some(server.bin())).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let (right, wrong) = (tls.authority(), tls.other_authority());
    let url = |host: &str, mode: &str, root: Option<&Path>| tls.url("node", host, mode, root);

    // verify-full with the right authority: the node is made, serves, and takes its
    // leases (connections of their own, over TLS too).
    let dir = tmp.path().join("node");
    let full = url("db.test", "verify-full", Some(&right));
    let out = run(&dir, &["init", "--name", "hub", "--database-url", &full]);
    assert!(out.status.success(), "{}", stderr(&out));
    let node = serve(&dir, &tmp.path().join("serve.log"));
    let start = Instant::now();
    loop {
        let (code, body) = http(&node.addr, "GET", "/healthz", None, None);
        assert_eq!(code, 200, "{body}");
        let v: Value = serde_json::from_str(&body).unwrap();
        // Every piece of background work: the five of stop 30 and the indexer.
        if v["leases"].as_array().is_some_and(|l| l.len() == 6) {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "leases not taken over TLS: {body}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    drop(node);

    // Another authority: refused, naming the setting.
    let wrong_root = url("db.test", "verify-full", Some(&wrong));
    set_url(&dir, &full, &wrong_root);
    let out = run(&dir, &["peer", "list", "--json"]);
    let err = stderr(&out);
    assert!(!out.status.success(), "{err}");
    assert!(
        err.contains("sslmode=verify-full") && err.contains("not signed by an authority"),
        "{err}"
    );
    // Another host name than the certificate's: refused, naming why.
    let wrong_host = url("elsewhere.test", "verify-full", Some(&right));
    set_url(&dir, &wrong_root, &wrong_host);
    let out = run(&dir, &["peer", "list", "--json"]);
    let err = stderr(&out);
    assert!(!out.status.success(), "{err}");
    assert!(
        err.contains("sslmode=verify-full") && err.contains("does not name the host"),
        "{err}"
    );
    // require: encrypted, the certificate not checked.
    set_url(&dir, &wrong_host, &url("127.0.0.1", "require", None));
    let out = run(&dir, &["peer", "list", "--json"]);
    assert!(out.status.success(), "{}", stderr(&out));
}
