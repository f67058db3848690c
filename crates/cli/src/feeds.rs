//! `concord feed`: feeds polled on a schedule (`[[feeds]]` in concord.toml) or run now.
//! A feed is a MISP feed (manifest.json + event files; only events newer than the last
//! run are fetched), or one file (MISP, STIX, CSAF, CSV, plain list) at a path or
//! `http(s)://` URL. Each run's counts, errors, the events seen and the indicators the
//! feed held are kept in `feeds-state.json` in the data directory. An indicator that
//! disappears from a plain feed gets a new version with `valid_until` set (it is not
//! deleted); so do the indicators of an event that a MISP feed's `manifest.json` no
//! longer lists (found through the event's grouping; only when the manifest was read
//! whole), and are current again if the event comes back; a failed or partial download
//! expires nothing. A MISP feed's `hashes.csv`
//! (MD5 of every value, for MISP's own look-ups) is not needed to import it and is not
//! fetched.

use std::collections::{BTreeMap, HashSet};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use concord_formats::fetch::{Fetch, Fetcher, join};
use concord_store::Store;
use concord_store::import::DEFAULT_BATCH;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use concord_ingest::{Input, InputEnd, Target, Totals, import_inputs};

use crate::import::{BarProgress, ImportArgs, import_reader};

/// One `[[feeds]]` entry.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct FeedConfig {
    /// The feed's name (also the default source identity).
    pub name: String,
    /// A directory or file path, or an `http(s)://` URL (a MISP feed's base URL).
    #[serde(default)]
    pub url: String,
    /// `misp-feed`, `misp`, `stix`, `csaf`, `csv` or `lines`.
    #[serde(default = "default_format")]
    pub format: String,
    /// For `csv`: a preset layout (`concord import --list-presets`).
    #[serde(default)]
    pub preset: Option<String>,
    /// For `csv`: column roles (as `import --columns`).
    #[serde(default)]
    pub columns: Option<String>,
    /// For `lines`: the kind of every value.
    #[serde(default)]
    pub observable: Option<String>,
    /// Seconds between runs while `serve` runs.
    #[serde(default = "default_interval")]
    pub interval_secs: u64,
    /// Seconds before a request gives up.
    #[serde(default = "default_timeout")]
    pub timeout_secs: u64,
    /// TLP of the feed's values (clear, green, amber, amber+strict, red).
    #[serde(default)]
    pub tlp: Option<String>,
    /// Confidence (0-100) of the feed's values.
    #[serde(default)]
    pub confidence: Option<u8>,
    /// Labels of every value.
    #[serde(default)]
    pub labels: Vec<String>,
    /// The source identity's name (default: the feed's name).
    #[serde(default)]
    pub source: Option<String>,
    /// Allow a plain http:// URL to a host other than loopback (refused otherwise).
    #[serde(default)]
    pub insecure_http: bool,
}

fn default_format() -> String {
    "misp-feed".into()
}
fn default_interval() -> u64 {
    3600
}
fn default_timeout() -> u64 {
    30
}

