//! Paging by `seq` in both orders while writes go on between pages; filters; streaming;
//! `list_borrowed` against `list`.

use std::collections::HashMap;

use concord_store::{Limits, ListQuery, Order};
use serde_json::json;

use super::{Open, id_of, indicator, put, sco, with};

fn page_through(o: Open, order: Order) {
    let Some(store) = o(Limits::default()) else {
        return;
    };
    let store = store.as_ref();
    let initial: Vec<_> = (0..250)
        .map(|i| indicator(&format!("ind {i}"), "[domain-name:value = 'p.example']"))
        .collect();
    put(store, &initial);
    let initial_seq: HashMap<String, i64> = initial
        .iter()
        .map(|v| (id_of(v), store.get(&id_of(v)).unwrap().unwrap().seq))
        .collect();
    let mut seen: Vec<(i64, String)> = Vec::new();
    let mut q = ListQuery {
        order,
        limit: 40,
        ..Default::default()
    };
    let mut round = 0;
    loop {
        let page = store.list(&q).unwrap();
        assert!(page.objects.len() <= 40);
        for o in &page.objects {
            seen.push((o.seq, o.value()["id"].as_str().unwrap().to_owned()));
        }
        // Writes between pages: new objects, and a new version of an object already seen.
        round += 1;
        let fresh: Vec<_> = (0..5)
            .map(|i| {
                indicator(
                    &format!("late {round} {i}"),
                    "[domain-name:value = 'q.example']",
                )
            })
            .collect();
        put(store, &fresh);
        if let Some((_, id)) = seen.first() {
            let v = initial.iter().find(|v| &id_of(v) == id).unwrap();
            let ts = format!("2026-02-01T00:00:{:02}.000Z", round.min(59));
            put(store, &[with(v.clone(), json!({"modified": ts}))]);
        }
        match page.next {
            Some(n) => q.cursor = Some(n),
            None => break,
        }
        assert!(round < 100, "paging does not end");
    }
    let seqs: Vec<i64> = seen.iter().map(|(s, _)| *s).collect();
    match order {
        Order::BySeq => assert!(seqs.windows(2).all(|w| w[0] < w[1]), "ascending"),
        Order::NewestFirst => assert!(seqs.windows(2).all(|w| w[0] > w[1]), "descending"),
    }
    for (id, seq) in &initial_seq {
        let n = seen.iter().filter(|(s, i)| i == id && s == seq).count();
        assert_eq!(n, 1, "{id} at seq {seq} seen {n} times");
    }
    if order == Order::BySeq {
        assert!(
            seen.iter()
                .any(|(s, _)| !initial_seq.values().any(|x| x == s))
        );
    }
}

pub fn by_seq_with_concurrent_writes(o: Open) {
    page_through(o, Order::BySeq);
}

pub fn newest_first_with_concurrent_writes(o: Open) {
    page_through(o, Order::NewestFirst);
}

