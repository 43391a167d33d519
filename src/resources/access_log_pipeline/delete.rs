//! Destroy: give the stage back what it had, delete the stream and wait until it is gone,
//! then delete the owned role. A role brought along is never touched.

use tokio::time::Instant;

use crate::aws::clients::AwsClients;
use crate::aws::policy::{CONFLICT_WINDOW, DEFAULT_DELETE_TIMEOUT};
use crate::aws::retry::retry;
use crate::aws::{firehose, iam};
use crate::plugin::diagnostics::Diagnostics;
use crate::plugin::framework::OpContext;
use crate::plugin::value::Value;

use super::model::{Pipeline, Private};
use super::steps::{self, RETRY_CHANGES, failed};

pub async fn delete(
    clients: &AwsClients,
    ctx: &OpContext,
    prior: &Value,
    private: &[u8],
) -> Diagnostics {
    let p = Pipeline::from_value(prior);
    let private = Private::decode(private);
    match steps_of_delete(clients, ctx, &p, &private).await {
        Ok(()) => Diagnostics::new(),
        Err(d) => d,
    }
}

async fn steps_of_delete(
    clients: &AwsClients,
    ctx: &OpContext,
    p: &Pipeline,
    private: &Private,
) -> Result<(), Diagnostics> {
    let deadline = Instant::now() + p.timeout("delete", DEFAULT_DELETE_TIMEOUT);

    steps::release_stage(clients, p, private, &ctx.cancel)
        .await
        .map_err(|e| failed("Cannot restore the stage's access-log settings", e))?;

    if !p.delivery_stream_name.is_empty() {
        retry(
            RETRY_CHANGES,
            CONFLICT_WINDOW,
            &ctx.cancel,
            "deleting the delivery stream",
            || firehose::delete_stream(clients, &p.delivery_stream_name),
        )
        .await
        .map_err(|e| failed("Cannot delete the delivery stream", e))?;
        firehose::wait_stream_deleted(clients, &p.delivery_stream_name, deadline, &ctx.cancel)
            .await
            .map_err(|e| failed("The delivery stream was not deleted", e))?;
    }

    if let Some(role) = &private.owned_role {
        retry(
            RETRY_CHANGES,
            CONFLICT_WINDOW,
            &ctx.cancel,
            "deleting the IAM role",
            || iam::delete_role(clients, role),
        )
        .await
        .map_err(|e| failed("Cannot delete the IAM role", e))?;
    }
    Ok(())
}
