//! One error type for every AWS call, classified into the kinds the provider decides on.

use std::fmt;

use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

/// What kind of failure an AWS call met; decides whether to retry and what to tell the user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The object does not exist.
    NotFound,
    /// The request rate was too high.
    Throttling,
    /// Another change to the same object was under way.
    Conflict,
    /// The object to be created exists already (perhaps made by an earlier attempt whose
    /// answer was lost).
    AlreadyExists,
    /// A freshly made IAM role or policy is not yet visible to the service that uses it.
    Propagation,
    /// The connection failed, timed out, or the service answered 5xx.
    Transient,
    /// The credentials may not do this.
    AccessDenied,
    /// Anything else: the request itself is wrong.
    Fatal,
    /// Terraform asked the provider to stop (Ctrl-C) while the call was waiting or in flight.
    Cancelled,
    /// The operation's deadline (the resource's `timeouts`) passed while the call was waiting
    /// or in flight.
    DeadlineExceeded,
}

/// A failed AWS call.
#[derive(Debug, Clone)]
pub struct AwsError {
    pub kind: ErrorKind,
    /// The operation, such as `firehose:CreateDeliveryStream`.
    pub operation: &'static str,
    pub code: Option<String>,
    pub message: String,
}

impl fmt::Display for AwsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.code {
            Some(code) => write!(f, "{}: {code}: {}", self.operation, self.message),
            None => write!(f, "{}: {}", self.operation, self.message),
        }
    }
}

impl std::error::Error for AwsError {}

impl AwsError {
    pub fn is(&self, kind: ErrorKind) -> bool {
        self.kind == kind
    }

    /// An error made by the provider itself, for a condition AWS reported in a successful answer.
    pub fn fatal(operation: &'static str, message: impl Into<String>) -> AwsError {
        AwsError {
            kind: ErrorKind::Fatal,
            operation,
            code: None,
            message: message.into(),
        }
    }

    /// A call ended because Terraform asked the provider to stop.
    pub fn cancelled(operation: &'static str) -> AwsError {
        AwsError {
            kind: ErrorKind::Cancelled,
            operation,
            code: None,
            message: "cancelled: Terraform asked the provider to stop during this call".into(),
        }
    }

    /// A call ended because the operation's deadline passed.
    pub fn deadline_exceeded(operation: &'static str) -> AwsError {
        AwsError {
            kind: ErrorKind::DeadlineExceeded,
            operation,
            code: None,
            message:
                "the operation's deadline passed during this call (see the resource's `timeouts`)"
                    .into(),
        }
    }

    /// [`AwsError::from_sdk`], saying which endpoint a request that never got an answer was
    /// sent to, and what happened on the way.
    pub fn from_sdk_at<E>(
        operation: &'static str,
        err: SdkError<E, HttpResponse>,
        endpoint: &str,
    ) -> AwsError
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
    {
        let what = match &err {
            SdkError::DispatchFailure(d) => match d.as_connector_error() {
                Some(c) if c.is_timeout() => Some("no connection could be made in time"),
                Some(_) if refused(&err) => Some("connection refused"),
                _ => Some("the request could not be sent"),
            },
            SdkError::TimeoutError(_) => Some("no answer in time"),
            _ => None,
        };
        let mut e = AwsError::from_sdk(operation, err);
        if let Some(what) = what {
            e.message = format!("{what} to {endpoint}: {}", e.message);
        }
        e
    }

