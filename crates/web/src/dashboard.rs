//! The dashboard (`GET /`): counts by type, TLP level and source over the last 30 days as
//! SVG charts, recent objects, sightings and incidents (alerts marked), and the state of peers and feeds (feeds as
//! the CLI records them in the data directory, see `feeds`).
//!
//! Counting current objects is one scan of the store, too slow to repeat per page at a
//! million objects, so the rows (by type, level, source and day) are cached: recounted
//! at once when something was added and the last count was quick, otherwise served while
//! a background recount runs. A slow count is also kept in the data directory
//! (`dashboard-counts.json`), so that after a restart the dashboard shows it at once
//! while the first recount runs, instead of waiting seconds for it. Each user sees only
//! the sums of the levels they may see.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::State;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use concord_stix::Tlp;
use concord_store::users::{ClearedQuery, CountRow, TLP_LEVELS};
use concord_store::{Store, StoreError};
use maud::html;

use super::charts;
use super::layout;
use super::objects::table;
use super::session::Ctx;
use super::view::{display_name, visible};
use super::{Web, blocking};

/// A recount slower than this is done in the background while the old counts are shown.
const QUICK: Duration = Duration::from_millis(100);
/// Counts older than this are recounted in the background even if nothing was added
/// (deletions do not move the last `seq`).
const MAX_AGE: Duration = Duration::from_secs(60);
/// Days shown in the chart over time.
const DAYS: i64 = 30;

struct Entry {
    mark: i64,
    at: Instant,
    took: Duration,
    rows: Arc<Vec<CountRow>>,
}

/// The file under the data directory that keeps the last slow count.
pub const COUNTS_FILE: &str = "dashboard-counts.json";

/// The cached count rows of one store.
#[derive(Default)]
pub struct CountCache {
    /// Where a slow count is kept across restarts, if the node has a data directory.
    file: Option<PathBuf>,
    entry: Mutex<Option<Entry>>,
    refreshing: AtomicBool,
    /// Held while counting, so that two counts never run at once (the first visitor
    /// waits for the count started at start-up instead of starting a second one).
    counting: Mutex<()>,
}

/// A count as kept in [`COUNTS_FILE`].
#[derive(serde::Serialize, serde::Deserialize)]
struct Kept {
    mark: i64,
    took_ms: u64,
    /// (type, TLP level, source, day, count).
    rows: Vec<(String, String, Option<String>, String, i64)>,
}

impl CountCache {
    /// A cache that keeps slow counts in `file` (none: in memory only).
    pub fn with_file(file: Option<PathBuf>) -> CountCache {
        CountCache {
            file,
            ..CountCache::default()
        }
    }

    /// Writes a count to the file (errors are logged: the file is only a head start).
    fn keep(&self, mark: i64, took: Duration, rows: &[CountRow]) {
        let Some(file) = &self.file else { return };
        let kept = Kept {
            mark,
            took_ms: u64::try_from(took.as_millis()).unwrap_or(u64::MAX),
            rows: rows
                .iter()
                .map(|r| {
                    (
                        r.object_type.clone(),
                        r.tlp.as_str().to_owned(),
                        r.source.clone(),
                        r.day.clone(),
                        r.count,
                    )
                })
                .collect(),
        };
        let written = serde_json::to_vec(&kept)
            .map_err(std::io::Error::other)
            .and_then(|bytes| {
                concord_store::atomic::write(file, &bytes, concord_store::atomic::Mode::Shared)
            });
        if let Err(e) = written {
            tracing::warn!(error = %e, file = %file.display(), "Dashboard counts not kept.");
        }
    }

    /// Takes the kept count as the cached one, if there is none yet and the file reads.
    fn load_kept(&self) -> bool {
        let Some(file) = &self.file else {
            return false;
        };
        let Ok(bytes) = std::fs::read(file) else {
            return false;
        };
        let kept: Kept = match serde_json::from_slice(&bytes) {
            Ok(k) => k,
            Err(e) => {
                tracing::warn!(error = %e, file = %file.display(), "Kept dashboard counts unreadable.");
                return false;
            }
        };
        let rows: Vec<CountRow> = kept
            .rows
            .into_iter()
            .filter_map(|(object_type, tlp, source, day, count)| {
                Some(CountRow {
                    object_type,
                    tlp: tlp.parse().ok()?,
                    source,
                    day,
                    count,
                })
            })
            .collect();
        let mut entry = self
            .entry
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if entry.is_some() {
            return false;
        }
        *entry = Some(Entry {
            mark: kept.mark,
            at: Instant::now(),
            took: Duration::from_millis(kept.took_ms),
            rows: Arc::new(rows),
        });
        true
    }

