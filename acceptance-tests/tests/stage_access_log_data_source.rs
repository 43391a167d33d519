//! Data source `apigw_stage_access_log` through the real CLI: stages that log nowhere, to a
//! CloudWatch Logs group, to a pipeline's stream, to someone else's stream made by hand, to a
//! stream of another region or account named like the pipeline's (never looked up), and one an
//! attachment claims, each read into outputs and checked attribute by attribute; a missing
//! stage or REST API is an error naming which; bad names are refused at plan with no AWS call.

use acceptance_tests::{
    Aws, Block, TfDir, assert_contains, assert_nothing_left, aws, block_on, contract_proxy,
    leftovers, pipeline, provider_block, render_all,
};
use serde_json::{Value, json};
use terraform_provider_apigw::log_format;
use terraform_provider_apigw::resources::stage_claim::ATTACHMENT_TAG;

const ACCOUNT: &str = "123456789012";
const STAGE: &str = "prod";
const LOG_GROUP: &str = "arn:aws:logs:us-east-1:123456789012:log-group:api-access";
const BY_HAND: &str = "amazon-apigateway-by-hand";
const OWN_FORMAT: &str = "$context.requestId $context.status\n";

fn skip() -> bool {
    // The stages point at ARNs of the emulator's fixed account and region.
    acceptance_tests::emulator_only()
}

fn stream_arn(region: &str, account: &str, name: &str) -> String {
    format!("arn:aws:firehose:{region}:{account}:deliverystream/{name}")
}

/// A data source `name` for `<api>/<stage>`, read after the pipeline when `after_pipeline`.
fn data_source(name: &str, api: &str, stage: &str, after_pipeline: bool) -> String {
    let mut data = Block::data("apigw_stage_access_log", name)
        .string("rest_api_id", api)
        .string("stage_name", stage);
    if after_pipeline {
        data = data.depends_on(&["apigw_access_log_pipeline.p"]);
    }
    let output = Block::labeled("output", &[name])
        .expr("value", &format!("data.apigw_stage_access_log.{name}"));
    render_all(&[data, output])
}

/// Makes the stream `name` by hand, with a tag of its owner's, as another team would.
async fn stream_made_by_hand(aws: &Aws, name: &str) {
    use aws_sdk_firehose::types::{BufferingHints, ExtendedS3DestinationConfiguration, Tag};
    aws.firehose
        .create_delivery_stream()
        .delivery_stream_name(name)
        .extended_s3_destination_configuration(
            ExtendedS3DestinationConfiguration::builder()
                .role_arn(format!("arn:aws:iam::{ACCOUNT}:role/their-delivery-role"))
                .bucket_arn("arn:aws:s3:::logs")
                .buffering_hints(
                    BufferingHints::builder()
                        .size_in_mbs(5)
                        .interval_in_seconds(300)
                        .build(),
                )
                .build()
                .expect("destination"),
        )
        .tags(
            Tag::builder()
                .key("team")
                .value("theirs")
                .build()
                .expect("tag"),
        )
        .send()
        .await
        .expect("create_delivery_stream");
}

/// Tags the stage with an attachment's claim, as `apigw_stage_access_log` does.
async fn claim_stage(aws: &Aws, api: &str) {
    aws.apigateway
        .tag_resource()
        .resource_arn(format!(
            "arn:aws:apigateway:us-east-1::/restapis/{api}/stages/{STAGE}"
        ))
        .tags(ATTACHMENT_TAG, "0b7e4c1e-attachment")
        .send()
        .await
        .expect("tag_resource");
}

/// The whole state the data source should have read for `<api>/prod`.
fn expected(
    api: &str,
    destination: Option<(&str, &str, &str)>,
    preset: Option<&str>,
    managed_by: Option<&str>,
) -> Value {
    let (kind, arn, format) = match destination {
        Some((kind, arn, format)) => (kind, json!(arn), json!(format)),
        None => ("none", Value::Null, Value::Null),
    };
    let ends_with_newline = format.as_str().map(|f| f.ends_with('\n'));
    json!({
        "id": format!("{api}/{STAGE}"),
        "rest_api_id": api,
        "stage_name": STAGE,
        "destination_kind": kind,
        "destination_arn": arn,
        "format": format,
        "format_preset": preset,
        "ends_with_newline": ends_with_newline,
        "managed_by": managed_by,
        "managed": managed_by.is_some(),
    })
}

