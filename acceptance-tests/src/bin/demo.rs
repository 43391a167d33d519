//! The demo behind `make demo`: the quickstart pipeline applied with the real terraform CLI
//! against the local emulator, a few access-log records sent through it, and the result in S3.

use std::collections::BTreeMap;

use acceptance_tests::{
    Aws, TfDir, aws, aws_endpoint, block_on, moto, provider_binary, workspace_root,
};
use aws_sdk_firehose::primitives::Blob;
use aws_sdk_firehose::types::Record;

const STAGE: &str = "prod";
const BUCKET: &str = "apigw-demo-access-logs";

fn step(text: &str) {
    println!("\n==> {text}");
}

fn main() {
    step("Building the provider and starting the local AWS emulator (moto)");
    let binary = provider_binary();
    println!("    provider: {}", binary.display());
    let dir = TfDir::new();
    println!("    emulator: {}", moto().endpoint);
    println!(
        "    checked against AWS's published API models by the proxy at {}",
        aws_endpoint()
    );
    let aws = block_on(aws());

    step("Creating what a user already has: a REST API deployed to a stage, and a bucket");
    let api_id = block_on(aws.rest_api_with_stage("demo-api", STAGE));
    block_on(aws.create_bucket(BUCKET));
    println!("    REST API {api_id}, stage {STAGE:?}, bucket {BUCKET:?}");

    step("terraform init && terraform apply on examples/quickstart");
    let example = std::fs::read_to_string(workspace_root().join("examples/quickstart/main.tf"))
        .expect("reading examples/quickstart/main.tf");
    dir.write("main.tf", example);
    dir.write(
        "terraform.tfvars",
        format!("rest_api_id = \"{api_id}\"\nbucket_name = \"{BUCKET}\"\n"),
    );
    dir.init().success();
    print!("{}", dir.apply().success().stdout);

    let state = dir.state_resource("apigw_access_log_pipeline.this");
    let stream = state["delivery_stream_name"]
        .as_str()
        .expect("stream name in state")
        .to_owned();
    let format = state["format"]
        .as_str()
        .expect("format in state")
        .to_owned();

    step("The stage's access-log settings now");
    show_stage(&aws, &api_id);

    step(
        "Sending 3 requests' access-log records into the stream, rendered as API Gateway renders them",
    );
    let records: Vec<String> = (1..=3)
        .map(|i| render(&format, &sample_request(i)))
        .collect();
    for r in &records {
        println!("    {r}");
    }
    block_on(put_records(&aws, &stream, &records));

    step(&format!("Objects in s3://{BUCKET}/"));
    let keys = block_on(list_objects(&aws));
    for k in &keys {
        println!("    {k}");
    }
    if let Some(first) = keys.first() {
        step(&format!("Contents of {first}"));
        print!("{}", indent(&block_on(get_object(&aws, first))));
        println!(
            "    (The emulator writes records at once and uncompressed; AWS buffers them for up to"
        );
        println!("     buffering_interval_seconds and compresses them as the s3 block says.)");
    }

    step("terraform destroy");
    let destroyed = dir.destroy().success().stdout;
    print!(
        "{}",
        indent(
            destroyed
                .lines()
                .filter(|l| l.contains("apigw_access_log_pipeline.this:")
                    || l.starts_with("Destroy complete"))
                .collect::<Vec<_>>()
                .join("\n")
                .as_str()
        )
    );
    step("The stage's access-log settings after destroy (as before the pipeline: none)");
    show_stage(&aws, &api_id);
    println!(
        "\nDone. The same configuration works against AWS: drop the emulator's endpoint variables."
    );
}

fn indent(text: &str) -> String {
    text.lines().map(|l| format!("    {l}\n")).collect()
}

fn show_stage(aws: &Aws, api_id: &str) {
    let stage = block_on(
        aws.apigateway
            .get_stage()
            .rest_api_id(api_id)
            .stage_name(STAGE)
            .send(),
    )
    .expect("get_stage");
    match stage.access_log_settings() {
        Some(s) => {
            println!("    destinationArn: {}", s.destination_arn().unwrap_or("-"));
            println!("    format:         {}", s.format().unwrap_or("-"));
        }
        None => println!("    (no access logging)"),
    }
}

/// Values for a request's `$context` variables.
fn sample_request(i: u32) -> BTreeMap<&'static str, String> {
    BTreeMap::from([
        (
            "requestId",
            format!("c0ffee00-0000-4000-8000-00000000000{i}"),
        ),
        ("extendedRequestId", format!("Xyz{i}AbCdEfG=")),
        ("identity.sourceIp", format!("203.0.113.{}", 10 + i)),
        ("identity.caller", "-".to_owned()),
        ("identity.user", "-".to_owned()),
        ("requestTime", format!("24/Nov/2026:12:00:0{i} +0000")),
        ("httpMethod", "GET".to_owned()),
        ("resourcePath", "/".to_owned()),
        ("protocol", "HTTP/1.1".to_owned()),
        ("status", "200".to_owned()),
        ("responseLength", "17".to_owned()),
    ])
}

/// Replaces each `$context.NAME` in `format` with the request's value (`-` when unknown).
fn render(format: &str, request: &BTreeMap<&'static str, String>) -> String {
    const MARK: &str = "$context.";
    let mut out = String::new();
    let mut rest = format;
    while let Some(at) = rest.find(MARK) {
        out.push_str(&rest[..at]);
        let after = &rest[at + MARK.len()..];
        let len = after
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '.' || c == '_'))
            .unwrap_or(after.len());
        let name = after[..len].trim_end_matches('.');
        out.push_str(request.get(name).map(String::as_str).unwrap_or("-"));
        rest = &after[name.len()..];
    }
    out.push_str(rest);
    out
}

async fn put_records(aws: &Aws, stream: &str, lines: &[String]) {
    let records: Vec<Record> = lines
        .iter()
        .map(|l| {
            Record::builder()
                .data(Blob::new(format!("{l}\n")))
                .build()
                .expect("record")
        })
        .collect();
    aws.firehose
        .put_record_batch()
        .delivery_stream_name(stream)
        .set_records(Some(records))
        .send()
        .await
        .expect("put_record_batch");
}

async fn list_objects(aws: &Aws) -> Vec<String> {
    let out = aws
        .s3
        .list_objects_v2()
        .bucket(BUCKET)
        .send()
        .await
        .expect("list_objects_v2");
    out.contents()
        .iter()
        .filter_map(|o| o.key().map(str::to_owned))
        .collect()
}

async fn get_object(aws: &Aws, key: &str) -> String {
    let out = aws
        .s3
        .get_object()
        .bucket(BUCKET)
        .key(key)
        .send()
        .await
        .expect("get_object");
    let bytes = out.body.collect().await.expect("object body").into_bytes();
    String::from_utf8_lossy(&bytes).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn render_fills_every_variable() {
        let line = render(
            terraform_provider_apigw::log_format::CLF,
            &sample_request(1),
        );
        assert!(!line.contains("$context"), "{line}");
        assert!(line.starts_with(
            "203.0.113.11 - - [24/Nov/2026:12:00:01 +0000] \"GET / HTTP/1.1\" 200 17 c0ffee00"
        ));
        let json = render(
            terraform_provider_apigw::log_format::JSON,
            &sample_request(2),
        );
        let v: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(v["ip"], "203.0.113.12");
    }
}
