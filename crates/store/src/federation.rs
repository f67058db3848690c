//! What federation keeps in the store: peers and their cursors, the provenance of
//! objects received from peers, and the outbound audit log (a hash chain).
//!
//! The audit log's chain: entry `n` holds `prev` (the `hash` of entry `n - 1`, or 64
//! zeros for the first) and `hash` = SHA-256 over `prev` and the entry's fields, see
//! [`audit_hash`]. The store computes it inside the appending
//! transaction, so writers in several processes still make one chain.

use concord_stix::Object;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::{Outcome, StoreError};

/// The `prev` of the first audit entry.
pub const AUDIT_GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// A registered peer and the state of syncing from it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct PeerRecord {
    /// The peer's node id (derived from its public key).
    pub node_id: String,
    /// A display name.
    pub name: String,
    /// The peer's base URL.
    pub url: String,
    /// Its Ed25519 public key (hex).
    pub public_key: String,
    /// ISO 3166 country code, if known (for policy groups).
    pub country: Option<String>,
    /// Sectors, if known (for policy groups).
    pub sectors: Vec<String>,
    /// The agreement of the outbound policy that applies to it, if named.
    pub agreement: Option<String>,
    /// When it was added.
    pub added: String,
    /// The highest `seq` of the peer's change feed already committed here.
    pub cursor: i64,
    /// When the last pull from it succeeded.
    pub last_sync: Option<String>,
    /// The last error syncing with it (cleared by a successful pull).
    pub last_error: Option<String>,
    /// When that error happened.
    pub last_error_at: Option<String>,
    /// Objects received from it, in all.
    pub received: i64,
    /// The peer's head `seq` as last seen (its cursor lag is `head - cursor`).
    pub head: i64,
    /// Since when this node holds a live notice connection to the peer (`None`: not
    /// connected; only a running `serve` connects).
    pub live_since: Option<String>,
    /// Marked explicitly to be reached over plain `http://` on a non-loopback host.
    #[serde(default)]
    pub insecure_http: bool,
}

/// Where a received object version came from, stored beside it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Provenance {
    /// The node that created it.
    pub origin: String,
    /// That node's public key (hex).
    pub origin_key: String,
    /// The origin's Ed25519 signature over the object's RFC 8785 form (base64), or over the
    /// unredacted form when `redactor` is set.
    pub signature: String,
    /// The peer it was received from; empty for a version created at this node (then the
    /// origin is this node and the signature its own, made when the version was stored).
    pub received_from: String,
    /// Re-shares still allowed.
    pub hops_left: u32,
    /// The node that redacted it on the way, with its key and its signature over the
    /// object as received.
    pub redactor: Option<Redactor>,
}

impl Provenance {
    /// Whether the version was created at this node (and only signed here).
    pub fn is_local(&self) -> bool {
        self.received_from.is_empty()
    }
}

/// A node that redacted an object and signed the redacted form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Redactor {
    /// Its node id.
    pub node: String,
    /// Its public key (hex).
    pub key: String,
    /// Its signature over the redacted object's RFC 8785 form (base64).
    pub signature: String,
}

/// One outbound decision to record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    /// The peer it concerns.
    pub peer: String,
    /// The object id.
    pub object_id: String,
    /// The object version (`modified`, or `created`, or empty).
    pub version: String,
    /// `send`, `send-redacted` or `withhold`.
    pub verdict: String,
    /// The agreement that applied, if any.
    pub agreement: Option<String>,
    /// The reasons, as JSON (rule, effect, message).
    pub reasons: serde_json::Value,
}

/// A recorded audit entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditRecord {
    /// Position in the log, from 1.
    pub n: i64,
    /// When it was written (RFC 3339, UTC).
    pub at: String,
    /// The decision.
    #[serde(flatten)]
    pub entry: AuditEntry,
    /// The previous entry's hash.
    pub prev: String,
    /// This entry's hash.
    pub hash: String,
}

