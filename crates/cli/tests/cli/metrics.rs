//! Who may scrape `/metrics` (issue 27), set in `concord.toml` or by
//! `CONCORD_METRICS_ACCESS`. Clients here are on loopback only; the answers to other
//! addresses are tested in `concord_server::metrics`.

use crate::common::*;
use crate::service::{serve, serve_with};

/// The default answers a scraper on this host; `CONCORD_METRICS_ACCESS` is read as
/// `[metrics] access` (a wrong value stops `serve`, naming the allowed ones) and is no
/// unknown variable.
#[test]
fn metrics_access_is_set_by_the_file_or_the_environment() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");
    init(&dir);
    let text = std::fs::read_to_string(dir.join("concord.toml")).unwrap();
    assert!(text.contains("[metrics]\naccess = \"loopback\""), "{text}");
    {
        let node = serve(&dir, &tmp.path().join("default.log"));
        let (code, body) = http(&node.addr, "GET", "/metrics", None, None);
        assert_eq!(code, 200, "{body}");
        assert!(body.contains("concord_build_info"), "{body}");
    }

    let out = concord(&dir)
        .env("CONCORD_METRICS_ACCESS", "everyone")
        .args(["serve", "--listen", "127.0.0.1:0"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(
        err.contains("everyone")
            && err.contains("token")
            && err.to_lowercase().contains("metrics.access"),
        "{err}"
    );

    let mut with_token = concord(&dir);
    with_token.env("CONCORD_METRICS_ACCESS", "token");
    let node = serve_with(with_token, &tmp.path().join("token.log"));
    // On loopback no token is needed in any mode.
    assert_eq!(http(&node.addr, "GET", "/metrics", None, None).0, 200);
    let log = std::fs::read_to_string(&node.log).unwrap();
    assert!(!log.contains("Unknown CONCORD_"), "{log}");
}
