//! Compact tables: posting lists packed into one `u32` (one indicator inline, more in an
//! overflow list), and a string table whose keys live in one arena (10 bytes per entry).

use foldhash::fast::FixedState;

use super::flat::RawFlat;

/// The hasher of every table (fixed seed: tables may be cloned and compared).
pub(crate) const HASHER: FixedState = FixedState::with_seed(0x636f_6e63_6f72_0064);

/// A posting: the slot of one indicator, or (high bit set) an index into [`Overflow`].
pub(crate) type Posting = u32;

const MANY: u32 = 1 << 31;

/// Posting lists of values shared by more than one indicator.
#[derive(Debug, Clone, Default)]
pub(crate) struct Overflow(Vec<Vec<u32>>);

impl Overflow {
    /// Adds `slot` to the posting `p`.
    pub(crate) fn add(&mut self, p: &mut Posting, slot: u32) {
        if *p & MANY != 0 {
            let list = &mut self.0[(*p & !MANY) as usize];
            if !list.contains(&slot) {
                list.push(slot);
            }
        } else if *p != slot {
            // Below `MANY - 1`: the posting `u32::MAX` marks an empty position of a
            // `SmallTable`.
            let at = u32::try_from(self.0.len()).map_or(MANY - 2, |n| n.min(MANY - 2));
            self.0.push(vec![*p, slot]);
            *p = at | MANY;
        }
    }

    /// Calls `f` with every slot of the posting.
    #[inline]
    pub(crate) fn each(&self, p: Posting, f: &mut impl FnMut(u32)) {
        if p & MANY == 0 {
            f(p);
        } else if let Some(list) = self.0.get((p & !MANY) as usize) {
            list.iter().for_each(|&s| f(s));
        }
    }

    /// Heap bytes held.
    pub(crate) fn bytes(&self) -> usize {
        self.0.capacity() * 24 + self.0.iter().map(|v| v.capacity() * 4).sum::<usize>()
    }
}

/// Strings with a one-byte tag, stored once in an arena: `[len: u16 LE][tag][bytes]`,
/// found through a [`RawFlat`] of (arena offset, posting).
#[derive(Debug, Clone, Default)]
pub(crate) struct StrTable {
    arena: Vec<u8>,
    table: RawFlat<(u32, Posting)>,
}

/// The hash a tagged string is placed by (see [`StrTable::get_hashed`]): [`fold_hash`] of
/// its bytes, seeded by the tag.
#[inline]
pub(crate) fn hash(tag: u8, s: &[u8]) -> u64 {
    fold_hash(u64::from(tag), s, 0)
}

/// Digits of pi: odd, with bits spread over the whole word.
const K: [u64; 4] = [
    0x243f_6a88_85a3_08d3,
    0x1319_8a2e_0370_7345,
    0xa409_3822_299f_31d1,
    0x082e_fa98_ec4e_6c89,
];

/// The product of `x` and `y` in 128 bits, its two halves xored: the mixing step of
/// foldhash and wyhash.
#[inline(always)]
fn fold(x: u64, y: u64) -> u64 {
    let f = u128::from(x) * u128::from(y);
    #[allow(clippy::cast_possible_truncation)] // the two halves
    let (lo, hi) = (f as u64, (f >> 64) as u64);
    lo ^ hi
}

/// The little-endian word of the `N` bytes of `b` from `at` (which are there).
#[inline(always)]
fn load<const N: usize>(b: &[u8], at: usize) -> u64 {
    let mut w = [0u8; 8];
    w[..N].copy_from_slice(&b[at..at + N]);
    u64::from_le_bytes(w)
}

/// A 64-bit hash of `b` (every byte or'ed with `or`, one value repeated in each byte:
/// `0x2020...` reads hex letters of either case alike) with `seed`, for the value tables:
/// the state started from the seed and the length by [`fold`], 8-byte words read in place
/// and folded in two at a time, the last ones read overlapping the end (the length in the
/// state tells such strings apart), and a last fold so that the low bits (a table
/// position) and the top 16 (a fingerprint) both depend on every byte. Done in registers:
/// about 25 instructions for a 64-digit SHA-256 or a 30-byte domain, where foldhash
/// through the `Hasher` interface took about 45 (a call for anything over 16 bytes, and
/// for digests a lower-cased copy first). The seed is fixed, as the tables' hasher's is:
/// the tables are not hardened against keys chosen to collide, only spread. Always
/// inlined: a digest's length is then known where it is hashed, and the loop unrolled.
#[inline(always)]
pub(crate) fn fold_hash(seed: u64, b: &[u8], or: u64) -> u64 {
    let len = b.len();
    // The length folded in, not xored: xored, it would cancel against the bytes of the
    // first word ("x" and "{x" collided so).
    let mut h = fold(K[0] ^ seed, K[1] ^ len as u64);
    let (x, y) = match len {
        0 => (0, 0),
        1..=3 => (
            u64::from(b[0]) | u64::from(b[len / 2]) << 8 | u64::from(b[len - 1]) << 16,
            0,
        ),
        4..=7 => (load::<4>(b, 0), load::<4>(b, len - 4)),
        8..=16 => (load::<8>(b, 0), load::<8>(b, len - 8)),
        _ => {
            let mut pairs = b[..len - 1].chunks_exact(16);
            for p in &mut pairs {
                h = fold((load::<8>(p, 0) | or) ^ h, (load::<8>(p, 8) | or) ^ K[1]);
            }
            (load::<8>(b, len - 16), load::<8>(b, len - 8))
        }
    };
    h = fold((x | or) ^ h, (y | or) ^ K[2]);
    fold(h ^ K[3], K[1])
}

