//! The one import path: raw JSON values are validated one by one, good ones are stored
//! in transactional batches, bad ones are reported with their id, path and rule. Every
//! front end reaches it through `concord-ingest`; the ingest benchmark calls it directly.
//!
//! Validation runs on the caller's thread; one writer thread is fed one batch at a time (a
//! bulk import hands it up to three ahead, so validation goes on while a commit and its
//! checkpoint run), so at most two (bulk: four) batches are held whatever the input's size.
//! Indicators whose STIX pattern `concord-pattern` cannot parse are rejected, and patterns
//! are bounded (`limits`: 64 KiB, 1,000 comparisons).
//!
//! `concord import FILE` writes through a bulk session (`SqliteStore::bulk_writer`,
//! `import_values_bulk`): whole batches commit together, at least 50,000 objects per
//! transaction, and are reported only once committed; a batch is never split across
//! transactions; while the session is open it holds the writer connection (other writers
//! wait, up to the busy timeout) and the indexer treats the database as being written.
//!
//! Every import takes each validated object's JSON map out (`Object::take_map`: the writer
//! needs only the columns and canonical text the object keeps) and hands the maps back
//! through a callback at once, and the stored objects once written; `concord import` and
//! feed runs send both to the parser thread that built them to be freed there (mimalloc
//! frees across threads at several times the cost, and maps freed at once are still in the
//! cache when the parser allocates again).

use concord_stix::{Invalid, Object};
use serde::Serialize;
use serde_json::{Map, Value};

use crate::sqlite::{BulkWriter, SqliteStore};
use crate::{Limits, Outcome, Store, StoreError};

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
/// a time, so memory is bounded by the batch size, not by the input (a bulk import holds
/// up to four, see [`import_values_bulk`]). Batches are still
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
    let limits = store.limits();
    pipeline(
        || PerBatch(store),
        &limits,
        values,
        batch,
        1,
        1,
        on_batch,
        &mut drop,
    )
}

/// [`import_values`] for a long import (a feed run): each batch's objects, once written,
/// go to `free` (see [`import_values_bulk`]), and the writer is handed up to three
/// batches ahead, as in a bulk import, so that validation goes on while a transaction
/// commits (batches are reported as late as that).
pub fn import_values_with<I>(
    store: &dyn Store,
    values: I,
    batch: usize,
    on_batch: &mut dyn FnMut(&[ObjectResult]),
    free: &mut dyn FnMut(Freed),
) -> Result<Summary, StoreError>
where
    I: IntoIterator<Item = Value>,
{
    let limits = store.limits();
    pipeline(
        || PerBatch(store),
        &limits,
        values,
        batch,
        1,
        BULK_AHEAD,
        on_batch,
        free,
    )
}

/// What an import hands back to its caller to be freed (see [`import_values_bulk`]).
pub enum Freed {
    /// JSON maps of validated objects, as soon as they are validated (up to
    /// [`MAPS_FREED_AT_ONCE`] at a time): the store's writer needs only the columns and
    /// canonical text that the objects keep ([`Object::take_map`]).
    Maps(Vec<serde_json::Map<String, Value>>),
    /// A batch's objects, once written.
    Objects(Vec<Object>),
}

/// Maps handed back at a time ([`Freed::Maps`]).
pub const MAPS_FREED_AT_ONCE: usize = 256;

/// Objects per transaction for [`import_values_bulk`] (`concord import` uses it).
/// Measured at 100,000 MISP attributes (130,000 objects; 26 transactions of 5,000 ->
/// 3): about 6 % less CPU for the whole import; the saving grows with the database,
/// since each transaction rewrites the random-keyed id index it touches.
pub const BULK_TRANSACTION: usize = 50_000;

