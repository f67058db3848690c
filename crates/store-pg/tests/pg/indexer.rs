//! The derived indexes written behind the writes: the lag `stats` shows, reads that
//! catch up first, and indexers of several stores (processes) on one database.

use std::sync::Arc;
use std::time::{Duration, Instant};

use concord_store::{ListQuery, Store};
use concord_store_pg::PgStore;
use serde_json::{Value, json};

use crate::behaviour::{id_of, indicator, put, with};
use crate::scalar;

fn found(store: &dyn Store, text: &str) -> Vec<String> {
    store
        .list(&ListQuery {
            text: Some(text.to_owned()),
            ..ListQuery::default()
        })
        .unwrap()
        .objects
        .iter()
        .map(|o| o.value()["id"].as_str().unwrap().to_owned())
        .collect()
}

/// Version `n` of an indicator: its name has the word `w{n}x{k}y`, its pattern the domain
/// `d{n}x{k}.example`.
fn version(base: &Value, k: usize, n: usize) -> Value {
    with(
        base.clone(),
        json!({
            "modified": format!("2026-01-01T00:00:{:02}.000Z", n),
            "name": format!("w{n}x{k}y"),
            "pattern": format!("[domain-name:value = 'd{n}x{k}.example']"),
        }),
    )
}

/// An ingest leaves the derived rows to the indexer (the lag counts them); a search, a
/// correlation or a relationship asked right after the write catches up first and sees
/// it, and a new version moves the rows of its id.
#[test]
fn writes_are_indexed_behind_and_reads_catch_up() {
    let Some(url) = concord_testpg::database() else {
        return;
    };
    let store = PgStore::open(&url).unwrap();
    let a = indicator("Quokka beacon", "[domain-name:value = 'shared.example']");
    let b = indicator("Other", "[domain-name:value = 'shared.example']");
    put(&store, &[a.clone(), b.clone()]);
    let stats = store.stats().unwrap();
    assert_eq!((stats.last_seq, stats.index_lag), (2, 2), "{stats:?}");
    assert_eq!(scalar(&url, "SELECT count(*) FROM search"), 0);

    assert_eq!(found(&store, "quokka"), [id_of(&a)]);
    assert_eq!(store.stats().unwrap().index_lag, 0);
    assert_eq!(scalar(&url, "SELECT count(*) FROM search"), 2);
    assert_eq!(store.correlations(&id_of(&b)).unwrap().len(), 1);

    let a2 = with(
        a.clone(),
        json!({"modified": "2026-01-02T00:00:00.000Z", "name": "Wombat beacon",
            "pattern": "[domain-name:value = 'wombat.example']"}),
    );
    put(&store, &[a2]);
    assert_eq!(store.stats().unwrap().index_lag, 1);
    let correlated = store.correlations(&id_of(&b)).unwrap();
    assert!(correlated.is_empty(), "{correlated:?}");
    assert!(found(&store, "quokka").is_empty());
    assert_eq!(found(&store, "wombat"), [id_of(&a)]);
    assert_eq!(scalar(&url, "SELECT count(*) FROM search"), 2);
    assert_eq!(
        scalar(&url, "SELECT count(*) FROM observables"),
        2,
        "one value per current version"
    );
}

/// Background indexers of two stores on one database, running while a third writes new
/// objects and new versions of them, apply every chunk once: at the end each id has the
/// search and observable rows of its current version alone.
#[test]
fn indexers_of_several_stores_apply_each_chunk_once() {
    let Some(url) = concord_testpg::database() else {
        return;
    };
    let writer = PgStore::open(&url).unwrap();
    for _ in 0..2 {
        let store = Arc::new(PgStore::open(&url).unwrap());
        std::thread::spawn(move || store.run_indexer(&mut || concord_store::Turn::Run));
    }
    const IDS: usize = 200;
    const ROUNDS: usize = 8;
    let bases: Vec<Value> = (0..IDS)
        .map(|k| indicator(&format!("base {k}"), "[domain-name:value = 'x.example']"))
        .collect();
    for n in 0..ROUNDS {
        let batch: Vec<Value> = bases
            .iter()
            .enumerate()
            .map(|(k, b)| version(b, k, n))
            .collect();
        for chunk in batch.chunks(50) {
            put(&writer, chunk);
        }
    }
    // The background indexers catch up once writes pause (about a second), alone.
    let deadline = Instant::now() + Duration::from_secs(60);
    while writer.stats().unwrap().index_lag > 0 {
        assert!(Instant::now() < deadline, "the indexers did not catch up");
        std::thread::sleep(Duration::from_millis(50));
    }
    let ids = i64::try_from(IDS).unwrap();
    assert_eq!(scalar(&url, "SELECT count(*) FROM search"), ids);
    assert_eq!(scalar(&url, "SELECT count(*) FROM observables"), ids);
    assert_eq!(
        scalar(
            &url,
            "SELECT count(*) FROM search s JOIN versions v ON v.seq = s.seq AND v.is_current"
        ),
        ids
    );
    let last = ROUNDS - 1;
    assert_eq!(found(&writer, &format!("w{last}x7y")), [id_of(&bases[7])]);
    assert!(found(&writer, "w0x7y").is_empty());
}
