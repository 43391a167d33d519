//! Destroy: give the stage back what it had, delete the stream and wait until it is gone,
//! then delete the owned role. Only what this pipeline made is touched: a role brought along,
//! or a stream of the same name made by someone else, is left as it is.

use tokio::time::Instant;

use crate::aws::clients::AwsClients;
use crate::aws::policy::DEFAULT_DELETE_TIMEOUT;
use crate::plugin::diagnostics::{Diagnostic, Diagnostics};
use crate::plugin::framework::OpContext;
use crate::plugin::value::Value;
use crate::resources::stream_parts::stream::delete_owned_stream;
use crate::resources::stream_parts::{catalog_table, error_logging, role};

use super::fields::timeouts;
use super::model::{Pipeline, Private};
use super::ownership::{Claim, Earlier, OWNER};
use super::read::decode_private;
use super::steps::{self, failed};

pub async fn delete(
    clients: &AwsClients,
    ctx: &OpContext,
    prior: &Value,
    private: &[u8],
) -> Diagnostics {
    let p = Pipeline::from_value(prior);
    let mut diags = Diagnostics::new();
    let cache = decode_private(private, &mut diags);
    match steps_of_delete(clients, ctx, &p, &cache).await {
        Ok(more) | Err(more) => diags.extend(more),
    }
    diags
}

async fn steps_of_delete(
    clients: &AwsClients,
    ctx: &OpContext,
    p: &Pipeline,
    cache: &Private,
) -> Result<Diagnostics, Diagnostics> {
    let deadline = Instant::now() + p.timeout(timeouts::DELETE, DEFAULT_DELETE_TIMEOUT);
    let at = p.stage_ref();
    let stream_name = &p.delivery_stream_name;
    let parts = p.parts();

    // Only what this pipeline made is touched: the stream of its name may be one made by hand
    // (an import) or by another pipeline.
    let tags = if stream_name.is_empty() {
        None
    } else {
        steps::stream_tags(clients, stream_name)
            .await
            .map_err(|e| failed("Cannot read the delivery stream", e))?
    };
    let claim = tags.as_ref().map(Claim::of);
    // The state of the previous version has no pipeline_id: its owner tag held one.
    let id = p
        .pipeline_id
        .clone()
        .or_else(|| claim.as_ref().and_then(|c| c.id()).map(str::to_owned))
        .unwrap_or_else(|| p.id());
    let ours = claim.as_ref().is_some_and(|c| c.is(&id));
    let role_name = cache
        .owned_role
        .clone()
        .unwrap_or_else(|| role::owned_role_name(clients, &parts));
    let mut diags = Diagnostics::new();
    let foreign = claim == Some(Claim::None);
    if foreign {
        diags.push(Diagnostic::warning(
            "Delivery stream left alone",
            format!(
                "Stream {:?} carries no owner tag of this provider (it was made by hand and imported, or \
                 its tags were removed outside Terraform), so destroy did not delete it.",
                stream_name
            ),
        ));
        // A stream made by hand, imported: only the stage's settings were the pipeline's to
        // change, and they go back to what the import found.
        if cache.earlier.is_some() {
            let restored = steps::release_stage(
                clients,
                at,
                stream_name,
                cache.earlier.as_ref(),
                &ctx.cancel,
            )
            .await
            .map_err(|e| failed("Cannot restore the stage's access-log settings", e))?;
            if let Some(warning) = restored {
                diags.push(warning);
            }
        }
    } else if claim.is_some() && !ours {
        diags.push(Diagnostic::warning(
            "Delivery stream left alone",
            format!(
                "Stream {:?} was not made by this pipeline, so destroy did not touch it or the stage.",
                stream_name
            ),
        ));
    } else {
        // The record on the stream, else the cache, else the record on the owned role.
        let mut earlier = tags
            .as_ref()
            .and_then(|t| Earlier::from_tags(t).ok().flatten())
            .or_else(|| cache.earlier.clone());
        if earlier.is_none() {
            earlier = role::find_owned_role(clients, &parts, &steps::owner(at, &id), &role_name)
                .await
                .ok()
                .flatten()
                .and_then(|role| Earlier::from_tags(&role.tags).ok().flatten());
        }
        if let Some(warning) =
            steps::release_stage(clients, at, stream_name, earlier.as_ref(), &ctx.cancel)
                .await
                .map_err(|e| failed("Cannot restore the stage's access-log settings", e))?
        {
            diags.push(warning);
        }
    }

    // The owned role goes whatever became of the stream: a failed or timed-out stream delete
    // must not leave the role behind as well.
    let stream = match ours {
        true => {
            delete_owned_stream(
                clients,
                ctx,
                stream_name,
                may_be_creating(p.pipeline_id.as_deref(), claim.as_ref()),
                deadline,
            )
            .await
        }
        false => Ok(Diagnostics::new()),
    };
    // Then what it named and what it logged to: the table (which a Parquet conversion names)
    // and the log group, each if this pipeline made it. The role goes whatever they answer.
    let table = match (&stream, &p.settings.catalog) {
        (Ok(_), Some(c)) => catalog_table::delete_owned(clients, OWNER, &id, c).await,
        _ => Ok(()),
    };
    let group = error_logging::delete_owned(clients, stream_name, OWNER, &id).await;
    let role = role::delete_owned_role(clients, OWNER, &id, &role_name, &ctx.cancel).await;
    let role = [table, group]
        .into_iter()
        .fold(role, |acc, r| match (r, acc) {
            (Ok(()), acc) => acc,
            (Err(e), Ok(())) => Err(e),
            (Err(mut e), Err(more)) => {
                e.extend(more);
                Err(e)
            }
        });
    match (stream, role) {
        (Ok(warnings), Ok(())) => {
            diags.extend(warnings);
            Ok(diags)
        }
        (Err(errors), Ok(())) | (Ok(_), Err(errors)) => Err(errors),
        (Err(mut errors), Err(more)) => {
            errors.extend(more);
            Err(errors)
        }
    }
}

/// Whether the pipeline's stream, whose owner tag reads `claim`, may still be CREATING, which
/// Firehose refuses to delete ("You can't delete a Firehose stream that is in the CREATING
/// state", DeleteDeliveryStream, Firehose API Reference). The owner tag loses its `creating`
/// mark only once the create has seen the stream ACTIVE (`stream_parts::stream::commit`), and a
/// stream never goes back to CREATING: only a stream still so marked (its create died or
/// failed), or one tagged by the previous version (whose state has no `pipeline_id`, and which
/// wrote its owner tag with the stream), is worth a DescribeDeliveryStream before the delete.
fn may_be_creating(pipeline_id: Option<&str>, claim: Option<&Claim>) -> bool {
    pipeline_id.is_none() || !matches!(claim, Some(Claim::Made(_)))
}
