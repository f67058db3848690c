//! The in-memory index of compiled indicators: exact tables for hashes, addresses,
//! strings (domains, URLs, e-mail addresses, file names), MAC addresses and AS numbers,
//! prefix tries for CIDR blocks, and the patterns the index cannot decide alone.
//!
//! Indicators are interned as `u32` slots. [`Index::remove`] and [`Index::expire`] only mark
//! a slot dead (lookups skip it); the keys stay until the index is rebuilt, which
//! [`Index::garbage`] helps decide. Patching while matching goes on is done by
//! [`crate::LiveIndex`]: copy, patch, swap.

pub(crate) mod keys;
mod slots;
mod table;

use std::borrow::Borrow;
use std::collections::HashMap;
use std::net::IpAddr;

use concord_pattern::{Pattern, Timestamp};
use foldhash::fast::FixedState;
use hashbrown::HashMap as FastMap;
use prefix_trie::PrefixMap;

use crate::compile::{IndicatorInput, plan};
use crate::error::CompileError;
use crate::observation::Observable;
use keys::{HashBytes, Key, LookupKey, StrTag};
use slots::Slots;
use table::{Overflow, Posting, StrTable};

type Map<K> = FastMap<K, Posting, FixedState>;

/// What [`Index::add`] did with an indicator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Added {
    /// Decided by the index alone.
    Indexed,
    /// Its comparisons give candidates; the evaluator decides.
    Fallback,
    /// No comparison can be looked up: evaluated on every observation.
    EveryObservation,
    /// Revoked or outside its validity window at `now`: not added.
    NotCurrent,
}

/// Counts describing an index.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct IndexStats {
    /// Live indicators.
    pub indicators: usize,
    /// Live indicators decided by the index alone.
    pub indexed: usize,
    /// Live indicators needing the evaluator on candidates.
    pub fallback: usize,
    /// Live indicators evaluated on every observation.
    pub every_observation: usize,
    /// Keys stored (dead ones included until a rebuild).
    pub keys: usize,
    /// Dead slots still holding keys.
    pub dead: usize,
}

/// The compiled indicators. Cloning copies everything (see [`crate::LiveIndex`]).
#[derive(Clone, Default)]
pub struct Index {
    slots: Slots,
    hashes: [HashTables; 2],
    ipv4: Map<u32>,
    ipv6: Map<u128>,
    cidr4: PrefixMap<(u32, u8), Posting>,
    cidr6: PrefixMap<(u128, u8), Posting>,
    macs: Map<[u8; 6]>,
    asns: Map<u32>,
    strings: StrTable,
    overflow: Overflow,
    patterns: HashMap<u32, Pattern, FixedState>,
    every: Vec<u32>,
    keys: usize,
    /// Keys stored as "every subdomain of": without any, lookups skip the parent walk.
    suffix_keys: usize,
}

#[derive(Clone, Default)]
struct HashTables {
    md5: Map<[u8; 16]>,
    sha1: Map<[u8; 20]>,
    sha256: Map<[u8; 32]>,
    sha512: Map<[u8; 64]>,
}

fn add_to<K: std::hash::Hash + Eq>(m: &mut Map<K>, k: K, slot: u32, o: &mut Overflow) {
    match m.entry(k) {
        hashbrown::hash_map::Entry::Occupied(mut e) => o.add(e.get_mut(), slot),
        hashbrown::hash_map::Entry::Vacant(e) => {
            e.insert(slot);
        }
    }
}

impl std::fmt::Debug for Index {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Index")
            .field("stats", &self.stats())
            .finish()
    }
}

impl Index {
    /// An empty index.
    pub fn new() -> Index {
        Index::default()
    }

