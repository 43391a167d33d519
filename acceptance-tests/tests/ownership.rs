//! Nothing lost, nothing taken: each pipeline owns only what it made (by its own
//! `pipeline_id`), and the stage's earlier access-log settings come back on every path —
//! another workspace, a replacement, an import of a stream made by hand, `state rm`
//! and import, `-replace`, `moved`, things deleted out of band, unreadable private state.
//! Everything is checked through the AWS SDK.

use acceptance_tests::{
    Aws, Block, TfDir, TfOutput, assert_contains, assert_nothing_left, aws, block_on, config,
    leftovers,
};

const ACCOUNT: &str = "123456789012";
const STAGE: &str = "prod";
const OWNER_TAG: &str = "terraform-provider-apigw:pipeline";
const LOG_GROUP: &str = "arn:aws:logs:us-east-1:123456789012:log-group:api-access";
const EARLIER_FORMAT: &str = "$context.requestId $context.status";

/// One pipeline resource `name` for `<api>/prod` delivering to `bucket`, with `extra` inside.
fn pipeline(name: &str, api: &str, bucket: &str, extra: Block) -> Block {
    let bucket_arn = format!("arn:aws:s3:::{bucket}");
    acceptance_tests::pipeline(name, api, STAGE, &bucket_arn).with(extra)
}

/// `delivery_stream_name = "<name>"`.
fn stream_named(name: &str) -> Block {
    Block::object().string("delivery_stream_name", name)
}

fn stream_arn(name: &str) -> String {
    format!("arn:aws:firehose:us-east-1:{ACCOUNT}:deliverystream/{name}")
}

fn default_stream(api: &str) -> String {
    format!("amazon-apigateway-{api}-{STAGE}")
}

/// A bucket and a REST API deployed to `prod` whose stage logs to a CloudWatch Logs group
/// with its own format, as many stages do before a pipeline comes along.
fn stage_with_cloudwatch(aws: &Aws) -> String {
    block_on(async {
        aws.create_bucket("logs").await;
        let api = aws.rest_api_with_stage("owned-api", STAGE).await;
        aws.set_stage_access_log(&api, STAGE, LOG_GROUP, EARLIER_FORMAT)
            .await;
        api
    })
}

fn stage_log(aws: &Aws, api: &str) -> Option<(String, String)> {
    block_on(aws.stage_access_log(api, STAGE))
}

#[track_caller]
fn assert_stage_has_its_earlier_settings(aws: &Aws, api: &str) {
    assert_eq!(
        stage_log(aws, api),
        Some((LOG_GROUP.to_owned(), EARLIER_FORMAT.to_owned())),
        "the stage did not get its CloudWatch destination and format back"
    );
}

/// A working directory with one pipeline `x` configured (not applied) for a stage that logs to
/// CloudWatch; the SDK clients; the REST API's id.
fn one_pipeline() -> (TfDir, Aws, String) {
    let tf = TfDir::new();
    let aws = block_on(aws());
    let api = stage_with_cloudwatch(&aws);
    tf.write(
        "main.tf",
        config(&[pipeline("x", &api, "logs", Block::object())]),
    );
    tf.init().success();
    (tf, aws, api)
}

/// Destroys, then checks that the stage has its CloudWatch settings back and nothing is left.
#[track_caller]
fn destroy_gives_everything_back(tf: &TfDir, aws: &Aws, api: &str) {
    tf.destroy().success();
    assert_stage_has_its_earlier_settings(aws, api);
    assert_nothing_left(aws);
}

fn delete_stream_out_of_band(aws: &Aws, name: &str) {
    block_on(
        aws.firehose
            .delete_delivery_stream()
            .delivery_stream_name(name)
            .send(),
    )
    .expect("delete_delivery_stream");
}

fn combined(out: &TfOutput) -> String {
    format!("{}\n{}", out.stdout, out.stderr).replace('\n', " ")
}

fn pipeline_id(tf: &TfDir, addr: &str) -> String {
    tf.state_resource(addr)["pipeline_id"]
        .as_str()
        .unwrap_or_else(|| panic!("{addr} has no pipeline_id"))
        .to_owned()
}

