//! One request, start to end: classify and count it, delay it, refuse it if it breaks its
//! API's model, maybe fail it, maybe answer it the way AWS would where moto differs, otherwise
//! forward it and note its effects.

use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use http_body_util::{BodyExt as _, Full};
use hyper::body::Incoming;
use hyper::header::{CONTENT_LENGTH, HeaderValue};
use hyper::http::request;
use hyper::{Method, Request, Response, Uri};

use super::Shared;
use super::classify::{Call, Service, form_value};
use super::faults::{self, Answer, FaultKind, Rng, Subject};
use super::realism::stage_key;
use super::rewrite;
use super::server::{UpstreamAnswer, copy_headers, send_upstream};
use super::stats::{Condition, Outcome};

/// The handler's way of asking for the connection to be dropped without an answer.
#[derive(Debug)]
pub(crate) struct ResetConnection;

impl std::fmt::Display for ResetConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection reset by the fault proxy")
    }
}

impl std::error::Error for ResetConnection {}

/// A request read in full, with what the proxy knows of it.
pub(crate) struct Exchange {
    pub(crate) head: request::Parts,
    pub(crate) body: Bytes,
    pub(crate) call: Call,
    pub(crate) key: String,
    /// The Firehose stream it names, if any.
    pub(crate) stream: Option<String>,
}

/// What a call is about, for the event log: a stream, or an API Gateway stage.
fn subject_of(call: &Call, path: &str, stream: Option<&str>) -> Option<String> {
    match call.service {
        Service::Firehose => stream.map(str::to_owned),
        Service::ApiGateway => match super::classify::path_segments(path).as_slice() {
            ["restapis", api, "stages", stage, ..] => Some(format!("{api}/{stage}")),
            _ => None,
        },
        _ => None,
    }
}

impl Exchange {
    fn subject(&self) -> Subject<'_> {
        Subject {
            service: self.call.service,
            operation: &self.call.operation,
            stream: self.stream.as_deref(),
            head: self.head.method == Method::HEAD,
        }
    }

    fn is(&self, service: Service, operation: &str) -> bool {
        self.call.is(service, operation)
    }
}

/// How a request ends.
pub(crate) enum Reply {
    /// This answer, recorded as this outcome.
    Answer(Answer, Outcome),
    /// No answer: the connection is reset, recorded as this outcome.
    Reset(Outcome),
}

impl Reply {
    /// The same request with its answer lost on the way back.
    fn lost(self) -> Reply {
        match self {
            Reply::Answer(_, Outcome::Forwarded(status)) => {
                Reply::Reset(Outcome::LostAnswer(status))
            }
            Reply::Answer(_, Outcome::ShownCreating) => Reply::Reset(Outcome::LostAnswer(200)),
            // Nothing reached the emulator: the same as a plain reset.
            _ => Reply::Reset(Outcome::Reset),
        }
    }
}

/// A random fault: instead of the real answer, or after the request took effect.
enum Injection {
    Instead(Reply),
    LoseAnswer,
}

/// Whether the request was sent by the provider (its SDK clients name the app in the
/// User-Agent), rather than by the harness's fixtures.
fn is_from_provider(headers: &hyper::HeaderMap) -> bool {
    let app = format!("app/{}", terraform_provider_apigw::aws::clients::APP_NAME);
    ["user-agent", "x-amz-user-agent"].iter().any(|name| {
        headers
            .get(*name)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|ua| ua.split(' ').any(|part| part == app))
    })
}

/// Serves one request.
pub(crate) async fn handle(
    shared: Arc<Shared>,
    request: Request<Incoming>,
) -> Result<Answer, ResetConnection> {
    let (head, body) = request.into_parts();
    // A client that hangs up mid-body gets no answer either.
    let body = body
        .collect()
        .await
        .map_err(|_| ResetConnection)?
        .to_bytes();
    let call = super::classify::classify(&head.method, &head.uri, &head.headers, &body);
    let key = call.key();
    let stream = match call.service {
        Service::Firehose => rewrite::stream_name(&body),
        _ => None,
    };
    if is_from_provider(&head.headers) {
        shared.stats.provider_called(&key);
    }
    let nth = shared.stats.count_call(&key);
    let mut rng = Rng::for_call(shared.config.seed, &key, nth);
    let delay = shared.config.latency_for(call.service).draw(&mut rng);
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    let exchange = Exchange {
        head,
        body,
        call,
        key,
        stream,
    };
    let subject = subject_of(
        &exchange.call,
        exchange.head.uri.path(),
        exchange.stream.as_deref(),
    );
    // A request AWS would refuse for breaking its API's model never reaches moto.
    let refusal = super::contract::refusal(&shared, &exchange.head, &exchange.body, &mut rng);
    let reply = match refusal {
        Some(answer) => Reply::Answer(answer, Outcome::Breach),
        None => match injected_fault(&shared, &exchange, &mut rng) {
            Some(Injection::Instead(reply)) => reply,
            Some(Injection::LoseAnswer) => served(&shared, &exchange, &mut rng).await.lost(),
            None => served(&shared, &exchange, &mut rng).await,
        },
    };
    match reply {
        Reply::Answer(answer, outcome) => {
            shared.stats.record(&exchange.key, subject, outcome);
            Ok(answer)
        }
        Reply::Reset(outcome) => {
            shared.stats.record(&exchange.key, subject, outcome);
            Err(ResetConnection)
        }
    }
}

