//! Shared helpers: an app over an in-memory store with four users (admin with TLP:RED
//! clearance, analyst with AMBER, readers with GREEN and CLEAR), and a small cookie-keeping
//! client that signs in through the real form and submits forms with their CSRF token.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode, header};
use concord_server::{AppState, ServerConfig, app_with, route_paths};
use concord_stix::Tlp;
use concord_store::sqlite::SqliteStore;
use concord_store::{Role, Store};
use concord_web::session::hash_password;
use serde_json::{Value, json};
use tower::ServiceExt;

/// The password of every test user.
pub const PASSWORD: &str = "correct horse battery staple";

/// The test users: (name, role, clearance).
pub const USERS: &[(&str, Role, Tlp)] = &[
    ("admin", Role::Admin, Tlp::Red),
    ("analyst", Role::Analyst, Tlp::Amber),
    ("green", Role::Reader, Tlp::Green),
    ("clear", Role::Reader, Tlp::Clear),
];

/// A node's application (the web interface with every other route) with the test users.
pub struct TestWeb {
    pub state: AppState,
    pub router: Router,
    /// Every route path of `router` (`concord_server::route_paths` with the same parts).
    pub paths: Vec<String>,
}

/// A finished response.
#[derive(Debug)]
pub struct Resp {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
}

impl Resp {
    pub fn location(&self) -> &str {
        self.headers
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }

    pub fn set_cookies(&self) -> Vec<String> {
        self.headers
            .get_all(header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok().map(str::to_owned))
            .collect()
    }

    /// The value of the first hidden `csrf` field of the page.
    pub fn csrf(&self) -> String {
        let at = self
            .body
            .find("name=\"csrf\" value=\"")
            .unwrap_or_else(|| panic!("no csrf field in {}", self.body));
        let rest = &self.body[at + "name=\"csrf\" value=\"".len()..];
        rest[..rest.find('"').unwrap_or(0)].to_owned()
    }

    /// Asserts a 200 HTML page and returns its body.
    pub fn page(&self) -> &str {
        assert_eq!(self.status, StatusCode::OK, "{}", self.body);
        assert!(
            self.headers
                .get(header::CONTENT_TYPE)
                .is_some_and(|v| v.to_str().unwrap_or("").starts_with("text/html")),
            "{:?}",
            self.headers
        );
        &self.body
    }
}

impl TestWeb {
    pub fn new() -> TestWeb {
        TestWeb::with_config(ServerConfig::default())
    }

    pub fn with_config(config: ServerConfig) -> TestWeb {
        let store = SqliteStore::open_in_memory().expect("in-memory store");
        let store: Arc<dyn Store> = Arc::new(store);
        let hash = hash_password(PASSWORD);
        for (name, role, clearance) in USERS {
            store
                .create_user(name, *role, *clearance, &hash)
                .expect("user")
                .expect("new user");
        }
        TestWeb::from_state(AppState::new(store, config))
    }

    /// The node's application over `state`, with the web interface as `concord serve`
    /// serves it.
    pub fn from_state(state: AppState) -> TestWeb {
        let web = concord_web::part(state.clone());
        let paths = route_paths(&state, std::slice::from_ref(&web));
        TestWeb {
            router: app_with(state.clone(), vec![web]),
            paths,
            state,
        }
    }

    pub fn store(&self) -> &Arc<dyn Store> {
        &self.state.store
    }

    /// A client with no cookies, asking for pages in English.
    pub fn client(&self) -> Client<'_> {
        Client {
            web: self,
            cookies: BTreeMap::new(),
            accept_language: "en".into(),
        }
    }

    /// A client signed in as `name`.
    pub async fn signed_in(&self, name: &str) -> Client<'_> {
        let mut c = self.client();
        let res = c.signin(name, PASSWORD).await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
        c
    }

    /// Imports objects straight into the store (through the one import path).
    pub fn import(&self, objects: Vec<Value>) {
        let summary =
            concord_store::import::import_values(&**self.store(), objects, 100, &mut |r| {
                for x in r {
                    if let concord_store::import::ObjectResult::Rejected { reasons, .. } = x {
                        panic!("test object rejected: {reasons:?}");
                    }
                }
            })
            .expect("import");
        assert_eq!(summary.rejected, 0);
    }
}

/// A browser-like client: keeps cookies, sends `Accept: text/html`.
pub struct Client<'a> {
    web: &'a TestWeb,
    pub cookies: BTreeMap<String, String>,
    pub accept_language: String,
}

