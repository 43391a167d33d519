//! Typed view of the resource's values and private state, and the state built from what was
//! observed in AWS.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::plugin::value::Value;
use crate::resources::stream_parts::owner::OwnerKind;
pub use crate::resources::stream_parts::settings::ObservedStream;
use crate::resources::stream_parts::settings::{ObservedSide, StreamSettings, state_attributes};
use crate::resources::stream_parts::{StreamParts, known_or_null, map_value};

use super::fields::*;
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
    pub settings: StreamSettings,
}

impl SharedStream {
    /// Reads a planned or prior state; unknown values read as absent.
    pub fn from_value(v: &Value) -> SharedStream {
        let text = |a: &str| v.attr(a).as_str().map(str::to_owned);
        SharedStream {
            stream_id: text(STREAM_ID),
            name: text(NAME).unwrap_or_default(),
            partitioning: v
                .attr(PARTITIONING)
                .as_bool()
                .unwrap_or(DEFAULT_PARTITIONING),
            format: text(FORMAT).unwrap_or_else(formats::json),
            settings: StreamSettings::from_value(v),
        }
    }

    /// The stream's settings, for the shared steps.
    pub fn parts(&self) -> StreamParts {
        StreamParts {
            name: self.name.clone(),
            name_attr: NAME,
            purpose: format!("the stages that log to stream {}", self.name),
            role_arn: self.settings.role_arn.clone(),
            s3: self.settings.s3.clone(),
            format: self.format.clone(),
            partitioning: self.partitioning,
            server_side_encryption: self.settings.server_side_encryption.clone(),
            catalog: self.settings.catalog.clone(),
            error_logging: self.settings.error_logging.clone(),
            tags_all: self.settings.tags_all.clone(),
        }
    }

    /// The deadline for an operation, from `timeouts` or the default.
    pub fn timeout(&self, op: &str, default: Duration) -> Duration {
        self.settings.timeout(op, default)
    }

    /// The tags of the stream, role and log group: `tags_all` and the owner tag of instance
    /// `id` of `kind` (the pipeline's, for a stream adopted from a pipeline).
    pub fn remote_tags(
        &self,
        kind: OwnerKind,
        id: &str,
        creating: bool,
    ) -> BTreeMap<String, String> {
        let mut tags = self.settings.tags_all.clone();
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
    let (d, stream_side) = state_attributes(
        &base.settings,
        || parts.destination(base.settings.role_arn.as_deref().unwrap_or_default()),
        ObservedSide {
            stream: observed.stream.as_ref(),
            role_intact: observed.role_intact,
            tags: &observed.tags,
            catalog: &observed.catalog,
        },
        default_tags,
    );
    let arn = observed.stream.as_ref().map(|s| s.arn.clone());
    let mut attributes = vec![
        (ID, base.name.as_str().into()),
        (STREAM_ID, observed.stream_id.as_str().into()),
        (NAME, base.name.as_str().into()),
        (ARN, arn.into()),
        (PARTITIONING, d.partitioning.is_some().into()),
        (FORMAT, base.format.as_str().into()),
        (FORMATS, map_value(&formats::all())),
    ];
    attributes.extend(stream_side);
    Value::object(attributes)
}

/// The state after a create failed part-way: what is known, nothing unknown, so Terraform
/// keeps (and taints) it and destroy removes what was made.
pub fn partial_state(planned: &Value, stream_id: &str, role_arn: Option<&str>) -> Value {
    let mut state = known_or_null(planned);
    if let Some(v) = state.attr_mut(STREAM_ID) {
        *v = stream_id.into();
    }
    if let (Some(arn), Some(v)) = (role_arn, state.attr_mut(ROLE_ARN)) {
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
