//! Firehose delivery to S3 through the realism proxy, as AWS delivers (see
//! `acceptance-tests/src/proxy/delivery.rs`): object keys with the evaluated prefix and
//! Firehose's suffix, GZIP when the stream says so, and records concatenated with nothing
//! added, so a format without a trailing newline gives `{..}{..}` in one object, as on AWS.

use std::io::Read as _;

use acceptance_tests::proxy::{Proxy, ProxyConfig};
use acceptance_tests::records::{put_records, render, sample_requests};
use acceptance_tests::{Aws, aws, block_on, emulator_sdk_config, moto, real_aws, serial};
use aws_sdk_firehose::types::{CompressionFormat, ExtendedS3DestinationConfiguration};
use terraform_provider_apigw::log_format::JSON;

const ROLE: &str = "arn:aws:iam::123456789012:role/firehose-delivery-test";

/// Makes a Direct PUT stream to `bucket` with this prefix and compression, straight through
/// the SDK (the provider is not under test here).
async fn stream(aws: &Aws, name: &str, bucket: &str, prefix: &str, gzip: bool) {
    let mut destination = ExtendedS3DestinationConfiguration::builder()
        .role_arn(ROLE)
        .bucket_arn(format!("arn:aws:s3:::{bucket}"))
        .prefix(prefix)
        .compression_format(if gzip {
            CompressionFormat::Gzip
        } else {
            CompressionFormat::Uncompressed
        });
    if prefix.contains("!{") {
        destination = destination.error_output_prefix("errors/!{firehose:error-output-type}/");
    }
    aws.firehose
        .create_delivery_stream()
        .delivery_stream_name(name)
        .extended_s3_destination_configuration(destination.build().expect("destination"))
        .send()
        .await
        .expect("create_delivery_stream");
}

/// Every object in the bucket: key and body (gunzipped when the key ends in `.gz`).
async fn objects(aws: &Aws, bucket: &str) -> Vec<(String, String)> {
    let listed = aws
        .s3
        .list_objects_v2()
        .bucket(bucket)
        .send()
        .await
        .expect("list_objects_v2");
    let mut found = Vec::new();
    for key in listed.contents().iter().filter_map(|o| o.key()) {
        let got = aws.s3.get_object().bucket(bucket).key(key).send().await;
        let bytes = got.expect("get_object").body.collect().await.unwrap();
        let bytes = bytes.into_bytes();
        let text = if key.ends_with(".gz") {
            let mut text = String::new();
            flate2::read::GzDecoder::new(&bytes[..])
                .read_to_string(&mut text)
                .expect("a GZIP object");
            text
        } else {
            String::from_utf8(bytes.to_vec()).expect("UTF-8 records")
        };
        found.push((key.to_owned(), text));
    }
    found
}

/// `yyyy/MM/dd/HH/` in UTC of now and of a minute ago (an object written just before the hour
/// turned has the hour before).
fn hour_layouts() -> Vec<String> {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    [now, now - 60]
        .iter()
        .map(|secs| {
            let out = std::process::Command::new("date")
                .args(["-u", "-d", &format!("@{secs}"), "+%Y/%m/%d/%H/"])
                .output()
                .expect("date");
            String::from_utf8(out.stdout).unwrap().trim().to_owned()
        })
        .collect()
}

#[test]
fn records_concatenate_with_nothing_added_under_firehose_names() {
    if real_aws() {
        eprintln!("skipped against real AWS: the proxy's delivery stands in for Firehose's");
        return;
    }
    let _serial = serial();
    moto().reset();
    block_on(async {
        let aws = aws().await;
        let bucket = aws.create_bucket("delivered").await;
        let requests = sample_requests(2);
        // The JSON preset as API Gateway writes it when the stage's format has no newline.
        let records: Vec<String> = requests.iter().map(|r| render(JSON, r)).collect();

        stream(&aws, "amazon-apigateway-plain", &bucket, "apigw/", false).await;
        put_records(&aws.firehose, "amazon-apigateway-plain", &records).await;
        let delivered = objects(&aws, &bucket).await;
        assert_eq!(delivered.len(), 1, "one object per call: {delivered:?}");
        let (key, body) = &delivered[0];
        assert_eq!(
            body,
            &format!("{}{}", records[0], records[1]),
            "{{..}}{{..}}"
        );
        assert!(
            body.contains("\" }{ \""),
            "no delimiter between records: {body}"
        );
        // <prefix><yyyy/MM/dd/HH/><stream>-<version>-<yyyy-MM-dd-HH-mm-ss>-<uuid>, no extension.
        let layout = hour_layouts()
            .into_iter()
            .find(|l| key.starts_with(&format!("apigw/{l}")))
            .unwrap_or_else(|| panic!("{key} lacks the default yyyy/MM/dd/HH/ layout"));
        let name = &key[format!("apigw/{layout}").len()..];
        let suffix = name
            .strip_prefix("amazon-apigateway-plain-1-")
            .unwrap_or_else(|| panic!("{name} is not <stream>-<version>-..."));
        let date = layout.trim_end_matches('/').replace('/', "-");
        assert!(suffix.starts_with(&date), "{suffix} starts with {date}");
        assert_eq!(suffix.len(), "2026-12-02-03-04-05-".len() + 36, "{suffix}");

        stream(
            &aws,
            "amazon-apigateway-zipped",
            &bucket,
            "logs/year=!{timestamp:yyyy}/r=!{firehose:random-string}/",
            true,
        )
        .await;
        let lines: Vec<String> = records.iter().map(|r| format!("{r}\n")).collect();
        put_records(&aws.firehose, "amazon-apigateway-zipped", &lines).await;
        let delivered = objects(&aws, &bucket).await;
        let (key, body) = delivered
            .iter()
            .find(|(k, _)| k.starts_with("logs/"))
            .expect("an object under logs/");
        let year = &hour_layouts()[0][..4];
        assert!(key.starts_with(&format!("logs/year={year}/r=")), "{key}");
        let random = key.split('/').nth(2).unwrap().trim_start_matches("r=");
        assert_eq!(random.len(), 11, "{key}");
        assert!(key.ends_with(".gz"), "{key}");
        assert_eq!(body, &lines.concat(), "one record a line, in order");
    });
}