    /// Compiles the current indicators (see [`IndicatorInput::is_current`]) at `now`.
    /// Indicators whose pattern does not parse are returned as errors; the rest are added.
    /// Patterns are parsed on every available core (see [`Index::extend`]).
    pub fn build<'a>(
        indicators: impl IntoIterator<Item = &'a IndicatorInput>,
        now: Timestamp,
    ) -> (Index, Vec<CompileError>) {
        let mut index = Index::new();
        let errors = index.extend(indicators, now);
        (index, errors)
    }

    /// [`Index::add`] for many indicators, in order, with the same result as adding them one
    /// by one; returns the errors. Patterns are parsed and planned in batches on every
    /// available core, then inserted on this thread.
    pub fn extend<I>(
        &mut self,
        indicators: impl IntoIterator<Item = I>,
        now: Timestamp,
    ) -> Vec<CompileError>
    where
        I: Borrow<IndicatorInput> + Send,
    {
        const BATCH: usize = 1 << 15;
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get().min(16));
        let mut errors = Vec::new();
        let mut iter = indicators.into_iter();
        let first: Vec<I> = iter.by_ref().take(BATCH).collect();
        if threads < 2 || first.len() < 1024 {
            for ind in &first {
                if let Err(e) = self.add(ind.borrow(), now) {
                    errors.push(e);
                }
            }
            for ind in iter {
                if let Err(e) = self.add(ind.borrow(), now) {
                    errors.push(e);
                }
            }
            return errors;
        }
        // Workers parse and plan batch k+1 while this thread inserts batch k, in order.
        std::thread::scope(|sc| {
            let spawn = |batch: Vec<I>| {
                let chunk = batch.len().div_ceil(threads).max(1);
                let mut rest = batch;
                let mut handles = Vec::new();
                while !rest.is_empty() {
                    let tail = rest.split_off(chunk.min(rest.len()));
                    let part = std::mem::replace(&mut rest, tail);
                    handles.push(sc.spawn(move || {
                        let prepared: Vec<Prepared> =
                            part.iter().map(|i| prepare(i.borrow(), now)).collect();
                        (part, prepared)
                    }));
                }
                handles
            };
            let mut pending = spawn(first);
            while !pending.is_empty() {
                let next: Vec<I> = iter.by_ref().take(BATCH).collect();
                let next = spawn(next);
                for h in pending {
                    let (part, prepared) =
                        h.join().unwrap_or_else(|e| std::panic::resume_unwind(e));
                    for (ind, p) in part.iter().zip(prepared) {
                        if let Err(e) = self.apply(ind.borrow(), p) {
                            errors.push(e);
                        }
                    }
                }
                pending = next;
            }
        });
        errors
    }

    /// Adds (or replaces) one indicator if it is current at `now`.
    pub fn add(&mut self, ind: &IndicatorInput, now: Timestamp) -> Result<Added, CompileError> {
        let p = prepare(ind, now);
        self.apply(ind, p)
    }

    fn apply(&mut self, ind: &IndicatorInput, p: Prepared) -> Result<Added, CompileError> {
        let plan = match p {
            Prepared::NotCurrent => {
                self.remove(&ind.id);
                return Ok(Added::NotCurrent);
            }
            Prepared::Invalid(e) => return Err(e),
            Prepared::Plan(plan) => plan,
        };
        let Planned {
            keys,
            decided,
            keyed,
            pattern,
        } = *plan;
        self.remove(&ind.id);
        let until = ind.valid_until.map_or(i64::MAX, |t| clamp(t.unix_nanos()));
        let how = match (decided, keyed) {
            (true, _) => Added::Indexed,
            (false, true) => Added::Fallback,
            (false, false) => Added::EveryObservation,
        };
        let slot = self.slots.push(&ind.id, until, how != Added::Indexed);
        for key in keys {
            self.insert(key, slot);
        }
        match (how, pattern) {
            (Added::EveryObservation, Some(p)) => {
                self.every.push(slot);
                self.patterns.insert(slot, p);
            }
            (Added::Fallback, Some(p)) => {
                self.patterns.insert(slot, p);
            }
            _ => {}
        }
        Ok(how)
    }

    /// Removes an indicator by id; true if it was present.
    pub fn remove(&mut self, id: &str) -> bool {
        match self.slots.find(id) {
            Some(slot) => {
                self.kill(slot);
                true
            }
            None => false,
        }
    }

    /// Removes every indicator whose `valid_until` is at or before `now`; returns how many.
    pub fn expire(&mut self, now: Timestamp) -> usize {
        let dead = self.slots.expired(clamp(now.unix_nanos()));
        dead.iter().for_each(|&s| self.kill(s));
        dead.len()
    }

    /// The earliest `valid_until` among live indicators, if any has one: when
    /// [`Index::expire`] next has something to do.
    pub fn next_expiry(&self) -> Option<Timestamp> {
        self.slots
            .next_expiry()
            .and_then(|n| Timestamp::from_unix_nanos(i128::from(n)))
    }

    fn kill(&mut self, slot: u32) {
        self.slots.kill(slot);
        self.patterns.remove(&slot);
        self.every.retain(|&s| s != slot);
    }

    /// Share of stored keys that belong to dead indicators, 0.0 to 1.0: rebuild when high.
    pub fn garbage(&self) -> f64 {
        let s = self.stats();
        #[allow(clippy::cast_precision_loss)]
        let g = s.dead as f64 / (s.dead + s.indicators).max(1) as f64;
        g
    }

    /// Counts.
    pub fn stats(&self) -> IndexStats {
        let fallback = self.patterns.len() - self.every.len();
        IndexStats {
            indicators: self.slots.live(),
            indexed: self.slots.live() - self.patterns.len(),
            fallback,
            every_observation: self.every.len(),
            keys: self.keys,
            dead: self.slots.len() - self.slots.live(),
        }
    }

    /// Approximate heap bytes held by the tables (capacity-based).
    pub fn heap_bytes(&self) -> usize {
        let h = |n: usize, k: usize| n * (k + 5);
        let mut b = self.slots.bytes() + self.strings.bytes() + self.overflow.bytes();
        for t in self.hashes.iter() {
            b += h(t.md5.capacity(), 16) + h(t.sha1.capacity(), 20);
            b += h(t.sha256.capacity(), 32) + h(t.sha512.capacity(), 64);
        }
        b + h(self.ipv4.capacity(), 4) + h(self.ipv6.capacity(), 16) + h(self.macs.capacity(), 6)
    }

    /// The id of a slot.
    pub(crate) fn id(&self, slot: u32) -> String {
        self.slots.id(slot)
    }

    /// The pattern of a fallback slot.
    pub(crate) fn pattern(&self, slot: u32) -> Option<&Pattern> {
        self.patterns.get(&slot)
    }

    /// Slots evaluated on every observation.
    pub(crate) fn every(&self) -> &[u32] {
        &self.every
    }

    /// Whether the slot is live and needs the evaluator.
    pub(crate) fn needs_eval(&self, slot: u32) -> bool {
        self.slots.needs_eval(slot)
    }

    fn insert(&mut self, key: Key, slot: u32) {
        let o = &mut self.overflow;
        self.keys += 1;
        match key {
            Key::Hash(family, bytes) => {
                let t = &mut self.hashes[usize::from(family.min(1))];
                match bytes.len() {
                    16 => add_to(&mut t.md5, arr(&bytes), slot, o),
                    20 => add_to(&mut t.sha1, arr(&bytes), slot, o),
                    32 => add_to(&mut t.sha256, arr(&bytes), slot, o),
                    _ => add_to(&mut t.sha512, arr(&bytes), slot, o),
                }
            }
            Key::Ip(IpAddr::V4(v)) => add_to(&mut self.ipv4, u32::from(v), slot, o),
            Key::Ip(IpAddr::V6(v)) => add_to(&mut self.ipv6, u128::from(v), slot, o),
            Key::Net(IpAddr::V4(v), len) => {
                let p = self.cidr4.entry((u32::from(v), len)).or_insert(slot);
                if *p != slot {
                    o.add(p, slot);
                }
            }
            Key::Net(IpAddr::V6(v), len) => {
                let p = self.cidr6.entry((u128::from(v), len)).or_insert(slot);
                if *p != slot {
                    o.add(p, slot);
                }
            }
            Key::Str(tag, s) => {
                if !self.strings.add(tag as u8, &s, slot, o) {
                    self.keys -= 1;
                } else if tag == StrTag::DomainSuffix {
                    self.suffix_keys += 1;
                }
            }
            Key::Mac(m) => add_to(&mut self.macs, m, slot, o),
            Key::Asn(n) => add_to(&mut self.asns, n, slot, o),
        }
    }

    /// Calls `f` with every live slot that one of the observable's keys hits.
    pub fn lookup_slots(&self, ob: &Observable, f: &mut impl FnMut(u32)) {
        let mut emit = |p: Posting| {
            self.overflow.each(p, &mut |s| {
                if self.slots.alive(s) {
                    f(s)
                }
            })
        };
        let Some(key) = keys::lookup_key(ob.kind, &ob.value) else {
            return;
        };
        match key {
            LookupKey::Hash(family, b) => {
                let t = &self.hashes[usize::from(family.min(1))];
                let p = match b {
                    HashBytes::H16(a) => t.md5.get(&a),
                    HashBytes::H20(a) => t.sha1.get(&a),
                    HashBytes::H32(a) => t.sha256.get(&a),
                    HashBytes::H64(a) => t.sha512.get(&a),
                };
                p.copied().map(&mut emit);
            }
            LookupKey::Ip(IpAddr::V4(v)) => {
                let bits = u32::from(v);
                self.ipv4.get(&bits).copied().map(&mut emit);
                self.cidr4.cover(&(bits, 32)).for_each(|(_, &p)| emit(p));
            }
            LookupKey::Ip(IpAddr::V6(v)) => {
                let bits = u128::from(v);
                self.ipv6.get(&bits).copied().map(&mut emit);
                self.cidr6.cover(&(bits, 128)).for_each(|(_, &p)| emit(p));
            }
            LookupKey::Net(IpAddr::V4(v), len) => {
                self.cidr4
                    .cover(&(u32::from(v), len))
                    .for_each(|(_, &p)| emit(p));
            }
            LookupKey::Net(IpAddr::V6(v), len) => {
                self.cidr6
                    .cover(&(u128::from(v), len))
                    .for_each(|(_, &p)| emit(p));
            }
            LookupKey::Str(StrTag::Domain, d) => {
                self.strings.get(StrTag::Domain as u8, d).map(&mut emit);
                let mut rest = d;
                while self.suffix_keys > 0
                    && let Some((_, parent)) = rest.split_once('.')
                {
                    self.strings
                        .get(StrTag::DomainSuffix as u8, parent)
                        .map(&mut emit);
                    rest = parent;
                }
            }
            LookupKey::Str(tag, s) => {
                self.strings.get(tag as u8, s).map(&mut emit);
            }
            LookupKey::Mac(m) => {
                self.macs.get(&m).copied().map(&mut emit);
            }
            LookupKey::Asn(n) => {
                self.asns.get(&n).copied().map(&mut emit);
            }
        }
    }
}

