//! Plan rules and planned values every stream resource shares: the `s3` block's rules across
//! attributes, and `tags_all` with the rules AWS sets on the tags.

use std::collections::BTreeMap;

use crate::firehose_prefix;
use crate::plugin::diagnostics::{AttrPath, Diagnostics};
use crate::plugin::value::Value;
use crate::validators::{MAX_TAGS, iam_refuses};

use super::fields::{ERROR_LOGGING, ROLE_ARN, S3, TAGS, error_logging, s3};
use super::{merge_tags, string_map};

/// The tags the provider adds of its own, counted against the 50-tag limit.
#[derive(Debug, Clone, Copy)]
pub struct Reserved {
    pub count: usize,
    /// What they are, for the message.
    pub what: &'static str,
}

/// Rules of the `s3` block across its attributes. Unknown values pass.
pub fn validate_s3(config: &Value, diags: &mut Diagnostics) {
    let block = config.attr(S3);
    let uses_expressions = block
        .attr(s3::PREFIX)
        .as_str()
        .is_some_and(firehose_prefix::has_expressions);
    // Firehose Developer Guide, "Understand custom prefixes for Amazon S3 objects":
    // "ErrorOutputPrefix can be null only if Prefix contains no expressions".
    if uses_expressions && block.attr(s3::ERROR_OUTPUT_PREFIX).is_null() {
        diags.attr_error(
            &AttrPath::attrs([S3, s3::ERROR_OUTPUT_PREFIX]),
            "Missing error_output_prefix",
            "s3.error_output_prefix is required when s3.prefix uses !{...} expressions: Firehose needs \
             somewhere to put records whose prefix could not be evaluated.",
        );
    }
}

/// Rules on the tags as AWS receives them: `tags` merged over the provider's `default_tags`,
/// with the provider's ownership tag added, on the stream and (unless `role_arn` is set) on the
/// role the provider creates. Checked at plan on what is known of them: `tags_all` holds the
/// known tags, and `complete` says whether those are all there will be (the count needs them
/// all).
pub fn check_tags_all(
    config: &Value,
    tags_all: &BTreeMap<String, String>,
    complete: bool,
    own: Option<&BTreeMap<String, String>>,
    reserved: Reserved,
    diags: &mut Diagnostics,
) {
    let tags = AttrPath::attrs([TAGS]);
    let total = tags_all.len() + reserved.count;
    if complete && total > MAX_TAGS {
        diags.attr_error(
            &tags,
            "Too many tags",
            format!(
                "tags: with the provider's default_tags and its own {} tags ({}), the stream and \
                 role would carry {total} tags; Firehose and IAM take at most {MAX_TAGS} per stream \
                 and per role.",
                reserved.count, reserved.what
            ),
        );
    }
    // The same tags go on the role and the error log group the provider creates, where IAM
    // and CloudWatch Logs add rules of their own.
    let owned_role = config.attr(ROLE_ARN).is_null();
    let logging = config.attr(ERROR_LOGGING);
    let owned_group = logging
        .attr(error_logging::ENABLED)
        .as_bool()
        .unwrap_or(error_logging::DEFAULT_ENABLED)
        && logging.attr(error_logging::LOG_GROUP_NAME).is_null();
    if !owned_role && !owned_group {
        return;
    }
    let goes_on = match (owned_role, owned_group) {
        (true, true) => "the role and the log group the provider creates",
        (true, false) => "the role the provider creates",
        _ => "the error log group the provider creates",
    };
    let origin = |k: &str| {
        if own.is_some_and(|t| t.contains_key(k)) {
            (tags.key(k), format!("tags[{k:?}]"))
        } else {
            (tags.clone(), format!("default_tags tag {k:?}"))
        }
    };
    let mut refuse = |k: &str, rule: String| {
        let (path, origin) = origin(k);
        diags.attr_error(
            &path,
            "Invalid tag",
            format!(
                "{origin}: {rule}, and these tags go on {goes_on}. Leave it out, or bring your \
                 own (role_arn, error_logging.log_group_name) so that it goes on the stream only."
            ),
        );
    };
    let mut lowercase_keys: BTreeMap<String, &str> = BTreeMap::new();
    for (k, v) in tags_all {
        // IAM's and CloudWatch Logs' tag patterns take the same characters (botocore iam
        // tagKeyType/tagValueType; logs TagKey/TagValue: `[\p{L}\p{Z}\p{N}_.:/=+\-@]`).
        if let Some(c) = k.chars().chain(v.chars()).find(|c| iam_refuses(*c)) {
            let who = match owned_role {
                true => "IAM",
                false => "CloudWatch Logs",
            };
            refuse(
                k,
                format!(
                    "{who} does not take {c:?} in tag keys or values (botocore iam \
                     tagKeyType/tagValueType, logs TagKey/TagValue)"
                ),
            );
        }
        if !owned_role {
            continue;
        }
        // IAM User Guide, "Tagging IAM resources": "You cannot create a tag key or value that
        // begins with the text aws:" (keys are checked for both services by the Tags validator).
        if v.get(..4).is_some_and(|p| p.eq_ignore_ascii_case("aws:")) {
            refuse(
                k,
                "IAM refuses tag values that begin with \"aws:\"".to_owned(),
            );
        }
        // The same page: tag keys of an IAM resource are not case sensitive, so `Env` and
        // `env` would be one tag on the role and two on the stream.
        if let Some(first) = lowercase_keys.insert(k.to_lowercase(), k) {
            refuse(
                k,
                format!("IAM tag keys are not case sensitive, so it is the same key as {first:?}"),
            );
        }
    }
}

pub fn set(planned: &mut Value, name: &str, value: Value) {
    if let Some(slot) = planned.attr_mut(name) {
        *slot = value;
    }
}

/// Plans `tags_all`: `tags` merged over the provider's `default_tags` when both are known,
/// else unknown (a provider block that depends on other resources is configured with unknown
/// values during plan). The tag rules are checked on whatever is known.
pub fn plan_tags_all(
    config: &Value,
    tags: &Value,
    default_tags: Option<&BTreeMap<String, String>>,
    reserved: Reserved,
    diags: &mut Diagnostics,
) -> Value {
    let own = string_map(tags);
    let mut merged = merge_tags(&default_tags.cloned().unwrap_or_default(), own.as_ref());
    // A resource tag whose value is unknown overrides a default of the same key all the same.
    if let Some(m) = tags.as_map() {
        merged.retain(|k, _| m.get(k).is_none_or(Value::is_wholly_known));
    }
    let complete = default_tags.is_some() && tags.is_wholly_known();
    check_tags_all(config, &merged, complete, own.as_ref(), reserved, diags);
    if !complete {
        return Value::unknown();
    }
    Value::Map(
        merged
            .into_iter()
            .map(|(k, v)| (k, Value::from(v)))
            .collect(),
    )
}
