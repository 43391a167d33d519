//! The attachment's lifecycle, as scripts of steps on one stage: claim it (a tag on the stage
//! that records what it had), point it at the stream, and on destroy give it back and drop the
//! claim. The stream is never touched: it may be shared, or someone else's.

use crate::aws::apigateway::{self, AccessLog, Stage};
use crate::aws::arn;
use crate::aws::clients::AwsClients;
use crate::aws::error::ErrorKind;
use crate::plugin::diagnostics::{Diagnostic, Diagnostics};
use crate::plugin::framework::OpContext;
use crate::plugin::value::Value;
use crate::resources::access_log_pipeline::ownership::{self, Earlier};
use crate::resources::access_log_pipeline::steps::failed;
use crate::resources::stream_parts::partitioning;
use crate::resources::{stage_claim, stage_log};

use super::claim::{self, Holder};
use super::fields::{DEFAULT_APPEND_NEWLINE, DEFAULT_FORMAT, DESTINATION_ARN, FORMAT};
use super::model::{Attachment, Private};
use crate::resources::access_log_pipeline::fields as pipeline;

/// The stage's ARN, for tagging.
async fn stage_arn(clients: &AwsClients, a: &Attachment) -> Result<String, Diagnostics> {
    let identity = clients
        .identity()
        .await
        .map_err(|e| failed("Cannot tell the caller's partition", e))?;
    Ok(arn::stage_arn(
        &identity.partition,
        &clients.region,
        &a.rest_api_id,
        &a.stage_name,
    ))
}

/// Create: refuse a stage another resource holds, claim it with the record of what it has,
/// check that the claim is ours (tags have no compare-and-swap: the last writer wins), point
/// the stage at the stream, then mark the claim finished. A failure after the claim returns
/// the state with the error, so Terraform taints it and destroy gives the stage back.
pub async fn create(
    clients: &AwsClients,
    ctx: &OpContext,
    planned: &Value,
) -> (Value, Vec<u8>, Diagnostics) {
    let mut a = Attachment::from_value(planned);
    let id = ownership::new_pipeline_id();
    let destination = a.destination_arn.clone().unwrap_or_default();
    let nothing = |d| (Value::Null, Vec::new(), d);
    if let Some((other, _)) =
        ownership::claim_in_process(&a.stage_key(&clients.region), &id, &destination)
    {
        return nothing(claim::taken(
            &a,
            &format!(
                "another apigw_access_log_pipeline or apigw_stage_access_log of this configuration \
                 (its id {other:?})"
            ),
            "keep one resource per stage",
        ));
    }
    let stage = match crate::stage::find_or_say(clients, &a.rest_api_id, &a.stage_name, true).await
    {
        Ok(s) => s,
        Err(d) => return nothing(d),
    };
    let earlier = match claim::holder(clients, &stage).await {
        Ok(holder) => claim::earlier_for_create(&a, &id, &stage, holder),
        Err(d) => Err(d),
    };
    let earlier = match earlier {
        Ok(e) => e,
        Err(d) => return nothing(d),
    };
    let mut diags = Diagnostics::new();
    match check_stream(clients, &a).await {
        Ok(Some(w)) => diags.push(w),
        Ok(None) => {}
        Err(d) => return nothing(d),
    }
    let private = Private {
        earlier: Some(earlier.clone()),
        unclaimed: false,
        adopted: false,
        applied: Some(destination),
        ..Private::default()
    };
    a.attachment_id = Some(id.clone());
    match claim_and_point(clients, ctx, &a, &id, &stage, &earlier).await {
        Ok(()) => (a.to_value(), private.encode(), diags),
        Err((claimed, d)) if claimed => {
            diags.extend(d);
            (a.to_value(), private.encode(), diags)
        }
        Err((_, d)) => nothing(d),
    }
}