    fn recount(&self, store: &dyn Store, mark: i64) -> Result<Arc<Vec<CountRow>>, StoreError> {
        let asked = Instant::now();
        let _counting = self
            .counting
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(e) = &*self
            .entry
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            && e.mark == mark
            && e.at >= asked
        {
            // Counted by another caller while this one waited.
            return Ok(e.rows.clone());
        }
        let start = Instant::now();
        let rows = Arc::new(store.count_rows()?);
        let took = start.elapsed();
        if took >= QUICK {
            self.keep(mark, took, &rows);
        }
        let entry = Entry {
            mark,
            at: Instant::now(),
            took,
            rows: rows.clone(),
        };
        *self
            .entry
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(entry);
        Ok(rows)
    }

    /// Counts the store if nothing is cached yet (errors are logged); a kept count is
    /// served meanwhile, and replaced.
    pub fn warm(&self, store: &Arc<dyn Store>) {
        let empty = self.load_kept()
            || self
                .entry
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .is_none();
        if empty {
            let result = store
                .last_seq()
                .and_then(|mark| self.recount(&**store, mark));
            if let Err(e) = result {
                tracing::warn!(error = %e, "Dashboard count failed.");
            }
        }
    }

    /// The count rows: cached, recounted now, or cached with a recount started.
    fn rows(self: &Arc<Self>, store: &Arc<dyn Store>) -> Result<Arc<Vec<CountRow>>, StoreError> {
        let mark = store.last_seq()?;
        let cached = {
            let guard = self
                .entry
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            guard
                .as_ref()
                .map(|e| (e.rows.clone(), e.mark == mark, e.took, e.at.elapsed()))
        };
        match cached {
            None => self.recount(&**store, mark),
            Some((rows, true, _, age)) if age < MAX_AGE => Ok(rows),
            Some((_, false, took, _)) if took < QUICK => self.recount(&**store, mark),
            Some((rows, ..)) => {
                if !self.refreshing.swap(true, Ordering::AcqRel) {
                    let cache = self.clone();
                    let store = store.clone();
                    std::thread::spawn(move || {
                        if let Err(e) = cache.recount(&*store, mark) {
                            tracing::warn!(error = %e, "Dashboard recount failed.");
                        }
                        cache.refreshing.store(false, Ordering::Release);
                    });
                }
                Ok(rows)
            }
        }
    }
}

/// What the dashboard shows, read in one blocking call.
struct Data {
    rows: Arc<Vec<CountRow>>,
    sources: HashMap<String, String>,
    recent: Vec<concord_store::StoredObject>,
    sightings: Vec<concord_store::StoredObject>,
    incidents: Vec<concord_store::StoredObject>,
    /// Peers, and how many of them failed their last pull.
    peers: (usize, usize),
    /// The node's feeds and their last runs.
    feeds: Arc<super::feeds::Feeds>,
}

