//! Splits pattern text into tokens, following the lexer rules of `STIXPattern.g4`.
//!
//! Longest match wins, as in ANTLR: `01.5` is one float, `01` is `0` then `1`, `AND-x`
//! is an identifier. A malformed `t'..'`, `b'..'` or `h'..'` literal becomes an error
//! token (ANTLR would lex the letter as an identifier, which can never be valid there).

use crate::error::ErrorKind;
use crate::timestamp::Timestamp;

/// Keywords, as the grammar spells them (case-sensitive).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kw {
    And,
    Or,
    Not,
    FollowedBy,
    Like,
    Matches,
    IsSuperset,
    IsSubset,
    Exists,
    Last,
    In,
    Start,
    Stop,
    Seconds,
    Within,
    Repeats,
    Times,
}

const KEYWORDS: [(&str, Kw); 17] = [
    ("AND", Kw::And),
    ("OR", Kw::Or),
    ("NOT", Kw::Not),
    ("FOLLOWEDBY", Kw::FollowedBy),
    ("LIKE", Kw::Like),
    ("MATCHES", Kw::Matches),
    ("ISSUPERSET", Kw::IsSuperset),
    ("ISSUBSET", Kw::IsSubset),
    ("EXISTS", Kw::Exists),
    ("LAST", Kw::Last),
    ("IN", Kw::In),
    ("START", Kw::Start),
    ("STOP", Kw::Stop),
    ("SECONDS", Kw::Seconds),
    ("WITHIN", Kw::Within),
    ("REPEATS", Kw::Repeats),
    ("TIMES", Kw::Times),
];

/// True if `s` is a keyword or a boolean literal (so it cannot be a bare identifier).
pub(crate) fn is_reserved(s: &str) -> bool {
    s == "true" || s == "false" || KEYWORDS.iter().any(|(k, _)| *k == s)
}

/// One token kind.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Tok {
    /// Integer literal; `neg` for a leading `-`. Text is in the span.
    Int,
    /// Float literal. Text is in the span.
    Float,
    Str(String),
    Bool(bool),
    /// A timestamp, and whether it is a real calendar date (not 30 February).
    Timestamp(Timestamp, bool),
    Binary(Vec<u8>),
    Hex(Vec<u8>),
    /// `[a-zA-Z_][a-zA-Z0-9_]*`
    Ident,
    /// An identifier containing a hyphen.
    IdentHyphen,
    Kw(Kw),
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Colon,
    Dot,
    Comma,
    LParen,
    RParen,
    LBrack,
    RBrack,
    Star,
    /// Any other character (or a lone `+`, `-`, `/`, `^`).
    Other,
    /// A malformed literal.
    Error(ErrorKind, String),
    Eof,
}

/// A token and its byte span.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Token {
    pub tok: Tok,
    pub start: usize,
    pub end: usize,
}

fn is_ws(c: char) -> bool {
    matches!(
        c,
        ' ' | '\t' | '\r' | '\n' | '\u{b}' | '\u{c}' | '\u{85}' | '\u{a0}' | '\u{1680}' | '\u{2000}'
            ..='\u{200a}' | '\u{2028}' | '\u{2029}' | '\u{202f}' | '\u{205f}' | '\u{3000}'
    )
}

/// Tokenizes the whole text; the last token is always `Eof`.
pub(crate) fn tokenize(text: &str) -> Vec<Token> {
    let b = text.as_bytes();
    // About one token per five bytes in indicator patterns (`[file:hashes.MD5 = '..']`).
    let mut out = Vec::with_capacity(b.len() / 5 + 4);
    let mut i = 0;
    while i < b.len() {
        let c = text[i..].chars().next().unwrap_or('\0');
        if is_ws(c) {
            i += c.len_utf8();
            continue;
        }
        if b[i..].starts_with(b"/*") {
            if let Some(end) = text[i + 2..].find("*/") {
                i += end + 4;
                continue;
            }
        } else if b[i..].starts_with(b"//") {
            i = text[i..].find(['\r', '\n']).map_or(b.len(), |e| i + e);
            continue;
        }
        let (tok, len) = lex_one(text, i, c);
        out.push(Token {
            tok,
            start: i,
            end: i + len,
        });
        i += len;
    }
    out.push(Token {
        tok: Tok::Eof,
        start: b.len(),
        end: b.len(),
    });
    out
}