/// What the stream the stage is to log to says of this attachment: an error when it is a
/// partitioned stream whose partition keys this format's records lack, a warning when it is
/// missing or in another account or region than the stage. AWS documents access-log delivery
/// to a stream by its ARN, and nothing of streams elsewhere ("Log REST API calls to Amazon
/// Data Firehose in API Gateway", API Gateway Developer Guide); a record whose partition keys
/// cannot be extracted is delivered under the error prefix, not the prefix ("Handle errors in
/// dynamic partitioning", Firehose Developer Guide).
async fn check_stream(
    clients: &AwsClients,
    a: &Attachment,
) -> Result<Option<Diagnostic>, Diagnostics> {
    let destination = a.destination_arn.as_deref().unwrap_or_default();
    let at = |name: &'static str| crate::plugin::diagnostics::AttrPath::attrs([name]);
    let Some(name) = claim::own_stream_of(clients, destination).await? else {
        return Ok(Some(
            Diagnostic::warning(
                "Stream of another account or region",
                format!(
                    "{destination} is not in the provider's account and region ({}). AWS documents no \
                     delivery of access logs to a stream elsewhere; check that records arrive.",
                    clients.region
                ),
            )
            .at(at(DESTINATION_ARN)),
        ));
    };
    let stream = match crate::aws::firehose::find_stream(clients, &name).await {
        Ok(s) => s,
        Err(e) if e.is(ErrorKind::NotFound) => {
            return Ok(Some(
                Diagnostic::warning(
                    "No such stream",
                    format!(
                        "There is no Firehose stream {name:?} in region {}: the stage will log nowhere \
                         until it exists. Check destination_arn for a typo.",
                        clients.region
                    ),
                )
                .at(at(DESTINATION_ARN)),
            ));
        }
        Err(e) => return Err(failed("Cannot read the stream", e)),
    };
    // Only the provider's own partitioning query is known to read `apiId` and `stage`.
    let partitioned = stream
        .s3
        .as_ref()
        .and_then(|d| d.partitioning.as_ref())
        .is_some_and(|p| p.query == partitioning::query());
    if let Some(why) = partitioned
        .then(|| partitioning::unpartitionable(&a.format))
        .flatten()
    {
        let mut diags = Diagnostics::new();
        diags.attr_error(
            &at(FORMAT),
            "Format cannot be partitioned",
            format!(
                "Stream {name:?} is partitioned per API and stage, but {why}. Firehose would deliver \
                 every record of this stage under the stream's error prefix. Use one of the \
                 stream's `formats`, or a JSON format with \"apiId\":\"$context.apiId\" and \
                 \"stage\":\"$context.stage\"."
            ),
        );
        return Err(diags);
    }
    Ok(None)
}

/// The steps of create after the checks; the error says whether the stage was claimed.
async fn claim_and_point(
    clients: &AwsClients,
    ctx: &OpContext,
    a: &Attachment,
    id: &str,
    stage: &Stage,
    earlier: &Earlier,
) -> Result<(), (bool, Diagnostics)> {
    let arn = stage_arn(clients, a).await.map_err(|d| (false, d))?;
    let creating = claim::claim_tags(id, true, earlier);
    claim::check_tag_room(a, stage, &creating).map_err(|d| (false, d))?;
    claim::write_claim(clients, &arn, &stage.tags, &creating)
        .await
        .map_err(|d| (false, d))?;
    // Another create may have tagged the stage at the same moment: whichever claim the stage
    // holds now is the one that goes on.
    let now = apigateway::find_stage(clients, &a.rest_api_id, &a.stage_name)
        .await
        .map_err(|e| (true, failed("Cannot read the stage", e)))?;
    if stage_claim::claim_of(&now.tags).map(|(who, _)| who) != Some(id) {
        return Err((
            false,
            claim::taken(
                a,
                "another apigw_stage_access_log, whose create claimed it at the same time",
                "apply again once that one has finished, and keep one resource per stage",
            ),
        ));
    }
    point(clients, ctx, a).await.map_err(|d| (true, d))?;
    let done = claim::claim_tags(id, false, earlier);
    claim::write_claim(clients, &arn, &creating, &done)
        .await
        .map_err(|d| (true, d))
}

