//! The puller: for every registered peer, pull its changes after the stored cursor,
//! verify every envelope's signatures (the origin's, or the sending peer's own as
//! redactor), validate every object by the import path's rules, and store objects,
//! provenance and the new cursor in one transaction, where the store applies the origin
//! rules (`concord_store::federation::check_origin`). What is refused is counted and
//! kept, with why, in the peer's record. A live
//! connection to the peer's `/federation/v1/events` wakes the puller as soon as the peer
//! has something new; without it, the puller polls on an interval. A notice carries the
//! peer's head: when it is no further than the cursor (only governance moved, which every
//! member announces for each document it stores), only governance is pulled.
//!
//! Before the changes, each pull takes the peer's new governance documents
//! (`/federation/v1/governance`, see [`crate::governance`]): checked, stored with the
//! peer's governance cursor, and turned into peers at once ([`crate::governance::reconcile`],
//! also run on every refresh of the peer list). From a peer a community suspended, only
//! governance is pulled.

use std::collections::HashMap;
use std::io::Read;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use concord_store::Store;
use concord_store::federation::PeerRecord;
use futures_util::StreamExt;
use tokio::sync::Notify;

use crate::envelope::Envelope;
use crate::httpsig;
use crate::identity::NodeKey;
use crate::outbound::{ChangesPage, MAX_PAGE};

/// Settings of the puller.
#[derive(Debug, Clone)]
pub struct PullConfig {
    /// Versions asked per page.
    pub page_size: usize,
    /// How often a peer is polled when no live notice came.
    pub interval: Duration,
    /// Whole-request time limit (a peer that stalls mid-response fails after it).
    pub timeout: Duration,
    /// Largest compressed body accepted.
    pub max_wire_bytes: usize,
    /// Largest decompressed body accepted.
    pub max_body_bytes: usize,
    /// Keep a live notice connection to each peer.
    pub live: bool,
    /// How often the peer list is re-read (peers added or removed while running).
    pub peers_refresh: Duration,
    /// Pages taken in one pull; a peer with more is pulled again at once (so a peer
    /// whose pages never end cannot hold one pull forever).
    pub max_pages: usize,
}

impl Default for PullConfig {
    fn default() -> Self {
        PullConfig {
            page_size: 1_000,
            interval: Duration::from_secs(30),
            timeout: Duration::from_secs(60),
            max_wire_bytes: 64 << 20,
            max_body_bytes: 512 << 20,
            live: true,
            peers_refresh: Duration::from_secs(2),
            max_pages: 1_000,
        }
    }
}

/// Why a pull failed (recorded in the peer's `last_error`).
#[derive(Debug, thiserror::Error)]
pub enum PullError {
    /// The connection or request failed.
    #[error("request to {url} failed: {reason}")]
    Http {
        /// The URL.
        url: String,
        /// What happened.
        reason: String,
    },
    /// The peer answered with an error status.
    #[error("peer answered {status}: {body}")]
    Status {
        /// The status code.
        status: u16,
        /// The start of the body.
        body: String,
    },
    /// The body is not a valid change page.
    #[error("invalid change page: {0}")]
    Body(String),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] concord_store::StoreError),
}

/// What one pull did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PullReport {
    /// Pages fetched.
    pub pages: usize,
    /// Versions stored (new or new versions).
    pub stored: usize,
    /// Versions already held.
    pub unchanged: usize,
    /// Versions refused (a redactor that is not the peer, a bad signature, an invalid
    /// object, or the origin rules).
    pub rejected: usize,
    /// Why the first was refused.
    pub first_rejection: Option<String>,
    /// The pull stopped at [`PullConfig::max_pages`] with more pages to come.
    pub more: bool,
    /// Compressed bytes received.
    pub wire_bytes: usize,
    /// Decompressed bytes received.
    pub raw_bytes: usize,
    /// Time spent waiting for pages (the peer building them, and the transfer).
    pub fetch_time: Duration,
    /// Time spent verifying, validating and storing them.
    pub ingest_time: Duration,
}

/// Pulls from peers into the store.
pub struct Puller {
    store: Arc<dyn Store>,
    key: NodeKey,
    config: PullConfig,
    http: reqwest::Client,
    /// Per peer (node id): its URL and key when the client was made, what this node trusts
    /// of its TLS certificates, and the client that trusts exactly that.
    tls: std::sync::Mutex<HashMap<String, PeerClient>>,
    communities: Arc<crate::governance::Communities>,
}

struct PeerClient {
    url: String,
    key: String,
    trust: Arc<crate::tls::PeerTrust>,
    http: reqwest::Client,
}

/// An error with its sources, as one line (reqwest keeps the TLS reason in its sources).
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

