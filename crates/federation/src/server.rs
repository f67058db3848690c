//! The `/federation/v1` routes a node serves to its peers:
//!
//! | route | auth | answer |
//! |---|---|---|
//! | `GET /federation/v1/node` | none | `{"id", "public_key", "fingerprint", "name", "url", "identity", "tls"}` (`tls`: the node key's [statement](crate::tls::CertStatement) for the certificate served, or null) |
//! | `GET /federation/v1/changes?after=SEQ&limit=N` | signed by a registered peer | a zstd-compressed [`ChangesPage`](crate::outbound::ChangesPage) |
//! | `GET /federation/v1/events` | signed by a registered peer | server-sent events `head` with `{"head": SEQ}` whenever this node's head moves or a governance document arrives |
//! | `GET /federation/v1/governance?after=N&limit=M` | signed by a registered peer | a [`GovernancePage`](crate::governance::GovernancePage): the governance documents of the communities the peer is a member of, unfiltered by the outbound policy |
//!
//! A key a held community revoked, a key its member rotated away (from the rotation's
//! effective time on), a key not yet in force, or an expelled member's, gets 401 on every
//! route; a suspended member's gets 401 on the data routes (`changes`, `events`) and still
//! gets the governance documents, so that it learns of its readmission. The communities'
//! states are computed again whenever a governance document was stored
//! ([`crate::governance::Communities::states`]), so a revocation is in force for the next
//! request after it arrives.
//!
//! A request from an unknown key, with a bad signature, a date more than `max_skew` off,
//! a replayed nonce (seen by any replica of this node: nonces are kept in the store), or
//! signed for another node (its `@authority` is not that of this node's public URL,
//! [`FederationConfig::url`]) gets 401 and a warning in the log.

use std::convert::Infallible;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use axum::Router;
use axum::body::Body;
use axum::extract::{Query, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, get};
use concord_policy::Policy;
use concord_store::Store;
use concord_store::federation::PeerRecord;
use futures_util::Stream;
use serde::Deserialize;
use serde_json::{Value, json};
use tokio::sync::watch;
use tokio_stream::StreamExt;
use tokio_stream::wrappers::WatchStream;

use crate::httpsig::{self, NonceCache, Received};
use crate::identity::{NodeKey, fingerprint, parse_public};
use crate::outbound;

/// The media type of a change page (sent with `Content-Encoding: zstd`).
pub const CHANGES_MEDIA_TYPE: &str = "application/vnd.concord.changes+json";

/// Settings of the federation routes.
#[derive(Debug, Clone)]
pub struct FederationConfig {
    /// This node's display name.
    pub name: String,
    /// The URL peers reach it at; request signatures must cover its authority
    /// (`host[:port]`). Empty: no signed request is accepted.
    pub url: String,
    /// The node's STIX identity (organisation), shown on `/federation/v1/node`.
    pub identity: Value,
    /// The policy file (reloaded when it changes); `None` uses the built-in default.
    pub policy_file: Option<PathBuf>,
    /// Largest clock difference accepted, in seconds.
    pub max_skew_secs: i64,
    /// How often the head is checked for live notices.
    pub head_poll: Duration,
    /// The node key's statement for the TLS certificate being served (kept current by
    /// the listener), published on `/federation/v1/node`.
    pub tls_statement: Option<crate::tls::StatementCell>,
}

impl Default for FederationConfig {
    fn default() -> Self {
        FederationConfig {
            name: "concord".into(),
            url: String::new(),
            identity: Value::Null,
            policy_file: None,
            max_skew_secs: 300,
            head_poll: Duration::from_millis(50),
            tls_statement: None,
        }
    }
}

struct LoadedPolicy {
    checked: Instant,
    modified: Option<SystemTime>,
    policy: Arc<Policy>,
}

struct Inner {
    store: Arc<dyn Store>,
    key: NodeKey,
    config: FederationConfig,
    /// The authority of `config.url`, which request signatures must cover.
    authority: String,
    nonces: NonceCache,
    policy: Mutex<LoadedPolicy>,
    head: watch::Receiver<i64>,
    communities: crate::governance::Communities,
}

/// The state of the federation routes.
#[derive(Clone)]
pub struct FederationState {
    inner: Arc<Inner>,
    /// `true` once the server stops: open `/events` streams end then.
    stopping: Option<watch::Receiver<bool>>,
}

impl std::fmt::Debug for FederationState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FederationState")
            .field("node", &self.inner.key.node_id())
            .finish_non_exhaustive()
    }
}

/// Loads a policy file (the built-in default when `path` is `None`).
pub fn load_policy(path: Option<&std::path::Path>) -> Result<Policy, String> {
    match path {
        None => Ok(Policy::builtin_default()),
        Some(p) => {
            let text = std::fs::read_to_string(p)
                .map_err(|e| format!("cannot read policy file {}: {e}", p.display()))?;
            Policy::parse(&text).map_err(|e| format!("{}: {e}", p.display()))
        }
    }
}

