//! The owned role's trust and permission policies: Firehose of this account only, writing to
//! this bucket (and using this KMS key) only; and the bucket policy statement a bucket of
//! another account needs for the role.

use serde_json::json;

use crate::aws::arn::{Arn, GlueArns, dns_suffix, partition_of};

/// What Firehose does in the bucket, from the Amazon Data Firehose Developer Guide, "Grant
/// Firehose access to an Amazon S3 destination". `s3:PutObjectAcl` is there for a bucket of
/// another account ("Cross-account delivery to an Amazon S3 destination": Firehose then sets
/// `x-amz-acl: bucket-owner-full-control` on what it writes, and the page calls the action
/// required). The role always has it: from the caller's side a bucket's owner cannot be told
/// for sure (a bucket policy may let this account list a bucket it does not own).
pub const DELIVERY_ACTIONS: &[&str] = &[
    "s3:AbortMultipartUpload",
    "s3:GetBucketLocation",
    "s3:GetObject",
    "s3:ListBucket",
    "s3:ListBucketMultipartUploads",
    "s3:PutObject",
    "s3:PutObjectAcl",
];

/// Lets Firehose assume the role, only on behalf of `account`.
pub fn trust_policy(account: &str) -> String {
    json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": {"Service": "firehose.amazonaws.com"},
            "Action": "sts:AssumeRole",
            "Condition": {"StringEquals": {"sts:ExternalId": account}}
        }]
    })
    .to_string()
}

/// What Firehose needs to deliver into `bucket_arn`, to encrypt with `kms_key_arn` through
/// S3 in the bucket's region, to read the schema of the `glue` table it converts records
/// against, and to log delivery errors to the log stream `log_stream_arn`.
pub fn permissions_policy(
    bucket_arn: &str,
    kms_key_arn: Option<&str>,
    bucket_region: &str,
    glue: Option<&GlueTableAccess>,
    log_stream_arn: Option<&str>,
) -> String {
    let mut statements = vec![json!({
        "Sid": "DeliverToBucket",
        "Effect": "Allow",
        "Action": DELIVERY_ACTIONS,
        "Resource": [bucket_arn, format!("{bucket_arn}/*")]
    })];
    if let Some(key) = kms_key_arn {
        let partition = partition_of(bucket_arn).unwrap_or_else(|| "aws".to_owned());
        statements.push(json!({
            "Sid": "EncryptWithKey",
            "Effect": "Allow",
            "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
            "Resource": [key],
            "Condition": {
                // S3 calls KMS from the bucket's region, whatever region the stream is in,
                // under its partition's endpoint suffix.
                "StringEquals": {"kms:ViaService": format!("s3.{bucket_region}.{}", dns_suffix(&partition))},
                // Without an S3 Bucket Key the encryption context is the object's ARN; with
                // one it is the bucket's ARN (Amazon S3 User Guide, "Reducing the cost of
                // SSE-KMS with Amazon S3 Bucket Keys"). Either may hold.
                "StringLike": {
                    "kms:EncryptionContext:aws:s3:arn": [format!("{bucket_arn}/*"), bucket_arn.to_owned()]
                }
            }
        }));
    }
    if let Some(g) = glue {
        // Firehose Developer Guide, "Grant Firehose access to an Amazon S3 destination": with
        // record format conversion the role reads the table's schema with glue:GetTable,
        // glue:GetTableVersion and glue:GetTableVersions, on the catalog, the database and the
        // table.
        let arns = GlueArns::of(&g.partition, &g.region, &g.account, &g.database, &g.table);
        statements.push(json!({
            "Sid": "ReadTableSchema",
            "Effect": "Allow",
            "Action": ["glue:GetTable", "glue:GetTableVersion", "glue:GetTableVersions"],
            "Resource": [arns.catalog, arns.database, arns.table]
        }));
    }
    // "Grant Firehose access to an Amazon S3 destination" (Firehose Developer Guide): the role
    // may put log events into the one log stream of the destination's CloudWatchLoggingOptions.
    if let Some(stream) = log_stream_arn {
        statements.push(json!({
            "Sid": "LogDeliveryErrors",
            "Effect": "Allow",
            "Action": ["logs:PutLogEvents"],
            "Resource": [stream]
        }));
    }
    json!({"Version": "2012-10-17", "Statement": statements}).to_string()
}

/// The Glue table whose schema Firehose reads for record format conversion.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GlueTableAccess {
    pub partition: String,
    pub region: String,
    pub account: String,
    pub database: String,
    pub table: String,
}

impl GlueTableAccess {
    /// For a conversion set on a stream whose role is `role_arn` (of the table's account), in
    /// `region`.
    pub fn of(role_arn: &str, region: &str, database: &str, table: &str) -> GlueTableAccess {
        let (partition, account) = match Arn::parse(role_arn) {
            Ok(a) => (a.partition, a.account),
            Err(_) => ("aws".to_owned(), String::new()),
        };
        GlueTableAccess {
            partition,
            region: region.to_owned(),
            account,
            database: database.to_owned(),
            table: table.to_owned(),
        }
    }
}