impl std::fmt::Debug for Puller {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Puller")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

fn decompress(body: &[u8], max: usize) -> Result<Vec<u8>, PullError> {
    let mut out = Vec::new();
    let decoder = zstd::stream::read::Decoder::new(body)
        .map_err(|e| PullError::Body(format!("zstd: {e}")))?;
    decoder
        .take(max as u64 + 1)
        .read_to_end(&mut out)
        .map_err(|e| PullError::Body(format!("corrupt or truncated zstd body: {e}")))?;
    if out.len() > max {
        return Err(PullError::Body(format!(
            "decompressed body over the limit of {max} bytes"
        )));
    }
    Ok(out)
}

/// Decodes a change page as received (`Content-Encoding` and body): zstd, at most
/// `max_body` bytes once decompressed, then JSON. Returns the page and its decompressed
/// size.
pub fn decode_page(
    encoding: &str,
    wire: &[u8],
    max_body: usize,
) -> Result<(ChangesPage, usize), PullError> {
    if !encoding.eq_ignore_ascii_case("zstd") {
        return Err(PullError::Body(format!(
            "expected a zstd-compressed body, got Content-Encoding {encoding:?}"
        )));
    }
    let raw = decompress(wire, max_body)?;
    let page: ChangesPage = serde_json::from_slice(&raw)
        .map_err(|e| PullError::Body(format!("not a change page: {e}")))?;
    Ok((page, raw.len()))
}

impl Puller {
    /// A puller signing with `key`.
    pub fn new(store: Arc<dyn Store>, key: NodeKey, config: PullConfig) -> Puller {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .user_agent(concat!("concord-federation/", env!("CARGO_PKG_VERSION")))
            .build()
            .unwrap_or_default();
        Puller {
            store,
            key,
            config,
            http,
            tls: std::sync::Mutex::new(HashMap::new()),
            communities: Arc::default(),
        }
    }

    /// The client for a peer's URL: refused for plain `http://` to a non-loopback host
    /// unless the peer is marked insecure; for `https://`, one that accepts the
    /// certificates the peer's node key vouches for (or public-CA ones).
    fn client_for(
        &self,
        peer: &PeerRecord,
    ) -> Result<(reqwest::Client, Option<Arc<crate::tls::PeerTrust>>), PullError> {
        let refuse = |reason: String| PullError::Http {
            url: peer.url.clone(),
            reason,
        };
        crate::tls::check_url(&peer.url, peer.insecure_http).map_err(refuse)?;
        if !peer.url.to_ascii_lowercase().starts_with("https://") {
            return Ok((self.http.clone(), None));
        }
        let mut clients = self.tls.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(c) = clients.get(&peer.node_id)
            && c.url == peer.url
            && c.key == peer.public_key
        {
            return Ok((c.http.clone(), Some(c.trust.clone())));
        }
        let key =
            crate::identity::parse_public(&peer.public_key).map_err(|e| refuse(e.to_string()))?;
        let trust = crate::tls::PeerTrust::new(key);
        let http = trust
            .http_client(Duration::from_secs(10))
            .map_err(|e| refuse(format!("cannot set up TLS: {e}")))?;
        clients.insert(
            peer.node_id.clone(),
            PeerClient {
                url: peer.url.clone(),
                key: peer.public_key.clone(),
                trust: trust.clone(),
                http: http.clone(),
            },
        );
        Ok((http, Some(trust)))
    }

    /// Sends a signed GET to a peer. Over TLS, the peer's certificate statement is fetched
    /// first when none is pinned yet, and again when the connection fails (the peer may
    /// have rotated its certificate), then the request is tried once more.
    async fn send(
        &self,
        peer: &PeerRecord,
        path_and_query: &str,
        timeout: Option<Duration>,
    ) -> Result<reqwest::Response, PullError> {
        let (client, trust) = self.client_for(peer)?;
        let http_err = |reason: String| PullError::Http {
            url: format!("{}{path_and_query}", peer.url),
            reason,
        };
        let bootstrap = self.config.timeout.min(Duration::from_secs(30));
        if let Some(t) = &trust
            && !t.has_pins()
            && t.refresh_due(Duration::from_secs(60))
            && let Err(e) = t.refresh(&peer.url, bootstrap).await
        {
            tracing::debug!(peer = %peer.name, reason = %e, "No certificate statement pinned.");
        }
        let authority = httpsig::authority_of(&peer.url).map_err(|reason| PullError::Http {
            url: peer.url.clone(),
            reason,
        })?;
        let attempt = || {
            let req = self.signed(&client, &authority, &peer.url, path_and_query);
            let req = match timeout {
                Some(t) => req.timeout(t),
                None => req,
            };
            req.send()
        };
        match attempt().await {
            Ok(r) => Ok(r),
            Err(e)
                if e.is_connect()
                    && trust
                        .as_ref()
                        .is_some_and(|t| t.refresh_due(Duration::from_secs(2))) =>
            {
                let first = error_chain(&e);
                let Some(t) = trust else {
                    return Err(http_err(first));
                };
                match t.refresh(&peer.url, bootstrap).await {
                    Ok(()) => {
                        tracing::info!(peer = %peer.name, "Pinned the peer's TLS certificate through its node key.");
                        attempt().await.map_err(|e| http_err(error_chain(&e)))
                    }
                    Err(why) => Err(http_err(format!("{first} ({why})"))),
                }
            }
            Err(e) => {
                let mut reason = error_chain(&e);
                if let Some(why) = trust.as_ref().and_then(|t| t.refresh_error()) {
                    reason.push_str(&format!(" ({why})"));
                }
                Err(http_err(reason))
            }
        }
    }

