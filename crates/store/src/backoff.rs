//! Backing off failing background work: a full disk must cost one attempt and one log
//! line per step, not a retry (and a line) per write, and the work must resume by itself
//! once an attempt succeeds.

use std::time::{Duration, Instant};

/// The wait after a first failure in a row (a full disk, say);
/// each failure after it doubles the wait, up to [`BACKOFF_MAX`].
pub const BACKOFF_FIRST: Duration = Duration::from_millis(500);
/// The longest wait between two attempts.
pub const BACKOFF_MAX: Duration = Duration::from_secs(60);

/// When failing background work (the indexer, the federation signer) tries again: after [`BACKOFF_FIRST`], doubling
/// with each failure in a row up to [`BACKOFF_MAX`], so that a full disk costs one
/// attempt and one log line per step instead of a retry (and a line) per write; the
/// first success ends it. Times are given, not read, so that tests need no clock.
#[derive(Debug, Default)]
pub struct Backoff {
    /// Failures in a row.
    failures: u32,
    /// No attempt before this.
    until: Option<Instant>,
}

impl Backoff {
    /// The wait after `failures` failures in a row (at least one).
    fn delay(failures: u32) -> Duration {
        let doublings = failures.saturating_sub(1).min(16);
        BACKOFF_FIRST
            .saturating_mul(1 << doublings)
            .min(BACKOFF_MAX)
    }

    /// Whether an attempt may be made at `now`.
    pub fn ready(&self, now: Instant) -> bool {
        self.until.is_none_or(|u| now >= u)
    }

    /// How long from `now` until an attempt may be made (zero when one may).
    pub fn remaining(&self, now: Instant) -> Duration {
        self.until
            .map_or(Duration::ZERO, |u| u.saturating_duration_since(now))
    }

    /// An attempt failed at `now`: the wait before the next one.
    pub fn failed(&mut self, now: Instant) -> Duration {
        self.failures = self.failures.saturating_add(1);
        let wait = Self::delay(self.failures);
        self.until = Some(now + wait);
        wait
    }

    /// An attempt succeeded: failures in a row it ends (0 if none).
    pub fn succeeded(&mut self) -> u32 {
        self.until = None;
        std::mem::take(&mut self.failures)
    }
}
