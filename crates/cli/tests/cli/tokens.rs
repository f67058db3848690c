//! Tokens made with `concord token create` (issue 27): an expired one gets 401.

use crate::common::*;
use crate::service::serve;

/// Issue 27: a token made by the CLI with an expiry is refused with 401, saying that it
/// expired, once that time has passed (its stored expiry is moved into the past, as time
/// would); a token without one keeps working.
#[test]
fn an_expired_cli_token_gets_401() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");
    init(&dir);
    let create = |name: &str, extra: &[&str]| {
        let mut args = vec!["token", "create", "--role", "reader", "--name", name];
        args.extend_from_slice(extra);
        let out = run(&dir, &args);
        assert!(out.status.success(), "{}", stderr(&out));
        stdout(&out).trim().to_owned()
    };
    let lasting = create("lasting", &[]);
    let brief = create("brief", &["--expires", "1h"]);
    {
        let c = rusqlite::Connection::open(dir.join("concord.db")).unwrap();
        let moved = c
            .execute(
                "UPDATE tokens SET expires = '2001-01-01T00:00:00.000Z' WHERE name = 'brief'",
                [],
            )
            .unwrap();
        assert_eq!(moved, 1);
    }
    let node = serve(&dir, &tmp.path().join("serve.log"));
    let (code, body) = http(&node.addr, "GET", "/api/v1/objects", Some(&brief), None);
    assert_eq!(code, 401, "{body}");
    assert!(body.contains("expired"), "{body}");
    let (code, body) = http(&node.addr, "GET", "/api/v1/objects", Some(&lasting), None);
    assert_eq!(code, 200, "{body}");
}
