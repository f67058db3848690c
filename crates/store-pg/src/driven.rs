//! Connections driven on the calling thread, for the reads a server makes most (pages
//! read through the row cache).
//!
//! A connection of the deadpool pools has its own task on the store's runtime: a query
//! goes from the caller to that task (one thread wake-up), the task writes it, the
//! runtime's reactor wakes the task when the answer arrives (another), and the task hands
//! the answer to the caller (a third). At some 5,000 TAXII pages a second those hand-offs
//! were a tenth of the node's CPU. Here the caller polls the connection itself, over a
//! non-blocking socket, and waits for the socket with `poll(2)`: the kernel wakes the
//! caller when the answer arrives, and nothing else runs.
//!
//! The connections are made as the others are (the same `tokio_postgres::Config`, with
//! `statement_timeout` set to the query budget, and the same TLS settings); a connection
//! that fails is dropped, and the next caller makes a new one.

use std::collections::HashMap;
use std::future::Future;
use std::io::{self, Read, Write};
use std::os::fd::{AsFd, BorrowedFd};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::task::{Context, Poll, Wake, Waker};
use std::time::{Duration, Instant};

use concord_store::StoreError;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio_postgres::config::Host;
use tokio_postgres::tls::MakeTlsConnect;
use tokio_postgres::types::ToSql;
use tokio_postgres::{Client, Row, Statement};
use tokio_postgres_rustls::MakeRustlsConnect;

use crate::{Fail, R};

/// How long a caller waits for the database to answer before the connection counts as
/// lost (queries are bounded by `statement_timeout` well before).
const ANSWER_WAIT: Duration = Duration::from_secs(300);

/// How long connecting may take when the URL sets no `connect_timeout`.
const CONNECT_WAIT: Duration = Duration::from_secs(30);

/// A socket to the database, in non-blocking mode.
enum Io {
    Tcp(std::net::TcpStream),
    Unix(std::os::unix::net::UnixStream),
}

impl Io {
    fn try_clone(&self) -> io::Result<Io> {
        Ok(match self {
            Io::Tcp(s) => Io::Tcp(s.try_clone()?),
            Io::Unix(s) => Io::Unix(s.try_clone()?),
        })
    }
}

impl AsFd for Io {
    fn as_fd(&self) -> BorrowedFd<'_> {
        match self {
            Io::Tcp(s) => s.as_fd(),
            Io::Unix(s) => s.as_fd(),
        }
    }
}

/// The connection's side of the socket: reads and writes that would block return
/// `Pending` without arranging a wake-up; the driver waits for the socket instead
/// ([`drive`]).
struct Socket {
    io: Io,
    /// Set when a write would have blocked: the driver then waits for the socket to take
    /// more as well.
    write_blocked: Arc<AtomicBool>,
}

fn would_block<T>(r: io::Result<T>, blocked: Option<&AtomicBool>) -> Poll<io::Result<T>> {
    match r {
        Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
            if let Some(b) = blocked {
                b.store(true, Ordering::Relaxed);
            }
            Poll::Pending
        }
        other => Poll::Ready(other),
    }
}

impl AsyncRead for Socket {
    fn poll_read(
        mut self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        loop {
            let dst = buf.initialize_unfilled();
            let r = match &mut self.io {
                Io::Tcp(s) => s.read(dst),
                Io::Unix(s) => s.read(dst),
            };
            if matches!(&r, Err(e) if e.kind() == io::ErrorKind::Interrupted) {
                continue;
            }
            return would_block(r, None).map_ok(|n| buf.advance(n));
        }
    }
}

