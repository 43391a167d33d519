//! `provider::apigw::log_format(name)`: the access-log format presets of the API Gateway console.

use crate::log_format::{PRESETS, preset};
use crate::plugin::framework::{Function, FunctionError, Parameter, Signature};
use crate::plugin::types::Type;
use crate::plugin::value::Value;

pub struct LogFormat;

impl Function for LogFormat {
    fn name(&self) -> &'static str {
        "log_format"
    }

    fn signature(&self) -> Signature {
        Signature {
            parameters: vec![Parameter {
                name: "name",
                ty: Type::String,
                description: "The preset: `clf`, `json`, `xml` or `csv`.",
            }],
            returns: Type::String,
            summary: "An API Gateway access-log format preset",
            description: "Returns the access-log format the API Gateway console offers under that name. Each \
                          contains `$context.requestId`.",
        }
    }

    fn call(&self, args: &[Value]) -> Result<Value, FunctionError> {
        let name = args
            .first()
            .and_then(Value::as_str)
            .ok_or_else(|| FunctionError {
                text: "name must be a known string".to_owned(),
                argument: Some(0),
            })?;
        // The argument is not quoted back: it may be sensitive, and Terraform does not say.
        preset(&name.to_ascii_lowercase())
            .map(Value::from)
            .ok_or_else(|| {
                let valid: Vec<&str> = PRESETS.iter().map(|(n, _)| *n).collect();
                FunctionError {
                    text: format!(
                        "not the name of a log format preset; valid names are {} (in any case)",
                        valid.join(", ")
                    ),
                    argument: Some(0),
                }
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presets_and_errors() {
        assert_eq!(
            LogFormat.call(&["clf".into()]).unwrap(),
            Value::from(crate::log_format::CLF)
        );
        assert_eq!(
            LogFormat.call(&["JSON".into()]).unwrap(),
            Value::from(crate::log_format::JSON)
        );
        let err = LogFormat.call(&["yaml".into()]).err().unwrap();
        assert!(err.text.contains("clf, json, xml, csv"), "{}", err.text);
        assert_eq!(err.argument, Some(0));
        for secret in ["yaml", "s3cr3t-canary", "\"quoted\""] {
            let err = LogFormat.call(&[secret.into()]).err().unwrap();
            assert!(!err.text.contains(secret), "{}", err.text);
        }
        assert!(LogFormat.call(&[Value::Null]).is_err());
    }
}
