//! The data source's schema: two arguments that name the stage, and what is found there.

use crate::plugin::schema::{Attribute, Schema};
use crate::plugin::types::Type;
use crate::stage;

pub fn schema() -> Schema {
    Schema::new(
        "How one API Gateway stage sends its access logs today: where, in which format, and whether this provider manages it. Works for any stage, managed by Terraform or not.",
        vec![
            Attribute::computed("id", Type::String, "`<rest_api_id>/<stage_name>`."),
            stage::rest_api_id_attribute("Id of the REST API whose stage is described."),
            stage::stage_name_attribute("Name of the stage."),
            Attribute::computed(
                "destination_kind",
                Type::String,
                "Where the stage's access logs go: `none`, `cloudwatch` (a CloudWatch Logs log group) or `firehose` (a Firehose stream), from the service of the destination's ARN.",
            ),
            Attribute::computed(
                "destination_arn",
                Type::String,
                "ARN of the log group or stream the access logs go to; null when the stage logs nowhere.",
            ),
            Attribute::computed(
                "format",
                Type::String,
                "The access-log format exactly as the stage holds it, a trailing newline included; null when the stage logs nowhere.",
            ),
            Attribute::computed(
                "format_preset",
                Type::String,
                "`clf`, `json`, `xml` or `csv` when `format` is that console preset (as `provider::apigw::log_format` returns it), with or without one trailing newline; null for any other format.",
            ),
            Attribute::computed(
                "ends_with_newline",
                Type::Bool,
                "Whether `format` ends in a newline, which makes each record a line of its own in the objects Firehose writes; null when the stage logs nowhere.",
            ),
            Attribute::computed(
                "managed_by",
                Type::String,
                "The resource type of this provider that manages the stage's access logs: `apigw_stage_access_log` when the stage carries an attachment's claim tag, `apigw_access_log_pipeline` when its logs go to a stream of the caller's account and region that a pipeline made; null otherwise.",
            ),
            Attribute::computed(
                "managed",
                Type::Bool,
                "Whether `managed_by` names one of this provider's resource types.",
            ),
        ],
    )
}
