//! Create, as a script of named steps. A failure part-way records what was made, so Terraform
//! taints it and the next apply cleans it up; names are deterministic and the objects stay
//! marked as being created until the create finishes, so a re-run after a crash adopts what
//! the dead run made (see `ownership`).

use std::collections::BTreeMap;

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
use crate::validators::MAX_TAGS;

use super::bucket;
use super::catalog_table;
use super::encryption;
use super::error_logging;
use super::model::{Observed, ObservedStream, Pipeline, Private, partial_state, state_value};
use super::ownership::{self, Claim, Earlier, OWNER_TAG, owner_value};
use super::steps::{self, failed, failed_at};
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
    fn record(&self, ctx: &OpContext, planned: &Value, id: &str, private: &Private) {
        let state = partial_state(
            planned,
            id,
            self.stream_arn.as_deref(),
            self.role_arn.as_deref(),
        );
        ctx.partial.record(state, private.encode());
    }
}

/// Everything is learnt anew: a create takes nothing from the plan's private state.
pub async fn create(clients: &AwsClients, ctx: &OpContext, planned: &Value) -> ApplyOutcome {
    let p = Pipeline::from_value(planned);
    let id = ownership::new_pipeline_id();
    let mut private = Private::default();
    let mut made = Made::default();
    let mut warnings = Diagnostics::new();
    let steps = steps_of_create(
        clients,
        ctx,
        planned,
        &p,
        &id,
        &mut private,
        &mut made,
        &mut warnings,
    );
    match steps.await {
        Ok(state) => ApplyOutcome {
            state,
            private: private.encode(),
            diags: warnings,
        },
        Err(errors) => {
            let mut diags = warnings;
            diags.extend(errors);
            let state =
                if made.anything && !roll_back(clients, ctx, &p, &id, &private, &mut diags).await {
                    partial_state(
                        planned,
                        &id,
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
    id: &str,
    private: &mut Private,
    made: &mut Made,
    warnings: &mut Diagnostics,
) -> Result<Value, Diagnostics> {
    let deadline = Instant::now() + p.timeout("create", DEFAULT_CREATE_TIMEOUT);

    // 0. Two resources of one configuration on one stage: the later is refused before any call.
    let key = p.stage_key(&clients.region);
    if let Some((other, stream)) = ownership::claim_in_process(&key, id, &p.delivery_stream_name) {
        return Err(steps::taken_by_other(
            &format!(
                "Another resource of this configuration points the stage at stream {stream:?}, and"
            ),
            &other,
            p,
            "stage_name",
        ));
    }

    // 1. The stage exists and is not another pipeline's; what it has now (or what the pipeline
    //    being replaced recorded) is what destroy gives back.
    let stage = steps::require_stage(clients, p).await?;
    let earlier = steps::resolve_stage(clients, p, id, &stage).await?;
    check_tag_room(p, id, &earlier)?;
    private.earlier = Some(earlier.clone());

    // 2. The bucket exists (one of another account or region only gets a warning).
    let bucket = bucket::check(clients, p).await?;
    warnings.extend(bucket.warnings);
    private.bucket_region = Some(bucket.region.clone());

    // 3. The role: given, or made and owned.
    let (role_arn, role_made) = match &p.role_arn {
        Some(arn) => (arn.clone(), None),
        None => {
            // Recorded before the attempt: if its answer is lost, destroy still finds the role
            // (and deletes it only if it carries this pipeline's id).
            made.anything = true;
            private.owned_role = Some(steps::owned_role_name(clients, p));
            let owned = steps::ensure_owned_role(clients, p, id, &earlier, &bucket.region).await?;
            made.role_arn = Some(owned.role.arn.clone());
            made.record(ctx, planned, id, private);
            (owned.role.arn, owned.made)
        }
    };

    // 3b. The Glue table, before the stream: a stream converting to Parquet names it.
    if p.catalog.is_some() {
        made.anything = true;
        catalog_table::ensure(clients, p, id).await?;
    }

    // 4. The log group and stream of its error logging, then the stream, made (or adopted)
    //    and ACTIVE.
    made.anything = true;
    error_logging::ensure(clients, p, id).await?;
    let stream = make_stream(
        clients, ctx, p, id, &earlier, &role_arn, role_made, deadline,
    )
    .await?;
    made.stream_arn = Some(stream.arn.clone());
    made.record(ctx, planned, id, private);

    // 5. Point the stage at it.
    let mut stage_access_log = stage.access_log.clone();
    if p.enabled {
        steps::point_stage(clients, p, &stream.arn, &ctx.cancel).await?;
        stage_access_log = Some(AccessLog {
            destination_arn: stream.arn.clone(),
            format: p.stage_format(),
        });
    }

    // 6. The create has finished: from now on the stream is never adoptable by another.
    commit(clients, p, id).await?;

    // The state is what AWS just confirmed: the stream as described once ACTIVE, the stage
    // and tags as written. Reading them back again would only cost rate-limited calls.
    let catalog = p.catalog.as_ref().map_or(Value::Null, |c| {
        c.to_value(Some(catalog_table::table_arn(&stream.arn, c)))
    });
    let observed = Observed {
        catalog,
        pipeline_id: id.to_owned(),
        stream: Some(ObservedStream {
            arn: stream.arn,
            destination: stream.s3.unwrap_or_else(|| p.destination(&role_arn)),
            encryption: stream.encryption,
            error_logging: Default::default(),
        }),
        stage_exists: true,
        stage_access_log,
        role_intact: true,
        tags: p.tags_all.clone(),
    };
    Ok(state_value(p, &observed, &clients.default_tags))
}

/// Refuses, before anything is made, tags that with the provider's own would pass the 50 tags
/// a stream or role may carry ("Tag", Firehose API Reference; "IAM object quotas", IAM User
/// Guide). The record of the stage's earlier settings takes one tag per 256 characters.
pub fn check_tag_room(p: &Pipeline, id: &str, earlier: &Earlier) -> Result<(), Diagnostics> {
    let total = p.remote_tags(id, false, earlier).len();
    if total <= MAX_TAGS {
        return Ok(());
    }
    Err(failed_at(
        &["tags"],
        "Too many tags",
        format!(
            "The stage's current access-log settings take {} tags to record on the stream and role (so \
             that destroy can give them back), which with tags_all ({}) and the owner tag makes {total}; \
             Firehose and IAM take at most {MAX_TAGS}. Remove {} tags.",
            earlier.tags().len(),
            p.tags_all.len(),
            total - MAX_TAGS
        ),
    ))
}

/// Marks the stream as made by a finished create: the owner tag loses its `creating` mark.
pub async fn commit(clients: &AwsClients, p: &Pipeline, id: &str) -> Result<(), Diagnostics> {
    let have = BTreeMap::from([(OWNER_TAG.to_owned(), owner_value(id, true))]);
    let want = BTreeMap::from([(OWNER_TAG.to_owned(), owner_value(id, false))]);
    firehose::sync_tags(clients, &p.delivery_stream_name, &have, &want)
        .await
        .map_err(|e| failed("Cannot tag the delivery stream", e))
}

/// Makes the stream (riding out IAM lag), or, where the name is taken, adopts it if this
/// pipeline made it or a create that died did, and waits until it is ACTIVE with the
/// pipeline's destination. Tagged as being created by `id` until [`commit`]. A role made just
/// now is not tried before it is as old as any recently refused.
#[allow(clippy::too_many_arguments)]
pub async fn make_stream(
    clients: &AwsClients,
    ctx: &OpContext,
    p: &Pipeline,
    id: &str,
    earlier: &Earlier,
    role_arn: &str,
    role_made: Option<Instant>,
    deadline: Instant,
) -> Result<firehose::Stream, Diagnostics> {
    let desired = p.destination(role_arn);
    let propagation = &clients.phases.role_propagation;
    let window = IAM_PROPAGATION_WINDOW.min(deadline.saturating_duration_since(Instant::now()));
    let retry_on = [
        ErrorKind::Propagation,
        ErrorKind::Throttling,
        ErrorKind::Transient,
    ];
    let tags = p.remote_tags(id, true, earlier);
    let created = retry_paced(
        &retry_on,
        window,
        &ctx.cancel,
        "creating the delivery stream",
        || role_made.map_or_else(Instant::now, |t| propagation.worth_checking(t)),
        || async {
            let created = firehose::create_stream(
                clients,
                &p.delivery_stream_name,
                &desired,
                p.server_side_encryption.enabled,
                &tags,
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
            adopt_stream(clients, p, id, &tags).await?;
            None
        }
        Err(e) => return Err(failed("Cannot create the delivery stream", e)),
    };
    let mut stream = firehose::wait_stream_active(
        clients,
        &p.delivery_stream_name,
        stream_made,
        deadline,
        &ctx.cancel,
    )
    .await
    .map_err(|e| failed("The delivery stream did not become ACTIVE", e))?;
    if stream.s3.as_ref() != Some(&desired) {
        update_destination(clients, ctx, p, &desired, deadline).await?;
        stream.s3 = Some(desired);
    }
    // An adopted stream may differ from the plan, and a new one may still be ENABLING.
    let want = &p.server_side_encryption;
    let name = &p.delivery_stream_name;
    if let Some(settled) = encryption::converge(clients, ctx, name, want, &stream, deadline).await?
    {
        stream.encryption = settled.encryption;
    }
    Ok(stream)
}

/// After a failed create: when no stream of this pipeline exists, removes the role it made and
/// reports true, so nothing is left and nothing need be recorded. A stream that exists stays,
/// recorded in a partial (tainted) state that refresh finds and destroy removes with the role.
async fn roll_back(
    clients: &AwsClients,
    ctx: &OpContext,
    p: &Pipeline,
    id: &str,
    private: &Private,
    diags: &mut Diagnostics,
) -> bool {
    match steps::stream_tags(clients, &p.delivery_stream_name).await {
        Ok(Some(tags)) if Claim::of(&tags).is(id) => return false,
        Ok(_) => {}
        Err(_) => return false,
    }
    if let Some(c) = &p.catalog {
        if let Err(errors) = catalog_table::delete_owned(clients, id, c).await {
            diags.extend(errors);
            return false;
        }
    }
    if let Err(errors) = error_logging::delete_owned(clients, p, id).await {
        diags.extend(errors);
        return false;
    }
    let Some(role) = &private.owned_role else {
        return true;
    };
    match steps::delete_owned_role(clients, id, role, &ctx.cancel).await {
        Ok(()) => true,
        Err(errors) => {
            diags.extend(errors);
            false
        }
    }
}

/// Adopts the stream of the pipeline's name if this pipeline made it (an answer lost on the
/// way back) or a create that died did (re-tagging it as this pipeline's); any other stream of
/// that name is an error.
async fn adopt_stream(
    clients: &AwsClients,
    p: &Pipeline,
    id: &str,
    want: &BTreeMap<String, String>,
) -> Result<(), Diagnostics> {
    let have = steps::stream_tags(clients, &p.delivery_stream_name)
        .await
        .map_err(|e| failed("Cannot read the delivery stream", e))?
        .ok_or_else(|| {
            failed(
                "Cannot create the delivery stream",
                format!(
                    "Firehose said stream {:?} exists, then that it does not; try again.",
                    p.delivery_stream_name
                ),
            )
        })?;
    let claim = Claim::of(&have);
    match claim.id() {
        Some(other) if other == id => Ok(()),
        Some(other) => {
            if matches!(claim, Claim::Creating(_)) && steps::abandoned(clients, p, other).await? {
                firehose::sync_tags(clients, &p.delivery_stream_name, &have, want)
                    .await
                    .map_err(|e| failed("Cannot tag the delivery stream", e))
            } else {
                Err(steps::taken_by_other(
                    &format!(
                        "A Firehose stream named {:?} exists and",
                        p.delivery_stream_name
                    ),
                    other,
                    p,
                    "delivery_stream_name",
                ))
            }
        }
        None => Err(failed_at(
            &["delivery_stream_name"],
            "Delivery stream name taken",
            format!(
                "A Firehose stream named {:?} already exists and was not made by this provider. Choose \
                 another delivery_stream_name, or import the stage (`terraform import <address> {}`) to \
                 point it at that stream without changing the stream.",
                p.delivery_stream_name,
                p.id()
            ),
        )),
    }
}
