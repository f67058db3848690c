//! The one visibility rule: what a caller with a TLP clearance may see of an object.
//!
//! Every read path of a node (REST, TAXII, the web interface and its live streams, match
//! results, coordinated response, federation) asks [`view`] and nothing else.
//!
//! The rule:
//! - An object whose object markings (`object_marking_refs`) are above the clearance is
//!   not seen at all. Unmarked objects are TLP:CLEAR; marking definitions that are not TLP
//!   levels (statements, custom definitions) do not restrict.
//! - A granular marking above the clearance removes what its selectors select (STIX 2.1
//!   section 7.2.3: `description`, `labels.[1]`, `external_references.[0].url`). A removed
//!   list element is taken out of its list; the `granular_markings` list itself stays, so
//!   a reader can tell that something was withheld.
//! - Fail closed: a granular marking above the clearance that selects an identifying
//!   property (`type`, `id`, `spec_version`, `created`, `modified`), selects the object's
//!   markings, or has a selector that is not a selector hides the whole object.
//!
//! ```
//! use concord_stix::Tlp;
//! use concord_stix::visibility::{View, view};
//! use serde_json::json;
//!
//! let red = Tlp::Red.marking_id();
//! let report = json!({
//!     "type": "report", "id": "report--1d1c8ba3-8d5c-4ed5-9b1c-8dcfb7a2d3b1",
//!     "name": "Campaign", "description": "source: our sensor at 192.0.2.1",
//!     "granular_markings": [{"marking_ref": red, "selectors": ["description"]}],
//! });
//! match view(&report, Tlp::Green) {
//!     View::Redacted(v) => assert!(v.get("description").is_none()),
//!     other => panic!("{other:?}"),
//! }
//! assert!(matches!(view(&report, Tlp::Red), View::Whole));
//! ```

use serde_json::Value;

use crate::Tlp;

/// What a caller may see of one object.
#[derive(Debug, Clone, PartialEq)]
pub enum View {
    /// Nothing: the object is above the clearance (or cannot be shown safely).
    Hidden,
    /// The object as held.
    Whole,
    /// The object with what granular markings above the clearance select removed.
    Redacted(Value),
}

impl View {
    /// The object as the caller sees it (`None`: hidden), borrowing when whole.
    pub fn shown<'a>(&'a self, held: &'a Value) -> Option<&'a Value> {
        match self {
            View::Hidden => None,
            View::Whole => Some(held),
            View::Redacted(v) => Some(v),
        }
    }
}

/// Properties without which an object is no longer the object: a granular marking above
/// the clearance on one of them hides the whole object.
const IDENTIFYING: &[&str] = &[
    "type",
    "id",
    "spec_version",
    "created",
    "modified",
    "object_marking_refs",
    "granular_markings",
];

/// The strictest TLP level of the object's object markings (TLP:CLEAR when none is a
/// TLP level).
pub fn object_level(object: &Value) -> Tlp {
    Tlp::strictest(
        object
            .get("object_marking_refs")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str),
    )
    .unwrap_or(Tlp::Clear)
}

/// The strictest TLP level anywhere on the object: its object markings and its granular
/// markings. What a derived object (a sighting, an alert) must be marked at least at.
pub fn highest_level(object: &Value) -> Tlp {
    granular_tlp(object)
        .map(|(t, _)| t)
        .fold(object_level(object), Tlp::max)
}

/// The strictest TLP level of a `granular_markings` list (CLEAR when none is a TLP
/// level, or when it is not a list).
pub fn granular_level(granular_markings: &Value) -> Tlp {
    granular_list(Some(granular_markings))
        .map(|(t, _)| t)
        .max()
        .unwrap_or(Tlp::Clear)
}

/// The TLP granular markings of an object with their selectors.
fn granular_tlp(object: &Value) -> impl Iterator<Item = (Tlp, &Value)> {
    granular_list(object.get("granular_markings"))
}

/// The TLP markings of a `granular_markings` value with their selectors.
fn granular_list(list: Option<&Value>) -> impl Iterator<Item = (Tlp, &Value)> {
    list.and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|g| {
            let tlp = Tlp::from_marking_id(g.get("marking_ref")?.as_str()?)?;
            Some((tlp, g.get("selectors").unwrap_or(&Value::Null)))
        })
}

