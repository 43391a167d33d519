//! Fault choice and the error answers each service really gives: a seeded generator per
//! request, the mix of fault kinds, added latency, and the wire shapes of throttling, server
//! errors, conflicts and IAM propagation failures.

use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper::{Response, StatusCode};

use super::classify::Service;

/// The account moto answers for; it appears in some real error messages.
const ACCOUNT: &str = "123456789012";

/// SplitMix64: tiny, fast and statistically sound enough to draw faults reproducibly.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator starting from `seed`.
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    /// The generator for the `nth` call (counting from 0) of API `key` under `seed`.
    ///
    /// Drawing per API and call number, rather than from one shared stream, keeps each API's
    /// faults the same from run to run however the calls of different APIs interleave.
    pub fn for_call(seed: u64, key: &str, nth: u64) -> Rng {
        let mut mixer = Rng::new(seed ^ fnv1a(key));
        let base = mixer.next_u64();
        let mut rng = Rng::new(base ^ nth.wrapping_mul(0x9E37_79B9_7F4A_7C15));
        // Discard one output so neighbouring call numbers decorrelate fully.
        rng.next_u64();
        rng
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A uniform draw from `[0, 1)`.
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        p > 0.0 && self.unit() < p
    }

    /// A request id in the shape AWS uses (a UUID).
    pub fn request_id(&mut self) -> String {
        let a = self.next_u64();
        let b = self.next_u64();
        format!(
            "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
            a >> 32,
            (a >> 16) & 0xffff,
            a & 0xffff,
            b >> 48,
            b & 0xffff_ffff_ffff
        )
    }
}

/// FNV-1a over the key, to fold an API name into a seed.
fn fnv1a(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// The kinds of random fault.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultKind {
    /// The service's throttling error.
    Throttle,
    /// A 5xx in the service's shape.
    ServerError,
    /// The connection is reset without an answer, before the request reaches the emulator.
    Reset,
    /// The request reaches the emulator and takes effect, then the connection is reset: the
    /// answer is lost, and a retry meets the changed state.
    LostAnswer,
    /// The service's access-denied error: the caller may not do this.
    AccessDenied,
}

/// Relative weights of the fault kinds drawn when a request is picked to fail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FaultMix {
    /// Weight of throttling errors.
    pub throttle: u32,
    /// Weight of 5xx errors.
    pub server_error: u32,
    /// Weight of connection resets before the request reaches the emulator.
    pub reset: u32,
    /// Weight of connection resets after the request took effect (answer lost).
    pub lost_answer: u32,
    /// Weight of access-denied errors.
    pub access_denied: u32,
}

impl Default for FaultMix {
    /// Equal parts throttling, 5xx and resets before the request reaches the emulator; no
    /// lost answers.
    fn default() -> FaultMix {
        FaultMix {
            throttle: 1,
            server_error: 1,
            reset: 1,
            lost_answer: 0,
            access_denied: 0,
        }
    }
}

impl FaultMix {
    /// Draws a kind by weight; `None` when every weight is zero.
    pub fn pick(&self, rng: &mut Rng) -> Option<FaultKind> {
        let weighted = [
            (FaultKind::Throttle, self.throttle),
            (FaultKind::ServerError, self.server_error),
            (FaultKind::Reset, self.reset),
            (FaultKind::LostAnswer, self.lost_answer),
            (FaultKind::AccessDenied, self.access_denied),
        ];
        let total: u64 = weighted.iter().map(|(_, w)| u64::from(*w)).sum();
        if total == 0 {
            return None;
        }
        let mut draw = rng.next_u64() % total;
        for (kind, weight) in weighted {
            if draw < u64::from(weight) {
                return Some(kind);
            }
            draw -= u64::from(weight);
        }
        None
    }
}

/// Added latency: a fixed part plus a uniform jitter.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Latency {
    /// Always added.
    pub fixed: Duration,
    /// Up to this much more, drawn uniformly.
    pub jitter: Duration,
}

impl Latency {
    /// `fixed` plus up to `jitter`.
    pub fn new(fixed: Duration, jitter: Duration) -> Latency {
        Latency { fixed, jitter }
    }

    /// The delay for one request.
    pub fn draw(&self, rng: &mut Rng) -> Duration {
        self.fixed + self.jitter.mul_f64(rng.unit())
    }
}

/// A complete answer the proxy makes itself.
pub type Answer = Response<Full<Bytes>>;

/// What a request is being answered about, for error messages.
#[derive(Debug, Clone, Copy)]
pub struct Subject<'a> {
    /// The service.
    pub service: Service,
    /// The operation.
    pub operation: &'a str,
    /// The Firehose stream named in the request, if any.
    pub stream: Option<&'a str>,
    /// Whether the request was a HEAD (whose answers carry no body).
    pub head: bool,
}