    /// Classifies an SDK error.
    pub fn from_sdk<E>(operation: &'static str, err: SdkError<E, HttpResponse>) -> AwsError
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
    {
        match &err {
            SdkError::ServiceError(se) => {
                let e = se.err();
                let code = e.code().map(str::to_owned);
                let message = e.message().unwrap_or("no message").to_owned();
                let kind = classify(code.as_deref(), &message, Some(se.raw().status().as_u16()));
                AwsError {
                    kind,
                    operation,
                    code,
                    message,
                }
            }
            SdkError::TimeoutError(_)
            | SdkError::DispatchFailure(_)
            | SdkError::ResponseError(_) => AwsError {
                kind: ErrorKind::Transient,
                operation,
                code: None,
                message: error_chain(&err),
            },
            _ => AwsError {
                kind: ErrorKind::Fatal,
                operation,
                code: None,
                message: error_chain(&err),
            },
        }
    }
}

/// Whether an error, or any error under it, is a refused TCP connection.
pub fn refused(err: &(dyn std::error::Error + 'static)) -> bool {
    let mut next = Some(err);
    while let Some(e) = next {
        if let Some(io) = e.downcast_ref::<std::io::Error>()
            && io.kind() == std::io::ErrorKind::ConnectionRefused
        {
            return true;
        }
        next = e.source();
    }
    false
}

fn error_chain(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

/// Whether a `LimitExceededException` reports a request rate (retry later) rather than a
/// quota (retrying cannot help). The services use the one code for both:
/// - API Gateway's is a rate: `botocore data/apigateway/2015-07-09/service-2.json`,
///   LimitExceededException, HTTP 429, "The request exceeded the rate limit".
/// - Firehose's is documented as a limit reached (`botocore data/firehose/2015-08-04/
///   service-2.json`: LimitExceededException "You have already reached the limit for a
///   requested resource", listed by CreateDeliveryStream, whose streams are capped per Region;
///   AWS General Reference, "Amazon Data Firehose endpoints and quotas"). Its rate
///   refusals say so in words: "Rate exceeded ..." or "Please slow down. Max limit of 5 RPS
///   has breached ..." (the latter as seen from ListTagsForDeliveryStream in
///   prowler-cloud/prowler#9124).
///
/// So: a 429, or a message about a rate, is throttling; anything else is a quota.
pub fn is_rate_limit(status: Option<u16>, message: &str) -> bool {
    const RATE_WORDS: &[&str] = &["rate exceeded", "slow down", "throttl", "rate limit"];
    let lower = message.to_ascii_lowercase();
    status == Some(429) || RATE_WORDS.iter().any(|w| lower.contains(w))
}

/// Whether an error is a quota (a `LimitExceededException` that is not about a rate): final,
/// retried neither by the SDK nor by the provider.
pub fn is_quota(code: Option<&str>, message: &str, status: Option<u16>) -> bool {
    code == Some("LimitExceededException") && !is_rate_limit(status, message)
}

/// Decides the kind from the error code, message and HTTP status.
pub fn classify(code: Option<&str>, message: &str, status: Option<u16>) -> ErrorKind {
    let lower = message.to_ascii_lowercase();
    match code.unwrap_or("") {
        "NotFoundException"
        // Glue's code for a missing table or database (botocore glue GetTable errors).
        | "EntityNotFoundException"
        | "ResourceNotFoundException"
        | "NoSuchEntity"
        | "NoSuchBucket"
        | "NotFound"
        | "404" => ErrorKind::NotFound,
        "LimitExceededException" if !is_rate_limit(status, message) => ErrorKind::Fatal,
        "ThrottlingException"
        | "Throttling"
        | "TooManyRequestsException"
        | "RequestLimitExceeded"
        | "SlowDown"
        | "LimitExceededException" => ErrorKind::Throttling,
        "EntityAlreadyExists"
        | "ResourceAlreadyExistsException"
        | "AlreadyExistsException"
        | "BucketAlreadyOwnedByYou" => ErrorKind::AlreadyExists,
        // Firehose answers a taken name and a stream busy changing state with one code
        // (botocore data/firehose/2015-08-04/service-2.json: CreateDeliveryStream and
        // DeleteDeliveryStream both list ResourceInUseException). A taken name reads
        // "Firehose <name> under accountId <account> already exists": Firehose words its
        // stream errors "Firehose <name> ..." (its ResourceNotFoundException reads "Firehose
        // <name> not found under account.", awslabs/lambda-streams-to-firehose#22), and moto
        // (moto/firehose/models.py) copies the already-exists text. AWS publishes no list of
        // its messages, so "already exists" is the narrowest part all these share.
        "ResourceInUseException" if lower.contains("already exists") => ErrorKind::AlreadyExists,
        // CloudWatch Logs answers two changes of one log group at once with
        // OperationAbortedException, "Multiple concurrent requests to update the same resource
        // were in conflict" (botocore data/logs/2014-03-28/service-2.json).
        "ConflictException"
        | "OperationAbortedException"
        | "ConcurrentModificationException"
        | "ConcurrentModification"
        | "ResourceInUseException" => ErrorKind::Conflict,
        // Firehose refuses a role IAM has not finished propagating with
        // InvalidArgumentException "Firehose is unable to assume role <arn>. Please check the
        // role provided.", or with "... is not authorized to perform ..." while the role's
        // policy propagates: the texts terraform-provider-aws retries on for the same reason
        // (internal/service/firehose/delivery_stream.go, retryDeliveryStreamOp).
        "InvalidArgumentException" | "InvalidArgument"
            if lower.contains("is unable to assume role")
                || lower.contains("is not authorized to") =>
        {
            ErrorKind::Propagation
        }
        "AccessDenied"
        | "AccessDeniedException"
        | "UnauthorizedOperation"
        | "UnrecognizedClientException"
        | "InvalidClientTokenId"
        | "ExpiredToken"
        | "SignatureDoesNotMatch" => ErrorKind::AccessDenied,
        "ServiceUnavailable"
        | "ServiceUnavailableException"
        | "InternalFailure"
        | "InternalServerError"
        | "InternalError"
        | "ServiceFailure" => ErrorKind::Transient,
        _ => match status {
            Some(404) => ErrorKind::NotFound,
            Some(429) => ErrorKind::Throttling,
            Some(s) if s >= 500 => ErrorKind::Transient,
            _ => ErrorKind::Fatal,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_the_services_error_codes() {
        assert_eq!(
            classify(
                Some("NotFoundException"),
                "Invalid stage identifier specified",
                Some(404)
            ),
            ErrorKind::NotFound
        );
        assert_eq!(
            classify(
                Some("TooManyRequestsException"),
                "Too Many Requests",
                Some(429)
            ),
            ErrorKind::Throttling
        );
        assert_eq!(
            classify(Some("LimitExceededException"), "Rate exceeded", Some(400)),
            ErrorKind::Throttling
        );
        let quota = "You have already consumed your firehose quota of 50 hoses";
        assert_eq!(
            classify(Some("LimitExceededException"), quota, Some(400)),
            ErrorKind::Fatal
        );
        assert_eq!(
            classify(
                Some("LimitExceededException"),
                "You have reached the maximum number of delivery streams",
                None
            ),
            ErrorKind::Fatal
        );
        assert_eq!(
            classify(
                Some("LimitExceededException"),
                "The request exceeded the rate limit",
                Some(429)
            ),
            ErrorKind::Throttling
        );
        assert_eq!(
            classify(
                Some("ThrottlingException"),
                "Please slow down. Max limit of 5 RPS has breached for",
                Some(400)
            ),
            ErrorKind::Throttling
        );
        assert!(is_quota(Some("LimitExceededException"), quota, Some(400)));
        assert!(!is_quota(
            Some("LimitExceededException"),
            "Rate exceeded",
            Some(400)
        ));
        assert_eq!(
            classify(Some("ConcurrentModificationException"), "", None),
            ErrorKind::Conflict
        );
        assert_eq!(
            classify(
                Some("InvalidArgumentException"),
                "Firehose is unable to assume role arn:aws:iam::1:role/x. Please check the role provided.",
                Some(400)
            ),
            ErrorKind::Propagation
        );
        assert_eq!(
            classify(
                Some("InvalidArgumentException"),
                "BufferingHints bad",
                Some(400)
            ),
            ErrorKind::Fatal
        );
        assert_eq!(classify(None, "", Some(503)), ErrorKind::Transient);
        assert_eq!(
            classify(
                Some("EntityAlreadyExists"),
                "Role with name r already exists.",
                Some(409)
            ),
            ErrorKind::AlreadyExists
        );
        assert_eq!(
            classify(
                Some("ResourceInUseException"),
                "Firehose s under accountId 1 already exists",
                Some(400)
            ),
            ErrorKind::AlreadyExists
        );
        assert_eq!(
            classify(
                Some("ResourceInUseException"),
                "Firehose s is not in ACTIVE state",
                Some(400)
            ),
            ErrorKind::Conflict
        );
        assert_eq!(
            classify(Some("AccessDeniedException"), "nope", Some(403)),
            ErrorKind::AccessDenied
        );
        // CloudWatch Logs (botocore data/logs/2014-03-28/service-2.json).
        assert_eq!(
            classify(
                Some("ResourceAlreadyExistsException"),
                "The specified log group already exists",
                Some(400)
            ),
            ErrorKind::AlreadyExists
        );
        assert_eq!(
            classify(
                Some("ResourceNotFoundException"),
                "The specified log group does not exist.",
                Some(400)
            ),
            ErrorKind::NotFound
        );
        assert_eq!(
            classify(Some("OperationAbortedException"), "conflict", Some(400)),
            ErrorKind::Conflict
        );
        assert_eq!(
            classify(Some("ThrottlingException"), "Rate exceeded", Some(400)),
            ErrorKind::Throttling
        );
        assert_eq!(
            classify(
                Some("LimitExceededException"),
                "Resource limit exceeded.",
                Some(400)
            ),
            ErrorKind::Fatal
        );
    }
}