/// What a caller with `clearance` may see of `object` (see the module doc for the rule).
pub fn view(object: &Value, clearance: Tlp) -> View {
    if object_level(object) > clearance {
        return View::Hidden;
    }
    let mut paths: Vec<Vec<Step<'_>>> = Vec::new();
    for (tlp, selectors) in granular_tlp(object) {
        if tlp <= clearance {
            continue;
        }
        let Some(selectors) = selectors.as_array().filter(|s| !s.is_empty()) else {
            return View::Hidden;
        };
        for s in selectors {
            let Some(path) = s.as_str().and_then(parse_selector) else {
                return View::Hidden;
            };
            if let Some(Step::Key(first)) = path.first()
                && IDENTIFYING.contains(first)
            {
                return View::Hidden;
            }
            paths.push(path);
        }
    }
    if paths.is_empty() {
        return View::Whole;
    }
    let mut out = object.clone();
    for path in &paths {
        mark(&mut out, path);
    }
    sweep(&mut out);
    View::Redacted(out)
}

/// [`view`] for an optional clearance: `None` (a caller without a clearance, such as the
/// node's own operator tools) sees every object whole.
pub fn view_for(object: &Value, clearance: Option<Tlp>) -> View {
    match clearance {
        Some(c) => view(object, c),
        None => View::Whole,
    }
}

/// [`view`] of an object held as JSON text (a stored row): `None` when hidden, the text
/// itself when whole, the redacted object's JSON otherwise. Text that cannot carry a
/// marking (no `marking` in it and no `\u` escape that could spell one) is not parsed.
/// Text that is not a JSON object is hidden (fail closed).
pub fn view_json(json: &str, clearance: Option<Tlp>) -> Option<std::borrow::Cow<'_, str>> {
    use std::borrow::Cow;
    let Some(c) = clearance else {
        return Some(Cow::Borrowed(json));
    };
    if !json.contains("marking") && !json.contains("\\u") {
        return Some(Cow::Borrowed(json));
    }
    let Ok(v) = serde_json::from_str::<Value>(json) else {
        return None;
    };
    if !v.is_object() {
        return None;
    }
    match view(&v, c) {
        View::Hidden => None,
        View::Whole => Some(Cow::Borrowed(json)),
        View::Redacted(r) => Some(Cow::Owned(r.to_string())),
    }
}

/// [`view_json`] for a row of a listing that the store has already limited to objects
/// whose object markings are within `clearance` (`Users::list_cleared`, the rule's first
/// part in SQL): only granular markings are left to apply, so text without
/// `granular_markings` (and without a `\u` escape that could spell it) is not parsed.
pub fn view_listed_json(json: &str, clearance: Tlp) -> Option<std::borrow::Cow<'_, str>> {
    if !json.contains("granular_markings") && !json.contains("\\u") {
        return Some(std::borrow::Cow::Borrowed(json));
    }
    view_json(json, Some(clearance))
}

/// One step of a selector: a property name or a list index.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Step<'a> {
    Key(&'a str),
    Index(usize),
}

/// `a.b.[2].c` -> `[Key(a), Key(b), Index(2), Key(c)]`; `None` for an empty selector or
/// segment, or a malformed index.
fn parse_selector(s: &str) -> Option<Vec<Step<'_>>> {
    s.split('.')
        .map(|seg| {
            if seg.is_empty() {
                None
            } else if let Some(n) = seg.strip_prefix('[').and_then(|r| r.strip_suffix(']')) {
                n.parse().ok().map(Step::Index)
            } else {
                Some(Step::Key(seg))
            }
        })
        .collect()
}

/// What takes the place of a removed value until [`sweep`] takes it out: a NUL-framed
/// text. A held value equal to it would be removed too, never revealed.
const TOMBSTONE: &str = "\u{0}concord:withheld\u{0}";

