//! Pulling collections of a TAXII server into the store, resumable: for each (API root,
//! collection) the last `X-TAXII-Date-Added-Last` seen is kept in a small JSON file and
//! sent as `added_after` next time, written only after the page's objects are committed.
//! Copes with servers that ignore `added_after` (the store skips held versions), send
//! pages smaller than asked, or say `more` without `next` (it continues by date). A
//! page's objects are imported as every front end imports STIX
//! (`concord_ingest::stix::import_values`).
//!
//! Credentials go only to the origin (scheme, host, port) of the URL the user named. A
//! discovery document that names an API root on another origin is refused with a
//! message saying so, unless the source allows credentials to cross origins
//! ([`Source::allow_cross_origin_credentials`]); without credentials there is nothing to
//! leak and the root is followed.
//!
//! `taxii pull` sends credentials only to the origin of the URL named (an API root on
//! another origin only with `allow_cross_origin_credentials`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use concord_ingest::Target;
use concord_store::Store;
use concord_store::import::{DEFAULT_BATCH, Summary};
use reqwest::Url;
use serde::{Deserialize, Serialize};

use crate::client::{Auth, Client, ClientError, ObjectsPage, Origin, join};
use crate::wire::{CollectionInfo, Envelope};

/// Objects asked for per page.
pub const PAGE_LIMIT: usize = 1_000;

/// A TAXII server to poll (`[[taxii_sources]]` in `concord.toml`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Source {
    /// Discovery or API root URL.
    pub url: String,
    /// Only this collection (id or alias); every readable one if absent.
    #[serde(default)]
    pub collection: Option<String>,
    /// HTTP Basic user.
    #[serde(default)]
    pub user: Option<String>,
    /// HTTP Basic password.
    #[serde(default)]
    pub password: Option<String>,
    /// Bearer token.
    #[serde(default)]
    pub token: Option<String>,
    /// Seconds between polls.
    #[serde(default = "default_interval")]
    pub interval_secs: u64,
    /// Allow a plain http:// URL to a host other than loopback (refused otherwise).
    #[serde(default)]
    pub insecure_http: bool,
    /// Send the credentials to an API root on another origin than `url`'s, when the
    /// discovery document names one (off: such a root is refused).
    #[serde(default)]
    pub allow_cross_origin_credentials: bool,
}

fn default_interval() -> u64 {
    3600
}

impl Source {
    /// The credentials this source is configured with.
    pub fn auth(&self) -> Auth {
        match (&self.token, &self.user, &self.password) {
            (Some(t), ..) => Auth::Bearer(t.clone()),
            (None, user, Some(p)) => Auth::Basic {
                user: user.clone().unwrap_or_default(),
                password: p.clone(),
            },
            _ => Auth::None,
        }
    }
}

/// A failure of a pull.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PullError {
    /// The TAXII server could not be read.
    #[error(transparent)]
    Client(#[from] ClientError),
    /// The store failed.
    #[error("store: {0}")]
    Store(#[from] concord_store::StoreError),
    /// The resume file could not be read or written.
    #[error("resume state {path}: {reason}")]
    State {
        /// The file.
        path: String,
        /// What went wrong.
        reason: String,
    },
    /// The server has no such collection (or none readable).
    #[error("{0}")]
    Collection(String),
    /// The discovery document names an API root on another origin, and the credentials
    /// may not go there.
    #[error(
        "the discovery document at {named} names API root {root} on another origin ({root_origin}, not {named_origin}); the credentials are sent only to the origin you named, so it was not pulled. Pull the API root URL itself if you trust it, or allow credentials there with --allow-cross-origin-credentials (allow_cross_origin_credentials = true in [[taxii_sources]])"
    )]
    CrossOrigin {
        /// The URL the user named.
        named: String,
        /// Its origin.
        named_origin: String,
        /// The API root the discovery names.
        root: String,
        /// The root's origin.
        root_origin: String,
    },
}

/// Where each pulled collection stopped: `"<api root>|<collection id>"` → last `date_added`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ResumeState {
    /// The positions.
    pub collections: BTreeMap<String, String>,
}

