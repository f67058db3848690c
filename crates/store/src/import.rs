//! The one import path: raw JSON values are validated one by one, good ones are stored
//! in transactional batches, bad ones are reported with their id, path and rule. Used by
//! `concord import`, `POST /api/v1/objects` and the ingest benchmark alike.

use concord_stix::{Invalid, Object};
use serde::Serialize;
use serde_json::Value;

use crate::{Outcome, Store, StoreError};

/// Objects per transaction unless the caller says otherwise.
pub const DEFAULT_BATCH: usize = 5_000;

/// What happened to one object of an import.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum ObjectResult {
    /// Stored (or already held).
    Accepted {
        /// Position in the input.
        index: usize,
        /// The object id.
        id: String,
        /// What the store did with it.
        outcome: Outcome,
    },
    /// Not stored.
    Rejected {
        /// Position in the input.
        index: usize,
        /// The object id, if it had a readable one.
        id: Option<String>,
        /// Every rule it breaks.
        reasons: Vec<concord_stix::Violation>,
    },
}

/// Totals of an import.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct Summary {
    /// Ids not held before.
    pub new: usize,
    /// New versions of held ids.
    pub new_versions: usize,
    /// Versions already held, identical.
    pub unchanged: usize,
    /// Versions already held with other content (the held one is kept).
    pub conflicts: usize,
    /// Objects that failed validation.
    pub rejected: usize,
}

impl Summary {
    /// Adds one result.
    pub fn count(&mut self, r: &ObjectResult) {
        match r {
            ObjectResult::Accepted { outcome, .. } => match outcome {
                Outcome::New => self.new += 1,
                Outcome::NewVersion => self.new_versions += 1,
                Outcome::Unchanged => self.unchanged += 1,
                Outcome::Conflict => self.conflicts += 1,
            },
            ObjectResult::Rejected { .. } => self.rejected += 1,
        }
    }

    /// Adds another summary.
    pub fn add(&mut self, o: &Summary) {
        self.new += o.new;
        self.new_versions += o.new_versions;
        self.unchanged += o.unchanged;
        self.conflicts += o.conflicts;
        self.rejected += o.rejected;
    }
}

/// Imports values in batches of `batch` objects. Each committed batch is reported to
/// `on_batch` with the results of its objects (rejections included) before the next
/// starts, so a caller can show progress and knows what is durable. If the store fails,
/// the batches already committed stay committed and the error is returned.
pub fn import_values<I>(
    store: &dyn Store,
    values: I,
    batch: usize,
    on_batch: &mut dyn FnMut(&[ObjectResult]),
) -> Result<Summary, StoreError>
where
    I: IntoIterator<Item = Value>,
{
    let batch = batch.max(1);
    let mut summary = Summary::default();
    let mut pending: Vec<(usize, Object)> = Vec::with_capacity(batch);
    let mut results: Vec<ObjectResult> = Vec::with_capacity(batch);
    for (index, value) in values.into_iter().enumerate() {
        match Object::from_value(value) {
            Ok(obj) => pending.push((index, obj)),
            Err(Invalid { violations }) => results.push(ObjectResult::Rejected {
                index,
                id: violations.first().and_then(|v| v.object_id.clone()),
                reasons: violations,
            }),
        }
        if pending.len() >= batch {
            flush(store, &mut pending, &mut results, &mut summary, on_batch)?;
        }
    }
    flush(store, &mut pending, &mut results, &mut summary, on_batch)?;
    Ok(summary)
}

fn flush(
    store: &dyn Store,
    pending: &mut Vec<(usize, Object)>,
    results: &mut Vec<ObjectResult>,
    summary: &mut Summary,
    on_batch: &mut dyn FnMut(&[ObjectResult]),
) -> Result<(), StoreError> {
    if pending.is_empty() && results.is_empty() {
        return Ok(());
    }
    let objects: Vec<Object> = pending.iter().map(|(_, o)| o.clone()).collect();
    let outcomes = store.ingest(&objects)?;
    for ((index, obj), outcome) in pending.drain(..).zip(outcomes) {
        results.push(ObjectResult::Accepted { index, id: obj.id().to_owned(), outcome });
    }
    results.sort_by_key(|r| match r {
        ObjectResult::Accepted { index, .. } | ObjectResult::Rejected { index, .. } => *index,
    });
    for r in results.iter() {
        summary.count(r);
    }
    on_batch(results);
    results.clear();
    Ok(())
}