fn skip() -> bool {
    acceptance_tests::emulator_only()
}

#[test]
fn another_workspace_on_the_same_stage_is_refused_and_takes_nothing() {
    if skip() {
        return;
    }
    let (tf, aws, api) = one_pipeline();
    let addr = "apigw_access_log_pipeline.x";
    tf.apply().success();
    let first = pipeline_id(&tf, addr);
    let stream = default_stream(&api);
    let tags_before = block_on(aws.stream_tags(&stream));
    assert_eq!(tags_before.get(OWNER_TAG), Some(&first));

    // The same configuration in a second workspace: its own state, the same stage.
    tf.tf(&["workspace", "new", "-no-color", "second"])
        .success();
    let out = tf.apply().failure();
    let text = combined(&out);
    assert_contains(&text, "Stage already has a pipeline");
    assert_contains(&text, &format!("pipeline_id {first:?}"));
    assert_contains(&text, "terraform state rm");
    // The first workspace's objects are untouched, and the second made nothing.
    let (streams, roles) = leftovers(&aws);
    assert_eq!(streams, vec![stream.clone()]);
    assert_eq!(roles.len(), 1, "{roles:?}");
    assert_eq!(block_on(aws.stream_tags(&stream)), tags_before);
    assert_eq!(
        stage_log(&aws, &api).map(|(arn, _)| arn),
        Some(stream_arn(&stream))
    );
    // Destroying the second workspace's (empty) state touches nothing either.
    tf.destroy().success();
    assert_eq!(leftovers(&aws).0, vec![stream.clone()]);

    tf.tf(&["workspace", "select", "-no-color", "default"])
        .success();
    tf.assert_plan_empty();
    destroy_gives_everything_back(&tf, &aws, &api);
}

#[test]
fn two_resources_of_one_configuration_on_one_stage_never_share() {
    if skip() {
        return;
    }
    let tf = TfDir::new();
    let aws = block_on(aws());
    let api = stage_with_cloudwatch(&aws);
    // A copy-paste slip: the same stage twice, applied in parallel.
    let both = config(&[
        pipeline("a", &api, "logs", Block::object()),
        pipeline("b", &api, "logs", stream_named("amazon-apigateway-copy")),
    ]);
    tf.write("main.tf", &both);
    tf.init().success();
    let out = tf.apply().failure();
    assert_contains(&combined(&out), "Stage already has a pipeline");
    // Exactly one of them holds the stage, with its own stream and role.
    let (streams, roles) = leftovers(&aws);
    assert_eq!(streams.len(), 1, "{streams:?}");
    assert_eq!(roles.len(), 1, "{roles:?}");
    let state = tf.tf(&["state", "list"]).success().stdout;
    let kept: Vec<&str> = state.lines().collect();
    assert_eq!(kept.len(), 1, "{state}");
    let owner = block_on(aws.stream_tags(&streams[0]))[OWNER_TAG].clone();
    assert_eq!(owner, pipeline_id(&tf, kept[0]));
    assert_eq!(
        stage_log(&aws, &api).map(|(arn, _)| arn),
        Some(stream_arn(&streams[0]))
    );

    // Applying again refuses the other again, and still takes nothing.
    tf.apply().failure();
    assert_eq!(leftovers(&aws), (streams, roles));
    destroy_gives_everything_back(&tf, &aws, &api);
}

