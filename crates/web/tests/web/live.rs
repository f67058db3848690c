//! The live channel: a signed-in user's server-sent event stream carries new object
//! versions that match the web subscriptions of `response.toml`, never one above the
//! user's TLP clearance nor one addressed to other users; a reconnecting stream gets
//! what it missed; the notifications page lists the same without JavaScript.

use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use concord_server::ServerConfig;
use concord_stix::Tlp;
use http_body_util::BodyExt;
use tower::ServiceExt;

use super::common::{Client, TestWeb, id, indicator, malware};

const RESPONSE_TOML: &str = r#"
[[subscription]]
name = "everyone-indicators"
types = ["indicator"]
web = true

[[subscription]]
name = "analyst-malware"
types = ["malware"]
web = ["analyst"]

[[subscription]]
name = "hook-only"
webhook = { url = "http://127.0.0.1:9/", secret = "k" }
"#;

fn web_with_subscriptions() -> (TestWeb, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("response.toml"), RESPONSE_TOML).unwrap();
    let web = TestWeb::with_config(ServerConfig {
        data_dir: Some(dir.path().to_owned()),
        ..ServerConfig::default()
    });
    (web, dir)
}

/// The `Cookie` header of a client's cookies.
fn cookie_header(c: &Client<'_>) -> String {
    c.cookies
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("; ")
}

/// An open event stream.
struct Events {
    body: Body,
    buf: String,
}

impl Events {
    async fn open(
        web: &TestWeb,
        c: &Client<'_>,
        last_event_id: Option<&str>,
    ) -> (StatusCode, Events) {
        Events::open_at(web, c, "/notifications/live", last_event_id).await
    }

    async fn open_at(
        web: &TestWeb,
        c: &Client<'_>,
        path: &str,
        last_event_id: Option<&str>,
    ) -> (StatusCode, Events) {
        let cookies = cookie_header(c);
        let mut req = Request::builder()
            .uri(path)
            .header(header::ACCEPT, "text/event-stream")
            .header(header::ACCEPT_LANGUAGE, &c.accept_language);
        if !cookies.is_empty() {
            req = req.header(header::COOKIE, cookies);
        }
        if let Some(id) = last_event_id {
            req = req.header("last-event-id", id);
        }
        let res = web
            .router
            .clone()
            .oneshot(req.body(Body::empty()).unwrap())
            .await
            .unwrap();
        let status = res.status();
        if status == StatusCode::OK {
            assert!(
                res.headers()[header::CONTENT_TYPE]
                    .to_str()
                    .unwrap()
                    .starts_with("text/event-stream")
            );
        }
        (
            status,
            Events {
                body: res.into_body(),
                buf: String::new(),
            },
        )
    }

    /// The next `notification` event: (id, data). Fails rather than hang if none comes.
    async fn next(&mut self) -> (String, serde_json::Value) {
        let (id, data) = self.next_block(true).await;
        (id, serde_json::from_str(&data).unwrap())
    }

    /// The id the stream starts at (its first block, `event: ready`).
    async fn position(&mut self) -> String {
        let (id, data) = self.next_block(false).await;
        let v: serde_json::Value = serde_json::from_str(&data).unwrap();
        assert_eq!(v["position"].to_string(), id, "{data}");
        id
    }

