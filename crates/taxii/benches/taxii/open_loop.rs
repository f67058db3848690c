//! Open-loop runs: connections sending at a fixed offered rate, latency counted from when
//! each request was due.

use std::sync::Arc;
use std::time::Duration;

use super::{PASSWORD, Settings, TAXII, Target, USER, Work};

/// Latency at a fixed offered load: `s.clients` connections together send `rate`
/// requests per second, each at its scheduled time; a request held up by a slow previous
/// answer counts from the time it was due (so slowness is not hidden by sending less).
/// The answer's bytes are read but not parsed. Random pages of the whole collection.
/// The rate holds for `budget`; the first half second is a warm-up and not counted.
async fn open_loop(
    http: &reqwest::Client,
    urls: Arc<Vec<String>>,
    clients: usize,
    rate: f64,
    budget: Duration,
) -> (usize, usize, Vec<Duration>) {
    let interval = Duration::from_secs_f64(clients as f64 / rate);
    let start = tokio::time::Instant::now() + Duration::from_millis(50);
    let mut tasks = Vec::new();
    for w in 0..clients {
        let (http, urls) = (http.clone(), urls.clone());
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            let mut errors = 0;
            let mut seed = w as u64 * 7919 + 1;
            let first = start + interval.mul_f64(w as f64 / clients as f64);
            let mut prev_end = start;
            for k in 0u32.. {
                let due = first + interval * k;
                if due.duration_since(start) >= budget {
                    break;
                }
                // A request counts from its due time when the previous answer came after
                // it (the server held this one up), else from when it was sent (the
                // timer's own lateness, up to a millisecond, is not the server's).
                let late = prev_end > due;
                tokio::time::sleep_until(due).await;
                let from = if late {
                    due
                } else {
                    tokio::time::Instant::now()
                };
                seed = seed
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                let url = &urls[(seed >> 33) as usize % urls.len()];
                let ok = match http
                    .get(url)
                    .header("accept", TAXII)
                    .basic_auth(USER, Some(PASSWORD))
                    .send()
                    .await
                {
                    Ok(res) => res.status().is_success() && res.bytes().await.is_ok(),
                    Err(_) => false,
                };
                // The first half second warms the connections up and is not counted.
                if !ok {
                    errors += 1;
                } else if due.duration_since(start) >= Duration::from_millis(500) {
                    lat.push(from.elapsed());
                }
                prev_end = tokio::time::Instant::now();
            }
            (lat, errors)
        }));
    }
    let (mut all, mut errors) = (Vec::new(), 0);
    for t in tasks {
        if let Ok((lat, e)) = t.await {
            all.extend(lat);
            errors += e;
        }
    }
    all.sort_unstable();
    (all.len(), errors, all)
}

pub(super) fn open_loop_runs(
    rt: &tokio::runtime::Runtime,
    http: &reqwest::Client,
    t: &Target,
    pages: &[(Work, Vec<String>)],
    s: &Settings,
) {
    let Some((_, objects)) = pages.iter().find(|(w, _)| *w == Work::Objects) else {
        return;
    };
    let base = t.collection_url.clone();
    let page_urls: Vec<String> = objects
        .iter()
        .map(|u| format!("{base}objects/?limit=100{u}"))
        .collect();
    let id_urls: Vec<String> = t
        .ids
        .iter()
        .map(|id| format!("{base}objects/{id}/"))
        .collect();
    println!(
        "open loop: {} connections sending together at a fixed rate, {}s per rate (latency from the due time when held up by the previous answer):",
        s.clients,
        s.budget.as_secs()
    );
    for (label, urls) in [
        (Work::Objects.label(), Arc::new(page_urls)),
        (Work::ById.label(), Arc::new(id_urls)),
    ] {
        // `BENCH_OPEN_RATES=500,1000,...`: the offered rates, requests per second.
        let rates: Vec<f64> = std::env::var("BENCH_OPEN_RATES")
            .unwrap_or_else(|_| "500,1000,2000,4000,6000,8000,10000,12000".to_owned())
            .split(',')
            .filter_map(|r| r.trim().parse().ok())
            .collect();
        let mut under_goal: Option<f64> = None;
        for rate in rates {
            let (n, errors, lat) =
                rt.block_on(open_loop(http, urls.clone(), s.clients, rate, s.budget));
            let pct = |p: f64| {
                lat.get(((lat.len().max(1) - 1) as f64 * p).round() as usize)
                    .map_or(f64::NAN, |d| d.as_secs_f64() * 1000.0)
            };
            println!(
                "{label:<30} offered {rate:>6.0}/s  answered {:>7.0}/s  p50 {:>7.2}ms  p99 {:>7.2}ms  p99.9 {:>7.2}ms  errors {errors}",
                n as f64 / (s.budget.as_secs_f64() - 0.5),
                pct(0.5),
                pct(0.99),
                pct(0.999)
            );
            if pct(0.99) < 5.0 && errors == 0 {
                under_goal = Some(rate);
            }
            if pct(0.99) > 20.0 {
                break;
            }
        }
        match under_goal {
            Some(rate) => {
                println!("{label:<30} highest offered rate answered at p99 < 5 ms: {rate:.0}/s")
            }
            None => println!("{label:<30} no offered rate answered at p99 < 5 ms"),
        }
    }
}
