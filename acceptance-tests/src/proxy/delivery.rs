//! Firehose's delivery to S3 as AWS does it, where moto 5.2.5 does not (moto/firehose/models.py
//! writes the prefix as written plus its own `YYYY/MM/DD/HH/`, never compresses, and names no
//! extension). For PutRecord and PutRecordBatch to a stream with an ExtendedS3 destination, the
//! proxy reads the stream's destination from moto, writes one object to moto's S3 itself, and
//! answers as Firehose does:
//!
//! - the key is `<evaluated prefix><stream>-<version>-<yyyy-MM-dd-HH-mm-ss>-<uuid><extension>`
//!   with the version the stream's `VersionId` ("Configure Amazon S3 object name format",
//!   Amazon Data Firehose Developer Guide);
//! - the prefix's `!{timestamp:pattern}` expressions are Java DateTimeFormatter patterns, text
//!   in single quotes taken literally, all evaluated at one instant in UTC (the arrival of the
//!   oldest record in the object); `!{firehose:random-string}` is 11 random characters; a
//!   prefix without a timestamp expression gets `!{timestamp:yyyy/MM/dd/HH/}` appended
//!   ("Understand custom prefixes for Amazon S3 objects", same guide, "Semantic rules");
//! - the extension is `FileExtension` when set, else by the configuration: `.parquet`, `.orc`
//!   for record format conversion, `.gz`, `.zip`, `.snappy`, `.hsnappy` for compression
//!   ("Configure Amazon S3 object name format");
//! - the records are concatenated as they came, nothing added between them: "By default,
//!   Firehose concatenates data without any delimiters" ("Understand data delivery in Amazon
//!   Data Firehose", same guide); then compressed as the destination says.
//!
//! Firehose buffers records by size and time before writing an object; here each call's records
//! become one object at once, so a test sees them without waiting. What the proxy cannot do it
//! leaves to moto, with moto's layout: record format conversion (the proxy writes no Parquet or
//! ORC), and ZIP, Snappy and Hadoop-Snappy compression (it has no such encoder); streams with a
//! `CustomTimeZone` other than UTC are left to moto as well.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use bytes::Bytes;
use hyper::header::{AUTHORIZATION, HOST, HeaderMap, HeaderValue};
use hyper::{Method, Uri};
use serde_json::{Value, json};

use super::Shared;
use super::faults::{self, Rng};
use super::handler::{Exchange, Reply, describe_stream};
use super::server::send_upstream;
use super::stats::Outcome;

/// Length of what `!{firehose:random-string}` evaluates to ("Understand custom prefixes for
/// Amazon S3 objects": an 11-character random string, e.g. `ztWxkdg3Thg`).
const RANDOM_STRING_CHARS: usize = 11;

/// What Firehose appends to a prefix without a timestamp expression ("Semantic rules").
const DEFAULT_TIME_LAYOUT: &str = "!{timestamp:yyyy/MM/dd/HH/}";

/// A moment in UTC, as the fields a DateTimeFormatter pattern prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct UtcTime {
    pub year: i64,
    pub month: u32,
    pub day: u32,
    pub day_of_year: u32,
    pub hour: u32,
    pub minute: u32,
    pub second: u32,
}

impl UtcTime {
    /// The UTC fields of `secs` seconds after the Unix epoch.
    pub(crate) fn from_unix(secs: i64) -> UtcTime {
        let days = secs.div_euclid(86_400);
        let rest = secs.rem_euclid(86_400) as u32;
        // Civil date from a day count (H. Hinnant, "chrono-Compatible Low-Level Date
        // Algorithms", days_from_civil's inverse).
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z.rem_euclid(146_097);
        let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
        let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
        let year = yoe + era * 400 + i64::from(month <= 2);
        let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
        const BEFORE_MONTH: [u32; 12] = [0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334];
        let day_of_year = BEFORE_MONTH[month as usize - 1] + day + u32::from(leap && month > 2);
        UtcTime {
            year,
            month,
            day,
            day_of_year,
            hour: rest / 3_600,
            minute: rest % 3_600 / 60,
            second: rest % 60,
        }
    }

    /// Now, in UTC.
    pub(crate) fn now() -> UtcTime {
        let secs = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64);
        UtcTime::from_unix(secs)
    }
}

