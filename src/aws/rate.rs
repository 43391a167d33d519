//! A client-side rate limit per AWS API, shared by every operation of one provider process,
//! so that Terraform's parallelism waits its turn here instead of turning into throttling.

use std::collections::HashMap;
use std::num::NonZeroU32;
use std::time::Duration;

use governor::{DefaultDirectRateLimiter, Quota};

/// AWS's control-plane request rates per second, by API; `service:*` is a budget all of a
/// service's calls share. Firehose documents 5 per second for each stream-management call and
/// API Gateway 10 per second for an account's calls together; IAM and STS publish no per-API
/// rates, so theirs are conservative estimates.
pub const API_RATES: &[(&str, u32)] = &[
    ("firehose:CreateDeliveryStream", 5),
    ("firehose:DeleteDeliveryStream", 5),
    ("firehose:DescribeDeliveryStream", 5),
    ("firehose:UpdateDestination", 5),
    ("firehose:ListTagsForDeliveryStream", 5),
    ("firehose:TagDeliveryStream", 5),
    ("firehose:UntagDeliveryStream", 5),
    // Five per second, as for the other stream-management calls ("Amazon Data Firehose
    // Quota", Firehose Developer Guide). What bounds them more is "a combined limit of 25 calls per Firehose stream per 24 hours"
    // (StopDeliveryStreamEncryption, Firehose API Reference), which the provider meets by
    // calling them only when the stream's encryption differs from the plan.
    ("firehose:StartDeliveryStreamEncryption", 5),
    ("firehose:StopDeliveryStreamEncryption", 5),
    ("apigateway:*", 10),
    ("iam:GetRole", 10),
    ("iam:CreateRole", 5),
    ("iam:PutRolePolicy", 5),
    ("iam:GetRolePolicy", 10),
    ("iam:ListRolePolicies", 10),
    ("iam:DeleteRolePolicy", 5),
    ("iam:DeleteRole", 5),
    ("iam:TagRole", 5),
    ("iam:UntagRole", 5),
    // "CloudWatch Logs quotas" (CloudWatch Logs User Guide): CreateLogGroup 5, CreateLogStream
    // 50, DeleteLogGroup 10 and DescribeLogStreams 25 transactions per second per account and
    // Region. The tagging calls are paced as conservatively as IAM's.
    ("logs:CreateLogGroup", 5),
    ("logs:CreateLogStream", 50),
    ("logs:DeleteLogGroup", 10),
    ("logs:DescribeLogStreams", 25),
    ("logs:ListTagsForResource", 5),
    ("logs:TagResource", 5),
    ("logs:UntagResource", 5),
    ("s3:HeadBucket", 50),
    ("sts:GetCallerIdentity", 20),
];

/// The limiter paces calls at this share of AWS's rate, one at a time, so that the SDK's own
/// retries and clock differences never push it over AWS's bucket.
const HEADROOM: f64 = 0.9;

/// One token bucket per API (and per service, where a service has a shared budget).
pub struct RateLimits {
    buckets: HashMap<&'static str, DefaultDirectRateLimiter>,
}

impl std::fmt::Debug for RateLimits {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RateLimits")
            .field("apis", &self.buckets.len())
            .finish()
    }
}

impl RateLimits {
    /// Buckets for [`API_RATES`], each paced at `HEADROOM` of its rate.
    pub fn documented() -> RateLimits {
        let buckets = API_RATES
            .iter()
            .filter_map(|(api, rate)| {
                let period = Duration::from_secs_f64(1.0 / (f64::from(*rate) * HEADROOM));
                let quota = Quota::with_period(period)?.allow_burst(NonZeroU32::MIN);
                Some((*api, DefaultDirectRateLimiter::direct(quota)))
            })
            .collect();
        RateLimits { buckets }
    }

    /// Waits until `api` (such as `apigateway:UpdateStage`) may be called, under its own rate
    /// and its service's shared one. APIs without a listed rate are not limited.
    pub async fn acquire(&self, api: &str) {
        if let Some(bucket) = self.buckets.get(api) {
            bucket.until_ready().await;
        }
        let service = api.split_once(':').map_or(api, |(service, _)| service);
        if let Some(bucket) = self.buckets.get(format!("{service}:*").as_str()) {
            bucket.until_ready().await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calls_are_paced_one_at_a_time() {
        let limits = RateLimits::documented();
        for api in ["firehose:CreateDeliveryStream", "apigateway:*"] {
            let bucket = &limits.buckets[api];
            assert!(bucket.check().is_ok());
            assert!(
                bucket.check().is_err(),
                "a second immediate {api} call must wait"
            );
        }
    }

    #[test]
    fn every_api_the_provider_calls_has_a_rate() {
        let listed: Vec<&str> = API_RATES.iter().map(|(a, _)| *a).collect();
        for module in [
            include_str!("firehose.rs"),
            include_str!("apigateway.rs"),
            include_str!("iam.rs"),
            include_str!("s3.rs"),
            include_str!("sts.rs"),
        ] {
            // Every operation name in a string literal, such as "iam:CreateRole".
            let apis = module.split('"').filter(|s| {
                s.split_once(':').is_some_and(|(svc, op)| {
                    ["firehose", "apigateway", "iam", "s3", "sts"].contains(&svc)
                        && op.starts_with(|c: char| c.is_ascii_uppercase())
                        && op.chars().all(|c| c.is_ascii_alphanumeric())
                })
            });
            for api in apis {
                let service_wide = format!("{}:*", api.split(':').next().unwrap_or_default());
                assert!(
                    listed.contains(&api) || listed.contains(&service_wide.as_str()),
                    "{api} has no rate in API_RATES"
                );
            }
        }
    }
}
