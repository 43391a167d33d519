//! The parts of a Firehose stream that delivers API Gateway access logs to S3, shared by the
//! resources that make one (`apigw_access_log_pipeline`, `apigw_access_log_stream`): the stream
//! itself, its owned IAM role and policy, error logging, server-side encryption, the optional
//! Glue table, and reading them back. Each step takes plain arguments ([`StreamParts`], an
//! [`owner::Owner`]), never a resource's model.

pub mod bucket;
pub mod catalog;
pub mod catalog_table;
pub mod encryption;
pub mod error_logging;
pub mod fields;
pub mod names;
pub mod owner;
pub mod partitioning;
pub mod plan;
pub mod policy;
pub mod role;
pub mod schema;
pub mod settings;
pub mod stream;
pub mod tags;

use std::collections::BTreeMap;
use std::fmt::Display;

use crate::aws::error::ErrorKind;
use crate::aws::firehose::S3Destination;
use crate::plugin::diagnostics::{AttrPath, Diagnostic, Diagnostics};
use crate::plugin::value::Value;

use catalog_table::Catalog;
use encryption::Encryption;
use error_logging::Settings as ErrorLoggingSettings;

/// Kinds worth retrying for calls that change a stage or stream.
pub const RETRY_CHANGES: &[ErrorKind] = &[
    ErrorKind::Conflict,
    ErrorKind::Throttling,
    ErrorKind::Transient,
];

/// An error diagnostic for a failed step.
pub fn failed(summary: impl Into<String>, err: impl Display) -> Diagnostics {
    Diagnostic::error(summary, err.to_string()).into()
}

/// An error diagnostic pointing at an attribute.
pub fn failed_at(
    path: &[&str],
    summary: impl Into<String>,
    detail: impl Into<String>,
) -> Diagnostics {
    Diagnostic::error(summary, detail)
        .at(AttrPath::attrs(path.iter().copied()))
        .into()
}

/// The `s3` block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3Settings {
    pub bucket_arn: String,
    pub prefix: Option<String>,
    pub error_output_prefix: Option<String>,
    pub buffering_size_mib: i64,
    pub buffering_interval_seconds: i64,
    pub compression: String,
    pub kms_key_arn: Option<String>,
}

impl S3Settings {
    /// Reads the `s3` block; unknown or absent values read as their defaults.
    pub fn from_value(s3: &Value) -> S3Settings {
        use fields::s3::*;
        let opt = |a: &str| s3.attr(a).as_str().map(str::to_owned);
        let int = |a: &str, default: i64| {
            s3.attr(a)
                .as_number()
                .and_then(|n| n.as_i64())
                .unwrap_or(default)
        };
        S3Settings {
            bucket_arn: opt(BUCKET_ARN).unwrap_or_default(),
            prefix: opt(PREFIX),
            error_output_prefix: opt(ERROR_OUTPUT_PREFIX),
            buffering_size_mib: int(BUFFERING_SIZE_MIB, DEFAULT_BUFFERING_SIZE_MIB),
            buffering_interval_seconds: int(
                BUFFERING_INTERVAL_SECONDS,
                DEFAULT_BUFFERING_INTERVAL_SECONDS,
            ),
            compression: opt(COMPRESSION).unwrap_or_else(|| DEFAULT_COMPRESSION.to_owned()),
            kms_key_arn: opt(KMS_KEY_ARN),
        }
    }

    /// The settings a stream's destination holds.
    pub fn of_destination(d: &S3Destination) -> S3Settings {
        S3Settings {
            bucket_arn: d.bucket_arn.clone(),
            prefix: d.prefix.clone(),
            error_output_prefix: d.error_output_prefix.clone(),
            buffering_size_mib: i64::from(d.buffering_size_mib),
            buffering_interval_seconds: i64::from(d.buffering_interval_seconds),
            compression: d.compression.clone(),
            kms_key_arn: d.kms_key_arn.clone(),
        }
    }

    /// The block as state records it, from what the destination holds.
    pub fn value_of_destination(d: &S3Destination) -> Value {
        use fields::s3::*;
        let num = |n: i32| Value::int(i64::from(n));
        Value::object([
            (BUCKET_ARN, d.bucket_arn.as_str().into()),
            (PREFIX, d.prefix.clone().into()),
            (ERROR_OUTPUT_PREFIX, d.error_output_prefix.clone().into()),
            (BUFFERING_SIZE_MIB, num(d.buffering_size_mib)),
            (
                BUFFERING_INTERVAL_SECONDS,
                num(d.buffering_interval_seconds),
            ),
            (COMPRESSION, d.compression.as_str().into()),
            (KMS_KEY_ARN, d.kms_key_arn.clone().into()),
        ])
    }
}

