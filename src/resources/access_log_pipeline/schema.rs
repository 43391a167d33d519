//! The resource's schema: every attribute with its rules beside it.

use crate::firehose_prefix::Kind;
use crate::plugin::schema::{Attribute, Schema};
use crate::plugin::types::Type;
use crate::plugin::validators::{Chars, Length, Prefix};
use crate::resources::stream_parts::names::STREAM_PREFIX;
use crate::resources::stream_parts::tags::RESERVED_TAG_PREFIX;
use crate::resources::stream_parts::{catalog_table, encryption, error_logging, schema};
use crate::stage;
use crate::validators::{AccessLogFormat, Arn, ArnKind, MAX_TAGS, Tags};

use super::fields::*;
use super::ownership::RESERVED_TAGS;

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
    Attribute::optional(FORMAT, Type::String, "Access-log line format, in API Gateway's `$context` variables. `provider::apigw::log_format(\"clf\")` gives the console's presets.")
        .with_default(DEFAULT_FORMAT)
        .validate(AccessLogFormat)
}

/// `append_newline`: whether the stage's format gets a trailing newline.
pub fn append_newline() -> Attribute {
    Attribute::optional(APPEND_NEWLINE, Type::Bool, "Whether the stage's format gets one `\\n` at its end when it lacks one, so that each record is a line of its own in the objects Firehose writes (API Gateway adds nothing after a record, and Firehose joins records with nothing between them). `format` keeps the text as written; the stage holds it with the newline. Set to false to send the format exactly as written.")
        .with_default(DEFAULT_APPEND_NEWLINE)
}

pub fn schema() -> Schema {
    Schema::new(
        "API Gateway access logs delivered to S3 through a Kinesis Data Firehose stream: the stream, its IAM role and the stage's access-log settings, as one resource.",
        vec![
            Attribute::computed(ID, Type::String, "`<rest_api_id>/<stage_name>`.").use_state_for_unknown(),
            Attribute::computed(PIPELINE_ID, Type::String, "Identity of this pipeline instance, made on create: the value of the `terraform-provider-apigw:pipeline` tag on the stream and role it makes. Another resource, state or workspace aimed at the same stage has another, and never takes this one's objects.").use_state_for_unknown(),
            rest_api_id(),
            stage_name(),
            format(),
            append_newline(),
            Attribute::optional(ENABLED, Type::Bool, "Whether the stage's access logs go to this pipeline. Set to false to detach the stage while keeping the stream; a stage detached outside Terraform reads back as false.")
                .with_default(DEFAULT_ENABLED),
            Attribute::optional_computed(DELIVERY_STREAM_NAME, Type::String, "Name of the Firehose stream. Must start with `amazon-apigateway-`. Derived from the REST API id and stage name when omitted.").use_state_for_unknown()
                .requires_replace()
                .validate(Length { min: 1, max: 64 })
                .validate(Prefix { prefix: STREAM_PREFIX, why: "or API Gateway will not deliver to it" })
                .validate(Chars { allowed: |c| c.is_ascii_alphanumeric() || "._-".contains(c), explain: "letters, digits, '.', '_' and '-'" }),
            Attribute::computed(DELIVERY_STREAM_ARN, Type::String, "ARN of the Firehose stream.").use_state_for_unknown(),
            Attribute::optional_computed(ROLE_ARN, Type::String, "IAM role Firehose assumes to write to the bucket. When omitted the provider creates and owns a least-privilege role; when set, the role is used as given and never modified.").use_state_for_unknown()
                .validate(Arn(ArnKind::DeliveryRole)),
            schema::s3(Kind::Prefix),
            encryption::attribute(),
            catalog_table::attribute(),
            error_logging::attribute(),
            Attribute::computed(S3_DESTINATION_URI, Type::String, "Where delivered objects land: `s3://<bucket>/<prefix>`."),
            Attribute::computed(BUCKET_POLICY_JSON, Type::String, "A bucket policy (JSON) that lets the pipeline's role deliver into the bucket: what a bucket of another account must allow. Unknown until the role is; merge its statement into the bucket's policy."),
            Attribute::optional(TAGS, Type::map(Type::String), "Tags of the stream and of the role the provider owns.")
                .validate(Tags { max: MAX_TAGS - RESERVED_TAGS, reserved_prefix: RESERVED_TAG_PREFIX }),
            Attribute::computed(TAGS_ALL, Type::map(Type::String), "`tags` merged over the provider's `default_tags`."),
            schema::timeouts(),
        ],
    )
}
