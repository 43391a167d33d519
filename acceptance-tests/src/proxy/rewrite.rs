//! Reading and rewriting Firehose JSON bodies: the stream a request names, the roles it
//! passes, and a stream description with another status.

use serde_json::Value;

/// `DeliveryStreamName` of a Firehose request body.
pub fn stream_name(body: &[u8]) -> Option<String> {
    let json: Value = serde_json::from_slice(body).ok()?;
    json.get("DeliveryStreamName")?.as_str().map(str::to_owned)
}

/// Every `RoleARN` anywhere in a Firehose request body (destination and source configs).
pub fn role_arns(body: &[u8]) -> Vec<String> {
    let mut found = Vec::new();
    if let Ok(json) = serde_json::from_slice::<Value>(body) {
        collect_role_arns(&json, &mut found);
    }
    found
}

fn collect_role_arns(value: &Value, found: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, v) in map {
                match (key.as_str(), v) {
                    ("RoleARN", Value::String(arn)) => found.push(arn.clone()),
                    _ => collect_role_arns(v, found),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| collect_role_arns(v, found)),
        _ => {}
    }
}

/// The role name of a role ARN (`arn:aws:iam::123:role/path/NAME` -> `NAME`).
pub fn role_name_of(arn: &str) -> &str {
    arn.rsplit('/').next().unwrap_or(arn)
}

/// A `DescribeDeliveryStream` answer with `DeliveryStreamStatus` set to `status`; `None` when
/// the body is not a stream description.
pub fn with_status(description: &[u8], status: &str) -> Option<Value> {
    let mut json: Value = serde_json::from_slice(description).ok()?;
    set_status(&mut json, status).then_some(json)
}

/// Sets `DeliveryStreamDescription.DeliveryStreamStatus`; false when there is no description.
pub fn set_status(json: &mut Value, status: &str) -> bool {
    match json
        .get_mut("DeliveryStreamDescription")
        .and_then(Value::as_object_mut)
    {
        Some(description) => {
            description.insert("DeliveryStreamStatus".into(), Value::from(status));
            true
        }
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_names_and_roles_and_rewrites_status() {
        let request = br#"{"DeliveryStreamName":"s","ExtendedS3DestinationConfiguration":{"RoleARN":"arn:aws:iam::1:role/r","BucketARN":"b"}}"#;
        assert_eq!(stream_name(request).as_deref(), Some("s"));
        assert_eq!(role_arns(request), vec!["arn:aws:iam::1:role/r".to_owned()]);
        assert_eq!(role_name_of("arn:aws:iam::1:role/svc/r"), "r");

        let answer = br#"{"DeliveryStreamDescription":{"DeliveryStreamName":"s","DeliveryStreamStatus":"ACTIVE"}}"#;
        let creating = with_status(answer, "CREATING").unwrap();
        assert_eq!(
            creating["DeliveryStreamDescription"]["DeliveryStreamStatus"],
            "CREATING"
        );
        assert_eq!(
            creating["DeliveryStreamDescription"]["DeliveryStreamName"],
            "s"
        );
        assert!(with_status(b"{\"__type\":\"x\"}", "CREATING").is_none());
    }
}
