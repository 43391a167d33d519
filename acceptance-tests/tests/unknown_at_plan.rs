//! Plans with values known only after apply: every provider argument and every resource
//! argument unknown at plan, through the real CLI. Each apply must succeed (Terraform refuses a
//! final plan that contradicts the first) and the plan after it must be empty. Also: a changed
//! default tag is a change of `tags_all` alone.

use std::collections::BTreeMap;

use acceptance_tests::{
    Aws, Block, TfDir, Value, assert_nothing_left, aws, aws_endpoint, block_on, pipeline,
    render_all, required_providers,
};
use terraform_provider_apigw::log_format::CLF;

const ADDR: &str = "apigw_access_log_pipeline.x";
const OWNER_TAG: &str = "terraform-provider-apigw:pipeline";
const KMS_KEY: &str = "arn:aws:kms:us-east-1:123456789012:key/0f0e0d0c-0b0a-4000-8000-000000000002";

/// `attr = <resource>.output.<field>` for each pair: arguments known only after apply.
fn from_output(resource: &str, pairs: &[(&str, &str)]) -> Block {
    pairs.iter().fold(Block::object(), |b, (attr, field)| {
        b.expr(attr, &format!("terraform_data.{resource}.output.{field}"))
    })
}

/// A REST API deployed to `prod` and a bucket, made through the SDK.
fn fixtures(aws: &Aws, name: &str) -> (String, String) {
    block_on(async {
        let bucket = aws.create_bucket(&format!("{name}-logs")).await;
        (aws.rest_api_with_stage(name, "prod").await, bucket)
    })
}

fn string_map(v: &serde_json::Value) -> BTreeMap<String, String> {
    v.as_object()
        .into_iter()
        .flatten()
        .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_owned()))
        .collect()
}

fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

/// The pipeline's `tags` and `tags_all` in `state` are `own` and `all`, and its stream
/// carries `all`, its owner tag (the state's `pipeline_id`) and the record of the stage's
/// earlier settings.
#[track_caller]
fn assert_tags(
    aws: &Aws,
    state: &serde_json::Value,
    own: &BTreeMap<String, String>,
    all: &BTreeMap<String, String>,
) {
    assert_eq!(&string_map(&state["tags"]), own, "{state}");
    assert_eq!(&string_map(&state["tags_all"]), all, "{state}");
    let stream = state["delivery_stream_name"].as_str().expect("stream name");
    let mut on_stream = block_on(aws.stream_tags(stream));
    assert_eq!(
        on_stream.remove(OWNER_TAG).as_deref(),
        state["pipeline_id"].as_str(),
        "{on_stream:?}"
    );
    on_stream.retain(|k, _| !k.starts_with(acceptance_tests::PROVIDER_RECORD_TAG));
    assert_eq!(&on_stream, all);
}

/// Applies (which plans first, with the unknowns), then expects an empty plan; prints timings.
#[track_caller]
fn apply_then_plan_empty(tf: &TfDir, what: &str) {
    let started = std::time::Instant::now();
    let apply = tf.apply().success();
    assert!(
        apply.stdout.contains("known after apply"),
        "{what}: the plan had no unknown values, so it proves nothing:\n{}",
        apply.stdout
    );
    let applied = started.elapsed();
    tf.assert_plan_empty();
    println!(
        "{what}: apply {:.1}s, re-plan {:.1}s",
        applied.as_secs_f64(),
        (started.elapsed() - applied).as_secs_f64()
    );
}

