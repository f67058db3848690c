//! Bulk matching of a log into per-indicator sighting data ([`MatchReport`]), and the
//! STIX 2.1 `sighting` object made from it.

use std::collections::HashMap;
use std::hash::BuildHasher;
use std::io::BufRead;

use foldhash::fast::FixedState;

use concord_pattern::Timestamp;
use serde_json::{Value, json};

use crate::error::LineError;
use crate::matcher::{Matcher, SlotHit};
use crate::observation::{Observable, Observation};
use crate::readers::{self, Format};

/// The hasher of the values kept per sighting (fixed seed: no per-report setup).
const VALUE_HASH: FixedState = FixedState::with_seed(0x7661_6c75_6573);

/// Malformed lines kept with their message in a report (all are counted).
pub const MAX_ERRORS: usize = 20;
/// Distinct matched values kept per indicator.
pub const MAX_VALUES: usize = 100;

/// What one indicator was seen as, over one input.
#[derive(Debug, Clone, PartialEq)]
pub struct SightingData {
    /// The indicator's id.
    pub indicator_id: String,
    /// Observations that matched.
    pub count: u64,
    /// Earliest timestamp of a matching observation, if any had one.
    pub first_seen: Option<Timestamp>,
    /// Latest timestamp of a matching observation.
    pub last_seen: Option<Timestamp>,
    /// Distinct values that hit (at most [`MAX_VALUES`]).
    pub values: Vec<Observable>,
}

/// The result of matching one input.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MatchReport {
    /// Records read (observations and malformed lines; blank lines are not counted).
    pub records: u64,
    /// Observations matched against the index.
    pub observations: u64,
    /// Malformed lines.
    pub malformed: u64,
    /// The first [`MAX_ERRORS`] malformed lines.
    pub errors: Vec<LineError>,
    /// One entry per indicator that matched, in order of first match.
    pub sightings: Vec<SightingData>,
}

/// Aggregation state of [`Matcher::match_reader`].
struct Acc {
    report: MatchReport,
    by_slot: SlotIndex,
    /// (sighting, hash of a value) of the values kept: where in its `values` it is, so a
    /// value seen again is found with one probe (and one comparison) instead of a scan.
    kept: HashMap<(usize, u64), usize, FixedState>,
    hits: Vec<SlotHit>,
    /// The slot of each sighting, in order.
    slots: Vec<u32>,
    /// Whether sightings get their indicator's id (else it is left empty, for a caller
    /// that merges by slot and resolves ids once).
    ids: bool,
}

impl Acc {
    fn new(ids: bool) -> Acc {
        Acc {
            report: MatchReport::default(),
            by_slot: SlotIndex::default(),
            kept: HashMap::default(),
            hits: Vec::new(),
            slots: Vec::new(),
            ids,
        }
    }
}

/// Slots per page of a [`SlotIndex`].
const SLOT_PAGE: usize = 4096;

/// The position of each indicator slot's sighting in a report: pages of [`SLOT_PAGE`]
/// slots, allocated when one of their slots first hits, holding position + 1 (0: none
/// yet). A lookup is one memory access where a hash map needs two, and memory follows
/// the slots that hit (16 KiB per page), not the size of the index.
#[derive(Debug, Default)]
struct SlotIndex {
    pages: Vec<Option<Box<[u32]>>>,
}

impl SlotIndex {
    fn split(slot: u32) -> (usize, usize) {
        let slot = slot as usize;
        (slot / SLOT_PAGE, slot % SLOT_PAGE)
    }

    /// The position of `slot`, `make`ing it (which returns the new position) if absent.
    fn get_or_insert(&mut self, slot: u32, make: impl FnOnce() -> usize) -> usize {
        let (page, i) = Self::split(slot);
        if page >= self.pages.len() {
            self.pages.resize(page + 1, None);
        }
        let entries = self.pages[page].get_or_insert_with(|| vec![0; SLOT_PAGE].into());
        match entries[i] {
            0 => {
                let at = make();
                // A report has at most one sighting per slot, and slots are u32: at + 1
                // exceeds u32 only for a 2^32nd sighting, which no index can give.
                entries[i] = u32::try_from(at + 1).unwrap_or(u32::MAX);
                at
            }
            n => n as usize - 1,
        }
    }

