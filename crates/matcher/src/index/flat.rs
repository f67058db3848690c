//! An open-addressing table for fixed-size keys (digests, addresses, MAC addresses, AS
//! numbers): 16-bit fingerprints probed linearly in their own array, so a lookup that
//! misses reads one cache line, and the `(key, posting)` entries beside them, read only
//! on a fingerprint match. Its point over a general hash map is [`RawFlat::prefetch`]: the
//! position of a key is known before probing, so a batch of lookups first starts every
//! load and then probes, and the cache misses of the batch overlap instead of following
//! one another.
//!
//! Digests are placed by the hash of their lower-case hex text (`digest_place`, every digit
//! counts): a lookup hashes the text it holds and decodes it only where a fingerprint
//! matches (property test `digest_lookups_hit_exactly_the_equal_bytes`).

use std::hash::{BuildHasher, Hash};

use prefetch_index::prefetch_index;

use super::table::{HASHER, Posting, fold_hash};

/// A fixed-size key: a value to fill empty positions with, and the hash it is placed by.
pub(crate) trait FlatKey: Copy + Eq + Hash {
    const ZERO: Self;

    /// The 64-bit hash the key is placed by (low bits: position, top 16: fingerprint).
    #[inline]
    fn place(&self) -> u64 {
        HASHER.hash_one(self)
    }
}

impl FlatKey for u32 {
    const ZERO: Self = 0;
}

impl FlatKey for u64 {
    const ZERO: Self = 0;
}

impl FlatKey for u128 {
    const ZERO: Self = 0;
}

impl FlatKey for (u128, u8) {
    const ZERO: Self = (0, 0);
}

/// A MAC address.
impl FlatKey for [u8; 6] {
    const ZERO: Self = [0; 6];
}

/// Digests (MD5, SHA-1, SHA-256, SHA-512) are placed by the hash of their lower-case hex
/// text (see [`digest_place`]).
macro_rules! digest_key {
    ($($n:literal),*) => {$(
        impl FlatKey for [u8; $n] {
            const ZERO: Self = [0; $n];

            #[inline]
            fn place(&self) -> u64 {
                const DIGITS: &[u8; 16] = b"0123456789abcdef";
                let mut hex = [0u8; 2 * $n];
                for (pair, b) in hex.chunks_exact_mut(2).zip(self) {
                    pair[0] = DIGITS[usize::from(b >> 4)];
                    pair[1] = DIGITS[usize::from(b & 15)];
                }
                digest_place(&hex)
            }
        }
    )*};
}

digest_key!(16, 20, 32, 64);

/// The hash a digest given as hex text (of either case) is placed by: [`fold_hash`] of its
/// bytes with their `0x20` bit set (a hex letter lower-cased, a digit as it is). So a
/// lookup hashes the text it holds and decodes it only where a stored fingerprint matches
/// (see [`FlatTable::find_by`]); and every digit counts, so indicators sharing a prefix
/// (placeholders such as `00000000...`, or values chosen to collide) do not pile up on one
/// position.
#[inline]
pub(crate) fn digest_place(hex: &[u8]) -> u64 {
    fold_hash(0, hex, 0x2020_2020_2020_2020)
}

/// (first position, fingerprint) of a hash: the low bits place, the top 16 bits tell
/// entries apart.
#[inline]
fn split(h: u64, mask: usize) -> (usize, u16) {
    #[allow(clippy::cast_possible_truncation)] // the low bits are the position
    let pos = h as usize & mask;
    #[allow(clippy::cast_possible_truncation)] // the top 16 bits
    let fp = (h >> 48) as u16;
    (pos, fp.max(1))
}

/// The open-addressing core: fingerprints and entries at the same positions, found by a
/// 64-bit hash and an equality test given by the caller (keys may live elsewhere, as the
/// strings of [`super::table::StrTable`] do).
#[derive(Debug, Clone)]
pub(crate) struct RawFlat<E> {
    /// 0 for an empty position, else the fingerprint of the entry there (never 0).
    fps: Vec<u16>,
    entries: Vec<E>,
    len: usize,
}

impl<E> Default for RawFlat<E> {
    fn default() -> Self {
        RawFlat {
            fps: Vec::new(),
            entries: Vec::new(),
            len: 0,
        }
    }
}

impl<E: Copy> RawFlat<E> {
    #[inline]
    fn mask(&self) -> usize {
        self.fps.len().wrapping_sub(1)
    }

