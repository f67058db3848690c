//! Interned indicator ids: one `u32` slot per indicator, with its id (16 bytes for the
//! usual `indicator--<uuid>`), `valid_until` and flags.

use std::collections::HashMap;
use std::hash::BuildHasher;

use foldhash::fast::FixedState;
use hashbrown::HashTable;
use uuid::Uuid;

use super::table::HASHER;

const ALIVE: u8 = 1;
const EVAL: u8 = 2;
const OTHER: u8 = 4;

/// The slots.
#[derive(Clone, Default)]
pub(crate) struct Slots {
    /// The UUID of `indicator--<uuid>`, or a hash of an id of another shape.
    uuid: Vec<u128>,
    until: Vec<i64>,
    flags: Vec<u8>,
    other: HashMap<u32, Box<str>, FixedState>,
    by_id: HashTable<u32>,
    live: usize,
}

fn parse(id: &str) -> Option<u128> {
    let u = Uuid::try_parse(id.strip_prefix("indicator--")?).ok()?;
    // Only the canonical spelling round-trips; others are kept as text.
    let mut buf = [0u8; uuid::fmt::Hyphenated::LENGTH];
    (*u.hyphenated().encode_lower(&mut buf) == id["indicator--".len()..]).then_some(u.as_u128())
}

impl Slots {
    fn key(id: &str) -> (u128, bool) {
        match parse(id) {
            Some(u) => (u, false),
            None => (u128::from(HASHER.hash_one(id)), true),
        }
    }

    fn same(&self, slot: u32, u: u128, other: bool, id: &str) -> bool {
        let s = slot as usize;
        self.uuid[s] == u
            && (self.flags[s] & OTHER != 0) == other
            && (!other || self.other.get(&slot).is_some_and(|t| &**t == id))
    }

    /// Room for `n` more slots.
    pub(crate) fn reserve(&mut self, n: usize) {
        self.uuid.reserve(n);
        self.until.reserve(n);
        self.flags.reserve(n);
        let uuid = &self.uuid;
        self.by_id
            .reserve(n, |&s| HASHER.hash_one(uuid[s as usize]));
    }

    /// A new live slot for `id`; the live slot that had this id, if any, is marked dead
    /// and returned (one parse of the id and one probe of the id table for both).
    pub(crate) fn replace(&mut self, id: &str, until: i64, eval: bool) -> (u32, Option<u32>) {
        let slot = u32::try_from(self.uuid.len()).unwrap_or(u32::MAX >> 1);
        let (u, other) = Self::key(id);
        let Slots {
            uuid,
            until: untils,
            flags,
            other: others,
            by_id,
            live,
        } = self;
        let same = |s: u32| {
            let s = s as usize;
            uuid[s] == u
                && (flags[s] & OTHER != 0) == other
                && (!other || others.get(&(s as u32)).is_some_and(|t| &**t == id))
        };
        let old = match by_id.entry(
            HASHER.hash_one(u),
            |&s| same(s),
            |&s| HASHER.hash_one(uuid[s as usize]),
        ) {
            hashbrown::hash_table::Entry::Occupied(mut e) => {
                Some(std::mem::replace(e.get_mut(), slot))
            }
            hashbrown::hash_table::Entry::Vacant(e) => {
                e.insert(slot);
                None
            }
        };
        if let Some(o) = old {
            flags[o as usize] &= !ALIVE;
            *live -= 1;
        }
        uuid.push(u);
        untils.push(until);
        let mut f = ALIVE;
        if eval {
            f |= EVAL;
        }
        if other {
            f |= OTHER;
            others.insert(slot, id.into());
        }
        flags.push(f);
        *live += 1;
        (slot, old)
    }

    /// The live slot of `id`.
    pub(crate) fn find(&self, id: &str) -> Option<u32> {
        let (u, other) = Self::key(id);
        self.by_id
            .find(HASHER.hash_one(u), |&s| self.same(s, u, other, id))
            .copied()
    }

    /// Marks the slot dead and forgets its id.
    pub(crate) fn kill(&mut self, slot: u32) {
        let s = slot as usize;
        if self.flags.get(s).is_none_or(|f| f & ALIVE == 0) {
            return;
        }
        self.flags[s] &= !ALIVE;
        self.live -= 1;
        let h = HASHER.hash_one(self.uuid[s]);
        if let Ok(e) = self.by_id.find_entry(h, |&x| x == slot) {
            e.remove();
        }
    }

    /// Live slots whose `valid_until` is at or before `now`.
    pub(crate) fn expired(&self, now: i64) -> Vec<u32> {
        (0..self.until.len())
            .filter(|&s| self.flags[s] & ALIVE != 0 && self.until[s] <= now)
            .filter_map(|s| u32::try_from(s).ok())
            .collect()
    }

    /// The earliest `valid_until` of a live slot that has one (nanoseconds).
    pub(crate) fn next_expiry(&self) -> Option<i64> {
        (0..self.until.len())
            .filter(|&s| self.flags[s] & ALIVE != 0 && self.until[s] != i64::MAX)
            .map(|s| self.until[s])
            .min()
    }

    /// Whether every slot is live (no removal since the build): then [`Slots::alive`]
    /// holds for every stored posting and lookups need not read the flags.
    #[inline]
    pub(crate) fn all_alive(&self) -> bool {
        self.live == self.flags.len()
    }

    #[inline]
    pub(crate) fn alive(&self, slot: u32) -> bool {
        self.flags
            .get(slot as usize)
            .is_some_and(|f| f & ALIVE != 0)
    }

    pub(crate) fn needs_eval(&self, slot: u32) -> bool {
        self.flags
            .get(slot as usize)
            .is_some_and(|f| f & (ALIVE | EVAL) == ALIVE | EVAL)
    }

    /// The id text.
    pub(crate) fn id(&self, slot: u32) -> String {
        match self.other.get(&slot) {
            Some(t) => t.to_string(),
            None => {
                let u = Uuid::from_u128(self.uuid.get(slot as usize).copied().unwrap_or(0));
                let mut buf = [0u8; uuid::fmt::Hyphenated::LENGTH];
                let mut id = String::with_capacity(11 + buf.len());
                id.push_str("indicator--");
                id.push_str(u.hyphenated().encode_lower(&mut buf));
                id
            }
        }
    }

    pub(crate) fn live(&self) -> usize {
        self.live
    }

    pub(crate) fn len(&self) -> usize {
        self.uuid.len()
    }

    pub(crate) fn bytes(&self) -> usize {
        self.uuid.capacity() * 16
            + self.until.capacity() * 8
            + self.flags.capacity()
            + self.by_id.capacity() * 5
            + self.other.values().map(|t| t.len() + 40).sum::<usize>()
    }
}
