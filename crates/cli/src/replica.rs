//! `concord serve`'s background work (the store's indexer, the signer, the federation
//! puller, TAXII source and feed polling, coordinated response and its notifications),
//! run exactly once across the replicas of a node that share one PostgreSQL database.
//!
//! Each piece runs under a lease (`concord_store_pg::lease`): the replica holding it runs
//! the work on a tokio runtime of its own, started when the lease is taken and shut down
//! (every task of the work with it) when the lease is lost; the other replicas ask for
//! the lease every few seconds and one of them takes the work over when the holder dies.
//! Work under way when a lease is lost is a transaction that commits or rolls back whole;
//! a blocking step already running finishes, but nothing new starts. The positions of
//! coordinated response and its notifications are kept in the store
//! (`Store::work_state`), so a replica that takes that work over continues where the
//! last holder stopped: no notification is skipped or sent again from the start. Feed and
//! TAXII source positions stay in each replica's data directory: a replica that takes
//! them over goes on from its own (importing what it pulls again changes nothing held).
//!
//! The indexer (`PgStore::run_indexer`: the derived indexes, written behind the writes)
//! runs on a thread of its own with a store of its own on the database, asking the
//! `indexer` lease before each step; it starts with the leases, so no call site names it.
//!
//! On SQLite (one process per store) nothing of this applies: the work starts on the
//! serving runtime, as it always did (the SQLite store runs its own indexer), and no
//! lease is shown.

use std::path::PathBuf;
use std::sync::Arc;

use concord_federation::identity::NodeKey;
use concord_server::leases::LeaseBoard;
use concord_store::{Store, Turn};
use concord_store_pg::PgStore;
use concord_store_pg::lease::{Lease, Leases};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::feeds::FeedConfig;

/// The leases of one `serve` process. Dropping it ends the background work it started
/// on threads of its own (the signer, and on PostgreSQL every leased piece), releasing
/// the leases: `serve` restarting in place under a rotated key starts it all again.
pub struct Replicas {
    /// The database's leases; `None` on SQLite.
    leases: Option<Leases>,
    board: Arc<LeaseBoard>,
    /// Set to `true` when this is dropped.
    stop: watch::Sender<bool>,
}

impl Drop for Replicas {
    fn drop(&mut self) {
        self.stop.send_replace(true);
    }
}

impl Replicas {
    /// Leases in the PostgreSQL database at `database_url`, or none (SQLite: empty URL);
    /// `board` is where `/healthz` and `/metrics` read which are held. On PostgreSQL the
    /// store's indexer starts here, under the `indexer` lease.
    pub fn new(database_url: &str, board: Arc<LeaseBoard>) -> anyhow::Result<Replicas> {
        if database_url.is_empty() {
            return Ok(Replicas {
                leases: None,
                board,
                stop: watch::Sender::new(false),
            });
        }
        let replicas = Replicas {
            leases: Some(Leases::connect(database_url)?),
            board,
            stop: watch::Sender::new(false),
        };
        replicas.run_indexer(database_url)?;
        Ok(replicas)
    }

    /// The indexer: writes the derived indexes behind the writes, while this process
    /// holds the `indexer` lease, on a store of its own (its connections are not taken
    /// from the ones that answer requests).
    fn run_indexer(&self, database_url: &str) -> anyhow::Result<()> {
        let Some(leases) = &self.leases else {
            return Ok(());
        };
        let store = PgStore::open(database_url)?;
        let lease = leases.take("indexer");
        self.board.set("indexer", false);
        let board = self.board.clone();
        let stop = self.stop.subscribe();
        std::thread::Builder::new()
            .name("concord-indexer".into())
            .spawn(move || {
                let mut was_held = false;
                store.run_indexer(&mut || {
                    if *stop.borrow() {
                        return Turn::Stop;
                    }
                    let held = lease.held();
                    if held != was_held {
                        board.set(lease.name(), held);
                        was_held = held;
                    }
                    if held { Turn::Run } else { Turn::Wait }
                });
            })?;
        Ok(())
    }