async fn point(clients: &AwsClients, ctx: &OpContext, a: &Attachment) -> Result<(), Diagnostics> {
    let log = AccessLog {
        destination_arn: a.destination_arn.clone().unwrap_or_default(),
        format: a.stage_format(),
    };
    stage_log::point(clients, &a.stage_ref(), &log, &ctx.cancel).await
}

/// Whether the stage still carries this attachment's claim, and the record of what it had
/// before (from the stage, from the stream of the pipeline it was moved from, or cached).
fn record_of(a: &Attachment, holder: &Holder, private: &Private) -> (bool, Option<Earlier>) {
    let mine = a.attachment_id.as_deref();
    match holder {
        Holder::Attachment { id, earlier, .. } if Some(id.as_str()) == mine => {
            (true, earlier.clone().or_else(|| private.earlier.clone()))
        }
        Holder::Pipeline { id, earlier, .. } if Some(id.as_str()) == mine => {
            (true, earlier.clone().or_else(|| private.earlier.clone()))
        }
        _ => (false, private.earlier.clone()),
    }
}

/// Read: a stage that is gone, or that another attachment has taken, ends the resource; the
/// destination and format are read back from the stage, so any change shows in the plan.
pub async fn read(
    clients: &AwsClients,
    state: &Value,
    private: &[u8],
) -> Result<(Value, Vec<u8>, Diagnostics), Diagnostics> {
    let a = Attachment::from_value(state);
    let mut cache = Private::decode(private);
    let mut diags = Diagnostics::new();
    let stage = match apigateway::find_stage(clients, &a.rest_api_id, &a.stage_name).await {
        Ok(s) => s,
        Err(e) if e.is(ErrorKind::NotFound) => {
            diags.push(Diagnostic::warning(
                "Stage gone",
                format!(
                    "Stage {:?} of REST API {:?} no longer exists; the attachment is removed from the state.",
                    a.stage_name, a.rest_api_id
                ),
            ));
            return Ok((Value::Null, Vec::new(), diags));
        }
        Err(e) => return Err(failed("Cannot read the stage", e)),
    };
    let holder = claim::holder(clients, &stage).await?;
    if std::mem::take(&mut cache.announce_import) {
        diags.push(Diagnostic::warning(
            "Imported a stage another attachment claimed",
            format!(
                "Stage {:?} of REST API {:?} carries the claim of attachment {:?}, which this import \
                 takes over (as after a `terraform state rm`). If another configuration still manages \
                 that attachment, remove it from one of the two: both would change the stage, and \
                 the first destroy gives the stage back.",
                a.stage_name,
                a.rest_api_id,
                a.attachment_id.as_deref().unwrap_or_default()
            ),
        ));
    }
    if let Holder::Attachment { id, .. } = &holder {
        if a.attachment_id.as_deref() != Some(id.as_str()) {
            diags.push(Diagnostic::warning(
                "Stage taken by another attachment",
                format!(
                    "Stage {:?} of REST API {:?} is now claimed by attachment {id:?}; this one is removed \
                     from the state and leaves it alone.",
                    a.stage_name, a.rest_api_id
                ),
            ));
            return Ok((Value::Null, Vec::new(), diags));
        }
    }
    let (claimed, earlier) = record_of(&a, &holder, &cache);
    if !claimed && !cache.unclaimed {
        diags.push(Diagnostic::warning(
            "Stage claim missing",
            format!(
                "Stage {:?} of REST API {:?} no longer carries this attachment's claim (the tag {} was \
                 removed outside Terraform, perhaps by another tool managing the stage's tags). The next \
                 apply writes it back; until then another attachment could take the stage.",
                a.stage_name,
                a.rest_api_id,
                crate::resources::stage_claim::ATTACHMENT_TAG
            ),
        ));
    }
    cache.earlier = earlier;
    cache.unclaimed = !claimed;
    Ok((observed(&a, &stage).to_value(), cache.encode(), diags))
}

