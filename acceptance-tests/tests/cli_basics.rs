//! The real terraform CLI driving the real provider binary, installed offline from the mirror.

use acceptance_tests::{
    Block, TfDir, config, offline_pipeline, provider_block, render_all, required_providers,
};
use terraform_provider_apigw::{PROVIDER_SOURCE, VERSION};

#[test]
fn init_validate_schema_and_plan() {
    let tf = TfDir::new();
    let marker = Block::resource("terraform_data", "marker").string("input", "x");
    tf.write("main.tf", config(&[marker]));

    let init = tf.init().success();
    assert!(
        init.stdout
            .contains(&format!("Installing seed-f9314e3d/apigw v{VERSION}")),
        "{}",
        init.stdout
    );
    assert!(
        tf.path().join(".terraform.lock.hcl").is_file(),
        "no lock file after init"
    );

    let validate = tf.tf(&["validate", "-no-color"]).success();
    assert!(
        validate.stdout.contains("The configuration is valid"),
        "{}",
        validate.stdout
    );

    let schema = tf.tf(&["providers", "schema", "-json"]).success();
    let schema: serde_json::Value =
        serde_json::from_str(&schema.stdout).expect("providers schema -json is JSON");
    let block = &schema["provider_schemas"][PROVIDER_SOURCE]["provider"]["block"];
    for attr in [
        "region",
        "profile",
        "shared_config_files",
        "shared_credentials_files",
        "max_retries",
    ] {
        assert!(
            block["attributes"][attr].is_object(),
            "provider attribute {attr} missing: {block}"
        );
    }
    for nested in ["assume_role", "endpoints", "default_tags"] {
        assert!(
            block["block_types"][nested].is_object(),
            "provider block {nested} missing: {block}"
        );
    }

    let plan = tf.plan().success();
    assert!(
        plan.stdout.contains("1 to add, 0 to change, 0 to destroy"),
        "{}",
        plan.stdout
    );
}

#[test]
fn bad_provider_setting_names_the_attribute() {
    let tf = TfDir::new();
    let provider = Block::provider("apigw")
        .string("region", "Mars")
        .block(Block::new("endpoints").string("s3", "not a url"));
    tf.write(
        "main.tf",
        required_providers() + &provider.render() + &offline_pipeline(),
    );
    tf.init().success();

    let plan = tf.plan();
    assert!(!plan.status.success(), "plan accepted region \"Mars\"");
    let err = &plan.stderr;
    for wanted in [
        "Invalid attribute value",
        "region = \"Mars\"",
        "region:",
        "s3 = \"not a url\"",
        "endpoints.s3:",
        "in provider \"apigw\"",
    ] {
        assert!(err.contains(wanted), "stderr lacks {wanted:?}:\n{err}");
    }
}

/// The provider builds its AWS clients when first needed, not at configure; a region that
/// only the SDK's chain could find must still be asked for at configure, so that its absence
/// is reported at plan, before anything is made.
#[test]
fn a_missing_region_is_reported_at_plan() {
    let tf = TfDir::new();
    tf.write("main.tf", provider_block() + &offline_pipeline());
    tf.init().success();

    // No region in the environment or a profile, and no instance metadata to ask (which would
    // leave the machine).
    let out = tf
        .command(
            &["plan", "-input=false", "-no-color"],
            &[
                ("AWS_EC2_METADATA_DISABLED", "true"),
                ("AWS_CONFIG_FILE", "/nonexistent/config"),
                ("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/credentials"),
            ],
        )
        .env_remove("AWS_REGION")
        .env_remove("AWS_DEFAULT_REGION")
        .env_remove("AWS_PROFILE")
        .output()
        .expect("running terraform plan");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "plan succeeded without a region");
    for wanted in ["No AWS region", "set `region` in the provider block"] {
        assert!(
            stderr.contains(wanted),
            "stderr lacks {wanted:?}:\n{stderr}"
        );
    }
}

#[test]
fn tf_log_debug_carries_provider_lines() {
    let tf = TfDir::new();
    tf.write("main.tf", provider_block() + &offline_pipeline());
    tf.init().success();

    let plan = tf
        .tf_env(
            &["plan", "-input=false", "-no-color"],
            &[("TF_LOG", "debug")],
        )
        .success();
    // Terraform re-prints each hclog JSON line of the plugin as
    // `<time> [LEVEL]  provider.<executable>: <message>: <key>=<value> ...`.
    let prefix = format!("provider.terraform-provider-apigw_v{VERSION}: ");
    let line = |level: &str, message: &str| {
        plan.stderr.lines().find(|l| {
            l.contains(&format!("[{level}]"))
                && l.contains(&format!("{prefix}{message}:"))
                && l.contains("@module=provider")
        })
    };
    let serving = line("INFO", "serving")
        .unwrap_or_else(|| panic!("no [INFO] serving line from the provider:\n{}", plan.stderr));
    assert!(serving.contains("network=unix"), "{serving}");
    let configured = line("INFO", "configuring provider").unwrap_or_else(|| {
        panic!(
            "no [INFO] configuring line from the provider:\n{}",
            plan.stderr
        )
    });
    assert!(configured.contains("terraform_version=1."), "{configured}");
    assert!(
        line("INFO", "shutdown requested by terraform").is_some(),
        "no [INFO] shutdown line from the provider:\n{}",
        plan.stderr
    );
}

#[test]
fn unknown_provider_values_at_plan_are_accepted() {
    let tf = TfDir::new();
    // The region is known only once terraform_data is applied; planning must not need it.
    let region = Block::resource("terraform_data", "region").string("input", "us-east-1");
    let provider = Block::provider("apigw").expr("region", "terraform_data.region.output");
    tf.write(
        "main.tf",
        required_providers() + &render_all(&[region, provider]) + &offline_pipeline(),
    );
    tf.init().success();
    let plan = tf.plan().success();
    assert!(
        plan.stdout.contains("2 to add, 0 to change, 0 to destroy"),
        "{}",
        plan.stdout
    );
    // Terraform aligns the `=` to the longest attribute name: compare without the padding.
    let squashed = plan.stdout.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        squashed.contains("+ id = \"abc123defg/prod\""),
        "{}",
        plan.stdout
    );
}