fn load(web: &Web, clearance: Tlp) -> Result<Data, StoreError> {
    let store = &web.app.store;
    let rows = web.counts.rows(store)?;
    let mut by_source: HashMap<&str, i64> = HashMap::new();
    for r in rows.iter().filter(|r| r.tlp <= clearance) {
        if let Some(s) = &r.source {
            *by_source.entry(s.as_str()).or_default() += r.count;
        }
    }
    let mut top: Vec<(&str, i64)> = by_source.into_iter().collect();
    top.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    let mut sources = HashMap::new();
    for (id, _) in top.into_iter().take(4) {
        let name = store
            .get(id)?
            .map(|o| o.value())
            .filter(|v| visible(v, clearance))
            .map_or_else(|| id.to_owned(), |v| display_name(&v));
        sources.insert(id.to_owned(), name);
    }
    let mut q = ClearedQuery::new(clearance);
    q.base.limit = 8;
    let recent = store.list_cleared(&q)?.objects;
    q.base.types = vec!["sighting".into()];
    q.base.limit = 5;
    let sightings = store.list_cleared(&q)?.objects;
    q.base.types = vec!["incident".into()];
    let incidents = store.list_cleared(&q)?.objects;
    // Peer health is a side panel: a failure to read it is logged, not fatal to the page.
    let all_peers = store.peers().unwrap_or_else(|e| {
        tracing::warn!(error = %e, "Peers unreadable for the dashboard.");
        Vec::new()
    });
    let failing = all_peers.iter().filter(|p| p.last_error.is_some()).count();
    let feeds = web.feeds.get(web.app.config.data_dir.as_deref());
    Ok(Data {
        feeds,
        rows,
        sources,
        recent,
        sightings,
        incidents,
        peers: (all_peers.len(), failing),
    })
}

/// `GET /`: the dashboard for browsers; other clients (which do not accept HTML) get the
/// API's JSON "no such route", as before the web interface existed.
pub async fn page(
    ctx: Ctx,
    State(web): State<Web>,
    headers: HeaderMap,
    uri: axum::http::Uri,
) -> Result<Response, Response> {
    let html = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("text/html"));
    if !html {
        return Ok(concord_server::error::route_not_found(uri)
            .await
            .into_response());
    }
    let user = ctx.require()?.clone();
    let l = ctx.lang;
    let w = web.clone();
    let data = blocking(&ctx, move || load(&w, user.clearance)).await?;
    let seen: Vec<&CountRow> = data
        .rows
        .iter()
        .filter(|r| r.tlp <= user.clearance)
        .collect();
    let total: i64 = seen.iter().map(|r| r.count).sum();

    let mut by_type: HashMap<&str, i64> = HashMap::new();
    for r in &seen {
        *by_type.entry(r.object_type.as_str()).or_default() += r.count;
    }
    let mut types: Vec<(String, i64)> = by_type
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
    types.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    if types.len() > 12 {
        let rest: i64 = types[11..].iter().map(|(_, v)| v).sum();
        types.truncate(11);
        types.push((l.t("dashboard-other-types"), rest));
    }
    let tlps: Vec<(String, i64)> = TLP_LEVELS
        .iter()
        .filter(|t| **t <= user.clearance)
        .map(|t| {
            let n = seen.iter().filter(|r| r.tlp == *t).map(|r| r.count).sum();
            (format!("TLP:{}", t.as_str().to_uppercase()), n)
        })
        .collect();

    let today = chrono::Utc::now().date_naive();
    let days: Vec<String> = (0..DAYS)
        .rev()
        .filter_map(|d| today.checked_sub_days(chrono::Days::new(u64::try_from(d).ok()?)))
        .map(|d| d.to_string())
        .collect();
    let day_index: HashMap<&str, usize> = days
        .iter()
        .enumerate()
        .map(|(i, d)| (d.as_str(), i))
        .collect();
    let mut source_ids: Vec<&String> = data.sources.keys().collect();
    source_ids.sort();
    let mut series: Vec<(String, Vec<i64>)> = source_ids
        .iter()
        .map(|id| (data.sources[*id].clone(), vec![0; days.len()]))
        .collect();
    let mut other = vec![0; days.len()];
    for r in &seen {
        let Some(&i) = day_index.get(r.day.as_str()) else {
            continue;
        };
        match r
            .source
            .as_ref()
            .and_then(|s| source_ids.iter().position(|id| *id == s))
        {
            Some(k) => series[k].1[i] += r.count,
            None => other[i] += r.count,
        }
    }
    series.push((l.t("dashboard-other-sources"), other));

    let body = html! {
        p.card { (l.t_n("dashboard-total", "count", total)) }
        div.grid {
            section.card aria-labelledby="by-type" {
                h2 #by-type { (l.t("dashboard-by-type")) }
                @if types.is_empty() { p.muted { (l.t("dashboard-empty")) } }
                @else { (charts::bars(l, &l.t("dashboard-by-type"), &types)) }
            }
            section.card aria-labelledby="by-tlp" {
                h2 #by-tlp { (l.t("dashboard-by-tlp")) }
                (charts::bars(l, &l.t("dashboard-by-tlp"), &tlps))
            }
        }
        section.card aria-labelledby="over-time" {
            h2 #over-time { (l.t_n("dashboard-over-time", "days", DAYS)) }
            (charts::columns(l, &l.t_n("dashboard-over-time", "days", DAYS), &days, &series))
        }
        div.grid {
            section.card aria-labelledby="sightings-h" {
                h2 #sightings-h { (l.t("dashboard-sightings")) }
                @if data.sightings.is_empty() { p.muted { (l.t("dashboard-no-sightings")) } }
                @else { (table(l, &data.sightings)) }
                h2 { (l.t("dashboard-incidents")) }
                @if data.incidents.is_empty() { p.muted { (l.t("incidents-empty")) } }
                @else {
                    ul {
                        @for o in &data.incidents {
                            @let v = o.value();
                            li {
                                a href={ "/incidents/" (v.get("id").and_then(serde_json::Value::as_str).unwrap_or("")) } { bdi { (display_name(&v)) } }
                                " " (layout::tlp_badge(crate::view::object_tlp(&v)))
                                @if concord_response::alert::alert_info(&v).is_some() {
                                    " " span.tlp.tlp-amber { (l.t("incident-alert")) }
                                }
                            }
                        }
                    }
                }
            }
            section.card aria-labelledby="health-h" {
                h2 #health-h { (l.t("dashboard-health")) }
                @if data.peers.0 == 0 {
                    p { (l.t("dashboard-peers-none")) }
                } @else {
                    p {
                        (l.t_n("dashboard-peers", "count", i64::try_from(data.peers.0).unwrap_or(0))) " "
                        (l.t_n("dashboard-peers-failing", "count", i64::try_from(data.peers.1).unwrap_or(0)))
                        @if user.role >= concord_store::Role::Admin { " " a href="/peers" { (l.t("nav-peers")) } }
                    }
                }
                (super::feeds::list(l, &data.feeds))
                p {
                    a href="/incidents" { (l.t("nav-incidents")) }
                    @if user.role >= concord_store::Role::Analyst { " · " a href="/matching" { (l.t("nav-matching")) } }
                }
            }
        }
        section aria-labelledby="recent-h" {
            h2 #recent-h { (l.t("dashboard-recent")) }
            @if data.recent.is_empty() { p.muted { (l.t("dashboard-empty")) } }
            @else { (table(l, &data.recent)) }
        }
    };
    Ok(layout::page(&ctx, &l.t("dashboard-title"), None, body))
}

