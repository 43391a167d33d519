//! Plan-time rules of `apigw_access_log_pipeline`: each bad value fails `terraform plan` with
//! terraform pointing at the attribute, before any AWS call (the provider talks to AWS through
//! a counting proxy, which must count none).

use std::net::TcpListener;

use acceptance_tests::proxy::{Proxy, ProxyConfig};
use acceptance_tests::{Block, TfDir, pipeline_to, render_all, required_providers, s3};

/// One pipeline with fake ids; `s3_extra` goes inside the `s3` object, `extra` in the
/// resource, `provider_extra` in the provider block.
fn pipeline_hcl(attrs: &Attrs) -> String {
    let provider = Block::provider("apigw").with(attrs.provider_extra.clone());
    let s3 = s3(attrs.bucket_arn).with(attrs.s3_extra.clone());
    let pipeline = pipeline_to("x", attrs.api, "prod", s3).with(attrs.extra.clone());
    required_providers() + &render_all(&[provider, pipeline])
}

struct Attrs {
    api: &'static str,
    bucket_arn: &'static str,
    s3_extra: Block,
    extra: Block,
    provider_extra: Block,
}

/// A pipeline every rule accepts.
fn valid() -> Attrs {
    Attrs {
        api: "abc123",
        bucket_arn: "arn:aws:s3:::access-logs",
        s3_extra: Block::object(),
        extra: Block::object(),
        provider_extra: Block::object(),
    }
}

/// A bad configuration and what terraform must say about it.
struct Case {
    name: &'static str,
    attrs: Attrs,
    /// Each must appear in terraform's error output (whitespace runs count as one space, as
    /// terraform wraps long lines). Top-level attributes are cited by their source line;
    /// for attributes inside `s3` and `timeouts` terraform cites the resource block instead
    /// (hashicorp/terraform#33491), so there the attribute path in the detail is what names it.
    wanted: &'static [&'static str],
}

