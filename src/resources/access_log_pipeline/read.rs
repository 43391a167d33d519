//! Read and import: everything is read back from AWS, so out-of-band changes reach the plan.

use crate::aws::clients::AwsClients;
use crate::aws::error::{AwsError, ErrorKind};
use crate::aws::{apigateway, firehose, iam};
use crate::log_format;
use crate::plugin::diagnostics::Diagnostics;
use crate::plugin::value::Value;

use super::model::{OWNER_TAG, Observed, Pipeline, Private, S3Settings, state_value};
use super::names;
use super::steps::{self, failed, role_name_of};

/// Looks at the pipeline's stream, its tags and the stage; `None` when stream or stage is gone.
pub async fn observe(clients: &AwsClients, p: &Pipeline) -> Result<Option<Observed>, AwsError> {
    let stream = match firehose::find_stream(clients, &p.delivery_stream_name).await {
        Ok(s) => s,
        Err(e) if e.is(ErrorKind::NotFound) => return Ok(None),
        Err(e) => return Err(e),
    };
    let stage = match apigateway::find_stage(clients, &p.rest_api_id, &p.stage_name).await {
        Ok(s) => s,
        Err(e) if e.is(ErrorKind::NotFound) => return Ok(None),
        Err(e) => return Err(e),
    };
    let mut tags = firehose::list_tags(clients, &p.delivery_stream_name).await?;
    tags.remove(OWNER_TAG);
    let destination = stream.s3.ok_or_else(|| {
        AwsError::fatal(
            "firehose:DescribeDeliveryStream",
            format!("stream {} has no S3 destination", p.delivery_stream_name),
        )
    })?;
    Ok(Some(Observed {
        stream_arn: stream.arn,
        destination,
        stage_access_log: stage.access_log,
        tags,
    }))
}

/// The state after observing; null when the pipeline is gone.
pub async fn read_state(clients: &AwsClients, p: &Pipeline) -> Result<Value, Diagnostics> {
    match observe(clients, p).await {
        Ok(Some(o)) => Ok(state_value(p, &o, &clients.default_tags)),
        Ok(None) => Ok(Value::Null),
        Err(e) => Err(failed("Cannot read the pipeline", e)),
    }
}

/// Rebuilds state and private state from AWS for `<rest_api_id>/<stage_name>`.
pub async fn import(clients: &AwsClients, id: &str) -> Result<(Value, Vec<u8>), Diagnostics> {
    let Some((api, stage_name)) = id
        .split_once('/')
        .filter(|(a, s)| !a.is_empty() && !s.is_empty() && !s.contains('/'))
    else {
        return Err(failed(
            "Invalid import id",
            format!("Expected <rest_api_id>/<stage_name>, got {id:?}."),
        ));
    };
    let stage = steps::find_stage_or_say(clients, api, stage_name, false).await?;
    let pointed = stage
        .access_log
        .as_ref()
        .and_then(|l| l.destination_arn.split(":deliverystream/").nth(1));
    let stream_name = pointed
        .map(str::to_owned)
        .unwrap_or_else(|| names::default_stream_name(api, stage_name));
    let stream = firehose::find_stream(clients, &stream_name).await.map_err(|e| {
        if e.is(ErrorKind::NotFound) {
            failed(
                "No pipeline to import",
                format!("Stage {stage_name:?} of REST API {api:?} does not deliver access logs to a Firehose stream, and there is no stream {stream_name:?}."),
            )
        } else {
            failed("Cannot read the stream", e)
        }
    })?;
    let Some(dest) = stream.s3 else {
        return Err(failed(
            "Not an S3 pipeline",
            format!("Stream {stream_name:?} does not deliver to S3."),
        ));
    };
    // The role is ours to delete only if this provider made it for this very pipeline.
    let owned_role = match iam::find_role(clients, role_name_of(&dest.role_arn)).await {
        Ok(role) if role.tags.get(OWNER_TAG).map(String::as_str) == Some(id) => Some(role.name),
        Ok(_) => None,
        Err(e) if e.is(ErrorKind::NotFound) => None,
        Err(e) => return Err(failed("Cannot read the stream's IAM role", e)),
    };
    let format = stage
        .access_log
        .as_ref()
        .map(|l| l.format.clone())
        .unwrap_or_else(|| log_format::JSON.to_owned());
    let base = Pipeline {
        rest_api_id: api.to_owned(),
        stage_name: stage_name.to_owned(),
        format,
        enabled: true,
        delivery_stream_name: stream_name,
        role_arn: Some(dest.role_arn.clone()),
        s3: S3Settings {
            bucket_arn: dest.bucket_arn.clone(),
            prefix: dest.prefix.clone(),
            error_output_prefix: dest.error_output_prefix.clone(),
            buffering_size_mib: i64::from(dest.buffering_size_mib),
            buffering_interval_seconds: i64::from(dest.buffering_interval_seconds),
            compression: dest.compression.clone(),
            kms_key_arn: dest.kms_key_arn.clone(),
        },
        tags: None,
        tags_all: Default::default(),
        timeouts: Value::Null,
    };
    let state = read_state(clients, &base).await?;
    let private = Private {
        previous_access_log: None,
        owned_role,
    };
    Ok((state, private.encode()))
}
