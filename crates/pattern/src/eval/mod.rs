//! Evaluates a pattern against observed data (STIX 2.1 section 9.7 and 9.8), following the
//! OASIS `stix2-matcher` where the spec is silent.
//!
//! An [`Observation`] is one observed-data: its time span, its `number_observed`, and its
//! SCOs keyed by id (STIX 2.1 `object_refs`, resolved by the caller) or by local key
//! (STIX 2.0 `objects`). `*_ref` and `*_refs` properties are followed within the same
//! observation. An observed-data with `number_observed = n` counts as `n` observations
//! for `AND`, `REPEATS` and `FOLLOWEDBY`, as in `stix2-matcher`.
//!
//! Matching searches "bindings" (one observation instance per bracketed observation
//! expression). To bound time and memory on hostile input, each node keeps at most
//! [`MAX_BINDINGS`] bindings; past that, a match may be missed (never invented).

mod compare;

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use crate::ast::{ComparisonExpr, ObjectPath, ObservationExpr, PathStep, Pattern, Qualifier};
use crate::lexer::{decode_base64, decode_hex};
use crate::timestamp::Timestamp;
use compare::{Test, Val};

/// Most bindings kept per pattern node.
pub const MAX_BINDINGS: usize = 10_000;

/// One observed-data, as the evaluator sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct Observation {
    /// `first_observed`.
    pub first_observed: Timestamp,
    /// `last_observed` (not before `first_observed`).
    pub last_observed: Timestamp,
    /// `number_observed` (at least 1).
    pub number_observed: u64,
    /// The observed SCOs by id (or STIX 2.0 local key); each a JSON object with `type`.
    pub objects: BTreeMap<String, Value>,
}

impl Observation {
    /// An observation with no objects yet.
    pub fn new(first_observed: Timestamp, last_observed: Timestamp, number_observed: u64) -> Self {
        Observation {
            first_observed,
            last_observed,
            number_observed,
            objects: BTreeMap::new(),
        }
    }
}

/// STIX 2.1 domain object types: never matched as cyber-observables (as in `stix2-matcher`).
const SDO_TYPES: [&str; 25] = [
    "attack-pattern",
    "bundle",
    "campaign",
    "course-of-action",
    "extension-definition",
    "grouping",
    "identity",
    "incident",
    "indicator",
    "infrastructure",
    "intrusion-set",
    "language-content",
    "location",
    "malware",
    "malware-analysis",
    "marking-definition",
    "note",
    "observed-data",
    "opinion",
    "relationship",
    "report",
    "threat-actor",
    "tool",
    "sighting",
    "vulnerability",
];

/// True if the pattern matches the observations.
pub fn matches(pattern: &Pattern, observations: &[Observation]) -> bool {
    find_match(pattern, observations).is_some()
}

/// The indexes (into `observations`, ascending) of the observations of one match, or
/// `None` if the pattern does not match.
pub fn find_match(pattern: &Pattern, observations: &[Observation]) -> Option<Vec<usize>> {
    let cap = binding_size(&pattern.expr).min(1000);
    let ev = Evaluator {
        obs: observations,
        instance_cap: cap,
    };
    let bindings = ev.bindings(&pattern.expr);
    let first = bindings.into_iter().next()?;
    let set: BTreeSet<usize> = first.iter().map(|&(o, _)| o).collect();
    Some(set.into_iter().collect())
}

/// One observation instance: (observation index, instance number below `number_observed`).
type Instance = (usize, u64);
/// A set of instances, sorted.
type Binding = Vec<Instance>;

/// Upper bound of instances one binding of `e` uses.
fn binding_size(e: &ObservationExpr) -> u64 {
    match e {
        ObservationExpr::Observation(_) => 1,
        ObservationExpr::And(v) | ObservationExpr::Or(v) | ObservationExpr::FollowedBy(v) => {
            v.iter().map(binding_size).fold(0, u64::saturating_add)
        }
        ObservationExpr::Qualified(inner, Qualifier::Repeats(n)) => {
            binding_size(inner).saturating_mul(*n)
        }
        ObservationExpr::Qualified(inner, _) => binding_size(inner),
    }
}

struct Evaluator<'a> {
    obs: &'a [Observation],
    instance_cap: u64,
}

fn disjoint(a: &Binding, b: &Binding) -> bool {
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => return false,
        }
    }
    true
}

