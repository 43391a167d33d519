//! Plan-time rules of `apigw_access_log_pipeline`: each bad value fails `terraform plan` with
//! terraform pointing at the attribute, before any AWS call (the provider talks to AWS through
//! a counting proxy, which must count none).

use std::net::TcpListener;

use acceptance_tests::proxy::{Proxy, ProxyConfig};
use acceptance_tests::{TfDir, provider_block};

/// One pipeline with fake ids; `s3_extra` goes inside the `s3` block, `extra` in the resource.
fn pipeline_hcl(attrs: &Attrs<'_>) -> String {
    format!(
        r#"{provider}
resource "apigw_access_log_pipeline" "x" {{
  rest_api_id = "{api}"
  stage_name  = "prod"
  s3 = {{
    bucket_arn = "{bucket_arn}"
{s3_extra}
  }}
{extra}
}}
"#,
        provider = provider_block(),
        api = attrs.api,
        bucket_arn = attrs.bucket_arn,
        s3_extra = attrs.s3_extra,
        extra = attrs.extra,
    )
}

struct Attrs<'a> {
    api: &'a str,
    bucket_arn: &'a str,
    s3_extra: &'a str,
    extra: &'a str,
}

const VALID: Attrs<'static> = Attrs {
    api: "abc123",
    bucket_arn: "arn:aws:s3:::access-logs",
    s3_extra: "",
    extra: "",
};

/// A bad configuration and what terraform must say about it.
struct Case {
    name: &'static str,
    attrs: Attrs<'static>,
    /// Each must appear in terraform's error output (whitespace runs count as one space, as
    /// terraform wraps long lines). Top-level attributes are cited by their source line;
    /// for attributes inside `s3` and `timeouts` terraform cites the resource block instead
    /// (hashicorp/terraform#33491), so there the attribute path in the detail is what names it.
    wanted: &'static [&'static str],
}

