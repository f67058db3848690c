//! `serve` as a service (issue 27): it stops cleanly on SIGTERM with a live web client and
//! an import running, holds its data directory against a second node, keeps its secrets
//! to its user, and CLI-made tokens read only up to their clearance.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::common::*;

/// The node's grace period for requests under way (`STOP_GRACE` in main.rs).
pub(crate) const STOP_GRACE: Duration = Duration::from_secs(10);

pub(crate) struct Serving {
    pub(crate) child: Child,
    pub(crate) addr: String,
    pub(crate) log: std::path::PathBuf,
}

impl Drop for Serving {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `serve` on a free port with its log (level `info`) in `log`.
pub(crate) fn serve(dir: &Path, log: &Path) -> Serving {
    serve_with(concord(dir), log)
}

/// Starts `serve` as `command` (a [`concord`] command, e.g. with more environment).
pub(crate) fn serve_with(mut command: std::process::Command, log: &Path) -> Serving {
    let mut child = command
        .args(["serve", "--listen", "127.0.0.1:0"])
        .env("CONCORD_LOG", "info")
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(log).unwrap())
        .spawn()
        .unwrap();
    let mut addr = String::new();
    for line in BufReader::new(child.stdout.take().unwrap()).lines() {
        let line = line.unwrap();
        if line.contains("listening on http://") {
            addr = line.rsplit("http://").next().unwrap().trim().to_owned();
            break;
        }
    }
    assert!(!addr.is_empty(), "serve did not report its address");
    Serving {
        child,
        addr,
        log: log.to_owned(),
    }
}

/// Sends `signal` (`TERM`, `INT`) to a process.
pub(crate) fn kill(pid: u32, signal: &str) {
    let ok = std::process::Command::new("kill")
        .args([&format!("-{signal}"), &pid.to_string()])
        .status()
        .unwrap()
        .success();
    assert!(ok, "kill -{signal} {pid} failed");
}