fn union(a: &Binding, b: &Binding) -> Binding {
    let mut u: Binding = a.iter().chain(b).copied().collect();
    u.sort_unstable();
    u
}

impl Evaluator<'_> {
    fn bindings(&self, e: &ObservationExpr) -> Vec<Binding> {
        match e {
            ObservationExpr::Observation(c) => {
                let hits = self.comparison(c);
                let mut out = Vec::new();
                for &obs in hits.keys() {
                    for i in 0..self.obs[obs].number_observed.min(self.instance_cap) {
                        out.push(vec![(obs, i)]);
                    }
                }
                out.truncate(MAX_BINDINGS);
                out
            }
            ObservationExpr::Or(items) => {
                let mut set = BTreeSet::new();
                for item in items {
                    set.extend(self.bindings(item));
                }
                set.into_iter().take(MAX_BINDINGS).collect()
            }
            ObservationExpr::And(items) | ObservationExpr::FollowedBy(items) => {
                let ordered = matches!(e, ObservationExpr::FollowedBy(_));
                let mut acc = self.bindings(&items[0]);
                for item in &items[1..] {
                    let rhs = self.bindings(item);
                    let mut next = BTreeSet::new();
                    'outer: for l in &acc {
                        for r in &rhs {
                            if disjoint(l, r)
                                && (!ordered || self.latest_first(l) <= self.earliest_last(r))
                            {
                                next.insert(union(l, r));
                                if next.len() >= MAX_BINDINGS {
                                    break 'outer;
                                }
                            }
                        }
                    }
                    acc = next.into_iter().collect();
                }
                acc
            }
            ObservationExpr::Qualified(inner, q) => {
                let inner = self.bindings(inner);
                match q {
                    Qualifier::Repeats(n) => {
                        repeats(&inner, usize::try_from(*n).unwrap_or(usize::MAX))
                    }
                    Qualifier::Within(secs) => {
                        // Seconds to nanoseconds; saturates for absurd values.
                        #[allow(clippy::cast_possible_truncation)]
                        let d = (secs.as_f64() * 1e9).round() as i128;
                        inner.into_iter().filter(|b| self.within(b, d)).collect()
                    }
                    Qualifier::StartStop(start, stop) if start < stop => inner
                        .into_iter()
                        .filter(|b| self.in_window(b, *start, *stop))
                        .collect(),
                    Qualifier::StartStop(..) => Vec::new(),
                }
            }
        }
    }

    fn span(&self, i: &Instance) -> (i128, i128) {
        let o = &self.obs[i.0];
        (o.first_observed.unix_nanos(), o.last_observed.unix_nanos())
    }

    fn latest_first(&self, b: &Binding) -> i128 {
        b.iter().map(|i| self.span(i).0).max().unwrap_or(i128::MIN)
    }

    fn earliest_last(&self, b: &Binding) -> i128 {
        b.iter().map(|i| self.span(i).1).min().unwrap_or(i128::MAX)
    }

    /// Some window of `d` nanoseconds touches every observation's span (stix2-matcher's
    /// construction: the window starting at the earliest `last_observed`).
    fn within(&self, b: &Binding, d: i128) -> bool {
        let t0 = self.earliest_last(b);
        let t1 = t0.saturating_add(d);
        b.iter().all(|i| {
            let (f, l) = self.span(i);
            f <= t1 && t0 <= l
        })
    }

    /// Every observation's span overlaps `[start, stop)`: touching `start` counts,
    /// touching only `stop` does not.
    fn in_window(&self, b: &Binding, start: Timestamp, stop: Timestamp) -> bool {
        let (s, e) = (start.unix_nanos(), stop.unix_nanos());
        b.iter().all(|i| {
            let (f, l) = self.span(i);
            f < e && s <= l
        })
    }

    /// Observation index -> root objects (keys) that satisfy the comparison expression.
    fn comparison(&self, c: &ComparisonExpr) -> BTreeMap<usize, BTreeSet<&str>> {
        match c {
            ComparisonExpr::Comparison(cmp) => {
                let test = Test::new(cmp);
                let mut out = BTreeMap::new();
                for (idx, o) in self.obs.iter().enumerate() {
                    let roots: BTreeSet<&str> = o
                        .objects
                        .iter()
                        .filter(|(_, obj)| is_type(obj, &cmp.path))
                        .filter(|(_, obj)| {
                            select(o, obj, &cmp.path.steps)
                                .iter()
                                .any(|v| test.passes(v))
                        })
                        .map(|(k, _)| k.as_str())
                        .collect();
                    if !roots.is_empty() {
                        out.insert(idx, roots);
                    }
                }
                out
            }
            ComparisonExpr::Or(items) => {
                let mut acc: BTreeMap<usize, BTreeSet<&str>> = BTreeMap::new();
                for item in items {
                    for (k, v) in self.comparison(item) {
                        acc.entry(k).or_default().extend(v);
                    }
                }
                acc
            }
            ComparisonExpr::And(items) => {
                let mut acc = self.comparison(&items[0]);
                for item in &items[1..] {
                    let rhs = self.comparison(item);
                    acc = acc
                        .into_iter()
                        .filter_map(|(k, v)| {
                            let both: BTreeSet<&str> =
                                v.intersection(rhs.get(&k)?).copied().collect();
                            (!both.is_empty()).then_some((k, both))
                        })
                        .collect();
                }
                acc
            }
        }
    }
}

