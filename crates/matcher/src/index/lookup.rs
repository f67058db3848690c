//! Lookups: the keys of an observable found in the tables, each lookup's first memory
//! prefetched before it probes ([`Index::prefetch`], then [`Index::probe`]).

use std::net::IpAddr;

use super::flat::{FlatKey, digest_place};
use super::keys::{self, LookupKey, StrTag};
use super::table::{self, Posting};
use super::{Index, Map, Small, lengths, lengths6, net4, net6};
use crate::normalize;
use crate::observation::{Kind, Observable};

impl Index {
    /// Calls `f` with every live slot that one of the observable's keys hits.
    pub fn lookup_slots(&self, ob: &Observable, f: &mut impl FnMut(u32)) {
        if let Some(key) = keys::lookup_key(ob.kind, &ob.value) {
            self.probe(Hashed::new(key), f);
        }
    }

    /// The lookup key of an observable `value` of `kind` with its hash, its first table
    /// reads prefetched: [`keys::lookup_key`], [`Hashed::new`] and [`Index::prefetch`]
    /// in one, with one dispatch on the kind for the commonest ones (a digest of a file,
    /// an IPv4 address, a string key) where the three would dispatch three times.
    #[inline]
    pub(crate) fn prepare<'a>(&self, kind: Kind, value: &'a str) -> Option<Hashed<'a>> {
        fn digest<'a, const N: usize>(t: &Map<[u8; N]>, value: &'a str) -> Option<Hashed<'a>>
        where
            [u8; N]: FlatKey,
        {
            if value.len() != 2 * N {
                return None;
            }
            let hash = digest_place(value.as_bytes());
            t.prefetch_hashed(hash);
            Some(Hashed {
                key: LookupKey::Hash(0, value),
                hash,
            })
        }
        let string = |tag: StrTag| {
            let hash = table::hash(tag as u8, value.as_bytes());
            self.strings.prefetch_hashed(hash);
            Some(Hashed {
                key: LookupKey::Str(tag, value),
                hash,
            })
        };
        let files = &self.hashes[0];
        match kind {
            Kind::Md5 => digest(&files.md5, value),
            Kind::Sha1 => digest(&files.sha1, value),
            Kind::Sha256 => digest(&files.sha256, value),
            Kind::Sha512 => digest(&files.sha512, value),
            Kind::Ipv4 if let Some(v4) = normalize::ipv4(value) => {
                let bits = u32::from(v4);
                let hash = Small::<u32>::hash(&bits);
                self.prefetch_ipv4(bits, hash);
                Some(Hashed {
                    key: LookupKey::Ip(IpAddr::V4(v4)),
                    hash,
                })
            }
            Kind::Domain => string(StrTag::Domain),
            Kind::Url => string(StrTag::Url),
            Kind::Email => string(StrTag::Email),
            Kind::FileName => string(StrTag::FileName),
            _ => {
                let key = Hashed::new(keys::lookup_key(kind, value)?);
                self.prefetch(&key);
                Some(key)
            }
        }
    }

    /// Starts loading the memory that [`Index::probe`] of `key` reads first (see
    /// [`super::flat::RawFlat::prefetch`]), so that the cache misses of several keys prefetched in
    /// a row overlap. The key's hash is already computed: a prefetch is an address
    /// computation and one or two prefetch instructions.
    #[inline]
    pub(crate) fn prefetch(&self, key: &Hashed<'_>) {
        let h = key.hash;
        match key.key {
            LookupKey::Hash(family, hex) => {
                let t = &self.hashes[usize::from(family.min(1))];
                match hex.len() {
                    32 => t.md5.prefetch_hashed(h),
                    40 => t.sha1.prefetch_hashed(h),
                    64 => t.sha256.prefetch_hashed(h),
                    _ => t.sha512.prefetch_hashed(h),
                }
            }
            LookupKey::Ip(IpAddr::V4(v)) => self.prefetch_ipv4(u32::from(v), h),
            LookupKey::Ip(IpAddr::V6(_)) => self.ipv6.prefetch_hashed(h),
            LookupKey::Mac(_) => self.macs.prefetch_hashed(h),
            LookupKey::Asn(_) => self.asns.prefetch_hashed(h),
            // The exact domain only: the parent walk reads on demand.
            LookupKey::Str(..) => self.strings.prefetch_hashed(h),
            LookupKey::Net(..) => {}
        }
    }

    /// [`Index::prefetch`] of an IPv4 address (`bits`, whose exact-table hash is `h`): the
    /// exact table and each stored block length's table.
    #[inline]
    fn prefetch_ipv4(&self, bits: u32, h: u64) {
        self.ipv4.prefetch_hashed(h);
        for l in lengths(self.cidr4_lens, 32) {
            self.cidr4.prefetch(&net4(bits, l));
        }
    }

    /// Calls `f` with every live slot that `key` hits.
    #[inline]
    pub(crate) fn probe(&self, key: Hashed<'_>, f: &mut impl FnMut(u32)) {
        // Without dead slots (a fresh build), a hit reads no flags: one cache miss less.
        let all_alive = self.slots.all_alive();
        let mut emit = |p: Posting| {
            self.overflow.each(p, &mut |s| {
                if all_alive || self.slots.alive(s) {
                    f(s)
                }
            })
        };
        let h = key.hash;
        match key.key {
            LookupKey::Hash(family, hex) => {
                /// The posting of a digest given in hex, decoded only where a stored
                /// fingerprint matches.
                fn find<const N: usize>(t: &Map<[u8; N]>, h: u64, hex: &str) -> Option<Posting>
                where
                    [u8; N]: FlatKey,
                {
                    t.find_by(h, |k| normalize::hex_array::<N>(hex).as_ref() == Some(k))
                }
                let t = &self.hashes[usize::from(family.min(1))];
                let p = match hex.len() {
                    32 => find(&t.md5, h, hex),
                    40 => find(&t.sha1, h, hex),
                    64 => find(&t.sha256, h, hex),
                    128 => find(&t.sha512, h, hex),
                    _ => None,
                };
                p.map(&mut emit);
            }
            LookupKey::Ip(IpAddr::V4(v)) => {
                let bits = u32::from(v);
                self.ipv4.get_hashed(h, &bits).map(&mut emit);
                self.cover4(bits, 32, &mut emit);
            }
            LookupKey::Ip(IpAddr::V6(v)) => {
                let bits = u128::from(v);
                self.ipv6.get_hashed(h, &bits).map(&mut emit);
                self.cover6(bits, 128, &mut emit);
            }
            LookupKey::Net(IpAddr::V4(v), len) => {
                self.cover4(u32::from(v), u32::from(len), &mut emit);
            }
            LookupKey::Net(IpAddr::V6(v), len) => {
                self.cover6(u128::from(v), u32::from(len), &mut emit);
            }
            LookupKey::Str(StrTag::Domain, d) => {
                self.strings
                    .get_hashed(h, StrTag::Domain as u8, d)
                    .map(&mut emit);
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
                self.strings.get_hashed(h, tag as u8, s).map(&mut emit);
            }
            LookupKey::Mac(m) => {
                self.macs.get_hashed(h, &m).map(&mut emit);
            }
            LookupKey::Asn(n) => {
                self.asns.get_hashed(h, &n).map(&mut emit);
            }
        }
    }

    /// Every stored IPv4 block that contains the block `bits/len` (an address when 32).
    #[inline]
    fn cover4(&self, bits: u32, len: u32, emit: &mut impl FnMut(Posting)) {
        for l in lengths(self.cidr4_lens, len) {
            self.cidr4.get(&net4(bits, l)).map(&mut *emit);
        }
    }

    /// Every stored IPv6 block that contains the block `bits/len` (an address when 128).
    #[inline]
    fn cover6(&self, bits: u128, len: u32, emit: &mut impl FnMut(Posting)) {
        for l in lengths6(self.cidr6_lens, len) {
            self.cidr6.get(&net6(bits, l)).map(&mut *emit);
        }
    }
}

/// A lookup key with the hash of the table it is looked up in first (for an address,
/// the exact table; none for a block), computed once for [`Index::prefetch`] and
/// [`Index::probe`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Hashed<'a> {
    key: LookupKey<'a>,
    hash: u64,
}

impl<'a> Hashed<'a> {
    /// `key` and its hash.
    #[inline]
    pub(crate) fn new(key: LookupKey<'a>) -> Hashed<'a> {
        let hash = match key {
            LookupKey::Hash(_, hex) => digest_place(hex.as_bytes()),
            LookupKey::Ip(IpAddr::V4(v)) => Small::<u32>::hash(&u32::from(v)),
            LookupKey::Ip(IpAddr::V6(v)) => Map::<u128>::hash(&u128::from(v)),
            LookupKey::Str(tag, s) => table::hash(tag as u8, s.as_bytes()),
            LookupKey::Mac(m) => Small::<[u8; 6]>::hash(&m),
            LookupKey::Asn(n) => Small::<u32>::hash(&n),
            LookupKey::Net(..) => 0,
        };
        Hashed { key, hash }
    }
}