/// Waits for a child to end, at most `limit`; its exit status.
pub(crate) fn wait_at_most(child: &mut Child, limit: Duration) -> std::process::ExitStatus {
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        assert!(
            started.elapsed() < limit,
            "the process did not end within {limit:?}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// One raw HTTP/1.1 request; the whole answer (head and body) as text.
fn raw(addr: &str, request: &str) -> String {
    let mut s = TcpStream::connect(addr).unwrap();
    s.write_all(request.as_bytes()).unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    out
}

/// The value of cookie `name` set by an answer.
fn set_cookie(answer: &str, name: &str) -> String {
    answer
        .lines()
        .filter_map(|l| l.split_once(':'))
        .filter(|(k, _)| k.eq_ignore_ascii_case("set-cookie"))
        .find_map(|(_, v)| v.trim().strip_prefix(&format!("{name}=")))
        .and_then(|v| v.split(';').next())
        .unwrap_or_else(|| panic!("no {name} cookie in {answer}"))
        .to_owned()
}

/// Signs `name` in through the web form; the session cookie header.
pub(crate) fn sign_in(addr: &str, name: &str, password: &str) -> String {
    let form = raw(
        addr,
        &format!("GET /signin HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"),
    );
    let pre = set_cookie(&form, "concord_pre");
    let csrf = form
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .expect("the sign-in form has a CSRF field")
        .to_owned();
    let body = format!("csrf={csrf}&username={name}&password={password}&next=%2F");
    let answer = raw(
        addr,
        &format!(
            "POST /signin HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nCookie: concord_pre={pre}\r\n\
             Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        ),
    );
    assert!(answer.starts_with("HTTP/1.1 303"), "{answer}");
    format!("concord_session={}", set_cookie(&answer, "concord_session"))
}

pub(crate) fn add_user(dir: &Path, name: &str, password: &str) {
    let mut add = concord(dir)
        .args(["user", "add", name, "--role", "analyst", "--password-stdin"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    writeln!(add.stdin.take().unwrap(), "{password}").unwrap();
    assert!(add.wait().unwrap().success());
}

/// Issue 27: SIGTERM (what systemd and Docker send) stops the node as cleanly as Ctrl-C:
/// a live event stream is ended (the browser sees its end), an import running beside the
/// node finishes, the node logs the start and end of the stop and exits 0 within the grace
/// period.
#[test]
fn sigterm_ends_streams_and_exits_cleanly_beside_an_import() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");
    init(&dir);
    add_user(&dir, "ana", "a long enough password");
    let mut node = serve(&dir, &tmp.path().join("serve.log"));
    let cookie = sign_in(&node.addr, "ana", "a+long+enough+password");

    // A browser tab's live notifications.
    let mut stream = TcpStream::connect(&node.addr).unwrap();
    write!(
        stream,
        "GET /notifications/live HTTP/1.1\r\nHost: {}\r\nAccept: text/event-stream\r\nCookie: {cookie}\r\n\r\n",
        node.addr
    )
    .unwrap();
    stream
        .set_read_timeout(Some(STOP_GRACE + Duration::from_secs(5)))
        .unwrap();
    let mut seen = String::new();
    let mut buf = [0u8; 4096];
    while !seen.contains("event: ready") {
        let n = stream.read(&mut buf).unwrap();
        assert!(n > 0, "the stream closed before its first event: {seen}");
        seen.push_str(&String::from_utf8_lossy(&buf[..n]));
    }
    assert!(seen.starts_with("HTTP/1.1 200"), "{seen}");

    // An import writing to the same database.
    let objects: Vec<serde_json::Value> = (0..3000)
        .map(|i| {
            serde_json::json!({"type": "domain-name", "spec_version": "2.1",
            "id": concord_stix::id::new_id("domain-name"), "value": format!("host{i}.example.org")})
        })
        .collect();
    let file = tmp.path().join("domains.json");
    std::fs::write(&file, serde_json::Value::Array(objects).to_string()).unwrap();
    let import = concord(&dir)
        .args(["import", "--batch", "100", file.to_str().unwrap()])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();

    let asked = Instant::now();
    kill(node.child.id(), "TERM");
    let status = wait_at_most(&mut node.child, STOP_GRACE + Duration::from_secs(5));
    assert!(status.success(), "serve exited with {status}");
    assert!(asked.elapsed() < STOP_GRACE, "took {:?}", asked.elapsed());
    // The stream was ended: reading comes to its end rather than timing out.
    let mut rest = Vec::new();
    stream
        .read_to_end(&mut rest)
        .expect("the event stream ends when the node stops");

    let out = import.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("3000 new"), "{}", stdout(&out));

    let log = std::fs::read_to_string(&node.log).unwrap();
    assert!(log.contains("SIGTERM"), "{log}");
    assert!(log.contains("Stopping"), "{log}");
    assert!(log.contains("Stopped."), "{log}");

    // Nothing acknowledged was lost: the next start sees every imported object.
    let again = serve(&dir, &tmp.path().join("again.log"));
    let token = concord(&dir)
        .args(["token", "create", "--role", "reader"])
        .output()
        .unwrap();
    let token = stdout(&token).trim().to_owned();
    let (code, body) = http(
        &again.addr,
        "GET",
        "/api/v1/search?q=host2999.example",
        Some(&token),
        None,
    );
    assert_eq!(code, 200, "{body}");
    assert!(body.contains("host2999.example.org"), "{body}");
}

/// SIGINT (Ctrl-C) stops the node the same way.
#[test]
fn sigint_stops_the_node_cleanly() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");
    let mut node = serve(&dir, &tmp.path().join("serve.log"));
    kill(node.child.id(), "INT");
    let status = wait_at_most(&mut node.child, STOP_GRACE + Duration::from_secs(5));
    assert!(status.success(), "serve exited with {status}");
    let log = std::fs::read_to_string(&node.log).unwrap();
    assert!(log.contains("SIGINT") && log.contains("Stopped."), "{log}");
}

/// Issue 27: SIGHUP reloads the feeds and the policy and the node keeps serving.
#[test]
fn sighup_reloads_and_the_node_keeps_serving() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");
    let mut node = serve(&dir, &tmp.path().join("serve.log"));
    kill(node.child.id(), "HUP");
    // The reload is logged when done: wait for it, boundedly.
    let started = Instant::now();
    loop {
        let log = std::fs::read_to_string(&node.log).unwrap();
        if log.contains("Reloaded.") {
            assert!(log.contains("Feeds reloaded"), "{log}");
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "no reload: {log}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(http(&node.addr, "GET", "/healthz", None, None).0, 200);
    kill(node.child.id(), "TERM");
    let status = wait_at_most(&mut node.child, STOP_GRACE + Duration::from_secs(5));
    assert!(status.success(), "serve exited with {status}");
}

/// Issue 27: a second `serve` on the same data directory is refused and names the
/// process that holds it; `import` still runs beside the node.
#[test]
fn a_second_serve_on_the_same_directory_names_the_holder() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");
    let node = serve(&dir, &tmp.path().join("serve.log"));
    let pid = node.child.id();
    let lock = std::fs::read_to_string(dir.join("concord.lock")).unwrap();
    assert_eq!(lock.lines().next(), Some(pid.to_string().as_str()));
    // `node show` names the URL the running node serves at (`--listen`), not the
    // configured one.
    let show = stdout(&run(&dir, &["node", "show", "--json"]));
    let show: Value = serde_json::from_str(&show).unwrap();
    assert_eq!(show["url"], format!("http://{}", node.addr), "{show}");

    let second = concord(&dir)
        .args(["serve", "--listen", "127.0.0.1:0"])
        .output()
        .unwrap();
    assert!(!second.status.success());
    let err = stderr(&second);
    assert!(err.contains(&format!("process {pid}")), "{err}");
    assert!(err.contains("in use"), "{err}");

    let one = tmp.path().join("one.json");
    std::fs::write(
        &one,
        r#"{"type":"domain-name","spec_version":"2.1","id":"domain-name--8b7c5a84-1d7a-5b3a-9b8e-1a2f3c4d5e6f","value":"beside.example"}"#,
    )
    .unwrap();
    let out = run(&dir, &["import", one.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));

    // Once the first node is gone, the directory is free again.
    drop(node);
    let show = stdout(&run(&dir, &["node", "show", "--json"]));
    let show: Value = serde_json::from_str(&show).unwrap();
    assert_eq!(show["url"], "http://127.0.0.1:7470", "{show}");
    let third = serve(&dir, &tmp.path().join("third.log"));
    assert_eq!(http(&third.addr, "GET", "/readyz", None, None).0, 200);
}

#[cfg(unix)]
fn mode(p: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).unwrap().permissions().mode() & 0o777
}

/// Issue 27: the data directory is its user's alone, its secrets and database too; a
/// node key others may read stops `serve` with the fix, a configuration others may read
/// is warned about.
#[cfg(unix)]
#[test]
fn secrets_are_kept_from_other_users() {
    use std::os::unix::fs::PermissionsExt;
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");
    init(&dir);
    assert_eq!(mode(&dir), 0o700);
    for f in [
        "concord.toml",
        "node.key",
        "concord.db",
        "concord.db-index",
        "concord.db-wal",
    ] {
        let p = dir.join(f);
        if p.exists() || f != "concord.db-wal" {
            assert_eq!(mode(&p), 0o600, "{f}");
        }
    }

    let set = |f: &str, m: u32| {
        std::fs::set_permissions(dir.join(f), std::fs::Permissions::from_mode(m)).unwrap()
    };
    set("concord.toml", 0o644);
    {
        let node = serve(&dir, &tmp.path().join("warned.log"));
        assert_eq!(http(&node.addr, "GET", "/healthz", None, None).0, 200);
        let log = std::fs::read_to_string(&node.log).unwrap();
        assert!(log.contains("chmod 600"), "{log}");
        assert!(log.contains("concord.toml"), "{log}");
    }
    set("node.key", 0o644);
    let out = concord(&dir)
        .args(["serve", "--listen", "127.0.0.1:0"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(
        err.contains(&format!("chmod 600 {}", dir.join("node.key").display())),
        "{err}"
    );
}

/// Issue 27: a reader token made with `concord token create` sees nothing above
/// TLP:GREEN (it read TLP:RED before); `--clearance amber` reads TLP:AMBER; `token list`
/// shows clearance, expiry and last use under headers.
#[test]
fn cli_tokens_read_up_to_their_clearance() {
    const GREEN: &str = "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb";
    const AMBER: &str = "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421";
    const RED: &str = "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1";
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");
    let admin = init(&dir);
    let objects: Vec<serde_json::Value> = [("green", GREEN), ("amber", AMBER), ("red", RED)]
        .iter()
        .map(|(name, m)| {
            serde_json::json!({"type": "domain-name", "spec_version": "2.1",
                "id": concord_stix::id::new_id("domain-name"),
                "value": format!("{name}.example.org"), "object_marking_refs": [m]})
        })
        .collect();
    let file = tmp.path().join("marked.json");
    std::fs::write(&file, serde_json::Value::Array(objects).to_string()).unwrap();
    let out = run(&dir, &["import", file.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));

    let create = |args: &[&str]| {
        let mut all = vec!["token", "create", "--role", "reader"];
        all.extend_from_slice(args);
        let out = run(&dir, &all);
        assert!(out.status.success(), "{}", stderr(&out));
        stdout(&out).trim().to_owned()
    };
    let reader = create(&["--name", "feed"]);
    let amber = create(&[
        "--name",
        "partner",
        "--clearance",
        "amber",
        "--expires",
        "30d",
    ]);
    let bad = run(
        &dir,
        &[
            "token",
            "create",
            "--role",
            "reader",
            "--expires",
            "2001-01-01T00:00:00Z",
        ],
    );
    assert!(!bad.status.success());
    assert!(stderr(&bad).contains("in the past"), "{}", stderr(&bad));

    let node = serve(&dir, &tmp.path().join("serve.log"));
    let values = |token: &str| {
        let (code, body) = http(
            &node.addr,
            "GET",
            "/api/v1/objects?type=domain-name",
            Some(token),
            None,
        );
        assert_eq!(code, 200, "{body}");
        ["green", "amber", "red"]
            .into_iter()
            .filter(|n| body.contains(&format!("{n}.example.org")))
            .collect::<Vec<_>>()
    };
    assert_eq!(values(&reader), ["green"]);
    assert_eq!(values(&amber), ["green", "amber"]);
    // The operator's token from `init` reads everything, as before.
    assert_eq!(values(&admin), ["green", "amber", "red"]);

    // The last use is recorded beside the request: wait (boundedly) until it shows.
    let started = Instant::now();
    let text = loop {
        let text = stdout(&run(&dir, &["token", "list"]));
        let feed = text.lines().find(|l| l.contains(" feed ")).unwrap_or("");
        if !feed.trim_end().ends_with("never") || started.elapsed() > Duration::from_secs(10) {
            break text;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let header = text.lines().next().unwrap();
    for h in ["ID", "NAME", "ROLE", "CLEARANCE", "EXPIRES", "LAST USED"] {
        assert!(header.contains(h), "{text}");
    }
    let row = |name: &str| {
        text.lines()
            .find(|l| l.contains(&format!(" {name} ")))
            .unwrap_or_else(|| panic!("no {name} row in {text}"))
            .to_owned()
    };
    assert!(row("feed").contains("TLP:GREEN"), "{text}");
    assert!(
        !row("feed").trim_end().ends_with("never"),
        "used just now: {text}"
    );
    assert!(row("partner").contains("TLP:AMBER"), "{text}");
    assert!(row("initial admin").contains("TLP:RED"), "{text}");
}