    /// The position of the entry with hash `h` for which `eq` holds.
    #[inline]
    fn position(&self, h: u64, eq: impl Fn(&E) -> bool) -> Option<usize> {
        if self.len == 0 {
            return None;
        }
        let mask = self.mask();
        let (mut i, fp) = split(h, mask);
        loop {
            match self.fps[i] {
                0 => return None,
                f if f == fp && eq(&self.entries[i]) => return Some(i),
                _ => i = (i + 1) & mask,
            }
        }
    }

    /// The entry with hash `h` for which `eq` holds.
    #[inline]
    pub(crate) fn find(&self, h: u64, eq: impl Fn(&E) -> bool) -> Option<&E> {
        self.position(h, eq).map(|i| &self.entries[i])
    }

    /// [`RawFlat::find`], mutable.
    pub(crate) fn find_mut(&mut self, h: u64, eq: impl Fn(&E) -> bool) -> Option<&mut E> {
        self.position(h, eq).map(|i| &mut self.entries[i])
    }

    /// Inserts `e` (hash `h`), which is not present; `rehash` gives an entry's hash when
    /// the table grows, `empty` fills new positions.
    pub(crate) fn insert_new(
        &mut self,
        h: u64,
        e: E,
        empty: E,
        rehash: impl Fn(&E) -> u64,
    ) -> &mut E {
        // Grow at 80 % load: linear probing stays short below that.
        if (self.len + 1) * 5 > self.fps.len() * 4 {
            self.grow(empty, &rehash);
        }
        let mask = self.mask();
        let (mut i, fp) = split(h, mask);
        while self.fps[i] != 0 {
            i = (i + 1) & mask;
        }
        self.fps[i] = fp;
        self.entries[i] = e;
        self.len += 1;
        &mut self.entries[i]
    }

    fn grow(&mut self, empty: E, rehash: &impl Fn(&E) -> u64) {
        let cap = (self.fps.len() * 2).max(16);
        let fps = std::mem::replace(&mut self.fps, vec![0; cap]);
        let entries = std::mem::replace(&mut self.entries, vec![empty; cap]);
        let mask = cap - 1;
        for (f, e) in fps.into_iter().zip(entries) {
            if f == 0 {
                continue;
            }
            let (mut i, fp) = split(rehash(&e), mask);
            while self.fps[i] != 0 {
                i = (i + 1) & mask;
            }
            self.fps[i] = fp;
            self.entries[i] = e;
        }
    }

    /// Starts loading the fingerprint and the entry a lookup of hash `h` reads first,
    /// without waiting for them: prefetches retire at once, so the loads of a whole
    /// batch of keys are under way together before the first probe.
    #[inline]
    pub(crate) fn prefetch(&self, h: u64) {
        if self.len == 0 {
            return;
        }
        let (i, _) = split(h, self.mask());
        prefetch_index(&self.fps, i);
        prefetch_index(&self.entries, i);
    }

    /// Entries stored.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Heap bytes held.
    pub(crate) fn bytes(&self) -> usize {
        self.fps.capacity() * 2 + self.entries.capacity() * std::mem::size_of::<E>()
    }
}

/// A table from a fixed-size key `K` to a posting.
#[derive(Debug, Clone)]
pub(crate) struct FlatTable<K>(RawFlat<(K, Posting)>);

impl<K> Default for FlatTable<K> {
    fn default() -> Self {
        FlatTable(RawFlat::default())
    }
}

impl<K: FlatKey> FlatTable<K> {
    /// The hash a key is placed by: computed once per lookup and handed to
    /// [`FlatTable::prefetch_hashed`] and [`FlatTable::get_hashed`].
    #[inline]
    pub(crate) fn hash(k: &K) -> u64 {
        k.place()
    }

    /// The posting of `k`, inserting `init` if it is absent; returns (posting, was new).
    pub(crate) fn entry(&mut self, k: K, init: Posting) -> (&mut Posting, bool) {
        let h = Self::hash(&k);
        if let Some(i) = self.0.position(h, |e| e.0 == k) {
            return (&mut self.0.entries[i].1, false);
        }
        let e = self
            .0
            .insert_new(h, (k, init), (K::ZERO, 0), |e| Self::hash(&e.0));
        (&mut e.1, true)
    }

    /// The posting of `k`.
    #[inline]
    pub(crate) fn get(&self, k: &K) -> Option<Posting> {
        self.get_hashed(Self::hash(k), k)
    }

    /// The posting of `k`, whose [`FlatTable::hash`] is `h`.
    #[inline]
    pub(crate) fn get_hashed(&self, h: u64, k: &K) -> Option<Posting> {
        self.0.find(h, |e| e.0 == *k).map(|e| e.1)
    }

