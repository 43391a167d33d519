//! `apigw_access_log_pipeline` end to end: the real terraform CLI and provider against moto,
//! checked through terraform's own output and the AWS objects it leaves behind.

use acceptance_tests::{
    Aws, Block, TfDir, TfOutput, aws, block_on, config, parse_policy, pipeline_to, s3,
};
use aws_sdk_firehose::types::{CompressionFormat, DeliveryStreamType};
use terraform_provider_apigw::log_format;

const ACCOUNT: &str = "123456789012";
const ADDR: &str = "apigw_access_log_pipeline.x";
const OWNER_TAG: &str = "terraform-provider-apigw:pipeline";

/// A configuration with one pipeline for `<api>/prod` writing to `bucket`; `s3_extra` goes
/// inside the `s3` object and `extra` inside the resource.
fn pipeline_hcl(api: &str, bucket: &str, s3_extra: Block, extra: Block) -> String {
    let s3 = s3(&format!("arn:aws:s3:::{bucket}")).with(s3_extra);
    config(&[pipeline_to("x", api, "prod", s3).with(extra)])
}

/// No extra attributes.
fn none() -> Block {
    Block::object()
}

/// `tags = { ... }`.
fn tagged(pairs: &[(&str, &str)]) -> Block {
    Block::object().map("tags", pairs.iter().copied())
}

/// The default stream and owned-role names for `<api>/prod`.
fn default_stream(api: &str) -> String {
    format!("amazon-apigateway-{api}-prod")
}

fn owned_role(api: &str) -> String {
    format!("apigw-logs-us-east-1-{api}-prod")
}

fn stream_arn(name: &str) -> String {
    format!("arn:aws:firehose:us-east-1:{ACCOUNT}:deliverystream/{name}")
}

/// A REST API deployed to `prod` and a bucket, made through the SDK.
fn fixtures(aws: &Aws, bucket: &str) -> String {
    block_on(async {
        aws.create_bucket(bucket).await;
        aws.rest_api_with_stage("logged-api", "prod").await
    })
}

fn sdk() -> Aws {
    block_on(aws())
}

#[track_caller]
fn assert_contains(out: &str, wanted: &str) {
    assert!(out.contains(wanted), "output lacks {wanted:?}:\n{out}");
}

#[track_caller]
fn assert_lacks(out: &str, unwanted: &str) {
    assert!(!out.contains(unwanted), "output has {unwanted:?}:\n{out}");
}

/// `terraform plan -detailed-exitcode`, expecting changes (2); returns the output.
#[track_caller]
fn plan_with_changes(tf: &TfDir) -> TfOutput {
    let out = tf.tf(&["plan", "-detailed-exitcode", "-input=false", "-no-color"]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "expected a plan with changes\n--- stdout ---\n{}\n--- stderr ---\n{}",
        out.stdout,
        out.stderr
    );
    out
}

/// What Firehose reports for a stream, reduced to what the tests compare.
#[derive(Debug, PartialEq)]
struct StreamView {
    arn: String,
    direct_put: bool,
    role_arn: String,
    bucket_arn: String,
    prefix: Option<String>,
    error_output_prefix: Option<String>,
    size_mib: Option<i32>,
    interval_seconds: Option<i32>,
    compression: Option<CompressionFormat>,
    tags: Vec<(String, String)>,
}

fn describe_stream(aws: &Aws, name: &str) -> StreamView {
    block_on(async {
        let out = aws
            .firehose
            .describe_delivery_stream()
            .delivery_stream_name(name)
            .send()
            .await
            .unwrap_or_else(|e| panic!("describe_delivery_stream {name}: {e:?}"));
        let d = out.delivery_stream_description().expect("description");
        let s3 = d
            .destinations()
            .first()
            .and_then(|dest| dest.extended_s3_destination_description())
            .unwrap_or_else(|| panic!("stream {name} has no ExtendedS3 destination: {d:?}"));
        let tags = aws
            .firehose
            .list_tags_for_delivery_stream()
            .delivery_stream_name(name)
            .send()
            .await
            .expect("list_tags_for_delivery_stream");
        let mut tags: Vec<(String, String)> = tags
            .tags()
            .iter()
            .map(|t| (t.key().to_owned(), t.value().unwrap_or_default().to_owned()))
            .collect();
        tags.sort();
        let tags = acceptance_tests::without_record(tags);
        StreamView {
            arn: d.delivery_stream_arn().to_owned(),
            direct_put: d.delivery_stream_type() == &DeliveryStreamType::DirectPut,
            role_arn: s3.role_arn().to_owned(),
            bucket_arn: s3.bucket_arn().to_owned(),
            prefix: s3.prefix().filter(|p| !p.is_empty()).map(str::to_owned),
            error_output_prefix: s3
                .error_output_prefix()
                .filter(|p| !p.is_empty())
                .map(str::to_owned),
            size_mib: s3.buffering_hints().and_then(|b| b.size_in_mbs()),
            interval_seconds: s3.buffering_hints().and_then(|b| b.interval_in_seconds()),
            compression: Some(s3.compression_format().clone()),
            tags,
        }
    })
}

