//! CloudWatch Logs where moto answers otherwise than AWS, and the rule Firehose puts on a
//! destination's CloudWatch logging options:
//!
//! - moto answers ListTagsForResource, TagResource and UntagResource for a log group that does
//!   not exist (with no tags, or by tagging nothing), where AWS answers
//!   ResourceNotFoundException (listed for all three in botocore data/logs/2014-03-28/
//!   service-2.json); the proxy answers as AWS does;
//! - moto keeps a deleted log group's tags, so a group made again under the same name would
//!   carry them; on AWS the tags go with the group. The proxy removes them in moto once its
//!   DeleteLogGroup succeeded;
//! - Firehose's `CloudWatchLoggingOptions.LogGroupName` and `LogStreamName`: "This value is
//!   required if CloudWatch logging is enabled" (botocore data/firehose/2015-08-04/
//!   service-2.json, CloudWatchLoggingOptions); moto takes the options without them.

use serde_json::{Value, json};

use super::Shared;
use super::classify::Service;
use super::faults::{self, Rng};
use super::handler::{Exchange, Reply};
use super::rules::{breach, json_call};
use super::stats::Outcome;

/// The log group a log-group ARN names (`arn:...:log-group:<name>`, with or without the `:*`
/// that DescribeLogGroups' `arn` ends in).
fn group_of_arn(arn: &str) -> Option<&str> {
    let name = arn.split_once(":log-group:")?.1;
    Some(name.strip_suffix(":*").unwrap_or(name))
}

/// AWS's answer instead of moto's, for a tagging call on a log group that does not exist.
pub(crate) async fn before_forward(shared: &Shared, ex: &Exchange, rng: &mut Rng) -> Option<Reply> {
    if ex.call.service != Service::Logs
        || !matches!(
            ex.call.operation.as_str(),
            "ListTagsForResource" | "TagResource" | "UntagResource"
        )
    {
        return None;
    }
    let body: Value = serde_json::from_slice(&ex.body).ok()?;
    let group = group_of_arn(body["resourceArn"].as_str()?)?;
    if group_arn(shared, ex, group).await?.is_some() {
        return None;
    }
    // CloudWatch Logs words it "The specified log group does not exist." (its
    // ResourceNotFoundException, as DeleteLogGroup and DescribeLogStreams answer it).
    let answer = faults::firehose_error(
        400,
        "ResourceNotFoundException",
        "The specified log group does not exist.",
        &rng.request_id(),
    );
    Some(Reply::Answer(answer, Outcome::Corrected))
}

/// Before a DeleteLogGroup goes to moto: the group's ARN, so its tags can be removed after.
pub(crate) async fn before_delete(shared: &Shared, ex: &Exchange) -> Option<String> {
    if !ex.call.is(Service::Logs, "DeleteLogGroup") {
        return None;
    }
    let body: Value = serde_json::from_slice(&ex.body).ok()?;
    group_arn(shared, ex, body["logGroupName"].as_str()?).await?
}

/// After moto deleted a log group: its tags go too, as on AWS.
pub(crate) async fn deleted(shared: &Shared, ex: &Exchange, arn: &str) {
    let Some(tags) = logs_call(
        shared,
        ex,
        "ListTagsForResource",
        &json!({ "resourceArn": arn }),
    )
    .await
    else {
        return;
    };
    let keys: Vec<&String> = tags["tags"]
        .as_object()
        .map(|m| m.keys().collect())
        .unwrap_or_default();
    if !keys.is_empty() {
        let request = json!({ "resourceArn": arn, "tagKeys": keys });
        logs_call(shared, ex, "UntagResource", &request).await;
    }
}

/// The ARN (without `:*`) of log group `name` in moto: `Some(None)` when there is no such
/// group, None when moto could not be asked.
async fn group_arn(shared: &Shared, ex: &Exchange, name: &str) -> Option<Option<String>> {
    let mut token: Option<String> = None;
    loop {
        let mut request = json!({ "logGroupNamePrefix": name });
        if let Some(t) = &token {
            request["nextToken"] = json!(t);
        }
        let page = logs_call(shared, ex, "DescribeLogGroups", &request).await?;
        let groups = page["logGroups"].as_array().cloned().unwrap_or_default();
        if let Some(g) = groups.iter().find(|g| g["logGroupName"] == name) {
            let arn = g["logGroupArn"]
                .as_str()
                .or_else(|| g["arn"].as_str())
                .map(|a| a.strip_suffix(":*").unwrap_or(a).to_owned());
            return Some(arn);
        }
        token = page["nextToken"].as_str().map(str::to_owned);
        if token.is_none() {
            return Some(None);
        }
    }
}

/// One CloudWatch Logs call of the proxy's own, straight to moto.
pub(crate) async fn logs_call(
    shared: &Shared,
    ex: &Exchange,
    operation: &str,
    request: &Value,
) -> Option<Value> {
    json_call(shared, ex, "logs", "Logs_20140328", operation, request).await
}

/// The rule a CreateDeliveryStream or UpdateDestination breaks with its S3 destination's
/// CloudWatch logging options, if any: enabled without a log group or stream.
pub(crate) fn firehose_logging_options(
    shared: &Shared,
    ex: &Exchange,
    rng: &mut Rng,
) -> Option<Reply> {
    let body: Value = serde_json::from_slice(&ex.body).ok()?;
    let destination = [
        "ExtendedS3DestinationConfiguration",
        "ExtendedS3DestinationUpdate",
    ]
    .iter()
    .find_map(|k| body.get(*k))?;
    let options = destination.get("CloudWatchLoggingOptions")?;
    if options["Enabled"].as_bool() != Some(true) {
        return None;
    }
    let named = |k: &str| options[k].as_str().is_some_and(|n| !n.is_empty());
    if named("LogGroupName") && named("LogStreamName") {
        return None;
    }
    let message =
        "LogGroupName and LogStreamName are required when CloudWatch logging is enabled".to_owned();
    let answer =
        faults::firehose_error(400, "InvalidArgumentException", &message, &rng.request_id());
    Some(breach(
        shared,
        ex,
        "firehose.cloudWatchLoggingNames",
        &message,
        answer,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_group_of_an_arn() {
        assert_eq!(
            group_of_arn("arn:aws:logs:us-east-1:123456789012:log-group:/aws/kinesisfirehose/s:*"),
            Some("/aws/kinesisfirehose/s")
        );
        assert_eq!(
            group_of_arn("arn:aws:logs:us-east-1:123456789012:log-group:g"),
            Some("g")
        );
        assert_eq!(group_of_arn("arn:aws:logs:us-east-1:1:destination:d"), None);
    }
}
