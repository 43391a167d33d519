//! The schema of the parts every stream resource has, with the same names, rules and defaults
//! in each: the `s3` block and `timeouts`.

use crate::firehose_prefix::{self, Kind};
use crate::plugin::schema::{Attribute, Mode};
use crate::plugin::types::Type;
use crate::plugin::validators::{Duration, IntRange, Length, OneOf};
use crate::validators::{Arn, ArnKind, FirehosePrefix};

use super::fields::{self, s3, timeouts};

/// Firehose's compression formats for S3 destinations.
pub const COMPRESSIONS: &[&str] = &["UNCOMPRESSED", "GZIP", "ZIP", "Snappy", "HADOOP_SNAPPY"];

/// The `s3` block; `prefix` says which expressions the key prefix may use.
pub fn s3(prefix: Kind) -> Attribute {
    let prefix_doc = match prefix {
        Kind::PartitionedPrefix(_) => {
            "Key prefix of delivered objects. May use Firehose's `!{timestamp:...}` and `!{firehose:random-string}` expressions, and with `partitioning` must use `!{partitionKeyFromQuery:api_id}` and `!{partitionKeyFromQuery:stage}`."
        }
        _ => {
            "Key prefix of delivered objects. May use Firehose's `!{timestamp:...}` and `!{firehose:random-string}` expressions."
        }
    };
    let s3 = vec![
        Attribute::required(s3::BUCKET_ARN, Type::String, "ARN of the bucket the logs are delivered to, such as `arn:aws:s3:::my-logs`.")
            .validate(Arn(ArnKind::Bucket)),
        Attribute::optional(s3::PREFIX, Type::String, prefix_doc)
            .validate(Length { min: 1, max: firehose_prefix::MAX_CHARS })
            .validate(FirehosePrefix(prefix)),
        Attribute::optional(s3::ERROR_OUTPUT_PREFIX, Type::String, "Key prefix for records Firehose could not deliver. Required when `prefix` uses `!{...}` expressions; when it has expressions itself, one must be `!{firehose:error-output-type}`.")
            .validate(Length { min: 1, max: firehose_prefix::MAX_CHARS })
            .validate(FirehosePrefix(Kind::ErrorOutputPrefix)),
        Attribute::optional(s3::BUFFERING_SIZE_MIB, Type::Number, "MiB buffered before delivery, 1 to 128.")
            .with_default(s3::DEFAULT_BUFFERING_SIZE_MIB)
            .validate(IntRange { min: 1, max: 128 }),
        Attribute::optional(s3::BUFFERING_INTERVAL_SECONDS, Type::Number, "Seconds buffered before delivery, 0 to 900.")
            .with_default(s3::DEFAULT_BUFFERING_INTERVAL_SECONDS)
            .validate(IntRange { min: 0, max: 900 }),
        Attribute::optional(s3::COMPRESSION, Type::String, "Compression of delivered objects: `UNCOMPRESSED`, `GZIP`, `ZIP`, `Snappy` or `HADOOP_SNAPPY`.")
            .with_default(s3::DEFAULT_COMPRESSION)
            .validate(OneOf(COMPRESSIONS)),
        Attribute::optional(s3::KMS_KEY_ARN, Type::String, "KMS key that encrypts delivered objects; none by default.")
            .validate(Arn(ArnKind::KmsKey)),
    ];
    Attribute::nested(
        fields::S3,
        Mode::Required,
        "Where and how the logs are delivered.",
        s3,
    )
}

/// The `timeouts` block.
pub fn timeouts() -> Attribute {
    let timeouts = vec![
        Attribute::optional(
            timeouts::CREATE,
            Type::String,
            "How long a create may take, such as `30m`. Defaults to `10m`.",
        )
        .validate(Duration),
        Attribute::optional(
            timeouts::UPDATE,
            Type::String,
            "How long an update may take. Defaults to `10m`.",
        )
        .validate(Duration),
        Attribute::optional(
            timeouts::DELETE,
            Type::String,
            "How long a destroy may take. Defaults to `30m`, as for the AWS provider's Firehose streams.",
        )
        .validate(Duration),
    ];
    Attribute::nested(
        fields::TIMEOUTS,
        Mode::Optional,
        "Deadlines of the resource's operations.",
        timeouts,
    )
}
