//! Feed health: the feeds configured in `<data_dir>/concord.toml` (`[[feeds]]`) with what
//! their last run did, as feed runs record it in `<data_dir>/feeds-state.json`
//! (`concord_ingest::feeds`, the one type of that file). The server only reads these
//! files (the CLI, which polls the feeds, is above it); both are read leniently (unknown
//! keys ignored, missing ones empty) and cached until they change.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use maud::{Markup, html};
use serde::Deserialize;

use super::i18n::Lang;

/// The CLI's configuration file, where `[[feeds]]` are.
const CONFIG_FILE: &str = "concord.toml";
use concord_ingest::feeds::{FeedState, STATE_FILE};
/// Errors of one feed shown in full on the feeds page.
const MAX_ERRORS: usize = 5;

/// A `[[feeds]]` entry as far as this page needs it.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
struct FeedEntry {
    name: String,
    format: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Config {
    feeds: Vec<FeedEntry>,
}

/// One feed as shown.
#[derive(Debug, Clone)]
pub struct Feed {
    /// Its name.
    pub name: String,
    /// Its format (`misp-feed`, `csv`, ...) when configured.
    pub format: Option<String>,
    /// Whether `concord.toml` still lists it (a feed removed there keeps its state).
    pub configured: bool,
    /// Its last run, if it ran.
    pub run: Option<FeedState>,
}

/// The feeds of a node, or why they could not be read.
#[derive(Debug, Clone, Default)]
pub struct Feeds {
    /// The feeds, configured ones first in their order, then the others by name.
    pub feeds: Vec<Feed>,
    /// Files that could not be read (name and reason).
    pub problems: Vec<String>,
}

type Stamp = (Option<(SystemTime, u64)>, Option<(SystemTime, u64)>);

/// The last reading of the two files, kept until either changes.
#[derive(Default)]
pub struct FeedCache {
    entry: Mutex<Option<(PathBuf, Stamp, Arc<Feeds>)>>,
}

fn stamp(path: &Path) -> Option<(SystemTime, u64)> {
    let m = std::fs::metadata(path).ok()?;
    Some((m.modified().ok()?, m.len()))
}

impl FeedCache {
    /// The feeds of the node whose data directory is `dir` (none without one).
    pub fn get(&self, dir: Option<&Path>) -> Arc<Feeds> {
        let Some(dir) = dir else {
            return Arc::new(Feeds::default());
        };
        let now = (stamp(&dir.join(CONFIG_FILE)), stamp(&dir.join(STATE_FILE)));
        let mut guard = self
            .entry
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some((d, s, feeds)) = &*guard
            && d == dir
            && *s == now
        {
            return feeds.clone();
        }
        let feeds = Arc::new(read(dir));
        *guard = Some((dir.to_owned(), now, feeds.clone()));
        feeds
    }
}

/// Reads both files of `dir`.
pub fn read(dir: &Path) -> Feeds {
    let mut problems = Vec::new();
    let config = match std::fs::read_to_string(dir.join(CONFIG_FILE)) {
        Ok(text) => toml::from_str::<Config>(&text).unwrap_or_else(|e| {
            tracing::warn!(error = %e, "concord.toml unreadable for the feeds panel.");
            problems.push(format!("{CONFIG_FILE}: {}", e.message()));
            Config::default()
        }),
        Err(_) => Config::default(),
    };
    let mut state: BTreeMap<String, FeedState> =
        concord_ingest::feeds::load(dir).unwrap_or_else(|e| {
            tracing::warn!(error = %e, "feeds-state.json unreadable for the feeds panel.");
            problems.push(e.to_string());
            BTreeMap::new()
        });
    let mut feeds: Vec<Feed> = Vec::new();
    for f in config.feeds {
        if f.name.is_empty() || feeds.iter().any(|g| g.name == f.name) {
            continue;
        }
        feeds.push(Feed {
            run: state.remove(&f.name),
            name: f.name,
            format: f.format,
            configured: true,
        });
    }
    feeds.extend(state.into_iter().map(|(name, run)| Feed {
        name,
        format: None,
        configured: false,
        run: Some(run),
    }));
    Feeds { feeds, problems }
}

fn n(l: Lang, v: usize) -> String {
    l.number(i64::try_from(v).unwrap_or(i64::MAX))
}

/// One line about a run: when, and its main counts.
fn run_line(l: Lang, r: &FeedState) -> String {
    let mut args = fluent_bundle::FluentArgs::new();
    args.set("date", l.datetime(&r.last_run));
    args.set("new", n(l, r.new));
    args.set("versions", n(l, r.new_versions));
    args.set("rejected", n(l, r.rejected + r.record_errors));
    l.t_args("feeds-line", Some(&args))
}

/// The feeds as a short list for the dashboard: name, last run, main counts and how
/// many errors (not their text: the dashboard is for readers, and errors may name paths
/// and hosts).
pub fn list(l: Lang, feeds: &Feeds) -> Markup {
    html! {
        @for p in &feeds.problems {
            p.notice.error { (l.t_s("feeds-unreadable", "reason", p)) }
        }
        @if feeds.feeds.is_empty() {
            p { (l.t("dashboard-feeds-none")) }
        } @else {
            h3 { (l.t("feeds-heading")) }
            ul.feeds {
                @for f in &feeds.feeds {
                    li {
                        strong { bdi { (f.name) } } ": "
                        @match &f.run {
                            None => (l.t("feeds-never-run")),
                            Some(r) => {
                                (run_line(l, r))
                                @if !r.errors.is_empty() {
                                    " " strong.err { (l.t_n("feeds-errors", "count", i64::try_from(r.errors.len()).unwrap_or(0))) }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// The feeds as a table: name, last run, counts, and errors (their text when `details`,
/// else how many).
pub fn table(l: Lang, feeds: &Feeds, details: bool) -> Markup {
    html! {
        @for p in &feeds.problems {
            p.notice.error { (l.t_s("feeds-unreadable", "reason", p)) }
        }
        @if feeds.feeds.is_empty() {
            p { (l.t("dashboard-feeds-none")) }
        } @else {
            div.scroll {
                table.feeds aria-labelledby="feeds-h" {
                    thead { tr {
                        th scope="col" { (l.t("col-name")) }
                        th scope="col" { (l.t("col-last-run")) }
                        th scope="col" { (l.t("col-new")) }
                        th scope="col" { (l.t("col-new-versions")) }
                        @if details {
                            th scope="col" { (l.t("col-unchanged")) }
                            th scope="col" { (l.t("col-expired")) }
                        }
                        th scope="col" { (l.t("col-rejected")) }
                        th scope="col" { (l.t("col-errors")) }
                    } }
                    tbody {
                        @for f in &feeds.feeds {
                            @let failing = f.run.as_ref().is_some_and(|r| !r.errors.is_empty());
                            tr.failing[failing] {
                                th scope="row" {
                                    bdi { (f.name) }
                                    @if let Some(fmt) = &f.format { " " span.muted dir="ltr" { (fmt) } }
                                    @if !f.configured { " " span.muted { (l.t("feeds-not-configured")) } }
                                }
                                @match &f.run {
                                    None => {
                                        td colspan=(if details { 7 } else { 5 }) { (l.t("feeds-never-run")) }
                                    }
                                    Some(r) => {
                                        td { (l.datetime(&r.last_run)) }
                                        td.num { (n(l, r.new)) }
                                        td.num { (n(l, r.new_versions)) }
                                        @if details {
                                            td.num { (n(l, r.unchanged)) }
                                            td.num { (n(l, r.expired)) }
                                        }
                                        td.num { (n(l, r.rejected + r.record_errors)) }
                                        td {
                                            @if r.errors.is_empty() {
                                                (l.t("feeds-ok"))
                                            } @else if details {
                                                ul {
                                                    @for e in r.errors.iter().take(MAX_ERRORS) {
                                                        li { code dir="ltr" { (e) } }
                                                    }
                                                }
                                                @if r.errors.len() > MAX_ERRORS {
                                                    (l.t_n("feeds-more-errors", "count", i64::try_from(r.errors.len() - MAX_ERRORS).unwrap_or(0)))
                                                }
                                            } @else {
                                                strong { (l.t_n("feeds-errors", "count", i64::try_from(r.errors.len()).unwrap_or(0))) }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn configured_feeds_first_with_their_state_and_unknown_keys_ignored() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join(CONFIG_FILE),
            "[server]\nlisten = \"127.0.0.1:1\"\n\n[[feeds]]\nname = \"urlhaus\"\nurl = \"x\"\nformat = \"csv\"\n\n[[feeds]]\nname = \"never\"\n",
        )
        .unwrap();
        std::fs::write(
            dir.path().join(STATE_FILE),
            r#"{"old": {"last_run": "2024-01-01T00:00:00Z"},
                "urlhaus": {"last_run": "2024-03-01T10:00:00.000Z", "new": 3, "errors": ["boom"],
                            "ids": ["indicator--x"], "events": {}, "future_field": 1}}"#,
        )
        .unwrap();
        let feeds = read(dir.path());
        assert!(feeds.problems.is_empty(), "{:?}", feeds.problems);
        let names: Vec<&str> = feeds.feeds.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(names, ["urlhaus", "never", "old"]);
        let run = feeds.feeds[0].run.as_ref().unwrap();
        assert_eq!((run.new, run.errors.len()), (3, 1));
        assert!(feeds.feeds[1].run.is_none() && feeds.feeds[1].configured);
        assert!(!feeds.feeds[2].configured);
        std::fs::write(dir.path().join(STATE_FILE), "{not json").unwrap();
        assert_eq!(read(dir.path()).problems.len(), 1);
    }
}
