//! Memory given back while the node is idle.
//!
//! Under load a node's resident memory grows to a plateau set by its caches: the
//! database engine's page caches (the writer's and the indexer's 128 MiB each, 16 MiB per
//! reader connection) and the allocator's free lists. Once no request has begun for
//! [`Listening::idle_release`](crate::Listening), [`release_when_idle`] asks the store to
//! give its caches back ([`concord_store::Store::release_memory`]): the next request
//! reads its pages from the operating system's cache again. Busy connections keep their
//! caches, and a node that never goes idle never pays for it.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::Duration;

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;

use crate::AppState;

/// Requests begun since the start: the idle watcher compares readings of it.
#[derive(Debug, Default)]
pub struct Activity {
    begun: AtomicU64,
    releases: AtomicU64,
}

impl Activity {
    /// Requests begun so far.
    pub fn begun(&self) -> u64 {
        self.begun.load(Relaxed)
    }

    /// Times the caches were given back.
    pub fn releases(&self) -> u64 {
        self.releases.load(Relaxed)
    }
}

/// Middleware counting every request as it begins.
pub async fn touch(State(activity): State<Arc<Activity>>, req: Request, next: Next) -> Response {
    activity.begun.fetch_add(1, Relaxed);
    next.run(req).await
}

/// Watches `state`'s requests and releases the store's caches once none began for
/// `after` (again after each later busy spell), until `stopping` turns `true`.
pub async fn release_when_idle(
    state: AppState,
    after: Duration,
    mut stopping: tokio::sync::watch::Receiver<bool>,
) {
    let step = (after / 4).max(Duration::from_millis(50));
    let mut seen = state.activity.begun();
    let mut quiet = Duration::ZERO;
    let mut released = false;
    loop {
        tokio::select! {
            () = tokio::time::sleep(step) => {}
            _ = stopping.wait_for(|s| *s) => return,
        }
        let now = state.activity.begun();
        if now != seen {
            (seen, quiet, released) = (now, Duration::ZERO, false);
            continue;
        }
        quiet += step;
        if released || quiet < after {
            continue;
        }
        let store = state.store.clone();
        let rss_before = resident_bytes();
        // A connection busy with background work (the indexer catching up, the signer)
        // keeps its cache this time: asked again at the next step.
        released = tokio::task::spawn_blocking(move || store.release_memory())
            .await
            .unwrap_or(true);
        if released {
            state.activity.releases.fetch_add(1, Relaxed);
            tracing::info!(
                idle_secs = quiet.as_secs(),
                rss_before,
                rss_after = resident_bytes(),
                "Idle: gave the database caches back."
            );
        }
    }
}

/// The process's resident set size in bytes (Linux; 0 where it cannot be read).
fn resident_bytes() -> u64 {
    std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| s.split_whitespace().nth(1)?.parse::<u64>().ok())
        .map_or(0, |pages| pages * 4096)
}

#[cfg(test)]
mod tests {
    use super::*;
    use concord_store::Store;
    use concord_store::sqlite::SqliteStore;

    #[tokio::test(start_paused = true)]
    async fn caches_are_released_once_per_quiet_spell() {
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(SqliteStore::open(&dir.path().join("idle.db")).unwrap());
        let state = AppState::new(store.clone(), crate::ServerConfig::default());
        let stop = tokio::sync::watch::Sender::new(false);
        let watcher = tokio::spawn(release_when_idle(
            state.clone(),
            Duration::from_secs(60),
            stop.subscribe(),
        ));
        let wait = |secs| tokio::time::sleep(Duration::from_secs(secs));
        // Busy: a request every 20 s for two minutes.
        for _ in 0..6 {
            wait(20).await;
            state.activity.begun.fetch_add(1, Relaxed);
        }
        assert_eq!(state.activity.releases(), 0);
        // Quiet for long enough: released once, however long the quiet lasts.
        wait(200).await;
        // The blocking release finishes on another thread: let it land.
        for _ in 0..100 {
            if state.activity.releases() > 0 {
                break;
            }
            tokio::task::yield_now().await;
            std::thread::sleep(Duration::from_millis(5));
        }
        assert_eq!(state.activity.releases(), 1);
        // The store still reads after its caches went.
        assert!(
            store
                .get("indicator--00000000-0000-4000-8000-000000000001")
                .unwrap()
                .is_none()
        );
        stop.send_replace(true);
        watcher.await.unwrap();
    }
}
