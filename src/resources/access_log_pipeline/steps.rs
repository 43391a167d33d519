//! The steps the lifecycle scripts share: the stage's access-log pointer, whose a stage or
//! stream is, and turning AWS failures into diagnostics. Each takes plain values (a
//! [`StageRef`], a stream name, an id), never the whole `Pipeline`.

use tokio_util::sync::CancellationToken;

use crate::aws::apigateway::{self, AccessLog};
use crate::aws::arn::delivery_stream_name_of;
use crate::aws::clients::AwsClients;
use crate::aws::error::AwsError;
use crate::aws::retry::WaitError;
use crate::plugin::diagnostics::{Diagnostic, Diagnostics};
use crate::resources::stream_parts::owner::Owner;
use crate::resources::stream_parts::stream;

pub use crate::resources::stream_parts::role::names_role;
pub use crate::resources::stream_parts::stream::stream_tags;
pub use crate::resources::stream_parts::{RETRY_CHANGES, failed, failed_at};

use crate::stage;

use super::super::stage_claim;
use super::super::stage_log::{self, StageRef};
use super::fields::STAGE_NAME;
use super::ownership::{Claim, Earlier, OWNER};

/// Whether an access-log destination is this pipeline's stream.
pub fn is_our_stream(destination_arn: &str, stream_name: &str) -> bool {
    delivery_stream_name_of(destination_arn).as_deref() == Some(stream_name)
}

/// The stage must exist; a clear error names whichever of REST API and stage is missing.
pub async fn require_stage(
    clients: &AwsClients,
    stage: StageRef<'_>,
) -> Result<apigateway::Stage, Diagnostics> {
    stage::find_or_say(clients, stage.rest_api_id, stage.stage_name, true).await
}

/// Points the stage's access logs at the stream `stream_arn` with `format`, as the stage is to
/// hold it.
pub async fn point_stage(
    clients: &AwsClients,
    stage: StageRef<'_>,
    stream_arn: &str,
    format: String,
    cancel: &CancellationToken,
) -> Result<(), Diagnostics> {
    let log = AccessLog {
        destination_arn: stream_arn.to_owned(),
        format,
    };
    stage_log::point(clients, &stage, &log, cancel).await
}

/// Gives the stage back what it had before the pipeline (see [`stage_log::release`]), if it
/// still points at the pipeline's stream `stream_name`.
pub async fn release_stage(
    clients: &AwsClients,
    stage: StageRef<'_>,
    stream_name: &str,
    earlier: Option<&Earlier>,
    cancel: &CancellationToken,
) -> Result<Option<Diagnostic>, WaitError> {
    let ours = |arn: &str| is_our_stream(arn, stream_name);
    stage_log::release(clients, &stage, &ours, earlier, cancel).await
}

/// The id of the pipeline that made stream `name`, from its owner tag (a create still running
/// or dead included); None for a stream no pipeline made, and for no stream of that name.
pub async fn stream_owner(clients: &AwsClients, name: &str) -> Result<Option<String>, AwsError> {
    let tags = stream_tags(clients, name).await?;
    Ok(tags.and_then(|t| Claim::of(&t).id().map(str::to_owned)))
}

/// Whether the objects of pipeline `other`, whose stream is `stream_name`, were left by a
/// create that died (see `stream_parts::stream::abandoned`).
pub async fn abandoned(
    clients: &AwsClients,
    stream_name: &str,
    other: &str,
) -> Result<bool, Diagnostics> {
    stream::abandoned(clients, OWNER, stream_name, other).await
}

/// Instance `id` of the pipeline on `stage`, as the shared stream steps take it.
pub fn owner<'a>(stage: StageRef<'a>, id: &'a str) -> Owner<'a> {
    Owner {
        kind: OWNER,
        id,
        taken: Box::new(move |what, other, attr| taken_by_other(what, other, stage, attr)),
        name_taken_hint: format!(
            "Choose another delivery_stream_name, or import the stage (`terraform import <address> {}`) \
             to point it at that stream without changing the stream.",
            stage.id()
        ),
    }
}

/// The error for an object that belongs to another pipeline instance, on `stage`.
pub fn taken_by_other(what: &str, other: &str, stage: StageRef<'_>, attr: &str) -> Diagnostics {
    failed_at(
        &[attr],
        "Stage already has a pipeline",
        format!(
            "{what} belongs to another apigw_access_log_pipeline (pipeline_id {other:?}), for stage {:?} of \
             REST API {:?}. A stage has one access-log destination, and this provider never takes another \
             pipeline's objects. If that pipeline is no longer wanted, destroy it where it is managed (its \
             state or workspace). If it is this very pipeline, managed elsewhere, move it here: \
             `terraform state rm` it there, then `terraform import <address> {}` here. If that \
             pipeline is being destroyed by this same apply (a `count` or `for_each` that shrank), \
             apply again once it is gone. If this is \
             a replacement with `create_before_destroy`, remove that setting: the default order \
             (destroy, then create) gives the stage back its earlier settings and takes it again.",
            stage.stage_name,
            stage.rest_api_id,
            stage.id()
        ),
    )
}

/// Decides whether pipeline `id`, whose stream is `stream_name`, may take the stage (`at`, as
/// found: `found`), and finds what the stage had before any
/// pipeline: the stage's current settings, or, when it points at the stream of a create that
/// died, that stream's record. A stage that delivers to another live pipeline's stream is
/// refused, a `create_before_destroy` replacement's predecessor included: Terraform tells a
/// provider nothing that links a replacement to the object it replaces (its apply plans the
/// create afresh, without the old object's state or private data), so the predecessor cannot be
/// told from a second resource on the stage.
pub async fn resolve_stage(
    clients: &AwsClients,
    at: StageRef<'_>,
    stream_name: &str,
    id: &str,
    found: &apigateway::Stage,
) -> Result<Earlier, Diagnostics> {
    if let Some((other, _)) = stage_claim::claim_of(&found.tags) {
        return Err(failed_at(
            &[STAGE_NAME],
            "Stage already claimed",
            format!(
                "Stage {:?} of REST API {:?} is held by the apigw_stage_access_log with attachment_id {other:?}. \
                 A stage has one access-log destination, and this provider never takes what another of its \
                 resources holds: destroy that attachment first, or point it at this pipeline's stream instead.",
                at.stage_name, at.rest_api_id
            ),
        ));
    }
    let current = Earlier {
        access_log: found.access_log.clone(),
    };
    let Some(other_stream) = current
        .access_log
        .as_ref()
        .and_then(|l| delivery_stream_name_of(&l.destination_arn))
    else {
        return Ok(current);
    };
    let Some(tags) = stream_tags(clients, &other_stream)
        .await
        .map_err(|e| failed("Cannot read the stream the stage logs to", e))?
    else {
        return Ok(current);
    };
    let claim = Claim::of(&tags);
    let Some(other) = claim.id() else {
        // A stream someone made by hand: it is what the stage had.
        return Ok(current);
    };
    let record = || Earlier::from_tags(&tags).ok().flatten().unwrap_or_default();
    if other == id {
        return Ok(record());
    }
    let died = matches!(claim, Claim::Creating(_)) && other_stream == stream_name;
    if died && abandoned(clients, stream_name, other).await? {
        return Ok(record());
    }
    Err(taken_by_other(
        &format!("The stage logs to stream {other_stream:?}, which"),
        other,
        at,
        STAGE_NAME,
    ))
}