impl AsyncWrite for Socket {
    fn poll_write(
        mut self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<io::Result<usize>> {
        let blocked = self.write_blocked.clone();
        loop {
            let r = match &mut self.io {
                Io::Tcp(s) => s.write(data),
                Io::Unix(s) => s.write(data),
            };
            if matches!(&r, Err(e) if e.kind() == io::ErrorKind::Interrupted) {
                continue;
            }
            return would_block(r, Some(&blocked));
        }
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let r = match &self.io {
            Io::Tcp(s) => s.shutdown(std::net::Shutdown::Write),
            Io::Unix(s) => s.shutdown(std::net::Shutdown::Write),
        };
        Poll::Ready(r)
    }
}

/// Records that the future or the connection asked to be polled again.
struct Woken(AtomicBool);

impl Wake for Woken {
    fn wake(self: Arc<Self>) {
        self.0.store(true, Ordering::Release);
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.0.store(true, Ordering::Release);
    }
}

/// The connection's future (the protocol's state; polled by [`drive`]).
type ConnFuture = Pin<Box<dyn Future<Output = Result<(), tokio_postgres::Error>> + Send>>;

/// Polls `fut` (and the connection, if any) on this thread until `fut` is ready,
/// waiting for the socket whenever neither can go on.
fn drive<T>(
    mut conn: Option<&mut ConnFuture>,
    io: &Io,
    write_blocked: &AtomicBool,
    fut: impl Future<Output = T>,
) -> R<T> {
    let woken = Arc::new(Woken(AtomicBool::new(false)));
    let waker = Waker::from(woken.clone());
    let mut cx = Context::from_waker(&waker);
    let mut fut = std::pin::pin!(fut);
    let deadline = Instant::now() + ANSWER_WAIT;
    loop {
        if let Poll::Ready(v) = fut.as_mut().poll(&mut cx) {
            return Ok(v);
        }
        if let Some(c) = conn.as_mut()
            && let Poll::Ready(r) = c.as_mut().poll(&mut cx)
        {
            return Err(match r {
                Err(e) => e.into(),
                Ok(()) => Fail(StoreError::Backend(
                    "the database closed the connection".into(),
                )),
            });
        }
        if woken.0.swap(false, Ordering::AcqRel) {
            continue;
        }
        let mut flags = rustix::event::PollFlags::IN;
        if write_blocked.swap(false, Ordering::Relaxed) {
            flags |= rustix::event::PollFlags::OUT;
        }
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(Fail(StoreError::Backend(format!(
                "the database did not answer within {} s",
                ANSWER_WAIT.as_secs()
            ))));
        }
        let timeout = rustix::time::Timespec {
            tv_sec: i64::try_from(left.as_secs()).unwrap_or(i64::MAX),
            tv_nsec: i64::from(left.subsec_nanos()),
        };
        let mut fds = [rustix::event::PollFd::new(io, flags)];
        match rustix::event::poll(&mut fds, Some(&timeout)) {
            Ok(_) | Err(rustix::io::Errno::INTR) => {}
            Err(e) => {
                return Err(Fail(StoreError::Backend(format!(
                    "cannot wait for the database: {e}"
                ))));
            }
        }
    }
}

/// One connection with its protocol state and its prepared statements.
pub(crate) struct Driven {
    client: Client,
    conn: ConnFuture,
    /// A second handle on the socket, to wait on.
    io: Io,
    write_blocked: Arc<AtomicBool>,
    statements: HashMap<String, Statement>,
    broken: bool,
}

impl Driven {
    /// Runs `sql` with `params`, preparing it once per connection.
    pub(crate) fn query(&mut self, sql: &str, params: &[&(dyn ToSql + Sync)]) -> R<Vec<Row>> {
        let r = self.query_inner(sql, params);
        if r.is_err() {
            // A statement the database refused leaves the connection usable, but a
            // broken one does not; telling them apart is not worth a reconnection saved.
            self.broken = true;
        }
        r
    }

    fn query_inner(&mut self, sql: &str, params: &[&(dyn ToSql + Sync)]) -> R<Vec<Row>> {
        let st = match self.statements.get(sql) {
            Some(st) => st.clone(),
            None => {
                let st = drive(
                    Some(&mut self.conn),
                    &self.io,
                    &self.write_blocked,
                    self.client.prepare(sql),
                )??;
                self.statements.insert(sql.to_owned(), st.clone());
                st
            }
        };
        Ok(drive(
            Some(&mut self.conn),
            &self.io,
            &self.write_blocked,
            self.client.query(&st, params),
        )??)
    }
}

/// A bounded pool of [`Driven`] connections.
pub(crate) struct DrivenPool {
    config: tokio_postgres::Config,
    tls: MakeRustlsConnect,
    max: usize,
    wait: Duration,
    /// Idle connections, how many are open (idle or in use), and how many callers wait.
    state: Mutex<(Vec<Driven>, usize, usize)>,
    freed: Condvar,
}

impl DrivenPool {
    pub(crate) fn new(
        config: tokio_postgres::Config,
        tls: MakeRustlsConnect,
        max: usize,
        wait: Duration,
    ) -> DrivenPool {
        DrivenPool {
            config,
            tls,
            max,
            wait,
            state: Mutex::new((Vec::new(), 0, 0)),
            freed: Condvar::new(),
        }
    }

    /// `(max, open, idle, waiting)`, for `/metrics`.
    pub(crate) fn gauge(&self) -> (usize, usize, usize, usize) {
        let state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        (self.max, state.1, state.0.len(), state.2)
    }

