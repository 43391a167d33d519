//! `apigw_access_log_stream`: one stream many stages log into. Through the real terraform CLI
//! and the provider binary, against moto through the realism proxy: create, an empty plan,
//! update in place, import, destroy; partitioning per API and stage with records landing
//! under their own prefixes; the plan-time refusals of partitioning's rules; a toggle of
//! partitioning shown as a replacement; and an unpartitioned stream's records found by API and
//! stage through its Glue table.

use std::collections::BTreeSet;

use acceptance_tests::logs_query::{self, create_database, query_rows};
use acceptance_tests::records::{self, put_records, render, sample_request};
use acceptance_tests::{
    Block, TfDir, assert_contains, assert_nothing_left, aws, block_on, config, pipeline, s3,
    stage_access_logs_into, stages_local,
};

const ADDR: &str = "apigw_access_log_stream.shared";
const OWNER_TAG: &str = "terraform-provider-apigw:stream";

/// A configuration of the stream `shared`: see [`stream`].
fn stream_hcl(name: &str, bucket: &str, partitioning: bool, s3: Block, extra: Block) -> String {
    config(&[stream(name, bucket, partitioning, s3, extra)])
}

/// The stream `shared`, `s3_extra` in its `s3` after the bucket and `extra` after that.
fn stream(name: &str, bucket: &str, partitioning: bool, s3_extra: Block, extra: Block) -> Block {
    let s3 = s3(&format!("arn:aws:s3:::{bucket}")).with(s3_extra);
    Block::resource("apigw_access_log_stream", "shared")
        .string("name", name)
        .expr("partitioning", &partitioning.to_string())
        .object_attr("s3", s3)
        .with(extra)
}

/// The `s3` attributes after the bucket that partitioning needs, its buffer
/// `buffering_size_mib`.
fn partitioned_s3(buffering_size_mib: u32) -> Block {
    acceptance_tests::partitioned_s3(Block::object(), buffering_size_mib)
        .string("compression", "UNCOMPRESSED")
}

fn none() -> Block {
    Block::object()
}

fn team_tag(team: &str) -> Block {
    Block::object().map("tags", [("team", team)])
}

fn format(expression: &str) -> Block {
    Block::object().expr("format", expression)
}

#[test]
fn a_shared_stream_is_created_read_updated_imported_and_destroyed() {
    if acceptance_tests::emulator_only() {
        return;
    }
    let tf = TfDir::new();
    let aws = block_on(aws());
    block_on(aws.create_bucket("shared-logs"));
    let name = "amazon-apigateway-shared";
    tf.write(
        "main.tf",
        stream_hcl(name, "shared-logs", false, none(), team_tag("a")),
    );
    tf.init().success();
    tf.apply().success();
    let state = tf.state_resource(ADDR);
    let id = state["stream_id"].as_str().expect("stream_id").to_owned();
    assert!(
        state["arn"]
            .as_str()
            .is_some_and(|a| a.ends_with(&format!(":deliverystream/{name}"))),
        "{state}"
    );
    // The formats carry the API id and stage; the default is the JSON one.
    for (preset, format) in state["formats"].as_object().expect("formats") {
        let f = format.as_str().unwrap();
        assert!(
            f.contains("$context.apiId") && f.contains("$context.stage"),
            "{preset}: {f}"
        );
    }
    assert_eq!(state["format"], state["formats"]["json"]);
    // The stream carries the stream resource's owner tag, not a pipeline's.
    let tags = block_on(aws.stream_tags(name));
    assert_eq!(tags.get(OWNER_TAG), Some(&id), "{tags:?}");
    assert!(!tags.contains_key("terraform-provider-apigw:pipeline"));
    assert_eq!(tags.get("team").map(String::as_str), Some("a"));
    tf.assert_plan_empty();

    // In place: buffering and tags change, the stream stays.
    tf.write(
        "main.tf",
        stream_hcl(
            name,
            "shared-logs",
            false,
            Block::object().expr("buffering_interval_seconds", "60"),
            team_tag("b"),
        ),
    );
    let plan = tf.plan().success();
    assert_contains(&plan.stdout, "updated in-place");
    tf.apply().success();
    assert_eq!(tf.state_resource(ADDR)["stream_id"], id.as_str());
    let tags = block_on(aws.stream_tags(name));
    assert_eq!(tags.get("team").map(String::as_str), Some("b"));
    tf.assert_plan_empty();

    // Import by name rebuilds the state: the plan after it is empty.
    tf.tf(&["state", "rm", ADDR]).success();
    tf.tf(&["import", "-input=false", "-no-color", ADDR, name])
        .success();
    assert_eq!(tf.state_resource(ADDR)["stream_id"], id.as_str());
    tf.assert_plan_empty();

    // Turning partitioning on is a replacement, and the plan says so.
    tf.write(
        "main.tf",
        stream_hcl(name, "shared-logs", true, partitioned_s3(64), team_tag("b")),
    );
    let plan = tf.plan().success();
    assert_contains(&plan.stdout, &format!("# {ADDR} must be replaced"));
    // It is `partitioning` that forces it (Firehose enables it only at creation).
    assert!(
        plan.stdout.lines().any(|l| l.contains("partitioning")
            && l.contains("false -> true")
            && l.contains("# forces replacement")),
        "{}",
        plan.stdout
    );

    tf.destroy().success();
    assert_nothing_left(&aws);
}