fn cases() -> Vec<Case> {
    let extra = |extra| Attrs { extra, ..valid() };
    let s3 = |s3_extra| Attrs {
        s3_extra,
        ..valid()
    };
    vec![
        Case {
            name: "stream name without the prefix",
            attrs: extra(Block::object().string("delivery_stream_name", "my-stream")),
            wanted: &[
                "delivery_stream_name = \"my-stream\"",
                "delivery_stream_name: must start with \"amazon-apigateway-\"",
            ],
        },
        Case {
            name: "stream name of 65 characters",
            attrs: extra(Block::object().string(
                "delivery_stream_name",
                "amazon-apigateway-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
            )),
            wanted: &[
                "delivery_stream_name = \"amazon-apigateway-aaaa",
                "delivery_stream_name: must be 1 to 64 characters long; got 65.",
            ],
        },
        Case {
            name: "stream name with a bad character",
            attrs: extra(Block::object().string("delivery_stream_name", "amazon-apigateway-a/b")),
            wanted: &[
                "delivery_stream_name = \"amazon-apigateway-a/b\"",
                "delivery_stream_name: may contain only letters, digits, '.', '_' and '-'",
            ],
        },
        Case {
            name: "format without a request id",
            attrs: extra(Block::object().string("format", "$context.status")),
            wanted: &[
                "Invalid access log format",
                "format = \"$context.status\"",
                "format must contain $context.requestId or $context.extendedRequestId",
            ],
        },
        Case {
            name: "buffering size 0",
            attrs: s3(Block::object().expr("buffering_size_mib", "0")),
            wanted: &["s3.buffering_size_mib: must be a whole number from 1 to 128; got 0."],
        },
        Case {
            name: "buffering size 129",
            attrs: s3(Block::object().expr("buffering_size_mib", "129")),
            wanted: &["s3.buffering_size_mib: must be a whole number from 1 to 128; got 129."],
        },
        Case {
            name: "buffering interval 901",
            attrs: s3(Block::object().expr("buffering_interval_seconds", "901")),
            wanted: &[
                "s3.buffering_interval_seconds: must be a whole number from 0 to 900; got 901.",
            ],
        },
        Case {
            name: "unknown compression",
            attrs: s3(Block::object().string("compression", "BROTLI")),
            wanted: &[
                "s3.compression: must be one of UNCOMPRESSED, GZIP, ZIP, Snappy, HADOOP_SNAPPY; got \"BROTLI\".",
            ],
        },
        Case {
            name: "bucket ARN of another service",
            attrs: Attrs {
                bucket_arn: "arn:aws:sqs:us-east-1:123456789012:queue",
                ..valid()
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
                ..valid()
            },
            wanted: &[
                "Invalid ARN",
                "s3.bucket_arn must be an ARN of the form arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE",
            ],
        },
        Case {
            name: "role ARN naming a user",
            attrs: extra(Block::object().string("role_arn", "arn:aws:iam::123456789012:user/x")),
            wanted: &[
                "Invalid ARN",
                "role_arn = \"arn:aws:iam::123456789012:user/x\"",
                "role_arn must name an IAM role",
            ],
        },
        Case {
            name: "KMS key ARN naming no key",
            attrs: s3(
                Block::object().string("kms_key_arn", "arn:aws:kms:us-east-1:123456789012:grant/g")
            ),
            wanted: &["Invalid ARN", "s3.kms_key_arn must name a KMS key"],
        },
        Case {
            name: "prefix expression without an error prefix",
            attrs: s3(Block::object().string("prefix", "logs/!{timestamp:yyyy}/")),
            wanted: &[
                "Missing error_output_prefix",
                "s3.error_output_prefix is required when s3.prefix uses !{...} expressions",
            ],
        },
        Case {
            name: "empty REST API id",
            attrs: Attrs { api: "", ..valid() },
            wanted: &[
                "rest_api_id = \"\"",
                "rest_api_id: must be 1 to 64 characters long; it is empty.",
            ],
        },
        Case {
            name: "create timeout that is no duration",
            attrs: extra(Block::object().map("timeouts", [("create", "soon")])),
            wanted: &[
                "timeouts.create: must be a positive duration such as \"30m\" or \"1h30m\"; got \"soon\".",
            ],
        },
        // Beyond one case per rule: edges of each rule, other partitions and Unicode.
        Case {
            name: "rest API id with a non-ASCII letter",
            attrs: Attrs {
                api: "ab€12",
                ..valid()
            },
            wanted: &[
                "rest_api_id: may contain only letters and digits; '€' is not allowed in \"ab€12\".",
            ],
        },
        Case {
            name: "rest API id one character too long",
            attrs: Attrs {
                api: leak("a".repeat(65)),
                ..valid()
            },
            wanted: &["rest_api_id: must be 1 to 64 characters long; got 65."],
        },
        Case {
            name: "empty bucket ARN",
            attrs: Attrs {
                bucket_arn: "",
                ..valid()
            },
            wanted: &[
                "s3.bucket_arn must be an ARN of the form arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE; got \"\".",
            ],
        },
        Case {
            name: "bucket ARN in an unknown partition",
            attrs: Attrs {
                bucket_arn: "arn:aws-moon:s3:::access-logs",
                ..valid()
            },
            wanted: &["s3.bucket_arn has an unknown partition \"aws-moon\""],
        },
        Case {
            name: "bucket ARN naming an invalid bucket",
            attrs: Attrs {
                bucket_arn: "arn:aws:s3:::access+logs",
                ..valid()
            },
            wanted: &[
                "s3.bucket_arn must name a bucket (arn:aws:s3:::bucket-name): a bucket name has only lowercase letters, digits, '.' and '-', and '+' is none of them",
            ],
        },
        Case {
            name: "stream name with a non-ASCII letter",
            attrs: extra(
                Block::object().string("delivery_stream_name", "amazon-apigateway-ünicode"),
            ),
            wanted: &[
                "delivery_stream_name: may contain only letters, digits, '.', '_' and '-'; 'ü' is not allowed",
            ],
        },
        Case {
            name: "compression in the wrong case",
            attrs: s3(Block::object().string("compression", "gzip")),
            wanted: &[
                "s3.compression: must be one of UNCOMPRESSED, GZIP, ZIP, Snappy, HADOOP_SNAPPY; got \"gzip\".",
            ],
        },
        Case {
            name: "negative buffering interval",
            attrs: s3(Block::object().expr("buffering_interval_seconds", "-1")),
            wanted: &[
                "s3.buffering_interval_seconds: must be a whole number from 0 to 900; got -1.",
            ],
        },
        Case {
            name: "fractional buffering size",
            attrs: s3(Block::object().expr("buffering_size_mib", "1.5")),
            wanted: &["s3.buffering_size_mib: must be a whole number from 1 to 128; got 1.5."],
        },
        Case {
            name: "role ARN in an unknown partition",
            attrs: extra(
                Block::object().string("role_arn", "arn:aws-moon:iam::123456789012:role/x"),
            ),
            wanted: &["role_arn has an unknown partition \"aws-moon\""],
        },
        Case {
            name: "role ARN of another service",
            attrs: extra(
                Block::object().string("role_arn", "arn:aws:sts::123456789012:assumed-role/x/y"),
            ),
            wanted: &["role_arn must be an ARN of service \"iam\", not \"sts\""],
        },
        Case {
            name: "role name one character too long",
            attrs: extra(Block::object().string(
                "role_arn",
                &format!("arn:aws:iam::123456789012:role/{}", "r".repeat(65)),
            )),
            wanted: &[
                "role_arn must name an IAM role (arn:aws:iam::ACCOUNT:role/NAME): a role name has 1 to 64 characters",
                "has 65",
            ],
        },
        Case {
            name: "KMS key ARN of another service",
            attrs: s3(Block::object().string("kms_key_arn", "arn:aws:s3:::k")),
            wanted: &["s3.kms_key_arn must be an ARN of service \"kms\", not \"s3\""],
        },
        Case {
            name: "empty tag key",
            attrs: extra(Block::object().map("tags", [("", "x")])),
            wanted: &["tags[\"\"]: keys must be 1 to 128 characters long."],
        },
        Case {
            name: "tag value one character too long",
            attrs: extra(Block::object().map("tags", [("team", "v".repeat(257))])),
            wanted: &["tags[\"team\"]: values must be at most 256 characters long."],
        },
        Case {
            name: "zero delete timeout",
            attrs: extra(Block::object().map("timeouts", [("delete", "0s")])),
            wanted: &[
                "timeouts.delete: must be a positive duration such as \"30m\" or \"1h30m\"; got \"0s\".",
            ],
        },
        Case {
            name: "empty error output prefix",
            attrs: s3(Block::object().string("error_output_prefix", "")),
            wanted: &["s3.error_output_prefix: must be 1 to 1024 characters long; it is empty."],
        },
        Case {
            name: "prefix one character too long",
            attrs: s3(Block::object().string("prefix", &"p".repeat(1025))),
            wanted: &["s3.prefix: must be 1 to 1024 characters long; got 1025."],
        },
        // AWS's own rules, each with the rule named (issue 10).
        Case {
            name: "format with a line break before its end",
            attrs: extra(Block::object().string("format", "$context.requestId\n$context.status")),
            wanted: &[
                "Invalid access log format",
                "format must be a single line: API Gateway allows a line break only as the very last character (\"Access Log format must be single line\"), and this one breaks at character 19.",
            ],
        },
        Case {
            name: "format over API Gateway's 3 KB quota",
            attrs: extra(
                Block::object()
                    .string("format", &format!("$context.requestId{}", "x".repeat(3055))),
            ),
            wanted: &[
                "format must be at most 3072 bytes, API Gateway's access log template size quota (3 KB); it is 3073 bytes.",
            ],
        },
        Case {
            name: "bucket name of two characters",
            attrs: Attrs {
                bucket_arn: "arn:aws:s3:::b1",
                ..valid()
            },
            wanted: &[
                "s3.bucket_arn must name a bucket (arn:aws:s3:::bucket-name): a bucket name has 3 to 63 characters, and \"b1\" has 2 (S3 User Guide, \"General purpose bucket naming rules\")",
            ],
        },
        Case {
            name: "bucket name with adjacent periods",
            attrs: Attrs {
                bucket_arn: "arn:aws:s3:::my..logs",
                ..valid()
            },
            wanted: &["a bucket name has no two adjacent periods"],
        },
        Case {
            name: "bucket name starting with a hyphen",
            attrs: Attrs {
                bucket_arn: "arn:aws:s3:::-logs",
                ..valid()
            },
            wanted: &["a bucket name begins and ends with a letter or digit"],
        },
        Case {
            name: "bucket name formatted as an IP address",
            attrs: Attrs {
                bucket_arn: "arn:aws:s3:::192.168.5.4",
                ..valid()
            },
            wanted: &["a bucket name is not formatted as an IP address"],
        },
        Case {
            name: "bucket name with a reserved prefix",
            attrs: Attrs {
                bucket_arn: "arn:aws:s3:::xn--logs",
                ..valid()
            },
            wanted: &["a bucket name does not start with \"xn--\", which S3 reserves"],
        },
        Case {
            name: "bucket name with a reserved suffix",
            attrs: Attrs {
                bucket_arn: "arn:aws:s3:::logs-s3alias",
                ..valid()
            },
            wanted: &["a bucket name does not end with \"-s3alias\""],
        },
        Case {
            name: "role name with a character IAM refuses",
            attrs: extra(Block::object().string("role_arn", "arn:aws:iam::123456789012:role/a!b")),
            wanted: &[
                "role_arn must name an IAM role (arn:aws:iam::ACCOUNT:role/NAME): a role name has only letters, digits and + = , . @ _ -, and '!' is none of them",
            ],
        },
        Case {
            name: "role ARN with a short account id",
            attrs: extra(Block::object().string("role_arn", "arn:aws:iam::1234:role/r")),
            wanted: &[
                "role_arn must name an IAM role (arn:aws:iam::ACCOUNT:role/NAME): the account id has 12 digits",
            ],
        },
        Case {
            name: "role path Firehose's pattern refuses",
            attrs: extra(
                Block::object().string("role_arn", "arn:aws:iam::123456789012:role/a~b/r"),
            ),
            wanted: &[
                "Firehose takes role paths of letters, digits and + = , . @ _ - / only, and '~' is none of them",
            ],
        },
        Case {
            name: "KMS alias instead of a key",
            attrs: s3(Block::object().string(
                "kms_key_arn",
                "arn:aws:kms:us-east-1:123456789012:alias/logs",
            )),
            wanted: &[
                "KMS alias instead of a key",
                "s3.kms_key_arn names a KMS alias; it must name the key itself (arn:aws:kms:REGION:ACCOUNT:key/KEY_ID)",
                "names an alias grants nothing on the key behind it",
                "data.aws_kms_alias.<name>.target_key_arn gives the key's ARN",
            ],
        },
        Case {
            name: "KMS key id that is no UUID",
            attrs: s3(Block::object()
                .string("kms_key_arn", "arn:aws:kms:us-east-1:123456789012:key/abcd")),
            wanted: &[
                "s3.kms_key_arn must name a KMS key (arn:aws:kms:REGION:ACCOUNT:key/KEY_ID): a key id is a UUID such as 1234abcd-12ab-34cd-56ef-1234567890ab, or mrk- and 32 hex digits; \"abcd\" is neither",
            ],
        },
        Case {
            name: "error output type in the prefix",
            attrs: s3(Block::object()
                .string("prefix", "logs/!{firehose:error-output-type}/")
                .string("error_output_prefix", "errors/")),
            wanted: &[
                "Invalid S3 prefix",
                "s3.prefix: !{firehose:error-output-type} may appear only in error_output_prefix; Firehose refuses it in prefix",
            ],
        },
        Case {
            name: "error prefix with expressions but no error output type",
            attrs: s3(Block::object().string("error_output_prefix", "errors/!{timestamp:yyyy}/")),
            wanted: &[
                "s3.error_output_prefix: an error_output_prefix with expressions must contain !{firehose:error-output-type}, as Firehose requires",
            ],
        },
        Case {
            name: "prefix with an unknown namespace",
            attrs: s3(Block::object()
                .string("prefix", "logs/!{env:HOME}/")
                .string("error_output_prefix", "errors/")),
            wanted: &[
                "s3.prefix: !{env:HOME} uses the namespace \"env\"; Firehose evaluates only the firehose and timestamp namespaces here",
            ],
        },
        Case {
            name: "prefix with a partition key",
            attrs: s3(Block::object()
                .string("prefix", "logs/!{partitionKeyFromQuery:api}/")
                .string("error_output_prefix", "errors/")),
            wanted: &[
                "s3.prefix: !{partitionKeyFromQuery:api} takes a partition key from the records, which needs Firehose's dynamic partitioning; this resource does not turn it on",
            ],
        },
        Case {
            name: "prefix with an unknown firehose value",
            attrs: s3(Block::object()
                .string("prefix", "logs/!{firehose:random}/")
                .string("error_output_prefix", "errors/")),
            wanted: &[
                "s3.prefix: !{firehose:random} is not a value of the firehose namespace, which has only error-output-type and random-string",
            ],
        },
        Case {
            name: "prefix with an unclosed expression",
            attrs: s3(Block::object()
                .string("prefix", "logs/!{timestamp:yyyy/")
                .string("error_output_prefix", "errors/")),
            wanted: &[
                "s3.prefix: \"!{\" at character 6 is never closed by \"}\"; Firehose allows \"!{\" only in !{namespace:value} expressions",
            ],
        },
        Case {
            name: "prefix longer than Firehose evaluates",
            attrs: s3(Block::object().string("prefix", &"p".repeat(600))),
            wanted: &[
                "s3.prefix: evaluates to at least 600 characters, and Firehose allows at most 512 after evaluation",
            ],
        },
        Case {
            name: "tag key with the reserved aws: prefix",
            attrs: extra(Block::object().map("tags", [("aws:team", "a")])),
            wanted: &[
                "Invalid tag",
                "tags[\"aws:team\"]: keys may not start with \"aws:\" in any case: AWS reserves that prefix for its own tags.",
            ],
        },
        Case {
            name: "tag key with the reserved prefix in capitals",
            attrs: extra(Block::object().map("tags", [("AWS:Team", "a")])),
            wanted: &["tags[\"AWS:Team\"]: keys may not start with \"aws:\" in any case"],
        },
        Case {
            name: "tag key with a character neither service takes",
            attrs: extra(Block::object().map("tags", [("a#b", "x")])),
            wanted: &[
                "tags[\"a#b\"]: keys may contain only letters, digits, spaces and _ . : / = + - @; '#' is not allowed.",
            ],
        },
        Case {
            name: "tag value with a character neither service takes",
            attrs: extra(Block::object().map("tags", [("team", "a*b")])),
            wanted: &[
                "tags[\"team\"]: values may contain only letters, digits, spaces and _ . : / = + - @; '*' is not allowed.",
            ],
        },
        Case {
            name: "the provider's ownership tag",
            attrs: extra(
                Block::object().map("tags", [("terraform-provider-apigw:pipeline", "mine")]),
            ),
            wanted: &[
                "tags[\"terraform-provider-apigw:pipeline\"]: keys starting with \"terraform-provider-apigw:\" (in any case) are reserved for the tags the provider sets itself to know what it made.",
            ],
        },
        Case {
            name: "another key under the provider's reserved prefix, in another case",
            attrs: extra(Block::object().map("tags", [("Terraform-Provider-Apigw:owner", "mine")])),
            wanted: &[
                "tags[\"Terraform-Provider-Apigw:owner\"]: keys starting with \"terraform-provider-apigw:\" (in any case) are reserved",
            ],
        },
        Case {
            name: "forty-nine tags of the resource's own",
            attrs: extra(Block::object().map("tags", numbered_tags("t", 49))),
            wanted: &[
                "tags: at most 48 tags: Firehose and IAM take 50 per stream and per role, and the provider adds 2 of its own (the owner tag and the record of the stage's earlier settings); got 49.",
            ],
        },
        Case {
            name: "tags and default tags over fifty together",
            attrs: Attrs {
                extra: Block::object().map("tags", numbered_tags("t", 25)),
                provider_extra: default_tags(numbered_tags("d", 25)),
                ..valid()
            },
            wanted: &[
                "Too many tags",
                "tags: with the provider's default_tags and its own 2 tags (the owner and the record of the stage's earlier settings), the stream and role would carry 52 tags; Firehose and IAM take at most 50 per stream and per role.",
            ],
        },
        Case {
            name: "percent sign in a tag of the owned role",
            attrs: extra(Block::object().map("tags", [("share", "50%")])),
            wanted: &[
                "tags[\"share\"]: IAM does not take '%' in tag keys or values (botocore iam tagKeyType/tagValueType, logs TagKey/TagValue), and these tags go on the role and the log group the provider creates.",
            ],
        },
    ]
}

