//! What federation keeps in the store: peers, their cursors and refusals, the provenance
//! of objects received from peers with the origin rules they pass ([`check_origin`]), and
//! the outbound audit log (a hash chain).
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
    /// Versions from it refused, in all (bad signatures, redactors that are not the peer,
    /// origin rules; see [`check_origin`]).
    #[serde(default)]
    pub refused: i64,
    /// Why versions were last refused (kept after later pulls succeed).
    #[serde(default)]
    pub last_refusal: Option<String>,
    /// When that was.
    #[serde(default)]
    pub last_refusal_at: Option<String>,
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

/// A held version of an id as the origin rules see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeldOrigin {
    /// The version (`modified`, or `created`, or empty).
    pub version: String,
    /// The origin node of the version; `None` when it was created at this node (its
    /// provenance is local, or it has none yet).
    pub origin: Option<String>,
}

/// Why a version received from a peer is refused by the origin rules.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Refusal {
    /// The object was created at this node: a peer cannot give it new versions.
    #[error("{id} is this node's own object; no peer may send new versions of it")]
    OwnObject {
        /// The object id.
        id: String,
    },
    /// The versions held came from another origin.
    #[error("{id} claims origin {claimed} but the versions held here come from origin {held}")]
    OriginChanged {
        /// The object id.
        id: String,
        /// The origin of the versions held.
        held: String,
        /// The origin the new version claims.
        claimed: String,
    },
}

/// The origin rules for a version of `id` received from a peer, claiming origin
/// `claimed`, given this node's id `me` and the versions of `id` held here:
///
/// - a version already held passes (storing it changes nothing, or is a conflict);
/// - no new version of an object created at this node is taken from a peer (its origin
///   is this node, or a version of it was created here);
/// - an object's origin never changes: a new version must claim the origin of the
///   versions held.
pub fn check_origin(
    me: &str,
    id: &str,
    version: &str,
    claimed: &str,
    held: &[HeldOrigin],
) -> Result<(), Refusal> {
    if held.iter().any(|h| h.version == version) {
        return Ok(());
    }
    if claimed == me
        || held
            .iter()
            .any(|h| h.origin.as_deref().is_none_or(|o| o == me))
    {
        return Err(Refusal::OwnObject { id: id.to_owned() });
    }
    match held
        .iter()
        .find_map(|h| h.origin.as_deref().filter(|o| *o != claimed))
    {
        Some(other) => Err(Refusal::OriginChanged {
            id: id.to_owned(),
            held: other.to_owned(),
            claimed: claimed.to_owned(),
        }),
        None => Ok(()),
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
    /// Records versions from a peer refused (`count` more), with why.
    fn peer_refused(&self, node_id: &str, count: i64, reason: &str) -> Result<(), StoreError>;
    /// Stores objects received from `peer` with their provenance and moves the peer's
    /// cursor to `cursor`, all in one transaction. Each version first passes
    /// [`check_origin`] (`me` is this node's id) against the versions held in that
    /// transaction, and earlier ones of the same call; a refused one is not stored.
    fn ingest_received(
        &self,
        me: &str,
        peer: &str,
        objects: &[Object],
        provenance: &[Provenance],
        cursor: i64,
        head: i64,
    ) -> Result<Vec<Result<Outcome, Refusal>>, StoreError>;
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

#[cfg(test)]
mod tests {
    use super::*;

    fn held(version: &str, origin: Option<&str>) -> HeldOrigin {
        HeldOrigin {
            version: version.into(),
            origin: origin.map(Into::into),
        }
    }

    #[test]
    fn origin_rules() {
        let (v1, v2) = ("2026-01-01T00:00:00.000Z", "2026-02-01T00:00:00.000Z");
        let check = |claimed: &str, h: &[HeldOrigin]| check_origin("me", "x--1", v2, claimed, h);
        // New ids and new versions from the same origin pass.
        assert_eq!(check("a", &[]), Ok(()));
        assert_eq!(check("a", &[held(v1, Some("a"))]), Ok(()));
        // Our own objects: by origin, or held with local provenance or none.
        assert!(matches!(check("me", &[]), Err(Refusal::OwnObject { .. })));
        assert!(matches!(
            check("a", &[held(v1, None)]),
            Err(Refusal::OwnObject { .. })
        ));
        assert!(matches!(
            check("a", &[held(v1, Some("me"))]),
            Err(Refusal::OwnObject { .. })
        ));
        // The origin does not change.
        let e = check("b", &[held(v1, Some("a"))]).unwrap_err();
        assert_eq!(
            e.to_string(),
            "x--1 claims origin b but the versions held here come from origin a"
        );
        // A version already held passes whatever it claims (nothing new is stored).
        assert_eq!(check("b", &[held(v2, None)]), Ok(()));
        assert_eq!(check("me", &[held(v2, Some("a"))]), Ok(()));
    }
}
