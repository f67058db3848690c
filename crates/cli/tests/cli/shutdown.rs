//! SIGTERM under load (issue 27): a node with a signed-in browser's live stream, a peer
//! pulling from it over a live connection, and a client importing through the REST API
//! stops within its grace period, exits 0, ends the stream cleanly and keeps every object
//! it acknowledged.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::common::node::{Node, link};
use crate::common::*;
use crate::federation::wait_until;
use crate::service::{STOP_GRACE, add_user, kill, sign_in, wait_at_most};

const GREEN: &str = "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb";

/// Objects per POST of the importing client.
const BATCH: usize = 300;

fn indicator(batch: usize, n: usize) -> Value {
    json!({
        "type": "indicator", "spec_version": "2.1",
        "id": concord_stix::id::new_id("indicator"),
        "created": "2026-02-01T00:00:00.000Z", "modified": "2026-02-01T00:00:00.000Z",
        "name": format!("shutdown batch {batch} item {n}"),
        "pattern": format!("[ipv4-addr:value = '10.{}.{}.{}']", batch % 250, n / 250, n % 250),
        "pattern_type": "stix", "valid_from": "2026-02-01T00:00:00Z",
        "object_marking_refs": [GREEN]
    })
}

/// The text of a bundle of `objects`.
fn bundle(objects: &[Value]) -> String {
    json!({"type": "bundle", "id": concord_stix::id::new_id("bundle"), "objects": objects})
        .to_string()
}

/// The head of a POST of `len` bytes to `/api/v1/objects`, plus `extra` header lines.
fn post_head(addr: &str, token: &str, len: usize, extra: &str) -> String {
    format!(
        "POST /api/v1/objects HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\
         Authorization: Bearer {token}\r\nContent-Type: application/json\r\n\
         Content-Length: {len}\r\n{extra}\r\n"
    )
}

/// One POST of a bundle that tolerates the node going away: the status, or `None` when
/// the exchange broke off (nothing acknowledged then).
fn post_bundle(addr: &str, token: &str, objects: &[Value]) -> Option<u16> {
    let body = bundle(objects);
    let mut s = TcpStream::connect(addr).ok()?;
    s.write_all(post_head(addr, token, body.len(), "").as_bytes())
        .ok()?;
    s.write_all(body.as_bytes()).ok()?;
    let mut answer = String::new();
    s.read_to_string(&mut answer).ok()?;
    answer.split(' ').nth(1)?.parse().ok()
}

/// What the importing client saw: the ids of every acknowledged (2xx) batch.
struct Imported {
    acknowledged: Vec<String>,
}

