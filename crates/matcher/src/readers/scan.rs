//! A validating JSON scanner for the fast paths of the JSON readers: it walks one line
//! once, hands the caller the keys of each object and lets it take the few values it
//! reads (strings borrowed from the line unless escaped), and checks everything it skips
//! as strictly as `serde_json` would. It accepts a subset of what `serde_json` accepts
//! and never more: whatever it is not sure about (`\u` escapes, escaped keys, exponents,
//! deep nesting, very long numbers) makes it give up (`None`), and the caller then reads
//! the line with `serde_json`, which decides. String ends are found eight bytes at a time
//! (`stop`).
//!
//! Line ends are found with memchr, string ends with
//! `concord_stix::canonical::next_escape`. The scanner accepts no line `serde_json` rejects
//! and reads what the `Value` path reads (differential tests on a sample log and generated
//! lines, fuzz target `eve_scanner`), but for an object keyed by `serde_json`'s private
//! raw-value token, which `serde_json`'s `raw_value` feature (on through axum) reads as
//! embedded JSON and the scanner as the plain object it is (test
//! `serde_json_private_raw_value_key_is_plain_json_to_the_scanner`).

use std::borrow::Cow;

// `stop(b, from)`: the position of the first byte at or after `from` that ends a run of
// plain string bytes (a quote, a backslash or a control byte, not allowed raw in a JSON
// string), `None` if there is none. The canonical JSON writer's search: one pass, eight
// bytes per step (most strings in a log line are short: a `memchr2` call and a second
// pass for control bytes cost more).
use concord_stix::canonical::next_escape as stop;

/// Deeper than this, give up (`serde_json` stops at 128).
const MAX_DEPTH: u32 = 100;
/// Longer numbers are left to `serde_json` (it may find them out of range).
const MAX_NUMBER: usize = 300;

/// A position in one line of JSON.
pub(crate) struct Scanner<'a> {
    text: &'a str,
    i: usize,
    depth: u32,
}

/// What a value is, by its first byte.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Next {
    Str,
    Null,
    Other,
}

impl<'a> Scanner<'a> {
    /// A scanner at the start of `text`.
    pub(crate) fn new(text: &'a str) -> Scanner<'a> {
        Scanner {
            text,
            i: 0,
            depth: 0,
        }
    }

    #[inline]
    fn bytes(&self) -> &'a [u8] {
        self.text.as_bytes()
    }

    #[inline]
    fn peek(&self) -> Option<u8> {
        self.bytes().get(self.i).copied()
    }

