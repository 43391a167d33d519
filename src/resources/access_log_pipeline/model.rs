//! Typed views of the resource's values and private state, and the state built from what was
//! observed in AWS.

use crate::resources::stage_log::StageRef;
use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::aws::apigateway::AccessLog;
use crate::aws::firehose::{S3Destination, StreamEncryption};
use crate::log_format;
use crate::plugin::validators::parse_duration;
use crate::plugin::value::Value;
use crate::stage;

use crate::resources::stream_parts::catalog_table::Catalog;
use crate::resources::stream_parts::encryption::Encryption;
use crate::resources::stream_parts::error_logging::{self, Settings as ErrorLoggingSettings};
use crate::resources::stream_parts::tags::own_tags;
use crate::resources::stream_parts::{
    S3Settings, StreamParts, destination_uri, known_or_null, map_value, policy, string_map,
};

use super::ownership::{self, Earlier};

/// The resource's values, as known at apply time.
#[derive(Debug, Clone, PartialEq)]
pub struct Pipeline {
    /// This instance's identity, on what it makes; None until the create makes it.
    pub pipeline_id: Option<String>,
    pub rest_api_id: String,
    pub stage_name: String,
    pub format: String,
    /// Whether the stage's format gets a trailing newline ([`log_format::as_stage_holds`]).
    pub append_newline: bool,
    pub enabled: bool,
    pub delivery_stream_name: String,
    /// None when the provider is to create and own the role.
    pub role_arn: Option<String>,
    pub s3: S3Settings,
    pub server_side_encryption: Encryption,
    /// The Glue table the pipeline keeps, if any.
    pub catalog: Option<Catalog>,
    pub error_logging: ErrorLoggingSettings,
    pub tags: Option<BTreeMap<String, String>>,
    pub tags_all: BTreeMap<String, String>,
    /// Kept as configured: it is not remote state.
    pub timeouts: Value,
}

fn string(v: &Value) -> String {
    v.as_str().unwrap_or_default().to_owned()
}

fn opt_string(v: &Value) -> Option<String> {
    v.as_str().map(str::to_owned)
}

impl Pipeline {
    /// Reads a planned or prior state. Unknown values (only possible for computed ones the
    /// provider fills in) read as absent.
    pub fn from_value(v: &Value) -> Pipeline {
        Pipeline {
            pipeline_id: opt_string(v.attr("pipeline_id")),
            rest_api_id: string(v.attr("rest_api_id")),
            stage_name: string(v.attr("stage_name")),
            format: string(v.attr("format")),
            append_newline: v.attr("append_newline").as_bool().unwrap_or(true),
            enabled: v.attr("enabled").as_bool().unwrap_or(true),
            delivery_stream_name: string(v.attr("delivery_stream_name")),
            role_arn: opt_string(v.attr("role_arn")),
            s3: S3Settings::from_value(v.attr("s3")),
            server_side_encryption: Encryption::from_value(v.attr("server_side_encryption")),
            catalog: Catalog::from_value(v.attr("catalog")),
            error_logging: ErrorLoggingSettings::from_value(v.attr("error_logging")),
            tags: string_map(v.attr("tags")),
            tags_all: string_map(v.attr("tags_all")).unwrap_or_default(),
            timeouts: v.attr("timeouts").clone(),
        }
    }

    /// The format as the stage is to hold it.
    pub fn stage_format(&self) -> String {
        log_format::as_stage_holds(&self.format, self.append_newline)
    }

    /// `<rest_api_id>/<stage_name>`: the resource id and import id.
    pub fn id(&self) -> String {
        stage::id(&self.rest_api_id, &self.stage_name)
    }

