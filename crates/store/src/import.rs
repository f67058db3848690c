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
///
/// The work is pipelined: while the store writes one batch on a helper thread, the
/// calling thread reads and validates the next one (and frees the objects of the batch
/// before, so that the writer does nothing but write). At most two batches are held at
/// a time, so memory is bounded by the batch size, not by the input. Batches are still
/// committed (and reported) one after the other, in input order.
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
    std::thread::scope(|scope| {
        // One writer thread for the whole import (a thread per batch started with a
        // fresh allocator heap every time), fed one batch at a time.
        let (to_writer, batches) = std::sync::mpsc::sync_channel::<Batch>(0);
        let (to_caller, stored) = std::sync::mpsc::channel::<Stored>();
        let writer = scope.spawn(move || {
            for b in batches {
                let r = b.store(store);
                let failed = r.is_err();
                if to_caller.send(r).is_err() || failed {
                    break;
                }
            }
        });
        // `Ok(None)`: the writer is gone, which only a panic in the store does.
        let result = (|| -> Result<Option<Summary>, StoreError> {
            let mut in_flight = false;
            let mut next = Batch::with_capacity(batch);
            for (index, value) in values.into_iter().enumerate() {
                match validate(value) {
                    Ok(obj) => {
                        next.indexes.push(index);
                        next.objects.push(obj);
                    }
                    Err(Invalid { violations }) => next.results.push(ObjectResult::Rejected {
                        index,
                        id: violations.first().and_then(|v| v.object_id.clone()),
                        reasons: violations,
                    }),
                }
                if next.objects.len() >= batch {
                    if std::mem::take(&mut in_flight) {
                        let Ok(done) = stored.recv() else {
                            return Ok(None);
                        };
                        report(done?, &mut summary, on_batch);
                    }
                    let full = std::mem::replace(&mut next, Batch::with_capacity(batch));
                    if to_writer.send(full).is_err() {
                        return Ok(None);
                    }
                    in_flight = true;
                }
            }
            if in_flight {
                let Ok(done) = stored.recv() else {
                    return Ok(None);
                };
                report(done?, &mut summary, on_batch);
            }
            if !next.objects.is_empty() || !next.results.is_empty() {
                if to_writer.send(next).is_err() {
                    return Ok(None);
                }
                let Ok(done) = stored.recv() else {
                    return Ok(None);
                };
                report(done?, &mut summary, on_batch);
            }
            Ok(Some(summary))
        })();
        drop(to_writer);
        let joined = writer.join();
        match (result, joined) {
            (Ok(Some(summary)), _) => Ok(summary),
            (Err(e), _) => Err(e),
            // A panic in the store is a bug; carry it on to the caller's thread.
            (Ok(None), Err(panic)) => std::panic::resume_unwind(panic),
            (Ok(None), Ok(())) => unreachable!("the import's writer ends only after a result"),
        }
    })
}

/// Validated objects waiting to be stored, with the rejections seen among them.
struct Batch {
    indexes: Vec<usize>,
    objects: Vec<Object>,
    results: Vec<ObjectResult>,
}

/// A batch after the store had it: its results in input order and its objects (to be
/// freed by the caller), or the store's error.
type Stored = Result<(Vec<ObjectResult>, Vec<Object>), StoreError>;

impl Batch {
    fn with_capacity(n: usize) -> Self {
        Batch {
            indexes: Vec::with_capacity(n),
            objects: Vec::with_capacity(n),
            results: Vec::new(),
        }
    }

    fn store(mut self, store: &dyn Store) -> Stored {
        let outcomes = store.ingest(&self.objects)?;
        for ((index, obj), outcome) in self.indexes.into_iter().zip(&self.objects).zip(outcomes) {
            self.results.push(ObjectResult::Accepted {
                index,
                id: obj.id().to_owned(),
                outcome,
            });
        }
        self.results.sort_by_key(|r| match r {
            ObjectResult::Accepted { index, .. } | ObjectResult::Rejected { index, .. } => *index,
        });
        Ok((self.results, self.objects))
    }
}

fn report(
    (results, objects): (Vec<ObjectResult>, Vec<Object>),
    summary: &mut Summary,
    on_batch: &mut dyn FnMut(&[ObjectResult]),
) {
    drop(objects);
    for r in &results {
        summary.count(r);
    }
    on_batch(&results);
}

/// Validates one value as the import path does (STIX rules, then the indicator pattern),
/// for writers that store through another door (objects received from peers).
pub fn validate(value: Value) -> Result<Object, Invalid> {
    Object::from_value(value).and_then(check_pattern)
}

/// Rejects an indicator whose STIX pattern does not parse, with the parser's message
/// (position and what was expected) at `$.pattern`.
fn check_pattern(obj: Object) -> Result<Object, Invalid> {
    if obj.type_name() != "indicator" || obj.str("pattern_type").is_some_and(|t| t != "stix") {
        return Ok(obj);
    }
    let Some(pattern) = obj.str("pattern") else {
        return Ok(obj);
    };
    match concord_pattern::parse(pattern) {
        Ok(_) => Ok(obj),
        Err(e) => Err(Invalid {
            violations: vec![concord_stix::Violation {
                object_id: Some(obj.id().to_owned()),
                path: "$.pattern".into(),
                rule: "pattern",
                message: format!("invalid STIX pattern: {e}"),
            }],
        }),
    }
}
