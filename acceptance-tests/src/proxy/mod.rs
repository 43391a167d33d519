//! A realism and fault proxy between the provider and moto.
//!
//! moto answers every call at once, never throttles, and makes streams ACTIVE and IAM roles
//! usable the instant they are created. Real AWS does none of that. [`Proxy`] is a plain
//! HTTP/1.1 reverse proxy on `127.0.0.1` that forwards the provider's requests to moto
//! unchanged (the SDK's SigV4 signature included; moto does not check it) and, as configured
//! by [`ProxyConfig`]:
//!
//! - counts calls per `service:Operation` (the service from the SigV4 credential scope, the
//!   operation from each service's protocol);
//! - always (unless [`ProxyConfig::contract`] turns it off), refuses a request that breaks its
//!   API's published model (botocore's service models from the emulator's venv), as that
//!   service refuses it, and records a [`Breach`] per broken rule (`contract/`);
//! - shows a new Firehose stream as `CREATING` for a while, and a deleted one as `DELETING`;
//! - reports a stream's encryption status as AWS does, `ENABLING` or `DISABLING` for a while
//!   after each change, and holds changes to Firehose's daily limit (`encryption.rs`);
//! - refuses Firehose calls naming an IAM role created or changed less than a lag ago, with
//!   Firehose's "unable to assume role" error;
//! - answers API Gateway `UpdateStage` with `ConflictException` while another change to the
//!   same stage is settling, or for the first K calls;
//! - enforces per-API token-bucket rate limits ([`RateLimits::documented`]);
//! - fails a seeded random fraction of calls with each service's own throttling error, a 5xx
//!   in its shape, or a connection reset (before the request reaches moto, or after it took
//!   effect, so that the answer is lost);
//! - adds latency per service;
//! - answers S3 HeadBucket for a bucket placed in another account (403) or region (301);
//! - unless [`ProxyConfig::delivery`] turns it off, delivers PutRecord and PutRecordBatch to S3
//!   as Firehose does: AWS's object names and prefix expressions, compression, and records
//!   concatenated with nothing added (`delivery.rs`).
//!
//! Faults are drawn from a generator seeded per run, API and call number, so a seed gives the
//! same faults to the same sequence of calls of each API.
//!
//! ```no_run
//! use acceptance_tests::proxy::{Proxy, ProxyConfig};
//! let proxy = Proxy::start(ProxyConfig::new().seed(7).fault_rate(0.2));
//! // tf.tf_env(&["apply", ...], &[("AWS_ENDPOINT_URL", &proxy.endpoint())]);
//! assert_eq!(proxy.count("firehose:CreateDeliveryStream"), 0);
//! ```

mod buckets;
mod classify;
mod contract;
mod delivery;
mod encryption;
mod faults;
mod handler;
mod limits;
mod logs;
mod realism;
mod rewrite;
mod rules;
mod server;
mod stats;
mod value_rules;

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

pub use buckets::BucketPlacement;
pub use classify::Service;
pub use faults::{FaultKind, FaultMix, Latency};
pub use limits::{RateLimit, RateLimits, Scope};
pub use stats::{Breach, Condition, Event, Injected, Outcome, contract_dir};

use buckets::Placements;
use limits::Limiter;
use realism::{Realism, RealismConfig};
use rules::{Rules, RulesConfig};
use stats::Stats;

/// What the proxy does besides forwarding; [`ProxyConfig::new`] does nothing else.
#[derive(Debug, Clone)]
pub struct ProxyConfig {
    upstream: Option<String>,
    seed: u64,
    latency: Latency,
    service_latency: HashMap<Service, Latency>,
    fault_rate: f64,
    api_fault_rates: HashMap<String, f64>,
    fault_mix: FaultMix,
    rate_limits: RateLimits,
    realism: RealismConfig,
    rules: RulesConfig,
    buckets: Placements,
    /// Whether requests are checked against their API's published model (see `contract/`).
    contract: bool,
    /// Whether breaches count in the suite's total (see [`ProxyConfig::breaches_expected`]).
    breaches_in_suite_total: bool,
    /// Whether Firehose records are delivered to S3 as AWS delivers them (see `delivery.rs`).
    delivery: bool,
}

