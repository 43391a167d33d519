//! Checks of the harness itself: the AWS fixtures against moto and the terraform helpers.

use acceptance_tests::{Block, TfDir, aws, block_on, config, moto};

#[test]
fn aws_fixtures_build_a_logged_stage_and_reset_forgets_it() {
    if acceptance_tests::emulator_only() {
        return;
    }
    let _tf = TfDir::new();
    block_on(async {
        let aws = aws().await;
        let api_id = aws.rest_api_with_stage("fixture-api", "prod").await;
        aws.create_bucket("fixture-bucket").await;
        let arn = "arn:aws:firehose:us-east-1:123456789012:deliverystream/amazon-apigateway-x";
        aws.set_stage_access_log(&api_id, "prod", arn, "$context.requestId")
            .await;

        let stage = aws
            .apigateway
            .get_stage()
            .rest_api_id(&api_id)
            .stage_name("prod")
            .send()
            .await
            .expect("get_stage");
        let logs = stage.access_log_settings().expect("access log settings");
        assert_eq!(logs.destination_arn(), Some(arn));
        assert_eq!(logs.format(), Some("$context.requestId"));
        let buckets = aws.s3.list_buckets().send().await.expect("list_buckets");
        assert_eq!(buckets.buckets().len(), 1);
        let who = aws.sts.get_caller_identity().send().await.expect("sts");
        assert!(who.account().is_some());

        moto().reset();
        let apis = aws
            .apigateway
            .get_rest_apis()
            .send()
            .await
            .expect("get_rest_apis");
        assert!(apis.items().is_empty(), "reset left {:?}", apis.items());
    });
}

#[test]
fn terraform_helpers_round_trip_state() {
    let tf = TfDir::new();
    let marker = Block::resource("terraform_data", "marker").string("input", "x");
    tf.write("main.tf", config(&[marker]));
    tf.init().success();
    assert_eq!(tf.plan_detailed_exitcode(), 2);
    tf.apply().success();
    assert_eq!(tf.plan_detailed_exitcode(), 0);
    let marker = tf.state_resource("terraform_data.marker");
    assert_eq!(marker["input"], "x");
    tf.destroy().success();
    assert!(tf.show_json()["values"].is_null());
}