    /// Skips JSON whitespace.
    #[inline]
    pub(crate) fn ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.i += 1;
        }
    }

    /// Whether only whitespace is left.
    pub(crate) fn at_end(&mut self) -> bool {
        self.ws();
        self.i == self.text.len()
    }

    #[inline]
    fn eat(&mut self, c: u8) -> Option<()> {
        self.ws();
        (self.peek()? == c).then(|| self.i += 1)
    }

    /// What the next value is (after whitespace).
    #[inline]
    pub(crate) fn next_is(&mut self) -> Next {
        self.ws();
        match self.peek() {
            Some(b'"') => Next::Str,
            Some(b'n') => Next::Null,
            _ => Next::Other,
        }
    }

    /// `null`.
    pub(crate) fn null(&mut self) -> Option<()> {
        self.literal(b"null")
    }

    fn literal(&mut self, word: &[u8]) -> Option<()> {
        self.ws();
        let end = self.i + word.len();
        (self.bytes().get(self.i..end)? == word).then(|| self.i = end)
    }

    /// A string: borrowed when it has no escapes. `None` on a `\u` escape, an invalid
    /// escape, a control character or a missing end quote.
    pub(crate) fn string(&mut self) -> Option<Cow<'a, str>> {
        let (start, end) = self.plain_run()?;
        let b = self.bytes();
        match b[end] {
            b'"' => {
                self.i = end + 1;
                return Some(Cow::Borrowed(&self.text[start..end]));
            }
            b'\\' => {}
            _ => return None,
        }
        let mut out = String::with_capacity(end - start + 16);
        let mut from = start;
        let mut at = end;
        loop {
            // `stop` found no control byte in `from..at`.
            out.push_str(&self.text[from..at]);
            match b[at] {
                b'"' => {
                    self.i = at + 1;
                    return Some(Cow::Owned(out));
                }
                b'\\' => {}
                _ => return None,
            }
            out.push(match *b.get(at + 1)? {
                b'"' => '"',
                b'\\' => '\\',
                b'/' => '/',
                b'b' => '\u{8}',
                b'f' => '\u{c}',
                b'n' => '\n',
                b'r' => '\r',
                b't' => '\t',
                _ => return None,
            });
            from = at + 2;
            at = stop(b, from)?;
        }
    }

    /// An object key: a string without escapes, borrowed (`None` for one with an escape,
    /// which no log writes: `serde_json` then reads the line).
    #[inline]
    fn key(&mut self) -> Option<&'a str> {
        let (start, end) = self.plain_run()?;
        if self.bytes()[end] != b'"' {
            return None;
        }
        self.i = end + 1;
        self.text.get(start..end)
    }

    /// Past a string's opening quote: where its text starts and where its first run of
    /// plain bytes stops (the end quote, a backslash or a control byte).
    #[inline]
    fn plain_run(&mut self) -> Option<(usize, usize)> {
        self.eat(b'"')?;
        let start = self.i;
        Some((start, stop(self.bytes(), start)?))
    }

    /// A number that is a plain non-negative integer fitting `u64`; `None` for any other
    /// value.
    pub(crate) fn uint(&mut self) -> Option<u64> {
        self.ws();
        let start = self.i;
        let b = self.bytes();
        let mut end = start;
        // The value as the digits go by; `None` once it no longer fits.
        let mut n = Some(0u64);
        while let Some(&d) = b.get(end)
            && d.is_ascii_digit()
        {
            n = n
                .and_then(|n| n.checked_mul(10))
                .and_then(|n| n.checked_add(u64::from(d - b'0')));
            end += 1;
        }
        if end == start
            || (b[start] == b'0' && end > start + 1)
            || matches!(b.get(end), Some(b'.' | b'e' | b'E'))
        {
            return None;
        }
        let n = n?;
        self.i = end;
        Some(n)
    }

    /// Calls `f` with each key of an object; `f` must consume the key's value.
    pub(crate) fn object(
        &mut self,
        mut f: impl FnMut(&mut Self, &str) -> Option<()>,
    ) -> Option<()> {
        self.eat(b'{')?;
        self.enter()?;
        self.ws();
        if self.peek() == Some(b'}') {
            self.i += 1;
            self.depth -= 1;
            return Some(());
        }
        loop {
            let key = self.key()?;
            self.eat(b':')?;
            f(self, key)?;
            self.ws();
            match self.peek()? {
                b',' => self.i += 1,
                b'}' => {
                    self.i += 1;
                    self.depth -= 1;
                    return Some(());
                }
                _ => return None,
            }
        }
    }

    /// Calls `f` for each element of an array; `f` must consume it.
    pub(crate) fn array(&mut self, mut f: impl FnMut(&mut Self) -> Option<()>) -> Option<()> {
        self.eat(b'[')?;
        self.enter()?;
        self.ws();
        if self.peek() == Some(b']') {
            self.i += 1;
            self.depth -= 1;
            return Some(());
        }
        loop {
            f(self)?;
            self.ws();
            match self.peek()? {
                b',' => self.i += 1,
                b']' => {
                    self.i += 1;
                    self.depth -= 1;
                    return Some(());
                }
                _ => return None,
            }
        }
    }

    fn enter(&mut self) -> Option<()> {
        self.depth += 1;
        (self.depth <= MAX_DEPTH).then_some(())
    }

    /// Skips one value, checking it.
    pub(crate) fn skip(&mut self) -> Option<()> {
        self.ws();
        match self.peek()? {
            b'"' => self.skip_string(),
            b'{' => self.object(|s, _| s.skip()),
            b'[' => self.array(Self::skip),
            b't' => self.literal(b"true"),
            b'f' => self.literal(b"false"),
            b'n' => self.literal(b"null"),
            _ => self.number(),
        }
    }

    /// A string, checked and not kept.
    fn skip_string(&mut self) -> Option<()> {
        self.eat(b'"')?;
        let b = self.bytes();
        let mut from = self.i;
        loop {
            let at = stop(b, from)?;
            match b[at] {
                b'"' => {
                    self.i = at + 1;
                    return Some(());
                }
                b'\\' => match *b.get(at + 1)? {
                    b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => from = at + 2,
                    _ => return None,
                },
                _ => return None,
            }
        }
    }

    /// A number per the JSON grammar, without exponent and not too long.
    fn number(&mut self) -> Option<()> {
        let b = self.bytes();
        let start = self.i;
        let mut i = start;
        if b.get(i) == Some(&b'-') {
            i += 1;
        }
        let digits = |i: &mut usize| {
            let s = *i;
            while *i < b.len() && b[*i].is_ascii_digit() {
                *i += 1;
            }
            *i - s
        };
        let int_start = i;
        let n = digits(&mut i);
        if n == 0 || (b[int_start] == b'0' && n > 1) {
            return None;
        }
        if b.get(i) == Some(&b'.') {
            i += 1;
            if digits(&mut i) == 0 {
                return None;
            }
        }
        if matches!(b.get(i), Some(b'e' | b'E')) || i - start > MAX_NUMBER {
            return None;
        }
        self.i = i;
        Some(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn skip_all(text: &str) -> Option<()> {
        let mut s = Scanner::new(text);
        s.skip()?;
        s.at_end().then_some(())
    }

    /// `uint` reads what `str::parse::<u64>` reads of a JSON integer, and nothing else.
    #[test]
    fn uint_is_a_json_integer_that_fits_u64() {
        for (text, want) in [
            ("0", Some(0)),
            (" 443,", Some(443)),
            ("18446744073709551615", Some(u64::MAX)),
            ("18446744073709551616", None),
            ("99999999999999999999999", None),
            ("012", None),
            ("1.5", None),
            ("1e3", None),
            ("-1", None),
            ("", None),
            ("x", None),
        ] {
            let mut s = Scanner::new(text);
            assert_eq!(s.uint(), want, "{text:?}");
            let digits = text
                .trim_start()
                .bytes()
                .take_while(u8::is_ascii_digit)
                .count();
            if want.is_some() {
                assert_eq!(text[..s.i].trim_start().len(), digits, "{text:?}");
            }
        }
    }

    /// Whatever the scanner accepts, serde_json accepts.
    #[test]
    fn accepts_nothing_serde_json_rejects() {
        let cases = [
            r#"{"a":1,"b":[true,false,null,-0.5,"x\"y\\z\/"],"c":{}}"#,
            r#" { "a" : [ ] , "b" : { "c" : "" } } "#,
            r#"{"a":01}"#,
            r#"{"a":1.}"#,
            r#"{"a":-}"#,
            r#"{"a":1e5}"#,
            r#"{"a":"\u0041"}"#,
            r#"{"a":"\x"}"#,
            "{\"a\":\"tab\there\"}",
            r#"{"a":tru}"#,
            r#"{"a":1,}"#,
            r#"{"a" 1}"#,
            r#"{"a":1} x"#,
            r#"[1,2"#,
            r#"{"a":"unterminated}"#,
            r#"{,}"#,
            r#"{"a":[1 2]}"#,
            r#"{"a":.5}"#,
            r#"{"a":+1}"#,
        ];
        let mut accepted = 0;
        for c in cases {
            if skip_all(c).is_some() {
                accepted += 1;
                assert!(
                    serde_json::from_str::<serde_json::Value>(c).is_ok(),
                    "scanner accepted {c:?}"
                );
            }
        }
        assert_eq!(accepted, 2);
        let deep = format!("{}{}", "[".repeat(150), "]".repeat(150));
        assert!(skip_all(&deep).is_none());
    }

    /// `stop` against a byte-by-byte search: every byte value at every position of a
    /// string, from every start.
    #[test]
    fn stop_finds_the_first_quote_backslash_or_control_byte() {
        let naive = |b: &[u8], from: usize| {
            b.get(from..)?
                .iter()
                .position(|&c| c == b'"' || c == b'\\' || c < 0x20)
                .map(|i| from + i)
        };
        let base: Vec<u8> =
            b"abcdefghijklmnopqrstuvwxyz0123456789 !#$%&'()*+,-./:;<=>?@[]^_`{|}~\x7f\x80\xff"
                .to_vec();
        for pos in 0..base.len() {
            for c in 0..=255u8 {
                let mut b = base.clone();
                b[pos] = c;
                // A second marker later on: the first one must be found.
                let mut b2 = b.clone();
                b2[base.len() - 1 - pos.min(base.len() - 1) / 2] = b'"';
                for from in [0, 1, 7, 8, 9, pos, pos + 1, base.len(), base.len() + 1] {
                    assert_eq!(stop(&b, from), naive(&b, from), "{pos} {c} {from}");
                    assert_eq!(stop(&b2, from), naive(&b2, from), "{pos} {c} {from}");
                }
            }
        }
    }

    #[test]
    fn strings_are_unescaped_like_serde_json() {
        for raw in [
            r#""plain""#,
            r#""a\/b\\c\"d\n\t\r\b\f""#,
            r#""""#,
            r#""é ü""#,
        ] {
            let ours = Scanner::new(raw).string().map(Cow::into_owned);
            let theirs: String = serde_json::from_str(raw).unwrap();
            assert_eq!(ours.as_deref(), Some(theirs.as_str()), "{raw}");
        }
    }
}