/// The bucket policy that lets `role_arn` deliver into `bucket_arn` from another account: the
/// statement of the Firehose Developer Guide's "Cross-account delivery to an Amazon S3
/// destination", as a whole policy document (merge its statement into the bucket's policy).
pub fn bucket_policy(bucket_arn: &str, role_arn: &str) -> String {
    json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "FirehoseDeliveryFromApigwPipeline",
            "Effect": "Allow",
            "Principal": {"AWS": role_arn},
            "Action": DELIVERY_ACTIONS,
            "Resource": [bucket_arn, format!("{bucket_arn}/*")]
        }]
    })
    .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permissions_name_only_the_bucket_and_key() {
        let p: serde_json::Value = serde_json::from_str(&permissions_policy(
            "arn:aws:s3:::b",
            None,
            "us-east-1",
            None,
            None,
        ))
        .unwrap();
        assert_eq!(p["Statement"].as_array().unwrap().len(), 1);
        assert_eq!(
            p["Statement"][0]["Resource"],
            json!(["arn:aws:s3:::b", "arn:aws:s3:::b/*"])
        );
        let k = "arn:aws:kms:us-east-1:123456789012:key/k";
        let p: serde_json::Value = serde_json::from_str(&permissions_policy(
            "arn:aws:s3:::b",
            Some(k),
            "us-east-1",
            None,
            None,
        ))
        .unwrap();
        assert_eq!(p["Statement"][1]["Resource"], json!([k]));
    }

    #[test]
    fn error_logging_may_put_events_into_its_one_stream_only() {
        let arn = "arn:aws:logs:us-east-1:123456789012:log-group:g:log-stream:DestinationDelivery";
        let p: serde_json::Value = serde_json::from_str(&permissions_policy(
            "arn:aws:s3:::b",
            None,
            "us-east-1",
            None,
            Some(arn),
        ))
        .unwrap();
        let s = &p["Statement"][1];
        assert_eq!(s["Action"], json!(["logs:PutLogEvents"]));
        assert_eq!(s["Resource"], json!([arn]));
    }

    #[test]
    fn delivery_covers_buckets_of_other_accounts() {
        let p: serde_json::Value = serde_json::from_str(&permissions_policy(
            "arn:aws:s3:::b",
            None,
            "us-east-1",
            None,
            None,
        ))
        .unwrap();
        let actions = p["Statement"][0]["Action"].as_array().unwrap();
        assert!(actions.contains(&json!("s3:PutObjectAcl")), "{p}");
        assert!(actions.contains(&json!("s3:PutObject")), "{p}");
    }

    #[test]
    fn the_key_is_used_through_s3_of_the_bucket_region_with_or_without_bucket_keys() {
        let k = "arn:aws:kms:eu-west-1:123456789012:key/k";
        let p: serde_json::Value = serde_json::from_str(&permissions_policy(
            "arn:aws:s3:::b",
            Some(k),
            "eu-west-1",
            None,
            None,
        ))
        .unwrap();
        let condition = &p["Statement"][1]["Condition"];
        assert_eq!(
            condition["StringEquals"]["kms:ViaService"],
            "s3.eu-west-1.amazonaws.com"
        );
        assert_eq!(
            condition["StringLike"]["kms:EncryptionContext:aws:s3:arn"],
            json!(["arn:aws:s3:::b/*", "arn:aws:s3:::b"])
        );
        // China's S3 endpoints end in amazonaws.com.cn.
        let k = "arn:aws-cn:kms:cn-north-1:123456789012:key/k";
        let p: serde_json::Value = serde_json::from_str(&permissions_policy(
            "arn:aws-cn:s3:::b",
            Some(k),
            "cn-north-1",
            None,
            None,
        ))
        .unwrap();
        assert_eq!(
            p["Statement"][1]["Condition"]["StringEquals"]["kms:ViaService"],
            "s3.cn-north-1.amazonaws.com.cn"
        );
    }

    #[test]
    fn the_bucket_policy_lets_only_the_role_deliver() {
        let role = "arn:aws:iam::111122223333:role/r";
        let p: serde_json::Value =
            serde_json::from_str(&bucket_policy("arn:aws:s3:::b", role)).unwrap();
        assert_eq!(p["Version"], "2012-10-17");
        let statements = p["Statement"].as_array().unwrap();
        assert_eq!(statements.len(), 1, "{p}");
        let s = &statements[0];
        assert_eq!(s["Principal"], json!({"AWS": role}));
        assert_eq!(s["Action"], json!(DELIVERY_ACTIONS));
        assert_eq!(s["Resource"], json!(["arn:aws:s3:::b", "arn:aws:s3:::b/*"]));
        // Deterministic text: the plan's value and the state's must match byte for byte.
        assert_eq!(
            bucket_policy("arn:aws:s3:::b", role),
            bucket_policy("arn:aws:s3:::b", role)
        );
    }

    #[test]
    fn parquet_adds_reading_the_one_table_only() {
        let g = GlueTableAccess::of("arn:aws:iam::123456789012:role/r", "eu-west-1", "db", "t");
        let p: serde_json::Value = serde_json::from_str(&permissions_policy(
            "arn:aws:s3:::b",
            None,
            "eu-west-1",
            Some(&g),
            None,
        ))
        .unwrap();
        let glue = &p["Statement"][1];
        assert_eq!(
            glue["Action"],
            serde_json::json!([
                "glue:GetTable",
                "glue:GetTableVersion",
                "glue:GetTableVersions"
            ])
        );
        assert_eq!(
            glue["Resource"],
            serde_json::json!([
                "arn:aws:glue:eu-west-1:123456789012:catalog",
                "arn:aws:glue:eu-west-1:123456789012:database/db",
                "arn:aws:glue:eu-west-1:123456789012:table/db/t"
            ])
        );
        let without: serde_json::Value = serde_json::from_str(&permissions_policy(
            "arn:aws:s3:::b",
            None,
            "eu-west-1",
            None,
            None,
        ))
        .unwrap();
        assert_eq!(without["Statement"].as_array().unwrap().len(), 1);
    }

    #[test]
    fn trust_is_limited_to_the_account() {
        let t: serde_json::Value = serde_json::from_str(&trust_policy("123456789012")).unwrap();
        assert_eq!(
            t["Statement"][0]["Condition"]["StringEquals"]["sts:ExternalId"],
            "123456789012"
        );
    }
}
