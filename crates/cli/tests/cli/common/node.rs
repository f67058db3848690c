//! A Concord node as a real `concord serve` process on a fixed 127.0.0.1 port, set up
//! and linked to others through the CLI (federation and response tests share it).

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Stdio};

use serde_json::{Value, json};

use super::*;

pub(crate) struct Node {
    pub(crate) dir: tempfile::TempDir,
    pub(crate) name: String,
    pub(crate) port: u16,
    pub(crate) admin: String,
    pub(crate) key: String,
    pub(crate) id: String,
    pub(crate) child: Option<Child>,
    /// Serves HTTPS (its data directory has `tls_cert` / `tls_key`).
    pub(crate) tls: bool,
}

impl Drop for Node {
    fn drop(&mut self) {
        self.kill();
    }
}

pub(crate) fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl Node {
    pub(crate) fn new(name: &str) -> Node {
        let dir = tempfile::tempdir().unwrap();
        let out = run(dir.path(), &["init", "--name", name]);
        assert!(out.status.success(), "{}", stderr(&out));
        let admin = admin_token(&stdout(&out)).unwrap();
        // Poll every second when no live notice came (live notices do the real work).
        let cfg = dir.path().join("concord.toml");
        let text = std::fs::read_to_string(&cfg)
            .unwrap()
            .replace("pull_interval_secs = 30", "pull_interval_secs = 1");
        std::fs::write(&cfg, text).unwrap();
        let show = run(dir.path(), &["node", "show", "--json"]);
        let v: Value = serde_json::from_str(&stdout(&show)).unwrap();
        Node {
            name: name.into(),
            port: free_port(),
            admin,
            key: v["public_key"].as_str().unwrap().into(),
            id: v["id"].as_str().unwrap().into(),
            dir,
            child: None,
            tls: false,
        }
    }

    pub(crate) fn path(&self) -> &Path {
        self.dir.path()
    }

    pub(crate) fn url(&self) -> String {
        let scheme = if self.tls { "https" } else { "http" };
        format!("{scheme}://127.0.0.1:{}", self.port)
    }

    pub(crate) fn addr(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    pub(crate) fn start(&mut self) {
        let mut cmd = concord(self.path());
        cmd.args(["serve", "--listen", &self.addr()])
            .env("CONCORD_PUBLIC_URL", self.url())
            .stdout(Stdio::piped())
            .stderr(match std::env::var_os("NODE_LOGS") {
                Some(d) => Stdio::from(
                    std::fs::File::create(
                        std::path::Path::new(&d).join(format!("{}.log", self.port)),
                    )
                    .unwrap(),
                ),
                None => Stdio::null(),
            });
        let mut child = cmd.spawn().unwrap();
        let out = child.stdout.take().unwrap();
        let mut lines = BufReader::new(out).lines();
        loop {
            let line = lines.next().expect("serve printed its address").unwrap();
            if line.contains("listening on") {
                break;
            }
        }
        // Keep draining stdout so the child never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        self.child = Some(child);
    }

    /// SIGKILL: no shutdown work at all.
    pub(crate) fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    pub(crate) fn add_peer(&self, other: &Node, extra: &[&str]) {
        let url = other.url();
        let mut args = vec![
            "peer",
            "add",
            &url,
            "--key",
            &other.key,
            "--name",
            &other.name,
        ];
        args.extend_from_slice(extra);
        let out = run(self.path(), &args);
        assert!(out.status.success(), "{}", stderr(&out));
    }

    pub(crate) fn post(&self, objects: &[Value]) {
        let body = json!({"type": "bundle", "id": "bundle--00000000-0000-4000-8000-000000000000",
            "objects": objects})
        .to_string();
        let (status, text) = http(
            &self.addr(),
            "POST",
            "/api/v1/objects",
            Some(&self.admin),
            Some(&body),
        );
        assert_eq!(status, 200, "{text}");
    }

    pub(crate) fn get(&self, id: &str) -> Option<Value> {
        let (status, body) = http(
            &self.addr(),
            "GET",
            &format!("/api/v1/objects/{id}"),
            Some(&self.admin),
            None,
        );
        (status == 200).then(|| serde_json::from_str(&body).unwrap())
    }
}

/// Registers each with the other.
pub(crate) fn link(a: &Node, b: &Node) {
    a.add_peer(b, &[]);
    b.add_peer(a, &[]);
}