    /// A GET of `path_and_query` at the peer's `url` with `client`, signed for
    /// `authority` (the URL's, from [`httpsig::authority_of`]).
    fn signed(
        &self,
        client: &reqwest::Client,
        authority: &str,
        url: &str,
        path_and_query: &str,
    ) -> reqwest::RequestBuilder {
        let (path, query) = match path_and_query.split_once('?') {
            Some((p, q)) => (p, Some(q)),
            None => (path_and_query, None),
        };
        let h = httpsig::sign(
            &self.key,
            "GET",
            authority,
            path,
            query,
            b"",
            chrono::Utc::now().timestamp(),
        );
        client
            .get(format!("{}{path_and_query}", url.trim_end_matches('/')))
            .header("date", h.date)
            .header("content-digest", h.content_digest)
            .header("signature-input", h.signature_input)
            .header("signature", h.signature)
    }

    /// Fetches one page of `peer`'s changes after `after`.
    pub async fn fetch(
        &self,
        peer: &PeerRecord,
        after: i64,
    ) -> Result<(ChangesPage, usize, usize), PullError> {
        let limit = self.config.page_size.clamp(1, MAX_PAGE);
        let path = format!("/federation/v1/changes?after={after}&limit={limit}");
        let http_err = |e: reqwest::Error| PullError::Http {
            url: format!("{}{path}", peer.url),
            reason: error_chain(&e),
        };
        let resp = self.send(peer, &path, Some(self.config.timeout)).await?;
        let status = resp.status();
        if !status.is_success() {
            let body = resp.text().await.unwrap_or_default();
            return Err(PullError::Status {
                status: status.as_u16(),
                body: body.chars().take(300).collect(),
            });
        }
        let encoding = resp
            .headers()
            .get("content-encoding")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned();
        let mut wire = Vec::new();
        let mut stream = resp.bytes_stream();
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(http_err)?;
            if wire.len() + chunk.len() > self.config.max_wire_bytes {
                return Err(PullError::Body(format!(
                    "response over the limit of {} bytes",
                    self.config.max_wire_bytes
                )));
            }
            wire.extend_from_slice(&chunk);
        }
        let (page, raw_len) = decode_page(&encoding, &wire, self.config.max_body_bytes)?;
        if page.node != peer.node_id {
            return Err(PullError::Body(format!(
                "page is from node {:?}, not {:?}",
                page.node, peer.node_id
            )));
        }
        if page.changes.len() > limit {
            return Err(PullError::Body(format!(
                "{} changes in a page of at most {limit}",
                page.changes.len()
            )));
        }
        if page.next < after
            || page
                .changes
                .iter()
                .any(|e| e.seq <= after || e.seq > page.next)
        {
            return Err(PullError::Body(format!(
                "sequence numbers outside ({after}, {}]",
                page.next
            )));
        }
        Ok((page, wire.len(), raw_len))
    }

    /// Pulls the pages `peer` has after its stored cursor (at most
    /// [`PullConfig::max_pages`]), committing each page with its cursor. Refused versions
    /// are reported, logged, skipped and recorded in the peer's record (`refused`,
    /// `last_refusal`, `last_error`), and so is a failed pull (`last_error`).
    pub async fn pull(&self, peer: &PeerRecord) -> Result<PullReport, PullError> {
        self.pull_with(peer, true).await
    }

