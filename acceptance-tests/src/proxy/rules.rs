//! AWS behaviours that no published API model carries, each documented by AWS and answered
//! with the service's own error code and wording, each source cited beside its rule:
//!
//! - contract rules the provider must never break, refused as a [`Breach`]: an access-log
//!   format with a line break before its end, deleting a stream still CREATING, more than 50
//!   tags on a stream, an IAM role or an API Gateway stage, turning dynamic partitioning on
//!   for a stream made without it;
//! - what API Gateway does behind the caller's back: the first Firehose access-log destination
//!   of an account creates the service-linked role `AWSServiceRoleForAPIGateway`;
//! - conditions of the account, switched on by [`RulesConfig`] (never breaches): a caller who
//!   may not create that role, a stream delete Firehose gives up on (`DELETING_FAILED`), an
//!   account without API Gateway's CloudWatch Logs role, an account at its stream quota.

use std::collections::{BTreeSet, HashMap};
use std::sync::Mutex;
use std::time::Instant;

use bytes::Bytes;
use hyper::header::{AUTHORIZATION, CONTENT_TYPE, HeaderMap, HeaderValue};
use hyper::{Method, Uri};
use serde_json::{Value, json};

use super::Shared;
use super::classify::{Service, form_pairs};
use super::encryption;
use super::faults::{self, Answer, Rng};
use super::handler::{Exchange, Reply};
use super::rewrite::set_status;
use super::server::send_upstream;
use super::stats::{Breach, Condition, Outcome};
use super::value_rules;

/// The account moto answers for.
const ACCOUNT: &str = "123456789012";

/// At most 50 tags on a Firehose stream: "Each Firehose stream can have up to 50 tags"
/// (botocore data/firehose/2015-08-04/service-2.json, TagDeliveryStream), and on an IAM role
/// (IAM User Guide, "IAM and AWS STS quotas": tags per IAM role, 50).
const MAX_TAGS: usize = 50;

/// API Gateway's service-linked role and the path IAM gives it: trusted by
/// `ops.apigateway.amazonaws.com` ("Using service-linked roles for API Gateway", API Gateway
/// Developer Guide); service-linked roles live under `/aws-service-role/<service principal>/`
/// (IAM User Guide, "Using service-linked roles").
const SERVICE_LINKED_ROLE: &str = "AWSServiceRoleForAPIGateway";
const SERVICE_LINKED_ROLE_PATH: &str = "/aws-service-role/ops.apigateway.amazonaws.com/";

/// The account conditions the proxy can simulate; all off by default.
#[derive(Debug, Clone, Default)]
pub(crate) struct RulesConfig {
    /// The caller may not `iam:CreateServiceLinkedRole`.
    pub deny_service_linked_role: bool,
    /// Deletes end in DELETING_FAILED unless made with `AllowForceDelete`.
    pub fail_deletes: bool,
    /// The account has no CloudWatch Logs role ARN in API Gateway's settings.
    pub cloudwatch_role_unset: bool,
    /// The account's Firehose stream quota, if simulated.
    pub stream_quota: Option<usize>,
}

