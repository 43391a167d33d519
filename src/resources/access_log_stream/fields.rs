//! The stream resource's own attribute names and defaults, written once (the stream side's
//! shared ones are in `stream_parts::fields`).

pub use crate::resources::fields::{FORMAT, ID};
pub use crate::resources::stream_parts::fields::*;

pub const STREAM_ID: &str = "stream_id";
pub const NAME: &str = "name";
pub const ARN: &str = "arn";
pub const PARTITIONING: &str = "partitioning";
pub const FORMATS: &str = "formats";

/// Dynamic partitioning is off unless asked for (AWS bills it per GB on top of ingestion).
pub const DEFAULT_PARTITIONING: bool = false;
