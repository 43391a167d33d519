//! A client-side rate limit per AWS API, shared by every operation of one provider process,
//! so that Terraform's parallelism waits its turn here instead of turning into throttling.

use std::collections::HashMap;
use std::num::NonZeroU32;

use governor::{DefaultDirectRateLimiter, Quota};

/// Requests per second allowed for each API, kept at or below AWS's published control-plane
/// rates: Firehose documents 5 per second for its stream-management calls; API Gateway's
/// stage calls and IAM's are given conservative rates, as their quotas are account-wide.
pub const API_RATES: &[(&str, u32)] = &[
    ("firehose:CreateDeliveryStream", 5),
    ("firehose:DeleteDeliveryStream", 5),
    ("firehose:DescribeDeliveryStream", 5),
    ("firehose:UpdateDestination", 5),
    ("firehose:ListTagsForDeliveryStream", 5),
    ("firehose:TagDeliveryStream", 5),
    ("firehose:UntagDeliveryStream", 5),
    ("apigateway:GetStage", 5),
    ("apigateway:GetRestApi", 5),
    ("apigateway:UpdateStage", 5),
    ("iam:GetRole", 10),
    ("iam:CreateRole", 5),
    ("iam:PutRolePolicy", 5),
    ("iam:GetRolePolicy", 10),
    ("iam:ListRolePolicies", 10),
    ("iam:DeleteRolePolicy", 5),
    ("iam:DeleteRole", 5),
    ("iam:TagRole", 5),
    ("iam:UntagRole", 5),
    ("s3:HeadBucket", 50),
    ("sts:GetCallerIdentity", 20),
];

/// One token bucket per API.
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
    /// Buckets at the rates of [`API_RATES`], each with a burst of one second's worth.
    pub fn documented() -> RateLimits {
        let buckets = API_RATES
            .iter()
            .filter_map(|(api, rate)| {
                let per_second = NonZeroU32::new(*rate)?;
                Some((
                    *api,
                    DefaultDirectRateLimiter::direct(Quota::per_second(per_second)),
                ))
            })
            .collect();
        RateLimits { buckets }
    }

    /// Waits until `api` may be called. APIs without a listed rate are not limited.
    pub async fn acquire(&self, api: &str) {
        if let Some(bucket) = self.buckets.get(api) {
            bucket.until_ready().await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bucket_admits_one_seconds_burst_then_refuses() {
        let limits = RateLimits::documented();
        let bucket = &limits.buckets["firehose:CreateDeliveryStream"];
        for _ in 0..5 {
            assert!(bucket.check().is_ok());
        }
        assert!(bucket.check().is_err(), "a sixth immediate call must wait");
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
                assert!(listed.contains(&api), "{api} has no rate in API_RATES");
            }
        }
    }
}