    /// [`Puller::pull`], skipping the change pages when `data` is false (a live notice
    /// said the peer's head is no further than the cursor: only governance moved).
    async fn pull_with(&self, peer: &PeerRecord, data: bool) -> Result<PullReport, PullError> {
        let mut report = PullReport::default();
        let result = match self.governance_first(peer).await {
            Ok(Some(why)) => {
                tracing::debug!(peer = %peer.node_id, reason = %why, "No data pulled from the peer.");
                Ok(())
            }
            Ok(None) if data => self.pull_pages(peer, &mut report).await,
            Ok(None) => Ok(()),
            Err(e) => Err(e),
        };
        let refusal = report.first_rejection.as_ref().map(|first| {
            (
                i64::try_from(report.rejected).unwrap_or(i64::MAX),
                format!("refused {} version(s); first: {first}", report.rejected),
            )
        });
        let failure = result.as_ref().err().map(ToString::to_string);
        if refusal.is_some() || failure.is_some() {
            let store = self.store.clone();
            let id = peer.node_id.clone();
            let recorded = tokio::task::spawn_blocking(move || {
                if let Some((count, reason)) = refusal {
                    store.peer_refused(&id, count, &reason)?;
                }
                match failure {
                    Some(error) => store.peer_failed(&id, &error),
                    None => Ok(()),
                }
            })
            .await;
            match recorded {
                Ok(Ok(())) => {}
                Ok(Err(e)) => {
                    tracing::error!(peer = %peer.node_id, error = %e, "Cannot record a refusal or failure of the peer.");
                }
                Err(e) => {
                    tracing::error!(peer = %peer.node_id, error = %e, "Recording the peer's state failed.");
                }
            }
        }
        result.map(|()| report)
    }

    /// The states of the communities this node holds and applies their decisions to
    /// the peer list ([`crate::governance::reconcile`]).
    pub fn reconcile(&self) -> Result<crate::governance::Reconciled, concord_store::StoreError> {
        let states = self.communities.states(self.store.as_ref())?;
        let (node_id, key) = (self.key.node_id(), self.key.public_hex());
        let me = crate::governance::Me {
            node_id: &node_id,
            key: &key,
        };
        let now = concord_stix::Timestamp::now_millis();
        crate::governance::reconcile(self.store.as_ref(), me, &states, &now)
    }

    /// When this node holds a community: pulls the peer's new governance documents (a
    /// failure is logged and does not stop the data pull) and applies the decisions.
    /// Returns why no data may be pulled from the peer (a community suspended, expelled
    /// it or revoked its key), if so.
    async fn governance_first(&self, peer: &PeerRecord) -> Result<Option<String>, PullError> {
        let states = {
            let store = self.store.clone();
            let communities = self.communities.clone();
            tokio::task::spawn_blocking(move || communities.states(store.as_ref()))
                .await
                .map_err(|e| PullError::Body(format!("governance task failed: {e}")))??
        };
        if states.is_empty() {
            return Ok(None);
        }
        let stored = match self.pull_governance(peer).await {
            Ok(n) => n,
            Err(e) => {
                tracing::warn!(peer = %peer.node_id, error = %e, "Governance pull failed.");
                0
            }
        };
        let store = self.store.clone();
        let communities = self.communities.clone();
        let (node_id, my_key) = (self.key.node_id(), self.key.public_hex());
        let key = peer.public_key.clone();
        tokio::task::spawn_blocking(move || {
            let states = communities.states(store.as_ref())?;
            let now = concord_stix::Timestamp::now_millis();
            if stored > 0 {
                let me = crate::governance::Me {
                    node_id: &node_id,
                    key: &my_key,
                };
                crate::governance::reconcile(store.as_ref(), me, &states, &now)?;
            }
            Ok::<_, concord_store::StoreError>(crate::governance::Communities::barred(
                &states, &key, true, &now,
            ))
        })
        .await
        .map_err(|e| PullError::Body(format!("governance task failed: {e}")))?
        .map_err(PullError::from)
    }

    /// Pulls the peer's new governance documents and stores those that check; returns
    /// how many were new. A peer without the governance route (404) has none to give.
    async fn pull_governance(&self, peer: &PeerRecord) -> Result<usize, PullError> {
        let store = self.store.clone();
        let id = peer.node_id.clone();
        let mut after = tokio::task::spawn_blocking(move || store.governance_cursor(&id))
            .await
            .map_err(|e| PullError::Body(format!("governance task failed: {e}")))??;
        let mut stored = 0;
        loop {
            let path = format!(
                "/federation/v1/governance?after={after}&limit={}",
                crate::governance::MAX_GOVERNANCE_PAGE
            );
            let resp = self.send(peer, &path, Some(self.config.timeout)).await?;
            let status = resp.status();
            if status == reqwest::StatusCode::NOT_FOUND {
                break;
            }
            if !status.is_success() {
                let body = resp.text().await.unwrap_or_default();
                return Err(PullError::Status {
                    status: status.as_u16(),
                    body: body.chars().take(300).collect(),
                });
            }
            let mut wire = Vec::new();
            let mut stream = resp.bytes_stream();
            while let Some(chunk) = stream.next().await {
                let chunk = chunk.map_err(|e| PullError::Http {
                    url: format!("{}{path}", peer.url),
                    reason: error_chain(&e),
                })?;
                if wire.len() + chunk.len() > self.config.max_wire_bytes {
                    return Err(PullError::Body(format!(
                        "governance page over the limit of {} bytes",
                        self.config.max_wire_bytes
                    )));
                }
                wire.extend_from_slice(&chunk);
            }
            let page: crate::governance::GovernancePage = serde_json::from_slice(&wire)
                .map_err(|e| PullError::Body(format!("not a governance page: {e}")))?;
            if page.node != peer.node_id || page.next < after {
                return Err(PullError::Body(format!(
                    "governance page from {:?} going back to {}",
                    page.node, page.next
                )));
            }
            let store = self.store.clone();
            let me = self.key.node_id();
            let from = peer.node_id.clone();
            let next = page.next;
            let more = page.more && page.next > after;
            stored += tokio::task::spawn_blocking(move || {
                ingest_governance(store.as_ref(), &me, &from, page.documents, next)
            })
            .await
            .map_err(|e| PullError::Body(format!("governance task failed: {e}")))??;
            after = next;
            if !more {
                break;
            }
        }
        if stored > 0 {
            tracing::info!(peer = %peer.node_id, stored, "Governance documents received.");
        }
        Ok(stored)
    }

