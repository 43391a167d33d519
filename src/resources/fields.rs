//! The attribute names the resources that manage a stage's access logging share, and their
//! defaults, written once.

pub const ID: &str = "id";
pub const REST_API_ID: &str = "rest_api_id";
pub const STAGE_NAME: &str = "stage_name";
pub const FORMAT: &str = "format";
pub const APPEND_NEWLINE: &str = "append_newline";

/// A format gets its trailing newline unless told otherwise.
pub const DEFAULT_APPEND_NEWLINE: bool = true;

/// The format of a stage whose configuration gives none: the console's JSON preset.
pub const DEFAULT_FORMAT: &str = crate::log_format::JSON;
