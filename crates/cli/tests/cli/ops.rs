//! Running a node in production (issue 27): backup and restore, metrics, JSON logs,
//! configuration from the environment, and a CLI that behaves in pipes.

use std::io::{Read, Write};
use std::path::Path;
use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use serde_json::{Value, json};

use crate::common::node::Node;
use crate::common::*;

fn indicator(n: usize, modified: &str) -> Value {
    json!({
        "type": "indicator", "spec_version": "2.1",
        "id": format!("indicator--5e1f0000-0000-4000-8000-{n:012}"),
        "created": "2026-01-01T00:00:00.000Z", "modified": modified,
        "name": format!("Backup test indicator {n}"),
        "pattern": format!("[ipv4-addr:value = '10.9.{}.{}']", n / 256, n % 256),
        "pattern_type": "stix", "valid_from": "2026-01-01T00:00:00Z"
    })
}

fn bundle(objects: &[Value]) -> String {
    json!({"type": "bundle", "id": "bundle--5e1f0000-0000-4000-8000-000000000000",
        "objects": objects})
    .to_string()
}

fn ok(dir: &Path, args: &[&str]) -> String {
    let out = run(dir, args);
    assert!(out.status.success(), "{args:?}: {}", stderr(&out));
    stdout(&out)
}

/// Every version of every object of an export, as `id modified` lines, sorted.
fn versions_of(dir: &Path) -> Vec<String> {
    let text = ok(dir, &["export"]);
    let v: Value = serde_json::from_str(&text).unwrap();
    let mut out: Vec<String> = v["objects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| format!("{} {}", o["id"].as_str().unwrap(), o["modified"]))
        .collect();
    out.sort();
    out
}

#[test]
fn backup_under_write_load_restores_objects_users_tokens_peers_and_evidence() {
    let mut a = Node::new("backup-a");
    let b = Node::new("backup-b");
    a.add_peer(&b, &[]);
    // Two versions of 50 objects, a user, a token, an incident with evidence.
    let first: Vec<Value> = (0..50)
        .map(|n| indicator(n, "2026-01-01T00:00:00.000Z"))
        .collect();
    let second: Vec<Value> = (0..50)
        .map(|n| indicator(n, "2026-02-01T00:00:00.000Z"))
        .collect();
    let file = a.path().join("seed.json");
    for objs in [&first, &second] {
        std::fs::write(&file, bundle(objs)).unwrap();
        ok(a.path(), &["import", file.to_str().unwrap()]);
    }
    let mut add = concord(a.path())
        .args([
            "user",
            "add",
            "carol",
            "--role",
            "analyst",
            "--password-stdin",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    add.stdin
        .take()
        .unwrap()
        .write_all(b"correct horse battery staple\n")
        .unwrap();
    assert!(add.wait_with_output().unwrap().status.success());
    ok(
        a.path(),
        &["token", "create", "--role", "reader", "--name", "siem"],
    );
    let incident = ok(a.path(), &["incident", "open", "--name", "Backup drill"]);
    let sample = a.path().join("sample.txt");
    std::fs::write(&sample, "evidence bytes").unwrap();
    ok(
        a.path(),
        &[
            "incident",
            "attach",
            incident.trim(),
            sample.to_str().unwrap(),
        ],
    );
    std::fs::remove_file(&sample).unwrap();
    std::fs::remove_file(&file).unwrap();

    // A writer posts new objects one by one while the node serves and the backup runs.
    a.start();
    let stop = Arc::new(AtomicBool::new(false));
    let posted = Arc::new(AtomicUsize::new(0));
    let writer = {
        let (stop, posted, addr, token) = (stop.clone(), posted.clone(), a.addr(), a.admin.clone());
        std::thread::spawn(move || {
            let mut n = 1000;
            while !stop.load(Ordering::Relaxed) {
                let body = bundle(&[indicator(n, "2026-03-01T00:00:00.000Z")]);
                let (status, text) =
                    http(&addr, "POST", "/api/v1/objects", Some(&token), Some(&body));
                assert_eq!(status, 200, "{text}");
                n += 1;
                posted.fetch_add(1, Ordering::Relaxed);
            }
        })
    };
    while posted.load(Ordering::Relaxed) < 20 {
        std::thread::yield_now();
    }
    let scratch = tempfile::tempdir().unwrap();
    let archive = scratch.path().join("node.tar");
    let made = ok(a.path(), &["backup", "--out", archive.to_str().unwrap()]);
    let during = posted.load(Ordering::Relaxed);
    while posted.load(Ordering::Relaxed) < during + 20 {
        std::thread::yield_now();
    }
    stop.store(true, Ordering::Relaxed);
    writer.join().unwrap();
    assert!(made.contains("last seq"), "{made}");

    // /metrics of the serving node names the operator's gauges.
    let (status, metrics) = http(&a.addr(), "GET", "/metrics", None, None);
    assert_eq!(status, 200);
    for name in [
        "concord_db_file_bytes{file=\"database\"}",
        "concord_db_file_bytes{file=\"wal\"}",
        "concord_index_lag ",
        "concord_peer_lag{peer=\"backup-b\"}",
        "concord_peer_failing{peer=\"backup-b\"}",
        "concord_peer_live{peer=\"backup-b\"}",
        "concord_deliveries_in_flight ",
        "concord_delivery_failures_total{channel=\"webhook\"}",
        "concord_build_info{version=\"",
    ] {
        assert!(metrics.contains(name), "{name} missing from /metrics");
    }
    a.kill();

    let restored = scratch.path().join("restored");
    let out = run(&restored, &["restore", archive.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));

    // The restored node holds a prefix of what the writer posted (seq order), and
    // everything else exactly as the source.
    let source = versions_of(a.path());
    let copy = versions_of(&restored);
    let (posted_src, held_src): (Vec<_>, Vec<_>) =
        source.iter().partition(|l| l.contains("2026-03-01"));
    let (posted_copy, held_copy): (Vec<_>, Vec<_>) =
        copy.iter().partition(|l| l.contains("2026-03-01"));
    assert_eq!(held_copy, held_src);
    assert!(
        posted_copy.len() >= 20 && posted_copy.len() < posted_src.len(),
        "{} of {} posted objects restored",
        posted_copy.len(),
        posted_src.len()
    );
    assert!(posted_src.starts_with(&posted_copy));
    // The seeded objects at their second version.
    assert!(
        held_copy
            .iter()
            .any(|l| l.contains("000000000007 \"2026-02-01"))
    );
    assert_eq!(
        ok(&restored, &["token", "list"]),
        ok(a.path(), &["token", "list"])
    );
    assert_eq!(
        ok(&restored, &["user", "list"]),
        ok(a.path(), &["user", "list"])
    );
    // Each peer as it was added; its sync state is the running source's, which kept
    // trying the stopped peer after the archive was taken.
    let peers = |dir: &Path| -> Vec<Value> {
        let listed: Vec<Value> =
            serde_json::from_str(&ok(dir, &["peer", "list", "--json"])).unwrap();
        let kept = [
            "node_id",
            "name",
            "url",
            "public_key",
            "country",
            "sectors",
            "agreement",
            "added",
        ];
        listed
            .iter()
            .map(|p| {
                kept.iter()
                    .map(|k| (k.to_string(), p[*k].clone()))
                    .collect()
            })
            .collect()
    };
    assert_eq!(peers(&restored), peers(a.path()));
    ok(&restored, &["audit", "verify"]);
    let evidence = |dir: &Path| {
        let mut names: Vec<_> = std::fs::read_dir(dir.join("evidence"))
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        names.sort();
        names
    };
    assert_eq!(evidence(&restored), evidence(a.path()));
    assert_eq!(evidence(&restored).len(), 1);
    for f in ["node.key", "node.pub", "concord.toml", "policy.toml"] {
        assert_eq!(
            std::fs::read(restored.join(f)).unwrap(),
            std::fs::read(a.path().join(f)).unwrap(),
            "{f}"
        );
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&restored), 0o700);
        assert_eq!(mode(&restored.join("node.key")), 0o600);
        assert_eq!(mode(&restored.join("concord.db")), 0o600);
    }
    // The original's version of the node's own version: the restored one is the same node.
    assert_eq!(
        ok(&restored, &["node", "show", "--json"]),
        ok(a.path(), &["node", "show", "--json"])
    );
}

#[test]
fn a_corrupted_or_misplaced_restore_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    init(dir.path());
    let objs: Vec<Value> = (0..200)
        .map(|n| indicator(n, "2026-01-01T00:00:00.000Z"))
        .collect();
    let file = dir.path().join("seed.json");
    std::fs::write(&file, bundle(&objs)).unwrap();
    ok(dir.path(), &["import", file.to_str().unwrap()]);
    std::fs::remove_file(&file).unwrap();
    let scratch = tempfile::tempdir().unwrap();
    let archive = scratch.path().join("node.tar");
    ok(dir.path(), &["backup", "--out", archive.to_str().unwrap()]);
    // A second backup to the same file is refused.
    let again = run(dir.path(), &["backup", "--out", archive.to_str().unwrap()]);
    assert!(!again.status.success());

    let bytes = std::fs::read(&archive).unwrap();
    // One byte flipped inside the database copy (the first entry), then in the last
    // third of the archive (the other files and the manifest): both are refused.
    for at in [512 + 40_000, bytes.len() * 2 / 3, bytes.len() - 1536] {
        let mut bad = bytes.clone();
        bad[at] ^= 0x20;
        let corrupt = scratch.path().join(format!("corrupt-{at}.tar"));
        std::fs::write(&corrupt, &bad).unwrap();
        if bad == bytes {
            continue;
        }
        let target = scratch.path().join(format!("target-{at}"));
        let out = run(&target, &["restore", corrupt.to_str().unwrap()]);
        let err = stderr(&out);
        assert!(!out.status.success(), "flip at {at} restored");
        assert!(
            err.contains("not a valid Concord backup") || err.contains("checksum"),
            "flip at {at}: {err}"
        );
        assert!(!target.exists(), "flip at {at}: the target was created");
    }

    // A target that is not empty is refused.
    let busy = scratch.path().join("busy");
    std::fs::create_dir(&busy).unwrap();
    std::fs::write(busy.join("notes.txt"), "mine").unwrap();
    let out = run(&busy, &["restore", archive.to_str().unwrap()]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("not empty"), "{}", stderr(&out));
    assert_eq!(std::fs::read_dir(&busy).unwrap().count(), 1);

    // The intact archive restores into an empty directory.
    let empty = scratch.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    ok(&empty, &["restore", archive.to_str().unwrap()]);
    assert_eq!(versions_of(&empty), versions_of(dir.path()));

    // A backup written inside the data directory leaves its own working files out.
    let inside = dir.path().join("inside.tar");
    ok(dir.path(), &["backup", "--out", inside.to_str().unwrap()]);
    let again = scratch.path().join("again");
    ok(&again, &["restore", inside.to_str().unwrap()]);
    let names: Vec<String> = std::fs::read_dir(&again)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(!names.iter().any(|n| n.starts_with('.')), "{names:?}");
}