fn outputs(tf: &TfDir) -> Value {
    let out = tf.tf(&["output", "-json", "-no-color"]).success();
    serde_json::from_str(&out.stdout).expect("terraform output -json is JSON")
}

#[track_caller]
fn assert_output(all: &Value, name: &str, want: Value) {
    assert_eq!(all[name]["value"], want, "output {name}");
}

#[test]
fn every_kind_of_stage_is_described_attribute_by_attribute() {
    if skip() {
        return;
    }
    let tf = TfDir::new();
    let aws = block_on(aws());
    let [
        nowhere,
        cloudwatch,
        piped,
        by_hand,
        elsewhere,
        other_account,
        attached,
    ] = block_on(async {
        aws.create_bucket("logs").await;
        let mut apis = Vec::new();
        for name in [
            "nowhere",
            "cloudwatch",
            "piped",
            "by-hand",
            "elsewhere",
            "other-account",
            "attached",
        ] {
            apis.push(aws.rest_api_with_stage(name, STAGE).await);
        }
        <[String; 7]>::try_from(apis).expect("seven APIs")
    });
    let pipeline_stream = format!("amazon-apigateway-{piped}-{STAGE}");
    block_on(async {
        aws.set_stage_access_log(&cloudwatch, STAGE, LOG_GROUP, log_format::CLF)
            .await;
        stream_made_by_hand(&aws, BY_HAND).await;
        let hand_arn = stream_arn("us-east-1", ACCOUNT, BY_HAND);
        aws.set_stage_access_log(&by_hand, STAGE, &hand_arn, OWN_FORMAT)
            .await;
        // The pipeline's stream by name, but in another region and another account: tags the
        // caller cannot read, so neither is the pipeline's, whatever a stream of that name here says.
        let there = stream_arn("eu-west-1", ACCOUNT, &pipeline_stream);
        aws.set_stage_access_log(&elsewhere, STAGE, &there, log_format::JSON)
            .await;
        let theirs = stream_arn("us-east-1", "210987654321", &pipeline_stream);
        aws.set_stage_access_log(&other_account, STAGE, &theirs, log_format::JSON)
            .await;
        let xml = format!("{}\n", log_format::XML);
        aws.set_stage_access_log(&attached, STAGE, &hand_arn, &xml)
            .await;
        claim_stage(&aws, &attached).await;
    });
    let hand_tags = block_on(aws.stream_tags(BY_HAND));

    let config = [
        provider_block(),
        pipeline("p", &piped, STAGE, "arn:aws:s3:::logs").render(),
        data_source("nowhere", &nowhere, STAGE, false),
        data_source("cloudwatch", &cloudwatch, STAGE, false),
        data_source("piped", &piped, STAGE, true),
        data_source("by_hand", &by_hand, STAGE, false),
        data_source("elsewhere", &elsewhere, STAGE, true),
        data_source("other_account", &other_account, STAGE, true),
        data_source("attached", &attached, STAGE, false),
    ]
    .concat();
    tf.write("main.tf", config);
    tf.init().success();
    tf.apply().success();

    let all = outputs(&tf);
    assert_output(&all, "nowhere", expected(&nowhere, None, None, None));
    assert_output(
        &all,
        "cloudwatch",
        expected(
            &cloudwatch,
            Some(("cloudwatch", LOG_GROUP, log_format::CLF)),
            Some("clf"),
            None,
        ),
    );
    let piped_arn = stream_arn("us-east-1", ACCOUNT, &pipeline_stream);
    let json_with_newline = format!("{}\n", log_format::JSON);
    assert_output(
        &all,
        "piped",
        expected(
            &piped,
            Some(("firehose", &piped_arn, &json_with_newline)),
            Some("json"),
            Some("apigw_access_log_pipeline"),
        ),
    );
    let hand_arn = stream_arn("us-east-1", ACCOUNT, BY_HAND);
    assert_output(
        &all,
        "by_hand",
        expected(
            &by_hand,
            Some(("firehose", &hand_arn, OWN_FORMAT)),
            None,
            None,
        ),
    );
    assert_output(
        &all,
        "elsewhere",
        expected(
            &elsewhere,
            Some((
                "firehose",
                &stream_arn("eu-west-1", ACCOUNT, &pipeline_stream),
                log_format::JSON,
            )),
            Some("json"),
            None,
        ),
    );
    assert_output(
        &all,
        "other_account",
        expected(
            &other_account,
            Some((
                "firehose",
                &stream_arn("us-east-1", "210987654321", &pipeline_stream),
                log_format::JSON,
            )),
            Some("json"),
            None,
        ),
    );
    let xml_with_newline = format!("{}\n", log_format::XML);
    assert_output(
        &all,
        "attached",
        expected(
            &attached,
            Some(("firehose", &hand_arn, &xml_with_newline)),
            Some("xml"),
            Some("apigw_stage_access_log"),
        ),
    );

    // Read again on the next plan, with the same answers.
    tf.assert_plan_empty();

    // Reading changed nothing: the stream made by hand keeps its tags, and the stages their
    // settings; destroy removes the pipeline alone.
    tf.destroy().success();
    assert_eq!(block_on(aws.stream_tags(BY_HAND)), hand_tags);
    assert_eq!(
        block_on(aws.stage_access_log(&by_hand, STAGE)),
        Some((hand_arn.clone(), OWN_FORMAT.to_owned()))
    );
    assert_eq!(block_on(aws.stage_access_log(&piped, STAGE)), None);
    assert_eq!(leftovers(&aws).0, vec![BY_HAND.to_owned()]);
    block_on(
        aws.firehose
            .delete_delivery_stream()
            .delivery_stream_name(BY_HAND)
            .send(),
    )
    .expect("delete_delivery_stream");
    assert_nothing_left(&aws);
    let breaches = contract_proxy().breaches();
    assert!(breaches.is_empty(), "contract breaches: {breaches:?}");
}

