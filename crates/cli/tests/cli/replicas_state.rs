//! Two `concord serve` replicas of one node on one PostgreSQL database share the state
//! that used to be per process (issue 25): a signed federation request accepted by one
//! replica is refused as a replay by the other, a TAXII status made on one is read on
//! the other, and sign-in attempts on both count against one limit.

use std::io::{Read, Write};
use std::net::TcpStream;

use concord_federation::httpsig;
use concord_federation::identity::NodeKey;
use concord_store::federation::{FederationStore, PeerRecord};
use serde_json::{Value, json};

use crate::common::*;
use crate::service::{Serving, add_user, serve};

/// The public URL both replicas serve as (behind one address, as a load balancer's).
const PUBLIC: &str = "http://hub.test:8443";

/// One request with extra header lines; status and body (not chunked: `Connection:
/// close` answers here are whole).
fn request(addr: &str, method: &str, path: &str, headers: &[String], body: &str) -> (u16, String) {
    let mut s = TcpStream::connect(addr).expect("connect");
    let mut req = format!("{method} {path} HTTP/1.1\r\nConnection: close\r\n");
    if !headers
        .iter()
        .any(|h| h.to_ascii_lowercase().starts_with("host:"))
    {
        req.push_str(&format!("Host: {addr}\r\n"));
    }
    for h in headers {
        req.push_str(h);
        req.push_str("\r\n");
    }
    req.push_str(&format!("Content-Length: {}\r\n\r\n{body}", body.len()));
    s.write_all(req.as_bytes()).unwrap();
    let mut out = Vec::new();
    s.read_to_end(&mut out).unwrap();
    let text = String::from_utf8_lossy(&out).into_owned();
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    (status, format!("{head}\r\n\r\n{body}"))
}

/// The value of a `Set-Cookie` for `name` in an answer.
fn cookie(answer: &str, name: &str) -> String {
    answer
        .lines()
        .filter_map(|l| l.split_once(':'))
        .filter(|(k, _)| k.eq_ignore_ascii_case("set-cookie"))
        .find_map(|(_, v)| v.trim().strip_prefix(&format!("{name}=")))
        .and_then(|v| v.split(';').next())
        .unwrap_or_else(|| panic!("no {name} cookie in {answer}"))
        .to_owned()
}

/// One web sign-in attempt; its status (303 signed in, 401 refused, 429 locked).
fn sign_in_status(addr: &str, name: &str, password: &str) -> u16 {
    let (_, form) = request(addr, "GET", "/signin", &[], "");
    let pre = cookie(&form, "concord_pre");
    let csrf = form
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .expect("the sign-in form has a CSRF field")
        .to_owned();
    let body = format!("csrf={csrf}&username={name}&password={password}&next=%2F");
    request(
        addr,
        "POST",
        "/signin",
        &[
            format!("Cookie: concord_pre={pre}"),
            "Content-Type: application/x-www-form-urlencoded".to_owned(),
        ],
        &body,
    )
    .0
}

