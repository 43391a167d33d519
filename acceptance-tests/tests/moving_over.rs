//! Moving pipelines over to a stream and an attachment each, through the real CLI: `moved`
//! blocks take the pipelines to `apigw_stage_access_log`, `import` blocks adopt their streams
//! (with role, log group, Glue table and encryption) as `apigw_access_log_stream`. The plan shows
//! only moves and imports, the apply writes nothing to AWS (counted by the proxy), and destroy
//! gives each stage back what it had before its pipeline and leaves nothing behind.

use acceptance_tests::proxy::{Proxy, ProxyConfig};
use acceptance_tests::{
    Block, assert_contains, assert_nothing_left, aws, block_on, config, pipeline_to, s3,
    unique_name,
};

const STAGE: &str = "prod";
const LOG_GROUP: &str = "arn:aws:logs:us-east-1:123456789012:log-group:api-access";
const EARLIER_FORMAT: &str = "$context.requestId $context.status";
const USER_ROLE: &str = "team-delivery-role";

/// One pipeline of the five, and the same settings written for the stream that adopts its
/// stream: the `s3` object's arguments beside `bucket_arn`, and the arguments beside `s3`.
struct Variant {
    s3: Block,
    extra: Block,
}

fn variants(database: &str) -> Vec<Variant> {
    let plain = |extra: Block| Variant {
        s3: Block::object(),
        extra,
    };
    let off = || Block::object().expr("enabled", "false");
    vec![
        // A stage that logged to CloudWatch before its pipeline.
        plain(Block::object()),
        Variant {
            s3: Block::object()
                .string("compression", "UNCOMPRESSED")
                .expr("buffering_size_mib", "64"),
            extra: Block::object().object_attr(
                "catalog",
                Block::object()
                    .string("database", database)
                    .string("table", "moved_logs")
                    .expr("parquet", "true"),
            ),
        },
        plain(Block::object().object_attr("error_logging", off())),
        plain(Block::object().string(
            "role_arn",
            &format!("arn:aws:iam::123456789012:role/{USER_ROLE}"),
        )),
        Variant {
            s3: Block::object()
                .string("prefix", "apigw/")
                .expr("buffering_interval_seconds", "60"),
            extra: Block::object()
                .object_attr("server_side_encryption", off())
                .map("tags", [("team", "payments")]),
        },
    ]
}

/// `v`'s `s3` object for `bucket_arn`.
fn s3_of(bucket_arn: &str, v: &Variant) -> Block {
    s3(bucket_arn).with(v.s3.clone())
}

