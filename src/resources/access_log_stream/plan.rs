//! Plan-time rules across attributes (dynamic partitioning's among them), and the computed
//! values a plan can already know.

use std::collections::BTreeMap;

use crate::plugin::diagnostics::{AttrPath, Diagnostics};
use crate::plugin::framework::PlanRequest;
use crate::plugin::value::Value;
use crate::resources::stream_parts::plan::{self as plan_parts, Reserved, set};
use crate::resources::stream_parts::{
    catalog_table, error_logging, map_value, partitioning, settings,
};

use super::fields::{s3 as in_s3, *};
use super::formats;
use super::model::{Private, RESERVED_TAGS};

/// Rules that involve more than one attribute. Unknown values pass.
pub fn validate(config: &Value, diags: &mut Diagnostics) {
    plan_parts::validate_s3(config, diags);
    catalog_table::validate(config, &formats::json(), diags);
    error_logging::validate(config, diags);
    let s3 = config.attr(S3);
    let prefix = s3.attr(in_s3::PREFIX);
    let keys_used: Vec<bool> = partitioning::KEYS
        .iter()
        .map(|(k, _)| {
            prefix
                .as_str()
                .is_some_and(|p| p.contains(&partitioning::key_expression(k)))
        })
        .collect();
    // Left out, partitioning is off (its default); unknown, it is checked once known.
    let partitioning = match config.attr(PARTITIONING) {
        Value::Null => Some(DEFAULT_PARTITIONING),
        v => v.as_bool(),
    };
    match partitioning {
        None => {}
        Some(false) if keys_used.iter().any(|u| *u) => {
            diags.attr_error(
                &AttrPath::attrs([S3, in_s3::PREFIX]),
                "Partition keys without partitioning",
                "s3.prefix uses !{partitionKeyFromQuery:...}, which Firehose evaluates only with \
                 dynamic partitioning: set partitioning = true, or leave the keys out.",
            );
        }
        Some(false) => {}
        Some(true) => validate_partitioned(config, prefix, &keys_used, diags),
    }
}

/// The rules of a partitioned stream (see `stream_parts::partitioning` for the sources).
fn validate_partitioned(
    config: &Value,
    prefix: &Value,
    keys_used: &[bool],
    diags: &mut Diagnostics,
) {
    let s3 = config.attr(S3);
    let format = match config.attr(FORMAT) {
        Value::Null => Some(formats::json()),
        v => v.as_str().map(str::to_owned),
    };
    if let Some(why) = format.as_deref().and_then(partitioning::unpartitionable) {
        diags.attr_error(
            &AttrPath::attrs([FORMAT]),
            "Format cannot be partitioned",
            format!("format: {why}. Use formats[\"json\"], or leave format out."),
        );
    }
    // Firehose takes no smaller buffer with dynamic partitioning (see partitioning::MIN_BUFFER_MIB).
    let size = match s3.attr(in_s3::BUFFERING_SIZE_MIB) {
        Value::Null => Some(in_s3::DEFAULT_BUFFERING_SIZE_MIB),
        v => v.as_number().and_then(|n| n.as_i64()),
    };
    if let Some(size) = size.filter(|s| *s < partitioning::MIN_BUFFER_MIB) {
        diags.attr_error(
            &AttrPath::attrs([S3, in_s3::BUFFERING_SIZE_MIB]),
            "Buffer too small for partitioning",
            format!(
                "s3.buffering_size_mib: must be at least {} with partitioning (got {size}); Firehose \
                 takes no smaller buffer with dynamic partitioning.",
                partitioning::MIN_BUFFER_MIB
            ),
        );
    }
    // "Buffer data for dynamic partitioning": zero buffering is not available with it.
    if s3
        .attr(in_s3::BUFFERING_INTERVAL_SECONDS)
        .as_number()
        .and_then(|n| n.as_i64())
        == Some(0)
    {
        diags.attr_error(
            &AttrPath::attrs([S3, in_s3::BUFFERING_INTERVAL_SECONDS]),
            "No zero buffering with partitioning",
            "s3.buffering_interval_seconds: must be more than 0 with partitioning; Firehose offers \
             no zero buffering with dynamic partitioning.",
        );
    }
    // "Troubleshoot dynamic partitioning errors": an error prefix is required (a prefix with
    // expressions already needs one, and `validate_s3` says so).
    let said = prefix
        .as_str()
        .is_some_and(crate::firehose_prefix::has_expressions);
    if s3.attr(in_s3::ERROR_OUTPUT_PREFIX).is_null() && !s3.is_unknown() && !said {
        diags.attr_error(
            &AttrPath::attrs([S3, in_s3::ERROR_OUTPUT_PREFIX]),
            "Missing error_output_prefix",
            "s3.error_output_prefix is required with partitioning: Firehose delivers the records \
             whose keys it cannot extract there.",
        );
    }
    let complete = prefix.is_null() || (prefix.as_str().is_some() && keys_used.iter().all(|u| *u));
    if !complete && !prefix.is_unknown() {
        diags.attr_error(
            &AttrPath::attrs([S3, in_s3::PREFIX]),
            "Prefix without the partition keys",
            format!(
                "s3.prefix: with partitioning it must use !{{partitionKeyFromQuery:api_id}} and \
                 !{{partitionKeyFromQuery:stage}}, so that each API and stage has its own objects; for \
                 example {:?}.",
                partitioning::suggested_prefix()
            ),
        );
    }
}

