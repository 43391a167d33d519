//! A REST API's stage as the provider's resources and data sources name it: the `rest_api_id`
//! and `stage_name` arguments with their rules, the `<rest_api_id>/<stage_name>` id, and
//! reading the stage with an error that says which of the two is missing.

use crate::aws::apigateway::{self, Missing, Stage};
use crate::aws::clients::AwsClients;
use crate::aws::error::ErrorKind;
use crate::plugin::diagnostics::{AttrPath, Diagnostic, Diagnostics};
use crate::plugin::schema::Attribute;
use crate::plugin::types::Type;
use crate::plugin::validators::{Chars, Length};
use crate::resources::fields::{REST_API_ID, STAGE_NAME};

/// The required `rest_api_id` argument: 1 to 64 letters and digits.
pub fn rest_api_id_attribute(description: &'static str) -> Attribute {
    Attribute::required(REST_API_ID, Type::String, description)
        .validate(Length { min: 1, max: 64 })
        .validate(Chars {
            allowed: |c| c.is_ascii_alphanumeric(),
            explain: "letters and digits",
        })
}

/// The required `stage_name` argument. "Stage names can only contain alphanumeric characters,
/// hyphens, and underscores. Maximum length is 128 characters." (botocore
/// data/apigateway/2015-07-09/service-2.json, Stage.stageName).
pub fn stage_name_attribute(description: &'static str) -> Attribute {
    Attribute::required(STAGE_NAME, Type::String, description)
        .validate(Length { min: 1, max: 128 })
        .validate(Chars {
            allowed: |c| c.is_ascii_alphanumeric() || c == '-' || c == '_',
            explain: "letters, digits, '-' and '_'",
        })
}

/// `<rest_api_id>/<stage_name>`: the id of what describes or manages one stage, and its
/// import id.
pub fn id(rest_api_id: &str, stage_name: &str) -> String {
    format!("{rest_api_id}/{stage_name}")
}

/// Reads a stage; when it is not found, the error says whether the REST API itself is
/// missing or only the stage. `at_attributes` points the error at `rest_api_id` or
/// `stage_name` (not for an import, which has no configuration yet).
pub async fn find_or_say(
    clients: &AwsClients,
    rest_api_id: &str,
    stage_name: &str,
    at_attributes: bool,
) -> Result<Stage, Diagnostics> {
    let located = |attr: &str, summary: &str, detail: String| {
        let d = Diagnostic::error(summary, detail);
        if at_attributes {
            d.at(AttrPath::attrs([attr])).into()
        } else {
            Diagnostics::from(d)
        }
    };
    match apigateway::find_stage(clients, rest_api_id, stage_name).await {
        Ok(stage) => Ok(stage),
        Err(e) if e.is(ErrorKind::NotFound) => {
            match apigateway::which_is_missing(clients, rest_api_id).await {
                Ok(Missing::RestApi) => Err(located(
                    REST_API_ID,
                    "REST API not found",
                    format!(
                        "There is no REST API {rest_api_id:?} in region {}.",
                        clients.region
                    ),
                )),
                Ok(Missing::Stage) => Err(located(
                    STAGE_NAME,
                    "Stage not found",
                    format!(
                        "REST API {rest_api_id:?} has no stage {stage_name:?} in region {}. Deploy the API to that stage first.",
                        clients.region
                    ),
                )),
                Err(e) => Err(Diagnostic::error("Cannot read the REST API", e.to_string()).into()),
            }
        }
        Err(e) => Err(Diagnostic::error("Cannot read the stage", e.to_string()).into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plugin::schema::Schema;
    use crate::plugin::value::Value;

    #[test]
    fn the_arguments_name_their_rules() {
        let schema = Schema::new(
            "",
            vec![
                rest_api_id_attribute("The API."),
                stage_name_attribute("The stage."),
            ],
        );
        let mut diags = Diagnostics::new();
        let config = Value::object([
            ("rest_api_id", "abc-123".into()),
            ("stage_name", "prod.v1".into()),
        ]);
        schema.validate(&config, &mut diags);
        let found: Vec<(String, &str)> = diags
            .0
            .iter()
            .map(|d| (d.attribute.clone().unwrap().to_string(), d.detail.as_str()))
            .collect();
        assert_eq!(found.len(), 2, "{found:?}");
        assert_eq!(found[0].0, "rest_api_id");
        assert!(found[0].1.contains("letters and digits"), "{found:?}");
        assert_eq!(found[1].0, "stage_name");
        assert!(found[1].1.contains("'.' is not allowed"), "{found:?}");

        let mut diags = Diagnostics::new();
        let config = Value::object([
            ("rest_api_id", "abc123".into()),
            ("stage_name", "x".repeat(129).into()),
        ]);
        schema.validate(&config, &mut diags);
        assert_eq!(diags.0.len(), 1, "{diags:?}");
        assert!(
            diags.0[0].detail.contains("1 to 128 characters"),
            "{diags:?}"
        );
    }

    #[test]
    fn the_id_joins_api_and_stage() {
        assert_eq!(id("abc123", "prod"), "abc123/prod");
    }
}