/// The attachment as the stage shows it now.
fn observed(a: &Attachment, stage: &Stage) -> Attachment {
    let mut now = a.clone();
    match &stage.access_log {
        Some(log) => {
            let (format, append_newline) =
                crate::log_format::as_configured(&log.format, &a.format, a.append_newline);
            now.destination_arn = Some(log.destination_arn.clone());
            now.format = format;
            now.append_newline = append_newline;
        }
        None => now.destination_arn = None,
    }
    now
}

/// Update: refuse a stage someone else holds by now, claim it again if its claim is missing,
/// and point it at the planned stream and format.
pub async fn update(
    clients: &AwsClients,
    ctx: &OpContext,
    prior: &Value,
    planned: &Value,
    private: &[u8],
) -> (Value, Vec<u8>, Diagnostics) {
    let mut a = Attachment::from_value(planned);
    // The id is the prior one: a plan that writes a missing claim back shows it as unknown.
    a.attachment_id = Attachment::from_value(prior).attachment_id;
    let id = a.attachment_id.clone().unwrap_or_default();
    let mut cache = Private::decode(private);
    let fail = |d| (prior.clone(), private.to_vec(), d);
    let stage = match crate::stage::find_or_say(clients, &a.rest_api_id, &a.stage_name, true).await
    {
        Ok(s) => s,
        Err(d) => return fail(d),
    };
    let holder = match claim::holder(clients, &stage).await {
        Ok(h) => h,
        Err(d) => return fail(d),
    };
    if let Some(who) = claim::held_by_other(&holder, Some(&id)) {
        return fail(claim::taken(
            &a,
            &who,
            "destroy that resource, or remove this one from the configuration",
        ));
    }
    let before = Attachment::from_value(prior);
    let mut diags = Diagnostics::new();
    if before.destination_arn != a.destination_arn || before.format != a.format {
        match check_stream(clients, &a).await {
            Ok(Some(w)) => diags.push(w),
            Ok(None) => {}
            Err(d) => return fail(d),
        }
    }
    // The claim goes on the stage itself before the stage is changed: when it is missing, and
    // when this attachment holds the stage through the stream of the pipeline it was moved
    // from (a new destination would leave that stream, and its record, behind).
    let (_, record) = record_of(&a, &holder, &cache);
    let through_pipeline = matches!(holder, Holder::Pipeline { .. });
    if cache.unclaimed || through_pipeline {
        let earlier = record.or_else(|| cache.earlier.clone()).unwrap_or_default();
        let want = claim::claim_tags(&id, false, &earlier);
        if let Err(d) = claim::check_tag_room(&a, &stage, &want) {
            return fail(d);
        }
        let arn = match stage_arn(clients, &a).await {
            Ok(arn) => arn,
            Err(d) => return fail(d),
        };
        if let Err(d) = claim::write_claim(clients, &arn, &stage.tags, &want).await {
            return fail(d);
        }
        cache.earlier = Some(earlier);
        cache.unclaimed = false;
        cache.adopted = false;
    }
    match point(clients, ctx, &a).await {
        Ok(()) => {
            cache.applied = a.destination_arn.clone();
            (a.to_value(), cache.encode(), diags)
        }
        Err(d) => {
            diags.extend(d);
            (prior.clone(), cache.encode(), diags)
        }
    }
}

