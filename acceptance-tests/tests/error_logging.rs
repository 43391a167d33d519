//! `error_logging` of `apigw_access_log_pipeline`: the stream's delivery errors in CloudWatch
//! Logs, on by default in a log group the provider makes, tags and deletes, or in a group of
//! the user's that it never touches. Through the real terraform CLI, checked through the AWS
//! SDK against moto.

use acceptance_tests::proxy::{Proxy, ProxyConfig};
use acceptance_tests::{
    Aws, Block, TfDir, assert_contains, assert_nothing_left, aws, block_on, log_group_leftovers,
    parse_policy, pipeline,
};

use serde_json::Value;

const ADDR: &str = "apigw_access_log_pipeline.x";
const OWNER_TAG: &str = "terraform-provider-apigw:pipeline";
const ACCOUNT: &str = "123456789012";

fn config(api: &str, extra: Block) -> String {
    acceptance_tests::config(&[pipeline("x", api, "prod", "arn:aws:s3:::error-logs").with(extra)])
}

/// `tags = { team = "<team>" }`.
fn team(team: &str) -> Block {
    Block::object().map("tags", [("team", team)])
}

/// `error_logging = { ... }`.
fn error_logging(settings: Block) -> Block {
    Block::object().object_attr("error_logging", settings)
}

fn fixtures(aws: &Aws) -> String {
    block_on(async {
        aws.create_bucket("error-logs").await;
        aws.rest_api_with_stage("error-logged-api", "prod").await
    })
}

fn stream_name(api: &str) -> String {
    format!("amazon-apigateway-{api}-prod")
}

fn owned_group(api: &str) -> String {
    format!("/aws/kinesisfirehose/{}", stream_name(api))
}

/// The stream's CloudWatchLoggingOptions as Firehose reports them: enabled, group, stream.
fn logging_options(aws: &Aws, api: &str) -> (bool, Option<String>, Option<String>) {
    block_on(async {
        let out = aws
            .firehose
            .describe_delivery_stream()
            .delivery_stream_name(stream_name(api))
            .send()
            .await
            .expect("describe_delivery_stream");
        let d = out.delivery_stream_description().expect("description");
        let s3 = d.destinations()[0]
            .extended_s3_destination_description()
            .expect("an ExtendedS3 destination");
        let o = s3.cloud_watch_logging_options();
        (
            o.and_then(|o| o.enabled()).unwrap_or(false),
            o.and_then(|o| o.log_group_name()).map(str::to_owned),
            o.and_then(|o| o.log_stream_name()).map(str::to_owned),
        )
    })
}

/// The owned role's policy statement for error logging, if it has one.
fn logging_statement(aws: &Aws, api: &str) -> Option<Value> {
    let role = format!("apigw-logs-us-east-1-{api}-prod");
    let document = block_on(async {
        aws.iam
            .get_role_policy()
            .role_name(&role)
            .policy_name("firehose-delivery-to-s3")
            .send()
            .await
            .expect("the owned role's inline policy")
            .policy_document()
            .to_owned()
    });
    let policy = parse_policy(&document);
    policy["Statement"]
        .as_array()
        .expect("statements")
        .iter()
        .find(|s| {
            s["Action"].as_array().is_some_and(|a| {
                a.iter()
                    .any(|a| a.as_str().is_some_and(|a| a.starts_with("logs:")))
            })
        })
        .cloned()
}

fn groups(aws: &Aws, prefix: &str) -> Vec<String> {
    block_on(aws.log_group_names(prefix))
}

