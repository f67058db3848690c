//! The server's live index: built once when the server starts, then kept current by one
//! background task that follows the store's change sequence (new, changed, revoked and
//! warning-listed indicators) and the clock (`valid_until` passing, `valid_from`
//! arriving). Changes are applied to a copy that is swapped in whole
//! ([`concord_matcher::LiveIndex`]); a periodic full rebuild (which also drops indicators
//! deleted from the store: a deletion leaves no change sequence) runs beside the patching
//! and is swapped in when done. Matching never waits for a rebuild.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use concord_matcher::{Index, IndicatorInput, LiveIndex, Matcher};
use concord_pattern::Timestamp;
use concord_store::{ListQuery, Order, Store, StoreError};
use tokio::sync::{Notify, watch};
use tokio::task::JoinHandle;

use super::{indicator_input, now};

/// How often the store's sequence and the clock are looked at without being woken.
const POLL: Duration = Duration::from_secs(1);
/// How long a match request waits for changes made before it to be applied; after that
/// it matches against the snapshot at hand (and says so in the log).
const CATCH_UP: Duration = Duration::from_secs(5);
/// How long a request waits for the first build before answering 503.
const FIRST_BUILD: Duration = Duration::from_secs(300);
/// A full rebuild runs this often, or when more than [`MAX_GARBAGE`] of the keys are dead.
const REBUILD_EVERY: Duration = Duration::from_secs(15 * 60);
const MAX_GARBAGE: f64 = 0.3;
/// Versions read from the store per page while following it.
const PAGE: usize = 1000;

/// What the published snapshot covers: every indicator version up to `seq`, and the
/// clock up to (not including) `due`, the first moment an indicator starts or stops
/// being valid (`None`: nothing scheduled).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Covered {
    seq: i64,
    due: Option<Timestamp>,
}

impl Covered {
    fn fresh(&self, seq: i64, now: Timestamp) -> bool {
        self.seq >= seq && self.due.is_none_or(|d| d > now)
    }
}

/// Why no matcher could be handed out.
#[derive(Debug)]
#[non_exhaustive]
pub enum LiveError {
    /// The first build has not finished in time (or keeps failing; see the log).
    NotReady,
    /// The store could not tell its current sequence.
    Store(StoreError),
}

impl std::fmt::Display for LiveError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LiveError::NotReady => {
                f.write_str("the indicator index is still being built; try again shortly")
            }
            LiveError::Store(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for LiveError {}

impl From<StoreError> for LiveError {
    fn from(e: StoreError) -> Self {
        LiveError::Store(e)
    }
}

/// The live index of a server: see the module doc. Create it with [`LiveMatching::new`],
/// start its task with [`LiveMatching::start`] (done by `serve`, or by the first
/// [`LiveMatching::matcher`] call).
pub struct LiveMatching {
    store: Arc<dyn Store>,
    index: OnceLock<LiveIndex>,
    covered: watch::Sender<Option<Covered>>,
    wake: Notify,
    started: AtomicBool,
    compile_errors: AtomicUsize,
    warninglisted: AtomicUsize,
    identity: OnceLock<String>,
    /// Threads a matcher from [`LiveMatching::matcher`] matches a body on.
    threads: AtomicUsize,
}

impl std::fmt::Debug for LiveMatching {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LiveMatching")
            .field("covered", &*self.covered.borrow())
            .finish_non_exhaustive()
    }
}

impl LiveMatching {
    /// A live index over `store`, not started yet.
    pub fn new(store: Arc<dyn Store>) -> Arc<LiveMatching> {
        Arc::new(LiveMatching {
            store,
            index: OnceLock::new(),
            covered: watch::Sender::new(None),
            wake: Notify::new(),
            started: AtomicBool::new(false),
            compile_errors: AtomicUsize::new(0),
            warninglisted: AtomicUsize::new(0),
            identity: OnceLock::new(),
            threads: AtomicUsize::new(1),
        })
    }

