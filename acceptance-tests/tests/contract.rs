//! The proxy's contract layer: each kind of model rule, broken once per protocol, is refused
//! in that service's own validation-error shape and recorded as a breach; valid requests go
//! through to moto. (S3's XML payloads are decoded too; a document that is not well-formed is
//! left to moto.) Requests are raw HTTP with a SigV4-looking `Authorization` header (the
//! proxy reads the service from its credential scope), since the Rust SDK checks `required`
//! members itself and would never send some of these.

use std::io::{Read as _, Write as _};
use std::net::TcpStream;

use acceptance_tests::proxy::{Outcome, Proxy, ProxyConfig};
use acceptance_tests::{TfDir, aws, aws_endpoint, block_on, contract_proxy, real_aws, serial};

/// The layer fronts the emulator; against a real account AWS itself does this.
fn skipped_on_real_aws() -> bool {
    if real_aws() {
        eprintln!("skipped: the contract layer only fronts the emulator");
    }
    real_aws()
}

/// An answer as the client sees it.
#[derive(Debug)]
struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Reply {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// One HTTP/1.1 request to `endpoint`, signed-looking for `service`.
fn call(
    endpoint: &str,
    service: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> Reply {
    let addr = endpoint.trim_start_matches("http://");
    let mut stream = TcpStream::connect(addr).expect("connecting to the proxy");
    let mut request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\
         Authorization: AWS4-HMAC-SHA256 Credential=testing/20250101/us-east-1/{service}/aws4_request, SignedHeaders=host, Signature=00\r\n\
         X-Amz-Date: 20250101T000000Z\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        request.push_str(&format!("{k}: {v}\r\n"));
    }
    request.push_str("\r\n");
    request.push_str(body);
    stream.write_all(request.as_bytes()).expect("sending");
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).expect("reading the answer");
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|c| c.parse().ok())
        .unwrap_or_else(|| panic!("not an HTTP answer: {text}"));
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        .collect();
    Reply {
        status,
        headers,
        body: body.to_owned(),
    }
}

fn firehose(proxy: &Proxy, operation: &str, body: &str) -> Reply {
    let target = format!("Firehose_20150804.{operation}");
    call(
        &proxy.endpoint(),
        "firehose",
        "POST",
        "/",
        &[
            ("X-Amz-Target", target.as_str()),
            ("Content-Type", "application/x-amz-json-1.1"),
        ],
        body,
    )
}

fn form(proxy: &Proxy, service: &str, body: &str) -> Reply {
    call(
        &proxy.endpoint(),
        service,
        "POST",
        "/",
        &[(
            "Content-Type",
            "application/x-www-form-urlencoded; charset=utf-8",
        )],
        body,
    )
}

/// Asserts a JSON-protocol refusal: status 400, `__type` `kind`, the message containing
/// `wanted`.
#[track_caller]
fn assert_json_error(reply: &Reply, kind: &str, wanted: &str) {
    assert_eq!(reply.status, 400, "{reply:?}");
    let body: serde_json::Value = serde_json::from_str(&reply.body).expect("a JSON error body");
    assert_eq!(body["__type"], kind, "{reply:?}");
    let message = body["message"].as_str().unwrap_or_default();
    assert!(message.contains(wanted), "{message:?} lacks {wanted:?}");
}

/// Asserts that the last breaches the proxy recorded include `rule`.
#[track_caller]
fn assert_breach(proxy: &Proxy, rule: &str) {
    let breaches = proxy.breaches();
    assert!(
        breaches.iter().any(|b| b.rule == rule),
        "no breach {rule:?} in {breaches:#?}"
    );
}

const ROLE: &str = "arn:aws:iam::123456789012:role/firehose";
const BUCKET: &str = "arn:aws:s3:::logs";

fn stream_request(name: &str, extra: &str) -> String {
    format!(
        r#"{{"DeliveryStreamName":"{name}","DeliveryStreamType":"DirectPut",
            "ExtendedS3DestinationConfiguration":{{"RoleARN":"{ROLE}","BucketARN":"{BUCKET}"}}{extra}}}"#
    )
}