    /// The posting of the key whose [`FlatTable::hash`] is `h` and for which `eq` holds:
    /// for a key held in another form (a digest in hex), compared only where a stored
    /// fingerprint matches.
    #[inline]
    pub(crate) fn find_by(&self, h: u64, eq: impl Fn(&K) -> bool) -> Option<Posting> {
        self.0.find(h, |e| eq(&e.0)).map(|e| e.1)
    }

    /// [`RawFlat::prefetch`] of a key whose [`FlatTable::hash`] is `h`.
    #[inline]
    pub(crate) fn prefetch_hashed(&self, h: u64) {
        self.0.prefetch(h);
    }

    /// Keys stored.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.0.len()
    }

    /// Heap bytes held.
    pub(crate) fn bytes(&self) -> usize {
        self.0.bytes()
    }
}

/// What [`FlatTable`] and [`SmallTable`] share for building: the posting of a key,
/// inserted if absent.
pub(crate) trait KeyTable<K> {
    /// The posting of `k`, inserting `init` if it is absent; returns (posting, was new).
    fn entry(&mut self, k: K, init: Posting) -> (&mut Posting, bool);
}

impl<K: FlatKey> KeyTable<K> for FlatTable<K> {
    fn entry(&mut self, k: K, init: Posting) -> (&mut Posting, bool) {
        FlatTable::entry(self, k, init)
    }
}

/// The posting of an empty position of a [`SmallTable`]: no posting is this (slots and
/// overflow lists stop short of it, see [`super::table::Overflow`]).
const EMPTY: Posting = u32::MAX;

/// An open-addressing table for keys of at most eight bytes (IPv4 addresses and blocks,
/// MAC addresses, AS numbers): the `(key, posting)` entries alone, keys compared in place, an empty
/// position marked by [`EMPTY`]. A lookup reads one cache line (two where its probe runs
/// over a line's end) where [`FlatTable`] reads two (fingerprints, then entries). It grows
/// at half load, so that probes stay short without fingerprints: 16 to 32 bytes a key for
/// an IPv4 address, where a [`FlatTable`] takes 12.5 to 25 (10 a position, growing at 80 %).
#[derive(Debug, Clone, Default)]
pub(crate) struct SmallTable<K> {
    entries: Vec<(K, Posting)>,
    len: usize,
}

impl<K: FlatKey> SmallTable<K> {
    #[inline]
    fn mask(&self) -> usize {
        self.entries.len().wrapping_sub(1)
    }

    /// The first position of hash `h`.
    #[inline]
    fn start(&self, h: u64) -> usize {
        split(h, self.mask()).0
    }

    /// The hash a key is placed by (see [`FlatTable::hash`]).
    #[inline]
    pub(crate) fn hash(k: &K) -> u64 {
        k.place()
    }

    /// The position holding `k`, or the empty position where it would go.
    #[inline]
    fn slot(&self, h: u64, k: &K) -> usize {
        let mask = self.mask();
        let mut i = self.start(h);
        loop {
            let (key, p) = &self.entries[i];
            if *p == EMPTY || key == k {
                return i;
            }
            i = (i + 1) & mask;
        }
    }

    /// The posting of `k`, inserting `init` (never [`EMPTY`]) if it is absent; returns
    /// (posting, was new).
    pub(crate) fn entry(&mut self, k: K, init: Posting) -> (&mut Posting, bool) {
        // Grow at half load.
        if (self.len + 1) * 2 > self.entries.len() {
            self.grow();
        }
        let i = self.slot(Self::hash(&k), &k);
        let e = &mut self.entries[i];
        if e.1 != EMPTY {
            return (&mut e.1, false);
        }
        *e = (k, init);
        self.len += 1;
        (&mut e.1, true)
    }

    fn grow(&mut self) {
        let cap = (self.entries.len() * 2).max(16);
        let old = std::mem::replace(&mut self.entries, vec![(K::ZERO, EMPTY); cap]);
        for (k, p) in old {
            if p != EMPTY {
                let i = self.slot(Self::hash(&k), &k);
                self.entries[i] = (k, p);
            }
        }
    }

    /// The posting of `k`.
    #[inline]
    pub(crate) fn get(&self, k: &K) -> Option<Posting> {
        self.get_hashed(Self::hash(k), k)
    }

