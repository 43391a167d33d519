//! Read and import: everything is read back from AWS, so out-of-band changes reach the plan.
//! A pipeline stays in state while anything it owns exists (its stream, its role, or the
//! stage's pointer at its stream), so the plan shows the repair and destroy cleans up.

use std::collections::BTreeMap;

use crate::aws::arn::delivery_stream_name_of;
use crate::aws::clients::AwsClients;
use crate::aws::error::{AwsError, ErrorKind};
use crate::aws::{apigateway, firehose};
use crate::plugin::diagnostics::{Diagnostic, Diagnostics};
use crate::plugin::value::Value;
use crate::resources::stage_log::StageRef;
use crate::resources::stream_parts::error_logging;
use crate::resources::stream_parts::owner::user_tags;
use crate::resources::stream_parts::settings::StreamSettings;
use crate::resources::stream_parts::{catalog_table, role};
use crate::stage;

use super::fields::{DEFAULT_APPEND_NEWLINE, DEFAULT_FORMAT};
use super::model::{Observed, ObservedStream, Pipeline, Private, state_value};
use super::names;
use super::ownership::{self, Claim, Earlier, OWNER};
use super::steps::{self, failed};

/// What a look at AWS found, with the cache brought up to date and what is worth a warning.
pub struct Looked {
    pub observed: Observed,
    pub cache: Private,
    pub warnings: Diagnostics,
}

/// Looks at the pipeline's stream and its tags, the stage, and the owned role; `None` when
/// nothing of the pipeline is left.
pub async fn observe(
    clients: &AwsClients,
    p: &Pipeline,
    cache: &Private,
    role_just_written: bool,
) -> Result<Option<Looked>, AwsError> {
    let mut cache = cache.clone();
    let mut warnings = Diagnostics::new();
    let name = &p.delivery_stream_name;
    let found = match firehose::find_stream(clients, name).await {
        Ok(s) => Some(s),
        Err(e) if e.is(ErrorKind::NotFound) => None,
        Err(e) => return Err(e),
    };
    let tags = match &found {
        Some(_) => steps::stream_tags(clients, name).await?.unwrap_or_default(),
        None => BTreeMap::new(),
    };
    let claim = Claim::of(&tags);
    // The state of the previous version has no pipeline_id: its owner tag held one.
    let id = p
        .pipeline_id
        .clone()
        .or_else(|| claim.id().map(str::to_owned))
        .unwrap_or_else(ownership::new_pipeline_id);
    // A stream of this name made by another pipeline is not this one's.
    let stream = found.filter(|_| claim.id().is_none_or(|owner| owner == id));
    if stream.is_some() {
        cache.foreign_stream = claim.id().is_none();
        match ownership::Earlier::from_tags(&tags) {
            Ok(Some(earlier)) if claim.is(&id) => cache.earlier = Some(earlier),
            Ok(_) => {}
            Err(why) => warnings.push(Diagnostic::warning(
                "Record of the stage's earlier settings unreadable",
                format!(
                    "The {} tags of stream {name:?} do not decode ({why}); destroy will use the copy kept \
                     in Terraform's state, if any.",
                    ownership::EARLIER_TAG
                ),
            )),
        }
    }
    let (stage_exists, stage_access_log) =
        match apigateway::find_stage(clients, &p.rest_api_id, &p.stage_name).await {
            Ok(s) => (true, s.access_log),
            Err(e) if e.is(ErrorKind::NotFound) => (false, None),
            Err(e) => return Err(e),
        };
    if !stage_exists {
        warnings.push(Diagnostic::warning(
            "Stage gone",
            format!(
                "Stage {:?} of REST API {:?} no longer exists (deleted outside Terraform). The pipeline's \
                 stream and role are still there: an apply points the stage at them again once it exists, \
                 and destroy removes them.",
                p.stage_name, p.rest_api_id
            ),
        ));
    }
    let in_use = stream
        .as_ref()
        .and_then(|s| s.s3.as_ref())
        .map(|d| d.role_arn.clone())
        .or_else(|| p.settings.role_arn.clone());
    let uses_cached = cache.owned_role.is_some();
    let mut role = role::observe_owned_role(
        clients,
        &p.parts(),
        OWNER,
        &id,
        in_use.as_deref(),
        stream.as_ref(),
        uses_cached,
        &mut cache.bucket_region,
    )
    .await?;
    if let Some(found) = &role.found {
        cache.owned_role = Some(found.name.clone());
        if cache.earlier.is_none() {
            cache.earlier = Earlier::from_tags(&found.tags).ok().flatten();
        }
    }
    // Right after an apply wrote the role and its policy, IAM may still answer with what it
    // had ("Changes that I make are not always immediately visible", IAM User Guide): the
    // apply's own word stands until the next refresh.
    if role_just_written {
        role.intact = true;
        role.warning = None;
    }
    if let Some(warning) = role.warning.clone() {
        warnings.push(warning);
    }
    let pointed_at_us = stage_access_log
        .as_ref()
        .is_some_and(|l| steps::is_our_stream(&l.destination_arn, name));
    if stream.is_none()
        && !role.exists
        && !pointed_at_us
        && !error_logging::owned_exists(clients, name, OWNER, &id).await?
    {
        return Ok(None);
    }
    let stream = match stream {
        Some(s) => {
            let destination = s.s3.ok_or_else(|| {
                AwsError::fatal(
                    "firehose:DescribeDeliveryStream",
                    format!("stream {name} has no S3 destination"),
                )
            })?;
            let logging = error_logging::observe(clients, &destination.error_logging).await?;
            Some(ObservedStream {
                destination,
                arn: s.arn,
                encryption: s.encryption,
                error_logging: logging,
            })
        }
        None => {
            warnings.push(Diagnostic::warning(
                "Delivery stream gone",
                format!(
                    "Stream {name:?} of this pipeline was deleted outside Terraform. The plan makes it again; \
                     destroy gives the stage back its earlier settings and removes what is left."
                ),
            ));
            None
        }
    };
    let tags = match &stream {
        Some(_) => user_tags(&tags),
        None => p.settings.tags_all.clone(),
    };
    let seen = stream.as_ref().map(|s| (s.arn.as_str(), &s.destination));
    let catalog = catalog_table::observe(clients, &p.parts(), OWNER, &id, seen).await?;
    Ok(Some(Looked {
        observed: Observed {
            pipeline_id: id,
            stream,
            stage_exists,
            stage_access_log,
            role_intact: role.intact,
            tags,
            catalog,
        },
        cache,
        warnings,
    }))
}

