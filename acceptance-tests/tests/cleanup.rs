//! The cleanup that runs against real AWS (APIGW_ACCEPTANCE_REAL_AWS=1), exercised against
//! moto: what a test created, and what the provider made for it, is gone when the test ends,
//! also when it panicked.

use acceptance_tests::{Aws, TfDir, aws, block_on, config, emulator_only, pipeline};

/// A pipeline applied by terraform on fixtures registered for cleanup, plus an object in the
/// bucket and a role registered by hand; returns (api id, bucket, stream, owned role, own role).
fn build(tf: &TfDir, aws: &Aws) -> (String, String, String, String, String) {
    let (api, bucket) = block_on(async {
        let bucket = aws.create_bucket("cleanup-logs").await;
        (aws.rest_api_with_stage("cleanup", "prod").await, bucket)
    });
    let x = pipeline("x", &api, "prod", &format!("arn:aws:s3:::{bucket}"));
    tf.write("main.tf", config(&[x]));
    tf.init().success();
    tf.apply().success();
    let state = tf.state_resource("apigw_access_log_pipeline.x");
    let stream = state["delivery_stream_name"]
        .as_str()
        .expect("stream")
        .to_owned();
    let owned = state["role_arn"]
        .as_str()
        .and_then(|a| a.rsplit('/').next())
        .expect("role")
        .to_owned();
    block_on(async {
        aws.s3
            .put_object()
            .bucket(&bucket)
            .key("logs/one.json")
            .body(b"{}".to_vec().into())
            .send()
            .await
            .expect("put_object");
        aws.firehose_role_made_by_hand("cleanup-own-role").await;
        aws.iam
            .put_role_policy()
            .role_name("cleanup-own-role")
            .policy_name("inline")
            .policy_document(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}"#)
            .send()
            .await
            .expect("put_role_policy");
    });
    aws.register_role("cleanup-own-role");
    (api, bucket, stream, owned, "cleanup-own-role".to_owned())
}

/// Asserts, through fresh clients, that none of these exist any more.
fn assert_gone(api: &str, bucket: &str, stream: &str, roles: &[&str]) {
    let aws = block_on(aws());
    block_on(async {
        let apis = aws
            .apigateway
            .get_rest_apis()
            .send()
            .await
            .expect("get_rest_apis");
        assert!(
            !apis.items().iter().any(|a| a.id() == Some(api)),
            "REST API {api} left"
        );
        let buckets = aws.s3.list_buckets().send().await.expect("list_buckets");
        assert!(
            !buckets.buckets().iter().any(|b| b.name() == Some(bucket)),
            "bucket {bucket} left"
        );
    });
    let streams = block_on(aws.delivery_stream_names());
    assert!(!streams.iter().any(|s| s == stream), "stream {stream} left");
    let left = block_on(aws.role_names());
    for role in roles {
        assert!(
            !left.iter().any(|r| r == role),
            "role {role} left: {left:?}"
        );
    }
}

#[test]
fn dropping_the_clients_deletes_fixtures_and_what_the_provider_made_for_them() {
    if emulator_only() {
        return;
    }
    let tf = TfDir::new();
    let others = block_on(aws());
    let aws = block_on(acceptance_tests::aws()).clean_up_on_drop();
    let (api, bucket, stream, owned, own) = build(&tf, &aws);

    // A pipeline of someone else's REST API (not registered: these clients clean nothing up),
    // with a stream and role the provider made and tagged for that API, must survive.
    let (other_api, other_bucket) = block_on(async {
        let bucket = others.create_bucket("someone-elses-logs").await;
        (
            others.rest_api_with_stage("someone-else", "prod").await,
            bucket,
        )
    });
    let written = std::fs::read_to_string(tf.path().join("main.tf")).expect("main.tf");
    tf.write(
        "main.tf",
        written
            + &pipeline(
                "other",
                &other_api,
                "prod",
                &format!("arn:aws:s3:::{other_bucket}"),
            )
            .render(),
    );
    tf.apply().success();
    let other = tf.state_resource("apigw_access_log_pipeline.other");
    let other_stream = other["delivery_stream_name"].as_str().expect("stream");
    let other_role = other["role_arn"]
        .as_str()
        .and_then(|a| a.rsplit('/').next())
        .expect("role");

    drop(aws);
    assert_gone(&api, &bucket, &stream, &[&owned, &own]);
    assert!(
        block_on(others.delivery_stream_names())
            .iter()
            .any(|s| s == other_stream),
        "the cleanup deleted another API's stream {other_stream}"
    );
    assert!(
        block_on(others.role_names())
            .iter()
            .any(|r| r == other_role),
        "the cleanup deleted another API's role {other_role}"
    );
    assert!(
        block_on(others.stage_access_log(&other_api, "prod")).is_some(),
        "the cleanup touched another API's stage"
    );
}

#[test]
fn a_failing_test_still_cleans_up_even_when_dropped_inside_block_on() {
    if emulator_only() {
        return;
    }
    let tf = TfDir::new();
    let made = std::sync::Mutex::new(None);
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        block_on(async {
            let aws = aws().await.clean_up_on_drop();
            // The fixtures are built outside this runtime call, as tests do.
            let built =
                std::thread::scope(|s| s.spawn(|| build(&tf, &aws)).join().expect("building"));
            *made.lock().unwrap() = Some(built);
            panic!("the test fails here, with the clients still alive");
        })
    }));
    assert!(outcome.is_err(), "the closure should have panicked");
    let (api, bucket, stream, owned, own) = made.into_inner().unwrap().expect("built");
    assert_gone(&api, &bucket, &stream, &[&owned, &own]);
}