    /// Sets the id of the node's own `identity` object (the one `concord init` stores),
    /// which sightings made with this index name in `where_sighted_refs`. Set once, by
    /// `serve`; returns `false` (and keeps the first) if it was already set.
    pub fn set_identity(&self, identity_ref: impl Into<String>) -> bool {
        self.identity.set(identity_ref.into()).is_ok()
    }

    /// The node's identity set with [`LiveMatching::set_identity`], if any.
    pub fn identity(&self) -> Option<&str> {
        self.identity.get().map(String::as_str)
    }

    /// Sets the threads a log is matched on (see [`Matcher::with_threads`]; at least one,
    /// one until set): `serve` sets the node's `match_threads`.
    pub fn set_threads(&self, threads: usize) {
        self.threads.store(threads.max(1), Ordering::Relaxed);
    }

    /// The threads a log is matched on.
    pub fn threads(&self) -> usize {
        self.threads.load(Ordering::Relaxed)
    }

    /// Starts the background task (once) on the current tokio runtime: the first build,
    /// then following the store. Without a runtime it does nothing (the next call from
    /// inside one starts it). The task ends when the last other holder of `self` is gone.
    pub fn start(self: &Arc<Self>) {
        let Ok(rt) = tokio::runtime::Handle::try_current() else {
            return;
        };
        if !self.started.swap(true, Ordering::SeqCst) {
            rt.spawn(follow(self.clone()));
        }
    }

    /// A matcher over a snapshot that holds every indicator change the store had when
    /// this was called and every `valid_from`/`valid_until` up to now: waits (at most a
    /// few seconds) for the task to apply what is missing, never for a rebuild. The first
    /// call waits for the first build.
    pub async fn matcher(self: &Arc<Self>) -> Result<Matcher, LiveError> {
        self.start();
        let store = self.store.clone();
        let seq = tokio::task::spawn_blocking(move || store.last_seq())
            .await
            .map_err(|_| LiveError::NotReady)??;
        let now = now();
        let mut rx = self.covered.subscribe();
        let (fresh, ready) = {
            let c = rx.borrow_and_update();
            (c.is_some_and(|c| c.fresh(seq, now)), c.is_some())
        };
        if !fresh {
            self.wake.notify_one();
            let limit = if ready { CATCH_UP } else { FIRST_BUILD };
            let waited =
                tokio::time::timeout(limit, rx.wait_for(|c| c.is_some_and(|c| c.fresh(seq, now))))
                    .await;
            if !matches!(waited, Ok(Ok(_))) {
                if self.index.get().is_none() {
                    return Err(LiveError::NotReady);
                }
                tracing::warn!(
                    seq,
                    "Matching against an index that has not caught up with the store."
                );
            }
        }
        self.index
            .get()
            .map(|i| i.matcher().with_threads(self.threads()))
            .ok_or(LiveError::NotReady)
    }

    /// Indicators of the current snapshot whose pattern did not compile.
    pub fn compile_errors(&self) -> usize {
        self.compile_errors.load(Ordering::Relaxed)
    }

    /// Indicators left out because a warning list flagged them.
    pub fn warninglisted(&self) -> usize {
        self.warninglisted.load(Ordering::Relaxed)
    }

    fn publish(&self, book: &Book) {
        self.compile_errors
            .store(book.errors.len(), Ordering::Relaxed);
        self.warninglisted
            .store(book.warned.len(), Ordering::Relaxed);
        self.covered.send_replace(Some(Covered {
            seq: book.seq,
            due: book.due,
        }));
    }
}

/// What the task knows beside the index: how far it has read, indicators waiting for
/// their `valid_from`, and the ids left out (for the counts).
#[derive(Default)]
struct Book {
    seq: i64,
    pending: HashMap<String, IndicatorInput>,
    errors: HashSet<String>,
    warned: HashSet<String>,
    due: Option<Timestamp>,
}

/// One change to the index.
enum Op {
    Put(IndicatorInput),
    Drop(String),
}