fn is_type(obj: &Value, path: &ObjectPath) -> bool {
    obj.get("type").and_then(Value::as_str) == Some(path.object_type.as_str())
        && !SDO_TYPES.contains(&path.object_type.as_str())
}

/// `REPEATS n`: unions of `n` pairwise-disjoint bindings.
fn repeats(items: &[Binding], n: usize) -> Vec<Binding> {
    fn go(items: &[Binding], start: usize, n: usize, acc: &Binding, out: &mut BTreeSet<Binding>) {
        if n == 0 {
            out.insert(acc.clone());
            return;
        }
        for i in start..items.len() {
            if out.len() >= MAX_BINDINGS || items.len() - i < n {
                return;
            }
            if disjoint(acc, &items[i]) {
                go(items, i + 1, n - 1, &union(acc, &items[i]), out);
            }
        }
    }
    if n == 0 {
        return Vec::new();
    }
    let mut out = BTreeSet::new();
    go(items, 0, n, &Vec::new(), &mut out);
    out.into_iter().collect()
}

/// The values an object path selects in one object, following references.
fn select<'a>(o: &'a Observation, obj: &'a Value, steps: &[PathStep]) -> Vec<Val<'a>> {
    let mut cur = vec![Val::Json(obj)];
    for step in steps {
        let mut next = Vec::new();
        for v in cur {
            match (step, v) {
                (PathStep::Key(k), Val::Json(Value::Object(m))) => {
                    if let Some(x) = m.get(k) {
                        next.extend(step_key(o, k, x));
                    }
                }
                (PathStep::Index(i), Val::Json(Value::Array(a))) => {
                    next.extend(
                        usize::try_from(*i)
                            .ok()
                            .and_then(|i| a.get(i))
                            .map(Val::Json),
                    );
                }
                (PathStep::Index(i), Val::List(a)) => {
                    next.extend(
                        usize::try_from(*i)
                            .ok()
                            .and_then(|i| a.get(i).copied())
                            .map(Val::Json),
                    );
                }
                (PathStep::AnyIndex, Val::Json(Value::Array(a))) => {
                    next.extend(a.iter().map(Val::Json))
                }
                (PathStep::AnyIndex, Val::List(a)) => next.extend(a.into_iter().map(Val::Json)),
                _ => {}
            }
        }
        cur = next;
    }
    cur
}

fn step_key<'a>(o: &'a Observation, key: &str, x: &'a Value) -> Option<Val<'a>> {
    if key.ends_with("_hex") {
        return decode_hex(x.as_str()?).map(Val::Bytes);
    }
    if key.ends_with("_bin") {
        let s = x.as_str()?;
        return if s.is_empty() {
            Some(Val::Bytes(Vec::new()))
        } else {
            decode_base64(s).map(Val::Bytes)
        };
    }
    if key.ends_with("_ref") {
        return o.objects.get(x.as_str()?).map(Val::Json);
    }
    if key.ends_with("_refs") {
        let list = x.as_array()?;
        let objs: Vec<&Value> = list
            .iter()
            .filter_map(|r| o.objects.get(r.as_str()?))
            .collect();
        return (!objs.is_empty()).then_some(Val::List(objs));
    }
    Some(Val::Json(x))
}

#[cfg(test)]
mod tests;