/// `concord feed` subcommands.
#[derive(clap::Subcommand)]
pub enum FeedCommand {
    /// List the configured feeds with their last run, counts and errors.
    List {
        /// Print one JSON array instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Run one feed now.
    Run {
        /// The feed's name.
        name: String,
    },
}

pub use concord_ingest::feeds::FeedState;

fn load_state(dir: &Path) -> BTreeMap<String, FeedState> {
    concord_ingest::feeds::load(dir).unwrap_or_default()
}

fn save_state(dir: &Path, name: &str, state: &FeedState) -> anyhow::Result<()> {
    Ok(concord_ingest::feeds::save(dir, name, state)?)
}

/// Runs a `concord feed` subcommand.
pub fn run(
    node: &crate::node::Node,
    command: FeedCommand,
) -> anyhow::Result<std::process::ExitCode> {
    match command {
        FeedCommand::List { json } => {
            let state = load_state(&node.dir);
            if node.config.feeds.is_empty() && !json {
                eprintln!("No feeds configured ([[feeds]] in concord.toml).");
            }
            let rows: Vec<Value> = node
                .config
                .feeds
                .iter()
                .map(|f| {
                    let last = state.get(&f.name).map(|s| {
                        json!({"at": s.last_run, "new": s.new, "new_versions": s.new_versions,
                            "unchanged": s.unchanged, "rejected": s.rejected,
                            "record_errors": s.record_errors, "expired": s.expired,
                            "events_fetched": s.events_fetched, "errors": s.errors})
                    });
                    json!({"name": f.name, "format": f.format, "url": f.url,
                        "interval_secs": f.interval_secs, "last_run": last})
                })
                .collect();
            crate::table::list(json, &rows, &["NAME", "FORMAT", "URL", "LAST RUN"], |v| {
                let last = state
                    .get(v["name"].as_str().unwrap_or_default())
                    .map_or_else(|| "never run".to_owned(), describe);
                vec![
                    crate::table::text(&v["name"]),
                    crate::table::text(&v["format"]),
                    crate::table::text(&v["url"]),
                    last,
                ]
            })?;
        }
        FeedCommand::Run { name } => {
            let feed = node
                .config
                .feeds
                .iter()
                .find(|f| f.name == name)
                .with_context(|| format!("no feed named {name:?} in concord.toml"))?;
            let fetcher = Fetcher::new(Duration::from_secs(feed.timeout_secs.max(1)));
            let state = run_feed(&node.dir, &node.store, feed, &fetcher)?;
            println!("{}: {}", feed.name, describe(&state));
            if !state.errors.is_empty() || state.rejected > 0 || state.record_errors > 0 {
                return Ok(std::process::ExitCode::from(2));
            }
        }
    }
    Ok(std::process::ExitCode::SUCCESS)
}

/// One line about a feed's last run.
pub fn describe(s: &FeedState) -> String {
    let mut out = format!(
        "last run {}: {} new, {} new versions, {} unchanged, {} rejected, {} record errors, {} expired",
        s.last_run, s.new, s.new_versions, s.unchanged, s.rejected, s.record_errors, s.expired
    );
    if s.events_fetched > 0 || !s.events.is_empty() {
        out.push_str(&format!(", {} events fetched", s.events_fetched));
    }
    for e in &s.errors {
        out.push_str(&format!("; error: {e}"));
    }
    out
}

fn args_of(feed: &FeedConfig) -> ImportArgs {
    ImportArgs {
        format: match feed.format.as_str() {
            "misp-feed" => "misp".into(),
            f => f.into(),
        },
        observable: feed.observable.clone(),
        preset: feed.preset.clone(),
        columns: feed.columns.clone(),
        delimiter: ",".into(),
        source: Some(feed.source.clone().unwrap_or_else(|| feed.name.clone())),
        tlp: feed.tlp.clone(),
        confidence: feed.confidence,
        labels: feed.labels.clone(),
        ..ImportArgs::default()
    }
}

/// Runs one feed: fetches what changed, imports it, expires what left it, and records
/// the run in the data directory's feed state. Errors of the feed (unreachable, timed
/// out, HTML instead of a feed) are recorded in the state and returned in it, not as `Err`.
pub fn run_feed(
    dir: &Path,
    store: &dyn Store,
    feed: &FeedConfig,
    fetcher: &dyn Fetch,
) -> anyhow::Result<FeedState> {
    let previous = load_state(dir).remove(&feed.name).unwrap_or_default();
    let now = concord_stix::Timestamp::now_millis();
    let mut state = FeedState {
        last_run: now.clone(),
        events: previous.events.clone(),
        groupings: previous.groupings.clone(),
        expired_events: previous.expired_events.clone(),
        ids: previous.ids.clone(),
        ..FeedState::default()
    };
    if concord_formats::fetch::is_url(&feed.url)
        && let Err(e) = concord_federation::tls::check_url(&feed.url, feed.insecure_http)
    {
        state.errors.push(format!("refused: {e}"));
        save_state(dir, &feed.name, &state)?;
        return Ok(state);
    }
    let mut args = args_of(feed);
    args.lists = crate::import::warninglists_for(dir, None)?;
    let source = crate::import::source(&args, Path::new(&feed.name))?;
    let mut totals = Totals::default();
    let mut add = |t: Totals, state: &mut FeedState| {
        state.new += t.summary.new;
        state.new_versions += t.summary.new_versions;
        state.unchanged += t.summary.unchanged;
        state.rejected += t.summary.rejected;
        state.record_errors += t.record_errors;
        totals.file_errors += t.file_errors;
        t
    };
    if feed.format == "misp-feed" {
        let manifest_at = join(&feed.url, "manifest.json");
        let bytes = fetcher.fetch(&manifest_at).and_then(|mut f| {
            let mut b = Vec::new();
            std::io::Read::read_to_end(&mut f.reader, &mut b)
                .map_err(|e| concord_formats::FormatError::input(format!("{manifest_at}: {e}")))?;
            Ok(b)
        });
        let (entries, whole) =
            match bytes.and_then(|b| concord_formats::misp::feed::parse_manifest(&b)) {
                Ok((entries, errors)) => {
                    let whole = errors.is_empty();
                    for e in errors {
                        state.errors.push(format!("manifest.json: {e}"));
                    }
                    (entries, whole)
                }
                Err(e) => {
                    state.errors.push(format!("{manifest_at}: {e}"));
                    (Vec::new(), false)
                }
            };
        // The changed events go through one import (one pipeline for all of them),
        // each fetched when the parser reaches it.
        let changed = concord_formats::misp::feed::changed(&entries, &previous.events);
        let fetched = std::sync::Mutex::new(vec![false; changed.len()]);
        let inputs: Vec<Input<'_>> = changed
            .iter()
            .enumerate()
            .map(|(n, entry)| {
                let at = join(&feed.url, &format!("{}.json", entry.uuid));
                let fetched = &fetched;
                Input {
                    name: at.clone(),
                    source: Some(source.clone()),
                    bump_held: state.expired_events.contains(&entry.uuid),
                    open: Box::new(move || {
                        let f = fetcher.fetch(&at)?;
                        if let Ok(mut v) = fetched.lock() {
                            v[n] = true;
                        }
                        Ok((f.reader, f.len))
                    }),
                }
            })
            .collect();
        let progress = BarProgress {
            bar: crate::progress::file_bar(None, Path::new(&feed.url)),
            label: feed.name.clone(),
            verbose: false,
        };
        let imported = import_inputs(
            Target::Store(store),
            inputs,
            &args.options(),
            DEFAULT_BATCH,
            false,
            &progress,
        );
        progress.bar.finish_and_clear();
        if let Some(e) = &imported.totals.store_error {
            eprintln!("storing failed: {e}");
        }
        let t = imported.totals;
        let stored = t.file_errors == 0;
        add(t, &mut state);
        let fetched = fetched.into_inner().unwrap_or_default();
        let ends = imported.inputs.into_iter().map(|e| e.end);
        for ((entry, end), was_fetched) in changed.iter().zip(ends).zip(fetched) {
            let at = join(&feed.url, &format!("{}.json", entry.uuid));
            if was_fetched {
                state.events_fetched += 1;
            }
            match end {
                InputEnd::Done if stored => {
                    state.expired_events.remove(&entry.uuid);
                    state.events.insert(entry.uuid.clone(), entry.timestamp);
                    state.groupings.insert(
                        entry.uuid.clone(),
                        concord_formats::misp::import::grouping_id(
                            Some(&entry.uuid),
                            &entry.info,
                            &source,
                        ),
                    );
                }
                // Not fetched (not found, timed out, HTML instead of JSON): said as the
                // fetcher says it.
                InputEnd::Setup(e) if !was_fetched => state.errors.push(e.to_string()),
                end => {
                    totals.file_errors += 1;
                    match end {
                        InputEnd::Setup(e) => eprintln!("{at}: {e}"),
                        InputEnd::Read(e) => eprintln!("{at}: {e}"),
                        _ => {}
                    }
                    state.errors.push(format!(
                        "{at}: could not be read completely; it is fetched again next run"
                    ));
                }
            }
        }
        if whole {
            state.expired = expire_events(store, &entries, &mut state, &now)?;
        }
    } else {
        match fetcher.fetch(&feed.url) {
            Err(e) => state.errors.push(e.to_string()),
            Ok(f) => {
                let t = import_reader(
                    store,
                    f.reader,
                    f.len,
                    &feed.url,
                    DEFAULT_BATCH,
                    &args,
                    &source,
                    true,
                )?;
                let t = add(t, &mut state);
                if t.file_errors == 0 {
                    let current: HashSet<&str> = t
                        .ids
                        .iter()
                        .map(String::as_str)
                        .filter(|id| id.starts_with("indicator--"))
                        .collect();
                    let gone: Vec<&str> = previous
                        .ids
                        .iter()
                        .map(String::as_str)
                        .filter(|id| !current.contains(id))
                        .collect();
                    state.expired = expire(store, &gone, &now)?;
                    let mut ids: Vec<String> = current.into_iter().map(str::to_owned).collect();
                    ids.sort();
                    state.ids = ids;
                } else {
                    state.errors.push(format!(
                        "{}: could not be read completely; nothing was expired",
                        feed.url
                    ));
                }
            }
        }
    }
    save_state(dir, &feed.name, &state)?;
    Ok(state)
}

/// Expires the indicators of the events the last complete run imported that the
/// manifest no longer lists, and forgets those events; returns how many expired. The
/// indicators are those the event's grouping (its current version) refers to.
fn expire_events(
    store: &dyn Store,
    entries: &[concord_formats::misp::feed::ManifestEntry],
    state: &mut FeedState,
    now: &str,
) -> anyhow::Result<usize> {
    let listed: HashSet<&str> = entries.iter().map(|e| e.uuid.as_str()).collect();
    let gone: Vec<String> = state
        .events
        .keys()
        .filter(|u| !listed.contains(u.as_str()))
        .cloned()
        .collect();
    let mut ids = Vec::new();
    for uuid in &gone {
        let grouping = state
            .groupings
            .get(uuid)
            .cloned()
            .unwrap_or_else(|| format!("grouping--{uuid}"));
        if let Some(g) = store.get(&grouping)? {
            let g = g.value();
            ids.extend(
                g.get("object_refs")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_str)
                    .filter(|id| id.starts_with("indicator--"))
                    .map(str::to_owned),
            );
        }
        tracing::info!(event = %uuid, grouping = %grouping, "MISP feed event left the manifest; its indicators expire.");
    }
    let refs: Vec<&str> = ids.iter().map(String::as_str).collect();
    let n = expire(store, &refs, now)?;
    for uuid in gone {
        state.events.remove(&uuid);
        state.groupings.remove(&uuid);
        state.expired_events.insert(uuid);
    }
    Ok(n)
}

