//! CloudWatch Logs groups and streams that a Firehose stream writes its delivery errors to:
//! create, find, tags, delete.

use std::collections::{BTreeMap, HashMap};

use super::call::send;
use super::clients::AwsClients;
use super::error::{AwsError, ErrorKind};

/// Creates a log group with tags; an existing one is `ErrorKind::AlreadyExists`.
pub async fn create_log_group(
    aws: &AwsClients,
    name: &str,
    tags: &BTreeMap<String, String>,
) -> Result<(), AwsError> {
    let tags: HashMap<String, String> = tags.clone().into_iter().collect();
    send(
        aws,
        "logs:CreateLogGroup",
        aws.logs
            .create_log_group()
            .log_group_name(name)
            .set_tags((!tags.is_empty()).then_some(tags))
            .send(),
    )
    .await?;
    Ok(())
}

/// Creates a log stream in a group; an existing one is `ErrorKind::AlreadyExists`, a missing
/// group `ErrorKind::NotFound`.
pub async fn create_log_stream(aws: &AwsClients, group: &str, name: &str) -> Result<(), AwsError> {
    send(
        aws,
        "logs:CreateLogStream",
        aws.logs
            .create_log_stream()
            .log_group_name(group)
            .log_stream_name(name)
            .send(),
    )
    .await?;
    Ok(())
}

/// Whether log stream `name` exists in `group`; a missing group is `ErrorKind::NotFound`.
/// One call: DescribeLogStreams with the name as prefix, whose answer is sorted by name, so the
/// stream, if there, is on its first page.
pub async fn log_stream_exists(
    aws: &AwsClients,
    group: &str,
    name: &str,
) -> Result<bool, AwsError> {
    let out = send(
        aws,
        "logs:DescribeLogStreams",
        aws.logs
            .describe_log_streams()
            .log_group_name(group)
            .log_stream_name_prefix(name)
            .send(),
    )
    .await?;
    Ok(out
        .log_streams()
        .iter()
        .any(|s| s.log_stream_name() == Some(name)))
}

/// The tags of the log group `arn`; a missing group is `ErrorKind::NotFound`.
pub async fn list_tags(aws: &AwsClients, arn: &str) -> Result<BTreeMap<String, String>, AwsError> {
    let out = send(
        aws,
        "logs:ListTagsForResource",
        aws.logs.list_tags_for_resource().resource_arn(arn).send(),
    )
    .await?;
    Ok(out
        .tags()
        .map(|t| t.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
        .unwrap_or_default())
}

/// Makes the log group's tags equal `want`.
pub async fn sync_tags(
    aws: &AwsClients,
    arn: &str,
    have: &BTreeMap<String, String>,
    want: &BTreeMap<String, String>,
) -> Result<(), AwsError> {
    let super::tags::TagChange { remove, set } = super::tags::change(have, want);
    if !remove.is_empty() {
        send(
            aws,
            "logs:UntagResource",
            aws.logs
                .untag_resource()
                .resource_arn(arn)
                .set_tag_keys(Some(remove))
                .send(),
        )
        .await?;
    }
    if !set.is_empty() {
        send(
            aws,
            "logs:TagResource",
            aws.logs
                .tag_resource()
                .resource_arn(arn)
                .set_tags(Some(set.into_iter().collect()))
                .send(),
        )
        .await?;
    }
    Ok(())
}

/// Deletes a log group and everything in it; one already gone is not an error.
pub async fn delete_log_group(aws: &AwsClients, name: &str) -> Result<(), AwsError> {
    match send(
        aws,
        "logs:DeleteLogGroup",
        aws.logs.delete_log_group().log_group_name(name).send(),
    )
    .await
    {
        Ok(_) => Ok(()),
        Err(e) if e.is(ErrorKind::NotFound) => Ok(()),
        Err(e) => Err(e),
    }
}