/// `at` printed with a Java DateTimeFormatter pattern: runs of `y` (`u`), `M`, `d`, `D`, `H`,
/// `m`, `s` as zero-padded numbers (`yy`: the year's last two digits), text in single quotes
/// as it is (`''` is a quote), other characters as themselves. Other pattern letters are
/// refused: Firehose takes them, but this proxy does not print them.
pub(crate) fn format_timestamp(pattern: &str, at: UtcTime) -> Result<String, String> {
    let chars: Vec<char> = pattern.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '\'' {
            if chars.get(i + 1) == Some(&'\'') {
                out.push('\'');
                i += 2;
                continue;
            }
            i += 1;
            loop {
                match (chars.get(i), chars.get(i + 1)) {
                    (None, _) => return Err(format!("unclosed quote in {pattern:?}")),
                    (Some('\''), Some('\'')) => {
                        out.push('\'');
                        i += 2;
                    }
                    (Some('\''), _) => {
                        i += 1;
                        break;
                    }
                    (Some(other), _) => {
                        out.push(*other);
                        i += 1;
                    }
                }
            }
            continue;
        }
        if !c.is_ascii_alphabetic() {
            out.push(c);
            i += 1;
            continue;
        }
        let run = chars[i..].iter().take_while(|&&x| x == c).count();
        let value: i64 = match c {
            'y' | 'u' if run == 2 => at.year.rem_euclid(100),
            'y' | 'u' => at.year,
            'M' => at.month.into(),
            'd' => at.day.into(),
            'D' => at.day_of_year.into(),
            'H' => at.hour.into(),
            'm' => at.minute.into(),
            's' => at.second.into(),
            other => {
                return Err(format!(
                    "the realism proxy does not evaluate the pattern letter {other:?} of {pattern:?}"
                ));
            }
        };
        out.push_str(&format!("{value:0run$}"));
        i += run;
    }
    Ok(out)
}

