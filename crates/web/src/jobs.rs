//! Import jobs: an upload is stored in memory and imported in the background, while its
//! page (`/import/jobs/{id}`) shows the progress and then the per-object results. Jobs
//! belong to the user who started them, are kept in memory only (a restart forgets
//! them), and are bounded: a few running per user, the most recent few kept per user,
//! and finished ones forgotten after an hour. Of several replicas of a node, only the
//! one that received the upload runs the job and shows its page. The progress is not
//! put in the database: the file is in that replica's memory and the job dies with it,
//! so a progress readable elsewhere would only show a job no process can finish, at the
//! cost of a write per batch (`README.md`: a web session stays on one replica while it
//! follows an import).

use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use concord_store::import::{ObjectResult, Summary};

/// Imports one user may run at once.
pub const MAX_RUNNING_PER_USER: usize = 2;
/// Jobs kept per user (the oldest finished one goes first).
pub const MAX_KEPT_PER_USER: usize = 10;
/// Jobs kept in all.
pub const MAX_JOBS: usize = 200;
/// How long a finished job's results stay.
pub const KEEP_FINISHED: Duration = Duration::from_secs(3600);

/// What an import job found, once it is done.
#[derive(Debug, Clone, Default)]
pub struct Outcome {
    /// The format the file was read as (`stix`, `misp`, `csaf`, `csv`, `lines`).
    pub format: &'static str,
    /// Records that could not be converted (the first ones) and how many there were.
    pub problems: Vec<String>,
    /// All conversion problems.
    pub problems_total: usize,
    /// Counts of the import.
    pub summary: Summary,
    /// The first per-object results.
    pub results: Vec<ObjectResult>,
    /// All per-object results.
    pub results_total: usize,
}

/// Where a job is.
#[derive(Debug, Clone)]
pub enum Phase {
    /// Reading and converting the file.
    Reading,
    /// Reading the file and storing its objects (objects stored in [`Job::processed`],
    /// bytes read in [`Job::read`] of [`Job::bytes`]).
    Importing,
    /// Finished.
    Done(Arc<Outcome>),
    /// The file as a whole could not be read (the reason), or the store failed (an error id).
    Failed { reason: String, internal: bool },
}

/// One import.
#[derive(Debug)]
pub struct Job {
    /// Its random id (in the URL).
    pub id: String,
    /// The user who started it.
    pub user: i64,
    /// The uploaded file's name.
    pub file_name: String,
    /// The upload's size in bytes.
    pub bytes: usize,
    /// Bytes of the upload read so far.
    pub read: AtomicUsize,
    /// Objects stored so far.
    pub processed: AtomicUsize,
    phase: Mutex<Phase>,
    finished: Mutex<Option<Instant>>,
}

impl Job {
    /// Its phase now.
    pub fn phase(&self) -> Phase {
        self.phase
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// Moves it to `phase` (a finished phase records when).
    pub fn set(&self, phase: Phase) {
        if matches!(phase, Phase::Done(_) | Phase::Failed { .. }) {
            *self
                .finished
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(Instant::now());
        }
        *self
            .phase
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = phase;
    }

    /// Whether it is still working.
    pub fn running(&self) -> bool {
        self.finished
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .is_none()
    }

    fn expired(&self) -> bool {
        self.finished
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .is_some_and(|t| t.elapsed() > KEEP_FINISHED)
    }
}

/// Why a job was not started.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// The user already runs [`MAX_RUNNING_PER_USER`] imports.
    Busy,
    /// [`MAX_JOBS`] jobs are running.
    Full,
}

/// The jobs of this server, oldest first.
#[derive(Debug, Default)]
pub struct Jobs {
    jobs: Mutex<VecDeque<Arc<Job>>>,
}