fn cases() -> Vec<Case> {
    let extra = |extra| Attrs { extra, ..VALID };
    let s3 = |s3_extra| Attrs { s3_extra, ..VALID };
    vec![
        Case {
            name: "stream name without the prefix",
            attrs: extra("  delivery_stream_name = \"my-stream\""),
            wanted: &[
                "delivery_stream_name = \"my-stream\"",
                "delivery_stream_name: must start with \"amazon-apigateway-\"",
            ],
        },
        Case {
            name: "stream name of 65 characters",
            attrs: extra(
                "  delivery_stream_name = \"amazon-apigateway-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"",
            ),
            wanted: &[
                "delivery_stream_name = \"amazon-apigateway-aaaa",
                "delivery_stream_name: must be 1 to 64 characters long; got 65.",
            ],
        },
        Case {
            name: "stream name with a bad character",
            attrs: extra("  delivery_stream_name = \"amazon-apigateway-a/b\""),
            wanted: &[
                "delivery_stream_name = \"amazon-apigateway-a/b\"",
                "delivery_stream_name: may contain only letters, digits, '.', '_' and '-'",
            ],
        },
        Case {
            name: "format without a request id",
            attrs: extra("  format = \"$context.status\""),
            wanted: &[
                "Invalid access log format",
                "format = \"$context.status\"",
                "format must contain $context.requestId or $context.extendedRequestId",
            ],
        },
        Case {
            name: "buffering size 0",
            attrs: s3("    buffering_size_mib = 0"),
            wanted: &["s3.buffering_size_mib: must be a whole number from 1 to 128; got 0."],
        },
        Case {
            name: "buffering size 129",
            attrs: s3("    buffering_size_mib = 129"),
            wanted: &["s3.buffering_size_mib: must be a whole number from 1 to 128; got 129."],
        },
        Case {
            name: "buffering interval 901",
            attrs: s3("    buffering_interval_seconds = 901"),
            wanted: &[
                "s3.buffering_interval_seconds: must be a whole number from 0 to 900; got 901.",
            ],
        },
        Case {
            name: "unknown compression",
            attrs: s3("    compression = \"BROTLI\""),
            wanted: &[
                "s3.compression: must be one of UNCOMPRESSED, GZIP, ZIP, Snappy, HADOOP_SNAPPY; got \"BROTLI\".",
            ],
        },
        Case {
            name: "bucket ARN of another service",
            attrs: Attrs {
                bucket_arn: "arn:aws:sqs:us-east-1:123456789012:queue",
                ..VALID
            },
            wanted: &[
                "Invalid ARN",
                "s3.bucket_arn must be an ARN of service \"s3\", not \"sqs\"",
            ],
        },
        Case {
            name: "malformed bucket ARN",
            attrs: Attrs {
                bucket_arn: "access-logs",
                ..VALID
            },
            wanted: &[
                "Invalid ARN",
                "s3.bucket_arn must be an ARN of the form arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE",
            ],
        },
        Case {
            name: "role ARN naming a user",
            attrs: extra("  role_arn = \"arn:aws:iam::123456789012:user/x\""),
            wanted: &[
                "Invalid ARN",
                "role_arn = \"arn:aws:iam::123456789012:user/x\"",
                "role_arn must name an IAM role",
            ],
        },
        Case {
            name: "KMS key ARN naming no key",
            attrs: s3("    kms_key_arn = \"arn:aws:kms:us-east-1:123456789012:grant/g\""),
            wanted: &["Invalid ARN", "s3.kms_key_arn must name a KMS key"],
        },
        Case {
            name: "prefix expression without an error prefix",
            attrs: s3("    prefix = \"logs/!{timestamp:yyyy}/\""),
            wanted: &[
                "Missing error_output_prefix",
                "s3.error_output_prefix is required when s3.prefix uses !{...} expressions",
            ],
        },
        Case {
            name: "empty REST API id",
            attrs: Attrs { api: "", ..VALID },
            wanted: &[
                "rest_api_id = \"\"",
                "rest_api_id: must be 1 to 64 characters long; it is empty.",
            ],
        },
        Case {
            name: "create timeout that is no duration",
            attrs: extra("  timeouts = { create = \"soon\" }"),
            wanted: &[
                "timeouts.create: must be a positive duration such as \"30m\" or \"1h30m\"; got \"soon\".",
            ],
        },
        // Beyond one case per rule: edges of each rule, other partitions and Unicode.
        Case {
            name: "rest API id with a non-ASCII letter",
            attrs: Attrs {
                api: "ab€12",
                ..VALID
            },
            wanted: &[
                "rest_api_id: may contain only letters and digits; '€' is not allowed in \"ab€12\".",
            ],
        },
        Case {
            name: "rest API id one character too long",
            attrs: Attrs {
                api: leak("a".repeat(65)),
                ..VALID
            },
            wanted: &["rest_api_id: must be 1 to 64 characters long; got 65."],
        },
        Case {
            name: "empty bucket ARN",
            attrs: Attrs {
                bucket_arn: "",
                ..VALID
            },
            wanted: &[
                "s3.bucket_arn must be an ARN of the form arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE; got \"\".",
            ],
        },
        Case {
            name: "bucket ARN in an unknown partition",
            attrs: Attrs {
                bucket_arn: "arn:aws-moon:s3:::access-logs",
                ..VALID
            },
            wanted: &["s3.bucket_arn has an unknown partition \"aws-moon\""],
        },
        Case {
            name: "bucket ARN naming an invalid bucket",
            attrs: Attrs {
                bucket_arn: "arn:aws:s3:::Access_Logs",
                ..VALID
            },
            wanted: &["s3.bucket_arn must name a bucket (arn:aws:s3:::bucket-name)"],
        },
        Case {
            name: "stream name with a non-ASCII letter",
            attrs: extra("  delivery_stream_name = \"amazon-apigateway-ünicode\""),
            wanted: &[
                "delivery_stream_name: may contain only letters, digits, '.', '_' and '-'; 'ü' is not allowed",
            ],
        },
        Case {
            name: "compression in the wrong case",
            attrs: s3("    compression = \"gzip\""),
            wanted: &[
                "s3.compression: must be one of UNCOMPRESSED, GZIP, ZIP, Snappy, HADOOP_SNAPPY; got \"gzip\".",
            ],
        },
        Case {
            name: "negative buffering interval",
            attrs: s3("    buffering_interval_seconds = -1"),
            wanted: &[
                "s3.buffering_interval_seconds: must be a whole number from 0 to 900; got -1.",
            ],
        },
        Case {
            name: "fractional buffering size",
            attrs: s3("    buffering_size_mib = 1.5"),
            wanted: &["s3.buffering_size_mib: must be a whole number from 1 to 128; got 1.5."],
        },
        Case {
            name: "role ARN in an unknown partition",
            attrs: extra("  role_arn = \"arn:aws-moon:iam::123456789012:role/x\""),
            wanted: &["role_arn has an unknown partition \"aws-moon\""],
        },
        Case {
            name: "role ARN of another service",
            attrs: extra("  role_arn = \"arn:aws:sts::123456789012:assumed-role/x/y\""),
            wanted: &["role_arn must be an ARN of service \"iam\", not \"sts\""],
        },
        Case {
            name: "role name one character too long",
            attrs: extra(leak(format!(
                "  role_arn = \"arn:aws:iam::123456789012:role/{}\"",
                "r".repeat(65)
            ))),
            wanted: &["role_arn must name an IAM role"],
        },
        Case {
            name: "KMS key ARN of another service",
            attrs: s3("    kms_key_arn = \"arn:aws:s3:::k\""),
            wanted: &["s3.kms_key_arn must be an ARN of service \"kms\", not \"s3\""],
        },
        Case {
            name: "empty tag key",
            attrs: extra("  tags = { \"\" = \"x\" }"),
            wanted: &["tags[\"\"]: keys must be 1 to 128 characters long."],
        },
        Case {
            name: "tag value one character too long",
            attrs: extra(leak(format!(
                "  tags = {{ team = \"{}\" }}",
                "v".repeat(257)
            ))),
            wanted: &["tags[\"team\"]: values must be at most 256 characters long."],
        },
        Case {
            name: "zero delete timeout",
            attrs: extra("  timeouts = { delete = \"0s\" }"),
            wanted: &[
                "timeouts.delete: must be a positive duration such as \"30m\" or \"1h30m\"; got \"0s\".",
            ],
        },
        Case {
            name: "empty error output prefix",
            attrs: s3("    error_output_prefix = \"\""),
            wanted: &["s3.error_output_prefix: must be 1 to 1024 characters long; it is empty."],
        },
        Case {
            name: "prefix one character too long",
            attrs: s3(leak(format!("    prefix = \"{}\"", "p".repeat(1025)))),
            wanted: &["s3.prefix: must be 1 to 1024 characters long; got 1025."],
        },
    ]
}

