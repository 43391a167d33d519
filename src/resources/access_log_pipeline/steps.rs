//! The steps the lifecycle scripts share: the owned role, the stage's access-log pointer, and
//! turning AWS failures into diagnostics.

use std::collections::BTreeMap;
use std::fmt::Display;

use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::aws::apigateway::{self, AccessLog};
use crate::aws::clients::AwsClients;
use crate::aws::error::{AwsError, ErrorKind};
use crate::aws::policy::CONFLICT_WINDOW;
use crate::aws::retry::{WaitError, retry};
use crate::aws::{firehose, iam};
use crate::plugin::diagnostics::{AttrPath, Diagnostic, Diagnostics};
use crate::stage;

use super::super::stage_claim;
use super::super::stage_log;
use super::error_logging;
use super::model::Pipeline;
use super::names::{self, ROLE_POLICY_NAME};
use super::ownership::{self, Claim, Earlier};
use super::policy;

/// Kinds worth retrying for calls that change a stage or stream.
pub const RETRY_CHANGES: &[ErrorKind] = &[
    ErrorKind::Conflict,
    ErrorKind::Throttling,
    ErrorKind::Transient,
];

/// An error diagnostic for a failed step.
pub fn failed(summary: impl Into<String>, err: impl Display) -> Diagnostics {
    Diagnostic::error(summary, err.to_string()).into()
}

/// An error diagnostic pointing at an attribute.
pub fn failed_at(
    path: &[&str],
    summary: impl Into<String>,
    detail: impl Into<String>,
) -> Diagnostics {
    Diagnostic::error(summary, detail)
        .at(AttrPath::attrs(path.iter().copied()))
        .into()
}