    /// Runs `start` (which spawns the work's tasks) whenever this process holds the lease
    /// `name`, on a runtime that is shut down when the lease is lost; on SQLite, once, on
    /// the current runtime.
    pub fn run(&self, name: &str, start: impl Fn() + Send + 'static) {
        let Some(leases) = &self.leases else {
            start();
            return;
        };
        let lease = leases.take(name);
        self.board.set(name, false);
        let board = self.board.clone();
        let thread_name = format!("concord-{name}");
        let stop = self.stop.subscribe();
        let spawned = std::thread::Builder::new()
            .name(thread_name.clone())
            .spawn(move || hold(lease, stop, &board, &thread_name, &start));
        if let Err(e) = spawned {
            tracing::error!(lease = name, error = %e, "Cannot start background work.");
        }
    }

    /// The signer: signs new local versions with `key`; on PostgreSQL only while this
    /// process holds the `signer` lease. It waits while `key_current` says the key is
    /// about to be replaced (a rotation in effect, before `serve` restarts under the new
    /// key: a version signed with a key rotated away is refused by every peer), and ends
    /// when this is dropped.
    pub fn run_signer(
        &self,
        store: Arc<dyn Store>,
        key: NodeKey,
        key_current: impl Fn() -> bool + Send + 'static,
    ) -> anyhow::Result<()> {
        let lease = self.leases.as_ref().map(|l| l.take("signer"));
        if lease.is_some() {
            self.board.set("signer", false);
        }
        let board = self.board.clone();
        let stop = self.stop.subscribe();
        std::thread::Builder::new()
            .name("concord-signer".into())
            .spawn(move || {
                let mut was_held = false;
                concord_federation::signer::run(&*store, &key, &mut || {
                    if *stop.borrow() {
                        return Turn::Stop;
                    }
                    if let Some(lease) = &lease {
                        let held = lease.held();
                        if held != was_held {
                            board.set(lease.name(), held);
                            was_held = held;
                        }
                        if !held {
                            return Turn::Wait;
                        }
                    }
                    if key_current() { Turn::Run } else { Turn::Wait }
                });
            })?;
        Ok(())
    }
}

/// Waits for the lease, runs the work on a fresh runtime while it is held, and again,
/// until `stop` turns `true` (the lease is then released as it is dropped).
fn hold(
    mut lease: Lease,
    mut stop: watch::Receiver<bool>,
    board: &LeaseBoard,
    thread_name: &str,
    start: &dyn Fn(),
) {
    let waiter = match tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            tracing::error!(lease = lease.name(), error = %e, "Cannot wait for a lease.");
            return;
        }
    };
    loop {
        let acquired = waiter.block_on(async {
            tokio::select! {
                () = lease.acquired() => true,
                _ = stop.wait_for(|s| *s) => false,
            }
        });
        if !acquired {
            return;
        }
        let runtime = match tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name(thread_name)
            .enable_all()
            .build()
        {
            Ok(rt) => rt,
            Err(e) => {
                tracing::error!(lease = lease.name(), error = %e, "Cannot start background work.");
                return;
            }
        };
        board.set(lease.name(), true);
        {
            let _entered = runtime.enter();
            start();
        }
        let stopped = waiter.block_on(async {
            tokio::select! {
                () = lease.lost() => false,
                _ = stop.wait_for(|s| *s) => true,
            }
        });
        board.set(lease.name(), false);
        // Every task of the work ends here; a blocking step under way finishes alone.
        runtime.shutdown_background();
        if stopped {
            return;
        }
    }
}

/// Polls the feeds `feeds` holds (none while it holds `None`), starting again with the
/// new list whenever it changes (`SIGHUP`).
pub async fn poll_feeds(
    dir: PathBuf,
    store: Arc<dyn Store>,
    mut feeds: watch::Receiver<Option<Vec<FeedConfig>>>,
) {
    loop {
        let current = feeds.borrow_and_update().clone();
        let tasks = Aborting(
            current
                .map(|f| crate::feeds::spawn_polling(&dir, store.clone(), f))
                .unwrap_or_default(),
        );
        if feeds.changed().await.is_err() {
            // The sender is gone: the process is ending; the tasks run until it does.
            std::future::pending::<()>().await;
        }
        drop(tasks);
    }
}

/// Tasks aborted when dropped (the feed polling of a list replaced or stopped).
struct Aborting(Vec<JoinHandle<()>>);

impl Drop for Aborting {
    fn drop(&mut self) {
        for t in &self.0 {
            t.abort();
        }
    }
}