#[test]
fn a_new_stream_name_replaces_and_create_before_destroy_is_refused_losing_nothing() {
    if skip() {
        return;
    }
    let tf = TfDir::new();
    let aws = block_on(aws());
    let api = stage_with_cloudwatch(&aws);
    let addr = "apigw_access_log_pipeline.x";
    let named = |name: &str, extra: Block| {
        config(&[pipeline("x", &api, "logs", stream_named(name).with(extra))])
    };
    tf.write("main.tf", named("amazon-apigateway-blue", Block::object()));
    tf.init().success();
    tf.apply().success();
    let blue = pipeline_id(&tf, addr);

    // The default order: destroy (the stage gets its CloudWatch settings back), then create.
    tf.write("main.tf", named("amazon-apigateway-green", Block::object()));
    let out = tf.apply().success();
    assert_contains(&out.stdout, "must be replaced");
    let green = pipeline_id(&tf, addr);
    assert_ne!(blue, green, "a replacement is a new instance");
    assert_eq!(
        leftovers(&aws).0,
        vec!["amazon-apigateway-green".to_owned()]
    );
    assert_eq!(
        stage_log(&aws, &api).map(|(arn, _)| arn),
        Some(stream_arn("amazon-apigateway-green"))
    );
    tf.assert_plan_empty();

    // create_before_destroy: Terraform gives the replacement no link to the pipeline it
    // replaces, so it is refused as any other pipeline on the stage is, and says what to do.
    let cbd = Block::object().block(Block::lifecycle().expr("create_before_destroy", "true"));
    tf.write("main.tf", named("amazon-apigateway-red", cbd));
    let out = tf.apply().failure();
    let text = combined(&out);
    assert_contains(&text, "Stage already has a pipeline");
    assert_contains(&text, "create_before_destroy");
    // The pipeline in place keeps everything; the refused one left nothing.
    assert_eq!(pipeline_id(&tf, addr), green);
    let (streams, roles) = leftovers(&aws);
    assert_eq!(streams, vec!["amazon-apigateway-green".to_owned()]);
    assert_eq!(roles.len(), 1, "{roles:?}");
    assert_eq!(
        stage_log(&aws, &api).map(|(arn, _)| arn),
        Some(stream_arn("amazon-apigateway-green"))
    );
    destroy_gives_everything_back(&tf, &aws, &api);
}

/// Everything Firehose says of a stream, and its tags: what "exactly as it was" compares.
fn stream_snapshot(aws: &Aws, name: &str) -> String {
    block_on(async {
        let d = aws
            .firehose
            .describe_delivery_stream()
            .delivery_stream_name(name)
            .send()
            .await
            .expect("describe_delivery_stream");
        let d = d.delivery_stream_description().expect("description");
        format!(
            "{:?} {:?} {:?}",
            d.destinations(),
            d.delivery_stream_encryption_configuration(),
            aws.stream_tags(name).await
        )
    })
}

fn role_snapshot(aws: &Aws, name: &str) -> String {
    block_on(async {
        let role = aws
            .iam
            .get_role()
            .role_name(name)
            .send()
            .await
            .expect("get_role");
        let policies = aws
            .iam
            .list_role_policies()
            .role_name(name)
            .send()
            .await
            .expect("list_role_policies");
        format!("{:?} {:?}", role.role(), policies.policy_names())
    })
}

#[test]
fn an_imported_stream_made_by_hand_and_its_role_stay_exactly_as_they_were() {
    if skip() {
        return;
    }
    let tf = TfDir::new();
    let aws = block_on(aws());
    let stream = "amazon-apigateway-by-hand";
    let role = "hand-made-delivery-role";
    let api = block_on(async {
        aws.create_bucket("logs").await;
        let api = aws.rest_api_with_stage("hand-api", STAGE).await;
        aws.stream_made_by_hand(stream, role, "logs").await;
        aws.set_stage_access_log(&api, STAGE, &stream_arn(stream), EARLIER_FORMAT)
            .await;
        api
    });
    let stream_before = stream_snapshot(&aws, stream);
    let role_before = role_snapshot(&aws, role);

    let addr = "apigw_access_log_pipeline.x";
    let hcl = |format: &str| {
        config(&[pipeline(
            "x",
            &api,
            "logs",
            stream_named(stream)
                .string("role_arn", &format!("arn:aws:iam::{ACCOUNT}:role/{role}"))
                .string("format", format)
                .expr("append_newline", "false")
                .map("tags", [("team", "platform")])
                .object_attr(
                    "server_side_encryption",
                    Block::object().expr("enabled", "false"),
                )
                .object_attr("error_logging", Block::object().expr("enabled", "false")),
        )])
    };
    tf.write("main.tf", hcl(EARLIER_FORMAT));
    tf.init().success();
    tf.tf(&[
        "import",
        "-input=false",
        "-no-color",
        addr,
        &format!("{api}/{STAGE}"),
    ])
    .success();
    tf.assert_plan_empty();

    // The stage's format had no newline, and the configuration keeps it so (append_newline
    // defaults to true, which would add one). An update of the format changes the stage only.
    let changed = "$context.requestId $context.httpMethod";
    tf.write("main.tf", hcl(changed));
    tf.apply().success();
    assert_eq!(
        stage_log(&aws, &api),
        Some((stream_arn(stream), changed.to_owned()))
    );
    assert_eq!(stream_snapshot(&aws, stream), stream_before);
    assert_eq!(role_snapshot(&aws, role), role_before);

    // Destroy gives the stage back what the import found and leaves stream and role alone.
    let out = tf.destroy().success();
    assert_contains(&combined(&out), "Delivery stream left alone");
    assert_eq!(
        stage_log(&aws, &api),
        Some((stream_arn(stream), EARLIER_FORMAT.to_owned()))
    );
    assert_eq!(stream_snapshot(&aws, stream), stream_before);
    assert_eq!(role_snapshot(&aws, role), role_before);
}

