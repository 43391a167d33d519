//! What tests make and check in AWS through the SDK: REST APIs and stages, buckets, streams,
//! and what a provider run left behind.

use aws_sdk_apigateway::types::{Op, PatchOperation};

use crate::*;

impl Aws {
    /// Creates a REST API with a mocked `GET /` and deploys it to `stage`; returns the API id.
    pub async fn rest_api_with_stage(&self, name: &str, stage: &str) -> String {
        let gw = &self.apigateway;
        let api = gw
            .create_rest_api()
            .name(unique_name(name))
            .send()
            .await
            .expect("create_rest_api");
        let api_id = api.id().expect("REST API id").to_owned();
        self.register_rest_api(&api_id);
        let resources = gw
            .get_resources()
            .rest_api_id(&api_id)
            .send()
            .await
            .expect("get_resources");
        let root = resources
            .items()
            .iter()
            .find(|r| r.path() == Some("/"))
            .and_then(|r| r.id())
            .expect("root resource")
            .to_owned();
        gw.put_method()
            .rest_api_id(&api_id)
            .resource_id(&root)
            .http_method("GET")
            .authorization_type("NONE")
            .send()
            .await
            .expect("put_method");
        gw.put_integration()
            .rest_api_id(&api_id)
            .resource_id(&root)
            .http_method("GET")
            .r#type(aws_sdk_apigateway::types::IntegrationType::Mock)
            .request_templates("application/json", "{\"statusCode\": 200}")
            .send()
            .await
            .expect("put_integration");
        gw.put_method_response()
            .rest_api_id(&api_id)
            .resource_id(&root)
            .http_method("GET")
            .status_code("200")
            .send()
            .await
            .expect("put_method_response");
        gw.put_integration_response()
            .rest_api_id(&api_id)
            .resource_id(&root)
            .http_method("GET")
            .status_code("200")
            .send()
            .await
            .expect("put_integration_response");
        gw.create_deployment()
            .rest_api_id(&api_id)
            .stage_name(stage)
            .send()
            .await
            .expect("create_deployment");
        api_id
    }

    /// Points the stage's access logs at `destination_arn` with `format` (UpdateStage).
    pub async fn set_stage_access_log(
        &self,
        api_id: &str,
        stage: &str,
        destination_arn: &str,
        format: &str,
    ) {
        let replace = |path: &str, value: &str| {
            PatchOperation::builder()
                .op(Op::Replace)
                .path(path)
                .value(value)
                .build()
        };
        self.apigateway
            .update_stage()
            .rest_api_id(api_id)
            .stage_name(stage)
            .patch_operations(replace(
                "/accessLogSettings/destinationArn",
                destination_arn,
            ))
            .patch_operations(replace("/accessLogSettings/format", format))
            .send()
            .await
            .expect("update_stage");
    }

    /// Creates an S3 bucket and returns its name: `name` itself against the emulator (in
    /// us-east-1, no location constraint), `name` with a unique suffix in the configured
    /// region against real AWS, registered for cleanup.
    pub async fn create_bucket(&self, name: &str) -> String {
        let name = unique_name(name);
        let mut request = self.s3.create_bucket().bucket(&name);
        if let Some(constraint) = bucket_location_constraint(&self.s3) {
            request = request.create_bucket_configuration(
                aws_sdk_s3::types::CreateBucketConfiguration::builder()
                    .location_constraint(constraint)
                    .build(),
            );
        }
        request
            .send()
            .await
            .unwrap_or_else(|e| panic!("create_bucket {name}: {e:?}"));
        self.register_bucket(&name);
        name
    }
}

/// Decodes `%XX` escapes (RFC 3986; `+` stays `+`), as IAM returns policy documents.
pub fn percent_decode(text: &str) -> String {
    percent_encoding::percent_decode_str(text)
        .decode_utf8_lossy()
        .into_owned()
}

/// Parses an IAM policy document, URL-encoded (as AWS and moto return it) or not.
pub fn parse_policy(document: &str) -> serde_json::Value {
    let text = if document.trim_start().starts_with('{') {
        document.to_owned()
    } else {
        percent_decode(document)
    };
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("policy is not JSON ({e}): {text}"))
}

/// Read-only views of emulated AWS objects, for assertions.
impl Aws {
    async fn get_stage(
        &self,
        api_id: &str,
        stage: &str,
    ) -> aws_sdk_apigateway::operation::get_stage::GetStageOutput {
        self.apigateway
            .get_stage()
            .rest_api_id(api_id)
            .stage_name(stage)
            .send()
            .await
            .unwrap_or_else(|e| panic!("get_stage {api_id}/{stage}: {e:?}"))
    }