/// Fills in what the plan can know. `default_tags` is None while the provider's are unknown.
pub fn modify(
    req: &PlanRequest<'_>,
    planned: &mut Value,
    default_tags: Option<&BTreeMap<String, String>>,
    diags: &mut Diagnostics,
) -> Vec<u8> {
    let name = planned.attr(NAME).clone();
    set(planned, ID, name);
    set(planned, FORMATS, map_value(&formats::all()));
    let private = Private::decode(req.prior_private);
    if !req.prior.is_null() {
        // A role dropped from the configuration is made by the provider; so is one refresh
        // found gone or changed (its ARN reads null).
        if req.config.attr(ROLE_ARN).is_null()
            && (req.prior.attr(ROLE_ARN).is_null() || private.owned_role.is_none())
        {
            set(planned, ROLE_ARN, Value::unknown());
        }
        if req.prior.attr(ARN).is_null() {
            set(planned, ARN, Value::unknown());
        }
    }
    error_logging::plan(req.config, planned, NAME);
    let reserved = Reserved {
        count: RESERVED_TAGS,
        what: "the owner tag",
    };
    let tags_all = plan_parts::plan_tags_all(
        req.config,
        planned.attr(TAGS),
        default_tags,
        reserved,
        diags,
    );
    set(planned, TAGS_ALL, tags_all);
    settings::plan_derived(planned);
    catalog_table::plan(req.prior, planned);
    warn_of_replacement(req.prior, planned, diags);
    req.prior_private.to_vec()
}

