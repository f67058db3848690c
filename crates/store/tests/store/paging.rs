//! Paging by seq in both orders while writes go on between pages.

use std::collections::HashMap;

use concord_store::{ListQuery, Order, Store};
use serde_json::json;

use crate::common::{id_of, indicator, memory, put, with};

fn page_through(order: Order) {
    let store = memory();
    let initial: Vec<_> = (0..250)
        .map(|i| indicator(&format!("ind {i}"), "[domain-name:value = 'p.example']"))
        .collect();
    put(&store, &initial);
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
        put(&store, &fresh);
        if let Some((_, id)) = seen.first() {
            let v = initial.iter().find(|v| &id_of(v) == id).unwrap();
            let ts = format!("2026-02-01T00:00:{:02}.000Z", round.min(59));
            put(&store, &[with(v.clone(), json!({"modified": ts}))]);
        }
        match page.next {
            Some(n) => q.cursor = Some(n),
            None => break,
        }
        assert!(round < 100, "paging does not end");
    }
    let seqs: Vec<i64> = seen.iter().map(|(s, _)| *s).collect();
    match order {
        Order::BySeq => assert!(seqs.windows(2).all(|w| w[0] < w[1]), "ascending, no repeat"),
        Order::NewestFirst => assert!(
            seqs.windows(2).all(|w| w[0] > w[1]),
            "descending, no repeat"
        ),
    }
    // No skip: every initial object that was not superseded before its page was reached
    // is seen exactly once, at its initial seq.
    for (id, seq) in &initial_seq {
        let n = seen.iter().filter(|(s, i)| i == id && s == seq).count();
        assert_eq!(n, 1, "{id} at seq {seq} seen {n} times");
    }
    if order == Order::BySeq {
        // Writes made during the paging are reached too (they have higher seqs).
        assert!(
            seen.iter()
                .any(|(s, _)| !initial_seq.values().any(|x| x == s))
        );
    }
}

#[test]
fn by_seq_with_concurrent_writes() {
    page_through(Order::BySeq);
}

#[test]
fn newest_first_with_concurrent_writes() {
    page_through(Order::NewestFirst);
}

#[test]
fn filters_types_added_after_and_limits() {
    let store = memory();
    put(
        &store,
        &[
            indicator("a", "[domain-name:value = 'a.example']"),
            crate::common::sco("domain-name", "a.example"),
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
    assert!(
        later
            .objects
            .iter()
            .all(|o| o.date_added > first.date_added)
    );
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

#[test]
fn for_each_current_streams_by_seq() {
    let store = memory();
    let values: Vec<_> = (0..2_500)
        .map(|i| indicator(&format!("s {i}"), "[domain-name:value = 's.example']"))
        .collect();
    put(&store, &values);
    put(&store, &[crate::common::sco("url", "http://s.example/")]);
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