#[test]
fn by_default_the_provider_makes_tags_repairs_and_deletes_its_log_group() {
    if acceptance_tests::emulator_only() {
        return;
    }
    let tf = TfDir::new();
    let aws = block_on(aws());
    let api = fixtures(&aws);
    let group = owned_group(&api);
    tf.write("main.tf", config(&api, team("logs")));
    tf.init().success();
    tf.apply().success();
    let id = tf.state_resource(ADDR)["pipeline_id"]
        .as_str()
        .expect("pipeline_id")
        .to_owned();

    // The console's group and stream, tagged like the stream, named by the destination.
    assert_eq!(groups(&aws, "/aws/kinesisfirehose/"), vec![group.clone()]);
    let tags = block_on(aws.log_group_tags(&group));
    assert_eq!(tags.get(OWNER_TAG), Some(&id), "{tags:?}");
    assert_eq!(
        tags.get("team").map(String::as_str),
        Some("logs"),
        "{tags:?}"
    );
    assert_eq!(
        block_on(aws.log_stream_names(&group)),
        ["DestinationDelivery"]
    );
    assert_eq!(
        logging_options(&aws, &api),
        (
            true,
            Some(group.clone()),
            Some("DestinationDelivery".into())
        )
    );
    // The role may put events into that one stream, and no more.
    let statement = logging_statement(&aws, &api).expect("a logs statement");
    assert_eq!(
        statement["Action"],
        serde_json::json!(["logs:PutLogEvents"])
    );
    assert_eq!(
        statement["Resource"],
        serde_json::json!([format!(
            "arn:aws:logs:us-east-1:{ACCOUNT}:log-group:{group}:log-stream:DestinationDelivery"
        )])
    );
    let state = tf.state_resource(ADDR);
    assert_eq!(state["error_logging"]["enabled"], true);
    assert_eq!(state["error_logging"]["log_group_name"], group.as_str());
    assert_eq!(
        state["error_logging"]["log_stream_name"],
        "DestinationDelivery"
    );
    tf.assert_plan_empty();

    // New tags reach the group as they reach the stream.
    tf.write(
        "main.tf",
        config(&api, Block::object().map("tags", [("owner", "ops")])),
    );
    tf.apply().success();
    let tags = block_on(aws.log_group_tags(&group));
    assert_eq!(
        tags.get("owner").map(String::as_str),
        Some("ops"),
        "{tags:?}"
    );
    assert!(!tags.contains_key("team"), "{tags:?}");
    assert_eq!(tags.get(OWNER_TAG), Some(&id), "{tags:?}");
    tf.write("main.tf", config(&api, team("logs")));
    tf.apply().success();
    tf.assert_plan_empty();

    // Deleted outside Terraform: the plan shows it, and the apply makes it again.
    block_on(aws.logs.delete_log_group().log_group_name(&group).send()).expect("delete");
    let plan = tf.plan().success();
    assert_contains(&plan.stdout, "error_logging");
    assert_contains(&plan.stdout, "1 to change");
    tf.apply().success();
    assert_eq!(
        block_on(aws.log_stream_names(&group)),
        ["DestinationDelivery"]
    );
    assert_eq!(
        block_on(aws.log_group_tags(&group)).get(OWNER_TAG),
        Some(&id)
    );
    tf.assert_plan_empty();

    // Its stream deleted outside Terraform: made again too.
    block_on(
        aws.logs
            .delete_log_stream()
            .log_group_name(&group)
            .log_stream_name("DestinationDelivery")
            .send(),
    )
    .expect("delete_log_stream");
    let plan = tf.plan().success();
    assert_contains(&plan.stdout, "1 to change");
    tf.apply().success();
    assert_eq!(
        block_on(aws.log_stream_names(&group)),
        ["DestinationDelivery"]
    );
    tf.assert_plan_empty();

    // Turned off outside Terraform (on the stream): the plan turns it back on.
    block_on(async {
        let d = aws
            .firehose
            .describe_delivery_stream()
            .delivery_stream_name(stream_name(&api))
            .send()
            .await
            .expect("describe");
        let d = d.delivery_stream_description().unwrap();
        aws.firehose
            .update_destination()
            .delivery_stream_name(stream_name(&api))
            .current_delivery_stream_version_id(d.version_id())
            .destination_id(d.destinations()[0].destination_id())
            .extended_s3_destination_update(
                aws_sdk_firehose::types::ExtendedS3DestinationUpdate::builder()
                    .cloud_watch_logging_options(
                        aws_sdk_firehose::types::CloudWatchLoggingOptions::builder()
                            .enabled(false)
                            .build(),
                    )
                    .build(),
            )
            .send()
            .await
            .expect("update_destination")
    });
    let plan = tf.plan().success();
    assert_contains(&plan.stdout, "enabled = false -> true");
    tf.apply().success();
    assert!(logging_options(&aws, &api).0);
    tf.assert_plan_empty();

    // Turned off: Firehose logs nowhere, the role may no longer log, the group is gone.
    tf.write(
        "main.tf",
        config(
            &api,
            team("logs").with(error_logging(Block::object().expr("enabled", "false"))),
        ),
    );
    tf.apply().success();
    assert!(!logging_options(&aws, &api).0);
    assert!(logging_statement(&aws, &api).is_none());
    assert_eq!(groups(&aws, "/aws/kinesisfirehose/"), Vec::<String>::new());
    tf.assert_plan_empty();

    // On again, then destroyed: nothing is left.
    tf.write("main.tf", config(&api, team("logs")));
    tf.apply().success();
    assert_eq!(groups(&aws, "/aws/kinesisfirehose/"), vec![group.clone()]);
    tf.assert_plan_empty();
    tf.destroy().success();
    assert_nothing_left(&aws);

    // Every CloudWatch Logs call went through the contract layer, and none broke AWS's model.
    let contract = acceptance_tests::contract_proxy();
    for api in [
        "logs:CreateLogGroup",
        "logs:CreateLogStream",
        "logs:DeleteLogGroup",
    ] {
        assert!(
            contract.count(api) > 0,
            "no {api} seen: {:?}",
            contract.counts()
        );
    }
    assert!(contract.breaches().is_empty(), "{:?}", contract.breaches());
}

