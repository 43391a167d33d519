//! Reading a stage's access logs: the stage (GetStage), and for a Firehose stream of the
//! caller's own account and region, whose tags say whether a pipeline made it.

use crate::aws::arn::Arn;
use crate::aws::clients::AwsClients;
use crate::aws::sts::Identity;
use crate::plugin::diagnostics::{Diagnostic, Diagnostics};
use crate::resources::access_log_pipeline;
use crate::resources::stage_claim::ATTACHMENT_TAG;
use crate::stage;

use super::model::{Config, Description, DestinationKind, ManagedBy};

/// Describes the stage `config` names; a missing REST API or stage is an error naming which.
pub async fn describe(clients: &AwsClients, config: &Config) -> Result<Description, Diagnostics> {
    let found = stage::find_or_say(clients, &config.rest_api_id, &config.stage_name, true).await?;
    let (destination_kind, destination_arn, format) = match found.access_log {
        None => (DestinationKind::None, None, None),
        Some(log) => {
            let kind = DestinationKind::of(&log.destination_arn).map_err(|why| {
                Diagnostics::from(Diagnostic::error(
                    "Unrecognised access-log destination",
                    format!(
                        "Stage {:?} of REST API {:?} sends its access logs to {:?}, but {why}.",
                        config.stage_name, config.rest_api_id, log.destination_arn
                    ),
                ))
            })?;
            (kind, Some(log.destination_arn), Some(log.format))
        }
    };
    // The attachment's tag is on the stage itself, so it is the stage's own word on who points it.
    let managed_by = if found.tags.contains_key(ATTACHMENT_TAG) {
        Some(ManagedBy::Attachment)
    } else {
        match destination_arn.as_deref() {
            Some(arn) if destination_kind == DestinationKind::Firehose => {
                pipeline_stream(clients, arn)
                    .await?
                    .then_some(ManagedBy::Pipeline)
            }
            _ => None,
        }
    };
    Ok(Description {
        config: config.clone(),
        destination_kind,
        destination_arn,
        format,
        managed_by,
    })
}

/// Whether the Firehose stream `destination_arn` names is one a pipeline made. A stream of
/// another account or region is not looked up (the caller's credentials cannot read its tags),
/// and neither is one of a name no stream has: both are no pipeline's.
async fn pipeline_stream(clients: &AwsClients, destination_arn: &str) -> Result<bool, Diagnostics> {
    let Ok(arn) = Arn::parse(destination_arn) else {
        return Ok(false);
    };
    let Some(name) = arn.delivery_stream_name() else {
        return Ok(false);
    };
    if arn.region != clients.region {
        return Ok(false);
    }
    let identity = clients
        .identity()
        .await
        .map_err(|e| Diagnostic::error("Cannot tell the caller's account", e.to_string()))?;
    if !in_account(&arn, identity) {
        return Ok(false);
    }
    let owner = access_log_pipeline::stream_owner(clients, name)
        .await
        .map_err(|e| Diagnostic::error("Cannot read the stream's tags", e.to_string()))?;
    Ok(owner.is_some())
}

/// Whether an ARN belongs to the caller's account, in the caller's partition.
fn in_account(arn: &Arn, identity: &Identity) -> bool {
    arn.account == identity.account && arn.partition == identity.partition
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_callers_own_account_and_partition_count() {
        let me = Identity {
            account: "123456789012".into(),
            partition: "aws".into(),
        };
        let arn = |s: &str| Arn::parse(s).unwrap();
        assert!(in_account(
            &arn("arn:aws:firehose:us-east-1:123456789012:deliverystream/amazon-apigateway-x"),
            &me
        ));
        assert!(!in_account(
            &arn("arn:aws:firehose:us-east-1:210987654321:deliverystream/amazon-apigateway-x"),
            &me
        ));
        assert!(!in_account(
            &arn("arn:aws-cn:firehose:cn-north-1:123456789012:deliverystream/amazon-apigateway-x"),
            &me
        ));
    }
}