fn tags(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    v.sort();
    v
}

fn stage_log(aws: &Aws, api: &str) -> Option<(String, String)> {
    block_on(aws.stage_access_log(api, "prod"))
}

fn streams(aws: &Aws) -> Vec<String> {
    block_on(aws.delivery_stream_names())
}

fn roles(aws: &Aws) -> Vec<String> {
    block_on(aws.role_names())
}

#[test]
fn minimal_pipeline_creates_stream_role_and_stage_then_destroy_removes_logging() {
    if acceptance_tests::emulator_only() {
        return;
    }
    let tf = TfDir::new();
    let aws = sdk();
    let api = fixtures(&aws, "access-logs");
    assert_eq!(stage_log(&aws, &api), None, "fixture stage already logs");
    tf.write("main.tf", pipeline_hcl(&api, "access-logs", none(), none()));
    tf.init().success();

    let plan = plan_with_changes(&tf);
    assert_contains(&plan.stdout, &format!("# {ADDR} will be created"));
    assert_contains(&plan.stdout, "1 to add, 0 to change, 0 to destroy");
    tf.apply().success();

    let id = format!("{api}/prod");
    let owner = tf.state_resource(ADDR)["pipeline_id"]
        .as_str()
        .expect("pipeline_id")
        .to_owned();
    assert_ne!(owner, id, "the owner is the instance, not the stage");
    let name = default_stream(&api);
    let role = owned_role(&api);
    let role_arn = format!("arn:aws:iam::{ACCOUNT}:role/{role}");

    // The stream.
    let stream = describe_stream(&aws, &name);
    assert_eq!(
        stream,
        StreamView {
            arn: stream_arn(&name),
            direct_put: true,
            role_arn: role_arn.clone(),
            bucket_arn: "arn:aws:s3:::access-logs".into(),
            prefix: None,
            error_output_prefix: None,
            size_mib: Some(5),
            interval_seconds: Some(300),
            compression: Some(CompressionFormat::Gzip),
            tags: tags(&[(OWNER_TAG, &owner)]),
        }
    );

    // The owned role: Firehose of this account only, tagged as the pipeline's.
    block_on(async {
        let got = aws.iam.get_role().role_name(&role).send().await;
        let got = got.unwrap_or_else(|e| panic!("get_role {role}: {e:?}"));
        let r = got.role().expect("role");
        assert_eq!(r.arn(), role_arn);
        let trust = parse_policy(r.assume_role_policy_document().expect("trust policy"));
        let statements = trust["Statement"].as_array().expect("trust statements");
        assert_eq!(statements.len(), 1, "{trust}");
        assert_eq!(statements[0]["Effect"], "Allow", "{trust}");
        assert_eq!(
            statements[0]["Principal"]["Service"], "firehose.amazonaws.com",
            "{trust}"
        );
        assert_eq!(statements[0]["Action"], "sts:AssumeRole", "{trust}");
        assert_eq!(
            statements[0]["Condition"]["StringEquals"]["sts:ExternalId"], ACCOUNT,
            "{trust}"
        );
        let role_tags: Vec<(String, String)> = r
            .tags()
            .iter()
            .map(|t| (t.key().to_owned(), t.value().to_owned()))
            .collect();
        let role_tags = acceptance_tests::without_record(role_tags);
        assert_eq!(role_tags, tags(&[(OWNER_TAG, &owner)]));

        let names = aws
            .iam
            .list_role_policies()
            .role_name(&role)
            .send()
            .await
            .expect("list_role_policies");
        assert_eq!(names.policy_names(), ["firehose-delivery-to-s3"]);
        let policy = aws
            .iam
            .get_role_policy()
            .role_name(&role)
            .policy_name("firehose-delivery-to-s3")
            .send()
            .await
            .expect("get_role_policy");
        let policy = parse_policy(policy.policy_document());
        let statements = policy["Statement"].as_array().expect("policy statements");
        assert!(!statements.is_empty(), "{policy}");
        // The error-logging statement is checked in error_logging.rs.
        for s in statements
            .iter()
            .filter(|s| s["Sid"] != "LogDeliveryErrors")
        {
            assert_eq!(s["Effect"], "Allow", "{policy}");
            let actions: Vec<&str> = match &s["Action"] {
                serde_json::Value::String(a) => vec![a.as_str()],
                a => a
                    .as_array()
                    .expect("Action list")
                    .iter()
                    .map(|a| a.as_str().expect("action"))
                    .collect(),
            };
            assert!(
                actions
                    .iter()
                    .all(|a| a.starts_with("s3:") && !a.contains('*')),
                "only named s3 actions expected: {policy}"
            );
            assert!(actions.contains(&"s3:PutObject"), "{policy}");
            let mut resources: Vec<&str> = s["Resource"]
                .as_array()
                .expect("Resource list")
                .iter()
                .map(|r| r.as_str().expect("resource"))
                .collect();
            resources.sort();
            assert_eq!(
                resources,
                ["arn:aws:s3:::access-logs", "arn:aws:s3:::access-logs/*"],
                "{policy}"
            );
        }
    });

    // The stage delivers to the stream in the JSON preset.
    let (destination, format) = stage_log(&aws, &api).expect("stage has access logging");
    assert_eq!(destination, stream_arn(&name));
    // With the newline append_newline adds, so that each record is a line of its own.
    assert_eq!(format, format!("{}\n", log_format::JSON));
    let parsed: serde_json::Value = serde_json::from_str(&format).expect("JSON preset is JSON");
    assert_eq!(parsed["requestId"], "$context.requestId");

    // Terraform's view agrees, and nothing is left to do.
    let state = tf.state_resource(ADDR);
    assert_eq!(state["id"], id);
    assert_eq!(state["delivery_stream_name"], name);
    assert_eq!(state["delivery_stream_arn"], stream_arn(&name));
    assert_eq!(state["role_arn"], role_arn);
    assert_eq!(state["enabled"], true);
    assert_eq!(state["s3_destination_uri"], "s3://access-logs/");
    tf.assert_plan_empty();

    // Destroy: stream and role gone, and a stage that had no access logging has none again.
    let destroy = tf.destroy().success();
    assert_contains(&destroy.stdout, "1 destroyed");
    assert_eq!(streams(&aws), Vec::<String>::new());
    assert_eq!(roles(&aws), Vec::<String>::new());
    assert_eq!(stage_log(&aws, &api), None);
}

