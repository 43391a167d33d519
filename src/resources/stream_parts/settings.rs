//! The stream-side settings every stream resource declares (role, `s3`, encryption, catalog,
//! error logging, tags, timeouts) as one type, read from and written to `Value` here only.

use std::collections::BTreeMap;
use std::time::Duration;

use crate::aws::firehose::{S3Destination, StreamEncryption};
use crate::plugin::validators::parse_duration;
use crate::plugin::value::Value;

use super::catalog_table::Catalog;
use super::encryption::Encryption;
use super::error_logging::{self, Settings as ErrorLoggingSettings};
use super::fields::{self, *};
use super::tags::own_tags;
use super::{S3Settings, destination_uri, map_value, policy, string_map};

/// The stream side of a resource's values, as known at apply time.
#[derive(Debug, Clone, PartialEq)]
pub struct StreamSettings {
    /// None when the provider is to create and own the role.
    pub role_arn: Option<String>,
    pub s3: S3Settings,
    pub server_side_encryption: Encryption,
    /// The Glue table the resource keeps, if any.
    pub catalog: Option<Catalog>,
    pub error_logging: ErrorLoggingSettings,
    pub tags: Option<BTreeMap<String, String>>,
    /// `tags` merged over the provider's `default_tags`.
    pub tags_all: BTreeMap<String, String>,
    /// Kept as configured: it is not remote state.
    pub timeouts: Value,
}

impl StreamSettings {
    /// Reads a planned or prior state; unknown values read as absent.
    pub fn from_value(v: &Value) -> StreamSettings {
        StreamSettings {
            role_arn: v.attr(ROLE_ARN).as_str().map(str::to_owned),
            s3: S3Settings::from_value(v.attr(S3)),
            server_side_encryption: Encryption::from_value(v.attr(SERVER_SIDE_ENCRYPTION)),
            catalog: Catalog::from_value(v.attr(CATALOG)),
            error_logging: ErrorLoggingSettings::from_value(v.attr(ERROR_LOGGING)),
            tags: string_map(v.attr(TAGS)),
            tags_all: string_map(v.attr(TAGS_ALL)).unwrap_or_default(),
            timeouts: v.attr(TIMEOUTS).clone(),
        }
    }

    /// What an import takes from a stream it finds: its destination `d` and encryption, with
    /// no tags of the resource's own yet.
    pub fn imported(d: &S3Destination, encryption: &StreamEncryption) -> StreamSettings {
        StreamSettings {
            role_arn: Some(d.role_arn.clone()),
            s3: S3Settings::of_destination(d),
            server_side_encryption: Encryption::observed(&Encryption::default(), encryption),
            catalog: super::catalog_table::imported(d),
            error_logging: ErrorLoggingSettings {
                enabled: d.error_logging.enabled,
                log_group_name: d.error_logging.log_group_name.clone(),
                log_stream_name: d.error_logging.log_stream_name.clone(),
            },
            tags: None,
            tags_all: BTreeMap::new(),
            timeouts: Value::Null,
        }
    }

    /// The deadline for operation `op` (a `fields::timeouts` name), from `timeouts` or the
    /// default.
    pub fn timeout(&self, op: &str, default: Duration) -> Duration {
        self.timeouts
            .attr(op)
            .as_str()
            .and_then(parse_duration)
            .unwrap_or(default)
    }
}

/// The stream as found.
#[derive(Debug, Clone)]
pub struct ObservedStream {
    pub arn: String,
    pub destination: S3Destination,
    pub encryption: StreamEncryption,
    /// Whether the log group and stream the destination logs to exist.
    pub error_logging: error_logging::Seen,
}

/// What was found in AWS of the stream side.
pub struct ObservedSide<'a> {
    /// None when the stream is gone: the state then keeps the settings of `base`.
    pub stream: Option<&'a ObservedStream>,
    /// False when the owned role is gone or its policy was changed outside Terraform: the
    /// state then has no role ARN, so the next plan restores the role.
    pub role_intact: bool,
    /// The stream's tags without the provider's own.
    pub tags: &'a BTreeMap<String, String>,
    /// The `catalog` attribute as found.
    pub catalog: &'a Value,
}