    /// Runs `f` with a connection: an idle one, a new one while fewer than `max` are
    /// open, else the first freed within the wait.
    pub(crate) fn with<T>(&self, f: impl FnOnce(&mut Driven) -> R<T>) -> R<T> {
        let mut conn = self.get()?;
        let out = f(&mut conn);
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        if conn.broken {
            state.1 -= 1;
        } else {
            state.0.push(conn);
        }
        drop(state);
        self.freed.notify_one();
        out
    }

    fn get(&self) -> R<Driven> {
        let deadline = Instant::now() + self.wait;
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        loop {
            if let Some(c) = state.0.pop() {
                return Ok(c);
            }
            if state.1 < self.max {
                state.1 += 1;
                drop(state);
                let made = self.connect();
                if made.is_err() {
                    let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
                    state.1 -= 1;
                    drop(state);
                    self.freed.notify_one();
                }
                return made;
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(Fail(StoreError::Backend(format!(
                    "no database connection: all {} were busy for {} s",
                    self.max,
                    self.wait.as_secs()
                ))));
            }
            state.2 += 1;
            state = self
                .freed
                .wait_timeout(state, left)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
            state.2 -= 1;
        }
    }

    /// A new connection: the URL's hosts in turn, the first that answers.
    fn connect(&self) -> R<Driven> {
        let hosts = self.config.get_hosts();
        let ports = self.config.get_ports();
        let addrs = self.config.get_hostaddrs();
        let timeout = self
            .config
            .get_connect_timeout()
            .copied()
            .unwrap_or(CONNECT_WAIT);
        let mut last = String::from("the database URL names no host");
        for (i, host) in hosts.iter().enumerate() {
            let port = ports.get(i).or(ports.first()).copied().unwrap_or(5432);
            let (io, name) = match host {
                Host::Tcp(name) => {
                    let stream = match addrs.get(i) {
                        Some(ip) => std::net::TcpStream::connect_timeout(
                            &std::net::SocketAddr::new(*ip, port),
                            timeout,
                        ),
                        None => connect_by_name(name, port, timeout),
                    };
                    match stream {
                        Ok(s) => {
                            let _ = s.set_nodelay(true);
                            (Io::Tcp(s), name.clone())
                        }
                        Err(e) => {
                            last = format!("cannot connect to {name}:{port}: {e}");
                            continue;
                        }
                    }
                }
                Host::Unix(dir) => {
                    let path = dir.join(format!(".s.PGSQL.{port}"));
                    match std::os::unix::net::UnixStream::connect(&path) {
                        Ok(s) => (Io::Unix(s), String::new()),
                        Err(e) => {
                            last = format!("cannot connect to {}: {e}", path.display());
                            continue;
                        }
                    }
                }
            };
            match self.start(io, &name) {
                Ok(c) => return Ok(c),
                Err(e) => last = e.0.to_string(),
            }
        }
        Err(Fail(StoreError::Backend(format!(
            "no database connection: {last}"
        ))))
    }

    /// Starts the protocol (TLS as the URL says, then authentication) on a socket.
    fn start(&self, io: Io, host: &str) -> R<Driven> {
        let set = match &io {
            Io::Tcp(s) => s.set_nonblocking(true),
            Io::Unix(s) => s.set_nonblocking(true),
        };
        set.map_err(|e| {
            Fail(StoreError::Backend(format!(
                "cannot set up the socket: {e}"
            )))
        })?;
        let wait_on = io.try_clone().map_err(|e| {
            Fail(StoreError::Backend(format!(
                "cannot set up the socket: {e}"
            )))
        })?;
        let write_blocked = Arc::new(AtomicBool::new(false));
        let socket = Socket {
            io,
            write_blocked: write_blocked.clone(),
        };
        let mut tls = self.tls.clone();
        let Ok(tls) =
            <MakeRustlsConnect as MakeTlsConnect<Socket>>::make_tls_connect(&mut tls, host);
        let (client, conn) = drive(
            None,
            &wait_on,
            &write_blocked,
            self.config.connect_raw(socket, tls),
        )??;
        Ok(Driven {
            client,
            conn: Box::pin(conn),
            io: wait_on,
            write_blocked,
            statements: HashMap::new(),
            broken: false,
        })
    }
}

/// A blocking connection to `name:port`, trying each address it resolves to.
fn connect_by_name(name: &str, port: u16, timeout: Duration) -> io::Result<std::net::TcpStream> {
    use std::net::ToSocketAddrs;
    let mut last = io::Error::new(io::ErrorKind::NotFound, "the name resolves to no address");
    for addr in (name, port).to_socket_addrs()? {
        match std::net::TcpStream::connect_timeout(&addr, timeout) {
            Ok(s) => return Ok(s),
            Err(e) => last = e,
        }
    }
    Err(last)
}
