//! PostgreSQL against SQLite, side by side in one run: bulk import through
//! `import::import_values` (the path every writer takes), then TAXII-style paging (pages
//! of 100 by `seq`, `list_borrowed` with the JSON) by several clients at once; prints
//! each figure and the ratio PostgreSQL / SQLite.
//!
//! `cargo bench -p concord-store-pg --bench side_by_side` (`BENCH_COUNT`, default
//! 20,000 objects; `BENCH_CLIENTS`, default 8). PostgreSQL is a throwaway server
//! (`concord-testpg`) with fsync off, as SQLite runs here with `synchronous = NORMAL`.

use std::time::Instant;

use concord_store::import::{DEFAULT_BATCH, import_values};
use concord_store::{ListQuery, Order, Store};
use serde_json::{Value, json};

fn objects(n: usize) -> Vec<Value> {
    const WORDS: &[&str] = &[
        "campaign",
        "phishing",
        "credential",
        "banking",
        "trojan",
        "loader",
        "botnet",
        "ransomware",
        "operator",
        "钓鱼网站",
        "حملة تصيد",
        "кампания",
    ];
    (0..n)
        .map(|i| {
            let w = |k: usize| WORDS[(i * 7 + k * 13) % WORDS.len()];
            json!({
                "type": "indicator", "spec_version": "2.1",
                "id": format!("indicator--{:08x}-4444-4444-8444-{:012x}", i, i),
                "created": "2026-01-01T00:00:00.000Z", "modified": "2026-01-01T00:00:00.000Z",
                "name": format!("{} {} {i}", w(1), w(2)),
                "description": format!("{} {} {} against sector {}", w(3), w(4), w(5), i % 97),
                "pattern": format!("[ipv4-addr:value = '10.{}.{}.{}']", i / 65536 % 256, i / 256 % 256, i % 256),
                "pattern_type": "stix", "valid_from": "2026-01-01T00:00:00Z",
                "labels": ["malicious-activity"],
            })
        })
        .collect()
}

/// Seconds to import `values`.
fn import(store: &dyn Store, values: &[Value]) -> f64 {
    let start = Instant::now();
    let summary =
        import_values(store, values.iter().cloned(), DEFAULT_BATCH, &mut |_| {}).expect("import");
    assert_eq!(summary.new, values.len());
    start.elapsed().as_secs_f64()
}

/// Seconds for `clients` threads to each page through every object (pages of 100).
fn page(store: &dyn Store, clients: usize, n: usize) -> f64 {
    let start = Instant::now();
    std::thread::scope(|s| {
        for _ in 0..clients {
            s.spawn(|| {
                let mut q = ListQuery {
                    order: Order::BySeq,
                    limit: 100,
                    ..ListQuery::default()
                };
                let mut seen = 0;
                loop {
                    let mut bytes = 0;
                    let listed = store
                        .list_borrowed(&q, true, &mut |r| bytes += r.json.len())
                        .expect("page");
                    seen += listed.rows;
                    assert!(bytes > 0 || listed.rows == 0);
                    if !listed.more {
                        break;
                    }
                    q.cursor = Some(listed.last_seq);
                }
                assert_eq!(seen, n);
            });
        }
    });
    start.elapsed().as_secs_f64()
}

fn main() {
    let env = |k: &str, d: usize| {
        std::env::var(k)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(d)
    };
    let n = env("BENCH_COUNT", 20_000);
    let clients = env("BENCH_CLIENTS", 8);
    let Some(url) = concord_testpg::database() else {
        return;
    };
    let values = objects(n);
    let dir = tempfile::tempdir().expect("temporary directory");
    let sqlite = concord_store::sqlite::SqliteStore::open(&dir.path().join("bench.db"))
        .expect("SQLite store");
    let pg = concord_store_pg::PgStore::open(&url).expect("PostgreSQL store");
    let si = import(&sqlite, &values);
    let pi = import(&pg, &values);
    let sp = page(&sqlite, clients, n);
    let pp = page(&pg, clients, n);
    let rate = |s: f64| n as f64 / s;
    println!("objects {n}, paging clients {clients}");
    println!(
        "import   SQLite {:>9.0} obj/s   PostgreSQL {:>9.0} obj/s   PostgreSQL takes {:.2}x the time",
        rate(si),
        rate(pi),
        pi / si
    );
    println!(
        "paging   SQLite {:>9.0} obj/s   PostgreSQL {:>9.0} obj/s   PostgreSQL takes {:.2}x the time",
        rate(sp) * clients as f64,
        rate(pp) * clients as f64,
        pp / sp
    );
}