    /// Reads `slot`'s entry, if its page exists, for [`std::hint::black_box`].
    fn touch(&self, slot: u32) -> u32 {
        let (page, i) = Self::split(slot);
        match self.pages.get(page) {
            Some(Some(entries)) => entries[i],
            _ => 0,
        }
    }
}

impl Acc {
    fn error(&mut self, e: LineError) {
        self.report.records += 1;
        self.report.malformed += 1;
        if self.report.errors.len() < MAX_ERRORS {
            self.report.errors.push(e);
        }
    }

    fn observation(&mut self, m: &Matcher, obs: &Observation) {
        let mut hits = std::mem::take(&mut self.hits);
        hits.clear();
        m.match_slots(obs, &mut hits);
        self.record(m, obs, &hits);
        self.hits = hits;
    }

    /// Matches `batch` with [`Matcher::match_batch`] and records each observation in order.
    fn observations(
        &mut self,
        m: &Matcher,
        batch: &[Observation],
        out: &mut Vec<(usize, u32, Option<usize>)>,
    ) {
        m.match_batch(batch, out);
        // The sighting positions of the batch's hits, read together first: their cache
        // misses overlap instead of following one another in `record`.
        let touched = out
            .iter()
            .fold(0u32, |x, &(_, slot, _)| x ^ self.by_slot.touch(slot));
        std::hint::black_box(touched);
        let mut hits = std::mem::take(&mut self.hits);
        let mut at = 0;
        for (j, obs) in batch.iter().enumerate() {
            hits.clear();
            while let Some(&(o, slot, i)) = out.get(at).filter(|h| h.0 == j) {
                debug_assert_eq!(o, j);
                hits.push((slot, i));
                at += 1;
            }
            self.record(m, obs, &hits);
        }
        self.hits = hits;
    }

    fn record(&mut self, m: &Matcher, obs: &Observation, hits: &[SlotHit]) {
        let report = &mut self.report;
        report.records += 1;
        report.observations += 1;
        let mut last_slot = None;
        for &(slot, i) in hits {
            let (slots, ids) = (&mut self.slots, self.ids);
            let at = self.by_slot.get_or_insert(slot, || {
                slots.push(slot);
                report.sightings.push(SightingData {
                    indicator_id: if ids {
                        m.index().id(slot)
                    } else {
                        String::new()
                    },
                    count: 0,
                    first_seen: None,
                    last_seen: None,
                    values: Vec::new(),
                });
                report.sightings.len() - 1
            });
            let s = &mut report.sightings[at];
            if last_slot != Some(slot) {
                s.count += 1;
                if let Some(t) = obs.timestamp {
                    s.first_seen = Some(s.first_seen.map_or(t, |f| f.min(t)));
                    s.last_seen = Some(s.last_seen.map_or(t, |l| l.max(t)));
                }
            }
            last_slot = Some(slot);
            if let Some(ob) = i.and_then(|i| obs.observables.get(i))
                && s.values.len() < MAX_VALUES
            {
                // Most hits repeat the sighting's first value: no hash, no map.
                if s.values.first() == Some(ob) {
                    continue;
                }
                let h = VALUE_HASH.hash_one(ob);
                let known = match self.kept.get(&(at, h)) {
                    Some(&k) => s.values[k] == *ob || s.values.contains(ob),
                    None => false,
                };
                if !known {
                    self.kept.entry((at, h)).or_insert(s.values.len());
                    s.values.push(ob.clone());
                }
            }
        }
    }
}

impl Matcher {
    /// Reads `input` in `format` and aggregates every hit into [`SightingData`]. Large
    /// one-per-line and EVE input is matched on [`Matcher::threads`] threads, with the
    /// same result as on one.
    pub fn match_reader(&self, input: impl BufRead, format: &Format) -> MatchReport {
        let mut acc = Acc::new(true);
        if !readers::reads_in_place(format) {
            for record in readers::read(input, format) {
                match record {
                    Ok(o) => acc.observation(self, &o),
                    Err(e) => acc.error(e),
                }
            }
            return acc.report;
        }
        let threads = self.threads();
        if threads > 1 {
            return crate::parallel::match_blocks(self, input, format, threads);
        }
        self.match_in_place(input, format, 0)
    }