impl Default for ProxyConfig {
    fn default() -> ProxyConfig {
        ProxyConfig {
            upstream: None,
            seed: 0,
            latency: Latency::default(),
            service_latency: HashMap::new(),
            fault_rate: 0.0,
            api_fault_rates: HashMap::new(),
            fault_mix: FaultMix::default(),
            rate_limits: RateLimits::default(),
            realism: RealismConfig::default(),
            rules: RulesConfig::default(),
            buckets: Placements::default(),
            contract: true,
            breaches_in_suite_total: true,
            delivery: true,
        }
    }
}

impl ProxyConfig {
    /// A transparent proxy: checks each request against its API's published model, forwards
    /// and counts, nothing more.
    pub fn new() -> ProxyConfig {
        ProxyConfig::default()
    }

    /// Whether requests that break their API's published model are refused as AWS refuses
    /// them (default: on). Off only for tests of the layer itself.
    pub fn contract(mut self, on: bool) -> ProxyConfig {
        self.contract = on;
        self
    }

    /// Whether PutRecord and PutRecordBatch are delivered to S3 as Firehose delivers them (AWS's
    /// object names, prefix expressions and compression; default: on), or left to moto, which
    /// writes its own layout uncompressed.
    pub fn delivery(mut self, on: bool) -> ProxyConfig {
        self.delivery = on;
        self
    }

    /// AWS-like behaviour without random faults: the documented rate limits, streams
    /// CREATING and DELETING for 2 s, encryption ENABLING and DISABLING for 2 s, IAM roles usable by Firehose 5 s after each change,
    /// stage changes conflicting within 1 s of each other, and 5-25 ms of latency.
    pub fn realistic() -> ProxyConfig {
        ProxyConfig::new()
            .rate_limits(RateLimits::documented())
            .creating_phase(Duration::from_secs(2))
            .deleting_phase(Duration::from_secs(2))
            .encryption_phase(Duration::from_secs(2))
            .iam_lag(Duration::from_secs(5))
            .conflict_window(Duration::from_secs(1))
            .latency(Latency::new(
                Duration::from_millis(5),
                Duration::from_millis(20),
            ))
    }

    /// Forwards to this base URL (`http://127.0.0.1:PORT`) instead of the harness's moto.
    pub fn upstream(mut self, url: impl Into<String>) -> ProxyConfig {
        self.upstream = Some(url.into());
        self
    }

    /// The seed of every random draw (faults, jitter, request ids).
    pub fn seed(mut self, seed: u64) -> ProxyConfig {
        self.seed = seed;
        self
    }

    /// Latency added to every call (unless [`ProxyConfig::service_latency`] overrides it).
    pub fn latency(mut self, latency: Latency) -> ProxyConfig {
        self.latency = latency;
        self
    }

    /// Latency added to the calls of one service.
    pub fn service_latency(mut self, service: Service, latency: Latency) -> ProxyConfig {
        self.service_latency.insert(service, latency);
        self
    }

    /// The fraction (0 to 1) of calls failed at random, with kinds drawn by the fault mix.
    pub fn fault_rate(mut self, rate: f64) -> ProxyConfig {
        self.fault_rate = rate.clamp(0.0, 1.0);
        self
    }

    /// The fault rate of one API (`service:Operation`), instead of the general one.
    pub fn api_fault_rate(mut self, api: &str, rate: f64) -> ProxyConfig {
        self.api_fault_rates
            .insert(api.to_owned(), rate.clamp(0.0, 1.0));
        self
    }

    /// The weights of throttling, 5xx and resets among random faults (default 1:1:1).
    pub fn fault_mix(mut self, mix: FaultMix) -> ProxyConfig {
        self.fault_mix = mix;
        self
    }

    /// Request-rate limits (default: none).
    pub fn rate_limits(mut self, limits: RateLimits) -> ProxyConfig {
        self.rate_limits = limits;
        self
    }

    /// How long a new Firehose stream is shown as CREATING (default: not at all).
    pub fn creating_phase(mut self, phase: Duration) -> ProxyConfig {
        self.realism.creating_phase = phase;
        self
    }