/// The state after observing (null when the pipeline is gone) and the updated cache.
pub async fn read_state(
    clients: &AwsClients,
    p: &Pipeline,
    cache: &Private,
    role_just_written: bool,
) -> Result<(Value, Private), Diagnostics> {
    match observe(clients, p, cache, role_just_written).await {
        Ok(Some(l)) => Ok((state_value(p, &l.observed, &clients.default_tags), l.cache)),
        Ok(None) => Ok((Value::Null, cache.clone())),
        Err(e) => Err(failed("Cannot read the pipeline", e)),
    }
}

/// The cache in `private`, or the default with a warning that it was unreadable and what
/// is recovered from AWS instead.
pub fn decode_private(private: &[u8], diags: &mut Diagnostics) -> Private {
    Private::decode(private).unwrap_or_else(|why| {
        diags.push(Diagnostic::warning(
            "Private state unreadable",
            format!(
                "The provider's private data for this pipeline in Terraform's state does not decode ({why}). \
                 It is only a cache: what it held is read again from AWS (the owner and record tags on the \
                 stream and role)."
            ),
        ));
        Private::default()
    })
}

/// A refresh: the state after observing (null when the pipeline is gone) and the cache, with
/// warnings for what changed outside Terraform.
pub async fn refresh(
    clients: &AwsClients,
    p: &Pipeline,
    private: &[u8],
) -> Result<(Value, Vec<u8>, Diagnostics), Diagnostics> {
    let mut diags = Diagnostics::new();
    let cache = decode_private(private, &mut diags);
    match observe(clients, p, &cache, false).await {
        Ok(Some(l)) => {
            diags.extend(l.warnings);
            if let Some(warning) = repointed_warning(p.stage_ref(), p.enabled, &l.observed) {
                diags.push(warning);
            }
            Ok((
                state_value(p, &l.observed, &clients.default_tags),
                l.cache.encode(),
                diags,
            ))
        }
        Ok(None) => Ok((Value::Null, Vec::new(), diags)),
        Err(e) => Err(failed("Cannot read the pipeline", e)),
    }
}

