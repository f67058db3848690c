//! Shared helpers: a node over an in-memory store with tokens, requests, STIX objects.

use std::sync::Arc;

use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode};
use concord_store::sqlite::SqliteStore;
use concord_store::{Role, Store};
use concord_taxii::server::{TaxiiConfig, TaxiiState, router};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;

/// Secrets are stored as-is in these tests (the hash function is the identity).
pub fn identity(secret: &str) -> String {
    secret.to_owned()
}

/// A TAXII node over an in-memory store.
pub struct Node {
    pub store: Arc<SqliteStore>,
    pub state: TaxiiState,
}

pub const READER: &str = "reader-secret";
pub const ANALYST: &str = "analyst-secret";
pub const ROOT: &str = "/taxii2/api/";
pub const DEFAULT: &str = concord_taxii::collection::DEFAULT_COLLECTION_ID;
pub const TAXII: &str = "application/taxii+json;version=2.1";

impl Node {
    pub fn new(config: TaxiiConfig) -> Node {
        let store = Arc::new(SqliteStore::open_in_memory().unwrap());
        store.create_token("reader", Role::Reader, READER).unwrap();
        store
            .create_token("analyst", Role::Analyst, ANALYST)
            .unwrap();
        let state = TaxiiState::new(store.clone(), config, identity);
        Node { store, state }
    }

    pub fn with_objects(n: usize) -> Node {
        let node = Node::new(TaxiiConfig::default());
        let objs: Vec<Value> = (0..n).map(indicator).collect();
        concord_store::import::import_values(&*node.store, objs, 5000, &mut |_| {}).unwrap();
        node
    }

    pub async fn send(&self, req: Request<Body>) -> Answer {
        let res = router(self.state.clone()).oneshot(req).await.unwrap();
        let status = res.status();
        let headers = res.headers().clone();
        let bytes = res.into_body().collect().await.unwrap().to_bytes();
        let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Answer {
            status,
            headers,
            body,
        }
    }

    pub async fn get(&self, path: &str, token: &str) -> Answer {
        self.send(get_req(path, token)).await
    }

    pub async fn post(&self, path: &str, token: &str, body: &Value) -> Answer {
        self.send(
            Request::builder()
                .method(Method::POST)
                .uri(path)
                .header("authorization", format!("Bearer {token}"))
                .header("accept", TAXII)
                .header("content-type", TAXII)
                .body(Body::from(body.to_string()))
                .unwrap(),
        )
        .await
    }
}

pub fn get_req(path: &str, token: &str) -> Request<Body> {
    Request::builder()
        .uri(path)
        .header("authorization", format!("Bearer {token}"))
        .header("accept", TAXII)
        .body(Body::empty())
        .unwrap()
}

/// A response.
pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Value,
}

impl Answer {
    pub fn content_type(&self) -> &str {
        self.headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }
}

/// The `i`-th test indicator (deterministic id).
pub fn indicator(i: usize) -> Value {
    json!({
        "type": "indicator",
        "spec_version": "2.1",
        "id": format!("indicator--{:08x}-0000-4000-8000-{:012x}", i, i),
        "created": "2026-01-01T00:00:00.000Z",
        "modified": "2026-01-01T00:00:00.000Z",
        "name": format!("bad address {i}"),
        "pattern": format!("[ipv4-addr:value = '10.{}.{}.{}']", (i >> 16) & 255, (i >> 8) & 255, i & 255),
        "pattern_type": "stix",
        "valid_from": "2026-01-01T00:00:00Z"
    })
}

pub fn objects_path() -> String {
    format!("{ROOT}collections/{DEFAULT}/objects/")
}
