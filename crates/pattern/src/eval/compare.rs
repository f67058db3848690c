//! One comparison on one selected value, with the type rules of STIX 2.1 section 9.7 as the
//! OASIS `stix2-matcher` applies them: numbers compare across int and float, strings by
//! code point, binary against strings whose code points are all below 256, timestamps
//! against JSON strings that parse as timestamps; other type pairs are "not equal" and
//! "not ordered" (an order comparison of unordered types is false even under `NOT`).

use std::cmp::Ordering;
use std::net::IpAddr;

use serde_json::Value;

use crate::ast::{Comparison, Literal, Operator};
use crate::timestamp::Timestamp;
use crate::validate::{compile_regex, translate_regex};

/// A value selected by an object path.
#[derive(Debug, Clone)]
pub(crate) enum Val<'a> {
    /// A JSON value of an object.
    Json(&'a Value),
    /// A decoded `*_hex` or `*_bin` property.
    Bytes(Vec<u8>),
    /// The objects a `*_refs` list points to.
    List(Vec<&'a Value>),
}

/// A compiled comparison: regexes built once.
pub(crate) struct Test<'p> {
    cmp: &'p Comparison,
    regex: Option<regex::Regex>,
    bytes_regex: Option<regex::bytes::Regex>,
}

impl<'p> Test<'p> {
    pub(crate) fn new(cmp: &'p Comparison) -> Self {
        let (regex, bytes_regex) = match &cmp.op {
            Operator::Like(s) => (regex::Regex::new(&like_to_regex(s)).ok(), None),
            Operator::Matches(s) => (compile_regex(s).ok(), bytes_regex(s)),
            _ => (None, None),
        };
        Test {
            cmp,
            regex,
            bytes_regex,
        }
    }

    /// Whether the value passes, `NOT` included.
    pub(crate) fn passes(&self, v: &Val<'_>) -> bool {
        let negate = |r: bool| r != self.cmp.negated;
        match &self.cmp.op {
            Operator::Exists => true,
            Operator::Eq(l) => negate(equal(v, l)),
            Operator::Ne(l) => negate(!equal(v, l)),
            Operator::Lt(l) | Operator::Le(l) | Operator::Gt(l) | Operator::Ge(l) => {
                match order(v, l) {
                    None => false,
                    Some(None) => negate(false),
                    Some(Some(o)) => negate(match self.cmp.op {
                        Operator::Lt(_) => o == Ordering::Less,
                        Operator::Le(_) => o != Ordering::Greater,
                        Operator::Gt(_) => o == Ordering::Greater,
                        _ => o != Ordering::Less,
                    }),
                }
            }
            Operator::In(set) => negate(set.iter().any(|l| in_equal(v, l))),
            Operator::Like(_) => negate(match (v, &self.regex) {
                (Val::Json(Value::String(s)), Some(r)) => r.is_match(s),
                (Val::Bytes(b), Some(r)) => std::str::from_utf8(b).is_ok_and(|s| r.is_match(s)),
                _ => false,
            }),
            Operator::Matches(_) => negate(match v {
                Val::Json(Value::String(s)) => self.regex.as_ref().is_some_and(|r| r.is_match(s)),
                Val::Bytes(b) => self.bytes_regex.as_ref().is_some_and(|r| r.is_match(b)),
                _ => false,
            }),
            Operator::IsSubset(net) => negate(match v {
                Val::Json(Value::String(s)) => in_subnet(s, net),
                _ => false,
            }),
            Operator::IsSuperset(ip) => negate(match v {
                Val::Json(Value::String(s)) => in_subnet(ip, s),
                _ => false,
            }),
        }
    }
}

/// Python's `like` translation: `%` is `.*`, `_` is `.`, whole string.
fn like_to_regex(like: &str) -> String {
    let mut out = String::from("^");
    for c in like.chars() {
        match c {
            '%' => out.push_str(".*"),
            '_' => out.push('.'),
            c => out.push_str(&regex::escape(&c.to_string())),
        }
    }
    out.push_str(r"\n?\z");
    out
}

/// The regex for binary values: code points below 256 stand for bytes (as in Python,
/// where the expression is re-encoded as Latin-1); `None` if a code point is larger.
fn bytes_regex(src: &str) -> Option<regex::bytes::Regex> {
    if src.chars().any(|c| u32::from(c) > 255) {
        return None;
    }
    let mut text = String::from("(?-u)");
    for c in translate_regex(src).chars() {
        if c.is_ascii() {
            text.push(c)
        } else {
            text.push_str(&format!("\\x{:02X}", u32::from(c)))
        }
    }
    regex::bytes::RegexBuilder::new(&text)
        .size_limit(1 << 22)
        .build()
        .ok()
}

enum Num {
    Int(i128),
    Float(f64),
}

fn json_num(v: &Value) -> Option<Num> {
    let n = v.as_number()?;
    if let Some(i) = n.as_i64() {
        Some(Num::Int(i128::from(i)))
    } else if let Some(u) = n.as_u64() {
        Some(Num::Int(i128::from(u)))
    } else {
        n.as_f64().map(Num::Float)
    }
}

