//! The resource's schema: every attribute with its rules beside it.

use crate::firehose_prefix::{self, Kind};
use crate::log_format;
use crate::plugin::schema::{Attribute, Mode, Schema};
use crate::plugin::types::Type;
use crate::plugin::validators::{Chars, Duration, IntRange, Length, OneOf, Prefix};
use crate::stage;
use crate::validators::{AccessLogFormat, Arn, ArnKind, FirehosePrefix, MAX_TAGS, Tags};

use super::catalog_table;
use super::encryption;
use super::error_logging;
use super::ownership::RESERVED_TAGS;
use super::tags::RESERVED_TAG_PREFIX;

/// The only streams API Gateway accepts as access-log destinations start with this.
pub const STREAM_PREFIX: &str = "amazon-apigateway-";

/// Firehose's compression formats for S3 destinations.
pub const COMPRESSIONS: &[&str] = &["UNCOMPRESSED", "GZIP", "ZIP", "Snappy", "HADOOP_SNAPPY"];

/// `rest_api_id`, as the types that manage a stage take it (changing it means another stage).
pub fn rest_api_id() -> Attribute {
    stage::rest_api_id_attribute("Id of the REST API whose stage is logged.").requires_replace()
}

/// `stage_name`, as the types that manage a stage take it.
pub fn stage_name() -> Attribute {
    stage::stage_name_attribute("Name of the stage whose requests are logged.").requires_replace()
}

/// `format`, the stage's access-log format.
pub fn format() -> Attribute {
    Attribute::optional("format", Type::String, "Access-log line format, in API Gateway's `$context` variables. `provider::apigw::log_format(\"clf\")` gives the console's presets.")
        .with_default(log_format::JSON)
        .validate(AccessLogFormat)
}

/// `append_newline`: whether the stage's format gets a trailing newline.
pub fn append_newline() -> Attribute {
    Attribute::optional("append_newline", Type::Bool, "Whether the stage's format gets one `\\n` at its end when it lacks one, so that each record is a line of its own in the objects Firehose writes (API Gateway adds nothing after a record, and Firehose joins records with nothing between them). `format` keeps the text as written; the stage holds it with the newline. Set to false to send the format exactly as written.")
        .with_default(true)
}

pub fn schema() -> Schema {
    let s3 = vec![
        Attribute::required("bucket_arn", Type::String, "ARN of the bucket the logs are delivered to, such as `arn:aws:s3:::my-logs`.")
            .validate(Arn(ArnKind::Bucket)),
        Attribute::optional("prefix", Type::String, "Key prefix of delivered objects. May use Firehose's `!{timestamp:...}` and `!{firehose:random-string}` expressions.")
            .validate(Length { min: 1, max: firehose_prefix::MAX_CHARS })
            .validate(FirehosePrefix(Kind::Prefix)),
        Attribute::optional("error_output_prefix", Type::String, "Key prefix for records Firehose could not deliver. Required when `prefix` uses `!{...}` expressions; when it has expressions itself, one must be `!{firehose:error-output-type}`.")
            .validate(Length { min: 1, max: firehose_prefix::MAX_CHARS })
            .validate(FirehosePrefix(Kind::ErrorOutputPrefix)),
        Attribute::optional("buffering_size_mib", Type::Number, "MiB buffered before delivery, 1 to 128.")
            .with_default(5)
            .validate(IntRange { min: 1, max: 128 }),
        Attribute::optional("buffering_interval_seconds", Type::Number, "Seconds buffered before delivery, 0 to 900.")
            .with_default(300)
            .validate(IntRange { min: 0, max: 900 }),
        Attribute::optional("compression", Type::String, "Compression of delivered objects: `UNCOMPRESSED`, `GZIP`, `ZIP`, `Snappy` or `HADOOP_SNAPPY`.")
            .with_default("GZIP")
            .validate(OneOf(COMPRESSIONS)),
        Attribute::optional("kms_key_arn", Type::String, "KMS key that encrypts delivered objects; none by default.")
            .validate(Arn(ArnKind::KmsKey)),
    ];
    let timeouts = vec![
        Attribute::optional(
            "create",
            Type::String,
            "How long a create may take, such as `30m`. Defaults to `10m`.",
        )
        .validate(Duration),
        Attribute::optional(
            "update",
            Type::String,
            "How long an update may take. Defaults to `10m`.",
        )
        .validate(Duration),
        Attribute::optional(
            "delete",
            Type::String,
            "How long a destroy may take. Defaults to `30m`, as for the AWS provider's Firehose streams.",
        )
        .validate(Duration),
    ];
    Schema::new(
        "API Gateway access logs delivered to S3 through a Kinesis Data Firehose stream: the stream, its IAM role and the stage's access-log settings, as one resource.",
        vec![
            Attribute::computed("id", Type::String, "`<rest_api_id>/<stage_name>`."),
            Attribute::computed("pipeline_id", Type::String, "Identity of this pipeline instance, made on create: the value of the `terraform-provider-apigw:pipeline` tag on the stream and role it makes. Another resource, state or workspace aimed at the same stage has another, and never takes this one's objects."),
            rest_api_id(),
            stage_name(),
            format(),
            append_newline(),
            Attribute::optional("enabled", Type::Bool, "Whether the stage's access logs go to this pipeline. Set to false to detach the stage while keeping the stream; a stage detached outside Terraform reads back as false.")
                .with_default(true),
            Attribute::optional_computed("delivery_stream_name", Type::String, "Name of the Firehose stream. Must start with `amazon-apigateway-`. Derived from the REST API id and stage name when omitted.")
                .requires_replace()
                .validate(Length { min: 1, max: 64 })
                .validate(Prefix { prefix: STREAM_PREFIX, why: "or API Gateway will not deliver to it" })
                .validate(Chars { allowed: |c| c.is_ascii_alphanumeric() || "._-".contains(c), explain: "letters, digits, '.', '_' and '-'" }),
            Attribute::computed("delivery_stream_arn", Type::String, "ARN of the Firehose stream."),
            Attribute::optional_computed("role_arn", Type::String, "IAM role Firehose assumes to write to the bucket. When omitted the provider creates and owns a least-privilege role; when set, the role is used as given and never modified.")
                .validate(Arn(ArnKind::DeliveryRole)),
            Attribute::nested("s3", Mode::Required, "Where and how the logs are delivered.", s3),
            encryption::attribute(),
            catalog_table::attribute(),
            error_logging::attribute(),
            Attribute::computed("s3_destination_uri", Type::String, "Where delivered objects land: `s3://<bucket>/<prefix>`."),
            Attribute::computed("bucket_policy_json", Type::String, "A bucket policy (JSON) that lets the pipeline's role deliver into the bucket: what a bucket of another account must allow. Unknown until the role is; merge its statement into the bucket's policy."),
            Attribute::optional("tags", Type::map(Type::String), "Tags of the stream and of the role the provider owns.")
                .validate(Tags { max: MAX_TAGS - RESERVED_TAGS, reserved_prefix: RESERVED_TAG_PREFIX }),
            Attribute::computed("tags_all", Type::map(Type::String), "`tags` merged over the provider's `default_tags`."),
            Attribute::nested("timeouts", Mode::Optional, "Deadlines of the resource's operations.", timeouts),
        ],
    )
}