/// Gives each still-valid indicator among `ids` a new version ending its validity now.
fn expire(store: &dyn Store, ids: &[&str], now: &str) -> anyhow::Result<usize> {
    let at = concord_stix::Timestamp::parse(now)?.instant();
    let mut versions = Vec::new();
    for id in ids {
        let Some(held) = store.get(id)? else { continue };
        let mut v = held.value();
        if v.get("type").and_then(Value::as_str) != Some("indicator") {
            continue;
        }
        let ts = |k: &str| {
            v.get(k)
                .and_then(Value::as_str)
                .and_then(|t| concord_stix::Timestamp::parse(t).ok())
                .map(|t| t.instant())
        };
        if ts("valid_until").is_some_and(|u| u <= at) {
            continue;
        }
        let one_ms = Duration::from_millis(1);
        let until = ts("valid_from").map_or(at, |f| at.max(f + one_ms));
        let modified = ts("modified").map_or(at, |m| at.max(m + one_ms));
        v["valid_until"] = json!(concord_stix::Timestamp::format_millis(until));
        v["modified"] = json!(concord_stix::Timestamp::format_millis(modified));
        versions.push(v);
    }
    let n = versions.len();
    if n > 0 {
        concord_ingest::stix::import_values(
            Target::Store(store),
            "expired indicators",
            versions,
            DEFAULT_BATCH,
            &(),
        )?;
    }
    Ok(n)
}