/// Delete: if the stage still logs to this attachment's stream, give it back what it had (or
/// no access logging), then drop the claim. A stage that is gone needs nothing.
pub async fn delete(
    clients: &AwsClients,
    ctx: &OpContext,
    prior: &Value,
    private: &[u8],
) -> Diagnostics {
    let a = Attachment::from_value(prior);
    let cache = Private::decode(private);
    let mut diags = Diagnostics::new();
    let stage = match apigateway::find_stage(clients, &a.rest_api_id, &a.stage_name).await {
        Ok(s) => s,
        Err(e) if e.is(ErrorKind::NotFound) => return diags,
        Err(e) => return failed("Cannot read the stage", e),
    };
    let holder = match claim::holder(clients, &stage).await {
        Ok(h) => h,
        Err(d) => return d,
    };
    let (claimed, earlier) = record_of(&a, &holder, &cache);
    let ours_by_tag = matches!(&holder, Holder::Attachment { id, .. } if a.attachment_id.as_deref() == Some(id.as_str()));
    if !claimed && matches!(holder, Holder::Attachment { .. } | Holder::Pipeline { .. }) {
        // Someone else holds the stage now: it is theirs to change.
        return diags;
    }
    // Where this attachment pointed the stage; a refresh reads the stage's current destination
    // into the state, so that is only the fallback when private state was lost.
    let destination = cache
        .applied
        .clone()
        .or_else(|| a.destination_arn.clone())
        .unwrap_or_default();
    let ours = |arn: &str| arn == destination;
    match stage_log::release_read(
        clients,
        &a.stage_ref(),
        &stage,
        &ours,
        earlier.as_ref(),
        &ctx.cancel,
    )
    .await
    {
        Ok(Some(warning)) => diags.push(warning),
        Ok(None) => {}
        Err(e) => {
            return failed(
                "Cannot give the stage back its earlier access-log settings",
                e,
            );
        }
    }
    if ours_by_tag {
        let arn = match stage_arn(clients, &a).await {
            Ok(arn) => arn,
            Err(d) => return d,
        };
        if let Err(e) =
            apigateway::untag_stage(clients, &arn, &claim::claim_keys(&stage.tags)).await
        {
            return failed("Cannot untag the stage", e);
        }
    }
    diags
}

/// Import by `<rest_api_id>/<stage_name>`: a stage that logs to a Firehose stream. Its own
/// claim gives the attachment's id; a stage nobody holds is taken as it is (destroy then leaves
/// it as it is found); a pipeline's stage is refused.
pub async fn import(clients: &AwsClients, id: &str) -> Result<(Value, Vec<u8>), Diagnostics> {
    let Some((api, stage_name)) = id
        .split_once('/')
        .filter(|(a, s)| !a.is_empty() && !s.is_empty() && !s.contains('/'))
    else {
        return Err(failed(
            "Invalid import id",
            format!(
                "An apigw_stage_access_log is imported by <rest_api_id>/<stage_name>, such as a1b2c3d4e5/prod; got {id:?}."
            ),
        ));
    };
    let stage = crate::stage::find_or_say(clients, api, stage_name, false).await?;
    let Some(log) = stage
        .access_log
        .clone()
        .filter(|l| l.destination_arn.contains(":firehose:"))
    else {
        return Err(failed(
            "Nothing to import",
            format!(
                "Stage {stage_name:?} of REST API {api:?} does not deliver access logs to a Firehose stream."
            ),
        ));
    };
    let mut a = Attachment {
        attachment_id: None,
        rest_api_id: api.to_owned(),
        stage_name: stage_name.to_owned(),
        destination_arn: Some(log.destination_arn.clone()),
        format: DEFAULT_FORMAT.to_owned(),
        append_newline: DEFAULT_APPEND_NEWLINE,
    };
    let (format, append_newline) = match log.format.strip_suffix('\n') {
        Some(body) => (body.to_owned(), true),
        None => (log.format.clone(), false),
    };
    a.format = format;
    a.append_newline = append_newline;
    let private = match claim::holder(clients, &stage).await? {
        Holder::Attachment { id, earlier, .. } => {
            a.attachment_id = Some(id);
            Private {
                earlier,
                unclaimed: false,
                adopted: false,
                applied: a.destination_arn.clone(),
                announce_import: true,
            }
        }
        Holder::Pipeline { id, stream, .. } => {
            return Err(claim::taken(
                &a,
                &format!(
                    "the apigw_access_log_pipeline with pipeline_id {id:?} (stream {stream:?})"
                ),
                "move that pipeline's state over with a `moved` block instead of importing",
            ));
        }
        Holder::Nobody => {
            a.attachment_id = Some(ownership::new_pipeline_id());
            Private {
                earlier: Some(Earlier {
                    access_log: Some(log),
                }),
                unclaimed: true,
                adopted: true,
                applied: a.destination_arn.clone(),
                ..Private::default()
            }
        }
    };
    Ok((a.to_value(), private.encode()))
}

