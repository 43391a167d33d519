//! AWS behaviours no API model carries, as the realism proxy enforces them: first one direct
//! request per rule, proving the proxy refuses (or simulates) what AWS would; then, for each
//! behaviour the provider must cope with, the real terraform CLI through the proxy, showing
//! what the user sees and that nothing is left behind in AWS.

use std::collections::HashMap;
use std::sync::MutexGuard;
use std::time::Duration;

use acceptance_tests::proxy::{Condition, Outcome, Proxy, ProxyConfig};
use acceptance_tests::{
    Aws, Block, TfDir, TfOutput, assert_nothing_left, aws, block_on, config, moto, pipeline,
    real_aws, serial,
};
use aws_sdk_firehose::error::ProvideErrorMetadata;
use aws_sdk_firehose::types::{
    BufferingHints, DeliveryStreamType, DynamicPartitioningConfiguration,
    ExtendedS3DestinationConfiguration, ExtendedS3DestinationUpdate, Tag as StreamTag,
};
use aws_sdk_iam::types::Tag as RoleTag;

const STAGE: &str = "prod";
const SERVICE_LINKED_ROLE: &str = "AWSServiceRoleForAPIGateway";

/// The proxy fronts moto; against a real account these tests have nothing to add.
fn skipped_on_real_aws() -> bool {
    if real_aws() {
        eprintln!("skipped: the realism proxy only fronts the emulator");
    }
    real_aws()
}

// ---------------------------------------------------------------------------------------------
// One direct request per rule.
// ---------------------------------------------------------------------------------------------

/// The emulator to ourselves, reset.
fn fresh_emulator() -> MutexGuard<'static, ()> {
    let guard = serial();
    moto().reset();
    guard
}

/// SDK clients aimed at the proxy, without the SDK's own retries.
struct Direct {
    firehose: aws_sdk_firehose::Client,
    apigateway: aws_sdk_apigateway::Client,
    iam: aws_sdk_iam::Client,
}

async fn direct(proxy: &Proxy) -> Direct {
    let config = acceptance_tests::emulator_sdk_config(&proxy.endpoint(), false).await;
    Direct {
        firehose: aws_sdk_firehose::Client::new(&config),
        apigateway: aws_sdk_apigateway::Client::new(&config),
        iam: aws_sdk_iam::Client::new(&config),
    }
}

/// The error code and message of a failed call.
fn refusal<R, E: ProvideErrorMetadata>(result: Result<R, E>) -> (String, String) {
    match result {
        Ok(_) => panic!("the call succeeded"),
        Err(e) => (
            e.code().unwrap_or_default().to_owned(),
            e.message().unwrap_or_default().to_owned(),
        ),
    }
}

/// The rules broken so far, by name.
fn breached(proxy: &Proxy) -> Vec<String> {
    proxy.breaches().into_iter().map(|b| b.rule).collect()
}

fn outcomes(proxy: &Proxy, api: &str) -> Vec<Outcome> {
    proxy
        .events()
        .into_iter()
        .filter(|e| e.api == api)
        .map(|e| e.outcome)
        .collect()
}

async fn update_stage(
    c: &Direct,
    api: &str,
    path: &str,
    value: &str,
) -> Result<(), aws_sdk_apigateway::Error> {
    c.apigateway
        .update_stage()
        .rest_api_id(api)
        .stage_name(STAGE)
        .patch_operations(
            aws_sdk_apigateway::types::PatchOperation::builder()
                .op(aws_sdk_apigateway::types::Op::Replace)
                .path(path)
                .value(value)
                .build(),
        )
        .send()
        .await
        .map(|_| ())
        .map_err(Into::into)
}

