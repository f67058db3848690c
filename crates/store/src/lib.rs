//! Storage for a Concord node: the [`Store`] trait and its SQLite backend.
//!
//! Every stored version of an object gets a node-local `date_added` of its own (strictly
//! increasing, at microseconds: [`date_added`]) and a strictly increasing sequence number
//! `seq`; lists page by `seq` so that nothing is skipped or
//! repeated while writes go on. Versions are keyed by (id, modified); the newest version
//! is "current" (a revoked current version stays retrievable, marked revoked). The
//! correlation index holds one row per (normalised observable value, object), never one
//! per pair of objects.
//!
//! ```
//! use concord_store::{Store, sqlite::SqliteStore};
//! use concord_stix::Object;
//!
//! let store = SqliteStore::open_in_memory().unwrap();
//! let obj = Object::from_json(r#"{"type": "ipv4-addr", "id": "ipv4-addr--ff2ab1a2-5ba5-5a5e-ae3a-a4c6e1c1b0f0", "value": "198.51.100.7"}"#).unwrap();
//! let outcomes = store.ingest(&[obj]).unwrap();
//! assert_eq!(outcomes[0], concord_store::Outcome::New);
//! assert!(store.get("ipv4-addr--ff2ab1a2-5ba5-5a5e-ae3a-a4c6e1c1b0f0").unwrap().is_some());
//! ```

pub mod atomic;
pub mod backoff;
pub mod cleared;
pub mod date_added;
pub mod ephemeral;
pub mod federation;
pub mod governance;
pub mod import;
pub mod limits;
pub mod observables;
pub mod sqlite;
pub mod users;

/// Lowers the calling thread's scheduling priority to nice 10 (Linux: nice is per
/// thread): for background work over the store (signing new versions, derived indexes),
/// so that imports and API and TAXII requests get the cores first.
pub fn lower_thread_priority() {
    #[cfg(target_os = "linux")]
    {
        const BACKGROUND_NICE: i32 = 10;
        let tid = rustix::thread::gettid();
        if let Err(e) = rustix::process::setpriority_process(Some(tid), BACKGROUND_NICE) {
            tracing::debug!(error = %e, "Cannot lower a background thread's priority.");
        }
    }
}

/// What a background loop over the store (the signer, an indexer) does next; it asks
/// before each step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Turn {
    /// Work.
    Run,
    /// Not now (another replica holds the work's lease, or the node key is about to
    /// change): ask again shortly.
    Wait,
    /// Return: the process stops this work (`serve` restarting in place).
    Stop,
}

use concord_stix::Object;
use serde::Serialize;

pub use limits::Limits;

/// A storage failure. Input problems never reach the store: objects are validated first.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The database reported an error.
    #[error("database error: {0}")]
    Database(rusqlite::Error),
    /// A database backend other than SQLite (PostgreSQL, `concord-store-pg`) reported an
    /// error: its message, with the server's SQLSTATE code when it gave one.
    #[error("database error: {0}")]
    Backend(String),
    /// The file system holding the database is full (SQLite's `SQLITE_FULL`, or an I/O
    /// error while no space is left): nothing of the failed write was kept, and writes
    /// succeed again once space is freed. HTTP callers answer 507.
    #[error("disk full: {0}")]
    DiskFull(String),
    /// A search the store refuses to run, with what is wrong (too many words, or words
    /// that could only be answered by scanning every object). HTTP callers answer 400.
    #[error("{0}")]
    Search(String),
    /// A listing query ran longer than its budget ([`Limits::query_budget`]) and was
    /// stopped. HTTP callers answer 503.
    #[error("the query took longer than {} and was stopped; narrow it (longer or fewer search words, a type or date filter)", limits::human(*budget))]
    Budget {
        /// The budget it exceeded.
        budget: std::time::Duration,
    },
    /// A stored row could not be read back (corrupt JSON or column).
    #[error("stored object {id} is unreadable: {reason}")]
    Corrupt {
        /// The object id.
        id: String,
        /// What is wrong.
        reason: String,
    },
    /// A paging cursor that this store did not issue.
    #[error("invalid cursor {0:?}")]
    Cursor(String),
    /// Filesystem trouble opening or creating the database.
    #[error("cannot open database at {path}: {source}")]
    Open {
        /// The database path.
        path: String,
        /// The underlying error.
        source: std::io::Error,
    },
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        if e.sqlite_error_code() == Some(rusqlite::ErrorCode::DiskFull) {
            return StoreError::DiskFull(e.to_string());
        }
        StoreError::Database(e)
    }
}

