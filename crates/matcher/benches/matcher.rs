//! Matcher benchmarks (plain `main`, run with `cargo bench -p concord-matcher`):
//! (a) build an index of 5,000,000 generated indicators of mixed types: seconds and bytes
//! per indicator (resident memory from `/proc/self/statm`); (b) 10,000,000 observables
//! from one-per-line text (raw index lookups of prebuilt observations, the same lookups
//! timed alone as a reader hands them over, and the text read and matched whole), and two
//! generated Suricata EVE logs (a hit-heavy mix where nearly every event hits, and a
//! realistic mix where one event in 1,000 carries an indicator's value): lookups per
//! second on one core, MB/s for EVE.
//!
//! `MATCHER_BENCH_INDICATORS=N` changes the 5,000,000; `MATCHER_BENCH_ONLY_BUILD=1` stops
//! after (a), `MATCHER_BENCH_ONLY_LOOKUPS=1` after the raw lookups,
//! `MATCHER_BENCH_ONLY_LINES=1` runs only the one-per-line read+match of (b1),
//! `MATCHER_BENCH_ONLY_EVE=1` skips the one-per-line part of (b);
//! `MATCHER_BENCH_EVE_MIX=realistic` (or `hit-heavy`) runs one EVE mix only;
//! `MATCHER_BENCH_DISTINCT=N` reads N distinct lines (10,000,000 in all) and
//! `MATCHER_BENCH_HIT_EVERY=K` makes every K-th line a hit (default 4) in (b1).

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::sync::Arc;
use std::time::Instant;

use concord_matcher::{
    Index, IndicatorInput, Kind, Matcher, Observable, Observation,
    readers::{self, Format},
};
use concord_pattern::Timestamp;

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}

/// CPU time of this thread in seconds (`/proc/thread-self/schedstat`, nanoseconds): on a
/// machine shared with other work, "per core" is per second of CPU, not of wall clock.
fn cpu_secs() -> f64 {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").unwrap_or_default();
    let ns: u64 = s
        .split_whitespace()
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    ns as f64 / 1e9
}

/// CPU time of the whole process in seconds (`/proc/self/stat` utime + stime, in ticks of
/// 1/100 s).
fn process_cpu_secs() -> f64 {
    let s = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let fields: Vec<&str> = s
        .rsplit_once(')')
        .map(|(_, r)| r.split_whitespace().collect())
        .unwrap_or_default();
    let t = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(0)
    };
    (t(11) + t(12)) as f64 / 100.0
}

fn rss_bytes() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: u64 = statm
        .split_whitespace()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(0);
    pages * 4096
}

/// The i-th generated value of a mix; `(kind, value)` as a pattern comparison and as text.
fn value(i: u64) -> (&'static str, String) {
    let mut r = Rng(i);
    let x = r.next();
    match i % 20 {
        0..=5 => (
            "file:hashes.'SHA-256'",
            format!(
                "{:016x}{:016x}{:016x}{:016x}",
                x,
                r.next(),
                r.next(),
                r.next()
            ),
        ),
        6..=8 => ("file:hashes.MD5", format!("{:016x}{:016x}", x, r.next())),
        9 => (
            "file:hashes.'SHA-1'",
            format!("{:016x}{:016x}{:08x}", x, r.next(), r.next() as u32),
        ),
        10..=12 => (
            "ipv4-addr:value",
            format!(
                "{}.{}.{}.{}",
                x >> 56,
                (x >> 48) & 255,
                (x >> 40) & 255,
                (x >> 32) & 255
            ),
        ),
        13 => (
            "ipv4-addr:value",
            format!("{}.{}.{}.0/24", x >> 56, (x >> 48) & 255, (x >> 40) & 255),
        ),
        14..=16 => (
            "domain-name:value",
            format!("h{:x}.example{}.com", x >> 20, x % 97),
        ),
        17..=18 => (
            "url:value",
            format!("http://u{:x}.example.net/p/{}", x >> 24, x % 1000),
        ),
        _ => ("email-addr:value", format!("m{:x}@example.org", x >> 24)),
    }
}

fn indicator(i: u64) -> IndicatorInput {
    let (path, v) = value(i);
    let op = if v.contains('/') && path.starts_with("ipv4") {
        "ISSUBSET"
    } else {
        "="
    };
    IndicatorInput::new(
        format!(
            "indicator--{}",
            uuid::Uuid::from_u64_pair(i, i.wrapping_mul(31)).hyphenated()
        ),
        format!("[{path} {op} '{v}']"),
        Timestamp::from_unix_nanos(0).unwrap(),
    )
}