#[test]
fn partitioning_puts_each_api_and_stage_under_its_own_prefix() {
    if acceptance_tests::emulator_only() {
        return;
    }
    let tf = TfDir::new();
    let aws = block_on(aws());
    block_on(aws.create_bucket("partitioned-logs"));
    let name = "amazon-apigateway-partitioned";
    tf.write(
        "main.tf",
        stream_hcl(name, "partitioned-logs", true, partitioned_s3(64), none()),
    );
    tf.init().success();
    tf.apply().success();
    tf.assert_plan_empty();
    let format = tf.state_resource(ADDR)["format"]
        .as_str()
        .expect("format")
        .to_owned();

    // Records of 2 APIs x 2 stages, as API Gateway renders the stream's format, in one batch.
    let mut records = Vec::new();
    let mut i = 0;
    for api in ["api1aaaaa", "api2bbbbb"] {
        for stage in ["prod", "dev"] {
            for _ in 0..3 {
                i += 1;
                let mut request = sample_request(i);
                request.insert("apiId", api.to_owned());
                request.insert("stage", stage.to_owned());
                records.push(render(&format, &request) + "\n");
            }
        }
    }
    block_on(put_records(&aws.firehose, name, &records));
    let found = block_on(aws.bucket_objects("partitioned-logs"));
    assert_eq!(found.len(), 4, "one object per API and stage: {found:?}");
    for api in ["api1aaaaa", "api2bbbbb"] {
        for stage in ["prod", "dev"] {
            let prefix = format!("logs/api_id={api}/stage={stage}/");
            let (_, body) = found
                .iter()
                .find(|(k, _)| k.starts_with(&prefix))
                .unwrap_or_else(|| panic!("no object under {prefix}: {found:?}"));
            let lines: Vec<serde_json::Value> = body
                .lines()
                .map(|l| serde_json::from_str(l).expect("a JSON line"))
                .collect();
            assert_eq!(lines.len(), 3, "{prefix}: {body}");
            assert!(
                lines
                    .iter()
                    .all(|l| l["apiId"] == api && l["stage"] == stage),
                "{prefix}: {body}"
            );
        }
    }

    tf.destroy().success();
    assert_nothing_left(&aws);
}

#[test]
fn partitionings_rules_are_refused_at_plan_naming_the_attribute() {
    if acceptance_tests::emulator_only() {
        return;
    }
    let tf = TfDir::new();
    let aws = block_on(aws());
    block_on(aws.create_bucket("refused-logs"));
    let name = "amazon-apigateway-refused";
    tf.write(
        "main.tf",
        stream_hcl(name, "refused-logs", false, none(), none()),
    );
    tf.init().success();

    // A format that is not JSON cannot be partitioned.
    tf.write(
        "main.tf",
        stream_hcl(
            name,
            "refused-logs",
            true,
            partitioned_s3(64),
            format("provider::apigw::log_format(\"clf\")"),
        ),
    );
    let out = tf.plan().failure();
    assert_contains(&out.stderr, "Format cannot be partitioned");
    assert_contains(&out.stderr, "with apigw_access_log_stream.shared");
    assert_contains(&out.stderr, "not a JSON object");

    // JSON without the apiId and stage keys cannot be partitioned either.
    tf.write(
        "main.tf",
        stream_hcl(
            name,
            "refused-logs",
            true,
            partitioned_s3(64),
            format("provider::apigw::log_format(\"json\")"),
        ),
    );
    let out = tf.plan().failure();
    assert_contains(&out.stderr, "Format cannot be partitioned");
    assert_contains(&out.stderr, "\"apiId\" or \"stage\"");

    // A buffer under 64 MiB is refused at s3.buffering_size_mib.
    tf.write(
        "main.tf",
        stream_hcl(name, "refused-logs", true, partitioned_s3(32), none()),
    );
    let out = tf.plan().failure();
    assert_contains(&out.stderr, "Buffer too small for partitioning");
    assert_contains(&out.stderr, "s3.buffering_size_mib: must be at least 64");

    // Nothing was made by any of these plans.
    assert_nothing_left(&aws);
}

