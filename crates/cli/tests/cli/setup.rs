//! `init`, tokens and configuration.

use crate::common::*;

#[test]
fn init_creates_the_data_directory_once() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("node");
    let token = init(&dir);
    assert!(token.len() >= 32, "{token}");
    for f in ["concord.toml", "node.key", "node.pub", "concord.db"] {
        assert!(dir.join(f).is_file(), "{f} missing");
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.join("node.key"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o077, 0, "node.key is readable by others: {mode:o}");
    }
    let cfg = std::fs::read_to_string(dir.join("concord.toml")).unwrap();
    assert!(cfg.contains("node_name = \"test node\""), "{cfg}");
    assert!(cfg.contains("node_id = \"concord-"), "{cfg}");

    let again = run(&dir, &["init"]);
    assert!(again.status.success());
    assert!(
        admin_token(&stdout(&again)).is_none(),
        "a second init must not mint another admin token"
    );
}

#[test]
fn token_create_prints_only_the_token_and_list_never_shows_it() {
    let tmp = tempfile::tempdir().unwrap();
    init(tmp.path());
    let out = run(
        tmp.path(),
        &["token", "create", "--role", "reader", "--name", "siem"],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert_eq!(text.lines().count(), 1, "{text}");
    let token = text.trim();
    let list = stdout(&run(tmp.path(), &["token", "list"]));
    assert!(list.contains("reader") && list.contains("siem"), "{list}");
    assert!(!list.contains(token));
    let bad = run(tmp.path(), &["token", "create", "--role", "root"]);
    assert!(!bad.status.success());
}

#[test]
fn commands_other_than_init_and_serve_need_an_initialised_directory() {
    let tmp = tempfile::tempdir().unwrap();
    let out = run(&tmp.path().join("nothing"), &["search", "x"]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("concord init"), "{}", stderr(&out));
}

#[test]
fn configuration_errors_name_the_file() {
    let tmp = tempfile::tempdir().unwrap();
    init(tmp.path());
    std::fs::write(tmp.path().join("concord.toml"), "listen = 5\n").unwrap();
    let out = run(tmp.path(), &["search", "x"]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("concord.toml"), "{}", stderr(&out));
}

#[test]
fn pattern_check_prints_one_verdict_per_pattern() {
    let tmp = tempfile::tempdir().unwrap();
    let out = run(
        tmp.path(),
        &["pattern", "check", "[ipv4-addr:value = '198.51.100.1']"],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out), "valid\n");
    let f = tmp.path().join("patterns.txt");
    std::fs::write(
        &f,
        "[file:name = 'a.exe']\n[file:name = 'a' AND]\n[url:value = 'http://x']\n",
    )
    .unwrap();
    let out = run(
        tmp.path(),
        &["pattern", "check", "--file", f.to_str().unwrap()],
    );
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        stdout(&out),
        "valid\ninvalid: at 20: expected an object type, EXISTS or '(', found ']'\nvalid\n"
    );
}
