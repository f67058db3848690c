//! Compact tables: posting lists packed into one `u32` (one indicator inline, more in an
//! overflow list), and a string table whose keys live in one arena (10 bytes per entry).

use std::hash::{BuildHasher, Hasher};

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

/// The hash a tagged string is placed by (see [`StrTable::get_hashed`]).
#[inline]
pub(crate) fn hash(tag: u8, s: &[u8]) -> u64 {
    let mut h = HASHER.build_hasher();
    h.write_u8(tag);
    h.write(s);
    h.finish()
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
