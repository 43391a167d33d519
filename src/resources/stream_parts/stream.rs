//! The Firehose stream itself: its tags and claim, make (or adopt) and wait until ACTIVE,
//! mark a finished create, change its destination, delete and wait until gone.

use std::collections::BTreeMap;

use tokio::time::Instant;

use crate::aws::clients::AwsClients;
use crate::aws::error::{AwsError, ErrorKind};
use crate::aws::firehose::{self, Deletion, S3Destination};
use crate::aws::policy::{CONFLICT_WINDOW, IAM_PROPAGATION_WINDOW};
use crate::aws::retry::{WaitError, retry, retry_paced};
use crate::plugin::diagnostics::{Diagnostic, Diagnostics};
use crate::plugin::framework::OpContext;

use super::encryption;
use super::owner::{Claim, Owner, OwnerKind, owner_value};
use super::{RETRY_CHANGES, StreamParts, failed, failed_at};

/// Whether instance `id` of some kind is one this provider process is creating or has created:
/// its objects are never adoptable as left by a create that died.
static LIVE: std::sync::Mutex<std::collections::BTreeSet<String>> =
    std::sync::Mutex::new(std::collections::BTreeSet::new());

/// Registers instance `id` as one of this process's.
pub fn mark_live(id: &str) {
    LIVE.lock()
        .unwrap_or_else(|p| p.into_inner())
        .insert(id.to_owned());
}

/// Whether instance `id` is one this process is creating or has created.
pub fn is_live(id: &str) -> bool {
    LIVE.lock().unwrap_or_else(|p| p.into_inner()).contains(id)
}

/// The tags of the stream called `name`; None when there is no such stream.
pub async fn stream_tags(
    clients: &AwsClients,
    name: &str,
) -> Result<Option<BTreeMap<String, String>>, AwsError> {
    match firehose::list_tags(clients, name).await {
        Ok(tags) => Ok(Some(tags)),
        Err(e) if e.is(ErrorKind::NotFound) => Ok(None),
        Err(e) => Err(e),
    }
}

/// Whether the objects of instance `other` of `kind` were left by a create that died: it is
/// not one of this process's, and the stream `stream_name` is missing or still marked as being
/// created by `other`. A finished create's objects are never adoptable.
pub async fn abandoned(
    clients: &AwsClients,
    kind: OwnerKind,
    stream_name: &str,
    other: &str,
) -> Result<bool, Diagnostics> {
    if is_live(other) {
        return Ok(false);
    }
    let tags = stream_tags(clients, stream_name)
        .await
        .map_err(|e| failed("Cannot read the delivery stream", e))?;
    Ok(match tags.map(|t| kind.claim(&t)) {
        None => true,
        Some(Claim::Creating(id)) => id == other,
        Some(_) => false,
    })
}

/// Marks the stream as made by a finished create: the owner tag loses its `creating` mark.
pub async fn commit(
    clients: &AwsClients,
    name: &str,
    owner: &Owner<'_>,
) -> Result<(), Diagnostics> {
    let tag = owner.kind.tag().to_owned();
    let have = BTreeMap::from([(tag.clone(), owner_value(owner.id, true))]);
    let want = BTreeMap::from([(tag, owner_value(owner.id, false))]);
    firehose::sync_tags(clients, name, &have, &want)
        .await
        .map_err(|e| failed("Cannot tag the delivery stream", e))
}

