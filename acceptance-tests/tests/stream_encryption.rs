//! Encryption at rest in the stream (`server_side_encryption`) through the real terraform CLI,
//! with the provider behind a proxy that reports Firehose's encryption statuses as AWS does
//! (ENABLING and DISABLING for 2 s after each change), checked through the AWS SDK.

use std::time::{Duration, Instant};

use acceptance_tests::proxy::{Proxy, ProxyConfig};
use acceptance_tests::{Block, TfDir, TfOutput, aws, block_on, config, pipeline, real_aws};
use aws_sdk_firehose::error::ProvideErrorMetadata;
use aws_sdk_firehose::types::{DeliveryStreamEncryptionConfigurationInput, KeyType};

const ADDR: &str = "apigw_access_log_pipeline.x";

fn pipeline_hcl(api: &str, bucket: &str, encryption: Option<Block>) -> String {
    let bucket_arn = format!("arn:aws:s3:::{bucket}");
    let mut pipeline = pipeline("x", api, "prod", &bucket_arn);
    if let Some(settings) = encryption {
        pipeline = pipeline.object_attr("server_side_encryption", settings);
    }
    config(&[pipeline])
}

/// The proxy fronts moto; against a real account these tests have nothing to add.
fn skipped_on_real_aws() -> bool {
    if real_aws() {
        eprintln!("skipped: the encryption phases are the proxy's");
    }
    real_aws()
}

/// The `server_side_encryption` that turns encryption off.
fn off() -> Option<Block> {
    Some(Block::object().expr("enabled", "false"))
}

fn encrypting_proxy() -> Proxy {
    Proxy::start(ProxyConfig::new().encryption_phase(Duration::from_secs(2)))
}

/// A Firehose client through `proxy`, without retries, so each answer is the proxy's.
fn firehose_through(proxy: &Proxy) -> aws_sdk_firehose::Client {
    block_on(async {
        let config = acceptance_tests::emulator_sdk_config(&proxy.endpoint(), false).await;
        aws_sdk_firehose::Client::new(&config)
    })
}

/// `(Status, KeyType)` of the stream's encryption, as DescribeDeliveryStream reports it.
fn encryption_of(firehose: &aws_sdk_firehose::Client, stream: &str) -> (String, Option<String>) {
    block_on(async {
        let out = firehose
            .describe_delivery_stream()
            .delivery_stream_name(stream)
            .send()
            .await
            .unwrap_or_else(|e| panic!("describe_delivery_stream {stream}: {e:?}"));
        let e = out
            .delivery_stream_description()
            .and_then(|d| d.delivery_stream_encryption_configuration())
            .unwrap_or_else(|| panic!("stream {stream} reports no encryption configuration"));
        (
            e.status()
                .map(|s| s.as_str().to_owned())
                .unwrap_or_default(),
            e.key_type().map(|k| k.as_str().to_owned()),
        )
    })
}

/// Runs `terraform <args>` with the provider pointed at `proxy`, printing how long it took.
#[track_caller]
fn through(proxy: &Proxy, tf: &TfDir, args: &[&str]) -> TfOutput {
    let started = Instant::now();
    let out = tf.tf_env(args, &[("AWS_ENDPOINT_URL", &proxy.endpoint())]);
    println!("terraform {}: {:.1?}", args[0], started.elapsed());
    out
}

#[track_caller]
fn apply(proxy: &Proxy, tf: &TfDir) {
    through(
        proxy,
        tf,
        &["apply", "-auto-approve", "-input=false", "-no-color"],
    )
    .success();
}

/// `plan -detailed-exitcode` through the proxy: its exit code (0 none, 2 changes) and output.
#[track_caller]
fn plan(proxy: &Proxy, tf: &TfDir) -> (i32, String) {
    let out = through(
        proxy,
        tf,
        &["plan", "-detailed-exitcode", "-input=false", "-no-color"],
    );
    match out.status.code() {
        Some(code @ (0 | 2)) => (code, out.stdout),
        _ => panic!("plan failed\n{}\n{}", out.stdout, out.stderr),
    }
}

#[track_caller]
fn assert_plan_empty(proxy: &Proxy, tf: &TfDir) {
    let (code, out) = plan(proxy, tf);
    assert_eq!(code, 0, "expected an empty plan:\n{out}");
}

fn enabled_in_state(tf: &TfDir) -> (bool, String) {
    let state = tf.state_resource(ADDR);
    let sse = &state["server_side_encryption"];
    (
        sse["enabled"].as_bool().expect("enabled in state"),
        sse["key_type"]
            .as_str()
            .expect("key_type in state")
            .to_owned(),
    )
}

/// A REST API deployed to `prod` and a bucket (made through the SDK), a working directory, and
/// the encrypting proxy with a Firehose client through it.
struct Pipeline {
    tf: TfDir,
    proxy: Proxy,
    firehose: aws_sdk_firehose::Client,
    api: String,
    bucket: String,
}

