//! Buckets in another account or region, the owned role's KMS grant, and the stage shared with
//! `aws_api_gateway_stage`, through the real terraform CLI. The proxy places the bucket in
//! another account (HeadBucket answers 403) or region (301), as S3 would for a central
//! log-archive bucket; the role's policy is then read back through the SDK. (A missing bucket
//! stays an error: `resilience.rs`, `a_missing_bucket_fails_and_leaves_nothing`.)

use acceptance_tests::proxy::{BucketPlacement, Condition, Outcome, Proxy, ProxyConfig};
use acceptance_tests::{
    Aws, TfDir, TfOutput, assert_nothing_left, aws, block_on, config, parse_policy, pipeline_to,
    real_aws, s3, workspace_root,
};
use serde_json::{Value, json};

const ADDR: &str = "apigw_access_log_pipeline.x";
/// A KMS key of `region`: Firehose needs one of the bucket's region.
fn kms_key(region: &str) -> String {
    format!("arn:aws:kms:{region}:123456789012:key/0f0e0d0c-0b0a-4000-8000-000000000002")
}

/// The proxy and a moto of the harness's own account and region only.
fn skipped_on_real_aws() -> bool {
    if real_aws() {
        eprintln!("skipped: buckets are placed elsewhere by the proxy, which fronts the emulator");
    }
    real_aws()
}

fn pipeline(api: &str, bucket: &str, key_region: &str) -> String {
    let s3 = s3(&format!("arn:aws:s3:::{bucket}")).string("kms_key_arn", &kms_key(key_region));
    config(&[pipeline_to("x", api, "prod", s3)])
}

/// A REST API deployed to `prod`, a bucket, and the configuration with a key of `key_region`,
/// initialised.
fn workspace(bucket_name: &str, key_region: &str) -> (TfDir, Aws, String, String) {
    let tf = TfDir::new();
    let aws = block_on(aws());
    let (api, bucket) = block_on(async {
        let bucket = aws.create_bucket(bucket_name).await;
        (
            aws.rest_api_with_stage("archived-api", "prod").await,
            bucket,
        )
    });
    tf.write("main.tf", pipeline(&api, &bucket, key_region));
    tf.init().success();
    (tf, aws, api, bucket)
}

/// `terraform <args>` with the provider talking to AWS through `proxy`.
fn through(proxy: &Proxy, tf: &TfDir, args: &[&str]) -> TfOutput {
    tf.tf_env(args, &[("AWS_ENDPOINT_URL", &proxy.endpoint())])
}

/// The owned role's inline policy, read through the SDK.
fn role_policy(aws: &Aws, role_arn: &str) -> Value {
    let role = role_arn.rsplit('/').next().expect("a role name");
    let document = block_on(async {
        aws.iam
            .get_role_policy()
            .role_name(role)
            .policy_name("firehose-delivery-to-s3")
            .send()
            .await
            .expect("the owned role's inline policy")
            .policy_document()
            .to_owned()
    });
    parse_policy(&document)
}

fn statement<'a>(policy: &'a Value, sid: &str) -> &'a Value {
    policy["Statement"]
        .as_array()
        .and_then(|s| s.iter().find(|s| s["Sid"] == sid))
        .unwrap_or_else(|| panic!("no statement {sid} in {policy}"))
}

/// The role may deliver across accounts, and its key grant names S3 of `region` and both
/// encryption contexts S3 uses (object ARN; bucket ARN with S3 Bucket Keys).
fn assert_role_delivers_across_accounts(policy: &Value, bucket: &str, region: &str) {
    let deliver = statement(policy, "DeliverToBucket");
    assert!(
        deliver["Action"]
            .as_array()
            .expect("actions")
            .contains(&json!("s3:PutObjectAcl")),
        "no s3:PutObjectAcl for cross-account delivery: {deliver}"
    );
    let key = statement(policy, "EncryptWithKey");
    assert_eq!(
        key["Condition"]["StringEquals"]["kms:ViaService"],
        format!("s3.{region}.amazonaws.com"),
        "{key}"
    );
    let contexts = &key["Condition"]["StringLike"]["kms:EncryptionContext:aws:s3:arn"];
    let bucket_arn = format!("arn:aws:s3:::{bucket}");
    for wanted in [format!("{bucket_arn}/*"), bucket_arn] {
        assert!(
            contexts
                .as_array()
                .is_some_and(|c| c.contains(&json!(wanted))),
            "the key grant does not cover the encryption context {wanted}: {key}"
        );
    }
}

/// The bucket policy the resource page shows, with its example role and bucket replaced.
fn documented_bucket_policy(role_arn: &str, bucket: &str) -> Value {
    let page =
        std::fs::read_to_string(workspace_root().join("docs/resources/access_log_pipeline.md"))
            .expect("the resource page");
    let block = page
        .split("```json\n")
        .skip(1)
        .filter_map(|rest| rest.split_once("```").map(|(b, _)| b))
        .find(|b| b.contains("\"Principal\""))
        .expect("a bucket policy in the resource page");
    let text = block
        .replace(
            "arn:aws:iam::111111111111:role/apigw-logs-us-east-1-a1b2c3d4e5-prod",
            role_arn,
        )
        .replace("central-log-archive", bucket);
    serde_json::from_str(&text).expect("the documented bucket policy is JSON")
}