impl Jobs {
    /// Registers a new job of `user` (forgetting expired and surplus finished ones).
    pub fn start(&self, user: i64, file_name: String, bytes: usize) -> Result<Arc<Job>, Refused> {
        let mut jobs = self
            .jobs
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        jobs.retain(|j| !j.expired());
        let running = jobs
            .iter()
            .filter(|j| j.user == user && j.running())
            .count();
        if running >= MAX_RUNNING_PER_USER {
            return Err(Refused::Busy);
        }
        // Make room: this user's oldest finished jobs, then anyone's.
        while jobs.iter().filter(|j| j.user == user).count() >= MAX_KEPT_PER_USER {
            match jobs.iter().position(|j| j.user == user && !j.running()) {
                Some(i) => drop(jobs.remove(i)),
                None => break,
            }
        }
        while jobs.len() >= MAX_JOBS {
            match jobs.iter().position(|j| !j.running()) {
                Some(i) => drop(jobs.remove(i)),
                None => return Err(Refused::Full),
            }
        }
        let job = Arc::new(Job {
            id: super::session::random_secret()[..24].to_owned(),
            user,
            file_name,
            bytes,
            read: AtomicUsize::new(0),
            processed: AtomicUsize::new(0),
            phase: Mutex::new(Phase::Reading),
            finished: Mutex::new(None),
        });
        jobs.push_back(job.clone());
        Ok(job)
    }

    /// The job `id` if it belongs to `user`.
    pub fn get(&self, user: i64, id: &str) -> Option<Arc<Job>> {
        self.jobs
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .iter()
            .find(|j| j.user == user && super::session::same(&j.id, id))
            .cloned()
    }

    /// The jobs of `user`, newest first.
    pub fn of(&self, user: i64) -> Vec<Arc<Job>> {
        self.jobs
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .iter()
            .rev()
            .filter(|j| j.user == user && !j.expired())
            .cloned()
            .collect()
    }
}

/// Adds a finished batch's results to a job's progress, keeping the first `keep`.
pub fn record(job: &Job, outcome: &mut Outcome, batch: &[ObjectResult], keep: usize) {
    for r in batch {
        outcome.summary.count(r);
    }
    let room = keep.saturating_sub(outcome.results.len());
    outcome.results.extend(batch.iter().take(room).cloned());
    outcome.results_total += batch.len();
    job.processed.fetch_add(batch.len(), Ordering::Relaxed);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finish(j: &Job) {
        j.set(Phase::Done(Arc::new(Outcome::default())));
    }

    #[test]
    fn jobs_are_per_user_and_bounded() {
        let jobs = Jobs::default();
        let a = jobs.start(1, "a".into(), 1).unwrap();
        let b = jobs.start(1, "b".into(), 1).unwrap();
        assert_eq!(jobs.start(1, "c".into(), 1).unwrap_err(), Refused::Busy);
        // Another user is not held up, and cannot see user 1's jobs.
        let other = jobs.start(2, "x".into(), 1).unwrap();
        assert!(jobs.get(2, &a.id).is_none());
        assert!(jobs.get(1, &other.id).is_none());
        assert_eq!(jobs.get(1, &a.id).unwrap().file_name, "a");
        finish(&a);
        finish(&b);
        for i in 0..MAX_KEPT_PER_USER + 3 {
            let j = jobs.start(1, format!("n{i}"), 1).unwrap();
            finish(&j);
        }
        let mine = jobs.of(1);
        assert_eq!(mine.len(), MAX_KEPT_PER_USER);
        assert_eq!(mine[0].file_name, format!("n{}", MAX_KEPT_PER_USER + 2));
        assert!(
            jobs.get(1, &a.id).is_none(),
            "the oldest finished went first"
        );
        assert_eq!(jobs.of(2).len(), 1);
    }

    #[test]
    fn progress_keeps_the_first_results_and_counts_all() {
        let jobs = Jobs::default();
        let job = jobs.start(1, "f".into(), 1).unwrap();
        let mut out = Outcome::default();
        let r = |i| ObjectResult::Rejected {
            index: i,
            id: None,
            reasons: Vec::new(),
        };
        record(&job, &mut out, &[r(0), r(1), r(2)], 2);
        record(&job, &mut out, &[r(3)], 2);
        assert_eq!(out.results.len(), 2);
        assert_eq!(out.results_total, 4);
        assert_eq!(out.summary.rejected, 4);
        assert_eq!(job.processed.load(Ordering::Relaxed), 4);
    }
}