#[test]
fn delivery_can_be_left_to_moto() {
    if real_aws() {
        return;
    }
    let _serial = serial();
    moto().reset();
    let proxy = Proxy::start(ProxyConfig::new().delivery(false));
    block_on(async {
        let config = emulator_sdk_config(&proxy.endpoint(), true).await;
        let s3 = aws_sdk_s3::Client::from_conf(
            aws_sdk_s3::config::Builder::from(&config)
                .force_path_style(true)
                .build(),
        );
        let aws = aws().await;
        let bucket = aws.create_bucket("moto-layout").await;
        stream(&aws, "amazon-apigateway-moto", &bucket, "raw", true).await;
        let records = ["a".to_owned(), "b".to_owned()];
        let firehose = aws_sdk_firehose::Client::new(&config);
        put_records(&firehose, "amazon-apigateway-moto", &records).await;
        let listed = s3.list_objects_v2().bucket(&bucket).send().await.unwrap();
        let key = listed.contents()[0].key().unwrap().to_owned();
        // moto's own layout: a "/" after the prefix, and no extension though GZIP was asked.
        assert!(key.starts_with("raw/"), "{key}");
        assert!(!key.ends_with(".gz"), "{key}");
    });
}

#[test]
fn a_refused_delivery_is_taken_and_shows_only_in_the_error_log() {
    if real_aws() {
        return;
    }
    let _serial = serial();
    moto().reset();
    block_on(async {
        let aws = aws().await;
        let (group, log_stream) = (
            "/aws/kinesisfirehose/amazon-apigateway-lost",
            "DestinationDelivery",
        );
        aws.logs
            .create_log_group()
            .log_group_name(group)
            .send()
            .await
            .expect("create_log_group");
        aws.logs
            .create_log_stream()
            .log_group_name(group)
            .log_stream_name(log_stream)
            .send()
            .await
            .expect("create_log_stream");
        // A bucket that does not exist: S3 refuses the object.
        let destination = ExtendedS3DestinationConfiguration::builder()
            .role_arn(ROLE)
            .bucket_arn("arn:aws:s3:::no-such-bucket-here")
            .cloud_watch_logging_options(
                aws_sdk_firehose::types::CloudWatchLoggingOptions::builder()
                    .enabled(true)
                    .log_group_name(group)
                    .log_stream_name(log_stream)
                    .build(),
            )
            .build()
            .expect("destination");
        aws.firehose
            .create_delivery_stream()
            .delivery_stream_name("amazon-apigateway-lost")
            .extended_s3_destination_configuration(destination)
            .send()
            .await
            .expect("create_delivery_stream");
        let records: Vec<String> = sample_requests(2).iter().map(|r| render(JSON, r)).collect();
        // The put succeeds, as on AWS: Firehose took the records.
        put_records(&aws.firehose, "amazon-apigateway-lost", &records).await;
        let events = aws
            .logs
            .get_log_events()
            .log_group_name(group)
            .log_stream_name(log_stream)
            .send()
            .await
            .expect("get_log_events");
        let messages: Vec<serde_json::Value> = events
            .events()
            .iter()
            .filter_map(|e| serde_json::from_str(e.message()?).ok())
            .collect();
        assert_eq!(messages.len(), 1, "{messages:?}");
        assert_eq!(messages[0]["errorCode"], "S3.NoSuchBucket", "{messages:?}");
        assert_eq!(
            messages[0]["destination"], "arn:aws:s3:::no-such-bucket-here",
            "{messages:?}"
        );
    });
}
