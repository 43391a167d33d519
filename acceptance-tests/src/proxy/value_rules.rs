//! Rules on the values a request carries that AWS documents but no published model encodes:
//! the size of an access-log format, Firehose's prefix expressions, IAM's tag rules, and the
//! region of a stream's KMS key. Each is a breach: the provider checks them all at plan, so a
//! request that breaks one means a plan-time check went missing.
//!
//! Independent of the provider's own checks on purpose: a rule written twice, in two ways,
//! fails a test when one of them drifts.

use std::collections::BTreeMap;

use serde_json::Value;

use super::Shared;
use super::classify::{Service, form_pairs};
use super::faults::{self, Rng};
use super::handler::{Exchange, Reply};
use super::rules::{access_log_format_of, breach};

/// "Access log template size: 3 KB", not adjustable ("Quotas for configuring and running a
/// REST API in API Gateway", API Gateway Developer Guide); read as 3,072 bytes of UTF-8.
const MAX_FORMAT_BYTES: usize = 3 * 1024;

/// The rule an UpdateStage breaks with its access-log format, if any.
pub(crate) fn access_log_format(
    shared: &Shared,
    ex: &Exchange,
    ops: &[(String, String)],
    rng: &mut Rng,
) -> Option<Reply> {
    let format = access_log_format_of(ops)?;
    if !format.contains("$context.requestId") && !format.contains("$context.extendedRequestId") {
        // "The access log format must include at least $context.requestId or
        // $context.extendedRequestId" ("Access logging for REST APIs", API Gateway Developer
        // Guide; AccessLogSettings.format in botocore data/apigateway/2015-07-09/service-2.json).
        // The message text is ours: AWS publishes none.
        let message =
            "Access log format must include $context.requestId or $context.extendedRequestId";
        let answer =
            faults::apigateway_error(400, "BadRequestException", message, &rng.request_id());
        return Some(breach(
            shared,
            ex,
            "apigateway.accessLogFormatRequestId",
            message,
            answer,
        ));
    }
    if format.len() <= MAX_FORMAT_BYTES {
        return None;
    }
    // AWS publishes no message text for this refusal; the code is UpdateStage's
    // BadRequestException (botocore data/apigateway/2015-07-09/service-2.json).
    let message = format!(
        "Access log format exceeds the maximum size of 3 KB: it has {} bytes",
        format.len()
    );
    let answer = faults::apigateway_error(400, "BadRequestException", &message, &rng.request_id());
    Some(breach(
        shared,
        ex,
        "apigateway.accessLogFormatSize",
        &message,
        answer,
    ))
}

/// The rule an UpdateStage breaks with a Firehose destination, if any: "If you specify a
/// Firehose delivery stream, the stream name must begin with amazon-apigateway-"
/// (AccessLogSettings.destinationArn, botocore data/apigateway/2015-07-09/service-2.json). The
/// ARN may be of any partition (`arn:aws-cn:firehose:...`). The message text is ours.
pub(crate) fn access_log_stream_name(
    shared: &Shared,
    ex: &Exchange,
    destination: &str,
    rng: &mut Rng,
) -> Option<Reply> {
    let parts: Vec<&str> = destination.splitn(6, ':').collect();
    let [_, _, "firehose", _, _, resource] = parts[..] else {
        return None;
    };
    let name = resource.strip_prefix("deliverystream/").unwrap_or(resource);
    if name.starts_with("amazon-apigateway-") {
        return None;
    }
    let message = format!(
        "Invalid destination ARN {destination}: the Firehose stream's name must begin with amazon-apigateway-"
    );
    let answer = faults::apigateway_error(400, "BadRequestException", &message, &rng.request_id());
    Some(breach(
        shared,
        ex,
        "apigateway.accessLogFirehoseName",
        &message,
        answer,
    ))
}