    /// [`Matcher::match_reader`] on one thread for a format read in place, the first line
    /// numbered `first + 1`.
    pub(crate) fn match_in_place(
        &self,
        input: impl BufRead,
        format: &Format,
        first: u64,
    ) -> MatchReport {
        self.match_in_place_by_slot(input, format, first, true).0
    }

    /// [`Matcher::match_in_place`] with the slot of each sighting; ids are resolved only
    /// if `ids` (else left empty).
    pub(crate) fn match_in_place_by_slot(
        &self,
        input: impl BufRead,
        format: &Format,
        first: u64,
        ids: bool,
    ) -> (MatchReport, Vec<u32>) {
        let mut acc = Acc::new(ids);
        // Lines read in place into reused observations, gathered in batches whose lookups
        // overlap (`Matcher::match_batch`), in line order.
        const BATCH: usize = 64;
        let mut batch: Vec<Observation> = Vec::with_capacity(BATCH);
        let mut n = 0;
        let mut out = Vec::new();
        readers::each_line(input, first, &mut |no, line| {
            if batch.len() == n {
                batch.push(Observation::default());
            }
            let r =
                line.and_then(|l| readers::record_into(format, no, l, &mut batch[n]).transpose());
            match r {
                Ok(None) => {}
                Ok(Some(())) => {
                    n += 1;
                    if n == BATCH {
                        acc.observations(self, &batch, &mut out);
                        n = 0;
                    }
                }
                Err(e) => {
                    acc.observations(self, &batch[..n], &mut out);
                    n = 0;
                    acc.error(e);
                }
            }
        });
        acc.observations(self, &batch[..n], &mut out);
        (acc.report, acc.slots)
    }
}

/// STIX allows `count` up to 999,999,999.
const MAX_COUNT: u64 = 999_999_999;

/// A STIX 2.1 `sighting` of the data's indicator, sighted by `identity_ref` (the node's
/// identity), created and modified at `now`, with a fresh random id.
pub fn to_sighting(data: &SightingData, identity_ref: &str, now: Timestamp) -> Value {
    let mut s = json!({
        "type": "sighting",
        "spec_version": "2.1",
        "id": format!("sighting--{}", uuid::Uuid::new_v4()),
        "created": millis(now),
        "modified": millis(now),
        "sighting_of_ref": data.indicator_id,
        "count": data.count.min(MAX_COUNT),
        "where_sighted_refs": [identity_ref],
    });
    if let (Some(f), Some(l)) = (data.first_seen, data.last_seen) {
        s["first_seen"] = json!(millis(f));
        s["last_seen"] = json!(millis(l));
    }
    s
}

/// `YYYY-MM-DDTHH:MM:SS.sssZ`, the precision STIX requires for `created`/`modified`
/// (finer digits are truncated).
fn millis(t: Timestamp) -> String {
    let text = t.to_string();
    let base = text.get(..19).unwrap_or(&text);
    let frac: String = text
        .get(20..)
        .unwrap_or("")
        .chars()
        .filter(char::is_ascii_digit)
        .chain(std::iter::repeat('0'))
        .take(3)
        .collect();
    format!("{base}.{frac}Z")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slot_index_keeps_the_first_position_of_each_slot_on_sparse_pages() {
        let mut idx = SlotIndex::default();
        let mut next = 0;
        let mut make = || {
            next += 1;
            next - 1
        };
        // Slots far apart: one page each, none in between.
        for slot in [5_000_000u32, 0, 4095, 4096, 5_000_000, 0] {
            idx.get_or_insert(slot, &mut make);
        }
        assert_eq!(idx.pages.iter().filter(|p| p.is_some()).count(), 3);
        assert_eq!(idx.get_or_insert(5_000_000, || unreachable!()), 0);
        assert_eq!(idx.get_or_insert(0, || unreachable!()), 1);
        assert_eq!(idx.get_or_insert(4095, || unreachable!()), 2);
        assert_eq!(idx.get_or_insert(4096, || unreachable!()), 3);
        assert_eq!(idx.touch(4096), 4);
        assert_eq!(idx.touch(7), 0);
        assert_eq!(idx.touch(u32::MAX), 0);
        assert_eq!(idx.get_or_insert(u32::MAX, || 9), 9);
        assert_eq!(idx.touch(u32::MAX), 10);
    }
}