impl FederationState {
    /// State over a store; starts the task that watches the head for live notices (call
    /// inside a Tokio runtime). Fails if the policy file does not load.
    pub fn new(
        store: Arc<dyn Store>,
        key: NodeKey,
        config: FederationConfig,
    ) -> Result<FederationState, String> {
        let policy = load_policy(config.policy_file.as_deref())?;
        let authority = if config.url.trim().is_empty() {
            tracing::warn!(
                "The node has no public URL; it refuses every signed federation request."
            );
            String::new()
        } else {
            httpsig::authority_of(&config.url).map_err(|e| format!("public URL: {e}"))?
        };
        let modified = config
            .policy_file
            .as_ref()
            .and_then(|p| std::fs::metadata(p).ok()?.modified().ok());
        let start = store.head_seq().unwrap_or(0);
        let gov_start = store.governance_head().unwrap_or(0);
        let (tx, rx) = watch::channel(start);
        let poll = config.head_poll;
        let watched = store.clone();
        tokio::spawn(async move {
            let mut last = (start, gov_start);
            loop {
                tokio::time::sleep(poll).await;
                let s = watched.clone();
                let Ok(Ok(head)) = tokio::task::spawn_blocking(move || {
                    Ok::<_, concord_store::StoreError>((s.head_seq()?, s.governance_head()?))
                })
                .await
                else {
                    continue;
                };
                if head != last {
                    last = head;
                    let head = head.0;
                    if tx.send(head).is_err() {
                        break;
                    }
                }
            }
        });
        Ok(FederationState {
            inner: Arc::new(Inner {
                store,
                key,
                config,
                authority,
                nonces: NonceCache::default(),
                policy: Mutex::new(LoadedPolicy {
                    checked: Instant::now(),
                    modified,
                    policy: Arc::new(policy),
                }),
                head: rx,
                communities: crate::governance::Communities::default(),
            }),
            stopping: None,
        })
    }

    /// The same state, whose `/events` streams end once `stopping` turns `true` (a
    /// stopping server does not wait for its peers to hang up).
    pub fn ending_streams_on(mut self, stopping: watch::Receiver<bool>) -> Self {
        self.stopping = Some(stopping);
        self
    }

    /// The policy in force, reloaded when its file changed (checked at most once a
    /// second; a file that no longer parses keeps the previous policy, with an error logged).
    pub fn policy(&self) -> Arc<Policy> {
        let mut p = self.inner.policy.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(path) = &self.inner.config.policy_file
            && p.checked.elapsed() > Duration::from_secs(1)
        {
            p.checked = Instant::now();
            let modified = std::fs::metadata(path).ok().and_then(|m| m.modified().ok());
            if modified != p.modified {
                p.modified = modified;
                match load_policy(Some(path)) {
                    Ok(new) => {
                        tracing::info!(file = %path.display(), "Outbound policy reloaded.");
                        p.policy = Arc::new(new);
                    }
                    Err(e) => {
                        tracing::error!(error = %e, "Policy file changed but does not load; the previous policy stays in force.")
                    }
                }
            }
        }
        p.policy.clone()
    }

    /// The node key.
    pub fn key(&self) -> &NodeKey {
        &self.inner.key
    }
}

/// The federation routes: paths and handlers. [`router`] is built from exactly this
/// list and [`route_paths`] lists it (tests walk every route of the node).
fn table() -> Vec<(&'static str, MethodRouter<FederationState>)> {
    vec![
        ("/federation/v1/node", get(node)),
        ("/federation/v1/changes", get(changes)),
        ("/federation/v1/events", get(events)),
        ("/federation/v1/governance", get(governance)),
    ]
}

/// The paths of [`router`]'s routes.
pub fn route_paths() -> Vec<String> {
    table().into_iter().map(|(p, _)| p.to_owned()).collect()
}

/// The federation routes.
pub fn router(state: FederationState) -> Router {
    table()
        .into_iter()
        .fold(Router::new(), |r, (path, m)| r.route(path, m))
        .with_state(state)
}

fn error(status: StatusCode, code: &str, message: impl Into<String>) -> Response {
    (
        status,
        axum::Json(json!({"error": {
            "status": status.as_u16(), "code": code, "message": message.into()
        }})),
    )
        .into_response()
}

fn header_str<'a>(h: &'a HeaderMap, name: &str) -> Option<&'a str> {
    h.get(name).and_then(|v| v.to_str().ok())
}

/// What a route gives: objects (refused to a suspended member) or governance documents.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Serves {
    Data,
    Governance,
}