/// When the prior state had `stage` pointed at this pipeline's stream (`enabled`) and the
/// stage now logs elsewhere or not at all: something outside this resource changed it. The
/// usual cause is `aws_api_gateway_stage`, whose `access_log_settings` is optional and not
/// computed, so each of its applies puts back what its configuration says, or removes the
/// settings when it says nothing (terraform-provider-aws,
/// `internal/service/apigateway/stage.go`, `resourceStageUpdate`).
fn repointed_warning(stage: StageRef<'_>, enabled: bool, o: &Observed) -> Option<Diagnostic> {
    let stream_arn = &o.stream.as_ref()?.arn;
    if !enabled || !o.stage_exists {
        return None;
    }
    let now = match &o.stage_access_log {
        Some(log) if &log.destination_arn == stream_arn => return None,
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
            stage.stage_name, stage.rest_api_id, stream_arn
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
    let stage = stage::find_or_say(clients, api, stage_name, false).await?;
    let pointed = stage
        .access_log
        .as_ref()
        .and_then(|l| delivery_stream_name_of(&l.destination_arn));
    let stream_name = pointed.unwrap_or_else(|| names::default_stream_name(api, stage_name));
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
    // A stream this provider made carries its pipeline's id, which the import takes on; one
    // made by hand is only pointed at, never changed, and destroy leaves it and the stage.
    let tags = steps::stream_tags(clients, &stream_name)
        .await
        .map_err(|e| failed("Cannot read the stream's tags", e))?
        .unwrap_or_default();
    let pipeline_id = Claim::of(&tags)
        .id()
        .map(str::to_owned)
        .unwrap_or_else(ownership::new_pipeline_id);
    // A format that ends in a newline reads as one the provider gave it (the default), so a
    // configuration that leaves append_newline unset plans no change.
    let held = stage.access_log.as_ref().map(|l| l.format.as_str());
    let (format, append_newline) = match held {
        Some(f) => match f.strip_suffix('\n') {
            Some(body) => (body.to_owned(), true),
            None => (f.to_owned(), false),
        },
        None => (DEFAULT_FORMAT.to_owned(), DEFAULT_APPEND_NEWLINE),
    };
    let base = Pipeline {
        pipeline_id: Some(pipeline_id),
        rest_api_id: api.to_owned(),
        stage_name: stage_name.to_owned(),
        format,
        append_newline,
        enabled: true,
        delivery_stream_name: stream_name,
        settings: StreamSettings::imported(&dest, &stream.encryption),
    };
    let (state, mut cache) = read_state(clients, &base, &Private::default(), false).await?;
    if cache.foreign_stream {
        // Nothing can be recorded on a stream made by hand: what the stage has now, which
        // destroy gives back, is kept in the state only.
        cache.earlier = Some(Earlier {
            access_log: stage.access_log.clone(),
        });
    }
    Ok((state, cache.encode()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aws::apigateway::AccessLog;
    use crate::aws::firehose::S3Destination;

    fn observed(stage: Option<&str>) -> Observed {
        Observed {
            catalog: Value::Null,
            pipeline_id: "p1".into(),
            stage_exists: true,
            role_intact: true,
            stream: Some(ObservedStream {
                arn: "arn:aws:firehose:us-east-1:1:deliverystream/s".into(),
                destination: S3Destination {
                    role_arn: "arn:aws:iam::1:role/r".into(),
                    bucket_arn: "arn:aws:s3:::b".into(),
                    prefix: None,
                    error_output_prefix: None,
                    buffering_size_mib: 5,
                    buffering_interval_seconds: 300,
                    compression: "GZIP".into(),
                    kms_key_arn: None,
                    format_conversion: None,
                    error_logging: Default::default(),
                    partitioning: None,
                },
                encryption: Default::default(),
                error_logging: Default::default(),
            }),
            stage_access_log: stage.map(|arn| AccessLog {
                destination_arn: arn.into(),
                format: "$context.requestId".into(),
            }),
            tags: Default::default(),
        }
    }

    #[test]
    fn a_stage_pointed_elsewhere_is_warned_about_with_the_likely_cause() {
        let stage = StageRef {
            rest_api_id: "a",
            stage_name: "prod",
        };
        let ours = "arn:aws:firehose:us-east-1:1:deliverystream/s";
        assert!(repointed_warning(stage, true, &observed(Some(ours))).is_none());
        let elsewhere = observed(Some("arn:aws:logs:us-east-1:1:log-group:g"));
        let w = repointed_warning(stage, true, &elsewhere).expect("a warning");
        assert!(w.detail.contains("aws_api_gateway_stage"), "{}", w.detail);
        assert!(
            w.detail.contains("ignore_changes = [access_log_settings]"),
            "{}",
            w.detail
        );
        assert!(repointed_warning(stage, true, &observed(None)).is_some());
        assert!(repointed_warning(stage, false, &observed(None)).is_none());
    }
}
