//! Request-rate limits as token buckets, one per API or per service, with defaults taken from
//! AWS's documented control-plane quotas where AWS documents them.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

use super::classify::{Call, Service};

/// What one bucket meters.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Scope {
    /// One API, by its `service:Operation` key.
    Api(String),
    /// Every call to a service (an account-wide total).
    Service(Service),
}

impl Scope {
    /// A scope for one API, such as `Scope::api("firehose:CreateDeliveryStream")`.
    pub fn api(key: &str) -> Scope {
        Scope::Api(key.to_owned())
    }

    fn matches(&self, call: &Call, key: &str) -> bool {
        match self {
            Scope::Api(k) => k == key,
            Scope::Service(s) => *s == call.service,
        }
    }
}

/// One limit: a sustained rate and a burst (the bucket's capacity).
#[derive(Debug, Clone, PartialEq)]
pub struct RateLimit {
    /// What it meters.
    pub scope: Scope,
    /// Tokens added per second.
    pub per_second: f64,
    /// Most tokens the bucket holds (at least 1 is always allowed through when full).
    pub burst: f64,
}

/// A set of limits; a call must find a token in every bucket whose scope matches it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RateLimits {
    rules: Vec<RateLimit>,
}

/// Firehose's documented control-plane rate: its quota page lists CreateDeliveryStream,
/// DeleteDeliveryStream, DescribeDeliveryStream, ListDeliveryStreams, UpdateDestination,
/// TagDeliveryStream, UntagDeliveryStream and ListTagsForDeliveryStream at 5 transactions per
/// second each (per account and Region). No burst is documented; one second's worth is used.
const FIREHOSE_PER_API: &[&str] = &[
    "CreateDeliveryStream",
    "DeleteDeliveryStream",
    "DescribeDeliveryStream",
    "ListDeliveryStreams",
    "UpdateDestination",
    "TagDeliveryStream",
    "UntagDeliveryStream",
    "ListTagsForDeliveryStream",
];

/// API Gateway's documented per-action quotas ("API Gateway quotas for creating, deploying and
/// managing an API"), as (operation, requests, per seconds). Actions not listed, such as
/// GetStage, UpdateStage and GetRestApi, only share the account's total (below).
const APIGATEWAY_PER_API: &[(&str, f64, f64)] = &[
    ("CreateDeployment", 1.0, 5.0),
    ("CreateResource", 5.0, 1.0),
    ("CreateRestApi", 1.0, 3.0),
    ("DeleteResource", 5.0, 1.0),
    ("DeleteRestApi", 1.0, 30.0),
    ("GetResources", 5.0, 2.0),
    ("PutRestApi", 1.0, 1.0),
    ("UpdateAccount", 1.0, 20.0),
];

/// API Gateway's documented total for all management calls of an account: 10 requests per
/// second with a burst of 40.
const APIGATEWAY_TOTAL: (f64, f64) = (10.0, 40.0);

/// IAM publishes no per-API rates (its throttling is account-wide and adaptive). These are
/// estimates in the range commonly observed, lower for writes than for reads: uncertain.
const IAM_ESTIMATES: &[(&str, f64)] = &[
    ("CreateRole", 5.0),
    ("DeleteRole", 5.0),
    ("PutRolePolicy", 5.0),
    ("DeleteRolePolicy", 5.0),
    ("TagRole", 5.0),
    ("UntagRole", 5.0),
    ("GetRole", 20.0),
    ("GetRolePolicy", 20.0),
    ("ListRolePolicies", 20.0),
    ("ListRoles", 20.0),
];

/// CloudWatch Logs' documented rates ("CloudWatch Logs quotas", CloudWatch Logs User Guide),
/// transactions per second per account and Region, for the calls the provider makes.
const LOGS_PER_API: &[(&str, f64)] = &[
    ("CreateLogGroup", 5.0),
    ("CreateLogStream", 50.0),
    ("DeleteLogGroup", 10.0),
    ("DescribeLogGroups", 10.0),
    ("DescribeLogStreams", 25.0),
];

/// STS GetCallerIdentity: an account-level request quota in the hundreds per second (600 is
/// the figure usually quoted; uncertain). Far above anything a test sends.
const STS_ESTIMATE: f64 = 600.0;

/// S3's documented request rate: 5,500 GET/HEAD requests per second per partitioned prefix.
const S3_HEAD_BUCKET: f64 = 5_500.0;

impl RateLimits {
    /// No limits at all.
    pub fn none() -> RateLimits {
        RateLimits::default()
    }