#[test]
fn a_users_group_must_exist_is_used_as_given_and_is_left_on_destroy() {
    if acceptance_tests::emulator_only() {
        return;
    }
    let tf = TfDir::new();
    let aws = block_on(aws());
    let api = fixtures(&aws);
    let own = error_logging(
        Block::object()
            .string("log_group_name", "team/delivery-errors")
            .string("log_stream_name", "api"),
    );
    tf.write("main.tf", config(&api, own));
    tf.init().success();

    // Not there yet: the apply says so, naming the attribute, and leaves nothing behind.
    let out = tf.apply().failure();
    assert_contains(&out.stderr, "Log group not found");
    assert_contains(&out.stderr, "error_logging.log_group_name must exist");
    assert_nothing_left(&aws);

    block_on(async {
        let logs = &aws.logs;
        logs.create_log_group()
            .log_group_name("team/delivery-errors")
            .send()
            .await
            .expect("create_log_group");
        logs.create_log_stream()
            .log_group_name("team/delivery-errors")
            .log_stream_name("api")
            .send()
            .await
            .expect("create_log_stream");
    });
    tf.apply().success();
    assert_eq!(
        logging_options(&aws, &api),
        (
            true,
            Some("team/delivery-errors".into()),
            Some("api".into())
        )
    );
    // Used as given: not tagged, no group of the provider's beside it.
    assert!(block_on(aws.log_group_tags("team/delivery-errors")).is_empty());
    assert!(log_group_leftovers(&aws).is_empty());
    let statement = logging_statement(&aws, &api).expect("a logs statement");
    assert_eq!(
        statement["Resource"],
        serde_json::json!([format!(
            "arn:aws:logs:us-east-1:{ACCOUNT}:log-group:team/delivery-errors:log-stream:api"
        )])
    );
    tf.assert_plan_empty();

    // Imported, the state holds the user's group as the stream names it.
    tf.tf(&["state", "rm", ADDR]).success();
    tf.tf(&[
        "import",
        "-input=false",
        "-no-color",
        ADDR,
        &format!("{api}/prod"),
    ])
    .success();
    let state = tf.state_resource(ADDR);
    assert_eq!(
        state["error_logging"]["log_group_name"],
        "team/delivery-errors"
    );
    assert_eq!(state["error_logging"]["log_stream_name"], "api");
    tf.assert_plan_empty();

    tf.destroy().success();
    assert_nothing_left(&aws);
    assert_eq!(groups(&aws, "team/"), ["team/delivery-errors"]);
    assert_eq!(
        block_on(aws.log_stream_names("team/delivery-errors")),
        ["api"]
    );
}

#[test]
fn bad_error_logging_is_refused_at_plan_without_an_aws_call() {
    let tf = TfDir::new();
    let proxy = Proxy::start(ProxyConfig::new());
    let endpoint = proxy.endpoint();
    let cases = [
        (
            Block::object().string("log_stream_name", "s"),
            "error_logging.log_stream_name names a log stream of a log group of your own",
        ),
        (
            Block::object().string("log_group_name", "bad group"),
            "error_logging.log_group_name",
        ),
        (
            Block::object()
                .string("log_group_name", "g")
                .string("log_stream_name", "a:b"),
            "error_logging.log_stream_name",
        ),
    ];
    tf.write("main.tf", config("abc123", Block::object()));
    tf.init().success();
    for (extra, wanted) in cases {
        tf.write("main.tf", config("abc123", error_logging(extra)));
        let out = tf
            .tf_env(
                &["plan", "-input=false", "-no-color"],
                &[("AWS_ENDPOINT_URL", &endpoint)],
            )
            .failure();
        assert_contains(&out.stderr, wanted);
    }
    let long = Block::object().string("log_group_name", &"g".repeat(513));
    tf.write("main.tf", config("abc123", error_logging(long)));
    let out = tf
        .tf_env(
            &["plan", "-input=false", "-no-color"],
            &[("AWS_ENDPOINT_URL", &endpoint)],
        )
        .failure();
    assert_contains(&out.stderr, "error_logging.log_group_name");
    assert_eq!(
        proxy.total(),
        0,
        "bad input made AWS calls: {:?}",
        proxy.counts()
    );
}
