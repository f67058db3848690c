//! `pull` sends credentials only to the origin named (issue 22): a discovery document on
//! one local server names an API root on a second (another port, so another origin);
//! the second never sees an `Authorization` header unless the pull allows it.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::Json;
use axum::http::header;
use axum::response::{IntoResponse, Redirect};
use axum::routing::get;
use concord_store::Store;
use concord_store::sqlite::SqliteStore;
use concord_taxii::client::{Auth, Client, Options};
use concord_taxii::pull::{Pull, PullError, pull};
use concord_taxii::server::router;
use serde_json::json;

use super::common::*;

/// Serves `app` on 127.0.0.1; its base URL (`http://127.0.0.1:<port>`).
async fn serve(app: axum::Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    format!("http://{addr}")
}

/// Requests an app received, and how many of them carried `Authorization`.
#[derive(Default)]
struct Seen {
    requests: AtomicUsize,
    with_credentials: AtomicUsize,
}

/// `app` counting what it receives into `seen`.
fn watched(app: axum::Router, seen: Arc<Seen>) -> axum::Router {
    app.layer(axum::middleware::from_fn(
        move |req: axum::extract::Request, next: axum::middleware::Next| {
            let seen = seen.clone();
            async move {
                seen.requests.fetch_add(1, Ordering::SeqCst);
                if req.headers().contains_key(header::AUTHORIZATION) {
                    seen.with_credentials.fetch_add(1, Ordering::SeqCst);
                }
                next.run(req).await
            }
        },
    ))
}

/// A discovery server whose document names `root` as the default API root, and which
/// redirects `/elsewhere/...` to `target`.
fn discovery(root: String, target: String) -> axum::Router {
    axum::Router::new()
        .route(
            "/taxii2/",
            get(move || {
                let root = root.clone();
                async move {
                    let mut res = Json(json!({
                        "title": "discovery on another origin than its API root",
                        "default": root,
                        "api_roots": [root],
                    }))
                    .into_response();
                    res.headers_mut()
                        .insert(header::CONTENT_TYPE, TAXII.parse().expect("media type"));
                    res
                }
            }),
        )
        .route(
            "/elsewhere/{*rest}",
            get(
                move |axum::extract::Path(rest): axum::extract::Path<String>| {
                    let to = format!("{target}{rest}");
                    async move { Redirect::temporary(&to) }
                },
            ),
        )
}

async fn try_pull(
    url: &str,
    auth: Auth,
    allow: bool,
    dir: &std::path::Path,
) -> Result<usize, PullError> {
    let client = Client::new(
        auth,
        Options {
            retries: 0,
            ..Options::default()
        },
    )
    .unwrap();
    let req = Pull {
        url: url.to_owned(),
        collection: Some(DEFAULT.to_owned()),
        added_after: None,
        state_file: dir.join("taxii-pull.json"),
        allow_cross_origin_credentials: allow,
    };
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open_in_memory().unwrap());
    let reports = pull(store, &client, &req, &mut |_| {}).await?;
    Ok(reports.iter().map(|r| r.received).sum())
}

fn reader() -> Auth {
    Auth::Basic {
        user: "puller".into(),
        password: READER.into(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn credentials_stay_on_the_origin_named() {
    let node = Node::with_objects(25);
    let second = Arc::new(Seen::default());
    let root_base = serve(watched(router(node.state.clone()), second.clone())).await;
    let root = format!("{root_base}{ROOT}");
    let first = Arc::new(Seen::default());
    let named = serve(watched(
        discovery(root.clone(), format!("{root_base}/")),
        first.clone(),
    ))
    .await;
    let dir = tempfile::tempdir().unwrap();
    let discovery_url = format!("{named}/taxii2/");

    // Credentials, no permission: refused before anything is sent to the other origin.
    let e = try_pull(&discovery_url, reader(), false, dir.path())
        .await
        .expect_err("an API root on another origin is refused");
    assert!(matches!(e, PullError::CrossOrigin { .. }), "{e}");
    let message = e.to_string();
    assert!(message.contains(&root), "{message}");
    assert!(
        message.contains("--allow-cross-origin-credentials"),
        "{message}"
    );
    assert_eq!(second.requests.load(Ordering::SeqCst), 0);
    assert_eq!(
        first.with_credentials.load(Ordering::SeqCst),
        1,
        "the discovery had them"
    );

    // No credentials: nothing to leak, the root is followed (and refuses the anonymous).
    let e = try_pull(&discovery_url, Auth::None, false, dir.path())
        .await
        .expect_err("the node wants a token");
    assert!(e.to_string().contains("401"), "{e}");
    assert!(second.requests.load(Ordering::SeqCst) > 0);

    // A root on the named origin that redirects to the other: the redirect drops them.
    let redirecting = serve(discovery(
        "/elsewhere/taxii2/api/".to_owned(),
        format!("{root_base}/"),
    ))
    .await;
    let e = try_pull(
        &format!("{redirecting}/taxii2/"),
        reader(),
        false,
        dir.path(),
    )
    .await
    .expect_err("the node wants a token");
    assert!(e.to_string().contains("401"), "{e}");
    assert_eq!(
        second.with_credentials.load(Ordering::SeqCst),
        0,
        "the second origin never saw the credentials"
    );

    // Allowed explicitly: the credentials go there too, and the pull works.
    let received = try_pull(&discovery_url, reader(), true, dir.path())
        .await
        .expect("allowed");
    assert_eq!(received, 25);
    assert!(second.with_credentials.load(Ordering::SeqCst) > 0);
}
