//! Matching observations against an index: [`Matcher`] for one snapshot, [`LiveIndex`]
//! for an index that is patched or rebuilt while matching goes on.

use std::sync::Arc;

use arc_swap::ArcSwap;
use concord_pattern::{Timestamp, eval};
use prefetch_index::prefetch_index;

use crate::index::{Hashed, Index};
use crate::observation::{Kind, Observable, Observation};

/// One indicator matched by one observation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hit {
    /// The indicator's id.
    pub indicator_id: String,
    /// The observable that hit, when the index found it (an indicator evaluated on every
    /// observation has none).
    pub observable: Option<Observable>,
}

/// Matches observations against one snapshot of an index.
#[derive(Debug, Clone)]
pub struct Matcher {
    index: Arc<Index>,
    /// Threads [`Matcher::match_reader`] uses (1 unless set).
    threads: usize,
}

/// A hit by slot, before ids are resolved: (slot, index into `observables`).
pub(crate) type SlotHit = (u32, Option<usize>);

impl Matcher {
    /// A matcher over `index`.
    pub fn new(index: Arc<Index>) -> Matcher {
        Matcher { index, threads: 1 }
    }

    /// The same matcher with [`Matcher::match_reader`] on `threads` threads (at least
    /// one; default one). Worth it only with cores to spare: each thread's block report
    /// costs extra work (about a quarter more CPU per byte of EVE in
    /// `bench/results/2026-11-22-matcher.txt`, where the cores were shared).
    pub fn with_threads(mut self, threads: usize) -> Matcher {
        self.threads = threads.max(1);
        self
    }

    /// Threads [`Matcher::match_reader`] uses.
    pub fn threads(&self) -> usize {
        self.threads
    }

    /// The index matched against.
    pub fn index(&self) -> &Index {
        &self.index
    }

    /// The indicators the observation matches, one hit per (indicator, observable).
    pub fn match_observation(&self, obs: &Observation) -> Vec<Hit> {
        let mut out = Vec::with_capacity(2);
        self.match_slots(obs, &mut out);
        out.into_iter()
            .map(|(slot, i)| Hit {
                indicator_id: self.index.id(slot),
                observable: i.and_then(|i| obs.observables.get(i).cloned()),
            })
            .collect()
    }

    /// The indicators the observation matches, without resolving ids or copying
    /// observables: `out` is cleared and filled with (indicator index, index into
    /// `obs.observables` when the index found it). Resolve an indicator index with
    /// [`Matcher::indicator_id`]. Allocation-free when `out` has room and no indicator
    /// needs the evaluator.
    pub fn match_indexes(&self, obs: &Observation, out: &mut Vec<(u32, Option<usize>)>) {
        out.clear();
        self.match_slots(obs, out);
    }

    /// The id of an indicator index from [`Matcher::match_indexes`].
    pub fn indicator_id(&self, index: u32) -> String {
        self.index.id(index)
    }

