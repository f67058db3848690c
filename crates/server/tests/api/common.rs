//! Shared helpers: an app over an in-memory SQLite store with one token per role, and
//! request helpers returning status, headers and body.

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode, header};
use concord_server::auth::hash_token;
use concord_server::{AppState, ServerConfig, app};
use concord_store::sqlite::SqliteStore;
use concord_store::{Role, Store};
use serde_json::{Value, json};
use tower::ServiceExt;

/// An application with a token of each role.
pub struct TestApp {
    pub state: AppState,
    pub router: Router,
    pub admin: String,
    pub analyst: String,
    pub reader: String,
}

/// A finished response.
pub struct Resp {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub bytes: Vec<u8>,
}

impl Resp {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.bytes).unwrap_or_else(|e| {
            panic!(
                "body is not JSON ({e}): {}",
                String::from_utf8_lossy(&self.bytes)
            )
        })
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.bytes).into_owned()
    }

    /// Asserts that this is an error answer in our format with this status and code.
    pub fn assert_error(&self, status: StatusCode, code: &str) -> Value {
        assert_eq!(self.status, status, "body: {}", self.text());
        let body = self.json();
        assert_eq!(body["error"]["status"], status.as_u16(), "body: {body}");
        assert_eq!(body["error"]["code"], code, "body: {body}");
        assert!(
            body["error"]["message"]
                .as_str()
                .is_some_and(|m| !m.is_empty()),
            "body: {body}"
        );
        assert!(body["error"]["details"].is_array(), "body: {body}");
        body
    }
}

impl TestApp {
    pub fn new() -> TestApp {
        TestApp::with_config(ServerConfig::default())
    }

    pub fn with_config(config: ServerConfig) -> TestApp {
        let store = SqliteStore::open_in_memory().expect("in-memory store");
        TestApp::with_store(Arc::new(store), config)
    }

    /// An application over a given store.
    pub fn with_store(store: Arc<dyn Store>, config: ServerConfig) -> TestApp {
        let mut secrets = Vec::new();
        for role in [Role::Admin, Role::Analyst, Role::Reader] {
            let secret = concord_server::auth::new_token_secret();
            store
                .create_token(
                    &format!("test-{}", role.as_str()),
                    role,
                    &hash_token(&secret),
                )
                .expect("token");
            secrets.push(secret);
        }
        let state = AppState::new(store, config);
        let router = app(state.clone());
        let reader = secrets.pop().unwrap_or_default();
        let analyst = secrets.pop().unwrap_or_default();
        let admin = secrets.pop().unwrap_or_default();
        TestApp {
            state,
            router,
            admin,
            analyst,
            reader,
        }
    }

    pub async fn send(&self, req: Request<Body>) -> Resp {
        let res = self.router.clone().oneshot(req).await.expect("infallible");
        let status = res.status();
        let headers = res.headers().clone();
        let bytes = axum::body::to_bytes(res.into_body(), usize::MAX)
            .await
            .expect("body")
            .to_vec();
        Resp {
            status,
            headers,
            bytes,
        }
    }

    pub async fn request(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<(&str, Vec<u8>)>,
    ) -> Resp {
        let mut req = Request::builder().method(method).uri(path);
        if let Some(token) = token {
            req = req.header(header::AUTHORIZATION, format!("Bearer {token}"));
        }
        let body = match body {
            Some((content_type, bytes)) => {
                req = req.header(header::CONTENT_TYPE, content_type);
                Body::from(bytes)
            }
            None => Body::empty(),
        };
        self.send(req.body(body).expect("request")).await
    }

    pub async fn get(&self, path: &str, token: &str) -> Resp {
        self.request(Method::GET, path, Some(token), None).await
    }

    pub async fn post(&self, path: &str, token: &str, body: &Value) -> Resp {
        self.post_raw(path, token, body.to_string().into_bytes())
            .await
    }

    pub async fn post_raw(&self, path: &str, token: &str, bytes: Vec<u8>) -> Resp {
        self.request(
            Method::POST,
            path,
            Some(token),
            Some(("application/json", bytes)),
        )
        .await
    }

    /// Posts objects as the analyst and asserts 200.
    pub async fn import(&self, objects: Vec<Value>) -> Value {
        let res = self
            .post(
                "/api/v1/objects",
                &self.analyst.clone(),
                &Value::Array(objects),
            )
            .await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.text());
        res.json()
    }

    /// (versions, last_seq) of the store, to check that nothing changed.
    pub fn store_state(&self) -> (i64, i64) {
        let stats = self.state.store.stats().expect("stats");
        (stats.versions, stats.last_seq)
    }
}

/// A deterministic UUID-shaped suffix for test ids.
pub fn uuid(n: u32) -> String {
    format!("{n:08x}-1111-4111-8111-111111111111")
}

pub fn indicator(n: u32, ip: &str) -> Value {
    json!({
        "type": "indicator", "spec_version": "2.1",
        "id": format!("indicator--{}", uuid(n)),
        "created": "2024-01-01T00:00:00.000Z", "modified": "2024-01-01T00:00:00.000Z",
        "name": format!("Indicator {n} for {ip}"),
        "pattern": format!("[ipv4-addr:value = '{ip}']"), "pattern_type": "stix",
        "valid_from": "2024-01-01T00:00:00Z"
    })
}

pub fn campaign(n: u32, name: &str) -> Value {
    json!({
        "type": "campaign", "spec_version": "2.1",
        "id": format!("campaign--{}", uuid(n)),
        "created": "2024-01-01T00:00:00.000Z", "modified": "2024-01-01T00:00:00.000Z",
        "name": name
    })
}

pub fn identity(n: u32) -> Value {
    json!({
        "type": "identity", "spec_version": "2.1",
        "id": format!("identity--{}", uuid(n)),
        "created": "2024-01-01T00:00:00.000Z", "modified": "2024-01-01T00:00:00.000Z",
        "name": format!("CERT {n}"), "identity_class": "organization"
    })
}