/// The answer without random faults: AWS's where moto's would differ, else moto's.
async fn served(shared: &Shared, ex: &Exchange, rng: &mut Rng) -> Reply {
    match realistic_answer(shared, ex, rng) {
        Some(reply) => reply,
        None => forward(shared, ex, rng).await,
    }
}

/// Rate limits first, then the random fault draw.
fn injected_fault(shared: &Shared, ex: &Exchange, rng: &mut Rng) -> Option<Injection> {
    if !shared.limiter.admit(&ex.call, &ex.key, Instant::now()) {
        let answer = faults::throttling(ex.subject(), &rng.request_id());
        return Some(Injection::Instead(Reply::Answer(
            answer,
            Outcome::RateLimited,
        )));
    }
    if !rng.chance(shared.config.fault_rate_for(&ex.key)) {
        return None;
    }
    let reply = match shared.config.fault_mix.pick(rng)? {
        FaultKind::Throttle => Reply::Answer(
            faults::throttling(ex.subject(), &rng.request_id()),
            Outcome::Throttled,
        ),
        FaultKind::ServerError => Reply::Answer(
            faults::server_error(ex.subject(), &rng.request_id()),
            Outcome::ServerError,
        ),
        FaultKind::Reset => Reply::Reset(Outcome::Reset),
        FaultKind::LostAnswer => return Some(Injection::LoseAnswer),
        FaultKind::AccessDenied => Reply::Answer(
            faults::access_denied(ex.subject(), &rng.request_id()),
            Outcome::Denied,
        ),
    };
    Some(Injection::Instead(reply))
}

/// Answers AWS gives where moto would answer otherwise, without asking moto: a stream still
/// DELETING, a role Firehose cannot assume yet, and a bucket in another account or region.
fn realistic_answer(shared: &Shared, ex: &Exchange, rng: &mut Rng) -> Option<Reply> {
    let now = Instant::now();
    if ex.is(Service::S3, "HeadBucket") {
        let (answer, status) = shared
            .config
            .buckets
            .head_bucket(ex.head.uri.path(), &rng.request_id())?;
        return Some(Reply::Answer(
            answer,
            Outcome::Simulated(Condition::BucketElsewhere(status)),
        ));
    }
    if ex.is(Service::Firehose, "DescribeDeliveryStream") {
        let description = shared
            .realism
            .deleting_description(ex.stream.as_deref()?, now)?;
        let answer = faults::firehose_ok(&description, &rng.request_id());
        return Some(Reply::Answer(answer, Outcome::ShownDeleting));
    }
    if ex.is(Service::Firehose, "CreateDeliveryStream")
        || ex.is(Service::Firehose, "UpdateDestination")
    {
        let arns = rewrite::role_arns(&ex.body);
        let role = shared.realism.lagging_role(&arns, now)?;
        let answer = faults::role_not_assumable(role, &rng.request_id());
        return Some(Reply::Answer(answer, Outcome::RoleNotAssumable));
    }
    None
}

