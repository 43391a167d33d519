//! `apigw_stage_access_log` through the real CLI: one stage pointed at a stream it does not
//! own (made by hand here, as any `amazon-apigateway-` stream may be), its earlier settings
//! recorded on the stage and given back exactly on destroy, the stream never touched, and a
//! stage held by another attachment or by a pipeline refused.

use acceptance_tests::{
    Aws, Block, TfDir, assert_contains, aws, block_on, config, leftovers, partitioned_s3, pipeline,
    provider_block, s3,
};

const STAGE: &str = "prod";
const LOG_GROUP: &str = "arn:aws:logs:us-east-1:123456789012:log-group:api-access";
const EARLIER_FORMAT: &str = "$context.requestId $context.status";
const ATTACHMENT_TAG: &str = "terraform-provider-apigw:attachment";
const STREAM: &str = "amazon-apigateway-shared-by-hand";

fn skip() -> bool {
    acceptance_tests::emulator_only()
}

fn attachment(name: &str, api: &str, destination: &str, extra: Block) -> String {
    Block::resource("apigw_stage_access_log", name)
        .string("rest_api_id", api)
        .string("stage_name", STAGE)
        .string("destination_arn", destination)
        .with(extra)
        .render()
}

/// `format = "<format>"`, to pass to [`attachment`].
fn format(format: &str) -> Block {
    Block::object().string("format", format)
}

/// A stage logging to CloudWatch with its own format, beside a stream made by hand; returns
/// the API id and the stream's ARN.
fn stage_and_stream(aws: &Aws) -> (String, String) {
    block_on(async {
        aws.create_bucket("logs").await;
        let api = aws.rest_api_with_stage("attached-api", STAGE).await;
        aws.set_stage_access_log(&api, STAGE, LOG_GROUP, EARLIER_FORMAT)
            .await;
        let arn = aws
            .stream_made_by_hand(STREAM, "hand-made-role", "logs")
            .await;
        (api, arn)
    })
}

fn provider_tags(aws: &Aws, api: &str) -> Vec<String> {
    block_on(aws.stage_tags(api, STAGE))
        .into_keys()
        .filter(|k| k.starts_with("terraform-provider-apigw:"))
        .collect()
}

fn combined(out: &acceptance_tests::TfOutput) -> String {
    format!("{}{}", out.stdout, out.stderr)
}

#[test]
fn an_attachment_points_the_stage_and_gives_back_exactly_what_it_had() {
    if skip() {
        return;
    }
    let tf = TfDir::new();
    let aws = block_on(aws());
    let (api, stream_arn) = stage_and_stream(&aws);
    let stream_tags_before = block_on(aws.stream_tags(STREAM));

    tf.write(
        "main.tf",
        provider_block()
            + &attachment(
                "x",
                &api,
                &stream_arn,
                format("$context.requestId $context.apiId $context.stage"),
            ),
    );
    tf.init().success();
    tf.apply().success();
    assert_eq!(
        block_on(aws.stage_access_log(&api, STAGE)),
        Some((
            stream_arn.clone(),
            "$context.requestId $context.apiId $context.stage\n".to_owned()
        )),
        "the stage logs to the stream with the format and its newline"
    );
    let state = tf.state_resource("apigw_stage_access_log.x");
    let id = state["attachment_id"]
        .as_str()
        .expect("attachment_id")
        .to_owned();
    assert_eq!(state["id"], format!("{api}/{STAGE}"));
    assert_eq!(
        block_on(aws.stage_tags(&api, STAGE)).get(ATTACHMENT_TAG),
        Some(&id),
        "the stage carries the attachment's claim"
    );
    tf.assert_plan_empty();

    // A format change is made in place.
    tf.write(
        "main.tf",
        provider_block() + &attachment("x", &api, &stream_arn, Block::object()),
    );
    let plan = tf.plan().success();
    assert_contains(&plan.stdout, "1 to change, 0 to destroy");
    tf.apply().success();
    let (_, format) = block_on(aws.stage_access_log(&api, STAGE)).expect("logs");
    assert!(format.starts_with("{ \"requestId\""), "{format}");
    tf.assert_plan_empty();

    // Out of band, the stage is pointed back at CloudWatch: the plan shows it, apply fixes it.
    block_on(aws.set_stage_access_log(&api, STAGE, LOG_GROUP, EARLIER_FORMAT));
    assert_ne!(tf.plan_detailed_exitcode(), 0, "drift shows in the plan");
    tf.apply().success();
    assert_eq!(
        block_on(aws.stage_access_log(&api, STAGE)).map(|(d, _)| d),
        Some(stream_arn.clone())
    );

    // Another state on the same stage is refused, and changes nothing.
    tf.tf(&["workspace", "new", "-no-color", "second"])
        .success();
    let out = tf.apply().failure();
    let text = combined(&out);
    assert_contains(&text, "Stage already claimed");
    assert_contains(&text, &format!("attachment_id {id:?}"));
    assert_eq!(
        block_on(aws.stage_tags(&api, STAGE)).get(ATTACHMENT_TAG),
        Some(&id)
    );
    // A pipeline in that state is refused too.
    tf.write(
        "main.tf",
        provider_block() + &pipeline("p", &api, STAGE, "arn:aws:s3:::logs").render(),
    );
    let out = tf.apply().failure();
    assert_contains(&combined(&out), "Stage already claimed");
    assert_contains(&combined(&out), &format!("attachment_id {id:?}"));
    let (streams, roles) = leftovers(&aws);
    assert!(
        streams == [STREAM] && roles.is_empty(),
        "{streams:?} {roles:?}"
    );
    tf.destroy().success();
    tf.tf(&["workspace", "select", "-no-color", "default"])
        .success();

    // Destroy gives the stage back its CloudWatch destination and format, drops the claim,
    // and leaves the stream exactly as it was.
    tf.write(
        "main.tf",
        provider_block() + &attachment("x", &api, &stream_arn, Block::object()),
    );
    tf.destroy().success();
    assert_eq!(
        block_on(aws.stage_access_log(&api, STAGE)),
        Some((LOG_GROUP.to_owned(), EARLIER_FORMAT.to_owned()))
    );
    assert!(
        provider_tags(&aws, &api).is_empty(),
        "{:?}",
        provider_tags(&aws, &api)
    );
    assert_eq!(block_on(aws.stream_tags(STREAM)), stream_tags_before);
}

