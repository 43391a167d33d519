//! The pipeline's deterministic stream name, so a re-run after a crash finds (and adopts) what
//! it made.

use crate::resources::stream_parts::names::{STREAM_PREFIX, fit};

const STREAM_NAME_MAX: usize = 64;

/// The stream name used when `delivery_stream_name` is omitted.
pub fn default_stream_name(rest_api_id: &str, stage_name: &str) -> String {
    fit(
        &format!("{STREAM_PREFIX}{rest_api_id}-{stage_name}"),
        STREAM_NAME_MAX,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resources::stream_parts::names::role_name;

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
