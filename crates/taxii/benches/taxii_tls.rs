//! TAXII over HTTPS against the same node over plain HTTP, on loopback, in one run (issue
//! 26): one data directory (`concord init --tls`, 10,000 indicators imported) served by
//! `concord serve` in turn over plain HTTP and over HTTPS, round after round; 64 clients
//! page through the objects 100 at a time following `next`, on kept-alive connections that
//! resume their TLS sessions when they reconnect (reqwest over rustls with its session
//! cache, as a real client runs), then with a new connection for every request (each a
//! resumed session). The load generator keeps its own CPU low (it reads each page's paging
//! fields without building its objects) so that the server is what is measured. Prints p50
//! and p99 of both and their ratio per round and as the median over the rounds, then the
//! cost of a TLS handshake, full and resumed: time per handshake seen by one client, and
//! the server's CPU time per connection. `bench/taxii-tls` runs it; settings come from the
//! environment (see `Settings`).

use std::io::{BufRead as _, Read as _, Write as _};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};
use serde_json::{Value, json};

// The load generator must stay light beside the server it measures: the allocator of the
// `concord` binary, and pages read for their paging fields only (see `Envelope`).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

const TAXII: &str = "application/taxii+json;version=2.1";

/// What a worker needs of a page: whether there is more and where it goes on. The objects
/// are parsed (the whole body is checked as JSON) but not built into values: the client
/// would otherwise spend three times the server's CPU per page and measure itself.
#[derive(serde::Deserialize)]
struct Envelope {
    #[serde(default)]
    more: bool,
    next: Option<String>,
    #[serde(default)]
    objects: Option<serde::de::IgnoredAny>,
}

/// Settings, from `BENCH_*` environment variables.
struct Settings {
    bin: PathBuf,
    objects: usize,
    clients: usize,
    /// Requests per measured run.
    requests: usize,
    budget: Duration,
    rounds: usize,
    /// Handshakes per handshake measurement.
    handshakes: usize,
}

