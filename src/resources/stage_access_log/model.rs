//! The attachment's typed model and private state, converted to and from values here only.

use serde::{Deserialize, Serialize};

use crate::log_format;
use crate::plugin::value::Value;
use crate::resources::access_log_pipeline::ownership::Earlier;
use crate::resources::stage_log::StageRef;

use super::fields::*;

/// An `apigw_stage_access_log` as planned or stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    /// Null until created.
    pub attachment_id: Option<String>,
    pub rest_api_id: String,
    pub stage_name: String,
    /// Null in a state read back from a stage that no longer logs anywhere.
    pub destination_arn: Option<String>,
    pub format: String,
    pub append_newline: bool,
}

fn string(v: &Value) -> String {
    v.as_str().unwrap_or_default().to_owned()
}

impl Attachment {
    pub fn from_value(v: &Value) -> Attachment {
        Attachment {
            attachment_id: v.attr(ATTACHMENT_ID).as_str().map(str::to_owned),
            rest_api_id: string(v.attr(REST_API_ID)),
            stage_name: string(v.attr(STAGE_NAME)),
            destination_arn: v.attr(DESTINATION_ARN).as_str().map(str::to_owned),
            format: v.attr(FORMAT).as_str().unwrap_or(DEFAULT_FORMAT).to_owned(),
            append_newline: v
                .attr(APPEND_NEWLINE)
                .as_bool()
                .unwrap_or(DEFAULT_APPEND_NEWLINE),
        }
    }

    pub fn to_value(&self) -> Value {
        let opt = |s: &Option<String>| s.clone().map_or(Value::Null, Value::string);
        Value::object([
            (ID, Value::string(self.stage_ref().id())),
            (ATTACHMENT_ID, opt(&self.attachment_id)),
            (REST_API_ID, Value::string(&self.rest_api_id)),
            (STAGE_NAME, Value::string(&self.stage_name)),
            (DESTINATION_ARN, opt(&self.destination_arn)),
            (FORMAT, Value::string(&self.format)),
            (APPEND_NEWLINE, Value::Bool(self.append_newline)),
        ])
    }

    pub fn stage_ref(&self) -> StageRef<'_> {
        StageRef {
            rest_api_id: &self.rest_api_id,
            stage_name: &self.stage_name,
        }
    }

    /// The format as the stage holds it.
    pub fn stage_format(&self) -> String {
        log_format::as_stage_holds(&self.format, self.append_newline)
    }

    /// The key of the stage in this process's register of claims (shared with pipelines, so
    /// that a pipeline and an attachment of one configuration on one stage are told apart).
    pub fn stage_key(&self, region: &str) -> String {
        format!("{region}/{}/{}", self.rest_api_id, self.stage_name)
    }
}

/// What the attachment keeps between operations. The stage's tags are the record; this is
/// the cache, and the only record where none could be written (an import of a stage nobody
/// claimed writes nothing).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Private {
    /// What the stage had before the attachment; None when not known.
    #[serde(default)]
    pub earlier: Option<Earlier>,
    /// The stage carries no claim of this attachment (an import of a stage pointed at a
    /// stream by hand, or a claim removed outside Terraform): the next update writes it.
    #[serde(default)]
    pub unclaimed: bool,
    /// Taken over by an import of a stage nobody held: its settings are the ones it had, and
    /// nothing needs writing until the configuration changes.
    #[serde(default)]
    pub adopted: bool,
    /// The destination this attachment pointed the stage at: destroy gives the stage back only
    /// while it still logs there, whatever a refresh read into the state.
    #[serde(default)]
    pub applied: Option<String>,
    /// Set by an import that took over another attachment's claim: the read that completes the
    /// import warns once that two configurations could now manage the stage.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub announce_import: bool,
}

impl Private {
    /// Unreadable or empty private state reads as nothing cached: the stage's tags are the
    /// record.
    pub fn decode(bytes: &[u8]) -> Private {
        serde_json::from_slice(bytes).unwrap_or_default()
    }

    pub fn encode(&self) -> Vec<u8> {
        serde_json::to_vec(self).expect("private state always serializes")
    }
}
