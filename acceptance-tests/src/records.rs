//! Access-log records as API Gateway writes them: the stage's format with each `$context`
//! variable replaced by the request's value, and nothing added. API Gateway appends no
//! delimiter of its own; a record ends in a newline only when the format does ("Set up
//! CloudWatch logging for REST APIs in API Gateway": the format is "a single line", a newline
//! allowed only at its very end). The demo, the proxy tests and the query tests all render
//! through [`render`], so none of them sends what API Gateway never would.

use std::collections::{BTreeMap, BTreeSet};

/// Values of a request's `$context` variables, by name without the `$context.` prefix.
pub type Request = BTreeMap<&'static str, String>;

/// What API Gateway writes for a variable the request has no value for.
pub const NO_VALUE: &str = "-";

const MARK: &str = "$context.";

/// The `$context` variables of `format`, in order, as written (`identity.sourceIp`).
pub fn variables(format: &str) -> Vec<&str> {
    let mut found = Vec::new();
    let mut rest = format;
    while let Some(at) = rest.find(MARK) {
        let after = &rest[at + MARK.len()..];
        let name = variable_at(after);
        found.push(name);
        rest = &after[name.len()..];
    }
    found
}

/// The variable name at the start of `text`: letters, digits, `_` and inner dots.
fn variable_at(text: &str) -> &str {
    let len = text
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '.' || c == '_'))
        .unwrap_or(text.len());
    text[..len].trim_end_matches('.')
}

/// The record API Gateway writes for `request` under `format`: each `$context.NAME` replaced
/// by its value ([`NO_VALUE`] when the request has none), everything else kept as it is.
pub fn render(format: &str, request: &Request) -> String {
    let mut out = String::new();
    let mut rest = format;
    while let Some(at) = rest.find(MARK) {
        out.push_str(&rest[..at]);
        let after = &rest[at + MARK.len()..];
        let name = variable_at(after);
        out.push_str(request.get(name).map(String::as_str).unwrap_or(NO_VALUE));
        rest = &after[name.len()..];
    }
    out.push_str(rest);
    out
}

/// The `i`-th sample request: values for every variable of the presets, a request id of its
/// own, and none holding a delimiter of a preset (no comma, quote or angle bracket), so every
/// field reads back as it was sent.
pub fn sample_request(i: u32) -> Request {
    let status = ["200", "404", "200", "500", "200"][(i as usize) % 5];
    let method = ["GET", "POST", "GET", "DELETE"][(i as usize) % 4];
    BTreeMap::from([
        ("requestId", format!("c0ffee00-0000-4000-8000-{i:012}")),
        ("extendedRequestId", format!("Xyz{i}AbCdEfG=")),
        ("identity.sourceIp", format!("203.0.113.{}", 10 + i % 200)),
        ("identity.caller", NO_VALUE.to_owned()),
        ("identity.user", NO_VALUE.to_owned()),
        (
            "requestTime",
            format!("24/Nov/2026:12:{:02}:{:02} +0000", (i / 60) % 60, i % 60),
        ),
        ("httpMethod", method.to_owned()),
        ("resourcePath", format!("/items/{i}")),
        ("protocol", "HTTP/1.1".to_owned()),
        ("status", status.to_owned()),
        ("responseLength", (17 + i).to_string()),
    ])
}

/// A stage: its REST API id and its name.
pub type StageKey = (String, String);

/// What a set of stages sent: the records, and each stage's request ids.
pub struct Sent {
    /// The records, as the stages' formats render them, stage after stage.
    pub records: Vec<String>,
    /// The request ids each stage sent.
    pub ids: BTreeMap<StageKey, BTreeSet<String>>,
}

/// `per_stage` records of every stage in `stages`, rendered from the format `format_of` gives
/// for it, with the stage's API id and name in `$context.apiId` and `$context.stage`.
pub fn from_stages(
    stages: &[StageKey],
    per_stage: usize,
    format_of: impl Fn(&StageKey) -> String,
) -> Sent {
    let mut sent = Sent {
        records: Vec::new(),
        ids: BTreeMap::new(),
    };
    for (n, key) in stages.iter().enumerate() {
        let format = format_of(key);
        for k in 0..per_stage {
            let mut request = sample_request((n * per_stage + k) as u32);
            request.insert("apiId", key.0.clone());
            request.insert("stage", key.1.clone());
            sent.records.push(render(&format, &request));
            sent.ids
                .entry(key.clone())
                .or_default()
                .insert(request["requestId"].clone());
        }
    }
    sent
}

/// Requests `1..=count`, each from [`sample_request`].
pub fn sample_requests(count: u32) -> Vec<Request> {
    (1..=count).map(sample_request).collect()
}

/// Sends `records` into Firehose stream `stream` in one PutRecordBatch, each as its bytes
/// exactly, as API Gateway sends them; panics unless every record was taken.
pub async fn put_records(firehose: &aws_sdk_firehose::Client, stream: &str, records: &[String]) {
    use aws_sdk_firehose::primitives::Blob;
    use aws_sdk_firehose::types::Record;
    let batch: Vec<Record> = records
        .iter()
        .map(|r| {
            Record::builder()
                .data(Blob::new(r.as_bytes()))
                .build()
                .expect("a record with data")
        })
        .collect();
    let out = firehose
        .put_record_batch()
        .delivery_stream_name(stream)
        .set_records(Some(batch))
        .send()
        .await
        .unwrap_or_else(|e| panic!("put_record_batch into {stream}: {e:?}"));
    assert_eq!(out.failed_put_count(), 0, "records refused by {stream}");
    assert_eq!(out.request_responses().len(), records.len());
}

#[cfg(test)]
mod tests {
    use super::*;
    use terraform_provider_apigw::log_format::{CLF, CSV, JSON, XML};

    #[test]
    fn renders_each_preset_with_nothing_added() {
        let request = sample_request(1);
        let clf = render(CLF, &request);
        assert_eq!(
            clf,
            "203.0.113.11 - - [24/Nov/2026:12:00:01 +0000] \"POST /items/1 HTTP/1.1\" 404 18 \
             c0ffee00-0000-4000-8000-000000000001"
        );
        let json: serde_json::Value = serde_json::from_str(&render(JSON, &request)).unwrap();
        assert_eq!(json["ip"], "203.0.113.11");
        assert_eq!(json["requestId"], "c0ffee00-0000-4000-8000-000000000001");
        for format in [CLF, JSON, XML, CSV] {
            let record = render(format, &request);
            assert!(!record.contains("$context"), "{record}");
            assert!(!record.ends_with('\n'), "nothing appended: {record:?}");
        }
        assert!(render(&format!("{CSV}\n"), &request).ends_with("000001\n"));
    }

    #[test]
    fn unknown_variables_read_as_a_dash_and_ids_differ() {
        assert_eq!(
            render("$context.nope.x|$context.status.", &sample_request(2)),
            "-|200."
        );
        assert_eq!(variables("$context.a.b $context.c."), vec!["a.b", "c"]);
        let ids: std::collections::BTreeSet<String> = sample_requests(50)
            .into_iter()
            .map(|r| r["requestId"].clone())
            .collect();
        assert_eq!(ids.len(), 50);
    }
}