/// Everything a stream is made from, as plain settings.
#[derive(Debug, Clone, PartialEq)]
pub struct StreamParts {
    /// The Firehose stream's name.
    pub name: String,
    /// The attribute that names the stream, for errors about it.
    pub name_attr: &'static str,
    /// What the owned role is for, in its IAM description.
    pub purpose: String,
    /// None when the provider is to make and own the role.
    pub role_arn: Option<String>,
    pub s3: S3Settings,
    /// The access-log format the records have: the catalog table and partitioning read it.
    pub format: String,
    /// Firehose dynamic partitioning per API and stage.
    pub partitioning: bool,
    pub server_side_encryption: Encryption,
    pub catalog: Option<Catalog>,
    pub error_logging: ErrorLoggingSettings,
    /// `tags` merged over the provider's `default_tags`.
    pub tags_all: BTreeMap<String, String>,
}

impl StreamParts {
    /// The stream's destination for a given role.
    pub fn destination(&self, role_arn: &str) -> S3Destination {
        S3Destination {
            role_arn: role_arn.to_owned(),
            bucket_arn: self.s3.bucket_arn.clone(),
            prefix: self.s3.prefix.clone(),
            error_output_prefix: self.s3.error_output_prefix.clone(),
            buffering_size_mib: self.s3.buffering_size_mib as i32,
            buffering_interval_seconds: self.s3.buffering_interval_seconds as i32,
            compression: self.s3.compression.clone(),
            kms_key_arn: self.s3.kms_key_arn.clone(),
            format_conversion: catalog_table::conversion(self, role_arn),
            error_logging: self.error_logging.options(&self.name),
            partitioning: self.partitioning.then(partitioning::dynamic_partitioning),
        }
    }
}

/// `s3://bucket/prefix` for a bucket ARN and optional prefix.
pub fn destination_uri(bucket_arn: &str, prefix: Option<&str>) -> String {
    let bucket =
        crate::aws::arn::bucket_name_of(bucket_arn).unwrap_or_else(|| bucket_arn.to_owned());
    format!("s3://{bucket}/{}", prefix.unwrap_or(""))
}

/// The merge of provider default tags and resource tags; the resource's win.
pub fn merge_tags(
    defaults: &BTreeMap<String, String>,
    tags: Option<&BTreeMap<String, String>>,
) -> BTreeMap<String, String> {
    let mut all = defaults.clone();
    if let Some(tags) = tags {
        all.extend(tags.iter().map(|(k, v)| (k.clone(), v.clone())));
    }
    all
}

/// A map of strings, None when `v` is not a map (null or unknown); unknown values are left out.
pub fn string_map(v: &Value) -> Option<BTreeMap<String, String>> {
    v.as_map().map(|m| {
        m.iter()
            .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_owned())))
            .collect()
    })
}

/// A map of strings as a value.
pub fn map_value(m: &BTreeMap<String, String>) -> Value {
    Value::Map(
        m.iter()
            .map(|(k, v)| (k.clone(), Value::from(v.as_str())))
            .collect(),
    )
}

/// `v` with every unknown replaced by null: what a partial state may hold.
pub fn known_or_null(v: &Value) -> Value {
    match v {
        Value::Unknown(_) => Value::Null,
        Value::Object(m) => Value::Object(
            m.iter()
                .map(|(k, v)| (k.clone(), known_or_null(v)))
                .collect(),
        ),
        Value::Map(m) => Value::Map(
            m.iter()
                .map(|(k, v)| (k.clone(), known_or_null(v)))
                .collect(),
        ),
        Value::List(l) => Value::List(l.iter().map(known_or_null).collect()),
        Value::Set(l) => Value::Set(l.iter().map(known_or_null).collect()),
        Value::Tuple(l) => Value::Tuple(l.iter().map(known_or_null).collect()),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn destination_uri_names_bucket_and_prefix() {
        assert_eq!(
            destination_uri("arn:aws:s3:::logs", Some("apigw/")),
            "s3://logs/apigw/"
        );
        assert_eq!(destination_uri("arn:aws:s3:::logs", None), "s3://logs/");
    }

    #[test]
    fn resource_tags_win_over_defaults() {
        let defaults = BTreeMap::from([
            ("team".to_owned(), "a".to_owned()),
            ("env".to_owned(), "dev".to_owned()),
        ]);
        let tags = BTreeMap::from([("team".to_owned(), "b".to_owned())]);
        let all = merge_tags(&defaults, Some(&tags));
        assert_eq!(all.get("team").unwrap(), "b");
        assert_eq!(all.get("env").unwrap(), "dev");
    }
}