/// `count` tags `<prefix>0 = "v"`, `<prefix>1 = "v"`, ...
fn numbered_tags(prefix: &str, count: usize) -> Vec<(String, String)> {
    (0..count)
        .map(|i| (format!("{prefix}{i}"), "v".to_owned()))
        .collect()
}

/// The provider's `default_tags` block holding `tags`.
fn default_tags<K: AsRef<str>, V: AsRef<str>>(tags: impl IntoIterator<Item = (K, V)>) -> Block {
    Block::object().block(Block::new("default_tags").map("tags", tags))
}

/// A string that lives as long as the test process, for an id built with `format!`.
fn leak(s: String) -> &'static str {
    Box::leak(s.into_boxed_str())
}

/// Where terraform places an error of the resource, and one of the provider block.
const RESOURCE_ANCHOR: &str = "with apigw_access_log_pipeline.x, on main.tf line";
const PROVIDER_ANCHOR: &str = "in provider \"apigw\":";

/// Bad values in the provider block: terraform names the provider's block instead.
fn provider_cases() -> Vec<Case> {
    let defaults = |provider_extra| Attrs {
        provider_extra,
        ..valid()
    };
    vec![
        Case {
            name: "default tag key with the reserved aws: prefix",
            attrs: defaults(default_tags([("aws:x", "v")])),
            wanted: &["default_tags.tags[\"aws:x\"]: keys may not start with \"aws:\" in any case"],
        },
        Case {
            name: "default tags that are the ownership tag",
            attrs: defaults(default_tags([("terraform-provider-apigw:pipeline", "v")])),
            wanted: &[
                "default_tags.tags[\"terraform-provider-apigw:pipeline\"]: keys starting with \"terraform-provider-apigw:\" (in any case) are reserved",
            ],
        },
        Case {
            name: "a default tag under the provider's reserved prefix",
            attrs: defaults(default_tags([("terraform-provider-apigw:future", "v")])),
            wanted: &[
                "default_tags.tags[\"terraform-provider-apigw:future\"]: keys starting with \"terraform-provider-apigw:\" (in any case) are reserved",
            ],
        },
        Case {
            name: "forty-nine default tags",
            attrs: defaults(default_tags(numbered_tags("d", 49))),
            wanted: &["default_tags.tags: at most 48 tags"],
        },
    ]
}

