//! Destroy: give the stage back what it had, delete the stream and wait until it is gone,
//! then delete the owned role. Only what this pipeline made is touched: a role brought along,
//! or a stream of the same name made by someone else, is left as it is.

use tokio::time::Instant;

use crate::aws::clients::AwsClients;
use crate::aws::firehose;
use crate::aws::policy::{CONFLICT_WINDOW, DEFAULT_DELETE_TIMEOUT};
use crate::aws::retry::retry;
use crate::plugin::diagnostics::{Diagnostic, Diagnostics};
use crate::plugin::framework::OpContext;
use crate::plugin::value::Value;

use super::model::{Pipeline, Private};
use super::steps::{self, Owner, RETRY_CHANGES, failed};

pub async fn delete(
    clients: &AwsClients,
    ctx: &OpContext,
    prior: &Value,
    private: &[u8],
) -> Diagnostics {
    let p = Pipeline::from_value(prior);
    let private = Private::decode(private);
    steps_of_delete(clients, ctx, &p, &private)
        .await
        .unwrap_or_else(|errors| errors)
}

async fn steps_of_delete(
    clients: &AwsClients,
    ctx: &OpContext,
    p: &Pipeline,
    private: &Private,
) -> Result<Diagnostics, Diagnostics> {
    let deadline = Instant::now() + p.timeout("delete", DEFAULT_DELETE_TIMEOUT);

    // Only what this pipeline made is touched: after a failed create the name may belong to
    // a stream someone else made.
    let owner = if p.delivery_stream_name.is_empty() {
        Owner::Nobody
    } else {
        steps::stream_owner(clients, p)
            .await
            .map_err(|e| failed("Cannot read the delivery stream", e))?
    };
    let mut diags = Diagnostics::new();
    if owner == Owner::Someone {
        diags.push(Diagnostic::warning(
            "Delivery stream left alone",
            format!(
                "Stream {:?} was not made by this pipeline, so destroy did not touch it or the stage.",
                p.delivery_stream_name
            ),
        ));
    } else {
        steps::release_stage(clients, p, private, &ctx.cancel)
            .await
            .map_err(|e| failed("Cannot restore the stage's access-log settings", e))?;
    }
    if owner == Owner::Ours {
        retry(
            RETRY_CHANGES,
            CONFLICT_WINDOW,
            &ctx.cancel,
            "deleting the delivery stream",
            || firehose::delete_stream(clients, &p.delivery_stream_name),
        )
        .await
        .map_err(|e| failed("Cannot delete the delivery stream", e))?;
        let deleted = Some(Instant::now());
        firehose::wait_stream_deleted(
            clients,
            &p.delivery_stream_name,
            deleted,
            deadline,
            &ctx.cancel,
        )
        .await
        .map_err(|e| failed("The delivery stream was not deleted", e))?;
    }
    if let Some(role) = &private.owned_role {
        steps::delete_owned_role(clients, p, role, &ctx.cancel).await?;
    }
    Ok(diags)
}
