//! Notification delivery against local endpoints on 127.0.0.1: a webhook receiver that
//! checks the HMAC signature, one that fails before it succeeds (retries with backoff),
//! one that hangs (others are not held up), and a tiny SMTP sink for e-mail.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use concord_response::notify::{self, Email, SmtpTls, Subscription, Webhook};
use serde_json::json;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

/// A webhook receiver: answers `fail_first` requests with 503, then 200. Records the
/// (signature header, body) of each request.
async fn receiver(fail_first: usize) -> (String, Arc<Mutex<Vec<(String, Vec<u8>)>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    let got = Arc::new(Mutex::new(Vec::new()));
    let seen = got.clone();
    tokio::spawn(async move {
        let mut n = 0;
        loop {
            let (sock, _) = listener.accept().await.unwrap();
            let mut r = BufReader::new(sock);
            let (mut sig, mut len) = (String::new(), 0usize);
            loop {
                let mut line = String::new();
                r.read_line(&mut line).await.unwrap();
                let l = line.trim_end().to_ascii_lowercase();
                if l.is_empty() {
                    break;
                }
                if let Some(v) = l.strip_prefix("x-concord-signature: ") {
                    sig = v.to_owned();
                }
                if let Some(v) = l.strip_prefix("content-length: ") {
                    len = v.parse().unwrap();
                }
            }
            let mut body = vec![0; len];
            r.read_exact(&mut body).await.unwrap();
            n += 1;
            let status = if n <= fail_first {
                "503 Busy"
            } else {
                "200 OK"
            };
            seen.lock().unwrap().push((sig, body));
            let mut sock = r.into_inner();
            let _ = sock
                .write_all(
                    format!("HTTP/1.1 {status}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
                        .as_bytes(),
                )
                .await;
        }
    });
    (url, got)
}

/// An endpoint that accepts connections and never answers.
async fn hanging() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move {
        let mut held = Vec::new();
        loop {
            let (s, _) = listener.accept().await.unwrap();
            held.push(s);
        }
    });
    url
}

/// A minimal SMTP server (RFC 5321 happy path): records each message's DATA.
async fn smtp_sink() -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let got = Arc::new(Mutex::new(Vec::new()));
    let seen = got.clone();
    tokio::spawn(async move {
        loop {
            let (sock, _) = listener.accept().await.unwrap();
            let seen = seen.clone();
            tokio::spawn(async move {
                let (rd, mut wr) = sock.into_split();
                let mut rd = BufReader::new(rd);
                wr.write_all(b"220 sink ESMTP\r\n").await.unwrap();
                let mut line = String::new();
                loop {
                    line.clear();
                    if rd.read_line(&mut line).await.unwrap_or(0) == 0 {
                        return;
                    }
                    let cmd = line.trim_end().to_ascii_uppercase();
                    if cmd.starts_with("EHLO") {
                        wr.write_all(b"250-sink\r\n250 8BITMIME\r\n").await.unwrap();
                    } else if cmd.starts_with("DATA") {
                        wr.write_all(b"354 go on\r\n").await.unwrap();
                        let mut data = String::new();
                        loop {
                            let mut l = String::new();
                            rd.read_line(&mut l).await.unwrap();
                            if l == ".\r\n" {
                                break;
                            }
                            data.push_str(&l);
                        }
                        seen.lock().unwrap().push(data);
                        wr.write_all(b"250 queued\r\n").await.unwrap();
                    } else if cmd.starts_with("QUIT") {
                        wr.write_all(b"221 bye\r\n").await.unwrap();
                        return;
                    } else {
                        wr.write_all(b"250 ok\r\n").await.unwrap();
                    }
                }
            });
        }
    });
    (addr, got)
}

fn payload() -> serde_json::Value {
    json!({"subscription": "soc", "node": "node-a", "origin": "node-b", "local": false,
        "object": {"type": "incident", "id": "incident--00000000-0000-4000-8000-000000000001",
            "name": "Ransomware at hospitals"}})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhooks_are_signed_retried_and_not_held_up_by_a_hanging_one() {
    let (good, got) = receiver(0).await;
    let (flaky, flaky_got) = receiver(2).await;
    let stuck = hanging().await;
    let client = notify::client().unwrap();
    let hook = |url: &str| Webhook {
        url: url.into(),
        secret: "s3cret".into(),
        insecure_http: false,
    };
    let (hs, hg, hf) = (hook(&stuck), hook(&good), hook(&flaky));
    let p = payload();
    let t = Instant::now();
    // The hanging endpoint first; the others must not wait for it.
    let (h, g, f) = tokio::join!(
        notify::deliver_webhook(&client, &hs, "soc", &p, 2, Duration::from_millis(500)),
        notify::deliver_webhook(&client, &hg, "soc", &p, 3, Duration::from_secs(2)),
        notify::deliver_webhook(&client, &hf, "soc", &p, 5, Duration::from_secs(2)),
    );
    assert_eq!(g, Ok(1));
    assert_eq!(f, Ok(3), "two 503s, then delivered");
    assert!(h.is_err(), "{h:?}");
    assert!(t.elapsed() < Duration::from_secs(5));
    let (sig, body) = got.lock().unwrap()[0].clone();
    assert_eq!(sig, notify::signature("s3cret", &body));
    let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(v["object"]["name"], "Ransomware at hospitals");
    assert_eq!(flaky_got.lock().unwrap().len(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn email_reaches_a_local_smtp_sink_and_spawned_deliveries_run_apart() {
    let (addr, mails) = smtp_sink().await;
    let email = Email {
        smtp: addr.clone(),
        tls: SmtpTls::None,
        from: "concord@a.example".into(),
        to: vec!["soc@a.example".into()],
    };
    let n = notify::deliver_email(&email, &payload(), 3, Duration::from_secs(5))
        .await
        .unwrap();
    assert_eq!(n, 1);
    let data = mails.lock().unwrap()[0].clone();
    assert!(
        data.contains("Subject: [Concord] incident: Ransomware at hospitals"),
        "{data}"
    );
    assert!(data.contains("To: soc@a.example"), "{data}");

    // `spawn`: a hanging webhook and an e-mail of the same subscription; the e-mail
    // arrives while the webhook still waits.
    let sub = Subscription {
        name: "soc".into(),
        webhook: Some(Webhook {
            url: hanging().await,
            secret: "k".into(),
            insecure_http: false,
        }),
        email: Some(email),
        attempts: Some(1),
        timeout_secs: Some(30),
        ..Subscription::default()
    };
    notify::spawn(&notify::client().unwrap(), &sub, payload());
    let t = Instant::now();
    while mails.lock().unwrap().len() < 2 {
        assert!(
            t.elapsed() < Duration::from_secs(5),
            "the e-mail waited for the webhook"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
