//! What the proxy saw and did: calls per API, injected faults, and a log of every answer.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How the proxy answered one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Forwarded to the emulator, which answered with this status.
    Forwarded(u16),
    /// Forwarded, and the stream's status shown as CREATING.
    ShownCreating,
    /// Answered with the stream's description in status DELETING.
    ShownDeleting,
    /// Refused with the service's throttling error: over a rate limit.
    RateLimited,
    /// Refused with the service's throttling error: a random fault.
    Throttled,
    /// Refused with a 5xx: a random fault.
    ServerError,
    /// Refused with the service's access-denied error.
    Denied,
    /// The connection was reset without an answer: a random fault.
    Reset,
    /// Forwarded (the emulator answered with this status), then the connection was reset: a
    /// random fault.
    LostAnswer(u16),
    /// API Gateway ConflictException for UpdateStage.
    Conflict,
    /// Firehose could not assume a role still propagating.
    RoleNotAssumable,
    /// The emulator could not be reached (502).
    UpstreamFailed,
    /// Refused as AWS would refuse it: the request breaks the service's published model or a
    /// documented rule (see [`Breach`]).
    Breach,
    /// Answered as AWS would in an account in this condition (not a breach).
    Simulated(Condition),
    /// Firehose records written to S3 by the proxy as Firehose writes them (`delivery.rs`).
    Delivered,
    /// Answered as AWS answers where the emulator would answer otherwise (not a fault): a
    /// tagging call on a CloudWatch Logs group that does not exist.
    Corrected,
}

/// Conditions of the account the proxy can simulate (see `ProxyConfig`'s switches).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Condition {
    /// A stream delete Firehose gives up on: DELETING, then DELETING_FAILED.
    DeleteFailed,
    /// No CloudWatch Logs role ARN in the account's API Gateway settings.
    CloudWatchRoleUnset,
    /// The account is at its Firehose stream quota.
    StreamQuota,
    /// S3 HeadBucket answered with this status (403 or 301) for a bucket placed in another
    /// account or region.
    BucketElsewhere(u16),
}

impl Outcome {
    /// Whether this is a failure the proxy made up (not the emulator's, not realism).
    pub fn is_fault(self) -> bool {
        matches!(
            self,
            Outcome::RateLimited
                | Outcome::Throttled
                | Outcome::ServerError
                | Outcome::Reset
                | Outcome::LostAnswer(_)
                | Outcome::Conflict
                | Outcome::RoleNotAssumable
                | Outcome::Denied
                | Outcome::Simulated(_)
        )
    }
}

/// One answered request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// When, since the proxy started.
    pub at: Duration,
    /// The `service:Operation` key.
    pub api: String,
    /// What it is about: the stream name of a Firehose call, `<api>/<stage>` of a stage call.
    pub subject: Option<String>,
    /// How it was answered.
    pub outcome: Outcome,
}

/// Totals of what the proxy injected.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Injected {
    /// Throttling errors for requests over a rate limit.
    pub rate_limited: u64,
    /// Random throttling errors.
    pub throttled: u64,
    /// Random 5xx errors.
    pub server_errors: u64,
    /// Random connection resets before the request reached the emulator.
    pub resets: u64,
    /// Random connection resets after the request took effect.
    pub lost_answers: u64,
    /// UpdateStage conflicts.
    pub conflicts: u64,
    /// Firehose refusals of a propagating role.
    pub role_not_assumable: u64,
    /// Access-denied errors.
    pub denied: u64,
    /// Stream descriptions shown as CREATING.
    pub shown_creating: u64,
    /// Stream descriptions shown as DELETING.
    pub shown_deleting: u64,
    /// Requests refused for breaking AWS's contract.
    pub breaches: u64,
    /// Answers simulating a condition of the account.
    pub simulated: u64,
}

impl Injected {
    /// Every failed answer the proxy made up (realistic statuses are not failures).
    pub fn faults(&self) -> u64 {
        self.rate_limited
            + self.throttled
            + self.server_errors
            + self.resets
            + self.lost_answers
            + self.conflicts
            + self.role_not_assumable
            + self.denied
            + self.simulated
    }

    fn add(&mut self, outcome: Outcome) {
        let counter = match outcome {
            Outcome::RateLimited => &mut self.rate_limited,
            Outcome::Throttled => &mut self.throttled,
            Outcome::ServerError => &mut self.server_errors,
            Outcome::Reset => &mut self.resets,
            Outcome::LostAnswer(_) => &mut self.lost_answers,
            Outcome::Conflict => &mut self.conflicts,
            Outcome::RoleNotAssumable => &mut self.role_not_assumable,
            Outcome::Denied => &mut self.denied,
            Outcome::ShownCreating => &mut self.shown_creating,
            Outcome::ShownDeleting => &mut self.shown_deleting,
            Outcome::Breach => &mut self.breaches,
            Outcome::Simulated(_) => &mut self.simulated,
            Outcome::Forwarded(_)
            | Outcome::UpstreamFailed
            | Outcome::Delivered
            | Outcome::Corrected => return,
        };
        *counter += 1;
    }
}

