//! Plans with values known only after apply: every provider argument and every resource
//! argument unknown at plan, through the real CLI. Each apply must succeed (Terraform refuses a
//! final plan that contradicts the first) and the plan after it must be empty. Also: a changed
//! default tag is a change of `tags_all` alone.

use std::collections::BTreeMap;

use acceptance_tests::{
    Aws, PROVIDER_SHORT_SOURCE, TfDir, assert_nothing_left, aws, aws_endpoint, block_on,
};
use terraform_provider_apigw::log_format::CLF;

const ADDR: &str = "apigw_access_log_pipeline.x";
const OWNER_TAG: &str = "terraform-provider-apigw:pipeline";
const KMS_KEY: &str = "arn:aws:kms:us-east-1:123456789012:key/0f0e0d0c-0b0a-4000-8000-000000000002";

/// The `terraform` block requiring the provider, without a provider block.
fn required_providers() -> String {
    format!(
        "terraform {{\n  required_providers {{\n    apigw = {{\n      source = \"{PROVIDER_SHORT_SOURCE}\"\n    }}\n  }}\n}}\n"
    )
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
        format!(
            r#"{header}
resource "terraform_data" "p" {{
  input = {{
    region       = "us-east-1"
    profile      = "apigw-unknown"
    config_files = ["{dir}/aws-config"]
    cred_files   = ["{dir}/aws-credentials"]
    max_retries  = 3
    path_style   = true
    endpoint     = "{endpoint}"
    role_arn     = "arn:aws:iam::123456789012:role/terraform-apigw"
    session_name = "unknown-at-plan"
    external_id  = "unknown-at-plan-external-id"
    run          = "first"
  }}
}}

provider "apigw" {{
  region                   = terraform_data.p.output.region
  profile                  = terraform_data.p.output.profile
  shared_config_files      = terraform_data.p.output.config_files
  shared_credentials_files = terraform_data.p.output.cred_files
  max_retries              = terraform_data.p.output.max_retries
  s3_use_path_style        = terraform_data.p.output.path_style
  assume_role {{
    role_arn     = terraform_data.p.output.role_arn
    session_name = terraform_data.p.output.session_name
    external_id  = terraform_data.p.output.external_id
  }}
  endpoints {{
    apigateway = terraform_data.p.output.endpoint
    firehose   = terraform_data.p.output.endpoint
    iam        = terraform_data.p.output.endpoint
    s3         = terraform_data.p.output.endpoint
    sts        = terraform_data.p.output.endpoint
  }}
  default_tags {{
    tags = {{
      run   = terraform_data.p.output.run
      fixed = "yes"
    }}
  }}
}}

resource "apigw_access_log_pipeline" "x" {{
  rest_api_id = "{api}"
  stage_name  = "prod"
  s3 = {{
    bucket_arn = "arn:aws:s3:::{bucket}"
  }}
  # Known: only the provider's default_tags make tags_all unknown.
  tags = {{ team = "a" }}
}}
"#,
            header = required_providers()
        ),
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
        format!(
            r#"{header}
resource "terraform_data" "r" {{
  input = {{
    api          = "{api}"
    stage        = "prod"
    preset       = "clf"
    enabled      = true
    stream       = "{stream}"
    role         = "{role_arn}"
    bucket       = "arn:aws:s3:::{bucket}"
    prefix       = "logs/!{{timestamp:yyyy}}/"
    error_prefix = "errors/!{{firehose:error-output-type}}/"
    size         = 2
    interval     = 60
    compression  = "Snappy"
    kms          = "{KMS_KEY}"
    tags         = {{ team = "b" }}
    defaults     = {{ run = "second" }}
    create       = "20m"
    update       = "15m"
    delete       = "25m"
  }}
}}

provider "apigw" {{
  default_tags {{
    tags = terraform_data.r.output.defaults
  }}
}}

resource "apigw_access_log_pipeline" "x" {{
  rest_api_id          = terraform_data.r.output.api
  stage_name           = terraform_data.r.output.stage
  format               = provider::apigw::log_format(terraform_data.r.output.preset)
  enabled              = terraform_data.r.output.enabled
  delivery_stream_name = terraform_data.r.output.stream
  role_arn             = terraform_data.r.output.role
  s3 = {{
    bucket_arn                 = terraform_data.r.output.bucket
    prefix                     = terraform_data.r.output.prefix
    error_output_prefix        = terraform_data.r.output.error_prefix
    buffering_size_mib         = terraform_data.r.output.size
    buffering_interval_seconds = terraform_data.r.output.interval
    compression                = terraform_data.r.output.compression
    kms_key_arn                = terraform_data.r.output.kms
  }}
  tags = terraform_data.r.output.tags
  timeouts = {{
    create = terraform_data.r.output.create
    update = terraform_data.r.output.update
    delete = terraform_data.r.output.delete
  }}
}}
"#,
            header = required_providers()
        ),
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
    let config = |defaults: &str| {
        format!(
            r#"{header}
provider "apigw" {{
  default_tags {{
    tags = {{ {defaults} }}
  }}
}}

resource "apigw_access_log_pipeline" "x" {{
  rest_api_id = "{api}"
  stage_name  = "prod"
  s3 = {{
    bucket_arn = "arn:aws:s3:::{bucket}"
  }}
  tags = {{ team = "a" }}
}}
"#,
            header = required_providers()
        )
    };
    tf.write("main.tf", config(r#"run = "one", gone = "x""#));
    tf.init().success();
    tf.apply().success();
    tf.assert_plan_empty();

    // One default changes its value, another goes away.
    tf.write("main.tf", config(r#"run = "two""#));
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
