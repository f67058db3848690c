//! What a community's governance log keeps in the store: the signed genesis and entries
//! as received (their JSON text, opaque here; `concord-community` reads and checks them),
//! each once per (community, id), numbered in the order this node got them, and per peer
//! the number up to which its governance documents were pulled.
//!
//! The numbers are node-local (they are the replication cursor, as `seq` is for objects);
//! the community's order is the entries' own signed time, never this one.

use serde::{Deserialize, Serialize};

use crate::StoreError;

/// What kind of governance document.
pub const GENESIS: &str = "genesis";
/// A log entry (proposal, vote, key rotation).
pub const ENTRY: &str = "entry";

/// A governance document to store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GovernanceDocument {
    /// The community id.
    pub community: String,
    /// The document's id (the community id for a genesis).
    pub id: String,
    /// [`GENESIS`] or [`ENTRY`].
    pub kind: String,
    /// Its signed time (the genesis' `created`, an entry's `at`).
    pub at: String,
    /// Its JSON text.
    pub document: String,
}

/// A stored governance document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GovernanceRecord {
    /// Its number at this node (order of arrival).
    pub n: i64,
    /// What was stored.
    pub doc: GovernanceDocument,
    /// The peer it came from (empty: made or imported here).
    pub received_from: String,
    /// When it was stored here.
    pub received: String,
}

/// A member this node refuses locally, whatever the community decided.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LocalRefusal {
    /// The member's node id.
    pub node_id: String,
    /// Why, in the operator's words.
    pub reason: String,
    /// Since when.
    pub since: String,
}

/// Storage of governance logs.
pub trait GovernanceStore {
    /// Stores the documents not yet held (by community and id) and, when `cursor` is
    /// given, sets that peer's governance cursor, in one transaction. Returns how many
    /// were new.
    fn put_governance(
        &self,
        docs: &[GovernanceDocument],
        received_from: &str,
        cursor: Option<i64>,
    ) -> Result<usize, StoreError>;
    /// Every document of a community (all communities when `None`), in arrival order.
    fn governance(&self, community: Option<&str>) -> Result<Vec<GovernanceRecord>, StoreError>;
    /// At most `limit` documents numbered after `after`, in order.
    fn governance_after(
        &self,
        after: i64,
        limit: usize,
    ) -> Result<Vec<GovernanceRecord>, StoreError>;
    /// The highest document number (0: none).
    fn governance_head(&self) -> Result<i64, StoreError>;
    /// The number up to which a peer's governance documents were pulled (0: none).
    fn governance_cursor(&self, peer: &str) -> Result<i64, StoreError>;
    /// Refuses a member locally (`Some(reason)`) or lifts the refusal (`None`); returns
    /// whether anything changed.
    fn set_local_refusal(&self, node_id: &str, reason: Option<&str>) -> Result<bool, StoreError>;
    /// The members this node refuses locally.
    fn local_refusals(&self) -> Result<Vec<LocalRefusal>, StoreError>;
}