/// A request AWS would refuse that moto would have taken: a breach of the service's
/// published model (a shape rule) or of a documented behaviour.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Breach {
    /// The `service:Operation` key.
    pub api: String,
    /// The rule broken, such as `firehose.CreateDeliveryStream.DeliveryStreamName.length` or
    /// `apigateway.accessLogFormat.singleLine`.
    pub rule: String,
    /// What was wrong, as the error message AWS would give.
    pub detail: String,
}

/// Where every proxy of the suite appends its breaches (one JSON object a line), so the
/// suite can end with their total: `$APIGW_CONTRACT_DIR`, else `<workspace>/target/contract`.
pub fn contract_dir() -> std::path::PathBuf {
    std::env::var_os("APIGW_CONTRACT_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| crate::workspace_root().join("target").join("contract"))
}

/// Appends one line to `<contract_dir>/<file_stem>-<pid>.jsonl`; reporting must never fail a
/// request, so errors are ignored.
pub(crate) fn append_suite_record(file_stem: &str, record: &impl serde::Serialize) {
    use std::io::Write as _;
    let dir = contract_dir();
    let _ = std::fs::create_dir_all(&dir);
    let path = dir.join(format!("{file_stem}-{}.jsonl", std::process::id()));
    if let (Ok(mut file), Ok(line)) = (
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path),
        serde_json::to_string(record),
    ) {
        let _ = writeln!(file, "{line}");
    }
}

/// At most this many events are kept.
const EVENT_LOG_CAP: usize = 200_000;

/// The proxy's counters, shared by all connections.
#[derive(Debug)]
pub(crate) struct Stats {
    started: Instant,
    calls: Mutex<BTreeMap<String, u64>>,
    injected: Mutex<Injected>,
    events: Mutex<Vec<Event>>,
    breaches: Mutex<Vec<Breach>>,
    /// The APIs the provider itself has called (told apart by its User-Agent).
    provider_apis: Mutex<std::collections::BTreeSet<String>>,
    /// Whether breaches are also appended to the suite's breach files.
    breaches_to_suite: bool,
}

/// One API the provider called, as written to the suite's `actions` files.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ProviderCall {
    /// The `service:Operation` key.
    pub api: String,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Stats {
    pub(crate) fn new(breaches_to_suite: bool) -> Stats {
        Stats {
            started: Instant::now(),
            calls: Mutex::new(BTreeMap::new()),
            injected: Mutex::new(Injected::default()),
            events: Mutex::new(Vec::new()),
            breaches: Mutex::new(Vec::new()),
            provider_apis: Mutex::new(std::collections::BTreeSet::new()),
            breaches_to_suite,
        }
    }

    /// Counts a call of `key`; returns how many calls of it came before (0 for the first).
    pub(crate) fn count_call(&self, key: &str) -> u64 {
        let mut calls = lock(&self.calls);
        let n = calls.entry(key.to_owned()).or_insert(0);
        *n += 1;
        *n - 1
    }

    /// Records how a call was answered.
    pub(crate) fn record(&self, key: &str, subject: Option<String>, outcome: Outcome) {
        lock(&self.injected).add(outcome);
        let mut events = lock(&self.events);
        if events.len() < EVENT_LOG_CAP {
            events.push(Event {
                at: self.started.elapsed(),
                api: key.to_owned(),
                subject,
                outcome,
            });
        }
    }

    /// Records a breach of AWS's contract, here and in the suite's breach files. The caller
    /// answers the request with the service's own error and records the outcome
    /// [`Outcome::Breach`].
    pub(crate) fn breach(&self, breach: Breach) {
        if self.breaches_to_suite {
            append_suite_record("breaches", &breach);
        }
        lock(&self.breaches).push(breach);
    }

    /// Notes that the provider called `api`; the first call of each API is also appended to
    /// the suite's `actions` files, which the suite-end report compares with the documented
    /// permissions.
    pub(crate) fn provider_called(&self, api: &str) {
        if lock(&self.provider_apis).insert(api.to_owned()) {
            append_suite_record(
                "actions",
                &ProviderCall {
                    api: api.to_owned(),
                },
            );
        }
    }

    pub(crate) fn breaches(&self) -> Vec<Breach> {
        lock(&self.breaches).clone()
    }

    pub(crate) fn calls(&self) -> BTreeMap<String, u64> {
        lock(&self.calls).clone()
    }

    pub(crate) fn injected(&self) -> Injected {
        *lock(&self.injected)
    }

    pub(crate) fn events(&self) -> Vec<Event> {
        lock(&self.events).clone()
    }
}
