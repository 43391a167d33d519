//! Buckets that are not the caller's to list: one in another account, or one in another region.
//! S3 answers HeadBucket on them without asking the emulator (which knows one account and one
//! region). These are conditions of the caller's environment that the provider must live with,
//! not breaches of AWS's contract.
//!
//! The answers follow the S3 API Reference, `HeadBucket`: the answer to a HEAD carries no body,
//! and "regardless of the permissions on the bucket" it carries the bucket's Region in
//! `x-amz-bucket-region` (also in botocore `data/s3/2006-03-01/service-2.json`, HeadBucket's
//! documentation and `HeadBucketOutput.BucketRegion`). A caller without `s3:ListBucket` on the
//! bucket (the usual case for a bucket of another account) gets `403 Forbidden`. A request sent
//! to a Region other than the bucket's gets `301 Moved Permanently` (S3 API Reference, "Error
//! responses": `PermanentRedirect`), again with `x-amz-bucket-region`.

use std::collections::HashMap;

use super::faults::{Answer, answer};

/// Where a bucket lives, seen from the caller's account and region.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BucketPlacement {
    /// In another account whose bucket policy does not let the caller list it: `403`, with
    /// the bucket's region.
    OtherAccount {
        /// The bucket's region.
        region: String,
    },
    /// In another region: `301`, with the bucket's region.
    OtherRegion {
        /// The bucket's region.
        region: String,
    },
}

impl BucketPlacement {
    /// The HTTP status S3 answers HeadBucket with.
    pub fn status(&self) -> u16 {
        match self {
            BucketPlacement::OtherAccount { .. } => 403,
            BucketPlacement::OtherRegion { .. } => 301,
        }
    }

    fn region(&self) -> &str {
        match self {
            BucketPlacement::OtherAccount { region } | BucketPlacement::OtherRegion { region } => {
                region
            }
        }
    }
}

/// The buckets a proxy places elsewhere, by name.
#[derive(Debug, Clone, Default)]
pub(crate) struct Placements(HashMap<String, BucketPlacement>);

impl Placements {
    pub(crate) fn insert(&mut self, bucket: &str, placement: BucketPlacement) {
        self.0.insert(bucket.to_owned(), placement);
    }

    /// The region of `bucket` if it is placed elsewhere.
    pub(crate) fn region_of(&self, bucket: &str) -> Option<&str> {
        self.0.get(bucket).map(BucketPlacement::region)
    }

    /// S3's answer to a HeadBucket of `path` (path-style: `/<bucket>`), if its bucket is
    /// placed elsewhere; the status it carries is [`BucketPlacement::status`].
    pub(crate) fn head_bucket(&self, path: &str, request_id: &str) -> Option<(Answer, u16)> {
        let bucket = super::classify::path_segments(path).first().copied()?;
        let placement = self.0.get(bucket)?;
        let response = answer(
            placement.status(),
            &[
                ("content-type", "application/xml"),
                ("x-amz-bucket-region", placement.region()),
                ("x-amz-request-id", request_id),
                ("x-amz-id-2", "proxy"),
            ],
            String::new(),
        );
        Some((response, placement.status()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placed_buckets_answer_without_a_body_and_with_their_region() {
        let mut p = Placements::default();
        p.insert(
            "archive",
            BucketPlacement::OtherAccount {
                region: "us-east-1".into(),
            },
        );
        p.insert(
            "far",
            BucketPlacement::OtherRegion {
                region: "eu-west-1".into(),
            },
        );
        let (answer, status) = p.head_bucket("/archive", "r").expect("placed");
        assert_eq!((status, answer.status().as_u16()), (403, 403));
        assert_eq!(answer.headers()["x-amz-bucket-region"], "us-east-1");
        let (answer, status) = p.head_bucket("/far", "r").expect("placed");
        assert_eq!(status, 301);
        assert_eq!(answer.headers()["x-amz-bucket-region"], "eu-west-1");
        assert!(p.head_bucket("/other", "r").is_none());
    }
}
