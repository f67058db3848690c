//! The server's live indicator index (issue 4: "the index is rebuilt or patched as
//! indicators arrive or expire, without stopping matching"): indicators imported, revoked,
//! expiring or starting after the server started are matched (or not) at once, while
//! other match requests keep being answered.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use serde_json::json;
use tower::ServiceExt;

use super::common::*;

/// One line per address, in the one-per-line format.
fn lines(ips: &[&str]) -> Vec<u8> {
    ips.iter()
        .map(|ip| format!("{ip}\n"))
        .collect::<String>()
        .into_bytes()
}

async fn matched(t: &TestApp, ips: &[&str]) -> Vec<String> {
    let res = t
        .request(
            Method::POST,
            "/api/v1/match?format=lines",
            Some(&t.analyst),
            Some(("text/plain", lines(ips))),
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text());
    let mut ids: Vec<String> = res.json()["sightings"]
        .as_array()
        .expect("sightings")
        .iter()
        .filter_map(|s| s["sighting_of_ref"].as_str().map(str::to_owned))
        .collect();
    ids.sort();
    ids
}

fn id(n: u32) -> String {
    format!("indicator--{}", uuid(n))
}

/// Match requests sent in a loop on other tasks until dropped; counts answers, and
/// fails the test (at `finish`) if any was not 200.
struct Background {
    stop: Arc<AtomicBool>,
    answered: Arc<AtomicUsize>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Background {
    fn start(t: &TestApp, n: usize) -> Background {
        let stop = Arc::new(AtomicBool::new(false));
        let answered = Arc::new(AtomicUsize::new(0));
        let tasks = (0..n)
            .map(|_| {
                let (router, token) = (t.router.clone(), t.analyst.clone());
                let (stop, answered) = (stop.clone(), answered.clone());
                tokio::spawn(async move {
                    while !stop.load(Ordering::SeqCst) {
                        let req = Request::builder()
                            .method(Method::POST)
                            .uri("/api/v1/match?format=lines")
                            .header(header::AUTHORIZATION, format!("Bearer {token}"))
                            .body(Body::from(lines(&["192.0.2.200", "198.51.100.1"])))
                            .expect("request");
                        let res = router.clone().oneshot(req).await.expect("infallible");
                        assert_eq!(res.status(), StatusCode::OK);
                        answered.fetch_add(1, Ordering::SeqCst);
                        tokio::task::yield_now().await;
                    }
                })
            })
            .collect();
        Background {
            stop,
            answered,
            tasks,
        }
    }

    /// Stops the loops; how many requests they had answered.
    async fn finish(self) -> usize {
        self.stop.store(true, Ordering::SeqCst);
        for t in self.tasks {
            t.await.expect("a background match request failed");
        }
        self.answered.load(Ordering::SeqCst)
    }
}

fn ts(at: chrono::DateTime<chrono::Utc>) -> String {
    at.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

/// Sleeps until the wall clock has passed `at` (the clock is what is tested here).
async fn until(at: chrono::DateTime<chrono::Utc>) {
    let left = at - chrono::Utc::now();
    if let Ok(d) = left.to_std() {
        tokio::time::sleep(d + std::time::Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn indicators_imported_or_revoked_after_start_change_matching_at_once() {
    let t = TestApp::new();
    t.import(vec![indicator(1, "198.51.100.1")]).await;
    assert_eq!(matched(&t, &["198.51.100.1", "192.0.2.7"]).await, [id(1)]);
    let background = Background::start(&t, 2);

    // Arrives after the index was built: patched in, seen by the next request.
    t.import(vec![indicator(2, "192.0.2.7")]).await;
    assert_eq!(
        matched(&t, &["198.51.100.1", "192.0.2.7"]).await,
        [id(1), id(2)]
    );

    // A new version with another pattern replaces the old one.
    let mut changed = indicator(2, "192.0.2.8");
    changed["modified"] = json!("2024-02-01T00:00:00.000Z");
    t.import(vec![changed]).await;
    assert_eq!(
        matched(&t, &["192.0.2.7", "192.0.2.8"]).await,
        [id(2)],
        "only the new value"
    );
    assert!(matched(&t, &["192.0.2.7"]).await.is_empty());

    // Revoked: no more hits.
    let mut revoked = indicator(1, "198.51.100.1");
    revoked["modified"] = json!("2024-03-01T00:00:00.000Z");
    revoked["revoked"] = json!(true);
    t.import(vec![revoked]).await;
    assert!(matched(&t, &["198.51.100.1"]).await.is_empty());

    // An older version arriving late changes nothing.
    t.import(vec![indicator(2, "192.0.2.7")]).await;
    assert!(matched(&t, &["192.0.2.7"]).await.is_empty());
    assert_eq!(matched(&t, &["192.0.2.8"]).await, [id(2)]);

    // A warning-list flag without the override takes it out.
    let mut flagged = indicator(3, "203.0.113.9");
    flagged["labels"] = json!(["warninglist:rfc5737"]);
    t.import(vec![flagged]).await;
    assert!(matched(&t, &["203.0.113.9"]).await.is_empty());

    let answered = background.finish().await;
    assert!(answered > 0, "the background requests were answered");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn indicators_stop_at_valid_until_and_start_at_valid_from() {
    let t = TestApp::new();
    let now = chrono::Utc::now();
    let ends = now + chrono::Duration::milliseconds(1500);
    let starts = now + chrono::Duration::milliseconds(2500);
    let mut expiring = indicator(1, "198.51.100.1");
    expiring["valid_until"] = json!(ts(ends));
    let mut later = indicator(2, "192.0.2.7");
    later["valid_from"] = json!(ts(starts));
    t.import(vec![expiring, later]).await;
    let background = Background::start(&t, 2);

    assert_eq!(
        matched(&t, &["198.51.100.1", "192.0.2.7"]).await,
        [id(1)],
        "before valid_until, and not yet valid_from"
    );
    until(ends).await;
    assert!(
        matched(&t, &["198.51.100.1", "192.0.2.7"]).await.is_empty(),
        "expired, and still waiting"
    );
    until(starts).await;
    assert_eq!(
        matched(&t, &["198.51.100.1", "192.0.2.7"]).await,
        [id(2)],
        "valid_from has come"
    );
    let answered = background.finish().await;
    assert!(answered > 0, "the background requests were answered");
}