#[test]
fn every_provider_argument_unknown_at_plan() {
    let tf = TfDir::new();
    let aws = block_on(aws());
    let (api, bucket) = fixtures(&aws, "unknown-provider");
    let dir = tf.path().display().to_string();
    tf.write(
        "aws-config",
        "[profile apigw-unknown]\nregion = us-east-1\n",
    );
    tf.write(
        "aws-credentials",
        "[apigw-unknown]\naws_access_key_id = testing\naws_secret_access_key = testing\n",
    );
    let endpoint = aws_endpoint();
    tf.write(
        "main.tf",
        required_providers()
            + &render_all(&[
                Block::resource("terraform_data", "p").object_attr(
                    "input",
                    Block::object()
                        .string("region", "us-east-1")
                        .string("profile", "apigw-unknown")
                        .value(
                            "config_files",
                            Value::strings([format!("{dir}/aws-config")]),
                        )
                        .value(
                            "cred_files",
                            Value::strings([format!("{dir}/aws-credentials")]),
                        )
                        .expr("max_retries", "3")
                        .expr("path_style", "true")
                        .string("endpoint", &endpoint)
                        .string("role_arn", "arn:aws:iam::123456789012:role/terraform-apigw")
                        .string("session_name", "unknown-at-plan")
                        .string("external_id", "unknown-at-plan-external-id")
                        .string("run", "first"),
                ),
                Block::provider("apigw")
                    .with(from_output(
                        "p",
                        &[
                            ("region", "region"),
                            ("profile", "profile"),
                            ("shared_config_files", "config_files"),
                            ("shared_credentials_files", "cred_files"),
                            ("max_retries", "max_retries"),
                            ("s3_use_path_style", "path_style"),
                        ],
                    ))
                    .block(Block::new("assume_role").with(from_output(
                        "p",
                        &[
                            ("role_arn", "role_arn"),
                            ("session_name", "session_name"),
                            ("external_id", "external_id"),
                        ],
                    )))
                    .block(Block::new("endpoints").with(from_output(
                        "p",
                        &["apigateway", "firehose", "iam", "s3", "sts"].map(|s| (s, "endpoint")),
                    )))
                    .block(Block::new("default_tags").object_attr(
                        "tags",
                        from_output("p", &[("run", "run")]).string("fixed", "yes"),
                    )),
                // Known: only the provider's default_tags make tags_all unknown.
                pipeline("x", &api, "prod", &format!("arn:aws:s3:::{bucket}"))
                    .map("tags", [("team", "a")]),
            ]),
    );
    tf.init().success();
    apply_then_plan_empty(&tf, "every provider argument unknown");

    let state = tf.state_resource(ADDR);
    assert_tags(
        &aws,
        &state,
        &map(&[("team", "a")]),
        &map(&[("fixed", "yes"), ("run", "first"), ("team", "a")]),
    );
    tf.destroy().success();
    assert_nothing_left(&aws);
}

#[test]
fn every_resource_argument_unknown_at_plan() {
    let tf = TfDir::new();
    let aws = block_on(aws());
    let (api, bucket) = fixtures(&aws, "unknown-resource");
    let role_arn = block_on(async {
        aws.iam
            .create_role()
            .role_name("unknown-at-plan-delivery")
            .assume_role_policy_document(
                r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"firehose.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#,
            )
            .send()
            .await
            .expect("create_role")
            .role()
            .map(|r| r.arn().to_owned())
            .expect("the role's ARN")
    });
    let stream = "amazon-apigateway-unknown-at-plan";
    tf.write(
        "main.tf",
        required_providers()
            + &render_all(&[
                Block::resource("terraform_data", "r").object_attr(
                    "input",
                    Block::object()
                        .string("api", &api)
                        .string("stage", "prod")
                        .string("preset", "clf")
                        .expr("enabled", "true")
                        .string("stream", stream)
                        .string("role", &role_arn)
                        .string("bucket", &format!("arn:aws:s3:::{bucket}"))
                        .string("prefix", "logs/!{timestamp:yyyy}/")
                        .string("error_prefix", "errors/!{firehose:error-output-type}/")
                        .expr("size", "2")
                        .expr("interval", "60")
                        .string("compression", "Snappy")
                        .string("kms", KMS_KEY)
                        .map("tags", [("team", "b")])
                        .map("defaults", [("run", "second")])
                        .string("create", "20m")
                        .string("update", "15m")
                        .string("delete", "25m"),
                ),
                Block::provider("apigw").block(
                    Block::new("default_tags").expr("tags", "terraform_data.r.output.defaults"),
                ),
                Block::resource("apigw_access_log_pipeline", "x")
                    .with(from_output(
                        "r",
                        &[("rest_api_id", "api"), ("stage_name", "stage")],
                    ))
                    .expr(
                        "format",
                        "provider::apigw::log_format(terraform_data.r.output.preset)",
                    )
                    .with(from_output(
                        "r",
                        &[
                            ("enabled", "enabled"),
                            ("delivery_stream_name", "stream"),
                            ("role_arn", "role"),
                        ],
                    ))
                    .object_attr(
                        "s3",
                        from_output(
                            "r",
                            &[
                                ("bucket_arn", "bucket"),
                                ("prefix", "prefix"),
                                ("error_output_prefix", "error_prefix"),
                                ("buffering_size_mib", "size"),
                                ("buffering_interval_seconds", "interval"),
                                ("compression", "compression"),
                                ("kms_key_arn", "kms"),
                            ],
                        ),
                    )
                    .expr("tags", "terraform_data.r.output.tags")
                    .object_attr(
                        "timeouts",
                        from_output(
                            "r",
                            &[
                                ("create", "create"),
                                ("update", "update"),
                                ("delete", "delete"),
                            ],
                        ),
                    ),
            ]),
    );
    tf.init().success();
    apply_then_plan_empty(&tf, "every resource argument unknown");

    let state = tf.state_resource(ADDR);
    assert_eq!(state["id"], format!("{api}/prod"), "{state}");
    assert_eq!(state["format"], CLF, "{state}");
    assert_eq!(state["enabled"], true, "{state}");
    assert_eq!(state["delivery_stream_name"], stream, "{state}");
    assert_eq!(state["role_arn"], role_arn.as_str(), "{state}");
    let s3 = &state["s3"];
    assert_eq!(s3["bucket_arn"], format!("arn:aws:s3:::{bucket}"), "{s3}");
    assert_eq!(s3["prefix"], "logs/!{timestamp:yyyy}/", "{s3}");
    assert_eq!(
        s3["error_output_prefix"], "errors/!{firehose:error-output-type}/",
        "{s3}"
    );
    assert_eq!(s3["buffering_size_mib"], 2, "{s3}");
    assert_eq!(s3["buffering_interval_seconds"], 60, "{s3}");
    assert_eq!(s3["compression"], "Snappy", "{s3}");
    assert_eq!(s3["kms_key_arn"], KMS_KEY, "{s3}");
    assert_eq!(state["timeouts"]["delete"], "25m", "{state}");
    assert_tags(
        &aws,
        &state,
        &map(&[("team", "b")]),
        &map(&[("run", "second"), ("team", "b")]),
    );
    tf.destroy().success();
    assert_nothing_left(&aws);
}