pub fn filters_types_added_after_and_limits(o: Open) {
    let Some(store) = o(Limits::default()) else {
        return;
    };
    let store = store.as_ref();
    put(
        store,
        &[
            indicator("a", "[domain-name:value = 'a.example']"),
            sco("domain-name", "a.example"),
        ],
    );
    let all = store.list(&ListQuery::default()).unwrap();
    assert_eq!(all.objects.len(), 2);
    assert_eq!(all.next, None, "a short page has no next");
    let only = store
        .list(&ListQuery {
            types: vec!["domain-name".into()],
            ..Default::default()
        })
        .unwrap();
    assert_eq!(only.objects.len(), 1);
    let first = &all.objects[1];
    let later = store
        .list(&ListQuery {
            added_after: Some(first.date_added.clone()),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(later.objects.len(), 1);
    assert!(concord_store::date_added::is_after(
        &later.objects[0].date_added,
        &first.date_added
    ));
    // A bound in another form (milliseconds) compares by instant.
    let millis = format!("{}Z", &first.date_added[..23]);
    let from_millis = store
        .list(&ListQuery {
            added_after: Some(millis.clone()),
            ..Default::default()
        })
        .unwrap();
    let want = all
        .objects
        .iter()
        .filter(|o| concord_store::date_added::is_after(&o.date_added, &millis))
        .count();
    assert_eq!(from_millis.objects.len(), want);
    let none = store
        .list(&ListQuery {
            added_after: Some("2999-01-01T00:00:00.000Z".into()),
            ..Default::default()
        })
        .unwrap();
    assert!(none.objects.is_empty());
    let one = store
        .list(&ListQuery {
            limit: 1,
            ..Default::default()
        })
        .unwrap();
    assert_eq!(one.next, Some(one.objects[0].seq));
}

pub fn for_each_current_streams_by_seq(o: Open) {
    let Some(store) = o(Limits::default()) else {
        return;
    };
    let values: Vec<_> = (0..2_500)
        .map(|i| indicator(&format!("s {i}"), "[domain-name:value = 's.example']"))
        .collect();
    put(store.as_ref(), &values);
    put(store.as_ref(), &[sco("url", "http://s.example/")]);
    let mut seqs = Vec::new();
    store
        .for_each_current(&["indicator".to_owned()], &mut |o| {
            seqs.push(o.seq);
            Ok(())
        })
        .unwrap();
    assert_eq!(seqs.len(), 2_500);
    assert!(seqs.windows(2).all(|w| w[0] < w[1]));
}

pub fn list_borrowed_hands_over_the_page_list_gives(o: Open) {
    let Some(store) = o(Limits::default()) else {
        return;
    };
    let values: Vec<_> = (0..25)
        .map(|i| indicator(&format!("b {i}"), "[domain-name:value = 'b.example']"))
        .collect();
    put(store.as_ref(), &values);
    for order in [Order::BySeq, Order::NewestFirst] {
        let mut q = ListQuery {
            order,
            limit: 10,
            ..Default::default()
        };
        loop {
            let page = store.list(&q).unwrap();
            for with_json in [true, false] {
                let mut rows = Vec::new();
                let listed = store
                    .list_borrowed(&q, with_json, &mut |r| {
                        rows.push((
                            r.seq,
                            String::from_utf8(r.json.to_vec()).unwrap(),
                            r.id.to_owned(),
                            r.date_added.to_owned(),
                        ));
                    })
                    .unwrap();
                assert_eq!(listed.rows, page.objects.len());
                assert_eq!(listed.more, page.next.is_some());
                for (row, obj) in rows.iter().zip(&page.objects) {
                    assert_eq!(row.0, obj.seq);
                    if with_json {
                        assert_eq!(row.1, obj.json);
                        assert_eq!(row.3, "");
                    } else {
                        assert_eq!(row.2, obj.value()["id"].as_str().unwrap());
                        assert_eq!(row.3, obj.date_added);
                    }
                }
                assert_eq!(listed.first_added, page.objects[0].date_added);
                assert_eq!(listed.last_added, page.objects.last().unwrap().date_added);
                assert_eq!(listed.last_seq, page.objects.last().unwrap().seq);
            }
            match page.next {
                Some(n) => q.cursor = Some(n),
                None => break,
            }
        }
    }
}

/// A page read again after its objects changed shows what the store holds now: a new
/// version instead of the one read before, and nothing of a deleted object (the
/// PostgreSQL backend keeps rows it handed over in memory; this holds it to the rule).
pub fn list_borrowed_read_again_shows_new_versions_and_no_deleted_ones(o: Open) {
    let Some(store) = o(Limits::default()) else {
        return;
    };
    let values: Vec<_> = (0..5)
        .map(|i| indicator(&format!("again {i}"), "[domain-name:value = 'a.example']"))
        .collect();
    put(store.as_ref(), &values);
    let read = |with_json: bool| {
        let mut rows = Vec::new();
        store
            .list_borrowed(&ListQuery::default(), with_json, &mut |r| {
                rows.push(if with_json {
                    String::from_utf8(r.json.to_vec()).unwrap()
                } else {
                    format!("{} {}", r.id, r.version)
                });
            })
            .unwrap();
        rows
    };
    assert_eq!(read(true).len(), 5);
    assert_eq!(read(false).len(), 5);
    let newer = with(
        values[1].clone(),
        json!({"modified": "2030-01-01T00:00:00.000Z", "name": "again, newer"}),
    );
    put(store.as_ref(), &[newer.clone()]);
    assert_eq!(store.delete(&id_of(&values[3])).unwrap(), 1);
    let objects = read(true);
    assert_eq!(objects.len(), 4);
    assert!(objects.iter().any(|j| j.contains("again, newer")));
    assert!(!objects.iter().any(|j| j.contains("\"again 1\"")));
    assert!(!objects.iter().any(|j| j.contains("\"again 3\"")));
    let manifest = read(false);
    assert!(manifest.contains(&format!("{} 2030-01-01T00:00:00.000Z", id_of(&newer))));
    assert!(!manifest.iter().any(|m| m.starts_with(&id_of(&values[3]))));
}
