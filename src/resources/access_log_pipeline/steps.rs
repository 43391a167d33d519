//! The steps the lifecycle scripts share: the owned role, the stage's access-log pointer, and
//! turning AWS failures into diagnostics.

use tokio_util::sync::CancellationToken;

use crate::aws::apigateway::{self, AccessLog};
use crate::aws::arn::delivery_stream_name_of;
use crate::aws::clients::AwsClients;
use crate::aws::error::AwsError;
use crate::aws::retry::WaitError;
use crate::plugin::diagnostics::{Diagnostic, Diagnostics};
use crate::resources::stream_parts::owner::Owner;
use crate::resources::stream_parts::{role, stream};

pub use crate::resources::stream_parts::role::names_role;
pub use crate::resources::stream_parts::stream::stream_tags;
pub use crate::resources::stream_parts::{RETRY_CHANGES, failed, failed_at};

use crate::stage;

use super::super::stage_claim;
use super::super::stage_log;
use super::fields::STAGE_NAME;
use super::model::Pipeline;
use super::ownership::{Claim, Earlier, OWNER};

/// Whether an access-log destination is this pipeline's stream.
pub fn is_our_stream(destination_arn: &str, stream_name: &str) -> bool {
    delivery_stream_name_of(destination_arn).as_deref() == Some(stream_name)
}

/// The stage must exist; a clear error names whichever of REST API and stage is missing.
pub async fn require_stage(
    clients: &AwsClients,
    p: &Pipeline,
) -> Result<apigateway::Stage, Diagnostics> {
    stage::find_or_say(clients, &p.rest_api_id, &p.stage_name, true).await
}

/// Points the stage's access logs at the stream with the pipeline's format.
pub async fn point_stage(
    clients: &AwsClients,
    p: &Pipeline,
    stream_arn: &str,
    cancel: &CancellationToken,
) -> Result<(), Diagnostics> {
    let log = AccessLog {
        destination_arn: stream_arn.to_owned(),
        format: p.stage_format(),
    };
    stage_log::point(clients, &p.stage_ref(), &log, cancel).await
}

/// Gives the stage back what it had before the pipeline (see [`stage_log::release`]), if it
/// still points at this pipeline's stream.
pub async fn release_stage(
    clients: &AwsClients,
    p: &Pipeline,
    earlier: Option<&Earlier>,
    cancel: &CancellationToken,
) -> Result<Option<Diagnostic>, WaitError> {
    let ours = |arn: &str| is_our_stream(arn, &p.delivery_stream_name);
    stage_log::release(clients, &p.stage_ref(), &ours, earlier, cancel).await
}

/// The id of the pipeline that made stream `name`, from its owner tag (a create still running
/// or dead included); None for a stream no pipeline made, and for no stream of that name.
pub async fn stream_owner(clients: &AwsClients, name: &str) -> Result<Option<String>, AwsError> {
    let tags = stream_tags(clients, name).await?;
    Ok(tags.and_then(|t| Claim::of(&t).id().map(str::to_owned)))
}

/// Whether the objects of pipeline `other` were left by a create that died (see
/// `stream_parts::stream::abandoned`).
pub async fn abandoned(
    clients: &AwsClients,
    p: &Pipeline,
    other: &str,
) -> Result<bool, Diagnostics> {
    stream::abandoned(clients, OWNER, &p.delivery_stream_name, other).await
}

/// Pipeline `p`, instance `id`, as the shared stream steps take it.
pub fn owner<'a>(p: &'a Pipeline, id: &'a str) -> Owner<'a> {
    Owner {
        kind: OWNER,
        id,
        taken: Box::new(move |what, other, attr| taken_by_other(what, other, p, attr)),
        name_taken_hint: format!(
            "Choose another delivery_stream_name, or import the stage (`terraform import <address> {}`) \
             to point it at that stream without changing the stream.",
            p.id()
        ),
    }
}

/// The error for an object that belongs to another pipeline instance.
pub fn taken_by_other(what: &str, other: &str, p: &Pipeline, attr: &str) -> Diagnostics {
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
            p.stage_name,
            p.rest_api_id,
            p.id()
        ),
    )
}

/// Decides whether pipeline `id` may take the stage, and finds what the stage had before any
/// pipeline: the stage's current settings, or, when it points at the stream of a create that
/// died, that stream's record. A stage that delivers to another live pipeline's stream is
/// refused, a `create_before_destroy` replacement's predecessor included: Terraform tells a
/// provider nothing that links a replacement to the object it replaces (its apply plans the
/// create afresh, without the old object's state or private data), so the predecessor cannot be
/// told from a second resource on the stage.
pub async fn resolve_stage(
    clients: &AwsClients,
    p: &Pipeline,
    id: &str,
    stage: &apigateway::Stage,
) -> Result<Earlier, Diagnostics> {
    if let Some((other, _)) = stage_claim::claim_of(&stage.tags) {
        return Err(failed_at(
            &[STAGE_NAME],
            "Stage already claimed",
            format!(
                "Stage {:?} of REST API {:?} is held by the apigw_stage_access_log with attachment_id {other:?}. \
                 A stage has one access-log destination, and this provider never takes what another of its \
                 resources holds: destroy that attachment first, or point it at this pipeline's stream instead.",
                p.stage_name, p.rest_api_id
            ),
        ));
    }
    let current = Earlier {
        access_log: stage.access_log.clone(),
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
    let died = matches!(claim, Claim::Creating(_)) && other_stream == p.delivery_stream_name;
    if died && abandoned(clients, p, other).await? {
        return Ok(record());
    }
    Err(taken_by_other(
        &format!("The stage logs to stream {other_stream:?}, which"),
        other,
        p,
        STAGE_NAME,
    ))
}

/// The provider-owned role's name for this pipeline.
pub fn owned_role_name(clients: &AwsClients, p: &Pipeline) -> String {
    role::owned_role_name(clients, &p.parts())
}
