//! Secrets stay out of state and logs; the role the provider owns grants only what Firehose
//! needs on this bucket and key.

use acceptance_tests::{
    Block, TfDir, aws, block_on, config, parse_policy, pipeline_to, render_all, required_providers,
    s3,
};

// Distinctive values, so any leak is found by a plain text search.
const ACCESS_KEY: &str = "AKIASECRETCANARY0001";
const SECRET_KEY: &str = "secret-canary-d8f1c0e4b7a94b52a6e1";
const SESSION_TOKEN: &str = "token-canary-5a0e9c7d3b2f41e8";
const KMS_KEY: &str = "arn:aws:kms:us-east-1:123456789012:key/0f0e0d0c-0b0a-4000-8000-000000000001";

/// The pipeline under test, with a customer key on its bucket.
fn pipeline(api: &str, bucket: &str) -> Block {
    let s3 = s3(&format!("arn:aws:s3:::{bucket}")).string("kms_key_arn", KMS_KEY);
    pipeline_to("x", api, "prod", s3)
}

/// The provider assuming the test's role, with `extra` inside `assume_role`.
fn assuming(extra: Block) -> Block {
    let assume_role = Block::new("assume_role")
        .string("role_arn", "arn:aws:iam::123456789012:role/terraform-apigw")
        .string("session_name", "acceptance")
        .with(extra);
    Block::provider("apigw").block(assume_role)
}

#[test]
fn credentials_never_reach_state_plans_or_trace_logs() {
    let tf = TfDir::new();
    let aws = block_on(aws());
    let (api, bucket) = block_on(async {
        let bucket = aws.create_bucket("security-canary-logs").await;
        (aws.rest_api_with_stage("secure-api", "prod").await, bucket)
    });
    tf.write("main.tf", config(&[pipeline(&api, &bucket)]));
    tf.init().success();
    let secrets = [
        ("AWS_ACCESS_KEY_ID", ACCESS_KEY),
        ("AWS_SECRET_ACCESS_KEY", SECRET_KEY),
        ("AWS_SESSION_TOKEN", SESSION_TOKEN),
        ("TF_LOG", "trace"),
    ];
    let apply = tf
        .tf_env(
            &["apply", "-auto-approve", "-input=false", "-no-color"],
            &secrets,
        )
        .success();
    let plan = tf
        .tf_env(
            &["plan", "-input=false", "-no-color", "-out=saved.tfplan"],
            &secrets,
        )
        .success();
    let shown = tf.tf(&["show", "-json", "saved.tfplan"]).success();
    let destroy = tf
        .tf_env(
            &["destroy", "-auto-approve", "-input=false", "-no-color"],
            &secrets,
        )
        .success();

    // The trace really did carry the provider's AWS traffic, so a clean search means something.
    assert!(
        apply.stderr.contains("provider.terraform-provider-apigw"),
        "no provider lines in the trace"
    );
    assert!(
        apply.stderr.len() > 10_000,
        "the trace is suspiciously short"
    );

    let state = std::fs::read_to_string(tf.path().join("terraform.tfstate")).unwrap_or_default();
    let backup =
        std::fs::read_to_string(tf.path().join("terraform.tfstate.backup")).unwrap_or_default();
    let texts = [
        ("apply output", apply.stdout + &apply.stderr),
        ("plan output", plan.stdout + &plan.stderr),
        ("saved plan", shown.stdout),
        ("destroy output", destroy.stdout + &destroy.stderr),
        ("state", state),
        ("state backup", backup),
    ];
    for (what, text) in &texts {
        for secret in [ACCESS_KEY, SECRET_KEY, SESSION_TOKEN] {
            assert_absent(what, text, secret);
        }
    }
}

#[test]
fn the_owned_role_grants_only_delivery_to_this_bucket_and_key() {
    let tf = TfDir::new();
    let aws = block_on(aws());
    let (api, bucket) = block_on(async {
        let bucket = aws.create_bucket("least-privilege-logs").await;
        (aws.rest_api_with_stage("least-api", "prod").await, bucket)
    });
    tf.write("main.tf", config(&[pipeline(&api, &bucket)]));
    tf.init().success();
    tf.apply().success();

    let role = format!("apigw-logs-us-east-1-{api}-prod");
    let document = block_on(async {
        let out = aws
            .iam
            .get_role_policy()
            .role_name(&role)
            .policy_name("firehose-delivery-to-s3")
            .send()
            .await;
        out.expect("the owned role's inline policy")
            .policy_document()
            .to_owned()
    });
    let policy = parse_policy(&document);
    let statements = policy["Statement"].as_array().expect("statements");
    assert_eq!(statements.len(), 3, "{policy}");
    let bucket_arn = format!("arn:aws:s3:::{bucket}");
    for s in statements {
        assert_eq!(s["Effect"], "Allow", "{s}");
        let resources: Vec<&str> = s["Resource"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|r| r.as_str())
            .collect();
        let actions: Vec<&str> = s["Action"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|a| a.as_str())
            .collect();
        assert!(
            actions.iter().all(|a| !a.contains('*')),
            "wildcard action: {s}"
        );
        if actions.iter().all(|a| a.starts_with("s3:")) {
            assert_eq!(
                resources,
                vec![bucket_arn.clone(), format!("{bucket_arn}/*")],
                "{s}"
            );
            assert!(actions.contains(&"s3:PutObject"), "{s}");
            assert!(!actions.iter().any(|a| a.starts_with("s3:Delete")), "{s}");
        } else if actions.iter().all(|a| a.starts_with("logs:")) {
            // Delivery errors, into the one log stream of the stream's error logging.
            assert_eq!(actions, vec!["logs:PutLogEvents"], "{s}");
            let group = format!("/aws/kinesisfirehose/amazon-apigateway-{api}-prod");
            assert_eq!(
                resources,
                vec![format!(
                    "arn:aws:logs:us-east-1:123456789012:log-group:{group}:log-stream:DestinationDelivery"
                )],
                "{s}"
            );
        } else {
            assert_eq!(resources, vec![KMS_KEY], "{s}");
            assert_eq!(actions, vec!["kms:Decrypt", "kms:GenerateDataKey"], "{s}");
            assert_eq!(
                s["Condition"]["StringEquals"]["kms:ViaService"], "s3.us-east-1.amazonaws.com",
                "{s}"
            );
        }
    }
    tf.destroy().success();
}

