//! Outcome rules, the current version, `seq`, `date_added`, deleting, every version.

use concord_store::{Limits, ListQuery, Order, Outcome, Store};
use serde_json::json;

use super::{Open, id_of, indicator, put, sco, with};

fn open(open: Open) -> Option<std::sync::Arc<dyn Store>> {
    open(Limits::default())
}

pub fn outcomes_of_new_versions_unchanged_and_conflicts(o: Open) {
    let Some(store) = open(o) else { return };
    let store = store.as_ref();
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
    assert_eq!(put(store, &[v1.clone()]), [Outcome::New]);
    assert_eq!(put(store, &[v3.clone()]), [Outcome::NewVersion]);
    // An older version arriving later is stored but does not become current.
    assert_eq!(put(store, &[v2.clone()]), [Outcome::NewVersion]);
    let current = store.get(&id).unwrap().unwrap();
    assert_eq!(current.value()["name"], "phish v3");
    assert!(current.current);
    assert_eq!(put(store, &[v2.clone()]), [Outcome::Unchanged]);
    let clash = with(v2.clone(), json!({"name": "something else"}));
    assert_eq!(put(store, &[clash]), [Outcome::Conflict]);
    let versions = store.versions(&id).unwrap();
    let names: Vec<_> = versions
        .iter()
        .map(|v| v.value()["name"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(names, ["phish", "phish v2", "phish v3"], "oldest first");
    assert_eq!(versions.iter().filter(|v| v.current).count(), 1);
    assert!(versions[2].current);
    let stats = store.stats().unwrap();
    assert_eq!((stats.versions, stats.objects), (3, 1));
    assert_eq!(stats.by_type, [("indicator".to_owned(), 1)]);
    assert!(
        store
            .get("indicator--00000000-0000-4000-8000-000000000000")
            .unwrap()
            .is_none()
    );
}

pub fn same_batch_versions_and_key_order(o: Open) {
    let Some(store) = open(o) else { return };
    let store = store.as_ref();
    let v1 = indicator("x", "[ipv4-addr:value = '203.0.113.9']");
    let v2 = with(v1.clone(), json!({"modified": "2026-02-01T00:00:00.000Z"}));
    let v0 = with(
        v1.clone(),
        json!({"modified": "2026-01-01T00:00:00.000Z", "name": "y"}),
    );
    assert_eq!(
        put(store, &[v1.clone(), v2.clone(), v1.clone(), v0]),
        [
            Outcome::New,
            Outcome::NewVersion,
            Outcome::Unchanged,
            Outcome::Conflict
        ]
    );
    let text = serde_json::to_string(&v1).unwrap();
    let mut reordered: Vec<(String, serde_json::Value)> =
        serde_json::from_str::<serde_json::Map<_, _>>(&text)
            .unwrap()
            .into_iter()
            .collect();
    reordered.reverse();
    let reordered = serde_json::Value::Object(reordered.into_iter().collect());
    assert_eq!(put(store, &[reordered]), [Outcome::Unchanged]);
    let versions = store.versions(&id_of(&v1)).unwrap();
    assert_eq!(versions.len(), 2);
    assert!(!versions[0].current && versions[1].current);
}

pub fn revoked_version_is_current(o: Open) {
    let Some(store) = open(o) else { return };
    let v1 = indicator("bad", "[url:value = 'http://x.example/a']");
    let id = id_of(&v1);
    let revoked = with(
        v1.clone(),
        json!({"modified": "2026-05-01T00:00:00.000Z", "revoked": true}),
    );
    put(store.as_ref(), &[v1, revoked]);
    let current = store
        .get(&id)
        .unwrap()
        .expect("a revoked object stays retrievable");
    assert_eq!(current.value()["revoked"], true);
    assert_eq!(store.versions(&id).unwrap().len(), 2);
}

pub fn scos_are_unversioned(o: Open) {
    let Some(store) = open(o) else { return };
    let store = store.as_ref();
    let ip = sco("ipv4-addr", "198.51.100.1");
    assert_eq!(put(store, &[ip.clone()]), [Outcome::New]);
    assert_eq!(put(store, &[ip.clone()]), [Outcome::Unchanged]);
    assert_eq!(
        put(store, &[with(ip, json!({"value": "198.51.100.2"}))]),
        [Outcome::Conflict]
    );
}

pub fn seq_and_date_added_strictly_increase(o: Open) {
    let Some(store) = open(o) else { return };
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
        put(store.as_ref(), &batch);
        let page = store
            .list(&ListQuery {
                order: Order::BySeq,
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
        }
    }
    assert_eq!(store.stats().unwrap().last_seq, last);
    assert_eq!(store.last_seq().unwrap(), last);
    assert_eq!(store.head_seq().unwrap(), last);
}

pub fn date_added_never_goes_back_after_a_delete(o: Open) {
    let Some(store) = open(o) else { return };
    let values: Vec<_> = (0..5)
        .map(|i| indicator(&format!("d {i}"), "[domain-name:value = 'x.example']"))
        .collect();
    put(store.as_ref(), &values);
    let newest = store.get(&id_of(&values[4])).unwrap().unwrap();
    assert_eq!(store.delete(&id_of(&values[4])).unwrap(), 1);
    put(
        store.as_ref(),
        &[indicator("after", "[domain-name:value = 'x.example']")],
    );
    let page = store
        .list(&ListQuery {
            limit: 1,
            ..Default::default()
        })
        .unwrap();
    let added = &page.objects[0].date_added;
    assert!(
        concord_store::date_added::is_after(added, &newest.date_added),
        "{added} after the deleted {}",
        newest.date_added
    );
    assert!(page.objects[0].seq > newest.seq, "seq is never reused");
}

pub fn delete_removes_every_trace(o: Open) {
    let Some(store) = open(o) else { return };
    let store = store.as_ref();
    let a = indicator("deletable beacon", "[ipv4-addr:value = '203.0.113.77']");
    let a2 = with(a.clone(), json!({"modified": "2026-06-01T00:00:00.000Z"}));
    let b = indicator("kept beacon", "[ipv4-addr:value = '203.0.113.77']");
    put(store, &[a.clone(), b.clone()]);
    put(store, &[a2]);
    let (ida, idb) = (id_of(&a), id_of(&b));
    assert_eq!(store.correlations(&idb).unwrap().len(), 1);
    assert_eq!(store.delete(&ida).unwrap(), 2);
    assert!(store.get(&ida).unwrap().is_none());
    assert!(store.versions(&ida).unwrap().is_empty());
    assert!(store.correlations(&idb).unwrap().is_empty());
    let found = store
        .list(&ListQuery {
            text: Some("deletable".into()),
            limit: 10,
            ..ListQuery::default()
        })
        .unwrap();
    assert!(found.objects.is_empty());
    assert_eq!(store.delete(&ida).unwrap(), 0);
    assert_eq!(store.stats().unwrap().objects, 1);
    put(store, &[a]);
    assert_eq!(store.versions(&ida).unwrap().len(), 1);
    assert_eq!(store.correlations(&idb).unwrap().len(), 1);
}

pub fn list_versions_lists_every_version_by_seq(o: Open) {
    let Some(store) = open(o) else { return };
    let store = store.as_ref();
    let a = indicator("a", "[ipv4-addr:value = '203.0.113.1']");
    let a2 = with(a.clone(), json!({"modified": "2026-06-01T00:00:00.000Z"}));
    put(
        store,
        &[
            a.clone(),
            super::with(
                super::sdo("identity"),
                json!({"name": "someone", "identity_class": "organization"}),
            ),
        ],
    );
    put(store, &[a2]);
    let all = store
        .list_versions(&ListQuery {
            limit: 10,
            ..ListQuery::default()
        })
        .unwrap();
    assert_eq!(all.objects.len(), 3);
    assert!(all.objects.windows(2).all(|w| w[0].seq < w[1].seq));
    assert_eq!(all.objects.iter().filter(|o| o.current).count(), 2);
    let q = ListQuery {
        types: vec!["indicator".into()],
        limit: 1,
        ..ListQuery::default()
    };
    let first = store.list_versions(&q).unwrap();
    assert_eq!(first.objects.len(), 1);
    let second = store
        .list_versions(&ListQuery {
            cursor: first.next,
            ..q
        })
        .unwrap();
    assert_eq!(second.objects.len(), 1);
    assert!(!first.objects[0].current && second.objects[0].current);
    assert_eq!(id_of(&a), second.objects[0].value()["id"]);
}
