//! IAM roles that Firehose assumes: find, create, policy, tags, delete.

use std::collections::BTreeMap;

use aws_sdk_iam::types::Tag;

use super::clients::AwsClients;
use super::error::{AwsError, ErrorKind};

/// A role as read from IAM.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Role {
    pub name: String,
    pub arn: String,
    pub tags: BTreeMap<String, String>,
}

/// Reads a role; a missing one is `ErrorKind::NotFound`.
pub async fn find_role(aws: &AwsClients, name: &str) -> Result<Role, AwsError> {
    aws.slot("iam:GetRole").await;
    let out = aws
        .iam
        .get_role()
        .role_name(name)
        .send()
        .await
        .map_err(|e| AwsError::from_sdk("iam:GetRole", e))?;
    let role = out
        .role()
        .ok_or_else(|| AwsError::fatal("iam:GetRole", "the answer has no role"))?;
    Ok(Role {
        name: role.role_name().to_owned(),
        arn: role.arn().to_owned(),
        tags: role
            .tags()
            .iter()
            .map(|t| (t.key().to_owned(), t.value().to_owned()))
            .collect(),
    })
}

fn to_tags(tags: &BTreeMap<String, String>) -> Result<Vec<Tag>, AwsError> {
    tags.iter()
        .map(|(k, v)| {
            Tag::builder()
                .key(k)
                .value(v)
                .build()
                .map_err(|e| AwsError::fatal("iam:request", e.to_string()))
        })
        .collect()
}

/// Creates a role with a trust policy and tags.
pub async fn create_role(
    aws: &AwsClients,
    name: &str,
    description: &str,
    trust_policy: &str,
    tags: &BTreeMap<String, String>,
) -> Result<Role, AwsError> {
    aws.slot("iam:CreateRole").await;
    let out = aws
        .iam
        .create_role()
        .role_name(name)
        .description(description)
        .assume_role_policy_document(trust_policy)
        .set_tags(Some(to_tags(tags)?))
        .send()
        .await
        .map_err(|e| AwsError::from_sdk("iam:CreateRole", e))?;
    let role = out
        .role()
        .ok_or_else(|| AwsError::fatal("iam:CreateRole", "the answer has no role"))?;
    Ok(Role {
        name: name.to_owned(),
        arn: role.arn().to_owned(),
        tags: tags.clone(),
    })
}

/// Writes (or rewrites) the role's inline policy.
pub async fn put_role_policy(
    aws: &AwsClients,
    role: &str,
    policy_name: &str,
    document: &str,
) -> Result<(), AwsError> {
    aws.slot("iam:PutRolePolicy").await;
    aws.iam
        .put_role_policy()
        .role_name(role)
        .policy_name(policy_name)
        .policy_document(document)
        .send()
        .await
        .map_err(|e| AwsError::from_sdk("iam:PutRolePolicy", e))?;
    Ok(())
}

/// The document of a role's inline policy, decoded; a missing role or policy is
/// `ErrorKind::NotFound`. IAM returns the document URL-encoded ("GetRolePolicy", IAM API
/// Reference: "The policy document returned in this structure is URL-encoded compliant with RFC
/// 3986").
pub async fn get_role_policy(
    aws: &AwsClients,
    role: &str,
    policy_name: &str,
) -> Result<String, AwsError> {
    aws.slot("iam:GetRolePolicy").await;
    let out = aws
        .iam
        .get_role_policy()
        .role_name(role)
        .policy_name(policy_name)
        .send()
        .await
        .map_err(|e| AwsError::from_sdk("iam:GetRolePolicy", e))?;
    let doc = out.policy_document();
    Ok(percent_encoding::percent_decode_str(doc)
        .decode_utf8()
        .map(|d| d.into_owned())
        .unwrap_or_else(|_| doc.to_owned()))
}

/// Makes the role's tags equal `want`.
pub async fn sync_tags(
    aws: &AwsClients,
    role: &str,
    have: &BTreeMap<String, String>,
    want: &BTreeMap<String, String>,
) -> Result<(), AwsError> {
    let super::tags::TagChange { remove, set: add } = super::tags::change(have, want);
    if !remove.is_empty() {
        aws.slot("iam:UntagRole").await;
        aws.iam
            .untag_role()
            .role_name(role)
            .set_tag_keys(Some(remove))
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("iam:UntagRole", e))?;
    }
    if !add.is_empty() {
        aws.slot("iam:TagRole").await;
        aws.iam
            .tag_role()
            .role_name(role)
            .set_tags(Some(to_tags(&add)?))
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("iam:TagRole", e))?;
    }
    Ok(())
}

/// Deletes a role and its inline policies; one already gone is not an error.
pub async fn delete_role(aws: &AwsClients, name: &str) -> Result<(), AwsError> {
    let gone_ok = |r: Result<(), AwsError>| match r {
        Err(e) if e.is(ErrorKind::NotFound) => Ok(()),
        other => other,
    };
    aws.slot("iam:ListRolePolicies").await;
    let policies = match aws.iam.list_role_policies().role_name(name).send().await {
        Ok(out) => out.policy_names().to_vec(),
        Err(e) => {
            let e = AwsError::from_sdk("iam:ListRolePolicies", e);
            return gone_ok(Err(e));
        }
    };
    for policy in policies {
        aws.slot("iam:DeleteRolePolicy").await;
        let r = aws
            .iam
            .delete_role_policy()
            .role_name(name)
            .policy_name(&policy)
            .send()
            .await;
        gone_ok(
            r.map(|_| ())
                .map_err(|e| AwsError::from_sdk("iam:DeleteRolePolicy", e)),
        )?;
    }
    aws.slot("iam:DeleteRole").await;
    let r = aws.iam.delete_role().role_name(name).send().await;
    gone_ok(
        r.map(|_| ())
            .map_err(|e| AwsError::from_sdk("iam:DeleteRole", e)),
    )
}