impl Book {
    /// Files one current indicator version (its JSON) and says what the index must do.
    fn file(&mut self, v: &serde_json::Value, now: Timestamp) -> Option<Op> {
        let id = v.get("id").and_then(serde_json::Value::as_str)?.to_owned();
        self.pending.remove(&id);
        self.errors.remove(&id);
        self.warned.remove(&id);
        if concord_formats::warninglist::excluded(v) {
            self.warned.insert(id.clone());
            return Some(Op::Drop(id));
        }
        match indicator_input(v) {
            Some(i) if !i.revoked && i.valid_from > now => {
                self.pending.insert(id.clone(), i);
                Some(Op::Drop(id))
            }
            Some(i) => Some(Op::Put(i)),
            None => Some(Op::Drop(id)),
        }
    }

    /// Indicators whose `valid_from` has come, taken out of `pending`.
    fn arrived(&mut self, now: Timestamp) -> Vec<Op> {
        let ids: Vec<String> = self
            .pending
            .iter()
            .filter(|(_, i)| i.valid_from <= now)
            .map(|(id, _)| id.clone())
            .collect();
        ids.iter()
            .filter_map(|id| self.pending.remove(id))
            .map(Op::Put)
            .collect()
    }

    fn set_due(&mut self, index: &Index) {
        let from = self.pending.values().map(|i| i.valid_from).min();
        self.due = match (index.next_expiry(), from) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
    }
}

/// Applies `ops` and the clock to `index`; returns the ids whose pattern did not compile.
fn apply(index: &mut Index, ops: &[Op], now: Timestamp) -> Vec<String> {
    let mut puts = Vec::new();
    for op in ops {
        match op {
            Op::Put(i) => puts.push(i),
            Op::Drop(id) => {
                index.remove(id);
            }
        }
    }
    let errors = index.extend(puts, now);
    index.expire(now);
    errors.into_iter().map(|e| e.id).collect()
}

/// A full build from the store's current indicators.
fn build(store: &dyn Store) -> Result<(Index, Book), StoreError> {
    let started = Instant::now();
    let now = now();
    let mut book = Book {
        seq: store.last_seq()?,
        ..Book::default()
    };
    let mut inputs = Vec::new();
    store.for_each_current(&["indicator".into()], &mut |o| {
        if let Some(Op::Put(i)) = book.file(&o.value(), now) {
            inputs.push(i);
        }
        Ok(())
    })?;
    let (index, errors) = Index::build(&inputs, now);
    book.errors.extend(errors.into_iter().map(|e| e.id));
    book.set_due(&index);
    tracing::info!(
        indicators = index.stats().indicators,
        compile_errors = book.errors.len(),
        warninglisted = book.warned.len(),
        waiting = book.pending.len(),
        seq = book.seq,
        ms = started.elapsed().as_millis(),
        "Indicator index built."
    );
    Ok((index, book))
}

/// The changes after `book.seq` (and the clock), filed in `book`; `book.seq` moves to
/// what was read.
fn changes(store: &dyn Store, book: &mut Book) -> Result<Vec<Op>, StoreError> {
    let now = now();
    let last = store.last_seq()?;
    let mut ops = Vec::new();
    let mut q = ListQuery {
        types: vec!["indicator".into()],
        order: Order::BySeq,
        cursor: Some(book.seq),
        limit: PAGE,
        ..ListQuery::default()
    };
    let mut seen = book.seq;
    loop {
        let page = store.list_versions(&q)?;
        for o in &page.objects {
            seen = seen.max(o.seq);
            // A version older than the held one (by `modified`) changes nothing.
            if o.current {
                ops.extend(book.file(&o.value(), now));
            }
        }
        match page.next {
            Some(n) if !page.objects.is_empty() => q.cursor = Some(n),
            _ => break,
        }
    }
    book.seq = seen.max(last);
    ops.extend(book.arrived(now));
    Ok(ops)
}

