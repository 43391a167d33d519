//! Many stages, one stream: 60 stages of 20 REST APIs pointed at one partitioned
//! `apigw_access_log_stream` by `apigw_stage_access_log`s, applied in one run through the
//! realism proxy (moto's stream quota never matters: there is one stream). Each stage's records
//! land under its own `api_id=/stage=` prefix and carry its API id and stage, and a query of the
//! stream's Glue table `WHERE api_id = ... AND stage = ...` (injected partition columns) returns
//! exactly that stage's records; destroying one attachment gives that stage back what it had
//! and leaves the stream and the other stages as they were.

use std::collections::{BTreeMap, BTreeSet};

use acceptance_tests::logs_query::{self, create_database, query_error, query_rows};
use acceptance_tests::proxy::{Proxy, ProxyConfig};
use acceptance_tests::records::{self, put_records};
use acceptance_tests::{
    Block, TfDir, assert_nothing_left, aws, block_on, partitioned_s3, s3, stage_access_logs_into,
    stages_local,
};

const APIS: usize = 20;
const STAGES_PER_API: usize = 3;
const BUCKET: &str = "many-stages-logs";
const STREAM: &str = "amazon-apigateway-many-stages";
const LOG_GROUP: &str = "arn:aws:logs:us-east-1:123456789012:log-group:before-the-stream";
const EARLIER_FORMAT: &str = "$context.requestId $context.status";
const DATABASE: &str = "many_stages";
const TABLE: &str = "access";

fn stage_name(i: usize) -> String {
    format!("s{i}")
}

fn config(stages: &[(String, String)]) -> String {
    let s3 = partitioned_s3(s3(&format!("arn:aws:s3:::{BUCKET}")), 64)
        .string("compression", "UNCOMPRESSED");
    let catalog = Block::object()
        .string("database", DATABASE)
        .string("table", TABLE);
    let stream = Block::resource("apigw_access_log_stream", "shared")
        .string("name", STREAM)
        .expr("partitioning", "true")
        .object_attr("s3", s3)
        .object_attr("catalog", catalog);
    acceptance_tests::config(&[
        stages_local(stages),
        stream,
        stage_access_logs_into("apigw_access_log_stream.shared"),
    ])
}