#[test]
fn a_stream_resource_never_makes_over_a_pipelines_stream_and_adopts_it_only_by_import() {
    if acceptance_tests::emulator_only() {
        return;
    }
    let tf = TfDir::new();
    let aws = block_on(aws());
    block_on(aws.create_bucket("crossed-logs"));
    let api = block_on(aws.rest_api_with_stage("crossed-api", "prod"));
    let name = "amazon-apigateway-crossed";
    let pipeline = pipeline("p", &api, "prod", "arn:aws:s3:::crossed-logs")
        .string("delivery_stream_name", name);
    tf.write("main.tf", config([&pipeline]));
    tf.init().success();
    tf.apply().success();
    let pipeline_tags = block_on(aws.stream_tags(name));

    // A stream resource of the same name is refused, naming the pipeline, and takes nothing.
    let both = config(&[
        stream(name, "crossed-logs", false, none(), none()),
        pipeline.clone(),
    ]);
    tf.write("main.tf", both);
    let out = tf.apply().failure();
    assert_contains(&out.stderr, "Delivery stream name taken");
    assert_contains(&out.stderr, "belongs to an apigw_access_log_pipeline");
    assert_eq!(block_on(aws.stream_tags(name)), pipeline_tags);

    // An import, the user's explicit choice, adopts it (for moving a pipeline over) with
    // nothing written, and warns that the pipeline must leave the state.
    let out = tf
        .tf(&["import", "-input=false", "-no-color", ADDR, name])
        .success();
    let said = format!("{}{}", out.stdout, out.stderr);
    assert_contains(&said, "Stream adopted from an apigw_access_log_pipeline");
    assert_contains(&said, "Otherwise two resources manage one stream");
    assert_eq!(block_on(aws.stream_tags(name)), pipeline_tags);
    tf.tf(&["state", "rm", "-no-color", ADDR]).success();

    tf.write("main.tf", config([&pipeline]));
    tf.destroy().success();
    assert_nothing_left(&aws);
}

#[test]
fn an_unpartitioned_shared_streams_records_are_queried_by_api_id_and_stage_columns() {
    if acceptance_tests::emulator_only() {
        return;
    }
    let (bucket, database, table) = ("shared-queried-logs", "shared_logs", "shared_access");
    let tf = TfDir::new();
    let aws = block_on(aws());
    let stages: Vec<(String, String)> = block_on(async {
        aws.create_bucket(bucket).await;
        create_database(&logs_query::glue().await, database).await;
        let mut stages = Vec::new();
        for a in ["one", "two"] {
            let api = aws
                .rest_api_with_stage(&format!("queried-{a}"), "prod")
                .await;
            aws.apigateway
                .create_deployment()
                .rest_api_id(&api)
                .stage_name("dev")
                .send()
                .await
                .expect("deployment");
            stages.push((api.clone(), "prod".to_owned()));
            stages.push((api, "dev".to_owned()));
        }
        stages
    });
    let stream = Block::resource("apigw_access_log_stream", "shared")
        .string("name", "amazon-apigateway-shared-queried")
        .object_attr(
            "s3",
            s3(&format!("arn:aws:s3:::{bucket}")).string("prefix", "shared/"),
        )
        .object_attr(
            "catalog",
            Block::object()
                .string("database", database)
                .string("table", table),
        );
    let hcl = config(&[
        stages_local(&stages),
        stream,
        stage_access_logs_into("apigw_access_log_stream.shared"),
    ]);
    tf.write("main.tf", hcl);
    tf.init().success();
    tf.apply().success();
    tf.assert_plan_empty();

    // Three records per stage, rendered from the format each stage holds, in one batch.
    let sent = records::from_stages(&stages, 3, |(api, stage)| {
        block_on(aws.stage_access_log(api, stage))
            .expect("the stage logs")
            .1
    });
    block_on(put_records(
        &aws.firehose,
        "amazon-apigateway-shared-queried",
        &sent.records,
    ));
    let sent = sent.ids;

    // The table has no partition per API or stage: the format's own columns find them.
    for ((api, stage), ids) in &sent {
        let sql = format!(
            "SELECT requestid, apiid, stage FROM {table} WHERE apiid = '{api}' AND stage = '{stage}'"
        );
        let rows = query_rows(database, table, Some(&sql));
        let got: BTreeSet<String> = rows
            .iter()
            .map(|r| r["requestid"].as_str().expect("requestid").to_owned())
            .collect();
        assert_eq!(rows.len(), ids.len(), "{api}/{stage}: {rows:#?}");
        assert_eq!(&got, ids, "{api}/{stage}");
    }
    let all = query_rows(database, table, None);
    assert_eq!(all.len(), 3 * stages.len(), "{all:#?}");

    tf.destroy().success();
    assert_nothing_left(&aws);
}