impl StoreError {
    /// Whether this is [`StoreError::DiskFull`].
    pub fn is_disk_full(&self) -> bool {
        matches!(self, StoreError::DiskFull(_))
    }
}

/// What happened to one object given to [`Store::ingest`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// The id was not held before.
    New,
    /// A version of a held id that was not held; it is current if it is the newest.
    NewVersion,
    /// This exact version was already held with the same content: nothing changed.
    Unchanged,
    /// This version (id, modified) was already held with different content; the held one
    /// is kept (STIX says a version never changes), and the caller is told.
    Conflict,
}

/// A stored version of an object.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StoredObject {
    /// Node-local sequence number of this version.
    pub seq: i64,
    /// When this node stored it (RFC 3339 UTC, microsecond precision; versions stored
    /// by older versions of Concord have milliseconds): see [`date_added`].
    pub date_added: String,
    /// Whether this version is the current one of its id.
    pub current: bool,
    /// The object's JSON (RFC 8785 canonical text).
    pub json: String,
}

/// One current version as [`Store::list_borrowed`] hands it over: borrowed from the
/// store's cursor, valid only during the call.
#[derive(Debug, Clone, Copy)]
pub struct ListedRow<'a> {
    /// Node-local sequence number of this version.
    pub seq: i64,
    /// When this node stored it (as [`StoredObject::date_added`]); empty when the
    /// JSON was asked for (the page's first and last are in [`Listed`]).
    pub date_added: &'a str,
    /// The object's id (empty when the JSON was asked for: it is in the JSON).
    pub id: &'a str,
    /// `modified`, else `created`, else empty (unversioned SCOs); empty too when the
    /// JSON was asked for.
    pub version: &'a str,
    /// The object's JSON (RFC 8785 canonical text, as the store wrote it: bytes, not
    /// checked again for UTF-8 on the way out), or empty when not asked for.
    pub json: &'a [u8],
    /// The version carries a granular marking above the query's [`Within::Objects`]
    /// level: shown only through `visibility::view` (always `false` otherwise).
    pub redact: bool,
}

/// What [`Store::list_borrowed`] handed over.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Listed {
    /// Rows handed over (at most the query's page size).
    pub rows: usize,
    /// Whether more current versions match after the last row handed over.
    pub more: bool,
    /// `seq` of the last row handed over (0 when none was).
    pub last_seq: i64,
    /// `date_added` of the first and of the last row handed over (empty when none was).
    pub first_added: String,
    /// See `first_added`.
    pub last_added: String,
}

impl StoredObject {
    /// The object as a JSON value.
    pub fn value(&self) -> serde_json::Value {
        serde_json::from_str(&self.json).unwrap_or(serde_json::Value::Null)
    }
}

/// Order of a listing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Order {
    /// Highest `seq` first.
    #[default]
    NewestFirst,
    /// Lowest `seq` first (for sync and TAXII).
    BySeq,
}

/// A query over current versions.
#[derive(Debug, Clone, Default)]
pub struct ListQuery {
    /// Only these types (any if empty).
    pub types: Vec<String>,
    /// Full-text filter (any if `None`).
    pub text: Option<String>,
    /// Only versions whose `date_added` is strictly after this timestamp (any RFC 3339
    /// form; compared by instant, see [`date_added`]).
    pub added_after: Option<String>,
    /// Only versions whose `seq` is strictly after / before this (cursor position).
    pub cursor: Option<i64>,
    /// The order.
    pub order: Order,
    /// At most this many (the store caps it).
    pub limit: usize,
    /// Only versions within a TLP clearance (any if `None`): the visibility rule's
    /// first part, applied in the listing's own query.
    pub within: Option<Within>,
}