#[test]
fn a_stage_a_pipeline_holds_is_refused_and_left_alone() {
    if skip() {
        return;
    }
    let tf = TfDir::new();
    let aws = block_on(aws());
    let (api, stream_arn) = stage_and_stream(&aws);
    tf.write(
        "main.tf",
        provider_block() + &pipeline("p", &api, STAGE, "arn:aws:s3:::logs").render(),
    );
    tf.init().success();
    tf.apply().success();
    let before = block_on(aws.stage_access_log(&api, STAGE));

    tf.tf(&["workspace", "new", "-no-color", "second"])
        .success();
    tf.write(
        "main.tf",
        provider_block() + &attachment("x", &api, &stream_arn, Block::object()),
    );
    let out = tf.apply().failure();
    let text = combined(&out);
    assert_contains(&text, "Stage already claimed");
    assert_contains(&text, "apigw_access_log_pipeline");
    assert_contains(&text, "moved");
    assert_eq!(block_on(aws.stage_access_log(&api, STAGE)), before);
    assert!(provider_tags(&aws, &api).is_empty());
    tf.destroy().success();
    tf.tf(&["workspace", "select", "-no-color", "default"])
        .success();
    tf.write(
        "main.tf",
        provider_block() + &pipeline("p", &api, STAGE, "arn:aws:s3:::logs").render(),
    );
    tf.destroy().success();
    assert_eq!(
        block_on(aws.stage_access_log(&api, STAGE)),
        Some((LOG_GROUP.to_owned(), EARLIER_FORMAT.to_owned()))
    );
}

#[test]
fn an_imported_stage_pointed_by_hand_plans_no_change_and_destroy_leaves_it_as_found() {
    if skip() {
        return;
    }
    let tf = TfDir::new();
    let aws = block_on(aws());
    let (api, stream_arn) = stage_and_stream(&aws);
    block_on(aws.set_stage_access_log(&api, STAGE, &stream_arn, "$context.requestId\n"));
    let hcl = provider_block()
        + &attachment("x", &api, &stream_arn, format("$context.requestId"))
        + &Block::import("apigw_stage_access_log.x", &format!("{api}/{STAGE}")).render();
    tf.write("main.tf", &hcl);
    tf.init().success();
    let plan = tf.plan().success();
    assert_contains(
        &plan.stdout,
        "1 to import, 0 to add, 0 to change, 0 to destroy",
    );
    tf.apply().success();
    tf.assert_plan_empty();
    assert!(
        provider_tags(&aws, &api).is_empty(),
        "import writes nothing"
    );
    tf.destroy().success();
    assert_eq!(
        block_on(aws.stage_access_log(&api, STAGE)),
        Some((stream_arn, "$context.requestId\n".to_owned())),
        "what the stage had when imported is what it keeps"
    );
}

