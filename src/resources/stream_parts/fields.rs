//! The attribute names of the stream side every stream resource declares, and their defaults,
//! written once: the schemas, plans, models and reads take them from here.

pub const ROLE_ARN: &str = "role_arn";
pub const S3: &str = "s3";
pub const SERVER_SIDE_ENCRYPTION: &str = "server_side_encryption";
pub const CATALOG: &str = "catalog";
pub const ERROR_LOGGING: &str = "error_logging";
pub const S3_DESTINATION_URI: &str = "s3_destination_uri";
pub const BUCKET_POLICY_JSON: &str = "bucket_policy_json";
pub const TAGS: &str = "tags";
pub const TAGS_ALL: &str = "tags_all";
pub const TIMEOUTS: &str = "timeouts";

/// In `s3`.
pub mod s3 {
    pub const BUCKET_ARN: &str = "bucket_arn";
    pub const PREFIX: &str = "prefix";
    pub const ERROR_OUTPUT_PREFIX: &str = "error_output_prefix";
    pub const BUFFERING_SIZE_MIB: &str = "buffering_size_mib";
    pub const BUFFERING_INTERVAL_SECONDS: &str = "buffering_interval_seconds";
    pub const COMPRESSION: &str = "compression";
    pub const KMS_KEY_ARN: &str = "kms_key_arn";

    use crate::aws::firehose;

    /// Firehose's own buffering defaults.
    pub const DEFAULT_BUFFERING_SIZE_MIB: i64 = firehose::DEFAULT_BUFFERING_SIZE_MIB as i64;
    pub const DEFAULT_BUFFERING_INTERVAL_SECONDS: i64 =
        firehose::DEFAULT_BUFFERING_INTERVAL_SECONDS as i64;
    /// The provider's choice (Firehose's own default is UNCOMPRESSED): access logs compress well.
    pub const DEFAULT_COMPRESSION: &str = "GZIP";
}

/// In `server_side_encryption`.
pub mod encryption {
    pub const ENABLED: &str = "enabled";
    pub const KEY_TYPE: &str = "key_type";
}

/// In `error_logging`.
pub mod error_logging {
    pub const ENABLED: &str = "enabled";
    pub const LOG_GROUP_NAME: &str = "log_group_name";
    pub const LOG_STREAM_NAME: &str = "log_stream_name";

    /// On by default, as in the Firehose console.
    pub const DEFAULT_ENABLED: bool = true;
}

/// In `catalog`.
pub mod catalog {
    pub const DATABASE: &str = "database";
    pub const TABLE: &str = "table";
    pub const PARQUET: &str = "parquet";
    pub const TABLE_ARN: &str = "table_arn";

    pub const DEFAULT_PARQUET: bool = false;
}

/// In `timeouts`: one per operation with a deadline of its own.
pub mod timeouts {
    pub const CREATE: &str = "create";
    pub const UPDATE: &str = "update";
    pub const DELETE: &str = "delete";
}
