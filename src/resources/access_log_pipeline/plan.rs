//! Plan-time rules across attributes, and the computed values a plan can already know.

use std::collections::BTreeMap;

use crate::plugin::diagnostics::Diagnostics;
use crate::plugin::framework::PlanRequest;
use crate::plugin::value::Value;

use super::super::stage_log;
use crate::resources::stream_parts::plan as plan_parts;
use crate::resources::stream_parts::plan::{Reserved, set};
use crate::resources::stream_parts::{catalog_table, error_logging, settings};

use super::fields::*;
use super::model::Private;
use super::names;
use super::ownership::RESERVED_TAGS;

/// Rules that involve more than one attribute. Unknown values pass.
pub fn validate(config: &Value, diags: &mut Diagnostics) {
    catalog_table::validate(config, DEFAULT_FORMAT, diags);
    plan_parts::validate_s3(config, diags);
    stage_log::validate_format(config, diags);
    error_logging::validate(config, diags);
}

/// The tags the pipeline adds of its own, counted against the 50-tag limit.
const RESERVED: Reserved = Reserved {
    count: RESERVED_TAGS,
    what: "the owner and the record of the stage's earlier settings",
};

/// Fills in what the plan can know: the id, the derived stream name, the merged tags and the
/// destination URI; marks the role unknown when the provider is about to create one.
/// `default_tags` is None while the provider's defaults are unknown.
pub fn modify(
    req: &PlanRequest<'_>,
    planned: &mut Value,
    default_tags: Option<&BTreeMap<String, String>>,
    diags: &mut Diagnostics,
) -> Vec<u8> {
    let (api, stage) = (
        planned.attr(REST_API_ID).clone(),
        planned.attr(STAGE_NAME).clone(),
    );
    let id = match (api.as_str(), stage.as_str()) {
        (Some(a), Some(s)) => Value::from(format!("{a}/{s}")),
        _ => Value::unknown(),
    };
    set(planned, ID, id);

    if planned.attr(DELIVERY_STREAM_NAME).is_unknown()
        && req.config.attr(DELIVERY_STREAM_NAME).is_null()
    {
        if let (Some(a), Some(s)) = (api.as_str(), stage.as_str()) {
            set(
                planned,
                DELIVERY_STREAM_NAME,
                names::default_stream_name(a, s).into(),
            );
        }
    }

    // A configuration that drops role_arn asks for a provider-owned role. If the prior role was
    // brought along rather than owned, one will be made, so its ARN is not known yet; so too
    // when refresh found the owned role gone or changed (its ARN then reads null). A stream
    // made outside this provider (an import) keeps its role: the pipeline never changes it.
    let private = Private::decode(req.prior_private).unwrap_or_default();
    if !req.prior.is_null() && req.config.attr(ROLE_ARN).is_null() {
        let prior_role = req.prior.attr(ROLE_ARN);
        let brought_along = private.owned_role.is_none() && !private.foreign_stream;
        if prior_role.is_null() || brought_along {
            set(planned, ROLE_ARN, Value::unknown());
        }
    }
    // A stream deleted outside Terraform reads back without an ARN: the apply makes it again.
    if !req.prior.is_null() && req.prior.attr(DELIVERY_STREAM_ARN).is_null() {
        set(planned, DELIVERY_STREAM_ARN, Value::unknown());
    }

    error_logging::plan(req.config, planned, DELIVERY_STREAM_NAME);

    let tags_all = plan_parts::plan_tags_all(
        req.config,
        planned.attr(TAGS),
        default_tags,
        RESERVED,
        diags,
    );
    set(planned, TAGS_ALL, tags_all);

    settings::plan_derived(planned);
    catalog_table::plan(req.prior, planned);
    req.prior_private.to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::log_format;
    use crate::resources::stream_parts::merge_tags;
    use crate::resources::stream_parts::plan::{check_tags_all, plan_tags_all};

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
    fn the_added_newline_counts_toward_the_template_quota() {
        let at_quota = format!(
            "$context.requestId{}",
            " ".repeat(log_format::MAX_FORMAT_BYTES - "$context.requestId".len())
        );
        let check = |append: Option<bool>| {
            let mut config = vec![("format", Value::from(at_quota.as_str()))];
            if let Some(a) = append {
                config.push(("append_newline", a.into()));
            }
            let mut d = Diagnostics::new();
            validate(&Value::object(config), &mut d);
            d.0.iter()
                .map(|d| d.attribute.as_ref().unwrap().to_string())
                .collect::<Vec<_>>()
        };
        assert_eq!(check(None), ["format"]);
        assert_eq!(check(Some(true)), ["format"]);
        assert!(check(Some(false)).is_empty());
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
        let mut diags = Diagnostics::new();
        modify(&req, &mut planned, Some(&defaults), &mut diags);
        assert!(diags.0.is_empty(), "{diags:?}");
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

    #[test]
    fn unknown_defaults_or_tag_values_plan_tags_all_unknown_and_check_the_rest() {
        let owned = Value::object([("role_arn", Value::Null)]);
        let tags = Value::Map(
            [
                ("team".to_owned(), Value::from("a")),
                ("run".to_owned(), Value::unknown()),
            ]
            .into(),
        );
        let defaults = BTreeMap::from([("env".to_owned(), "dev".to_owned())]);
        let mut d = Diagnostics::new();
        assert!(plan_tags_all(&owned, &tags, Some(&defaults), RESERVED, &mut d).is_unknown());
        assert!(plan_tags_all(&owned, &Value::Null, None, RESERVED, &mut d).is_unknown());
        assert!(
            plan_tags_all(&owned, &Value::unknown(), Some(&defaults), RESERVED, &mut d)
                .is_unknown()
        );
        assert!(d.0.is_empty(), "{d:?}");
        let known = plan_tags_all(&owned, &Value::Null, Some(&defaults), RESERVED, &mut d);
        assert_eq!(
            known.as_map().unwrap().get("env"),
            Some(&Value::from("dev"))
        );

        // What is known is still checked; the count is not, without all the tags.
        let bad = Value::Map([("share".to_owned(), Value::from("50%"))].into());
        let mut d = Diagnostics::new();
        assert!(plan_tags_all(&owned, &bad, None, RESERVED, &mut d).is_unknown());
        assert_eq!(d.0.len(), 1, "{d:?}");
        assert_eq!(
            d.0[0].attribute.as_ref().unwrap().to_string(),
            "tags[\"share\"]"
        );
        // A default overridden by a resource tag of unknown value is not checked.
        let overriding = Value::Map([("share".to_owned(), Value::unknown())].into());
        let mut d = Diagnostics::new();
        let defaults = BTreeMap::from([("share".to_owned(), "50%".to_owned())]);
        plan_tags_all(&owned, &overriding, Some(&defaults), RESERVED, &mut d);
        assert!(d.0.is_empty(), "{d:?}");
    }

    fn tags_of(n: usize, prefix: &str) -> BTreeMap<String, String> {
        (0..n)
            .map(|i| (format!("{prefix}{i}"), "v".to_owned()))
            .collect()
    }

    fn tag_rules(
        config: &Value,
        tags: &BTreeMap<String, String>,
        defaults: &BTreeMap<String, String>,
    ) -> Vec<String> {
        let mut diags = Diagnostics::new();
        check_tags_all(
            config,
            &merge_tags(defaults, Some(tags)),
            true,
            Some(tags),
            RESERVED,
            &mut diags,
        );
        diags.0.into_iter().map(|d| d.detail).collect()
    }

    #[test]
    fn the_merged_tags_and_the_providers_own_fit_in_fifty() {
        let owned = Value::object([("role_arn", Value::Null)]);
        assert!(tag_rules(&owned, &tags_of(25, "a"), &tags_of(23, "d")).is_empty());
        let d = tag_rules(&owned, &tags_of(25, "a"), &tags_of(24, "d"));
        assert_eq!(d.len(), 1);
        assert!(d[0].contains("would carry 51 tags"), "{}", d[0]);
        // A resource tag that overrides a default counts once.
        assert!(tag_rules(&owned, &tags_of(25, "a"), &tags_of(24, "a")).is_empty());
    }

    #[test]
    fn a_percent_sign_is_refused_only_on_an_owned_role_or_log_group() {
        let tags = BTreeMap::from([("share".to_owned(), "50%".to_owned())]);
        let owned = Value::object([("role_arn", Value::Null)]);
        let d = tag_rules(&owned, &tags, &BTreeMap::new());
        assert_eq!(d.len(), 1);
        assert!(
            d[0].starts_with("tags[\"share\"]: IAM does not take '%'"),
            "{}",
            d[0]
        );
        // With a role of one's own, the log group the provider makes still takes the tags.
        let own_role = Value::object([("role_arn", "arn:aws:iam::123456789012:role/r".into())]);
        let d = tag_rules(&own_role, &tags, &BTreeMap::new());
        assert!(
            d[0].contains("CloudWatch Logs does not take '%'"),
            "{}",
            d[0]
        );
        let own_both = Value::object([
            ("role_arn", "arn:aws:iam::123456789012:role/r".into()),
            (
                "error_logging",
                Value::object([("log_group_name", "mine".into())]),
            ),
        ]);
        assert!(tag_rules(&own_both, &tags, &BTreeMap::new()).is_empty());
        let no_logging = Value::object([
            ("role_arn", "arn:aws:iam::123456789012:role/r".into()),
            ("error_logging", Value::object([("enabled", false.into())])),
        ]);
        assert!(tag_rules(&no_logging, &tags, &BTreeMap::new()).is_empty());
        let d = tag_rules(&owned, &BTreeMap::new(), &tags);
        assert!(d[0].starts_with("default_tags tag \"share\""), "{}", d[0]);
    }

    #[test]
    fn iam_refuses_aws_values_and_keys_equal_but_for_case_on_an_owned_role() {
        let owned = Value::object([("role_arn", Value::Null)]);
        let own_role = Value::object([("role_arn", "arn:aws:iam::123456789012:role/r".into())]);
        let tags = BTreeMap::from([("origin".to_owned(), "AWS:console".to_owned())]);
        let d = tag_rules(&owned, &tags, &BTreeMap::new());
        assert_eq!(d.len(), 1);
        assert!(d[0].contains("begin with \"aws:\""), "{}", d[0]);
        assert!(tag_rules(&own_role, &tags, &BTreeMap::new()).is_empty());

        let tags = BTreeMap::from([("env".to_owned(), "prod".to_owned())]);
        let defaults = BTreeMap::from([("Env".to_owned(), "dev".to_owned())]);
        let d = tag_rules(&owned, &tags, &defaults);
        assert_eq!(d.len(), 1);
        assert!(d[0].starts_with("tags[\"env\"]"), "{}", d[0]);
        assert!(d[0].contains("same key as \"Env\""), "{}", d[0]);
        assert!(tag_rules(&own_role, &tags, &defaults).is_empty());
    }
}