    /// The stage this pipeline logs.
    pub fn stage_ref(&self) -> StageRef<'_> {
        StageRef {
            rest_api_id: &self.rest_api_id,
            stage_name: &self.stage_name,
        }
    }

    /// The deadline for an operation, from `timeouts` or the default.
    pub fn timeout(&self, op: &str, default: Duration) -> Duration {
        self.timeouts
            .attr(op)
            .as_str()
            .and_then(parse_duration)
            .unwrap_or(default)
    }

    /// The stream's settings, for the steps shared with the other stream resources.
    pub fn parts(&self) -> StreamParts {
        StreamParts {
            name: self.delivery_stream_name.clone(),
            name_attr: "delivery_stream_name",
            purpose: self.id(),
            role_arn: self.role_arn.clone(),
            s3: self.s3.clone(),
            format: self.format.clone(),
            partitioning: false,
            server_side_encryption: self.server_side_encryption.clone(),
            catalog: self.catalog.clone(),
            error_logging: self.error_logging.clone(),
            tags_all: self.tags_all.clone(),
        }
    }

    /// The stream's destination for a given role.
    pub fn destination(&self, role_arn: &str) -> S3Destination {
        self.parts().destination(role_arn)
    }

    /// The tags to put on the stream and owned role: `tags_all` plus the provider's own (the
    /// owner tag of pipeline `id` and the record of the stage's earlier settings).
    pub fn remote_tags(
        &self,
        id: &str,
        creating: bool,
        earlier: &Earlier,
    ) -> BTreeMap<String, String> {
        let mut tags = self.tags_all.clone();
        tags.extend(ownership::provider_tags(id, creating, earlier));
        tags
    }

    /// The key of the stage in this process's register of claims.
    pub fn stage_key(&self, region: &str) -> String {
        format!("{region}/{}/{}", self.rest_api_id, self.stage_name)
    }
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

/// What the provider caches about a pipeline beyond its attributes. Everything here is also
/// found in AWS (see `ownership`); a lost or unreadable cache is recovered from there.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Private {
    /// The stage's access-log settings before this pipeline took them over, as recorded on the
    /// stream and the owned role.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub earlier: Option<Earlier>,
    /// What the previous version kept instead of `earlier` (only ever read).
    #[serde(default, skip_serializing)]
    previous_access_log: Option<AccessLog>,
    /// Name of the IAM role the provider made and will delete; None for a role brought along.
    #[serde(default)]
    pub owned_role: Option<String>,
    /// The bucket's region, as S3 last said: the owned role's policy depends on it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bucket_region: Option<String>,
    /// The stream was not made by this provider (an import): the pipeline only points the stage
    /// at it, and the plan keeps its role.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub foreign_stream: bool,
}

impl Private {
    /// The cache, or why it could not be read.
    pub fn decode(bytes: &[u8]) -> Result<Private, String> {
        if bytes.is_empty() {
            return Ok(Private::default());
        }
        let mut private: Private = serde_json::from_slice(bytes).map_err(|e| e.to_string())?;
        if private.earlier.is_none() {
            if let Some(log) = private.previous_access_log.take() {
                private.earlier = Some(Earlier {
                    access_log: Some(log),
                });
            }
        }
        Ok(private)
    }

    pub fn encode(&self) -> Vec<u8> {
        serde_json::to_vec(self).expect("private state always serializes")
    }
}