#[test]
fn bad_destinations_are_refused_at_plan_naming_the_attribute_and_the_rule() {
    let tf = TfDir::new();
    for (arn, rule) in [
        (
            "arn:aws:firehose:us-east-1:123456789012:deliverystream/my-stream",
            "amazon-apigateway-",
        ),
        (
            "arn:aws:logs:us-east-1:123456789012:log-group:g",
            "firehose",
        ),
        ("amazon-apigateway-x", "ARN"),
    ] {
        tf.write(
            "main.tf",
            provider_block() + &attachment("x", "abc123defg", arn, Block::object()),
        );
        tf.init().success();
        let out = tf.plan().failure();
        let text = combined(&out);
        assert_contains(&text, "destination_arn");
        assert_contains(&text, rule);
    }
}

#[test]
fn a_pipeline_moved_to_an_attachment_plans_no_change_and_writes_nothing() {
    use acceptance_tests::proxy::{Proxy, ProxyConfig};
    if skip() {
        return;
    }
    let tf = TfDir::new();
    let aws = block_on(aws());
    let (api, hand_made) = stage_and_stream(&aws);
    tf.write(
        "main.tf",
        provider_block() + &pipeline("p", &api, STAGE, "arn:aws:s3:::logs").render(),
    );
    tf.init().success();
    tf.apply().success();
    let pipeline = tf.state_resource("apigw_access_log_pipeline.p");
    let id = pipeline["pipeline_id"]
        .as_str()
        .expect("pipeline_id")
        .to_owned();
    let stream_arn = pipeline["delivery_stream_arn"]
        .as_str()
        .expect("arn")
        .to_owned();
    let stage_before = block_on(aws.stage_access_log(&api, STAGE));

    let moved = provider_block()
        + &attachment("x", &api, &stream_arn, Block::object())
        + &Block::moved("apigw_access_log_pipeline.p", "apigw_stage_access_log.x").render();
    tf.write("main.tf", &moved);
    let plan = tf.plan().success();
    assert_contains(&plan.stdout, "has moved to apigw_stage_access_log.x");
    assert_contains(&plan.stdout, "0 to add, 0 to change, 0 to destroy");

    let proxy = Proxy::start(ProxyConfig::new());
    tf.through(&proxy.endpoint(), "apply").success();
    let writes = proxy.writes();
    assert!(writes.is_empty(), "the move wrote to AWS: {writes:?}");
    assert!(
        proxy.total() > 0,
        "the apply's refresh went through the proxy"
    );
    tf.assert_plan_empty();
    let state = tf.state_resource("apigw_stage_access_log.x");
    assert_eq!(state["attachment_id"], id.as_str());
    assert_eq!(block_on(aws.stage_access_log(&api, STAGE)), stage_before);

    // Pointed at another stream, the moved attachment claims the stage itself first (the
    // pipeline's stream, with its record, is left behind), and destroy still gives the stage
    // back what it had before the pipeline.
    tf.write(
        "main.tf",
        provider_block() + &attachment("x", &api, &hand_made, Block::object()),
    );
    tf.apply().success();
    tf.assert_plan_empty();
    assert_eq!(
        block_on(aws.stage_tags(&api, STAGE)).get(ATTACHMENT_TAG),
        Some(&id)
    );
    assert_eq!(
        block_on(aws.stage_access_log(&api, STAGE)).map(|(d, _)| d),
        Some(hand_made.clone())
    );
    tf.destroy().success();
    assert_eq!(
        block_on(aws.stage_access_log(&api, STAGE)),
        Some((LOG_GROUP.to_owned(), EARLIER_FORMAT.to_owned()))
    );
    let (streams, _) = leftovers(&aws);
    assert!(
        streams.iter().any(|s| stream_arn.ends_with(s.as_str())),
        "the stream, no longer the attachment's to delete, is still there: {streams:?}"
    );
}

fn stage_arn(api: &str) -> String {
    format!("arn:aws:apigateway:us-east-1::/restapis/{api}/stages/{STAGE}")
}

#[test]
fn a_lost_claim_is_written_back_and_a_stage_repointed_by_hand_is_left_alone() {
    if skip() {
        return;
    }
    let tf = TfDir::new();
    let aws = block_on(aws());
    let (api, stream_arn) = stage_and_stream(&aws);
    tf.write(
        "main.tf",
        provider_block() + &attachment("x", &api, &stream_arn, Block::object()),
    );
    tf.init().success();
    tf.apply().success();
    let id = tf.state_resource("apigw_stage_access_log.x")["attachment_id"]
        .as_str()
        .expect("attachment_id")
        .to_owned();

    // The claim tag removed outside Terraform: the plan says so and the apply writes it back.
    block_on(
        aws.apigateway
            .untag_resource()
            .resource_arn(stage_arn(&api))
            .tag_keys(ATTACHMENT_TAG)
            .send(),
    )
    .expect("untag");
    let plan = tf.plan().success();
    assert_contains(&combined(&plan), "Stage claim missing");
    assert_contains(&plan.stdout, "1 to change");
    tf.apply().success();
    assert_eq!(
        block_on(aws.stage_tags(&api, STAGE)).get(ATTACHMENT_TAG),
        Some(&id)
    );
    tf.assert_plan_empty();

    // Someone points the stage at another log group by hand: destroy leaves that alone (the
    // refresh reads it into the state, but it is not where this attachment pointed the stage).
    let theirs = "arn:aws:logs:us-east-1:123456789012:log-group:someone-elses";
    block_on(aws.set_stage_access_log(&api, STAGE, theirs, "$context.requestId"));
    tf.destroy().success();
    assert_eq!(
        block_on(aws.stage_access_log(&api, STAGE)),
        Some((theirs.to_owned(), "$context.requestId".to_owned()))
    );
    assert!(provider_tags(&aws, &api).is_empty(), "the claim is dropped");
}