    async fn pull_pages(
        &self,
        peer: &PeerRecord,
        report: &mut PullReport,
    ) -> Result<(), PullError> {
        let t = std::time::Instant::now();
        let mut fetched = self.fetch(peer, peer.cursor).await;
        report.fetch_time += t.elapsed();
        let mut cursor = peer.cursor;
        loop {
            let (page, wire, raw) = fetched?;
            report.pages += 1;
            report.wire_bytes += wire;
            report.raw_bytes += raw;
            if page.more && page.next <= cursor && !page.throttled {
                return Err(PullError::Body(format!(
                    "the page says more changes follow but does not go past {cursor}"
                )));
            }
            let more = page.more && page.next > cursor;
            report.more = more && report.pages >= self.config.max_pages;
            let more = more && !report.more;
            let next = page.next;
            let head = page.head;
            let store = self.store.clone();
            let me = self.key.node_id();
            let from = peer.clone();
            let communities = self.communities.clone();
            // The next page is fetched while this one is verified and stored; cursors are
            // still committed in order, one page after the other.
            let ingest = async {
                let t = std::time::Instant::now();
                let r = tokio::task::spawn_blocking(move || {
                    let states = communities.states(store.as_ref())?;
                    let keys = Signers {
                        retired: crate::governance::retired_keys(&states),
                        bound: crate::governance::bound_keys(&states),
                    };
                    ingest_page(store.as_ref(), &me, &from, page.changes, next, head, &keys)
                })
                .await;
                (r, t.elapsed())
            };
            let prefetch = async {
                if more {
                    let t = std::time::Instant::now();
                    Some((self.fetch(peer, next).await, t.elapsed()))
                } else {
                    None
                }
            };
            let ((part, ingest_time), ahead) = tokio::join!(ingest, prefetch);
            let part = part.map_err(|e| PullError::Body(format!("ingest task failed: {e}")))??;
            report.ingest_time += ingest_time;
            report.stored += part.stored;
            report.unchanged += part.unchanged;
            report.rejected += part.rejected;
            if report.first_rejection.is_none() {
                report.first_rejection = part.first_rejection;
            }
            cursor = next;
            match ahead {
                Some((f, took)) => {
                    report.fetch_time += took;
                    fetched = f;
                }
                None => break,
            }
        }
        Ok(())
    }

    /// Runs forever: one task per registered peer, following the peer list.
    pub async fn run(self: Arc<Self>) {
        // Connections of an earlier run are gone.
        let store = self.store.clone();
        let _ = tokio::task::spawn_blocking(move || {
            for p in store.peers().unwrap_or_default() {
                let _ = store.peer_live(&p.node_id, false);
            }
        })
        .await;
        let mut tasks: HashMap<String, (PeerRecord, tokio::task::JoinHandle<()>)> = HashMap::new();
        loop {
            let store = self.store.clone();
            let me = self.clone();
            match tokio::task::spawn_blocking(move || {
                // Community decisions first: they add and remove peers.
                if let Err(e) = me.reconcile() {
                    tracing::error!(error = %e, "Cannot apply the communities' decisions.");
                }
                store.peers()
            })
            .await
            {
                Ok(Ok(peers)) => {
                    tasks.retain(|id, (old, handle)| {
                        // A finished task is started again below if its peer is still there.
                        let keep = !handle.is_finished()
                            && peers.iter().any(|p| {
                                &p.node_id == id
                                    && p.url == old.url
                                    && p.public_key == old.public_key
                            });
                        if !keep {
                            handle.abort();
                        }
                        keep
                    });
                    for p in peers {
                        if !tasks.contains_key(&p.node_id) {
                            let me = self.clone();
                            let id = p.node_id.clone();
                            let handle = tokio::spawn(me.follow(id.clone()));
                            tasks.insert(id, (p, handle));
                        }
                    }
                }
                Ok(Err(e)) => tracing::error!(error = %e, "Cannot read the peer list."),
                Err(_) => {}
            }
            tokio::time::sleep(self.config.peers_refresh).await;
        }
    }

