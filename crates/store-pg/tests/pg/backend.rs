//! What only the PostgreSQL backend does: several stores (processes) on one database,
//! calls from inside an async runtime, reopening, the query budget.

use std::sync::Arc;

use concord_store::{Limits, ListQuery, Order, Outcome, Store};
use concord_store_pg::PgStore;

use crate::behaviour::{id_of, indicator, put};

/// Writers on several stores of one database (as several replicas are) get one strictly
/// increasing `seq` and `date_added`, and a reader paging by `seq` while they write
/// never misses a version (versions become visible in `seq` order).
#[test]
fn writers_of_several_stores_get_one_order() {
    let Some(url) = concord_testpg::database() else {
        return;
    };
    let stores: Vec<Arc<PgStore>> = (0..3)
        .map(|_| Arc::new(PgStore::open(&url).unwrap()))
        .collect();
    let reader = PgStore::open(&url).unwrap();
    let seen = std::thread::scope(|s| {
        for (w, store) in stores.iter().enumerate() {
            s.spawn(move || {
                for round in 0..20 {
                    let batch: Vec<_> = (0..5)
                        .map(|i| {
                            indicator(
                                &format!("w{w} r{round} i{i}"),
                                "[domain-name:value = 'w.example']",
                            )
                        })
                        .collect();
                    assert!(
                        put(store.as_ref(), &batch)
                            .iter()
                            .all(|o| *o == Outcome::New)
                    );
                }
            });
        }
        // Page while they write: every page continues after the last seq seen.
        let mut seen: Vec<(i64, String)> = Vec::new();
        let mut cursor = 0;
        while seen.len() < 300 {
            let page = reader
                .list(&ListQuery {
                    order: Order::BySeq,
                    cursor: Some(cursor),
                    limit: 7,
                    ..ListQuery::default()
                })
                .unwrap();
            for o in &page.objects {
                seen.push((o.seq, o.date_added.clone()));
                cursor = o.seq;
            }
        }
        seen
    });
    for pair in seen.windows(2) {
        assert!(pair[0].0 < pair[1].0, "{pair:?}");
        assert!(
            concord_store::date_added::is_after(&pair[1].1, &pair[0].1),
            "{pair:?}"
        );
    }
    assert_eq!(reader.stats().unwrap().objects, 300);
}