async fn create_stream(c: &Direct, name: &str, tags: usize) -> Result<(), aws_sdk_firehose::Error> {
    // Firehose's model takes no empty tag list (TagDeliveryStreamInputTagList: at least 1).
    let tags: Vec<StreamTag> = (0..tags)
        .map(|i| {
            StreamTag::builder()
                .key(format!("k{i}"))
                .value("v")
                .build()
                .expect("a tag")
        })
        .collect();
    c.firehose
        .create_delivery_stream()
        .delivery_stream_name(name)
        .delivery_stream_type(DeliveryStreamType::DirectPut)
        .extended_s3_destination_configuration(
            ExtendedS3DestinationConfiguration::builder()
                .role_arn("arn:aws:iam::123456789012:role/r")
                .bucket_arn("arn:aws:s3:::b")
                .build()
                .expect("a destination"),
        )
        .set_tags((!tags.is_empty()).then_some(tags))
        .send()
        .await
        .map(|_| ())
        .map_err(Into::into)
}

#[test]
fn an_access_log_format_with_an_inner_line_break_is_refused() {
    if skipped_on_real_aws() {
        return;
    }
    let _emulator = fresh_emulator();
    let proxy = Proxy::start(ProxyConfig::new().breaches_expected());
    block_on(async {
        let api = aws().await.rest_api_with_stage("format", STAGE).await;
        let c = direct(&proxy).await;
        let path = "/accessLogSettings/format";
        let (code, message) =
            refusal(update_stage(&c, &api, path, "$context.requestId\n$context.status").await);
        assert_eq!(code, "BadRequestException");
        assert!(
            message.starts_with(
                "Access Log format must be single line, new line character is allowed only at end of the format"
            ),
            "{message}"
        );
        // A line break at the very end is allowed.
        update_stage(&c, &api, path, "$context.requestId\n")
            .await
            .expect("a trailing line break passes");
    });
    assert_eq!(breached(&proxy), ["apigateway.accessLogFormatSingleLine"]);
}

#[test]
fn a_format_without_a_request_id_and_a_stream_not_named_for_api_gateway_are_refused() {
    if skipped_on_real_aws() {
        return;
    }
    let _emulator = fresh_emulator();
    let proxy = Proxy::start(ProxyConfig::new().breaches_expected());
    block_on(async {
        let api = aws().await.rest_api_with_stage("ids", STAGE).await;
        let c = direct(&proxy).await;
        let format = "/accessLogSettings/format";
        let (code, message) = refusal(update_stage(&c, &api, format, "$context.status").await);
        assert_eq!(code, "BadRequestException");
        assert!(message.contains("$context.requestId"), "{message}");
        update_stage(
            &c,
            &api,
            format,
            "$context.extendedRequestId $context.status",
        )
        .await
        .expect("the extended request id is enough");
        let destination = "/accessLogSettings/destinationArn";
        let (code, message) = refusal(
            update_stage(
                &c,
                &api,
                destination,
                "arn:aws-cn:firehose:cn-north-1:123456789012:deliverystream/logs-of-prod",
            )
            .await,
        );
        assert_eq!(code, "BadRequestException");
        assert!(message.contains("amazon-apigateway-"), "{message}");
    });
    assert_eq!(
        breached(&proxy),
        [
            "apigateway.accessLogFormatRequestId",
            "apigateway.accessLogFirehoseName"
        ]
    );
}

