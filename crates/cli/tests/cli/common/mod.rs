//! Helpers shared by the CLI tests: running the binary, the corpus, the reference tools,
//! and a minimal HTTP client for 127.0.0.1.

pub mod node;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub fn concord(data_dir: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_concord"));
    cmd.arg("--data-dir")
        .arg(data_dir)
        .env_remove("CONCORD_LISTEN")
        .env("CONCORD_LOG", "warn");
    cmd
}

pub fn run(data_dir: &Path, args: &[&str]) -> Output {
    concord(data_dir)
        .args(args)
        .output()
        .expect("the concord binary runs")
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn in_ci() -> bool {
    std::env::var("CI").as_deref() == Ok("true")
}

/// The shared corpus directory, or `None` (with a loud message) outside CI.
pub fn corpus() -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus");
    if dir.is_dir() {
        return Some(dir);
    }
    assert!(
        !in_ci(),
        "CI=true but the shared corpus is missing at {}",
        dir.display()
    );
    eprintln!("SKIPPED: the shared corpus is not at {}", dir.display());
    None
}

/// The `stix2_validator` of the test virtualenv, or `None` (loudly) outside CI.
pub fn stix2_validator() -> Option<PathBuf> {
    let venv = std::env::var_os("CONCORD_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../.venv"));
    let exe = venv.join("bin/stix2_validator");
    if exe.is_file() {
        return Some(exe);
    }
    assert!(
        !in_ci(),
        "CI=true but stix2_validator is missing at {} (run scripts/test)",
        exe.display()
    );
    eprintln!(
        "SKIPPED: stix2_validator not found at {}; run scripts/test to install it",
        exe.display()
    );
    None
}

/// Initialises a data directory and returns the admin token it printed.
pub fn init(data_dir: &Path) -> String {
    let out = run(data_dir, &["init", "--name", "test node"]);
    assert!(out.status.success(), "{}", stderr(&out));
    admin_token(&stdout(&out)).expect("init prints an admin token")
}

pub fn admin_token(text: &str) -> Option<String> {
    text.lines()
        .find_map(|l| l.split_once("Admin token (shown once, keep it safe): "))
        .map(|(_, t)| t.trim().to_owned())
}

/// One HTTP/1.1 request to 127.0.0.1; returns status and body.
pub fn http(
    addr: &str,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<&str>,
) -> (u16, String) {
    try_http(addr, method, path, token, body).expect("connect, send and read")
}

/// [`http`], or `None` when the connection fails (a server restarting, say).
pub fn try_http(
    addr: &str,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<&str>,
) -> Option<(u16, String)> {
    let mut s = TcpStream::connect(addr).ok()?;
    let mut req = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    if let Some(t) = token {
        req.push_str(&format!("Authorization: Bearer {t}\r\n"));
    }
    let body = body.unwrap_or("");
    req.push_str(&format!(
        "Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    ));
    s.write_all(req.as_bytes()).ok()?;
    let mut resp = Vec::new();
    s.read_to_end(&mut resp).ok()?;
    let text = String::from_utf8_lossy(&resp).into_owned();
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let body = if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        dechunk(body)
    } else {
        body.to_owned()
    };
    Some((status, body))
}

fn dechunk(mut s: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = s.split_once("\r\n") {
        let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if n == 0 || rest.len() < n {
            break;
        }
        out.push_str(&rest[..n]);
        s = rest[n..].trim_start_matches("\r\n");
    }
    out
}