/// A string that lives as long as the test process, for building cases from `format!`.
fn leak(s: String) -> &'static str {
    Box::leak(s.into_boxed_str())
}

/// An endpoint on 127.0.0.1 where nothing listens.
fn dead_endpoint() -> String {
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("finding a free port")
        .port();
    format!("http://127.0.0.1:{port}")
}

/// Collapses every run of whitespace into one space.
fn squash(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn plan(tf: &TfDir, endpoint: &str) -> acceptance_tests::TfOutput {
    tf.tf_env(
        &["plan", "-input=false", "-no-color"],
        &[("AWS_ENDPOINT_URL", endpoint)],
    )
}

#[test]
fn each_plan_time_rule_names_its_attribute() {
    let tf = TfDir::new();
    // Every AWS call would pass through this proxy and be counted.
    let proxy = Proxy::start(ProxyConfig::new());
    let endpoint = proxy.endpoint();
    tf.write("main.tf", pipeline_hcl(&VALID));
    tf.init().success();

    // The valid baseline is accepted offline, so every failure below is the rule's doing.
    let ok = tf
        .tf_env(
            &["validate", "-no-color"],
            &[("AWS_ENDPOINT_URL", &endpoint)],
        )
        .success();
    assert!(
        ok.stdout.contains("The configuration is valid"),
        "{}",
        ok.stdout
    );

    let mut failures = Vec::new();
    for case in cases() {
        tf.write("main.tf", pipeline_hcl(&case.attrs));
        let out = plan(&tf, &endpoint);
        if out.status.success() {
            failures.push(format!("{}: plan succeeded:\n{}", case.name, out.stdout));
            continue;
        }
        let stderr = squash(&out.stderr);
        let missing: Vec<&str> = case
            .wanted
            .iter()
            .copied()
            .chain(["with apigw_access_log_pipeline.x, on main.tf line"])
            .filter(|w| !stderr.contains(&squash(w)))
            .collect();
        if !missing.is_empty() {
            failures.push(format!(
                "{}: stderr lacks {missing:?}:\n{}",
                case.name, out.stderr
            ));
        }
        // One rule, one error: a broken case must not hide behind an unrelated failure.
        let errors = out.stderr.matches("Error: ").count();
        if errors != 1 {
            failures.push(format!(
                "{}: expected 1 error, got {errors}:\n{}",
                case.name, out.stderr
            ));
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n\n"));
    assert_eq!(
        proxy.total(),
        0,
        "bad input made AWS calls: {:?}",
        proxy.counts()
    );
}

#[test]
fn values_of_the_wrong_type_are_refused_by_terraform_before_the_provider() {
    let tf = TfDir::new();
    let endpoint = dead_endpoint();
    tf.write("main.tf", pipeline_hcl(&VALID));
    tf.init().success();
    let cases = [
        (
            Attrs {
                extra: "  enabled = \"maybe\"",
                ..VALID
            },
            "Inappropriate value for attribute \"enabled\": a bool is required.",
        ),
        (
            Attrs {
                s3_extra: "    buffering_size_mib = \"five\"",
                ..VALID
            },
            "Inappropriate value for attribute \"s3\": a number is required.",
        ),
        (
            Attrs {
                extra: "  tags = [\"a\"]",
                ..VALID
            },
            "Inappropriate value for attribute \"tags\": map of string required.",
        ),
    ];
    for (attrs, wanted) in cases {
        tf.write("main.tf", pipeline_hcl(&attrs));
        let out = plan(&tf, &endpoint);
        assert!(
            !out.status.success(),
            "plan accepted {}{}",
            attrs.extra,
            attrs.s3_extra
        );
        assert!(
            squash(&out.stderr).contains(wanted),
            "stderr lacks {wanted:?}:\n{}",
            out.stderr
        );
    }
}
