//! Listings for a clearance (`ListQuery::within`, `ClearedStore`): the levels the store
//! keeps for each version say what `concord_stix::visibility` says, for every
//! combination of object and granular markings.

use std::collections::BTreeSet;

use concord_stix::Tlp;
use concord_stix::visibility::{View, highest_level, object_level, view};
use concord_store::cleared::ClearedStore;
use concord_store::{Limits, ListQuery, Order, Store, Within};
use serde_json::{Value, json};

use super::{Open, id_of, indicator, put, with};

const LEVELS: [Tlp; 5] = [
    Tlp::Clear,
    Tlp::Green,
    Tlp::Amber,
    Tlp::AmberStrict,
    Tlp::Red,
];

/// A statement marking: a marking definition that is not a TLP level.
const STATEMENT: &str = "marking-definition--1b9a7cd6-0c3d-4ae1-8d2e-57c1b7b2d6f4";

/// Every combination of no / one TLP / a statement object marking with no / a TLP
/// granular marking on `description` / a RED one on `id` (which hides the whole object
/// from a clearance below RED: the rule fails closed).
pub fn objects() -> Vec<Value> {
    let mut object_markings: Vec<Option<&str>> = vec![None, Some(STATEMENT)];
    object_markings.extend(LEVELS.iter().map(|t| Some(t.marking_id())));
    let mut granular: Vec<Option<(Tlp, &str)>> = vec![None, Some((Tlp::Red, "id"))];
    granular.extend(LEVELS.iter().map(|t| Some((*t, "description"))));
    let mut out = Vec::new();
    for (i, om) in object_markings.iter().enumerate() {
        for (j, g) in granular.iter().enumerate() {
            let mut v = with(
                indicator(
                    &format!("combination {i} {j}"),
                    "[ipv4-addr:value = '198.51.100.7']",
                ),
                json!({"description": format!("held words {i} {j}")}),
            );
            if let Some(m) = om {
                v = with(v, json!({"object_marking_refs": [m]}));
            }
            if let Some((t, selector)) = g {
                v = with(
                    v,
                    json!({"granular_markings": [
                        {"marking_ref": t.marking_id(), "selectors": [selector]}
                    ]}),
                );
            }
            out.push(v);
        }
    }
    out
}

fn listed(store: &dyn Store, within: Option<Within>) -> BTreeSet<(String, bool)> {
    let q = ListQuery {
        order: Order::BySeq,
        limit: 1000,
        within,
        ..ListQuery::default()
    };
    let mut out = BTreeSet::new();
    store
        .list_borrowed(&q, false, &mut |r| {
            out.insert((r.id.to_owned(), r.redact));
        })
        .unwrap();
    out
}

pub fn listings_for_a_clearance_keep_to_the_visibility_rule(o: Open) {
    let Some(store) = o(Limits::default()) else {
        return;
    };
    let values = objects();
    put(store.as_ref(), &values);
    check(&store, &values);
}

/// Every listing of `store` (which holds `values` and nothing else) for every clearance
/// shows what the visibility rule says.
pub fn check(store: &std::sync::Arc<dyn Store>, values: &[Value]) {
    for c in LEVELS {
        let whole: BTreeSet<(String, bool)> = values
            .iter()
            .filter(|v| view(v, c) == View::Whole)
            .map(|v| (id_of(v), false))
            .collect();
        assert_eq!(
            listed(store.as_ref(), Some(Within::Whole(c))),
            whole,
            "{c:?}"
        );
        let cleared = ClearedStore::new(store.clone(), c);
        assert_eq!(listed(&cleared, None), whole, "ClearedStore {c:?}");
        let objects: BTreeSet<(String, bool)> = values
            .iter()
            .filter(|v| object_level(v) <= c)
            .map(|v| (id_of(v), highest_level(v) > c))
            .collect();
        assert_eq!(
            listed(store.as_ref(), Some(Within::Objects(c))),
            objects,
            "{c:?}"
        );
        // Every version too, for TAXII's `match[version]=all`.
        let all = store
            .list_versions(&ListQuery {
                limit: 1000,
                within: Some(Within::Whole(c)),
                ..ListQuery::default()
            })
            .unwrap();
        let ids: BTreeSet<(String, bool)> = all
            .objects
            .iter()
            .map(|o| (id_of(&o.value()), false))
            .collect();
        assert_eq!(ids, whole, "list_versions {c:?}");
    }
    assert_eq!(listed(store.as_ref(), None).len(), values.len());
}