    /// The stage's access-log settings as `(destination_arn, format)`; `None` when logging is off.
    pub async fn stage_access_log(&self, api_id: &str, stage: &str) -> Option<(String, String)> {
        let out = self.get_stage(api_id, stage).await;
        let settings = out.access_log_settings()?;
        let destination = settings.destination_arn().filter(|d| !d.is_empty())?;
        Some((
            destination.to_owned(),
            settings.format().unwrap_or_default().to_owned(),
        ))
    }

    /// The tags of stage `stage` of REST API `api_id`, the provider's own among them.
    pub async fn stage_tags(
        &self,
        api_id: &str,
        stage: &str,
    ) -> std::collections::BTreeMap<String, String> {
        let out = self.get_stage(api_id, stage).await;
        out.tags()
            .map(|t| t.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
            .unwrap_or_default()
    }

    /// An IAM role `role` that Firehose may assume, made by hand as a user would.
    pub async fn firehose_role_made_by_hand(&self, role: &str) {
        self.iam
            .create_role()
            .role_name(role)
            .assume_role_policy_document(
                r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"firehose.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#,
            )
            .send()
            .await
            .expect("create_role");
    }

    /// A Direct PUT stream `stream` to `bucket` with its own role `role`, both made by hand
    /// as a user would, the stream tagged `team = platform`; returns the stream's ARN.
    pub async fn stream_made_by_hand(&self, stream: &str, role: &str, bucket: &str) -> String {
        let account = "123456789012";
        self.firehose_role_made_by_hand(role).await;
        self.firehose
            .create_delivery_stream()
            .delivery_stream_name(stream)
            .extended_s3_destination_configuration(
                aws_sdk_firehose::types::ExtendedS3DestinationConfiguration::builder()
                    .role_arn(format!("arn:aws:iam::{account}:role/{role}"))
                    .bucket_arn(format!("arn:aws:s3:::{bucket}"))
                    .buffering_hints(
                        aws_sdk_firehose::types::BufferingHints::builder()
                            .size_in_mbs(5)
                            .interval_in_seconds(300)
                            .build(),
                    )
                    .compression_format(aws_sdk_firehose::types::CompressionFormat::Gzip)
                    .build()
                    .expect("destination"),
            )
            .tags(
                aws_sdk_firehose::types::Tag::builder()
                    .key("team")
                    .value("platform")
                    .build()
                    .expect("tag"),
            )
            .send()
            .await
            .expect("create_delivery_stream");
        format!("arn:aws:firehose:us-east-1:{account}:deliverystream/{stream}")
    }

    /// The tags of delivery stream `name`, the provider's own among them.
    pub async fn stream_tags(&self, name: &str) -> std::collections::BTreeMap<String, String> {
        let out = self
            .firehose
            .list_tags_for_delivery_stream()
            .delivery_stream_name(name)
            .send()
            .await
            .unwrap_or_else(|e| panic!("list_tags_for_delivery_stream {name}: {e:?}"));
        out.tags()
            .iter()
            .map(|t| (t.key().to_owned(), t.value().unwrap_or_default().to_owned()))
            .collect()
    }

    /// Names of every Firehose delivery stream.
    pub async fn delivery_stream_names(&self) -> Vec<String> {
        let out = self
            .firehose
            .list_delivery_streams()
            .limit(10000)
            .send()
            .await
            .expect("list_delivery_streams");
        out.delivery_stream_names().to_vec()
    }

    /// Names of every IAM role but the services' own (service-linked) roles.
    pub async fn role_names(&self) -> Vec<String> {
        let out = self
            .iam
            .list_roles()
            .max_items(1000)
            .send()
            .await
            .expect("list_roles");
        // Service-linked roles are the services' own (API Gateway makes one the first time a
        // stage logs to Firehose, and the realism proxy does too): never the provider's.
        out.roles()
            .iter()
            .filter(|r| !r.path().starts_with("/aws-service-role/"))
            .map(|r| r.role_name().to_owned())
            .collect()
    }
}

// ---------------------------------------------------------------------------------------------
// Real AWS (opt-in), fixture cleanup, and terraform with standard input.
// ---------------------------------------------------------------------------------------------

/// Every Glue table (as `database.table`) that carries the provider's owner parameter.
pub async fn owned_glue_tables(aws: &Aws) -> Vec<String> {
    let mut found = Vec::new();
    let databases = aws
        .glue
        .get_databases()
        .send()
        .await
        .expect("get_databases");
    for db in databases.database_list() {
        let tables = aws
            .glue
            .get_tables()
            .database_name(db.name())
            .send()
            .await
            .expect("get_tables");
        for t in tables.table_list() {
            let owned = t.parameters().is_some_and(|p| {
                p.contains_key("terraform-provider-apigw:pipeline")
                    || p.contains_key("terraform-provider-apigw:stream")
            });
            if owned {
                found.push(format!("{}.{}", db.name(), t.name()));
            }
        }
    }
    found
}

/// Every delivery stream, and every role named like the provider's own, in the emulator.
pub fn leftovers(aws: &Aws) -> (Vec<String>, Vec<String>) {
    block_on(async {
        let streams = aws.delivery_stream_names().await;
        let roles = aws
            .role_names()
            .await
            .into_iter()
            .filter(|r| r.starts_with("apigw-logs-"))
            .collect();
        (streams, roles)
    })
}

/// Whether `text` says `wanted`, whatever the line wrapping (terraform wraps diagnostics).
#[track_caller]
pub fn assert_contains(text: &str, wanted: &str) {
    let flat = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        flat(text).contains(&flat(wanted)),
        "output lacks {wanted:?}:\n{text}"
    );
}