    /// Documented per-API limits (AWS service quotas pages) where AWS documents them, and
    /// marked estimates elsewhere; see the constants of this module for each source.
    pub fn documented() -> RateLimits {
        let mut limits = RateLimits::none();
        for op in FIREHOSE_PER_API {
            limits = limits.with(Scope::Api(format!("firehose:{op}")), 5.0, 5.0);
        }
        for (op, requests, seconds) in APIGATEWAY_PER_API {
            let rate = requests / seconds;
            limits = limits.with(Scope::Api(format!("apigateway:{op}")), rate, *requests);
        }
        let (rate, burst) = APIGATEWAY_TOTAL;
        limits = limits.with(Scope::Service(Service::ApiGateway), rate, burst);
        for (op, rate) in LOGS_PER_API {
            limits = limits.with(Scope::Api(format!("logs:{op}")), *rate, *rate);
        }
        for (op, rate) in IAM_ESTIMATES {
            limits = limits.with(Scope::Api(format!("iam:{op}")), *rate, *rate);
        }
        limits = limits.with(
            Scope::api("sts:GetCallerIdentity"),
            STS_ESTIMATE,
            STS_ESTIMATE,
        );
        limits.with(Scope::api("s3:HeadBucket"), S3_HEAD_BUCKET, S3_HEAD_BUCKET)
    }

    /// Adds (or replaces) the limit for `scope`.
    pub fn with(mut self, scope: Scope, per_second: f64, burst: f64) -> RateLimits {
        self.rules.retain(|r| r.scope != scope);
        self.rules.push(RateLimit {
            scope,
            per_second,
            burst,
        });
        self
    }

    /// Removes the limit for `scope`.
    pub fn without(mut self, scope: &Scope) -> RateLimits {
        self.rules.retain(|r| &r.scope != scope);
        self
    }

    /// Every rate and burst multiplied by `factor` (0.5 halves the allowed rate).
    pub fn scaled(mut self, factor: f64) -> RateLimits {
        for rule in &mut self.rules {
            rule.per_second *= factor;
            rule.burst *= factor;
        }
        self
    }

    /// The limits.
    pub fn rules(&self) -> &[RateLimit] {
        &self.rules
    }
}

/// A token bucket's fill at a moment.
#[derive(Debug)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

/// The running buckets of a set of limits.
#[derive(Debug)]
pub(crate) struct Limiter {
    rules: Vec<RateLimit>,
    buckets: Mutex<HashMap<usize, Bucket>>,
}

impl Limiter {
    pub(crate) fn new(limits: &RateLimits) -> Limiter {
        Limiter {
            rules: limits.rules.clone(),
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes a token from every bucket matching the call; false (taking none) if one is empty.
    pub(crate) fn admit(&self, call: &Call, key: &str, now: Instant) -> bool {
        let matching: Vec<usize> = (0..self.rules.len())
            .filter(|&i| self.rules[i].scope.matches(call, key))
            .collect();
        if matching.is_empty() {
            return true;
        }
        let mut buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        for &i in &matching {
            let rule = &self.rules[i];
            let capacity = rule.burst.max(1.0);
            let bucket = buckets.entry(i).or_insert(Bucket {
                tokens: capacity,
                at: now,
            });
            let elapsed = now.saturating_duration_since(bucket.at).as_secs_f64();
            bucket.tokens = (bucket.tokens + elapsed * rule.per_second).min(capacity);
            bucket.at = now;
        }
        if matching.iter().any(|i| buckets[i].tokens < 1.0) {
            return false;
        }
        for i in &matching {
            if let Some(b) = buckets.get_mut(i) {
                b.tokens -= 1.0;
            }
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn call(service: Service, op: &str) -> Call {
        Call {
            service,
            operation: op.to_owned(),
        }
    }

    #[test]
    fn a_bucket_allows_its_burst_then_its_rate() {
        let limits =
            RateLimits::none().with(Scope::api("firehose:DescribeDeliveryStream"), 5.0, 5.0);
        let limiter = Limiter::new(&limits);
        let c = call(Service::Firehose, "DescribeDeliveryStream");
        let key = c.key();
        let t0 = Instant::now();
        let admitted = (0..8).filter(|_| limiter.admit(&c, &key, t0)).count();
        assert_eq!(admitted, 5);
        // 0.4 s later two more tokens have dripped in.
        let t1 = t0 + Duration::from_millis(400);
        let admitted = (0..8).filter(|_| limiter.admit(&c, &key, t1)).count();
        assert_eq!(admitted, 2);
        let other = call(Service::Firehose, "CreateDeliveryStream");
        assert!(
            limiter.admit(&other, &other.key(), t1),
            "unlisted APIs pass"
        );
    }

    #[test]
    fn a_service_total_is_shared_by_its_apis() {
        let limits = RateLimits::documented().scaled(0.1);
        let limiter = Limiter::new(&limits);
        let t0 = Instant::now();
        let get = call(Service::ApiGateway, "GetStage");
        let update = call(Service::ApiGateway, "UpdateStage");
        // The total is 10/s with a burst of 40, scaled to 1/s and 4.
        let admitted = (0..3)
            .filter(|_| limiter.admit(&get, &get.key(), t0))
            .count()
            + (0..3)
                .filter(|_| limiter.admit(&update, &update.key(), t0))
                .count();
        assert_eq!(admitted, 4);
    }
}
