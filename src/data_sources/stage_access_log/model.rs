//! The data source's typed model: its configuration read from a value, and what it found
//! written back as one, each in one place.

use crate::aws::arn::Arn;
use crate::log_format;
use crate::plugin::value::Value;
use crate::resources::access_log_pipeline;
use crate::stage;

/// The stage the configuration names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    pub rest_api_id: String,
    pub stage_name: String,
}

impl Config {
    /// Reads a wholly known configuration.
    pub fn from_value(v: &Value) -> Config {
        let text = |name: &str| v.attr(name).as_str().unwrap_or_default().to_owned();
        Config {
            rest_api_id: text("rest_api_id"),
            stage_name: text("stage_name"),
        }
    }
}

/// The services a stage's access logs can go to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DestinationKind {
    None,
    CloudWatch,
    Firehose,
}

impl DestinationKind {
    /// The kind of a destination, by its ARN's service. AccessLogSettings.destinationArn is
    /// "The Amazon Resource Name (ARN) of the CloudWatch Logs log group or Kinesis Data Firehose
    /// delivery stream to receive access logs" (botocore data/apigateway/2015-07-09/
    /// service-2.json), so an ARN of any other service is an error.
    pub fn of(destination_arn: &str) -> Result<DestinationKind, String> {
        let arn = Arn::parse(destination_arn).map_err(|e| format!("it {e}"))?;
        match arn.service.as_str() {
            "logs" => Ok(DestinationKind::CloudWatch),
            "firehose" => Ok(DestinationKind::Firehose),
            other => Err(format!(
                "it is an ARN of service {other:?}, neither a CloudWatch Logs log group (logs) nor a Firehose stream (firehose)"
            )),
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            DestinationKind::None => "none",
            DestinationKind::CloudWatch => "cloudwatch",
            DestinationKind::Firehose => "firehose",
        }
    }
}

/// Which of this provider's resource types manages a stage's access logs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ManagedBy {
    /// The stream the stage logs to is a pipeline's.
    Pipeline,
    /// The stage carries an attachment's claim tag: the `apigw_stage_access_log` resource,
    /// whose name this data source shares.
    Attachment,
}

impl ManagedBy {
    fn as_str(self) -> &'static str {
        match self {
            ManagedBy::Pipeline => access_log_pipeline::TYPE_NAME,
            ManagedBy::Attachment => super::TYPE_NAME,
        }
    }
}

/// What was found on the stage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Description {
    pub config: Config,
    pub destination_kind: DestinationKind,
    pub destination_arn: Option<String>,
    /// The format as the stage holds it.
    pub format: Option<String>,
    pub managed_by: Option<ManagedBy>,
}

impl Description {
    /// The data source's state; the preset, the newline and `managed` follow from the rest.
    pub fn to_value(&self) -> Value {
        let format = self.format.as_deref();
        Value::object([
            (
                "id",
                stage::id(&self.config.rest_api_id, &self.config.stage_name).into(),
            ),
            ("rest_api_id", self.config.rest_api_id.clone().into()),
            ("stage_name", self.config.stage_name.clone().into()),
            ("destination_kind", self.destination_kind.as_str().into()),
            ("destination_arn", self.destination_arn.clone().into()),
            ("format", format.map(str::to_owned).into()),
            (
                "format_preset",
                format.and_then(log_format::preset_of).into(),
            ),
            (
                "ends_with_newline",
                format.map(|f| f.ends_with('\n')).into(),
            ),
            ("managed_by", self.managed_by.map(ManagedBy::as_str).into()),
            ("managed", self.managed_by.is_some().into()),
        ])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plugin::types::Type;

    fn config() -> Config {
        Config {
            rest_api_id: "abc123".into(),
            stage_name: "prod".into(),
        }
    }

    #[test]
    fn the_state_has_exactly_the_schemas_attributes() {
        let Type::Object(attrs) = super::super::schema::schema().value_type() else {
            panic!("a schema's type is an object");
        };
        let description = Description {
            config: config(),
            destination_kind: DestinationKind::None,
            destination_arn: None,
            format: None,
            managed_by: None,
        };
        let Value::Object(state) = description.to_value() else {
            panic!("the state is an object");
        };
        let names = |keys: Vec<&String>| keys.into_iter().cloned().collect::<Vec<_>>();
        assert_eq!(names(state.keys().collect()), names(attrs.keys().collect()));
    }

    #[test]
    fn a_stage_that_logs_nowhere_has_nulls_and_is_not_managed() {
        let v = Description {
            config: config(),
            destination_kind: DestinationKind::None,
            destination_arn: None,
            format: None,
            managed_by: None,
        }
        .to_value();
        assert_eq!(v.attr("id"), &Value::from("abc123/prod"));
        assert_eq!(v.attr("destination_kind"), &Value::from("none"));
        for name in [
            "destination_arn",
            "format",
            "format_preset",
            "ends_with_newline",
            "managed_by",
        ] {
            assert!(v.attr(name).is_null(), "{name}: {:?}", v.attr(name));
        }
        assert_eq!(v.attr("managed"), &Value::Bool(false));
    }

    #[test]
    fn the_format_gives_the_preset_and_the_newline() {
        let with = |format: &str, managed_by| {
            Description {
                config: config(),
                destination_kind: DestinationKind::Firehose,
                destination_arn: Some(
                    "arn:aws:firehose:us-east-1:123456789012:deliverystream/amazon-apigateway-x"
                        .into(),
                ),
                format: Some(format.to_owned()),
                managed_by,
            }
            .to_value()
        };
        let v = with(&format!("{}\n", log_format::CSV), Some(ManagedBy::Pipeline));
        assert_eq!(v.attr("format_preset"), &Value::from("csv"));
        assert_eq!(v.attr("ends_with_newline"), &Value::Bool(true));
        assert_eq!(
            v.attr("managed_by"),
            &Value::from("apigw_access_log_pipeline")
        );
        assert_eq!(v.attr("managed"), &Value::Bool(true));
        let v = with("$context.requestId", Some(ManagedBy::Attachment));
        assert!(v.attr("format_preset").is_null());
        assert_eq!(v.attr("ends_with_newline"), &Value::Bool(false));
        assert_eq!(v.attr("managed_by"), &Value::from("apigw_stage_access_log"));
    }

    #[test]
    fn the_kind_is_the_arns_service() {
        assert_eq!(
            DestinationKind::of("arn:aws:logs:us-east-1:123456789012:log-group:api"),
            Ok(DestinationKind::CloudWatch)
        );
        assert_eq!(
            DestinationKind::of(
                "arn:aws-cn:firehose:cn-north-1:123456789012:deliverystream/amazon-apigateway-x"
            ),
            Ok(DestinationKind::Firehose)
        );
        let other = DestinationKind::of("arn:aws:s3:::bucket").unwrap_err();
        assert!(other.contains("\"s3\""), "{other}");
        let junk = DestinationKind::of("not an arn").unwrap_err();
        assert!(junk.contains("must be an ARN"), "{junk}");
    }

    #[test]
    fn the_configuration_reads_both_names() {
        let v = Value::object([
            ("rest_api_id", "abc123".into()),
            ("stage_name", "prod".into()),
            ("format", Value::Null),
        ]);
        assert_eq!(Config::from_value(&v), config());
    }
}
