//! `concord taxii pull` against a real OASIS `medallion` server (from the test virtualenv):
//! a complete import, then a second pull that fetches nothing new (issue 3).

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::common::{run, stderr, stdout};

/// Kills the server when the test ends, however it ends.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn venv() -> PathBuf {
    std::env::var_os("CONCORD_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../.venv"))
}

fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

/// Starts medallion with `count` objects; `None` (loudly) when it is not installed.
fn medallion(dir: &std::path::Path, count: usize) -> Option<(Running, u16, String)> {
    let exe = venv().join("bin/medallion");
    if !exe.is_file() {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "CI=true but medallion is missing from {} (run scripts/test)",
            venv().display()
        );
        eprintln!(
            "SKIPPED: medallion not installed in {}; run scripts/test",
            venv().display()
        );
        return None;
    }
    let port = free_port();
    let fixture =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../taxii/tests/medallion_fixture.py");
    let out = Command::new(venv().join("bin/python"))
        .arg(fixture)
        .arg(dir)
        .arg(count.to_string())
        .arg(port.to_string())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let collection = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    let child = Command::new(exe)
        .args(["--host", "127.0.0.1", "--port", &port.to_string()])
        .arg(dir.join("medallion.json"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let running = Running(child);
    // Readiness: the port accepts connections (medallion offers no other signal).
    let deadline = Instant::now() + Duration::from_secs(30);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            Instant::now() < deadline,
            "medallion did not start on port {port}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    Some((running, port, collection))
}

#[test]
fn pulls_a_medallion_collection_completely_then_nothing_new() {
    let tmp = tempfile::tempdir().unwrap();
    let Some((_server, port, collection)) = medallion(&tmp.path().join("medallion"), 456) else {
        return;
    };
    let data = tmp.path().join("node");
    assert!(run(&data, &["init"]).status.success());
    let url = format!("http://127.0.0.1:{port}/taxii2/");
    let args = [
        "taxii",
        "pull",
        &url,
        "--collection",
        &collection,
        "--user",
        "concord",
        "--password",
        "concord-pass",
    ];
    let first = run(&data, &args);
    assert!(first.status.success(), "{}", stderr(&first));
    let text = stdout(&first);
    assert!(
        text.contains(": 456 objects in 5 pages; new 456,"),
        "{text}"
    );
    let export = run(&data, &["export", "--type", "indicator"]);
    let bundle: serde_json::Value = serde_json::from_slice(&export.stdout).unwrap();
    assert_eq!(bundle["objects"].as_array().unwrap().len(), 456);
    let second = run(&data, &args);
    assert!(second.status.success(), "{}", stderr(&second));
    assert!(
        stdout(&second).contains(": 0 objects in 1 pages; new 0,"),
        "{}",
        stdout(&second)
    );
    let state = std::fs::read_to_string(data.join("taxii-pull.json")).unwrap();
    assert!(state.contains(&collection), "{state}");
    let wrong = run(
        &data,
        &[
            "taxii",
            "pull",
            &url,
            "--user",
            "concord",
            "--password",
            "nope",
        ],
    );
    assert!(!wrong.status.success());
    assert!(stderr(&wrong).contains("401"), "{}", stderr(&wrong));
}