impl ResumeState {
    /// Reads the state file (empty if absent).
    pub fn load(path: &Path) -> Result<ResumeState, PullError> {
        match std::fs::read(path) {
            Ok(b) => serde_json::from_slice(&b).map_err(|e| state_err(path, &e)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(ResumeState::default()),
            Err(e) => Err(state_err(path, &e)),
        }
    }

    /// Writes the state file atomically ([`concord_store::atomic`]).
    pub fn save(&self, path: &Path) -> Result<(), PullError> {
        let text = serde_json::to_vec_pretty(self).map_err(|e| state_err(path, &e))?;
        concord_store::atomic::write(path, &text, concord_store::atomic::Mode::Shared)
            .map_err(|e| state_err(path, &e))
    }
}

fn state_err(path: &Path, e: &dyn std::fmt::Display) -> PullError {
    PullError::State {
        path: path.display().to_string(),
        reason: e.to_string(),
    }
}

/// What a pull of one collection did.
#[derive(Debug, Clone, Default)]
pub struct CollectionReport {
    /// Collection id.
    pub id: String,
    /// Collection title.
    pub title: String,
    /// Pages fetched.
    pub pages: usize,
    /// Objects received.
    pub received: usize,
    /// What the import did with them.
    pub summary: Summary,
    /// The `added_after` it started from.
    pub started_after: Option<String>,
    /// The latest `date_added` the server reported.
    pub last_date_added: Option<String>,
}

/// A pull request.
#[derive(Debug, Clone)]
pub struct Pull {
    /// Discovery or API root URL.
    pub url: String,
    /// Only this collection (id or alias).
    pub collection: Option<String>,
    /// Start after this instead of the remembered position.
    pub added_after: Option<String>,
    /// The resume file.
    pub state_file: PathBuf,
    /// Send the credentials to an API root on another origin than `url`'s.
    pub allow_cross_origin_credentials: bool,
}

/// Finds the API root: `url` itself, or the default (else first) root of a discovery.
async fn api_root(client: &Client, url: &Url) -> Result<Url, PullError> {
    let (v, _) = client.get_json::<serde_json::Value>(url).await?;
    if let Some(roots) = v.get("api_roots").and_then(|r| r.as_array()) {
        let chosen = v
            .get("default")
            .and_then(|d| d.as_str())
            .or_else(|| roots.first().and_then(|r| r.as_str()))
            .ok_or_else(|| PullError::Collection(format!("{url} lists no API root")))?;
        return Ok(url
            .join(chosen)
            .map_err(|_| ClientError::Url(chosen.to_owned()))?);
    }
    Ok(url.clone())
}

/// The client to read API root `root` with: `client` itself when `root` is on the
/// origin of the URL named, or when there are no credentials (fetched without any); with
/// credentials to `root`'s origin too when `allow`ed; else an error naming both origins.
fn cross_origin(
    client: &Client,
    named: &Url,
    root: &Url,
    allow: bool,
) -> Result<Client, PullError> {
    if client.sends_credentials_to(root) || !client.has_credentials() {
        return Ok(client.clone());
    }
    let origin = |u: &Url| Origin::of(u).map_or_else(|| u.to_string(), |o| o.to_string());
    if allow {
        tracing::warn!(named = %named, root = %root, "Sending TAXII credentials to an API root on another origin, as allowed.");
        return Ok(client.clone().credentials_to(root));
    }
    Err(PullError::CrossOrigin {
        named: named.to_string(),
        named_origin: origin(named),
        root: root.to_string(),
        root_origin: origin(root),
    })
}

/// Pulls the requested collections into `store`; `on_page` hears of each committed page.
pub async fn pull(
    store: Arc<dyn Store>,
    client: &Client,
    req: &Pull,
    on_page: &mut (dyn FnMut(&CollectionReport) + Send),
) -> Result<Vec<CollectionReport>, PullError> {
    let url = Url::parse(&req.url).map_err(|_| ClientError::Url(req.url.clone()))?;
    let client = &client.clone().credentials_to(&url);
    let root = api_root(client, &url).await?;
    let client = &cross_origin(client, &url, &root, req.allow_cross_origin_credentials)?;
    let all = client.collections(&root).await?.collections;
    let chosen: Vec<CollectionInfo> = match &req.collection {
        Some(c) => all
            .into_iter()
            .filter(|x| x.id == *c || x.alias.as_deref() == Some(c))
            .collect(),
        None => all.into_iter().filter(|x| x.can_read).collect(),
    };
    if chosen.is_empty() {
        return Err(PullError::Collection(match &req.collection {
            Some(c) => format!("{root} has no collection {c:?} visible to these credentials"),
            None => format!("{root} has no collection these credentials may read"),
        }));
    }
    let mut reports = Vec::new();
    for coll in chosen {
        reports.push(pull_collection(&store, client, &root, &coll, req, on_page).await?);
    }
    Ok(reports)
}

async fn pull_collection(
    store: &Arc<dyn Store>,
    client: &Client,
    root: &Url,
    coll: &CollectionInfo,
    req: &Pull,
    on_page: &mut (dyn FnMut(&CollectionReport) + Send),
) -> Result<CollectionReport, PullError> {
    let key = format!("{root}|{}", coll.id);
    let mut state = ResumeState::load(&req.state_file)?;
    let start = req
        .added_after
        .clone()
        .or_else(|| state.collections.get(&key).cloned());
    let objects_url = join(root, &format!("collections/{}/objects/", coll.id))?;
    let mut report = CollectionReport {
        id: coll.id.clone(),
        title: coll.title.clone(),
        started_after: start.clone(),
        last_date_added: start.clone(),
        ..CollectionReport::default()
    };
    let mut saved = start.clone();
    let mut added_after = start;
    let mut next: Option<String> = None;
    loop {
        let ObjectsPage {
            envelope,
            date_added_last,
        } = client
            .objects(
                &objects_url,
                added_after.as_deref(),
                next.as_deref(),
                PAGE_LIMIT,
            )
            .await?;
        let Envelope {
            more,
            next: page_next,
            objects,
        } = envelope;
        report.pages += 1;
        report.received += objects.len();
        let received_any = !objects.is_empty();
        if received_any {
            let (s, name) = (store.clone(), coll.id.clone());
            let summary = tokio::task::spawn_blocking(move || {
                concord_ingest::stix::import_values(
                    Target::Store(&*s),
                    &name,
                    objects,
                    DEFAULT_BATCH,
                    &(),
                )
            })
            .await
            .map_err(|e| PullError::Collection(format!("import task failed: {e}")))??;
            report.summary.add(&summary);
        }
        // The resume point moves only forward and only after the page's objects are
        // committed. Mid-listing it stops just before the page's last `date_added`: the
        // next page may hold more objects of that same instant (one import batch shares
        // it), and resuming strictly after it would skip them. Refetched ones are
        // recognised as held.
        if let Some(last) = &date_added_last {
            if report
                .last_date_added
                .as_ref()
                .is_none_or(|held| later(last, held))
            {
                report.last_date_added = Some(last.clone());
            }
            let resume = if more {
                just_before(last)
            } else {
                last.clone()
            };
            if saved.as_ref().is_none_or(|held| later(&resume, held)) {
                state.collections.insert(key.clone(), resume.clone());
                state.save(&req.state_file)?;
                saved = Some(resume);
            }
        }
        on_page(&report);
        if !more {
            break;
        }
        match page_next {
            // Some servers (medallion) hand out the same `next` for every page of a
            // listing; only an empty page with an unchanged token stops the pull.
            Some(n) if received_any || next.as_ref() != Some(&n) => next = Some(n),
            Some(_) => {
                tracing::warn!(collection = %coll.id, "Server repeats an empty page; stopping.");
                break;
            }
            None => {
                // `more` without `next`: continue from the last date seen, if it moved.
                let moved = date_added_last.is_some() && date_added_last != added_after;
                if !moved {
                    tracing::warn!(collection = %coll.id, "Server says more but gives neither next nor a new date; stopping.");
                    break;
                }
                added_after = date_added_last;
                next = None;
            }
        }
    }
    Ok(report)
}

/// The millisecond before timestamp `t` (`t` itself if unreadable).
fn just_before(t: &str) -> String {
    match concord_stix::Timestamp::parse(t) {
        Ok(x) => {
            concord_stix::Timestamp::format_millis(x.instant() - chrono::Duration::milliseconds(1))
        }
        Err(_) => t.to_owned(),
    }
}

/// Whether timestamp `a` is after `b` (by instant, text order if unreadable).
fn later(a: &str, b: &str) -> bool {
    match (
        concord_stix::Timestamp::parse(a),
        concord_stix::Timestamp::parse(b),
    ) {
        (Ok(x), Ok(y)) => x.instant() > y.instant(),
        _ => a > b,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resume_points() {
        assert_eq!(
            just_before("2026-01-01T00:00:00.000Z"),
            "2025-12-31T23:59:59.999Z"
        );
        assert!(later("2026-01-01T00:00:00.001Z", "2026-01-01T00:00:00Z"));
        assert!(!later("2026-01-01T00:00:00Z", "2026-01-01T00:00:00.000Z"));
    }
}