/// Makes the stream with `tags` (riding out IAM lag), or, where the name is taken, adopts it
/// if this instance made it or a create that died did, and waits until it is ACTIVE with the
/// wanted destination and encryption. `tags` mark it as being created until [`commit`]. A role
/// made just now is not tried before it is as old as any recently refused.
#[allow(clippy::too_many_arguments)]
pub async fn make_stream(
    clients: &AwsClients,
    ctx: &OpContext,
    parts: &StreamParts,
    owner: &Owner<'_>,
    tags: &BTreeMap<String, String>,
    role_arn: &str,
    role_made: Option<Instant>,
    deadline: Instant,
) -> Result<firehose::Stream, Diagnostics> {
    let desired = parts.destination(role_arn);
    let propagation = &clients.phases.role_propagation;
    let window = IAM_PROPAGATION_WINDOW.min(deadline.saturating_duration_since(Instant::now()));
    let retry_on = [
        ErrorKind::Propagation,
        ErrorKind::Throttling,
        ErrorKind::Transient,
    ];
    let created = retry_paced(
        &retry_on,
        window,
        &ctx.cancel,
        "creating the delivery stream",
        || role_made.map_or_else(Instant::now, |t| propagation.worth_checking(t)),
        || async {
            let created = firehose::create_stream(
                clients,
                &parts.name,
                &desired,
                parts.server_side_encryption.enabled,
                tags,
            )
            .await;
            match (&created, role_made) {
                (Ok(()), Some(t)) => propagation.out_of_phase(t),
                (Err(e), Some(t)) if e.is(ErrorKind::Propagation) => propagation.still_in_phase(t),
                _ => {}
            }
            created
        },
    )
    .await;
    let stream_made = match created {
        Ok(()) => Some(Instant::now()),
        Err(WaitError::Aws(e)) if e.is(ErrorKind::AlreadyExists) => {
            adopt_stream(clients, parts, owner, tags).await?;
            None
        }
        Err(e) => return Err(failed("Cannot create the delivery stream", e)),
    };
    let mut stream =
        firehose::wait_stream_active(clients, &parts.name, stream_made, deadline, &ctx.cancel)
            .await
            .map_err(|e| failed("The delivery stream did not become ACTIVE", e))?;
    if stream.s3.as_ref() != Some(&desired) {
        update_destination(clients, ctx, &parts.name, &desired, deadline).await?;
        stream.s3 = Some(desired);
    }
    // An adopted stream may differ from the plan, and a new one may still be ENABLING.
    let want = &parts.server_side_encryption;
    if let Some(settled) =
        encryption::converge(clients, ctx, &parts.name, want, &stream, deadline).await?
    {
        stream.encryption = settled.encryption;
    }
    Ok(stream)
}

/// Adopts the stream of the wanted name if this instance made it (an answer lost on the way
/// back) or a create that died did (re-tagging it as this instance's); any other stream of
/// that name is an error.
async fn adopt_stream(
    clients: &AwsClients,
    parts: &StreamParts,
    owner: &Owner<'_>,
    want: &BTreeMap<String, String>,
) -> Result<(), Diagnostics> {
    let name = &parts.name;
    let have = stream_tags(clients, name)
        .await
        .map_err(|e| failed("Cannot read the delivery stream", e))?
        .ok_or_else(|| {
            failed(
                "Cannot create the delivery stream",
                format!("Firehose said stream {name:?} exists, then that it does not; try again."),
            )
        })?;
    let claim = owner.claim(&have);
    match claim.id() {
        Some(other) if other == owner.id => Ok(()),
        Some(other) => {
            if matches!(claim, Claim::Creating(_))
                && abandoned(clients, owner.kind, name, other).await?
            {
                firehose::sync_tags(clients, name, &have, want)
                    .await
                    .map_err(|e| failed("Cannot tag the delivery stream", e))
            } else {
                Err((owner.taken)(
                    &format!("A Firehose stream named {name:?} exists and"),
                    other,
                    parts.name_attr,
                ))
            }
        }
        None => Err(name_taken(parts, owner, &have)),
    }
}

/// The error for a stream of the wanted name that no instance of `owner`'s kind made, with
/// `have` its tags.
fn name_taken(
    parts: &StreamParts,
    owner: &Owner<'_>,
    have: &BTreeMap<String, String>,
) -> Diagnostics {
    let whose = match owner.kind.other_claim(have) {
        Some((kind, id)) => format!(
            "belongs to an {} ({} {id:?})",
            kind.resource_type(),
            kind.id_attribute()
        ),
        None => "was not made by this provider".to_owned(),
    };
    failed_at(
        &[parts.name_attr],
        "Delivery stream name taken",
        format!(
            "A Firehose stream named {:?} already exists and {whose}. {}",
            parts.name, owner.name_taken_hint
        ),
    )
}

