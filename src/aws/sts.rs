//! The caller's account and partition, which policies and ARNs need.

use super::arn::Arn;
use super::call::send;
use super::clients::AwsClients;
use super::error::AwsError;

/// Who the credentials belong to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    pub account: String,
    pub partition: String,
}

/// Asks STS who is calling.
pub async fn find_identity(aws: &AwsClients) -> Result<Identity, AwsError> {
    let out = send(
        aws,
        "sts:GetCallerIdentity",
        aws.sts.get_caller_identity().send(),
    )
    .await?;
    let account = out.account().unwrap_or_default().to_owned();
    let partition = out
        .arn()
        .and_then(|a| Arn::parse(a).ok())
        .map(|a| a.partition)
        .unwrap_or_else(|| "aws".to_owned());
    Ok(Identity { account, partition })
}
