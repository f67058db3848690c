//! Stored versions kept in memory by `seq`, for the pages that hand rows over whole
//! ([`crate::PgStore`]'s `list_borrowed`: TAXII objects and manifest pages).
//!
//! A page is read in two steps: the database selects the page's rows as before (every
//! filter, the caller's clearance among them, stays in its query) but returns only
//! `seq`, `added_us` and `tlp_max`; the id, version, `date_added` and JSON of each row
//! come from here, and those missing are read by `seq` in a second query. A TAXII page of
//! 100 objects moved some 60 KB from the server for every request, which cost the
//! database, the network and the client more than the page's query itself.
//!
//! Why it cannot serve what the database would not: what a version holds never changes
//! after it is written (only `is_current` is ever updated; deleting removes the row;
//! `seq`s are never reused), and an entry is used only for a row the first query
//! selected, with the same `seq` *and* `added_us`. So a row deleted since it was cached is
//! never selected, and a `seq` given out again for other content (a database restored
//! from a backup, or a standby promoted without the last transactions of the old
//! primary) has another `added_us` (each version's is later than every version written
//! before it), misses, and is read again.
//!
//! The cache is bounded by the bytes of its entries; the oldest inserted go first.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, PoisonError};

/// What a cached version holds besides its `seq`.
#[derive(Debug)]
pub(crate) struct Cached {
    /// `date_added` as microseconds: with the `seq`, what the entry is checked by.
    pub(crate) added_us: i64,
    pub(crate) date_added: String,
    pub(crate) id: String,
    pub(crate) version: String,
    pub(crate) json: String,
}

impl Cached {
    /// Bytes it holds, as counted against the budget (its texts and a fixed overhead).
    fn weight(&self) -> usize {
        self.date_added.len() + self.id.len() + self.version.len() + self.json.len() + 128
    }
}

/// Versions by `seq`, bounded by bytes.
#[derive(Debug)]
pub(crate) struct RowCache {
    budget: usize,
    inner: Mutex<Inner>,
}

/// `seq`s per chunk: a page's rows have neighbouring `seq`s, so its look-ups touch a
/// chunk or two rather than a hash-table entry (and a cache miss) per row.
const SPAN: i64 = 64;

/// The entries of `SPAN` neighbouring `seq`s.
#[derive(Debug)]
struct Chunk {
    /// `(added_us, entry)` by `seq % SPAN`.
    slots: [(i64, Option<Arc<Cached>>); SPAN as usize],
    held: usize,
}

#[derive(Debug, Default)]
struct Inner {
    chunks: HashMap<i64, Box<Chunk>>,
    /// `(seq, added_us)` in insertion order, for eviction.
    order: VecDeque<(i64, i64)>,
    bytes: usize,
}

/// The chunk of a `seq` and its slot there.
fn place(seq: i64) -> (i64, usize) {
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let slot = seq.rem_euclid(SPAN) as usize;
    (seq.div_euclid(SPAN), slot)
}

impl RowCache {
    /// An empty cache holding up to `budget` bytes (0: holds nothing).
    pub(crate) fn new(budget: usize) -> RowCache {
        RowCache {
            budget,
            inner: Mutex::new(Inner::default()),
        }
    }

    /// The entry of each `(seq, added_us)`, if held with that `added_us`.
    pub(crate) fn get(&self, keys: &[(i64, i64)]) -> Vec<Option<Arc<Cached>>> {
        let inner = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        let mut last: Option<(i64, Option<&Chunk>)> = None;
        keys.iter()
            .map(|&(seq, added)| {
                let (at, slot) = place(seq);
                let chunk = match last {
                    Some((k, c)) if k == at => c,
                    _ => {
                        let c = inner.chunks.get(&at).map(Box::as_ref);
                        last = Some((at, c));
                        c
                    }
                };
                let (held_added, row) = &chunk?.slots[slot];
                (*held_added == added).then(|| row.clone()).flatten()
            })
            .collect()
    }

