//! The status resources of `POST .../objects/` requests, kept in the node's store
//! (`concord_store::ephemeral`), so that a client may read a status from any replica of
//! the node: bounded in number and expiring, since TAXII clients read a status soon
//! after the request.

use std::sync::Arc;
use std::time::Duration;

use concord_store::ephemeral::{Bounds, now_ms};
use concord_store::{Store, StoreError};

use crate::wire::Status;

/// Statuses kept at most.
pub const MAX_STATUSES: usize = 10_000;
/// How long a status stays readable.
pub const STATUS_TTL: Duration = Duration::from_secs(24 * 3600);

/// [`STATUS_TTL`] in milliseconds.
fn ttl_ms() -> i64 {
    i64::try_from(STATUS_TTL.as_millis()).unwrap_or(i64::MAX)
}

/// Statuses by id, in the node's store. Its methods are blocking (a small write, a point
/// read).
#[derive(Clone)]
pub struct StatusBoard {
    store: Arc<dyn Store>,
}

impl std::fmt::Debug for StatusBoard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StatusBoard").finish_non_exhaustive()
    }
}

impl StatusBoard {
    /// The statuses kept in `store`.
    pub fn new(store: Arc<dyn Store>) -> StatusBoard {
        StatusBoard { store }
    }

    /// Keeps a status, readable by the API root's callers; drops expired ones and the
    /// oldest past [`MAX_STATUSES`].
    ///
    /// # Errors
    /// The store failed.
    pub fn put(&self, owner: &str, status: &Status) -> Result<(), StoreError> {
        let json = serde_json::to_string(status)
            .map_err(|e| StoreError::Backend(format!("status {}: {e}", status.id)))?;
        self.store.put_taxii_status(
            &status.id,
            owner,
            &json,
            now_ms(),
            Bounds {
                keep: MAX_STATUSES,
                ttl_ms: ttl_ms(),
            },
        )
    }

    /// The status with this id, if it is known and not expired.
    ///
    /// # Errors
    /// The store failed, or holds a status it cannot read back.
    pub fn get(&self, id: &str) -> Result<Option<Status>, StoreError> {
        let Some(json) = self
            .store
            .taxii_status(id, now_ms().saturating_sub(ttl_ms()))?
        else {
            return Ok(None);
        };
        serde_json::from_str(&json)
            .map(Some)
            .map_err(|e| StoreError::Corrupt {
                id: format!("TAXII status {id}"),
                reason: e.to_string(),
            })
    }
}
