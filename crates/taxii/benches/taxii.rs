//! Concord's TAXII server against the OASIS reference server `medallion` on loopback:
//! the same collection in both, then pages of objects and manifest (following `next`
//! like `as_pages`), objects by id, and POSTs of 1,000-object envelopes, sequentially and
//! with many concurrent clients. Prints requests/s, p50 and p99 per server and the ratio.
//! `bench/taxii` runs it; settings come from the environment (see `Settings`).

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use concord_store::Role;
use concord_store::sqlite::SqliteStore;
use concord_taxii::server::{TaxiiConfig, TaxiiState, router};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

#[path = "taxii/open_loop.rs"]
mod open_loop;
#[path = "taxii/wrk.rs"]
mod wrk;
use open_loop::open_loop_runs;
use wrk::{split_url, wrk_installed, wrk_once, wrk_paths, wrk_runs};

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

const TAXII: &str = "application/taxii+json;version=2.1";
const USER: &str = "concord";
const PASSWORD: &str = "concord-pass";

/// Settings, from `BENCH_*` environment variables.
struct Settings {
    objects: usize,
    clients: usize,
    budget: Duration,
    venv: PathBuf,
    big: usize,
    /// `BENCH_ONLY_BIG=1`: skip the comparison with medallion.
    only_big: bool,
}

