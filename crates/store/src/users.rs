//! Local users of the web interface (accounts, password hashes, sessions, the API tokens
//! each user owns) and the reads made on a user's behalf, which never return an object
//! above the user's TLP clearance.
//!
//! TLP of an object: the strictest TLP marking among its `object_marking_refs` (TLP 2.0
//! and 1.0 ids, see [`concord_stix::Tlp`]); an object without any TLP marking counts as
//! TLP:CLEAR. Callers also check granular markings of the objects they show (the store
//! indexes object-level markings only).

use concord_stix::Tlp;
use serde::Serialize;

use crate::{ListQuery, Page, Role, StoreError, TokenRecord};

/// A local user (never with its password hash).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct User {
    /// Row id.
    pub id: i64,
    /// Sign-in name (unique).
    pub name: String,
    /// What the user may do.
    pub role: Role,
    /// The highest TLP level the user may see.
    pub clearance: Tlp,
    /// When the account was created (RFC 3339).
    pub created: String,
    /// A disabled user cannot sign in; its sessions end.
    pub disabled: bool,
}

/// A signed-in session, found by the hash of its cookie secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    /// The user the session belongs to.
    pub user: User,
    /// The session's CSRF token, which every form it submits carries.
    pub csrf: String,
    /// When the session ends (RFC 3339).
    pub expires: String,
}

/// Filters of a listing made for a user: a [`ListQuery`] plus what the web interface
/// filters by. Every listing is limited to the clearance.
#[derive(Debug, Clone)]
pub struct ClearedQuery {
    /// Types, full text, `added_after`, cursor, order and limit.
    pub base: ListQuery,
    /// Nothing above this level is returned.
    pub clearance: Tlp,
    /// Only objects of exactly this TLP level (unmarked objects are TLP:CLEAR).
    pub tlp: Option<Tlp>,
    /// Only objects with this entry in `labels`.
    pub label: Option<String>,
    /// Only objects whose `created_by_ref` is this id.
    pub source: Option<String>,
    /// Only versions whose `date_added` is strictly before this timestamp.
    pub added_before: Option<String>,
}

impl ClearedQuery {
    /// A query with no filter but the clearance.
    pub fn new(clearance: Tlp) -> Self {
        ClearedQuery {
            base: ListQuery::default(),
            clearance,
            tlp: None,
            label: None,
            source: None,
            added_before: None,
        }
    }
}

/// One group of current objects counted for the dashboard.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CountRow {
    /// STIX type.
    pub object_type: String,
    /// The objects' TLP level.
    pub tlp: Tlp,
    /// `created_by_ref`, if any.
    pub source: Option<String>,
    /// The day they were added (`YYYY-MM-DD`).
    pub day: String,
    /// How many.
    pub count: i64,
}

/// Every TLP level, lowest first.
pub const TLP_LEVELS: [Tlp; 5] = [
    Tlp::Clear,
    Tlp::Green,
    Tlp::Amber,
    Tlp::AmberStrict,
    Tlp::Red,
];

/// Storage of users; every [`crate::Store`] implements it.
pub trait Users {
    /// Creates a user; `None` if the name is taken.
    fn create_user(
        &self,
        name: &str,
        role: Role,
        clearance: Tlp,
        password_hash: &str,
    ) -> Result<Option<User>, StoreError>;
    /// The user with this name and its password hash.
    fn user_by_name(&self, name: &str) -> Result<Option<(User, String)>, StoreError>;
    /// The user with this id.
    fn user(&self, id: i64) -> Result<Option<User>, StoreError>;
    /// Every user, by name.
    fn users(&self) -> Result<Vec<User>, StoreError>;
    /// Replaces a user's password hash and ends its sessions; whether the user exists.
    fn set_password(&self, id: i64, password_hash: &str) -> Result<bool, StoreError>;
    /// Changes a user's role, clearance and disabled flag (a disabled user's sessions
    /// end); whether the user exists.
    fn update_user(
        &self,
        id: i64,
        role: Role,
        clearance: Tlp,
        disabled: bool,
    ) -> Result<bool, StoreError>;

    /// Stores a session under the hash of its secret.
    fn create_session(
        &self,
        hash: &str,
        user_id: i64,
        csrf: &str,
        expires: &str,
    ) -> Result<(), StoreError>;
    /// The live session with this hash at `now` (RFC 3339), if its user is enabled.
    fn session(&self, hash: &str, now: &str) -> Result<Option<Session>, StoreError>;
    /// Ends a session; also removes every session that expired before `now`.
    fn delete_session(&self, hash: &str, now: &str) -> Result<(), StoreError>;

    /// Records that a token belongs to a user.
    fn link_token(&self, token_id: i64, user_id: i64) -> Result<(), StoreError>;
    /// The user a token belongs to, if any.
    fn token_owner(&self, token_id: i64) -> Result<Option<i64>, StoreError>;
    /// The tokens a user owns, oldest first.
    fn user_tokens(&self, user_id: i64) -> Result<Vec<TokenRecord>, StoreError>;

    /// A page of current versions that `q` lets through, none above its clearance.
    fn list_cleared(&self, q: &ClearedQuery) -> Result<Page, StoreError>;
    /// The TLP level of the current version of each id (by its object markings); ids
    /// not held are left out.
    fn tlp_levels(&self, ids: &[String]) -> Result<Vec<(String, Tlp)>, StoreError>;
    /// Current objects counted by type, TLP level, source and day added (one scan; the
    /// caller sums what a clearance allows and caches the result).
    fn count_rows(&self) -> Result<Vec<CountRow>, StoreError>;
    /// The highest `seq` stored (0 when empty): a cheap sign that something was added.
    fn last_seq(&self) -> Result<i64, StoreError>;
}