/// Writes `config`, checks that the plan updates the pipeline in place showing `shown`, and
/// applies it.
#[track_caller]
fn apply_in_place(tf: &TfDir, config: String, shown: &str) {
    tf.write("main.tf", config);
    let plan = plan_with_changes(tf);
    assert_contains(&plan.stdout, &format!("# {ADDR} will be updated in-place"));
    assert_contains(&plan.stdout, shown);
    assert_contains(&plan.stdout, "0 to add, 1 to change, 0 to destroy");
    assert_lacks(&plan.stdout, "must be replaced");
    tf.apply().success();
    tf.assert_plan_empty();
}

fn role_tags(aws: &Aws, role: &str) -> Vec<(String, String)> {
    let got = block_on(aws.iam.get_role().role_name(role).send()).expect("get_role");
    let mut tags: Vec<(String, String)> = got
        .role()
        .expect("role")
        .tags()
        .iter()
        .map(|t| (t.key().to_owned(), t.value().to_owned()))
        .collect();
    tags.sort();
    acceptance_tests::without_record(tags)
}

#[test]
fn settings_update_in_place_and_a_new_stream_name_replaces() {
    if acceptance_tests::emulator_only() {
        return;
    }
    let tf = TfDir::new();
    let aws = sdk();
    let api = fixtures(&aws, "access-logs");
    let name = default_stream(&api);
    let hcl = |s3_extra: &Block, extra: &Block| {
        pipeline_hcl(&api, "access-logs", s3_extra.clone(), extra.clone())
    };
    tf.write("main.tf", hcl(&none(), &tagged(&[("team", "a")])));
    tf.init().success();
    tf.apply().success();
    let id = tf.state_resource(ADDR)["pipeline_id"]
        .as_str()
        .expect("pipeline_id")
        .to_owned();
    assert_eq!(
        describe_stream(&aws, &name).tags,
        tags(&[(OWNER_TAG, &id), ("team", "a")])
    );

    // Each change, made on top of the previous ones, is planned in place and reaches AWS.
    let clf_format = |tags: Block| tags.expr("format", "provider::apigw::log_format(\"clf\")");
    let clf = clf_format(tagged(&[("team", "a")]));
    apply_in_place(&tf, hcl(&none(), &clf), "~ format");
    assert_eq!(
        stage_log(&aws, &api),
        Some((stream_arn(&name), format!("{}\n", log_format::CLF)))
    );

    let s3 = none().expr("buffering_size_mib", "10");
    apply_in_place(&tf, hcl(&s3, &clf), "~ buffering_size_mib");
    assert_eq!(describe_stream(&aws, &name).size_mib, Some(10));

    let s3 = s3.expr("buffering_interval_seconds", "60");
    apply_in_place(&tf, hcl(&s3, &clf), "~ buffering_interval_seconds");
    assert_eq!(describe_stream(&aws, &name).interval_seconds, Some(60));

    let s3 = s3.string("compression", "UNCOMPRESSED");
    apply_in_place(&tf, hcl(&s3, &clf), "~ compression");
    assert_eq!(
        describe_stream(&aws, &name).compression,
        Some(CompressionFormat::Uncompressed)
    );

    let s3 = s3.string("prefix", "apigw/");
    apply_in_place(&tf, hcl(&s3, &clf), "+ prefix");
    assert_eq!(
        describe_stream(&aws, &name).prefix.as_deref(),
        Some("apigw/")
    );
    assert_eq!(
        tf.state_resource(ADDR)["s3_destination_uri"],
        "s3://access-logs/apigw/"
    );

    let extra = clf_format(tagged(&[("team", "b"), ("env", "dev")]));
    apply_in_place(&tf, hcl(&s3, &extra), "~ tags");
    let want_tags = tags(&[(OWNER_TAG, &id), ("env", "dev"), ("team", "b")]);
    assert_eq!(describe_stream(&aws, &name).tags, want_tags);
    assert_eq!(role_tags(&aws, &owned_role(&api)), want_tags);

    // A tag taken out of the configuration comes off the stream and the role.
    let extra = clf_format(tagged(&[("team", "b")]));
    apply_in_place(&tf, hcl(&s3, &extra), "~ tags");
    let want_tags = tags(&[(OWNER_TAG, &id), ("team", "b")]);
    assert_eq!(describe_stream(&aws, &name).tags, want_tags);
    assert_eq!(role_tags(&aws, &owned_role(&api)), want_tags);

    // Earlier changes survived the later ones.
    let stream = describe_stream(&aws, &name);
    assert_eq!(
        (
            stream.size_mib,
            stream.interval_seconds,
            stream.prefix.as_deref()
        ),
        (Some(10), Some(60), Some("apigw/"))
    );
    assert_eq!(stream.compression, Some(CompressionFormat::Uncompressed));

    // A new stream name replaces the pipeline: the old stream and its role go.
    let renamed = "amazon-apigateway-renamed";
    let extra = extra.string("delivery_stream_name", renamed);
    tf.write("main.tf", hcl(&s3, &extra));
    let plan = plan_with_changes(&tf);
    assert_contains(&plan.stdout, &format!("# {ADDR} must be replaced"));
    assert_contains(&plan.stdout, "# forces replacement");
    assert_contains(&plan.stdout, "1 to add, 0 to change, 1 to destroy");
    tf.apply().success();

    assert_eq!(streams(&aws), [renamed]);
    assert_eq!(roles(&aws), ["apigw-logs-us-east-1-renamed"]);
    let stream = describe_stream(&aws, renamed);
    assert_eq!(stream.size_mib, Some(10));
    assert_eq!(stream.prefix.as_deref(), Some("apigw/"));
    assert_eq!(
        stream.role_arn,
        format!("arn:aws:iam::{ACCOUNT}:role/apigw-logs-us-east-1-renamed")
    );
    let (destination, format) = stage_log(&aws, &api).expect("stage logs");
    assert_eq!(destination, stream_arn(renamed));
    assert_eq!(format, format!("{}\n", log_format::CLF));
    tf.assert_plan_empty();
}

