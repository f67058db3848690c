//! Prints the [`crate::ast`] back to pattern text, so that `parse(print(ast)) == ast`.
//!
//! Parentheses are written exactly where the tree needs them: around an operand of a
//! looser or of the same n-ary operator, around a group that carries a qualifier, and
//! around a bracketed observation that would otherwise carry the same qualifier type twice.
//! Numbers print without exponent; strings escape `\` and `'`; property names that are not
//! plain identifiers (or are keywords) are quoted.
//!
//! The printer expects what the parser produces: n-ary nodes with at least two operands,
//! object types that are identifiers, non-empty [`Literal::Binary`] values, finite floats.

use std::fmt::{self, Display, Formatter, Write};

use crate::ast::{
    Comparison, ComparisonExpr, Literal, Number, ObjectPath, ObservationExpr, Operator, PathStep,
    Pattern, Qualifier, QualifierKind,
};
use crate::lexer::is_reserved;

impl Display for Pattern {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        self.expr.fmt(f)
    }
}

fn join<T: Display>(
    f: &mut Formatter<'_>,
    items: &[T],
    sep: &str,
    paren: impl Fn(&T) -> bool,
) -> fmt::Result {
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            f.write_str(sep)?;
        }
        if paren(item) {
            write!(f, "({item})")?
        } else {
            write!(f, "{item}")?
        }
    }
    Ok(())
}

impl Display for ObservationExpr {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        use ObservationExpr as O;
        match self {
            O::Observation(c) => write!(f, "[{c}]"),
            O::And(items) => join(f, items, " AND ", |e| {
                matches!(e, O::And(_) | O::Or(_) | O::FollowedBy(_))
            }),
            O::Or(items) => join(f, items, " OR ", |e| {
                matches!(e, O::Or(_) | O::FollowedBy(_))
            }),
            O::FollowedBy(items) => {
                join(f, items, " FOLLOWEDBY ", |e| matches!(e, O::FollowedBy(_)))
            }
            O::Qualified(inner, q) => {
                if qualified_needs_parens(inner, q.kind()) {
                    write!(f, "({inner}) {q}")
                } else {
                    write!(f, "{inner} {q}")
                }
            }
        }
    }
}

/// Whether `inner` must be parenthesised before a qualifier of kind `kind`.
fn qualified_needs_parens(inner: &ObservationExpr, kind: QualifierKind) -> bool {
    let mut kinds = Vec::new();
    let mut base = inner;
    while let ObservationExpr::Qualified(next, q) = base {
        kinds.push(q.kind());
        base = next;
    }
    match base {
        ObservationExpr::Observation(_) => kinds.contains(&kind),
        // A compound base is printed in parentheses by the innermost qualifier already,
        // unless there is no qualifier yet.
        _ => kinds.is_empty(),
    }
}

impl Display for Qualifier {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Qualifier::Within(n) => write!(f, "WITHIN {n} SECONDS"),
            Qualifier::Repeats(n) => write!(f, "REPEATS {n} TIMES"),
            Qualifier::StartStop(a, b) => write!(f, "START t'{a}' STOP t'{b}'"),
        }
    }
}

impl Display for Number {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Number::Int(i) => write!(f, "{i}"),
            Number::Float(x) => write_float(f, *x),
        }
    }
}

fn write_float(f: &mut Formatter<'_>, x: f64) -> fmt::Result {
    let s = x.to_string();
    f.write_str(&s)?;
    if !s.contains('.') {
        f.write_str(".0")?;
    }
    Ok(())
}

impl Display for ComparisonExpr {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        use ComparisonExpr as C;
        match self {
            C::Comparison(c) => c.fmt(f),
            C::And(items) => join(f, items, " AND ", |e| matches!(e, C::And(_) | C::Or(_))),
            C::Or(items) => join(f, items, " OR ", |e| matches!(e, C::Or(_))),
        }
    }
}

impl Display for Comparison {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        if self.op == Operator::Exists {
            return write!(f, "EXISTS {}", self.path);
        }
        write!(
            f,
            "{} {}{}",
            self.path,
            if self.negated { "NOT " } else { "" },
            self.op.symbol()
        )?;
        match &self.op {
            Operator::Eq(l)
            | Operator::Ne(l)
            | Operator::Lt(l)
            | Operator::Le(l)
            | Operator::Gt(l)
            | Operator::Ge(l) => {
                write!(f, " {l}")
            }
            Operator::In(items) => {
                f.write_str(" (")?;
                join(f, items, ", ", |_| false)?;
                f.write_str(")")
            }
            Operator::Like(s)
            | Operator::Matches(s)
            | Operator::IsSubset(s)
            | Operator::IsSuperset(s) => {
                f.write_char(' ')?;
                write_string(f, s)
            }
            Operator::Exists => Ok(()),
        }
    }
}

fn write_string(f: &mut Formatter<'_>, s: &str) -> fmt::Result {
    f.write_char('\'')?;
    for c in s.chars() {
        if c == '\'' || c == '\\' {
            f.write_char('\\')?;
        }
        f.write_char(c)?;
    }
    f.write_char('\'')
}

impl Display for Literal {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Literal::Int(i) => write!(f, "{i}"),
            Literal::Float(x) => write_float(f, *x),
            Literal::Str(s) => write_string(f, s),
            Literal::Bool(b) => write!(f, "{b}"),
            Literal::Timestamp(t) => write!(f, "t'{t}'"),
            Literal::Binary(b) => write!(f, "b'{}'", encode_base64(b)),
            Literal::Hex(h) => {
                f.write_str("h'")?;
                for byte in h {
                    write!(f, "{byte:02x}")?;
                }
                f.write_char('\'')
            }
        }
    }
}

/// Standard base64 with padding.
pub(crate) fn encode_base64(data: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |acc, (i, &b)| acc | u32::from(b) << (16 - 8 * i));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[(n >> (18 - 6 * i) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// True if `s` can be written as a bare property name.
pub(crate) fn is_bare_key(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !is_reserved(s)
}

impl Display for ObjectPath {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "{}:", self.object_type)?;
        for (i, step) in self.steps.iter().enumerate() {
            match step {
                PathStep::Key(k) => {
                    if i > 0 {
                        f.write_char('.')?;
                    }
                    if is_bare_key(k) {
                        f.write_str(k)?
                    } else {
                        write_string(f, k)?
                    }
                }
                PathStep::Index(n) => write!(f, "[{n}]")?,
                PathStep::AnyIndex => f.write_str("[*]")?,
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_round_trip() {
        for data in [&b"A"[..], b"hello", b"hi!", b"\xff\x00"] {
            assert_eq!(
                crate::lexer::decode_base64(&encode_base64(data)).as_deref(),
                Some(data)
            );
        }
    }

    #[test]
    fn prints_what_it_parses() {
        for text in [
            "[file:hashes.'x-hash' = 'aa' AND file:name = 'a\\'b']",
            "([a:b = 1] OR [c:d = 2]) AND [e:f[*].g[0] != h'ff']",
            "([a:b = 1] OR [c:d = 2]) WITHIN 1 SECONDS REPEATS 2 TIMES",
            "([a:b = 1] WITHIN 1 SECONDS) WITHIN 2.5 SECONDS",
            "[a:b IN (1, 2.0, 'x')] FOLLOWEDBY [EXISTS a:c] START t'2020-01-01T00:00:00Z' STOP t'2021-01-01T00:00:00.5Z'",
            "[(a:b = 1 OR a:c = 2) AND NOT_A:x NOT LIKE 'a%']",
        ] {
            let p = crate::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"));
            assert_eq!(p.to_string(), text);
        }
    }
}