impl Pipeline {
    /// The fixtures, with `main.tf` holding one pipeline (`encryption` its
    /// `server_side_encryption`) and initialised;
    /// None against a real account.
    fn fixtures(name: &str, encryption: Option<Block>) -> Option<Pipeline> {
        if skipped_on_real_aws() {
            return None;
        }
        let tf = TfDir::new();
        let proxy = encrypting_proxy();
        let firehose = firehose_through(&proxy);
        let (api, bucket) = block_on(async {
            let fixtures = aws().await;
            let bucket = fixtures.create_bucket(&format!("{name}-logs")).await;
            let api = fixtures
                .rest_api_with_stage(&format!("{name}-api"), "prod")
                .await;
            (api, bucket)
        });
        tf.write("main.tf", pipeline_hcl(&api, &bucket, encryption));
        tf.init().success();
        Some(Pipeline {
            tf,
            proxy,
            firehose,
            api,
            bucket,
        })
    }

    fn stream(&self) -> String {
        format!("amazon-apigateway-{}-prod", self.api)
    }
}

/// Default create -> encrypted with Firehose's key; stopped out of band -> the plan shows it
/// and apply restores it; turned off and on by configuration; import reads it; every plan after
/// an apply or import is empty; Start and Stop are called only when something is to change.
#[test]
fn encryption_is_on_by_default_drift_shows_and_is_repaired() {
    let Some(p) = Pipeline::fixtures("encrypted", None) else {
        return;
    };
    let stream = p.stream();

    apply(&p.proxy, &p.tf);
    assert_eq!(
        encryption_of(&p.firehose, &stream),
        ("ENABLED".to_owned(), Some("AWS_OWNED_CMK".to_owned()))
    );
    assert_eq!(enabled_in_state(&p.tf), (true, "AWS_OWNED_CMK".to_owned()));
    assert_eq!(p.proxy.count("firehose:StartDeliveryStreamEncryption"), 0);
    assert_plan_empty(&p.proxy, &p.tf);

    // Out of band: encryption stopped. Firehose reports DISABLING, then DISABLED.
    block_on(async {
        p.firehose
            .stop_delivery_stream_encryption()
            .delivery_stream_name(&stream)
            .send()
            .await
            .expect("stop_delivery_stream_encryption")
    });
    assert_eq!(encryption_of(&p.firehose, &stream).0, "DISABLING");
    let (code, out) = plan(&p.proxy, &p.tf);
    assert_eq!(code, 2, "the stopped encryption must show:\n{out}");
    assert!(
        out.lines()
            .any(|l| l.contains("enabled") && l.contains("false -> true")),
        "{out}"
    );
    apply(&p.proxy, &p.tf);
    assert_eq!(encryption_of(&p.firehose, &stream).0, "ENABLED");
    assert_plan_empty(&p.proxy, &p.tf);

    // Off, then on again, by configuration.
    p.tf.write("main.tf", pipeline_hcl(&p.api, &p.bucket, off()));
    apply(&p.proxy, &p.tf);
    assert_eq!(encryption_of(&p.firehose, &stream).0, "DISABLED");
    assert!(!enabled_in_state(&p.tf).0);
    assert_plan_empty(&p.proxy, &p.tf);
    p.tf.write("main.tf", pipeline_hcl(&p.api, &p.bucket, None));
    apply(&p.proxy, &p.tf);
    assert_eq!(
        encryption_of(&p.firehose, &stream),
        ("ENABLED".to_owned(), Some("AWS_OWNED_CMK".to_owned()))
    );
    assert_plan_empty(&p.proxy, &p.tf);

    // Import reads it back.
    through(&p.proxy, &p.tf, &["state", "rm", ADDR]).success();
    let id = format!("{}/prod", p.api);
    through(
        &p.proxy,
        &p.tf,
        &["import", "-input=false", "-no-color", ADDR, &id],
    )
    .success();
    assert_eq!(enabled_in_state(&p.tf), (true, "AWS_OWNED_CMK".to_owned()));
    assert_plan_empty(&p.proxy, &p.tf);

    // One Start for the repair and one for turning it back on; one Stop out of band and one
    // by configuration: nothing asked for twice while ENABLING or DISABLING.
    assert_eq!(p.proxy.count("firehose:StartDeliveryStreamEncryption"), 2);
    assert_eq!(p.proxy.count("firehose:StopDeliveryStreamEncryption"), 2);
    println!(
        "DescribeDeliveryStream calls over the whole test: {}",
        p.proxy.count("firehose:DescribeDeliveryStream")
    );
    through(
        &p.proxy,
        &p.tf,
        &["destroy", "-auto-approve", "-input=false", "-no-color"],
    )
    .success();
    assert!(p.proxy.breaches().is_empty(), "{:?}", p.proxy.breaches());
}

