//! S3 buckets: only whether the destination bucket exists, whether these credentials may list
//! it, and its region.

use aws_smithy_runtime_api::client::result::SdkError;

use super::call::turn;
use super::clients::AwsClients;
use super::error::AwsError;

/// The answer S3 carries the bucket's region in, whatever the caller may do with the bucket
/// (S3 API Reference, HeadBucket; botocore `data/s3/2006-03-01/service-2.json`,
/// `HeadBucketOutput.BucketRegion`). AWS recommends HeadBucket over GetBucketLocation to find
/// a bucket's region (S3 API Reference, GetBucketLocation), and GetBucketLocation outside the
/// bucket's home region ignores its bucket policy, so it could not tell this for a bucket of
/// another account anyway.
const BUCKET_REGION_HEADER: &str = "x-amz-bucket-region";

/// What HeadBucket told about a bucket that exists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bucket {
    /// The bucket's region, when S3 said (it always does, but an emulator may not).
    pub region: Option<String>,
    pub access: BucketAccess,
}

/// How the caller's credentials see the bucket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BucketAccess {
    /// 200: the caller may list it, in the client's region.
    Listable,
    /// 403: the caller may not list it; typically a bucket of another account. Firehose's
    /// role may still be allowed to write by the bucket's policy.
    Forbidden,
    /// 301 (or a bare 400 naming another region): the bucket is in another region.
    OtherRegion,
}

/// Checks the bucket exists; a missing one is `ErrorKind::NotFound`. A bucket these
/// credentials may not list, or one in another region, is not an error: it is reported in
/// [`Bucket::access`], with its region.
pub async fn find_bucket(aws: &AwsClients, bucket: &str) -> Result<Bucket, AwsError> {
    // The raw answer, not a classified error: a refusal's status and region header tell
    // whether the bucket exists.
    match turn(
        aws,
        "s3:HeadBucket",
        aws.s3.head_bucket().bucket(bucket).send(),
    )
    .await?
    {
        Ok(out) => Ok(Bucket {
            region: out.bucket_region().map(str::to_owned),
            access: BucketAccess::Listable,
        }),
        Err(SdkError::ServiceError(se)) => {
            let raw = se.raw();
            let region = raw
                .headers()
                .get(BUCKET_REGION_HEADER)
                .map(str::to_owned)
                .filter(|r| !r.is_empty());
            match access_of(raw.status().as_u16(), region.as_deref(), &aws.region) {
                Some(access) => Ok(Bucket { region, access }),
                None => Err(AwsError::from_sdk_at(
                    "s3:HeadBucket",
                    SdkError::ServiceError(se),
                    &aws.endpoint_of("s3:HeadBucket"),
                )),
            }
        }
        Err(e) => Err(AwsError::from_sdk_at(
            "s3:HeadBucket",
            e,
            &aws.endpoint_of("s3:HeadBucket"),
        )),
    }
}

/// The access a failed HeadBucket's status shows, if it shows that the bucket exists.
///
/// 403 is what S3 answers a caller without `s3:ListBucket` (S3 API Reference, HeadBucket). A
/// request sent to another region's endpoint gets 301 (S3 API Reference, "Error responses",
/// `PermanentRedirect`), or, for a HEAD signed for the wrong region, a bare 400 that still
/// carries `x-amz-bucket-region` (the case botocore's `S3RegionRedirectorv2.redirect_from_error`
/// handles for HeadBucket). Anything else (404 above all) stays an error.
fn access_of(status: u16, region: Option<&str>, client_region: &str) -> Option<BucketAccess> {
    match status {
        403 => Some(BucketAccess::Forbidden),
        301 => Some(BucketAccess::OtherRegion),
        400 if region.is_some_and(|r| r != client_region) => Some(BucketAccess::OtherRegion),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_forbidden_and_moved_buckets_are_found() {
        assert_eq!(
            access_of(403, None, "us-east-1"),
            Some(BucketAccess::Forbidden)
        );
        assert_eq!(
            access_of(301, Some("eu-west-1"), "us-east-1"),
            Some(BucketAccess::OtherRegion)
        );
        assert_eq!(
            access_of(400, Some("eu-west-1"), "us-east-1"),
            Some(BucketAccess::OtherRegion)
        );
        assert_eq!(access_of(400, Some("us-east-1"), "us-east-1"), None);
        assert_eq!(access_of(400, None, "us-east-1"), None);
        assert_eq!(access_of(404, None, "us-east-1"), None);
        assert_eq!(access_of(500, None, "us-east-1"), None);
    }
}
