//! The steps the lifecycle scripts share: the owned role, the stage's access-log pointer, and
//! turning AWS failures into diagnostics.

use tokio_util::sync::CancellationToken;

use crate::aws::apigateway::{self, AccessLog};
use crate::aws::clients::AwsClients;
use crate::aws::error::{AwsError, ErrorKind};
use crate::aws::policy::CONFLICT_WINDOW;
use crate::aws::retry::{WaitError, retry};
use crate::plugin::diagnostics::{AttrPath, Diagnostic, Diagnostics};
use crate::resources::stream_parts::owner::Owner;
use crate::resources::stream_parts::{role, stream};

pub use crate::resources::stream_parts::role::role_name_of;
pub use crate::resources::stream_parts::stream::stream_tags;
pub use crate::resources::stream_parts::{RETRY_CHANGES, failed, failed_at};

use super::model::Pipeline;
use super::ownership::{Claim, Earlier, OWNER};

/// Whether an access-log destination is this pipeline's stream.
pub fn is_our_stream(destination_arn: &str, stream_name: &str) -> bool {
    destination_arn.ends_with(&format!(":deliverystream/{stream_name}"))
}

/// The stage must exist; a clear error names whichever of REST API and stage is missing.
pub async fn require_stage(
    clients: &AwsClients,
    p: &Pipeline,
) -> Result<apigateway::Stage, Diagnostics> {
    find_stage_or_say(clients, &p.rest_api_id, &p.stage_name, true).await
}

/// Reads a stage; when it is not found, the error says whether the REST API itself is
/// missing or only the stage. `at_attributes` points the error at `rest_api_id` or
/// `stage_name` (not for an import, which has no configuration yet).
pub async fn find_stage_or_say(
    clients: &AwsClients,
    rest_api_id: &str,
    stage_name: &str,
    at_attributes: bool,
) -> Result<apigateway::Stage, Diagnostics> {
    let located = |attr: &str, summary: &str, detail: String| {
        let d = Diagnostic::error(summary, detail);
        if at_attributes {
            d.at(AttrPath::attrs([attr])).into()
        } else {
            Diagnostics::from(d)
        }
    };
    match apigateway::find_stage(clients, rest_api_id, stage_name).await {
        Ok(stage) => Ok(stage),
        Err(e) if e.is(ErrorKind::NotFound) => {
            match apigateway::which_is_missing(clients, rest_api_id).await {
                Ok(apigateway::Missing::RestApi) => Err(located(
                    "rest_api_id",
                    "REST API not found",
                    format!(
                        "There is no REST API {rest_api_id:?} in region {}.",
                        clients.region
                    ),
                )),
                Ok(apigateway::Missing::Stage) => Err(located(
                    "stage_name",
                    "Stage not found",
                    format!(
                        "REST API {rest_api_id:?} has no stage {stage_name:?} in region {}. Deploy the API to that stage first.",
                        clients.region
                    ),
                )),
                Err(e) => Err(failed("Cannot read the REST API", e)),
            }
        }
        Err(e) => Err(failed("Cannot read the stage", e)),
    }
}

/// The name of the Firehose stream an access-log destination names, if it is one.
pub fn stream_of_destination(destination_arn: &str) -> Option<&str> {
    destination_arn.split(":deliverystream/").nth(1)
}

/// Whether the objects of pipeline `other` were left by a create that died (see
/// `stream_parts::stream::abandoned`).
pub async fn abandoned(
    clients: &AwsClients,
    p: &Pipeline,
    other: &str,
) -> Result<bool, Diagnostics> {
    stream::abandoned(clients, OWNER, &p.delivery_stream_name, other).await
}