/// The address a replica listens on, from its log: it announces its public URL, which
/// here is not where it listens.
fn listening(serving: &Serving) -> String {
    let start = std::time::Instant::now();
    loop {
        let log = std::fs::read_to_string(&serving.log).unwrap_or_default();
        if let Some(addr) = log
            .lines()
            .filter(|l| l.contains("Serving."))
            .find_map(|l| l.split("addr=").nth(1))
            .and_then(|a| a.split_whitespace().next())
        {
            return addr.to_owned();
        }
        assert!(
            start.elapsed() < std::time::Duration::from_secs(30),
            "no address in {log}"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

#[test]
fn replicas_share_nonces_taxii_statuses_and_sign_in_attempts() {
    let Some(url) = concord_testpg::database() else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let (dir_a, dir_b) = (tmp.path().join("a"), tmp.path().join("b"));
    let out = run(&dir_a, &["init", "--name", "hub", "--database-url", &url]);
    assert!(out.status.success(), "{}", stderr(&out));
    let admin = admin_token(&stdout(&out)).unwrap();
    add_user(&dir_a, "ana", "a long enough password");
    let toml = dir_a.join("concord.toml");
    let text = std::fs::read_to_string(&toml).unwrap();
    assert!(text.contains("public_url = \"\""), "{text}");
    std::fs::write(
        &toml,
        text.replace("public_url = \"\"", &format!("public_url = {PUBLIC:?}")),
    )
    .unwrap();
    std::fs::create_dir_all(&dir_b).unwrap();
    for name in ["node.key", "node.pub", "concord.toml", "policy.toml"] {
        std::fs::copy(dir_a.join(name), dir_b.join(name)).unwrap();
    }
    // A registered peer whose requests the hub accepts (its own URL goes nowhere).
    let peer = NodeKey::from_seed([25; 32]);
    {
        let store = concord_store_pg::PgStore::open(&url).unwrap();
        store
            .put_peer(&PeerRecord {
                node_id: peer.node_id(),
                name: "peer".into(),
                url: "http://127.0.0.1:9".into(),
                public_key: peer.public_hex(),
                added: "2026-01-01T00:00:00.000Z".into(),
                ..PeerRecord::default()
            })
            .unwrap();
    }
    let a = serve(&dir_a, &tmp.path().join("a.log"));
    let b = serve(&dir_b, &tmp.path().join("b.log"));
    let (addr_a, addr_b) = (listening(&a), listening(&b));

    // A signed federation request: accepted by one replica, a replay at the other (and
    // at the first again).
    let authority = httpsig::authority_of(PUBLIC).unwrap();
    let (path, query) = ("/federation/v1/governance", "after=0&limit=10");
    let now = chrono::Utc::now().timestamp();
    let signed = httpsig::sign(&peer, "GET", &authority, path, Some(query), b"", now);
    let headers = vec![
        format!("Host: {authority}"),
        format!("Date: {}", signed.date),
        format!("Content-Digest: {}", signed.content_digest),
        format!("Signature-Input: {}", signed.signature_input),
        format!("Signature: {}", signed.signature),
    ];
    let target = format!("{path}?{query}");
    let (code, body) = request(&addr_a, "GET", &target, &headers, "");
    assert_eq!(code, 200, "{body}");
    for addr in [&addr_b, &addr_a] {
        let (code, body) = request(addr, "GET", &target, &headers, "");
        assert_eq!(code, 401, "a replay is refused at {addr}: {body}");
        assert!(body.contains("replayed nonce"), "{body}");
    }
    // A fresh signature of the same request is accepted by the other replica.
    let again = httpsig::sign(&peer, "GET", &authority, path, Some(query), b"", now);
    let headers = vec![
        format!("Host: {authority}"),
        format!("Date: {}", again.date),
        format!("Content-Digest: {}", again.content_digest),
        format!("Signature-Input: {}", again.signature_input),
        format!("Signature: {}", again.signature),
    ];
    let (code, body) = request(&addr_b, "GET", &target, &headers, "");
    assert_eq!(code, 200, "{body}");

    // A TAXII status made on one replica is read on the other.
    let taxii = [
        format!("Authorization: Bearer {admin}"),
        "Accept: application/taxii+json;version=2.1".to_owned(),
        "Content-Type: application/taxii+json;version=2.1".to_owned(),
    ];
    let envelope = json!({"objects": [{"type": "indicator", "spec_version": "2.1",
        "id": "indicator--0b3f2d1e-25aa-4c0b-9d1e-7f6a5b4c3d2e",
        "created": "2026-01-01T00:00:00.000Z", "modified": "2026-01-01T00:00:00.000Z",
        "name": "replica status", "pattern": "[ipv4-addr:value = '203.0.113.25']",
        "pattern_type": "stix", "valid_from": "2026-01-01T00:00:00Z"}]})
    .to_string();
    let objects = format!(
        "/taxii2/api/collections/{}/objects/",
        concord_taxii::collection::DEFAULT_COLLECTION_ID
    );
    let (code, answer) = request(&addr_a, "POST", &objects, &taxii, &envelope);
    assert_eq!(code, 202, "{answer}");
    let posted: Value = serde_json::from_str(answer.split_once("\r\n\r\n").unwrap().1).unwrap();
    let id = posted["id"].as_str().unwrap();
    let (code, answer) = request(
        &addr_b,
        "GET",
        &format!("/taxii2/api/status/{id}/"),
        &taxii,
        "",
    );
    assert_eq!(
        code, 200,
        "the status is read on the other replica: {answer}"
    );
    let read: Value = serde_json::from_str(answer.split_once("\r\n\r\n").unwrap().1).unwrap();
    assert_eq!(read, posted);

    // Sign-in attempts on both replicas count against one limit (five per name): three
    // wrong passwords on one, two on the other, and then even the right one is refused
    // on either.
    for (addr, n) in [(&addr_a, 3), (&addr_b, 2)] {
        for _ in 0..n {
            assert_eq!(sign_in_status(addr, "ana", "wrong"), 401);
        }
    }
    assert_eq!(
        sign_in_status(&addr_a, "ana", "a+long+enough+password"),
        429
    );
    assert_eq!(
        sign_in_status(&addr_b, "ana", "a+long+enough+password"),
        429
    );
    drop((a, b));
}
