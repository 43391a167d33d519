//! The IAM role the provider makes and owns for a stream: find, make (or adopt), write its
//! policy, delete. A role of the owned name that another instance or someone else made is
//! never touched.

use std::collections::BTreeMap;

use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::aws::arn::{self, Arn};
use crate::aws::clients::AwsClients;
use crate::aws::error::{AwsError, ErrorKind};
use crate::aws::policy::CONFLICT_WINDOW;
use crate::aws::retry::retry;
use crate::aws::{firehose, iam, s3};
use crate::plugin::diagnostics::Diagnostic;
use crate::plugin::diagnostics::Diagnostics;

use super::names::{self, ROLE_POLICY_NAME};
use super::owner::{Owner, OwnerKind};
use super::policy;
use super::stream::abandoned;
use super::{RETRY_CHANGES, StreamParts, failed};
use super::{bucket, error_logging};

/// The provider-owned role's name for a stream.
pub fn owned_role_name(clients: &AwsClients, parts: &StreamParts) -> String {
    names::role_name(&clients.region, &parts.name)
}

/// The role called `name` if `owner` made it, None if there is no such role, and an error if
/// the name belongs to something else.
pub async fn find_owned_role(
    clients: &AwsClients,
    parts: &StreamParts,
    owner: &Owner<'_>,
    name: &str,
) -> Result<Option<iam::Role>, Diagnostics> {
    match iam::find_role(clients, name).await {
        Ok(role) if owner.claim(&role.tags).is(owner.id) => Ok(Some(role)),
        Ok(role) => match owner.claim(&role.tags).id() {
            Some(other) => Err((owner.taken)(
                &format!("IAM role {:?}", role.name),
                other,
                parts.name_attr,
            )),
            None => Err(failed(
                "IAM role name taken",
                format!(
                    "An IAM role named {:?} ({}) exists but was not made by this {}. Delete or \
                     rename it, or set role_arn to use a role of your own.",
                    role.name,
                    role.arn,
                    owner.kind.resource_type()
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

/// Finds or makes `owner`'s own role, tagged with `tags`, with its policy written for the
/// stream's bucket (in `bucket_region`) and key. A role of that name is adopted only if this
/// instance made it, or a create that died did; any other is never touched.
pub async fn ensure_owned_role(
    clients: &AwsClients,
    parts: &StreamParts,
    owner: &Owner<'_>,
    tags: &BTreeMap<String, String>,
    bucket_region: &str,
) -> Result<OwnedRole, Diagnostics> {
    let name = owned_role_name(clients, parts);
    let account = &clients
        .identity()
        .await
        .map_err(|e| failed("Cannot identify the AWS account", e))?
        .account;
    let description = format!(
        "Lets Firehose deliver API Gateway access logs of {} to S3.",
        parts.purpose
    );
    let trust = policy::trust_policy(account);
    let owned = match iam::create_role(clients, &name, &description, &trust, tags).await {
        Ok(role) => OwnedRole {
            role,
            made: Some(Instant::now()),
        },
        // Made by an earlier attempt (an answer lost on the way back, or a create that died).
        Err(e) if e.is(ErrorKind::AlreadyExists) => {
            let found = iam::find_role(clients, &name)
                .await
                .map_err(|e| failed("Cannot read the IAM role", e))?;
            let adoptable = match owner.claim(&found.tags).id() {
                Some(other) if other == owner.id => true,
                Some(other) => abandoned(clients, owner.kind, &parts.name, other).await?,
                None => false,
            };
            if !adoptable {
                return Err(find_owned_role(clients, parts, owner, &name)
                    .await
                    .err()
                    .unwrap_or_else(|| failed("Cannot create the IAM role", e)));
            }
            iam::sync_tags(clients, &name, &found.tags, tags)
                .await
                .map_err(|e| failed("Cannot tag the IAM role", e))?;
            OwnedRole {
                role: found,
                made: None,
            }
        }
        Err(e) => return Err(failed("Cannot create the IAM role", e)),
    };
    write_role_policy(clients, parts, &owned.role.name, bucket_region).await?;
    Ok(owned)
}

/// Deletes the role called `name`, if it is still there and instance `id` of `kind` made it.
pub async fn delete_owned_role(
    clients: &AwsClients,
    kind: OwnerKind,
    id: &str,
    name: &str,
    cancel: &CancellationToken,
) -> Result<(), Diagnostics> {
    match iam::find_role(clients, name).await {
        Ok(role) if kind.claim(&role.tags).is(id) => {}
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

/// (Re)writes the owned role's inline policy for the stream's bucket (in `bucket_region`),
/// key, Glue table (with Parquet conversion) and error logging.
pub async fn write_role_policy(
    clients: &AwsClients,
    parts: &StreamParts,
    role: &str,
    bucket_region: &str,
) -> Result<(), Diagnostics> {
    let identity = clients
        .identity()
        .await
        .map_err(|e| failed("Cannot identify the AWS account", e))?;
    let glue = parts.catalog.as_ref().filter(|c| c.parquet).map(|c| {
        let role_arn = arn::role_arn(&identity.partition, &identity.account, role);
        policy::GlueTableAccess::of(&role_arn, &clients.region, &c.database, &c.table)
    });
    let log_stream = error_logging::log_stream_arn(
        &parts.error_logging.options(&parts.name),
        &identity.partition,
        &clients.region,
        &identity.account,
    );
    let doc = policy::permissions_policy(
        &parts.s3.bucket_arn,
        parts.s3.kms_key_arn.as_deref(),
        bucket_region,
        glue.as_ref(),
        log_stream.as_deref(),
    );
    iam::put_role_policy(clients, role, ROLE_POLICY_NAME, &doc)
        .await
        .map_err(|e| failed("Cannot write the IAM role's policy", e))
}

/// What was found of the role the provider owns for a stream.
pub struct RoleSeen {
    /// The role exists and this instance made it.
    pub exists: bool,
    /// False when the stream should have an owned role and it is gone or its policy was
    /// changed.
    pub intact: bool,
    pub warning: Option<Diagnostic>,
    /// The role, when it exists and this instance made it.
    pub found: Option<iam::Role>,
}

/// Looks at the role the provider made for the stream (instance `id` of `kind`), when the
/// stream uses one (`in_use`, the role it delivers with) or used one (`owned_before`): gone, or
/// with a policy other than the one the provider writes, it is reported so the plan restores
/// it. A role brought along is never read. `bucket_region` is the cached region of the bucket,
/// asked of S3 when unknown.
#[allow(clippy::too_many_arguments)]
pub async fn observe_owned_role(
    clients: &AwsClients,
    parts: &StreamParts,
    kind: OwnerKind,
    id: &str,
    in_use: Option<&str>,
    stream: Option<&firehose::Stream>,
    owned_before: bool,
    bucket_region: &mut Option<String>,
) -> Result<RoleSeen, AwsError> {
    let name = owned_role_name(clients, parts);
    let uses_owned = in_use.is_none_or(|arn| names_role(arn, &name));
    if !uses_owned && !owned_before {
        return Ok(RoleSeen {
            exists: false,
            intact: true,
            warning: None,
            found: None,
        });
    }
    let role = match iam::find_role(clients, &name).await {
        Ok(role) if kind.claim(&role.tags).is(id) => role,
        Ok(_) => {
            return Ok(RoleSeen {
                exists: false,
                intact: true,
                warning: None,
                found: None,
            });
        }
        Err(e) if e.is(ErrorKind::NotFound) => {
            let expected = uses_owned && in_use.is_some();
            return Ok(RoleSeen {
                exists: false,
                found: None,
                intact: !expected,
                warning: expected.then(|| {
                    Diagnostic::warning(
                        "IAM role gone",
                        format!(
                            "Role {name:?}, which this {} made for its stream, was deleted outside \
                             Terraform: Firehose cannot deliver. The plan makes it again.",
                            kind.resource_type()
                        ),
                    )
                }),
            });
        }
        Err(e) => return Err(e),
    };
    let Some(destination) = stream.and_then(|s| s.s3.as_ref()) else {
        return Ok(RoleSeen {
            exists: true,
            intact: true,
            warning: None,
            found: Some(role),
        });
    };
    let bucket_region = match bucket_region {
        Some(r) => r.clone(),
        None => {
            let region = s3::find_bucket(clients, &bucket::name_of(&destination.bucket_arn))
                .await
                .ok()
                .and_then(|b| b.region)
                .unwrap_or_else(|| clients.region.clone());
            *bucket_region = Some(region.clone());
            region
        }
    };
    let glue = destination.format_conversion.as_ref().map(|f| {
        policy::GlueTableAccess::of(
            &destination.role_arn,
            &clients.region,
            &f.database,
            &f.table,
        )
    });
    // The log stream is in the stream's own partition, region and account, as its ARN says.
    let log_stream = stream.and_then(|s| Arn::parse(&s.arn).ok()).and_then(|a| {
        error_logging::log_stream_arn(
            &destination.error_logging,
            &a.partition,
            &a.region,
            &a.account,
        )
    });
    let want = policy::permissions_policy(
        &destination.bucket_arn,
        destination.kms_key_arn.as_deref(),
        &bucket_region,
        glue.as_ref(),
        log_stream.as_deref(),
    );
    let have = match iam::get_role_policy(clients, &role.name, ROLE_POLICY_NAME).await {
        Ok(doc) => Some(doc),
        Err(e) if e.is(ErrorKind::NotFound) => None,
        Err(e) => return Err(e),
    };
    let same = have.as_deref().is_some_and(|doc| same_json(doc, &want));
    let warning = (!same).then(|| {
        Diagnostic::warning(
            "IAM role's policy changed",
            format!(
                "The {ROLE_POLICY_NAME:?} policy of role {:?}, which this {} made, was {} outside \
                     Terraform. The plan writes it again.",
                role.name,
                kind.resource_type(),
                if have.is_some() { "changed" } else { "deleted" }
            ),
        )
    });
    Ok(RoleSeen {
        exists: true,
        intact: same,
        warning,
        found: Some(role),
    })
}

/// Whether two JSON documents hold the same value, whatever their layout.
fn same_json(a: &str, b: &str) -> bool {
    match (
        serde_json::from_str::<serde_json::Value>(a),
        serde_json::from_str::<serde_json::Value>(b),
    ) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

/// Whether `role_arn` is the ARN of a role named `name`.
pub fn names_role(role_arn: &str, name: &str) -> bool {
    arn::role_name_of(role_arn).as_deref() == Some(name)
}