#[test]
fn destroy_restores_the_earlier_settings_after_import_replace_move_and_recreation() {
    if skip() {
        return;
    }
    let (tf, aws, api) = one_pipeline();
    let stream = default_stream(&api);

    // `state rm` and import: the record in AWS, not the lost private state, is what counts.
    tf.apply().success();
    let id = pipeline_id(&tf, "apigw_access_log_pipeline.x");
    tf.tf(&["state", "rm", "-no-color", "apigw_access_log_pipeline.x"])
        .success();
    tf.tf(&[
        "import",
        "-input=false",
        "-no-color",
        "apigw_access_log_pipeline.x",
        &format!("{api}/{STAGE}"),
    ])
    .success();
    assert_eq!(pipeline_id(&tf, "apigw_access_log_pipeline.x"), id);
    tf.assert_plan_empty();
    destroy_gives_everything_back(&tf, &aws, &api);

    // `-replace`: the new instance takes the old one's record over.
    tf.apply().success();
    tf.tf(&[
        "apply",
        "-auto-approve",
        "-input=false",
        "-no-color",
        "-replace=apigw_access_log_pipeline.x",
    ])
    .success();
    tf.assert_plan_empty();
    destroy_gives_everything_back(&tf, &aws, &api);

    // `moved` to a new address: nothing changes in AWS, and destroy still restores.
    tf.apply().success();
    tf.write(
        "main.tf",
        config(&[
            pipeline("renamed", &api, "logs", Block::object()),
            Block::moved(
                "apigw_access_log_pipeline.x",
                "apigw_access_log_pipeline.renamed",
            ),
        ]),
    );
    let out = tf.apply().success();
    assert_contains(&out.stdout, "0 added, 0 changed, 0 destroyed");
    // The stream deleted out of band and made again by the next apply: it carries the record.
    delete_stream_out_of_band(&aws, &stream);
    let out = tf.apply().success();
    assert_contains(&out.stdout, "Delivery stream gone");
    assert_eq!(leftovers(&aws).0, vec![stream.clone()]);
    tf.assert_plan_empty();
    destroy_gives_everything_back(&tf, &aws, &api);
}

#[test]
fn what_vanished_keeps_the_pipeline_in_state_until_destroy_cleans_up() {
    if skip() {
        return;
    }
    let (tf, aws, api) = one_pipeline();
    let stream = default_stream(&api);

    // The stream is deleted out of band: the role and the stage's pointer are still the
    // pipeline's, so it stays in state, and destroy (without an apply first) cleans up.
    tf.apply().success();
    delete_stream_out_of_band(&aws, &stream);
    let plan = tf.tf(&["plan", "-input=false", "-no-color"]).success();
    assert_contains(&plan.stdout, "will be updated in-place");
    destroy_gives_everything_back(&tf, &aws, &api);

    // The REST API is deleted out of band: the stream and role it made are still there.
    tf.apply().success();
    block_on(aws.apigateway.delete_rest_api().rest_api_id(&api).send()).expect("delete_rest_api");
    let list = tf.tf(&["state", "list"]).success().stdout;
    assert_contains(&list, "apigw_access_log_pipeline.x");
    let plan = tf.tf(&["plan", "-input=false", "-no-color"]).success();
    assert_contains(&plan.stdout, "will be updated in-place");
    let text = combined(&plan);
    assert_contains(&text, "Stage gone");
    assert!(!text.contains("Stage repointed"), "{text}");
    tf.destroy().success();
    assert_nothing_left(&aws);
}

