//! The demo behind `make demo`: the quickstart pipeline applied with the real terraform CLI
//! against the local emulator, a few access-log records sent through it exactly as API Gateway
//! writes them, the objects in S3, and a query over them through the Glue table the pipeline
//! made, run by a real embedded engine (DuckDB).

use std::io::Read as _;

use acceptance_tests::logs_query::{self, Output};
use acceptance_tests::records::{put_records, render, sample_requests};
use acceptance_tests::{
    Aws, TfDir, aws, aws_endpoint, block_on, moto, provider_binary, quote, workspace_root,
};

const STAGE: &str = "prod";
const BUCKET: &str = "apigw-demo-access-logs";
const DATABASE: &str = "apigw_demo";
const REQUESTS: u32 = 5;

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

    step(
        "Creating what a user already has: a REST API deployed to a stage, a bucket, a Glue database",
    );
    let api_id = block_on(aws.rest_api_with_stage("demo-api", STAGE));
    block_on(aws.create_bucket(BUCKET));
    let glue = block_on(logs_query::glue());
    block_on(logs_query::create_database(&glue, DATABASE));
    println!(
        "    REST API {api_id}, stage {STAGE:?}, bucket {BUCKET:?}, Glue database {DATABASE:?}"
    );

    step("terraform init && terraform apply on examples/quickstart");
    let example = std::fs::read_to_string(workspace_root().join("examples/quickstart/main.tf"))
        .expect("reading examples/quickstart/main.tf");
    dir.write("main.tf", example);
    dir.write(
        "terraform.tfvars",
        [
            ("rest_api_id", api_id.as_str()),
            ("bucket_name", BUCKET),
            ("glue_database", DATABASE),
        ]
        .map(|(name, value)| format!("{name} = {}\n", quote(value)))
        .concat(),
    );
    dir.init().success();
    print!("{}", dir.apply().success().stdout);

    let state = dir.state_resource("apigw_access_log_pipeline.this");
    let stream = state["delivery_stream_name"]
        .as_str()
        .expect("stream name in state")
        .to_owned();
    let table = state["catalog"]["table"]
        .as_str()
        .expect("catalog.table in state")
        .to_owned();

    step("The stage's access-log settings now");
    let format = show_stage(&aws, &api_id).expect("the stage logs after apply");

    step(&format!(
        "Sending {REQUESTS} requests' access-log records into the stream, rendered from the stage's format as API Gateway renders them"
    ));
    let records: Vec<String> = sample_requests(REQUESTS)
        .iter()
        .map(|request| render(&format, request))
        .collect();
    for r in &records {
        // The newline the record ends in, shown as `\n`.
        let shown = r.strip_suffix('\n').map(|line| format!("{line}\\n"));
        println!("    {}", shown.as_deref().unwrap_or(r));
    }
    block_on(put_records(&aws.firehose, &stream, &records));

    step(&format!("Objects in s3://{BUCKET}/"));
    let keys = block_on(list_objects(&aws));
    for k in &keys {
        println!("    {k}");
    }
    if let Some(first) = keys.first() {
        step(&format!("Contents of {first}, gunzipped"));
        print!("{}", indent(&block_on(get_object(&aws, first))));
        println!(
            "    (One record a line: the stage's format ends in a newline, and Firehose adds none."
        );
        println!("     Here each call's records land at once; AWS buffers them for up to");
        println!("     buffering_interval_seconds.)");
    }

    step(&format!(
        "Querying the logs through the Glue table {DATABASE}.{table} with DuckDB (as Athena would)"
    ));
    let sql =
        format!("SELECT status, count(*) AS requests FROM {table} GROUP BY status ORDER BY status");
    println!("    {sql}");
    print!(
        "{}",
        indent(&logs_query::query_logs(
            DATABASE,
            &table,
            Some(&sql),
            Output::Table
        ))
    );

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

/// Prints the stage's access-log settings; returns its format, if it logs.
fn show_stage(aws: &Aws, api_id: &str) -> Option<String> {
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
            println!("    format:         {:?}", s.format().unwrap_or("-"));
            s.format().map(str::to_owned)
        }
        None => {
            println!("    (no access logging)");
            None
        }
    }
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
    if !key.ends_with(".gz") {
        return String::from_utf8_lossy(&bytes).into_owned();
    }
    let mut text = String::new();
    flate2::read::GzDecoder::new(&bytes[..])
        .read_to_string(&mut text)
        .expect("a GZIP object");
    text
}