#[test]
fn values_aws_documents_but_no_model_carries_are_refused() {
    if skipped_on_real_aws() {
        return;
    }
    let _emulator = fresh_emulator();
    let proxy = Proxy::start(ProxyConfig::new().breaches_expected());
    block_on(async {
        let api = aws().await.rest_api_with_stage("values", STAGE).await;
        let c = direct(&proxy).await;
        let path = "/accessLogSettings/format";

        // API Gateway's access log template is at most 3 KB.
        let exactly = format!("$context.requestId {}", "x".repeat(3072 - 19));
        update_stage(&c, &api, path, &exactly)
            .await
            .expect("3 KB passes");
        let (code, _) = refusal(update_stage(&c, &api, path, &format!("{exactly}x")).await);
        assert_eq!(code, "BadRequestException");

        // Firehose's prefix expressions, and a key in the bucket's region.
        let destination = |prefix: &str, error_prefix: Option<&str>, key: Option<&str>| {
            let mut d = ExtendedS3DestinationConfiguration::builder()
                .role_arn("arn:aws:iam::123456789012:role/r")
                .bucket_arn("arn:aws:s3:::b")
                .prefix(prefix)
                .set_error_output_prefix(error_prefix.map(str::to_owned));
            if let Some(key) = key {
                d = d.encryption_configuration(
                    aws_sdk_firehose::types::EncryptionConfiguration::builder()
                        .kms_encryption_config(
                            aws_sdk_firehose::types::KmsEncryptionConfig::builder()
                                .awskms_key_arn(key)
                                .build()
                                .expect("a key"),
                        )
                        .build(),
                );
            }
            d.build().expect("a destination")
        };
        let create = |d: ExtendedS3DestinationConfiguration| {
            c.firehose
                .create_delivery_stream()
                .delivery_stream_name("amazon-apigateway-values")
                .delivery_stream_type(DeliveryStreamType::DirectPut)
                .extended_s3_destination_configuration(d)
                .send()
        };
        for (prefix, error_prefix, key) in [
            ("logs/!{timestamp:yyyy}/", None, None),
            ("!{firehose:error-output-type}/", Some("errors/"), None),
            ("logs/", Some("errors/!{timestamp:yyyy}/"), None),
            (
                "logs/",
                None,
                Some("arn:aws:kms:eu-west-1:123456789012:key/0f0e0d0c-0b0a-4000-8000-000000000001"),
            ),
        ] {
            let (code, message) = refusal(create(destination(prefix, error_prefix, key)).await);
            assert_eq!(code, "InvalidArgumentException", "{prefix}: {message}");
        }

        // IAM: no aws: values, and keys that differ only in case are one key.
        let refused: [&[(&str, &str)]; 2] =
            [&[("origin", "aws:console")], &[("Env", "a"), ("env", "b")]];
        for tags in refused {
            let mut request = c
                .iam
                .create_role()
                .role_name("tagged")
                .assume_role_policy_document("{}");
            for (k, v) in tags {
                let tag = RoleTag::builder().key(*k).value(*v).build().expect("a tag");
                request = request.tags(tag);
            }
            let (code, message) = refusal(request.send().await);
            assert_eq!(code, "InvalidInput", "{message}");
        }
    });
    assert_eq!(
        breached(&proxy),
        [
            "apigateway.accessLogFormatSize",
            "firehose.prefixExpressions",
            "firehose.prefixExpressions",
            "firehose.prefixExpressions",
            "firehose.kmsKeyRegion",
            "iam.tagRules",
            "iam.tagRules",
        ]
    );
}

#[test]
fn the_first_firehose_destination_makes_the_service_linked_role_unless_the_caller_may_not() {
    if skipped_on_real_aws() {
        return;
    }
    let _emulator = fresh_emulator();
    let stream_arn = "arn:aws:firehose:us-east-1:123456789012:deliverystream/amazon-apigateway-x";
    let denied = Proxy::start(ProxyConfig::new().deny_service_linked_role());
    let allowed = Proxy::start(ProxyConfig::new());
    block_on(async {
        let fixtures = aws().await;
        let api = fixtures.rest_api_with_stage("slr", STAGE).await;
        let path = "/accessLogSettings/destinationArn";

        let c = direct(&denied).await;
        let (code, message) = refusal(update_stage(&c, &api, path, stream_arn).await);
        assert_eq!(code, "AccessDeniedException");
        assert_eq!(
            message,
            "Caller does not have permissions to create a Service Linked Role."
        );
        assert!(
            fixtures
                .iam
                .get_role()
                .role_name(SERVICE_LINKED_ROLE)
                .send()
                .await
                .is_err()
        );

        let c = direct(&allowed).await;
        update_stage(&c, &api, path, stream_arn)
            .await
            .expect("an allowed caller's update");
        let role = fixtures
            .iam
            .get_role()
            .role_name(SERVICE_LINKED_ROLE)
            .send()
            .await
            .expect("API Gateway made its service-linked role");
        assert_eq!(
            role.role().map(|r| r.path()),
            Some("/aws-service-role/ops.apigateway.amazonaws.com/")
        );
    });
    assert!(denied.breaches().is_empty() && allowed.breaches().is_empty());
    assert_eq!(
        outcomes(&denied, "apigateway:UpdateStage"),
        [Outcome::Denied]
    );
}

