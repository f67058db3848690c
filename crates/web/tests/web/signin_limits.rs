//! Bounded sign-in and return paths (issue 22): attempts are counted before the password
//! is checked, per user name and per client address, so concurrent attempts cannot get
//! past the lockout; every redirect of the web interface stays on this origin.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Method, Request, StatusCode, header};
use concord_web::lockout::{MAX_FAILURES, MAX_FAILURES_PER_ADDRESS};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tower::ServiceExt;

use super::common::{PASSWORD, TestWeb};

/// The status and body of a request through the router, from `from` if given.
async fn call(
    router: &Router,
    method: Method,
    path: &str,
    cookie: Option<&str>,
    form: Option<String>,
    from: Option<SocketAddr>,
) -> (StatusCode, Vec<String>, String) {
    let mut req = Request::builder()
        .method(method)
        .uri(path)
        .header(header::ACCEPT_LANGUAGE, "en");
    if let Some(c) = cookie {
        req = req.header(header::COOKIE, c);
    }
    if form.is_some() {
        req = req.header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
    }
    let mut req = req
        .body(Body::from(form.unwrap_or_default()))
        .expect("request");
    if let Some(addr) = from {
        req.extensions_mut().insert(ConnectInfo(addr));
    }
    let res = router.clone().oneshot(req).await.expect("infallible");
    let status = res.status();
    let cookies = res
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .map(|v| v.split(';').next().unwrap_or("").to_owned())
        .collect();
    let body = http_body_util::BodyExt::collect(res.into_body())
        .await
        .expect("body")
        .to_bytes();
    (status, cookies, String::from_utf8_lossy(&body).into_owned())
}

/// The value of the first hidden `csrf` field of a page.
fn csrf_of(page: &str) -> String {
    let marker = "name=\"csrf\" value=\"";
    let at = page.find(marker).expect("a csrf field") + marker.len();
    page[at..at + page[at..].find('"').expect("closing quote")].to_owned()
}

/// One sign-in through the form (GET for the pre-session cookie, then POST) from `from`.
async fn sign_in(
    router: &Router,
    name: &str,
    password: &str,
    from: Option<SocketAddr>,
) -> (StatusCode, String) {
    let (_, cookies, page) = call(router, Method::GET, "/signin", None, None, from).await;
    let pre = cookies
        .iter()
        .find(|c| c.starts_with("concord_pre="))
        .expect("pre-session cookie")
        .clone();
    let form = serde_urlencoded::to_string([
        ("csrf", csrf_of(&page).as_str()),
        ("username", name),
        ("password", password),
        ("next", "/"),
    ])
    .expect("form");
    let (status, _, body) = call(
        router,
        Method::POST,
        "/signin",
        Some(&pre),
        Some(form),
        from,
    )
    .await;
    (status, body)
}

fn addr(s: &str) -> SocketAddr {
    s.parse().expect("socket address")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_attempts_check_at_most_the_limit_of_passwords() {
    let web = TestWeb::new();
    let router = Arc::new(web.router.clone());
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..40u16 {
        let router = router.clone();
        // Many addresses, so that only the user name's limit applies.
        let from = Some(addr(&format!("192.0.2.{}:{}", i % 200 + 1, 40000 + i)));
        tasks.spawn(async move { sign_in(&router, "green", "guess guess guess", from).await });
    }
    let (mut checked, mut locked) = (0u32, 0u32);
    while let Some(done) = tasks.join_next().await {
        let (status, body) = done.expect("task");
        match status {
            StatusCode::UNAUTHORIZED => checked += 1,
            StatusCode::TOO_MANY_REQUESTS => {
                assert!(body.contains("for this user name"), "{body}");
                locked += 1;
            }
            other => panic!("unexpected {other}: {body}"),
        }
    }
    // Every attempt let through had its password checked (and failed): never more than
    // the limit, however many arrive at once.
    assert_eq!(checked, MAX_FAILURES, "passwords checked");
    assert_eq!(locked, 40 - MAX_FAILURES);
    let (status, _) = sign_in(&router, "green", PASSWORD, None).await;
    assert_eq!(
        status,
        StatusCode::TOO_MANY_REQUESTS,
        "locked, right password or not"
    );
}

#[tokio::test]
async fn one_address_gets_a_bounded_number_of_attempts_whatever_the_names() {
    let web = TestWeb::new();
    let router = web.router.clone();
    let guesser = Some(addr("198.51.100.7:50000"));
    // The guesser's own account: signing in to it gives back only that attempt.
    let (status, _) = sign_in(&router, "clear", PASSWORD, guesser).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    for n in 0..MAX_FAILURES_PER_ADDRESS {
        let name = format!("nobody-{n}");
        let (status, body) = sign_in(&router, &name, "guess guess guess", guesser).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "attempt {n}: {body}");
        if n == MAX_FAILURES_PER_ADDRESS / 2 {
            let (status, _) = sign_in(&router, "clear", PASSWORD, guesser).await;
            assert_eq!(status, StatusCode::SEE_OTHER, "own account mid-way");
        }
    }
    let (status, body) = sign_in(&router, "admin", PASSWORD, guesser).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert!(body.contains("from this address"), "{body}");
    // The same /64 is the same client; another address is not affected.
    let v6 = |s: &str| Some(addr(&format!("[{s}]:443")));
    for n in 0..MAX_FAILURES_PER_ADDRESS {
        let host = format!("2001:db8:1:2::{:x}", n + 1);
        let (status, _) = sign_in(&router, &format!("v6-{n}"), "guess", v6(&host)).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    let (status, _) = sign_in(&router, "admin", PASSWORD, v6("2001:db8:1:2:ffff::1")).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "same /64");
    let (status, _) = sign_in(&router, "admin", PASSWORD, v6("2001:db8:1:3::1")).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "another /64");
    let (status, _) = sign_in(&router, "admin", PASSWORD, Some(addr("203.0.113.9:1"))).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "another address");
}