/// Imports `n` indicators into a fresh node.
fn node_with(n: usize) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    init(dir.path());
    let objs: Vec<Value> = (0..n)
        .map(|i| indicator(i, "2026-01-01T00:00:00.000Z"))
        .collect();
    let file = dir.path().join("seed.json");
    std::fs::write(&file, bundle(&objs)).unwrap();
    ok(dir.path(), &["import", file.to_str().unwrap()]);
    std::fs::remove_file(&file).unwrap();
    dir
}

#[test]
fn a_closed_pipe_ends_output_quietly() {
    // More output than a pipe buffers (64 KiB), so that writes meet the closed pipe.
    let dir = node_with(1500);
    for args in [
        &["export"][..],
        &["search", "Backup", "--limit", "1500", "--json"][..],
        &["search", "Backup", "--limit", "1500"][..],
    ] {
        let mut child = concord(dir.path())
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut head = [0u8; 100];
        child
            .stdout
            .as_mut()
            .unwrap()
            .read_exact(&mut head)
            .unwrap();
        drop(child.stdout.take());
        let out = child.wait_with_output().unwrap();
        let err = stderr(&out);
        assert!(out.status.success(), "{args:?}: {:?} {err}", out.status);
        assert!(
            !err.contains("panicked") && !err.contains("Broken pipe"),
            "{args:?}: {err}"
        );
    }
}

