//! The client against a served Concord node over a real socket: a complete pull, a second
//! pull that fetches nothing new, and a server that answers 429 with Retry-After to every
//! third request.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::http::{HeaderValue, StatusCode};
use axum::response::IntoResponse;
use concord_store::Store;
use concord_store::sqlite::SqliteStore;
use concord_taxii::client::{Auth, Client, Options};
use concord_taxii::pull::{Pull, pull};
use concord_taxii::server::router;
use serde_json::Value;

use super::common::*;

async fn serve(app: axum::Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    format!("http://{addr}/taxii2/")
}

async fn pull_into(
    url: &str,
    dir: &std::path::Path,
    store: Arc<dyn Store>,
) -> (usize, usize, usize) {
    let r = try_pull(url, dir, store).await.unwrap();
    (r.received, r.summary.new, r.pages)
}

async fn try_pull(
    url: &str,
    dir: &std::path::Path,
    store: Arc<dyn Store>,
) -> Result<concord_taxii::pull::CollectionReport, concord_taxii::pull::PullError> {
    let client = Client::new(
        Auth::Basic {
            user: "puller".into(),
            password: READER.into(),
        },
        Options {
            backoff: std::time::Duration::from_millis(10),
            ..Options::default()
        },
    )
    .unwrap();
    let req = Pull {
        url: url.to_owned(),
        collection: Some(DEFAULT.to_owned()),
        added_after: None,
        state_file: dir.join("taxii-pull.json"),
        allow_cross_origin_credentials: false,
    };
    let mut reports = pull(store, &client, &req, &mut |_| {}).await?;
    Ok(reports.remove(0))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pulls_a_concord_node_completely_then_nothing_new() {
    let node = Node::with_objects(2_345);
    let url = serve(router(node.state.clone())).await;
    let dir = tempfile::tempdir().unwrap();
    let mine: Arc<dyn Store> = Arc::new(SqliteStore::open_in_memory().unwrap());
    assert_eq!(
        pull_into(&url, dir.path(), mine.clone()).await,
        (2_345, 2_345, 3)
    );
    assert_eq!(mine.stats().unwrap().objects, 2_345);
    assert_eq!(pull_into(&url, dir.path(), mine.clone()).await, (0, 0, 1));
    let more: Vec<Value> = (5_000..5_010).map(indicator).collect();
    concord_store::import::import_values(&*node.store, more, 100, &mut |_| {}).unwrap();
    assert_eq!(pull_into(&url, dir.path(), mine).await, (10, 10, 1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_client_waits_out_429_and_carries_on() {
    let node = Node::with_objects(1_500);
    let count = Arc::new(AtomicUsize::new(0));
    let app = router(node.state.clone()).layer(axum::middleware::from_fn(
        move |req: axum::extract::Request, next: axum::middleware::Next| {
            let count = count.clone();
            async move {
                if count.fetch_add(1, Ordering::Relaxed) % 3 == 2 {
                    let mut res = StatusCode::TOO_MANY_REQUESTS.into_response();
                    res.headers_mut()
                        .insert("retry-after", HeaderValue::from_static("0"));
                    return res;
                }
                next.run(req).await
            }
        },
    ));
    let url = serve(app).await;
    let dir = tempfile::tempdir().unwrap();
    let mine: Arc<dyn Store> = Arc::new(SqliteStore::open_in_memory().unwrap());
    assert_eq!(pull_into(&url, dir.path(), mine).await, (1_500, 1_500, 2));
}

/// Bad input from the network: clients that disconnect mid-page and a crowd of idle
/// connections; the server keeps serving everyone else.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn disconnects_and_a_crowd_of_connections_do_not_stop_the_server() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let node = Node::with_objects(3_000);
    let url = serve(router(node.state.clone())).await;
    let addr = url
        .trim_start_matches("http://")
        .trim_end_matches("/taxii2/")
        .to_owned();
    let request = format!(
        "GET {}?limit=1000 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {READER}\r\n\r\n",
        objects_path()
    );
    for _ in 0..20 {
        let mut s = tokio::net::TcpStream::connect(&addr).await.unwrap();
        s.write_all(request.as_bytes()).await.unwrap();
        let mut first = [0u8; 64];
        let _ = s.read(&mut first).await.unwrap();
        drop(s);
    }
    let mut crowd = Vec::new();
    for _ in 0..2_000 {
        crowd.push(tokio::net::TcpStream::connect(&addr).await.unwrap());
    }
    let dir = tempfile::tempdir().unwrap();
    let mine: Arc<dyn Store> = Arc::new(SqliteStore::open_in_memory().unwrap());
    assert_eq!(pull_into(&url, dir.path(), mine).await, (3_000, 3_000, 3));
    drop(crowd);
}

/// `next` tokens stay valid across restarts when the key is kept (the CLI derives it
/// from the node key).
#[tokio::test]
async fn next_tokens_survive_a_restart_with_the_same_key() {
    use concord_taxii::server::{TaxiiConfig, TaxiiState};
    let config = TaxiiConfig {
        next_key: b"kept across restarts".to_vec(),
        ..TaxiiConfig::default()
    };
    let node = Node::new(config.clone());
    let objs: Vec<Value> = (0..5).map(indicator).collect();
    concord_store::import::import_values(&*node.store, objs, 10, &mut |_| {}).unwrap();
    let first = node
        .get(&format!("{}?limit=2", objects_path()), READER)
        .await;
    let next = first.body["next"].as_str().unwrap().to_owned();
    let restarted = Node {
        store: node.store.clone(),
        state: TaxiiState::new(node.store.clone(), config, identity),
    };
    let second = restarted
        .get(&format!("{}?limit=2&next={next}", objects_path()), READER)
        .await;
    assert_eq!(second.status, StatusCode::OK, "{}", second.body);
    assert_eq!(second.body["objects"].as_array().unwrap().len(), 2);
}

/// A pull cut off after its first page resumes without skipping the objects stored after
/// the first page's last `date_added`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_interrupted_pull_resumes_without_skipping() {
    let node = Node::with_objects(2_500);
    let broken = Arc::new(std::sync::atomic::AtomicBool::new(true));
    let flag = broken.clone();
    let app = router(node.state.clone()).layer(axum::middleware::from_fn(
        move |req: axum::extract::Request, next: axum::middleware::Next| {
            let flag = flag.clone();
            async move {
                let paging = req.uri().query().is_some_and(|q| q.contains("next="));
                if paging && flag.load(Ordering::Relaxed) {
                    return StatusCode::BAD_GATEWAY.into_response();
                }
                next.run(req).await
            }
        },
    ));
    let url = serve(app).await;
    let dir = tempfile::tempdir().unwrap();
    let mine: Arc<dyn Store> = Arc::new(SqliteStore::open_in_memory().unwrap());
    assert!(try_pull(&url, dir.path(), mine.clone()).await.is_err());
    assert_eq!(mine.stats().unwrap().objects, 1_000);
    broken.store(false, Ordering::Relaxed);
    let r = try_pull(&url, dir.path(), mine.clone()).await.unwrap();
    assert_eq!(mine.stats().unwrap().objects, 2_500, "{r:?}");
    assert_eq!(pull_into(&url, dir.path(), mine).await.0, 0);
}