/// What a listing leaves out for a caller's TLP clearance (`concord_stix::visibility`),
/// from the levels the store keeps for each version, in the listing's own query: pages
/// stay full, and a cursor moves only over what the caller may see.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Within {
    /// Versions whose object markings are within the level. They may carry granular
    /// markings above it: those rows come with [`ListedRow::redact`] set, and the
    /// caller applies `visibility::view` to them.
    Objects(concord_stix::Tlp),
    /// Versions with no marking above the level, granular ones included: what a caller
    /// with that clearance sees whole.
    Whole(concord_stix::Tlp),
}

impl Within {
    /// The level.
    pub fn level(self) -> concord_stix::Tlp {
        match self {
            Within::Objects(t) | Within::Whole(t) => t,
        }
    }

    /// `within` narrowed to what a caller with `clearance` sees whole.
    pub fn whole_for(within: Option<Within>, clearance: concord_stix::Tlp) -> Within {
        Within::Whole(within.map_or(clearance, |w| w.level().min(clearance)))
    }
}

/// One page of a listing.
#[derive(Debug, Clone, Serialize)]
pub struct Page {
    /// The objects, in the requested order.
    pub objects: Vec<StoredObject>,
    /// The `seq` to pass as `cursor` for the next page, if there may be more.
    pub next: Option<i64>,
}

/// Another object that shares an observable value with the one asked about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Correlation {
    /// The other object's id.
    pub id: String,
    /// Its type.
    pub object_type: String,
    /// The kind of the shared value (`ipv4-addr`, `hash:SHA-256`, ...).
    pub kind: String,
    /// The shared value, normalised.
    pub value: String,
}

/// An object related to the one asked about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Related {
    /// The other object's id.
    pub id: String,
    /// `outgoing` (the object refers to it), `incoming` (it refers to the object).
    pub direction: &'static str,
    /// The property path of the reference (`$.source_ref`), on whichever side holds it.
    pub via: String,
    /// For SROs: the relationship's id and type (`relationship_type`), if the link is one.
    pub relationship: Option<(String, String)>,
}

/// A role an API token grants.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// May read.
    Reader,
    /// May read and write objects.
    Analyst,
    /// May also manage tokens.
    Admin,
}

impl Role {
    /// The role's name.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Reader => "reader",
            Role::Analyst => "analyst",
            Role::Admin => "admin",
        }
    }

    /// Parses a role name.
    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "reader" => Some(Role::Reader),
            "analyst" => Some(Role::Analyst),
            "admin" => Some(Role::Admin),
            _ => None,
        }
    }
}

/// A stored API token (its secret is held only as a hash).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TokenRecord {
    /// Token row id.
    pub id: i64,
    /// Name given at creation.
    pub name: String,
    /// Granted role.
    pub role: Role,
    /// When it was created.
    pub created: String,
    /// The highest TLP level the token reads (a token owned by a user reads at most the
    /// lower of this and the user's clearance).
    pub clearance: concord_stix::Tlp,
    /// When it stops being accepted (RFC 3339 UTC, milliseconds), if ever.
    pub expires: Option<String>,
    /// When it was last presented, to the minute ([`Store::touch_token`]).
    pub last_used: Option<String>,
}

impl TokenRecord {
    /// Whether the token has expired at `now` (RFC 3339 UTC with milliseconds, as
    /// [`concord_stix::Timestamp::now_millis`] writes).
    pub fn expired_at(&self, now: &str) -> bool {
        self.expires.as_deref().is_some_and(|e| e <= now)
    }

    /// Whether a use at `now` should be recorded: never used, or last use recorded at
    /// least [`TOKEN_TOUCH_SECS`] before (or unreadable).
    pub fn touch_due(&self, now: &str) -> bool {
        use concord_stix::Timestamp;
        self.last_used.as_deref().is_none_or(|last| {
            match (Timestamp::parse(last), Timestamp::parse(now)) {
                (Ok(l), Ok(n)) => (n.instant() - l.instant()).num_seconds() >= TOKEN_TOUCH_SECS,
                _ => true,
            }
        })
    }
}

