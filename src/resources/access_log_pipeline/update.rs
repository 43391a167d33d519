//! Update in place: the stream's destination, the owned role's policy, tags, and the stage's
//! access-log settings.

use tokio::time::Instant;

use crate::aws::clients::AwsClients;
use crate::aws::firehose;
use crate::aws::iam;
use crate::aws::policy::DEFAULT_UPDATE_TIMEOUT;
use crate::plugin::diagnostics::Diagnostics;
use crate::plugin::framework::{ApplyOutcome, OpContext};
use crate::plugin::value::Value;
use crate::resources::stream_parts::encryption::{self, Encryption};
use crate::resources::stream_parts::stream::{commit, make_stream, update_destination};
use crate::resources::stream_parts::{bucket, catalog_table, error_logging, role};

use super::create::check_tag_room;
use super::fields::{self, DELIVERY_STREAM_NAME};
use super::model::{Pipeline, Private};
use super::ownership::{Claim, Earlier, OWNER};
use super::read::{decode_private, read_state};
use super::steps::{self, failed, names_role};

pub async fn update(
    clients: &AwsClients,
    ctx: &OpContext,
    prior: &Value,
    planned: &Value,
    private: &[u8],
) -> ApplyOutcome {
    let (before, mut p) = (Pipeline::from_value(prior), Pipeline::from_value(planned));
    let mut diags = Diagnostics::new();
    let mut cache = decode_private(private, &mut diags);
    let result = steps_of_update(clients, ctx, &before, &mut p, &mut cache, &mut diags).await;
    // Whatever happened, record what AWS now holds; a failed read keeps the prior state.
    let state = match read_state(clients, &p, &cache, result.is_ok()).await {
        Ok((state, read)) if !state.is_null() => {
            cache = read;
            state
        }
        _ => prior.clone(),
    };
    diags.extend(result.err().unwrap_or_default());
    ApplyOutcome {
        state,
        private: cache.encode(),
        diags,
    }
}