/// One indicator parsed and planned, before it goes into the tables.
enum Prepared {
    NotCurrent,
    Invalid(CompileError),
    Plan(Box<Planned>),
}

/// A compiled plan whose pattern is kept only when the evaluator needs it.
struct Planned {
    keys: Vec<Key>,
    decided: bool,
    keyed: bool,
    pattern: Option<Pattern>,
}

fn prepare(ind: &IndicatorInput, now: Timestamp) -> Prepared {
    if !ind.is_current(now) {
        return Prepared::NotCurrent;
    }
    match concord_pattern::parse(&ind.pattern) {
        Ok(pattern) => {
            let p = plan(pattern, ind.match_subdomains());
            // An indexed indicator's pattern is not kept: drop it here, on the worker.
            let pattern = (!p.decided).then_some(p.pattern);
            Prepared::Plan(Box::new(Planned {
                keys: p.keys,
                decided: p.decided,
                keyed: p.keyed,
                pattern,
            }))
        }
        Err(source) => Prepared::Invalid(CompileError {
            id: ind.id.clone(),
            source,
        }),
    }
}

fn arr<const N: usize>(b: &[u8]) -> [u8; N] {
    let mut a = [0u8; N];
    a.copy_from_slice(&b[..N]);
    a
}

fn clamp(n: i128) -> i64 {
    i64::try_from(n).unwrap_or(if n < 0 { i64::MIN } else { i64::MAX })
}

#[cfg(test)]
mod tests;
