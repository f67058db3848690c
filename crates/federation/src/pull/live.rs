//! Following a peer live: its event stream wakes the puller for that peer as soon as
//! it has changes (`PullConfig::live`), with the peer's record re-read as it changes.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use concord_store::federation::PeerRecord;
use futures_util::StreamExt;
use tokio::sync::Notify;

use super::Puller;

impl Puller {
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

    pub(super) async fn follow(self: Arc<Self>, node_id: String) {
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
