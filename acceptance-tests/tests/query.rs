//! The logs answer queries: records put into a pipeline's stream, rendered from the stage's
//! format as API Gateway renders it, come back from a real query engine (DuckDB, through
//! `acceptance-tests/scripts/query_logs.py`) reading the Glue table as it is in the emulator,
//! field by field, by request id. The table is read back from Glue, never derived here again:
//! the script follows its partition projection to the delivered objects' keys and reads them
//! with the reader its SerDe names.

use std::collections::BTreeMap;
use std::process::Command;

use acceptance_tests::logs_query::{self, create_database, query_rows, venv_python};
use acceptance_tests::records::{Request, put_records, render, sample_requests};
use acceptance_tests::{
    Aws, Block, TfDir, aws, block_on, config, emulator_only, moto, pipeline_to, s3, serial,
    workspace_root,
};
use aws_sdk_firehose::types::{CompressionFormat, ExtendedS3DestinationConfiguration};
use aws_sdk_glue::types::{Column, SerDeInfo, StorageDescriptor, TableInput};
use terraform_provider_apigw::log_format::{CLF, PRESETS};

const DATABASE: &str = "access_logs";
const RECORDS: u32 = 4;

/// The script's own unit tests (date patterns, projection, each SerDe's reader), in the venv.
#[test]
fn query_script_unit_tests() {
    let out = Command::new(venv_python())
        .args(["-m", "unittest", "-v", "test_query_logs"])
        .current_dir(workspace_root().join("acceptance-tests/scripts"))
        .output()
        .expect("running the script's unit tests");
    assert!(
        out.status.success(),
        "test_query_logs.py failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `$context.` variable of each column, from the Glue table as the emulator holds it.
async fn column_variables(database: &str, table: &str) -> BTreeMap<String, String> {
    let glue = logs_query::glue().await;
    let got = glue
        .get_table()
        .database_name(database)
        .name(table)
        .send()
        .await
        .unwrap_or_else(|e| panic!("glue get_table {database}.{table}: {e:?}"));
    let table = got.table().expect("a table");
    let columns = table
        .storage_descriptor()
        .map(|sd| sd.columns())
        .unwrap_or_default();
    columns
        .iter()
        .map(|c| {
            let variable = c
                .comment()
                .and_then(|v| v.strip_prefix("$context."))
                .unwrap_or_else(|| panic!("column {} has no $context comment", c.name()));
            (c.name().to_owned(), variable.to_owned())
        })
        .collect()
}

/// Asserts that `rows` are exactly `sent`, each field as the request had it, matched by the
/// column that holds `$context.requestId`.
#[track_caller]
fn assert_rows_are_records(
    what: &str,
    rows: &[serde_json::Value],
    columns: &BTreeMap<String, String>,
    sent: &[Request],
) {
    let id_column = columns
        .iter()
        .find(|(_, v)| *v == "requestId")
        .map(|(c, _)| c.clone())
        .unwrap_or_else(|| panic!("{what}: no column holds $context.requestId: {columns:?}"));
    assert_eq!(
        rows.len(),
        sent.len(),
        "{what}: one row per record sent; rows: {rows:#?}"
    );
    for request in sent {
        let id = &request["requestId"];
        let row = rows
            .iter()
            .find(|r| r[&id_column] == id.as_str())
            .unwrap_or_else(|| panic!("{what}: no row with {id_column} = {id}: {rows:#?}"));
        for (column, variable) in columns {
            let expected = request
                .get(variable.as_str())
                .map(String::as_str)
                .unwrap_or(acceptance_tests::records::NO_VALUE);
            assert_eq!(
                row[column].as_str(),
                Some(expected),
                "{what}: column {column} ($context.{variable}) of request {id}"
            );
        }
        assert!(
            row["dt"].is_string(),
            "{what}: the partition column dt: {row}"
        );
    }
}

/// The stage's access-log format as API Gateway holds it (with the newline the provider adds).
async fn stage_format(aws: &Aws, api: &str) -> String {
    aws.stage_access_log(api, "prod")
        .await
        .map(|(_, format)| format)
        .expect("the stage logs to the pipeline")
}

/// One pipeline per preset and compression (and one with a prefix of timestamp expressions),
/// applied through the real CLI with `catalog`; the records sent come back from DuckDB.
#[test]
fn every_preset_and_compression_reads_back_record_by_record() {
    if emulator_only() {
        return;
    }
    let tf = TfDir::new();
    let aws = block_on(aws());
    let bucket = block_on(aws.create_bucket("queried-logs"));
    let bucket_arn = format!("arn:aws:s3:::{bucket}");
    block_on(create_database(&block_on(logs_query::glue()), DATABASE));

    // (resource name = table name, REST API, preset, compression, the prefixes of `s3`)
    let mut cases: Vec<(String, String, &str, &str, Block)> = Vec::new();
    for (preset, _) in PRESETS {
        for compression in ["GZIP", "UNCOMPRESSED"] {
            let name = format!("{preset}_{}", compression.to_lowercase());
            let prefix = Block::object().string("prefix", &format!("logs/{name}/"));
            cases.push((name, String::new(), preset, compression, prefix));
        }
    }
    let dated = Block::object()
        .string(
            "prefix",
            "dated/year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/hour=!{timestamp:HH}/",
        )
        .string("error_output_prefix", "errors/!{firehose:error-output-type}/");
    cases.push((
        "json_dated".to_owned(),
        String::new(),
        "json",
        "GZIP",
        dated,
    ));
    let mut pipelines = Vec::new();
    for (name, api, preset, compression, prefix) in &mut cases {
        *api = block_on(aws.rest_api_with_stage(&format!("q-{name}"), "prod"));
        let s3 = s3(&bucket_arn)
            .string("compression", compression)
            .with(prefix.clone());
        let catalog = Block::object()
            .string("database", DATABASE)
            .string("table", name);
        pipelines.push(
            pipeline_to(name, api, "prod", s3)
                .expr(
                    "format",
                    &format!("provider::apigw::log_format(\"{preset}\")"),
                )
                .object_attr("catalog", catalog),
        );
    }
    tf.write("main.tf", config(&pipelines));
    tf.init().success();
    tf.apply().success();
    tf.assert_plan_empty();

    let sent = sample_requests(RECORDS);
    for (name, api, ..) in &cases {
        let addr = format!("apigw_access_log_pipeline.{name}");
        let state = tf.state_resource(&addr);
        let stream = state["delivery_stream_name"].as_str().expect("stream name");
        let format = block_on(stage_format(&aws, api));
        assert!(
            format.ends_with('\n'),
            "{addr}: the stage's format ends in one newline"
        );
        let records: Vec<String> = sent.iter().map(|r| render(&format, r)).collect();
        block_on(put_records(&aws.firehose, stream, &records));

        let table = state["catalog"]["table"].as_str().expect("catalog.table");
        let columns = block_on(column_variables(DATABASE, table));
        let rows = query_rows(DATABASE, table, None);
        assert_rows_are_records(&addr, &rows, &columns, &sent);
    }
    let counts = query_rows(
        DATABASE,
        "clf_gzip",
        Some("SELECT status, count(*) AS n FROM clf_gzip GROUP BY status ORDER BY status"),
    );
    println!("status counts over clf_gzip: {counts:?}");
    assert_eq!(
        counts,
        vec![
            serde_json::json!({"status": "200", "n": 2}),
            serde_json::json!({"status": "404", "n": 1}),
            serde_json::json!({"status": "500", "n": 1}),
        ]
    );
    tf.destroy().success();
}

/// The script over a table made by hand exactly as spec'd for the provider's CLF layout
/// (RegexSerDe, Firehose's default hourly layout projected), and a stream made through the SDK:
/// the reading side proven without the provider.
#[test]
fn a_hand_made_regex_table_reads_back() {
    if emulator_only() {
        return;
    }
    let _serial = serial();
    moto().reset();
    block_on(async {
        let aws = aws().await;
        let bucket = aws.create_bucket("hand-made").await;
        let glue = logs_query::glue().await;
        create_database(&glue, DATABASE).await;
        let stream = "amazon-apigateway-hand-made";
        let destination = ExtendedS3DestinationConfiguration::builder()
            .role_arn("arn:aws:iam::123456789012:role/firehose-query-test")
            .bucket_arn(format!("arn:aws:s3:::{bucket}"))
            .prefix("clf/")
            .compression_format(CompressionFormat::Gzip)
            .build()
            .unwrap();
        aws.firehose
            .create_delivery_stream()
            .delivery_stream_name(stream)
            .extended_s3_destination_configuration(destination)
            .send()
            .await
            .expect("create_delivery_stream");

        let variables = acceptance_tests::records::variables(CLF);
        let mut regex = String::new();
        let mut rest = CLF;
        for v in &variables {
            let at = rest.find(&format!("$context.{v}")).unwrap();
            regex.push_str(&regex::escape(&rest[..at]));
            regex.push_str("(.*?)");
            rest = &rest[at + "$context.".len() + v.len()..];
        }
        regex.push_str(&regex::escape(rest));
        let columns: Vec<Column> = variables
            .iter()
            .map(|v| {
                let name: String = v
                    .chars()
                    .flat_map(|c| match c {
                        '.' => vec!['_'],
                        c if c.is_ascii_uppercase() => vec!['_', c.to_ascii_lowercase()],
                        c => vec![c],
                    })
                    .collect();
                Column::builder()
                    .name(name)
                    .r#type("string")
                    .comment(format!("$context.{v}"))
                    .build()
                    .unwrap()
            })
            .collect();
        let hour = std::process::Command::new("date")
            .args(["-u", "-d", "-1 hour", "+%Y/%m/%d/%H"])
            .output()
            .unwrap();
        let start = String::from_utf8(hour.stdout).unwrap().trim().to_owned();
        let table = TableInput::builder()
            .name("clf_by_hand")
            .table_type("EXTERNAL_TABLE")
            .partition_keys(
                Column::builder()
                    .name("dt")
                    .r#type("string")
                    .build()
                    .unwrap(),
            )
            .parameters("classification", "text")
            .parameters("projection.enabled", "true")
            .parameters("projection.dt.type", "date")
            .parameters("projection.dt.format", "yyyy/MM/dd/HH")
            .parameters("projection.dt.range", format!("{start},NOW"))
            .parameters("projection.dt.interval", "1")
            .parameters("projection.dt.interval.unit", "HOURS")
            .parameters(
                "storage.location.template",
                format!("s3://{bucket}/clf/${{dt}}/"),
            )
            .storage_descriptor(
                StorageDescriptor::builder()
                    .set_columns(Some(columns))
                    .location(format!("s3://{bucket}/clf/"))
                    .input_format("org.apache.hadoop.mapred.TextInputFormat")
                    .output_format("org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat")
                    .serde_info(
                        SerDeInfo::builder()
                            .serialization_library("org.apache.hadoop.hive.serde2.RegexSerDe")
                            .parameters("input.regex", &regex)
                            .build(),
                    )
                    .build(),
            )
            .build()
            .unwrap();
        glue.create_table()
            .database_name(DATABASE)
            .table_input(table)
            .send()
            .await
            .expect("glue create_table");

        let sent = sample_requests(RECORDS);
        let records: Vec<String> = sent
            .iter()
            .map(|r| render(&format!("{CLF}\n"), r))
            .collect();
        put_records(&aws.firehose, stream, &records).await;
        let columns = column_variables(DATABASE, "clf_by_hand").await;
        let rows = query_rows(DATABASE, "clf_by_hand", None);
        assert_rows_are_records("clf_by_hand", &rows, &columns, &sent);

        // Without the newline, as API Gateway writes a format lacking it, the records of one
        // object are one line: the engine sees one row where four were sent.
        let glued: Vec<String> = sent.iter().map(|r| render(CLF, r)).collect();
        put_records(&aws.firehose, stream, &glued).await;
        let rows = query_rows(DATABASE, "clf_by_hand", None);
        assert_eq!(rows.len(), RECORDS as usize + 1, "{rows:#?}");
    });
}