#[test]
fn network_errors_name_their_cause() {
    let dir = tempfile::tempdir().unwrap();
    init(dir.path());
    // A port nothing listens on.
    let port = crate::common::node::free_port();
    let out = run(
        dir.path(),
        &["taxii", "pull", &format!("http://127.0.0.1:{port}/taxii2/")],
    );
    assert!(!out.status.success());
    let err = stderr(&out).to_ascii_lowercase();
    let last = err.lines().last().unwrap_or("");
    assert!(last.contains("connection refused"), "{err}");
    assert_eq!(last.matches("error sending request").count(), 1, "{last}");
    // A feed (here a MISP feed URL given to import) names it too.
    let out = run(
        dir.path(),
        &["import", &format!("http://127.0.0.1:{port}/feed/")],
    );
    assert!(!out.status.success());
    let text = stdout(&out).to_ascii_lowercase();
    assert!(text.contains("connection refused"), "{text}");
}

#[test]
fn section_keys_come_from_the_environment_and_unknown_variables_are_named() {
    let dir = tempfile::tempdir().unwrap();
    init(dir.path());
    // A nested key is read: a value of the wrong type is an error naming the key.
    let out = concord(dir.path())
        .args(["peer", "list"])
        .env("CONCORD_FEDERATION_PAGE_SIZE", "many")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        stderr(&out)
            .to_ascii_lowercase()
            .contains("federation.page_size"),
        "{}",
        stderr(&out)
    );
    let out = concord(dir.path())
        .args(["peer", "list"])
        .env("CONCORD_FEDERATION_PAGE_SIZE", "250")
        .env("CONCORD_FEDERATION_PAGESIZE", "250")
        .env("CONCORD_UNRELATED_SETTING", "1")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("CONCORD_FEDERATION_PAGESIZE"), "{err}");
    assert!(err.contains("CONCORD_UNRELATED_SETTING"), "{err}");
    assert!(!err.contains("CONCORD_FEDERATION_PAGE_SIZE "), "{err}");
    assert!(!err.contains("CONCORD_LOG"), "{err}");
}