/// The log groups named like the ones the provider makes for its streams' error logging
/// (`/aws/kinesisfirehose/amazon-apigateway-...`).
pub fn log_group_leftovers(aws: &Aws) -> Vec<String> {
    block_on(aws.log_group_names("/aws/kinesisfirehose/amazon-apigateway-"))
}

impl Aws {
    /// Names of the log groups whose names start with `prefix`.
    pub async fn log_group_names(&self, prefix: &str) -> Vec<String> {
        let mut names = Vec::new();
        let mut token = None;
        loop {
            let out = self
                .logs
                .describe_log_groups()
                .log_group_name_prefix(prefix)
                .set_next_token(token)
                .send()
                .await
                .expect("describe_log_groups");
            names.extend(
                out.log_groups()
                    .iter()
                    .filter_map(|g| g.log_group_name().map(str::to_owned)),
            );
            token = out.next_token().map(str::to_owned);
            if token.is_none() {
                return names;
            }
        }
    }

    /// The tags of log group `name`.
    pub async fn log_group_tags(&self, name: &str) -> std::collections::BTreeMap<String, String> {
        let out = self
            .logs
            .describe_log_groups()
            .log_group_name_prefix(name)
            .send()
            .await
            .expect("describe_log_groups");
        let group = out
            .log_groups()
            .iter()
            .find(|g| g.log_group_name() == Some(name))
            .unwrap_or_else(|| panic!("no log group {name}"));
        let arn = group
            .log_group_arn()
            .map(str::to_owned)
            .or_else(|| group.arn().map(|a| a.trim_end_matches(":*").to_owned()))
            .expect("the log group's ARN");
        let out = self
            .logs
            .list_tags_for_resource()
            .resource_arn(&arn)
            .send()
            .await
            .unwrap_or_else(|e| panic!("list_tags_for_resource {arn}: {e:?}"));
        out.tags()
            .map(|t| t.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
            .unwrap_or_default()
    }

    /// Names of the log streams of log group `group`.
    pub async fn log_stream_names(&self, group: &str) -> Vec<String> {
        let out = self
            .logs
            .describe_log_streams()
            .log_group_name(group)
            .send()
            .await
            .unwrap_or_else(|e| panic!("describe_log_streams {group}: {e:?}"));
        out.log_streams()
            .iter()
            .filter_map(|s| s.log_stream_name().map(str::to_owned))
            .collect()
    }
}

/// Fails the test if any delivery stream, provider-made role or provider-named log group is
/// left in the emulator.
#[track_caller]
pub fn assert_nothing_left(aws: &Aws) {
    let (streams, roles) = leftovers(aws);
    let tables = block_on(owned_glue_tables(aws));
    let groups = log_group_leftovers(aws);
    assert!(
        streams.is_empty() && roles.is_empty() && tables.is_empty() && groups.is_empty(),
        "left behind: streams {streams:?}, roles {roles:?}, Glue tables {tables:?}, log groups {groups:?}"
    );
}

impl Aws {
    /// Every object of `bucket` (the first 1,000 keys), with its body, GZIP objects unpacked.
    pub async fn bucket_objects(&self, bucket: &str) -> Vec<(String, String)> {
        use std::io::Read as _;
        let listed = self
            .s3
            .list_objects_v2()
            .bucket(bucket)
            .send()
            .await
            .expect("list_objects_v2");
        let mut found = Vec::new();
        for key in listed.contents().iter().filter_map(|o| o.key()) {
            let got = self.s3.get_object().bucket(bucket).key(key).send().await;
            let bytes = got.expect("get_object").body.collect().await.unwrap();
            let bytes = bytes.into_bytes();
            let mut text = String::new();
            if key.ends_with(".gz") {
                flate2::read::GzDecoder::new(&bytes[..])
                    .read_to_string(&mut text)
                    .expect("a GZIP object");
            } else {
                text = String::from_utf8_lossy(&bytes).into_owned();
            }
            found.push((key.to_owned(), text));
        }
        found
    }
}