fn env_num(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// A `concord` child process, killed when dropped.
struct Child(std::process::Child);
impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn concord(s: &Settings, data: &Path, args: &[&str]) -> String {
    let out = std::process::Command::new(&s.bin)
        .arg("--data-dir")
        .arg(data)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{} cannot run: {e}", s.bin.display()));
    assert!(
        out.status.success(),
        "concord {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn indicator(n: usize) -> Value {
    json!({
        "type": "indicator", "spec_version": "2.1",
        "id": format!("indicator--{n:08x}-3333-4333-8333-{n:012x}"),
        "created": "2026-01-01T00:00:00.000Z", "modified": "2026-01-01T00:00:00.000Z",
        "name": format!("indicator {n}"), "description": "A bench indicator on loopback.",
        "pattern": format!("[ipv4-addr:value = '10.{}.{}.{}']", (n >> 16) & 255, (n >> 8) & 255, n & 255),
        "pattern_type": "stix", "valid_from": "2026-01-01T00:00:00Z",
        "labels": ["malicious-activity"]
    })
}

/// A node in `dir`: a self-signed certificate, `objects` indicators, and its admin token.
fn make_node(s: &Settings, dir: &Path) -> (PathBuf, String) {
    let data = dir.join("node");
    let out = concord(s, &data, &["init", "--name", "bench", "--tls"]);
    let token = out
        .lines()
        .find_map(|l| l.split_once("Admin token (shown once, keep it safe): "))
        .map(|(_, t)| t.trim().to_owned())
        .expect("concord init prints the admin token");
    let bundle = dir.join("bundle.json");
    let objects: Vec<Value> = (0..s.objects).map(indicator).collect();
    std::fs::write(
        &bundle,
        json!({"type": "bundle", "id": "bundle--00000000-0000-4000-8000-000000000001", "objects": objects})
            .to_string(),
    )
    .unwrap();
    let t0 = Instant::now();
    concord(s, &data, &["import", bundle.to_str().unwrap()]);
    eprintln!(
        "node: {} indicators imported in {:.1}s",
        s.objects,
        t0.elapsed().as_secs_f64()
    );
    (data, token)
}

/// `concord serve` on a free loopback port, over HTTPS with the node's certificate or
/// (`tls` false: its paths emptied by the environment) over plain HTTP; its base URL, once
/// its start-up work is done.
fn serve(s: &Settings, data: &Path, tls: bool) -> (Child, String) {
    let mut cmd = std::process::Command::new(&s.bin);
    cmd.arg("--data-dir")
        .arg(data)
        .args(["serve", "--listen", "127.0.0.1:0"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null());
    if !tls {
        cmd.env("CONCORD_TLS_CERT", "").env("CONCORD_TLS_KEY", "");
    }
    let mut child = cmd.spawn().expect("concord serve");
    let stdout = child.stdout.take().unwrap();
    let child = Child(child);
    let mut lines = std::io::BufReader::new(stdout).lines();
    let url = lines
        .by_ref()
        .map_while(Result::ok)
        .find_map(|l| {
            l.split_once("listening on ")
                .map(|(_, u)| u.trim().to_owned())
        })
        .expect("concord serve says where it listens");
    // Whatever it prints later must not fill the pipe and stall it.
    std::thread::spawn(move || lines.for_each(drop));
    assert_eq!(url.starts_with("https://"), tls, "{url}");
    wait_idle(child.0.id());
    (child, url)
}

/// Waits until process `pid` uses less than 5% of a core (its start-up work is done).
fn wait_idle(pid: u32) {
    let t0 = Instant::now();
    loop {
        let c0 = cpu_seconds_of(pid);
        std::thread::sleep(Duration::from_millis(500));
        if cpu_seconds_of(pid) - c0 < 0.025 || t0.elapsed() > Duration::from_secs(120) {
            return;
        }
    }
}

/// CPU time process `pid` has used, in seconds: the sum over its threads of the
/// scheduler's nanosecond count (`/proc/PID/task/*/schedstat`; the ticks of
/// `/proc/PID/stat` are 10 ms, too coarse for one handshake).
fn cpu_seconds_of(pid: u32) -> f64 {
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return 0.0;
    };
    let ns: u64 = tasks
        .filter_map(Result::ok)
        .filter_map(|t| std::fs::read_to_string(t.path().join("schedstat")).ok())
        .filter_map(|s| s.split_whitespace().next()?.parse::<u64>().ok())
        .sum();
    ns as f64 / 1e9
}

/// Trusts exactly one certificate (the node's), as a client given that certificate does;
/// the handshake signatures are checked as usual.
#[derive(Debug)]
struct Pinned {
    cert: CertificateDer<'static>,
    provider: Arc<CryptoProvider>,
}

impl ServerCertVerifier for Pinned {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _: &[CertificateDer<'_>],
        _: &ServerName<'_>,
        _: &[u8],
        _: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        if end_entity.as_ref() == self.cert.as_ref() {
            Ok(ServerCertVerified::assertion())
        } else {
            Err(rustls::Error::General(
                "not the node's certificate".to_owned(),
            ))
        }
    }
    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }
    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }
    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

/// A TLS client configuration trusting the node's certificate; `resume`: keep sessions
/// (rustls' default in-memory cache) to resume them, else a full handshake every time.
fn client_config(cert_pem: &Path, resume: bool) -> Arc<rustls::ClientConfig> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let cert = CertificateDer::from_pem_file(cert_pem).expect("the node's certificate");
    let mut config = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .unwrap()
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(Pinned { cert, provider }))
        .with_no_client_auth();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    if !resume {
        config.resumption = rustls::client::Resumption::disabled();
    }
    Arc::new(config)
}

/// One run's latencies.
struct Outcome {
    lat: Vec<Duration>,
    errors: usize,
    elapsed: Duration,
}