/// Removes the stage's access-log settings, as someone in the console might.
fn detach_stage(aws: &Aws, api: &str) {
    use aws_sdk_apigateway::types::{Op, PatchOperation};
    block_on(
        aws.apigateway
            .update_stage()
            .rest_api_id(api)
            .stage_name("prod")
            .patch_operations(
                PatchOperation::builder()
                    .op(Op::Remove)
                    .path("/accessLogSettings")
                    .build(),
            )
            .send(),
    )
    .expect("update_stage remove /accessLogSettings");
}

#[test]
fn out_of_band_changes_show_in_the_plan_and_apply_repairs_them() {
    if acceptance_tests::emulator_only() {
        return;
    }
    let tf = TfDir::new();
    let aws = sdk();
    let api = fixtures(&aws, "access-logs");
    let name = default_stream(&api);
    tf.write("main.tf", pipeline_hcl(&api, "access-logs", none(), none()));
    tf.init().success();
    tf.apply().success();
    let attached = Some((stream_arn(&name), format!("{}\n", log_format::JSON)));
    assert_eq!(stage_log(&aws, &api), attached);

    // (a) The stage stops logging: the plan turns `enabled` back on.
    detach_stage(&aws, &api);
    assert_eq!(stage_log(&aws, &api), None);
    let plan = plan_with_changes(&tf);
    assert_contains(&plan.stdout, &format!("# {ADDR} will be updated in-place"));
    assert_contains(&plan.stdout, "~ enabled");
    assert_contains(&plan.stdout, "= false -> true");
    assert_lacks(&plan.stdout, "~ format");
    tf.apply().success();
    assert_eq!(stage_log(&aws, &api), attached);
    tf.assert_plan_empty();

    // (b) The stage's format is changed: the plan puts the configured one back.
    block_on(aws.set_stage_access_log(&api, "prod", &stream_arn(&name), "$context.requestId"));
    let plan = plan_with_changes(&tf);
    assert_contains(&plan.stdout, &format!("# {ADDR} will be updated in-place"));
    assert_contains(&plan.stdout, "~ format");
    assert_contains(&plan.stdout, "\"$context.requestId\" ->");
    assert_lacks(&plan.stdout, "~ enabled");
    tf.apply().success();
    assert_eq!(stage_log(&aws, &api), attached);
    tf.assert_plan_empty();

    // (b2) The newline at the format's end is removed: the plan puts it back, and shows it as
    // append_newline coming back rather than as a change of `format`.
    block_on(aws.set_stage_access_log(&api, "prod", &stream_arn(&name), log_format::JSON));
    let plan = plan_with_changes(&tf);
    assert_contains(&plan.stdout, "~ append_newline");
    assert_contains(&plan.stdout, "= false -> true");
    assert_lacks(&plan.stdout, "~ format");
    tf.apply().success();
    assert_eq!(stage_log(&aws, &api), attached);
    tf.assert_plan_empty();

    // (c) The stream is deleted: the plan creates the pipeline again.
    block_on(
        aws.firehose
            .delete_delivery_stream()
            .delivery_stream_name(&name)
            .send(),
    )
    .expect("delete_delivery_stream");
    assert_eq!(streams(&aws), Vec::<String>::new());
    // The pipeline stays in state (its role is still there): the plan makes the stream again.
    let plan = plan_with_changes(&tf);
    assert_contains(&plan.stdout, &format!("# {ADDR} will be updated in-place"));
    assert_contains(&plan.stdout, "+ delivery_stream_arn");
    assert_contains(&plan.stdout, "0 to add, 1 to change, 0 to destroy");
    assert_contains(&plan.stdout, "Delivery stream gone");
    tf.apply().success();
    assert_eq!(streams(&aws), [name.as_str()]);
    assert_eq!(
        describe_stream(&aws, &name).role_arn,
        format!("arn:aws:iam::{ACCOUNT}:role/{}", owned_role(&api))
    );
    assert_eq!(stage_log(&aws, &api), attached);
    tf.assert_plan_empty();
}

