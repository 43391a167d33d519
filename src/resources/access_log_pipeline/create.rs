//! Create, as a script of named steps. A failure part-way records what was made, so Terraform
//! taints it and the next apply cleans it up; names are deterministic and the objects stay
//! marked as being created until the create finishes, so a re-run after a crash adopts what
//! the dead run made (see `ownership`).

use std::collections::BTreeMap;

use tokio::time::Instant;

use crate::aws::apigateway::AccessLog;
use crate::aws::clients::AwsClients;
use crate::aws::policy::DEFAULT_CREATE_TIMEOUT;
use crate::plugin::diagnostics::Diagnostics;
use crate::plugin::framework::{ApplyOutcome, OpContext};
use crate::plugin::value::Value;
use crate::resources::stream_parts::catalog_table::Catalog;
use crate::resources::stream_parts::{bucket, catalog_table, error_logging, role, stream};
use crate::validators::MAX_TAGS;

use super::fields::{self, STAGE_NAME, TAGS};
use super::model::{
    Observed, ObservedStream, Pipeline, Private, partial_state, remote_tags, state_value,
};
use super::ownership::{self, Claim, Earlier, OWNER};
use super::steps::{self, failed_at};

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
            let left = made.anything
                && !roll_back(
                    clients,
                    ctx,
                    &p.delivery_stream_name,
                    p.settings.catalog.as_ref(),
                    private.owned_role.as_deref(),
                    &id,
                    &mut diags,
                )
                .await;
            let state = if left {
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
    let deadline = Instant::now() + p.timeout(fields::timeouts::CREATE, DEFAULT_CREATE_TIMEOUT);

    // 0. Two resources of one configuration on one stage: the later is refused before any call.
    let at = p.stage_ref();
    let stream_name = &p.delivery_stream_name;
    let key = p.stage_key(&clients.region);
    if let Some((other, stream)) = ownership::claim_in_process(&key, id, stream_name) {
        return Err(steps::taken_by_other(
            &format!(
                "Another resource of this configuration points the stage at stream {stream:?}, and"
            ),
            &other,
            at,
            STAGE_NAME,
        ));
    }

    // 1. The stage exists and is not another pipeline's; what it has now (or what the pipeline
    //    being replaced recorded) is what destroy gives back.
    let stage = steps::require_stage(clients, at).await?;
    let earlier = steps::resolve_stage(clients, at, stream_name, id, &stage).await?;
    check_tag_room(&p.settings.tags_all, id, &earlier)?;
    private.earlier = Some(earlier.clone());

    // 2. The bucket exists (one of another account or region only gets a warning).
    let bucket = bucket::check(clients, &p.settings.s3).await?;
    let parts = p.parts();
    let owner = steps::owner(at, id);
    warnings.extend(bucket.warnings);
    private.bucket_region = Some(bucket.region.clone());

    // 3. The role: given, or made and owned.
    let (role_arn, role_made) = match &p.settings.role_arn {
        Some(arn) => (arn.clone(), None),
        None => {
            // Recorded before the attempt: if its answer is lost, destroy still finds the role
            // (and deletes it only if it carries this pipeline's id).
            made.anything = true;
            private.owned_role = Some(role::owned_role_name(clients, &parts));
            let tags = p.remote_tags(id, false, &earlier);
            let owned =
                role::ensure_owned_role(clients, &parts, &owner, &tags, &bucket.region).await?;
            made.role_arn = Some(owned.role.arn.clone());
            made.record(ctx, planned, id, private);
            (owned.role.arn, owned.made)
        }
    };

    // 3b. The Glue table, before the stream: a stream converting to Parquet names it.
    if p.settings.catalog.is_some() {
        made.anything = true;
        catalog_table::ensure(clients, &parts, &owner).await?;
    }

    // 4. The log group and stream of its error logging, then the stream, made (or adopted)
    //    and ACTIVE.
    made.anything = true;
    error_logging::ensure(clients, &parts, &owner).await?;
    let tags = p.remote_tags(id, true, &earlier);
    let stream = stream::make_stream(
        clients, ctx, &parts, &owner, &tags, &role_arn, role_made, deadline,
    )
    .await?;
    made.stream_arn = Some(stream.arn.clone());
    made.record(ctx, planned, id, private);

    // 5. Point the stage at it.
    let mut stage_access_log = stage.access_log.clone();
    if p.enabled {
        let format = p.stage_format();
        steps::point_stage(clients, at, &stream.arn, format.clone(), &ctx.cancel).await?;
        stage_access_log = Some(AccessLog {
            destination_arn: stream.arn.clone(),
            format,
        });
    }

    // 6. The create has finished: from now on the stream is never adoptable by another.
    stream::commit(clients, stream_name, &owner).await?;

    // The state is what AWS just confirmed: the stream as described once ACTIVE, the stage
    // and tags as written. Reading them back again would only cost rate-limited calls.
    let catalog = p.settings.catalog.as_ref().map_or(Value::Null, |c| {
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
        tags: p.settings.tags_all.clone(),
    };
    Ok(state_value(p, &observed, &clients.default_tags))
}

/// Refuses, before anything is made, tags that with the provider's own would pass the 50 tags
/// a stream or role may carry ("Tag", Firehose API Reference; "IAM object quotas", IAM User
/// Guide): `tags_all`, the owner tag of pipeline `id` and the record of the stage's `earlier`
/// settings, which takes one tag per 256 characters.
pub fn check_tag_room(
    tags_all: &BTreeMap<String, String>,
    id: &str,
    earlier: &Earlier,
) -> Result<(), Diagnostics> {
    let total = remote_tags(tags_all, id, false, earlier).len();
    if total <= MAX_TAGS {
        return Ok(());
    }
    Err(failed_at(
        &[TAGS],
        "Too many tags",
        format!(
            "The stage's current access-log settings take {} tags to record on the stream and role (so \
             that destroy can give them back), which with tags_all ({}) and the owner tag makes {total}; \
             Firehose and IAM take at most {MAX_TAGS}. Remove {} tags.",
            earlier.tags().len(),
            tags_all.len(),
            total - MAX_TAGS
        ),
    ))
}

/// After a failed create of pipeline `id`: when no stream `stream_name` of this pipeline
/// exists, removes the table (`catalog`), log group and `owned_role` it made and reports true,
/// so nothing is left and nothing need be recorded. A stream that exists stays, recorded in a
/// partial (tainted) state that refresh finds and destroy removes with the rest.
async fn roll_back(
    clients: &AwsClients,
    ctx: &OpContext,
    stream_name: &str,
    catalog: Option<&Catalog>,
    owned_role: Option<&str>,
    id: &str,
    diags: &mut Diagnostics,
) -> bool {
    match steps::stream_tags(clients, stream_name).await {
        Ok(Some(tags)) if Claim::of(&tags).is(id) => return false,
        Ok(_) => {}
        Err(_) => return false,
    }
    if let Some(c) = catalog {
        if let Err(errors) = catalog_table::delete_owned(clients, OWNER, id, c).await {
            diags.extend(errors);
            return false;
        }
    }
    if let Err(errors) = error_logging::delete_owned(clients, stream_name, OWNER, id).await {
        diags.extend(errors);
        return false;
    }
    let Some(role) = owned_role else {
        return true;
    };
    match role::delete_owned_role(clients, OWNER, id, role, &ctx.cancel).await {
        Ok(()) => true,
        Err(errors) => {
            diags.extend(errors);
            false
        }
    }
}