/// The TLP clearance a token reads with: its own, and no more than its owner's when it
/// belongs to a user (nothing above TLP:CLEAR when that user is gone). The one place the
/// REST API and TAXII ask.
pub fn token_clearance<S: Store + ?Sized>(
    store: &S,
    record: &TokenRecord,
) -> Result<concord_stix::Tlp, StoreError> {
    Ok(match store.token_owner(record.id)? {
        Some(user) => match store.user(user)? {
            Some(u) => u.clearance.min(record.clearance),
            None => concord_stix::Tlp::Clear,
        },
        None => record.clearance,
    })
}

/// What a new token is: name, role, secret hash, clearance and expiry.
#[derive(Debug, Clone)]
pub struct NewToken<'a> {
    /// A name to recognise it by.
    pub name: &'a str,
    /// Granted role.
    pub role: Role,
    /// The SHA-256 of its secret (lower-case hex).
    pub hash: &'a str,
    /// The highest TLP level it reads.
    pub clearance: concord_stix::Tlp,
    /// When it stops being accepted (RFC 3339 UTC, milliseconds), if ever.
    pub expires: Option<String>,
}

/// How often a token's last use is written at most: once a minute per token.
pub const TOKEN_TOUCH_SECS: i64 = 60;

/// Counts for metrics.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Stats {
    /// Stored versions.
    pub versions: i64,
    /// Distinct ids.
    pub objects: i64,
    /// Current objects per type.
    pub by_type: Vec<(String, i64)>,
    /// Highest `seq`.
    pub last_seq: i64,
    /// Versions committed but not yet reflected in the derived indexes (correlations,
    /// references, full-text search): `last_seq` minus the indexer's cursor. Reads that
    /// use those indexes catch up first, so this is a measure of background work only.
    pub index_lag: i64,
}

/// One connection pool of a store, as `/metrics` shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PoolGauge {
    /// The pool's name (`listings`, `plain`).
    pub name: &'static str,
    /// Most connections it opens.
    pub max: usize,
    /// Connections open now.
    pub open: usize,
    /// Open connections not in use.
    pub idle: usize,
    /// Callers waiting for a connection.
    pub waiting: usize,
}

