//! Read and import: everything is read back from AWS, so out-of-band changes reach the plan.

use crate::aws::clients::AwsClients;
use crate::aws::error::{AwsError, ErrorKind};
use crate::aws::{apigateway, firehose, iam};
use crate::log_format;
use crate::plugin::diagnostics::{Diagnostic, Diagnostics};
use crate::plugin::value::Value;

use super::encryption::Encryption;
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
        encryption: stream.encryption,
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

/// A refresh: the state after observing (null when the pipeline is gone), with a warning when
/// a stage this pipeline had pointed at its stream no longer is.
pub async fn refresh(
    clients: &AwsClients,
    p: &Pipeline,
) -> Result<(Value, Diagnostics), Diagnostics> {
    match observe(clients, p).await {
        Ok(Some(o)) => {
            let mut diags = Diagnostics::new();
            if let Some(warning) = repointed_warning(p, &o) {
                diags.push(warning);
            }
            Ok((state_value(p, &o, &clients.default_tags), diags))
        }
        Ok(None) => Ok((Value::Null, Diagnostics::new())),
        Err(e) => Err(failed("Cannot read the pipeline", e)),
    }
}

/// When the prior state had the stage pointed at this pipeline's stream (`enabled`) and the
/// stage now logs elsewhere or not at all: something outside this resource changed it. The
/// usual cause is `aws_api_gateway_stage`, whose `access_log_settings` is optional and not
/// computed, so each of its applies puts back what its configuration says, or removes the
/// settings when it says nothing (terraform-provider-aws,
/// `internal/service/apigateway/stage.go`, `resourceStageUpdate`).
fn repointed_warning(p: &Pipeline, o: &Observed) -> Option<Diagnostic> {
    if !p.enabled {
        return None;
    }
    let now = match &o.stage_access_log {
        Some(log) if log.destination_arn == o.stream_arn => return None,
        Some(log) => format!("now sends them to {}", log.destination_arn),
        None => "has access logging turned off".to_owned(),
    };
    Some(Diagnostic::warning(
        "Stage repointed outside this resource",
        format!(
            "Stage {:?} of REST API {:?} no longer sends its access logs to this pipeline's stream {}: it {now}. \
             Something outside this resource changed the stage. The likely cause is an aws_api_gateway_stage \
             for the same stage: each of its applies writes its own access_log_settings (or removes them), \
             so the two resources undo each other. Add `lifecycle {{ ignore_changes = [access_log_settings] }}` \
             to the aws_api_gateway_stage. The plan below points the stage back at the stream.",
            p.stage_name, p.rest_api_id, o.stream_arn
        ),
    ))
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
        server_side_encryption: Encryption::observed(&Encryption::default(), &stream.encryption),
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aws::apigateway::AccessLog;
    use crate::aws::firehose::S3Destination;

    fn observed(stage: Option<&str>) -> Observed {
        Observed {
            stream_arn: "arn:aws:firehose:us-east-1:1:deliverystream/s".into(),
            destination: S3Destination {
                role_arn: "arn:aws:iam::1:role/r".into(),
                bucket_arn: "arn:aws:s3:::b".into(),
                prefix: None,
                error_output_prefix: None,
                buffering_size_mib: 5,
                buffering_interval_seconds: 300,
                compression: "GZIP".into(),
                kms_key_arn: None,
            },
            stage_access_log: stage.map(|arn| AccessLog {
                destination_arn: arn.into(),
                format: "$context.requestId".into(),
            }),
            encryption: Default::default(),
            tags: Default::default(),
        }
    }

    #[test]
    fn a_stage_pointed_elsewhere_is_warned_about_with_the_likely_cause() {
        let mut p = Pipeline::from_value(&Value::object([
            ("rest_api_id", "a".into()),
            ("stage_name", "prod".into()),
            ("enabled", true.into()),
        ]));
        let ours = "arn:aws:firehose:us-east-1:1:deliverystream/s";
        assert!(repointed_warning(&p, &observed(Some(ours))).is_none());
        let w = repointed_warning(&p, &observed(Some("arn:aws:logs:us-east-1:1:log-group:g")))
            .expect("a warning");
        assert!(w.detail.contains("aws_api_gateway_stage"), "{}", w.detail);
        assert!(
            w.detail.contains("ignore_changes = [access_log_settings]"),
            "{}",
            w.detail
        );
        assert!(repointed_warning(&p, &observed(None)).is_some());
        p.enabled = false;
        assert!(repointed_warning(&p, &observed(None)).is_none());
    }
}
