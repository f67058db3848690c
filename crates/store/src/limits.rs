//! Limits on the work one caller can make the store do: words of a full-text search, a
//! time budget per listing query, and the size of indicator patterns at import. The
//! defaults hold for every store; a server sets its own through
//! [`SqliteStore::with_limits`](crate::sqlite::SqliteStore::with_limits).
//!
//! The defaults: at most 16 distinct search words; words under 3 characters only filter the
//! trigram index's hits (alone: one scan for all, or refused); every listing query within 2
//! s (`StoreError::Budget`); indicator patterns of at most 64 KiB and 1,000 comparisons.

use std::time::Duration;

/// Bounds on one caller's work (see the module doc).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Words of a full-text search at most (default 16): each word is one more lookup,
    /// and a search of hundreds would be hundreds of them.
    pub search_terms: usize,
    /// Whether a search made only of words too short for the trigram index (under 3
    /// characters, e.g. a two-character Chinese word) may be answered by a scan of the
    /// indexed text (default `true`; one scan for all its words, within
    /// `query_budget`). When `false` it is refused with
    /// [`StoreError::Search`](crate::StoreError::Search). A short word beside a longer one
    /// is always allowed: it only filters what the index found for the longer one.
    pub short_search_scan: bool,
    /// How long one listing query (a page, a search, correlations, relationships) may
    /// run before it is interrupted with [`StoreError::Budget`](crate::StoreError::Budget)
    /// (default 2 s; `None`: no limit).
    pub query_budget: Option<Duration>,
    /// Bytes of an indicator's STIX `pattern` at most (default 64 KiB); a longer one is
    /// rejected at import.
    pub pattern_bytes: usize,
    /// Comparisons (`path op value`) of an indicator's STIX `pattern` at most (default
    /// 1,000); a pattern with more is rejected at import.
    pub pattern_comparisons: usize,
}

/// [`Limits::search_terms`] by default.
pub const SEARCH_TERMS: usize = 16;
/// Characters a search word needs to be looked up in the trigram index.
pub const TRIGRAM: usize = 3;
/// [`Limits::query_budget`] by default.
pub const QUERY_BUDGET: Duration = Duration::from_secs(2);
/// [`Limits::pattern_bytes`] by default.
pub const PATTERN_BYTES: usize = 64 * 1024;
/// [`Limits::pattern_comparisons`] by default.
pub const PATTERN_COMPARISONS: usize = 1_000;

impl Default for Limits {
    fn default() -> Self {
        Limits {
            search_terms: SEARCH_TERMS,
            short_search_scan: true,
            query_budget: Some(QUERY_BUDGET),
            pattern_bytes: PATTERN_BYTES,
            pattern_comparisons: PATTERN_COMPARISONS,
        }
    }
}

/// A duration as people read it in an error message (`2 s`, `1.5 s`, `250 ms`).
pub(crate) fn human(d: Duration) -> String {
    if d >= Duration::from_secs(1) {
        let s = d.as_secs_f64();
        if s.fract() == 0.0 {
            format!("{s:.0} s")
        } else {
            format!("{s:.1} s")
        }
    } else {
        format!("{} ms", d.as_millis())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_as_people_write_them() {
        assert_eq!(human(Duration::from_secs(2)), "2 s");
        assert_eq!(human(Duration::from_millis(1500)), "1.5 s");
        assert_eq!(human(Duration::from_millis(250)), "250 ms");
    }
}
