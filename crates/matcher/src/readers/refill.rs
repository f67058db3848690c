//! Refilling a reused [`Observation`] in place: the readers that read in place (EVE,
//! one-per-line) write each line's values into the Strings the previous line left,
//! instead of a new String per value.
//!
//! A reused observation reads exactly as a fresh one (test
//! `reused_observation_reads_as_a_fresh_one`). Values already in canonical form (plain
//! IPv4, lower-case digests, fingerprints, ASCII domain names, canonical URLs and e-mail
//! addresses) are written without the general normalisers and give what they give (property
//! tests `refill_push_equals_observable_new`, `lines_in_place_equals_detect`,
//! `quick_canonical_checks_agree_with_the_full_rules`). IPv4 text is read by
//! `normalize::ipv4`, which gives std's answer for every input.

use super::lines::Shape;
use crate::normalize;
use crate::observation::{Kind, Observable, Observation};

/// The observables and flow of an observation refilled in place: the n-th value goes
/// into the String of the n-th observable already there (its allocation reused, as the
/// batch's observations are reused line after line), the rest are pushed;
/// [`Refill::finish`] drops what is left of the previous line. Values are the ones
/// [`Observable::new`] gives; the commonest shapes (a plain IPv4 address, an ASCII
/// domain name, a digest in canonical form) are written without a new String.
pub(crate) struct Refill<'o> {
    obs: &'o mut Observation,
    n: usize,
}