/// Starts polling the configured feeds in the background (while `serve` runs); returns
/// the tasks (aborted when `SIGHUP` reloads the feeds).
pub fn spawn_polling(
    dir: &Path,
    store: Arc<dyn Store>,
    feeds: Vec<FeedConfig>,
) -> Vec<tokio::task::JoinHandle<()>> {
    let mut tasks = Vec::with_capacity(feeds.len());
    for feed in feeds {
        let store = store.clone();
        let dir = dir.to_path_buf();
        tasks.push(tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(feed.interval_secs.max(10)));
            loop {
                tick.tick().await;
                let (store, dir, f) = (store.clone(), dir.clone(), feed.clone());
                let done = tokio::task::spawn_blocking(move || {
                    let fetcher = Fetcher::new(Duration::from_secs(f.timeout_secs.max(1)));
                    run_feed(&dir, store.as_ref(), &f, &fetcher)
                })
                .await;
                match done {
                    Ok(Ok(s)) if s.errors.is_empty() => {
                        tracing::info!(feed = %feed.name, summary = %describe(&s), "Feed run.")
                    }
                    Ok(Ok(s)) => {
                        tracing::warn!(feed = %feed.name, summary = %describe(&s), "Feed run with errors; retrying at the next interval.")
                    }
                    Ok(Err(e)) => {
                        tracing::warn!(feed = %feed.name, error = %format!("{e:#}"), "Feed run failed; retrying at the next interval.")
                    }
                    Err(e) => tracing::warn!(feed = %feed.name, error = %e, "Feed run panicked."),
                }
            }
        }));
    }
    tasks
}