/// The blocking methods work when called from inside an async task (the server calls
/// bounded reads there directly), and the store may be dropped there.
#[test]
fn works_inside_an_async_runtime() {
    let Some(url) = concord_testpg::database() else {
        return;
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    rt.block_on(async {
        let store = PgStore::open(&url).unwrap();
        let v = indicator("async", "[domain-name:value = 'a.example']");
        put(&store, &[v.clone()]);
        assert!(store.get(&id_of(&v)).unwrap().is_some());
        drop(store);
    });
}

/// Opening a database again keeps what it holds (the schema is migrated once), and a
/// second store on it sees the first's writes.
#[test]
fn reopening_keeps_everything() {
    let Some(url) = concord_testpg::database() else {
        return;
    };
    let v = indicator("kept", "[domain-name:value = 'k.example']");
    {
        let store = PgStore::open(&url).unwrap();
        put(&store, &[v.clone()]);
        store
            .create_token("ops", concord_store::Role::Admin, "h")
            .unwrap();
    }
    let store = PgStore::open(&url).unwrap();
    assert!(store.get(&id_of(&v)).unwrap().is_some());
    assert_eq!(store.tokens().unwrap().len(), 1);
    assert_eq!(put(&store, &[v]), [Outcome::Unchanged]);
}

/// A database of schema version 4 (a B-tree on ids, the partial index of current `seq`s
/// without `versions_page`, the index on `added_us` and the `markings` table) is brought
/// to the current version when a store opens it: its versions are kept and found by id,
/// pages and `added_after`, and writing goes on.
#[test]
fn a_version_4_database_is_migrated_on_open() {
    let Some(url) = concord_testpg::database() else {
        return;
    };
    let old = indicator("old", "[domain-name:value = 'o.example']");
    {
        let store = PgStore::open(&url).unwrap();
        put(&store, &[old.clone()]);
    }
    crate::execute(
        &url,
        "DROP INDEX versions_id; \
         DROP INDEX versions_page; \
         CREATE INDEX versions_id ON versions (id); \
         CREATE INDEX versions_current ON versions (seq) WHERE is_current; \
         CREATE INDEX versions_added ON versions (added_us); \
         CREATE TABLE markings (seq BIGINT NOT NULL, marking_ref TEXT COLLATE \"C\" NOT NULL, \
             PRIMARY KEY (seq, marking_ref)); \
         UPDATE store_meta SET value = '4' WHERE key = 'schema_version';",
    );
    let store = PgStore::open(&url).unwrap();
    assert_eq!(
        crate::scalar(
            &url,
            "SELECT value::bigint FROM store_meta WHERE key = 'schema_version'"
        ),
        concord_store_pg::SCHEMA_VERSION
    );
    assert_eq!(
        crate::scalar(
            &url,
            "SELECT count(*) FROM pg_indexes WHERE indexname = 'versions_id' \
             AND indexdef LIKE '%USING hash%'"
        ),
        1
    );
    assert_eq!(
        crate::scalar(
            &url,
            "SELECT count(*) FROM pg_class WHERE relname = 'markings'"
        ),
        0
    );
    let new = indicator("new", "[domain-name:value = 'n.example']");
    assert_eq!(
        put(&store, &[new.clone(), old.clone()]),
        [Outcome::New, Outcome::Unchanged]
    );
    assert!(store.get(&id_of(&old)).unwrap().is_some());
    let page = store.list(&ListQuery::default()).unwrap();
    assert_eq!(page.objects.len(), 2);
    let after = page
        .objects
        .iter()
        .find(|o| o.value()["id"] == old["id"])
        .unwrap();
    let later = store
        .list(&ListQuery {
            added_after: Some(after.date_added.clone()),
            ..ListQuery::default()
        })
        .unwrap();
    let ids: Vec<_> = later
        .objects
        .iter()
        .map(|o| o.value()["id"].clone())
        .collect();
    assert_eq!(ids, [new["id"].clone()]);
}

/// A page read through the row cache never shows content the database no longer holds
/// for a `seq`: when the row of a cached `seq` comes to hold another version (as after a
/// restore from a backup, or a failover that lost the last transactions, where `seq`s are
/// handed out again), it has another `added_us` and the page shows the database's row.
#[test]
fn a_cached_seq_that_now_holds_another_version_is_read_again() {
    let Some(url) = concord_testpg::database() else {
        return;
    };
    let store = PgStore::open(&url).unwrap();
    let v = indicator("cached before", "[domain-name:value = 'c.example']");
    put(&store, &[v.clone()]);
    let page = |store: &PgStore| {
        let mut json = Vec::new();
        store
            .list_borrowed(&ListQuery::default(), true, &mut |r| {
                json.push(String::from_utf8(r.json.to_vec()).unwrap());
            })
            .unwrap();
        json
    };
    let before = page(&store);
    assert!(
        before.iter().any(|j| j.contains("cached before")),
        "{before:?}"
    );
    crate::execute(
        &url,
        "UPDATE versions SET json = replace(json, 'cached before', 'written after'), \
         added_us = added_us + 1",
    );
    let after = page(&store);
    assert!(
        after.iter().any(|j| j.contains("written after")),
        "{after:?}"
    );
    assert!(
        !after.iter().any(|j| j.contains("cached before")),
        "{after:?}"
    );
}

/// A listing running longer than the store's budget is stopped with a typed error that
/// names the budget; the store answers the next query, and counts run to the end.
#[test]
fn a_query_over_its_time_budget_is_stopped() {
    let Some(url) = concord_testpg::database() else {
        return;
    };
    let budget = std::time::Duration::from_millis(1);
    let store = PgStore::open_with_limits(
        &url,
        Limits {
            query_budget: Some(budget),
            ..Limits::default()
        },
    )
    .unwrap();
    let many: Vec<_> = (0..20_000)
        .map(|i| {
            indicator(
                &format!("campaign {i}"),
                "[domain-name:value = 'b.example']",
            )
        })
        .collect();
    for chunk in many.chunks(5_000) {
        put(&store, chunk);
    }
    let e = store
        .list(&ListQuery {
            text: Some("zq".into()),
            ..ListQuery::default()
        })
        .unwrap_err();
    match e {
        concord_store::StoreError::Budget { budget: b } => assert_eq!(b, budget),
        other => panic!("expected the budget error, got {other:?}"),
    }
    assert!(store.get(&id_of(&many[0])).unwrap().is_some());
    // Counts and point reads have no budget (as on SQLite): a count of every version
    // takes longer than 1 ms.
    assert_eq!(store.stats().unwrap().versions, 20_000);
}

/// A URL that names no server fails with an error that says so.
#[test]
fn an_unreachable_database_is_a_clear_error() {
    let e = PgStore::open("postgres://nobody@127.0.0.1:1/nothing").unwrap_err();
    assert!(e.to_string().starts_with("database error: "), "{e}");
    let e = PgStore::open("not a url at all").unwrap_err();
    assert!(e.to_string().contains("invalid database URL"), "{e}");
}

/// Objects written through the one import path (which takes each object's JSON map out
/// before the store sees it) get their derived index rows: found by search, correlated
/// by observable value, related by reference. Before this, `concord init` on PostgreSQL
/// panicked in debug builds, and release builds stored no search text, correlations or
/// references for imported objects.
#[test]
fn imported_objects_are_searched_correlated_and_related() {
    let Some(url) = concord_testpg::database() else {
        return;
    };
    let store = PgStore::open(&url).unwrap();
    let a = indicator(
        "Zanzibar beacon",
        "[domain-name:value = 'zanzibar.example']",
    );
    let b = indicator("Other one", "[domain-name:value = 'zanzibar.example']");
    let rel = crate::behaviour::relationship(&id_of(&a), "related-to", &id_of(&b));
    let summary =
        concord_store::import::import_values(&store, [a.clone(), b.clone(), rel], 100, &mut |_| {})
            .unwrap();
    assert_eq!(summary.new, 3, "{summary:?}");
    let found = store
        .list(&ListQuery {
            text: Some("zanzibar".into()),
            ..ListQuery::default()
        })
        .unwrap();
    assert_eq!(found.objects.len(), 2);
    let correlated = store.correlations(&id_of(&a)).unwrap();
    assert!(
        correlated.iter().any(|c| c.id == id_of(&b)),
        "{correlated:?}"
    );
    assert!(!store.relationships(&id_of(&a)).unwrap().is_empty());
}
