//! Ingest benchmark: imports N generated STIX objects into a fresh SQLite store through
//! `import::import_values` (the path `concord import` uses) while another thread looks
//! up already-imported ids, and prints throughput, database size and lookup latency.
//!
//! `cargo bench -p concord-store --bench ingest -- --count N` (or `INGEST_COUNT=N`);
//! `bench/ingest` wraps it. A result file is written to `bench/results/`.

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::fmt::Write as _;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use concord_store::Store;
use concord_store::import::{DEFAULT_BATCH, import_values};
use concord_store::sqlite::SqliteStore;
use serde_json::{Value, json};

/// MISP users report 30 to 350 attributes per second for bulk ingest.
const MISP_BEST: f64 = 350.0;
/// Pause between two lookups of the reader thread (a busy server, not a spin loop that
/// would take one of the machine's cores away from the import).
const LOOKUP_PAUSE: Duration = Duration::from_micros(500);

/// A small deterministic generator (xorshift64*), so runs are comparable.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

const WORDS: &[&str] = &[
    "campaign",
    "phishing",
    "credential",
    "harvesting",
    "banking",
    "trojan",
    "loader",
    "botnet",
    "command",
    "control",
    "server",
    "exfiltration",
    "ransomware",
    "operator",
    "lateral",
    "movement",
    "spear",
    "attachment",
    "macro",
    "infrastructure",
    "observed",
    "targeting",
    "energy",
    "sector",
    "ministry",
    "telecom",
    "provider",
    "vulnerability",
    "exploited",
    "payload",
    "dropper",
    "beacon",
    "domain",
    "registered",
    "recently",
    "hosting",
    "bulletproof",
    "campagne",
    "hameçonnage",
    "ciblée",
    "énergétiques",
    "рассылка",
    "вредоносная",
    "钓鱼网站",
    "攻击活动",
    "حملة",
    "تصيد",
];
const FAMILIES: &[&str] = &[
    "Emotet",
    "QakBot",
    "IcedID",
    "Cobalt Strike",
    "AgentTesla",
    "Lumma",
    "RedLine",
];

fn id(ty: &str) -> String {
    format!("{ty}--{}", uuid::Uuid::new_v4())
}

fn sentence(rng: &mut Rng, words: usize) -> String {
    let mut s = String::new();
    for i in 0..words {
        if i > 0 {
            s.push(' ');
        }
        s.push_str(rng.pick(WORDS));
    }
    s
}

fn timestamp(rng: &mut Rng) -> String {
    format!(
        "2026-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        1 + rng.below(12),
        1 + rng.below(28),
        rng.below(24),
        rng.below(60),
        rng.below(60),
        rng.below(1000)
    )
}

fn ipv4(rng: &mut Rng) -> String {
    format!(
        "{}.{}.{}.{}",
        1 + rng.below(223),
        rng.below(256),
        rng.below(256),
        1 + rng.below(254)
    )
}

fn domain(rng: &mut Rng) -> String {
    format!(
        "{}{}.{}",
        rng.pick(WORDS)
            .chars()
            .filter(char::is_ascii_alphabetic)
            .collect::<String>(),
        rng.below(100_000),
        rng.pick(&["com", "net", "org", "ru", "cn", "info"])
    )
}

fn sha256(rng: &mut Rng) -> String {
    (0..4).fold(String::new(), |mut s, _| {
        let _ = write!(s, "{:016x}", rng.next());
        s
    })
}

/// One observable: its SCO and the matching indicator pattern.
fn observable(rng: &mut Rng) -> (Value, String) {
    match rng.below(4) {
        0 => {
            let v = ipv4(rng);
            (
                json!({"type": "ipv4-addr", "id": id("ipv4-addr"), "value": v}),
                format!("[ipv4-addr:value = '{v}']"),
            )
        }
        1 => {
            let v = domain(rng);
            (
                json!({"type": "domain-name", "id": id("domain-name"), "value": v}),
                format!("[domain-name:value = '{v}']"),
            )
        }
        2 => {
            let v = format!(
                "http://{}/{}/{}.php",
                domain(rng),
                rng.pick(WORDS)
                    .chars()
                    .filter(char::is_ascii_alphabetic)
                    .collect::<String>(),
                rng.below(1000)
            );
            (
                json!({"type": "url", "id": id("url"), "value": v}),
                format!("[url:value = '{v}']"),
            )
        }
        _ => {
            let h = sha256(rng);
            (
                json!({"type": "file", "id": id("file"), "name": format!("{}.exe", rng.below(100_000)), "hashes": {"SHA-256": h}}),
                format!("[file:hashes.'SHA-256' = '{h}']"),
            )
        }
    }
}

