//! Update in place: the stream's destination, the owned role's policy, tags, and the stage's
//! access-log settings.

use tokio::time::Instant;

use crate::aws::clients::AwsClients;
use crate::aws::error::ErrorKind;
use crate::aws::firehose::{self, S3Destination};
use crate::aws::iam;
use crate::aws::policy::{CONFLICT_WINDOW, DEFAULT_UPDATE_TIMEOUT, IAM_PROPAGATION_WINDOW};
use crate::aws::retry::retry;
use crate::plugin::diagnostics::Diagnostics;
use crate::plugin::framework::{ApplyOutcome, OpContext};
use crate::plugin::value::Value;

use super::bucket;
use super::encryption;
use super::model::{Pipeline, Private};
use super::read::read_state;
use super::steps::{self, failed, role_name_of};

pub async fn update(
    clients: &AwsClients,
    ctx: &OpContext,
    prior: &Value,
    planned: &Value,
    private: &[u8],
) -> ApplyOutcome {
    let (before, p) = (Pipeline::from_value(prior), Pipeline::from_value(planned));
    let mut private = Private::decode(private);
    let mut diags = Diagnostics::new();
    let result = steps_of_update(clients, ctx, &before, &p, &mut private, &mut diags).await;
    // Whatever happened, record what AWS now holds; a failed read keeps the prior state.
    let state = match read_state(clients, &p).await {
        Ok(state) if !state.is_null() => state,
        _ => prior.clone(),
    };
    ApplyOutcome {
        state,
        private: private.encode(),
        diags: {
            diags.extend(result.err().unwrap_or_default());
            diags
        },
    }
}

async fn steps_of_update(
    clients: &AwsClients,
    ctx: &OpContext,
    before: &Pipeline,
    p: &Pipeline,
    private: &mut Private,
    warnings: &mut Diagnostics,
) -> Result<(), Diagnostics> {
    let deadline = Instant::now() + p.timeout("update", DEFAULT_UPDATE_TIMEOUT);

    // 0. A new bucket is checked as on create; its region is needed to rewrite the role's
    //    key grant.
    let mut bucket_region = None;
    let policy_changes =
        before.s3.bucket_arn != p.s3.bucket_arn || before.s3.kms_key_arn != p.s3.kms_key_arn;
    if policy_changes || p.role_arn.is_none() {
        let checked = bucket::check(clients, p).await?;
        warnings.extend(checked.warnings);
        bucket_region = Some(checked.region);
    }
    let bucket_region = bucket_region.unwrap_or_else(|| clients.region.clone());

    // 1. The role: keep the owned one (rewriting its policy if the bucket or key moved), make
    //    one if the configuration stopped bringing its own, or switch to the one brought.
    let owned_arn_matches = |arn: &str| private.owned_role.as_deref() == Some(role_name_of(arn));
    let mut retire_owned: Option<String> = None;
    let role_arn = match &p.role_arn {
        None => {
            let role = steps::ensure_owned_role(clients, p, &bucket_region)
                .await?
                .role;
            private.owned_role = Some(role.name.clone());
            role.arn
        }
        Some(arn) if owned_arn_matches(arn) => {
            if policy_changes {
                steps::write_role_policy(clients, p, role_name_of(arn), &bucket_region).await?;
            }
            arn.clone()
        }
        Some(arn) => {
            retire_owned = private.owned_role.clone();
            arn.clone()
        }
    };

    // 2. The stream's destination.
    let desired = p.destination(&role_arn);
    let current = firehose::find_stream(clients, &p.delivery_stream_name)
        .await
        .map_err(|e| failed("Cannot read the delivery stream", e))?;
    if current.s3.as_ref() != Some(&desired) {
        update_destination(clients, ctx, p, &desired, deadline).await?;
    }
    let want = &p.server_side_encryption;
    encryption::converge(
        clients,
        ctx,
        &p.delivery_stream_name,
        want,
        &current,
        deadline,
    )
    .await?;

    // 3. Tags, on the stream and on the owned role.
    if before.tags_all != p.tags_all {
        let want = p.remote_tags();
        let have = firehose::list_tags(clients, &p.delivery_stream_name)
            .await
            .map_err(|e| failed("Cannot read the stream's tags", e))?;
        firehose::sync_tags(clients, &p.delivery_stream_name, &have, &want)
            .await
            .map_err(|e| failed("Cannot tag the stream", e))?;
        if let Some(role) = &private.owned_role {
            let have = iam::find_role(clients, role)
                .await
                .map_err(|e| failed("Cannot read the IAM role", e))?
                .tags;
            iam::sync_tags(clients, role, &have, &want)
                .await
                .map_err(|e| failed("Cannot tag the IAM role", e))?;
        }
    }

    // 4. The stage.
    if p.enabled {
        let stage = steps::require_stage(clients, p).await?;
        let pointed = stage.access_log.as_ref().is_some_and(|l| {
            steps::is_our_stream(&l.destination_arn, &p.delivery_stream_name)
                && l.format == p.format
        });
        if !pointed {
            steps::claim_stage(clients, p, &stage, private).await?;
            steps::point_stage(clients, p, &current.arn, &ctx.cancel).await?;
        }
    } else if let Some(warning) = steps::release_stage(clients, p, private, &ctx.cancel)
        .await
        .map_err(|e| failed("Cannot detach the stage from the stream", e))?
    {
        warnings.push(warning);
    }

    // 5. A role the provider owned but no longer uses goes last, once nothing refers to it.
    if let Some(role) = retire_owned {
        iam::delete_role(clients, &role)
            .await
            .map_err(|e| failed("Cannot delete the unused IAM role", e))?;
        private.owned_role = None;
    }
    Ok(())
}

/// Changes the stream's destination, re-reading its version on concurrent modification and
/// riding out IAM propagation of a new role or policy.
pub async fn update_destination(
    clients: &AwsClients,
    ctx: &OpContext,
    p: &Pipeline,
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
            let stream = firehose::find_stream(clients, &p.delivery_stream_name).await?;
            firehose::update_destination(
                clients,
                &p.delivery_stream_name,
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