/// The prefix as Firehose evaluates it for an object whose oldest record arrived `at`, with
/// `keys` the partition keys of its records (dynamic partitioning).
pub(crate) fn evaluate_prefix(
    prefix: &str,
    at: UtcTime,
    keys: &BTreeMap<String, String>,
    rng: &mut Rng,
) -> Result<String, String> {
    // A partitioned stream's prefix gets no default layout: "Use Amazon S3 bucket prefix to
    // deliver data" (Firehose Developer Guide) delivers a prefix of partition keys alone to
    // `.../hour=20/my-delivery-stream-2019-08-09-...`.
    let prefix = if prefix.contains("!{timestamp:") || prefix.contains("!{partitionKeyFromQuery:") {
        prefix.to_owned()
    } else {
        format!("{prefix}{DEFAULT_TIME_LAYOUT}")
    };
    let mut out = String::new();
    let mut rest = prefix.as_str();
    while let Some(start) = rest.find("!{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let end = after
            .find('}')
            .ok_or_else(|| format!("unclosed expression in {prefix:?}"))?;
        match after[..end].split_once(':') {
            Some(("timestamp", pattern)) => out.push_str(&format_timestamp(pattern, at)?),
            Some(("firehose", "random-string")) => out.push_str(&random_string(rng)),
            Some(("partitionKeyFromQuery", key)) => match keys.get(key) {
                Some(value) => out.push_str(value),
                None => return Err(format!("the record has no partition key {key:?}")),
            },
            _ => {
                return Err(format!(
                    "the expression !{{{}}} cannot be evaluated in a Prefix",
                    &after[..end]
                ));
            }
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

fn random_string(rng: &mut Rng) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    (0..RANDOM_STRING_CHARS)
        .map(|_| ALPHABET[(rng.next_u64() % ALPHABET.len() as u64) as usize] as char)
        .collect()
}

/// A version 4 UUID drawn from the proxy's seeded generator.
fn uuid(rng: &mut Rng) -> String {
    let (a, b) = (rng.next_u64(), rng.next_u64());
    format!(
        "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
        a >> 32,
        (a >> 16) & 0xffff,
        a & 0x0fff,
        0x8000 | (b >> 48) & 0x3fff,
        b & 0xffff_ffff_ffff
    )
}

/// The extension Firehose gives an object ("Configure Amazon S3 object name format").
pub(crate) fn extension(destination: &Value) -> String {
    if let Some(ext) = destination["FileExtension"]
        .as_str()
        .filter(|e| !e.is_empty())
    {
        return ext.to_owned();
    }
    let conversion = &destination["DataFormatConversionConfiguration"];
    if conversion["Enabled"] == true {
        let serializer = &conversion["OutputFormatConfiguration"]["Serializer"];
        if serializer.get("ParquetSerDe").is_some() {
            return ".parquet".to_owned();
        }
        if serializer.get("OrcSerDe").is_some() {
            return ".orc".to_owned();
        }
    }
    match destination["CompressionFormat"].as_str() {
        Some("GZIP") => ".gz",
        Some("ZIP") => ".zip",
        Some("Snappy") => ".snappy",
        Some("HADOOP_SNAPPY") => ".hsnappy",
        _ => "",
    }
    .to_owned()
}

/// The object key of a delivery: evaluated prefix, then Firehose's suffix.
pub(crate) fn object_key(
    stream: &str,
    version: &str,
    destination: &Value,
    at: UtcTime,
    keys: &BTreeMap<String, String>,
    rng: &mut Rng,
) -> Result<String, String> {
    let prefix = evaluate_prefix(destination["Prefix"].as_str().unwrap_or(""), at, keys, rng)?;
    let stamp = format_timestamp("yyyy-MM-dd-HH-mm-ss", at)?;
    Ok(format!(
        "{prefix}{stream}-{version}-{stamp}-{}{}",
        uuid(rng),
        extension(destination)
    ))
}

/// The records' data as one object: concatenated with nothing between, then compressed.
pub(crate) fn object_body(records: &[Vec<u8>], compression: &str) -> Option<Vec<u8>> {
    let joined: Vec<u8> = records.concat();
    match compression {
        "UNCOMPRESSED" | "" => Some(joined),
        "GZIP" => {
            let mut encoder =
                flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
            encoder.write_all(&joined).ok()?;
            encoder.finish().ok()
        }
        _ => None,
    }
}

/// The data of each record of a PutRecord or PutRecordBatch body.
fn records_of(operation: &str, body: &[u8]) -> Option<Vec<Vec<u8>>> {
    let json: Value = serde_json::from_slice(body).ok()?;
    let records: Vec<&Value> = match operation {
        "PutRecord" => vec![&json["Record"]],
        _ => json["Records"].as_array()?.iter().collect(),
    };
    records
        .iter()
        .map(|r| {
            base64::engine::general_purpose::STANDARD
                .decode(r["Data"].as_str()?)
                .ok()
        })
        .collect()
}

/// The answer Firehose gives a PutRecord or PutRecordBatch whose records it took.
fn firehose_answer(operation: &str, count: usize, encrypted: bool, rng: &mut Rng) -> Value {
    if operation == "PutRecord" {
        return json!({ "RecordId": record_id(rng), "Encrypted": encrypted });
    }
    let responses: Vec<Value> = (0..count)
        .map(|_| json!({ "RecordId": record_id(rng) }))
        .collect();
    json!({ "FailedPutCount": 0, "Encrypted": encrypted, "RequestResponses": responses })
}

/// An opaque record id (Firehose's are long strings of its own making; botocore's PutRecordId
/// shape is a string of at least 1 character).
fn record_id(rng: &mut Rng) -> String {
    (0..4).map(|_| format!("{:016x}", rng.next_u64())).collect()
}

/// Delivers a PutRecord or PutRecordBatch as Firehose does and answers it, or `None` to leave
/// the call to moto (another destination, a missing stream, or what the proxy cannot do).
pub(crate) async fn put_records(shared: &Shared, ex: &Exchange, rng: &mut Rng) -> Option<Reply> {
    let operation = ex.call.operation.as_str();
    if !shared.config.delivery || !matches!(operation, "PutRecord" | "PutRecordBatch") {
        return None;
    }
    let stream = ex.stream.as_deref()?;
    let described = describe_stream(shared, ex).await?;
    let described = super::encryption::described(shared, ex, Bytes::from(described.to_string()));
    let described: Value = serde_json::from_slice(&described).ok()?;
    let description = &described["DeliveryStreamDescription"];
    let destination = &description["Destinations"][0]["ExtendedS3DestinationDescription"];
    if !destination.is_object()
        || destination["DataFormatConversionConfiguration"]["Enabled"] == true
        || destination["CustomTimeZone"]
            .as_str()
            .is_some_and(|zone| !zone.is_empty() && zone != "UTC")
    {
        return None;
    }
    let records = records_of(operation, &ex.body)?;
    let compression = destination["CompressionFormat"].as_str().unwrap_or("");
    let version = description["VersionId"].as_str().unwrap_or("1");
    let bucket = destination["BucketARN"].as_str()?.rsplit(':').next()?;
    let partitions = match partitions(destination, &records) {
        Ok(p) => p,
        Err(e) => return Some(proxy_limit(&e, rng)),
    };
    let now = UtcTime::now();
    for (keys, records) in partitions {
        let body = object_body(&records, compression)?;
        let key = match object_key(stream, version, destination, now, &keys, rng) {
            Ok(key) => key,
            Err(e) => return Some(proxy_limit(&e, rng)),
        };
        if let Some(reply) = deliver(
            shared,
            ex,
            description,
            destination,
            bucket,
            &key,
            body,
            rng,
        )
        .await
        {
            return Some(reply);
        }
    }
    let encrypted = description["DeliveryStreamEncryptionConfiguration"]["Status"] == "ENABLED";
    let answer = firehose_answer(operation, records.len(), encrypted, rng);
    Some(Reply::Answer(
        faults::firehose_ok(&answer, &rng.request_id()),
        Outcome::Delivered,
    ))
}

/// The records grouped by their partition keys, in order of first appearance: one group
/// without keys when the destination has no dynamic partitioning. With it, each record is
/// read as JSON and the keys taken by the `MetadataExtraction` processor's query, which the
/// proxy evaluates in the one form the provider writes, `{key: .field, ...}` ("Use inline
/// parsing to create partitioning keys", Firehose Developer Guide).
#[allow(clippy::type_complexity)]
pub(crate) fn partitions(
    destination: &Value,
    records: &[Vec<u8>],
) -> Result<Vec<(BTreeMap<String, String>, Vec<Vec<u8>>)>, String> {
    if destination["DynamicPartitioningConfiguration"]["Enabled"] != true {
        return Ok(vec![(BTreeMap::new(), records.to_vec())]);
    }
    let query = destination["ProcessingConfiguration"]["Processors"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|p| p["Type"] == "MetadataExtraction")
        .flat_map(|p| p["Parameters"].as_array().into_iter().flatten())
        .find(|p| p["ParameterName"] == "MetadataExtractionQuery")
        .and_then(|p| p["ParameterValue"].as_str())
        .ok_or("dynamic partitioning without a MetadataExtractionQuery")?;
    let fields = jq_object_fields(query)?;
    let mut groups: Vec<(BTreeMap<String, String>, Vec<Vec<u8>>)> = Vec::new();
    for record in records {
        let json: Value = serde_json::from_slice(record)
            .map_err(|e| format!("a record is not JSON, so no partition key: {e}"))?;
        let keys: BTreeMap<String, String> = fields
            .iter()
            .map(|(key, field)| {
                let value = match &json[field.as_str()] {
                    Value::String(s) => s.clone(),
                    Value::Null => return Err(format!("a record has no {field:?}")),
                    other => other.to_string(),
                };
                Ok((key.clone(), value))
            })
            .collect::<Result<_, String>>()?;
        match groups.iter_mut().find(|(k, _)| *k == keys) {
            Some((_, rs)) => rs.push(record.clone()),
            None => groups.push((keys, vec![record.clone()])),
        }
    }
    Ok(groups)
}

/// The `(key, field)` pairs of a JQ query of the form `{key: .field, ...}`.
fn jq_object_fields(query: &str) -> Result<Vec<(String, String)>, String> {
    let inner = query
        .trim()
        .strip_prefix('{')
        .and_then(|q| q.strip_suffix('}'))
        .ok_or_else(|| {
            format!("the proxy evaluates only {{key: .field}} queries, not {query:?}")
        })?;
    inner
        .split(',')
        .map(|pair| {
            let (key, path) = pair
                .split_once(':')
                .ok_or_else(|| format!("cannot read {pair:?} of {query:?}"))?;
            let field = path
                .trim()
                .strip_prefix('.')
                .filter(|f| f.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
                .ok_or_else(|| format!("the proxy evaluates only .field paths, not {path:?}"))?;
            Ok((key.trim().to_owned(), field.to_owned()))
        })
        .collect()
}

/// Writes one object; a refusal by S3 is logged to the stream's error logging as Firehose
/// does, any other failure is the proxy's reply.
#[allow(clippy::too_many_arguments)]
async fn deliver(
    shared: &Shared,
    ex: &Exchange,
    description: &Value,
    destination: &Value,
    bucket: &str,
    key: &str,
    body: Vec<u8>,
    rng: &mut Rng,
) -> Option<Reply> {
    match put_object(shared, &ex.head.headers, bucket, key, body).await {
        Ok(()) => {}
        // S3 refused the object (the bucket gone, its policy or a key refusing the role): on
        // AWS the put still succeeds, as Firehose took the records; the delivery fails later,
        // out of the caller's sight, and only the stream's error logging says so ("Monitor
        // Amazon Data Firehose Using CloudWatch Logs", Firehose Developer Guide: data delivery
        // errors such as S3.AccessDenied and S3.NoSuchBucket).
        Err(PutError::Refused(code, message)) => {
            let arn = description["DeliveryStreamARN"]
                .as_str()
                .unwrap_or_default();
            log_delivery_error(shared, ex, destination, arn, &code, &message).await;
        }
        Err(PutError::Failed(e)) => return Some(proxy_limit(&e, rng)),
    }
    None
}

/// A delivery the proxy could not make: a 500 that names why, so a test fails saying so.
fn proxy_limit(detail: &str, rng: &mut Rng) -> Reply {
    let message = format!("the realism proxy could not deliver the records: {detail}");
    Reply::Answer(
        faults::firehose_error(
            500,
            "ServiceUnavailableException",
            &message,
            &rng.request_id(),
        ),
        Outcome::UpstreamFailed,
    )
}

/// Why an object was not written.
enum PutError {
    /// S3 answered with an error: its code and message.
    Refused(String, String),
    /// S3 could not be reached, or the request could not be made.
    Failed(String),
}

/// The text of the first `<name>` element of an XML error answer.
fn xml_field(xml: &str, name: &str) -> Option<String> {
    let open = format!("<{name}>");
    let from = xml.find(&open)? + open.len();
    let to = from + xml[from..].find("</")?;
    Some(xml[from..to].to_owned())
}

/// Writes one data delivery error into the destination's error log stream, if it logs errors,
/// in the shape Firehose writes them: the stream's ARN, the destination, an `S3.`-prefixed
/// error code and a message. Nothing is written where logging is off or its names are gone.
async fn log_delivery_error(
    shared: &Shared,
    ex: &Exchange,
    destination: &Value,
    stream_arn: &str,
    code: &str,
    message: &str,
) {
    let options = &destination["CloudWatchLoggingOptions"];
    let (Some(group), Some(log_stream)) = (
        options["LogGroupName"].as_str(),
        options["LogStreamName"].as_str(),
    ) else {
        return;
    };
    if options["Enabled"] != true {
        return;
    }
    let millis = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64);
    let event = json!({
        "deliveryStreamARN": stream_arn,
        "destination": destination["BucketARN"],
        "deliveryStreamVersionId": 1,
        "message": message,
        "errorCode": format!("S3.{code}"),
    });
    let body = json!({
        "logGroupName": group,
        "logStreamName": log_stream,
        "logEvents": [{ "timestamp": millis, "message": event.to_string() }],
    });
    // A log group deleted meanwhile loses the event, as it would on AWS.
    let _ = super::logs::logs_call(shared, ex, "PutLogEvents", &body).await;
}

/// The client's signing headers, scoped to `service` (moto reads the account from the access
/// key and the service from the credential scope, and checks no signature).
fn scoped_headers(shared: &Shared, client_headers: &HeaderMap, service: &str) -> HeaderMap {
    let mut headers = HeaderMap::new();
    if let Some(auth) = client_headers
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    {
        let scoped = auth.replace(
            "/firehose/aws4_request",
            &format!("/{service}/aws4_request"),
        );
        if let Ok(value) = HeaderValue::from_str(&scoped) {
            headers.insert(AUTHORIZATION, value);
        }
    }
    for name in ["x-amz-date", "x-amz-security-token"] {
        if let Some(value) = client_headers.get(name) {
            headers.insert(name, value.clone());
        }
    }
    if let Ok(host) = HeaderValue::from_str(&shared.upstream.to_string()) {
        headers.insert(HOST, host);
    }
    headers
}

/// PutObject into moto's S3, signed as the client signed its Firehose call but scoped to S3
/// (moto reads the account from the access key and the service from the credential scope, and
/// checks no signature).
async fn put_object(
    shared: &Shared,
    client_headers: &HeaderMap,
    bucket: &str,
    key: &str,
    body: Vec<u8>,
) -> Result<(), PutError> {
    let mut headers = scoped_headers(shared, client_headers, "s3");
    headers.insert(
        "x-amz-content-sha256",
        HeaderValue::from_static("UNSIGNED-PAYLOAD"),
    );
    let path = format!("/{bucket}/{}", encode_key(key));
    let uri: Uri = path
        .parse()
        .map_err(|e| PutError::Failed(format!("object key {key:?}: {e}")))?;
    let (head, answer) = send_upstream(shared.upstream, &Method::PUT, &uri, &headers, body.into())
        .await
        .map_err(|e| PutError::Failed(format!("PutObject s3://{bucket}/{key}: {e}")))?;
    if head.status.is_client_error() {
        let text = String::from_utf8_lossy(&answer);
        return Err(PutError::Refused(
            xml_field(&text, "Code").unwrap_or_else(|| head.status.as_u16().to_string()),
            xml_field(&text, "Message").unwrap_or_default(),
        ));
    }
    if !head.status.is_success() {
        return Err(PutError::Failed(format!(
            "PutObject s3://{bucket}/{key} answered {}: {}",
            head.status,
            String::from_utf8_lossy(&answer)
        )));
    }
    Ok(())
}

/// An object key as a URI path: every byte but unreserved characters and `/` percent-encoded.
fn encode_key(key: &str) -> String {
    const KEEP: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'_')
        .remove(b'.')
        .remove(b'~')
        .remove(b'/');
    percent_encoding::utf8_percent_encode(key, KEEP).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2026-03-04 05:06:07 UTC.
    const AT: i64 = 1_772_600_767;

    #[test]
    fn utc_fields_of_known_instants() {
        let at = UtcTime::from_unix(AT);
        assert_eq!(
            (at.year, at.month, at.day, at.hour, at.minute, at.second),
            (2026, 3, 4, 5, 6, 7)
        );
        assert_eq!(at.day_of_year, 63);
        let leap = UtcTime::from_unix(1_709_208_000); // 2024-02-29 12:00:00
        assert_eq!((leap.year, leap.month, leap.day), (2024, 2, 29));
        let new_year = UtcTime::from_unix(1_798_761_599); // 2026-12-31 23:59:59
        assert_eq!(
            (new_year.month, new_year.day, new_year.day_of_year),
            (12, 31, 365)
        );
        assert_eq!(UtcTime::from_unix(0).year, 1970);
    }

    #[test]
    fn timestamp_patterns_print_as_java_does() {
        let at = UtcTime::from_unix(AT);
        let f = |p: &str| format_timestamp(p, at).unwrap();
        assert_eq!(f("yyyy/MM/dd/HH/"), "2026/03/04/05/");
        assert_eq!(f("'year='yyyy'/month='MM"), "year=2026/month=03");
        assert_eq!(f("yy-M-d'T'HH:mm:ss"), "26-3-4T05:06:07");
        assert_eq!(f("'it''s' DDD"), "it's 063");
        assert!(
            format_timestamp("yyyy-ww", at).is_err(),
            "week-of-year not printed"
        );
        assert!(format_timestamp("'open", at).is_err());
    }

    #[test]
    fn prefixes_evaluate_as_firehose_documents() {
        let at = UtcTime::from_unix(AT);
        let mut rng = Rng::new(1);
        let none = BTreeMap::new();
        let eval = |p: &str, rng: &mut Rng| evaluate_prefix(p, at, &none, rng).unwrap();
        // No timestamp expression: Firehose's default layout after the prefix.
        assert_eq!(eval("", &mut rng), "2026/03/04/05/");
        assert_eq!(eval("apigw/", &mut rng), "apigw/2026/03/04/05/");
        assert_eq!(
            eval(
                "logs/year=!{timestamp:yyyy}/month=!{timestamp:MM}/",
                &mut rng
            ),
            "logs/year=2026/month=03/"
        );
        assert_eq!(
            eval("l/!{timestamp:yyyy'-'MM'-'dd}/", &mut rng),
            "l/2026-03-04/"
        );
        let random = eval("r/!{firehose:random-string}/", &mut rng);
        let (word, layout) = random["r/".len()..].split_once('/').unwrap();
        assert_eq!(word.len(), RANDOM_STRING_CHARS);
        assert!(word.chars().all(|c| c.is_ascii_alphanumeric()));
        assert_eq!(
            layout, "2026/03/04/05/",
            "random-string is no timestamp expression"
        );
        assert!(evaluate_prefix("e/!{firehose:error-output-type}/", at, &none, &mut rng).is_err());
    }

    #[test]
    fn objects_are_named_and_extended_by_configuration() {
        let at = UtcTime::from_unix(AT);
        let mut rng = Rng::new(2);
        let destination = json!({ "Prefix": "apigw/", "CompressionFormat": "GZIP" });
        let none = BTreeMap::new();
        let key = object_key(
            "amazon-apigateway-a-prod",
            "3",
            &destination,
            at,
            &none,
            &mut rng,
        )
        .unwrap();
        let name = key.strip_prefix("apigw/2026/03/04/05/").unwrap();
        let rest = name
            .strip_prefix("amazon-apigateway-a-prod-3-2026-03-04-05-06-07-")
            .unwrap();
        let uuid = rest.strip_suffix(".gz").unwrap();
        assert_eq!(uuid.len(), 36);
        assert_eq!(uuid.as_bytes()[14], b'4');
        let ext = |d: Value| extension(&d);
        assert_eq!(ext(json!({ "CompressionFormat": "UNCOMPRESSED" })), "");
        assert_eq!(
            ext(json!({ "CompressionFormat": "HADOOP_SNAPPY" })),
            ".hsnappy"
        );
        assert_eq!(
            ext(json!({ "CompressionFormat": "GZIP", "FileExtension": ".json.gz" })),
            ".json.gz"
        );
        assert_eq!(
            ext(json!({ "CompressionFormat": "UNCOMPRESSED",
                "DataFormatConversionConfiguration": { "Enabled": true,
                    "OutputFormatConfiguration": { "Serializer": { "ParquetSerDe": {} } } } })),
            ".parquet"
        );
    }

    #[test]
    fn records_concatenate_with_nothing_added() {
        let records = vec![b"{\"a\":1}".to_vec(), b"{\"a\":2}".to_vec()];
        assert_eq!(
            object_body(&records, "UNCOMPRESSED").unwrap(),
            b"{\"a\":1}{\"a\":2}"
        );
        let gz = object_body(&records, "GZIP").unwrap();
        let mut text = String::new();
        std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(&gz[..]), &mut text)
            .unwrap();
        assert_eq!(text, "{\"a\":1}{\"a\":2}");
        assert!(object_body(&records, "Snappy").is_none(), "left to moto");
        assert_eq!(encode_key("a/b=c/x y"), "a/b%3Dc/x%20y");
    }

    #[test]
    fn partitioned_records_group_by_the_querys_keys() {
        let destination = json!({
            "DynamicPartitioningConfiguration": {"Enabled": true},
            "ProcessingConfiguration": {"Enabled": true, "Processors": [{
                "Type": "MetadataExtraction",
                "Parameters": [
                    {"ParameterName": "MetadataExtractionQuery", "ParameterValue": "{api_id: .apiId, stage: .stage}"},
                    {"ParameterName": "JsonParsingEngine", "ParameterValue": "JQ-1.6"}
                ]
            }]}
        });
        let record = |api: &str, stage: &str| {
            format!("{{\"apiId\":\"{api}\",\"stage\":\"{stage}\"}}\n").into_bytes()
        };
        let records = [
            record("a", "prod"),
            record("b", "prod"),
            record("a", "prod"),
        ];
        let groups = partitions(&destination, &records).unwrap();
        assert_eq!(groups.len(), 2);
        assert_eq!(groups[0].0["api_id"], "a");
        assert_eq!(groups[0].1.len(), 2);
        let at = UtcTime::from_unix(0);
        let mut rng = Rng::new(1);
        let prefix = evaluate_prefix(
            "api_id=!{partitionKeyFromQuery:api_id}/stage=!{partitionKeyFromQuery:stage}/",
            at,
            &groups[1].0,
            &mut rng,
        )
        .unwrap();
        assert!(prefix.starts_with("api_id=b/stage=prod/"), "{prefix}");
        assert!(partitions(&destination, &[b"not json".to_vec()]).is_err());
        let plain = json!({});
        assert_eq!(partitions(&plain, &records).unwrap().len(), 1);
    }
}
