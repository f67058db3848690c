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
use std::time::Duration;

use concord_store::Store;
use concord_store::federation::PeerRecord;
use futures_util::StreamExt;

use crate::httpsig;
use crate::identity::NodeKey;
use crate::outbound::{ChangesPage, MAX_PAGE};

mod ingest;
mod live;
use ingest::{Signers, ingest_governance, ingest_page};

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
                    let now = concord_stix::Timestamp::now_millis();
                    let keys = Signers {
                        peer_key_now: crate::governance::member_key_at(
                            &states,
                            &from.node_id,
                            &now,
                        )
                        .map(str::to_owned),
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
}
