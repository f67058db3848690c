//! Leases: which of several processes sharing one database runs a piece of background
//! work (the signer, the federation puller, feed polling, ...), so that it runs exactly
//! once across them, and another process takes it over when the holder dies.
//!
//! A lease is a PostgreSQL session-level advisory lock (`pg_try_advisory_lock`, in the
//! two-key form, so it never meets the store's one-key `WRITE_LOCK`), taken on a
//! connection of its own that the lease keeps open for as long as it holds it. The
//! database releases the lock when that connection ends, however it ends: a process
//! killed with `SIGKILL` loses its socket and so its leases at once; one cut off by the
//! network loses them when the server notices (TCP keepalives every few seconds).
//!
//! A process that does not hold a lease asks for it again every [`RETRY`]; the one that
//! holds it checks its connection every [`HEARTBEAT`] and reports the lease lost as soon
//! as a check fails (then reconnects and asks again). So after the holder dies another
//! process holds the lease within about [`RETRY`] plus the time the server takes to see
//! the connection gone. Work follows a lease through [`Lease::acquired`] and
//! [`Lease::lost`] (or [`Lease::held`]).
//!
//! ```no_run
//! # async fn run() -> Result<(), concord_store::StoreError> {
//! let leases = concord_store_pg::lease::Leases::connect("postgres://concord@127.0.0.1/concord")?;
//! let mut signer = leases.take("signer");
//! signer.acquired().await;
//! // ... sign, until:
//! signer.lost().await;
//! # Ok(()) }
//! ```

use std::time::Duration;

use concord_store::StoreError;
use tokio::sync::watch;

/// How often a lease not held is asked for again.
pub const RETRY: Duration = Duration::from_secs(2);

/// How often a held lease's connection is checked.
pub const HEARTBEAT: Duration = Duration::from_secs(1);

/// How long a check or a request for the lock may take before the connection counts as
/// broken.
const ANSWER: Duration = Duration::from_secs(3);

/// The first key of every lease's advisory lock (`"Conc"`): the second is the hash of
/// the lease's name.
const NAMESPACE: i32 = 0x436f_6e63;

/// The connection settings of a process's leases, and the runtime their connections run
/// on. Dropping it ends every lease taken from it (their connections close).
pub struct Leases {
    config: tokio_postgres::Config,
    tls: tokio_postgres_rustls::MakeRustlsConnect,
    runtime: Option<tokio::runtime::Runtime>,
}

impl std::fmt::Debug for Leases {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Leases").finish_non_exhaustive()
    }
}

impl Drop for Leases {
    fn drop(&mut self) {
        if let Some(rt) = self.runtime.take() {
            rt.shutdown_background();
        }
    }
}

impl Leases {
    /// Leases in the database at `url` (nothing is connected until a lease is taken).
    ///
    /// # Errors
    /// The URL or its TLS settings (`sslmode`, `sslrootcert`: see [`crate::tls`]) are
    /// invalid, or the runtime cannot start.
    pub fn connect(url: &str) -> Result<Leases, StoreError> {
        let crate::tls::Connection {
            mut config, tls, ..
        } = crate::tls::connection(url)?;
        // A connection that silently went away (a cut network) is noticed by both ends
        // within seconds, not after the system's two hours.
        config
            .application_name("concord lease")
            .connect_timeout(ANSWER)
            .keepalives(true)
            .keepalives_idle(Duration::from_secs(2))
            .keepalives_interval(Duration::from_secs(1))
            .keepalives_retries(3);
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("concord-lease")
            .enable_all()
            .build()
            .map_err(|e| StoreError::Backend(format!("cannot start the lease runtime: {e}")))?;
        Ok(Leases {
            config,
            tls,
            runtime: Some(runtime),
        })
    }

    /// Starts asking for the lease `name` (on a connection of its own) and keeps it
    /// while this process runs; the answer tells whether it is held now and when that
    /// changes.
    pub fn take(&self, name: &str) -> Lease {
        let (tx, rx) = watch::channel(false);
        let key = key_of(name);
        let config = self.config.clone();
        let owned = name.to_owned();
        if let Some(rt) = &self.runtime {
            rt.spawn(keep(config, self.tls.clone(), key, owned, tx));
        }
        Lease {
            name: name.to_owned(),
            state: rx,
            _always: None,
        }
    }
}

/// One lease as this process sees it: held or not, and when that changes.
#[derive(Debug, Clone)]
pub struct Lease {
    name: String,
    state: watch::Receiver<bool>,
    /// The sender of a lease that is always held (none of a database lease: its task
    /// holds that one).
    _always: Option<std::sync::Arc<watch::Sender<bool>>>,
}

impl Lease {
    /// A lease that is always held: the work of a process that shares its store with no
    /// other (SQLite).
    pub fn always(name: &str) -> Lease {
        let (tx, rx) = watch::channel(true);
        Lease {
            name: name.to_owned(),
            state: rx,
            _always: Some(std::sync::Arc::new(tx)),
        }
    }

    /// The lease's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Whether this process holds the lease now.
    pub fn held(&self) -> bool {
        *self.state.borrow()
    }

    /// Waits until this process holds the lease (at once if it does).
    pub async fn acquired(&mut self) {
        if self.state.wait_for(|h| *h).await.is_err() {
            // The lease's task ended (its runtime stopped): it will never be held again.
            std::future::pending::<()>().await;
        }
    }

