//! How a stage says that an `apigw_stage_access_log` attachment has it: a tag on the stage
//! itself, since the stream it logs to may be shared, or someone else's, and cannot carry a
//! record per stage. Beside it, the stage carries the attachment's record of what it had
//! before (the same `terraform-provider-apigw:earlier` tags a pipeline writes on its stream).

/// On a stage: the attachment instance that points it at a stream, `<id>` (or `<id> creating`
/// while its create has not finished).
pub const ATTACHMENT_TAG: &str = "terraform-provider-apigw:attachment";