impl Outcome {
    fn pct(&self, p: f64) -> Duration {
        if self.lat.is_empty() {
            return self.elapsed;
        }
        self.lat[((self.lat.len() as f64 - 1.0) * p).round() as usize]
    }
    fn rps(&self) -> f64 {
        self.lat.len() as f64 / self.elapsed.as_secs_f64()
    }
}

fn ms(d: Duration) -> String {
    format!("{:.2}ms", d.as_secs_f64() * 1000.0)
}

/// One page of 100 objects from `url` (following the worker's `next`).
async fn page(
    http: &reqwest::Client,
    url: &str,
    token: &str,
    next: &mut Option<String>,
) -> Result<(), String> {
    let mut u = format!("{url}?limit=100");
    if let Some(n) = next.as_deref() {
        u.push_str("&next=");
        u.push_str(n);
    }
    let res = http
        .get(u)
        .header("accept", TAXII)
        .bearer_auth(token)
        .send()
        .await
        .map_err(|e| e.to_string())?;
    let status = res.status();
    let body = res.bytes().await.map_err(|e| e.to_string())?;
    if !status.is_success() {
        return Err(format!("{status}: {}", String::from_utf8_lossy(&body)));
    }
    let page: Envelope = serde_json::from_slice(&body).map_err(|e| e.to_string())?;
    if page.objects.is_none() {
        return Err("a page without objects".to_owned());
    }
    *next = if page.more { page.next } else { None };
    Ok(())
}

/// `clients` workers paging through the collection until `max` pages or the budget.
async fn paging(
    http: &reqwest::Client,
    url: &str,
    token: &str,
    clients: usize,
    max: usize,
    budget: Duration,
) -> Outcome {
    let start = Instant::now();
    let issued = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for _ in 0..clients {
        let (http, url, token, issued) = (
            http.clone(),
            url.to_owned(),
            token.to_owned(),
            issued.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let (mut lat, mut errors, mut next) = (Vec::new(), 0, None);
            while issued.fetch_add(1, Ordering::Relaxed) < max && start.elapsed() < budget {
                let t0 = Instant::now();
                match page(&http, &url, &token, &mut next).await {
                    Ok(()) => lat.push(t0.elapsed()),
                    Err(e) => {
                        errors += 1;
                        if errors == 1 {
                            eprintln!("{url}: {e}");
                        }
                    }
                }
            }
            (lat, errors)
        }));
    }
    let mut out = Outcome {
        lat: Vec::new(),
        errors: 0,
        elapsed: Duration::ZERO,
    };
    for t in tasks {
        let (lat, errors) = t.await.expect("worker");
        out.lat.extend(lat);
        out.errors += errors;
    }
    out.elapsed = start.elapsed();
    out.lat.sort_unstable();
    out
}

/// The HTTP client of one mode: kept-alive connections (`keep_alive` false: a new
/// connection for every request), over TLS with session resumption when `tls` is given.
fn http_client(tls: Option<&Arc<rustls::ClientConfig>>, keep_alive: bool) -> reqwest::Client {
    let mut b = reqwest::Client::builder()
        .pool_max_idle_per_host(if keep_alive { 256 } else { 0 })
        .timeout(Duration::from_secs(600));
    if let Some(c) = tls {
        b = b.use_preconfigured_tls((**c).clone());
    }
    b.build().expect("reqwest client")
}

/// How one mode's handshakes went.
struct Handshakes {
    /// Connect + handshake, per connection, sorted.
    times: Vec<Duration>,
    resumed: usize,
    /// Server CPU seconds per connection (handshake and one small request).
    server_cpu: f64,
}