/// Turning partitioning on or off replaces the stream: Firehose takes
/// `DynamicPartitioningConfiguration` only at creation (botocore
/// data/firehose/2015-08-04/service-2.json: "You cannot enable dynamic partitioning for an
/// existing Firehose stream"), and a stream's name is taken until its delete has finished. The
/// stages that log to it log nowhere in between, so the plan says so.
fn warn_of_replacement(prior: &Value, planned: &Value, diags: &mut Diagnostics) {
    let (before, after) = (prior.attr(PARTITIONING), planned.attr(PARTITIONING));
    if prior.is_null() || after.is_unknown() || before == after {
        return;
    }
    diags.push(
        crate::plugin::diagnostics::Diagnostic::warning(
            "Stream to be replaced",
            "Firehose cannot turn dynamic partitioning on or off in place, so this apply deletes \
             the stream and makes it again under the same name and ARN. Every stage that logs to \
             it, in this configuration or any other, loses the records it sends until the new \
             stream is active (a few minutes). To avoid the gap, make a second stream with another \
             name and move the attachments over before removing this one.",
        )
        .at(AttrPath::attrs([PARTITIONING])),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn turning_partitioning_on_or_off_warns_that_the_stages_lose_records_meanwhile() {
        let with = |on: Value| Value::object([(PARTITIONING, on)]);
        let mut diags = Diagnostics::new();
        warn_of_replacement(&with(false.into()), &with(true.into()), &mut diags);
        warn_of_replacement(&with(true.into()), &with(false.into()), &mut diags);
        assert_eq!(diags.to_proto().len(), 2);
        assert!(
            diags
                .to_proto()
                .iter()
                .all(|d| d.summary == "Stream to be replaced")
        );
        let mut quiet = Diagnostics::new();
        warn_of_replacement(&Value::Null, &with(true.into()), &mut quiet);
        warn_of_replacement(&with(true.into()), &with(true.into()), &mut quiet);
        warn_of_replacement(&with(false.into()), &with(Value::unknown()), &mut quiet);
        assert!(quiet.to_proto().is_empty());
    }

    fn config(partitioning: bool, s3: Vec<(&str, Value)>, format: Value) -> Value {
        let mut s3v = vec![("bucket_arn", Value::from("arn:aws:s3:::logs"))];
        s3v.extend(s3);
        Value::object([
            ("partitioning", partitioning.into()),
            ("format", format),
            ("s3", Value::object(s3v)),
            ("catalog", Value::Null),
            ("error_logging", Value::Null),
        ])
    }

    fn paths(config: &Value) -> Vec<String> {
        let mut d = Diagnostics::new();
        validate(config, &mut d);
        d.0.iter()
            .map(|d| d.attribute.as_ref().unwrap().to_string())
            .collect()
    }

    #[test]
    fn partitioning_needs_its_buffer_error_prefix_keys_and_a_json_format() {
        let good = vec![
            ("prefix", Value::from(partitioning::suggested_prefix())),
            (
                "error_output_prefix",
                "errors/!{firehose:error-output-type}/".into(),
            ),
            ("buffering_size_mib", Value::int(64)),
        ];
        assert!(paths(&config(true, good.clone(), Value::Null)).is_empty());
        assert_eq!(
            paths(&config(true, good.clone(), crate::log_format::CLF.into())),
            ["format"]
        );
        let mut small = good.clone();
        small[2] = ("buffering_size_mib", Value::int(63));
        assert_eq!(
            paths(&config(true, small, Value::Null)),
            ["s3.buffering_size_mib"]
        );
        let mut no_keys = good.clone();
        no_keys[0] = ("prefix", "logs/".into());
        assert_eq!(paths(&config(true, no_keys, Value::Null)), ["s3.prefix"]);
        assert_eq!(
            paths(&config(false, good, Value::Null)),
            ["s3.prefix"],
            "keys without partitioning"
        );
    }

    #[test]
    fn a_catalog_of_a_partitioned_stream_projects_its_keys_unless_the_prefix_cannot_be() {
        let with_prefix = |prefix: &str| {
            let mut c = config(
                true,
                vec![
                    ("prefix", Value::from(prefix)),
                    (
                        "error_output_prefix",
                        "errors/!{firehose:error-output-type}/".into(),
                    ),
                    ("buffering_size_mib", Value::int(64)),
                ],
                Value::Null,
            );
            if let Value::Object(m) = &mut c {
                m.insert(
                    "catalog".to_owned(),
                    Value::object([("database", "logs".into()), ("table", "access".into())]),
                );
            }
            c
        };
        assert!(paths(&with_prefix(&partitioning::suggested_prefix())).is_empty());
        let unprojectable = "!{firehose:random-string}/!{partitionKeyFromQuery:api_id}/!{partitionKeyFromQuery:stage}/";
        let mut d = Diagnostics::new();
        validate(&with_prefix(unprojectable), &mut d);
        assert_eq!(d.0.len(), 1, "{:?}", d.0);
        assert_eq!(d.0[0].attribute.as_ref().unwrap().to_string(), "s3.prefix");
        assert!(
            d.0[0]
                .detail
                .contains("s3.prefix: !{firehose:random-string} cannot be projected"),
            "{:?}",
            d.0
        );
    }
}
