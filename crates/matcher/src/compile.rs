//! Compiling one indicator: which index keys its pattern yields, whether the index alone
//! decides it, and the pattern rewritten to canonical values for the evaluator.
//!
//! Rule for subdomains: a `domain-name:value` comparison matches every subdomain when the
//! indicator carries the label `match-subdomains` or `subdomains` (then `= 'example.com'`
//! matches `example.com` and `a.b.example.com`), and `domain-name:value LIKE '%.example.com'`
//! is indexed as "every strict subdomain of `example.com`", as the evaluator reads it.

use concord_pattern::{
    Comparison, ComparisonExpr, Literal, ObservationExpr, Operator, PathStep, Pattern, Timestamp,
    observables::{self, PlainOp},
};

use crate::index::keys::{self, Key, StrTag};

/// An indicator as the store hands it to the matcher.
#[derive(Debug, Clone, PartialEq)]
pub struct IndicatorInput {
    /// The STIX id, `indicator--<uuid>`.
    pub id: String,
    /// The STIX pattern text.
    pub pattern: String,
    /// `valid_from`.
    pub valid_from: Timestamp,
    /// `valid_until`, if any.
    pub valid_until: Option<Timestamp>,
    /// `revoked`.
    pub revoked: bool,
    /// `labels` (only `match-subdomains` / `subdomains` mean something here).
    pub labels: Vec<String>,
}

impl IndicatorInput {
    /// Whether the indicator applies at `now`: not revoked and `valid_from <= now <
    /// valid_until`.
    pub fn is_current(&self, now: Timestamp) -> bool {
        !self.revoked && self.valid_from <= now && self.valid_until.is_none_or(|u| now < u)
    }

    /// Whether domain comparisons also match subdomains (see the module doc).
    pub fn match_subdomains(&self) -> bool {
        self.labels
            .iter()
            .any(|l| l == "match-subdomains" || l == "subdomains")
    }
}

/// What compiling a pattern gives.
#[derive(Debug)]
pub(crate) struct Plan {
    /// Every key of a plain comparison.
    pub keys: Vec<Key>,
    /// True when the index alone decides: an `OR` of plain comparisons that all have keys.
    pub decided: bool,
    /// True when any match needs one of `keys` to hit (else evaluate on every observation).
    pub keyed: bool,
    /// The pattern with literals in canonical form, for the evaluator.
    pub pattern: Pattern,
}

/// Compiles a parsed pattern.
pub(crate) fn plan(mut pattern: Pattern, subdomains: bool) -> Plan {
    let mut keys = Vec::new();
    for po in observables::extract(&pattern) {
        let subset = po.op == PlainOp::IsSubset;
        if let Some(k) = keys::comparison_key(&po.path, &po.value, subset) {
            push_key(&mut keys, k, subdomains);
        }
    }
    let mut like_keys = Vec::new();
    let decided = decided_obs(&pattern.expr, &mut like_keys);
    keys.extend(like_keys);
    let keyed = keyed_obs(&pattern.expr);
    canonicalise(&mut pattern.expr);
    Plan {
        keys,
        decided,
        keyed,
        pattern,
    }
}

fn push_key(keys: &mut Vec<Key>, k: Key, subdomains: bool) {
    if let (true, Key::Str(StrTag::Domain, d)) = (subdomains, &k) {
        keys.push(Key::Str(StrTag::DomainSuffix, d.clone()));
    }
    keys.push(k);
}

/// Keys of one comparison if it is plain and every literal has a key.
fn comparison_keys(c: &Comparison) -> Option<Vec<Key>> {
    if c.negated {
        return None;
    }
    match &c.op {
        Operator::Eq(l) => Some(vec![keys::comparison_key(&c.path, l, false)?]),
        Operator::In(items) => items
            .iter()
            .map(|l| keys::comparison_key(&c.path, l, false))
            .collect(),
        Operator::IsSubset(n) => Some(vec![keys::comparison_key(
            &c.path,
            &Literal::Str(n.clone()),
            true,
        )?]),
        Operator::Like(p) if keys::path_kind(&c.path) == Some(crate::Kind::Domain) => {
            Some(vec![Key::Str(StrTag::DomainSuffix, keys::like_suffix(p)?)])
        }
        _ => None,
    }
}