    /// Matches many observations, as [`Matcher::match_indexes`] on each in turn: `out`
    /// is cleared and filled with (index into `obs`, indicator index, index into that
    /// observation's observables when the index found it). Faster than one call per
    /// observation: the table reads of several observations are started together, so
    /// their cache misses overlap.
    pub fn match_batch(&self, obs: &[Observation], out: &mut Vec<(usize, u32, Option<usize>)>) {
        /// Observations whose lookups are started together.
        const WINDOW: usize = 16;
        /// Keys of a window held on the stack; a window with more (observations of many
        /// observables) goes through [`Matcher::hits_for`] one observation at a time.
        const KEYS: usize = 32;
        out.clear();
        // Without indicators evaluated on every observation, an observation none of
        // whose hits needs the evaluator is decided by its probes alone.
        let by_probes = self.index.every().is_empty();
        let mut keys = [None::<(usize, Hashed<'_>)>; KEYS];
        let mut ends = [0usize; WINDOW];
        let mut spilled: Vec<(usize, Hashed<'_>)> = Vec::new();
        let mut hits = Vec::new();
        for (w, window) in obs.chunks(WINDOW).enumerate() {
            // What the next windows decode, fetched ahead without waiting for it: the
            // observations three windows ahead, their observable lists two windows
            // ahead, the values one window ahead (each stage reads pointers the stage
            // before fetched), so no decode stalls on any of them.
            let ahead = |k: usize| obs.get((w + k) * WINDOW..).unwrap_or_default();
            for o in ahead(3).iter().take(WINDOW) {
                prefetch_index(std::slice::from_ref(&o.observables), 0);
            }
            for o in ahead(2).iter().take(WINDOW) {
                prefetch_index(&o.observables, 0);
            }
            for ob in ahead(1).iter().take(WINDOW).flat_map(|o| &o.observables) {
                prefetch_index(ob.value.as_bytes(), 0);
            }
            // Every key's first table read is under way before the first probe waits on
            // one (a prefetch does not wait for its load).
            let fits = window.iter().map(|o| o.observables.len()).sum::<usize>() <= KEYS;
            if by_probes && fits {
                let mut n = 0;
                for (o, end) in window.iter().zip(ends.iter_mut()) {
                    for (i, ob) in o.observables.iter().enumerate() {
                        if let Some(k) = self.index.prepare(ob.kind, &ob.value) {
                            keys[n] = Some((i, k));
                            n += 1;
                        }
                    }
                    *end = n;
                }
                let ends = &ends[..window.len()];
                self.probe_window(window, w * WINDOW, &keys, ends, out, &mut hits);
                continue;
            }
            spilled.clear();
            for (o, end) in window.iter().zip(ends.iter_mut()) {
                for (i, ob) in o.observables.iter().enumerate() {
                    if let Some(k) = self.index.prepare(ob.kind, &ob.value) {
                        spilled.push((i, k));
                    }
                }
                *end = spilled.len();
            }
            let mut from = 0;
            for (j, o) in window.iter().enumerate() {
                hits.clear();
                self.hits_for(o, spilled[from..ends[j]].iter().copied(), &mut hits);
                from = ends[j];
                let at = w * WINDOW + j;
                out.extend(hits.iter().map(|&(slot, i)| (at, slot, i)));
            }
        }
    }

    /// The probes of one window of [`Matcher::match_batch`] (`window`, the first of
    /// which is observation `base` of the batch) whose prepared keys are (observable,
    /// key), observation `j`'s those before `ends[j]`, for an index without
    /// every-observation indicators: hits go straight into `out`, an observation's slots
    /// sorted and each (slot, observable) once, as [`Matcher::hits_for`] gives them; an
    /// observation with a hit that needs the evaluator is done again by `hits_for`
    /// (`hits` is its scratch list).
    #[inline]
    fn probe_window<'k>(
        &self,
        window: &[Observation],
        base: usize,
        keys: &[Option<(usize, Hashed<'k>)>],
        ends: &[usize],
        out: &mut Vec<(usize, u32, Option<usize>)>,
        hits: &mut Vec<SlotHit>,
    ) {
        let mut from = 0;
        for (j, &end) in ends.iter().enumerate() {
            let at = base + j;
            let start = out.len();
            let mut evaluate = false;
            for &(i, key) in keys[from..end].iter().flatten() {
                self.index.probe(key, &mut |slot| {
                    if self.index.needs_eval(slot) {
                        evaluate = true;
                    } else {
                        out.push((at, slot, Some(i)));
                    }
                });
            }
            if evaluate {
                out.truncate(start);
                hits.clear();
                self.hits_for(&window[j], keys[from..end].iter().flatten().copied(), hits);
                out.extend(hits.iter().map(|&(slot, i)| (at, slot, i)));
            } else {
                sort_dedup_from(out, start);
            }
            from = end;
        }
    }

    /// The hits of single values, for observations of one observable and no time (lines
    /// of a one-per-line file), as [`Matcher::match_batch`] gives them for such
    /// observations, without the observations: `out` is cleared and filled with (index
    /// into `values`, slot), a value's slots in ascending order; a value that hits an
    /// indicator the index cannot decide alone gives no hit here but its index in `full`
    /// (cleared first), for [`Matcher::match_slots`] on its observation. Only for an index
    /// without indicators evaluated on every observation ([`Index::every`]), which this
    /// does not evaluate.
    pub(crate) fn match_values(
        &self,
        values: &[(Kind, &str)],
        out: &mut Vec<(usize, u32)>,
        full: &mut Vec<usize>,
    ) {
        /// Values whose lookups are started together.
        const WINDOW: usize = 16;
        debug_assert!(self.index.every().is_empty());
        out.clear();
        full.clear();
        let mut keys = [None; WINDOW];
        for (w, window) in values.chunks(WINDOW).enumerate() {
            // Every key's first table read is under way before the first probe waits.
            for (key, &(kind, v)) in keys.iter_mut().zip(window) {
                *key = self.index.prepare(kind, v);
            }
            for (j, key) in keys[..window.len()].iter().enumerate() {
                let Some(key) = *key else { continue };
                let at = w * WINDOW + j;
                let start = out.len();
                let mut evaluate = false;
                self.index.probe(key, &mut |slot| {
                    if self.index.needs_eval(slot) {
                        evaluate = true;
                    } else {
                        out.push((at, slot));
                    }
                });
                if evaluate {
                    out.truncate(start);
                    full.push(at);
                } else {
                    // As `hits_for`: ascending, each slot once.
                    sort_dedup_from(out, start);
                }
            }
        }
    }

    /// Hits by slot, appended to `out` (which is not cleared). The index decides simple
    /// indicators; candidates of the others and the every-observation ones go to
    /// [`concord_pattern::eval::matches`] on this one observation.
    pub(crate) fn match_slots(&self, obs: &Observation, out: &mut Vec<SlotHit>) {
        // Up to 8 keys on the stack, all prepared (their table reads prefetched) before
        // the first probe.
        const STACK: usize = 8;
        let obs_keys = obs
            .observables
            .iter()
            .enumerate()
            .filter_map(|(i, ob)| self.index.prepare(ob.kind, &ob.value).map(|k| (i, k)));
        if obs.observables.len() <= 1 || obs.observables.len() > STACK {
            return self.hits_for(obs, obs_keys, out);
        }
        let mut buf = [None; STACK];
        for (slot, key) in buf.iter_mut().zip(obs_keys) {
            *slot = Some(key);
        }
        self.hits_for(obs, buf.into_iter().flatten(), out);
    }

    /// [`Matcher::match_slots`] with the observation's lookup keys given (index into
    /// `obs.observables`, key).
    fn hits_for<'k>(
        &self,
        obs: &Observation,
        keys: impl Iterator<Item = (usize, Hashed<'k>)>,
        out: &mut Vec<SlotHit>,
    ) {
        let start = out.len();
        let mut candidates: Vec<(u32, usize)> = Vec::new();
        for (i, key) in keys {
            self.index.probe(key, &mut |slot| {
                if self.index.needs_eval(slot) {
                    candidates.push((slot, i));
                } else {
                    out.push((slot, Some(i)));
                }
            });
        }
        sort_dedup_from(out, start);
        let every = self.index.every();
        if candidates.is_empty() && every.is_empty() {
            return;
        }
        // Observations without a time are placed at the epoch (always representable).
        let Some(epoch) = Timestamp::from_unix_nanos(0) else {
            return;
        };
        let seen = [obs.to_eval(epoch)];
        candidates.sort_unstable();
        candidates.dedup_by_key(|c| c.0);
        let evaluated = candidates
            .into_iter()
            .map(|(s, i)| (s, Some(i)))
            .chain(every.iter().map(|&s| (s, None)));
        for (slot, i) in evaluated {
            if let Some(p) = self.index.pattern(slot)
                && eval::matches(p, &seen)
            {
                out.push((slot, i));
            }
        }
    }
}

/// Sorts `v[start..]` and keeps one of each run of equal items there. Always inlined: most
/// lookups give one hit or none, and a call costs more than its first check (350 -> 364
/// instructions per one-call lookup when it was left to the compiler).
#[inline(always)]
fn sort_dedup_from<T: Ord + Copy>(v: &mut Vec<T>, start: usize) {
    if v.len() - start > 1 {
        v[start..].sort_unstable();
        let mut w = start + 1;
        for r in start + 1..v.len() {
            if v[r] != v[w - 1] {
                v[w] = v[r];
                w += 1;
            }
        }
        v.truncate(w);
    }
}

/// An index that can be replaced or patched while other threads match against it.
///
/// Readers call [`LiveIndex::matcher`] and keep that snapshot for a batch (a file, a
/// request); a writer builds a new [`Index`] and [`LiveIndex::replace`]s it, or
/// [`LiveIndex::patch`]es a copy. Swaps are atomic (`arc-swap`); a reader never waits, and
/// sees either the old or the new index, never a half-patched one. A patch copies the
/// index (memory for two copies while it runs): batch many changes into one call.
#[derive(Debug)]
pub struct LiveIndex {
    current: ArcSwap<Index>,
}

impl LiveIndex {
    /// Starts with `index`.
    pub fn new(index: Index) -> LiveIndex {
        LiveIndex {
            current: ArcSwap::from_pointee(index),
        }
    }

    /// A matcher over the current snapshot.
    pub fn matcher(&self) -> Matcher {
        Matcher::new(self.current.load_full())
    }

    /// Swaps in a new index.
    pub fn replace(&self, index: Index) {
        self.current.store(Arc::new(index));
    }

    /// Applies `f` to a copy of the current index and swaps the copy in. Concurrent patches
    /// are serialised by retrying on the newest snapshot (`f` may run more than once).
    pub fn patch<R>(&self, mut f: impl FnMut(&mut Index) -> R) -> R {
        let mut result = None;
        self.current.rcu(|cur| {
            let mut copy = Index::clone(cur);
            result = Some(f(&mut copy));
            copy
        });
        match result {
            Some(r) => r,
            None => f(&mut Index::new()),
        }
    }
}