#[test]
fn the_owned_role_is_read_on_refresh_and_repaired() {
    if skip() {
        return;
    }
    let (tf, aws, api) = one_pipeline();
    let role = format!("apigw-logs-us-east-1-{api}-{STAGE}");
    tf.apply().success();
    // The policy document, or None when the role or policy is gone.
    let policy_of = || {
        block_on(
            aws.iam
                .get_role_policy()
                .role_name(&role)
                .policy_name("firehose-delivery-to-s3")
                .send(),
        )
        .ok()
        .map(|p| p.policy_document().to_owned())
    };
    let written = policy_of().expect("the owned role's policy");

    // Its policy edited out of band.
    block_on(
        aws.iam
            .put_role_policy()
            .role_name(&role)
            .policy_name("firehose-delivery-to-s3")
            .policy_document(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"s3:*","Resource":"*"}]}"#)
            .send(),
    )
    .expect("put_role_policy");
    let plan = tf.tf(&["plan", "-detailed-exitcode", "-input=false", "-no-color"]);
    assert_eq!(plan.status.code(), Some(2), "{}", plan.stdout);
    assert_contains(&combined(&plan), "IAM role's policy changed");
    tf.apply().success();
    assert_eq!(
        acceptance_tests::parse_policy(&policy_of().expect("policy")),
        acceptance_tests::parse_policy(&written)
    );
    tf.assert_plan_empty();

    // The role deleted out of band.
    block_on(async {
        aws.iam
            .delete_role_policy()
            .role_name(&role)
            .policy_name("firehose-delivery-to-s3")
            .send()
            .await
            .expect("delete_role_policy");
        aws.iam
            .delete_role()
            .role_name(&role)
            .send()
            .await
            .expect("delete_role");
    });
    let plan = tf.tf(&["plan", "-detailed-exitcode", "-input=false", "-no-color"]);
    assert_eq!(plan.status.code(), Some(2), "{}", plan.stdout);
    assert_contains(&combined(&plan), "IAM role gone");
    tf.apply().success();
    assert!(policy_of().is_some(), "the role was not made again");
    tf.assert_plan_empty();

    // An update to a bucket that does not exist is refused, as a create is.
    tf.write(
        "main.tf",
        config(&[pipeline("x", &api, "no-such-bucket", Block::object())]),
    );
    let out = tf.apply().failure();
    assert_contains(&combined(&out), "Bucket not found");
    tf.write(
        "main.tf",
        config(&[pipeline("x", &api, "logs", Block::object())]),
    );
    tf.assert_plan_empty();
    destroy_gives_everything_back(&tf, &aws, &api);
}

#[test]
fn unreadable_private_state_is_a_warning_and_recovered_from_aws() {
    if skip() {
        return;
    }
    let (tf, aws, api) = one_pipeline();
    tf.apply().success();

    // Garble the provider's private data in the state file.
    let path = tf.path().join("terraform.tfstate");
    let mut state: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&path).expect("reading the state")).expect("json");
    let instance = &mut state["resources"][0]["instances"][0];
    assert!(
        instance.get("private").is_some(),
        "no private data: {instance}"
    );
    instance["private"] = serde_json::Value::from("bm90IGpzb24="); // "not json"
    state["serial"] = serde_json::Value::from(state["serial"].as_i64().unwrap_or(0) + 1);
    std::fs::write(&path, serde_json::to_vec_pretty(&state).expect("json")).expect("writing");

    let plan = tf.tf(&["plan", "-input=false", "-no-color"]).success();
    assert_contains(&combined(&plan), "Private state unreadable");
    destroy_gives_everything_back(&tf, &aws, &api);
}