    /// Waits until this process no longer holds the lease (at once if it does not).
    pub async fn lost(&mut self) {
        let _ = self.state.wait_for(|h| !*h).await;
    }
}

/// The second key of the lease `name`'s lock: FNV-1a of the name, folded to 32 bits
/// (stable across builds and processes, unlike the standard library's hasher).
fn key_of(name: &str) -> i32 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in name.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    #[allow(clippy::cast_possible_truncation)]
    let folded = (h ^ (h >> 32)) as u32;
    i32::from_ne_bytes(folded.to_ne_bytes())
}

/// Connects, asks for the lock until it is granted, holds it while the connection
/// answers; on any failure reports the lease lost and starts again. Ends when nobody
/// follows the lease any more.
async fn keep(
    config: tokio_postgres::Config,
    tls: tokio_postgres_rustls::MakeRustlsConnect,
    key: i32,
    name: String,
    tx: watch::Sender<bool>,
) {
    let mut logged_failure = false;
    while !tx.is_closed() {
        let (client, connection) = match config.connect(tls.clone()).await {
            Ok(c) => c,
            Err(e) => {
                if !logged_failure {
                    tracing::warn!(lease = %name, error = %e, "Cannot connect for a lease; retrying.");
                    logged_failure = true;
                }
                tokio::time::sleep(RETRY).await;
                continue;
            }
        };
        logged_failure = false;
        let mut driver = tokio::spawn(connection);
        // Ask until granted (or the connection fails).
        let granted = loop {
            let asked = tokio::time::timeout(
                ANSWER,
                client.query_one("SELECT pg_try_advisory_lock($1, $2)", &[&NAMESPACE, &key]),
            )
            .await;
            match asked {
                Ok(Ok(row)) if row.get::<_, bool>(0) => break true,
                Ok(Ok(_)) => {}
                Ok(Err(e)) => {
                    tracing::warn!(lease = %name, error = %e, "Asking for a lease failed; reconnecting.");
                    break false;
                }
                Err(_) => break false,
            }
            if tx.is_closed() {
                break false;
            }
            tokio::select! {
                () = tokio::time::sleep(RETRY) => {}
                _ = &mut driver => break false,
            }
        };
        if granted {
            tx.send_replace(true);
            tracing::info!(lease = %name, "Lease taken: this process runs its work.");
            // Hold while the connection answers.
            loop {
                tokio::select! {
                    () = tokio::time::sleep(HEARTBEAT) => {}
                    _ = &mut driver => break,
                }
                let answered = tokio::time::timeout(ANSWER, client.simple_query("SELECT 1")).await;
                if !matches!(answered, Ok(Ok(_))) || tx.is_closed() {
                    break;
                }
            }
            tx.send_replace(false);
            tracing::warn!(lease = %name, "Lease lost: its connection to the database broke; its work stops here.");
        }
        drop(client);
        driver.abort();
        tokio::time::sleep(RETRY).await;
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use super::{Lease, Leases, key_of};

    /// Waits up to `limit` for `lease` to be held (`true`) or not; how long it took.
    fn wait(lease: &Lease, held: bool, limit: Duration) -> Option<Duration> {
        let start = Instant::now();
        while start.elapsed() < limit {
            if lease.held() == held {
                return Some(start.elapsed());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        None
    }

    /// One process of two holds a lease; when it goes, the other takes it over within
    /// 10 s; different leases are held independently.
    #[test]
    fn one_holder_and_a_takeover() {
        let Some(url) = concord_testpg::database() else {
            return;
        };
        let first = Leases::connect(&url).unwrap();
        let a = first.take("signer");
        assert!(
            wait(&a, true, Duration::from_secs(10)).is_some(),
            "first holds"
        );
        // A lease whose connection the server ends is lost, then taken again (nobody
        // else asks for it).
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            let (client, conn) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
                .await
                .unwrap();
            tokio::spawn(conn);
            let ended = client
                .query(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
                     WHERE application_name = 'concord lease' AND datname = current_database()",
                    &[],
                )
                .await
                .unwrap();
            assert_eq!(ended.len(), 1, "one lease connection");
        });
        assert!(
            wait(&a, false, Duration::from_secs(5)).is_some(),
            "loss unseen"
        );
        assert!(
            wait(&a, true, Duration::from_secs(10)).is_some(),
            "not taken again"
        );
        let second = Leases::connect(&url).unwrap();
        let b = second.take("signer");
        let other = second.take("puller");
        assert!(
            wait(&other, true, Duration::from_secs(10)).is_some(),
            "another lease"
        );
        // Several retry periods: the second never holds it while the first does.
        assert!(wait(&b, true, super::RETRY * 2).is_none(), "held twice");
        assert!(a.held());
        // The first process's connections end (as when it is killed).
        drop(first);
        let took = wait(&b, true, Duration::from_secs(10));
        assert!(took.is_some(), "no takeover within 10 s");
        assert!(Lease::always("x").held());
    }

    #[test]
    fn keys_are_stable_and_differ() {
        // Another build or process computes the same key for a name.
        assert_eq!(key_of("signer"), key_of("signer"));
        assert_ne!(key_of("signer"), key_of("puller"));
        assert_ne!(key_of("feed:a"), key_of("feed:b"));
    }
}