#[test]
fn a_missing_stage_or_rest_api_is_an_error_naming_which() {
    if skip() {
        return;
    }
    let tf = TfDir::new();
    let aws = block_on(aws());
    let api = block_on(aws.rest_api_with_stage("there", STAGE));
    tf.write(
        "main.tf",
        [
            provider_block(),
            data_source("no_stage", &api, "nope", false),
            data_source("no_api", "nosuchapi1", STAGE, false),
        ]
        .concat(),
    );
    tf.init().success();
    let out = tf.plan().failure();
    let text = format!("{}\n{}", out.stdout, out.stderr);
    assert_contains(&text, "Error: Stage not found");
    assert_contains(
        &text,
        &format!("REST API \"{api}\" has no stage \"nope\" in region us-east-1."),
    );
    assert_contains(&text, "Error: REST API not found");
    assert_contains(
        &text,
        "There is no REST API \"nosuchapi1\" in region us-east-1.",
    );
    // Each error points at the argument at fault, so terraform shows its line.
    assert_contains(&text, "stage_name = \"nope\"");
    assert_contains(&text, "rest_api_id = \"nosuchapi1\"");
}

#[test]
fn bad_names_are_refused_at_plan_without_calling_aws() {
    let tf = TfDir::new();
    tf.write(
        "main.tf",
        [
            provider_block(),
            data_source("bad", "abc-123", "prod.v1", false),
        ]
        .concat(),
    );
    tf.init().success();
    let proxy = contract_proxy();
    let before = proxy.total();
    let out = tf.plan().failure();
    let text = format!("{}\n{}", out.stdout, out.stderr);
    assert_contains(&text, "rest_api_id: may contain only letters and digits");
    assert_contains(
        &text,
        "stage_name: may contain only letters, digits, '-' and '_'; '.' is not allowed in \"prod.v1\"",
    );
    assert_eq!(proxy.total(), before, "{:?}", proxy.counts());
}
