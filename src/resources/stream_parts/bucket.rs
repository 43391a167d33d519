//! The destination bucket as the caller's credentials see it: it must exist; one of another
//! account or region is fine (Firehose writes with its role, not with these credentials) and
//! gets a warning; its region is where S3 uses the KMS key.

use crate::aws::arn::{self, Arn};
use crate::aws::clients::AwsClients;
use crate::aws::error::ErrorKind;
use crate::aws::s3::{self, BucketAccess};
use crate::plugin::diagnostics::{AttrPath, Diagnostic, Diagnostics};

use super::fields::{S3, s3 as in_s3};
use super::{S3Settings, failed, failed_at};

/// What the pre-check learnt.
#[derive(Debug)]
pub struct CheckedBucket {
    /// The bucket's region: S3's answer, else the provider's region.
    pub region: String,
    /// Why the bucket could not be fully checked, if it could not.
    pub warnings: Diagnostics,
}

/// The bucket's name in its ARN (checked at plan, so empty only for no ARN at all).
pub fn name_of(bucket_arn: &str) -> String {
    arn::bucket_name_of(bucket_arn).unwrap_or_default()
}

/// Checks the destination's bucket: a missing one is an error at `s3.bucket_arn`.
pub async fn check(clients: &AwsClients, s3: &S3Settings) -> Result<CheckedBucket, Diagnostics> {
    let name = name_of(&s3.bucket_arn);
    let found = match s3::find_bucket(clients, &name).await {
        Ok(found) => found,
        Err(e) if e.is(ErrorKind::NotFound) => {
            return Err(failed_at(
                &[S3, in_s3::BUCKET_ARN],
                "Bucket not found",
                format!("There is no S3 bucket {name:?} (S3 answered HeadBucket with 404)."),
            ));
        }
        Err(e) => return Err(failed("Cannot check the bucket", e)),
    };
    let known_region = found.region.is_some();
    let region = found.region.unwrap_or_else(|| clients.region.clone());
    if let Some(key) = &s3.kms_key_arn {
        // "Must belong to the same Amazon Web Services Region as the destination Amazon S3
        // bucket" (KMSEncryptionConfig.AWSKMSKeyARN, botocore data/firehose/2015-08-04/
        // service-2.json). Only S3's own word on the bucket's region is trusted here.
        let key_region = Arn::parse(key).map(|k| k.region).unwrap_or_default();
        if known_region && key_region != region {
            return Err(failed_at(
                &[S3, in_s3::KMS_KEY_ARN],
                "KMS key in another region",
                format!(
                    "s3.kms_key_arn is a key of region {key_region}, but bucket {name:?} is in                      {region}: Firehose needs a key of the bucket's region."
                ),
            ));
        }
    }
    let mut warnings = Diagnostics::new();
    let why = match found.access {
        BucketAccess::Listable => None,
        BucketAccess::Forbidden => Some((
            "Bucket not checked",
            format!(
                "These credentials may not list bucket {name:?} (S3 answered HeadBucket with 403), so the \
                 provider could not check it; this is usual for a bucket of another account. Firehose \
                 writes with the stream's role, not with these credentials: the bucket's policy must \
                 allow that role (the bucket_policy_json attribute holds the statement to add), or \
                 nothing is delivered."
            ),
        )),
        BucketAccess::OtherRegion => Some((
            "Bucket in another region",
            format!(
                "Bucket {name:?} is in region {region}, not {} (S3 answered HeadBucket with a redirect), \
                 so the provider could not check it. The role's use of the KMS key is granted through S3 \
                 in {region}. If the bucket belongs to another account, its policy must allow the \
                 stream's role (the bucket_policy_json attribute holds the statement to add), or \
                 nothing is delivered.",
                clients.region
            ),
        )),
    };
    if let Some((summary, detail)) = why {
        warnings.push(
            Diagnostic::warning(summary, detail).at(AttrPath::attrs([S3, in_s3::BUCKET_ARN])),
        );
    }
    Ok(CheckedBucket { region, warnings })
}