#[test]
fn json_protocol_rules_are_refused_with_validation_exception() {
    if skipped_on_real_aws() {
        return;
    }
    let _serial = serial();
    let proxy = Proxy::start(ProxyConfig::new().breaches_expected());

    let missing = firehose(
        &proxy,
        "CreateDeliveryStream",
        r#"{"DeliveryStreamType":"DirectPut"}"#,
    );
    assert_json_error(
        &missing,
        "ValidationException",
        "1 validation error detected: Value null at 'deliveryStreamName' failed to satisfy constraint: Member must not be null",
    );
    assert_eq!(
        missing.header("content-type"),
        Some("application/x-amz-json-1.1")
    );
    assert_breach(
        &proxy,
        "firehose.CreateDeliveryStream.DeliveryStreamName.required",
    );

    let long = "a".repeat(65);
    let reply = firehose(&proxy, "CreateDeliveryStream", &stream_request(&long, ""));
    assert_json_error(
        &reply,
        "ValidationException",
        &format!(
            "Value '{long}' at 'deliveryStreamName' failed to satisfy constraint: Member must have length less than or equal to 64"
        ),
    );
    assert_breach(
        &proxy,
        "firehose.CreateDeliveryStream.DeliveryStreamName.length",
    );

    // A trailing newline breaks the pattern: AWS matches it against the whole value.
    let reply = firehose(
        &proxy,
        "CreateDeliveryStream",
        &stream_request("bad\\n", ""),
    );
    assert_json_error(
        &reply,
        "ValidationException",
        "at 'deliveryStreamName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+",
    );
    assert_breach(
        &proxy,
        "firehose.CreateDeliveryStream.DeliveryStreamName.pattern",
    );

    let reply = firehose(
        &proxy,
        "CreateDeliveryStream",
        &stream_request("ok", "").replace("DirectPut", "Push"),
    );
    assert_json_error(
        &reply,
        "ValidationException",
        "Value 'Push' at 'deliveryStreamType' failed to satisfy constraint: Member must satisfy enum value set: [DirectPut, KinesisStreamAsSource, MSKAsSource, DatabaseAsSource]",
    );
    assert_breach(
        &proxy,
        "firehose.CreateDeliveryStream.DeliveryStreamType.enum",
    );

    // A number out of range, two structures deep.
    let reply = firehose(
        &proxy,
        "CreateDeliveryStream",
        &stream_request("ok", "").replace(
            r#""BucketARN""#,
            r#""BufferingHints":{"SizeInMBs":129},"BucketARN""#,
        ),
    );
    assert_json_error(
        &reply,
        "ValidationException",
        "Value '129' at 'extendedS3DestinationConfiguration.bufferingHints.sizeInMBs' failed to satisfy constraint: Member must have value less than or equal to 128",
    );
    assert_breach(
        &proxy,
        "firehose.CreateDeliveryStream.ExtendedS3DestinationConfiguration.BufferingHints.SizeInMBs.range",
    );

    // A list too long, and a member of a list element too short.
    let tags: Vec<String> = (0..51)
        .map(|i| format!(r#"{{"Key":"k{i}","Value":"v"}}"#))
        .collect();
    let reply = firehose(
        &proxy,
        "CreateDeliveryStream",
        &stream_request("ok", &format!(r#","Tags":[{}]"#, tags.join(","))),
    );
    assert_json_error(
        &reply,
        "ValidationException",
        "at 'tags' failed to satisfy constraint: Member must have length less than or equal to 50",
    );
    assert_breach(&proxy, "firehose.CreateDeliveryStream.Tags.length");
    let reply = firehose(
        &proxy,
        "TagDeliveryStream",
        r#"{"DeliveryStreamName":"ok","Tags":[{"Key":"a","Value":"b"},{"Key":"","Value":"c"}]}"#,
    );
    assert_json_error(
        &reply,
        "ValidationException",
        "Value '' at 'tags.2.member.key' failed to satisfy constraint: Member must have length greater than or equal to 1",
    );
    assert_breach(&proxy, "firehose.TagDeliveryStream.Tags.member.Key.length");

    // The `aws:` prefix reserved by the tag key pattern's look-ahead.
    let reply = firehose(
        &proxy,
        "TagDeliveryStream",
        r#"{"DeliveryStreamName":"ok","Tags":[{"Key":"aws:team","Value":"b"}]}"#,
    );
    assert_json_error(&reply, "ValidationException", "at 'tags.1.member.key'");
    assert_breach(&proxy, "firehose.TagDeliveryStream.Tags.member.Key.pattern");

    // Lengths count characters, not bytes: 256 two-byte letters fit a 256 tag value.
    let fits = "é".repeat(256);
    let before = proxy.breaches().len();
    let reply = firehose(
        &proxy,
        "TagDeliveryStream",
        &format!(r#"{{"DeliveryStreamName":"ok","Tags":[{{"Key":"k","Value":"{fits}"}}]}}"#),
    );
    assert_eq!(
        proxy.breaches().len(),
        before,
        "256 characters refused: {reply:?}"
    );
    let reply = firehose(
        &proxy,
        "TagDeliveryStream",
        &format!(r#"{{"DeliveryStreamName":"ok","Tags":[{{"Key":"k","Value":"{fits}é"}}]}}"#),
    );
    assert_json_error(
        &reply,
        "ValidationException",
        "at 'tags.1.member.value' failed to satisfy constraint: Member must have length less than or equal to 256",
    );

    // The wrong JSON type is refused while the body is read.
    let reply = firehose(
        &proxy,
        "CreateDeliveryStream",
        r#"{"DeliveryStreamName":5}"#,
    );
    assert_json_error(&reply, "SerializationException", "'deliveryStreamName'");
    assert_breach(
        &proxy,
        "firehose.CreateDeliveryStream.DeliveryStreamName.type",
    );
    let reply = firehose(
        &proxy,
        "CreateDeliveryStream",
        &stream_request("ok", r#","Tags":{"Key":"k"}"#),
    );
    assert_json_error(
        &reply,
        "SerializationException",
        "Start of structure or map found where not expected.",
    );

    // Two rules broken at once are both reported.
    let reply = firehose(
        &proxy,
        "CreateDeliveryStream",
        &stream_request("a b", "").replace("DirectPut", "Push"),
    );
    assert_json_error(
        &reply,
        "ValidationException",
        "2 validation errors detected: ",
    );

    // Nothing refused reached moto, and every refusal was counted as a breach.
    let refused = proxy
        .events()
        .iter()
        .filter(|e| e.outcome == Outcome::Breach)
        .count() as u64;
    assert_eq!(refused, proxy.injected().breaches);
    assert_eq!(
        refused,
        proxy.total() - 1,
        "only the fitting tag value went on"
    );
}

#[test]
fn maps_are_checked_key_by_key_in_any_json_service() {
    if skipped_on_real_aws() {
        return;
    }
    let _serial = serial();
    let proxy = Proxy::start(ProxyConfig::new().breaches_expected());
    let long_key = "k".repeat(256);
    let reply = call(
        &proxy.endpoint(),
        "glue",
        "POST",
        "/",
        &[("X-Amz-Target", "AWSGlue.CreateDatabase")],
        &format!(r#"{{"DatabaseInput":{{"Name":"db","Parameters":{{"{long_key}":"v"}}}}}}"#),
    );
    assert_json_error(
        &reply,
        "ValidationException",
        "at 'databaseInput.parameters' failed to satisfy constraint: Map keys must satisfy constraint: [Member must have length less than or equal to 255]",
    );
    assert_breach(
        &proxy,
        "glue.CreateDatabase.DatabaseInput.Parameters.key.length",
    );
}

#[test]
fn rest_json_rules_are_refused_with_api_gateways_bad_request() {
    if skipped_on_real_aws() {
        return;
    }
    let _serial = serial();
    let proxy = Proxy::start(ProxyConfig::new().breaches_expected());
    let endpoint = proxy.endpoint();
    let gateway = |method: &str, path: &str, body: &str| {
        call(
            &endpoint,
            "apigateway",
            method,
            path,
            &[("Content-Type", "application/json")],
            body,
        )
    };
    #[track_caller]
    fn assert_bad_request(reply: &Reply, wanted: &str) {
        assert_eq!(reply.status, 400, "{reply:?}");
        assert_eq!(
            reply.header("x-amzn-errortype"),
            Some("BadRequestException")
        );
        let body: serde_json::Value = serde_json::from_str(&reply.body).expect("JSON");
        let message = body["message"].as_str().unwrap_or_default();
        assert!(message.contains(wanted), "{message:?} lacks {wanted:?}");
    }

    // A required body member.
    let reply = gateway("POST", "/restapis/abc/stages", r#"{"stageName":"prod"}"#);
    assert_bad_request(
        &reply,
        "Value null at 'deploymentId' failed to satisfy constraint: Member must not be null",
    );
    assert_breach(&proxy, "apigateway.CreateStage.deploymentId.required");

    // An enum inside a list element.
    let reply = gateway(
        "PATCH",
        "/restapis/abc/stages/prod",
        r#"{"patchOperations":[{"op":"set","path":"/description","value":"x"}]}"#,
    );
    assert_bad_request(
        &reply,
        "Value 'set' at 'patchOperations.1.member.op' failed to satisfy constraint: Member must satisfy enum value set: [add, remove, replace, move, copy, test]",
    );
    assert_breach(
        &proxy,
        "apigateway.UpdateStage.patchOperations.member.op.enum",
    );

    // A query-string member of the wrong type.
    let reply = gateway("GET", "/restapis?limit=many", "");
    assert_bad_request(&reply, "Value 'many' at 'limit'");
    assert_breach(&proxy, "apigateway.GetRestApis.limit.type");

    // A valid request goes through to moto.
    let reply = gateway("GET", "/restapis?limit=5", "");
    assert_eq!(reply.status, 200, "{reply:?}");
    assert_eq!(proxy.breaches().len(), 3);
}

#[test]
fn query_protocol_rules_are_refused_with_the_validation_error_document() {
    if skipped_on_real_aws() {
        return;
    }
    let _serial = serial();
    let proxy = Proxy::start(ProxyConfig::new().breaches_expected());
    #[track_caller]
    fn assert_validation_error(reply: &Reply, namespace: &str, wanted: &str) {
        assert_eq!(reply.status, 400, "{reply:?}");
        assert!(
            reply
                .body
                .contains(&format!("<ErrorResponse xmlns=\"{namespace}\">")),
            "{reply:?}"
        );
        assert!(reply.body.contains("<Type>Sender</Type>"), "{reply:?}");
        assert!(
            reply.body.contains("<Code>ValidationError</Code>"),
            "{reply:?}"
        );
        assert!(
            reply.body.contains(wanted),
            "{:?} lacks {wanted:?}",
            reply.body
        );
    }
    const IAM: &str = "https://iam.amazonaws.com/doc/2010-05-08/";
    let create_role = |extra: &str| {
        form(
            &proxy,
            "iam",
            &format!("Action=CreateRole&Version=2010-05-08&AssumeRolePolicyDocument=%7B%7D{extra}"),
        )
    };

    let reply = form(
        &proxy,
        "iam",
        "Action=CreateRole&Version=2010-05-08&RoleName=r",
    );
    assert_validation_error(
        &reply,
        IAM,
        "1 validation error detected: Value null at 'assumeRolePolicyDocument' failed to satisfy constraint: Member must not be null",
    );
    assert_breach(&proxy, "iam.CreateRole.AssumeRolePolicyDocument.required");

    let long = "r".repeat(65);
    let reply = create_role(&format!("&RoleName={long}"));
    assert_validation_error(
        &reply,
        IAM,
        &format!(
            "Value '{long}' at 'roleName' failed to satisfy constraint: Member must have length less than or equal to 64"
        ),
    );
    assert_breach(&proxy, "iam.CreateRole.RoleName.length");

    let reply = create_role("&RoleName=my+role");
    assert_validation_error(
        &reply,
        IAM,
        r"Value 'my role' at 'roleName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\w+=,.@-]+",
    );
    assert_breach(&proxy, "iam.CreateRole.RoleName.pattern");

    let tags: String = (1..=51)
        .map(|i| format!("&Tags.member.{i}.Key=k{i}&Tags.member.{i}.Value=v"))
        .collect();
    let reply = create_role(&format!("&RoleName=r{tags}"));
    assert_validation_error(
        &reply,
        IAM,
        "at 'tags' failed to satisfy constraint: Member must have length less than or equal to 50",
    );
    assert_breach(&proxy, "iam.CreateRole.Tags.length");

    let reply = create_role("&RoleName=r&Tags.member.1.Key=a%3Cb&Tags.member.1.Value=v");
    assert_validation_error(&reply, IAM, "Value 'a&lt;b' at 'tags.1.member.key'");
    assert_breach(&proxy, "iam.CreateRole.Tags.member.Key.pattern");

    let reply = form(
        &proxy,
        "iam",
        "Action=ListPolicies&Version=2010-05-08&Scope=Mine",
    );
    assert_validation_error(
        &reply,
        IAM,
        "Value 'Mine' at 'scope' failed to satisfy constraint: Member must satisfy enum value set: [All, AWS, Local]",
    );
    assert_breach(&proxy, "iam.ListPolicies.Scope.enum");

    let reply = form(
        &proxy,
        "sts",
        "Action=AssumeRole&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fr&RoleSessionName=s&DurationSeconds=60",
    );
    assert_validation_error(
        &reply,
        "https://sts.amazonaws.com/doc/2011-06-15/",
        "Value '60' at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to 900",
    );
    assert_breach(&proxy, "sts.AssumeRole.DurationSeconds.range");

    let reply = form(&proxy, "sts", "Action=GetCallerIdentity&Version=2011-06-15");
    assert_eq!(reply.status, 200, "{reply:?}");
    assert!(reply.body.contains("<Account>"), "{reply:?}");
}

#[test]
fn rest_xml_rules_are_refused_with_s3s_invalid_argument() {
    if skipped_on_real_aws() {
        return;
    }
    let _serial = serial();
    let proxy = Proxy::start(ProxyConfig::new().breaches_expected());
    let endpoint = proxy.endpoint();
    #[track_caller]
    fn assert_invalid_argument(reply: &Reply, wanted: &str) {
        assert_eq!(reply.status, 400, "{reply:?}");
        assert!(
            reply.body.contains("<Code>InvalidArgument</Code>"),
            "{reply:?}"
        );
        assert!(
            reply.body.contains(wanted),
            "{:?} lacks {wanted:?}",
            reply.body
        );
    }

    let reply = call(
        &endpoint,
        "s3",
        "PUT",
        "/logs/a/b.txt?x-id=PutObject",
        &[("x-amz-storage-class", "COLD")],
        "abc",
    );
    assert_invalid_argument(&reply, "Value 'COLD' at 'storageClass'");
    assert_breach(&proxy, "s3.PutObject.StorageClass.enum");

    let reply = call(
        &endpoint,
        "s3",
        "GET",
        "/logs?list-type=2&max-keys=ten",
        &[],
        "",
    );
    assert_invalid_argument(&reply, "Value 'ten' at 'maxKeys'");
    assert_breach(&proxy, "s3.ListObjectsV2.MaxKeys.type");

    // A required XML payload, and the members inside one.
    let reply = call(&endpoint, "s3", "PUT", "/logs?tagging", &[], "");
    assert_invalid_argument(&reply, "Value null at 'tagging'");
    assert_breach(&proxy, "s3.PutBucketTagging.Tagging.required");
    let reply = call(
        &endpoint,
        "s3",
        "POST",
        "/logs?delete",
        &[],
        "<Delete><Object><Key>a</Key></Object><Object><VersionId>v</VersionId></Object></Delete>",
    );
    assert_invalid_argument(&reply, "Value null at 'delete.objects.2.member.key'");
    assert_breach(
        &proxy,
        "s3.DeleteObjects.Delete.Objects.member.Key.required",
    );

    // A HEAD answer carries the status only, as S3's do.
    let reply = call(
        &endpoint,
        "s3",
        "HEAD",
        "/logs/a.txt",
        &[("x-amz-checksum-mode", "OFF")],
        "",
    );
    assert_eq!(reply.status, 400, "{reply:?}");
    assert!(reply.body.is_empty(), "{reply:?}");
    assert_breach(&proxy, "s3.HeadObject.ChecksumMode.enum");

    let reply = call(&endpoint, "s3", "GET", "/", &[], "");
    assert_eq!(reply.status, 200, "{reply:?}");
}

#[test]
fn the_layer_can_be_switched_off_and_then_moto_takes_what_aws_refuses() {
    if skipped_on_real_aws() {
        return;
    }
    let _serial = serial();
    let proxy = Proxy::start(ProxyConfig::new().contract(false));
    let reply = firehose(
        &proxy,
        "CreateDeliveryStream",
        &stream_request(&"a".repeat(65), ""),
    );
    assert_ne!(reply.status, 400, "{reply:?}");
    assert!(proxy.breaches().is_empty());
}

#[test]
fn the_fixtures_and_terraform_go_through_the_layer() {
    if skipped_on_real_aws() {
        return;
    }
    let tf = TfDir::new();
    // The fixtures' calls pass the process-wide proxy, whose contract layer is on (a breach
    // there would count in the suite's total, so this call keeps to the rules).
    let layer = contract_proxy();
    let before = layer.count("iam:CreateRole");
    block_on(async {
        aws()
            .await
            .iam
            .create_role()
            .role_name("routed-through-the-layer")
            .assume_role_policy_document("{}")
            .send()
            .await
    })
    .expect("a valid role is created");
    assert_eq!(layer.count("iam:CreateRole"), before + 1);

    let cmd = tf.command(&["version"], &[]);
    let endpoint = cmd
        .get_envs()
        .find(|(k, _)| *k == "AWS_ENDPOINT_URL")
        .and_then(|(_, v)| v)
        .and_then(|v| v.to_str())
        .map(str::to_owned);
    assert_eq!(endpoint, Some(aws_endpoint()));
}