#[test]
fn a_stage_without_room_for_the_claim_is_refused_before_anything_is_written() {
    if skip() {
        return;
    }
    let tf = TfDir::new();
    let aws = block_on(aws());
    let (api, stream_arn) = stage_and_stream(&aws);
    let tags: std::collections::HashMap<String, String> = (0..49)
        .map(|i| (format!("team-{i}"), "a".to_owned()))
        .collect();
    block_on(
        aws.apigateway
            .tag_resource()
            .resource_arn(stage_arn(&api))
            .set_tags(Some(tags))
            .send(),
    )
    .expect("tag");
    let before = block_on(aws.stage_tags(&api, STAGE));
    tf.write(
        "main.tf",
        provider_block() + &attachment("x", &api, &stream_arn, Block::object()),
    );
    tf.init().success();
    let out = tf.apply().failure();
    let text = combined(&out);
    assert_contains(&text, "Too many tags on the stage");
    assert_contains(&text, "stage_name");
    assert_eq!(block_on(aws.stage_tags(&api, STAGE)), before);
    assert_eq!(
        block_on(aws.stage_access_log(&api, STAGE)),
        Some((LOG_GROUP.to_owned(), EARLIER_FORMAT.to_owned()))
    );
}

/// A partitioned stream reads `apiId` and `stage` from each record: an attachment whose format
/// has neither (the default, the JSON preset) is refused at `format` before the stage is
/// claimed or changed; one of the stream's own formats is taken.
#[test]
fn a_format_a_partitioned_stream_cannot_partition_is_refused_before_the_stage_is_touched() {
    if skip() {
        return;
    }
    let tf = TfDir::new();
    let aws = block_on(aws());
    let api = block_on(async {
        aws.create_bucket("partitioned-logs").await;
        let api = aws.rest_api_with_stage("partitioned-api", STAGE).await;
        aws.set_stage_access_log(&api, STAGE, LOG_GROUP, EARLIER_FORMAT)
            .await;
        api
    });
    let stream = Block::resource("apigw_access_log_stream", "shared")
        .string("name", "amazon-apigateway-partitioned-attach")
        .expr("partitioning", "true")
        .object_attr(
            "s3",
            partitioned_s3(s3("arn:aws:s3:::partitioned-logs"), 64),
        );
    let attached = |extra: Block| {
        Block::resource("apigw_stage_access_log", "x")
            .string("rest_api_id", &api)
            .string("stage_name", STAGE)
            .expr("destination_arn", "apigw_access_log_stream.shared.arn")
            .with(extra)
    };
    tf.write(
        "main.tf",
        config(&[stream.clone(), attached(Block::object())]),
    );
    tf.init().success();
    let out = tf.apply().failure();
    let text = combined(&out);
    assert_contains(&text, "Format cannot be partitioned");
    assert_contains(&text, "format");
    assert_contains(&text, "\"apiId\"");
    assert_eq!(
        block_on(aws.stage_access_log(&api, STAGE)),
        Some((LOG_GROUP.to_owned(), EARLIER_FORMAT.to_owned())),
        "the stage is as it was"
    );
    assert!(provider_tags(&aws, &api).is_empty(), "and carries no claim");

    let json = Block::object().expr("format", "apigw_access_log_stream.shared.formats[\"json\"]");
    tf.write("main.tf", config(&[stream, attached(json)]));
    tf.apply().success();
    let stream_arn = tf.state_resource("apigw_access_log_stream.shared")["arn"]
        .as_str()
        .expect("arn")
        .to_owned();
    assert_eq!(
        block_on(aws.stage_access_log(&api, STAGE)).map(|(d, _)| d),
        Some(stream_arn)
    );
    tf.assert_plan_empty();
    tf.destroy().success();
    assert_eq!(
        block_on(aws.stage_access_log(&api, STAGE)),
        Some((LOG_GROUP.to_owned(), EARLIER_FORMAT.to_owned()))
    );
}