/// What is wrong with terraform's answer to a bad case: it must fail with exactly one error that
/// has every wanted text and sits at `anchor`.
fn refusal_problems(case: &Case, anchor: &str, out: &acceptance_tests::TfOutput) -> Vec<String> {
    if out.status.success() {
        return vec![format!("{}: plan succeeded:\n{}", case.name, out.stdout)];
    }
    let mut problems = Vec::new();
    let stderr = squash(&out.stderr);
    let missing: Vec<&str> = case
        .wanted
        .iter()
        .copied()
        .chain([anchor])
        .filter(|w| !stderr.contains(&squash(w)))
        .collect();
    if !missing.is_empty() {
        problems.push(format!(
            "{}: stderr lacks {missing:?}:\n{}",
            case.name, out.stderr
        ));
    }
    // One rule, one error: a broken case must not hide behind an unrelated failure.
    let errors = out.stderr.matches("Error: ").count();
    if errors != 1 {
        problems.push(format!(
            "{}: expected 1 error, got {errors}:\n{}",
            case.name, out.stderr
        ));
    }
    problems
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
    tf.write("main.tf", pipeline_hcl(&valid()));
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
    let resource_cases = cases().into_iter().map(|c| (c, RESOURCE_ANCHOR));
    let provider_cases = provider_cases().into_iter().map(|c| (c, PROVIDER_ANCHOR));
    for (case, anchor) in resource_cases.chain(provider_cases) {
        tf.write("main.tf", pipeline_hcl(&case.attrs));
        let out = plan(&tf, &endpoint);
        failures.extend(refusal_problems(&case, anchor, &out));
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n\n"));
    assert_eq!(
        proxy.total(),
        0,
        "bad input made AWS calls: {:?}",
        proxy.counts()
    );
}

/// Inputs near the rules that AWS takes: each plans, offline, and only an undocumented
/// `$context` variable warns (API Gateway adds variables over time).
#[test]
fn unknown_format_variables_warn_and_valid_edges_plan() {
    let tf = TfDir::new();
    let proxy = Proxy::start(ProxyConfig::new());
    let endpoint = proxy.endpoint();
    tf.write("main.tf", pipeline_hcl(&valid()));
    tf.init().success();
    let extra = |extra| Attrs { extra, ..valid() };
    let s3 = |s3_extra| Attrs {
        s3_extra,
        ..valid()
    };
    // (what, configuration, warnings wanted: empty for none at all)
    let cases: Vec<(&str, Attrs, &[&str])> = vec![
        (
            "a near miss of a documented variable",
            extra(
                Block::object().string("format", "$context.requestId $context.identity.sourceIP"),
            ),
            &[
                "Warning: Unknown access log variable",
                "format: $context.identity.sourceIP is not in API Gateway's list of access-logging variables",
                "Did you mean $context.identity.sourceIp?",
            ],
        ),
        (
            "a variable nothing is near",
            extra(Block::object().string("format", "$context.requestId $context.quantumFlux")),
            &["format: $context.quantumFlux is not in API Gateway's list"],
        ),
        (
            "the CLF preset",
            extra(Block::object().expr("format", "provider::apigw::log_format(\"clf\")")),
            &[],
        ),
        (
            "the JSON preset",
            extra(Block::object().expr("format", "provider::apigw::log_format(\"json\")")),
            &[],
        ),
        (
            "the XML preset",
            extra(Block::object().expr("format", "provider::apigw::log_format(\"xml\")")),
            &[],
        ),
        (
            "the CSV preset",
            extra(Block::object().expr("format", "provider::apigw::log_format(\"csv\")")),
            &[],
        ),
        (
            "a format ending in a newline",
            extra(Block::object().string(
                "format",
                "$context.requestId $context.authorizer.claims.sub\n",
            )),
            &[],
        ),
        (
            // Sent as written: with the default newline it would be a byte over (its own
            // refusal is a unit test of plan.rs).
            "a format of exactly 3 KB",
            extra(
                Block::object()
                    .string(
                        "format",
                        &format!("$context.requestId {}", "x".repeat(3053)),
                    )
                    .expr("append_newline", "false"),
            ),
            &[],
        ),
        (
            "a legacy us-east-1 bucket name, with uppercase letters and an underscore",
            Attrs {
                bucket_arn: "arn:aws:s3:::Central_Access_Logs",
                ..valid()
            },
            &[],
        ),
        (
            "an error prefix with expressions and a plain prefix",
            s3(Block::object().string(
                "error_output_prefix",
                "errors/!{firehose:error-output-type}/!{timestamp:yyyy}/",
            )),
            &[],
        ),
        (
            "a random string in the prefix",
            s3(Block::object()
                .string(
                    "prefix",
                    "!{firehose:random-string}/logs/!{timestamp:yyyy/MM/dd}/",
                )
                .string("error_output_prefix", "errors/")),
            &[],
        ),
        (
            "a multi-Region KMS key",
            s3(Block::object().string(
                "kms_key_arn",
                "arn:aws:kms:us-east-1:123456789012:key/mrk-1234abcd12ab34cd56ef1234567890ab",
            )),
            &[],
        ),
        (
            "forty-eight tags and Unicode",
            extra(
                Block::object().map(
                    "tags",
                    numbered_tags("t", 47)
                        .into_iter()
                        .chain([("Kostenstelle ü".to_owned(), "a / b @ c".to_owned())]),
                ),
            ),
            &[],
        ),
        (
            "a percent sign with a role and a log group of one's own",
            extra(
                Block::object()
                    .string("role_arn", "arn:aws:iam::123456789012:role/logs")
                    .map("tags", [("share", "50%")])
                    .map("error_logging", [("log_group_name", "/my/errors")]),
            ),
            &[],
        ),
    ];
    let mut failures = Vec::new();
    for (what, attrs, warnings) in cases {
        tf.write("main.tf", pipeline_hcl(&attrs));
        let out = plan(&tf, &endpoint);
        let text = squash(&format!("{}\n{}", out.stdout, out.stderr));
        if !out.status.success() {
            failures.push(format!("{what}: plan failed:\n{}", out.stderr));
            continue;
        }
        if warnings.is_empty() && text.contains("Warning:") {
            failures.push(format!("{what}: unexpected warning:\n{text}"));
        }
        for w in warnings {
            if !text.contains(&squash(w)) {
                failures.push(format!("{what}: output lacks {w:?}:\n{text}"));
            }
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n\n"));
    assert_eq!(
        proxy.total(),
        0,
        "planning made AWS calls: {:?}",
        proxy.counts()
    );
}

#[test]
fn values_of_the_wrong_type_are_refused_by_terraform_before_the_provider() {
    let tf = TfDir::new();
    let endpoint = dead_endpoint();
    tf.write("main.tf", pipeline_hcl(&valid()));
    tf.init().success();
    let cases = [
        (
            Attrs {
                extra: Block::object().string("enabled", "maybe"),
                ..valid()
            },
            "Inappropriate value for attribute \"enabled\": a bool is required.",
        ),
        (
            Attrs {
                s3_extra: Block::object().string("buffering_size_mib", "five"),
                ..valid()
            },
            "Inappropriate value for attribute \"s3\": a number is required.",
        ),
        (
            Attrs {
                extra: Block::object().expr("tags", "[\"a\"]"),
                ..valid()
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