#[test]
fn destroy_gives_the_stage_back_its_cloudwatch_destination() {
    if acceptance_tests::emulator_only() {
        return;
    }
    let tf = TfDir::new();
    let aws = sdk();
    let api = fixtures(&aws, "access-logs");
    let log_group = format!("arn:aws:logs:us-east-1:{ACCOUNT}:log-group:api-access");
    let earlier_format = "$context.requestId $context.status";
    block_on(aws.set_stage_access_log(&api, "prod", &log_group, earlier_format));

    tf.write("main.tf", pipeline_hcl(&api, "access-logs", none(), none()));
    tf.init().success();
    tf.apply().success();
    let name = default_stream(&api);
    assert_eq!(
        stage_log(&aws, &api),
        Some((stream_arn(&name), format!("{}\n", log_format::JSON))),
        "the pipeline did not take the stage over"
    );

    tf.destroy().success();
    assert_eq!(
        stage_log(&aws, &api),
        Some((log_group, earlier_format.to_owned()))
    );
    assert_eq!(streams(&aws), Vec::<String>::new());
    assert_eq!(roles(&aws), Vec::<String>::new());
}

#[test]
fn a_role_brought_along_is_used_and_never_touched() {
    if acceptance_tests::emulator_only() {
        return;
    }
    let tf = TfDir::new();
    let aws = sdk();
    let api = fixtures(&aws, "access-logs");
    let trust = serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": {"Service": "firehose.amazonaws.com"},
            "Action": "sts:AssumeRole"
        }]
    });
    let byo = block_on(
        aws.iam
            .create_role()
            .role_name("my-firehose-role")
            .assume_role_policy_document(trust.to_string())
            .send(),
    )
    .expect("create_role");
    let byo_arn = byo.role().expect("role").arn().to_owned();

    tf.write(
        "main.tf",
        pipeline_hcl(
            &api,
            "access-logs",
            none(),
            none().string("role_arn", &byo_arn),
        ),
    );
    tf.init().success();
    tf.apply().success();
    let name = default_stream(&api);
    assert_eq!(describe_stream(&aws, &name).role_arn, byo_arn);
    assert_eq!(roles(&aws), ["my-firehose-role"], "a role was made anyway");
    assert_eq!(tf.state_resource(ADDR)["role_arn"], byo_arn);
    tf.assert_plan_empty();

    tf.destroy().success();
    assert_eq!(streams(&aws), Vec::<String>::new());
    assert_eq!(roles(&aws), ["my-firehose-role"]);
    let left = block_on(
        aws.iam
            .list_role_policies()
            .role_name("my-firehose-role")
            .send(),
    )
    .expect("list_role_policies");
    assert!(
        left.policy_names().is_empty(),
        "the provider wrote a policy into the role it was given: {:?}",
        left.policy_names()
    );
}