impl<'o> Refill<'o> {
    pub(crate) fn new(obs: &'o mut Observation) -> Refill<'o> {
        Refill { obs, n: 0 }
    }

    /// The buffer of the next observable, emptied, with its kind set.
    fn next(&mut self, kind: Kind) -> &mut String {
        let list = &mut self.obs.observables;
        if self.n == list.len() {
            list.push(Observable {
                kind,
                value: String::new(),
            });
        }
        let ob = &mut list[self.n];
        self.n += 1;
        ob.kind = kind;
        ob.value.clear();
        &mut ob.value
    }

    /// An observable made the general way.
    fn put(&mut self, ob: Observable) {
        let list = &mut self.obs.observables;
        if self.n == list.len() {
            list.push(ob);
        } else {
            list[self.n] = ob;
        }
        self.n += 1;
    }

    /// [`Observation::push`]: `raw` as a `kind` if it is a valid one.
    pub(crate) fn push(&mut self, kind: Kind, raw: Option<&str>) {
        let Some(raw) = raw else { return };
        let t = raw.trim();
        match kind {
            Kind::Domain if t.is_ascii() => {
                let Some(d) = ascii_domain(t) else { return };
                let buf = self.next(kind);
                buf.push_str(d);
                buf.make_ascii_lowercase();
            }
            Kind::Url if normalize::url_is_canonical(t) => self.next(kind).push_str(t),
            Kind::Email if normalize::email_is_canonical(t) => self.next(kind).push_str(t),
            _ if kind.hash_len().is_some_and(|n| t.len() == 2 * n)
                && classes(t.as_bytes()) & NOT_HEX == 0 =>
            {
                // Already canonical (`normalize::hex_hash`'s shortcut).
                self.next(kind).push_str(t);
            }
            _ if let Some(n) = kind.hash_len()
                && t.is_ascii() =>
            {
                // `normalize::hex_hash` in place: colons dropped, lower case (a
                // certificate fingerprint as Suricata writes it), taken back if it is not
                // the kind's number of hex digits.
                let buf = self.next(kind);
                let digits = t.bytes().filter(|&c| c != b':');
                buf.extend(digits.map(|c| char::from(c.to_ascii_lowercase())));
                if buf.len() != 2 * n || classes(buf.as_bytes()) & NOT_HEX != 0 {
                    self.n -= 1;
                }
            }
            _ => {
                if let Some(ob) = Observable::new(kind, raw) {
                    self.put(ob);
                }
            }
        }
    }

    /// A URL given in parts (scheme, `://`, host, path), joined straight into the next
    /// observable's String when the result is canonical, else as [`Refill::push`] of the
    /// joined text.
    pub(crate) fn push_url_parts(&mut self, parts: &[&str]) {
        let buf = self.next(Kind::Url);
        parts.iter().for_each(|p| buf.push_str(p));
        if normalize::url_is_canonical(buf) {
            return;
        }
        let joined = std::mem::take(buf);
        self.n -= 1;
        self.push(Kind::Url, Some(&joined));
    }

    /// An address of either family; its position among the observables.
    pub(crate) fn push_ip(&mut self, raw: Option<&str>) -> Option<usize> {
        let raw = raw?;
        let t = raw.trim();
        if normalize::ipv4(t).is_some() {
            self.next(Kind::Ipv4).push_str(t);
        } else {
            self.put(Observable::ip(raw)?);
        }
        Some(self.n - 1)
    }

    /// The flow (see [`super::json::flow`]): source and destination are the observables at
    /// `src` and `dst`; the previous line's strings are reused.
    pub(crate) fn flow(
        &mut self,
        src: Option<usize>,
        dst: Option<usize>,
        ports: (Option<u16>, Option<u16>),
        protos: &[Option<&str>],
    ) {
        if src.is_none() && dst.is_none() {
            self.obs.flow = None;
            return;
        }
        let mut f = self.obs.flow.take().unwrap_or_default();
        let list = &self.obs.observables;
        let set = |to: &mut Option<String>, at: Option<usize>| match at.map(|i| &list[i].value) {
            Some(v) => {
                let s = to.get_or_insert_with(String::new);
                s.clear();
                s.push_str(v);
            }
            None => *to = None,
        };
        set(&mut f.src, src);
        set(&mut f.dst, dst);
        (f.src_port, f.dst_port) = ports;
        let mut k = 0;
        for p in protos.iter().flatten() {
            if k == f.protocols.len() {
                f.protocols.push(String::new());
            }
            let s = &mut f.protocols[k];
            s.clear();
            s.push_str(p);
            s.make_ascii_lowercase();
            k += 1;
        }
        f.protocols.truncate(k);
        self.obs.flow = Some(f);
    }

    /// One bare value as [`super::lines::detect`] reads it, through
    /// [`super::lines::shape`]: a value already in canonical form is written in place.
    /// False if it is none of the kinds.
    pub(crate) fn detect(&mut self, v: &str) -> bool {
        match super::lines::shape(v) {
            Some(Shape::Same(kind, text)) => self.next(kind).push_str(text),
            Some(Shape::Lower(d)) => {
                let buf = self.next(Kind::Domain);
                buf.push_str(d);
                buf.make_ascii_lowercase();
            }
            Some(Shape::New(ob)) => self.put(ob),
            None => return false,
        }
        true
    }

    /// Drops the observables of the previous line that were not refilled.
    pub(crate) fn finish(self) {
        self.obs.observables.truncate(self.n);
    }
}

/// `normalize::domain` of an ASCII name (trimmed) but for its lower-casing, which for
/// ASCII is ASCII lower-casing: without its trailing dots, `None` if nothing is left, it
/// begins with a dot, or it holds a character no host name has.
pub(super) fn ascii_domain(t: &str) -> Option<&str> {
    let d = t.trim_end_matches('.');
    let bad = |c: u8| {
        char::from(c).is_whitespace() || matches!(c, b'/' | b'@' | b':' | b'\\' | b'?' | b'#')
    };
    (!d.is_empty() && !d.starts_with('.') && !d.bytes().any(bad)).then_some(d)
}

/// Byte classes of [`super::lines::shape`]'s one pass (a value's classes are the OR of
/// its bytes').
pub(super) const DOT: u8 = 1;
pub(super) const LETTER: u8 = 2;
/// `:` or `/`.
pub(super) const SEPARATOR: u8 = 4;
pub(super) const NOT_ASCII: u8 = 8;
/// Anything but `0-9` and `a-f`.
pub(super) const NOT_HEX: u8 = 16;
pub(super) const AT: u8 = 32;
/// `A-Z`.
pub(super) const UPPER: u8 = 64;

/// The OR of the classes of `b`'s bytes.
#[inline]
pub(super) fn classes(b: &[u8]) -> u8 {
    b.iter().fold(0, |a, &c| a | CLASS[usize::from(c)])
}

static CLASS: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut c = 0;
    while c < 256 {
        let b = c as u8;
        let mut k = 0;
        if b == b'.' {
            k |= DOT;
        }
        if b.is_ascii_alphabetic() {
            k |= LETTER;
        }
        if b.is_ascii_uppercase() {
            k |= UPPER;
        }
        if matches!(b, b':' | b'/') {
            k |= SEPARATOR;
        }
        if b == b'@' {
            k |= AT;
        }
        if !b.is_ascii() {
            k |= NOT_ASCII;
        }
        if !matches!(b, b'0'..=b'9' | b'a'..=b'f') {
            k |= NOT_HEX;
        }
        t[c] = k;
        c += 1;
    }
    t
};