/// An `OR` of keyed comparisons, no qualifiers: decided by the index. LIKE keys are
/// collected into `like` (plain ones come from `observables::extract`).
fn decided_obs(e: &ObservationExpr, like: &mut Vec<Key>) -> bool {
    match e {
        ObservationExpr::Observation(c) => decided_cmp(c, like),
        ObservationExpr::Or(v) => v.iter().all(|x| decided_obs(x, like)),
        _ => {
            collect_like(e, like);
            false
        }
    }
}

fn decided_cmp(e: &ComparisonExpr, like: &mut Vec<Key>) -> bool {
    match e {
        ComparisonExpr::Comparison(c) => match (comparison_keys(c), &c.op) {
            (Some(k), Operator::Like(_)) => {
                like.extend(k);
                true
            }
            (Some(_), _) => true,
            (None, _) => false,
        },
        ComparisonExpr::Or(v) => {
            // No short cut: every operand's LIKE keys are wanted.
            let mut ok = true;
            for x in v {
                ok &= decided_cmp(x, like);
            }
            ok
        }
        ComparisonExpr::And(v) => {
            v.iter().for_each(|x| {
                decided_cmp(x, like);
            });
            false
        }
    }
}

fn collect_like(e: &ObservationExpr, like: &mut Vec<Key>) {
    match e {
        ObservationExpr::Observation(c) => {
            decided_cmp(c, like);
        }
        ObservationExpr::And(v) | ObservationExpr::Or(v) | ObservationExpr::FollowedBy(v) => {
            v.iter().for_each(|x| collect_like(x, like));
        }
        ObservationExpr::Qualified(inner, _) => collect_like(inner, like),
    }
}

/// Whether every match of `e` needs a keyed comparison to hold on some observation.
fn keyed_obs(e: &ObservationExpr) -> bool {
    match e {
        ObservationExpr::Observation(c) => keyed_cmp(c),
        ObservationExpr::And(v) | ObservationExpr::FollowedBy(v) => v.iter().any(keyed_obs),
        ObservationExpr::Or(v) => v.iter().all(keyed_obs),
        ObservationExpr::Qualified(inner, _) => keyed_obs(inner),
    }
}

fn keyed_cmp(e: &ComparisonExpr) -> bool {
    match e {
        // One key per IN member is enough: each member is indexed.
        ComparisonExpr::Comparison(c) => comparison_keys(c).is_some_and(|k| !k.is_empty()),
        ComparisonExpr::And(v) => v.iter().any(keyed_cmp),
        ComparisonExpr::Or(v) => v.iter().all(keyed_cmp),
    }
}

/// Rewrites `=`/`IN`/`!=` literals on known paths to the readers' canonical form, and hash
/// algorithm names to the STIX spelling, so the evaluator compares like with like.
fn canonicalise(e: &mut ObservationExpr) {
    match e {
        ObservationExpr::Observation(c) => canonicalise_cmp(c),
        ObservationExpr::And(v) | ObservationExpr::Or(v) | ObservationExpr::FollowedBy(v) => {
            v.iter_mut().for_each(canonicalise)
        }
        ObservationExpr::Qualified(inner, _) => canonicalise(inner),
    }
}

fn canonicalise_cmp(e: &mut ComparisonExpr) {
    match e {
        ComparisonExpr::Comparison(c) => {
            let Some(kind) = keys::path_kind(&c.path) else {
                return;
            };
            if let Some(algo) = kind.hash_len().map(|_| crate::observation::algo(kind))
                && let Some(PathStep::Key(k)) = c.path.steps.get_mut(1)
            {
                *k = algo.to_string();
            }
            let fix = |l: &mut Literal| {
                if let (Literal::Str(s), Some(v)) = (&*l, keys::canonical(kind, l))
                    && *s != v
                {
                    *l = Literal::Str(v);
                }
            };
            match &mut c.op {
                Operator::Eq(l) | Operator::Ne(l) => fix(l),
                Operator::In(items) => items.iter_mut().for_each(fix),
                _ => {}
            }
        }
        ComparisonExpr::And(v) | ComparisonExpr::Or(v) => v.iter_mut().for_each(canonicalise_cmp),
    }
}