/// One HTTP/1.1 exchange on a fresh connection; the whole answer.
async fn exchange(addr: SocketAddr, request: String) -> String {
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    stream.write_all(request.as_bytes()).await.expect("write");
    let mut out = Vec::new();
    let _ = stream.read_to_end(&mut out).await;
    String::from_utf8_lossy(&out).into_owned()
}

#[tokio::test]
async fn served_sign_in_counts_the_peer_address() {
    let web = TestWeb::new();
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let at = listener.local_addr().expect("addr");
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(concord_server::serve(
        listener,
        web.state.clone(),
        vec![concord_web::part(web.state.clone())],
        async {
            let _ = stopped.await;
        },
    ));
    let mut last = String::new();
    for n in 0..=MAX_FAILURES_PER_ADDRESS {
        let form_page = exchange(
            at,
            "GET /signin HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".to_owned(),
        )
        .await;
        let pre = form_page
            .lines()
            .find_map(|l| l.strip_prefix("set-cookie: concord_pre="))
            .and_then(|v| v.split(';').next())
            .expect("pre-session cookie")
            .to_owned();
        let body = serde_urlencoded::to_string([
            ("csrf", csrf_of(&form_page).as_str()),
            ("username", &format!("someone-{n}")),
            ("password", "guess guess guess"),
        ])
        .expect("form");
        last = exchange(
            at,
            format!(
                "POST /signin HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\
                 Cookie: concord_pre={pre}\r\nContent-Type: application/x-www-form-urlencoded\r\n\
                 Content-Length: {}\r\n\r\n{body}",
                body.len()
            ),
        )
        .await;
        if n < MAX_FAILURES_PER_ADDRESS {
            assert!(last.starts_with("HTTP/1.1 401"), "attempt {n}: {last}");
        }
    }
    assert!(last.starts_with("HTTP/1.1 429"), "{last}");
    assert!(last.contains("from this address"), "{last}");
    let _ = stop.send(());
    let _ = server.await;
}

#[tokio::test]
async fn language_switch_goes_back_only_to_paths_of_this_origin() {
    let web = TestWeb::new();
    let mut c = web.client();
    for (back, expected) in [
        ("/objects?q=1", "/objects?q=1"),
        ("%2F%09%2Fevil.example", "/"),
        ("%2F%0A%2Fevil.example", "/"),
        ("%2F%2Fevil.example", "/"),
        ("%2F%5Cevil.example", "/"),
        ("%2F%252F%252Fevil.example", "/"),
        ("https%3A%2F%2Fevil.example", "/"),
        ("%2F%20%2Fevil.example", "/"),
    ] {
        let res = c.get(&format!("/lang/fr?back={back}")).await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{back}");
        assert_eq!(res.location(), expected, "back={back}");
    }
    // The sign-in form's `next` is held to the same rule.
    let mut c = web.client();
    let form = c.get("/signin?next=%2F%09%2Fevil.example").await;
    assert!(
        form.body.contains("name=\"next\" value=\"/\""),
        "{}",
        form.body
    );
    let csrf = form.csrf();
    let res = c
        .post_form(
            "/signin",
            &[
                ("csrf", &csrf),
                ("username", "green"),
                ("password", PASSWORD),
                ("next", "/\t/evil.example"),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    assert_eq!(res.location(), "/");
}
