//! The record of each feed's last run, `feeds-state.json` in the data directory: written
//! by feed runs (`concord feed run`, `serve`'s polling), read by them (a MISP feed's
//! events already imported, a plain feed's indicators to expire) and by the web's feed
//! panel. Read leniently: unknown keys are ignored and missing ones are empty, so an
//! older or newer Concord's file still reads.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

use crate::Error;

/// The file's name in the data directory.
pub const STATE_FILE: &str = "feeds-state.json";

/// What the last run of a feed did.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(default)]
pub struct FeedState {
    /// When it ran (RFC 3339).
    pub last_run: String,
    /// Objects new to the store.
    pub new: usize,
    /// New versions of held objects.
    pub new_versions: usize,
    /// Objects already held unchanged.
    pub unchanged: usize,
    /// Objects rejected by validation.
    pub rejected: usize,
    /// Records that could not be converted.
    pub record_errors: usize,
    /// Indicators that left the feed and were given `valid_until`.
    pub expired: usize,
    /// Events fetched this run (MISP feeds).
    pub events_fetched: usize,
    /// What stopped the run or a file, if anything.
    pub errors: Vec<String>,
    /// MISP feeds: event uuid -> timestamp imported.
    pub events: BTreeMap<String, i64>,
    /// MISP feeds: event uuid -> the id of the grouping it became.
    pub groupings: BTreeMap<String, String>,
    /// MISP feeds: events that left the manifest (their indicators expired); one that
    /// comes back is imported as current again.
    pub expired_events: BTreeSet<String>,
    /// Plain feeds: the indicator ids the feed held at its last complete run.
    pub ids: Vec<String>,
}

/// Writers of this process take turns (runs of several feeds save at once).
static STATE_LOCK: Mutex<()> = Mutex::new(());

/// The state file of a data directory.
pub fn state_path(dir: &Path) -> PathBuf {
    dir.join(STATE_FILE)
}

/// Every feed's state in `dir` (empty if the file does not exist).
///
/// # Errors
/// The file exists but cannot be read or is not a state file.
pub fn load(dir: &Path) -> Result<BTreeMap<String, FeedState>, Error> {
    let path = state_path(dir);
    let bytes = match std::fs::read(&path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(BTreeMap::new()),
        Err(e) => {
            return Err(Error::State {
                path: STATE_FILE.into(),
                reason: e.to_string(),
            });
        }
    };
    serde_json::from_slice(&bytes).map_err(|e| Error::State {
        path: STATE_FILE.into(),
        reason: e.to_string(),
    })
}

/// Records `state` as the last run of the feed `name` (the others are kept), written
/// whole to a temporary file and renamed over the old one.
///
/// # Errors
/// The file cannot be written.
pub fn save(dir: &Path, name: &str, state: &FeedState) -> Result<(), Error> {
    let _guard = STATE_LOCK
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let mut all = load(dir).unwrap_or_default();
    all.insert(name.to_owned(), state.clone());
    let fail = |e: &dyn std::fmt::Display| Error::State {
        path: STATE_FILE.into(),
        reason: format!("cannot save: {e}"),
    };
    let bytes = serde_json::to_vec_pretty(&all).map_err(|e| fail(&e))?;
    concord_store::atomic::write(
        &state_path(dir),
        &bytes,
        concord_store::atomic::Mode::Shared,
    )
    .map_err(|e| fail(&e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn saved_state_reads_back_and_unknown_keys_are_ignored() {
        let dir = tempfile::tempdir().unwrap();
        assert!(load(dir.path()).unwrap().is_empty());
        let s = FeedState {
            last_run: "2024-03-01T10:00:00.000Z".into(),
            new: 3,
            ids: vec!["indicator--x".into()],
            ..FeedState::default()
        };
        save(dir.path(), "a", &s).unwrap();
        save(dir.path(), "b", &FeedState::default()).unwrap();
        let all = load(dir.path()).unwrap();
        assert_eq!(all.get("a"), Some(&s));
        assert_eq!(all.len(), 2);
        std::fs::write(
            state_path(dir.path()),
            r#"{"x": {"new": 1, "future_field": true}}"#,
        )
        .unwrap();
        assert_eq!(load(dir.path()).unwrap()["x"].new, 1);
        std::fs::write(state_path(dir.path()), "{not json").unwrap();
        assert!(load(dir.path()).is_err());
    }
}
