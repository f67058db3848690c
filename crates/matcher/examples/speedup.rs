//! Concord's side of `bench/match-vs-stix2-matcher`: builds the index from every indicator
//! of `<indicators.json>` (a JSON array of `{id, pattern, valid_from}`), matches every
//! observed-data of `<observed.json>` (a STIX bundle whose observed-data come first, so the
//! reader's position `n` is observed-data `n - 1`), writes the matching
//! `(indicator index, observed-data index)` pairs to `<pairs.txt>` and prints the times as
//! one JSON line.
//!
//! ```text
//! cargo run --release -p concord-matcher --example speedup -- IND.json OBS.json PAIRS.txt
//! ```

use std::collections::{BTreeSet, HashMap};
use std::io::{BufReader, Write};
use std::sync::Arc;
use std::time::Instant;

use concord_matcher::{Index, IndicatorInput, Matcher, readers};
use concord_pattern::Timestamp;
use serde_json::Value;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [ind_path, obs_path, pairs_path] = args.as_slice() else {
        return Err("usage: speedup <indicators.json> <observed.json> <pairs.txt>".into());
    };
    let now = Timestamp::parse("2026-11-22T00:00:00Z").ok_or("bad now")?;

    let t0 = Instant::now();
    let raw: Vec<Value> = serde_json::from_slice(&std::fs::read(ind_path)?)?;
    let mut indicators = Vec::with_capacity(raw.len());
    for v in &raw {
        let s = |k: &str| v.get(k).and_then(Value::as_str).unwrap_or("").to_string();
        let valid_from = Timestamp::parse(&s("valid_from")).ok_or("bad valid_from")?;
        indicators.push(IndicatorInput::new(s("id"), s("pattern"), valid_from));
    }
    let t_read_ind = t0.elapsed();

    let t1 = Instant::now();
    let (index, errors) = Index::build(&indicators, now);
    let t_build = t1.elapsed();
    if !errors.is_empty() {
        return Err(format!(
            "{} indicators did not compile: {:?}",
            errors.len(),
            errors[0]
        )
        .into());
    }
    let stats = index.stats();
    let matcher = Matcher::new(Arc::new(index));
    let slot: HashMap<&str, usize> = indicators
        .iter()
        .enumerate()
        .map(|(i, ind)| (ind.id.as_str(), i))
        .collect();

    let t2 = Instant::now();
    let file = BufReader::new(std::fs::File::open(obs_path)?);
    let observations: Vec<_> = readers::read(file, &readers::Format::Stix).collect();
    let t_read_obs = t2.elapsed();

    let t3 = Instant::now();
    let mut pairs = BTreeSet::new();
    let mut observed = 0usize;
    for obs in observations {
        let obs = obs.map_err(|e| format!("observed-data: {e:?}"))?;
        observed += 1;
        let od = usize::try_from(obs.line)? - 1;
        for hit in matcher.match_observation(&obs) {
            pairs.insert((slot[hit.indicator_id.as_str()], od));
        }
    }
    let t_match = t3.elapsed();
    let total = t0.elapsed();

    let mut out = std::io::BufWriter::new(std::fs::File::create(pairs_path)?);
    for (i, o) in &pairs {
        writeln!(out, "{i} {o}")?;
    }
    out.flush()?;

    println!(
        "{{\"indicators\":{},\"observed\":{},\"matches\":{},\"read_indicators_s\":{:.6},\
         \"build_s\":{:.6},\"read_observed_s\":{:.6},\"match_s\":{:.6},\"total_s\":{:.6},\
         \"stats\":\"{:?}\"}}",
        indicators.len(),
        observed,
        pairs.len(),
        t_read_ind.as_secs_f64(),
        t_build.as_secs_f64(),
        t_read_obs.as_secs_f64(),
        t_match.as_secs_f64(),
        total.as_secs_f64(),
        stats,
    );
    Ok(())
}
