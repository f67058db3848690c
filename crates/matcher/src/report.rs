//! Bulk matching of a log into per-indicator sighting data ([`MatchReport`]), and the
//! STIX 2.1 `sighting` object made from it.
//!
//! A report finds an indicator's sighting through pages of 4,096 slots allocated as slots
//! are first hit (`SlotIndex`), read for a whole batch's hits before they are recorded.

use std::borrow::Cow;
use std::collections::HashMap;
use std::hash::BuildHasher;
use std::io::BufRead;

use foldhash::fast::FixedState;
use prefetch_index::prefetch_index;

use concord_pattern::Timestamp;
use serde_json::{Value, json};

use crate::error::LineError;
use crate::matcher::{Matcher, SlotHit};
use crate::observation::{Kind, Observable, Observation};
use crate::readers::{self, Format, Shape};

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
    /// (sighting, hash of a value) of the values kept after the first: where in its
    /// `values` it is, so a value seen again is found with one probe (and one comparison)
    /// instead of a scan.
    kept: HashMap<(usize, u64), usize, FixedState>,
    hits: Vec<SlotHit>,
    /// The sighting positions of a batch's hits ([`Acc::prefetch`]).
    known: Vec<usize>,
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
            known: Vec::new(),
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

    /// The position of `slot`, if it has one.
    fn position(&self, slot: u32) -> Option<usize> {
        let (page, i) = Self::split(slot);
        match self.pages.get(page) {
            Some(Some(entries)) => (entries[i] as usize).checked_sub(1),
            _ => None,
        }
    }

    /// Starts loading `slot`'s entry, if its page exists.
    fn prefetch(&self, slot: u32) {
        let (page, i) = Self::split(slot);
        if let Some(Some(entries)) = self.pages.get(page) {
            prefetch_index(entries, i);
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
        self.prefetch(out.iter().map(|h| h.1));
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

    /// Starts loading what [`Acc::record`] reads for a batch's hits, a stage at a time so
    /// that the cache misses of all hits overlap within each stage instead of following
    /// one another: each slot's sighting position, then the sighting, then its first
    /// kept value and that value's text (each stage reads what the one before fetched).
    fn prefetch(&mut self, slots: impl Iterator<Item = u32> + Clone) {
        for slot in slots.clone() {
            self.by_slot.prefetch(slot);
        }
        // Each position read once; the later stages go through the list.
        let known = &mut self.known;
        known.clear();
        known.extend(slots.filter_map(|slot| self.by_slot.position(slot)));
        let sightings = &self.report.sightings;
        for &at in known.iter() {
            prefetch_index(sightings, at);
        }
        let known = || known.iter().filter_map(|&at| sightings.get(at));
        for s in known() {
            prefetch_index(&s.values, 0);
        }
        for s in known() {
            if let Some(v) = s.values.first() {
                prefetch_index(v.value.as_bytes(), 0);
            }
        }
    }

    /// Matches one-per-line values (line number, kind, canonical value) with
    /// [`Matcher::match_values`] and records each in order as the observation of that one
    /// observable; a value the index cannot decide alone is matched as that observation.
    fn values(
        &mut self,
        m: &Matcher,
        lines: &[(u64, Kind, Cow<'_, str>)],
        out: &mut Vec<(usize, u32)>,
        full: &mut Vec<usize>,
    ) {
        let mut values = [(Kind::Ipv4, ""); LINES_BATCH];
        for (v, (_, kind, text)) in values.iter_mut().zip(lines) {
            *v = (*kind, text);
        }
        debug_assert!(lines.len() <= LINES_BATCH);
        let values = &values[..lines.len().min(LINES_BATCH)];
        m.match_values(values, out, full);
        self.prefetch(out.iter().map(|h| h.1));
        let mut hits = std::mem::take(&mut self.hits);
        let (mut at, mut evaluated) = (0, full.iter().peekable());
        for (j, &(kind, text)) in values.iter().enumerate() {
            if evaluated.next_if_eq(&&j).is_some() {
                let obs = Observation {
                    observables: vec![Observable {
                        kind,
                        value: text.to_owned(),
                    }],
                    line: lines[j].0,
                    ..Observation::default()
                };
                self.observation(m, &obs);
                continue;
            }
            hits.clear();
            while let Some(&(_, slot)) = out.get(at).filter(|h| h.0 == j) {
                hits.push((slot, Some(0)));
                at += 1;
            }
            self.record_with(m, None, &hits, |_| Some((kind, text)));
        }
        self.hits = hits;
    }

    fn record(&mut self, m: &Matcher, obs: &Observation, hits: &[SlotHit]) {
        self.record_with(m, obs.timestamp, hits, |i| {
            obs.observables
                .get(i)
                .map(|ob| (ob.kind, ob.value.as_str()))
        });
    }

    /// Records one observation at `timestamp` whose hits are `hits`, `value` giving the
    /// kind and value of its observable at an index.
    fn record_with<'v>(
        &mut self,
        m: &Matcher,
        timestamp: Option<Timestamp>,
        hits: &[SlotHit],
        value: impl Fn(usize) -> Option<(Kind, &'v str)>,
    ) {
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
                if let Some(t) = timestamp {
                    s.first_seen = Some(s.first_seen.map_or(t, |f| f.min(t)));
                    s.last_seen = Some(s.last_seen.map_or(t, |l| l.max(t)));
                }
            }
            last_slot = Some(slot);
            if let Some((kind, v)) = i.and_then(&value)
                && s.values.len() < MAX_VALUES
            {
                let same = |o: &Observable| o.kind == kind && o.value == v;
                // Most hits repeat the sighting's first value: no hash, no map.
                if s.values.first().is_some_and(same) {
                    continue;
                }
                let ob = || Observable {
                    kind,
                    value: v.to_owned(),
                };
                // The first value is found by the check above, never through `kept`.
                if s.values.is_empty() {
                    s.values.push(ob());
                    continue;
                }
                let h = VALUE_HASH.hash_one((kind, v));
                let known = match self.kept.get(&(at, h)) {
                    Some(&k) => same(&s.values[k]) || s.values.iter().any(same),
                    None => false,
                };
                if !known {
                    self.kept.entry((at, h)).or_insert(s.values.len());
                    s.values.push(ob());
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
        if !readers::reads_in_place(format) {
            return self.match_each(input, format);
        }
        let threads = self.threads();
        if threads > 1 {
            return crate::parallel::match_blocks(self, input, format, threads);
        }
        self.match_in_place(input, format, 0)
    }

    /// [`Matcher::match_reader`] the plain way: each observation of [`readers::read`]
    /// matched on its own.
    pub(crate) fn match_each(&self, input: impl BufRead, format: &Format) -> MatchReport {
        let mut acc = Acc::new(true);
        for record in readers::read(input, format) {
            match record {
                Ok(o) => acc.observation(self, &o),
                Err(e) => acc.error(e),
            }
        }
        acc.report
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
        if *format == Format::Lines && self.index().every().is_empty() {
            return self.match_lines_by_slot(input, first, ids);
        }
        self.match_observations_by_slot(input, format, first, ids)
    }

    /// [`Matcher::match_in_place_by_slot`] through observations refilled in place.
    fn match_observations_by_slot(
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

    /// [`Matcher::match_in_place_by_slot`] of one-per-line text, for an index without
    /// indicators evaluated on every observation: no observation is made for a value
    /// (but for one the index cannot decide alone); a value already in canonical form is
    /// looked up where it lies in the input, the others once normalised
    /// ([`readers::shape`]), in batches whose lookups overlap
    /// ([`Matcher::match_values`]), in line order.
    fn match_lines_by_slot(
        &self,
        input: impl BufRead,
        first: u64,
        ids: bool,
    ) -> (MatchReport, Vec<u32>) {
        let mut acc = Acc::new(ids);
        let (mut out, mut full) = (Vec::new(), Vec::new());
        readers::each_block(input, first, &mut |n, block| {
            let text = match block {
                Ok(text) => text,
                Err(e) => return acc.error(e),
            };
            let mut lines = Vec::with_capacity(LINES_BATCH);
            for (no, line) in (n..).zip(readers::lines_of(text)) {
                // `str::trim`, skipped for a line that begins and ends in an ASCII
                // letter or digit (most do).
                let t = match line.as_bytes() {
                    [a, .., z] if a.is_ascii_alphanumeric() && z.is_ascii_alphanumeric() => line,
                    _ => line.trim(),
                };
                if t.is_empty() || t.starts_with('#') {
                    continue;
                }
                let (kind, value) = match readers::shape(t) {
                    Some(Shape::Same(kind, v)) => (kind, Cow::Borrowed(v)),
                    Some(Shape::Lower(d)) => (Kind::Domain, Cow::Owned(d.to_ascii_lowercase())),
                    Some(Shape::New(ob)) => (ob.kind, Cow::Owned(ob.value)),
                    None => {
                        acc.error(readers::unrecognised(no, t));
                        continue;
                    }
                };
                lines.push((no, kind, value));
                if lines.len() == LINES_BATCH {
                    acc.values(self, &lines, &mut out, &mut full);
                    lines.clear();
                }
            }
            acc.values(self, &lines, &mut out, &mut full);
        });
        (acc.report, acc.slots)
    }
}

/// One-per-line values matched in one [`Matcher::match_values`] call.
const LINES_BATCH: usize = 64;

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
        assert_eq!(idx.position(4096), Some(3));
        assert_eq!(idx.position(7), None);
        assert_eq!(idx.position(u32::MAX), None);
        assert_eq!(idx.get_or_insert(u32::MAX, || 9), 9);
        assert_eq!(idx.position(u32::MAX), Some(9));
    }
}

/// The one-per-line path that makes no observations gives the report of the path that
/// refills observations and of the plain reader, line for line.
#[cfg(test)]
mod lines_tests {
    use std::io::BufReader;
    use std::sync::Arc;

    use proptest::prelude::*;

    use super::*;
    use crate::{Index, IndicatorInput};

    const SHA1: &str = "a94a8fe5ccb19ba61c4c0873d391e987982fbbd3";
    const SHA256: &str = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

    fn matcher() -> Matcher {
        let t = |s| Timestamp::parse(s).unwrap();
        let patterns = [
            "[domain-name:value = 'evil.example']",
            "[domain-name:value = 'sub.example']",
            "[ipv4-addr:value = '198.51.100.1']",
            "[ipv4-addr:value ISSUBSET '10.0.0.0/8']",
            "[ipv4-addr:value = '10.1.2.3']",
            // One slot hit twice by one value: kept once.
            "[ipv4-addr:value = '198.51.100.1' OR ipv4-addr:value ISSUBSET '198.51.100.0/24']",
            "[ipv6-addr:value = '2001:db8::1']",
            "[url:value = 'http://example.com/a']",
            "[email-addr:value = 'bob@example.org']",
            "[file:hashes.MD5 = 'd41d8cd98f00b204e9800998ecf8427e']",
            &format!("[file:hashes.'SHA-1' = '{SHA1}']"),
            &format!("[file:hashes.'SHA-256' = '{SHA256}']"),
            "[mac-addr:value = '00:11:22:33:44:55']",
            "[autonomous-system:number = 64500]",
            // Not decided by the index alone: its candidates go to the evaluator.
            "[domain-name:value = 'eval.example' AND domain-name:value LIKE 'eval%']",
            "[domain-name:value = 'evil.example' AND domain-name:value LIKE '%.nothing']",
        ];
        let inputs: Vec<IndicatorInput> = patterns
            .iter()
            .enumerate()
            .map(|(i, p)| {
                let id = format!("indicator--00000000-0000-4000-8000-{i:012}");
                let mut ind = IndicatorInput::new(id, *p, t("2025-01-01T00:00:00Z"));
                if i == 1 {
                    ind.labels.push("match-subdomains".into());
                }
                ind
            })
            .collect();
        let (index, errors) = Index::build(&inputs, t("2026-01-01T00:00:00Z"));
        assert!(errors.is_empty(), "{errors:?}");
        Matcher::new(Arc::new(index))
    }

    /// Lines in every form the reader meets: canonical and not, of every kind, hits and
    /// misses, blank, comments, padded, unrecognised, not UTF-8.
    fn line() -> impl Strategy<Value = Vec<u8>> {
        let pool: Vec<Vec<u8>> = [
            "evil.example",
            "EVIL.example",
            "evil.example.",
            "  evil.example\t",
            "a.b.sub.example",
            "Sub.Example",
            "sub.example",
            "other.example",
            "\u{e9}vil.example",
            "eval.example",
            "EVAL.example",
            "198.51.100.1",
            "198.51.100.77",
            "10.1.2.3",
            "10.200.3.4",
            "010.1.2.3",
            "10.0.0.0/8",
            "192.0.2.1",
            "2001:db8::1",
            "2001:DB8:0::1",
            "http://example.com/a",
            "HTTP://Example.com:80/a",
            "http://example.com/%7e",
            "bob@example.org",
            "Bob@Example.org",
            "d41d8cd98f00b204e9800998ecf8427e",
            "D41D8CD98F00B204E9800998ECF8427E",
            SHA1,
            SHA256,
            "00:11:22:33:44:55",
            "00-11-22-33-44-55",
            "AS64500",
            "as64500",
            "AS1",
            "",
            "   ",
            "# a comment",
            "%%%",
            "hello",
            "0123456789abcdef0123456789abcdef0",
        ]
        .iter()
        .map(|s| s.as_bytes().to_vec())
        .chain([b"\xff\xfe.example".to_vec(), b"evil\x80.example".to_vec()])
        .collect();
        (proptest::sample::select(pool), any::<bool>()).prop_map(|(mut l, cr)| {
            if cr {
                l.push(b'\r');
            }
            l
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]
        #[test]
        fn lines_without_observations_give_the_same_report(
            lines in proptest::collection::vec(line(), 0..300),
            end in any::<bool>(),
            cap in prop_oneof![1usize..80, Just(4096), Just(1 << 20)],
        ) {
            let mut text = lines.join(&b'\n');
            if end {
                text.push(b'\n');
            }
            let m = matcher();
            let read = || BufReader::with_capacity(cap, &text[..]);
            let fast = m.match_lines_by_slot(read(), 0, true);
            let refilled = m.match_observations_by_slot(read(), &Format::Lines, 0, true);
            prop_assert_eq!(&fast, &refilled);
            prop_assert_eq!(&fast.0, &m.match_each(read(), &Format::Lines));
        }
    }

    /// The generated lines do hit, through the index and through the evaluator.
    #[test]
    fn the_lines_hit_through_the_index_and_the_evaluator() {
        let text = "EVIL.example\neval.example\nBob@Example.org\n10.200.3.4\nAS64500\n";
        let r = matcher().match_lines_by_slot(text.as_bytes(), 0, true).0;
        let ids: Vec<&str> = r.sightings.iter().map(|s| &s.indicator_id[35..]).collect();
        assert_eq!(
            ids,
            [
                "000000000000",
                "000000000014",
                "000000000008",
                "000000000003",
                "000000000013"
            ]
        );
        assert_eq!(r.sightings[0].values[0].value, "evil.example");
    }
}
