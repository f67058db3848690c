//! The in-memory index of compiled indicators: exact tables for hashes, addresses,
//! strings (domains, URLs, e-mail addresses, file names), MAC addresses and AS numbers,
//! CIDR blocks in one table per prefix length, and the patterns the index cannot decide
//! alone.
//!
//! Indicators are interned as `u32` slots. [`Index::remove`] and [`Index::expire`] only mark
//! a slot dead (lookups skip it); the keys stay until the index is rebuilt, which
//! [`Index::garbage`] helps decide. Patching while matching goes on is done by
//! [`crate::LiveIndex`]: copy, patch, swap.
//!
//! A batch of compiled indicators goes into the index on three threads (slots, string
//! tables, fixed-size tables). `Index::prepare` gives the key and hash that
//! `keys::lookup_key` then `Hashed::new` give (property test) and prefetches the table
//! lines a probe reads first (fingerprint and entry; for the tables of keys up to eight
//! bytes, `SmallTable` (IPv4 and MAC addresses and blocks, AS numbers), one entry line,
//! keys compared in place at half load). CIDR blocks: one table per prefix length present,
//! an address looked up once per stored length.

mod flat;
pub(crate) mod keys;
mod lookup;
mod slots;
mod table;

use std::borrow::Borrow;
use std::collections::HashMap;
use std::net::IpAddr;

use concord_pattern::{Pattern, Timestamp};
use foldhash::fast::FixedState;

use crate::compile::{IndicatorInput, plan};
use crate::error::CompileError;
use flat::{FlatKey, FlatTable, KeyTable, SmallTable};
use keys::{HashBytes, Key, StrTag};
pub(crate) use lookup::Hashed;
use slots::Slots;
use table::{Overflow, Posting, StrTable};

type Map<K> = FlatTable<K>;
type Small<K> = SmallTable<K>;

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
    ipv4: Small<u32>,
    ipv6: Map<u128>,
    /// IPv4 blocks by (address << 8 | prefix length); `cidr4_lens` has bit `l` set when a
    /// block of length `l` is stored, so an address is looked up once per length present.
    cidr4: Small<u64>,
    cidr4_lens: u64,
    /// IPv6 blocks by (address, prefix length), lengths present in `cidr6_lens`.
    cidr6: Map<(u128, u8)>,
    cidr6_lens: u128,
    macs: Small<[u8; 6]>,
    asns: Small<u32>,
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

/// Adds `slot` under `k`: true if the key is new; else `dup` is given its posting.
fn add_to<K: FlatKey>(
    m: &mut impl KeyTable<K>,
    k: K,
    slot: u32,
    dup: &mut dyn FnMut(&mut Posting),
) -> bool {
    let (p, new) = m.entry(k, slot);
    if !new {
        dup(p);
    }
    new
}

/// The tables of fixed-size keys, borrowed apart from the rest of the index (so that
/// string keys and slots can be filled on other threads meanwhile).
struct FixedTables<'a> {
    hashes: &'a mut [HashTables; 2],
    ipv4: &'a mut Small<u32>,
    ipv6: &'a mut Map<u128>,
    cidr4: &'a mut Small<u64>,
    cidr4_lens: &'a mut u64,
    cidr6: &'a mut Map<(u128, u8)>,
    cidr6_lens: &'a mut u128,
    macs: &'a mut Small<[u8; 6]>,
    asns: &'a mut Small<u32>,
}

impl FixedTables<'_> {
    /// Adds `slot` under a fixed-size `key` (see [`add_to`]); a string key is not theirs
    /// (false).
    fn add(&mut self, key: &Key, slot: u32, dup: &mut dyn FnMut(&mut Posting)) -> bool {
        match *key {
            Key::Hash(family, bytes) => {
                let t = &mut self.hashes[usize::from(family.min(1))];
                match bytes {
                    HashBytes::H16(a) => add_to(&mut t.md5, a, slot, dup),
                    HashBytes::H20(a) => add_to(&mut t.sha1, a, slot, dup),
                    HashBytes::H32(a) => add_to(&mut t.sha256, a, slot, dup),
                    HashBytes::H64(a) => add_to(&mut t.sha512, a, slot, dup),
                }
            }
            Key::Ip(IpAddr::V4(v)) => add_to(self.ipv4, u32::from(v), slot, dup),
            Key::Ip(IpAddr::V6(v)) => add_to(self.ipv6, u128::from(v), slot, dup),
            Key::Net(IpAddr::V4(v), len) => {
                let len = u32::from(len.min(31));
                *self.cidr4_lens |= 1 << len;
                add_to(self.cidr4, net4(u32::from(v), len), slot, dup)
            }
            Key::Net(IpAddr::V6(v), len) => {
                let len = u32::from(len.min(127));
                *self.cidr6_lens |= 1 << len;
                add_to(self.cidr6, net6(u128::from(v), len), slot, dup)
            }
            Key::Mac(m) => add_to(self.macs, m, slot, dup),
            Key::Asn(n) => add_to(self.asns, n, slot, dup),
            Key::Str(..) => false,
        }
    }
}

