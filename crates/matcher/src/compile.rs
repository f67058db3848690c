//! Compiling one indicator: which index keys its pattern yields, whether the index alone
//! decides it, and the pattern rewritten to canonical values for the evaluator.
//!
//! Rule for subdomains: a `domain-name:value` comparison matches every subdomain when the
//! indicator carries the label `match-subdomains` or `subdomains` (then `= 'example.com'`
//! matches `example.com` and `a.b.example.com`), and `domain-name:value LIKE '%.example.com'`
//! is indexed as "every strict subdomain of `example.com`", as the evaluator reads it.
//!
//! Building an index: the commonest pattern shape (`[type:path = 'value']`, `ISSUBSET` on
//! addresses) is keyed without the parser (`quick_keys`); the rest are parsed on all cores.

use concord_pattern::{
    Comparison, ComparisonExpr, Literal, ObservationExpr, Operator, PathStep, Pattern, Timestamp,
    observables::{self, PlainOp},
};

use crate::index::keys::{self, Key, StrTag};
use crate::observation::Kind;

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
    /// An indicator valid from `valid_from` on, not revoked, without labels.
    pub fn new(id: impl Into<String>, pattern: impl Into<String>, valid_from: Timestamp) -> Self {
        IndicatorInput {
            id: id.into(),
            pattern: pattern.into(),
            valid_from,
            valid_until: None,
            revoked: false,
            labels: Vec::new(),
        }
    }

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