/// The stream side of the state to record, and the destination it describes: what AWS holds
/// from `observed`; a stream that is gone keeps what `base` plans for it (`planned`, its
/// destination), so drift shows in the next plan.
pub fn state_attributes(
    base: &StreamSettings,
    planned: impl FnOnce() -> S3Destination,
    observed: ObservedSide<'_>,
    default_tags: &BTreeMap<String, String>,
) -> (S3Destination, Vec<(&'static str, Value)>) {
    let d = match observed.stream {
        Some(s) => s.destination.clone(),
        None => planned(),
    };
    let role_arn = match observed.role_intact && !d.role_arn.is_empty() {
        true => Value::from(d.role_arn.as_str()),
        false => Value::Null,
    };
    let (encryption, logging) = match observed.stream {
        Some(s) => (
            Encryption::observed(&base.server_side_encryption, &s.encryption),
            error_logging::state(&base.error_logging, &d.error_logging, s.error_logging),
        ),
        None => (
            base.server_side_encryption.clone(),
            base.error_logging.clone(),
        ),
    };
    let bucket_policy = match &role_arn {
        Value::String(role) => policy::bucket_policy(&d.bucket_arn, role).into(),
        _ => Value::Null,
    };
    let own = own_tags(
        base.tags.as_ref(),
        &base.tags_all,
        observed.tags,
        default_tags,
    );
    let tags = match (&base.tags, own.is_empty()) {
        (None, true) => Value::Null,
        _ => map_value(&own),
    };
    let attributes = vec![
        (ROLE_ARN, role_arn),
        (S3, S3Settings::value_of_destination(&d)),
        (SERVER_SIDE_ENCRYPTION, encryption.to_value()),
        (CATALOG, observed.catalog.clone()),
        (ERROR_LOGGING, logging.to_value()),
        (
            S3_DESTINATION_URI,
            destination_uri(&d.bucket_arn, d.prefix.as_deref()).into(),
        ),
        (BUCKET_POLICY_JSON, bucket_policy),
        (TAGS, tags),
        (TAGS_ALL, map_value(observed.tags)),
        (TIMEOUTS, base.timeouts.clone()),
    ];
    (d, attributes)
}

/// Plans what the stream side can already know from the planned `s3` and `role_arn`: the
/// destination URI and the bucket policy.
pub fn plan_derived(planned: &mut Value) {
    let s3 = planned.attr(S3);
    let uri = match (s3.attr(fields::s3::BUCKET_ARN), s3.attr(fields::s3::PREFIX)) {
        (Value::String(bucket), Value::String(prefix)) => {
            destination_uri(bucket, Some(prefix)).into()
        }
        (Value::String(bucket), Value::Null) => destination_uri(bucket, None).into(),
        _ => Value::unknown(),
    };
    let bucket_policy = planned_bucket_policy(planned);
    super::plan::set(planned, S3_DESTINATION_URI, uri);
    super::plan::set(planned, BUCKET_POLICY_JSON, bucket_policy);
}

/// The planned `bucket_policy_json`: known once the role's and the bucket's ARNs are.
fn planned_bucket_policy(planned: &Value) -> Value {
    match (
        planned.attr(S3).attr(fields::s3::BUCKET_ARN).as_str(),
        planned.attr(ROLE_ARN).as_str(),
    ) {
        (Some(bucket), Some(role)) => policy::bucket_policy(bucket, role).into(),
        _ => Value::unknown(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aws::firehose::AWS_OWNED_KEY;

    fn settings() -> StreamSettings {
        StreamSettings {
            role_arn: Some("arn:aws:iam::123456789012:role/r".into()),
            s3: S3Settings {
                bucket_arn: "arn:aws:s3:::logs".into(),
                prefix: Some("apigw/".into()),
                error_output_prefix: None,
                buffering_size_mib: 64,
                buffering_interval_seconds: 60,
                compression: "UNCOMPRESSED".into(),
                kms_key_arn: None,
            },
            server_side_encryption: Encryption::default(),
            catalog: Some(Catalog {
                database: "db".into(),
                table: "t".into(),
                parquet: true,
            }),
            error_logging: ErrorLoggingSettings {
                enabled: false,
                log_group_name: None,
                log_stream_name: None,
            },
            tags: Some(BTreeMap::from([("team".into(), "a".into())])),
            tags_all: BTreeMap::from([("team".into(), "a".into())]),
            timeouts: Value::object([("create", "30m".into())]),
        }
    }

    #[test]
    fn what_state_records_reads_back_as_the_same_settings() {
        let base = settings();
        let stream = ObservedStream {
            arn: "arn:aws:firehose:us-east-1:123456789012:deliverystream/s".into(),
            destination: S3Destination {
                role_arn: base.role_arn.clone().unwrap(),
                bucket_arn: base.s3.bucket_arn.clone(),
                prefix: base.s3.prefix.clone(),
                error_output_prefix: None,
                buffering_size_mib: 64,
                buffering_interval_seconds: 60,
                compression: "UNCOMPRESSED".into(),
                kms_key_arn: None,
                format_conversion: None,
                error_logging: Default::default(),
                partitioning: None,
            },
            encryption: StreamEncryption {
                status: "ENABLED".into(),
                key_type: Some(AWS_OWNED_KEY.into()),
                failure: None,
            },
            error_logging: Default::default(),
        };
        let catalog = base.catalog.as_ref().unwrap().to_value(None);
        let (_, attributes) = state_attributes(
            &base,
            || unreachable!("the stream was found"),
            ObservedSide {
                stream: Some(&stream),
                role_intact: true,
                tags: &base.tags_all,
                catalog: &catalog,
            },
            &BTreeMap::new(),
        );
        let state = Value::object(attributes);
        assert_eq!(StreamSettings::from_value(&state), base);
        assert_eq!(
            state.attr(S3_DESTINATION_URI),
            &Value::from("s3://logs/apigw/")
        );
    }
}