/// A node's storage. Implementations are safe to share between threads; every method is
/// blocking (async callers use `spawn_blocking`, except for bounded reads: a point lookup
/// or one page, which cost less than the hand-off to another thread).
pub trait Store:
    Send
    + Sync
    + users::Users
    + federation::FederationStore
    + governance::GovernanceStore
    + ephemeral::EphemeralStore
{
    /// Stores a batch of validated objects in one transaction; either all of it is
    /// committed or none. Returns one outcome per object, in order.
    fn ingest(&self, objects: &[Object]) -> Result<Vec<Outcome>, StoreError>;
    /// The current version of an id.
    fn get(&self, id: &str) -> Result<Option<StoredObject>, StoreError>;
    /// Every held version of an id, oldest first.
    fn versions(&self, id: &str) -> Result<Vec<StoredObject>, StoreError>;
    /// A page of current versions.
    fn list(&self, query: &ListQuery) -> Result<Page, StoreError>;
    /// The page `list` would answer, handed to `each` row by row without copying the
    /// rows out of the store (for answers that are written straight into a response),
    /// with each row's JSON when `with_json` (else its id, version and date added);
    /// returns how many rows were handed over, whether more follow, and the first and
    /// last date added.
    fn list_borrowed(
        &self,
        query: &ListQuery,
        with_json: bool,
        each: &mut dyn FnMut(&ListedRow<'_>),
    ) -> Result<Listed, StoreError>;
    /// A page of every version (current or not) by `seq`, lowest first, filtered by the
    /// query's types, `added_after` and cursor (TAXII `match[version]=all`).
    fn list_versions(&self, query: &ListQuery) -> Result<Page, StoreError>;
    /// Objects sharing an observable value with the current version of `id`.
    fn correlations(&self, id: &str) -> Result<Vec<Correlation>, StoreError>;
    /// Objects related to `id` through SROs and `*_ref(s)` properties, both directions.
    fn relationships(&self, id: &str) -> Result<Vec<Related>, StoreError>;
    /// Calls `each` with every current version (of the given types, or all), by `seq`.
    fn for_each_current(
        &self,
        types: &[String],
        each: &mut dyn FnMut(StoredObject) -> Result<(), StoreError>,
    ) -> Result<(), StoreError>;
    /// Stores a token hash with a name and role, clearance TLP:RED and no expiry: for
    /// tests and tools only. No path a user reaches calls it: `concord token create` and
    /// `POST /api/v1/tokens` default to TLP:GREEN, the web's account tokens take the
    /// user's clearance, all through [`Store::create_token_with`].
    fn create_token(&self, name: &str, role: Role, hash: &str) -> Result<TokenRecord, StoreError> {
        self.create_token_with(&NewToken {
            name,
            role,
            hash,
            clearance: concord_stix::Tlp::Red,
            expires: None,
        })
    }
    /// Stores a new token.
    fn create_token_with(&self, token: &NewToken<'_>) -> Result<TokenRecord, StoreError>;
    /// Records that the token was used at `now` (RFC 3339 UTC, milliseconds), unless its
    /// last use was recorded less than [`TOKEN_TOUCH_SECS`] before; whether it wrote.
    fn touch_token(&self, id: i64, now: &str) -> Result<bool, StoreError>;
    /// The token with this hash, if any.
    fn token_by_hash(&self, hash: &str) -> Result<Option<TokenRecord>, StoreError>;
    /// The token with this hash, if any, with the clearance it reads with
    /// ([`token_clearance`]): what every authenticated request asks, so a backend may
    /// answer it in one round trip (PostgreSQL does). The default asks in turn.
    fn token_with_clearance(
        &self,
        hash: &str,
    ) -> Result<Option<(TokenRecord, concord_stix::Tlp)>, StoreError> {
        let Some(record) = self.token_by_hash(hash)? else {
            return Ok(None);
        };
        let level = token_clearance(self, &record)?;
        Ok(Some((record, level)))
    }
    /// Every token (without secrets).
    fn tokens(&self) -> Result<Vec<TokenRecord>, StoreError>;
    /// Deletes a token by id; whether it existed.
    fn revoke_token(&self, id: i64) -> Result<bool, StoreError>;
    /// Counts.
    fn stats(&self) -> Result<Stats, StoreError>;
    /// Deletes every version of an id with its markings and index rows (TAXII `DELETE`);
    /// returns how many versions were removed (0 if the id was not held).
    fn delete(&self, id: &str) -> Result<usize, StoreError>;
    /// The limits on one caller's work this store applies (the import path reads the
    /// pattern limits from here).
    fn limits(&self) -> Limits {
        Limits::default()
    }
    /// Gives back what the store holds in memory only to go faster (page and statement
    /// caches of connections not in use), for a node that has been idle for a while.
    /// Never waits for a connection in use: those keep their caches, and the answer is
    /// `false` (try again later); `true` when every cache was given back.
    fn release_memory(&self) -> bool {
        true
    }
    /// The store's connection pools as they are now, for `/metrics`; empty for a backend
    /// without one (SQLite: one writer and a reader per thread).
    fn pools(&self) -> Vec<PoolGauge> {
        Vec::new()
    }
    /// The value the node's background work kept under `key` (a cursor, a position),
    /// if any. Kept in the store, not in a replica's data directory, so that whichever
    /// replica of a node holds the work's lease continues where the last holder stopped.
    fn work_state(&self, key: &str) -> Result<Option<String>, StoreError>;
    /// Keeps `value` under `key` for the node's background work (see
    /// [`Store::work_state`]).
    fn set_work_state(&self, key: &str, value: &str) -> Result<(), StoreError>;
}

/// The `store_meta` key under which [`Store::work_state`] keeps `key` (a prefix keeps
/// work state apart from the store's own entries).
#[must_use]
pub fn work_state_key(key: &str) -> String {
    format!("work:{key}")
}