/// The keys of the commonest pattern shape, `[type:path = 'value']` (or `ISSUBSET` on an
/// address path), read without the parser, when the path is one the index knows and the
/// value has a key: such a pattern is decided by the index alone, so neither its AST nor
/// its canonical rewrite is needed. `None` for anything else, including every pattern the
/// parser would reject (the caller then parses). Gives the keys of
/// `plan(parse(text)?, subdomains)` (a differential test checks it).
pub(crate) fn quick_keys(text: &str, subdomains: bool) -> Option<Vec<Key>> {
    let inner = text.strip_prefix('[')?.strip_suffix(']')?.trim_matches(' ');
    let (path, rest) = inner.split_once(' ')?;
    let (op, lit) = rest.trim_start_matches(' ').split_once(' ')?;
    let lit = lit
        .trim_matches(' ')
        .strip_prefix('\'')?
        .strip_suffix('\'')?;
    if lit.contains(['\'', '\\']) {
        return None;
    }
    let kind = match path {
        "ipv4-addr:value" => Kind::Ipv4,
        "ipv6-addr:value" => Kind::Ipv6,
        "domain-name:value" => Kind::Domain,
        "url:value" => Kind::Url,
        "email-addr:value" => Kind::Email,
        "mac-addr:value" => Kind::Mac,
        "file:name" => Kind::FileName,
        "file:hashes.MD5" | "file:hashes.'MD5'" => Kind::Md5,
        "file:hashes.'SHA-1'" | "file:hashes.SHA1" => Kind::Sha1,
        "file:hashes.'SHA-256'" | "file:hashes.SHA256" => Kind::Sha256,
        "file:hashes.'SHA-512'" | "file:hashes.SHA512" => Kind::Sha512,
        _ => return None,
    };
    // The parser's check of hash literals: exactly the digest's hex digits.
    if let Some(n) = kind.hash_len()
        && (lit.len() != 2 * n || !lit.bytes().all(|b| b.is_ascii_hexdigit()))
    {
        return None;
    }
    let key = match op {
        // A digest's hex digits are its key in either case (checked above).
        "=" if kind.hash_len().is_some() => keys::key_of(kind, lit)?,
        "=" => keys::key_of(kind, &crate::Observable::new(kind, lit)?.value)?,
        "ISSUBSET" if matches!(kind, Kind::Ipv4 | Kind::Ipv6) => {
            let (ip, len) = crate::normalize::ip_net(lit)?;
            keys::net_key(ip, len)
        }
        _ => return None,
    };
    let mut out = Vec::with_capacity(1 + usize::from(subdomains));
    push_key(&mut out, key, subdomains);
    Some(out)
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

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    /// `quick_keys` either declines or gives exactly what the parser and `plan` give, on
    /// a pattern the parser accepts and the index decides.
    fn agrees(text: &str, subdomains: bool) -> bool {
        let Some(quick) = quick_keys(text, subdomains) else {
            return false;
        };
        let parsed = concord_pattern::parse(text)
            .unwrap_or_else(|e| panic!("{text:?}: quick path accepted, parser said {e:?}"));
        let p = plan(parsed, subdomains);
        assert!(p.decided && p.keyed, "{text:?}: not decided by the index");
        assert_eq!(quick, p.keys, "{text:?}");
        true
    }

    #[test]
    fn quick_path_takes_the_common_shapes_with_the_parsers_keys() {
        let common = [
            "[ipv4-addr:value = '198.51.100.7']",
            "[ipv4-addr:value ISSUBSET '198.51.100.0/24']",
            "[ipv4-addr:value = '198.51.100.7/32']",
            "[ipv6-addr:value = '2001:DB8::1']",
            "[ipv6-addr:value ISSUBSET '2001:db8::/32']",
            "[domain-name:value = 'Evil.Example.COM.']",
            "[url:value = 'HTTP://Example.com:80/a%7e?b']",
            "[email-addr:value = 'Bad@Example.org']",
            "[mac-addr:value = '00:1A:2b:3c:4d:5e']",
            "[file:name = 'invoice.pdf.exe']",
            "[file:hashes.MD5 = 'D41D8CD98F00B204E9800998ECF8427E']",
            "[file:hashes.'SHA-1' = 'da39a3ee5e6b4b0d3255bfef95601890afd80709']",
            "[file:hashes.SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855']",
            "[ file:hashes.'SHA-256'  =  'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855' ]",
        ];
        for text in common {
            for sub in [false, true] {
                assert!(agrees(text, sub), "{text:?} not taken by the quick path");
            }
        }
        // Declined: the parser must see these (errors, other shapes, escapes).
        for text in [
            "[file:hashes.MD5 = 'd41d8cd98f00b204e9800998ecf8427']",
            "[ipv4-addr:value = '1.2.3.4'] AND [ipv4-addr:value = '1.2.3.5']",
            "[ipv4-addr:value != '1.2.3.4']",
            "[domain-name:value = 'a\\'b.com']",
            "[ipv4-addr:value='1.2.3.4']",
            "[file:name ISSUBSET 'x']",
            "[domain-name:value = 'not a domain']",
            "[autonomous-system:number = 64496]",
        ] {
            assert!(!agrees(text, false), "{text:?} taken by the quick path");
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(4000))]
        #[test]
        fn quick_path_agrees_with_the_parser(
            path in prop::sample::select(vec![
                "ipv4-addr:value", "ipv6-addr:value", "domain-name:value", "url:value",
                "email-addr:value", "mac-addr:value", "file:name", "file:hashes.MD5",
                "file:hashes.'MD5'", "file:hashes.'SHA-1'", "file:hashes.SHA1",
                "file:hashes.'SHA-256'", "file:hashes.SHA256", "file:hashes.'SHA-512'",
                "file:hashes.SHA512", "file:size", "x-custom:value", "file:hashes.md5",
            ]),
            op in prop::sample::select(vec!["=", "ISSUBSET", "!=", "LIKE", "IN", "=="]),
            lit in prop_oneof![
                "[0-9a-fA-F]{30,130}",
                "[0-9]{1,3}\\.[0-9]{1,3}\\.[0-9]{1,3}\\.[0-9]{1,3}(/[0-9]{1,3})?",
                "[0-9a-f:]{2,40}(/[0-9]{1,3})?",
                "[a-zA-Z0-9.\\-_@:/%?#]{0,40}",
                "\\PC{0,20}",
                "[ '\\\\\\]\\[a-z]{0,10}",
            ],
            pre in " {0,2}", mid in " {1,2}", post in " {0,2}", sub in any::<bool>(),
        ) {
            let text = format!("[{pre}{path}{mid}{op}{mid}'{lit}'{post}]");
            agrees(&text, sub);
        }
    }
}