async fn steps_of_update(
    clients: &AwsClients,
    ctx: &OpContext,
    before: &Pipeline,
    p: &mut Pipeline,
    cache: &mut Private,
    warnings: &mut Diagnostics,
) -> Result<(), Diagnostics> {
    let deadline = Instant::now() + p.timeout(fields::timeouts::UPDATE, DEFAULT_UPDATE_TIMEOUT);

    // 0. The stream as AWS has it, and whose it is. The state of the previous version has no
    //    pipeline_id: the owner tag held one.
    let have_tags = steps::stream_tags(clients, &p.delivery_stream_name)
        .await
        .map_err(|e| failed("Cannot read the delivery stream", e))?;
    let claim = have_tags.as_ref().map(Claim::of);
    let id = p
        .pipeline_id
        .clone()
        .or_else(|| before.pipeline_id.clone())
        .or_else(|| claim.as_ref().and_then(|c| c.id()).map(str::to_owned))
        .unwrap_or_else(|| before.id());
    p.pipeline_id = Some(id.clone());
    match claim.as_ref().map(|c| c.id()) {
        Some(Some(other)) if other != id => {
            return Err(steps::taken_by_other(
                &format!("Stream {:?}", p.delivery_stream_name),
                other,
                p.stage_ref(),
                DELIVERY_STREAM_NAME,
            ));
        }
        Some(None) => return update_foreign(clients, ctx, before, p, cache, warnings).await,
        _ => {}
    }
    let recorded = have_tags
        .as_ref()
        .and_then(|t| Earlier::from_tags(t).ok().flatten());
    let mut earlier = recorded
        .clone()
        .or_else(|| cache.earlier.clone())
        .unwrap_or_default();

    // 1. A stage pointed at the pipeline again, after it was detached: what it has now is what
    //    destroy gives back, recorded before the stage is changed.
    let mut stage = None;
    if p.enabled && !before.enabled {
        let at = p.stage_ref();
        let stream_name = &p.delivery_stream_name;
        let found = steps::require_stage(clients, at).await?;
        let pointed = found
            .access_log
            .as_ref()
            .is_some_and(|l| steps::is_our_stream(&l.destination_arn, stream_name));
        if !pointed {
            earlier = steps::resolve_stage(clients, at, stream_name, &id, &found).await?;
        }
        stage = Some(found);
    }
    cache.earlier = Some(earlier.clone());
    // The record may take more tags than the plan could count: refused before any change.
    check_tag_room(&p.settings.tags_all, &id, &earlier)?;

    // 2. A new bucket or key is checked as on create (a missing bucket is refused), and so is
    //    the bucket when an owned role is to be made again: its region is needed to write the
    //    role's key grant.
    let policy_changes = before.settings.s3.bucket_arn != p.settings.s3.bucket_arn
        || before.settings.s3.kms_key_arn != p.settings.s3.kms_key_arn;
    // The role reads the table with Parquet on, so a change of table or of parquet rewrites it.
    let parquet_table = |p: &Pipeline| p.settings.catalog.clone().filter(|c| c.parquet);
    let glue_changes = parquet_table(before) != parquet_table(p);
    if policy_changes || p.settings.role_arn.is_none() {
        let checked = bucket::check(clients, &p.settings.s3).await?;
        warnings.extend(checked.warnings);
        cache.bucket_region = Some(checked.region);
    }
    let bucket_region = cache
        .bucket_region
        .clone()
        .unwrap_or_else(|| clients.region.clone());
    // The owned role may put log events into the error-logging stream only: a new stream
    // rewrites its policy.
    let logging_moves = before
        .settings
        .error_logging
        .options(&before.delivery_stream_name)
        != p.settings.error_logging.options(&p.delivery_stream_name);

    // 3. What the stream is to name, before anything else changes, so that a table or log
    //    group refused here leaves the role and the stream as they were: the Glue table, made
    //    or repaired (a refused one leaves the state with the table it had), and the log group
    //    and stream of its error logging (made again, or retagged, if changed outside
    //    Terraform).
    let parts = p.parts();
    let owner = steps::owner(p.stage_ref(), &id);
    if let Err(errors) = catalog_table::ensure(clients, &parts, &owner).await {
        drop(owner);
        p.settings.catalog = before.settings.catalog.clone();
        return Err(errors);
    }
    if have_tags.is_none()
        || before.settings.error_logging != p.settings.error_logging
        || before.settings.tags_all != p.settings.tags_all
    {
        error_logging::ensure(clients, &parts, &owner).await?;
    }

    // 3b. The role: keep the owned one (rewriting its policy if the bucket or key moved), make
    //    one (again, if it was deleted outside Terraform) if the configuration brings none, or
    //    switch to the one brought.
    let owned_name = role::owned_role_name(clients, &parts);
    let mut retire_owned: Option<String> = None;
    let mut role_made = None;
    let role_arn = match &p.settings.role_arn {
        None => {
            let tags = p.remote_tags(&id, false, &earlier);
            let owned =
                role::ensure_owned_role(clients, &parts, &owner, &tags, &bucket_region).await?;
            cache.owned_role = Some(owned.role.name.clone());
            role_made = owned.made;
            owned.role.arn
        }
        Some(arn) if names_role(arn, &owned_name) => {
            if policy_changes || glue_changes || logging_moves {
                role::write_role_policy(clients, &parts, &owned_name, &bucket_region).await?;
            }
            arn.clone()
        }
        Some(arn) => {
            retire_owned = cache.owned_role.clone();
            arn.clone()
        }
    };

    // 4. The stream: made again if it was deleted outside Terraform, else its destination.
    let stream_arn = match &have_tags {
        None => {
            let tags = p.remote_tags(&id, true, &earlier);
            let stream = make_stream(
                clients, ctx, &parts, &owner, &tags, &role_arn, role_made, deadline,
            )
            .await?;
            commit(clients, &p.delivery_stream_name, &owner).await?;
            stream.arn
        }
        Some(_) => {
            let desired = p.destination(&role_arn);
            let current = firehose::find_stream(clients, &p.delivery_stream_name)
                .await
                .map_err(|e| failed("Cannot read the delivery stream", e))?;
            if current.s3.as_ref() != Some(&desired) {
                update_destination(clients, ctx, &p.delivery_stream_name, &desired, deadline)
                    .await?;
            }
            let want = &p.settings.server_side_encryption;
            let name = &p.delivery_stream_name;
            encryption::converge(clients, ctx, name, want, &current, deadline).await?;
            current.arn
        }
    };

    // 4b. A table the pipeline no longer keeps (dropped, or moved to another database or
    //     name) goes once the stream no longer names it.
    if let Some(old) = &before.settings.catalog {
        if p.settings
            .catalog
            .as_ref()
            .is_none_or(|c| !c.same_table(old))
        {
            catalog_table::delete_owned(clients, OWNER, &id, old).await?;
        }
    }

    // 5. Tags, on the stream and on the owned role: the user's, the owner's and the record.
    let want = p.remote_tags(&id, false, &earlier);
    if let Some(have) = &have_tags {
        if have != &want {
            firehose::sync_tags(clients, &p.delivery_stream_name, have, &want)
                .await
                .map_err(|e| failed("Cannot tag the stream", e))?;
        }
    }
    let retag_role =
        before.settings.tags_all != p.settings.tags_all || recorded.as_ref() != Some(&earlier);
    if retag_role && names_role(&role_arn, &owned_name) {
        let have = iam::find_role(clients, &owned_name)
            .await
            .map_err(|e| failed("Cannot read the IAM role", e))?
            .tags;
        if have != want {
            iam::sync_tags(clients, &owned_name, &have, &want)
                .await
                .map_err(|e| failed("Cannot tag the IAM role", e))?;
        }
    }

    // 6. The stage.
    let at = p.stage_ref();
    let stream_name = &p.delivery_stream_name;
    if p.enabled {
        let stage = match stage {
            Some(s) => s,
            None => steps::require_stage(clients, at).await?,
        };
        let format = p.stage_format();
        let pointed = stage.access_log.as_ref().is_some_and(|l| {
            steps::is_our_stream(&l.destination_arn, stream_name) && l.format == format
        });
        if !pointed {
            // Repointed outside Terraform: the record stays what the stage had before the
            // pipeline; only another pipeline's claim stops the repair.
            steps::resolve_stage(clients, at, stream_name, &id, &stage).await?;
            steps::point_stage(clients, at, &stream_arn, format, &ctx.cancel).await?;
        }
    } else if let Some(warning) =
        steps::release_stage(clients, at, stream_name, Some(&earlier), &ctx.cancel)
            .await
            .map_err(|e| failed("Cannot detach the stage from the stream", e))?
    {
        warnings.push(warning);
    }

    // 7. A log group and a role the provider owned but no longer uses go last, once nothing
    //    refers to them.
    error_logging::retire(clients, &before.parts(), &parts, OWNER, &id).await?;
    if let Some(name) = retire_owned {
        role::delete_owned_role(clients, OWNER, &id, &name, &ctx.cancel).await?;
        cache.owned_role = None;
    }
    Ok(())
}