/// The rule a CreateDeliveryStream or UpdateDestination breaks with its S3 destination's
/// prefixes or key, if any.
pub(crate) fn firehose_destination(shared: &Shared, ex: &Exchange, rng: &mut Rng) -> Option<Reply> {
    let body: Value = serde_json::from_slice(&ex.body).ok()?;
    let destination = [
        "ExtendedS3DestinationConfiguration",
        "ExtendedS3DestinationUpdate",
    ]
    .iter()
    .find_map(|k| body.get(*k))?;
    let text = |k: &str| destination.get(k).and_then(Value::as_str).unwrap_or("");
    let partitioned = destination["DynamicPartitioningConfiguration"]["Enabled"] == true;
    let (rule, message) = prefix_problem(text("Prefix"), text("ErrorOutputPrefix"), partitioned)
        .map(|m| ("firehose.prefixExpressions", m))
        .or_else(|| {
            partitioning_problem(destination, partitioned)
                .map(|m| ("firehose.dynamicPartitioning", m))
        })
        .or_else(|| {
            let key = destination["EncryptionConfiguration"]["KMSEncryptionConfig"]["AWSKMSKeyARN"]
                .as_str()?;
            let bucket = text("BucketARN").rsplit(':').next().unwrap_or_default();
            let bucket_region = match shared.config.buckets.region_of(bucket) {
                Some(region) => region.to_owned(),
                None => stream_region(ex)?,
            };
            key_region_problem(key, &bucket_region).map(|m| ("firehose.kmsKeyRegion", m))
        })?;
    // Firehose refuses such destinations with InvalidArgumentException (listed for both
    // operations in botocore data/firehose/2015-08-04/service-2.json); the wording is ours.
    let answer =
        faults::firehose_error(400, "InvalidArgumentException", &message, &rng.request_id());
    Some(breach(shared, ex, rule, &message, answer))
}

/// The `namespace:key` of every `!{...}` in a prefix; `Err` for an unclosed one.
fn expressions(prefix: &str) -> Result<Vec<(&str, &str)>, ()> {
    let mut found = Vec::new();
    let mut rest = prefix;
    while let Some(start) = rest.find("!{") {
        let after = &rest[start + 2..];
        let end = after.find('}').ok_or(())?;
        let inner = &after[..end];
        found.push(inner.split_once(':').unwrap_or((inner, "")));
        rest = &after[end + 1..];
    }
    Ok(found)
}

/// Firehose's rules for custom prefixes ("Understand custom prefixes for Amazon S3 objects",
/// Amazon Data Firehose Developer Guide): only the `timestamp` and `firehose` namespaces, and
/// `partitionKeyFromQuery` in the prefix of a stream with dynamic partitioning ("Use Amazon S3
/// bucket prefix to deliver data"); `firehose:error-output-type` only in the error prefix, and
/// required there once the error prefix uses expressions; an error prefix whenever the prefix
/// uses expressions.
fn prefix_problem(prefix: &str, error_prefix: &str, partitioned: bool) -> Option<String> {
    let (Ok(in_prefix), Ok(in_error)) = (expressions(prefix), expressions(error_prefix)) else {
        return Some("An expression in a prefix is not closed with '}'".to_owned());
    };
    let known = |(ns, key): &(&str, &str)| {
        *ns == "timestamp"
            || (*ns == "firehose" && matches!(*key, "random-string" | "error-output-type"))
    };
    let partition_key = |(ns, _): &(&str, &str)| partitioned && *ns == "partitionKeyFromQuery";
    let unknown = in_prefix
        .iter()
        .find(|e| !known(e) && !partition_key(e))
        .or_else(|| in_error.iter().find(|e| !known(e)));
    if let Some((ns, key)) = unknown {
        return Some(format!(
            "The expression !{{{ns}:{key}}} is not valid here: only timestamp and firehose \
             expressions are, without dynamic partitioning"
        ));
    }
    let error_type = |e: &(&str, &str)| *e == ("firehose", "error-output-type");
    if in_prefix.iter().any(error_type) {
        return Some("Prefix cannot use !{firehose:error-output-type}".to_owned());
    }
    if !in_prefix.is_empty() && error_prefix.is_empty() {
        return Some("ErrorOutputPrefix is required when Prefix contains expressions".to_owned());
    }
    if !in_error.is_empty() && !in_error.iter().any(error_type) {
        return Some(
            "ErrorOutputPrefix with expressions must contain !{firehose:error-output-type}"
                .to_owned(),
        );
    }
    None
}

/// The rules of a destination with dynamic partitioning, which moto does not check: an error
/// prefix ("You must specify an S3 error bucket prefix for a Firehose stream if you want to
/// enable dynamic partitioning", "Troubleshoot dynamic partitioning errors", Firehose Developer
/// Guide), a buffer of at least 64 MiB ("Partition streaming data in Amazon Data Firehose") and
/// no zero buffering ("Buffer data for dynamic partitioning").
fn partitioning_problem(destination: &Value, partitioned: bool) -> Option<String> {
    if !partitioned {
        return None;
    }
    let error_prefix = destination["ErrorOutputPrefix"].as_str().unwrap_or("");
    if error_prefix.is_empty() {
        return Some(
            "ErrorOutputPrefix is required when dynamic partitioning is enabled".to_owned(),
        );
    }
    let hints = &destination["BufferingHints"];
    if let Some(size) = hints["SizeInMBs"].as_i64().filter(|s| *s < 64) {
        return Some(format!(
            "BufferingHints.SizeInMBs must be at least 64 when dynamic partitioning is enabled, got {size}"
        ));
    }
    if hints["IntervalInSeconds"].as_i64() == Some(0) {
        return Some(
            "BufferingHints.IntervalInSeconds cannot be 0 when dynamic partitioning is enabled"
                .to_owned(),
        );
    }
    None
}