pub(crate) fn answer(status: u16, headers: &[(&str, &str)], body: String) -> Answer {
    let mut builder = Response::builder()
        .status(StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR));
    for (name, value) in headers {
        builder = builder.header(*name, *value);
    }
    builder
        .body(Full::new(Bytes::from(body)))
        .expect("static response parts are valid")
}

/// A Firehose (JSON 1.1) error.
pub fn firehose_error(status: u16, kind: &str, message: &str, request_id: &str) -> Answer {
    let body = serde_json::json!({ "__type": kind, "message": message }).to_string();
    answer(
        status,
        &[
            ("content-type", "application/x-amz-json-1.1"),
            ("x-amzn-requestid", request_id),
        ],
        body,
    )
}

/// An API Gateway (REST JSON) error: the type travels in `x-amzn-ErrorType`.
pub(crate) fn apigateway_error(status: u16, kind: &str, message: &str, request_id: &str) -> Answer {
    let body = serde_json::json!({ "message": message }).to_string();
    let mut headers = vec![
        ("content-type", "application/json"),
        ("x-amzn-errortype", kind),
        ("x-amzn-requestid", request_id),
    ];
    if status == 429 {
        headers.push(("retry-after", "1"));
    }
    answer(status, &headers, body)
}

/// An IAM or STS (query protocol) error document.
pub(crate) fn query_error(
    service: Service,
    status: u16,
    fault: &str,
    code: &str,
    message: &str,
    request_id: &str,
) -> Answer {
    let namespace = match service {
        Service::Sts => "https://sts.amazonaws.com/doc/2011-06-15/",
        _ => "https://iam.amazonaws.com/doc/2010-05-08/",
    };
    let body = format!(
        "<ErrorResponse xmlns=\"{namespace}\">\n  <Error>\n    <Type>{fault}</Type>\n    <Code>{code}</Code>\n    <Message>{message}</Message>\n  </Error>\n  <RequestId>{request_id}</RequestId>\n</ErrorResponse>\n"
    );
    answer(
        status,
        &[
            ("content-type", "text/xml"),
            ("x-amzn-requestid", request_id),
        ],
        body,
    )
}

/// An S3 (REST XML) error; HEAD answers carry only the status, as S3's do.
pub(crate) fn s3_error(
    status: u16,
    code: &str,
    message: &str,
    head: bool,
    request_id: &str,
) -> Answer {
    let body = if head {
        String::new()
    } else {
        format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{code}</Code><Message>{message}</Message><RequestId>{request_id}</RequestId><HostId>proxy</HostId></Error>"
        )
    };
    answer(
        status,
        &[
            ("content-type", "application/xml"),
            ("x-amz-request-id", request_id),
            ("x-amz-id-2", "proxy"),
        ],
        body,
    )
}

/// The service's answer to a request over its rate.
pub fn throttling(subject: Subject<'_>, request_id: &str) -> Answer {
    match subject.service {
        Service::Firehose => {
            let message = match subject.stream {
                Some(stream) => {
                    format!("Rate exceeded for stream {stream} under account {ACCOUNT}.")
                }
                None => format!("Rate exceeded for operation {}.", subject.operation),
            };
            firehose_error(400, "LimitExceededException", &message, request_id)
        }
        // Glue and CloudWatch Logs answer over-rate calls with ThrottlingException "Rate
        // exceeded", in the JSON 1.1 error shape Firehose uses too (CloudWatch Logs quotas
        // page; Glue's model lists no throttling error of its own, and this is the code the
        // AWS SDKs retry as throttling).
        Service::Glue | Service::Logs => {
            firehose_error(400, "ThrottlingException", "Rate exceeded", request_id)
        }
        Service::ApiGateway => apigateway_error(
            429,
            "TooManyRequestsException",
            "Too Many Requests",
            request_id,
        ),
        Service::Iam | Service::Sts => query_error(
            subject.service,
            400,
            "Sender",
            "Throttling",
            "Rate exceeded",
            request_id,
        ),
        Service::S3 => s3_error(
            503,
            "SlowDown",
            "Please reduce your request rate.",
            subject.head,
            request_id,
        ),
        Service::Unknown => answer(429, &[], "Too Many Requests".to_owned()),
    }
}

