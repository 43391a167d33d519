//! The resource's schema: every attribute with its rules beside it.

use crate::firehose_prefix::Kind;
use crate::plugin::schema::{Attribute, Schema};
use crate::plugin::types::Type;
use crate::plugin::validators::{Chars, Length, Prefix};
use crate::resources::stream_parts::names::STREAM_PREFIX;
use crate::resources::stream_parts::tags::RESERVED_TAG_PREFIX;
use crate::resources::stream_parts::{catalog_table, encryption, error_logging, schema};
use crate::validators::{AccessLogFormat, Arn, ArnKind, MAX_TAGS, Tags};

use super::fields::*;
use super::formats;
use super::model::RESERVED_TAGS;

/// The partition keys a partitioned stream's prefix may use.
pub const PARTITION_KEYS: &[&str] = &["api_id", "stage"];

pub fn schema() -> Schema {
    Schema::new(
        "A Kinesis Data Firehose stream that many API Gateway stages deliver their access logs into, with its IAM role, S3 destination, error logging, encryption and an optional Glue table; optionally partitioned in S3 per API and stage.",
        vec![
            Attribute::computed(ID, Type::String, "The stream's name.").use_state_for_unknown(),
            Attribute::computed(STREAM_ID, Type::String, "Identity of this resource instance, made on create: the value of the `terraform-provider-apigw:stream` tag on the stream, role and log group it makes. Another resource, state or workspace has another, and never takes this one's objects. For a stream adopted by import from an `apigw_access_log_pipeline`, the pipeline's `pipeline_id`: its objects keep their `terraform-provider-apigw:pipeline` tag.").use_state_for_unknown(),
            Attribute::required(NAME, Type::String, "Name of the Firehose stream. Must start with `amazon-apigateway-`, or API Gateway will not deliver to it.")
                .requires_replace()
                .validate(Length { min: 1, max: 64 })
                .validate(Prefix { prefix: STREAM_PREFIX, why: "or API Gateway will not deliver to it" })
                .validate(Chars { allowed: |c| c.is_ascii_alphanumeric() || "._-".contains(c), explain: "letters, digits, '.', '_' and '-'" }),
            Attribute::computed(ARN, Type::String, "ARN of the Firehose stream: the destination ARN for a stage's access-log settings.").use_state_for_unknown(),
            Attribute::optional(PARTITIONING, Type::Bool, "Whether Firehose partitions the delivered objects per API and stage (dynamic partitioning, which AWS bills per GB processed on top of ingestion). Needs a JSON `format` with the `apiId` and `stage` keys, `s3.prefix` using `!{partitionKeyFromQuery:api_id}` and `!{partitionKeyFromQuery:stage}`, `s3.error_output_prefix`, and `s3.buffering_size_mib` of at least 64. Firehose cannot turn it on or off on an existing stream: changing it replaces the stream.")
                .with_default(DEFAULT_PARTITIONING)
                .requires_replace(),
            Attribute::optional(FORMAT, Type::String, "The access-log format the stages are to use, in API Gateway's `$context` variables. Defaults to the JSON preset with `apiId` and `stage` added (`formats[\"json\"]`). With `partitioning`, a JSON object with the keys `apiId` and `stage`. The stream does not set it on any stage: use it where a stage's access logging is set.")
                .with_default(formats::json())
                .validate(AccessLogFormat),
            Attribute::computed(FORMATS, Type::map(Type::String), "The console's presets (`clf`, `json`, `xml`, `csv`), each with `$context.apiId` and `$context.stage` added, so that a query can tell the stages of one stream apart."),
            Attribute::optional_computed(ROLE_ARN, Type::String, "IAM role Firehose assumes to write to the bucket. When omitted the provider creates and owns a least-privilege role; when set, the role is used as given and never modified.").use_state_for_unknown()
                .validate(Arn(ArnKind::DeliveryRole)),
            schema::s3(Kind::PartitionedPrefix(PARTITION_KEYS)),
            encryption::attribute(),
            catalog_table::attribute(),
            error_logging::attribute(),
            Attribute::computed(S3_DESTINATION_URI, Type::String, "Where delivered objects land: `s3://<bucket>/<prefix>`."),
            Attribute::computed(BUCKET_POLICY_JSON, Type::String, "A bucket policy (JSON) that lets the stream's role deliver into the bucket: what a bucket of another account must allow. Unknown until the role is; merge its statement into the bucket's policy."),
            Attribute::optional(TAGS, Type::map(Type::String), "Tags of the stream, of the role and of the log group the provider owns.")
                .validate(Tags { max: MAX_TAGS - RESERVED_TAGS, reserved_prefix: RESERVED_TAG_PREFIX }),
            Attribute::computed(TAGS_ALL, Type::map(Type::String), "`tags` merged over the provider's `default_tags`."),
            schema::timeouts(),
        ],
    )
}