#[cfg(test)]
mod tests {
    use super::*;
    use concord_store::sqlite::SqliteStore;

    #[test]
    fn a_kept_count_is_served_at_once_after_a_restart_then_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join(COUNTS_FILE);
        let store: Arc<dyn Store> = Arc::new(SqliteStore::open_in_memory().unwrap());
        let mark = store.last_seq().unwrap();
        // What a slow count before the restart left (a row no count of this store makes).
        let before = CountCache::with_file(Some(file.clone()));
        let row = CountRow {
            object_type: "kept-type".into(),
            tlp: Tlp::Amber,
            source: Some("identity--x".into()),
            day: "2024-03-01".into(),
            count: 42,
        };
        before.keep(mark, Duration::from_secs(8), std::slice::from_ref(&row));

        let after = Arc::new(CountCache::with_file(Some(file.clone())));
        assert!(after.load_kept());
        assert_eq!(
            *after.rows(&store).unwrap(),
            vec![row],
            "served from the file"
        );
        // The recount at start-up replaces it (and, being quick, is not kept).
        after.recount(&*store, mark).unwrap();
        assert!(after.rows(&store).unwrap().is_empty());
        // A damaged file is ignored.
        std::fs::write(&file, b"{").unwrap();
        assert!(!CountCache::with_file(Some(file)).load_kept());
        assert!(!CountCache::default().load_kept());
    }
}
