//! `provider::apigw::log_format` through `terraform console`, with the real provider.

use acceptance_tests::{Block, TfDir, TfOutput, config, provider_block};
use terraform_provider_apigw::log_format::{CLF, CSV, JSON, XML};

/// An initialised directory whose configuration requires the provider (which is what makes
/// its functions callable).
fn console_dir() -> TfDir {
    let tf = TfDir::new();
    tf.write("main.tf", provider_block());
    tf.init().success();
    tf
}

/// Pipes `expression` into `terraform console`.
fn console(tf: &TfDir, expression: &str) -> TfOutput {
    tf.tf_stdin(&["console", "-no-color"], &format!("{expression}\n"), &[])
}

/// The value console prints for a string: a quoted literal with `\"` and `\\` escapes (as
/// JSON's), and `$${`/`%%{` for template sequences (absent from the presets).
fn console_string(out: &TfOutput) -> String {
    let text = out.stdout.trim();
    assert!(!text.contains("$${") && !text.contains("%%{"), "{text}");
    serde_json::from_str(text)
        .unwrap_or_else(|e| panic!("console did not print one string ({e}):\n{text}"))
}

#[test]
fn console_answers_every_preset_and_refuses_unknown_names() {
    let tf = console_dir();

    // Console input stays literal here: what a user types at `terraform console` is the point,
    // and Block writes configuration files, not console expressions.
    // The function as a user types it.
    let clf = console(&tf, r#"provider::apigw::log_format("clf")"#).success();
    assert_eq!(console_string(&clf), CLF);

    // Every preset at once (one provider start), as JSON text: names are case-insensitive,
    // Terraform's own jsondecode parses the json preset, and each names the request.
    // Piped console input is read line by line, so the expression is one line.
    let expression = [
        r#"jsonencode({"#,
        r#"presets = { for n in ["clf", "json", "xml", "csv", "XML"] : n => provider::apigw::log_format(n) },"#,
        r#"decoded = jsondecode(provider::apigw::log_format("json")),"#,
        r#"with_ids = [for n in ["clf", "json", "xml", "csv"] : strcontains(provider::apigw::log_format(n), "$context.requestId")]"#,
        r#"})"#,
    ]
    .join(" ");
    let all = console(&tf, &expression).success();
    let all: serde_json::Value = serde_json::from_str(&console_string(&all))
        .unwrap_or_else(|e| panic!("jsonencode output is not JSON ({e}): {}", all.stdout));
    let presets = &all["presets"];
    for (name, format) in [
        ("clf", CLF),
        ("json", JSON),
        ("xml", XML),
        ("csv", CSV),
        ("XML", XML),
    ] {
        assert_eq!(presets[name], format, "preset {name}: {all}");
        assert!(format.contains("$context.requestId"), "{name}");
    }
    assert_eq!(all["with_ids"], serde_json::json!([true, true, true, true]));
    let decoded = &all["decoded"];
    assert!(decoded.is_object(), "jsondecode gave {decoded}");
    assert_eq!(decoded["requestId"], "$context.requestId");
    assert_eq!(decoded["ip"], "$context.identity.sourceIp");
    // The JSON preset parses here too, to the same object.
    let parsed: serde_json::Value = serde_json::from_str(JSON).expect("the json preset is JSON");
    assert_eq!(&parsed, decoded);

    // An unknown name: an error on the argument that lists the valid names.
    let bad = console(&tf, r#"provider::apigw::log_format("yaml")"#).failure();
    let err = bad.stderr.split_whitespace().collect::<Vec<_>>().join(" ");
    for wanted in [
        "Invalid function argument",
        "\"name\" parameter",
        "not the name of a log format preset",
        "valid names are clf, json, xml, csv",
    ] {
        assert!(
            err.contains(wanted),
            "stderr lacks {wanted:?}:\n{}",
            bad.stderr
        );
    }
    assert!(bad.stdout.trim().is_empty(), "{}", bad.stdout);
}

#[test]
fn a_sensitive_argument_is_not_echoed_in_the_error() {
    const CANARY: &str = "fn-arg-canary-7c41e2";
    let tf = TfDir::new();
    tf.write(
        "main.tf",
        config(&[
            Block::labeled("variable", &["secret"])
                .expr("type", "string")
                .expr("sensitive", "true")
                .string("default", CANARY),
            Block::labeled("output", &["format"])
                .expr("value", "provider::apigw::log_format(var.secret)")
                .expr("sensitive", "true"),
        ]),
    );
    tf.init().success();
    let plan = tf.plan().failure();
    let console = console(&tf, "provider::apigw::log_format(var.secret)").failure();
    for (what, out) in [("plan", &plan), ("console", &console)] {
        let text = format!("{}{}", out.stdout, out.stderr);
        // The call really failed in the provider, so the absence below means something.
        assert!(
            text.contains("not the name of a log format preset"),
            "{what} did not reach the function:\n{text}"
        );
        assert!(
            !text.contains(CANARY),
            "{what} echoes the argument:\n{text}"
        );
    }
}