/// The hash of an audit entry given its predecessor's hash: hex SHA-256 over `prev`, n,
/// at, peer, object id, version, verdict, agreement (empty when none) and the reasons as
/// compact JSON, each preceded by its length in bytes (8 bytes, big-endian), so no two
/// different entries hash the same input.
pub fn audit_hash(prev: &str, n: i64, at: &str, e: &AuditEntry) -> String {
    let mut h = Sha256::new();
    for part in [
        prev,
        &n.to_string(),
        at,
        &e.peer,
        &e.object_id,
        &e.version,
        &e.verdict,
        e.agreement.as_deref().unwrap_or(""),
    ] {
        h.update((part.len() as u64).to_be_bytes());
        h.update(part.as_bytes());
    }
    let reasons = e.reasons.to_string();
    h.update((reasons.len() as u64).to_be_bytes());
    h.update(reasons.as_bytes());
    hex::encode(h.finalize())
}

/// Storage for federation; every [`crate::Store`] implements it.
pub trait FederationStore {
    /// Adds a peer, or updates its address, key, name and groups (keeping its cursor).
    fn put_peer(&self, peer: &PeerRecord) -> Result<(), StoreError>;
    /// Every peer, by name.
    fn peers(&self) -> Result<Vec<PeerRecord>, StoreError>;
    /// Removes a peer (by node id); whether it was there.
    fn remove_peer(&self, node_id: &str) -> Result<bool, StoreError>;
    /// Records a failed sync attempt.
    fn peer_failed(&self, node_id: &str, error: &str) -> Result<(), StoreError>;
    /// Records whether a live notice connection to the peer is up.
    fn peer_live(&self, node_id: &str, live: bool) -> Result<(), StoreError>;
    /// Records a successful pull that found nothing new (and the peer's head).
    fn peer_synced(&self, node_id: &str, head: i64) -> Result<(), StoreError>;
    /// Stores objects received from `peer` with their provenance and moves the peer's
    /// cursor to `cursor`, all in one transaction.
    fn ingest_received(
        &self,
        peer: &str,
        objects: &[Object],
        provenance: &[Provenance],
        cursor: i64,
        head: i64,
    ) -> Result<Vec<Outcome>, StoreError>;
    /// The provenance of a held version, if it was received from a peer.
    fn provenance(&self, id: &str, version: &str) -> Result<Option<Provenance>, StoreError>;
    /// The provenance of every received version with `after < seq <= upto`, by `seq`
    /// (one query for a page of changes).
    fn provenance_between(
        &self,
        after: i64,
        upto: i64,
    ) -> Result<std::collections::HashMap<i64, Provenance>, StoreError>;
    /// Versions created here (no provenance yet) with `seq > after`, lowest first: `(seq,
    /// id, version, canonical JSON)`, for the signer.
    fn unsigned_local(
        &self,
        after: i64,
        limit: usize,
    ) -> Result<Vec<(i64, String, String, String)>, StoreError>;
    /// Stores this node's own signatures of versions created here (`received_from` empty);
    /// a version that already has a provenance keeps it.
    fn put_local_signatures(
        &self,
        signed: &[(String, String, Provenance)],
    ) -> Result<(), StoreError>;
    /// Appends decisions to the audit log (one transaction).
    fn append_audit(&self, entries: &[AuditEntry]) -> Result<(), StoreError>;
    /// Audit entries after position `after`, oldest first, optionally only one peer's.
    fn audit(
        &self,
        peer: Option<&str>,
        after: i64,
        limit: usize,
    ) -> Result<Vec<AuditRecord>, StoreError>;
    /// How many objects were sent (redacted or not) to `peer` since `since` (RFC 3339).
    fn audit_sent_since(&self, peer: &str, since: &str) -> Result<u64, StoreError>;
    /// The highest `seq` held (0 when empty).
    fn head_seq(&self) -> Result<i64, StoreError>;
}
