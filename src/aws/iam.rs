//! IAM roles that Firehose assumes: find, create, policy, tags, delete.

use std::collections::BTreeMap;

use aws_sdk_iam::types::Tag;

use super::call::send;
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
    let out = send(
        aws,
        "iam:GetRole",
        aws.iam.get_role().role_name(name).send(),
    )
    .await?;
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
    let out = send(
        aws,
        "iam:CreateRole",
        aws.iam
            .create_role()
            .role_name(name)
            .description(description)
            .assume_role_policy_document(trust_policy)
            .set_tags(Some(to_tags(tags)?))
            .send(),
    )
    .await?;
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
    send(
        aws,
        "iam:PutRolePolicy",
        aws.iam
            .put_role_policy()
            .role_name(role)
            .policy_name(policy_name)
            .policy_document(document)
            .send(),
    )
    .await?;
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
    let out = send(
        aws,
        "iam:GetRolePolicy",
        aws.iam
            .get_role_policy()
            .role_name(role)
            .policy_name(policy_name)
            .send(),
    )
    .await?;
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
        send(
            aws,
            "iam:UntagRole",
            aws.iam
                .untag_role()
                .role_name(role)
                .set_tag_keys(Some(remove))
                .send(),
        )
        .await?;
    }
    if !add.is_empty() {
        send(
            aws,
            "iam:TagRole",
            aws.iam
                .tag_role()
                .role_name(role)
                .set_tags(Some(to_tags(&add)?))
                .send(),
        )
        .await?;
    }
    Ok(())
}

/// Deletes a role and its inline policies; one already gone is not an error.
pub async fn delete_role(aws: &AwsClients, name: &str) -> Result<(), AwsError> {
    let gone_ok = |r: Result<(), AwsError>| match r {
        Err(e) if e.is(ErrorKind::NotFound) => Ok(()),
        other => other,
    };
    let policies = match send(
        aws,
        "iam:ListRolePolicies",
        aws.iam.list_role_policies().role_name(name).send(),
    )
    .await
    {
        Ok(out) => out.policy_names().to_vec(),
        Err(e) => {
            return gone_ok(Err(e));
        }
    };
    for policy in policies {
        let r = send(
            aws,
            "iam:DeleteRolePolicy",
            aws.iam
                .delete_role_policy()
                .role_name(name)
                .policy_name(&policy)
                .send(),
        )
        .await;
        gone_ok(r.map(|_| ()))?;
    }
    let r = send(
        aws,
        "iam:DeleteRole",
        aws.iam.delete_role().role_name(name).send(),
    )
    .await;
    gone_ok(r.map(|_| ()))
}