    /// How long a stream's encryption shows ENABLING or DISABLING after a Start or Stop
    /// (default: 0, switching at once as moto does).
    pub fn encryption_phase(mut self, phase: Duration) -> ProxyConfig {
        self.realism.encryption_phase = phase;
        self
    }

    /// How long a deleted Firehose stream is still described, as DELETING (default: not).
    pub fn deleting_phase(mut self, phase: Duration) -> ProxyConfig {
        self.realism.deleting_phase = phase;
        self
    }

    /// How long after IAM `CreateRole` or `PutRolePolicy` Firehose refuses to assume that
    /// role in `CreateDeliveryStream` and `UpdateDestination` (default: no lag).
    pub fn iam_lag(mut self, lag: Duration) -> ProxyConfig {
        self.realism.iam_lag = lag;
        self
    }

    /// `UpdateStage` conflicts while another `UpdateStage` of the same stage is under way or
    /// ended less than `window` ago (default: never).
    pub fn conflict_window(mut self, window: Duration) -> ProxyConfig {
        self.realism.conflict_window = Some(window);
        self
    }

    /// The first `k` `UpdateStage` calls conflict, whatever the timing (default: 0).
    pub fn conflict_first(mut self, k: u32) -> ProxyConfig {
        self.realism.conflict_first = k;
        self
    }

    /// For tests of the contract itself, which break AWS's rules on purpose: this proxy still
    /// refuses and records each breach, but leaves it out of the suite's total, which counts
    /// the breaches of the provider and the fixtures (default: counted).
    pub fn breaches_expected(mut self) -> ProxyConfig {
        self.breaches_in_suite_total = false;
        self
    }

    /// S3 answers HeadBucket of `bucket` as it does for a bucket in another account or region
    /// (default: every bucket is the caller's, in its region).
    pub fn bucket_placement(mut self, bucket: &str, placement: BucketPlacement) -> ProxyConfig {
        self.buckets.insert(bucket, placement);
        self
    }

    /// The caller may not `iam:CreateServiceLinkedRole`: pointing a stage at a Firehose stream
    /// while the account has no `AWSServiceRoleForAPIGateway` is refused with API Gateway's
    /// AccessDeniedException (default: allowed, and the proxy makes the role as AWS would).
    pub fn deny_service_linked_role(mut self) -> ProxyConfig {
        self.rules.deny_service_linked_role = true;
        self
    }

    /// Stream deletes end in DELETING_FAILED (after the deleting phase) unless made with
    /// `AllowForceDelete: true` (default: deletes succeed).
    pub fn fail_deletes(mut self) -> ProxyConfig {
        self.rules.fail_deletes = true;
        self
    }

    /// The account has no CloudWatch Logs role ARN in API Gateway's settings: pointing a stage
    /// at a CloudWatch Logs group is refused (default: it has one).
    pub fn cloudwatch_role_unset(mut self) -> ProxyConfig {
        self.rules.cloudwatch_role_unset = true;
        self
    }

    /// The account may have at most `quota` Firehose streams: CreateDeliveryStream beyond it is
    /// refused with LimitExceededException (default: no quota).
    pub fn stream_quota(mut self, quota: usize) -> ProxyConfig {
        self.rules.stream_quota = Some(quota);
        self
    }

    fn latency_for(&self, service: Service) -> Latency {
        self.service_latency
            .get(&service)
            .copied()
            .unwrap_or(self.latency)
    }

    fn fault_rate_for(&self, api: &str) -> f64 {
        self.api_fault_rates
            .get(api)
            .copied()
            .unwrap_or(self.fault_rate)
    }
}

/// What every connection of one proxy shares.
#[derive(Debug)]
struct Shared {
    upstream: SocketAddr,
    config: ProxyConfig,
    limiter: Limiter,
    realism: Realism,
    encryption: encryption::Encryption,
    rules: Rules,
    stats: Stats,
}

/// A running proxy; dropping it stops it.
#[derive(Debug)]
pub struct Proxy {
    endpoint: String,
    shared: Arc<Shared>,
    runtime: Option<tokio::runtime::Runtime>,
}

