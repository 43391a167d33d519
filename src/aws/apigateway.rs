//! API Gateway stages: find a stage, point (or un-point) its access logs, and tag it.

use std::collections::BTreeMap;

use aws_sdk_apigateway::types::{Op, PatchOperation};

use super::call::send;
use super::clients::AwsClients;
use super::error::{AwsError, ErrorKind};

/// A stage's access-log settings: where records go and how each line is formatted.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct AccessLog {
    pub destination_arn: String,
    pub format: String,
}

/// What the provider needs to know of a stage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stage {
    pub access_log: Option<AccessLog>,
    /// The stage's tags, as GetStage returns them.
    pub tags: BTreeMap<String, String>,
}

/// Which of the two was missing when a stage was not found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Missing {
    RestApi,
    Stage,
}

/// Reads a stage; a missing REST API or stage is `ErrorKind::NotFound`.
pub async fn find_stage(
    aws: &AwsClients,
    rest_api_id: &str,
    stage_name: &str,
) -> Result<Stage, AwsError> {
    let out = send(
        aws,
        "apigateway:GetStage",
        aws.apigateway
            .get_stage()
            .rest_api_id(rest_api_id)
            .stage_name(stage_name)
            .send(),
    )
    .await?;
    let access_log = out.access_log_settings().and_then(|s| {
        let destination_arn = s.destination_arn().filter(|d| !d.is_empty())?;
        Some(AccessLog {
            destination_arn: destination_arn.to_owned(),
            format: s.format().unwrap_or_default().to_owned(),
        })
    });
    let tags = out
        .tags()
        .map(|t| t.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
        .unwrap_or_default();
    Ok(Stage { access_log, tags })
}

/// Adds or overwrites tags on a stage (TagResource).
pub async fn tag_stage(
    aws: &AwsClients,
    stage_arn: &str,
    tags: &BTreeMap<String, String>,
) -> Result<(), AwsError> {
    if tags.is_empty() {
        return Ok(());
    }
    send(
        aws,
        "apigateway:TagResource",
        aws.apigateway
            .tag_resource()
            .resource_arn(stage_arn)
            .set_tags(Some(tags.clone().into_iter().collect()))
            .send(),
    )
    .await?;
    Ok(())
}

/// Removes tags from a stage by key (UntagResource).
pub async fn untag_stage(
    aws: &AwsClients,
    stage_arn: &str,
    keys: &[String],
) -> Result<(), AwsError> {
    if keys.is_empty() {
        return Ok(());
    }
    send(
        aws,
        "apigateway:UntagResource",
        aws.apigateway
            .untag_resource()
            .resource_arn(stage_arn)
            .set_tag_keys(Some(keys.to_vec()))
            .send(),
    )
    .await?;
    Ok(())
}

/// After a stage was not found: tells whether the REST API itself is missing.
pub async fn which_is_missing(aws: &AwsClients, rest_api_id: &str) -> Result<Missing, AwsError> {
    match send(
        aws,
        "apigateway:GetRestApi",
        aws.apigateway
            .get_rest_api()
            .rest_api_id(rest_api_id)
            .send(),
    )
    .await
    {
        Ok(_) => Ok(Missing::Stage),
        Err(e) => {
            if e.is(ErrorKind::NotFound) {
                Ok(Missing::RestApi)
            } else {
                Err(e)
            }
        }
    }
}

/// Points the stage's access logs at `access_log`, or turns access logging off for `None`.
/// Takes effect without a redeployment.
pub async fn set_access_log(
    aws: &AwsClients,
    rest_api_id: &str,
    stage_name: &str,
    access_log: Option<&AccessLog>,
) -> Result<(), AwsError> {
    let patch = |op: Op, path: &str, value: Option<&str>| {
        PatchOperation::builder()
            .op(op)
            .path(path)
            .set_value(value.map(str::to_owned))
            .build()
    };
    let ops = match access_log {
        Some(log) => vec![
            patch(
                Op::Replace,
                "/accessLogSettings/destinationArn",
                Some(&log.destination_arn),
            ),
            patch(Op::Replace, "/accessLogSettings/format", Some(&log.format)),
        ],
        None => vec![patch(Op::Remove, "/accessLogSettings", None)],
    };
    send(
        aws,
        "apigateway:UpdateStage",
        aws.apigateway
            .update_stage()
            .rest_api_id(rest_api_id)
            .stage_name(stage_name)
            .set_patch_operations(Some(ops))
            .send(),
    )
    .await?;
    Ok(())
}
