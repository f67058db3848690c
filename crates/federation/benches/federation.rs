//! Federation benchmarks, in one run (release build; `bench/federation`):
//!
//! 1. Catch-up: node B is N objects (default 200,000) behind node A; B pulls everything.
//!    Objects per second while catching up, and bytes on the wire against the raw JSON
//!    of the objects (goal: 20,000 objects/s or more).
//! 2. Propagation: a five-node full mesh (each node serving `/federation/v1` on loopback
//!    and pulling from the four others with live notices); 1,000 alerts created one by
//!    one at one node. For each alert and each other node: the time from its
//!    `date_added` at the origin to its `date_added` there. p50 and p99 (goal: p99 under
//!    500 ms).
//!
//! Arguments: `--count N` for the catch-up size, `--alerts N` for the propagation test.

use std::sync::Arc;
use std::time::{Duration, Instant};

use concord_federation::identity::NodeKey;
use concord_federation::pull::{PullConfig, Puller};
use concord_federation::server::{FederationConfig, FederationState, router};
use concord_store::federation::PeerRecord;
use concord_store::sqlite::SqliteStore;
use concord_store::{ListQuery, Order, Store, import::import_values};
use serde_json::{Value, json};

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

const GREEN: &str = "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da";
const WORDS: &[&str] = &[
    "beacon",
    "loader",
    "phishing",
    "credential",
    "exfiltration",
    "ransomware",
    "botnet",
    "dropper",
    "campaign",
    "infrastructure",
    "lateral",
    "movement",
    "persistence",
    "payload",
];

struct Node {
    _dir: tempfile::TempDir,
    sqlite: Arc<SqliteStore>,
    store: Arc<dyn Store>,
    key: NodeKey,
    url: String,
    name: String,
}

async fn node(name: &str, seed: u8) -> Node {
    let dir = tempfile::tempdir().expect("temp dir");
    let sqlite = Arc::new(SqliteStore::open(&dir.path().join("concord.db")).expect("store"));
    let store: Arc<dyn Store> = sqlite.clone();
    let key = NodeKey::from_seed([seed; 32]);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    let state = FederationState::new(
        store.clone(),
        key.clone(),
        FederationConfig {
            name: name.into(),
            url: url.clone(),
            head_poll: Duration::from_millis(20),
            ..Default::default()
        },
    )
    .expect("state");
    tokio::spawn(async move { axum::serve(listener, router(state)).await });
    Node {
        _dir: dir,
        sqlite,
        store,
        key,
        url,
        name: name.into(),
    }
}

fn record(n: &Node) -> PeerRecord {
    PeerRecord {
        node_id: n.key.node_id(),
        name: n.name.clone(),
        url: n.url.clone(),
        public_key: n.key.public_hex(),
        ..PeerRecord::default()
    }
}

fn indicator(i: usize) -> Value {
    let t = format!(
        "2026-03-{:02}T{:02}:{:02}:00.000Z",
        1 + i % 28,
        i % 24,
        i % 60
    );
    let desc: Vec<&str> = (0..24)
        .map(|k| WORDS[(i * 7 + k * 3) % WORDS.len()])
        .collect();
    json!({
        "type": "indicator", "spec_version": "2.1",
        "id": format!("indicator--{}", uuid::Uuid::from_u128(0x1000_0000_0000_4000_8000_0000_0000_0000 + i as u128)),
        "created": t, "modified": t, "valid_from": t,
        "name": format!("{} {} {i}", WORDS[i % WORDS.len()], WORDS[(i / 3) % WORDS.len()]),
        "description": desc.join(" "),
        "pattern": format!("[ipv4-addr:value = '10.{}.{}.{}']", (i >> 16) & 255, (i >> 8) & 255, i & 255),
        "pattern_type": "stix", "indicator_types": ["malicious-activity"],
        "confidence": i % 101, "object_marking_refs": [GREEN],
    })
}

fn arg(name: &str, default: usize) -> usize {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.replace('_', "").parse().ok())
        .unwrap_or(default)
}

/// CPU seconds (user + system, all threads) this process has used so far.
fn cpu_secs() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after = stat.rsplit(')').next().unwrap_or("");
    let f: Vec<&str> = after.split_whitespace().collect();
    let ticks = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    // Fields 14 and 15 of stat (utime, stime) are at 11 and 12 after the command name.
    (ticks(11) + ticks(12)) / 100.0
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[idx]
}

fn ms(date_added: &str) -> f64 {
    chrono::DateTime::parse_from_rfc3339(date_added)
        .map(|d| d.timestamp_millis() as f64)
        .unwrap_or(f64::NAN)
}

