//! Create, as a script of named steps. A failure part-way records what was made, so Terraform
//! taints it and the next apply cleans it up; names are deterministic, so a re-run after a
//! crash adopts what the earlier run made.

use tokio::time::Instant;

use crate::aws::apigateway::AccessLog;
use crate::aws::clients::AwsClients;
use crate::aws::error::ErrorKind;
use crate::aws::firehose;
use crate::aws::policy::{DEFAULT_CREATE_TIMEOUT, IAM_PROPAGATION_WINDOW};
use crate::aws::retry::{WaitError, retry_paced};
use crate::plugin::diagnostics::Diagnostics;
use crate::plugin::framework::{ApplyOutcome, OpContext};
use crate::plugin::value::Value;

use super::bucket;
use super::model::{Observed, Pipeline, Private, partial_state, state_value};
use super::steps::{self, Owner, failed, failed_at};
use super::update::update_destination;

/// What exists so far, for the partial state of a failed create.
#[derive(Default)]
struct Made {
    role_arn: Option<String>,
    stream_arn: Option<String>,
    anything: bool,
}

impl Made {
    /// Tells the operation's panic guard what exists so far.
    fn record(&self, ctx: &OpContext, planned: &Value, private: &Private) {
        let state = partial_state(
            planned,
            self.stream_arn.as_deref(),
            self.role_arn.as_deref(),
        );
        ctx.partial.record(state, private.encode());
    }
}

pub async fn create(clients: &AwsClients, ctx: &OpContext, planned: &Value) -> ApplyOutcome {
    let p = Pipeline::from_value(planned);
    let mut private = Private::default();
    let mut made = Made::default();
    let mut warnings = Diagnostics::new();
    match steps_of_create(
        clients,
        ctx,
        planned,
        &p,
        &mut private,
        &mut made,
        &mut warnings,
    )
    .await
    {
        Ok(state) => ApplyOutcome {
            state,
            private: private.encode(),
            diags: warnings,
        },
        Err(errors) => {
            let mut diags = warnings;
            diags.extend(errors);
            let state = if made.anything && !roll_back(clients, ctx, &p, &private, &mut diags).await
            {
                partial_state(
                    planned,
                    made.stream_arn.as_deref(),
                    made.role_arn.as_deref(),
                )
            } else {
                Value::Null
            };
            ApplyOutcome {
                state,
                private: private.encode(),
                diags,
            }
        }
    }
}