impl Proxy {
    /// Starts a proxy on a free port of 127.0.0.1, on a runtime of its own, forwarding to the
    /// harness's moto (started if needed) unless the config names another upstream.
    pub fn start(config: ProxyConfig) -> Proxy {
        let upstream_url = config
            .upstream
            .clone()
            .unwrap_or_else(|| crate::moto().endpoint.clone());
        let upstream = parse_base_url(&upstream_url);
        if config.contract {
            contract::preload();
        }
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("fault-proxy")
            .enable_all()
            .build()
            .expect("building the proxy's runtime");
        let listener =
            std::net::TcpListener::bind("127.0.0.1:0").expect("binding the proxy's port");
        let addr = listener.local_addr().expect("the proxy's address");
        listener
            .set_nonblocking(true)
            .expect("a non-blocking listener");
        let shared = Arc::new(Shared {
            upstream,
            limiter: Limiter::new(&config.rate_limits),
            realism: Realism::new(config.realism.clone()),
            encryption: encryption::Encryption::new(config.realism.encryption_phase),
            rules: Rules::new(config.rules.clone()),
            stats: Stats::new(config.breaches_in_suite_total),
            config,
        });
        {
            let _entered = runtime.enter();
            let listener =
                tokio::net::TcpListener::from_std(listener).expect("registering the listener");
            runtime.spawn(server::serve(listener, shared.clone()));
        }
        Proxy {
            endpoint: format!("http://{addr}"),
            shared,
            runtime: Some(runtime),
        }
    }

    /// The base URL to give the provider as `AWS_ENDPOINT_URL`: `http://127.0.0.1:PORT`.
    pub fn endpoint(&self) -> String {
        self.endpoint.clone()
    }

    /// How many calls of `api` (`service:Operation`, such as `firehose:CreateDeliveryStream`)
    /// reached the proxy, failed ones included.
    pub fn count(&self, api: &str) -> u64 {
        self.shared.stats.calls().get(api).copied().unwrap_or(0)
    }

    /// How many calls reached the proxy in all.
    pub fn total(&self) -> u64 {
        self.shared.stats.calls().values().sum()
    }

    /// Calls per `service:Operation` so far.
    pub fn counts(&self) -> BTreeMap<String, u64> {
        self.shared.stats.calls()
    }

    /// The calls so far that change something in AWS, per `service:Operation`.
    pub fn writes(&self) -> BTreeMap<String, u64> {
        self.counts()
            .into_iter()
            .filter(|(api, _)| is_write(api))
            .collect()
    }

    /// Totals of what the proxy injected so far.
    pub fn injected(&self) -> Injected {
        self.shared.stats.injected()
    }

    /// Every answered call so far, in order.
    pub fn events(&self) -> Vec<Event> {
        self.shared.stats.events()
    }

    /// Every request refused so far for breaking AWS's contract.
    pub fn breaches(&self) -> Vec<Breach> {
        self.shared.stats.breaches()
    }

    /// Injected failures per API, for reports: `api -> [(outcome, count)]`.
    pub fn faults_by_api(&self) -> BTreeMap<String, BTreeMap<String, u64>> {
        let mut by_api: BTreeMap<String, BTreeMap<String, u64>> = BTreeMap::new();
        for event in self.events().into_iter().filter(|e| e.outcome.is_fault()) {
            *by_api
                .entry(event.api)
                .or_default()
                .entry(format!("{:?}", event.outcome))
                .or_default() += 1;
        }
        by_api
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            // Never blocks, so dropping a proxy is safe anywhere, async code included.
            runtime.shutdown_background();
        }
    }
}

/// `http://127.0.0.1:PORT` (with or without a trailing slash) as a socket address.
fn parse_base_url(url: &str) -> SocketAddr {
    url.strip_prefix("http://")
        .map(|rest| rest.trim_end_matches('/'))
        .and_then(|host_port| host_port.parse().ok())
        .unwrap_or_else(|| panic!("the proxy's upstream must be http://IP:PORT, not {url:?}"))
}

/// Whether a `service:Operation` changes something: anything but a read (`Get*`, `List*`,
/// `Describe*`, `Head*`).
pub fn is_write(api: &str) -> bool {
    let op = api.split_once(':').map_or(api, |(_, op)| op);
    !["Get", "List", "Describe", "Head"]
        .iter()
        .any(|read| op.starts_with(read))
}
