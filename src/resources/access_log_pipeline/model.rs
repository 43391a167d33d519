//! Typed views of the resource's values and private state, and the state built from what was
//! observed in AWS.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::aws::apigateway::AccessLog;
use crate::aws::firehose::{S3Destination, StreamEncryption};
use crate::plugin::validators::parse_duration;
use crate::plugin::value::Value;

use super::encryption::Encryption;
use super::policy;

/// Tag that marks the stream and role as made by this provider for one pipeline.
pub const OWNER_TAG: &str = "terraform-provider-apigw:pipeline";

/// The resource's values, as known at apply time.
#[derive(Debug, Clone, PartialEq)]
pub struct Pipeline {
    pub rest_api_id: String,
    pub stage_name: String,
    pub format: String,
    pub enabled: bool,
    pub delivery_stream_name: String,
    /// None when the provider is to create and own the role.
    pub role_arn: Option<String>,
    pub s3: S3Settings,
    pub server_side_encryption: Encryption,
    pub tags: Option<BTreeMap<String, String>>,
    pub tags_all: BTreeMap<String, String>,
    /// Kept as configured: it is not remote state.
    pub timeouts: Value,
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

fn string(v: &Value) -> String {
    v.as_str().unwrap_or_default().to_owned()
}

fn opt_string(v: &Value) -> Option<String> {
    v.as_str().map(str::to_owned)
}

fn int(v: &Value, default: i64) -> i64 {
    v.as_number().and_then(|n| n.as_i64()).unwrap_or(default)
}

fn string_map(v: &Value) -> Option<BTreeMap<String, String>> {
    v.as_map().map(|m| {
        m.iter()
            .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_owned())))
            .collect()
    })
}

fn map_value(m: &BTreeMap<String, String>) -> Value {
    Value::Map(
        m.iter()
            .map(|(k, v)| (k.clone(), Value::from(v.as_str())))
            .collect(),
    )
}

impl Pipeline {
    /// Reads a planned or prior state. Unknown values (only possible for computed ones the
    /// provider fills in) read as absent.
    pub fn from_value(v: &Value) -> Pipeline {
        let s3 = v.attr("s3");
        Pipeline {
            rest_api_id: string(v.attr("rest_api_id")),
            stage_name: string(v.attr("stage_name")),
            format: string(v.attr("format")),
            enabled: v.attr("enabled").as_bool().unwrap_or(true),
            delivery_stream_name: string(v.attr("delivery_stream_name")),
            role_arn: opt_string(v.attr("role_arn")),
            s3: S3Settings {
                bucket_arn: string(s3.attr("bucket_arn")),
                prefix: opt_string(s3.attr("prefix")),
                error_output_prefix: opt_string(s3.attr("error_output_prefix")),
                buffering_size_mib: int(s3.attr("buffering_size_mib"), 5),
                buffering_interval_seconds: int(s3.attr("buffering_interval_seconds"), 300),
                compression: opt_string(s3.attr("compression"))
                    .unwrap_or_else(|| "GZIP".to_owned()),
                kms_key_arn: opt_string(s3.attr("kms_key_arn")),
            },
            server_side_encryption: Encryption::from_value(v.attr("server_side_encryption")),
            tags: string_map(v.attr("tags")),
            tags_all: string_map(v.attr("tags_all")).unwrap_or_default(),
            timeouts: v.attr("timeouts").clone(),
        }
    }

    /// `<rest_api_id>/<stage_name>`: the resource id, import id and ownership tag value.
    pub fn id(&self) -> String {
        format!("{}/{}", self.rest_api_id, self.stage_name)
    }

    /// The deadline for an operation, from `timeouts` or the default.
    pub fn timeout(&self, op: &str, default: Duration) -> Duration {
        self.timeouts
            .attr(op)
            .as_str()
            .and_then(parse_duration)
            .unwrap_or(default)
    }

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
        }
    }

    /// The tags to put on the stream and owned role: `tags_all` plus the ownership tag.
    pub fn remote_tags(&self) -> BTreeMap<String, String> {
        let mut tags = self.tags_all.clone();
        tags.insert(OWNER_TAG.to_owned(), self.id());
        tags
    }
}

/// `s3://bucket/prefix` for a bucket ARN and optional prefix.
pub fn destination_uri(bucket_arn: &str, prefix: Option<&str>) -> String {
    let bucket = bucket_arn.rsplit(':').next().unwrap_or(bucket_arn);
    format!("s3://{bucket}/{}", prefix.unwrap_or(""))
}

/// The planned `bucket_policy_json`: known once the role's and the bucket's ARNs are.
pub fn planned_bucket_policy(planned: &Value) -> Value {
    match (
        planned.attr("s3").attr("bucket_arn").as_str(),
        planned.attr("role_arn").as_str(),
    ) {
        (Some(bucket), Some(role)) => policy::bucket_policy(bucket, role).into(),
        _ => Value::unknown(),
    }
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

/// What the provider remembers about a pipeline beyond its attributes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Private {
    /// The stage's access-log settings before this pipeline took them over; restored on destroy.
    #[serde(default)]
    pub previous_access_log: Option<AccessLog>,
    /// Name of the IAM role the provider made and will delete; None for a role brought along.
    #[serde(default)]
    pub owned_role: Option<String>,
}

