//! What the simulator remembers between requests: the request log, the jobs,
//! the faults (scripted and random) and their counts, the id generator, the
//! webhook setting and the webhook delivery log, all behind one lock.
//!
//! One `std::sync::Mutex` is enough: every critical section is a few
//! in-memory operations and none is held across an `.await`.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Instant;

use tokio::sync::mpsc::UnboundedSender;

use crate::faults::{Fault, FaultQueue, RandomFaultPicker};
use crate::jobs::{Job, JobIds, JobType, Submission};
use crate::webhooks::{Target, WatchedJob, WebhookConfig, WebhookDelivery};
use crate::{RecordedRequest, SimConfig, Stats};

/// State shared by the [`Simulator`](crate::Simulator) handle, every
/// connection task and the webhook task.
#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) config: SimConfig,
    /// Tells the webhook task about each new job.
    watch_jobs: UnboundedSender<WatchedJob>,
    state: Mutex<State>,
}

#[derive(Debug)]
struct State {
    requests: Vec<RecordedRequest>,
    jobs: HashMap<String, Job>,
    faults: FaultQueue,
    random_faults: Option<RandomFaultPicker>,
    fault_counts: FaultCounts,
    ids: JobIds,
    /// The webhook setting now, with its URL already parsed.
    webhook: Option<(WebhookConfig, Target)>,
    deliveries: Vec<WebhookDelivery>,
}

impl State {
    fn jobs_by_name(&self) -> HashMap<String, usize> {
        let mut by_name = HashMap::new();
        for job in self.jobs.values() {
            *by_name.entry(job.name.clone()).or_default() += 1;
        }
        by_name
    }
}

#[derive(Debug, Default)]
struct FaultCounts {
    scripted: usize,
    random: usize,
    by_kind: BTreeMap<&'static str, usize>,
}

/// Where the fault applied to a request came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FaultSource {
    Scripted,
    Random,
}

impl Shared {
    /// Fresh state; `id_seed` makes this simulator's job ids its own. The
    /// configuration must have passed validation (see `Simulator::start`).
    pub(crate) fn new(config: SimConfig, id_seed: u64, watch_jobs: UnboundedSender<WatchedJob>) -> Shared {
        let random_faults = config.random_faults.as_ref().map(RandomFaultPicker::new);
        let webhook = config.webhook.clone().map(|webhook| {
            let target = Target::parse(&webhook.url).expect("validated before start");
            (webhook, target)
        });
        Shared {
            config,
            watch_jobs,
            state: Mutex::new(State {
                requests: Vec::new(),
                jobs: HashMap::new(),
                faults: FaultQueue::default(),
                random_faults,
                fault_counts: FaultCounts::default(),
                ids: JobIds::new(id_seed),
                webhook,
                deliveries: Vec::new(),
            }),
        }
    }

    /// A panic while holding the lock (there should be none) must not turn
    /// every later request into a second panic; the data stays usable.
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Records a request whose body was read in full and picks its fault, in
    /// one step: the n-th recorded request is the one that got the n-th
    /// random draw.
    pub(crate) fn record_and_pick_fault(&self, mut request: RecordedRequest) -> Option<Fault> {
        let mut state = self.lock();
        // Draw even when a scripted fault wins, so that the draws of later
        // requests do not depend on the script.
        let random = state
            .random_faults
            .as_mut()
            .and_then(RandomFaultPicker::next_fault);
        let picked = match state.faults.next_fault() {
            Some(fault) => Some((fault, FaultSource::Scripted)),
            None => random.map(|fault| (fault, FaultSource::Random)),
        };
        if let Some((fault, source)) = &picked {
            let counts = &mut state.fault_counts;
            match source {
                FaultSource::Scripted => counts.scripted += 1,
                FaultSource::Random => counts.random += 1,
            }
            *counts.by_kind.entry(fault.kind_name()).or_default() += 1;
            request.fault = Some(fault.kind_name().to_owned());
        }
        state.requests.push(request);
        picked.map(|(fault, _)| fault)
    }

    /// Records a request that gets no answer and uses no fault (the client
    /// went away mid-body).
    pub(crate) fn record_unanswered(&self, request: RecordedRequest) {
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

    /// Stores a new job submitted at `now`, has the webhook task watch it,
    /// and returns its id.
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
        let config = &self.config;
        let watched = WatchedJob {
            id: id.clone(),
            job_type,
            final_status: job.final_status(),
            finished_at: job.finished_at(config.pending_for, config.processing_for),
            seq: state.jobs.len() as u64,
        };
        state.jobs.insert(id.clone(), job);
        // Sent under the lock so that the webhook task sees jobs in `seq`
        // order. Fails only once the webhook task is gone, i.e. after
        // shutdown, when there is nothing left to deliver anyway.
        let _ = self.watch_jobs.send(watched);
        id
    }

    /// Runs `f` on the job with this id, if there is one.
    pub(crate) fn with_job<R>(&self, id: &str, f: impl FnOnce(&Job) -> R) -> Option<R> {
        self.lock().jobs.get(id).map(f)
    }

    pub(crate) fn stats(&self) -> Stats {
        let state = self.lock();
        let counts = &state.fault_counts;
        Stats {
            requests: state.requests.len(),
            faults: counts.scripted + counts.random,
            scripted_faults: counts.scripted,
            random_faults: counts.random,
            faults_by_kind: counts
                .by_kind
                .iter()
                .map(|(kind, n)| ((*kind).to_owned(), *n))
                .collect(),
            jobs_created: state.jobs.len(),
            jobs_by_name: state.jobs_by_name(),
            webhook_attempts: state.deliveries.len(),
            webhook_successes: state.deliveries.iter().filter(|d| d.succeeded()).count(),
        }
    }

    pub(crate) fn jobs_by_name(&self) -> HashMap<String, usize> {
        self.lock().jobs_by_name()
    }

    /// Replaces the webhook setting; `config` must have passed validation.
    pub(crate) fn set_webhook(&self, config: Option<WebhookConfig>) {
        let webhook = config.map(|config| {
            let target = Target::parse(&config.url).expect("validated by the caller");
            (config, target)
        });
        self.lock().webhook = webhook;
    }

    pub(crate) fn webhook(&self) -> Option<WebhookConfig> {
        self.lock().webhook.as_ref().map(|(config, _)| config.clone())
    }

    pub(crate) fn webhook_target(&self) -> Option<Target> {
        self.lock().webhook.as_ref().map(|(_, target)| target.clone())
    }

    pub(crate) fn record_delivery(&self, delivery: WebhookDelivery) {
        self.lock().deliveries.push(delivery);
    }

    pub(crate) fn deliveries(&self) -> Vec<WebhookDelivery> {
        self.lock().deliveries.clone()
    }
}
