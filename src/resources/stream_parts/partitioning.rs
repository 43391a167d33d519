//! Firehose dynamic partitioning per API and stage: the rules AWS sets for it and the
//! configuration the provider asks for.
//!
//! Sources: Firehose Developer Guide, "Partition streaming data in Amazon Data Firehose" and
//! its pages "Use inline parsing to create partitioning keys" (the `MetadataExtraction`
//! processor, a JQ 1.6 query over JSON records), "Use Amazon S3 bucket prefix to deliver data"
//! (`!{partitionKeyFromQuery:<key>}`), "Troubleshoot dynamic partitioning errors" (an error
//! prefix is required) and "Buffer data for dynamic partitioning" (no zero buffering); botocore
//! data/firehose/2015-08-04/service-2.json, `DynamicPartitioningConfiguration` ("You cannot
//! enable dynamic partitioning for an existing Firehose stream that does not have dynamic
//! partitioning already enabled").

use crate::aws::firehose::DynamicPartitioning;
use crate::log_format;

/// The partition keys, with the JSON keys of the record they come from.
pub const KEYS: [(&str, &str); 2] = [("api_id", "apiId"), ("stage", "stage")];

/// The JQ engine Firehose's `MetadataExtraction` processor runs (`JsonParsingEngine`).
pub const JQ_ENGINE: &str = "JQ-1.6";

/// The smallest buffer Firehose takes with dynamic partitioning: 64 MiB. This is Firehose's
/// observed behaviour (CreateDeliveryStream refuses a partitioned destination with a smaller
/// `BufferingHints.SizeInMBs`, and the console offers 64–128 MiB for one); the developer
/// guide's partitioning pages ("Buffer data for dynamic partitioning") print no number, and
/// BufferingHints alone allows 1–128 (botocore data/firehose/2015-08-04/service-2.json).
pub const MIN_BUFFER_MIB: i64 = 64;

/// The query that extracts the keys from a record: `{api_id: .apiId, stage: .stage}`.
pub fn query() -> String {
    let fields: Vec<String> = KEYS
        .iter()
        .map(|(k, json)| format!("{k}: .{json}"))
        .collect();
    format!("{{{}}}", fields.join(", "))
}

/// The configuration a partitioned stream's destination holds.
pub fn dynamic_partitioning() -> DynamicPartitioning {
    DynamicPartitioning {
        query: query(),
        engine: JQ_ENGINE.to_owned(),
    }
}

/// The expression of key `key` in a prefix.
pub fn key_expression(key: &str) -> String {
    format!("!{{partitionKeyFromQuery:{key}}}")
}

/// The prefix the docs suggest when partitioning is on: one folder level per key.
pub fn suggested_prefix() -> String {
    let mut prefix: String = KEYS
        .iter()
        .map(|(k, _)| format!("{k}={}/", key_expression(k)))
        .collect();
    prefix.push_str("!{timestamp:yyyy/MM/dd/HH}/");
    prefix
}

/// Why records of `format` cannot be partitioned by API and stage, if they cannot: the query
/// reads JSON, so the format must be a JSON object whose top-level keys `apiId` and `stage`
/// hold `$context.apiId` and `$context.stage`.
pub fn unpartitionable(format: &str) -> Option<String> {
    // A variable may stand unquoted where JSON takes a number (`"status": $context.status`).
    let sample = log_format::context_variables(format)
        .iter()
        .fold(format.to_owned(), |f, v| {
            f.replace(&format!("$context.{v}"), "0")
        });
    let Ok(serde_json::Value::Object(fields)) = serde_json::from_str(&sample) else {
        return Some(
            "dynamic partitioning reads each record as JSON (Firehose's MetadataExtraction processor runs a JQ query over it), and this format is not a JSON object".to_owned(),
        );
    };
    let missing: Vec<String> = KEYS
        .iter()
        .filter(|(_, json)| !fields.contains_key(*json))
        .map(|(_, json)| format!("{json:?}"))
        .collect();
    if missing.is_empty() {
        return None;
    }
    Some(format!(
        "the partition keys come from the record's top-level JSON keys \"apiId\" ($context.apiId) and \"stage\" ($context.stage), and this format has no {}",
        missing.join(" or ")
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_query_reads_api_and_stage() {
        assert_eq!(query(), "{api_id: .apiId, stage: .stage}");
        assert_eq!(
            suggested_prefix(),
            "api_id=!{partitionKeyFromQuery:api_id}/stage=!{partitionKeyFromQuery:stage}/!{timestamp:yyyy/MM/dd/HH}/"
        );
    }

    #[test]
    fn only_json_with_both_keys_can_be_partitioned() {
        let ok = r#"{"requestId":"$context.requestId","apiId":"$context.apiId","stage":"$context.stage"}"#;
        assert_eq!(unpartitionable(ok), None);
        let why = unpartitionable(log_format::CLF).unwrap();
        assert!(why.contains("not a JSON object"), "{why}");
        let why = unpartitionable(log_format::JSON).unwrap();
        assert!(why.contains("\"apiId\" or \"stage\""), "{why}");
    }
}