    /// The posting of `k`, whose [`SmallTable::hash`] is `h`.
    #[inline]
    pub(crate) fn get_hashed(&self, h: u64, k: &K) -> Option<Posting> {
        if self.len == 0 {
            return None;
        }
        let p = self.entries[self.slot(h, k)].1;
        (p != EMPTY).then_some(p)
    }

    /// Starts loading the entry a lookup of `k` reads first (see [`RawFlat::prefetch`]).
    #[inline]
    pub(crate) fn prefetch(&self, k: &K) {
        self.prefetch_hashed(Self::hash(k));
    }

    /// [`SmallTable::prefetch`] of a key whose [`SmallTable::hash`] is `h`.
    #[inline]
    pub(crate) fn prefetch_hashed(&self, h: u64) {
        if self.len != 0 {
            prefetch_index(&self.entries, self.start(h));
        }
    }

    /// Keys stored.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Heap bytes held.
    pub(crate) fn bytes(&self) -> usize {
        self.entries.capacity() * std::mem::size_of::<(K, Posting)>()
    }
}

impl<K: FlatKey> KeyTable<K> for SmallTable<K> {
    fn entry(&mut self, k: K, init: Posting) -> (&mut Posting, bool) {
        SmallTable::entry(self, k, init)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    /// Inserts 10,000 keys into `t`, finds them, misses others, updates one; `at_least`
    /// bytes are held after. `get`, `len`, `bytes`: the table's own.
    fn inserts_finds_and_grows<T: KeyTable<u64>>(
        mut t: T,
        get: impl Fn(&T, u64) -> Option<Posting>,
        len: impl Fn(&T) -> usize,
        bytes: impl Fn(&T) -> usize,
        at_least: usize,
    ) {
        assert_eq!(get(&t, 7), None);
        // Zero is a key like any other.
        let key = |k: u64| k.wrapping_mul(0x9e37_79b9_7f4a_7c15);
        for k in 0..10_000u32 {
            let (p, new) = t.entry(key(k.into()), k);
            assert!(new);
            assert_eq!(*p, k);
        }
        assert_eq!(len(&t), 10_000);
        for k in 0..10_000u32 {
            assert_eq!(get(&t, key(k.into())), Some(k));
        }
        assert_eq!(get(&t, 1), None);
        let (p, new) = t.entry(0, 99);
        assert!(!new);
        *p = 5;
        assert_eq!(get(&t, 0), Some(5));
        assert!(bytes(&t) >= at_least, "{}", bytes(&t));
    }

    #[test]
    fn flat_table_inserts_finds_and_grows() {
        let t = FlatTable::<u64>::default();
        inserts_finds_and_grows(
            t,
            |t, k| t.get(&k),
            FlatTable::len,
            FlatTable::bytes,
            10_000 * 10,
        );
    }

    /// Digests that differ in four bytes anywhere (the rest zero: placeholders) are placed
    /// apart, by position (low bits) and by fingerprint (top 16); a digest and its hex
    /// text (either case) are placed alike.
    #[test]
    fn digests_are_placed_by_every_digit() {
        fn check<const N: usize>(at: usize)
        where
            [u8; N]: FlatKey,
        {
            let (mut fps, mut low) = (HashSet::new(), HashSet::new());
            for k in 0..10_000u32 {
                let mut d = [0u8; N];
                d[at..at + 4].copy_from_slice(&k.to_be_bytes());
                let place = d.place();
                fps.insert(place >> 48);
                low.insert(place & 0xffff);
                let hex: String = d.iter().map(|b| format!("{b:02X}")).collect();
                assert_eq!(digest_place(hex.as_bytes()), place);
                assert_eq!(digest_place(hex.to_lowercase().as_bytes()), place);
            }
            // 10,000 drawn from 65,536: about 700 collide by chance.
            assert!(
                fps.len() > 9_000,
                "{N} bytes, at {at}: {} fingerprints",
                fps.len()
            );
            assert!(
                low.len() > 9_000,
                "{N} bytes, at {at}: {} positions",
                low.len()
            );
        }
        for at in [0, 12] {
            check::<16>(at);
        }
        for at in [0, 7, 16] {
            check::<20>(at);
        }
        for at in [0, 14, 28] {
            check::<32>(at);
        }
        for at in [0, 30, 60] {
            check::<64>(at);
        }
    }

    #[test]
    fn small_table_inserts_finds_and_grows() {
        // Half load at most: two positions of 16 bytes a key.
        let t = SmallTable::<u64>::default();
        inserts_finds_and_grows(
            t,
            |t, k| t.get(&k),
            SmallTable::len,
            SmallTable::bytes,
            2 * 10_000 * 16,
        );
    }
}