    /// The peer's record as stored now; `Ok(None)` once it was removed.
    fn current(&self, node_id: &str) -> Result<Option<PeerRecord>, concord_store::StoreError> {
        Ok(self
            .store
            .peers()?
            .into_iter()
            .find(|p| p.node_id == node_id))
    }

    /// [`Puller::current`] off the async threads; a store error is logged and retried
    /// (a busy database must not end the following of a peer), `None` means removed.
    async fn current_or_retry(self: &Arc<Self>, node_id: &str) -> Option<PeerRecord> {
        loop {
            let me = self.clone();
            let id = node_id.to_owned();
            match tokio::task::spawn_blocking(move || me.current(&id)).await {
                Ok(Ok(found)) => return found,
                Ok(Err(e)) => {
                    tracing::warn!(peer = %node_id, error = %e, "Cannot read the peer; retrying.");
                }
                Err(e) => {
                    tracing::warn!(peer = %node_id, error = %e, "Peer lookup task failed; retrying.")
                }
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    }

    async fn follow(self: Arc<Self>, node_id: String) {
        let wake = Arc::new(Notify::new());
        // The head the peer last announced (`i64::MAX`: none yet, or unreadable).
        let announced = Arc::new(AtomicI64::new(i64::MAX));
        let live = if self.config.live {
            let me = self.clone();
            let id = node_id.clone();
            let w = wake.clone();
            let a = announced.clone();
            Some(tokio::spawn(async move { me.listen(id, w, a).await }))
        } else {
            None
        };
        let mut noticed = false;
        let mut backoff = Duration::from_millis(500);
        loop {
            let Some(peer) = self.current_or_retry(&node_id).await else {
                break;
            };
            // Woken by a notice whose head this node already has: only governance
            // moved at the peer (every member's notices fire on each governance
            // document), so the change pages are not asked for.
            let data = !noticed || announced.swap(i64::MAX, Ordering::Relaxed) > peer.cursor;
            let wait = match self.pull_with(&peer, data).await {
                Ok(r) => {
                    backoff = Duration::from_millis(500);
                    if r.pages > 0 && r.stored + r.rejected > 0 {
                        tracing::info!(peer = %peer.name, stored = r.stored, unchanged = r.unchanged,
                            rejected = r.rejected, "Pulled from peer.");
                    }
                    if r.more {
                        Duration::ZERO
                    } else {
                        self.config.interval
                    }
                }
                Err(e) => {
                    // `pull` recorded it in the peer's record.
                    tracing::warn!(peer = %peer.name, url = %peer.url, error = %e, "Pull from peer failed.");
                    backoff = (backoff * 2).min(Duration::from_secs(30));
                    backoff.min(self.config.interval)
                }
            };
            noticed = tokio::select! {
                () = wake.notified() => true,
                () = tokio::time::sleep(wait) => false,
            };
        }
        if let Some(h) = live {
            h.abort();
        }
    }

    async fn mark_live(&self, node_id: &str, live: bool) {
        let store = self.store.clone();
        let id = node_id.to_owned();
        let _ = tokio::task::spawn_blocking(move || store.peer_live(&id, live)).await;
    }

    /// Keeps a live notice connection to a peer and wakes the puller on each notice,
    /// with the head it announced in `announced` (the highest since the last pull).
    async fn listen(
        self: Arc<Self>,
        node_id: String,
        wake: Arc<Notify>,
        announced: Arc<AtomicI64>,
    ) {
        let mut backoff = Duration::from_millis(250);
        loop {
            let Some(peer) = self.current_or_retry(&node_id).await else {
                return;
            };
            match self.send(&peer, "/federation/v1/events", None).await {
                Ok(resp) if resp.status().is_success() => {
                    backoff = Duration::from_millis(250);
                    self.mark_live(&peer.node_id, true).await;
                    let mut stream = resp.bytes_stream();
                    let mut buf = Vec::new();
                    while let Some(Ok(chunk)) = stream.next().await {
                        buf.extend_from_slice(&chunk);
                        while let Some(pos) = buf.iter().position(|&b| b == b'\n') {
                            let line: Vec<u8> = buf.drain(..=pos).collect();
                            if let Some(data) = line.strip_prefix(b"data:") {
                                let head = serde_json::from_slice::<serde_json::Value>(data)
                                    .ok()
                                    .and_then(|v| v["head"].as_i64())
                                    .unwrap_or(i64::MAX);
                                // Since the last pull took it, the highest announced.
                                let _ = announced.fetch_update(
                                    Ordering::Relaxed,
                                    Ordering::Relaxed,
                                    |a| Some(if a == i64::MAX { head } else { a.max(head) }),
                                );
                                wake.notify_one();
                            }
                        }
                        if buf.len() > 1 << 16 {
                            break;
                        }
                    }
                    self.mark_live(&peer.node_id, false).await;
                }
                Ok(resp) => {
                    tracing::debug!(peer = %peer.name, status = resp.status().as_u16(), "Live notices refused.");
                }
                Err(e) => {
                    tracing::debug!(peer = %peer.name, error = %e, "Live notices unavailable.")
                }
            }
            tokio::time::sleep(backoff).await;
            backoff = (backoff * 2).min(Duration::from_secs(10));
        }
    }
}

/// What storing one page did.
#[derive(Debug, Default)]
struct PagePart {
    stored: usize,
    unchanged: usize,
    rejected: usize,
    first_rejection: Option<String>,
}

fn object_id(env: &Envelope) -> String {
    env.object
        .get("id")
        .and_then(|v| v.as_str())
        .unwrap_or("(no id)")
        .to_owned()
}

/// What the held communities say about the keys that sign versions.
#[derive(Debug, Default)]
struct Signers {
    /// Keys revoked or rotated away (`governance::retired_keys`).
    retired: HashMap<String, crate::governance::Retired>,
    /// Keys members rotated to, with the member id they sign for
    /// (`governance::bound_keys`).
    bound: HashMap<String, String>,
}

/// Why an envelope's origin or redactor key may not vouch for it: a community revoked
/// the key, or its member rotated it away, from a time at or before the version's
/// `modified` (or `created`).
fn retired_signer(
    env: &Envelope,
    retired: &HashMap<String, crate::governance::Retired>,
) -> Option<String> {
    if retired.is_empty() {
        return None;
    }
    let version = crate::outbound::version_of(&env.object);
    let signers = std::iter::once(("origin", &env.origin, &env.origin_key))
        .chain(env.redactor.as_ref().map(|r| ("redactor", &r.node, &r.key)));
    for (role, node, key) in signers {
        if let Some(r) = retired.get(key)
            && concord_store::date_added::compare(version, &r.since).is_ge()
        {
            let what = if r.revoked { "revoked" } else { "rotated away" };
            return Some(format!(
                "the key of {role} {node} was {what} by community {:?} from {}, \
                 before this version ({version})",
                r.community, r.since
            ));
        }
    }
    None
}

/// Verifies and validates a page's envelopes and stores the good ones with the cursor.
/// An envelope is refused (nothing of it stored) when its redactor is not the sending
/// peer, when the signature that must cover the object does not verify, when the key
/// that signed it was revoked or rotated away before the version's time, when the object
/// is invalid, or when the origin rules refuse it (`concord_store::federation::check_origin`,
/// applied by the store in the writing transaction).
fn ingest_page(
    store: &dyn Store,
    me: &str,
    peer: &PeerRecord,
    changes: Vec<Envelope>,
    next: i64,
    head: i64,
    signers: &Signers,
) -> Result<PagePart, PullError> {
    let mut part = PagePart::default();
    let mut keys = HashMap::new();
    // The node's own limits (pattern size) apply to what peers send as to local writes.
    let limits = store.limits();
    // Each object is validated first (the import path's rules; this also makes its RFC
    // 8785 form), then the signature that must cover it is checked over that form.
    let mut candidates = Vec::with_capacity(changes.len());
    let reject = |part: &mut PagePart, reason: String| {
        tracing::warn!(peer = %peer.node_id, reason = %reason, "Refused an object version from a peer.");
        part.rejected += 1;
        if part.first_rejection.is_none() {
            part.first_rejection = Some(reason);
        }
    };
    for mut env in changes {
        let id = object_id(&env);
        if let Some(reason) = retired_signer(&env, &signers.retired) {
            reject(&mut part, format!("{id}: {reason}"));
            continue;
        }
        let checked = env
            .check_redactor(&peer.node_id, &peer.public_key)
            .and_then(|()| env.signer(&mut keys, &signers.bound));
        let (key, sig) = match checked {
            Ok(ks) => ks,
            Err(reason) => {
                reject(&mut part, format!("{id}: {reason}"));
                continue;
            }
        };
        match concord_store::import::validate_with(std::mem::take(&mut env.object), &limits) {
            Ok(obj) => candidates.push((env, obj, key, sig)),
            Err(e) => reject(&mut part, format!("{id}: {e}")),
        }
    }
    // Signatures are checked in batches (about twice as fast as one by one); a batch
    // that fails is checked one by one to find the bad ones.
    let mut verified = vec![false; candidates.len()];
    for (chunk_no, chunk) in candidates.chunks(256).enumerate() {
        let msgs: Vec<&[u8]> = chunk
            .iter()
            .map(|c| c.1.canonical_str().as_bytes())
            .collect();
        let sigs: Vec<ed25519_dalek::Signature> = chunk.iter().map(|c| c.3).collect();
        let pks: Vec<ed25519_dalek::VerifyingKey> = chunk.iter().map(|c| c.2).collect();
        let all_good = ed25519_dalek::verify_batch(&msgs, &sigs, &pks).is_ok();
        for (i, c) in chunk.iter().enumerate() {
            verified[chunk_no * 256 + i] = all_good
                || c.2
                    .verify_strict(c.1.canonical_str().as_bytes(), &c.3)
                    .is_ok();
        }
    }
    let mut objects = Vec::with_capacity(candidates.len());
    let mut provenance = Vec::with_capacity(candidates.len());
    for ((env, obj, ..), ok) in candidates.into_iter().zip(verified) {
        if !ok {
            let who = match &env.redactor {
                Some(r) => format!("redactor {}", r.node),
                None => format!("origin {}", env.origin),
            };
            reject(
                &mut part,
                format!("{}: signature of {who} does not verify", obj.id()),
            );
            continue;
        }
        provenance.push(env.provenance(&peer.node_id));
        objects.push(obj);
    }
    let outcomes = store.ingest_received(me, &peer.node_id, &objects, &provenance, next, head)?;
    for o in outcomes {
        match o {
            Ok(concord_store::Outcome::New | concord_store::Outcome::NewVersion) => {
                part.stored += 1;
            }
            Ok(_) => part.unchanged += 1,
            Err(refusal) => reject(&mut part, refusal.to_string()),
        }
    }
    Ok(part)
}

/// Checks and stores a page of governance documents from `peer` with its governance
/// cursor. A document is refused (logged, not stored) when it does not check
/// ([`crate::governance::check_document`]) or is the genesis of a community this node
/// neither holds nor founded. Returns how many were new.
fn ingest_governance(
    store: &dyn Store,
    me: &str,
    peer: &str,
    documents: Vec<crate::governance::PagedDocument>,
    next: i64,
) -> Result<usize, PullError> {
    let mut geneses = crate::governance::Communities::geneses(store)?;
    let mut good = Vec::with_capacity(documents.len());
    for d in documents {
        let doc = d.doc;
        let held = geneses.get(&doc.community);
        let checked = crate::governance::check_document(&doc, held).and_then(|()| {
            if doc.kind != concord_store::governance::GENESIS || held.is_some() {
                return Ok(None);
            }
            let g: concord_community::Genesis =
                serde_json::from_str(&doc.document).map_err(|e| e.to_string())?;
            if g.body.founders.iter().any(|f| f.node_id == me) {
                Ok(Some(g))
            } else {
                Err(format!(
                    "genesis {} is of a community this node neither joined nor founded",
                    doc.id
                ))
            }
        });
        match checked {
            Ok(genesis) => {
                if let Some(g) = genesis {
                    geneses.insert(g.id(), g);
                }
                good.push(doc);
            }
            Err(reason) => {
                tracing::warn!(peer = %peer, reason = %reason, "Refused a governance document.");
            }
        }
    }
    Ok(store.put_governance(&good, peer, Some(next))?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_signed_by_a_revoked_key_after_its_revocation_are_refused() {
        let key = NodeKey::from_seed([8; 32]);
        let object = serde_json::json!({
            "type": "indicator", "spec_version": "2.1",
            "id": "indicator--00000000-0000-4000-8000-000000000008",
            "created": "2026-01-01T00:00:00.000Z", "modified": "2026-02-01T00:00:00.000Z",
            "pattern": "[ipv4-addr:value = '203.0.113.8']", "pattern_type": "stix",
            "valid_from": "2026-01-01T00:00:00Z"
        });
        let env = Envelope::originate(&key, 1, object, 3);
        let retired = |since: &str, revoked: bool| {
            HashMap::from([(
                key.public_hex(),
                crate::governance::Retired {
                    since: since.to_owned(),
                    revoked,
                    community: "c".into(),
                },
            )])
        };
        assert_eq!(retired_signer(&env, &HashMap::new()), None);
        let why = retired_signer(&env, &retired("2026-01-15T00:00:00.000Z", true)).unwrap();
        assert!(why.contains("was revoked by community"), "{why}");
        assert!(retired_signer(&env, &retired("2026-02-01T00:00:00.000Z", true)).is_some());
        assert_eq!(
            retired_signer(&env, &retired("2026-03-01T00:00:00.000Z", true)),
            None
        );
        // A key rotated away signs nothing after the rotation's effective time.
        let why = retired_signer(&env, &retired("2026-01-15T00:00:00.000Z", false)).unwrap();
        assert!(why.contains("rotated away"), "{why}");
        assert_eq!(
            retired_signer(&env, &retired("2026-03-01T00:00:00.000Z", false)),
            None
        );
    }
}