/// Checks a request's RFC 9421 signature against the registered peers, and the
/// communities' decisions about the peer's key (see the module docs).
async fn authenticate(
    s: &FederationState,
    req: Request,
    serves: Serves,
) -> Result<(PeerRecord, Vec<Arc<concord_community::State>>), Response> {
    let (parts, body) = req.into_parts();
    let body = axum::body::to_bytes(body, 1 << 20)
        .await
        .map_err(|_| error(StatusCode::PAYLOAD_TOO_LARGE, "too_large", "body too large"))?;
    let store = s.inner.store.clone();
    let st = s.clone();
    let (peers, states) = tokio::task::spawn_blocking(move || {
        Ok::<_, concord_store::StoreError>((
            store.peers()?,
            st.inner.communities.states(store.as_ref())?,
        ))
    })
    .await
    .map_err(|_| error(StatusCode::INTERNAL_SERVER_ERROR, "internal", "task failed"))?
    .map_err(|e| error(StatusCode::SERVICE_UNAVAILABLE, "store", e.to_string()))?;
    let h = &parts.headers;
    let received = Received {
        method: parts.method.as_str(),
        authority: &s.inner.authority,
        host: parts
            .uri
            .authority()
            .map(axum::http::uri::Authority::as_str)
            .or_else(|| header_str(h, "host")),
        path: parts.uri.path(),
        query: parts.uri.query(),
        date: header_str(h, "date"),
        content_digest: header_str(h, "content-digest"),
        signature_input: header_str(h, "signature-input"),
        signature: header_str(h, "signature"),
        body: &body,
    };
    let now = chrono::Utc::now().timestamp();
    let skew = s.inner.config.max_skew_secs;
    // A peer's key is its record's, or, for a member of a held community, the key the
    // log gives it now (so a rotation holds from its effective time, before the
    // reconciler updates the record; a node keeps its id when it rotates its key).
    let at = concord_stix::Timestamp::now_millis();
    let lookup = |kid: &str| {
        let peer = peers.iter().find(|p| p.node_id == kid)?;
        let member_key = crate::governance::member_key_at(&states, kid, at.as_str());
        parse_public(member_key.unwrap_or(&peer.public_key)).ok()
    };
    let refuse = |e: String| {
        tracing::warn!(path = %parts.uri.path(), reason = %e, "Refused a federation request.");
        error(StatusCode::UNAUTHORIZED, "unauthorized", e)
    };
    let verified =
        httpsig::verify(&received, lookup, now, skew).map_err(|e| refuse(e.to_string()))?;
    // Recorded in the store, so that the request replayed to another replica of this
    // node is refused there too.
    let st = s.clone();
    let (keyid, nonce) = (verified.keyid.clone(), verified.nonce.clone());
    let first = tokio::task::spawn_blocking(move || {
        st.inner
            .nonces
            .check(st.inner.store.as_ref(), &keyid, &nonce, now, skew)
    })
    .await
    .map_err(|_| error(StatusCode::INTERNAL_SERVER_ERROR, "internal", "task failed"))?
    .map_err(|e| error(StatusCode::SERVICE_UNAVAILABLE, "store", e.to_string()))?;
    if !first {
        return Err(refuse(
            httpsig::SignatureError::Replay(verified.nonce).to_string(),
        ));
    }
    let peer = peers
        .into_iter()
        .find(|p| p.node_id == verified.keyid)
        .ok_or_else(|| refuse("peer removed".into()))?;
    let at = concord_stix::Timestamp::now_millis();
    if let Some(why) = crate::governance::Communities::barred(
        &states,
        &peer.public_key,
        serves == Serves::Data,
        &at,
    ) {
        return Err(refuse(format!("peer {}: {why}", peer.node_id)));
    }
    Ok((peer, states))
}

async fn node(State(s): State<FederationState>) -> Response {
    let k = &s.inner.key;
    let public = k.public_hex();
    let tls = s
        .inner
        .config
        .tls_statement
        .as_ref()
        .and_then(|c| c.read().ok()?.clone());
    axum::Json(json!({
        "id": k.node_id(),
        "public_key": public,
        "fingerprint": fingerprint(&public).unwrap_or_default(),
        "name": s.inner.config.name,
        "url": s.inner.config.url,
        "identity": s.inner.config.identity,
        "tls": tls,
    }))
    .into_response()
}

#[derive(Deserialize)]
struct ChangesParams {
    #[serde(default)]
    after: i64,
    #[serde(default = "default_limit")]
    limit: usize,
}

fn default_limit() -> usize {
    1_000
}