/// What was found in AWS for one pipeline.
#[derive(Debug, Clone)]
pub struct Observed {
    pub pipeline_id: String,
    /// None when the stream is gone: the state then keeps the prior settings without an ARN,
    /// so the next plan makes the stream again.
    pub stream: Option<ObservedStream>,
    /// False when the stage (or its REST API) is gone.
    pub stage_exists: bool,
    /// The stage's access-log settings (None also when the stage is gone).
    pub stage_access_log: Option<AccessLog>,
    /// False when the owned role is gone or its policy was changed outside Terraform: the
    /// state then has no role ARN, so the next plan restores the role.
    pub role_intact: bool,
    /// The stream's tags without the provider's own.
    pub tags: BTreeMap<String, String>,
    /// The `catalog` attribute as found (`catalog_table::observe`).
    pub catalog: Value,
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

/// The state to record: identity and settings from `base` (plan or prior state), everything
/// AWS holds from `observed`, so drift shows in the next plan.
pub fn state_value(
    base: &Pipeline,
    observed: &Observed,
    default_tags: &BTreeMap<String, String>,
) -> Value {
    let stream_arn = observed.stream.as_ref().map(|s| s.arn.as_str());
    let enabled = match (&observed.stage_access_log, stream_arn) {
        (Some(l), Some(arn)) => l.destination_arn == arn,
        _ => false,
    };
    let (format, append_newline) = match (&observed.stage_access_log, enabled) {
        (Some(log), true) => {
            log_format::as_configured(&log.format, &base.format, base.append_newline)
        }
        _ => (base.format.clone(), base.append_newline),
    };
    let d = match &observed.stream {
        Some(s) => s.destination.clone(),
        None => base.destination(base.role_arn.as_deref().unwrap_or_default()),
    };
    let role_arn = match observed.role_intact && !d.role_arn.is_empty() {
        true => Value::from(d.role_arn.as_str()),
        false => Value::Null,
    };
    // A stream that is gone keeps the settings planned for it.
    let encryption = match &observed.stream {
        Some(s) => Encryption::observed(&base.server_side_encryption, &s.encryption),
        None => base.server_side_encryption.clone(),
    };
    let logging = match &observed.stream {
        Some(s) => error_logging::state(&base.error_logging, &d.error_logging, s.error_logging),
        None => base.error_logging.clone(),
    };
    let bucket_policy = match &role_arn {
        Value::String(role) => policy::bucket_policy(&d.bucket_arn, role).into(),
        _ => Value::Null,
    };
    let own = own_tags(
        base.tags.as_ref(),
        &base.tags_all,
        &observed.tags,
        default_tags,
    );
    let tags = match (&base.tags, own.is_empty()) {
        (None, true) => Value::Null,
        _ => map_value(&own),
    };
    Value::object([
        ("id", base.id().into()),
        ("pipeline_id", observed.pipeline_id.as_str().into()),
        ("rest_api_id", base.rest_api_id.as_str().into()),
        ("stage_name", base.stage_name.as_str().into()),
        ("format", format.into()),
        ("append_newline", append_newline.into()),
        ("enabled", enabled.into()),
        (
            "delivery_stream_name",
            base.delivery_stream_name.as_str().into(),
        ),
        ("delivery_stream_arn", stream_arn.map(str::to_owned).into()),
        ("role_arn", role_arn),
        ("s3", S3Settings::value_of_destination(&d)),
        ("server_side_encryption", encryption.to_value()),
        ("catalog", observed.catalog.clone()),
        ("error_logging", logging.to_value()),
        (
            "s3_destination_uri",
            destination_uri(&d.bucket_arn, d.prefix.as_deref()).into(),
        ),
        ("bucket_policy_json", bucket_policy),
        ("tags", tags),
        ("tags_all", map_value(&observed.tags)),
        ("timeouts", base.timeouts.clone()),
    ])
}

/// The state to record after a failure part-way through a create: what is known so far, with
/// nothing unknown, so Terraform keeps (and taints) it and the next apply cleans it up.
pub fn partial_state(
    planned: &Value,
    pipeline_id: &str,
    stream_arn: Option<&str>,
    role_arn: Option<&str>,
) -> Value {
    let mut state = known_or_null(planned);
    if let Some(v) = state.attr_mut("pipeline_id") {
        *v = pipeline_id.into();
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_state_survives_garbage() {
        assert!(Private::decode(b"not json").is_err());
        let p = Private {
            owned_role: Some("r".into()),
            ..Private::default()
        };
        assert_eq!(Private::decode(&p.encode()).unwrap(), p);
        // The previous version's record of the stage's earlier settings is still read.
        let old = br#"{"previous_access_log":{"destination_arn":"arn:aws:logs:r:1:log-group:g","format":"$context.requestId"},"owned_role":null}"#;
        let earlier = Private::decode(old).unwrap().earlier.unwrap();
        assert_eq!(
            earlier.access_log.unwrap().destination_arn,
            "arn:aws:logs:r:1:log-group:g"
        );
    }

    #[test]
    fn partial_state_has_no_unknowns() {
        let planned = Value::object([
            ("id", "a/b".into()),
            ("delivery_stream_arn", Value::unknown()),
        ]);
        let state = partial_state(&planned, "p1", None, None);
        assert!(state.is_wholly_known());
        assert!(state.attr("delivery_stream_arn").is_null());
    }
}
