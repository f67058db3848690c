//! The status resources of `POST .../objects/` requests, kept in memory: bounded in number
//! and expiring, since TAXII clients read a status soon after the request.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::wire::Status;

/// Statuses kept at most.
pub const MAX_STATUSES: usize = 10_000;
/// How long a status stays readable.
pub const STATUS_TTL: Duration = Duration::from_secs(24 * 3600);

/// In-memory statuses by id.
#[derive(Debug, Default)]
pub struct StatusBoard {
    inner: Mutex<Board>,
}

#[derive(Debug, Default)]
struct Board {
    by_id: HashMap<String, (Instant, String, Status)>,
    order: VecDeque<String>,
}

impl StatusBoard {
    /// Keeps a status, readable by the API root's callers; drops the oldest past the bound.
    pub fn put(&self, owner: &str, status: Status) {
        let mut b = self
            .inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let now = Instant::now();
        while b.order.len() >= MAX_STATUSES
            || b.order
                .front()
                .and_then(|id| b.by_id.get(id))
                .is_some_and(|(t, ..)| now.duration_since(*t) > STATUS_TTL)
        {
            let Some(old) = b.order.pop_front() else {
                break;
            };
            b.by_id.remove(&old);
        }
        b.order.push_back(status.id.clone());
        b.by_id
            .insert(status.id.clone(), (now, owner.to_owned(), status));
    }

    /// The status with this id, if it is known and not expired.
    pub fn get(&self, id: &str) -> Option<Status> {
        let b = self
            .inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        b.by_id
            .get(id)
            .filter(|(t, ..)| t.elapsed() <= STATUS_TTL)
            .map(|(_, _, s)| s.clone())
    }
}
