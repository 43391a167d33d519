//! Typed view of the resource's values and private state, and the state built from what was
//! observed in AWS.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::aws::firehose::{S3Destination, StreamEncryption};
use crate::plugin::validators::parse_duration;
use crate::plugin::value::Value;
use crate::resources::stream_parts::catalog_table::Catalog;
use crate::resources::stream_parts::encryption::Encryption;
use crate::resources::stream_parts::error_logging::{self, Settings as ErrorLoggingSettings};
use crate::resources::stream_parts::owner::OwnerKind;
use crate::resources::stream_parts::tags::own_tags;
use crate::resources::stream_parts::{
    S3Settings, StreamParts, destination_uri, known_or_null, map_value, policy, string_map,
};

use super::formats;

/// The stream resource's owner kind.
pub const OWNER: OwnerKind = OwnerKind::Stream;
/// The tags the provider adds: the owner tag.
pub const RESERVED_TAGS: usize = 1;

/// The resource's values, as known at apply time.
#[derive(Debug, Clone, PartialEq)]
pub struct SharedStream {
    /// This instance's identity; None until the create makes it.
    pub stream_id: Option<String>,
    pub name: String,
    pub partitioning: bool,
    pub format: String,
    /// None when the provider is to create and own the role.
    pub role_arn: Option<String>,
    pub s3: S3Settings,
    pub server_side_encryption: Encryption,
    pub catalog: Option<Catalog>,
    pub error_logging: ErrorLoggingSettings,
    pub tags: Option<BTreeMap<String, String>>,
    pub tags_all: BTreeMap<String, String>,
    /// Kept as configured: it is not remote state.
    pub timeouts: Value,
}

impl SharedStream {
    /// Reads a planned or prior state; unknown values read as absent.
    pub fn from_value(v: &Value) -> SharedStream {
        let text = |a: &str| v.attr(a).as_str().map(str::to_owned);
        SharedStream {
            stream_id: text("stream_id"),
            name: text("name").unwrap_or_default(),
            partitioning: v.attr("partitioning").as_bool().unwrap_or(false),
            format: text("format").unwrap_or_else(formats::json),
            role_arn: text("role_arn"),
            s3: S3Settings::from_value(v.attr("s3")),
            server_side_encryption: Encryption::from_value(v.attr("server_side_encryption")),
            catalog: Catalog::from_value(v.attr("catalog")),
            error_logging: ErrorLoggingSettings::from_value(v.attr("error_logging")),
            tags: string_map(v.attr("tags")),
            tags_all: string_map(v.attr("tags_all")).unwrap_or_default(),
            timeouts: v.attr("timeouts").clone(),
        }
    }

    /// The stream's settings, for the shared steps.
    pub fn parts(&self) -> StreamParts {
        StreamParts {
            name: self.name.clone(),
            name_attr: "name",
            purpose: format!("the stages that log to stream {}", self.name),
            role_arn: self.role_arn.clone(),
            s3: self.s3.clone(),
            format: self.format.clone(),
            partitioning: self.partitioning,
            server_side_encryption: self.server_side_encryption.clone(),
            catalog: self.catalog.clone(),
            error_logging: self.error_logging.clone(),
            tags_all: self.tags_all.clone(),
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

    /// The tags of the stream, role and log group: `tags_all` and the owner tag of instance
    /// `id` of `kind` (the pipeline's, for a stream adopted from a pipeline).
    pub fn remote_tags(
        &self,
        kind: OwnerKind,
        id: &str,
        creating: bool,
    ) -> BTreeMap<String, String> {
        let mut tags = self.tags_all.clone();
        tags.extend([kind.owner_tag(id, creating)]);
        tags
    }
}

/// What the provider caches beyond the attributes; all of it is found again in AWS.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Private {
    /// Name of the IAM role the provider made and will delete; None for a role brought along.
    #[serde(default)]
    pub owned_role: Option<String>,
    /// The bucket's region, as S3 last said: the owned role's policy depends on it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bucket_region: Option<String>,
    /// The stream was adopted by import from an `apigw_access_log_pipeline`: its objects keep
    /// the pipeline's owner tag (with `stream_id` the pipeline's id), as nothing is written.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub from_pipeline: bool,
    /// The import of a pipeline's stream has not been announced yet: the read after the
    /// import warns once that the pipeline must leave the state.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub announce_adoption: bool,
}

impl Private {
    /// The owner kind of what this instance manages.
    pub fn owner_kind(&self) -> OwnerKind {
        match self.from_pipeline {
            true => OwnerKind::Pipeline,
            false => OWNER,
        }
    }