#[test]
fn sixty_stages_of_twenty_apis_log_into_one_partitioned_stream() {
    if acceptance_tests::emulator_only() {
        return;
    }
    let tf = TfDir::new();
    let aws = block_on(aws());
    let stages: Vec<(String, String)> = block_on(async {
        aws.create_bucket(BUCKET).await;
        create_database(&logs_query::glue().await, DATABASE).await;
        let mut stages = Vec::new();
        for a in 0..APIS {
            let api = aws
                .rest_api_with_stage(&format!("many-{a}"), &stage_name(0))
                .await;
            for s in 1..STAGES_PER_API {
                aws.apigateway
                    .create_deployment()
                    .rest_api_id(&api)
                    .stage_name(stage_name(s))
                    .send()
                    .await
                    .expect("deployment");
            }
            stages.extend((0..STAGES_PER_API).map(|s| (api.clone(), stage_name(s))));
        }
        stages
    });
    assert_eq!(stages.len(), APIS * STAGES_PER_API);
    // One stage logged to CloudWatch Logs before: its attachment's destroy gives that back.
    let (cw_api, cw_stage) = stages[7].clone();
    block_on(aws.set_stage_access_log(&cw_api, &cw_stage, LOG_GROUP, EARLIER_FORMAT));

    tf.write("main.tf", config(&stages));
    tf.init().success();
    let proxy = Proxy::start(ProxyConfig::realistic().seed(13));
    let out = tf.through(&proxy.endpoint(), "apply");
    assert!(
        out.status.success(),
        "apply through the realism proxy failed:\n{}{}",
        out.stdout,
        out.stderr
    );
    assert!(
        proxy.breaches().is_empty(),
        "AWS would have refused: {:?}",
        proxy.breaches()
    );
    assert_eq!(
        block_on(aws.delivery_stream_names()),
        vec![STREAM.to_owned()],
        "one stream for every stage"
    );
    let stream_arn = tf.state_resource("apigw_access_log_stream.shared")["arn"]
        .as_str()
        .expect("arn")
        .to_owned();
    tf.assert_plan_empty();

    // Every stage logs to the one stream, with the stream's format and a newline; each sends
    // two records rendered from the format the stage holds.
    let sent = records::from_stages(&stages, 2, |(api, stage)| {
        let (destination, format) =
            block_on(aws.stage_access_log(api, stage)).expect("the stage logs");
        assert_eq!(destination, stream_arn, "{api}/{stage}");
        assert!(format.ends_with('\n'), "{api}/{stage}: {format:?}");
        format
    });
    block_on(put_records(&aws.firehose, STREAM, &sent.records));
    let sent = sent.ids;

    // Each stage's records are under its own prefix, and only there.
    let mut found: BTreeMap<(String, String), BTreeSet<String>> = BTreeMap::new();
    for (key, body) in block_on(aws.bucket_objects(BUCKET)) {
        for line in body.lines().filter(|l| !l.is_empty()) {
            let record: serde_json::Value =
                serde_json::from_str(line).unwrap_or_else(|e| panic!("{key}: {line:?}: {e}"));
            let api = record["apiId"].as_str().expect("apiId").to_owned();
            let stage = record["stage"].as_str().expect("stage").to_owned();
            let prefix = format!("logs/api_id={api}/stage={stage}/");
            assert!(
                key.starts_with(&prefix),
                "{key} holds a record of {api}/{stage}"
            );
            found
                .entry((api, stage))
                .or_default()
                .insert(record["requestId"].as_str().expect("requestId").to_owned());
        }
    }
    assert_eq!(found, sent, "every stage's records, under its own prefix");

    // The stream's table finds each stage's records by API id and stage, and only those.
    for ((api, stage), ids) in &sent {
        let sql = format!(
            "SELECT requestid, apiid, api_id, stage, dt FROM {TABLE} \
             WHERE api_id = '{api}' AND stage = '{stage}'"
        );
        let rows = query_rows(DATABASE, TABLE, Some(&sql));
        let got: BTreeSet<String> = rows
            .iter()
            .map(|r| r["requestid"].as_str().expect("requestid").to_owned())
            .collect();
        assert_eq!(&got, ids, "{api}/{stage}: {rows:#?}");
        assert_eq!(rows.len(), ids.len(), "{api}/{stage}: {rows:#?}");
        for row in &rows {
            assert_eq!(row["apiid"], api.as_str(), "{api}/{stage}: {row}");
            assert_eq!(row["api_id"], api.as_str(), "{api}/{stage}: {row}");
            assert_eq!(row["stage"], stage.as_str(), "{api}/{stage}: {row}");
            assert!(row["dt"].is_string(), "{api}/{stage}: {row}");
        }
    }
    // As Athena: an injected column the WHERE leaves open fails the query.
    let (api, _) = &stages[0];
    let refused = query_error(
        DATABASE,
        TABLE,
        &format!("SELECT * FROM {TABLE} WHERE api_id = '{api}'"),
    );
    assert!(
        refused.contains(
            "CONSTRAINT_VIOLATION: For the injected projected partition column stage, the WHERE \
             clause must contain only static equality conditions"
        ),
        "{refused}"
    );

    // One attachment destroyed: its stage gets its CloudWatch destination back; the stream and
    // every other stage are as they were.
    let stream_tags = block_on(aws.stream_tags(STREAM));
    let others: Vec<_> = stages
        .iter()
        .filter(|s| **s != (cw_api.clone(), cw_stage.clone()))
        .map(|(a, s)| ((a.clone(), s.clone()), block_on(aws.stage_access_log(a, s))))
        .collect();
    let fewer: Vec<_> = stages
        .iter()
        .filter(|s| **s != (cw_api.clone(), cw_stage.clone()))
        .cloned()
        .collect();
    tf.write("main.tf", config(&fewer));
    let out = tf.through(&proxy.endpoint(), "apply");
    assert!(out.status.success(), "{}{}", out.stdout, out.stderr);
    assert!(
        out.stdout.contains("0 added, 0 changed, 1 destroyed"),
        "{}",
        out.stdout
    );
    assert_eq!(
        block_on(aws.stage_access_log(&cw_api, &cw_stage)),
        Some((LOG_GROUP.to_owned(), EARLIER_FORMAT.to_owned()))
    );
    for ((api, stage), before) in &others {
        assert_eq!(
            &block_on(aws.stage_access_log(api, stage)),
            before,
            "{api}/{stage}"
        );
    }
    assert_eq!(block_on(aws.stream_tags(STREAM)), stream_tags);
    assert!(proxy.breaches().is_empty(), "{:?}", proxy.breaches());

    let out = tf.through(&proxy.endpoint(), "destroy");
    assert!(out.status.success(), "{}{}", out.stdout, out.stderr);
    for (api, stage) in &fewer {
        assert_eq!(
            block_on(aws.stage_access_log(api, stage)),
            None,
            "{api}/{stage}"
        );
    }
    assert_nothing_left(&aws);
}