/// The region a Firehose request is signed for, from its SigV4 credential scope.
fn stream_region(ex: &Exchange) -> Option<String> {
    let auth = ex.head.headers.get("authorization")?.to_str().ok()?;
    let scope = auth.split("Credential=").nth(1)?.split([',', ' ']).next()?;
    scope.split('/').nth(2).map(str::to_owned)
}

/// "The ARN of the encryption key. Must belong to the same Amazon Web Services Region as the
/// destination Amazon S3 bucket" (KMSEncryptionConfig.AWSKMSKeyARN, botocore
/// data/firehose/2015-08-04/service-2.json). A bucket the proxy does not place elsewhere is
/// in the stream's region.
fn key_region_problem(key_arn: &str, bucket_region: &str) -> Option<String> {
    let key_region = key_arn.split(':').nth(3)?;
    (key_region != bucket_region).then(|| {
        format!(
            "KMS key {key_arn} is in region {key_region}, but the destination bucket is in \
             {bucket_region}; the key must be in the bucket's region"
        )
    })
}

/// The rule a CreateRole or TagRole breaks with its tags, if any.
pub(crate) fn iam_tags(shared: &Shared, ex: &Exchange, rng: &mut Rng) -> Option<Reply> {
    let form = std::str::from_utf8(&ex.body).ok()?;
    let pairs = form_pairs(form);
    let mut tags: BTreeMap<String, (Option<String>, Option<String>)> = BTreeMap::new();
    for (k, v) in &pairs {
        let Some(rest) = k.strip_prefix("Tags.member.") else {
            continue;
        };
        match rest.split_once('.') {
            Some((n, "Key")) => tags.entry(n.to_owned()).or_default().0 = Some(v.clone()),
            Some((n, "Value")) => tags.entry(n.to_owned()).or_default().1 = Some(v.clone()),
            _ => {}
        }
    }
    let message = iam_tag_problem(
        tags.into_values()
            .map(|(k, v)| (k.unwrap_or_default(), v.unwrap_or_default())),
    )?;
    // IAM answers InvalidInput (400) for input it cannot take (botocore data/iam/2010-05-08/
    // service-2.json, InvalidInputException); the wording is ours.
    let answer = faults::query_error(
        Service::Iam,
        400,
        "Sender",
        "InvalidInput",
        &message,
        &rng.request_id(),
    );
    Some(breach(shared, ex, "iam.tagRules", &message, answer))
}

/// "You cannot create a tag key or value that begins with the text aws:", and tag keys are not
/// case sensitive, so one request cannot carry `Env` and `env` ("Tagging IAM resources", IAM
/// User Guide).
fn iam_tag_problem(tags: impl Iterator<Item = (String, String)>) -> Option<String> {
    let mut seen = BTreeMap::new();
    for (key, value) in tags {
        for text in [&key, &value] {
            if text
                .get(..4)
                .is_some_and(|p| p.eq_ignore_ascii_case("aws:"))
            {
                return Some(format!(
                    "Tag {key:?}: tag keys and values cannot begin with aws:"
                ));
            }
        }
        if let Some(other) = seen.insert(key.to_lowercase(), key.clone()) {
            return Some(format!(
                "Duplicate tag keys found: {other:?} and {key:?}. Tag keys are case insensitive."
            ));
        }
    }
    None
}

/// The rule a TagResource on an API Gateway resource breaks with its tags, if any.
pub(crate) fn apigateway_tags(shared: &Shared, ex: &Exchange, rng: &mut Rng) -> Option<Reply> {
    let body: Value = serde_json::from_slice(&ex.body).ok()?;
    let tags = body.get("tags")?.as_object()?;
    let message = tags
        .iter()
        .find_map(|(k, v)| apigateway_tag_problem(k, v.as_str().unwrap_or_default()))?;
    // API Gateway answers BadRequestException for a tag it cannot take (botocore
    // data/apigateway/2015-07-09/service-2.json, TagResource); the wording is ours.
    let answer = faults::apigateway_error(400, "BadRequestException", &message, &rng.request_id());
    Some(breach(shared, ex, "apigateway.tagRules", &message, answer))
}