#[allow(clippy::cast_precision_loss)]
fn num_cmp(a: &Num, b: &Num) -> Option<Ordering> {
    match (a, b) {
        (Num::Int(x), Num::Int(y)) => Some(x.cmp(y)),
        (Num::Int(x), Num::Float(y)) => (*x as f64).partial_cmp(y),
        (Num::Float(x), Num::Int(y)) => x.partial_cmp(&(*y as f64)),
        (Num::Float(x), Num::Float(y)) => x.partial_cmp(y),
    }
}

fn lit_num(l: &Literal) -> Option<Num> {
    match l {
        Literal::Int(i) => Some(Num::Int(i128::from(*i))),
        Literal::Float(f) => Some(Num::Float(*f)),
        _ => None,
    }
}

fn latin1(s: &str) -> Option<Vec<u8>> {
    s.chars().map(|c| u8::try_from(u32::from(c)).ok()).collect()
}

/// `Some(ordering)`, `Some(None)` when the pair is comparable in type but not in value
/// (binary against a non-Latin-1 string), `None` when the types do not compare.
fn order(v: &Val<'_>, l: &Literal) -> Option<Option<Ordering>> {
    match (v, l) {
        (Val::Json(j), Literal::Int(_) | Literal::Float(_)) => {
            let (a, b) = (json_num(j)?, lit_num(l)?);
            Some(num_cmp(&a, &b))
        }
        (Val::Json(Value::String(s)), Literal::Str(t)) => Some(Some(s.as_str().cmp(t.as_str()))),
        (Val::Json(Value::String(s)), Literal::Timestamp(t)) => {
            Some(Timestamp::parse(s).map(|x| x.cmp(t)))
        }
        (Val::Json(Value::String(s)), Literal::Binary(b) | Literal::Hex(b)) => {
            Some(latin1(s).map(|x| x.as_slice().cmp(b.as_slice())))
        }
        (Val::Bytes(x), Literal::Binary(b) | Literal::Hex(b)) => {
            Some(Some(x.as_slice().cmp(b.as_slice())))
        }
        (Val::Bytes(x), Literal::Str(s)) => Some(latin1(s).map(|y| x.as_slice().cmp(y.as_slice()))),
        _ => None,
    }
}

fn equal(v: &Val<'_>, l: &Literal) -> bool {
    match (v, l) {
        (Val::Json(Value::Bool(a)), Literal::Bool(b)) => a == b,
        (Val::Json(Value::Bool(_)), _) | (_, Literal::Bool(_)) => false,
        _ => matches!(order(v, l), Some(Some(Ordering::Equal))),
    }
}

/// Set membership as Python's `in` on a set: booleans equal the numbers 0 and 1.
fn in_equal(v: &Val<'_>, l: &Literal) -> bool {
    let as_num = |b: bool| Literal::Int(i64::from(b));
    match (v, l) {
        (Val::Json(Value::Bool(a)), Literal::Bool(b)) => a == b,
        (Val::Json(Value::Bool(a)), _) => equal(&Val::Json(&Value::from(i64::from(*a))), l),
        (_, Literal::Bool(b)) => equal(v, &as_num(*b)),
        _ => equal(v, l),
    }
}

/// Parses `a.b.c.d`, `a.b.c.d/n`, or IPv6 forms; a bare address is a /32 or /128.
fn parse_net(s: &str) -> Option<(IpAddr, u8)> {
    let (addr, prefix) = match s.split_once('/') {
        Some((a, p)) if !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) => {
            (a, Some(p.parse::<u8>().ok()?))
        }
        Some(_) => return None,
        None => (s, None),
    };
    let ip: IpAddr = addr.parse().ok()?;
    let max = if ip.is_ipv4() { 32 } else { 128 };
    let prefix = prefix.unwrap_or(max);
    (prefix <= max).then_some((ip, prefix))
}

/// Whether the address or network `inner` lies within the network `outer`.
pub(crate) fn in_subnet(inner: &str, outer: &str) -> bool {
    let (Some((a, ap)), Some((b, bp))) = (parse_net(inner), parse_net(outer)) else {
        return false;
    };
    let bits = |ip: IpAddr| match ip {
        IpAddr::V4(v) => (u128::from(u32::from(v)) << 96, true),
        IpAddr::V6(v) => (u128::from(v), false),
    };
    let ((x, x4), (y, y4)) = (bits(a), bits(b));
    if x4 != y4 || bp > ap {
        return false;
    }
    let shift = u32::from(bp);
    let mask = if shift == 0 {
        0
    } else {
        u128::MAX << (128 - shift)
    };
    x & mask == y & mask
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subnets() {
        assert!(in_subnet("10.1.2.3", "10.0.0.0/8"));
        assert!(in_subnet("10.1.0.0/16", "10.0.0.0/8"));
        assert!(!in_subnet("10.0.0.0/8", "10.1.0.0/16"));
        assert!(!in_subnet("11.0.0.1", "10.0.0.0/8"));
        assert!(in_subnet("2001:db8::1", "2001:db8::/32"));
        assert!(in_subnet("1.2.3.4", "0.0.0.0/0"));
        assert!(!in_subnet("x", "10.0.0.0/8"));
    }

    #[test]
    fn like() {
        let r = regex::Regex::new(&like_to_regex("a%b_.c")).unwrap();
        assert!(r.is_match("axxbz.c") && !r.is_match("axxbz.cd") && !r.is_match("axxbzxc"));
    }
}