#[test]
fn import_by_command_and_by_block_yields_an_empty_plan() {
    if acceptance_tests::emulator_only() {
        return;
    }
    let tf = TfDir::new();
    let aws = sdk();
    let api = fixtures(&aws, "access-logs");
    let id = format!("{api}/prod");
    let config = pipeline_hcl(
        &api,
        "access-logs",
        none()
            .string("prefix", "apigw/")
            .string("compression", "ZIP"),
        none().expr("format", "provider::apigw::log_format(\"csv\")"),
    );
    tf.write("main.tf", &config);
    tf.init().success();
    tf.apply().success();
    tf.tf(&["state", "rm", "-no-color", ADDR]).success();
    let plan = plan_with_changes(&tf);
    assert_contains(&plan.stdout, &format!("# {ADDR} will be created"));

    // `terraform import` into the matching configuration.
    let import = tf
        .tf(&["import", "-input=false", "-no-color", ADDR, &id])
        .success();
    assert_contains(&import.stdout, "Import successful!");
    tf.assert_plan_empty();
    let state = tf.state_resource(ADDR);
    assert_eq!(state["id"], id);
    assert_eq!(state["format"], log_format::CSV);
    assert_eq!(state["s3"]["prefix"], "apigw/");
    assert_eq!(state["s3"]["compression"], "ZIP");

    // An `import` block.
    tf.tf(&["state", "rm", "-no-color", ADDR]).success();
    tf.write(
        "main.tf",
        config.clone() + &Block::import(ADDR, &id).render(),
    );
    let plan = plan_with_changes(&tf);
    assert_contains(&plan.stdout, &format!("# {ADDR} will be imported"));
    assert_contains(
        &plan.stdout,
        "1 to import, 0 to add, 0 to change, 0 to destroy",
    );
    let apply = tf.apply().success();
    assert_contains(&apply.stdout, "1 imported, 0 added, 0 changed, 0 destroyed");
    tf.assert_plan_empty();

    // The imported pipeline knows the role is its own: destroy removes everything.
    tf.destroy().success();
    assert_eq!(streams(&aws), Vec::<String>::new());
    assert_eq!(roles(&aws), Vec::<String>::new());
    assert_eq!(stage_log(&aws, &api), None);
}