/// Refuses, before anything is made, a stream name that a stream of someone else has: the
/// owned role and log group are named after the stream, so they would be someone else's too.
pub async fn require_name_free(
    clients: &AwsClients,
    parts: &StreamParts,
    owner: &Owner<'_>,
) -> Result<(), Diagnostics> {
    let have = stream_tags(clients, &parts.name)
        .await
        .map_err(|e| failed("Cannot read the delivery stream", e))?;
    match have {
        Some(tags) if owner.claim(&tags).id().is_none() => Err(name_taken(parts, owner, &tags)),
        _ => Ok(()),
    }
}

/// Changes the stream's destination, re-reading its version on concurrent modification and
/// riding out IAM propagation of a new role or policy.
pub async fn update_destination(
    clients: &AwsClients,
    ctx: &OpContext,
    name: &str,
    desired: &S3Destination,
    deadline: Instant,
) -> Result<(), Diagnostics> {
    let retry_on = [
        ErrorKind::Conflict,
        ErrorKind::Throttling,
        ErrorKind::Transient,
        ErrorKind::Propagation,
    ];
    let window = IAM_PROPAGATION_WINDOW
        .max(CONFLICT_WINDOW)
        .min(deadline.saturating_duration_since(Instant::now()));
    retry(
        &retry_on,
        window,
        &ctx.cancel,
        "updating the stream's destination",
        || async {
            let stream = firehose::find_stream(clients, name).await?;
            firehose::update_destination(
                clients,
                name,
                &stream.version_id,
                &stream.destination_id,
                desired,
            )
            .await
        },
    )
    .await
    .map_err(|e| failed("Cannot update the stream's destination", e))
}

/// Deletes the stream and waits until it is gone: a stream that may still be CREATING is
/// waited for first ("You can't delete a Firehose stream that is in the CREATING state",
/// DeleteDeliveryStream, Firehose API Reference), and a delete Firehose gives up on
/// (DELETING_FAILED) is reported and made again with `AllowForceDelete`, which is what gets
/// past it (DescribeDeliveryStream, Firehose API Reference).
pub async fn delete_owned_stream(
    clients: &AwsClients,
    ctx: &OpContext,
    name: &str,
    may_be_creating: bool,
    deadline: Instant,
) -> Result<Diagnostics, Diagnostics> {
    if may_be_creating {
        firehose::wait_stream_deletable(clients, name, deadline, &ctx.cancel)
            .await
            .map_err(|e| failed("The delivery stream could not be deleted", e))?;
    }
    let why = match delete_and_wait(clients, ctx, name, false, deadline).await? {
        Deletion::Gone => return Ok(Diagnostics::new()),
        Deletion::Failed(why) => why,
    };
    match delete_and_wait(clients, ctx, name, true, deadline).await? {
        Deletion::Gone => Ok(Diagnostic::warning(
            "Delivery stream deleted by force",
            format!(
                "Firehose could not delete stream {name:?} (DELETING_FAILED, {why}), so destroy deleted it \
                 again with AllowForceDelete, which succeeded. Firehose may have left a KMS grant behind; \
                 revoke it with KMS RevokeGrant."
            ),
        )
        .into()),
        Deletion::Failed(again) => Err(failed(
            "The delivery stream was not deleted",
            format!(
                "Firehose could not delete stream {name:?} (DELETING_FAILED, {why}), and deleting it again \
                 with AllowForceDelete failed too ({again})."
            ),
        )),
    }
}

/// One DeleteDeliveryStream (retried on conflicts and throttling), then the wait for its end.
async fn delete_and_wait(
    clients: &AwsClients,
    ctx: &OpContext,
    name: &str,
    force: bool,
    deadline: Instant,
) -> Result<Deletion, Diagnostics> {
    let window = CONFLICT_WINDOW.min(deadline.saturating_duration_since(Instant::now()));
    retry(
        RETRY_CHANGES,
        window,
        &ctx.cancel,
        "deleting the delivery stream",
        || firehose::delete_stream(clients, name, force),
    )
    .await
    .map_err(|e| failed("Cannot delete the delivery stream", e))?;
    let deleted = Some(Instant::now());
    firehose::wait_stream_deleted(clients, name, deleted, deadline, &ctx.cancel)
        .await
        .map_err(|e| failed("The delivery stream was not deleted", e))
}