/// The service's answer when the caller's credentials may not make this call.
pub fn access_denied(subject: Subject<'_>, request_id: &str) -> Answer {
    let message = format!(
        "User: arn:aws:iam::{ACCOUNT}:user/terraform is not authorized to perform: {}:{}",
        subject.service.name(),
        subject.operation
    );
    match subject.service {
        Service::Firehose | Service::Logs | Service::Glue => {
            firehose_error(400, "AccessDeniedException", &message, request_id)
        }
        Service::ApiGateway => apigateway_error(403, "AccessDeniedException", &message, request_id),
        Service::Iam | Service::Sts => query_error(
            subject.service,
            403,
            "Sender",
            "AccessDenied",
            &message,
            request_id,
        ),
        Service::S3 => s3_error(
            403,
            "AccessDenied",
            "Access Denied",
            subject.head,
            request_id,
        ),
        Service::Unknown => answer(403, &[], message),
    }
}

/// The service's answer when it fails internally (5xx).
pub fn server_error(subject: Subject<'_>, request_id: &str) -> Answer {
    match subject.service {
        Service::Firehose | Service::Logs => firehose_error(
            503,
            "ServiceUnavailableException",
            "The service is unavailable. Back off and retry the operation.",
            request_id,
        ),
        // botocore glue: InternalServiceException, "An internal service error occurred."
        Service::Glue => firehose_error(
            500,
            "InternalServiceException",
            "An internal service error occurred.",
            request_id,
        ),
        Service::ApiGateway => apigateway_error(
            503,
            "ServiceUnavailableException",
            "Service Unavailable",
            request_id,
        ),
        Service::Iam => query_error(
            Service::Iam,
            500,
            "Receiver",
            "ServiceFailure",
            "The request processing has failed because of an unknown error, exception or failure.",
            request_id,
        ),
        Service::Sts => query_error(
            Service::Sts,
            500,
            "Receiver",
            "InternalFailure",
            "The request processing has failed because of an unknown error, exception or failure.",
            request_id,
        ),
        Service::S3 => s3_error(
            500,
            "InternalError",
            "We encountered an internal error. Please try again.",
            subject.head,
            request_id,
        ),
        Service::Unknown => answer(500, &[], "Internal Server Error".to_owned()),
    }
}

/// API Gateway's answer to a stage change racing another one.
pub fn update_stage_conflict(request_id: &str) -> Answer {
    apigateway_error(
        409,
        "ConflictException",
        "Unable to complete operation due to concurrent modification. Please try again later.",
        request_id,
    )
}

/// Firehose's answer while a new role (or its policy) has not reached Firehose yet.
pub fn role_not_assumable(role_arn: &str, request_id: &str) -> Answer {
    firehose_error(
        400,
        "InvalidArgumentException",
        &format!("Firehose is unable to assume role {role_arn}. Please check the role provided."),
        request_id,
    )
}

/// A successful Firehose answer with a JSON body.
pub fn firehose_ok(body: &serde_json::Value, request_id: &str) -> Answer {
    answer(
        200,
        &[
            ("content-type", "application/x-amz-json-1.1"),
            ("x-amzn-requestid", request_id),
        ],
        body.to_string(),
    )
}

/// The proxy's own failure to reach the emulator.
pub fn bad_gateway(detail: &str) -> Answer {
    answer(
        502,
        &[("content-type", "text/plain")],
        format!("proxy: cannot reach the upstream: {detail}"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draws_repeat_for_the_same_seed_api_and_call() {
        let a: Vec<u64> = (0..5)
            .map(|n| Rng::for_call(7, "iam:CreateRole", n).next_u64())
            .collect();
        let b: Vec<u64> = (0..5)
            .map(|n| Rng::for_call(7, "iam:CreateRole", n).next_u64())
            .collect();
        assert_eq!(a, b);
        assert_ne!(
            Rng::for_call(7, "iam:CreateRole", 0).next_u64(),
            Rng::for_call(8, "iam:CreateRole", 0).next_u64()
        );
        assert_ne!(a[0], a[1]);
    }

    #[test]
    fn chance_matches_its_rate_and_the_mix_its_weights() {
        let mut rng = Rng::new(42);
        let hits = (0..100_000).filter(|_| rng.chance(0.2)).count();
        assert!((19_000..21_000).contains(&hits), "{hits}");
        let mix = FaultMix {
            throttle: 1,
            server_error: 0,
            reset: 3,
            lost_answer: 0,
            access_denied: 0,
        };
        let resets = (0..10_000)
            .filter(|_| mix.pick(&mut rng) == Some(FaultKind::Reset))
            .count();
        assert!((7_000..8_000).contains(&resets), "{resets}");
        let none = FaultMix {
            throttle: 0,
            server_error: 0,
            reset: 0,
            lost_answer: 0,
            access_denied: 0,
        };
        assert_eq!(none.pick(&mut rng), None);
    }
}
