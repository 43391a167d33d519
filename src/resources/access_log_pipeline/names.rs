//! Deterministic names, so a re-run after a crash finds (and adopts) what it made.

use super::schema::STREAM_PREFIX;

const STREAM_NAME_MAX: usize = 64;
const ROLE_NAME_MAX: usize = 64;

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
fn fit(base: &str, max: usize) -> String {
    if base.len() <= max {
        return base.to_owned();
    }
    let hash = short_hash(base);
    format!("{}-{hash}", &base[..max - hash.len() - 1])
}

/// The stream name used when `delivery_stream_name` is omitted.
pub fn default_stream_name(rest_api_id: &str, stage_name: &str) -> String {
    fit(
        &format!("{STREAM_PREFIX}{rest_api_id}-{stage_name}"),
        STREAM_NAME_MAX,
    )
}

/// The owned role's name: IAM is global, so the region is part of it.
pub fn role_name(region: &str, stream_name: &str) -> String {
    let suffix = stream_name
        .strip_prefix(STREAM_PREFIX)
        .unwrap_or(stream_name);
    fit(&format!("apigw-logs-{region}-{suffix}"), ROLE_NAME_MAX)
}

/// The owned role's inline policy.
pub const ROLE_POLICY_NAME: &str = "firehose-delivery-to-s3";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_deterministic_and_fit() {
        assert_eq!(
            default_stream_name("a1b2c3d4e5", "prod"),
            "amazon-apigateway-a1b2c3d4e5-prod"
        );
        let long = default_stream_name("a1b2c3d4e5", &"s".repeat(100));
        assert_eq!(long.len(), 64);
        assert_eq!(long, default_stream_name("a1b2c3d4e5", &"s".repeat(100)));
        assert_ne!(long, default_stream_name("a1b2c3d4e5", &"s".repeat(99)));
        assert!(long.starts_with(STREAM_PREFIX));
        let role = role_name("us-east-1", &long);
        assert!(role.len() <= 64 && role.starts_with("apigw-logs-us-east-1-"));
    }
}