/// What a batch does to the slots for one indicator: add it (how, and its pattern if the
/// evaluator needs it), or (`None`) remove the id.
type SlotOp = Option<(Added, Option<Pattern>)>;

/// How an indicator is matched, from its plan.
fn how(decided: bool, keyed: bool) -> Added {
    match (decided, keyed) {
        (true, _) => Added::Indexed,
        (false, true) => Added::Fallback,
        (false, false) => Added::EveryObservation,
    }
}

/// A new live slot for `ind`, replacing the live slot of the same id if there is one
/// (see [`Slots::replace`]).
fn push_slot(
    slots: &mut Slots,
    patterns: &mut HashMap<u32, Pattern, FixedState>,
    every: &mut Vec<u32>,
    ind: &IndicatorInput,
    how: Added,
) -> u32 {
    let until = ind.valid_until.map_or(i64::MAX, |t| clamp(t.unix_nanos()));
    let (slot, old) = slots.replace(&ind.id, until, how != Added::Indexed);
    if let Some(old) = old {
        patterns.remove(&old);
        every.retain(|&s| s != old);
    }
    slot
}

/// Marks `slot` dead and forgets its pattern.
fn kill(
    slots: &mut Slots,
    patterns: &mut HashMap<u32, Pattern, FixedState>,
    every: &mut Vec<u32>,
    slot: u32,
) {
    slots.kill(slot);
    patterns.remove(&slot);
    every.retain(|&s| s != slot);
}

/// The block of `len` leading bits of `bits` (an IPv4 address) as a `cidr4` key.
#[inline]
fn net4(bits: u32, len: u32) -> u64 {
    // Shifted in 64 bits, so that a length of 0 (a shift by 32) needs no branch.
    #[allow(clippy::cast_possible_truncation)] // the low 32 bits are the mask
    let mask = (u64::MAX << (32 - len.min(32))) as u32;
    (u64::from(bits & mask) << 8) | u64::from(len)
}

/// The block of `len` leading bits of `bits` (an IPv6 address) as a `cidr6` key.
#[inline]
fn net6(bits: u128, len: u32) -> (u128, u8) {
    let mask = u128::MAX.checked_shl(128 - len).unwrap_or(0);
    #[allow(clippy::cast_possible_truncation)] // len <= 128
    (bits & mask, len as u8)
}

/// The set bits of `lens` up to `max` included, lowest first.
#[inline]
fn lengths(lens: u64, max: u32) -> impl Iterator<Item = u32> {
    let mut rest = lens & (u64::MAX >> (63 - max.min(63)));
    std::iter::from_fn(move || {
        (rest != 0).then(|| {
            let l = rest.trailing_zeros();
            rest &= rest - 1;
            l
        })
    })
}