#[test]
fn a_missing_rest_api_fails_the_apply_and_leaves_nothing_behind() {
    if acceptance_tests::emulator_only() {
        return;
    }
    let tf = TfDir::new();
    let aws = sdk();
    block_on(aws.create_bucket("access-logs"));
    tf.write(
        "main.tf",
        pipeline_hcl("nosuchapi1", "access-logs", none(), none()),
    );
    tf.init().success();

    let apply = tf.apply().failure();
    assert_contains(&apply.stderr, "REST API not found");
    assert_contains(&apply.stderr, "\"nosuchapi1\"");
    assert_contains(&apply.stderr, "rest_api_id");
    assert_eq!(streams(&aws), Vec::<String>::new());
    assert_eq!(roles(&aws), Vec::<String>::new());
    let state = tf.tf(&["state", "list", "-no-color"]).success();
    assert_eq!(state.stdout.trim(), "", "a failed create left state behind");
}

#[test]
fn each_record_ends_in_one_newline_unless_append_newline_is_off() {
    if acceptance_tests::emulator_only() {
        return;
    }
    let tf = TfDir::new();
    let aws = sdk();
    let api = fixtures(&aws, "access-logs");
    let name = default_stream(&api);
    let format = |f: &str| none().string("format", f);

    // A format of the user's own gets the newline too; state keeps the text as written.
    let own = "$context.requestId $context.status";
    tf.write(
        "main.tf",
        pipeline_hcl(&api, "access-logs", none(), format(own)),
    );
    tf.init().success();
    tf.apply().success();
    tf.assert_plan_empty();
    assert_eq!(
        stage_log(&aws, &api),
        Some((stream_arn(&name), format!("{own}\n")))
    );
    let state = tf.state_resource(ADDR);
    assert_eq!(state["format"], own);
    assert_eq!(state["append_newline"], true);

    // A format that ends in a newline already gets no second one.
    let with_newline = format!("{own}\n");
    apply_in_place(
        &tf,
        pipeline_hcl(&api, "access-logs", none(), format(&with_newline)),
        "~ format",
    );
    assert_eq!(
        stage_log(&aws, &api),
        Some((stream_arn(&name), with_newline.clone()))
    );

    // Off: the format goes to the stage exactly as written.
    let off = format(own).expr("append_newline", "false");
    apply_in_place(
        &tf,
        pipeline_hcl(&api, "access-logs", none(), off),
        "~ format",
    );
    assert_eq!(
        stage_log(&aws, &api),
        Some((stream_arn(&name), own.to_owned()))
    );

    // Back on: only append_newline changes in the plan.
    apply_in_place(
        &tf,
        pipeline_hcl(&api, "access-logs", none(), format(own)),
        "~ append_newline",
    );
    assert_eq!(
        stage_log(&aws, &api),
        Some((stream_arn(&name), format!("{own}\n")))
    );
    tf.destroy().success();
}
