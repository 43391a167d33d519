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
    // "Partition streaming data in Amazon Data Firehose": the minimum buffer size is 64 MiB.
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
    req.prior_private.to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn a_catalog_of_a_partitioned_stream_is_refused_at_the_prefix() {
        let mut c = config(
            true,
            vec![
                ("prefix", Value::from(partitioning::suggested_prefix())),
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
        assert_eq!(paths(&c), ["s3.prefix"]);
    }
}