/// Whether an access-log destination is this pipeline's stream.
pub fn is_our_stream(destination_arn: &str, stream_name: &str) -> bool {
    destination_arn.ends_with(&format!(":deliverystream/{stream_name}"))
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

/// The name of the Firehose stream an access-log destination names, if it is one.
pub fn stream_of_destination(destination_arn: &str) -> Option<&str> {
    destination_arn.split(":deliverystream/").nth(1)
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

/// The id of the pipeline that made stream `name`, from its owner tag (a create still running
/// or dead included); None for a stream no pipeline made, and for no stream of that name.
pub async fn stream_owner(clients: &AwsClients, name: &str) -> Result<Option<String>, AwsError> {
    let tags = stream_tags(clients, name).await?;
    Ok(tags.and_then(|t| Claim::of(&t).id().map(str::to_owned)))
}

/// Whether the objects of pipeline `other` were left by a create that died: it is not one of
/// this process's, and the stream of the pipeline's name is missing or still marked as being
/// created by `other`. A finished pipeline's objects are never adoptable.
pub async fn abandoned(
    clients: &AwsClients,
    p: &Pipeline,
    other: &str,
) -> Result<bool, Diagnostics> {
    if ownership::is_live_in_process(other) {
        return Ok(false);
    }
    let tags = stream_tags(clients, &p.delivery_stream_name)
        .await
        .map_err(|e| failed("Cannot read the delivery stream", e))?;
    Ok(match tags.map(|t| Claim::of(&t)) {
        None => true,
        Some(Claim::Creating(id)) => id == other,
        Some(_) => false,
    })
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
            &["stage_name"],
            "Stage already claimed",
            format!(
                "Stage {:?} of REST API {:?} is held by the apigw_stage_access_log with attachment_id                  {other:?}. A stage has one access-log destination, and this provider never takes what                  another of its resources holds: destroy that attachment first, or point it at this                  pipeline's stream instead.",
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
        .and_then(|l| stream_of_destination(&l.destination_arn))
    else {
        return Ok(current);
    };
    let Some(tags) = stream_tags(clients, other_stream)
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
        "stage_name",
    ))
}

/// The provider-owned role's name for this pipeline.
pub fn owned_role_name(clients: &AwsClients, p: &Pipeline) -> String {
    names::role_name(&clients.region, &p.delivery_stream_name)
}

/// The role called `name` if pipeline `id` made it, None if there is no such role, and an
/// error if the name belongs to something else.
pub async fn find_owned_role(
    clients: &AwsClients,
    p: &Pipeline,
    id: &str,
    name: &str,
) -> Result<Option<iam::Role>, Diagnostics> {
    match iam::find_role(clients, name).await {
        Ok(role) if Claim::of(&role.tags).is(id) => Ok(Some(role)),
        Ok(role) => match Claim::of(&role.tags).id() {
            Some(other) => Err(taken_by_other(
                &format!("IAM role {:?}", role.name),
                other,
                p,
                "delivery_stream_name",
            )),
            None => Err(failed(
                "IAM role name taken",
                format!(
                    "An IAM role named {:?} ({}) exists but was not made by this provider. Delete or \
                     rename it, or set role_arn to use a role of your own.",
                    role.name, role.arn
                ),
            )),
        },
        Err(e) if e.is(ErrorKind::NotFound) => Ok(None),
        Err(e) => Err(failed("Cannot read the IAM role", e)),
    }
}

/// The provider-owned role, and when this call made it, if it did: a new role takes a while
/// to become usable by Firehose.
pub struct OwnedRole {
    pub role: iam::Role,
    pub made: Option<Instant>,
}

/// Finds or makes pipeline `id`'s own role, tagged with its owner and the stage's earlier
/// settings, with its policy written for the pipeline's bucket (in `bucket_region`) and key.
/// A role of that name is adopted only if this pipeline made it, or a create that died did;
/// any other is never touched.
pub async fn ensure_owned_role(
    clients: &AwsClients,
    p: &Pipeline,
    id: &str,
    earlier: &Earlier,
    bucket_region: &str,
) -> Result<OwnedRole, Diagnostics> {
    let name = owned_role_name(clients, p);
    let account = &clients
        .identity()
        .await
        .map_err(|e| failed("Cannot identify the AWS account", e))?
        .account;
    let description = format!(
        "Lets Firehose deliver API Gateway access logs of {} to S3.",
        p.id()
    );
    let trust = policy::trust_policy(account);
    let want = p.remote_tags(id, false, earlier);
    let owned = match iam::create_role(clients, &name, &description, &trust, &want).await {
        Ok(role) => OwnedRole {
            role,
            made: Some(Instant::now()),
        },
        // Made by an earlier attempt (an answer lost on the way back, or a create that died).
        Err(e) if e.is(ErrorKind::AlreadyExists) => {
            let found = iam::find_role(clients, &name)
                .await
                .map_err(|e| failed("Cannot read the IAM role", e))?;
            let claim = Claim::of(&found.tags);
            let adoptable = match claim.id() {
                Some(other) if other == id => true,
                Some(other) => abandoned(clients, p, other).await?,
                None => false,
            };
            if !adoptable {
                return Err(find_owned_role(clients, p, id, &name)
                    .await
                    .err()
                    .unwrap_or_else(|| failed("Cannot create the IAM role", e)));
            }
            iam::sync_tags(clients, &name, &found.tags, &want)
                .await
                .map_err(|e| failed("Cannot tag the IAM role", e))?;
            OwnedRole {
                role: found,
                made: None,
            }
        }
        Err(e) => return Err(failed("Cannot create the IAM role", e)),
    };
    write_role_policy(clients, p, &owned.role.name, bucket_region).await?;
    Ok(owned)
}

/// Deletes the role called `name`, if it is still there and pipeline `id` made it.
pub async fn delete_owned_role(
    clients: &AwsClients,
    id: &str,
    name: &str,
    cancel: &CancellationToken,
) -> Result<(), Diagnostics> {
    match iam::find_role(clients, name).await {
        Ok(role) if Claim::of(&role.tags).is(id) => {}
        Ok(_) => return Ok(()),
        Err(e) if e.is(ErrorKind::NotFound) => return Ok(()),
        Err(e) => return Err(failed("Cannot read the IAM role", e)),
    }
    retry(
        RETRY_CHANGES,
        CONFLICT_WINDOW,
        cancel,
        "deleting the IAM role",
        || iam::delete_role(clients, name),
    )
    .await
    .map_err(|e| failed("Cannot delete the IAM role", e))
}

/// (Re)writes the owned role's inline policy for the pipeline's bucket (in `bucket_region`),
/// key, Glue table (with Parquet conversion) and error logging.
pub async fn write_role_policy(
    clients: &AwsClients,
    p: &Pipeline,
    role: &str,
    bucket_region: &str,
) -> Result<(), Diagnostics> {
    let identity = clients
        .identity()
        .await
        .map_err(|e| failed("Cannot identify the AWS account", e))?;
    let glue = p.catalog.as_ref().filter(|c| c.parquet).map(|c| {
        let role_arn = format!(
            "arn:{}:iam::{}:role/{role}",
            identity.partition, identity.account
        );
        policy::GlueTableAccess::of(&role_arn, &clients.region, &c.database, &c.table)
    });
    let log_stream = error_logging::log_stream_arn(
        &p.error_logging.options(&p.delivery_stream_name),
        &identity.partition,
        &clients.region,
        &identity.account,
    );
    let doc = policy::permissions_policy(
        &p.s3.bucket_arn,
        p.s3.kms_key_arn.as_deref(),
        bucket_region,
        glue.as_ref(),
        log_stream.as_deref(),
    );
    iam::put_role_policy(clients, role, ROLE_POLICY_NAME, &doc)
        .await
        .map_err(|e| failed("Cannot write the IAM role's policy", e))
}

/// The role name in a role ARN.
pub fn role_name_of(arn: &str) -> &str {
    arn.rsplit('/').next().unwrap_or(arn)
}