#[test]
fn json_logs_by_one_setting() {
    let dir = tempfile::tempdir().unwrap();
    init(dir.path());
    let out = concord(dir.path())
        .args(["peer", "list"])
        .env("CONCORD_LOG_FORMAT", "json")
        .env("CONCORD_NO_SUCH_KEY", "1")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let err = stderr(&out);
    let line = err
        .lines()
        .find(|l| l.contains("CONCORD_NO_SUCH_KEY"))
        .unwrap_or_else(|| panic!("no warning in {err}"));
    let v: Value = serde_json::from_str(line).expect("a JSON log line");
    assert_eq!(v["level"], "WARN");
    assert_eq!(v["variable"], "CONCORD_NO_SUCH_KEY");
}

#[test]
fn a_rejected_token_is_logged_with_the_client_address() {
    let dir = tempfile::tempdir().unwrap();
    init(dir.path());
    let port = crate::common::node::free_port();
    let addr = format!("127.0.0.1:{port}");
    let log = dir.path().join("serve.log");
    let mut child = concord(dir.path())
        .args(["serve", "--listen", &addr])
        .env("CONCORD_LOG_FORMAT", "json")
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap();
    let mut lines = std::io::BufRead::lines(std::io::BufReader::new(child.stdout.take().unwrap()));
    while !lines.next().unwrap().unwrap().contains("listening on") {}
    let (status, _) = http(&addr, "GET", "/api/v1/objects", Some("not-a-token"), None);
    assert_eq!(status, 401);
    let _ = child.kill();
    let _ = child.wait();
    let text = std::fs::read_to_string(&log).unwrap();
    let line = text
        .lines()
        .find(|l| l.contains("Rejected an unknown or revoked API token"))
        .unwrap_or_else(|| panic!("no rejection logged in {text}"));
    let v: Value = serde_json::from_str(line).unwrap();
    assert!(
        v["client"].as_str().unwrap().starts_with("127.0.0.1:"),
        "{line}"
    );
}

#[test]
fn warning_lists_in_sub_folders_are_loaded() {
    let dir = tempfile::tempdir().unwrap();
    init(dir.path());
    let lists = dir.path().join("warninglists/lists/test-net");
    std::fs::create_dir_all(&lists).unwrap();
    std::fs::write(
        lists.join("list.json"),
        json!({"name": "test-net", "type": "cidr", "list": ["10.9.0.0/16"],
            "matching_attributes": ["ip-dst"]})
        .to_string(),
    )
    .unwrap();
    // The layout of the MISP warning-lists repository: lists/<name>/list.json.
    let file = dir.path().join("feed.txt");
    std::fs::write(&file, "10.9.0.1\n192.0.2.1\n").unwrap();
    let out = ok(dir.path(), &["import", file.to_str().unwrap()]);
    assert!(out.contains("1 indicator(s) on warning lists"), "{out}");
}

#[test]
fn import_verbose_names_conflicting_objects() {
    let dir = node_with(3);
    let mut changed = indicator(2, "2026-01-01T00:00:00.000Z");
    changed["name"] = json!("Same version, other content");
    let file = dir.path().join("conflict.json");
    std::fs::write(&file, bundle(&[changed])).unwrap();
    let quiet = run(dir.path(), &["import", file.to_str().unwrap()]);
    assert!(
        stdout(&quiet).contains("1 conflicting"),
        "{}",
        stdout(&quiet)
    );
    assert!(!stderr(&quiet).contains("conflict:"));
    let out = run(dir.path(), &["import", "--verbose", file.to_str().unwrap()]);
    let err = stderr(&out);
    assert!(
        err.contains("conflict: indicator--5e1f0000-0000-4000-8000-000000000002"),
        "{err}"
    );
}

#[test]
fn top_level_help_names_every_command() {
    let out = run(Path::new("."), &["--help"]);
    let help = stdout(&out);
    for cmd in [
        "init",
        "serve",
        "import",
        "export",
        "feed",
        "node",
        "peer",
        "policy",
        "audit",
        "incident",
        "alert",
        "request",
        "route",
        "subscription",
        "user",
        "match",
        "search",
        "pattern",
        "taxii",
        "tls",
        "token",
        "backup",
        "restore",
    ] {
        assert!(
            help.lines()
                .any(|l| l.trim_start().starts_with(&format!("{cmd} "))),
            "{cmd} missing from --help:\n{help}"
        );
    }
}