/// Forwards to moto, with the bookkeeping some operations need around it.
async fn forward(shared: &Shared, ex: &Exchange, rng: &mut Rng) -> Reply {
    if let Some(reply) = super::rules::before_forward(shared, ex, rng).await {
        return reply;
    }
    if let Some(reply) = super::delivery::put_records(shared, ex, rng).await {
        return reply;
    }
    // Held until moto has answered: the stage counts as changing meanwhile.
    let _stage_change = if ex.is(Service::ApiGateway, "UpdateStage") {
        match stage_key(ex.head.uri.path()) {
            Some(stage) => match shared.realism.begin_update_stage(&stage, Instant::now()) {
                Some(change) => Some(change),
                None => {
                    let answer = faults::update_stage_conflict(&rng.request_id());
                    return Reply::Answer(answer, Outcome::Conflict);
                }
            },
            None => None,
        }
    } else {
        None
    };
    let last_description = if ex.is(Service::Firehose, "DeleteDeliveryStream")
        && shared.realism.wants_description_before_delete()
    {
        describe_stream(shared, ex).await
    } else {
        None
    };
    let deleted_group = super::logs::before_delete(shared, ex).await;
    let upstream = send_upstream(
        shared.upstream,
        &ex.head.method,
        &ex.head.uri,
        &ex.head.headers,
        ex.body.clone(),
    )
    .await;
    if let (Some(arn), Ok((head, _))) = (&deleted_group, &upstream) {
        if head.status.is_success() {
            super::logs::deleted(shared, ex, arn).await;
        }
    }
    match upstream {
        Ok(answer) => after_forward(shared, ex, answer, last_description),
        Err(e) => Reply::Answer(faults::bad_gateway(&e), Outcome::UpstreamFailed),
    }
}

/// Notes what a successful call changed, and shows a new stream as CREATING.
fn after_forward(
    shared: &Shared,
    ex: &Exchange,
    answer: UpstreamAnswer,
    last_description: Option<serde_json::Value>,
) -> Reply {
    let now = Instant::now();
    let ok = answer.0.status.is_success();
    let status = answer.0.status.as_u16();
    let stream = ex.stream.as_deref();
    if ok && ex.call.service == Service::Firehose {
        super::encryption::after_success(shared, ex, now);
    }
    let answer = if ok && ex.is(Service::Firehose, "DescribeDeliveryStream") {
        (answer.0, super::encryption::described(shared, ex, answer.1))
    } else {
        answer
    };
    if ok && ex.is(Service::Firehose, "DescribeDeliveryStream") {
        if let Some((body, outcome)) = super::rules::described(shared, ex, &answer.1) {
            return Reply::Answer(to_client(ex, answer.0, body), outcome);
        }
    }
    match (ex.call.service, ex.call.operation.as_str(), stream) {
        (Service::Firehose, "CreateDeliveryStream", Some(name)) if ok => {
            shared.realism.stream_created(name, now);
        }
        (Service::Firehose, "DeleteDeliveryStream", Some(name)) if ok => {
            shared.realism.stream_deleted(name, last_description, now);
        }
        (Service::Firehose, "DescribeDeliveryStream", Some(name))
            if ok && shared.realism.is_creating(name, now) =>
        {
            if let Some(json) = rewrite::with_status(&answer.1, "CREATING") {
                let body = Bytes::from(json.to_string());
                return Reply::Answer(to_client(ex, answer.0, body), Outcome::ShownCreating);
            }
        }
        (Service::Iam, "CreateRole" | "PutRolePolicy", _) if ok => {
            let form = std::str::from_utf8(&ex.body).unwrap_or_default();
            if let Some(role) = form_value(form, "RoleName") {
                shared.realism.role_changed(&role, now);
            }
        }
        _ => {}
    }
    let (head, body) = answer;
    Reply::Answer(to_client(ex, head, body), Outcome::Forwarded(status))
}

/// The emulator's answer as the client gets it: same status and end-to-end headers.
fn to_client(ex: &Exchange, upstream: hyper::http::response::Parts, body: Bytes) -> Answer {
    let mut response = Response::new(Full::new(body.clone()));
    *response.status_mut() = upstream.status;
    copy_headers(&upstream.headers, response.headers_mut());
    let length = if ex.head.method == Method::HEAD {
        // A HEAD answer announces the length of the body it leaves out.
        upstream.headers.get(CONTENT_LENGTH).cloned()
    } else {
        Some(HeaderValue::from(body.len()))
    };
    if let Some(length) = length {
        response.headers_mut().insert(CONTENT_LENGTH, length);
    }
    response
}

/// The proxy's own DescribeDeliveryStream, straight to moto (never delayed nor failed), made
/// from the client's request so it carries the same credentials.
pub(crate) async fn describe_stream(shared: &Shared, ex: &Exchange) -> Option<serde_json::Value> {
    let name = ex.stream.as_deref()?;
    let mut headers = ex.head.headers.clone();
    headers.insert(
        "x-amz-target",
        HeaderValue::from_static("Firehose_20150804.DescribeDeliveryStream"),
    );
    let body = Bytes::from(serde_json::json!({ "DeliveryStreamName": name }).to_string());
    let (head, body) = send_upstream(
        shared.upstream,
        &Method::POST,
        &Uri::from_static("/"),
        &headers,
        body,
    )
    .await
    .ok()?;
    if !head.status.is_success() {
        return None;
    }
    serde_json::from_slice(&body).ok()
}
