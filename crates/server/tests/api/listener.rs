//! The listener's limits (issue 22, item 4; issue 26): a connection that trickles its
//! request head is closed after the header read timeout, connections beyond the limit wait
//! until one is free, and plain HTTP is refused on an address other than loopback.

use std::sync::Arc;
use std::time::{Duration, Instant};

use concord_server::{AppState, Listening, ServerConfig, serve_with};
use concord_store::sqlite::SqliteStore;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

fn state() -> AppState {
    let store = SqliteStore::open_in_memory().expect("store");
    AppState::new(Arc::new(store), ServerConfig::default())
}

/// Serves on 127.0.0.1 with `listening` until the returned sender is dropped or used.
async fn start(listening: Listening) -> (std::net::SocketAddr, tokio::sync::oneshot::Sender<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(serve_with(
        listener,
        state(),
        Vec::new(),
        async {
            let _ = stopped.await;
        },
        listening,
    ));
    (addr, stop)
}

#[tokio::test]
async fn a_trickled_request_head_is_cut_off_after_the_header_read_timeout() {
    let (addr, _stop) = start(Listening {
        header_read_timeout: Duration::from_millis(300),
        ..Listening::default()
    })
    .await;
    let mut s = TcpStream::connect(addr).await.expect("connect");
    s.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        .await
        .expect("write");
    let started = Instant::now();
    let mut buf = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(10), s.read_to_end(&mut buf)).await;
    assert!(read.is_ok(), "the connection stayed open");
    assert!(started.elapsed() >= Duration::from_millis(200));
    assert!(!String::from_utf8_lossy(&buf).contains("200 OK"));
}

#[tokio::test]
async fn connections_beyond_the_limit_wait_for_a_free_one() {
    let (addr, _stop) = start(Listening {
        max_connections: 1,
        ..Listening::default()
    })
    .await;
    // The first connection is answered and kept alive: it holds the only place.
    let mut first = TcpStream::connect(addr).await.expect("connect");
    first
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .expect("write");
    let mut buf = vec![0u8; 4096];
    let n = first.read(&mut buf).await.expect("read");
    assert!(String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 200"));

    let mut second = TcpStream::connect(addr)
        .await
        .expect("connect (listen queue)");
    second
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .await
        .expect("write");
    let mut answer = Vec::new();
    let early =
        tokio::time::timeout(Duration::from_millis(500), second.read_to_end(&mut answer)).await;
    assert!(early.is_err(), "answered beyond the connection limit");
    drop(first);
    tokio::time::timeout(Duration::from_secs(10), second.read_to_end(&mut answer))
        .await
        .expect("answered once the first connection closed")
        .expect("read");
    assert!(String::from_utf8_lossy(&answer).starts_with("HTTP/1.1 200"));
}

#[tokio::test]
async fn plain_http_on_a_non_loopback_address_is_refused_unless_allowed() {
    let listener = TcpListener::bind("0.0.0.0:0").await.expect("bind");
    let err = serve_with(
        listener,
        state(),
        Vec::new(),
        async {},
        Listening::default(),
    )
    .await
    .expect_err("plain HTTP on 0.0.0.0 must be refused");
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
    assert!(err.to_string().contains("tls_cert"), "{err}");

    let listener = TcpListener::bind("0.0.0.0:0").await.expect("bind");
    let allowed = Listening {
        allow_plain_http: true,
        ..Listening::default()
    };
    // Allowed: it serves, and stops when told.
    serve_with(listener, state(), Vec::new(), async {}, allowed)
        .await
        .expect("allowed plain HTTP serves");
}