/// A stream made with (or without) dynamic partitioning, its prefix, error prefix and buffer
/// as Firehose wants them with it.
async fn create_partitioned_stream(c: &Direct, name: &str, partitioned: bool) {
    let mut destination = ExtendedS3DestinationConfiguration::builder()
        .role_arn("arn:aws:iam::123456789012:role/r")
        .bucket_arn("arn:aws:s3:::b");
    if partitioned {
        destination = destination
            .prefix("!{partitionKeyFromQuery:api_id}/")
            .error_output_prefix("errors/!{firehose:error-output-type}/")
            .buffering_hints(BufferingHints::builder().size_in_mbs(64).build())
            .dynamic_partitioning_configuration(
                DynamicPartitioningConfiguration::builder()
                    .enabled(true)
                    .build(),
            );
    }
    c.firehose
        .create_delivery_stream()
        .delivery_stream_name(name)
        .delivery_stream_type(DeliveryStreamType::DirectPut)
        .extended_s3_destination_configuration(destination.build().expect("a destination"))
        .send()
        .await
        .expect("create");
}

/// An UpdateDestination of stream `name` that enables dynamic partitioning (with the prefix,
/// error prefix and buffer it needs).
async fn enable_partitioning(c: &Direct, name: &str) -> Result<(), aws_sdk_firehose::Error> {
    let described = c
        .firehose
        .describe_delivery_stream()
        .delivery_stream_name(name)
        .send()
        .await
        .expect("describe");
    let d = described
        .delivery_stream_description()
        .expect("a description");
    let update = ExtendedS3DestinationUpdate::builder()
        .prefix("!{partitionKeyFromQuery:api_id}/")
        .error_output_prefix("errors/!{firehose:error-output-type}/")
        .buffering_hints(BufferingHints::builder().size_in_mbs(64).build())
        .dynamic_partitioning_configuration(
            DynamicPartitioningConfiguration::builder()
                .enabled(true)
                .build(),
        )
        .build();
    c.firehose
        .update_destination()
        .delivery_stream_name(name)
        .current_delivery_stream_version_id(d.version_id())
        .destination_id(d.destinations()[0].destination_id())
        .extended_s3_destination_update(update)
        .send()
        .await
        .map(|_| ())
        .map_err(Into::into)
}

#[test]
fn dynamic_partitioning_cannot_be_turned_on_for_a_stream_made_without_it() {
    if skipped_on_real_aws() {
        return;
    }
    let _emulator = fresh_emulator();
    let proxy = Proxy::start(ProxyConfig::new().breaches_expected());
    block_on(async {
        let c = direct(&proxy).await;
        create_partitioned_stream(&c, "amazon-apigateway-unpartitioned", false).await;
        let (code, message) =
            refusal(enable_partitioning(&c, "amazon-apigateway-unpartitioned").await);
        assert_eq!(code, "InvalidArgumentException");
        assert!(
            message.contains("can be enabled only when a Firehose stream is created"),
            "{message}"
        );
        // A stream made with it keeps it through an update.
        create_partitioned_stream(&c, "amazon-apigateway-partitioned", true).await;
        enable_partitioning(&c, "amazon-apigateway-partitioned")
            .await
            .expect("an update of a partitioned stream");
    });
    assert_eq!(breached(&proxy), ["firehose.dynamicPartitioningAtCreation"]);
}

