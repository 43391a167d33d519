//! `terraform plan -generate-config-out` for an `import` block: the generated configuration is
//! valid as written, imports the pipeline, and then plans nothing.

use acceptance_tests::{Block, TfDir, aws, block_on, config, s3};
use terraform_provider_apigw::log_format;

const ADDR: &str = "apigw_access_log_pipeline.imported";

#[test]
fn generated_configuration_imports_the_pipeline_and_then_plans_nothing() {
    let tf = TfDir::new();
    let aws = block_on(aws());
    let (api, bucket) = block_on(async {
        let bucket = aws.create_bucket("generated-config-logs").await;
        (
            aws.rest_api_with_stage("generated-config", "prod").await,
            bucket,
        )
    });

    // A pipeline with settings away from the defaults, made by terraform and then forgotten.
    tf.write(
        "main.tf",
        config(&[Block::resource("apigw_access_log_pipeline", "imported")
            .string("rest_api_id", &api)
            .string("stage_name", "prod")
            .expr("format", "provider::apigw::log_format(\"clf\")")
            .object_attr(
                "s3",
                s3(&format!("arn:aws:s3:::{bucket}"))
                    .string("prefix", "generated/")
                    .expr("buffering_interval_seconds", "120")
                    .string("compression", "ZIP"),
            )
            .map("tags", [("origin", "generated-config-test")])]),
    );
    tf.init().success();
    tf.apply().success();
    let made = tf.state_resource(ADDR);
    tf.tf(&["state", "rm", "-no-color", ADDR]).success();

    // Only an import block: terraform writes the resource block.
    tf.write(
        "main.tf",
        config(&[Block::import(ADDR, &format!("{api}/prod"))]),
    );
    let generate = tf.tf(&[
        "plan",
        "-generate-config-out=generated.tf",
        "-input=false",
        "-no-color",
    ]);
    let generated = std::fs::read_to_string(tf.path().join("generated.tf")).unwrap_or_default();
    assert!(
        generate.status.success(),
        "plan -generate-config-out failed ({})\n--- generated.tf ---\n{generated}\n--- stdout ---\n{}\n--- stderr ---\n{}",
        generate.status,
        generate.stdout,
        generate.stderr
    );
    assert!(
        generate
            .stdout
            .contains("1 to import, 0 to add, 0 to change, 0 to destroy"),
        "{}",
        generate.stdout
    );
    assert!(
        generated.contains("resource \"apigw_access_log_pipeline\" \"imported\""),
        "{generated}"
    );
    // What was read back is in it; computed-only attributes are not.
    for wanted in [
        format!("rest_api_id = \"{api}\""),
        format!("bucket_arn = \"arn:aws:s3:::{bucket}\""),
        "prefix = \"generated/\"".to_owned(),
        "compression = \"ZIP\"".to_owned(),
        "buffering_interval_seconds = 120".to_owned(),
        "origin = \"generated-config-test\"".to_owned(),
    ] {
        let squeezed = generated.split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(
            squeezed.contains(&wanted),
            "generated.tf lacks {wanted}:\n{generated}"
        );
    }
    for computed_only in [
        "delivery_stream_arn",
        "s3_destination_uri",
        "bucket_policy_json",
        "tags_all",
        " id ",
    ] {
        assert!(
            !generated.contains(&format!("{} =", computed_only.trim_end())),
            "generated.tf sets computed-only {computed_only}:\n{generated}"
        );
    }

    // The generated file as written: the import applies, and then nothing changes.
    let apply = tf.apply().success();
    assert!(
        apply
            .stdout
            .contains("1 imported, 0 added, 0 changed, 0 destroyed"),
        "{}",
        apply.stdout
    );
    let plan = tf.tf(&["plan", "-detailed-exitcode", "-input=false", "-no-color"]);
    assert_eq!(
        plan.status.code(),
        Some(0),
        "the plan after importing with the generated configuration is not empty\n--- generated.tf ---\n{generated}\n--- stdout ---\n{}\n--- stderr ---\n{}",
        plan.stdout,
        plan.stderr
    );
    let imported = tf.state_resource(ADDR);
    for key in [
        "id",
        "delivery_stream_arn",
        "role_arn",
        "s3_destination_uri",
        "bucket_policy_json",
        "format",
    ] {
        assert_eq!(imported[key], made[key], "{key} differs after the import");
    }
    assert_eq!(imported["format"], log_format::CLF);

    // The generated block pins `role_arn` to the role the provider made; the role still counts
    // as the pipeline's own (by its tag), so destroy removes it with the stream.
    tf.destroy().success();
    let stream = made["delivery_stream_name"].as_str().expect("stream name");
    let role_arn = made["role_arn"].as_str().expect("role arn");
    let role = role_arn.rsplit('/').next().expect("role name");
    assert!(
        !block_on(aws.delivery_stream_names())
            .iter()
            .any(|s| s == stream),
        "destroy left the stream {stream}"
    );
    assert!(
        !block_on(aws.role_names()).iter().any(|r| r == role),
        "destroy left the role {role}"
    );
    assert_eq!(block_on(aws.stage_access_log(&api, "prod")), None);
}
