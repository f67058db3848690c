//! Short-lived state that every replica of a node must see alike, kept in the store
//! rather than in a process's memory: the nonces of signed federation requests (a
//! request replayed to another replica is still a replay), the statuses of TAXII
//! `POST`s (readable from whichever replica a client asks), and sign-in attempts (an
//! attacker spreading guesses over replicas gets no more of them). Each is bounded in
//! number and expires, as the in-memory versions it replaces were; the callers
//! (`federation::httpsig`, `taxii::status`, `web::lockout`) hold the limits and say when
//! to prune. Every check-and-count is one atomic step in the database, whatever the
//! number of processes sharing it.

use crate::StoreError;

/// How a kept status is bounded: how many are kept at most, and for how long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bounds {
    /// Records kept at most (the oldest go first).
    pub keep: usize,
    /// How long a record stays readable, in milliseconds.
    pub ttl_ms: i64,
}

/// One counter of [`EphemeralStore::reserve_attempt`]: its key and how many attempts it
/// allows within the window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit<'a> {
    /// What is counted (`name:…`, `address:…`).
    pub key: &'a str,
    /// Attempts allowed within the window; the next is refused.
    pub max: u32,
}

/// The short-lived state of a node (see the module docs). Implementations make each
/// method one atomic step for every process sharing the store.
pub trait EphemeralStore {
    /// Records the nonce of a request signed by `keyid`, seen at `now` (seconds since the
    /// epoch): `true` on its first use, `false` when the same key's nonce was seen within
    /// the `window` seconds before (a replay). Check and record are one statement, so of
    /// two processes given the same request at once exactly one gets `true`.
    fn first_use_of_nonce(
        &self,
        keyid: &str,
        nonce: &str,
        now: i64,
        window: i64,
    ) -> Result<bool, StoreError>;

    /// Forgets the nonces seen before `before` (seconds since the epoch); how many.
    fn forget_nonces(&self, before: i64) -> Result<usize, StoreError>;

    /// Keeps a TAXII status (its JSON) under its id for `owner`, made at `now_ms`
    /// (milliseconds since the epoch); drops expired ones and the oldest past
    /// `bounds.keep`.
    fn put_taxii_status(
        &self,
        id: &str,
        owner: &str,
        json: &str,
        now_ms: i64,
        bounds: Bounds,
    ) -> Result<(), StoreError>;

    /// The JSON of the TAXII status `id` if it was kept at or after `since_ms`.
    fn taxii_status(&self, id: &str, since_ms: i64) -> Result<Option<String>, StoreError>;

    /// Counts one attempt under every limit's key at `now_ms` (a new window for a key
    /// whose window of `window_ms` ended), unless one of them has used up its attempts
    /// in an open window: then nothing is counted and the answer is the index of the
    /// first such limit. Check and count are one transaction.
    fn reserve_attempt(
        &self,
        limits: &[Limit<'_>],
        now_ms: i64,
        window_ms: i64,
    ) -> Result<Option<usize>, StoreError>;

    /// Gives back an attempt counted under `key`: all of them when `all` (the key starts
    /// again), else one.
    fn give_back_attempt(&self, key: &str, all: bool) -> Result<(), StoreError>;

    /// Forgets the attempt windows that began before `before_ms`; then, if `max` or more
    /// keys are still counted, forgets them all (a bound reached only by a spray from
    /// very many addresses). How many keys remain.
    fn prune_attempts(&self, before_ms: i64, max: usize) -> Result<usize, StoreError>;
}

/// Milliseconds since the epoch now.
#[must_use]
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}