#[allow(clippy::too_many_arguments)]
async fn steps_of_create(
    clients: &AwsClients,
    ctx: &OpContext,
    planned: &Value,
    p: &Pipeline,
    private: &mut Private,
    made: &mut Made,
    warnings: &mut Diagnostics,
) -> Result<Value, Diagnostics> {
    let deadline = Instant::now() + p.timeout("create", DEFAULT_CREATE_TIMEOUT);

    // 1. The stage exists, and is not another pipeline's.
    let stage = steps::require_stage(clients, p).await?;
    steps::claim_stage(clients, p, &stage, private).await?;

    // 2. The bucket exists (one of another account or region only gets a warning).
    let bucket = bucket::check(clients, p).await?;
    warnings.extend(bucket.warnings);

    // 3. The role: given, or made and owned.
    let (role_arn, role_made) = match &p.role_arn {
        Some(arn) => (arn.clone(), None),
        None => {
            // Recorded before the attempt: if its answer is lost, destroy still finds the role
            // (and deletes it only if it carries this pipeline's tag).
            made.anything = true;
            private.owned_role = Some(steps::owned_role_name(clients, p));
            let owned = steps::ensure_owned_role(clients, p, &bucket.region).await?;
            made.role_arn = Some(owned.role.arn.clone());
            made.record(ctx, planned, private);
            (owned.role.arn, owned.made)
        }
    };

    // 4. The stream: created (riding out IAM lag), or, where the name is taken, adopted if an
    //    earlier run of this pipeline made it (a crash, or an answer lost on the way back).
    //    A role made just now is not tried before it is as old as any recently refused.
    let desired = p.destination(&role_arn);
    let propagation = &clients.phases.role_propagation;
    let stream_made;
    {
        let window = IAM_PROPAGATION_WINDOW.min(deadline.saturating_duration_since(Instant::now()));
        let retry_on = [
            ErrorKind::Propagation,
            ErrorKind::Throttling,
            ErrorKind::Transient,
        ];
        let tags = p.remote_tags();
        made.anything = true;
        let created = retry_paced(
            &retry_on,
            window,
            &ctx.cancel,
            "creating the delivery stream",
            || role_made.map_or_else(Instant::now, |t| propagation.worth_checking(t)),
            || async {
                let created =
                    firehose::create_stream(clients, &p.delivery_stream_name, &desired, &tags)
                        .await;
                match (&created, role_made) {
                    (Ok(()), Some(t)) => propagation.out_of_phase(t),
                    (Err(e), Some(t)) if e.is(ErrorKind::Propagation) => {
                        propagation.still_in_phase(t)
                    }
                    _ => {}
                }
                created
            },
        )
        .await;
        stream_made = match created {
            Ok(()) => Some(Instant::now()),
            Err(WaitError::Aws(e)) if e.is(ErrorKind::AlreadyExists) => {
                if !adopt_stream(clients, p).await? {
                    return Err(failed("Cannot create the delivery stream", e));
                }
                None
            }
            Err(e) => return Err(failed("Cannot create the delivery stream", e)),
        };
    }
    made.anything = true;

    // 5. Wait until it can take records.
    let mut stream = firehose::wait_stream_active(
        clients,
        &p.delivery_stream_name,
        stream_made,
        deadline,
        &ctx.cancel,
    )
    .await
    .map_err(|e| failed("The delivery stream did not become ACTIVE", e))?;
    made.stream_arn = Some(stream.arn.clone());
    made.record(ctx, planned, private);
    if stream.s3.as_ref() != Some(&desired) {
        update_destination(clients, ctx, p, &desired, deadline).await?;
        stream.s3 = Some(desired.clone());
    }

    // 6. Point the stage at it.
    let mut stage_access_log = stage.access_log.clone();
    if p.enabled {
        steps::point_stage(clients, p, &stream.arn, &ctx.cancel).await?;
        stage_access_log = Some(AccessLog {
            destination_arn: stream.arn.clone(),
            format: p.format.clone(),
        });
    }

    // The state is what AWS just confirmed: the stream as described once ACTIVE, the stage
    // and tags as written. Reading them back again would only cost rate-limited calls.
    let observed = Observed {
        destination: stream.s3.clone().unwrap_or(desired),
        stream_arn: stream.arn,
        stage_access_log,
        tags: p.tags_all.clone(),
    };
    Ok(state_value(p, &observed, &clients.default_tags))
}

/// After a failed create: when no stream of this pipeline exists, removes the role it made and
/// reports true, so nothing is left and nothing need be recorded. A stream that exists stays,
/// recorded in a partial (tainted) state that refresh finds and destroy removes with the role.
/// Without this, refresh would find no stream, drop the resource, and orphan the role.
async fn roll_back(
    clients: &AwsClients,
    ctx: &OpContext,
    p: &Pipeline,
    private: &Private,
    diags: &mut Diagnostics,
) -> bool {
    match steps::stream_owner(clients, p).await {
        Ok(Owner::Nobody | Owner::Someone) => {}
        Ok(Owner::Ours) | Err(_) => return false,
    }
    let Some(role) = &private.owned_role else {
        return true;
    };
    match steps::delete_owned_role(clients, p, role, &ctx.cancel).await {
        Ok(()) => true,
        Err(errors) => {
            diags.extend(errors);
            false
        }
    }
}

/// Whether a stream of the pipeline's name was made by an earlier run of this pipeline (to
/// be adopted); one made by anyone else is an error.
async fn adopt_stream(clients: &AwsClients, p: &Pipeline) -> Result<bool, Diagnostics> {
    match steps::stream_owner(clients, p)
        .await
        .map_err(|e| failed("Cannot read the delivery stream", e))?
    {
        Owner::Ours => Ok(true),
        Owner::Nobody => Ok(false),
        Owner::Someone => Err(failed_at(
            &["delivery_stream_name"],
            "Delivery stream name taken",
            format!(
                "A Firehose stream named {:?} already exists and was not made by this provider for pipeline {}. \
                 Choose another delivery_stream_name, or import the existing pipeline.",
                p.delivery_stream_name,
                p.id()
            ),
        )),
    }
}