fn lex_one(text: &str, i: usize, c: char) -> (Tok, usize) {
    let b = &text.as_bytes()[i..];
    let next = b.get(1).copied();
    match c {
        '0'..='9' | '+' | '-' | '.' => {
            if let Some(n) = lex_number(b) {
                return n;
            }
            let tok = if c == '.' { Tok::Dot } else { Tok::Other };
            (tok, 1)
        }
        '\'' => lex_string(b),
        't' | 'b' | 'h' if next == Some(b'\'') => lex_prefixed(text, i, c),
        'a'..='z' | 'A'..='Z' | '_' => {
            let len = b
                .iter()
                .position(|&x| !(x.is_ascii_alphanumeric() || x == b'_' || x == b'-'))
                .unwrap_or(b.len());
            let word = &text[i..i + len];
            let tok = if word.contains('-') {
                Tok::IdentHyphen
            } else if word == "true" || word == "false" {
                Tok::Bool(word == "true")
            } else if let Some((_, kw)) = KEYWORDS.iter().find(|(k, _)| *k == word) {
                Tok::Kw(*kw)
            } else {
                Tok::Ident
            };
            (tok, len)
        }
        '=' => (Tok::Eq, if next == Some(b'=') { 2 } else { 1 }),
        '!' if next == Some(b'=') => (Tok::Ne, 2),
        '<' => match next {
            Some(b'>') => (Tok::Ne, 2),
            Some(b'=') => (Tok::Le, 2),
            _ => (Tok::Lt, 1),
        },
        '>' if next == Some(b'=') => (Tok::Ge, 2),
        '>' => (Tok::Gt, 1),
        ':' => (Tok::Colon, 1),
        ',' => (Tok::Comma, 1),
        '(' => (Tok::LParen, 1),
        ')' => (Tok::RParen, 1),
        '[' => (Tok::LBrack, 1),
        ']' => (Tok::RBrack, 1),
        '*' => (Tok::Star, 1),
        _ => (Tok::Other, c.len_utf8()),
    }
}

/// `[+-]? ('0' | [1-9][0-9]*)` or `[+-]? [0-9]* '.' [0-9]+`, the longer.
fn lex_number(b: &[u8]) -> Option<(Tok, usize)> {
    let sign = usize::from(matches!(b.first(), Some(b'+' | b'-')));
    let digits = |from: usize| b[from..].iter().take_while(|c| c.is_ascii_digit()).count();
    let int_len = match b.get(sign) {
        Some(b'0') => Some(sign + 1),
        Some(b'1'..=b'9') => Some(sign + digits(sign)),
        _ => None,
    };
    let lead = digits(sign);
    let float_len = (b.get(sign + lead) == Some(&b'.'))
        .then(|| digits(sign + lead + 1))
        .filter(|&frac| frac > 0)
        .map(|frac| sign + lead + 1 + frac);
    match (int_len, float_len) {
        (_, Some(f)) if f > int_len.unwrap_or(0) => Some((Tok::Float, f)),
        (Some(n), _) => Some((Tok::Int, n)),
        _ => None,
    }
}

fn lex_string(b: &[u8]) -> (Tok, usize) {
    let mut s = Vec::new();
    let mut j = 1;
    while j < b.len() {
        match b[j] {
            b'\'' => {
                let text = String::from_utf8(s).unwrap_or_default();
                return (Tok::Str(text), j + 1);
            }
            b'\\' => match b.get(j + 1) {
                Some(&e @ (b'\'' | b'\\')) => {
                    s.push(e);
                    j += 2;
                }
                _ => {
                    let msg = "invalid escape in string literal (only \\' and \\\\ are allowed)";
                    return (Tok::Error(ErrorKind::Syntax, msg.into()), 1);
                }
            },
            other => {
                s.push(other);
                j += 1;
            }
        }
    }
    (
        Tok::Error(ErrorKind::Syntax, "unterminated string literal".into()),
        1,
    )
}

/// `t'..'`, `b'..'`, `h'..'`: the letter at `i` is followed by a quote.
fn lex_prefixed(text: &str, i: usize, c: char) -> (Tok, usize) {
    let body_start = i + 2;
    let Some(close) = text[body_start..].find('\'') else {
        return (
            Tok::Error(ErrorKind::Syntax, "unterminated literal".into()),
            1,
        );
    };
    let body = &text[body_start..body_start + close];
    let len = close + 3;
    let bad = |what: &str| {
        (
            Tok::Error(
                ErrorKind::Syntax,
                format!("malformed {what} literal {c}'{body}'"),
            ),
            1,
        )
    };
    match c {
        't' => {
            if !timestamp_shape_ok(body) {
                return bad("timestamp");
            }
            match Timestamp::parse_lenient(body) {
                Some(t) => (Tok::Timestamp(t, Timestamp::parse(body).is_some()), len),
                None => (
                    Tok::Error(
                        ErrorKind::InvalidLiteral,
                        format!("timestamp t'{body}' is out of range"),
                    ),
                    len,
                ),
            }
        }
        'h' => match decode_hex(body) {
            Some(v) => (Tok::Hex(v), len),
            None => bad("hex"),
        },
        _ => match decode_base64(body) {
            Some(v) => (Tok::Binary(v), len),
            None => bad("binary (base64)"),
        },
    }
}