#[test]
fn five_pipelines_moved_to_streams_and_attachments_plan_no_change_and_write_nothing() {
    if acceptance_tests::emulator_only() {
        return;
    }
    let tf = acceptance_tests::TfDir::new();
    let aws = block_on(aws());
    let database = unique_name("moving_db").to_lowercase().replace('-', "_");
    let apis: Vec<String> = block_on(async {
        aws.create_bucket("logs").await;
        aws.firehose_role_made_by_hand(USER_ROLE).await;
        acceptance_tests::logs_query::create_database(&aws.glue, &database).await;
        let mut apis = Vec::new();
        for i in 0..5 {
            apis.push(aws.rest_api_with_stage(&format!("moving-{i}"), STAGE).await);
        }
        aws.set_stage_access_log(&apis[0], STAGE, LOG_GROUP, EARLIER_FORMAT)
            .await;
        apis
    });
    let before: Vec<_> = apis
        .iter()
        .map(|api| block_on(aws.stage_access_log(api, STAGE)))
        .collect();
    let bucket_arn = "arn:aws:s3:::logs";
    let variants = variants(&database);

    let pipelines: Vec<Block> = apis
        .iter()
        .zip(&variants)
        .enumerate()
        .map(|(i, (api, v))| {
            pipeline_to(&format!("p{i}"), api, STAGE, s3_of(bucket_arn, v)).with(v.extra.clone())
        })
        .collect();
    tf.write("main.tf", config(&pipelines));
    tf.init().success();
    tf.apply().success();
    let streams: Vec<String> = (0..5)
        .map(|i| {
            let p = tf.state_resource(&format!("apigw_access_log_pipeline.p{i}"));
            p["delivery_stream_name"].as_str().unwrap().to_owned()
        })
        .collect();
    let pipeline_ids: Vec<String> = (0..5)
        .map(|i| {
            let p = tf.state_resource(&format!("apigw_access_log_pipeline.p{i}"));
            p["pipeline_id"].as_str().unwrap().to_owned()
        })
        .collect();
    let stages_applied: Vec<_> = apis
        .iter()
        .map(|api| block_on(aws.stage_access_log(api, STAGE)))
        .collect();

    // Each pipeline moved to a stream (adopting its stream through an import) and an
    // attachment; `first_tags` go on the first stream.
    let moved_config = |first_tags: Block| {
        let mut blocks = Vec::new();
        for (i, (api, v)) in apis.iter().zip(&variants).enumerate() {
            let tags = if i == 0 {
                first_tags.clone()
            } else {
                Block::object()
            };
            blocks.push(
                Block::resource("apigw_access_log_stream", &format!("s{i}"))
                    .string("name", &streams[i])
                    .with(tags)
                    .expr("format", "provider::apigw::log_format(\"json\")")
                    .object_attr("s3", s3_of(bucket_arn, v))
                    .with(v.extra.clone()),
            );
            blocks.push(
                Block::resource("apigw_stage_access_log", &format!("a{i}"))
                    .string("rest_api_id", api)
                    .string("stage_name", STAGE)
                    .expr(
                        "destination_arn",
                        &format!("apigw_access_log_stream.s{i}.arn"),
                    ),
            );
            blocks.push(Block::moved(
                &format!("apigw_access_log_pipeline.p{i}"),
                &format!("apigw_stage_access_log.a{i}"),
            ));
            blocks.push(Block::import(
                &format!("apigw_access_log_stream.s{i}"),
                &streams[i],
            ));
        }
        config(&blocks)
    };
    let moved = moved_config(Block::object());
    // How the moved stage reads to anyone: nothing in AWS changed, so it still reads as a
    // pipeline's (see the data source's docs).
    let described = Block::data("apigw_stage_access_log", "moved")
        .string("rest_api_id", &apis[0])
        .string("stage_name", STAGE)
        .render();
    tf.write("main.tf", moved.clone() + &described);
    let plan = tf.plan().success();
    let text = format!("{}{}", plan.stdout, plan.stderr);
    assert_contains(&text, "5 to import, 0 to add, 0 to change, 0 to destroy");
    for i in 0..5 {
        assert_contains(
            &text,
            &format!("apigw_access_log_pipeline.p{i} has moved to apigw_stage_access_log.a{i}"),
        );
    }
    assert_contains(&text, "Stream adopted from an apigw_access_log_pipeline");

    let proxy = Proxy::start(ProxyConfig::new());
    let applied = tf.through(&proxy.endpoint(), "apply").success();
    assert_contains(
        &applied.stdout,
        "5 imported, 0 added, 0 changed, 0 destroyed",
    );
    let writes = proxy.writes();
    assert!(writes.is_empty(), "the move wrote to AWS: {writes:?}");
    assert!(
        proxy.total() > 0,
        "the apply's reads went through the proxy"
    );
    tf.assert_plan_empty();
    for i in 0..5 {
        let s = tf.state_resource(&format!("apigw_access_log_stream.s{i}"));
        assert_eq!(s["stream_id"], pipeline_ids[i].as_str());
        let a = tf.state_resource(&format!("apigw_stage_access_log.a{i}"));
        assert_eq!(a["attachment_id"], pipeline_ids[i].as_str());
        assert_eq!(
            block_on(aws.stage_access_log(&apis[i], STAGE)),
            stages_applied[i]
        );
    }

    let data = tf.state_resource("data.apigw_stage_access_log.moved");
    assert_eq!(data["managed_by"], "apigw_access_log_pipeline");

    // A later change of the adopted stream's tags keeps the pipeline's owner tag and its record
    // of the stage's earlier settings, which the attachment gives back on destroy.
    let record = |tags: &std::collections::BTreeMap<String, String>| -> Vec<(String, String)> {
        tags.iter()
            .filter(|(k, _)| k.starts_with("terraform-provider-apigw:"))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    };
    let provider_tags = record(&block_on(aws.stream_tags(&streams[0])));
    assert!(
        provider_tags.len() >= 2,
        "the pipeline's owner tag and record: {provider_tags:?}"
    );
    let retagged = moved_config(Block::object().map("tags", [("moved", "yes")]));
    tf.write("main.tf", &retagged);
    tf.apply().success();
    tf.assert_plan_empty();
    let after = block_on(aws.stream_tags(&streams[0]));
    assert_eq!(after.get("moved").map(String::as_str), Some("yes"));
    assert_eq!(record(&after), provider_tags);

    tf.destroy().success();
    for (api, had) in apis.iter().zip(&before) {
        assert_eq!(
            &block_on(aws.stage_access_log(api, STAGE)),
            had,
            "stage of {api}"
        );
    }
    assert_eq!(
        before[0],
        Some((LOG_GROUP.to_owned(), EARLIER_FORMAT.to_owned()))
    );
    assert_nothing_left(&aws);
    let roles = block_on(aws.role_names());
    assert!(
        roles.iter().any(|r| r == USER_ROLE),
        "the user's role is never the provider's to delete: {roles:?}"
    );
}