    /// The cache; an unreadable one reads as empty, as all of it is in AWS.
    pub fn decode(bytes: &[u8]) -> Private {
        serde_json::from_slice(bytes).unwrap_or_default()
    }

    pub fn encode(&self) -> Vec<u8> {
        serde_json::to_vec(self).expect("private state always serializes")
    }
}

/// The stream as found.
#[derive(Debug, Clone)]
pub struct ObservedStream {
    pub arn: String,
    pub destination: S3Destination,
    pub encryption: StreamEncryption,
    pub error_logging: error_logging::Seen,
}

/// What was found in AWS.
#[derive(Debug, Clone)]
pub struct Observed {
    pub stream_id: String,
    /// None when the stream is gone: the state keeps the prior settings without an ARN, so the
    /// next plan makes it again.
    pub stream: Option<ObservedStream>,
    /// False when the owned role is gone or its policy was changed outside Terraform.
    pub role_intact: bool,
    /// The stream's tags without the provider's own.
    pub tags: BTreeMap<String, String>,
    /// The `catalog` attribute as found.
    pub catalog: Value,
}

/// The state to record: identity and settings from `base`, what AWS holds from `observed`.
pub fn state_value(
    base: &SharedStream,
    observed: &Observed,
    default_tags: &BTreeMap<String, String>,
) -> Value {
    let parts = base.parts();
    let d = match &observed.stream {
        Some(s) => s.destination.clone(),
        None => parts.destination(base.role_arn.as_deref().unwrap_or_default()),
    };
    let role_arn = match observed.role_intact && !d.role_arn.is_empty() {
        true => Value::from(d.role_arn.as_str()),
        false => Value::Null,
    };
    let (encryption, logging) = match &observed.stream {
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
        &observed.tags,
        default_tags,
    );
    let tags = match (&base.tags, own.is_empty()) {
        (None, true) => Value::Null,
        _ => map_value(&own),
    };
    let arn = observed.stream.as_ref().map(|s| s.arn.clone());
    Value::object([
        ("id", base.name.as_str().into()),
        ("stream_id", observed.stream_id.as_str().into()),
        ("name", base.name.as_str().into()),
        ("arn", arn.into()),
        ("partitioning", d.partitioning.is_some().into()),
        ("format", base.format.as_str().into()),
        ("formats", map_value(&formats::all())),
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

/// The state after a create failed part-way: what is known, nothing unknown, so Terraform
/// keeps (and taints) it and destroy removes what was made.
pub fn partial_state(planned: &Value, stream_id: &str, role_arn: Option<&str>) -> Value {
    let mut state = known_or_null(planned);
    if let Some(v) = state.attr_mut("stream_id") {
        *v = stream_id.into();
    }
    if let (Some(arn), Some(v)) = (role_arn, state.attr_mut("role_arn")) {
        *v = arn.into();
    }
    state
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_owner_tag_is_the_streams_own_kind() {
        let s = SharedStream::from_value(&Value::object([("name", "amazon-apigateway-x".into())]));
        let tags = s.remote_tags(OWNER, "s1", true);
        assert_eq!(tags[OwnerKind::Stream.tag()], "s1 creating");
        assert!(!tags.contains_key(OwnerKind::Pipeline.tag()));
        assert_eq!(s.format, formats::json());
    }

    #[test]
    fn partial_state_has_no_unknowns() {
        let planned = Value::object([("stream_id", Value::unknown()), ("arn", Value::unknown())]);
        let state = partial_state(&planned, "s1", None);
        assert!(state.is_wholly_known());
        assert_eq!(state.attr("stream_id"), &Value::from("s1"));
    }
}