/// The lexer rule's shape: digit ranges as in the grammar, calendar not checked here.
fn timestamp_shape_ok(s: &str) -> bool {
    let b = s.as_bytes();
    let d = |i: usize| b.get(i).is_some_and(u8::is_ascii_digit);
    let in_range =
        |i: usize, lo: &[u8], hi: &[u8]| b.get(i..i + 2).is_some_and(|x| x >= lo && x <= hi);
    if b.len() < 20 || !(0..4).all(d) || b[4] != b'-' || b[7] != b'-' || b[10] != b'T' {
        return false;
    }
    if b[13] != b':' || b[16] != b':' || !(in_range(5, b"01", b"12") && in_range(8, b"01", b"31")) {
        return false;
    }
    if !(in_range(11, b"00", b"23") && in_range(14, b"00", b"59") && in_range(17, b"00", b"60")) {
        return false;
    }
    match &b[19..] {
        [b'Z'] => true,
        [b'.', rest @ .., b'Z'] => !rest.is_empty() && rest.iter().all(u8::is_ascii_digit),
        _ => false,
    }
}

/// Hex pairs (possibly none).
pub(crate) fn decode_hex(s: &str) -> Option<Vec<u8>> {
    let b = s.as_bytes();
    if !b.len().is_multiple_of(2) {
        return None;
    }
    let val = |c: u8| {
        char::from(c)
            .to_digit(16)
            .and_then(|v| u8::try_from(v).ok())
    };
    b.chunks(2)
        .map(|p| Some(val(p[0])? << 4 | val(p[1])?))
        .collect()
}

/// Standard base64 with padding, at least one group of four (as the grammar requires).
/// Non-zero bits in a final partial group are accepted and dropped, as Python does.
pub(crate) fn decode_base64(s: &str) -> Option<Vec<u8>> {
    let b = s.as_bytes();
    if b.is_empty() || !b.len().is_multiple_of(4) {
        return None;
    }
    let val = |c: u8| -> Option<u32> {
        Some(u32::from(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        }))
    };
    let mut out = Vec::with_capacity(b.len() / 4 * 3);
    let groups = b.len() / 4;
    for (gi, g) in b.chunks(4).enumerate() {
        let pad = g.iter().rev().take_while(|&&c| c == b'=').count();
        if pad > 2 || (pad > 0 && gi + 1 != groups) {
            return None;
        }
        let mut n = 0u32;
        for &c in &g[..4 - pad] {
            n = n << 6 | val(c)?;
        }
        n <<= 6 * pad;
        let bytes = n.to_be_bytes();
        out.extend_from_slice(&bytes[1..4 - pad]);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(s: &str) -> Vec<Tok> {
        tokenize(s).into_iter().map(|t| t.tok).collect()
    }

    #[test]
    fn numbers_take_longest_match() {
        assert_eq!(kinds("01"), vec![Tok::Int, Tok::Int, Tok::Eof]);
        assert_eq!(
            kinds("01.5 -.5 +3"),
            vec![Tok::Float, Tok::Float, Tok::Int, Tok::Eof]
        );
        assert_eq!(kinds("1."), vec![Tok::Int, Tok::Dot, Tok::Eof]);
    }

    #[test]
    fn words_and_operators() {
        assert_eq!(
            kinds("AND ANDx a-b true <> == /* c */ // x"),
            vec![
                Tok::Kw(Kw::And),
                Tok::Ident,
                Tok::IdentHyphen,
                Tok::Bool(true),
                Tok::Ne,
                Tok::Eq,
                Tok::Eof
            ]
        );
    }

    #[test]
    fn base64_and_hex() {
        assert_eq!(decode_base64("QQ=="), Some(b"A".to_vec()));
        assert_eq!(decode_base64("aGVsbG8="), Some(b"hello".to_vec()));
        assert_eq!(decode_base64(""), None);
        assert_eq!(decode_base64("QQ=A"), None);
        assert_eq!(decode_hex("ffD8"), Some(vec![0xff, 0xd8]));
        assert_eq!(decode_hex("f"), None);
    }
}
