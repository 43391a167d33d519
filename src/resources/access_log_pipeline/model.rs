//! Typed views of the resource's values and private state, and the state built from what was
//! observed in AWS.

use crate::resources::stage_log::StageRef;
use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::aws::apigateway::AccessLog;
use crate::aws::firehose::S3Destination;
use crate::log_format;
use crate::plugin::value::Value;
use crate::stage;

pub use crate::resources::stream_parts::settings::ObservedStream;
use crate::resources::stream_parts::settings::{ObservedSide, StreamSettings, state_attributes};
use crate::resources::stream_parts::{StreamParts, known_or_null};

use super::fields::*;
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
    pub settings: StreamSettings,
}

fn string(v: &Value) -> String {
    v.as_str().unwrap_or_default().to_owned()
}

impl Pipeline {
    /// Reads a planned or prior state. Unknown values (only possible for computed ones the
    /// provider fills in) read as absent.
    pub fn from_value(v: &Value) -> Pipeline {
        Pipeline {
            pipeline_id: v.attr(PIPELINE_ID).as_str().map(str::to_owned),
            rest_api_id: string(v.attr(REST_API_ID)),
            stage_name: string(v.attr(STAGE_NAME)),
            format: string(v.attr(FORMAT)),
            append_newline: v
                .attr(APPEND_NEWLINE)
                .as_bool()
                .unwrap_or(DEFAULT_APPEND_NEWLINE),
            enabled: v.attr(ENABLED).as_bool().unwrap_or(DEFAULT_ENABLED),
            delivery_stream_name: string(v.attr(DELIVERY_STREAM_NAME)),
            settings: StreamSettings::from_value(v),
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
        self.settings.timeout(op, default)
    }

    /// The stream's settings, for the steps shared with the other stream resources.
    pub fn parts(&self) -> StreamParts {
        StreamParts {
            name: self.delivery_stream_name.clone(),
            name_attr: DELIVERY_STREAM_NAME,
            purpose: self.id(),
            role_arn: self.settings.role_arn.clone(),
            s3: self.settings.s3.clone(),
            format: self.format.clone(),
            partitioning: false,
            server_side_encryption: self.settings.server_side_encryption.clone(),
            catalog: self.settings.catalog.clone(),
            error_logging: self.settings.error_logging.clone(),
            tags_all: self.settings.tags_all.clone(),
        }
    }

    /// The stream's destination for a given role.
    pub fn destination(&self, role_arn: &str) -> S3Destination {
        self.parts().destination(role_arn)
    }

    /// The tags to put on the stream and owned role (see [`remote_tags`]).
    pub fn remote_tags(
        &self,
        id: &str,
        creating: bool,
        earlier: &Earlier,
    ) -> BTreeMap<String, String> {
        remote_tags(&self.settings.tags_all, id, creating, earlier)
    }

    /// The key of the stage in this process's register of claims.
    pub fn stage_key(&self, region: &str) -> String {
        format!("{region}/{}/{}", self.rest_api_id, self.stage_name)
    }
}

/// The tags to put on the stream and owned role: `tags_all` plus the provider's own (the
/// owner tag of pipeline `id` and the record of the stage's earlier settings).
pub fn remote_tags(
    tags_all: &BTreeMap<String, String>,
    id: &str,
    creating: bool,
    earlier: &Earlier,
) -> BTreeMap<String, String> {
    let mut tags = tags_all.clone();
    tags.extend(ownership::provider_tags(id, creating, earlier));
    tags
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
    let (_, stream_side) = state_attributes(
        &base.settings,
        || base.destination(base.settings.role_arn.as_deref().unwrap_or_default()),
        ObservedSide {
            stream: observed.stream.as_ref(),
            role_intact: observed.role_intact,
            tags: &observed.tags,
            catalog: &observed.catalog,
        },
        default_tags,
    );
    let mut attributes = vec![
        (ID, base.id().into()),
        (PIPELINE_ID, observed.pipeline_id.as_str().into()),
        (REST_API_ID, base.rest_api_id.as_str().into()),
        (STAGE_NAME, base.stage_name.as_str().into()),
        (FORMAT, format.into()),
        (APPEND_NEWLINE, append_newline.into()),
        (ENABLED, enabled.into()),
        (
            DELIVERY_STREAM_NAME,
            base.delivery_stream_name.as_str().into(),
        ),
        (DELIVERY_STREAM_ARN, stream_arn.map(str::to_owned).into()),
    ];
    attributes.extend(stream_side);
    Value::object(attributes)
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
    if let Some(v) = state.attr_mut(PIPELINE_ID) {
        *v = pipeline_id.into();
    }
    if let Some(arn) = stream_arn {
        if let Some(v) = state.attr_mut(DELIVERY_STREAM_ARN) {
            *v = arn.into();
        }
    }
    if let Some(arn) = role_arn {
        if let Some(v) = state.attr_mut(ROLE_ARN) {
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