impl Private {
    pub fn decode(bytes: &[u8]) -> Private {
        if bytes.is_empty() {
            Private::default()
        } else {
            serde_json::from_slice(bytes).unwrap_or_default()
        }
    }

    pub fn encode(&self) -> Vec<u8> {
        serde_json::to_vec(self).expect("private state always serializes")
    }
}

/// What was found in AWS for one pipeline.
#[derive(Debug, Clone)]
pub struct Observed {
    pub stream_arn: String,
    pub destination: S3Destination,
    pub stage_access_log: Option<AccessLog>,
    pub encryption: StreamEncryption,
    /// The stream's tags without the ownership tag.
    pub tags: BTreeMap<String, String>,
}

/// The state to record: identity and settings from `base` (plan or prior state), everything
/// AWS holds from `observed`, so drift shows in the next plan.
pub fn state_value(
    base: &Pipeline,
    observed: &Observed,
    default_tags: &BTreeMap<String, String>,
) -> Value {
    let enabled = observed
        .stage_access_log
        .as_ref()
        .is_some_and(|l| l.destination_arn == observed.stream_arn);
    let format = match (&observed.stage_access_log, enabled) {
        (Some(log), true) => log.format.clone(),
        _ => base.format.clone(),
    };
    let d = &observed.destination;
    // Tags that only repeat a provider default are not the resource's own.
    let own: BTreeMap<String, String> = observed
        .tags
        .iter()
        .filter(|(k, v)| {
            base.tags.as_ref().is_some_and(|t| t.contains_key(*k))
                || default_tags.get(*k) != Some(*v)
        })
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let tags = match (&base.tags, own.is_empty()) {
        (None, true) => Value::Null,
        _ => map_value(&own),
    };
    let num = |n: i32| Value::int(i64::from(n));
    Value::object([
        ("id", base.id().into()),
        ("rest_api_id", base.rest_api_id.as_str().into()),
        ("stage_name", base.stage_name.as_str().into()),
        ("format", format.into()),
        ("enabled", enabled.into()),
        (
            "delivery_stream_name",
            base.delivery_stream_name.as_str().into(),
        ),
        ("delivery_stream_arn", observed.stream_arn.as_str().into()),
        ("role_arn", d.role_arn.as_str().into()),
        (
            "s3",
            Value::object([
                ("bucket_arn", d.bucket_arn.as_str().into()),
                ("prefix", d.prefix.clone().into()),
                ("error_output_prefix", d.error_output_prefix.clone().into()),
                ("buffering_size_mib", num(d.buffering_size_mib)),
                (
                    "buffering_interval_seconds",
                    num(d.buffering_interval_seconds),
                ),
                ("compression", d.compression.as_str().into()),
                ("kms_key_arn", d.kms_key_arn.clone().into()),
            ]),
        ),
        (
            "server_side_encryption",
            Encryption::observed(&base.server_side_encryption, &observed.encryption).to_value(),
        ),
        (
            "s3_destination_uri",
            destination_uri(&d.bucket_arn, d.prefix.as_deref()).into(),
        ),
        (
            "bucket_policy_json",
            policy::bucket_policy(&d.bucket_arn, &d.role_arn).into(),
        ),
        ("tags", tags),
        ("tags_all", map_value(&observed.tags)),
        ("timeouts", base.timeouts.clone()),
    ])
}

/// The state to record after a failure part-way through a create: what is known so far, with
/// nothing unknown, so Terraform keeps (and taints) it and the next apply cleans it up.
pub fn partial_state(planned: &Value, stream_arn: Option<&str>, role_arn: Option<&str>) -> Value {
    let mut state = known_or_null(planned);
    if let Some(arn) = stream_arn {
        if let Some(v) = state.attr_mut("delivery_stream_arn") {
            *v = arn.into();
        }
    }
    if let Some(arn) = role_arn {
        if let Some(v) = state.attr_mut("role_arn") {
            *v = arn.into();
        }
    }
    state
}

fn known_or_null(v: &Value) -> Value {
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

    #[test]
    fn private_state_survives_garbage() {
        assert_eq!(Private::decode(b"not json"), Private::default());
        let p = Private {
            previous_access_log: None,
            owned_role: Some("r".into()),
        };
        assert_eq!(Private::decode(&p.encode()), p);
    }

    #[test]
    fn partial_state_has_no_unknowns() {
        let planned = Value::object([
            ("id", "a/b".into()),
            ("delivery_stream_arn", Value::unknown()),
        ]);
        let state = partial_state(&planned, None, None);
        assert!(state.is_wholly_known());
        assert!(state.attr("delivery_stream_arn").is_null());
    }
}
