//! The attachment's own attribute names, written once (the stage's are in
//! `resources::fields`).

pub use crate::resources::fields::*;

pub const ATTACHMENT_ID: &str = "attachment_id";
pub const DESTINATION_ARN: &str = "destination_arn";