/// "The valid character set is [a-zA-Z+-=._:/]. The tag key can be up to 128 characters and
/// must not start with aws:. The tag value can be up to 256 characters." (TagResource, API
/// Gateway API Reference). The Developer Guide ("Tag restrictions and usage conventions")
/// allows letters, numbers, spaces and `. : + = @ _ / -`; the rule here is what both allow
/// (letters, digits, `+ - = . _ : /`), so a tag that either source refuses is a breach.
fn apigateway_tag_problem(key: &str, value: &str) -> Option<String> {
    let allowed = |c: char| c.is_ascii_alphanumeric() || "+-=._:/".contains(c);
    if key.is_empty() || key.chars().count() > 128 {
        return Some(format!("Tag key {key:?} must have 1 to 128 characters"));
    }
    if value.chars().count() > 256 {
        return Some(format!(
            "Tag value of {key:?} is longer than 256 characters"
        ));
    }
    if key.starts_with("aws:") {
        return Some(format!("Tag key {key:?} must not start with aws:"));
    }
    if let Some(c) = key.chars().chain(value.chars()).find(|c| !allowed(*c)) {
        return Some(format!(
            "Tag {key:?} has {c:?}, outside the characters API Gateway's tags take (letters, digits, + - = . _ : /)"
        ));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn apigateway_tag_rules() {
        assert_eq!(
            apigateway_tag_problem("terraform-provider-apigw:attachment", "0b5c-11aa:creating"),
            None
        );
        assert_eq!(apigateway_tag_problem("k", "aGVsbG8+/="), None);
        assert!(
            apigateway_tag_problem("k", "id creating")
                .unwrap()
                .contains("' '")
        );
        assert!(apigateway_tag_problem("aws:x", "v").is_some());
        assert!(apigateway_tag_problem("k", "a,b").is_some());
        assert!(apigateway_tag_problem(&"k".repeat(129), "v").is_some());
        assert!(apigateway_tag_problem("k", &"v".repeat(257)).is_some());
    }

    #[test]
    fn prefix_rules() {
        assert_eq!(prefix_problem("logs/", "", false), None);
        assert_eq!(
            prefix_problem(
                "logs/!{timestamp:yyyy}/",
                "err/!{firehose:error-output-type}/",
                false
            ),
            None
        );
        assert_eq!(
            prefix_problem("!{firehose:random-string}/", "err/", false),
            None
        );
        assert!(
            prefix_problem("logs/!{timestamp:yyyy}/", "", false)
                .unwrap()
                .contains("required")
        );
        assert!(
            prefix_problem("!{firehose:error-output-type}/", "e/", false)
                .unwrap()
                .contains("Prefix cannot")
        );
        assert!(
            prefix_problem("logs/", "err/!{timestamp:yyyy}/", false)
                .unwrap()
                .contains("must contain")
        );
        assert!(
            prefix_problem(
                "!{partitionKeyFromQuery:api}/",
                "e/!{firehose:error-output-type}",
                false
            )
            .unwrap()
            .contains("not valid")
        );
        assert!(
            prefix_problem("!{timestamp:yyyy", "e/", false)
                .unwrap()
                .contains("not closed")
        );
        assert_eq!(
            prefix_problem(
                "!{partitionKeyFromQuery:api}/",
                "e/!{firehose:error-output-type}",
                true
            ),
            None
        );
    }

    #[test]
    fn partitioning_needs_an_error_prefix_and_a_64_mib_buffer() {
        let dest = |size: i64, error: &str| {
            serde_json::json!({
                "ErrorOutputPrefix": error,
                "BufferingHints": {"SizeInMBs": size, "IntervalInSeconds": 60},
            })
        };
        assert_eq!(partitioning_problem(&dest(64, "e/"), true), None);
        assert!(
            partitioning_problem(&dest(63, "e/"), true)
                .unwrap()
                .contains("at least 64")
        );
        assert!(
            partitioning_problem(&dest(64, ""), true)
                .unwrap()
                .contains("ErrorOutputPrefix")
        );
        assert_eq!(partitioning_problem(&dest(5, ""), false), None);
    }

    #[test]
    fn key_region_and_iam_tag_rules() {
        let key = "arn:aws:kms:eu-west-1:123456789012:key/k";
        assert!(key_region_problem(key, "us-east-1").is_some());
        assert!(key_region_problem(key, "eu-west-1").is_none());
        let tags = |pairs: &[(&str, &str)]| {
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect::<Vec<_>>()
                .into_iter()
        };
        assert!(iam_tag_problem(tags(&[("team", "a"), ("env", "dev")])).is_none());
        assert!(iam_tag_problem(tags(&[("origin", "AWS:x")])).is_some());
        assert!(iam_tag_problem(tags(&[("Env", "a"), ("env", "b")])).is_some());
    }
}