/// [`lengths`] of IPv6 block lengths (bits 0 to 128), as two 64-bit halves: an IPv4
/// lookup walks one word.
#[inline]
fn lengths6(lens: u128, max: u32) -> impl Iterator<Item = u32> {
    #[allow(clippy::cast_possible_truncation)] // the two halves
    let (low, high) = (lens as u64, (lens >> 64) as u64);
    let high = if max >= 64 { high } else { 0 };
    lengths(low, max).chain(lengths(high, max.saturating_sub(64)).map(|l| l + 64))
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
        self.slots.reserve(iter.size_hint().0);
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
                let done: Vec<(Vec<I>, Vec<Prepared>)> = pending
                    .into_iter()
                    .map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
                    .collect();
                let batch = done
                    .into_iter()
                    .flat_map(|(part, prepared)| part.into_iter().zip(prepared));
                self.apply_many(batch, &mut errors);
                pending = next;
            }
        });
        errors
    }

    /// [`Index::apply`] for a batch, in order, with the same result: slots (ids, flags,
    /// patterns), string keys and fixed-size keys are three disjoint parts of the index,
    /// filled on three threads. Slot numbers are known before (the next free one per
    /// planned indicator); a key already present (its posting gains an overflow entry)
    /// is left to this thread afterwards, in order, so every posting list keeps the order
    /// of one-by-one adding.
    fn apply_many<I: Borrow<IndicatorInput> + Send>(
        &mut self,
        batch: impl Iterator<Item = (I, Prepared)>,
        errors: &mut Vec<CompileError>,
    ) {
        let mut ops: Vec<(I, SlotOp)> = Vec::new();
        let mut strs: Vec<(u32, Key)> = Vec::new();
        let mut fixed: Vec<(u32, Key)> = Vec::new();
        let mut next = u32::try_from(self.slots.len()).unwrap_or(u32::MAX >> 1);
        for (ind, p) in batch {
            match p {
                Prepared::NotCurrent => ops.push((ind, None)),
                Prepared::Invalid(e) => errors.push(e),
                Prepared::Plan(plan) => {
                    let Planned {
                        keys,
                        decided,
                        keyed,
                        pattern,
                    } = *plan;
                    for k in keys {
                        match k {
                            Key::Str(..) => strs.push((next, k)),
                            _ => fixed.push((next, k)),
                        }
                    }
                    ops.push((ind, Some((how(decided, keyed), pattern))));
                    next = next.saturating_add(1);
                }
            }
        }
        let Index {
            slots,
            hashes,
            ipv4,
            ipv6,
            cidr4,
            cidr4_lens,
            cidr6,
            cidr6_lens,
            macs,
            asns,
            strings,
            patterns,
            every,
            ..
        } = self;
        let mut fixed_tables = FixedTables {
            hashes,
            ipv4,
            ipv6,
            cidr4,
            cidr4_lens,
            cidr6,
            cidr6_lens,
            macs,
            asns,
        };
        let (str_later, fixed_later) = std::thread::scope(|sc| {
            let slots_done = sc.spawn(move || {
                for (ind, op) in ops {
                    let ind = ind.borrow();
                    let Some((how, pattern)) = op else {
                        if let Some(slot) = slots.find(&ind.id) {
                            kill(slots, patterns, every, slot);
                        }
                        continue;
                    };
                    let slot = push_slot(slots, patterns, every, ind, how);
                    if let (Added::EveryObservation | Added::Fallback, Some(p)) = (how, pattern) {
                        if how == Added::EveryObservation {
                            every.push(slot);
                        }
                        patterns.insert(slot, p);
                    }
                }
            });
            let strs_done = sc.spawn(move || {
                let (mut later, mut added, mut suffix) = (Vec::new(), 0, 0);
                for (slot, k) in strs {
                    let Key::Str(tag, s) = &k else { continue };
                    match strings.add(*tag as u8, s, slot, &mut |_| {}) {
                        Some(true) => {
                            added += 1;
                            suffix += usize::from(*tag == StrTag::DomainSuffix);
                        }
                        Some(false) => later.push((slot, k)),
                        None => {}
                    }
                }
                (later, added, suffix)
            });
            let (mut later, mut added) = (Vec::new(), 0);
            for (slot, k) in fixed {
                if fixed_tables.add(&k, slot, &mut |_| {}) {
                    added += 1;
                } else {
                    later.push((slot, k));
                }
            }
            slots_done
                .join()
                .unwrap_or_else(|e| std::panic::resume_unwind(e));
            let (str_later, str_added, suffix) = strs_done
                .join()
                .unwrap_or_else(|e| std::panic::resume_unwind(e));
            self.keys += added + str_added;
            self.suffix_keys += suffix;
            (str_later, later)
        });
        for (slot, k) in str_later.into_iter().chain(fixed_later) {
            self.insert(k, slot);
        }
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
        let how = how(decided, keyed);
        let slot = push_slot(
            &mut self.slots,
            &mut self.patterns,
            &mut self.every,
            ind,
            how,
        );
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
        kill(&mut self.slots, &mut self.patterns, &mut self.every, slot);
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
        let mut b = self.slots.bytes() + self.strings.bytes() + self.overflow.bytes();
        for t in self.hashes.iter() {
            b += t.md5.bytes() + t.sha1.bytes() + t.sha256.bytes() + t.sha512.bytes();
        }
        b + self.ipv4.bytes()
            + self.ipv6.bytes()
            + self.cidr4.bytes()
            + self.cidr6.bytes()
            + self.macs.bytes()
            + self.asns.bytes()
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
        // Without any pattern kept, no slot needs the evaluator: no flags read.
        !self.patterns.is_empty() && self.slots.needs_eval(slot)
    }

    fn insert(&mut self, key: Key, slot: u32) {
        let o = &mut self.overflow;
        self.keys += 1;
        if let Key::Str(tag, s) = key {
            if self
                .strings
                .add(tag as u8, &s, slot, &mut |p| o.add(p, slot))
                .is_none()
            {
                self.keys -= 1;
            } else if tag == StrTag::DomainSuffix {
                self.suffix_keys += 1;
            }
            return;
        }
        let mut t = FixedTables {
            hashes: &mut self.hashes,
            ipv4: &mut self.ipv4,
            ipv6: &mut self.ipv6,
            cidr4: &mut self.cidr4,
            cidr4_lens: &mut self.cidr4_lens,
            cidr6: &mut self.cidr6,
            cidr6_lens: &mut self.cidr6_lens,
            macs: &mut self.macs,
            asns: &mut self.asns,
        };
        t.add(&key, slot, &mut |p| o.add(p, slot));
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
    if let Some(keys) = crate::compile::quick_keys(&ind.pattern, ind.match_subdomains()) {
        return Prepared::Plan(Box::new(Planned {
            keys,
            decided: true,
            keyed: true,
            pattern: None,
        }));
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

fn clamp(n: i128) -> i64 {
    i64::try_from(n).unwrap_or(if n < 0 { i64::MIN } else { i64::MAX })
}

#[cfg(test)]
mod tests;