/// Brings `book`'s index up to date: reads the changes and patches a copy of the live
/// index (or `own`, an index no reader has yet) when there is anything to do.
fn step(
    store: &dyn Store,
    live: Option<&LiveIndex>,
    own: Option<&mut Index>,
    book: &mut Book,
) -> Result<(), StoreError> {
    let ops = changes(store, book)?;
    let now = now();
    let due = book.due.is_some_and(|d| d <= now);
    let errors = match (own, live) {
        (Some(index), _) => {
            let e = apply(index, &ops, now);
            book.set_due(index);
            e
        }
        (None, Some(live)) if !ops.is_empty() || due => {
            let e = live.patch(|index| apply(index, &ops, now));
            book.set_due(live.matcher().index());
            e
        }
        _ => Vec::new(),
    };
    if !ops.is_empty() {
        tracing::debug!(
            changes = ops.len(),
            seq = book.seq,
            "Indicator index patched."
        );
    }
    book.errors.extend(errors);
    Ok(())
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, StoreError> + Send + 'static,
) -> Option<T> {
    match tokio::task::spawn_blocking(f).await {
        Ok(Ok(t)) => Some(t),
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "Following the store for the indicator index failed; retrying.");
            None
        }
        Err(e) => {
            tracing::error!(error = %e, "The indicator index task panicked; retrying.");
            None
        }
    }
}

/// The background task.
async fn follow(me: Arc<LiveMatching>) {
    let mut book = loop {
        let store = me.store.clone();
        if let Some((index, book)) = blocking(move || build(&*store)).await {
            // Only this task sets it.
            let _ = me.index.set(LiveIndex::new(index));
            me.publish(&book);
            break book;
        }
        if Arc::strong_count(&me) == 1 {
            return;
        }
        tokio::time::sleep(POLL).await;
    };
    let mut rebuild: Option<JoinHandle<Result<(Index, Book), StoreError>>> = None;
    let mut last_full = Instant::now();
    while Arc::strong_count(&me) > 1 {
        let wait = book.due.map_or(POLL, |d| {
            let ns = d.unix_nanos() - now().unix_nanos();
            POLL.min(Duration::from_nanos(
                u64::try_from(ns.max(0)).unwrap_or(u64::MAX),
            ))
        });
        let mut built = None;
        tokio::select! {
            () = me.wake.notified() => {}
            () = tokio::time::sleep(wait) => {}
            done = async {
                match rebuild.as_mut() {
                    Some(h) => h.await,
                    None => std::future::pending().await,
                }
            } => built = Some(done),
        }
        if let Some(done) = built {
            rebuild = None;
            match done {
                Ok(Ok((index, fresh))) => {
                    // Changes made while it was built go into it before it is swapped in.
                    let store = me.store.clone();
                    let caught_up = blocking(move || {
                        let (mut index, mut fresh) = (index, fresh);
                        step(&*store, None, Some(&mut index), &mut fresh)?;
                        Ok((index, fresh))
                    })
                    .await;
                    if let (Some((index, fresh)), Some(live)) = (caught_up, me.index.get()) {
                        live.replace(index);
                        book = fresh;
                        me.publish(&book);
                    }
                }
                Ok(Err(e)) => tracing::warn!(error = %e, "Rebuilding the indicator index failed."),
                Err(e) => tracing::error!(error = %e, "Rebuilding the indicator index panicked."),
            }
            continue;
        }
        let store = me.store.clone();
        let task = me.clone();
        let moved = std::mem::take(&mut book);
        let stepped = blocking(move || {
            let mut b = moved;
            let r = step(&*store, task.index.get(), None, &mut b);
            Ok((b, r))
        })
        .await;
        match stepped {
            Some((b, r)) => {
                book = b;
                if let Err(e) = r {
                    tracing::warn!(error = %e, "Following the store for the indicator index failed; retrying.");
                }
                me.publish(&book);
            }
            None => {
                // The step panicked: start over from a full build.
                book.seq = 0;
            }
        }
        let garbage = me
            .index
            .get()
            .map_or(0.0, |l| l.matcher().index().garbage());
        if rebuild.is_none() && (last_full.elapsed() >= REBUILD_EVERY || garbage > MAX_GARBAGE) {
            let store = me.store.clone();
            rebuild = Some(tokio::task::spawn_blocking(move || build(&*store)));
            last_full = Instant::now();
        }
    }
}