/// Generates `n` valid objects: indicators, SCOs, relationships and reports.
fn generate(n: usize) -> Vec<Value> {
    let mut rng = Rng(0x5EED_CAFE_F00D_BEEF);
    let mut out: Vec<Value> = Vec::with_capacity(n);
    let mut ids: Vec<String> = Vec::new();
    while out.len() < n {
        let roll = rng.below(100);
        let obj = if roll < 35 {
            let (_, pattern) = observable(&mut rng);
            let t = timestamp(&mut rng);
            let words = 12 + rng.below(40);
            json!({
                "type": "indicator", "spec_version": "2.1", "id": id("indicator"),
                "created": t, "modified": t, "valid_from": t,
                "name": format!("{} {}", rng.pick(FAMILIES), sentence(&mut rng, 3)),
                "description": sentence(&mut rng, words),
                "pattern": pattern, "pattern_type": "stix",
                "indicator_types": ["malicious-activity"],
                "labels": [rng.pick(FAMILIES).to_lowercase()],
                "confidence": rng.below(101),
                "object_marking_refs": ["marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da"],
            })
        } else if roll < 70 || ids.len() < 2 {
            observable(&mut rng).0
        } else if roll < 95 {
            let t = timestamp(&mut rng);
            let (a, b) = (&ids[rng.below(ids.len())], &ids[rng.below(ids.len())]);
            json!({
                "type": "relationship", "spec_version": "2.1", "id": id("relationship"),
                "created": t, "modified": t,
                "relationship_type": rng.pick(&["indicates", "related-to", "uses", "communicates-with"]),
                "source_ref": a, "target_ref": b,
                "description": sentence(&mut rng, 8),
            })
        } else {
            let t = timestamp(&mut rng);
            let refs: Vec<&String> = (0..5 + rng.below(16))
                .map(|_| &ids[rng.below(ids.len())])
                .collect();
            let words = 40 + rng.below(80);
            json!({
                "type": "report", "spec_version": "2.1", "id": id("report"),
                "created": t, "modified": t, "published": t,
                "name": format!("{} activity report {}", rng.pick(FAMILIES), rng.below(10_000)),
                "description": sentence(&mut rng, words),
                "report_types": ["threat-report"],
                "object_refs": refs,
            })
        };
        if matches!(obj["type"].as_str(), Some("relationship" | "report")) {
            // SROs and reports point at indicators and SCOs only.
        } else {
            ids.push(obj["id"].as_str().unwrap_or_default().to_owned());
        }
        out.push(obj);
    }
    out
}

fn count_arg() -> usize {
    let args: Vec<String> = std::env::args().collect();
    let from_args = args
        .iter()
        .position(|a| a == "--count")
        .and_then(|i| args.get(i + 1))
        .cloned();
    from_args
        .or_else(|| std::env::var("INGEST_COUNT").ok())
        .and_then(|s| s.replace('_', "").parse().ok())
        .unwrap_or(1_000_000)
}

fn file_size(path: &std::path::Path) -> u64 {
    std::fs::metadata(path).map(|m| m.len()).unwrap_or(0)
}

fn percentile(sorted: &[u64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[i] as f64 / 1000.0
}

/// CPU seconds this process has used (user + system, from `/proc/self/stat`), so that
/// variants can be compared on a machine that others are loading.
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after_name = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    // Fields 14 and 15 of the file (utime, stime) are 11 and 12 after the name.
    (ticks(11) + ticks(12)) / 100.0
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .unwrap_or_default()
        .split_whitespace()
        .take(3)
        .collect::<Vec<_>>()
        .join(" ")
}