#[test]
fn a_stream_still_creating_cannot_be_deleted() {
    if skipped_on_real_aws() {
        return;
    }
    let _emulator = fresh_emulator();
    let proxy = Proxy::start(
        ProxyConfig::new()
            .breaches_expected()
            .creating_phase(Duration::from_secs(60)),
    );
    block_on(async {
        let c = direct(&proxy).await;
        create_stream(&c, "amazon-apigateway-creating", 0)
            .await
            .expect("create");
        let (code, message) = refusal(
            c.firehose
                .delete_delivery_stream()
                .delivery_stream_name("amazon-apigateway-creating")
                .send()
                .await,
        );
        assert_eq!(code, "ResourceInUseException");
        assert!(message.contains("CREATING"), "{message}");
    });
    assert_eq!(breached(&proxy), ["firehose.deleteWhileCreating"]);
}

#[test]
fn a_failing_delete_ends_deleting_failed_and_only_allow_force_delete_gets_past_it() {
    if skipped_on_real_aws() {
        return;
    }
    let _emulator = fresh_emulator();
    let proxy = Proxy::start(ProxyConfig::new().fail_deletes());
    let name = "amazon-apigateway-stuck";
    block_on(async {
        let c = direct(&proxy).await;
        create_stream(&c, name, 0).await.expect("create");
        let describe = || async {
            c.firehose
                .describe_delivery_stream()
                .delivery_stream_name(name)
                .send()
                .await
                .expect("describe")
                .delivery_stream_description
                .expect("a description")
        };
        for force in [None, Some(false)] {
            c.firehose
                .delete_delivery_stream()
                .delivery_stream_name(name)
                .set_allow_force_delete(force)
                .send()
                .await
                .expect("Firehose accepts the delete");
            let d = describe().await;
            assert_eq!(d.delivery_stream_status.as_str(), "DELETING_FAILED");
            let failure = d.failure_description.expect("a FailureDescription");
            assert_eq!(failure.r#type.as_str(), "RETIRE_KMS_GRANT_FAILED");
            assert!(!failure.details.is_empty());
        }
        c.firehose
            .delete_delivery_stream()
            .delivery_stream_name(name)
            .allow_force_delete(true)
            .send()
            .await
            .expect("a forced delete");
        assert!(
            c.firehose
                .describe_delivery_stream()
                .delivery_stream_name(name)
                .send()
                .await
                .is_err(),
            "the forced delete removed the stream"
        );
    });
    assert!(proxy.breaches().is_empty());
}

#[test]
fn more_than_fifty_tags_on_a_stream_a_role_or_a_stage_are_refused() {
    if skipped_on_real_aws() {
        return;
    }
    let _emulator = fresh_emulator();
    let proxy = Proxy::start(ProxyConfig::new().breaches_expected());
    block_on(async {
        let c = direct(&proxy).await;
        create_stream(&c, "amazon-apigateway-tagged", 30)
            .await
            .expect("30 tags");
        let more: Vec<StreamTag> = (0..25)
            .map(|i| {
                StreamTag::builder()
                    .key(format!("more{i}"))
                    .value("v")
                    .build()
                    .expect("a tag")
            })
            .collect();
        let (code, _) = refusal(
            c.firehose
                .tag_delivery_stream()
                .delivery_stream_name("amazon-apigateway-tagged")
                .set_tags(Some(more))
                .send()
                .await,
        );
        assert_eq!(code, "LimitExceededException");

        let role_tags = |prefix: &str| -> Vec<RoleTag> {
            (0..30)
                .map(|i| {
                    RoleTag::builder()
                        .key(format!("{prefix}{i}"))
                        .value("v")
                        .build()
                        .expect("a tag")
                })
                .collect()
        };
        c.iam
            .create_role()
            .role_name("tagged")
            .assume_role_policy_document("{}")
            .set_tags(Some(role_tags("a")))
            .send()
            .await
            .expect("30 tags");
        let (code, message) = refusal(
            c.iam
                .tag_role()
                .role_name("tagged")
                .set_tags(Some(role_tags("b")))
                .send()
                .await,
        );
        assert_eq!(code, "LimitExceeded");
        assert_eq!(message, "Cannot exceed quota for TagsPerRole: 50");

        let api = aws().await.rest_api_with_stage("tagged", STAGE).await;
        let stage_arn = format!("arn:aws:apigateway:us-east-1::/restapis/{api}/stages/{STAGE}");
        let stage_tags = |prefix: &str| -> HashMap<String, String> {
            (0..30)
                .map(|i| (format!("{prefix}{i}"), "v".to_owned()))
                .collect()
        };
        c.apigateway
            .tag_resource()
            .resource_arn(&stage_arn)
            .set_tags(Some(stage_tags("a")))
            .send()
            .await
            .expect("30 tags");
        // Retagging keys the stage holds counts each once: still 30.
        c.apigateway
            .tag_resource()
            .resource_arn(&stage_arn)
            .set_tags(Some(stage_tags("a")))
            .send()
            .await
            .expect("the same 30 tags again");
        let (code, message) = refusal(
            c.apigateway
                .tag_resource()
                .resource_arn(&stage_arn)
                .set_tags(Some(stage_tags("b")))
                .send()
                .await,
        );
        assert_eq!(code, "BadRequestException");
        assert!(message.contains("60 tags"), "{message}");
    });
    assert_eq!(
        breached(&proxy),
        [
            "firehose.tagsPerStream",
            "iam.tagsPerRole",
            "apigateway.tagsPerStage"
        ]
    );
}

#[test]
fn account_conditions_are_answered_as_aws_answers_them_and_are_not_breaches() {
    if skipped_on_real_aws() {
        return;
    }
    let _emulator = fresh_emulator();
    let proxy = Proxy::start(ProxyConfig::new().cloudwatch_role_unset().stream_quota(0));
    block_on(async {
        let api = aws().await.rest_api_with_stage("conditions", STAGE).await;
        let c = direct(&proxy).await;
        let (code, message) = refusal(
            update_stage(
                &c,
                &api,
                "/accessLogSettings/destinationArn",
                "arn:aws:logs:us-east-1:123456789012:log-group:access",
            )
            .await,
        );
        assert_eq!(code, "BadRequestException");
        assert_eq!(
            message,
            "CloudWatch Logs role ARN must be set in account settings to enable logging"
        );
        let (code, _) = refusal(create_stream(&c, "amazon-apigateway-over", 0).await);
        assert_eq!(code, "LimitExceededException");
    });
    assert!(proxy.breaches().is_empty());
    assert_eq!(
        outcomes(&proxy, "firehose:CreateDeliveryStream"),
        [Outcome::Simulated(Condition::StreamQuota)]
    );
}

// ---------------------------------------------------------------------------------------------
// What the user sees, through the real CLI.
// ---------------------------------------------------------------------------------------------

/// A working directory with one REST API deployed to `prod`, a bucket and `extra` inside the
/// pipeline resource, initialised.
fn workspace(extra: Block) -> (TfDir, Aws, String) {
    let tf = TfDir::new();
    let (fixtures, api, bucket) = block_on(async {
        let fixtures = aws().await;
        let api = fixtures.rest_api_with_stage("rules-api", STAGE).await;
        let bucket = fixtures.create_bucket("rules-logs").await;
        (fixtures, api, bucket)
    });
    let pipeline = pipeline("x", &api, STAGE, &format!("arn:aws:s3:::{bucket}")).with(extra);
    tf.write("main.tf", config([&pipeline]));
    tf.init().success();
    (tf, fixtures, api)
}

/// `timeouts = { <operation> = "1s" }`, for a [`workspace`] pipeline.
fn timeouts(operation: &str) -> Block {
    Block::object().object_attr("timeouts", Block::object().string(operation, "1s"))
}

/// `terraform <command> -auto-approve` with the provider pointed at the proxy.
fn through(proxy: &Proxy, tf: &TfDir, command: &str) -> TfOutput {
    tf.tf_env(
        &[command, "-auto-approve", "-input=false", "-no-color"],
        &[("AWS_ENDPOINT_URL", &proxy.endpoint())],
    )
}

/// Terraform's output with its line wrapping undone.
fn flat(out: &TfOutput) -> String {
    format!("{}\n{}", out.stdout, out.stderr)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

#[track_caller]
fn assert_says(out: &TfOutput, wanted: &str) {
    let text = flat(out);
    assert!(text.contains(wanted), "output lacks {wanted:?}:\n{text}");
}

fn count_of(proxy: &Proxy, api: &str, outcome: Outcome) -> usize {
    outcomes(proxy, api)
        .into_iter()
        .filter(|o| *o == outcome)
        .count()
}

#[test]
fn destroy_waits_for_a_stream_still_creating_instead_of_deleting_it() {
    if skipped_on_real_aws() {
        return;
    }
    // The create gives up while the stream is still CREATING, so destroy meets it there.
    let (tf, fixtures, _) = workspace(timeouts("create"));
    // Roles usable at once, so the stream is made before the create gives up.
    let proxy = Proxy::start(
        ProxyConfig::realistic()
            .iam_lag(Duration::ZERO)
            .creating_phase(Duration::from_secs(6)),
    );
    let out = through(&proxy, &tf, "apply").failure();
    assert_says(&out, "did not become ACTIVE");
    through(&proxy, &tf, "destroy").success();
    assert!(proxy.breaches().is_empty(), "{:?}", proxy.breaches());
    assert_nothing_left(&fixtures);
}

#[test]
fn destroy_of_a_finished_pipeline_deletes_the_stream_without_describing_it_first() {
    if skipped_on_real_aws() {
        return;
    }
    // A finished create saw the stream ACTIVE, so destroy need not ask Firehose again: the
    // only DescribeDeliveryStream before the delete is the refresh's.
    let (tf, fixtures, _) = workspace(Block::object());
    let proxy = Proxy::start(ProxyConfig::realistic().iam_lag(Duration::ZERO));
    through(&proxy, &tf, "apply").success();
    let applied = proxy.events().len();
    through(&proxy, &tf, "destroy").success();
    let destroy = proxy.events().split_off(applied);
    let delete_at = destroy
        .iter()
        .position(|e| e.api == "firehose:DeleteDeliveryStream")
        .expect("destroy deleted the stream");
    let described_before = destroy[..delete_at]
        .iter()
        .filter(|e| e.api == "firehose:DescribeDeliveryStream")
        .count();
    eprintln!(
        "destroy: {described_before} DescribeDeliveryStream before the delete, {} calls in all",
        destroy.len()
    );
    assert_eq!(described_before, 1, "{destroy:#?}");
    assert!(proxy.breaches().is_empty(), "{:?}", proxy.breaches());
    assert_nothing_left(&fixtures);
}

#[test]
fn a_delete_firehose_gives_up_on_is_reported_and_forced() {
    if skipped_on_real_aws() {
        return;
    }
    let (tf, fixtures, _) = workspace(Block::object());
    let proxy = Proxy::start(ProxyConfig::realistic().fail_deletes());
    through(&proxy, &tf, "apply").success();
    // API Gateway made its service-linked role for the account's first Firehose destination.
    assert!(
        block_on(
            fixtures
                .iam
                .get_role()
                .role_name(SERVICE_LINKED_ROLE)
                .send()
        )
        .is_ok()
    );
    let out = through(&proxy, &tf, "destroy").success();
    assert_says(&out, "Delivery stream deleted by force");
    assert_says(&out, "DELETING_FAILED, RETIRE_KMS_GRANT_FAILED");
    assert_eq!(proxy.count("firehose:DeleteDeliveryStream"), 2);
    assert!(proxy.breaches().is_empty(), "{:?}", proxy.breaches());
    assert_nothing_left(&fixtures);
}

#[test]
fn the_owned_role_is_deleted_even_when_the_stream_outlasts_the_delete_timeout() {
    if skipped_on_real_aws() {
        return;
    }
    let (tf, fixtures, _) = workspace(timeouts("delete"));
    let proxy = Proxy::start(ProxyConfig::realistic().deleting_phase(Duration::from_secs(8)));
    through(&proxy, &tf, "apply").success();
    let out = through(&proxy, &tf, "destroy").failure();
    assert_says(&out, "The delivery stream was not deleted");
    let (_, roles) = acceptance_tests::leftovers(&fixtures);
    assert!(roles.is_empty(), "the owned role was left: {roles:?}");
    // Once Firehose is done, a second destroy finds nothing more to do.
    std::thread::sleep(Duration::from_secs(8));
    through(&proxy, &tf, "destroy").success();
    assert_nothing_left(&fixtures);
}

#[test]
fn an_account_at_its_stream_quota_is_told_at_once() {
    if skipped_on_real_aws() {
        return;
    }
    let (tf, fixtures, _) = workspace(Block::object());
    // Roles usable at once, so every CreateDeliveryStream meets the quota.
    let proxy = Proxy::start(
        ProxyConfig::realistic()
            .iam_lag(Duration::ZERO)
            .stream_quota(0),
    );
    let out = through(&proxy, &tf, "apply").failure();
    assert_says(&out, "Cannot create the delivery stream");
    assert_says(&out, "LimitExceededException");
    assert_says(&out, "firehose quota");
    // Neither the SDK nor the provider retried a quota.
    assert_eq!(proxy.count("firehose:CreateDeliveryStream"), 1);
    assert_nothing_left(&fixtures);
}

#[test]
fn destroy_turns_logging_off_when_the_earlier_destination_cannot_be_restored() {
    if skipped_on_real_aws() {
        return;
    }
    let (tf, fixtures, api) = workspace(Block::object());
    let log_group = "arn:aws:logs:us-east-1:123456789012:log-group:earlier";
    block_on(fixtures.set_stage_access_log(&api, STAGE, log_group, "$context.requestId"));
    // The account's CloudWatch Logs role setting was removed while the pipeline existed.
    let proxy = Proxy::start(ProxyConfig::realistic().cloudwatch_role_unset());
    through(&proxy, &tf, "apply").success();
    let out = through(&proxy, &tf, "destroy").success();
    assert_says(&out, "Earlier access-log destination not restored");
    assert_says(&out, log_group);
    assert_says(
        &out,
        "CloudWatch Logs role ARN must be set in account settings",
    );
    assert_eq!(block_on(fixtures.stage_access_log(&api, STAGE)), None);
    assert_eq!(
        count_of(
            &proxy,
            "apigateway:UpdateStage",
            Outcome::Simulated(Condition::CloudWatchRoleUnset)
        ),
        1
    );
    assert_nothing_left(&fixtures);
}

#[test]
fn importing_from_a_missing_rest_api_says_the_rest_api_is_missing() {
    if skipped_on_real_aws() {
        return;
    }
    let (tf, _fixtures, _) = workspace(Block::object());
    let proxy = Proxy::start(ProxyConfig::realistic());
    let out = tf.tf_env(
        &[
            "import",
            "-input=false",
            "-no-color",
            "apigw_access_log_pipeline.x",
            "nosuchapi1/prod",
        ],
        &[("AWS_ENDPOINT_URL", &proxy.endpoint())],
    );
    let out = out.failure();
    assert_says(&out, "REST API not found");
    assert_says(&out, "There is no REST API \"nosuchapi1\"");
}

#[test]
fn a_caller_who_may_not_create_the_service_linked_role_is_told_what_to_allow() {
    if skipped_on_real_aws() {
        return;
    }
    let (tf, fixtures, _) = workspace(Block::object());
    let proxy = Proxy::start(ProxyConfig::realistic().deny_service_linked_role());
    let out = through(&proxy, &tf, "apply").failure();
    assert_says(
        &out,
        "Caller does not have permissions to create a Service Linked Role.",
    );
    assert_says(&out, "iam:CreateServiceLinkedRole");
    assert_says(&out, SERVICE_LINKED_ROLE);
    assert!(proxy.breaches().is_empty(), "{:?}", proxy.breaches());
    // What the failed apply made is recorded (tainted) and destroy removes it.
    through(&proxy, &tf, "destroy").success();
    assert_nothing_left(&fixtures);
}