fn env_num(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn hash(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// One server under test.
#[derive(Clone)]
struct Target {
    name: &'static str,
    collection_url: String,
    ids: Arc<Vec<String>>,
}

#[derive(Clone, Copy, PartialEq)]
enum Work {
    Objects,
    Manifest,
    ById,
    Post,
}

impl Work {
    fn label(self) -> &'static str {
        match self {
            Work::Objects => "GET objects (pages of 100)",
            Work::Manifest => "GET manifest (pages of 100)",
            Work::ById => "GET object by id",
            Work::Post => "POST 1,000-object envelope",
        }
    }
}

struct Outcome {
    done: usize,
    errors: usize,
    elapsed: Duration,
    lat: Vec<Duration>,
    objects: usize,
}

impl Outcome {
    fn rps(&self) -> f64 {
        self.done as f64 / self.elapsed.as_secs_f64()
    }
    fn pct(&self, p: f64) -> String {
        if self.lat.is_empty() {
            return format!(">{:.0}s", self.elapsed.as_secs_f64());
        }
        let i = ((self.lat.len() as f64 - 1.0) * p).round() as usize;
        let d = self.lat[i];
        if d.as_secs_f64() >= 1.0 {
            format!("{:.2}s", d.as_secs_f64())
        } else {
            format!("{:.2}ms", d.as_secs_f64() * 1000.0)
        }
    }
}

static POSTED: AtomicUsize = AtomicUsize::new(0);

fn new_object(n: usize) -> Value {
    json!({
        "type": "indicator", "spec_version": "2.1",
        "id": format!("indicator--{n:08x}-4444-4444-8444-{n:012x}"),
        "created": "2026-02-01T00:00:00.000Z", "modified": "2026-02-01T00:00:00.000Z",
        "name": format!("posted {n}"), "pattern": format!("[domain-name:value = 'p{n}.example']"),
        "pattern_type": "stix", "valid_from": "2026-02-01T00:00:00Z"
    })
}

/// One request of `work`; `next` is the worker's paging position.
async fn one(
    http: &reqwest::Client,
    t: &Target,
    work: Work,
    next: &mut Option<String>,
    seed: &mut u64,
) -> Result<usize, String> {
    let req = match work {
        Work::Objects | Work::Manifest => {
            let path = if work == Work::Objects {
                "objects/"
            } else {
                "manifest/"
            };
            let mut url = format!("{}{path}?limit=100", t.collection_url);
            if let Some(n) = next.as_deref() {
                url.push_str(&format!("&next={n}"));
            }
            http.get(url)
        }
        Work::ById => {
            *seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let id = &t.ids[(*seed >> 33) as usize % t.ids.len()];
            http.get(format!("{}objects/{id}/", t.collection_url))
        }
        Work::Post => {
            let start = POSTED.fetch_add(1000, Ordering::Relaxed);
            let objs: Vec<Value> = (start..start + 1000).map(new_object).collect();
            http.post(format!("{}objects/", t.collection_url))
                .header("content-type", TAXII)
                .body(json!({ "objects": objs }).to_string())
        }
    };
    let res = req
        .header("accept", TAXII)
        .basic_auth(USER, Some(PASSWORD))
        .send()
        .await
        .map_err(|e| e.to_string())?;
    let status = res.status();
    let body: Value = res.json().await.map_err(|e| e.to_string())?;
    if !status.is_success() {
        return Err(format!("{status}: {body}"));
    }
    if matches!(work, Work::Objects | Work::Manifest) {
        *next = if body["more"] == true {
            body["next"].as_str().map(str::to_owned)
        } else {
            None
        };
    }
    Ok(body["objects"].as_array().map_or(0, Vec::len))
}

/// Runs `work` with `clients` workers until `max` requests or the budget is spent.
async fn run(
    http: &reqwest::Client,
    t: &Target,
    work: Work,
    clients: usize,
    max: usize,
    budget: Duration,
) -> Outcome {
    let start = Instant::now();
    let issued = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for w in 0..clients {
        let (http, t, issued) = (http.clone(), t.clone(), issued.clone());
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            let (mut errors, mut objects) = (0, 0);
            let mut next = None;
            let mut seed = w as u64 + 1;
            while issued.fetch_add(1, Ordering::Relaxed) < max && start.elapsed() < budget {
                let t0 = Instant::now();
                match tokio::time::timeout(
                    budget
                        .saturating_sub(start.elapsed())
                        .max(Duration::from_millis(1)),
                    one(&http, &t, work, &mut next, &mut seed),
                )
                .await
                {
                    Ok(Ok(n)) => {
                        lat.push(t0.elapsed());
                        objects += n;
                    }
                    Ok(Err(e)) => {
                        errors += 1;
                        if errors == 1 {
                            eprintln!("{} {}: {e}", t.name, work.label());
                        }
                    }
                    Err(_) => break,
                }
            }
            (lat, errors, objects)
        }));
    }
    let mut out = Outcome {
        done: 0,
        errors: 0,
        elapsed: Duration::ZERO,
        lat: Vec::new(),
        objects: 0,
    };
    for task in tasks {
        if let Ok((lat, errors, objects)) = task.await {
            out.done += lat.len();
            out.lat.extend(lat);
            out.errors += errors;
            out.objects += objects;
        }
    }
    out.elapsed = start.elapsed();
    out.lat.sort_unstable();
    out
}

fn concord_node(
    objects: impl Iterator<Item = Value>,
    rt_threads: usize,
    keep_in: Option<&std::path::Path>,
) -> (
    String,
    std::thread::JoinHandle<()>,
    tempfile::TempDir,
    TaxiiState,
    PathBuf,
) {
    let dir = tempfile::tempdir().unwrap();
    let db = keep_in.unwrap_or(dir.path()).join("concord.db");
    let reuse = keep_in.is_some() && db.exists();
    let store = SqliteStore::open(&db).unwrap();
    use concord_store::Store as _;
    if reuse {
        eprintln!("Concord: reusing the store in {}", db.display());
    } else {
        store
            .create_token(USER, Role::Analyst, &hash(PASSWORD))
            .unwrap();
        let t0 = Instant::now();
        let summary =
            concord_store::import::import_values(&store, objects, 5000, &mut |_| {}).unwrap();
        eprintln!(
            "Concord: {} objects imported in {:.1}s",
            summary.new,
            t0.elapsed().as_secs_f64()
        );
    }
    // Measure the steady state: the background indexer of the import is done first.
    let t0 = Instant::now();
    while store.stats().map(|s| s.index_lag).unwrap_or(0) > 0 {
        std::thread::sleep(Duration::from_millis(200));
    }
    eprintln!(
        "Concord: background indexer caught up {:.1}s later",
        t0.elapsed().as_secs_f64()
    );
    let state = TaxiiState::new(Arc::new(store), TaxiiConfig::default(), hash);
    let (url, handle) = serve_state(state.clone(), rt_threads, None);
    (url, handle, dir, state, db)
}