impl Client<'_> {
    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    pub async fn send(
        &mut self,
        method: Method,
        path: &str,
        content_type: Option<&str>,
        body: Vec<u8>,
    ) -> Resp {
        let mut req = Request::builder()
            .method(method)
            .uri(path)
            .header(header::ACCEPT, "text/html,application/xhtml+xml")
            .header(header::ACCEPT_LANGUAGE, &self.accept_language);
        if !self.cookies.is_empty() {
            req = req.header(header::COOKIE, self.cookie_header());
        }
        if let Some(ct) = content_type {
            req = req.header(header::CONTENT_TYPE, ct);
        }
        let res = self
            .web
            .router
            .clone()
            .oneshot(req.body(Body::from(body)).expect("request"))
            .await
            .expect("infallible");
        let status = res.status();
        let headers = res.headers().clone();
        let bytes = http_body_util::BodyExt::collect(res.into_body())
            .await
            .expect("body")
            .to_bytes();
        let resp = Resp {
            status,
            headers,
            body: String::from_utf8_lossy(&bytes).into_owned(),
        };
        for c in resp.set_cookies() {
            let first = c.split(';').next().unwrap_or("");
            if let Some((k, v)) = first.split_once('=') {
                if v.is_empty() || c.contains("Max-Age=0") {
                    self.cookies.remove(k);
                } else {
                    self.cookies.insert(k.to_owned(), v.to_owned());
                }
            }
        }
        resp
    }

    pub async fn get(&mut self, path: &str) -> Resp {
        self.send(Method::GET, path, None, Vec::new()).await
    }

    pub async fn post_form(&mut self, path: &str, fields: &[(&str, &str)]) -> Resp {
        let body = serde_urlencoded::to_string(fields).expect("form");
        self.send(
            Method::POST,
            path,
            Some("application/x-www-form-urlencoded"),
            body.into_bytes(),
        )
        .await
    }

    pub async fn post_multipart(
        &mut self,
        path: &str,
        fields: &[(&str, &str)],
        file: &[u8],
    ) -> Resp {
        self.post_file(path, fields, file, "upload.json").await
    }

    /// Posts a multipart form with a file of that name.
    pub async fn post_file(
        &mut self,
        path: &str,
        fields: &[(&str, &str)],
        file: &[u8],
        file_name: &str,
    ) -> Resp {
        let boundary = "----concordtestboundary7d1b";
        let mut body = Vec::new();
        for (k, v) in fields {
            body.extend_from_slice(
                format!(
                    "--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n"
                )
                .as_bytes(),
            );
        }
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{file_name}\"\r\nContent-Type: application/json\r\n\r\n").as_bytes(),
        );
        body.extend_from_slice(file);
        body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        self.send(
            Method::POST,
            path,
            Some(&format!("multipart/form-data; boundary={boundary}")),
            body,
        )
        .await
    }

    /// Imports a file through the import page: the POST starts a job and redirects to
    /// its page, which is followed (as the page's own refresh does) until the job is
    /// done; answers the finished job page, or the POST's answer if it did not redirect.
    pub async fn import_file(&mut self, csrf: &str, file: &[u8], file_name: &str) -> Resp {
        self.import_file_with(&[("csrf", csrf)], file, file_name)
            .await
    }

    /// [`Self::import_file`] with the form's other fields too (e.g. `layout`).
    pub async fn import_file_with(
        &mut self,
        fields: &[(&str, &str)],
        file: &[u8],
        file_name: &str,
    ) -> Resp {
        let res = self.post_file("/import", fields, file, file_name).await;
        if res.status != StatusCode::SEE_OTHER {
            return res;
        }
        let job = res.location().to_owned();
        assert!(job.starts_with("/import/jobs/"), "{job}");
        for _ in 0..3000 {
            let page = self.get(&job).await;
            if !page.body.contains("http-equiv=\"refresh\"") {
                return page;
            }
            // The page shows progress while the job runs; look again, as it would.
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        panic!("import {job} did not finish");
    }

    /// Signs in through the form (GET for the CSRF cookie and field, then POST).
    pub async fn signin(&mut self, name: &str, password: &str) -> Resp {
        let form = self.get("/signin").await;
        let csrf = form.csrf();
        self.post_form(
            "/signin",
            &[
                ("csrf", &csrf),
                ("username", name),
                ("password", password),
                ("next", "/"),
            ],
        )
        .await
    }

    /// The CSRF token of the session (read from a page's sign-out form).
    pub async fn csrf(&mut self) -> String {
        self.get("/account").await.csrf()
    }
}

/// A STIX timestamp.
pub const T: &str = "2024-03-01T10:00:00.000Z";

/// An indicator with a name, a TLP level (`None`: unmarked) and an IPv4 pattern.
pub fn indicator(n: u32, name: &str, tlp: Option<Tlp>, ip: &str) -> Value {
    let mut v = json!({
        "type": "indicator", "spec_version": "2.1",
        "id": format!("indicator--00000000-0000-4000-8000-{n:012}"),
        "created": T, "modified": T, "name": name,
        "pattern": format!("[ipv4-addr:value = '{ip}']"), "pattern_type": "stix",
        "valid_from": T,
    });
    if let Some(t) = tlp {
        v["object_marking_refs"] = json!([t.marking_id()]);
    }
    v
}

/// A relationship between two ids.
pub fn relationship(n: u32, from: &str, to: &str, tlp: Option<Tlp>) -> Value {
    let mut v = json!({
        "type": "relationship", "spec_version": "2.1",
        "id": format!("relationship--00000000-0000-4000-8000-{n:012}"),
        "created": T, "modified": T, "relationship_type": "indicates",
        "source_ref": from, "target_ref": to,
    });
    if let Some(t) = tlp {
        v["object_marking_refs"] = json!([t.marking_id()]);
    }
    v
}

/// A malware object.
pub fn malware(n: u32, name: &str, tlp: Option<Tlp>) -> Value {
    let mut v = json!({
        "type": "malware", "spec_version": "2.1",
        "id": format!("malware--00000000-0000-4000-8000-{n:012}"),
        "created": T, "modified": T, "name": name, "is_family": true,
    });
    if let Some(t) = tlp {
        v["object_marking_refs"] = json!([t.marking_id()]);
    }
    v
}

/// The id of test object `n` of `ty`.
pub fn id(ty: &str, n: u32) -> String {
    format!("{ty}--00000000-0000-4000-8000-{n:012}")
}

/// Percent-encodes a query value.
pub fn enc(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}