/// A `moved` block from an `apigw_access_log_pipeline`: the attachment keeps the pipeline's id,
/// so the stage stays held through the owner tag of the stream it logs to (which an
/// `apigw_access_log_stream` may adopt by import), and the record of what the stage had
/// before stays where the pipeline wrote it. Nothing is written to AWS.
pub fn from_pipeline(
    source: &Value,
    source_private: &[u8],
) -> Result<(Value, Vec<u8>), Diagnostics> {
    let id = source.attr(pipeline::PIPELINE_ID).as_str();
    let destination = source.attr(pipeline::DELIVERY_STREAM_ARN).as_str();
    let (Some(id), Some(destination)) = (id, destination) else {
        return Err(failed(
            "Cannot move this pipeline",
            "The pipeline's state has no pipeline_id or delivery_stream_arn (a create that did not \
             finish, or a stream deleted outside Terraform): apply the pipeline first, then move it.",
        ));
    };
    // An attachment is a stage pointed at a stream: a pipeline whose stage is detached
    // (`enabled = false`) has no such thing to hand over.
    if source.attr(pipeline::ENABLED).as_bool() == Some(false) {
        return Err(failed(
            "Cannot move a detached pipeline",
            "The pipeline has enabled = false: its stage does not log to its stream, so there is no \
             attachment to take over. Set enabled = true and apply, then move it; or drop the \
             `moved` block and create the apigw_stage_access_log anew.",
        ));
    }
    let a = Attachment {
        attachment_id: Some(id.to_owned()),
        rest_api_id: source
            .attr(pipeline::REST_API_ID)
            .as_str()
            .unwrap_or_default()
            .to_owned(),
        stage_name: source
            .attr(pipeline::STAGE_NAME)
            .as_str()
            .unwrap_or_default()
            .to_owned(),
        destination_arn: Some(destination.to_owned()),
        format: source
            .attr(pipeline::FORMAT)
            .as_str()
            .unwrap_or(pipeline::DEFAULT_FORMAT)
            .to_owned(),
        append_newline: source
            .attr(pipeline::APPEND_NEWLINE)
            .as_bool()
            .unwrap_or(pipeline::DEFAULT_APPEND_NEWLINE),
    };
    let private = Private {
        earlier: crate::resources::access_log_pipeline::earlier_in_private(source_private),
        unclaimed: false,
        adopted: false,
        applied: Some(destination.to_owned()),
        ..Private::default()
    };
    Ok((a.to_value(), private.encode()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pipeline_state(enabled: bool) -> Value {
        Value::object([
            (pipeline::PIPELINE_ID, "p-1".into()),
            (
                pipeline::DELIVERY_STREAM_ARN,
                "arn:aws:firehose:us-east-1:123456789012:deliverystream/amazon-apigateway-a-prod"
                    .into(),
            ),
            (pipeline::REST_API_ID, "a".into()),
            (pipeline::STAGE_NAME, "prod".into()),
            (pipeline::ENABLED, enabled.into()),
        ])
    }

    #[test]
    fn a_pipeline_moves_over_with_its_id_and_a_detached_one_is_refused() {
        let (state, _) = from_pipeline(&pipeline_state(true), &[]).expect("moved");
        let a = Attachment::from_value(&state);
        assert_eq!(a.attachment_id.as_deref(), Some("p-1"));
        assert_eq!(a.stage_name, "prod");
        let refused = from_pipeline(&pipeline_state(false), &[]).expect_err("refused");
        assert!(
            refused
                .to_proto()
                .iter()
                .any(|d| d.summary == "Cannot move a detached pipeline")
        );
    }
}
