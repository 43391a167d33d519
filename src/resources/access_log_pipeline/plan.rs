//! Plan-time rules across attributes, and the computed values a plan can already know.

use std::collections::BTreeMap;

use crate::plugin::diagnostics::{AttrPath, Diagnostics};
use crate::plugin::framework::PlanRequest;
use crate::plugin::value::Value;

use super::model::{Private, destination_uri, merge_tags, planned_bucket_policy};
use super::names;

/// Rules that involve more than one attribute. Unknown values pass.
pub fn validate(config: &Value, diags: &mut Diagnostics) {
    let s3 = config.attr("s3");
    let uses_expressions = s3.attr("prefix").as_str().is_some_and(|p| p.contains("!{"));
    if uses_expressions && s3.attr("error_output_prefix").is_null() {
        diags.attr_error(
            &AttrPath::attrs(["s3", "error_output_prefix"]),
            "Missing error_output_prefix",
            "s3.error_output_prefix is required when s3.prefix uses !{...} expressions: Firehose needs \
             somewhere to put records whose prefix could not be evaluated.",
        );
    }
}

fn set(planned: &mut Value, name: &str, value: Value) {
    if let Some(slot) = planned.attr_mut(name) {
        *slot = value;
    }
}

fn string_map(v: &Value) -> Option<BTreeMap<String, String>> {
    v.as_map().map(|m| {
        m.iter()
            .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_owned())))
            .collect()
    })
}

/// Fills in what the plan can know: the id, the derived stream name, the merged tags and the
/// destination URI; marks the role unknown when the provider is about to create one.
pub fn modify(
    req: &PlanRequest<'_>,
    planned: &mut Value,
    default_tags: &BTreeMap<String, String>,
) -> Vec<u8> {
    let (api, stage) = (
        planned.attr("rest_api_id").clone(),
        planned.attr("stage_name").clone(),
    );
    let id = match (api.as_str(), stage.as_str()) {
        (Some(a), Some(s)) => Value::from(format!("{a}/{s}")),
        _ => Value::unknown(),
    };
    set(planned, "id", id);

    if planned.attr("delivery_stream_name").is_unknown()
        && req.config.attr("delivery_stream_name").is_null()
    {
        if let (Some(a), Some(s)) = (api.as_str(), stage.as_str()) {
            set(
                planned,
                "delivery_stream_name",
                names::default_stream_name(a, s).into(),
            );
        }
    }

    // A configuration that drops role_arn asks for a provider-owned role. If the prior role was
    // brought along rather than owned, one will be made, so its ARN is not known yet.
    let private = Private::decode(req.prior_private);
    if !req.prior.is_null() && req.config.attr("role_arn").is_null() && private.owned_role.is_none()
    {
        set(planned, "role_arn", Value::unknown());
    }

    let tags_all = match planned.attr("tags") {
        Value::Unknown(_) => Value::unknown(),
        tags if !tags.is_wholly_known() => Value::unknown(),
        tags => {
            let merged = merge_tags(default_tags, string_map(tags).as_ref());
            Value::Map(
                merged
                    .into_iter()
                    .map(|(k, v)| (k, Value::from(v)))
                    .collect(),
            )
        }
    };
    set(planned, "tags_all", tags_all);

    let s3 = planned.attr("s3");
    let uri = match (s3.attr("bucket_arn"), s3.attr("prefix")) {
        (Value::String(bucket), Value::String(prefix)) => {
            destination_uri(bucket, Some(prefix)).into()
        }
        (Value::String(bucket), Value::Null) => destination_uri(bucket, None).into(),
        _ => Value::unknown(),
    };
    set(planned, "s3_destination_uri", uri);
    let bucket_policy = planned_bucket_policy(planned);
    set(planned, "bucket_policy_json", bucket_policy);
    req.prior_private.to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expressions_in_prefix_need_an_error_prefix() {
        let config = Value::object([(
            "s3",
            Value::object([("prefix", "logs/!{timestamp:yyyy}/".into())]),
        )]);
        let mut d = Diagnostics::new();
        validate(&config, &mut d);
        assert_eq!(
            d.0[0].attribute.as_ref().unwrap().to_string(),
            "s3.error_output_prefix"
        );
        let unknown = Value::object([("s3", Value::object([("prefix", Value::unknown())]))]);
        let mut d = Diagnostics::new();
        validate(&unknown, &mut d);
        assert!(d.0.is_empty());
    }

    #[test]
    fn plan_derives_id_name_tags_and_uri() {
        let mut planned = Value::object([
            ("rest_api_id", "abc123".into()),
            ("stage_name", "prod".into()),
            ("id", Value::unknown()),
            ("delivery_stream_name", Value::unknown()),
            ("role_arn", Value::unknown()),
            ("tags", Value::Null),
            ("tags_all", Value::unknown()),
            (
                "s3",
                Value::object([
                    ("bucket_arn", "arn:aws:s3:::logs".into()),
                    ("prefix", Value::Null),
                ]),
            ),
            ("s3_destination_uri", Value::unknown()),
        ]);
        let config = Value::object([
            ("delivery_stream_name", Value::Null),
            ("role_arn", Value::Null),
        ]);
        let req = PlanRequest {
            prior: &Value::Null,
            config: &config,
            prior_private: &[],
        };
        let defaults = BTreeMap::from([("team".to_owned(), "a".to_owned())]);
        modify(&req, &mut planned, &defaults);
        assert_eq!(planned.attr("id"), &Value::from("abc123/prod"));
        assert_eq!(
            planned.attr("delivery_stream_name"),
            &Value::from("amazon-apigateway-abc123-prod")
        );
        assert_eq!(
            planned.attr("tags_all").as_map().unwrap().get("team"),
            Some(&Value::from("a"))
        );
        assert_eq!(
            planned.attr("s3_destination_uri"),
            &Value::from("s3://logs/")
        );
        assert!(planned.attr("role_arn").is_unknown());
    }
}