    async fn next_block(&mut self, notification: bool) -> (String, String) {
        loop {
            if let Some(end) = self.buf.find("\n\n") {
                let block: String = self.buf.drain(..end + 2).collect();
                let mut id = String::new();
                let mut event = String::new();
                let mut data = String::new();
                for line in block.lines() {
                    if let Some(v) = line.strip_prefix("id:") {
                        id = v.trim().to_owned();
                    } else if let Some(v) = line.strip_prefix("event:") {
                        event = v.trim().to_owned();
                    } else if let Some(v) = line.strip_prefix("data:") {
                        data.push_str(v.trim_start());
                    }
                }
                if !notification || event == "notification" {
                    return (id, data);
                }
                continue;
            }
            let frame = tokio::time::timeout(Duration::from_secs(20), self.body.frame())
                .await
                .expect("no event within 20 s")
                .expect("the stream ended")
                .expect("stream error");
            if let Ok(bytes) = frame.into_data() {
                self.buf.push_str(&String::from_utf8_lossy(&bytes));
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_live_channel_streams_only_what_the_user_may_see() {
    let (web, _dir) = web_with_subscriptions();
    let green = web.signed_in("green").await;
    let (status, mut events) = Events::open(&web, &green, None).await;
    assert_eq!(status, StatusCode::OK);
    let start = events.position().await;

    // Above the user's clearance first, then one of a type only the analyst subscribed
    // to, then one the user may see: the stream is in store order, so receiving the
    // last proves the others were left out, not late.
    web.import(vec![indicator(
        1,
        "Amber secret",
        Some(Tlp::Amber),
        "198.51.100.1",
    )]);
    web.import(vec![malware(2, "Analyst-only malware", None)]);
    web.import(vec![indicator(
        3,
        "Green news",
        Some(Tlp::Green),
        "198.51.100.3",
    )]);
    let (seq, note) = events.next().await;
    assert_eq!(
        note["url"],
        format!("/objects/{}", id("indicator", 3)),
        "{note}"
    );
    assert_eq!(note["text"], "New indicator: Green news");
    assert_eq!(note["tlp"], "green");
    assert_eq!(
        note["subscriptions"],
        serde_json::json!(["everyone-indicators"])
    );
    let seq: i64 = seq.parse().unwrap();

    // A reconnecting browser sends the last id it saw (here, the position the stream
    // started at: it saw no notification yet) and gets what came after it.
    drop(events);
    let (_, mut again) = Events::open(&web, &green, Some(&start)).await;
    let (seq2, replay) = again.next().await;
    assert_eq!(seq2.parse::<i64>().unwrap(), seq);
    assert_eq!(replay["text"], "New indicator: Green news");
    // A stream opened now starts after it.
    let (_, mut later) = Events::open(&web, &green, None).await;
    assert_eq!(later.position().await.parse::<i64>().unwrap(), seq);
    // The page script reopens a stream closed while its tab was hidden with `?after=`;
    // a `Last-Event-ID` (the browser's own reconnection) wins over it.
    let (_, mut resumed) = Events::open_at(
        &web,
        &green,
        &format!("/notifications/live?after={start}"),
        None,
    )
    .await;
    assert_eq!(resumed.next().await.0.parse::<i64>().unwrap(), seq);
    let (_, mut both) = Events::open_at(
        &web,
        &green,
        &format!("/notifications/live?after={seq}"),
        Some(&start),
    )
    .await;
    assert_eq!(both.next().await.0.parse::<i64>().unwrap(), seq);

    // The analyst (AMBER) sees all three on the notifications page; the green reader
    // only its own; the text is in the user's language.
    let mut analyst = web.signed_in("analyst").await;
    let page = analyst.get("/notifications").await;
    let body = page.page();
    for name in ["Amber secret", "Analyst-only malware", "Green news"] {
        assert!(
            body.contains(name),
            "{name} missing for the analyst: {body}"
        );
    }
    let mut green = green;
    green.accept_language = "fr".into();
    let page = green.get("/notifications").await;
    let body = page.page();
    assert!(body.contains("Green news"), "{body}");
    assert!(!body.contains("Amber secret") && !body.contains("Analyst-only malware"));
    assert!(body.contains("<html lang=\"fr\""));
    let (_, mut fr) = Events::open(&web, &green, Some("0")).await;
    assert_eq!(
        fr.next().await.1["text"],
        "Nouvel objet indicator : Green news"
    );

    // Nobody signed in: no stream.
    let anon = web.client();
    assert_eq!(
        Events::open(&web, &anon, None).await.0,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn without_a_web_subscription_the_page_says_how_to_add_one() {
    let web = TestWeb::new();
    let mut c = web.signed_in("green").await;
    let page = c.get("/notifications").await;
    let body = page.page();
    assert!(body.contains("No web subscription includes you"), "{body}");
    assert!(body.contains("No notifications since the server started."));
    // Every signed-in page has the live region and loads the page script.
    assert!(body.contains("aria-live=\"polite\""));
    assert!(body.contains("<script src=\"/assets/concord.js?v="));
}

/// A server told to stop ends the open event streams at once instead of waiting for them
/// to run out (`STREAM_LIFE`): it stops within a second with a browser tab still open.
#[tokio::test]
async fn a_stopping_server_ends_open_streams_at_once() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let (web, _dir) = web_with_subscriptions();
    let c = web.signed_in("analyst").await;
    let cookies = cookie_header(&c);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(concord_server::serve(
        listener,
        web.state.clone(),
        vec![concord_web::part(web.state.clone())],
        async {
            let _ = stopped.await;
        },
    ));
    let mut sock = tokio::net::TcpStream::connect(addr).await.unwrap();
    let request = format!(
        "GET /notifications/live HTTP/1.1\r\nHost: {addr}\r\nAccept: text/event-stream\r\nCookie: {cookies}\r\n\r\n"
    );
    sock.write_all(request.as_bytes()).await.unwrap();
    let mut seen = String::new();
    let mut buf = [0u8; 4096];
    while !seen.contains("event: ready") {
        let n = tokio::time::timeout(Duration::from_secs(10), sock.read(&mut buf))
            .await
            .expect("the stream answers")
            .unwrap();
        assert!(n > 0, "closed before the first event: {seen}");
        seen.push_str(&String::from_utf8_lossy(&buf[..n]));
    }
    assert!(seen.starts_with("HTTP/1.1 200"), "{seen}");
    let asked = std::time::Instant::now();
    stop.send(()).unwrap();
    tokio::time::timeout(Duration::from_secs(5), server)
        .await
        .expect("the server stops with a stream open")
        .unwrap()
        .unwrap();
    assert!(
        asked.elapsed() < Duration::from_secs(1),
        "took {:?}",
        asked.elapsed()
    );
    // The stream was ended, not cut mid-event: reading comes to its end.
    let rest =
        tokio::time::timeout(Duration::from_secs(2), sock.read_to_end(&mut Vec::new())).await;
    assert!(
        rest.is_ok(),
        "the stream stays open after the server stopped"
    );
}