/// The state behind the rules, shared by all connections.
#[derive(Debug, Default)]
pub(crate) struct Rules {
    config: RulesConfig,
    /// Stream name -> end of the DELETING it shows before DELETING_FAILED.
    failing_deletes: Mutex<HashMap<String, Instant>>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Rules {
    pub(crate) fn new(config: RulesConfig) -> Rules {
        Rules {
            config,
            ..Rules::default()
        }
    }
}

/// The answer AWS would give instead of forwarding, if a rule applies; may first make in moto
/// what AWS would make on its own (the service-linked role).
pub(crate) async fn before_forward(shared: &Shared, ex: &Exchange, rng: &mut Rng) -> Option<Reply> {
    match (ex.call.service, ex.call.operation.as_str()) {
        (Service::ApiGateway, "UpdateStage") => {
            let ops = patch_operations(&ex.body);
            if let Some(reply) = format_single_line(shared, ex, &ops, rng)
                .or_else(|| value_rules::access_log_format(shared, ex, &ops, rng))
            {
                return Some(reply);
            }
            let destination = ops
                .iter()
                .find(|(path, _)| path == "/accessLogSettings/destinationArn")
                .map(|(_, value)| value.as_str())?;
            // The service is the ARN's third field, whatever the partition.
            let service = destination.split(':').nth(2).unwrap_or_default();
            if service == "firehose" {
                if let Some(reply) =
                    value_rules::access_log_stream_name(shared, ex, destination, rng)
                {
                    return Some(reply);
                }
                service_linked_role(shared, ex, rng).await
            } else if service == "logs" {
                cloudwatch_role_unset(shared, rng)
            } else {
                None
            }
        }
        (Service::Firehose, "DeleteDeliveryStream") => {
            delete_while_creating(shared, ex, rng).or_else(|| failing_delete(shared, ex, rng))
        }
        (Service::Firehose, "CreateDeliveryStream") => {
            if let Some(reply) = value_rules::firehose_destination(shared, ex, rng)
                .or_else(|| super::logs::firehose_logging_options(shared, ex, rng))
                .or_else(|| encryption::before_forward(shared, ex, rng))
            {
                return Some(reply);
            }
            match stream_quota(shared, ex, rng).await {
                Some(reply) => Some(reply),
                None => stream_tags_total(shared, ex, rng).await,
            }
        }
        (Service::Firehose, "UpdateDestination") => {
            if let Some(reply) = partitioning_turned_on(shared, ex, rng).await {
                return Some(reply);
            }
            value_rules::firehose_destination(shared, ex, rng)
                .or_else(|| super::logs::firehose_logging_options(shared, ex, rng))
        }
        (Service::Logs, _) => super::logs::before_forward(shared, ex, rng).await,
        (Service::Firehose, "StartDeliveryStreamEncryption" | "StopDeliveryStreamEncryption") => {
            encryption::before_forward(shared, ex, rng)
        }
        (Service::Iam, "CreateRole") => value_rules::iam_tags(shared, ex, rng),
        (Service::ApiGateway, "TagResource") => match value_rules::apigateway_tags(shared, ex, rng)
        {
            Some(reply) => Some(reply),
            None => stage_tags_total(shared, ex, rng).await,
        },
        (Service::Firehose, "TagDeliveryStream") => stream_tags_total(shared, ex, rng).await,
        (Service::Iam, "TagRole") => match value_rules::iam_tags(shared, ex, rng) {
            Some(reply) => Some(reply),
            None => role_tags_total(shared, ex, rng).await,
        },
        _ => None,
    }
}

/// A DescribeDeliveryStream answer rewritten for a stream whose delete is failing: DELETING
/// for the deleting phase, then DELETING_FAILED with a `FailureDescription`.
pub(crate) fn described(shared: &Shared, ex: &Exchange, body: &[u8]) -> Option<(Bytes, Outcome)> {
    let name = ex.stream.as_deref()?;
    let until = *lock(&shared.rules.failing_deletes).get(name)?;
    let mut json: Value = serde_json::from_slice(body).ok()?;
    let (status, outcome) = if Instant::now() < until {
        ("DELETING", Outcome::ShownDeleting)
    } else {
        (
            "DELETING_FAILED",
            Outcome::Simulated(Condition::DeleteFailed),
        )
    };
    set_status(&mut json, status).then_some(())?;
    if status == "DELETING_FAILED" {
        // FailureDescription {Type, Details} (botocore data/firehose/2015-08-04/service-2.json):
        // RETIRE_KMS_GRANT_FAILED is the failure AllowForceDelete exists to get past ("delete
        // the Firehose stream even if Firehose is unable to retire the grant for the CMK",
        // DeleteDeliveryStreamInput.AllowForceDelete). Details is free text.
        json["DeliveryStreamDescription"]["FailureDescription"] = json!({
            "Type": "RETIRE_KMS_GRANT_FAILED",
            "Details": format!(
                "Firehose could not retire the KMS grant of stream {name}. Delete the stream with \
                 AllowForceDelete set to true, then revoke the grant with RevokeGrant."
            ),
        });
    }
    Some((Bytes::from(json.to_string()), outcome))
}

/// The access-log format a stage's patch operations set, if they set one.
pub(crate) fn access_log_format_of(ops: &[(String, String)]) -> Option<&str> {
    ops.iter()
        .find(|(path, _)| path == "/accessLogSettings/format")
        .map(|(_, format)| format.as_str())
}

/// `(path, value)` of each operation of an API Gateway PATCH body.
fn patch_operations(body: &[u8]) -> Vec<(String, String)> {
    let json: Value = serde_json::from_slice(body).unwrap_or_default();
    json["patchOperations"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|op| {
            (
                op["path"].as_str().unwrap_or_default().to_owned(),
                op["value"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

/// Records a breach and answers with AWS's refusal.
pub(crate) fn breach(
    shared: &Shared,
    ex: &Exchange,
    rule: &str,
    detail: &str,
    answer: Answer,
) -> Reply {
    shared.stats.breach(Breach {
        api: ex.key.clone(),
        rule: rule.to_owned(),
        detail: detail.to_owned(),
    });
    Reply::Answer(answer, Outcome::Breach)
}

/// API Gateway keeps each access-log record on one line: "A single line format of the access
/// logs" (botocore data/apigateway/2015-07-09/service-2.json, AccessLogSettings.format), and
/// UpdateStage refuses a line break anywhere but at the very end with BadRequestException
/// "Access Log format must be single line, new line character is allowed only at end of the
/// format: '<format>'" (API Gateway's answer as CloudFormation relays it for
/// AWS::ApiGateway::Stage).
fn format_single_line(
    shared: &Shared,
    ex: &Exchange,
    ops: &[(String, String)],
    rng: &mut Rng,
) -> Option<Reply> {
    let format = access_log_format_of(ops)?;
    let body = format.strip_suffix('\n').unwrap_or(format);
    if !body.contains(['\n', '\r']) {
        return None;
    }
    let message = format!(
        "Access Log format must be single line, new line character is allowed only at end of the format: '{format}'"
    );
    let answer = faults::apigateway_error(400, "BadRequestException", &message, &rng.request_id());
    Some(breach(
        shared,
        ex,
        "apigateway.accessLogFormatSingleLine",
        &message,
        answer,
    ))
}

/// "When Firehose access logging is enabled on a stage, API Gateway creates a service-linked
/// role in your account if the role doesn't exist already" ("Log REST API calls to Amazon Data
/// Firehose in API Gateway", API Gateway Developer Guide). It does so with the caller's
/// permissions: a caller without `iam:CreateServiceLinkedRole` is refused with
/// AccessDeniedException "Caller does not have permissions to create a Service Linked Role."
/// (API Gateway's wording, as CreateDomainName gives it in HumanCellAtlas/data-store#1726).
/// The refusal is the account's condition, not a breach.
async fn service_linked_role(shared: &Shared, ex: &Exchange, rng: &mut Rng) -> Option<Reply> {
    let get = format!("Action=GetRole&Version=2010-05-08&RoleName={SERVICE_LINKED_ROLE}");
    let (status, _) = iam_call(shared, ex, &get).await?;
    if status == 200 {
        return None;
    }
    if shared.rules.config.deny_service_linked_role {
        let answer = faults::apigateway_error(
            403,
            "AccessDeniedException",
            "Caller does not have permissions to create a Service Linked Role.",
            &rng.request_id(),
        );
        return Some(Reply::Answer(answer, Outcome::Denied));
    }
    let trust = json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": {"Service": "ops.apigateway.amazonaws.com"},
            "Action": "sts:AssumeRole"
        }]
    })
    .to_string();
    let create = format!(
        "Action=CreateRole&Version=2010-05-08&RoleName={SERVICE_LINKED_ROLE}&Path={}&AssumeRolePolicyDocument={}",
        form_encode(SERVICE_LINKED_ROLE_PATH),
        form_encode(&trust)
    );
    iam_call(shared, ex, &create).await;
    None
}

/// Logging to CloudWatch needs the account's CloudWatch Logs role ARN in API Gateway's
/// settings ("Set up CloudWatch logging for REST APIs in API Gateway", API Gateway Developer
/// Guide); without it UpdateStage answers BadRequestException "CloudWatch Logs role ARN must
/// be set in account settings to enable logging" (as CloudFormation relays it in
/// aws-samples/aws-serverless-airline-booking#128). Simulated by a switch: an account
/// condition, not a breach.
fn cloudwatch_role_unset(shared: &Shared, rng: &mut Rng) -> Option<Reply> {
    if !shared.rules.config.cloudwatch_role_unset {
        return None;
    }
    let answer = faults::apigateway_error(
        400,
        "BadRequestException",
        "CloudWatch Logs role ARN must be set in account settings to enable logging",
        &rng.request_id(),
    );
    Some(Reply::Answer(
        answer,
        Outcome::Simulated(Condition::CloudWatchRoleUnset),
    ))
}

/// "You can't delete a Firehose stream that is in the CREATING state" (DeleteDeliveryStream,
/// Firehose API Reference; its errors: ResourceInUseException, botocore data/firehose/
/// 2015-08-04/service-2.json). AWS publishes no message text for it; this one follows
/// Firehose's "Firehose <name> ... under account <id>" wording of its stream errors.
fn delete_while_creating(shared: &Shared, ex: &Exchange, rng: &mut Rng) -> Option<Reply> {
    let name = ex.stream.as_deref()?;
    if !shared.realism.is_creating(name, Instant::now()) {
        return None;
    }
    let message = format!(
        "Firehose {name} under account {ACCOUNT} is in CREATING state and cannot be deleted."
    );
    let answer = faults::firehose_error(400, "ResourceInUseException", &message, &rng.request_id());
    Some(breach(
        shared,
        ex,
        "firehose.deleteWhileCreating",
        &message,
        answer,
    ))
}

/// Under [`RulesConfig::fail_deletes`], Firehose accepts the delete, shows the stream DELETING
/// and then DELETING_FAILED, "you can force deletion by invoking DeleteDeliveryStream again
/// but with AllowForceDelete set to true" (DescribeDeliveryStream, Firehose API Reference): a
/// forced delete is forwarded to moto.
fn failing_delete(shared: &Shared, ex: &Exchange, rng: &mut Rng) -> Option<Reply> {
    if !shared.rules.config.fail_deletes {
        return None;
    }
    let name = ex.stream.clone()?;
    let json: Value = serde_json::from_slice(&ex.body).unwrap_or_default();
    if json["AllowForceDelete"].as_bool() == Some(true) {
        lock(&shared.rules.failing_deletes).remove(&name);
        return None;
    }
    let until = Instant::now() + shared.realism.deleting_phase();
    lock(&shared.rules.failing_deletes).insert(name, until);
    let answer = faults::firehose_ok(&json!({}), &rng.request_id());
    Some(Reply::Answer(
        answer,
        Outcome::Simulated(Condition::DeleteFailed),
    ))
}

/// An account at its stream quota: "By default, you can create up to 5,000 Firehose streams
/// per Amazon Web Services Region" (CreateDeliveryStream, botocore data/firehose/2015-08-04/
/// service-2.json), and past it CreateDeliveryStream answers LimitExceededException, "You have
/// already reached the limit for a requested resource" (its documentation there). AWS
/// publishes no message text; this one is moto's (moto/firehose/models.py).
async fn stream_quota(shared: &Shared, ex: &Exchange, rng: &mut Rng) -> Option<Reply> {
    let quota = shared.rules.config.stream_quota?;
    let listed = firehose_call(
        shared,
        ex,
        "ListDeliveryStreams",
        &json!({ "Limit": 10000 }),
    )
    .await?;
    let names: Vec<&str> = listed["DeliveryStreamNames"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    if names.len() < quota {
        return None;
    }
    let message = format!(
        "You have already consumed your firehose quota of {quota} hoses. Firehose names: {names:?}"
    );
    let answer = faults::firehose_error(400, "LimitExceededException", &message, &rng.request_id());
    Some(Reply::Answer(
        answer,
        Outcome::Simulated(Condition::StreamQuota),
    ))
}

/// A stream has at most [`MAX_TAGS`] tags, counting those it has and those a request adds
/// (TagDeliveryStream replaces the value of a key it already has). Past it Firehose answers
/// LimitExceededException (listed by TagDeliveryStream and CreateDeliveryStream, botocore
/// data/firehose/2015-08-04/service-2.json); AWS publishes no message text, this one says the
/// limit.
async fn stream_tags_total(shared: &Shared, ex: &Exchange, rng: &mut Rng) -> Option<Reply> {
    let name = ex.stream.as_deref()?;
    let json: Value = serde_json::from_slice(&ex.body).unwrap_or_default();
    let mut keys: BTreeSet<String> = json["Tags"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|t| t["Key"].as_str().map(str::to_owned))
        .collect();
    if ex.call.operation == "TagDeliveryStream" {
        keys.extend(stream_tag_keys(shared, ex, name).await?);
    }
    if keys.len() <= MAX_TAGS {
        return None;
    }
    let message = format!(
        "Firehose {name} under account {ACCOUNT} would have {} tags; a Firehose stream can have up to {MAX_TAGS} tags.",
        keys.len()
    );
    let answer = faults::firehose_error(400, "LimitExceededException", &message, &rng.request_id());
    Some(breach(
        shared,
        ex,
        "firehose.tagsPerStream",
        &message,
        answer,
    ))
}

/// Dynamic partitioning is chosen at creation: "You can enable dynamic partitioning only when
/// you create a new Firehose stream. You cannot enable dynamic partitioning for an existing
/// Firehose stream that does not have dynamic partitioning already enabled" (Firehose
/// Developer Guide, "Partition streaming data in Amazon Data Firehose"; the same in botocore
/// data/firehose/2015-08-04/service-2.json, DynamicPartitioningConfiguration). An
/// UpdateDestination that enables it on a stream without it is refused with
/// InvalidArgumentException (UpdateDestination's error for an invalid argument in the same
/// model); AWS publishes no wording, this one is ours.
async fn partitioning_turned_on(shared: &Shared, ex: &Exchange, rng: &mut Rng) -> Option<Reply> {
    let body: Value = serde_json::from_slice(&ex.body).ok()?;
    let update = &body["ExtendedS3DestinationUpdate"];
    if update["DynamicPartitioningConfiguration"]["Enabled"] != true {
        return None;
    }
    let name = body["DeliveryStreamName"].as_str()?;
    let described = firehose_call(
        shared,
        ex,
        "DescribeDeliveryStream",
        &json!({ "DeliveryStreamName": name }),
    )
    .await?;
    let destinations = described["DeliveryStreamDescription"]["Destinations"].as_array()?;
    let enabled = destinations.iter().any(|d| {
        d["ExtendedS3DestinationDescription"]["DynamicPartitioningConfiguration"]["Enabled"] == true
    });
    if enabled {
        return None;
    }
    let message = format!(
        "Dynamic partitioning cannot be enabled on Firehose {name} under account {ACCOUNT}: it \
         was created without it, and dynamic partitioning can be enabled only when a Firehose \
         stream is created."
    );
    let answer =
        faults::firehose_error(400, "InvalidArgumentException", &message, &rng.request_id());
    Some(breach(
        shared,
        ex,
        "firehose.dynamicPartitioningAtCreation",
        &message,
        answer,
    ))
}

/// A stage has at most [`MAX_TAGS`] tags: "Tags per stage: 50", not adjustable (API Gateway
/// Developer Guide, "Quotas for configuring and running a REST API in API Gateway"), counting
/// those it has and those a TagResource adds (a key it has already keeps one place). API
/// Gateway's models list no error of its own for it; BadRequestException is TagResource's
/// answer to a request it cannot take (botocore data/apigateway/2015-07-09/service-2.json); the
/// wording is ours.
async fn stage_tags_total(shared: &Shared, ex: &Exchange, rng: &mut Rng) -> Option<Reply> {
    let json: Value = serde_json::from_slice(&ex.body).unwrap_or_default();
    let mut keys: BTreeSet<String> = json["tags"]
        .as_object()
        .into_iter()
        .flat_map(|tags| tags.keys().cloned())
        .collect();
    // GetTags is a GET on the very path TagResource PUTs to (`/tags/{resource_arn}`).
    let headers = headers_for(ex, "apigateway", "application/json");
    let (head, body) = send_upstream(
        shared.upstream,
        &Method::GET,
        &ex.head.uri,
        &headers,
        Bytes::new(),
    )
    .await
    .ok()?;
    if !head.status.is_success() {
        return None;
    }
    let held: Value = serde_json::from_slice(&body).ok()?;
    keys.extend(
        held["tags"]
            .as_object()
            .into_iter()
            .flat_map(|tags| tags.keys().cloned()),
    );
    if keys.len() <= MAX_TAGS {
        return None;
    }
    let message = format!(
        "The stage would have {} tags; a stage can have at most {MAX_TAGS}.",
        keys.len()
    );
    let answer = faults::apigateway_error(400, "BadRequestException", &message, &rng.request_id());
    Some(breach(
        shared,
        ex,
        "apigateway.tagsPerStage",
        &message,
        answer,
    ))
}

/// The tag keys a stream has in moto, every page.
async fn stream_tag_keys(shared: &Shared, ex: &Exchange, name: &str) -> Option<Vec<String>> {
    let mut keys = Vec::new();
    let mut start: Option<String> = None;
    loop {
        let mut request = json!({ "DeliveryStreamName": name, "Limit": 50 });
        if let Some(key) = &start {
            request["ExclusiveStartTagKey"] = json!(key);
        }
        let page = firehose_call(shared, ex, "ListTagsForDeliveryStream", &request).await?;
        let page_keys: Vec<String> = page["Tags"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|t| t["Key"].as_str().map(str::to_owned))
            .collect();
        start = page_keys.last().cloned();
        keys.extend(page_keys);
        if page["HasMoreTags"].as_bool() != Some(true) || start.is_none() {
            return Some(keys);
        }
    }
}

/// An IAM role has at most [`MAX_TAGS`] tags ("IAM and AWS STS quotas", IAM User Guide); TagRole
/// past it answers LimitExceeded, HTTP 409 (botocore data/iam/2010-05-08/service-2.json,
/// LimitExceededException), in IAM's quota wording "Cannot exceed quota for TagsPerRole: 50"
/// (IAM words every quota so: "Cannot exceed quota for PoliciesPerRole: 10", quoted from IAM
/// in aws/eks-hybrid#741).
async fn role_tags_total(shared: &Shared, ex: &Exchange, rng: &mut Rng) -> Option<Reply> {
    let form = std::str::from_utf8(&ex.body).unwrap_or_default();
    let pairs = form_pairs(form);
    let role = pairs
        .iter()
        .find(|(k, _)| k == "RoleName")
        .map(|(_, v)| v.clone())?;
    let mut keys: BTreeSet<String> = pairs
        .iter()
        .filter(|(k, _)| k.starts_with("Tags.member.") && k.ends_with(".Key"))
        .map(|(_, v)| v.clone())
        .collect();
    let list = format!(
        "Action=ListRoleTags&Version=2010-05-08&RoleName={}&MaxItems=1000",
        form_encode(&role)
    );
    let (status, body) = iam_call(shared, ex, &list).await?;
    if status != 200 {
        return None;
    }
    keys.extend(xml_values(&body, "Key"));
    if keys.len() <= MAX_TAGS {
        return None;
    }
    let message = format!("Cannot exceed quota for TagsPerRole: {MAX_TAGS}");
    let answer = faults::query_error(
        Service::Iam,
        409,
        "Sender",
        "LimitExceeded",
        &message,
        &rng.request_id(),
    );
    Some(breach(shared, ex, "iam.tagsPerRole", &message, answer))
}

/// The client's headers, its SigV4 scope pointed at `service` (moto routes by the scope and
/// checks no signature), without the client's content headers.
pub(crate) fn headers_for(ex: &Exchange, service: &str, content_type: &'static str) -> HeaderMap {
    let mut headers = ex.head.headers.clone();
    headers.remove("x-amz-target");
    headers.remove(CONTENT_TYPE);
    headers.remove("content-encoding");
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Some(auth) = headers.get(AUTHORIZATION).and_then(|v| v.to_str().ok()) {
        let scoped = auth.replacen(
            &format!("/{}/aws4_request", ex.call.service.name()),
            &format!("/{service}/aws4_request"),
            1,
        );
        if let Ok(value) = HeaderValue::from_str(&scoped) {
            headers.insert(AUTHORIZATION, value);
        }
    }
    headers
}

/// One IAM query call of the proxy's own, straight to moto: its status and body.
async fn iam_call(shared: &Shared, ex: &Exchange, form: &str) -> Option<(u16, String)> {
    let headers = headers_for(ex, "iam", "application/x-www-form-urlencoded");
    let (head, body) = send_upstream(
        shared.upstream,
        &Method::POST,
        &Uri::from_static("/"),
        &headers,
        Bytes::from(form.to_owned()),
    )
    .await
    .ok()?;
    Some((
        head.status.as_u16(),
        String::from_utf8_lossy(&body).into_owned(),
    ))
}

/// One Firehose call of the proxy's own, straight to moto; `None` unless it succeeded.
async fn firehose_call(
    shared: &Shared,
    ex: &Exchange,
    operation: &str,
    request: &Value,
) -> Option<Value> {
    json_call(
        shared,
        ex,
        "firehose",
        "Firehose_20150804",
        operation,
        request,
    )
    .await
}

/// One call of the proxy's own to a JSON 1.1 service of moto (`service` its SigV4 name,
/// `target` its `X-Amz-Target` prefix), signed as the client's call was; the answer's body,
/// or `None` unless it succeeded.
pub(crate) async fn json_call(
    shared: &Shared,
    ex: &Exchange,
    service: &str,
    target: &str,
    operation: &str,
    request: &Value,
) -> Option<Value> {
    let mut headers = headers_for(ex, service, "application/x-amz-json-1.1");
    headers.insert(
        "x-amz-target",
        HeaderValue::from_str(&format!("{target}.{operation}")).ok()?,
    );
    let (head, body) = send_upstream(
        shared.upstream,
        &Method::POST,
        &Uri::from_static("/"),
        &headers,
        Bytes::from(request.to_string()),
    )
    .await
    .ok()?;
    if !head.status.is_success() {
        return None;
    }
    serde_json::from_slice(&body).ok()
}

/// Form-encodes a value.
fn form_encode(text: &str) -> String {
    percent_encoding::utf8_percent_encode(text, percent_encoding::NON_ALPHANUMERIC).to_string()
}

/// The texts of every `<name>...</name>` element of an XML document.
fn xml_values(xml: &str, name: &str) -> Vec<String> {
    let (open, close) = (format!("<{name}>"), format!("</{name}>"));
    xml.split(&open)
        .skip(1)
        .filter_map(|rest| rest.split_once(&close).map(|(v, _)| v.to_owned()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_patches_forms_and_xml() {
        let body = br#"{"patchOperations":[{"op":"replace","path":"/accessLogSettings/format","value":"a\nb"}]}"#;
        assert_eq!(
            patch_operations(body),
            vec![("/accessLogSettings/format".to_owned(), "a\nb".to_owned())]
        );
        assert_eq!(
            xml_values(
                "<Tags><member><Key>a</Key></member><member><Key>b</Key></member>",
                "Key"
            ),
            vec!["a".to_owned(), "b".to_owned()]
        );
        assert_eq!(form_encode("/a b/"), "%2Fa%20b%2F");
    }
}