/// Apply through a proxy placing the bucket elsewhere: it succeeds, warns with `warning`, and
/// leaves a role able to deliver with the key through S3 of `region`.
fn applies_with_a_warning(placement: BucketPlacement, warning: &str, region: &str) {
    let (tf, aws, _api, bucket) = workspace("archive-logs", region);
    let proxy = Proxy::start(ProxyConfig::new().bucket_placement(&bucket, placement));
    let apply = through(
        &proxy,
        &tf,
        &["apply", "-auto-approve", "-input=false", "-no-color"],
    )
    .success();
    let output = format!("{}{}", apply.stdout, apply.stderr);
    assert!(
        output.contains(&format!("Warning: {warning}")),
        "no {warning:?} warning:\n{output}"
    );
    assert!(
        output.contains("bucket_policy_json"),
        "the warning does not point at bucket_policy_json:\n{output}"
    );
    let elsewhere = proxy
        .events()
        .iter()
        .filter(|e| matches!(e.outcome, Outcome::Simulated(Condition::BucketElsewhere(_))))
        .count();
    assert_eq!(elsewhere, 1, "{:?}", proxy.events());
    assert!(proxy.breaches().is_empty(), "{:?}", proxy.breaches());

    let state = tf.state_resource(ADDR);
    let role_arn = state["role_arn"].as_str().expect("the owned role's ARN");
    assert_role_delivers_across_accounts(&role_policy(&aws, role_arn), &bucket, region);

    // The statement the bucket's account must add: what the docs show, for this role.
    let given: Value = serde_json::from_str(
        state["bucket_policy_json"]
            .as_str()
            .expect("bucket_policy_json is known after apply"),
    )
    .expect("bucket_policy_json is JSON");
    assert_eq!(given, documented_bucket_policy(role_arn, &bucket));

    let replan = through(
        &proxy,
        &tf,
        &["plan", "-detailed-exitcode", "-input=false", "-no-color"],
    );
    assert_eq!(
        replan.status.code(),
        Some(0),
        "a re-plan after apply is not empty:\n{}{}",
        replan.stdout,
        replan.stderr
    );
    through(
        &proxy,
        &tf,
        &["destroy", "-auto-approve", "-input=false", "-no-color"],
    )
    .success();
    assert_nothing_left(&aws);
}

#[test]
fn a_bucket_of_another_account_applies_with_a_warning_and_a_role_ready_for_it() {
    if skipped_on_real_aws() {
        return;
    }
    applies_with_a_warning(
        BucketPlacement::OtherAccount {
            region: "us-east-1".into(),
        },
        "Bucket not checked",
        "us-east-1",
    );
}

#[test]
fn a_bucket_in_another_region_gets_the_key_granted_through_s3_of_that_region() {
    if skipped_on_real_aws() {
        return;
    }
    applies_with_a_warning(
        BucketPlacement::OtherRegion {
            region: "eu-west-1".into(),
        },
        "Bucket in another region",
        "eu-west-1",
    );
}

#[test]
fn a_key_of_another_region_than_the_bucket_is_refused_and_leaves_nothing() {
    if skipped_on_real_aws() {
        return;
    }
    let (tf, aws, _api, bucket) = workspace("far-key-logs", "eu-west-1");
    let proxy = Proxy::start(ProxyConfig::new());
    let apply = through(
        &proxy,
        &tf,
        &["apply", "-auto-approve", "-input=false", "-no-color"],
    )
    .failure();
    // Terraform wraps diagnostics: compare with the line breaks taken out.
    let output = format!("{}{}", apply.stdout, apply.stderr)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    for wanted in [
        "Error: KMS key in another region",
        "s3.kms_key_arn is a key of region eu-west-1",
        &format!("bucket {bucket:?} is in us-east-1"),
    ] {
        assert!(
            output.contains(wanted),
            "the apply lacks {wanted:?}:\n{output}"
        );
    }
    assert!(proxy.breaches().is_empty(), "{:?}", proxy.breaches());
    assert_eq!(proxy.count("firehose:CreateDeliveryStream"), 0);
    assert_nothing_left(&aws);
}

#[test]
fn a_stage_repointed_from_outside_is_warned_about_in_the_plan() {
    if skipped_on_real_aws() {
        return;
    }
    let (tf, aws, api, _bucket) = workspace("repointed-logs", "us-east-1");
    tf.apply().success();
    tf.assert_plan_empty();

    // What an aws_api_gateway_stage with its own access_log_settings does on its apply.
    let elsewhere = "arn:aws:logs:us-east-1:123456789012:log-group:other-access-logs";
    block_on(aws.set_stage_access_log(&api, "prod", elsewhere, "$context.requestId"));
    let plan = tf.plan().success();
    let output = format!("{}{}", plan.stdout, plan.stderr);
    for wanted in [
        "Warning: Stage repointed outside this resource",
        elsewhere,
        "aws_api_gateway_stage",
        "ignore_changes = [access_log_settings]",
    ] {
        assert!(
            output.contains(wanted),
            "the plan lacks {wanted:?}:\n{output}"
        );
    }
    assert!(
        plan.stdout.contains("enabled") && plan.stdout.contains("1 to change"),
        "the plan does not point the stage back:\n{}",
        plan.stdout
    );

    // Once the pipeline has the stage back, the warning is gone.
    tf.apply().success();
    let plan = tf.plan().success();
    assert!(
        !format!("{}{}", plan.stdout, plan.stderr).contains("Stage repointed"),
        "{}",
        plan.stdout
    );
    tf.destroy().success();
    assert_nothing_left(&aws);
}
