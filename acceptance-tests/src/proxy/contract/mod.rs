//! The contract layer: every request is checked against the published model of the API it
//! calls (botocore's copy of AWS's service models, read from the emulator's venv), and one
//! that breaks it is refused the way that service refuses it, before it reaches moto, and
//! recorded as a [`Breach`] per broken rule.
//!
//! - [`model`]: finding and reading the models;
//! - [`decode`]: which operation a request is and its input, per protocol ([`xml`]: rest-xml
//!   payloads);
//! - [`validate`]: the input against its shape;
//! - [`answer`]: the service's own validation error.

mod answer;
mod decode;
mod model;
mod validate;
mod xml;

use bytes::Bytes;
use hyper::http::request;

use super::Shared;
use super::faults::{Answer, Rng};
use super::stats::Breach;

/// Reads the models of the services the provider calls, so a missing venv fails the proxy's
/// start with the path it looked at rather than a request later.
pub(crate) fn preload() {
    for service in ["firehose", "glue", "apigateway", "iam", "logs", "s3", "sts"] {
        assert!(
            model::service(service).is_some(),
            "no botocore model of {service} under {}",
            model::data_dir().display()
        );
    }
}

/// AWS's answer to a request that breaks its API's model, after recording each broken rule;
/// `None` for a request the model allows (or that no model describes).
pub(crate) fn refusal(
    shared: &Shared,
    head: &request::Parts,
    body: &Bytes,
    rng: &mut Rng,
) -> Option<Answer> {
    if !shared.config.contract {
        return None;
    }
    let signing_name = super::classify::signing_service(&head.headers)?;
    let model = model::service(&signing_name)?;
    let request = decode::Request {
        method: &head.method,
        uri: &head.uri,
        headers: &head.headers,
        body,
    };
    let decoded = decode::decode(&model, request)?;
    let input = decoded.operation.input.as_ref()?;
    let operation = &decoded.operation.name;
    let violations = validate::violations(&model, operation, &input.shape, &decoded.input);
    if violations.is_empty() {
        return None;
    }
    let api = format!("{signing_name}:{operation}");
    let answer = answer::validation_error(
        &model,
        &signing_name,
        &violations,
        head.method == hyper::Method::HEAD,
        &rng.request_id(),
    );
    for violation in &violations {
        shared.stats.breach(Breach {
            api: api.clone(),
            rule: violation.rule.clone(),
            detail: violation.message(),
        });
    }
    Some(answer)
}