impl StrTable {
    fn entry(arena: &[u8], off: u32) -> (u8, &[u8]) {
        let off = off as usize;
        let len = usize::from(u16::from_le_bytes([arena[off], arena[off + 1]]));
        (arena[off + 2], &arena[off + 3..off + 3 + len])
    }

    /// Adds `slot` under (`tag`, `s`): `Some(true)` if the string is new, `Some(false)` if
    /// it was present (then `dup` is given its posting), `None` if the string is too long
    /// to index (64 KiB) or the arena is full (4 GiB).
    pub(crate) fn add(
        &mut self,
        tag: u8,
        s: &str,
        slot: u32,
        dup: &mut dyn FnMut(&mut Posting),
    ) -> Option<bool> {
        let (Ok(len), Ok(off)) = (u16::try_from(s.len()), u32::try_from(self.arena.len())) else {
            return None;
        };
        let h = hash(tag, s.as_bytes());
        let arena = &self.arena;
        let found = self
            .table
            .find_mut(h, |&(o, _)| Self::entry(arena, o) == (tag, s.as_bytes()));
        if let Some((_, p)) = found {
            dup(p);
            return Some(false);
        }
        self.arena.extend_from_slice(&len.to_le_bytes());
        self.arena.push(tag);
        self.arena.extend_from_slice(s.as_bytes());
        let arena = &self.arena;
        self.table.insert_new(h, (off, slot), (0, 0), |&(o, _)| {
            let (t, b) = Self::entry(arena, o);
            hash(t, b)
        });
        Some(true)
    }

    /// The posting of (`tag`, `s`).
    #[inline]
    pub(crate) fn get(&self, tag: u8, s: &str) -> Option<Posting> {
        self.get_hashed(hash(tag, s.as_bytes()), tag, s)
    }

    /// The posting of (`tag`, `s`), whose [`hash`] is `h`.
    #[inline]
    pub(crate) fn get_hashed(&self, h: u64, tag: u8, s: &str) -> Option<Posting> {
        let arena = &self.arena;
        self.table
            .find(h, |&(o, _)| Self::entry(arena, o) == (tag, s.as_bytes()))
            .map(|&(_, p)| p)
    }

    /// See [`RawFlat::prefetch`]; `h` is the string's [`hash`]. The arena bytes a hit
    /// compares are read on demand.
    #[inline]
    pub(crate) fn prefetch_hashed(&self, h: u64) {
        self.table.prefetch(h);
    }

    /// Heap bytes held.
    pub(crate) fn bytes(&self) -> usize {
        self.arena.capacity() + self.table.bytes()
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    /// Strings of every length up to 70 bytes that differ in one byte, at their start,
    /// middle or end, each under two tags: no two distinct ones share a hash, and they
    /// spread over positions (low bits) and fingerprints (top 16). Before the length was
    /// folded into the start, `x` and `{x` shared one.
    #[test]
    fn strings_are_placed_by_every_byte_and_the_tag() {
        let mut inputs = HashSet::new();
        for len in 1..=70usize {
            for at in [0, len / 2, len - 1] {
                for c in 0..=255u8 {
                    let mut s = vec![b'x'; len];
                    s[at] = c;
                    inputs.insert((0, s.clone()));
                    inputs.insert((1, s));
                }
            }
        }
        let (mut fps, mut low, mut all) = (HashSet::new(), HashSet::new(), HashSet::new());
        for (tag, s) in &inputs {
            let h = hash(*tag, s);
            fps.insert(h >> 48);
            low.insert(h & 0xffff);
            all.insert(h);
        }
        assert_eq!(all.len(), inputs.len());
        // About 105,700 drawn from 65,536 values: about 52,000 distinct by chance.
        assert!(
            fps.len() > 50_000 && low.len() > 50_000,
            "{} {}",
            fps.len(),
            low.len()
        );
        // The 0x20 bit: with `or` set, case does not count; without, it does.
        let or = 0x2020_2020_2020_2020;
        assert_eq!(
            fold_hash(0, b"ABCDEF0123", or),
            fold_hash(0, b"abcdef0123", or)
        );
        assert_ne!(hash(0, b"ABCDEF0123"), hash(0, b"abcdef0123"));
        assert_ne!(hash(0, b""), hash(1, b""));
    }
}
