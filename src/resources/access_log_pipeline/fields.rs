//! The pipeline's own attribute names and defaults, written once (the stream side's are in
//! `stream_parts::fields`, the stage's in `resources::fields`).

pub use crate::resources::fields::*;
pub use crate::resources::stream_parts::fields::*;

pub const PIPELINE_ID: &str = "pipeline_id";
pub const ENABLED: &str = "enabled";
pub const DELIVERY_STREAM_NAME: &str = "delivery_stream_name";
pub const DELIVERY_STREAM_ARN: &str = "delivery_stream_arn";

/// A pipeline points its stage at its stream unless told otherwise.
pub const DEFAULT_ENABLED: bool = true;