/// `n` connections one after another to `addr`, each with one small request (the TAXII
/// discovery document, unauthenticated: a 401) so that a TLS 1.3 client also receives
/// its session tickets, then closed. `tls`: None for plain TCP.
fn handshakes(
    addr: &str,
    tls: Option<&Arc<rustls::ClientConfig>>,
    n: usize,
    pid: u32,
) -> Handshakes {
    let request = format!(
        "GET /taxii2/ HTTP/1.1\r\nhost: {addr}\r\naccept: {TAXII}\r\nconnection: close\r\n\r\n"
    );
    let (mut times, mut resumed) = (Vec::with_capacity(n), 0);
    let cpu0 = cpu_seconds_of(pid);
    for _ in 0..n {
        let t0 = Instant::now();
        let mut tcp = TcpStream::connect(addr).expect("connect");
        tcp.set_nodelay(true).unwrap();
        let mut answer = Vec::new();
        match tls {
            None => {
                times.push(t0.elapsed());
                tcp.write_all(request.as_bytes()).unwrap();
                let _ = tcp.read_to_end(&mut answer);
            }
            Some(config) => {
                let name = ServerName::try_from("127.0.0.1").unwrap();
                let mut conn = rustls::ClientConnection::new(config.clone(), name).unwrap();
                while conn.is_handshaking() {
                    conn.complete_io(&mut tcp).expect("TLS handshake");
                }
                times.push(t0.elapsed());
                if conn.handshake_kind() == Some(rustls::HandshakeKind::Resumed) {
                    resumed += 1;
                }
                let mut stream = rustls::Stream::new(&mut conn, &mut tcp);
                stream.write_all(request.as_bytes()).unwrap();
                let _ = stream.read_to_end(&mut answer);
            }
        }
        assert!(
            answer.starts_with(b"HTTP/1.1 "),
            "{}",
            String::from_utf8_lossy(&answer)
        );
    }
    let server_cpu = (cpu_seconds_of(pid) - cpu0) / n as f64;
    times.sort_unstable();
    Handshakes {
        times,
        resumed,
        server_cpu,
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    let s = Settings {
        bin: std::env::var_os("BENCH_CONCORD_BIN")
            .map(PathBuf::from)
            .unwrap_or_else(|| {
                PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/release/concord")
            }),
        objects: env_num("BENCH_OBJECTS", 10_000),
        clients: env_num("BENCH_CLIENTS", 64),
        requests: env_num("BENCH_REQUESTS", 5_000),
        budget: Duration::from_secs(env_num("BENCH_BUDGET_SECS", 20) as u64),
        rounds: env_num("BENCH_ROUNDS", 3).max(1),
        handshakes: env_num("BENCH_HANDSHAKES", 500).max(1),
    };
    let _ = rustls::crypto::ring::default_provider().install_default();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (data, token) = make_node(&s, dir.path());
    let resuming = client_config(&data.join("tls/cert.pem"), true);
    let full = client_config(&data.join("tls/cert.pem"), false);
    let collection = format!(
        "/taxii2/api/collections/{}/objects/",
        concord_taxii::collection::DEFAULT_COLLECTION_ID
    );
    println!(
        "TAXII paging over HTTPS vs plain HTTP, the same node (`concord serve`) on loopback: {} objects, pages of 100, {} clients, {} pages per run, {} rounds",
        s.objects, s.clients, s.requests, s.rounds
    );
    println!(
        "{:<6} {:<24} {:<6} {:>6} {:>4} {:>9} {:>9} {:>9} {:>9} {:>9}",
        "round",
        "connections",
        "scheme",
        "pages",
        "errs",
        "pages/s",
        "p50",
        "p99",
        "server",
        "client"
    );
    println!(
        "(server, client: CPU microseconds per page, of `concord serve` and of this load generator)"
    );
    // (keep_alive, scheme) -> p50s and p99s over the rounds.
    let mut p50: std::collections::BTreeMap<(bool, bool), Vec<f64>> = Default::default();
    let mut p99: std::collections::BTreeMap<(bool, bool), Vec<f64>> = Default::default();
    let mut hs: Vec<(&str, Handshakes)> = Vec::new();
    for round in 0..s.rounds {
        for tls in [false, true] {
            let (server, base) = serve(&s, &data, tls);
            let url = format!("{base}{collection}");
            for keep_alive in [true, false] {
                let http = http_client(tls.then_some(&resuming), keep_alive);
                // Not counted: connections opened, pages of the store mapped.
                let max = if keep_alive {
                    s.requests
                } else {
                    s.requests / 5
                };
                rt.block_on(paging(&http, &url, &token, s.clients, max / 10, s.budget));
                let pid = server.0.id();
                let (server0, client0) = (cpu_seconds_of(pid), cpu_seconds_of(std::process::id()));
                let o = rt.block_on(paging(&http, &url, &token, s.clients, max, s.budget));
                let per_page =
                    |c0: f64, p: u32| (cpu_seconds_of(p) - c0) * 1e6 / o.lat.len().max(1) as f64;
                let (server_us, client_us) = (
                    per_page(server0, pid),
                    per_page(client0, std::process::id()),
                );
                println!(
                    "{:<6} {:<24} {:<6} {:>6} {:>4} {:>9.0} {:>9} {:>9} {:>9.0} {:>9.0}",
                    round,
                    if keep_alive {
                        "kept alive"
                    } else {
                        "new for every request"
                    },
                    if tls { "https" } else { "http" },
                    o.lat.len(),
                    o.errors,
                    o.rps(),
                    ms(o.pct(0.5)),
                    ms(o.pct(0.99)),
                    server_us,
                    client_us
                );
                p50.entry((keep_alive, tls))
                    .or_default()
                    .push(o.pct(0.5).as_secs_f64());
                p99.entry((keep_alive, tls))
                    .or_default()
                    .push(o.pct(0.99).as_secs_f64());
            }
            if round + 1 == s.rounds {
                let addr = base
                    .trim_start_matches("https://")
                    .trim_start_matches("http://")
                    .to_owned();
                let pid = server.0.id();
                if tls {
                    hs.push((
                        "TLS full",
                        handshakes(&addr, Some(&full), s.handshakes, pid),
                    ));
                    hs.push((
                        "TLS resumed",
                        handshakes(&addr, Some(&resuming), s.handshakes, pid),
                    ));
                } else {
                    hs.push(("TCP only", handshakes(&addr, None, s.handshakes, pid)));
                }
            }
        }
    }
    println!("\nmedian over {} rounds:", s.rounds);
    for keep_alive in [true, false] {
        let med = |m: &std::collections::BTreeMap<(bool, bool), Vec<f64>>, tls| {
            median(m[&(keep_alive, tls)].clone())
        };
        let (h50, s50, h99, s99) = (
            med(&p50, false),
            med(&p50, true),
            med(&p99, false),
            med(&p99, true),
        );
        println!(
            "{:<24} p50 http {:>8.2}ms https {:>8.2}ms ratio {:.2}   p99 http {:>8.2}ms https {:>8.2}ms ratio {:.2}",
            if keep_alive {
                "kept alive"
            } else {
                "new for every request"
            },
            h50 * 1000.0,
            s50 * 1000.0,
            s50 / h50,
            h99 * 1000.0,
            s99 * 1000.0,
            s99 / h99
        );
    }
    println!(
        "\nhandshakes: {} connections one after another, each with one small request (client: connect + handshake; server: CPU per connection):",
        s.handshakes
    );
    for (name, h) in &hs {
        let mean = h.times.iter().sum::<Duration>() / h.times.len() as u32;
        println!(
            "{:<12} mean {:>8.3}ms  p50 {:>8.3}ms  p99 {:>8.3}ms  resumed {:>4}/{}  server CPU {:>6.0} us/connection",
            name,
            mean.as_secs_f64() * 1000.0,
            h.times[h.times.len() / 2].as_secs_f64() * 1000.0,
            h.times[(h.times.len() - 1) * 99 / 100].as_secs_f64() * 1000.0,
            h.resumed,
            h.times.len(),
            h.server_cpu * 1e6
        );
    }
}