/// Serves `state` on a new port from a runtime of its own (`event_interval`: tokio's, if
/// given, else `BENCH_EVENT_INTERVAL`, else tokio's default); the collection's URL.
fn serve_state(
    state: TaxiiState,
    rt_threads: usize,
    event_interval: Option<u32>,
) -> (String, std::thread::JoinHandle<()>) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    listener.set_nonblocking(true).unwrap();
    let event_interval = event_interval.or_else(|| {
        std::env::var("BENCH_EVENT_INTERVAL")
            .ok()
            .and_then(|v| v.parse().ok())
    });
    let handle = std::thread::spawn(move || {
        let mut rt = tokio::runtime::Builder::new_multi_thread();
        rt.worker_threads(rt_threads).enable_all();
        if let Some(n) = event_interval {
            rt.event_interval(n);
        }
        let rt = rt.build().unwrap();
        rt.block_on(async move {
            let l = tokio::net::TcpListener::from_std(listener).unwrap();
            let _ = axum::serve(l, router(state)).await;
        });
    });
    let url = format!(
        "http://{addr}/taxii2/api/collections/{}/",
        concord_taxii::collection::DEFAULT_COLLECTION_ID
    );
    (url, handle)
}

struct Medallion(std::process::Child);
impl Drop for Medallion {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn main() {
    let s = Settings {
        objects: env_num("BENCH_OBJECTS", 10_000),
        clients: env_num("BENCH_CLIENTS", 64),
        budget: Duration::from_secs(env_num("BENCH_BUDGET_SECS", 20) as u64),
        venv: std::env::var_os("CONCORD_VENV")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../.venv")),
        big: env_num("BENCH_BIG", 0),
        only_big: env_num("BENCH_ONLY_BIG", 0) == 1,
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let _ = rustls::crypto::ring::default_provider().install_default();
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(256)
        .timeout(Duration::from_secs(3600))
        .build()
        .unwrap();
    if s.only_big {
        big(&rt, &http, &s);
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let fixture = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/medallion_fixture.py");
    let out = std::process::Command::new(s.venv.join("bin/python"))
        .arg(fixture)
        .arg(tmp.path())
        .arg(s.objects.to_string())
        .arg(port.to_string())
        .output()
        .expect("python of the test venv");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let coll = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    let data: Value =
        serde_json::from_slice(&std::fs::read(tmp.path().join("data.json")).unwrap()).unwrap();
    let objects: Vec<Value> = data["api1"]["collections"][0]["objects"]
        .as_array()
        .unwrap()
        .clone();
    let ids: Arc<Vec<String>> = Arc::new(
        objects
            .iter()
            .map(|o| o["id"].as_str().unwrap().to_owned())
            .collect(),
    );
    // medallion is started afresh for each of its runs (from the same data file), so the
    // answers it is still computing for a previous run's abandoned requests do not count
    // against the next run.
    let start_medallion = || {
        let m = Medallion(
            std::process::Command::new(s.venv.join("bin/medallion"))
                .args(["--host", "127.0.0.1", "--port", &port.to_string()])
                .arg(tmp.path().join("medallion.json"))
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .spawn()
                .expect("medallion in the test venv"),
        );
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            std::thread::sleep(Duration::from_millis(50));
        }
        m
    };
    let (curl, _h, _dir, _, _) = concord_node(objects.into_iter(), 2, None);
    let targets = [
        Target {
            name: "concord",
            collection_url: curl,
            ids: ids.clone(),
        },
        Target {
            name: "medallion",
            collection_url: format!("http://127.0.0.1:{port}/api1/collections/{coll}/"),
            ids,
        },
    ];
    println!(
        "TAXII 2.1 on loopback: {} objects in one collection; {} concurrent clients; at most {}s per run",
        s.objects,
        s.clients,
        s.budget.as_secs()
    );
    let plan: Vec<(Work, &str, usize, usize)> =
        [Work::Objects, Work::ById, Work::Manifest, Work::Post]
            .into_iter()
            .flat_map(|w| {
                let post = w == Work::Post;
                [
                    (w, "sequential", 1, if post { 10 } else { 200 }),
                    (w, "concurrent", s.clients, if post { 64 } else { 5_000 }),
                ]
            })
            .collect();
    // Every Concord run first: medallion's runs load the CPU long after they end.
    let mut results: Vec<Vec<Outcome>> = Vec::new();
    for t in &targets {
        results.push(
            plan.iter()
                .map(|(w, _, clients, max)| {
                    let _medallion = (t.name == "medallion").then(start_medallion);
                    rt.block_on(run(&http, t, *w, *clients, *max, s.budget))
                })
                .collect(),
        );
    }
    println!(
        "{:<28} {:<11} {:<10} {:>6} {:>4} {:>10} {:>10} {:>10} {:>10}",
        "workload", "mode", "server", "reqs", "errs", "req/s", "p50", "p99", "ratio"
    );
    for (i, (w, mode, ..)) in plan.iter().enumerate() {
        let (c, m) = (&results[0][i], &results[1][i]);
        for (t, o) in targets.iter().zip([c, m]) {
            let ratio = match (t.name, m.rps()) {
                ("medallion", r) if r > 0.0 => format!("{:.0}x", c.rps() / r),
                ("medallion", _) => "> all".to_owned(),
                _ => String::new(),
            };
            println!(
                "{:<28} {:<11} {:<10} {:>6} {:>4} {:>10.1} {:>10} {:>10} {:>10}",
                w.label(),
                mode,
                t.name,
                o.done,
                o.errors,
                o.rps(),
                o.pct(0.5),
                o.pct(0.99),
                ratio
            );
        }
    }
    if s.big > 0 {
        big(&rt, &http, &s);
    }
}

/// Concord alone on a large collection: concurrent pages and a full sequential walk.
fn big(rt: &tokio::runtime::Runtime, http: &reqwest::Client, s: &Settings) {
    let bulk = |i: usize| {
        let mut o = new_object(10_000_000 + i);
        o["name"] = json!(format!("bulk {i}"));
        o
    };
    let ids: Arc<Vec<String>> = Arc::new(
        (0..s.big)
            .step_by(97)
            .map(|i| {
                format!(
                    "indicator--{:08x}-4444-4444-8444-{:012x}",
                    10_000_000 + i,
                    10_000_000 + i
                )
            })
            .collect(),
    );
    // `BENCH_BIG_DIR=DIR`: keep the big store in DIR and reuse it on later runs (to
    // compare server changes without importing again; the store must hold `s.big`).
    let keep = std::env::var_os("BENCH_BIG_DIR").map(std::path::PathBuf::from);
    let (url, _h, _dir, state, db) = concord_node((0..s.big).map(bulk), 2, keep.as_deref());
    let t = Target {
        name: "concord",
        collection_url: url,
        ids,
    };
    println!("\nConcord alone, {} objects:", s.big);
    // Whole walks, one client, following `next`; the URLs of every page are kept for wrk.
    let mut pages: Vec<(Work, Vec<String>)> = Vec::new();
    for work in [Work::Objects, Work::Manifest] {
        let (n, took, urls) = rt.block_on(async {
            let (mut next, mut seed, mut n) = (None, 0u64, 0usize);
            let mut urls = vec![String::new()];
            let t0 = Instant::now();
            loop {
                n += one(http, &t, work, &mut next, &mut seed).await.unwrap_or(0);
                match &next {
                    Some(token) => urls.push(format!("&next={token}")),
                    None => break (n, t0.elapsed(), urls),
                }
            }
        });
        println!(
            "full walk of {}, one client: {n} objects in {:.1}s = {:.0} objects/s",
            work.label(),
            took.as_secs_f64(),
            n as f64 / took.as_secs_f64()
        );
        pages.push((work, urls));
    }
    // `BENCH_WRK_ONLY=1`: only the wrk runs (e.g. to profile the server alone).
    let in_process = env_num("BENCH_WRK_ONLY", 0) != 1;
    for work in [Work::Objects, Work::ById, Work::Manifest]
        .into_iter()
        .filter(|_| in_process)
    {
        let o = rt.block_on(run(http, &t, work, s.clients, 20_000, s.budget));
        println!(
            "{:<30} {:<11} {:<10} {:>6} {:>4} {:>10.1} {:>10} {:>10}  (reqwest + serde_json in this process)",
            work.label(),
            "concurrent",
            t.name,
            o.done,
            o.errors,
            o.rps(),
            o.pct(0.5),
            o.pct(0.99)
        );
    }
    if std::env::var_os("BENCH_AB_EVENT_INTERVAL").is_some() {
        event_interval_ab(&state, &t, &pages, s);
        return;
    }
    wrk_runs(&t, &pages, s, None);
    whole_server(rt, http, &db, t.ids.clone(), s);
    // `BENCH_OPEN_LOOP=0`: no fixed-rate runs.
    if env_num("BENCH_OPEN_LOOP", 1) != 0 {
        open_loop_runs(rt, http, &t, &pages, s);
    }
}

/// A child process, killed when dropped.
struct Child(std::process::Child);
impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `BENCH_CONCORD_BIN=target/release/concord`: the same store served by `concord serve`,
/// the whole server as a user runs it (every layer of the HTTP stack, logging at its
/// default), walked for its own `next` tokens and driven by wrk as above; the server CPU
/// counted is the child's.
fn whole_server(
    rt: &tokio::runtime::Runtime,
    http: &reqwest::Client,
    db: &std::path::Path,
    ids: Arc<Vec<String>>,
    s: &Settings,
) {
    let Some(bin) = std::env::var_os("BENCH_CONCORD_BIN") else {
        return;
    };
    if !wrk_installed() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("node");
    let init = std::process::Command::new(&bin)
        .arg("--data-dir")
        .arg(&data)
        .args(["init", "--name", "bench"])
        .output()
        .expect("concord init");
    assert!(init.status.success(), "concord init: {init:?}");
    // The node serves the benchmark's store: its files linked in place of the new ones.
    for name in ["concord.db", "concord.db-index"] {
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(data.join(format!("{name}{suffix}")));
        }
        let real = db.with_file_name(name);
        std::os::unix::fs::symlink(&real, data.join(name)).unwrap();
    }
    let mut child = std::process::Command::new(&bin)
        .arg("--data-dir")
        .arg(&data)
        .args(["serve", "--listen", "127.0.0.1:0"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("concord serve");
    let stdout = child.stdout.take().unwrap();
    let server = Child(child);
    use std::io::BufRead as _;
    let url = std::io::BufReader::new(stdout)
        .lines()
        .map_while(Result::ok)
        .find_map(|l| {
            l.split_once("listening on ")
                .map(|(_, u)| u.trim().to_owned())
        })
        .expect("concord serve says where it listens");
    let t = Target {
        name: "concord serve",
        collection_url: format!(
            "{url}/taxii2/api/collections/{}/",
            concord_taxii::collection::DEFAULT_COLLECTION_ID
        ),
        ids,
    };
    let mut pages: Vec<(Work, Vec<String>)> = Vec::new();
    for work in [Work::Objects, Work::Manifest] {
        let urls = rt.block_on(async {
            let (mut next, mut seed) = (None, 0u64);
            let mut urls = vec![String::new()];
            loop {
                one(http, &t, work, &mut next, &mut seed)
                    .await
                    .expect("a page from concord serve");
                match &next {
                    Some(token) => urls.push(format!("&next={token}")),
                    None => break urls,
                }
            }
        });
        pages.push((work, urls));
    }
    // The node's start-up work (the matcher's index of every indicator) is done first.
    let pid = server.0.id();
    let t0 = Instant::now();
    loop {
        let c0 = cpu_seconds_of(Some(pid));
        std::thread::sleep(Duration::from_secs(1));
        if cpu_seconds_of(Some(pid)) - c0 < 0.05 || t0.elapsed() > Duration::from_secs(300) {
            break;
        }
    }
    println!(
        "\n`concord serve` (the whole server, default settings) on the same store, idle {:.0}s after start:",
        t0.elapsed().as_secs_f64()
    );
    // A first run of each kind maps the store into the new process; not counted.
    let (origin, _) = split_url(&t.collection_url);
    let quick = Settings {
        objects: s.objects,
        clients: s.clients,
        budget: Duration::from_secs(3),
        venv: s.venv.clone(),
        big: s.big,
        only_big: s.only_big,
    };
    for (work, urls) in &pages {
        let _ = wrk_once(origin, &wrk_paths(&t, *work, urls), &quick, None);
    }
    wrk_runs(&t, &pages, s, Some(pid));
}

/// `BENCH_AB_EVENT_INTERVAL=61,8,...`: the same store served by one runtime per tokio
/// `event_interval` (how many tasks a worker runs between looks at the sockets), and
/// wrk on random object pages against each in turn, `BENCH_AB_ROUNDS` (3) rounds, so
/// that the settings compare under the same conditions.
fn event_interval_ab(state: &TaxiiState, t: &Target, pages: &[(Work, Vec<String>)], s: &Settings) {
    let Ok(list) = std::env::var("BENCH_AB_EVENT_INTERVAL") else {
        return;
    };
    if !wrk_installed() {
        return;
    }
    let Some((_, urls)) = pages.iter().find(|(w, _)| *w == Work::Objects) else {
        return;
    };
    let paths = wrk_paths(t, Work::Objects, urls);
    let servers: Vec<(u32, String)> = list
        .split(',')
        .filter_map(|v| v.trim().parse().ok())
        .map(|ei| (ei, serve_state(state.clone(), 2, Some(ei)).0))
        .collect();
    println!(
        "event_interval A/B, GET objects (pages of 100), wrk {} connections, {}s per run:",
        s.clients,
        s.budget.as_secs()
    );
    for round in 0..env_num("BENCH_AB_ROUNDS", 3) {
        for (ei, url) in &servers {
            let (origin, _) = split_url(url);
            let r = wrk_once(origin, &paths, s, None);
            println!("round {round} event_interval {ei:>3} {r}");
        }
    }
}

/// CPU time (user + system) process `pid` has used (this one for `None`), in seconds.
fn cpu_seconds_of(pid: Option<u32>) -> f64 {
    let path = pid.map_or_else(
        || "/proc/self/stat".to_owned(),
        |p| format!("/proc/{p}/stat"),
    );
    let stat = std::fs::read_to_string(path).unwrap_or_default();
    // Fields after the command name (which is in parentheses and may hold spaces).
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<f64> = rest
        .split_whitespace()
        .map(|x| x.parse().unwrap_or(0.0))
        .collect();
    // utime and stime are fields 14 and 15 of the whole line, 12 and 13 after ')'.
    let ticks = f.get(11).copied().unwrap_or(0.0) + f.get(12).copied().unwrap_or(0.0);
    ticks / 100.0
}