#[test]
fn with_assume_role_the_provider_calls_aws_as_the_assumed_role() {
    let tf = TfDir::new();
    let aws = block_on(aws());
    let (api, bucket) = block_on(async {
        let bucket = aws.create_bucket("assumed-role-logs").await;
        (aws.rest_api_with_stage("assumed-api", "prod").await, bucket)
    });
    let hcl =
        required_providers() + &render_all(&[assuming(Block::object()), pipeline(&api, &bucket)]);
    tf.write("main.tf", hcl);
    tf.init().success();
    let proxy = acceptance_tests::proxy::Proxy::start(acceptance_tests::proxy::ProxyConfig::new());
    let endpoint = [("AWS_ENDPOINT_URL", proxy.endpoint())];
    let env: Vec<(&str, &str)> = endpoint.iter().map(|(k, v)| (*k, v.as_str())).collect();
    tf.tf_env(
        &["apply", "-auto-approve", "-input=false", "-no-color"],
        &env,
    )
    .success();
    tf.tf_env(
        &["destroy", "-auto-approve", "-input=false", "-no-color"],
        &env,
    )
    .success();
    assert!(
        proxy.count("sts:AssumeRole") >= 1,
        "the provider never assumed the role: {:?}",
        proxy.counts()
    );
    assert!(proxy.count("firehose:CreateDeliveryStream") >= 1);
}

/// Fails the test if `secret` is anywhere in `text`, showing where.
#[track_caller]
fn assert_absent(what: &str, text: &str, secret: &str) {
    if let Some(at) = text.find(secret) {
        let from = text[..at]
            .char_indices()
            .rev()
            .nth(200)
            .map_or(0, |(i, _)| i);
        let shown: String = text[from..].chars().take(300).collect();
        panic!("{what} contains the secret {secret:?} in:\n{shown}");
    }
}

#[test]
fn a_sensitive_provider_argument_never_reaches_trace_logs() {
    const EXTERNAL_ID: &str = "extid-canary-3f9b1d2e77";
    let tf = TfDir::new();
    let aws = block_on(aws());
    let (api, bucket) = block_on(async {
        let bucket = aws.create_bucket("external-id-logs").await;
        (
            aws.rest_api_with_stage("external-id-api", "prod").await,
            bucket,
        )
    });
    let external_id = Block::object().string("external_id", EXTERNAL_ID);
    let hcl = required_providers() + &render_all(&[assuming(external_id), pipeline(&api, &bucket)]);
    tf.write("main.tf", hcl);
    tf.init().success();
    let trace = [("TF_LOG", "trace")];
    let apply = tf
        .tf_env(
            &["apply", "-auto-approve", "-input=false", "-no-color"],
            &trace,
        )
        .success();
    let log_path = tf.path().join("destroy.log");
    let log_path_text = log_path.to_string_lossy().into_owned();
    let destroy = tf
        .tf_env(
            &["destroy", "-auto-approve", "-input=false", "-no-color"],
            &[("TF_LOG", "trace"), ("TF_LOG_PATH", &log_path_text)],
        )
        .success();
    let log = std::fs::read_to_string(&log_path).expect("TF_LOG_PATH was written");

    // The traces carried the provider's role assumption, so a clean search means something.
    for (what, text) in [("apply trace", &apply.stderr), ("destroy log", &log)] {
        assert!(
            text.contains("provider.terraform-provider-apigw"),
            "no provider lines in the {what}"
        );
        assert!(
            text.contains("AssumeRole"),
            "the {what} shows no role assumption"
        );
    }
    let state = std::fs::read_to_string(tf.path().join("terraform.tfstate")).unwrap_or_default();
    for (what, text) in [
        ("apply stdout", &apply.stdout),
        ("apply stderr", &apply.stderr),
        ("destroy stdout", &destroy.stdout),
        ("destroy stderr", &destroy.stderr),
        ("destroy log", &log),
        ("state", &state),
    ] {
        assert_absent(what, text, EXTERNAL_ID);
    }
}