#[test]
fn a_changed_default_tag_plans_a_change_of_tags_all_only() {
    let tf = TfDir::new();
    let aws = block_on(aws());
    let (api, bucket) = fixtures(&aws, "default-tag-change");
    let config = |defaults: &[(&str, &str)]| {
        let provider = Block::provider("apigw")
            .block(Block::new("default_tags").map("tags", defaults.iter().copied()));
        let pipeline = pipeline("x", &api, "prod", &format!("arn:aws:s3:::{bucket}"))
            .map("tags", [("team", "a")]);
        required_providers() + &render_all(&[provider, pipeline])
    };
    tf.write("main.tf", config(&[("run", "one"), ("gone", "x")]));
    tf.init().success();
    tf.apply().success();
    tf.assert_plan_empty();

    // One default changes its value, another goes away.
    tf.write("main.tf", config(&[("run", "two")]));
    let plan = tf.tf(&[
        "plan",
        "-detailed-exitcode",
        "-input=false",
        "-no-color",
        "-out=change.tfplan",
    ]);
    assert_eq!(
        plan.status.code(),
        Some(2),
        "{}\n{}",
        plan.stdout,
        plan.stderr
    );
    let shown = tf.tf(&["show", "-json", "change.tfplan"]).success();
    let shown: serde_json::Value = serde_json::from_str(&shown.stdout).expect("plan JSON");
    let change = shown["resource_changes"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|c| c["address"] == ADDR)
        .map(|c| &c["change"])
        .expect("a change of the pipeline");
    assert_eq!(change["actions"], serde_json::json!(["update"]), "{change}");
    let (before, after) = (&change["before"], &change["after"]);
    assert_eq!(
        string_map(&before["tags"]),
        map(&[("team", "a")]),
        "{change}"
    );
    assert_eq!(
        before["tags"], after["tags"],
        "the plan changes tags: {change}"
    );
    assert_eq!(
        string_map(&before["tags_all"]),
        map(&[("gone", "x"), ("run", "one"), ("team", "a")]),
        "{change}"
    );
    assert_eq!(
        string_map(&after["tags_all"]),
        map(&[("run", "two"), ("team", "a")]),
        "{change}"
    );
    let changed: Vec<&String> = before
        .as_object()
        .expect("before")
        .iter()
        .filter(|(k, v)| after.get(k.as_str()) != Some(*v))
        .map(|(k, _)| k)
        .collect();
    assert_eq!(changed, vec!["tags_all"], "{change}");

    tf.tf(&["apply", "-input=false", "-no-color", "change.tfplan"])
        .success();
    tf.assert_plan_empty();
    assert_tags(
        &aws,
        &tf.state_resource(ADDR),
        &map(&[("team", "a")]),
        &map(&[("run", "two"), ("team", "a")]),
    );

    tf.destroy().success();
    assert_nothing_left(&aws);
}
