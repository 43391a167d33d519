//! The owned role's trust and permission policies: Firehose of this account only, writing to
//! this bucket (and using this KMS key) only.

use serde_json::json;

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

/// What Firehose needs to deliver into `bucket_arn`, and to encrypt with `kms_key_arn`.
pub fn permissions_policy(bucket_arn: &str, kms_key_arn: Option<&str>, region: &str) -> String {
    let mut statements = vec![json!({
        "Sid": "DeliverToBucket",
        "Effect": "Allow",
        "Action": [
            "s3:AbortMultipartUpload",
            "s3:GetBucketLocation",
            "s3:GetObject",
            "s3:ListBucket",
            "s3:ListBucketMultipartUploads",
            "s3:PutObject"
        ],
        "Resource": [bucket_arn, format!("{bucket_arn}/*")]
    })];
    if let Some(key) = kms_key_arn {
        statements.push(json!({
            "Sid": "EncryptWithKey",
            "Effect": "Allow",
            "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
            "Resource": [key],
            "Condition": {
                "StringEquals": {"kms:ViaService": format!("s3.{region}.amazonaws.com")},
                "StringLike": {"kms:EncryptionContext:aws:s3:arn": format!("{bucket_arn}/*")}
            }
        }));
    }
    json!({"Version": "2012-10-17", "Statement": statements}).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permissions_name_only_the_bucket_and_key() {
        let p: serde_json::Value =
            serde_json::from_str(&permissions_policy("arn:aws:s3:::b", None, "us-east-1")).unwrap();
        assert_eq!(p["Statement"].as_array().unwrap().len(), 1);
        assert_eq!(
            p["Statement"][0]["Resource"],
            json!(["arn:aws:s3:::b", "arn:aws:s3:::b/*"])
        );
        let k = "arn:aws:kms:us-east-1:123456789012:key/k";
        let p: serde_json::Value =
            serde_json::from_str(&permissions_policy("arn:aws:s3:::b", Some(k), "us-east-1"))
                .unwrap();
        assert_eq!(p["Statement"][1]["Resource"], json!([k]));
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
