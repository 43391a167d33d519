//! The validation error each protocol's services answer with, in their own wire shapes (the
//! builders of `faults.rs`):
//!
//! - `json` (Firehose, Glue, CloudWatch Logs, KMS): `ValidationException` with AWS's
//!   "N validation error(s) detected: Value '...' at '...' failed to satisfy constraint: ..."
//!   (as Firehose answers, awslabs/aws-fluent-plugin-kinesis#226); a value of the wrong JSON
//!   type is refused earlier, while the body is read, with `SerializationException`;
//! - `rest-json`: API Gateway's `BadRequestException` (its one client-error type for bad
//!   input, botocore data/apigateway/2015-07-09/service-2.json), others' `ValidationException`;
//! - `query` (IAM, STS): the `ValidationError` error document (NixOS/nixops#328);
//! - `rest-xml` (S3): `InvalidArgument`, S3's code for a bad request parameter (Amazon S3 API
//!   Reference, "Error responses", list of error codes).

use super::super::classify::Service;
use super::super::faults::{self, Answer};
use super::model::{Protocol, ServiceModel};
use super::validate::{Found, Kind, Violation};

/// The service's answer to a request with these violations (at least one).
pub(crate) fn validation_error(
    model: &ServiceModel,
    signing_name: &str,
    violations: &[Violation],
    head: bool,
    request_id: &str,
) -> Answer {
    let message = summary(violations);
    match model.protocol {
        Protocol::Json => match violations.iter().find_map(|v| match v.kind {
            Kind::Type(found) => Some((v, found)),
            Kind::Constraint => None,
        }) {
            Some((wrong, found)) => faults::firehose_error(
                400,
                "SerializationException",
                &serialization_message(wrong, found),
                request_id,
            ),
            None => faults::firehose_error(400, "ValidationException", &message, request_id),
        },
        Protocol::RestJson => {
            let kind = if signing_name == "apigateway" {
                "BadRequestException"
            } else {
                "ValidationException"
            };
            faults::apigateway_error(400, kind, &message, request_id)
        }
        Protocol::Query => faults::query_error(
            Service::from_signing_name(signing_name),
            400,
            "Sender",
            "ValidationError",
            &xml_escape(&message),
            request_id,
        ),
        Protocol::RestXml => faults::s3_error(
            400,
            "InvalidArgument",
            &xml_escape(&message),
            head,
            request_id,
        ),
    }
}

/// "1 validation error detected: ...", "2 validation errors detected: ...; ...".
fn summary(violations: &[Violation]) -> String {
    let n = violations.len();
    let plural = if n == 1 { "error" } else { "errors" };
    let each: Vec<String> = violations.iter().map(Violation::message).collect();
    format!("{n} validation {plural} detected: {}", each.join("; "))
}

/// The JSON reader's complaint about a value of the wrong type, in the manner of AWS's
/// ("Start of structure or map found where not expected.", "... cannot be converted to ...").
fn serialization_message(wrong: &Violation, found: Found) -> String {
    let expected = wrong.constraint.trim_start_matches("Member must be ");
    match found {
        Found::Object => "Start of structure or map found where not expected.".to_owned(),
        Found::Array => "Start of list found where not expected.".to_owned(),
        _ => format!(
            "Value '{}' at '{}' cannot be converted to {expected}",
            wrong.value.as_deref().unwrap_or_default(),
            wrong.path
        ),
    }
}

fn xml_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}
