//! Deterministic names, so a re-run after a crash finds (and adopts) what it made.

/// The only streams API Gateway accepts as access-log destinations start with this ("Log REST
/// API calls to Amazon Data Firehose in API Gateway", API Gateway Developer Guide).
pub const STREAM_PREFIX: &str = "amazon-apigateway-";

const ROLE_NAME_MAX: usize = 64;

/// The owned role's inline policy.
pub const ROLE_POLICY_NAME: &str = "firehose-delivery-to-s3";

/// A short stable hash, to keep truncated names distinct.
fn short_hash(text: &str) -> String {
    // FNV-1a, 32 bits: stable across builds and platforms, unlike std's hasher.
    let mut h: u32 = 0x811c_9dc5;
    for b in text.bytes() {
        h ^= u32::from(b);
        h = h.wrapping_mul(0x0100_0193);
    }
    format!("{h:08x}")
}

/// `base`, or when longer than `max`, its head plus a hash of the whole.
pub fn fit(base: &str, max: usize) -> String {
    if base.len() <= max {
        return base.to_owned();
    }
    let hash = short_hash(base);
    format!("{}-{hash}", &base[..max - hash.len() - 1])
}

/// The owned role's name: IAM is global, so the region is part of it.
pub fn role_name(region: &str, stream_name: &str) -> String {
    let suffix = stream_name
        .strip_prefix(STREAM_PREFIX)
        .unwrap_or(stream_name);
    fit(&format!("apigw-logs-{region}-{suffix}"), ROLE_NAME_MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_names_fit_and_stay_distinct() {
        let long = format!("{STREAM_PREFIX}{}", "s".repeat(60));
        let role = role_name("us-east-1", &long);
        assert!(role.len() <= 64 && role.starts_with("apigw-logs-us-east-1-"));
        assert_ne!(
            role,
            role_name("us-east-1", &format!("{STREAM_PREFIX}{}", "s".repeat(59)))
        );
        assert_eq!(role, role_name("us-east-1", &long));
    }
}
