//! S3 buckets: only whether the destination bucket exists and is reachable.

use aws_sdk_s3::Client;

use super::error::AwsError;

/// Checks the bucket exists; a missing one is `ErrorKind::NotFound`.
pub async fn find_bucket(client: &Client, bucket: &str) -> Result<(), AwsError> {
    client
        .head_bucket()
        .bucket(bucket)
        .send()
        .await
        .map_err(|e| AwsError::from_sdk("s3:HeadBucket", e))?;
    Ok(())
}