/// Replaces what `path` selects with the tombstone (nothing when it selects nothing).
/// Indices are those of the held object: every path is marked before any is removed.
fn mark(v: &mut Value, path: &[Step<'_>]) {
    let Some((last, init)) = path.split_last() else {
        return;
    };
    let mut at = v;
    for step in init {
        at = match (step, at) {
            (Step::Key(k), Value::Object(m)) => match m.get_mut(*k) {
                Some(next) => next,
                None => return,
            },
            (Step::Index(i), Value::Array(a)) => match a.get_mut(*i) {
                Some(next) => next,
                None => return,
            },
            _ => return,
        };
    }
    match (last, at) {
        (Step::Key(k), Value::Object(m)) => {
            if let Some(slot) = m.get_mut(*k) {
                *slot = Value::String(TOMBSTONE.to_owned());
            }
        }
        (Step::Index(i), Value::Array(a)) => {
            if let Some(slot) = a.get_mut(*i) {
                *slot = Value::String(TOMBSTONE.to_owned());
            }
        }
        _ => {}
    }
}

fn is_tombstone(v: &Value) -> bool {
    v.as_str() == Some(TOMBSTONE)
}

/// Takes tombstones out of every object and list.
fn sweep(v: &mut Value) {
    match v {
        Value::Object(m) => {
            let dead: Vec<String> = m
                .iter()
                .filter(|(_, v)| is_tombstone(v))
                .map(|(k, _)| k.clone())
                .collect();
            for k in dead {
                m.remove(&k);
            }
            m.values_mut().for_each(sweep);
        }
        Value::Array(a) => {
            a.retain(|v| !is_tombstone(v));
            a.iter_mut().for_each(sweep);
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    fn object(extra: Value) -> Value {
        let mut o = json!({
            "type": "indicator", "spec_version": "2.1",
            "id": "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
            "created": "2016-04-06T20:03:48.000Z", "modified": "2016-04-06T20:03:48.000Z",
        });
        o.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        o
    }

    #[test]
    fn unmarked_objects_are_clear() {
        let o = object(json!({"name": "x"}));
        assert_eq!(view(&o, Tlp::Clear), View::Whole);
    }

    #[test]
    fn object_markings_above_hide() {
        let o = object(json!({"object_marking_refs": [Tlp::Amber.marking_id()]}));
        assert_eq!(view(&o, Tlp::Green), View::Hidden);
        assert_eq!(view(&o, Tlp::Amber), View::Whole);
        assert_eq!(view(&o, Tlp::Red), View::Whole);
    }

    #[test]
    fn non_tlp_markings_do_not_restrict() {
        let o = object(json!({"object_marking_refs": [
            "marking-definition--3a4f5b1e-2b0e-4e49-9a7c-5a0b5e0e7e11"
        ]}));
        assert_eq!(view(&o, Tlp::Clear), View::Whole);
    }

    #[test]
    fn granular_selectors_remove_keys_nested_keys_and_list_elements() {
        let red = Tlp::Red.marking_id();
        let o = object(json!({
            "name": "keep", "description": "secret-a",
            "labels": ["l0", "secret-b", "l2", "secret-c"],
            "external_references": [{"source_name": "s", "url": "secret-d"}],
            "granular_markings": [
                {"marking_ref": red, "selectors": ["description", "labels.[1]", "labels.[3]"]},
                {"marking_ref": red, "selectors": ["external_references.[0].url"]},
                {"marking_ref": Tlp::Green.marking_id(), "selectors": ["name"]},
                {"lang": "en", "selectors": ["name"]},
            ],
        }));
        let View::Redacted(v) = view(&o, Tlp::Amber) else {
            panic!()
        };
        assert!(!v.to_string().contains("secret"), "{v}");
        assert_eq!(v["labels"], json!(["l0", "l2"]));
        assert_eq!(v["external_references"], json!([{"source_name": "s"}]));
        assert_eq!(v["name"], "keep");
        assert_eq!(view(&o, Tlp::Red), View::Whole);
    }

    #[test]
    fn fail_closed_on_identifying_or_malformed_selectors() {
        let red = Tlp::Red.marking_id();
        for sel in [
            json!(["id"]),
            json!(["type"]),
            json!(["a..b"]),
            json!([]),
            json!("description"),
            json!(["x.[y]"]),
            json!(["granular_markings.[0]"]),
        ] {
            let o = object(json!({"granular_markings": [{"marking_ref": red, "selectors": sel}]}));
            assert_eq!(view(&o, Tlp::Green), View::Hidden, "{sel}");
            assert_eq!(view(&o, Tlp::Red), View::Whole, "{sel}");
        }
    }

    #[test]
    fn highest_level_counts_granular_markings() {
        let o = object(json!({
            "object_marking_refs": [Tlp::Green.marking_id()],
            "granular_markings": [{"marking_ref": Tlp::Red.marking_id(), "selectors": ["name"]}],
        }));
        assert_eq!(object_level(&o), Tlp::Green);
        assert_eq!(highest_level(&o), Tlp::Red);
    }

    fn tlp() -> impl Strategy<Value = Tlp> {
        prop_oneof![
            Just(Tlp::Clear),
            Just(Tlp::Green),
            Just(Tlp::Amber),
            Just(Tlp::AmberStrict),
            Just(Tlp::Red)
        ]
    }

    /// A tree of custom properties whose leaves are unique strings, with the selectors
    /// of every leaf and inner node.
    fn tree() -> impl Strategy<Value = Value> {
        let leaf = "[a-z]{1,6}".prop_map(Value::String);
        leaf.prop_recursive(3, 24, 4, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 1..4).prop_map(Value::Array),
                prop::collection::btree_map("[a-z]{1,4}", inner, 1..4)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    /// Every selector of `v` below `prefix`, with the value it selects.
    fn selectors(v: &Value, prefix: &str, out: &mut Vec<(String, Value)>) {
        match v {
            Value::Object(m) => {
                for (k, c) in m {
                    let sel = if prefix.is_empty() {
                        k.clone()
                    } else {
                        format!("{prefix}.{k}")
                    };
                    out.push((sel.clone(), c.clone()));
                    selectors(c, &sel, out);
                }
            }
            Value::Array(a) => {
                for (i, c) in a.iter().enumerate() {
                    let sel = format!("{prefix}.[{i}]");
                    out.push((sel.clone(), c.clone()));
                    selectors(c, &sel, out);
                }
            }
            _ => {}
        }
    }

    fn leaves(v: &Value, out: &mut Vec<String>) {
        match v {
            Value::String(s) => out.push(s.clone()),
            Value::Array(a) => a.iter().for_each(|c| leaves(c, out)),
            Value::Object(m) => m.values().for_each(|c| leaves(c, out)),
            _ => {}
        }
    }

    proptest! {
        /// No property marked above the clearance appears in what the rule returns,
        /// whatever the markings' combination; what no marking above selects stays.
        #[test]
        fn nothing_marked_above_the_clearance_is_shown(
            body in prop::collection::btree_map("x_[a-z]{1,4}", tree(), 1..4),
            picks in prop::collection::vec((any::<prop::sample::Index>(), tlp()), 0..6),
            object_tlp in prop::option::of(tlp()),
            clearance in tlp(),
        ) {
            // Unique leaves: a leaf's text is its position, so a leaf's text found in
            // the output is that very leaf.
            let mut n = 0;
            let mut body = Value::Object(body.into_iter().collect());
            fn number(v: &mut Value, n: &mut usize) {
                match v {
                    Value::String(s) => { *n += 1; *s = format!("leaf{n}z"); }
                    Value::Array(a) => a.iter_mut().for_each(|c| number(c, n)),
                    Value::Object(m) => m.values_mut().for_each(|c| number(c, n)),
                    _ => {}
                }
            }
            number(&mut body, &mut n);
            let mut sels = Vec::new();
            selectors(&body, "", &mut sels);
            let marks: Vec<(String, Value, Tlp)> = picks
                .iter()
                .map(|(i, t)| { let (s, v) = i.get(&sels).clone(); (s, v, *t) })
                .collect();
            let mut o = object(body.clone());
            let m = o.as_object_mut().unwrap();
            if let Some(t) = object_tlp {
                m.insert("object_marking_refs".into(), json!([t.marking_id()]));
            }
            m.insert("granular_markings".into(), Value::Array(marks.iter().map(|(s, _, t)| {
                json!({"marking_ref": t.marking_id(), "selectors": [s]})
            }).collect()));
            let v = view(&o, clearance);
            let shown = match &v {
                View::Hidden => {
                    prop_assert!(object_tlp.is_some_and(|t| t > clearance));
                    return Ok(());
                }
                View::Whole => o.clone(),
                View::Redacted(r) => r.clone(),
            };
            let text = shown.to_string();
            let mut withheld = Vec::new();
            for (_, sub, t) in &marks {
                if *t > clearance {
                    leaves(sub, &mut withheld);
                }
            }
            for leaf in &withheld {
                prop_assert!(!text.contains(&format!("\"{leaf}\"")), "{leaf} shown in {text}");
            }
            let mut all = Vec::new();
            leaves(&body, &mut all);
            for leaf in all.iter().filter(|l| !withheld.contains(l)) {
                prop_assert!(text.contains(&format!("\"{leaf}\"")), "{leaf} lost from {text}");
            }
        }
    }
}