/// Pipeline `p`, instance `id`, as the shared stream steps take it.
pub fn owner<'a>(p: &'a Pipeline, id: &'a str) -> Owner<'a> {
    Owner {
        kind: OWNER,
        id,
        taken: Box::new(move |what, other, attr| taken_by_other(what, other, p, attr)),
        name_taken_hint: format!(
            "Choose another delivery_stream_name, or import the stage (`terraform import <address> {}`) \
             to point it at that stream without changing the stream.",
            p.id()
        ),
    }
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

/// The service-linked role API Gateway makes the first time a stage of the account logs to
/// Firehose ("Log REST API calls to Amazon Data Firehose in API Gateway", API Gateway
/// Developer Guide), trusted by `ops.apigateway.amazonaws.com` ("Using service-linked roles
/// for API Gateway").
pub const APIGATEWAY_SERVICE_LINKED_ROLE: &str = "AWSServiceRoleForAPIGateway";

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
    retry(
        RETRY_CHANGES,
        CONFLICT_WINDOW,
        cancel,
        "updating the stage's access-log settings",
        || apigateway::set_access_log(clients, &p.rest_api_id, &p.stage_name, Some(&log)),
    )
    .await
    .map_err(|e| {
        let summary = "Cannot point the stage's access logs at the stream";
        match e.aws() {
            Some(aws) if refused_for_service_linked_role(aws) => failed(
                summary,
                format!(
                    "{aws}\n\nAPI Gateway creates the service-linked role {APIGATEWAY_SERVICE_LINKED_ROLE} the first \
                     time a stage of the account logs to Firehose, and creates it with the caller's permissions. \
                     Allow the caller iam:CreateServiceLinkedRole on \
                     arn:aws:iam::<account>:role/aws-service-role/ops.apigateway.amazonaws.com/{APIGATEWAY_SERVICE_LINKED_ROLE} \
                     (condition iam:AWSServiceName = ops.apigateway.amazonaws.com), or have an administrator create \
                     it once: aws iam create-service-linked-role --aws-service-name ops.apigateway.amazonaws.com"
                ),
            ),
            _ => failed(summary, e),
        }
    })
}

/// Whether API Gateway refused a change because the caller may not create its service-linked
/// role. API Gateway words it "Caller does not have permissions to create a Service Linked
/// Role." (AccessDeniedException; as CreateDomainName answers it in
/// HumanCellAtlas/data-store#1726 and amplify-education/serverless-domain-manager#112).
fn refused_for_service_linked_role(e: &AwsError) -> bool {
    e.is(ErrorKind::AccessDenied)
        && e.message
            .to_ascii_lowercase()
            .contains("create a service linked role")
}

/// Gives the stage back what it had before the pipeline (or no access logging), if it still
/// points at this pipeline's stream. When AWS refuses to put the earlier destination back (the
/// account's CloudWatch Logs role setting was removed, the earlier stream is gone, ...), access
/// logging is turned off instead and the returned warning says what could not be restored.
pub async fn release_stage(
    clients: &AwsClients,
    p: &Pipeline,
    earlier: Option<&Earlier>,
    cancel: &CancellationToken,
) -> Result<Option<Diagnostic>, WaitError> {
    let stage = match apigateway::find_stage(clients, &p.rest_api_id, &p.stage_name).await {
        Ok(s) => s,
        Err(e) if e.is(ErrorKind::NotFound) => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    let ours = stage
        .access_log
        .as_ref()
        .is_some_and(|l| is_our_stream(&l.destination_arn, &p.delivery_stream_name));
    if !ours {
        return Ok(None);
    }
    let Some(earlier) = earlier.and_then(|e| e.access_log.as_ref()) else {
        return set_stage_log(clients, p, None, cancel).await.map(|()| None);
    };
    match set_stage_log(clients, p, Some(earlier), cancel).await {
        Ok(()) => Ok(None),
        Err(WaitError::Aws(refusal))
            if matches!(
                refusal.kind,
                ErrorKind::Fatal | ErrorKind::NotFound | ErrorKind::AccessDenied
            ) =>
        {
            set_stage_log(clients, p, None, cancel).await?;
            Ok(Some(Diagnostic::warning(
                "Earlier access-log destination not restored",
                format!(
                    "Stage {:?} of REST API {:?} logged to {} before this pipeline, but AWS refused to put \
                     that back ({refusal}). Its access logging is turned off instead; set it again once the \
                     cause is fixed (for a CloudWatch Logs group, the account's CloudWatch Logs role ARN in \
                     API Gateway's settings).",
                    p.stage_name, p.rest_api_id, earlier.destination_arn
                ),
            )))
        }
        Err(e) => Err(e),
    }
}

/// Sets (or, for `None`, removes) the stage's access-log settings, riding out conflicts.
async fn set_stage_log(
    clients: &AwsClients,
    p: &Pipeline,
    log: Option<&AccessLog>,
    cancel: &CancellationToken,
) -> Result<(), WaitError> {
    retry(
        RETRY_CHANGES,
        CONFLICT_WINDOW,
        cancel,
        "restoring the stage's access-log settings",
        || apigateway::set_access_log(clients, &p.rest_api_id, &p.stage_name, log),
    )
    .await
}

/// The provider-owned role's name for this pipeline.
pub fn owned_role_name(clients: &AwsClients, p: &Pipeline) -> String {
    role::owned_role_name(clients, &p.parts())
}
