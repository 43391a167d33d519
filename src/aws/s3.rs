//! S3 buckets: only whether the destination bucket exists and is reachable.

use super::clients::AwsClients;
use super::error::AwsError;

/// Checks the bucket exists; a missing one is `ErrorKind::NotFound`.
pub async fn find_bucket(aws: &AwsClients, bucket: &str) -> Result<(), AwsError> {
    aws.slot("s3:HeadBucket").await;
    aws.s3
        .head_bucket()
        .bucket(bucket)
        .send()
        .await
        .map_err(|e| AwsError::from_sdk("s3:HeadBucket", e))?;
    Ok(())
}
