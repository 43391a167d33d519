//! A stage's access-log settings, as the pipeline and the attachment both change them: point
//! the stage at a stream, and give it back what it had before.

use crate::resources::fields::{APPEND_NEWLINE, DEFAULT_APPEND_NEWLINE, FORMAT};
use tokio_util::sync::CancellationToken;

use crate::aws::apigateway::{self, AccessLog, Stage};
use crate::aws::clients::AwsClients;
use crate::aws::error::{AwsError, ErrorKind};
use crate::aws::policy::CONFLICT_WINDOW;
use crate::aws::retry::{WaitError, retry};
use crate::log_format;
use crate::plugin::diagnostics::{AttrPath, Diagnostic, Diagnostics};
use crate::plugin::value::Value;

use super::access_log_pipeline::ownership::Earlier;
use super::access_log_pipeline::steps::{RETRY_CHANGES, failed};

/// A stage, by its REST API and name.
#[derive(Debug, Clone, Copy)]
pub struct StageRef<'a> {
    pub rest_api_id: &'a str,
    pub stage_name: &'a str,
}

impl StageRef<'_> {
    /// `<rest_api_id>/<stage_name>`, the id of the resources on a stage.
    pub fn id(&self) -> String {
        crate::stage::id(self.rest_api_id, self.stage_name)
    }
}

/// The service-linked role API Gateway makes the first time a stage of the account logs to
/// Firehose ("Log REST API calls to Amazon Data Firehose in API Gateway", API Gateway
/// Developer Guide), trusted by `ops.apigateway.amazonaws.com` ("Using service-linked roles
/// for API Gateway").
pub const APIGATEWAY_SERVICE_LINKED_ROLE: &str = "AWSServiceRoleForAPIGateway";

/// Points the stage's access logs at `log`, riding out conflicts and throttling.
pub async fn point(
    clients: &AwsClients,
    stage: &StageRef<'_>,
    log: &AccessLog,
    cancel: &CancellationToken,
) -> Result<(), Diagnostics> {
    retry(
        RETRY_CHANGES,
        CONFLICT_WINDOW,
        cancel,
        "updating the stage's access-log settings",
        || apigateway::set_access_log(clients, stage.rest_api_id, stage.stage_name, Some(log)),
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

/// Gives the stage back what it had before (or no access logging), if it still points where
/// `ours` says it is ours. When AWS refuses to put the earlier destination back (the
/// account's CloudWatch Logs role setting was removed, the earlier stream is gone, ...), access
/// logging is turned off instead and the returned warning says what could not be restored.
pub async fn release(
    clients: &AwsClients,
    stage_ref: &StageRef<'_>,
    ours: &(dyn Fn(&str) -> bool + Sync),
    earlier: Option<&Earlier>,
    cancel: &CancellationToken,
) -> Result<Option<Diagnostic>, WaitError> {
    let stage =
        match apigateway::find_stage(clients, stage_ref.rest_api_id, stage_ref.stage_name).await {
            Ok(s) => s,
            Err(e) if e.is(ErrorKind::NotFound) => return Ok(None),
            Err(e) => return Err(e.into()),
        };
    release_read(clients, stage_ref, &stage, ours, earlier, cancel).await
}

/// [`release`] of a stage the caller has just read, saving API Gateway a GetStage.
pub async fn release_read(
    clients: &AwsClients,
    stage_ref: &StageRef<'_>,
    stage: &Stage,
    ours: &(dyn Fn(&str) -> bool + Sync),
    earlier: Option<&Earlier>,
    cancel: &CancellationToken,
) -> Result<Option<Diagnostic>, WaitError> {
    let ours = stage
        .access_log
        .as_ref()
        .is_some_and(|l| ours(&l.destination_arn));
    if !ours {
        return Ok(None);
    }
    let Some(earlier) = earlier.and_then(|e| e.access_log.as_ref()) else {
        return set_stage_log(clients, stage_ref, None, cancel)
            .await
            .map(|()| None);
    };
    match set_stage_log(clients, stage_ref, Some(earlier), cancel).await {
        Ok(()) => Ok(None),
        Err(WaitError::Aws(refusal))
            if matches!(
                refusal.kind,
                ErrorKind::Fatal | ErrorKind::NotFound | ErrorKind::AccessDenied
            ) =>
        {
            set_stage_log(clients, stage_ref, None, cancel).await?;
            Ok(Some(Diagnostic::warning(
                "Earlier access-log destination not restored",
                format!(
                    "Stage {:?} of REST API {:?} logged to {} with the format {:?} before this provider took \
                     it, but AWS refused to put that back ({refusal}). Its access logging is turned off \
                     instead; set those two again once the cause is fixed (for a CloudWatch Logs group, \
                     the account's CloudWatch Logs role ARN in API Gateway's settings).",
                    stage_ref.stage_name,
                    stage_ref.rest_api_id,
                    earlier.destination_arn,
                    earlier.format
                ),
            )))
        }
        Err(e) => Err(e),
    }
}

/// Sets (or, for `None`, removes) the stage's access-log settings, riding out conflicts.
async fn set_stage_log(
    clients: &AwsClients,
    stage: &StageRef<'_>,
    log: Option<&AccessLog>,
    cancel: &CancellationToken,
) -> Result<(), WaitError> {
    retry(
        RETRY_CHANGES,
        CONFLICT_WINDOW,
        cancel,
        "restoring the stage's access-log settings",
        || apigateway::set_access_log(clients, stage.rest_api_id, stage.stage_name, log),
    )
    .await
}

/// The rule on `format` and `append_newline` together: the newline counts toward API
/// Gateway's 3 KB template quota too. Unknown values pass.
pub fn validate_format(config: &Value, diags: &mut Diagnostics) {
    let append = config
        .attr(APPEND_NEWLINE)
        .as_bool()
        .unwrap_or(DEFAULT_APPEND_NEWLINE);
    if let Some(format) = config.attr(FORMAT).as_str() {
        let held = log_format::as_stage_holds(format, append);
        if held.len() > log_format::MAX_FORMAT_BYTES && format.len() <= log_format::MAX_FORMAT_BYTES
        {
            diags.attr_error(
            &AttrPath::attrs([FORMAT]),
            "Format too long with its newline",
            format!(
                "format is {} bytes, and with the newline append_newline adds it is {}: more than \
                 API Gateway's access log template size quota of {} bytes. Shorten it by a byte, \
                 or set append_newline = false.",
                format.len(),
                held.len(),
                log_format::MAX_FORMAT_BYTES
            ),
        );
        }
    }
}