/// An update of a pipeline whose stream was not made by this provider (an import): only the
/// stage is the pipeline's to change; the stream and its role stay exactly as they are.
async fn update_foreign(
    clients: &AwsClients,
    ctx: &OpContext,
    before: &Pipeline,
    p: &Pipeline,
    cache: &mut Private,
    warnings: &mut Diagnostics,
) -> Result<(), Diagnostics> {
    let current = firehose::find_stream(clients, &p.delivery_stream_name)
        .await
        .map_err(|e| failed("Cannot read the delivery stream", e))?;
    let role = current
        .s3
        .as_ref()
        .map(|d| d.role_arn.clone())
        .unwrap_or_default();
    let stream_changes = p.settings.role_arn.as_deref() != Some(role.as_str())
        || current.s3.as_ref() != Some(&p.destination(&role))
        || Encryption::observed(&p.settings.server_side_encryption, &current.encryption)
            != p.settings.server_side_encryption
        || before.settings.tags_all != p.settings.tags_all;
    if stream_changes {
        return Err(failed(
            "Stream not made by this provider",
            format!(
                "Stream {:?} was made outside this provider (the pipeline was imported), so the pipeline \
                 only points the stage at it and never changes the stream, its role or its tags. Make the \
                 configuration's s3, role_arn, tags, server_side_encryption and error_logging match the stream (role_arn = {role:?}), or change \
                 the stream where it is managed.",
                p.delivery_stream_name
            ),
        ));
    }
    cache.foreign_stream = true;
    let at = p.stage_ref();
    if p.enabled {
        let stage = steps::require_stage(clients, at).await?;
        let format = p.stage_format();
        let pointed = stage
            .access_log
            .as_ref()
            .is_some_and(|l| l.destination_arn == current.arn && l.format == format);
        if !pointed {
            steps::point_stage(clients, at, &current.arn, format, &ctx.cancel).await?;
        }
    } else if let Some(warning) =
        steps::release_stage(clients, at, &p.delivery_stream_name, None, &ctx.cancel)
            .await
            .map_err(|e| failed("Cannot detach the stage from the stream", e))?
    {
        warnings.push(warning);
    }
    Ok(())
}