#[test]
fn sigterm_with_a_live_stream_a_live_peer_and_a_rest_import_loses_nothing() {
    let mut a = Node::new("a");
    let mut b = Node::new("b");
    link(&a, &b);
    add_user(a.path(), "ana", "a long enough password");
    a.start();
    b.start();

    // The peer pulls over its live connection: an object posted on A reaches B.
    let first = indicator(0, 0);
    a.post(std::slice::from_ref(&first));
    let first_id = first["id"].as_str().unwrap().to_owned();
    wait_until("B to pull from A", Duration::from_secs(30), || {
        b.get(&first_id).is_some()
    });

    // A browser tab's live notifications.
    let cookie = sign_in(&a.addr(), "ana", "a+long+enough+password");
    let mut stream = TcpStream::connect(a.addr()).unwrap();
    write!(
        stream,
        "GET /notifications/live HTTP/1.1\r\nHost: {}\r\nAccept: text/event-stream\r\nCookie: {cookie}\r\n\r\n",
        a.addr()
    )
    .unwrap();
    stream
        .set_read_timeout(Some(STOP_GRACE + Duration::from_secs(5)))
        .unwrap();
    let mut seen = Vec::new();
    let mut buf = [0u8; 4096];
    while !String::from_utf8_lossy(&seen).contains("event: ready") {
        let n = stream.read(&mut buf).unwrap();
        assert!(n > 0, "the stream closed before its first event");
        seen.extend_from_slice(&buf[..n]);
    }

    // A client importing through the REST API, batch after batch, until the node is gone.
    let (acked_tx, acked_rx) = mpsc::channel();
    let (addr, admin) = (a.addr(), a.admin.clone());
    let importer = std::thread::spawn(move || {
        let mut acknowledged = Vec::new();
        for batch in 1..=200 {
            let objects: Vec<Value> = (0..BATCH).map(|n| indicator(batch, n)).collect();
            match post_bundle(&addr, &admin, &objects) {
                Some(code) if (200..300).contains(&code) => {
                    acknowledged.extend(objects.iter().map(|o| o["id"].as_str().unwrap().into()));
                    let _ = acked_tx.send(());
                }
                _ => break,
            }
        }
        Imported { acknowledged }
    });
    acked_rx
        .recv_timeout(Duration::from_secs(60))
        .expect("the importer's first batch is acknowledged");

    // A request under way when the signal comes: its head is read and the node asks for
    // its body (`100 Continue`); the body is sent after the signal.
    let last_batch: Vec<Value> = (0..BATCH).map(|n| indicator(999, n)).collect();
    let body = bundle(&last_batch);
    let mut under_way = TcpStream::connect(a.addr()).unwrap();
    under_way
        .write_all(
            post_head(&a.addr(), &a.admin, body.len(), "Expect: 100-continue\r\n").as_bytes(),
        )
        .unwrap();
    let mut interim = Vec::new();
    while !String::from_utf8_lossy(&interim).contains("\r\n\r\n") {
        let n = under_way.read(&mut buf).unwrap();
        assert!(n > 0, "no answer to the request head");
        interim.extend_from_slice(&buf[..n]);
    }
    assert!(
        String::from_utf8_lossy(&interim).starts_with("HTTP/1.1 100"),
        "{}",
        String::from_utf8_lossy(&interim)
    );

    let asked = Instant::now();
    let mut child = a.child.take().unwrap();
    kill(child.id(), "TERM");

    // The node, stopping, ends the stream (not cut: the chunked body's last chunk came).
    stream
        .read_to_end(&mut seen)
        .expect("the event stream ends when the node stops");
    let seen = String::from_utf8_lossy(&seen);
    assert!(seen.starts_with("HTTP/1.1 200"), "{seen}");
    assert!(seen.ends_with("0\r\n\r\n"), "the stream was cut: {seen:?}");

    // Now stopping, the node still takes the body of the request under way and answers.
    under_way.write_all(body.as_bytes()).unwrap();
    let mut answer = String::new();
    under_way.read_to_string(&mut answer).unwrap();
    assert!(
        answer.starts_with("HTTP/1.1 200"),
        "the request under way was cut: {answer}"
    );
    let status = wait_at_most(&mut child, STOP_GRACE + Duration::from_secs(5));
    assert!(status.success(), "serve exited with {status}");
    assert!(
        asked.elapsed() < STOP_GRACE,
        "the live peer or stream held the node for {:?}",
        asked.elapsed()
    );

    let mut imported = importer.join().unwrap();
    imported.acknowledged.extend(
        last_batch
            .iter()
            .map(|o| o["id"].as_str().unwrap().to_owned()),
    );

    // The peer is still up while A is down.
    assert_eq!(http(&b.addr(), "GET", "/healthz", None, None).0, 200);

    // After a restart, every acknowledged object is held, and the peer catches up.
    a.start();
    let out = run(a.path(), &["export"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let bundle: Value = serde_json::from_slice(&out.stdout).unwrap();
    let held: std::collections::HashSet<&str> = bundle["objects"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|o| o["id"].as_str())
        .collect();
    let lost: Vec<&String> = imported
        .acknowledged
        .iter()
        .filter(|id| !held.contains(id.as_str()))
        .collect();
    assert!(
        lost.is_empty(),
        "{} of {} acknowledged objects lost",
        lost.len(),
        imported.acknowledged.len()
    );
    let last = imported.acknowledged.last().unwrap();
    wait_until("B to pull the last batch", Duration::from_secs(60), || {
        b.get(last).is_some()
    });
}