/// A stream created with encryption off stays unencrypted, and the plan after it is empty.
#[test]
fn a_pipeline_created_with_encryption_off_is_unencrypted() {
    let Some(p) = Pipeline::fixtures("plain", off()) else {
        return;
    };
    apply(&p.proxy, &p.tf);
    let stream = p.stream();
    assert_eq!(encryption_of(&p.firehose, &stream).0, "DISABLED");
    assert_plan_empty(&p.proxy, &p.tf);
    assert_eq!(p.proxy.count("firehose:StartDeliveryStreamEncryption"), 0);
    assert_eq!(p.proxy.count("firehose:StopDeliveryStreamEncryption"), 0);
    through(
        &p.proxy,
        &p.tf,
        &["destroy", "-auto-approve", "-input=false", "-no-color"],
    )
    .success();
}

/// A customer managed key is refused at plan, at the attribute, with AWS's reason, before any
/// AWS call.
#[test]
fn a_customer_managed_key_is_refused_at_plan_without_aws_calls() {
    let tf = TfDir::new();
    let proxy = Proxy::start(ProxyConfig::new());
    let cmk = Some(Block::object().string("key_type", "CUSTOMER_MANAGED_CMK"));
    tf.write("main.tf", pipeline_hcl("abc123", "access-logs", cmk));
    tf.init().success();
    let out = through(&proxy, &tf, &["plan", "-input=false", "-no-color"]).failure();
    let said = out.stderr.split_whitespace().collect::<Vec<_>>().join(" ");
    for wanted in [
        "Unsupported stream encryption",
        "server_side_encryption.key_type: CUSTOMER_MANAGED_CMK is not supported",
        "APIGatewayServiceRolePolicy allows no KMS action",
        "\"Log REST API calls to Amazon Data Firehose in API Gateway\"",
    ] {
        assert!(said.contains(wanted), "lacks {wanted:?}:\n{}", out.stderr);
    }
    assert_eq!(
        proxy.total(),
        0,
        "planning made AWS calls: {:?}",
        proxy.counts()
    );
}

/// The proxy holds callers to Firehose's documented rules for encryption changes: at most 25
/// Start and Stop calls per stream per 24 hours, and a customer managed key only with its ARN.
#[test]
fn the_proxy_refuses_what_firehose_refuses_for_encryption() {
    if skipped_on_real_aws() {
        return;
    }
    let _tf = TfDir::new();
    let proxy = Proxy::start(ProxyConfig::new().breaches_expected());
    let firehose = firehose_through(&proxy);
    let fixtures = block_on(aws());
    let stream = "amazon-apigateway-rules-prod";
    block_on(async {
        let bucket = fixtures.create_bucket("rules-logs").await;
        let role = format!("arn:aws:iam::123456789012:role/{bucket}-role");
        let s3 = aws_sdk_firehose::types::ExtendedS3DestinationConfiguration::builder()
            .role_arn(role)
            .bucket_arn(format!("arn:aws:s3:::{bucket}"))
            .build()
            .expect("an S3 destination");
        firehose
            .create_delivery_stream()
            .delivery_stream_name(stream)
            .extended_s3_destination_configuration(s3)
            .send()
            .await
            .expect("create_delivery_stream");
    });
    assert_eq!(encryption_of(&firehose, stream).0, "DISABLED");

    let cmk_without_arn = DeliveryStreamEncryptionConfigurationInput::builder()
        .key_type(KeyType::CustomerManagedCmk)
        .build()
        .expect("an encryption input");
    let refused = block_on(async {
        firehose
            .start_delivery_stream_encryption()
            .delivery_stream_name(stream)
            .delivery_stream_encryption_configuration_input(cmk_without_arn)
            .send()
            .await
    })
    .expect_err("a customer managed key without its ARN");
    assert_eq!(refused.code(), Some("InvalidArgumentException"));

    let owned = DeliveryStreamEncryptionConfigurationInput::builder()
        .key_type(KeyType::AwsOwnedCmk)
        .build()
        .expect("an encryption input");
    let mut codes = Vec::new();
    for i in 0..26 {
        let result = block_on(async {
            if i % 2 == 0 {
                firehose
                    .start_delivery_stream_encryption()
                    .delivery_stream_name(stream)
                    .delivery_stream_encryption_configuration_input(owned.clone())
                    .send()
                    .await
                    .map(|_| ())
                    .map_err(|e| e.code().map(str::to_owned))
            } else {
                firehose
                    .stop_delivery_stream_encryption()
                    .delivery_stream_name(stream)
                    .send()
                    .await
                    .map(|_| ())
                    .map_err(|e| e.code().map(str::to_owned))
            }
        });
        codes.push(result);
    }
    assert!(codes[..25].iter().all(Result::is_ok), "{codes:?}");
    assert_eq!(
        codes[25],
        Err(Some("LimitExceededException".to_owned())),
        "the 26th change of the day"
    );
    let rules: Vec<String> = proxy.breaches().into_iter().map(|b| b.rule).collect();
    assert_eq!(
        rules,
        [
            "firehose.customerManagedKeyNeedsArn",
            "firehose.encryptionChangesPerDay"
        ]
    );
}