async fn catch_up(count: usize) {
    let a = node("a", 1).await;
    let b = node("b", 2).await;
    a.store.put_peer(&record(&b)).expect("peer");
    b.store.put_peer(&record(&a)).expect("peer");
    let objects: Vec<Value> = (0..count).map(indicator).collect();
    let raw_json: usize = objects.iter().map(|o| o.to_string().len()).sum();
    let store = a.store.clone();
    tokio::task::spawn_blocking(move || {
        import_values(store.as_ref(), objects, 5_000, &mut |_| {}).expect("import")
    })
    .await
    .expect("task");
    // What A does when objects are created (search indexing, signing each version) is
    // not part of the sync: let it finish first.
    a.sqlite.catch_up().expect("index");
    let signed = concord_federation::signer::sign_all(a.store.as_ref(), &a.key).expect("sign");
    assert_eq!(signed, count);
    let puller = Puller::new(
        b.store.clone(),
        b.key.clone(),
        PullConfig {
            page_size: 5_000,
            ..PullConfig::default()
        },
    );
    let peer = b
        .store
        .peers()
        .expect("peers")
        .into_iter()
        .next()
        .expect("a");
    let start = Instant::now();
    let cpu0 = cpu_secs();
    let report = puller.pull(&peer).await.expect("pull");
    let secs = start.elapsed().as_secs_f64();
    let cpu = cpu_secs() - cpu0;
    assert_eq!(report.stored, count, "{report:?}");
    println!(
        "catch-up: {count} objects behind ({} MB of object JSON)",
        raw_json / 1_000_000
    );
    println!(
        "  {:.1} s, {:.0} objects/s (goal 20,000/s: {})",
        secs,
        count as f64 / secs,
        if count as f64 / secs >= 20_000.0 {
            "met"
        } else {
            "NOT met"
        }
    );
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get()) as f64;
    println!(
        "  CPU used by both nodes: {:.1} s = {:.0} µs per object; with {cores} free cores that is at most {:.0} objects/s",
        cpu,
        cpu * 1e6 / count as f64,
        cores * count as f64 / cpu
    );
    println!(
        "  time waiting for pages {:.1} s, verifying and storing them {:.1} s",
        report.fetch_time.as_secs_f64(),
        report.ingest_time.as_secs_f64()
    );
    println!(
        "  wire {:.1} MB (zstd) vs raw object JSON {:.1} MB: {:.3}x; change-page JSON {:.1} MB",
        report.wire_bytes as f64 / 1e6,
        raw_json as f64 / 1e6,
        report.wire_bytes as f64 / raw_json as f64,
        report.raw_bytes as f64 / 1e6,
    );
}

async fn propagation(alerts: usize) {
    let mut nodes = Vec::new();
    for i in 0..5u8 {
        nodes.push(node(&format!("n{i}"), 10 + i).await);
    }
    for x in &nodes {
        for y in &nodes {
            if x.name != y.name {
                x.store.put_peer(&record(y)).expect("peer");
            }
        }
    }
    let mut handles = Vec::new();
    for n in &nodes {
        let p = Puller::new(
            n.store.clone(),
            n.key.clone(),
            PullConfig {
                interval: Duration::from_secs(5),
                ..PullConfig::default()
            },
        );
        handles.push(tokio::spawn(Arc::new(p).run()));
    }
    tokio::time::sleep(Duration::from_secs(3)).await; // live connections up
    let origin = nodes[0].store.clone();
    for i in 0..alerts {
        let s = origin.clone();
        let obj = indicator(1_000_000 + i);
        tokio::task::spawn_blocking(move || {
            import_values(s.as_ref(), vec![obj], 1, &mut |_| {}).expect("import")
        })
        .await
        .expect("task");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    // Wait until every node holds every alert.
    let deadline = Instant::now() + Duration::from_secs(120);
    let all_ids: Vec<String> = (0..alerts)
        .map(|i| {
            indicator(1_000_000 + i)["id"]
                .as_str()
                .unwrap_or("")
                .to_owned()
        })
        .collect();
    loop {
        let done = nodes[1..].iter().all(|n| {
            all_ids
                .last()
                .is_some_and(|id| n.store.get(id).ok().flatten().is_some())
        });
        if done || Instant::now() > deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let added = |store: &Arc<dyn Store>| {
        let mut m = std::collections::HashMap::new();
        let mut cursor = None;
        loop {
            let page = store
                .list_versions(&ListQuery {
                    cursor,
                    order: Order::BySeq,
                    limit: 1_000,
                    ..ListQuery::default()
                })
                .expect("list");
            for o in &page.objects {
                let id = o.value()["id"].as_str().unwrap_or("").to_owned();
                m.insert(id, ms(&o.date_added));
            }
            match page.next {
                Some(n) => cursor = Some(n),
                None => break,
            }
        }
        m
    };
    let at_origin = added(&nodes[0].store);
    let mut lat = Vec::new();
    let mut missing = 0;
    for n in &nodes[1..] {
        let there = added(&n.store);
        for id in &all_ids {
            match (at_origin.get(id), there.get(id)) {
                (Some(a), Some(b)) => lat.push(b - a),
                _ => missing += 1,
            }
        }
    }
    lat.sort_by(|a, b| a.total_cmp(b));
    println!(
        "propagation: {alerts} alerts created one by one at one node of a 5-node mesh, {} arrivals measured, {missing} missing",
        lat.len()
    );
    let p99 = percentile(&lat, 0.99);
    println!(
        "  p50 {:.0} ms, p99 {:.0} ms, max {:.0} ms (goal p99 < 500 ms: {})",
        percentile(&lat, 0.5),
        p99,
        lat.last().copied().unwrap_or(f64::NAN),
        if p99 < 500.0 && missing == 0 {
            "met"
        } else {
            "NOT met"
        }
    );
    for h in handles {
        h.abort();
    }
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let count = arg("--count", 200_000);
    let alerts = arg("--alerts", 1_000);
    println!(
        "concord federation benchmark, {} cores",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    runtime.block_on(async {
        catch_up(count).await;
        propagation(alerts).await;
    });
}
