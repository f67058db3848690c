//! Listings for a clearance (`ListQuery::within`, `ClearedStore`): the levels the store
//! keeps for each version say what `concord_stix::visibility` says, for every
//! combination of object and granular markings, on a new database and on one migrated
//! from before the levels were kept.

use std::collections::BTreeSet;
use std::sync::Arc;

use concord_stix::Tlp;
use concord_stix::visibility::{View, highest_level, object_level, view};
use concord_store::cleared::ClearedStore;
use concord_store::sqlite::SqliteStore;
use concord_store::{ListQuery, Order, Store, Within};
use serde_json::{Value, json};

use crate::common::{id_of, indicator, put, with};

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
fn objects() -> Vec<Value> {
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

/// Ids of a listing (ids are asked for, so the rows come without their JSON), with
/// whether each row came marked for redaction.
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

fn check(store: &Arc<SqliteStore>, values: &[Value]) {
    for c in LEVELS {
        // Whole: exactly what the rule shows whole (every granular selector here selects
        // a property the object has, so a marking above the clearance always redacts).
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
        let page = cleared.list(&ListQuery::default()).unwrap();
        let ids: BTreeSet<(String, bool)> = page
            .objects
            .iter()
            .map(|o| (id_of(&o.value()), false))
            .collect();
        assert_eq!(ids, whole, "ClearedStore::list {c:?}");

        // Objects: what the object markings let through, marked when a granular marking
        // is above the clearance (the reader redacts those, or hides them).
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
        for v in values.iter().filter(|v| object_level(v) <= c) {
            let marked = highest_level(v) > c;
            assert_eq!(marked, view(v, c) != View::Whole, "{c:?} {v}");
        }
    }
    assert_eq!(listed(store.as_ref(), None).len(), values.len());
}

#[test]
fn listings_for_a_clearance_keep_to_the_visibility_rule() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(SqliteStore::open(&dir.path().join("within.db")).unwrap());
    let values = objects();
    put(&store, &values);
    check(&store, &values);
}

#[test]
fn a_database_from_before_the_levels_is_filled_in_when_opened() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v2.db");
    let values = objects();
    {
        let store = SqliteStore::open(&path).unwrap();
        put(&store, &values);
    }
    {
        // As version 2 of the schema left it: no level columns.
        let c = rusqlite::Connection::open(&path).unwrap();
        c.execute_batch(
            "ALTER TABLE versions DROP COLUMN tlp; \
             ALTER TABLE versions DROP COLUMN tlp_max; \
             PRAGMA user_version = 2;",
        )
        .unwrap();
    }
    let store = Arc::new(SqliteStore::open(&path).unwrap());
    check(&store, &values);
    let version: i64 = rusqlite::Connection::open(&path)
        .unwrap()
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(version, concord_store::sqlite::SCHEMA_VERSION);
}
