//! Plain observables for the fast matcher: the `type:path = literal`, `IN (...)` and
//! `ISSUBSET 'cidr'` comparisons of a pattern, and whether the pattern is nothing more
//! than a disjunction of them (then an exact lookup decides it).

use crate::ast::{
    Comparison, ComparisonExpr, Literal, ObjectPath, ObservationExpr, Operator, Pattern,
};

/// How a plain observable compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PlainOp {
    /// `path = value`
    Equals,
    /// `path IN (..., value, ...)`: one record per member of the set.
    In,
    /// `path ISSUBSET 'cidr'`: the value is a [`Literal::Str`] holding the CIDR.
    IsSubset,
}

/// One plain comparison found in a pattern.
#[derive(Debug, Clone, PartialEq)]
pub struct PlainObservable {
    /// The object path (its `object_type` is the STIX object type).
    pub path: ObjectPath,
    /// The operator.
    pub op: PlainOp,
    /// The literal compared with.
    pub value: Literal,
}

/// All plain comparisons of the pattern, in order of appearance, wherever they are
/// (also under `AND`, qualifiers, `FOLLOWEDBY`). Negated comparisons are left out.
pub fn extract(pattern: &Pattern) -> Vec<PlainObservable> {
    let mut out = Vec::new();
    let mut stack = vec![&pattern.expr];
    let mut comparisons = Vec::new();
    while let Some(e) = stack.pop() {
        match e {
            ObservationExpr::Observation(c) => comparisons.push(c),
            ObservationExpr::And(v) | ObservationExpr::Or(v) | ObservationExpr::FollowedBy(v) => {
                stack.extend(v.iter().rev());
            }
            ObservationExpr::Qualified(inner, _) => stack.push(inner),
        }
    }
    for c in comparisons {
        for_each_comparison(c, &mut |cmp| out.extend(plain(cmp)));
    }
    out
}

fn for_each_comparison<'a>(e: &'a ComparisonExpr, f: &mut impl FnMut(&'a Comparison)) {
    match e {
        ComparisonExpr::Comparison(c) => f(c),
        ComparisonExpr::And(v) | ComparisonExpr::Or(v) => {
            v.iter().for_each(|x| for_each_comparison(x, f))
        }
    }
}

fn plain(c: &Comparison) -> Vec<PlainObservable> {
    if c.negated {
        return Vec::new();
    }
    let rec = |op, value: &Literal| PlainObservable {
        path: c.path.clone(),
        op,
        value: value.clone(),
    };
    match &c.op {
        Operator::Eq(l) => vec![rec(PlainOp::Equals, l)],
        Operator::In(items) => items.iter().map(|l| rec(PlainOp::In, l)).collect(),
        Operator::IsSubset(cidr) => vec![rec(PlainOp::IsSubset, &Literal::Str(cidr.clone()))],
        _ => Vec::new(),
    }
}

/// True when the pattern is a disjunction (`OR`, at either level) of single plain
/// comparisons, with no qualifier, `AND`, `FOLLOWEDBY` or `NOT`: then it matches exactly
/// when one of its [`extract`]ed observables is seen.
pub fn is_simple(pattern: &Pattern) -> bool {
    let mut stack = vec![&pattern.expr];
    while let Some(e) = stack.pop() {
        match e {
            ObservationExpr::Observation(c) => {
                if !simple_comparison(c) {
                    return false;
                }
            }
            ObservationExpr::Or(v) => stack.extend(v),
            _ => return false,
        }
    }
    true
}

fn simple_comparison(e: &ComparisonExpr) -> bool {
    match e {
        ComparisonExpr::Comparison(c) => {
            !c.negated
                && matches!(
                    c.op,
                    Operator::Eq(_) | Operator::In(_) | Operator::IsSubset(_)
                )
        }
        ComparisonExpr::Or(v) => v.iter().all(simple_comparison),
        ComparisonExpr::And(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse;

    #[test]
    fn extracts_plain_comparisons() {
        let p = parse("[ipv4-addr:value ISSUBSET '10.0.0.0/8' OR domain-name:value IN ('a.example', 'b.example')]")
            .unwrap();
        let obs = extract(&p);
        assert_eq!(obs.len(), 3);
        assert_eq!(obs[0].op, PlainOp::IsSubset);
        assert_eq!(obs[2].value, Literal::Str("b.example".into()));
        assert!(is_simple(&p));
    }

    #[test]
    fn qualifiers_and_and_are_not_simple() {
        for text in [
            "[a:b = 1] WITHIN 5 SECONDS",
            "[a:b = 1] AND [a:c = 2]",
            "[a:b = 1 AND a:c = 2]",
            "[a:b NOT = 1]",
            "[a:b > 1]",
        ] {
            assert!(!is_simple(&parse(text).unwrap()), "{text}");
        }
        assert!(is_simple(&parse("[url:value = 'http://x/'] OR [file:hashes.MD5 = 'd41d8cd98f00b204e9800998ecf8427e']").unwrap()));
    }
}