    /// Keeps `rows` (by `seq`), evicting the oldest entries beyond the budget.
    pub(crate) fn insert(&self, rows: &[(i64, Arc<Cached>)]) {
        if self.budget == 0 {
            return;
        }
        let mut inner = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        let inner = &mut *inner;
        for (seq, row) in rows {
            let weight = row.weight();
            if weight > self.budget {
                continue;
            }
            let (at, slot) = place(*seq);
            let chunk = inner.chunks.entry(at).or_insert_with(|| {
                Box::new(Chunk {
                    slots: std::array::from_fn(|_| (0, None)),
                    held: 0,
                })
            });
            let old = std::mem::replace(&mut chunk.slots[slot], (row.added_us, Some(row.clone())));
            match old.1 {
                Some(old) => inner.bytes -= old.weight(),
                None => chunk.held += 1,
            }
            inner.bytes += weight;
            inner.order.push_back((*seq, row.added_us));
        }
        while inner.bytes > self.budget {
            let Some((seq, added)) = inner.order.pop_front() else {
                break;
            };
            let (at, slot) = place(seq);
            let Some(chunk) = inner.chunks.get_mut(&at) else {
                continue;
            };
            // An entry replaced since (same `seq`, other `added_us`) stays for its own
            // turn in the queue.
            if chunk.slots[slot].0 != added {
                continue;
            }
            if let Some(old) = chunk.slots[slot].1.take() {
                inner.bytes -= old.weight();
                chunk.held -= 1;
                if chunk.held == 0 {
                    inner.chunks.remove(&at);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::{Cached, RowCache};

    fn row(added_us: i64, json: &str) -> Arc<Cached> {
        Arc::new(Cached {
            added_us,
            date_added: "2026-12-08T00:00:00.000000Z".into(),
            id: "indicator--1".into(),
            version: "2026-12-08T00:00:00.000Z".into(),
            json: json.into(),
        })
    }

    #[test]
    fn an_entry_is_found_only_with_its_added_us() {
        let cache = RowCache::new(1 << 20);
        cache.insert(&[(7, row(100, "{}"))]);
        let found = cache.get(&[(7, 100), (7, 101), (8, 100)]);
        assert_eq!(found[0].as_ref().unwrap().json, "{}");
        assert!(
            found[1].is_none(),
            "same seq, other added_us: another version"
        );
        assert!(found[2].is_none());
    }

    #[test]
    fn the_oldest_entries_go_beyond_the_budget() {
        let one = row(1, &"x".repeat(1000)).weight();
        let cache = RowCache::new(3 * one);
        for seq in 1..=5 {
            cache.insert(&[(seq, row(seq, &"x".repeat(1000)))]);
        }
        let held: Vec<bool> = cache
            .get(&[(1, 1), (2, 2), (3, 3), (4, 4), (5, 5)])
            .iter()
            .map(Option::is_some)
            .collect();
        assert_eq!(held, [false, false, true, true, true]);
        assert!(cache.inner.lock().unwrap().bytes <= 3 * one);
    }

    #[test]
    fn seqs_of_several_chunks_and_negative_ones_are_kept_apart() {
        let cache = RowCache::new(1 << 20);
        let seqs = [-65, -1, 0, 63, 64, 127, 128, 1_000_003];
        for &seq in &seqs {
            cache.insert(&[(seq, row(seq * 10, &seq.to_string()))]);
        }
        let keys: Vec<(i64, i64)> = seqs.iter().map(|&s| (s, s * 10)).collect();
        let found: Vec<String> = cache
            .get(&keys)
            .into_iter()
            .map(|c| c.unwrap().json.clone())
            .collect();
        let expected: Vec<String> = seqs.iter().map(i64::to_string).collect();
        assert_eq!(found, expected);
        assert!(cache.get(&[(1, 10), (65, 650)]).iter().all(Option::is_none));
    }

    #[test]
    fn a_replaced_entry_is_counted_once() {
        let cache = RowCache::new(1 << 20);
        cache.insert(&[(7, row(100, "{}"))]);
        cache.insert(&[(7, row(200, "{\"a\":1}"))]);
        let inner = cache.inner.lock().unwrap();
        assert_eq!(inner.chunks.len(), 1);
        assert_eq!(inner.chunks.values().next().unwrap().held, 1);
        assert_eq!(inner.bytes, row(200, "{\"a\":1}").weight());
    }

    #[test]
    fn a_cache_of_no_bytes_holds_nothing() {
        let cache = RowCache::new(0);
        cache.insert(&[(7, row(100, "{}"))]);
        assert!(cache.get(&[(7, 100)])[0].is_none());
    }
}
