//! `serve` on 127.0.0.1 with `import` writing to the same data directory at the same time.

use std::io::{BufRead, BufReader};
use std::process::{Child, Stdio};

use crate::common::*;

pub(crate) struct Server {
    child: Child,
    pub(crate) addr: String,
    pub(crate) admin: Option<String>,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub(crate) fn start(dir: &std::path::Path, envs: &[(&str, &str)]) -> Server {
    let mut cmd = concord(dir);
    cmd.args(["serve", "--listen", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    for (k, v) in envs {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().unwrap();
    // A first start prints the one-time admin token, then the listening line.
    let mut admin = None;
    let mut addr = String::new();
    for line in BufReader::new(child.stdout.take().unwrap()).lines() {
        let line = line.unwrap();
        if let Some(t) = admin_token(&line) {
            admin = Some(t);
        }
        if line.contains("listening on http://") {
            addr = line.rsplit("http://").next().unwrap().trim().to_owned();
            break;
        }
    }
    assert!(!addr.is_empty(), "serve did not report its address");
    Server { child, addr, admin }
}

#[test]
fn first_serve_initialises_and_import_runs_beside_it() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");
    let server = start(&dir, &[]);
    let admin = server
        .admin
        .clone()
        .expect("first serve prints an admin token");
    assert_eq!(http(&server.addr, "GET", "/healthz", None, None).0, 200);
    assert_eq!(
        http(&server.addr, "GET", "/api/v1/objects", None, None).0,
        401
    );

    // A bundle big enough that the import takes several transactions.
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

    // Read and write through the server while the import goes on.
    let mut reads = 0;
    let one = r#"{"type":"url","spec_version":"2.1","id":"url--4f2a4a0e-0f2f-4f0d-8a87-c1d9d05b7e1f","value":"http://bad.example/x"}"#;
    let (status, body) = http(
        &server.addr,
        "POST",
        "/api/v1/objects",
        Some(&admin),
        Some(one),
    );
    assert_eq!(status, 200, "{body}");
    while reads < 50 {
        let (status, body) = http(
            &server.addr,
            "GET",
            "/api/v1/objects?type=domain-name&limit=10",
            Some(&admin),
            None,
        );
        assert_eq!(status, 200, "{body}");
        reads += 1;
    }
    let out = import.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("3000 new"));
    assert!(!String::from_utf8_lossy(&out.stderr).contains("locked"));

    let (status, body) = http(
        &server.addr,
        "GET",
        "/api/v1/search?q=host2999.example",
        Some(&admin),
        None,
    );
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("host2999.example.org"), "{body}");
}

#[test]
fn environment_overrides_the_configuration_file() {
    let tmp = tempfile::tempdir().unwrap();
    let token = init(tmp.path());
    let server = start(tmp.path(), &[("CONCORD_BODY_LIMIT", "200")]);
    let big = format!(
        r#"{{"type":"url","spec_version":"2.1","id":"url--4f2a4a0e-0f2f-4f0d-8a87-c1d9d05b7e1f","value":"http://{}.example/"}}"#,
        "a".repeat(300)
    );
    let (status, body) = http(
        &server.addr,
        "POST",
        "/api/v1/objects",
        Some(&token),
        Some(&big),
    );
    assert_eq!(status, 413, "{body}");
}

/// 10,000 simultaneous connections (idle, half-sent requests, garbage): the node keeps
/// answering a real client, and answers again once they are gone.
#[test]
fn ten_thousand_simultaneous_connections_do_not_stop_the_node() {
    use std::io::{Read, Write};
    use std::net::TcpStream;
    use std::time::Duration;

    let limit = rlimit::increase_nofile_limit(u64::MAX).unwrap_or(1024);
    let wanted = 10_000u64;
    let n = wanted.min(limit.saturating_sub(500)) as usize;
    if (n as u64) < wanted {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "CI=true but the open-file limit ({limit}) allows only {n} connections"
        );
        eprintln!("SKIPPED in part: open-file limit {limit} allows {n} connections, not {wanted}");
    }
    let tmp = tempfile::tempdir().unwrap();
    let token = init(tmp.path());
    let server = start(tmp.path(), &[]);
    let mut conns = Vec::with_capacity(n);
    for i in 0..n {
        let mut s = match TcpStream::connect(&server.addr) {
            Ok(s) => s,
            Err(e) => panic!("connection {i} of {n} refused: {e}"),
        };
        match i % 3 {
            0 => {}
            1 => {
                let _ = s.write_all(b"GET /taxii2/ HTTP/1.1\r\nHost: x\r\n");
            }
            _ => {
                let _ = s.write_all(b"\x16\x03\x01 not http at all\r\n\r\n");
            }
        }
        conns.push(s);
    }
    let (status, body) = http(&server.addr, "GET", "/taxii2/", Some(&token), None);
    assert_eq!(status, 200, "with {n} other connections open: {body}");
    // Garbage got a clean answer or a close, never a hang of the whole server.
    let mut garbage = conns.swap_remove(2);
    garbage
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut buf = Vec::new();
    let _ = garbage.read_to_end(&mut buf);
    let text = String::from_utf8_lossy(&buf);
    assert!(buf.is_empty() || text.starts_with("HTTP/1.1 400"), "{text}");
    drop(conns);
    let (status, _) = http(&server.addr, "GET", "/healthz", None, None);
    assert_eq!(status, 200);
}