fn main() {
    let n: u64 = std::env::var("MATCHER_BENCH_INDICATORS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5_000_000);
    let now = Timestamp::parse("2026-11-22T00:00:00Z").unwrap();
    // The inputs are generated before the measured build (as a store read would hand
    // them over), and the generation is reported on its own.
    let start = Instant::now();
    let cpu = process_cpu_secs();
    let inputs: Vec<IndicatorInput> = (0..n).map(indicator).collect();
    let generated: usize = inputs.iter().map(|i| i.pattern.len()).sum();
    println!(
        "(a) generating the {n} inputs (not in the build figure): {:.2} s, {:.2} s CPU ({generated} pattern bytes)",
        start.elapsed().as_secs_f64(),
        process_cpu_secs() - cpu
    );
    let before = rss_bytes();
    let start = Instant::now();
    let cpu = process_cpu_secs();
    let (index, errors) = Index::build(&inputs, now);
    assert!(errors.is_empty());
    let build = start.elapsed().as_secs_f64();
    let cpu = process_cpu_secs() - cpu;
    let after = rss_bytes();
    println!(
        "(a) build: {n} indicators in {build:.2} s ({:.0}/s), {cpu:.2} s CPU over all threads; {:?}",
        n as f64 / build,
        index.stats()
    );
    println!(
        "(a) memory: RSS +{} MB = {:.1} bytes/indicator; tables' own estimate {:.1} bytes/indicator",
        (after - before) >> 20,
        (after - before) as f64 / n as f64,
        index.heap_bytes() as f64 / n as f64
    );
    drop(inputs);
    if std::env::var_os("MATCHER_BENCH_ONLY_BUILD").is_some() {
        return;
    }
    let matcher = Matcher::new(Arc::new(index));

    // MATCHER_BENCH_ONLY_EVE=1 skips (b1), to profile the EVE reader alone.
    if std::env::var_os("MATCHER_BENCH_ONLY_EVE").is_none() {
        lines_and_lookups(&matcher, n);
    }

    // (b2) EVE, hit-heavy mix (the figure of earlier runs): flow, dns, http, tls,
    // fileinfo, alert in equal shares, and nearly every event carries an indicator's
    // address, domain or hash.
    let heavy = eve_log(true, |i| {
        (
            i % 6,
            value(10 + 20 * (i % 50_000)).1,
            value(14 + 20 * (i % 80_000)).1,
            value(6 + 20 * (i % 50_000)).1,
            value(20 * (i % 50_000)).1,
        )
    });
    eve_runs(&matcher, &heavy, "hit-heavy mix");
    // (b3) EVE, realistic mix: a sensor's log is mostly flow and DNS events, and hits
    // are rare. Event types: flow 35%, dns 30%, tls 15%, http 12%, fileinfo 5%, alert 3%;
    // one event in 1,000 carries an indicator's value (the same values as the hit-heavy
    // mix), the others addresses, domains and hashes that are in no indicator (values of
    // the same generator past the indicators, so their shape and the lookups are alike;
    // an address that falls in one of the indicators' /24 blocks - 250,000 of them at
    // 5,000,000 indicators, so 1.5% of random addresses - is passed over for the next
    // candidate, else the blocks alone would make one event in 100 hit).
    let past = n.div_ceil(20) + 1;
    let clean_ip = |mut k: u64| loop {
        let ip = value(10 + 20 * k).1;
        let obs = Observation {
            observables: vec![Observable::new(Kind::Ipv4, &ip).expect("an address")],
            ..Observation::default()
        };
        let mut out = Vec::new();
        matcher.match_indexes(&obs, &mut out);
        if out.is_empty() {
            return ip;
        }
        k += 1_000_003;
    };
    let realistic = eve_log(false, |i| {
        let r = Rng(i ^ 0x5eed).next();
        let event = match r % 100 {
            0..=34 => 0,
            35..=64 => 1,
            65..=79 => 3,
            80..=91 => 2,
            92..=96 => 4,
            _ => 5,
        };
        let (k, ip) = if (r >> 32).is_multiple_of(1000) {
            let k = i % 50_000;
            (k, value(10 + 20 * k).1)
        } else {
            (past + i, clean_ip(past + i))
        };
        (
            event,
            ip,
            value(14 + 20 * k).1,
            value(6 + 20 * k).1,
            value(20 * k).1,
        )
    });
    eve_runs(&matcher, &realistic, "realistic mix");
}

/// 300,000 EVE lines; `pick(i)` gives line `i`'s event type (0 flow, 1 dns, 2 http,
/// 3 tls, 4 fileinfo, 5 alert) and its external address, domain, MD5 and SHA-256.
/// Internal addresses of flow events are spread over `10.1.0-249.x` when `spread` (the
/// hit-heavy mix: a few of those /24 blocks are indicators), else in `10.1.0.x` like the
/// other events (no generated indicator up to 5,000,000 covers it).
fn eve_log(spread: bool, pick: impl Fn(u64) -> (u64, String, String, String, String)) -> String {
    let mut eve = String::new();
    for i in 0..300_000u64 {
        let (event, ip, domain, md5, sha256) = pick(i);
        let ts = format!(
            "2026-11-21T10:{:02}:{:02}.{:06}+0000",
            i / 60 % 60,
            i % 60,
            i % 1_000_000
        );
        let line = match event {
            0 => format!(
                r#"{{"timestamp":"{ts}","flow_id":{i},"in_iface":"eth0","event_type":"flow","src_ip":"10.1.{}.{}","src_port":{},"dest_ip":"{ip}","dest_port":443,"proto":"TCP","flow":{{"pkts_toserver":12,"pkts_toclient":10,"bytes_toserver":1834,"bytes_toclient":9120,"start":"{ts}","end":"{ts}","age":3,"state":"closed","reason":"timeout","alerted":false}}}}"#,
                if spread { i % 250 } else { 0 },
                i % 200,
                40000 + i % 20000
            ),
            1 => format!(
                r#"{{"timestamp":"{ts}","flow_id":{i},"event_type":"dns","src_ip":"10.1.0.{}","src_port":53535,"dest_ip":"10.0.0.53","dest_port":53,"proto":"UDP","dns":{{"type":"query","id":{},"rrname":"{domain}","rrtype":"A","tx_id":0}}}}"#,
                i % 250,
                i % 65535,
            ),
            2 => format!(
                r#"{{"timestamp":"{ts}","flow_id":{i},"event_type":"http","src_ip":"10.1.0.{}","src_port":51514,"dest_ip":"{ip}","dest_port":80,"proto":"TCP","tx_id":0,"http":{{"hostname":"www.example{}.com","url":"/index.php?id={i}","http_user_agent":"Mozilla/5.0 (Windows NT 10.0; Win64; x64)","http_content_type":"text/html","http_method":"GET","protocol":"HTTP/1.1","status":200,"length":5120}}}}"#,
                i % 250,
                i % 97
            ),
            3 => format!(
                r#"{{"timestamp":"{ts}","flow_id":{i},"event_type":"tls","src_ip":"10.1.0.{}","src_port":51515,"dest_ip":"{ip}","dest_port":443,"proto":"TCP","tls":{{"subject":"CN=www.example.com","issuerdn":"CN=R3, O=Let's Encrypt, C=US","serial":"04:A1","fingerprint":"da:39:a3:ee:5e:6b:4b:0d:32:55:bf:ef:95:60:18:90:af:d8:07:09","sni":"cdn{}.example.com","version":"TLS 1.3","notbefore":"2026-01-01T00:00:00","notafter":"2027-01-01T00:00:00"}}}}"#,
                i % 250,
                i % 1000
            ),
            4 => format!(
                r#"{{"timestamp":"{ts}","flow_id":{i},"event_type":"fileinfo","src_ip":"{ip}","src_port":80,"dest_ip":"10.1.0.9","dest_port":51514,"proto":"TCP","http":{{"hostname":"dl.example.com","url":"/f.bin"}},"fileinfo":{{"filename":"/f.bin","magic":"PE32 executable","gaps":false,"state":"CLOSED","md5":"{md5}","sha256":"{sha256}","stored":false,"size":204800,"tx_id":0}}}}"#,
            ),
            _ => format!(
                r#"{{"timestamp":"{ts}","flow_id":{i},"event_type":"alert","src_ip":"{ip}","src_port":4444,"dest_ip":"10.1.0.7","dest_port":51000,"proto":"TCP","alert":{{"action":"allowed","gid":1,"signature_id":2024897,"rev":3,"signature":"ET POLICY Suspicious outbound connection","category":"Potentially Bad Traffic","severity":2}}}}"#
            ),
        };
        eve.push_str(&line);
        eve.push('\n');
    }
    eve
}

/// Matches `eve` `MATCHER_BENCH_EVE_RUNS` times (default 3) on one thread, then with
/// `match_reader` cutting it into blocks matched on every core (Matcher::with_threads);
/// CPU time is the process's, over all threads. Prints the share of events that hit.
fn eve_runs(matcher: &Matcher, eve: &str, mix: &str) {
    // MATCHER_BENCH_EVE_MIX=realistic (or hit-heavy) runs that mix only, to profile it.
    if std::env::var("MATCHER_BENCH_EVE_MIX").is_ok_and(|m| !mix.starts_with(&*m)) {
        return;
    }
    let runs: usize = std::env::var("MATCHER_BENCH_EVE_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3);
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get().min(8));
    // MATCHER_BENCH_EVE_THREADS=1: the one-thread runs only.
    let configs = match std::env::var("MATCHER_BENCH_EVE_THREADS").as_deref() {
        Ok("1") => vec![1],
        _ => vec![1, cores],
    };
    for threads in configs {
        let matcher = matcher.clone().with_threads(threads);
        let start = Instant::now();
        let cpu = process_cpu_secs();
        let mut r = matcher.match_reader(eve.as_bytes(), &Format::Eve);
        for _ in 1..runs {
            r = matcher.match_reader(eve.as_bytes(), &Format::Eve);
        }
        let secs = start.elapsed().as_secs_f64();
        let cpu = process_cpu_secs() - cpu;
        let bytes = (eve.len() * runs.max(1)) as f64;
        let hits: u64 = r.sightings.iter().map(|s| s.count).sum();
        println!(
            "(b) EVE, {mix}: {} events, {:.0} MB x {runs} in {secs:.2} s = {:.0} MB/s wall on {} threads ({:.0} MB per CPU second), {:.2} M events/s, {} indicators sighted in {hits} (event, indicator) hits = {:.2} per 100 events, {} malformed",
            r.observations,
            eve.len() as f64 / 1e6,
            bytes / secs / 1e6,
            threads,
            bytes / cpu / 1e6,
            r.observations as f64 * runs.max(1) as f64 / secs / 1e6,
            r.sightings.len(),
            hits as f64 * 100.0 / r.observations.max(1) as f64,
            r.malformed
        );
    }
}

/// (b1) one-per-line text read and matched, 10 times, on one thread and then on two
/// (`match_reader` cutting it into blocks, as `concord match --threads 2` does).
fn lines_read_and_match(matcher: &Matcher, text: &str, rounds: u64) {
    for threads in [1, 2] {
        let matcher = matcher.clone().with_threads(threads);
        let start = Instant::now();
        let cpu = process_cpu_secs();
        let mut total = 0;
        for _ in 0..rounds {
            let r = matcher.match_reader(text.as_bytes(), &Format::Lines);
            total += r.observations;
        }
        let secs = start.elapsed().as_secs_f64();
        let cpu = process_cpu_secs() - cpu;
        let on = if threads == 1 {
            String::new()
        } else {
            format!(" on {threads} threads")
        };
        println!(
            "(b) one-per-line text read+match{on}: {total} lines in {secs:.2} s = {:.2} M lines/s, {:.0} MB/s ({:.0} MB per CPU second)",
            total as f64 / secs / 1e6,
            text.len() as f64 * rounds as f64 / secs / 1e6,
            text.len() as f64 * rounds as f64 / cpu / 1e6
        );
    }
}

/// (b1) the lookups of the one-per-line text as a reader hands them over: each 64 lines
/// read into fresh observations (not timed), then matched by one `match_batch` call
/// (timed), so the lookups find their input in cache as they do when reading a file,
/// where the prebuilt observations of "lookups batched" (about 150 MB) come from memory.
fn lookups_as_read(matcher: &Matcher, text: &str, rounds: u64) {
    let mut timed = std::time::Duration::ZERO;
    let (mut lookups, mut hits) = (0u64, 0usize);
    let mut batch = Vec::with_capacity(64);
    let mut out = Vec::new();
    for _ in 0..rounds {
        let mut lines = readers::read(text.as_bytes(), &Format::Lines).filter_map(Result::ok);
        loop {
            batch.clear();
            batch.extend(lines.by_ref().take(64));
            if batch.is_empty() {
                break;
            }
            let start = Instant::now();
            matcher.match_batch(&batch, &mut out);
            timed += start.elapsed();
            lookups += batch.len() as u64;
            hits += out.len();
        }
    }
    println!(
        "(b) lookups as read (match_batch on each 64 lines just read): {lookups} observables in {:.2} s matching = {:.2} M lookups/s on one core, {hits} hits",
        timed.as_secs_f64(),
        lookups as f64 / timed.as_secs_f64() / 1e6
    );
}

/// (b1) one per line: 1M distinct lines, each read 10 times = 10M observables; every
/// fourth value (`MATCHER_BENCH_HIT_EVERY`) is an indicator's (hit), the rest are new.
fn lines_and_lookups(matcher: &Matcher, n: u64) {
    // MATCHER_BENCH_DISTINCT=N: N distinct lines instead of 1,000,000 (read 10,000,000 / N
    // times), to tell the cost of the index's cache misses from that of the input's.
    let distinct: u64 = std::env::var("MATCHER_BENCH_DISTINCT")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|&d| d > 0)
        .unwrap_or(1_000_000);
    // MATCHER_BENCH_TOTAL=N: about N lookups instead of 10,000,000 (for slow tools such as
    // valgrind, whose instruction counts do not move with the machine's load).
    let total: u64 = std::env::var("MATCHER_BENCH_TOTAL")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000_000);
    let rounds = total.div_ceil(distinct);
    // MATCHER_BENCH_HIT_EVERY=K: every K-th line is an indicator's value (default 4, a
    // hit-heavy file; a sensor's log is nearer 1,000).
    let every: u64 = std::env::var("MATCHER_BENCH_HIT_EVERY")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|&k| k > 0)
        .unwrap_or(4);
    let mut text = String::new();
    for i in 0..distinct {
        let j = if i % every == 0 { i * 3 % n } else { n + i };
        text.push_str(&value(j).1.replace(".0/24", ".7"));
        text.push('\n');
    }
    // MATCHER_BENCH_ONLY_LINES=1: the one-per-line read+match alone, to profile it.
    if std::env::var_os("MATCHER_BENCH_ONLY_LINES").is_some() {
        lines_read_and_match(matcher, &text, rounds);
        std::process::exit(0);
    }
    let observations: Vec<_> = readers::read(text.as_bytes(), &Format::Lines)
        .filter_map(Result::ok)
        .collect();
    let start = Instant::now();
    let cpu = cpu_secs();
    let mut hits = 0usize;
    let mut out = Vec::new();
    for _ in 0..rounds {
        for o in &observations {
            matcher.match_indexes(o, &mut out);
            hits += out.len();
        }
    }
    let secs = start.elapsed().as_secs_f64();
    let cpu = cpu_secs() - cpu;
    let lookups = (observations.len() as u64 * rounds) as f64;
    println!(
        "(b) lookups: {} observables in {secs:.2} s = {:.2} M lookups/s on one core ({cpu:.2} s CPU: {:.2} M lookups per CPU second), {hits} hits",
        lookups,
        lookups / secs / 1e6,
        lookups / cpu / 1e6
    );
    let start = Instant::now();
    let cpu = cpu_secs();
    let mut hits = 0usize;
    let mut out = Vec::new();
    for _ in 0..rounds {
        for chunk in observations.chunks(1024) {
            matcher.match_batch(chunk, &mut out);
            hits += out.len();
        }
    }
    let secs = start.elapsed().as_secs_f64();
    let cpu = cpu_secs() - cpu;
    println!(
        "(b) lookups batched (match_batch, 1024 per call): {} observables in {secs:.2} s = {:.2} M lookups/s on one core ({cpu:.2} s CPU: {:.2} M lookups per CPU second), {hits} hits",
        lookups,
        lookups / secs / 1e6,
        lookups / cpu / 1e6
    );
    lookups_as_read(matcher, &text, rounds);
    // MATCHER_BENCH_ONLY_LOOKUPS=1 stops here, to profile the lookups alone.
    if std::env::var_os("MATCHER_BENCH_ONLY_LOOKUPS").is_some() {
        std::process::exit(0);
    }
    let start = Instant::now();
    let mut hits = 0usize;
    for o in &observations {
        hits += matcher.match_observation(o).len();
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "(b) lookups with ids resolved (match_observation): {} observables in {secs:.2} s = {:.2} M/s, {hits} hits",
        observations.len(),
        observations.len() as f64 / secs / 1e6
    );
    lines_read_and_match(matcher, &text, rounds);
}