fn machine() -> String {
    let cpus = std::thread::available_parallelism().map_or(0, usize::from);
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find_map(|l| {
            l.strip_prefix("model name")
                .and_then(|r| r.split_once(':'))
                .map(|(_, m)| m.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown".into());
    let mem = std::fs::read_to_string("/proc/meminfo")
        .unwrap_or_default()
        .lines()
        .next()
        .unwrap_or_default()
        .split_whitespace()
        .nth(1)
        .and_then(|kb| kb.parse::<u64>().ok())
        .map_or(String::from("?"), |kb| {
            format!("{:.1} GB", kb as f64 / 1_048_576.0)
        });
    format!("nproc {cpus}, CPU {model}, RAM {mem}")
}

fn main() {
    let n = count_arg();
    eprintln!("generating {n} objects ...");
    let values = generate(n);
    let ids: Vec<String> = values
        .iter()
        .map(|v| v["id"].as_str().unwrap_or_default().to_owned())
        .collect();
    let dir = tempfile::tempdir().expect("temp dir");
    // INGEST_DB keeps the database (a fresh path) for inspection after the run.
    let path = std::env::var_os("INGEST_DB")
        .map_or_else(|| dir.path().join("bench.db"), std::path::PathBuf::from);
    let store = SqliteStore::open(&path).expect("open store");
    let committed = AtomicUsize::new(0);
    let done = AtomicBool::new(false);
    eprintln!("importing into {} ...", path.display());

    let (elapsed, import_cpu, summary, mut latencies) = std::thread::scope(|s| {
        let reader = s.spawn(|| {
            let mut rng = Rng(42);
            let mut lat: Vec<u64> = Vec::new();
            while !done.load(Ordering::Relaxed) {
                let upto = committed.load(Ordering::Acquire);
                if upto > 0 {
                    let id = &ids[rng.below(upto)];
                    let t = Instant::now();
                    let found = store.get(id).expect("lookup");
                    lat.push(u64::try_from(t.elapsed().as_nanos()).unwrap_or(u64::MAX));
                    assert!(found.is_some(), "{id} was committed but is not found");
                }
                std::thread::sleep(LOOKUP_PAUSE);
            }
            lat
        });
        let start = Instant::now();
        let cpu_start = cpu_seconds();
        let mut stored = 0usize;
        let summary = import_values(&store, values, DEFAULT_BATCH, &mut |results| {
            stored += results.len();
            committed.store(stored, Ordering::Release);
        })
        .expect("import");
        let elapsed = start.elapsed();
        done.store(true, Ordering::Relaxed);
        let cpu = cpu_seconds() - cpu_start;
        (elapsed, cpu, summary, reader.join().expect("reader thread"))
    });
    latencies.sort_unstable();

    let secs = elapsed.as_secs_f64();
    let rate = n as f64 / secs;
    // The derived indexes (correlations, references, full-text) follow the import on the
    // store's background indexer; wait until they hold every committed version.
    let lag_at_end = store.stats().expect("stats").index_lag;
    let catch_up_start = Instant::now();
    let cpu_before_catch_up = cpu_seconds();
    store.catch_up().expect("catch up");
    let catch_up = catch_up_start.elapsed().as_secs_f64();
    let catch_up_cpu = cpu_seconds() - cpu_before_catch_up;
    let indexed_secs = secs + catch_up;
    let indexed_rate = n as f64 / indexed_secs;
    let index = concord_store::sqlite::index_path(&path);
    let files = |p: &std::path::Path| {
        let mut wal = p.as_os_str().to_owned();
        wal.push("-wal");
        let mut shm = p.as_os_str().to_owned();
        shm.push("-shm");
        file_size(p) + file_size(wal.as_ref()) + file_size(shm.as_ref())
    };
    let main_mb = files(&path) as f64 / 1_048_576.0;
    let index_mb = files(&index) as f64 / 1_048_576.0;
    let size_mb = main_mb + index_mb;
    let search_start = Instant::now();
    let hits = store
        .list(&concord_store::ListQuery {
            text: Some("credential harvesting".into()),
            limit: 100,
            ..Default::default()
        })
        .map_or_else(|e| format!("error {e}"), |p| p.objects.len().to_string());
    let search_ms = search_start.elapsed().as_secs_f64() * 1000.0;
    let stats = store.stats().expect("stats");

    let mut report = String::new();
    let _ = writeln!(
        report,
        "Concord ingest benchmark (SQLite store, import::import_values, batch {DEFAULT_BATCH})"
    );
    let _ = writeln!(
        report,
        "date: {}",
        chrono::Utc::now().format("%Y-%m-%d %H:%M UTC")
    );
    let _ = writeln!(report, "machine: {}", machine());
    let _ = writeln!(
        report,
        "objects: {n} (new {}, rejected {})",
        summary.new, summary.rejected
    );
    let _ = writeln!(report, "seconds: {secs:.2} (import, every batch committed)");
    let _ = writeln!(report, "objects/s: {rate:.0} (import)");
    let _ = writeln!(
        report,
        "indexed: all {n} after {indexed_secs:.2} s ({indexed_rate:.0} objects/s end to end; \
         {lag_at_end} versions pending when the import returned, caught up in {catch_up:.2} s)"
    );
    let _ = writeln!(
        report,
        "cpu: {import_cpu:.1} s during the import, {catch_up_cpu:.1} s during the catch-up \
         (all threads; load average at the end {})",
        load_average()
    );
    let _ = writeln!(
        report,
        "database size: {size_mb:.1} MB (main {main_mb:.1} MB + index {index_mb:.1} MB, each db + wal + shm)"
    );
    let _ = writeln!(
        report,
        "lookups during import: {} (one every {} µs + lookup time)",
        latencies.len(),
        LOOKUP_PAUSE.as_micros()
    );
    let _ = writeln!(
        report,
        "lookup latency: p50 {:.1} µs, p99 {:.1} µs, max {:.1} µs",
        percentile(&latencies, 0.50),
        percentile(&latencies, 0.99),
        latencies.last().map_or(0.0, |m| *m as f64 / 1000.0)
    );
    let _ = writeln!(
        report,
        "search after import (\"credential harvesting\", first 100): {hits} hits in {search_ms:.1} ms"
    );
    let _ = writeln!(
        report,
        "stored: {} versions, {} current objects, last seq {}",
        stats.versions, stats.objects, stats.last_seq
    );
    let _ = writeln!(
        report,
        "vs MISP ({MISP_BEST:.0}/s reported): {:.0}x import, {:.0}x end to end",
        rate / MISP_BEST,
        indexed_rate / MISP_BEST
    );
    print!("{report}");

    let results = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../bench/results");
    if std::fs::create_dir_all(&results).is_ok() {
        let file = results.join(format!(
            "{}-ingest.txt",
            chrono::Utc::now().format("%Y-%m-%d")
        ));
        match std::fs::write(&file, &report) {
            Ok(()) => eprintln!("wrote {}", file.display()),
            Err(e) => eprintln!("cannot write {}: {e}", file.display()),
        }
    }
}
