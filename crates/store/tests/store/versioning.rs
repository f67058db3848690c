//! Outcome rules, the current version, seq and date_added.

use concord_store::{Outcome, Store};
use serde_json::json;

use crate::common::{id_of, indicator, memory, put, sco, with};

#[test]
fn new_then_new_version_then_older_then_unchanged_then_conflict() {
    let store = memory();
    let v1 = indicator("phish", "[domain-name:value = 'a.example']");
    let id = id_of(&v1);
    let v3 = with(
        v1.clone(),
        json!({"modified": "2026-03-01T00:00:00.000Z", "name": "phish v3"}),
    );
    let v2 = with(
        v1.clone(),
        json!({"modified": "2026-02-01T00:00:00.000Z", "name": "phish v2"}),
    );
    assert_eq!(put(&store, &[v1.clone()]), [Outcome::New]);
    assert_eq!(put(&store, &[v3.clone()]), [Outcome::NewVersion]);
    // An older version arriving later is stored but does not become current.
    assert_eq!(put(&store, &[v2.clone()]), [Outcome::NewVersion]);
    let current = store.get(&id).unwrap().unwrap();
    assert_eq!(current.value()["name"], "phish v3");
    assert!(current.current);
    assert_eq!(put(&store, &[v2.clone()]), [Outcome::Unchanged]);
    let clash = with(v2.clone(), json!({"name": "something else"}));
    assert_eq!(put(&store, &[clash]), [Outcome::Conflict]);
    let versions = store.versions(&id).unwrap();
    let names: Vec<_> = versions
        .iter()
        .map(|v| v.value()["name"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        names,
        ["phish", "phish v2", "phish v3"],
        "oldest first; conflict kept the held one"
    );
    assert_eq!(versions.iter().filter(|v| v.current).count(), 1);
    assert!(versions[2].current);
    let stats = store.stats().unwrap();
    assert_eq!((stats.versions, stats.objects), (3, 1));
}

#[test]
fn same_batch_versions_and_key_order_do_not_matter() {
    let store = memory();
    let v1 = indicator("x", "[ipv4-addr:value = '203.0.113.9']");
    let v2 = with(v1.clone(), json!({"modified": "2026-02-01T00:00:00.000Z"}));
    assert_eq!(
        put(&store, &[v1.clone(), v2.clone(), v1.clone()]),
        [Outcome::New, Outcome::NewVersion, Outcome::Unchanged]
    );
    // The same object written with its keys in another order is canonically identical.
    let text = serde_json::to_string(&v1).unwrap();
    let mut reordered: Vec<(String, serde_json::Value)> =
        serde_json::from_str::<serde_json::Map<_, _>>(&text)
            .unwrap()
            .into_iter()
            .collect();
    reordered.reverse();
    let reordered = serde_json::Value::Object(reordered.into_iter().collect());
    assert_eq!(put(&store, &[reordered]), [Outcome::Unchanged]);
}

#[test]
fn revoked_version_is_current_and_flagged() {
    let store = memory();
    let v1 = indicator("bad", "[url:value = 'http://x.example/a']");
    let id = id_of(&v1);
    let revoked = with(
        v1.clone(),
        json!({"modified": "2026-05-01T00:00:00.000Z", "revoked": true}),
    );
    put(&store, &[v1, revoked]);
    let current = store
        .get(&id)
        .unwrap()
        .expect("a revoked object stays retrievable");
    assert_eq!(current.value()["revoked"], true);
    assert_eq!(store.versions(&id).unwrap().len(), 2);
}

#[test]
fn scos_are_unversioned() {
    let store = memory();
    let ip = sco("ipv4-addr", "198.51.100.1");
    assert_eq!(put(&store, &[ip.clone()]), [Outcome::New]);
    assert_eq!(put(&store, &[ip.clone()]), [Outcome::Unchanged]);
    assert_eq!(
        put(&store, &[with(ip, json!({"value": "198.51.100.2"}))]),
        [Outcome::Conflict]
    );
}

#[test]
fn seq_strictly_increases_and_date_added_is_set() {
    let store = memory();
    let mut last = 0;
    let mut last_added = "1970-01-01T00:00:00.000000Z".to_owned();
    for round in 0..3 {
        let batch: Vec<_> = (0..10)
            .map(|i| {
                indicator(
                    &format!("r{round} i{i}"),
                    "[domain-name:value = 'x.example']",
                )
            })
            .collect();
        put(&store, &batch);
        let page = store
            .list(&concord_store::ListQuery {
                order: concord_store::Order::BySeq,
                cursor: Some(last),
                ..Default::default()
            })
            .unwrap();
        assert_eq!(page.objects.len(), 10);
        for o in &page.objects {
            assert!(o.seq > last, "seq {} after {last}", o.seq);
            last = o.seq;
            assert_eq!(o.date_added.len(), 27, "{}", o.date_added);
            assert!(
                concord_store::date_added::is_after(&o.date_added, &last_added),
                "{} after {last_added}",
                o.date_added
            );
            last_added.clone_from(&o.date_added);
            assert!(
                concord_stix::Timestamp::parse_millis(&o.date_added).is_ok(),
                "{}",
                o.date_added
            );
        }
    }
    assert_eq!(store.stats().unwrap().last_seq, last);
}

#[test]
fn open_creates_parent_directories_and_reopens() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a/b/concord.db");
    let ip = sco("ipv4-addr", "192.0.2.1");
    {
        let store = concord_store::sqlite::SqliteStore::open(&path).unwrap();
        put(&store, &[ip.clone()]);
    }
    let store = concord_store::sqlite::SqliteStore::open(&path).unwrap();
    assert!(store.get(&id_of(&ip)).unwrap().is_some());
    assert_eq!(store.integrity_check().unwrap(), ["ok"]);
}