async fn changes(
    State(s): State<FederationState>,
    Query(q): Query<ChangesParams>,
    req: Request,
) -> Response {
    // Asked over plain HTTP from off this machine: only TLP:CLEAR goes.
    let cleartext = req
        .extensions()
        .get::<crate::tls::Transport>()
        .is_some_and(crate::tls::Transport::exposed);
    let (peer, states) = match authenticate(&s, req, Serves::Data).await {
        Ok(found) => found,
        Err(r) => return r,
    };
    // Between this node's key rotation taking effect and `serve` restarting under the
    // new key (a second or so), versions signed now would carry a key the peer refuses.
    let now = concord_stix::Timestamp::now_millis();
    if let Some(why) = crate::governance::Communities::barred(
        &states,
        &s.inner.key.public_hex(),
        true,
        now.as_str(),
    ) {
        return error(
            StatusCode::SERVICE_UNAVAILABLE,
            "key_rotating",
            format!("this node's key is no longer in force ({why}); ask again shortly"),
        );
    }
    let communities = crate::governance::memberships(&states, &peer);
    let policy = s.policy();
    let st = s.clone();
    let result = tokio::task::spawn_blocking(move || {
        let page = outbound::changes_in(
            st.inner.store.as_ref(),
            &st.inner.key,
            &policy,
            &peer,
            &communities,
            q.after.max(0),
            q.limit,
            chrono::Utc::now(),
            cleartext,
        )?;
        let json =
            serde_json::to_vec(&page).map_err(|e| crate::FederationError::Key(e.to_string()))?;
        let compressed = zstd::bulk::compress(&json, 3)
            .map_err(|e| crate::FederationError::Key(format!("zstd: {e}")))?;
        tracing::debug!(peer = %peer.node_id, after = q.after, sent = page.changes.len(),
            withheld = page.withheld, raw = json.len(), wire = compressed.len(), "Changes served.");
        Ok::<_, crate::FederationError>(compressed)
    })
    .await;
    match result {
        Ok(Ok(body)) => (
            [
                (header::CONTENT_TYPE, CHANGES_MEDIA_TYPE),
                (header::CONTENT_ENCODING, "zstd"),
            ],
            Body::from(body),
        )
            .into_response(),
        Ok(Err(e)) => error(
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            e.to_string(),
        ),
        Err(_) => error(StatusCode::INTERNAL_SERVER_ERROR, "internal", "task failed"),
    }
}

async fn events(State(s): State<FederationState>, req: Request) -> Response {
    let peer = match authenticate(&s, req, Serves::Data).await {
        Ok((p, _)) => p,
        Err(r) => return r,
    };
    tracing::debug!(peer = %peer.node_id, "Peer connected to live notices.");
    let heads = WatchStream::new(s.inner.head.clone()).map(|head| {
        Ok(Event::default()
            .event("head")
            .data(json!({"head": head}).to_string()))
    });
    let stream: std::pin::Pin<Box<dyn Stream<Item = Result<Event, Infallible>> + Send>> = match s
        .stopping
        .clone()
    {
        Some(mut stopping) => Box::pin(futures_util::StreamExt::take_until(heads, async move {
            // A sender gone without stopping: the stream goes on.
            if stopping.wait_for(|s| *s).await.is_err() {
                std::future::pending::<()>().await;
            }
        })),
        None => Box::pin(heads),
    };
    Sse::new(stream)
        .keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
        .into_response()
}

#[derive(Deserialize)]
struct GovernanceParams {
    #[serde(default)]
    after: i64,
    #[serde(default = "default_limit")]
    limit: usize,
}

/// The governance documents after `after` of the communities the peer is a member of.
async fn governance(
    State(s): State<FederationState>,
    Query(q): Query<GovernanceParams>,
    req: Request,
) -> Response {
    let (peer, states) = match authenticate(&s, req, Serves::Governance).await {
        Ok(found) => found,
        Err(r) => return r,
    };
    let store = s.inner.store.clone();
    let me = s.inner.key.node_id();
    let limit = q.limit.clamp(1, crate::governance::MAX_GOVERNANCE_PAGE);
    let after = q.after.max(0);
    let page = tokio::task::spawn_blocking(move || {
        let member_of = crate::governance::Communities::member_of(&states, &peer);
        let records = store.governance_after(after, limit)?;
        let next = records.last().map_or(after, |r| r.n);
        let more = records.len() == limit;
        let documents = records
            .into_iter()
            .filter(|r| member_of.contains(&r.doc.community.as_str()))
            .map(|r| crate::governance::PagedDocument { n: r.n, doc: r.doc })
            .collect();
        Ok::<_, concord_store::StoreError>(crate::governance::GovernancePage {
            node: me,
            documents,
            next,
            more,
        })
    })
    .await;
    match page {
        Ok(Ok(page)) => axum::Json(page).into_response(),
        Ok(Err(e)) => error(
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            e.to_string(),
        ),
        Err(_) => error(StatusCode::INTERNAL_SERVER_ERROR, "internal", "task failed"),
    }
}
