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

use super::model::{OWNER_TAG, Pipeline, Private};
use super::names::{self, ROLE_POLICY_NAME};
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

/// Refuses a stage already delivering to another pipeline's stream, and otherwise remembers
/// what the stage had so destroy can put it back.
pub async fn claim_stage(
    clients: &AwsClients,
    p: &Pipeline,
    stage: &apigateway::Stage,
    private: &mut Private,
) -> Result<(), Diagnostics> {
    let Some(current) = &stage.access_log else {
        return Ok(());
    };
    if is_our_stream(&current.destination_arn, &p.delivery_stream_name) {
        return Ok(());
    }
    if let Some(other) = current.destination_arn.split(":deliverystream/").nth(1) {
        let tags = firehose::list_tags(clients, other)
            .await
            .unwrap_or_default();
        if tags.contains_key(OWNER_TAG) {
            return Err(failed_at(
                &["stage_name"],
                "Stage already has a pipeline",
                format!(
                    "Stage {:?} of REST API {:?} already delivers its access logs to stream {other:?}, made by \
                     another apigw_access_log_pipeline ({}). A stage has one access-log destination; remove \
                     the other pipeline first.",
                    p.stage_name, p.rest_api_id, tags[OWNER_TAG]
                ),
            ));
        }
    }
    if private.previous_access_log.is_none() {
        private.previous_access_log = Some(current.clone());
    }
    Ok(())
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
        format: p.format.clone(),
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
    private: &Private,
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
    let Some(earlier) = &private.previous_access_log else {
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

/// Whether tags mark an object as made by this provider for this pipeline.
pub fn is_ours(tags: &BTreeMap<String, String>, p: &Pipeline) -> bool {
    tags.get(OWNER_TAG) == Some(&p.id())
}

/// Who a stream of the pipeline's name belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Owner {
    Ours,
    Someone,
    Nobody,
}

/// Whether the stream of the pipeline's name exists and whether this pipeline made it.
pub async fn stream_owner(clients: &AwsClients, p: &Pipeline) -> Result<Owner, AwsError> {
    match firehose::list_tags(clients, &p.delivery_stream_name).await {
        Ok(tags) if is_ours(&tags, p) => Ok(Owner::Ours),
        Ok(_) => Ok(Owner::Someone),
        Err(e) if e.is(ErrorKind::NotFound) => Ok(Owner::Nobody),
        Err(e) => Err(e),
    }
}

/// The provider-owned role's name for this pipeline.
pub fn owned_role_name(clients: &AwsClients, p: &Pipeline) -> String {
    names::role_name(&clients.region, &p.delivery_stream_name)
}

/// The role called `name` if this provider made it for this pipeline, None if there is no
/// such role, and an error if the name belongs to something else.
async fn find_owned_role(
    clients: &AwsClients,
    p: &Pipeline,
    name: &str,
) -> Result<Option<iam::Role>, Diagnostics> {
    match iam::find_role(clients, name).await {
        Ok(role) if is_ours(&role.tags, p) => Ok(Some(role)),
        Ok(role) => Err(failed(
            "IAM role name taken",
            format!(
                "An IAM role named {:?} ({}) exists but was not made by this provider for pipeline {}. \
                 Delete or rename it, or set role_arn to use a role of your own.",
                role.name,
                role.arn,
                p.id()
            ),
        )),
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

/// Finds or makes the provider-owned role for this pipeline, with its policy written for the
/// pipeline's bucket (in `bucket_region`) and key. A role of that name not tagged as ours is
/// never adopted.
pub async fn ensure_owned_role(
    clients: &AwsClients,
    p: &Pipeline,
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
    let owned = match iam::create_role(clients, &name, &description, &trust, &p.remote_tags()).await
    {
        Ok(role) => OwnedRole {
            role,
            made: Some(Instant::now()),
        },
        // Made by an earlier run (a crash, or an answer lost on the way back): adopted if it
        // carries this pipeline's tag, an error otherwise.
        Err(e) if e.is(ErrorKind::AlreadyExists) => OwnedRole {
            role: find_owned_role(clients, p, &name)
                .await?
                .ok_or_else(|| failed("Cannot create the IAM role", e))?,
            made: None,
        },
        Err(e) => return Err(failed("Cannot create the IAM role", e)),
    };
    write_role_policy(clients, p, &owned.role.name, bucket_region).await?;
    Ok(owned)
}

/// Deletes the owned role, if it is still there and still ours.
pub async fn delete_owned_role(
    clients: &AwsClients,
    p: &Pipeline,
    name: &str,
    cancel: &CancellationToken,
) -> Result<(), Diagnostics> {
    if find_owned_role(clients, p, name).await?.is_none() {
        return Ok(());
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

/// (Re)writes the owned role's inline policy for the pipeline's bucket (in `bucket_region`)
/// and key.
pub async fn write_role_policy(
    clients: &AwsClients,
    p: &Pipeline,
    role: &str,
    bucket_region: &str,
) -> Result<(), Diagnostics> {
    let doc =
        policy::permissions_policy(&p.s3.bucket_arn, p.s3.kms_key_arn.as_deref(), bucket_region);
    iam::put_role_policy(clients, role, ROLE_POLICY_NAME, &doc)
        .await
        .map_err(|e| failed("Cannot write the IAM role's policy", e))
}

/// The role name in a role ARN.
pub fn role_name_of(arn: &str) -> &str {
    arn.rsplit('/').next().unwrap_or(arn)
}