/// Issue 22, item 6: every version gets its own `date_added`, later than every one
/// before it, whichever store on the file wrote it (two stores stand for `concord
/// import` beside `concord serve`), through either write path, and after the newest
/// versions were deleted.
#[test]
fn date_added_increases_across_writers_paths_and_deletes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("concord.db");
    let a = concord_store::sqlite::SqliteStore::open(&path).unwrap();
    let b = concord_store::sqlite::SqliteStore::open(&path).unwrap();
    let batch = |round: usize| -> Vec<serde_json::Value> {
        (0..7)
            .map(|i| {
                indicator(
                    &format!("r{round} i{i}"),
                    "[domain-name:value = 'x.example']",
                )
            })
            .collect()
    };
    for round in 0..6 {
        let values = batch(round);
        match round % 3 {
            0 => drop(put(&a, &values)),
            1 => drop(put(&b, &values)),
            _ => drop(
                concord_store::import::import_values_bulk(&b, values, 3, 5, &mut |_| {}, &mut drop)
                    .unwrap(),
            ),
        }
    }
    let dates = |s: &concord_store::sqlite::SqliteStore| -> Vec<(String, String)> {
        s.list(&concord_store::ListQuery {
            order: concord_store::Order::BySeq,
            limit: 1_000,
            ..Default::default()
        })
        .unwrap()
        .objects
        .into_iter()
        .map(|o| (o.value()["id"].as_str().unwrap().to_owned(), o.date_added))
        .collect()
    };
    let held = dates(&a);
    assert_eq!(held.len(), 42);
    for pair in held.windows(2) {
        assert!(
            concord_store::date_added::is_after(&pair[1].1, &pair[0].1),
            "{pair:?}"
        );
    }
    // The newest version goes; the next one written is still later than it was.
    let (newest, newest_added) = held.last().unwrap().clone();
    assert_eq!(a.delete(&newest).unwrap(), 1);
    put(&b, &batch(99)[..1]);
    let after = dates(&a);
    let (_, added) = after.last().unwrap();
    assert!(
        concord_store::date_added::is_after(added, &newest_added),
        "{added} after the deleted {newest_added}"
    );
}