/// Batches a bulk import hands the writer ahead of the one being validated. A commit
/// (and SQLite's checkpoint after it, which copies the WAL into the database) takes the
/// writer a quarter of a second at 50,000 objects: with one batch ahead, validation
/// waited for it; with three, it goes on (measured at 100,000 MISP attributes).
const BULK_AHEAD: usize = 3;

/// [`import_values`] into a SQLite store through a [`BulkWriter`]: batches of `batch`
/// objects are validated and written as before, but committed together, whole batches
/// of at least `transaction` objects per transaction, and reported to `on_batch` once
/// committed. Memory stays bounded by the batch size (a written batch's objects are
/// freed before its transaction commits; SQLite keeps the changed pages in its page
/// cache, spilling to the WAL beyond it). If the store fails, what was committed before
/// stays and the open transaction's batches (never reported) are not stored. A store in
/// memory reads through its writer connection, which a bulk session holds: it gets a
/// transaction per batch instead.
///
/// What the import is done with goes to `free` (on the calling thread): each object's
/// JSON map as soon as the object is validated, and the objects themselves (id, columns
/// and canonical text) once written. A caller whose values were built on another thread
/// can send them back there to be dropped: with mimalloc, freeing a block on another
/// thread than the one that allocated it costs several times a local free (at 100,000
/// MISP attributes, dropping the objects on the validating thread took ~0.6 s, a third
/// of that thread's time). The maps come back while they are still in the cache, not
/// after waiting for the writer with up to four batches of others.
pub fn import_values_bulk<I>(
    store: &SqliteStore,
    values: I,
    batch: usize,
    transaction: usize,
    on_batch: &mut dyn FnMut(&[ObjectResult]),
    free: &mut dyn FnMut(Freed),
) -> Result<Summary, StoreError>
where
    I: IntoIterator<Item = Value>,
{
    let limits = store.limits();
    if store.in_memory() {
        return pipeline(
            || PerBatch(store),
            &limits,
            values,
            batch,
            1,
            1,
            on_batch,
            free,
        );
    }
    pipeline(
        || store.bulk_writer(),
        &limits,
        values,
        batch,
        transaction,
        BULK_AHEAD,
        on_batch,
        free,
    )
}

/// Where the writer thread puts batches.
trait Sink {
    /// Writes a batch (committed by the next [`Sink::commit`] at the latest).
    fn put(&mut self, objects: &[Object]) -> Result<Vec<Outcome>, StoreError>;
    /// Commits what was put.
    fn commit(&mut self) -> Result<(), StoreError>;
}

/// A transaction per batch, through the [`Store`] trait.
struct PerBatch<'s>(&'s dyn Store);

impl Sink for PerBatch<'_> {
    fn put(&mut self, objects: &[Object]) -> Result<Vec<Outcome>, StoreError> {
        self.0.ingest(objects)
    }

    fn commit(&mut self) -> Result<(), StoreError> {
        Ok(())
    }
}

impl Sink for BulkWriter<'_> {
    fn put(&mut self, objects: &[Object]) -> Result<Vec<Outcome>, StoreError> {
        self.ingest(objects)
    }

    fn commit(&mut self) -> Result<(), StoreError> {
        BulkWriter::commit(self)
    }
}

