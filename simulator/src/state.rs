//! What the simulator remembers between requests: the request log, the jobs,
//! the fault queue and the id generator, all behind one lock.
//!
//! One `std::sync::Mutex` is enough: every critical section is a few
//! in-memory operations and none is held across an `.await`.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Instant;

use crate::faults::{Fault, FaultQueue};
use crate::jobs::{Job, JobIds, JobType, Submission};
use crate::{RecordedRequest, SimConfig};

/// State shared by the [`Simulator`](crate::Simulator) handle and every
/// connection task.
#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) config: SimConfig,
    state: Mutex<State>,
}

#[derive(Debug)]
struct State {
    requests: Vec<RecordedRequest>,
    jobs: HashMap<String, Job>,
    faults: FaultQueue,
    ids: JobIds,
}

impl Shared {
    /// Fresh state; `id_seed` makes this simulator's job ids its own.
    pub(crate) fn new(config: SimConfig, id_seed: u64) -> Shared {
        Shared {
            config,
            state: Mutex::new(State {
                requests: Vec::new(),
                jobs: HashMap::new(),
                faults: FaultQueue::default(),
                ids: JobIds::new(id_seed),
            }),
        }
    }

    /// A panic while holding the lock (there should be none) must not turn
    /// every later request into a second panic; the data stays usable.
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn record(&self, request: RecordedRequest) {
        self.lock().requests.push(request);
    }

    pub(crate) fn requests(&self) -> Vec<RecordedRequest> {
        self.lock().requests.clone()
    }

    pub(crate) fn job_count(&self) -> usize {
        self.lock().jobs.len()
    }

    pub(crate) fn inject(&self, fault: Fault, times: usize) {
        self.lock().faults.push(fault, times);
    }

    pub(crate) fn next_fault(&self) -> Option<Fault> {
        self.lock().faults.next_fault()
    }

    /// Stores a new job submitted at `now` and returns its id.
    pub(crate) fn create_job(&self, job_type: JobType, submission: Submission, now: Instant) -> String {
        let mut state = self.lock();
        let id = state.ids.next_id();
        let job = Job {
            id: id.clone(),
            job_type,
            name: submission.job_name,
            records: submission.records,
            submitted_at: now,
        };
        state.jobs.insert(id.clone(), job);
        id
    }

    /// Runs `f` on the job with this id, if there is one.
    pub(crate) fn with_job<R>(&self, id: &str, f: impl FnOnce(&Job) -> R) -> Option<R> {
        self.lock().jobs.get(id).map(f)
    }
}