/// The import pipeline: validation on the calling thread, a writer thread (which makes
/// its sink with `sink`, so that the sink may hold a lock guard) fed one batch at a
/// time, a commit after every batch that brings the objects since the last commit to
/// `commit_every` or more, and after the last. Up to `ahead` batches (at least one) are
/// handed to the writer while the calling thread validates the next (under `limits`).
/// Written objects go to `free`.
#[allow(clippy::too_many_arguments)]
fn pipeline<I, S>(
    sink: impl FnOnce() -> S + Send,
    limits: &Limits,
    values: I,
    batch: usize,
    commit_every: usize,
    ahead: usize,
    on_batch: &mut dyn FnMut(&[ObjectResult]),
    free: &mut dyn FnMut(Freed),
) -> Result<Summary, StoreError>
where
    I: IntoIterator<Item = Value>,
    S: Sink,
{
    let (batch, ahead) = (batch.max(1), ahead.max(1));
    let mut summary = Summary::default();
    // Up to one batch: validated and written on this thread, one transaction, with no
    // writer thread to start (a request of a few objects would pay more for the thread,
    // and each short-lived thread leaves its allocator pages behind, than for the work).
    let mut values = values.into_iter();
    let first: Vec<Value> = values.by_ref().take(batch + 1).collect();
    if first.len() <= batch {
        let mut one = Batch::with_capacity(first.len());
        let mut maps = Vec::with_capacity(first.len());
        for (index, value) in first.into_iter().enumerate() {
            one.add(index, value, limits, &mut maps);
        }
        free(Freed::Maps(maps));
        let mut sink = sink();
        let stored = one.store(&mut sink).and_then(|(results, objects)| {
            sink.commit()?;
            Ok((results, objects))
        })?;
        report(stored, &mut summary, on_batch, free);
        return Ok(summary);
    }
    let values = first.into_iter().chain(values);
    std::thread::scope(|scope| {
        // One writer thread for the whole import (a thread per batch started with a
        // fresh allocator heap every time), fed up to `ahead` batches at a time.
        let (to_writer, batches) = std::sync::mpsc::sync_channel::<Batch>(ahead);
        let (to_caller, stored) = std::sync::mpsc::channel::<Stored>();
        let writer = scope.spawn(move || {
            let mut sink = sink();
            // Results of the batches written since the last commit.
            let mut pending: Vec<ObjectResult> = Vec::new();
            for b in batches {
                let commit = b.commit;
                let r = b.store(&mut sink).and_then(|(results, objects)| {
                    pending.extend(results);
                    if commit {
                        sink.commit()?;
                        Ok((std::mem::take(&mut pending), objects))
                    } else {
                        Ok((Vec::new(), objects))
                    }
                });
                let failed = r.is_err();
                if to_caller.send(r).is_err() || failed {
                    break;
                }
            }
        });
        // `Ok(None)`: the writer is gone, which only a panic in the store does.
        let result = (|| -> Result<Option<Summary>, StoreError> {
            // Batches handed to the writer whose results have not come back.
            let mut in_flight = 0usize;
            let mut uncommitted = 0usize;
            let mut next = Batch::with_capacity(batch);
            // The writer stopped taking batches: it failed (its error is among the
            // results still queued, after those of the batches before) or panicked.
            let gone = |summary: &mut Summary,
                        on_batch: &mut dyn FnMut(&[ObjectResult]),
                        free: &mut dyn FnMut(Freed)|
             -> Result<Option<Summary>, StoreError> {
                for done in stored.try_iter() {
                    report(done?, summary, on_batch, free);
                }
                Ok(None)
            };
            // Maps of validated objects, handed back in groups.
            let mut maps = Vec::new();
            for (index, value) in values.enumerate() {
                next.add(index, value, limits, &mut maps);
                if maps.len() >= MAPS_FREED_AT_ONCE {
                    free(Freed::Maps(std::mem::take(&mut maps)));
                }
                if next.objects.len() >= batch {
                    while in_flight >= ahead {
                        let Ok(done) = stored.recv() else {
                            return Ok(None);
                        };
                        in_flight -= 1;
                        report(done?, &mut summary, on_batch, free);
                    }
                    let mut full = std::mem::replace(&mut next, Batch::with_capacity(batch));
                    uncommitted += full.objects.len();
                    full.commit = uncommitted >= commit_every;
                    if full.commit {
                        uncommitted = 0;
                    }
                    if to_writer.send(full).is_err() {
                        return gone(&mut summary, on_batch, free);
                    }
                    in_flight += 1;
                }
            }
            free(Freed::Maps(maps));
            // The last batch (possibly empty) commits whatever is still open.
            next.commit = true;
            if to_writer.send(next).is_err() {
                return gone(&mut summary, on_batch, free);
            }
            for _ in 0..=in_flight {
                let Ok(done) = stored.recv() else {
                    return Ok(None);
                };
                report(done?, &mut summary, on_batch, free);
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
    /// Commit after this batch.
    commit: bool,
}

/// A batch after the store had it: the results to report (in input order: those of
/// every batch since the last commit, once committed; none before) and its objects (to
/// be freed by the caller), or the store's error.
type Stored = Result<(Vec<ObjectResult>, Vec<Object>), StoreError>;

impl Batch {
    fn with_capacity(n: usize) -> Self {
        Batch {
            indexes: Vec::with_capacity(n),
            objects: Vec::with_capacity(n),
            results: Vec::new(),
            commit: false,
        }
    }

    /// Validates the input's object at `index` into the batch (or its rejection), its
    /// JSON map going to `maps`.
    fn add(
        &mut self,
        index: usize,
        value: Value,
        limits: &Limits,
        maps: &mut Vec<Map<String, Value>>,
    ) {
        match validate_with(value, limits) {
            Ok(mut obj) => {
                maps.push(obj.take_map());
                self.indexes.push(index);
                self.objects.push(obj);
            }
            Err(Invalid { violations }) => self.results.push(ObjectResult::Rejected {
                index,
                id: violations.first().and_then(|v| v.object_id.clone()),
                reasons: violations,
            }),
        }
    }

    fn store(mut self, sink: &mut impl Sink) -> Stored {
        let outcomes = sink.put(&self.objects)?;
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
    free: &mut dyn FnMut(Freed),
) {
    free(Freed::Objects(objects));
    if results.is_empty() {
        // A batch written but not committed yet (its results come with the commit).
        return;
    }
    for r in &results {
        summary.count(r);
    }
    on_batch(&results);
}

/// Validates one value as the import path does (STIX rules, then the indicator pattern,
/// within the default [`Limits`]), for writers that store through another door (objects
/// received from peers).
pub fn validate(value: Value) -> Result<Object, Invalid> {
    validate_with(value, &Limits::default())
}

/// [`validate`] with the pattern limits of `limits` ([`Store::limits`] gives a store's).
pub fn validate_with(value: Value, limits: &Limits) -> Result<Object, Invalid> {
    Object::from_value(value).and_then(|obj| check_pattern(obj, limits))
}

/// Rejects an indicator whose STIX pattern does not parse (with the parser's message:
/// position and what was expected), is longer than `limits.pattern_bytes`, or has more
/// comparisons than `limits.pattern_comparisons`, at `$.pattern`: one huge pattern would
/// slow every later match.
fn check_pattern(obj: Object, limits: &Limits) -> Result<Object, Invalid> {
    if obj.type_name() != "indicator" || obj.str("pattern_type").is_some_and(|t| t != "stix") {
        return Ok(obj);
    }
    let Some(pattern) = obj.str("pattern") else {
        return Ok(obj);
    };
    let rejected = |rule: &'static str, message: String| Invalid {
        violations: vec![concord_stix::Violation {
            object_id: Some(obj.id().to_owned()),
            path: "$.pattern".into(),
            rule,
            message,
        }],
    };
    if pattern.len() > limits.pattern_bytes {
        return Err(rejected(
            "pattern-size",
            format!(
                "the STIX pattern has {} bytes; at most {} allowed",
                pattern.len(),
                limits.pattern_bytes
            ),
        ));
    }
    match concord_pattern::parse(pattern) {
        Ok(parsed) => {
            let n = comparisons(&parsed.expr);
            if n > limits.pattern_comparisons {
                return Err(rejected(
                    "pattern-size",
                    format!(
                        "the STIX pattern has {n} comparisons; at most {} allowed",
                        limits.pattern_comparisons
                    ),
                ));
            }
            Ok(obj)
        }
        Err(e) => Err(rejected("pattern", format!("invalid STIX pattern: {e}"))),
    }
}

/// The comparisons (`path op value`, `EXISTS path`) of an observation expression.
fn comparisons(expr: &concord_pattern::ast::ObservationExpr) -> usize {
    use concord_pattern::ast::{ComparisonExpr, ObservationExpr};
    fn inside(c: &ComparisonExpr) -> usize {
        match c {
            ComparisonExpr::Comparison(_) => 1,
            ComparisonExpr::And(all) | ComparisonExpr::Or(all) => all.iter().map(inside).sum(),
        }
    }
    match expr {
        ObservationExpr::Observation(c) => inside(c),
        ObservationExpr::And(all) | ObservationExpr::Or(all) | ObservationExpr::FollowedBy(all) => {
            all.iter().map(comparisons).sum()
        }
        ObservationExpr::Qualified(inner, _) => comparisons(inner),
    }
}

#[cfg(test)]
mod tests {
    //! The bulk path against the per-batch path (file stores: a bulk session holds the
    //! writer connection, and readers must not see what is not committed).

    use super::*;
    use serde_json::json;

    fn indicator(id: &str, pattern: &str) -> Value {
        json!({"type": "indicator", "spec_version": "2.1", "id": id,
            "created": "2024-01-01T00:00:00.000Z", "modified": "2024-01-01T00:00:00.000Z",
            "pattern": pattern, "pattern_type": "stix", "valid_from": "2024-01-01T00:00:00Z"})
    }

    /// Every outcome kind and a rejection, spread over several batches and transactions.
    fn mixed_input() -> Vec<serde_json::Value> {
        let mut values = Vec::new();
        for i in 0..40 {
            let id = format!("indicator--{}", uuid::Uuid::new_v4());
            values.push(indicator(
                &id,
                &format!("[ipv4-addr:value = '198.51.100.{i}']"),
            ));
            match i % 5 {
                // The same version again: unchanged.
                0 => values.push(indicator(
                    &id,
                    &format!("[ipv4-addr:value = '198.51.100.{i}']"),
                )),
                // The same version with other content: a conflict.
                1 => values.push(indicator(&id, "[ipv4-addr:value = '203.0.113.1']")),
                // A later version.
                2 => {
                    let mut v = indicator(&id, "[ipv4-addr:value = '203.0.113.2']");
                    v["modified"] = json!("2024-02-01T00:00:00.000Z");
                    values.push(v);
                }
                3 => values.push(indicator(&id, "[ipv4-addr:value = ")),
                _ => {}
            }
        }
        values
    }

    fn outcomes(results: &[ObjectResult]) -> Vec<String> {
        results
            .iter()
            .map(|r| match r {
                ObjectResult::Accepted { index, id, outcome } => {
                    format!("{index} {id} {outcome:?}")
                }
                ObjectResult::Rejected { index, id, reasons } => {
                    format!("{index} {id:?} rejected {}", reasons[0].rule)
                }
            })
            .collect()
    }

    #[test]
    fn bulk_import_gives_the_results_and_versions_of_per_batch_import() {
        let values = mixed_input();
        let dir = tempfile::tempdir().unwrap();
        let per_batch = SqliteStore::open(&dir.path().join("a.db")).unwrap();
        let bulk = SqliteStore::open(&dir.path().join("b.db")).unwrap();
        let (mut a, mut b) = (Vec::new(), Vec::new());
        let sa = import_values(&per_batch, values.clone(), 7, &mut |r| {
            a.extend_from_slice(r)
        })
        .unwrap();
        // Every stored object is handed to `free`, once, and before it the map of every
        // valid one (the rejected are not stored: their maps go with their errors).
        let (mut freed, mut maps) = (Vec::new(), Vec::new());
        let sb = import_values_bulk(
            &bulk,
            values.clone(),
            7,
            20,
            &mut |r| b.extend_from_slice(r),
            &mut |f| match f {
                Freed::Objects(objects) => {
                    freed.extend(objects.into_iter().map(|o| o.id().to_owned()));
                }
                Freed::Maps(m) => maps.extend(m.into_iter().map(|m| m["id"].to_string())),
            },
        )
        .unwrap();
        assert_eq!(sa, sb);
        let accepted: Vec<String> = b
            .iter()
            .filter_map(|r| match r {
                ObjectResult::Accepted { id, .. } => Some(id.clone()),
                ObjectResult::Rejected { .. } => None,
            })
            .collect();
        assert_eq!(freed, accepted);
        let quoted: Vec<String> = accepted.iter().map(|id| format!("{id:?}")).collect();
        assert_eq!(maps, quoted);
        assert_eq!(
            (
                sa.new,
                sa.unchanged,
                sa.conflicts,
                sa.new_versions,
                sa.rejected
            ),
            (40, 8, 8, 8, 8)
        );
        assert_eq!(outcomes(&a), outcomes(&b));
        for v in &values {
            let id = v["id"].as_str().unwrap();
            let held = |s: &SqliteStore| -> Vec<(bool, String)> {
                s.versions(id)
                    .unwrap()
                    .into_iter()
                    .map(|o| (o.current, o.json))
                    .collect()
            };
            assert_eq!(held(&per_batch), held(&bulk), "{id}");
        }
    }

    /// A sink whose `fail_at`-th put fails (puts and commits are counted).
    struct Failing {
        puts: usize,
        fail_at: usize,
        commits: usize,
    }

    impl Sink for Failing {
        fn put(&mut self, objects: &[Object]) -> Result<Vec<Outcome>, StoreError> {
            self.puts += 1;
            if self.puts == self.fail_at {
                return Err(StoreError::Corrupt {
                    id: objects[0].id().to_owned(),
                    reason: "the disk is full".into(),
                });
            }
            Ok(vec![Outcome::New; objects.len()])
        }

        fn commit(&mut self) -> Result<(), StoreError> {
            self.commits += 1;
            Ok(())
        }
    }

    #[test]
    fn a_store_failure_with_batches_in_flight_reports_what_was_committed_then_the_error() {
        let values: Vec<Value> = (0..100)
            .map(|i| {
                let id = format!("indicator--{}", uuid::Uuid::new_v4());
                indicator(&id, &format!("[ipv4-addr:value = '198.51.100.{i}']"))
            })
            .collect();
        for ahead in [1, 3] {
            let (mut reported, mut freed) = (0, 0);
            let r = pipeline(
                || Failing {
                    puts: 0,
                    fail_at: 5,
                    commits: 0,
                },
                &Limits::default(),
                values.clone(),
                7,
                14,
                ahead,
                &mut |results| reported += results.len(),
                &mut |f| {
                    if let Freed::Objects(objects) = f {
                        freed += objects.len();
                    }
                },
            );
            match r {
                Err(StoreError::Corrupt { reason, .. }) => assert_eq!(reason, "the disk is full"),
                other => panic!("ahead {ahead}: expected the store's error, got {other:?}"),
            }
            // Batches 1-4 were put and committed in pairs; the fifth failed.
            assert_eq!((reported, freed), (28, 28), "ahead {ahead}");
        }
    }

    /// Issue 22, item 4: an indicator whose pattern is too long or has too many
    /// comparisons is rejected, naming the object and `$.pattern`; one at the limit is not.
    #[test]
    fn oversized_patterns_are_rejected_with_the_object_and_property() {
        let limits = Limits {
            pattern_bytes: 200,
            pattern_comparisons: 3,
            ..Limits::default()
        };
        let id = "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f";
        let ors = |n: usize| {
            let terms: Vec<String> = (0..n).map(|i| format!("file:name = 'f{i}'")).collect();
            format!("[{}]", terms.join(" OR "))
        };
        let message = |p: &str| match validate_with(indicator(id, p), &limits) {
            Ok(_) => None,
            Err(Invalid { violations }) => Some(violations[0].to_string()),
        };
        assert_eq!(message(&ors(3)), None);
        assert_eq!(
            message(&ors(4)).as_deref(),
            Some(format!("{id}: $.pattern: the STIX pattern has 4 comparisons; at most 3 allowed [pattern-size]").as_str())
        );
        // Observations and qualifiers count the comparisons inside them.
        assert!(
            message("[ipv4-addr:value = '10.0.0.1'] AND [ipv4-addr:value = '10.0.0.2'] FOLLOWEDBY ([file:size = 1 AND file:name = 'x'] WITHIN 5 SECONDS)")
                .is_some_and(|m| m.contains("4 comparisons"))
        );
        let long = format!("[ipv4-addr:value = '{}']", "x".repeat(200));
        assert_eq!(
            message(&long).as_deref(),
            Some(format!("{id}: $.pattern: the STIX pattern has {} bytes; at most 200 allowed [pattern-size]", long.len()).as_str())
        );
        // The defaults: 64 KiB and 1,000 comparisons.
        assert!(validate(indicator(id, &ors(1_000))).is_ok());
        assert!(validate(indicator(id, &ors(1_001))).is_err());
    }

    /// A store's limits are those its imports apply.
    #[test]
    fn imports_apply_the_stores_pattern_limits() {
        let store = SqliteStore::open_in_memory().unwrap().with_limits(Limits {
            pattern_comparisons: 1,
            ..Limits::default()
        });
        let values = vec![
            indicator(
                "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
                "[ipv4-addr:value = '10.0.0.1' OR ipv4-addr:value = '10.0.0.2']",
            ),
            indicator(
                "indicator--9e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
                "[ipv4-addr:value = '10.0.0.1']",
            ),
        ];
        let s = import_values(&store, values, 10, &mut |_| {}).unwrap();
        assert_eq!((s.new, s.rejected), (1, 1));
    }

    #[test]
    fn bulk_import_reports_a_batch_once_its_transaction_committed() {
        let values = mixed_input();
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(&dir.path().join("c.db")).unwrap();
        let mut reports = 0;
        let mut reported = 0;
        import_values_bulk(
            &store,
            values.clone(),
            7,
            20,
            &mut |results| {
                reports += 1;
                reported += results.len();
                // Readers (other connections) see every object reported as accepted.
                for r in results {
                    if let ObjectResult::Accepted { id, .. } = r {
                        assert!(
                            store.get(id).unwrap().is_some(),
                            "{id} reported before commit"
                        );
                    }
                }
            },
            &mut drop,
        )
        .unwrap();
        assert_eq!(reported, values.len());
        // 64 values in batches of 7 valid objects, committed at 20 or more objects per
        // transaction: 3 transactions of 21 objects and the rest, not one report per batch.
        assert_eq!(reports, 4);
    }

    #[test]
    fn a_bulk_session_dropped_before_its_commit_stores_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(&dir.path().join("d.db")).unwrap();
        let id = "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f";
        let obj = Object::from_value(indicator(id, "[ipv4-addr:value = '198.51.100.1']")).unwrap();
        {
            let mut bulk = store.bulk_writer();
            bulk.ingest(std::slice::from_ref(&obj)).unwrap();
        }
        assert!(store.get(id).unwrap().is_none());
        let mut bulk = store.bulk_writer();
        bulk.ingest(std::slice::from_ref(&obj)).unwrap();
        bulk.commit().unwrap();
        drop(bulk);
        assert!(store.get(id).unwrap().is_some());
        // The writer connection is free again for ordinary writes.
        assert_eq!(
            store.ingest(&[obj]).unwrap(),
            vec![crate::Outcome::Unchanged]
        );
    }
}
