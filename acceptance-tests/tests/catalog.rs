//! The `catalog` attribute through the real terraform CLI: the Glue table the provider makes
//! for each preset, read back from the emulator with the SDK; drift seen and repaired; a table
//! of that name not the provider's refused; bad input refused at plan without AWS calls; and
//! Parquet conversion as the stream reports it.

use std::collections::BTreeMap;

use acceptance_tests::proxy::{Proxy, ProxyConfig};
use acceptance_tests::{
    Block, TfDir, assert_contains, assert_nothing_left, aws, block_on, config, contract_proxy,
    pipeline, pipeline_to, real_aws, s3,
};
use aws_sdk_glue::types::{DatabaseInput, TableInput};

const ADDR: &str = "apigw_access_log_pipeline.x";
const OWNER: &str = "terraform-provider-apigw:pipeline";

/// The fixtures of one test: a stage, a bucket and a Glue database (made through the SDK).
struct Fixture {
    tf: TfDir,
    api: String,
    bucket: String,
    database: String,
}

impl Fixture {
    fn new(name: &str) -> Fixture {
        let tf = TfDir::new();
        let (api, bucket, database) = block_on(async {
            let aws = aws().await;
            let bucket = aws.create_bucket(&format!("{name}-logs")).await;
            let api = aws
                .rest_api_with_stage(&format!("{name}-api"), "prod")
                .await;
            let database = acceptance_tests::unique_name(&format!("{name}_db"))
                .to_lowercase()
                .replace('-', "_");
            aws.glue
                .create_database()
                .database_input(DatabaseInput::builder().name(&database).build().unwrap())
                .send()
                .await
                .expect("create_database");
            (api, bucket, database)
        });
        Fixture {
            tf,
            api,
            bucket,
            database,
        }
    }

    /// Writes the pipeline with `extra` inside it (its `catalog` and more).
    fn write(&self, extra: Block) {
        let bucket_arn = format!("arn:aws:s3:::{}", self.bucket);
        let hcl = config(&[pipeline("x", &self.api, "prod", &bucket_arn).with(extra)]);
        self.tf.write("main.tf", hcl);
    }

    /// `catalog = { database, table }` in this fixture's database, as extra attributes.
    fn catalog(&self, table: &str) -> Block {
        Block::object().object_attr("catalog", catalog(&self.database, table))
    }

    fn stream(&self) -> String {
        format!("amazon-apigateway-{}-prod", self.api)
    }

    fn table(&self, name: &str) -> Option<aws_sdk_glue::types::Table> {
        block_on(async {
            let aws = aws().await;
            match aws
                .glue
                .get_table()
                .database_name(&self.database)
                .name(name)
                .send()
                .await
            {
                Ok(out) => out.table().cloned(),
                Err(e)
                    if e.as_service_error()
                        .is_some_and(|s| s.is_entity_not_found_exception()) =>
                {
                    None
                }
                Err(e) => panic!("get_table: {e:?}"),
            }
        })
    }

    fn drop_database(&self) {
        block_on(async {
            let aws = aws().await;
            let _ = aws.glue.delete_database().name(&self.database).send().await;
        });
    }
}

fn skipped_on_real_aws() -> bool {
    if real_aws() {
        eprintln!("skipped: these tests make Glue databases of their own in the emulator");
    }
    real_aws()
}

/// The object of `catalog = { database, table }`, to extend (`parquet`).
fn catalog(database: &str, table: &str) -> Block {
    Block::object()
        .string("database", database)
        .string("table", table)
}

/// An `s3` object Parquet conversion accepts: uncompressed, buffering 64 MiB.
fn parquet_s3(bucket_arn: &str) -> Block {
    s3(bucket_arn)
        .string("compression", "UNCOMPRESSED")
        .expr("buffering_size_mib", "64")
}

fn parameters(t: &aws_sdk_glue::types::Table) -> BTreeMap<String, String> {
    t.parameters()
        .map(|p| p.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
        .unwrap_or_default()
}

fn columns(t: &aws_sdk_glue::types::Table) -> Vec<(String, String, String)> {
    t.storage_descriptor()
        .map(|sd| {
            sd.columns()
                .iter()
                .map(|c| {
                    (
                        c.name().to_owned(),
                        c.r#type().unwrap_or_default().to_owned(),
                        c.comment().unwrap_or_default().to_owned(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

fn serde(t: &aws_sdk_glue::types::Table) -> (String, BTreeMap<String, String>) {
    let info = t.storage_descriptor().and_then(|sd| sd.serde_info());
    (
        info.and_then(|i| i.serialization_library())
            .unwrap_or_default()
            .to_owned(),
        info.and_then(|i| i.parameters())
            .map(|p| p.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
            .unwrap_or_default(),
    )
}

fn no_breaches() {
    let breaches = contract_proxy().breaches();
    assert!(breaches.is_empty(), "contract breaches: {breaches:?}");
}

/// For each preset the table is as spec'd: one string column per field with its variable as
/// comment, the SerDe of the layout, partition projection on `dt` over the default layout; a
/// re-plan after each apply is empty; a format change updates the table in place; destroy
/// deletes the table and leaves the database.
#[test]
fn each_preset_gets_its_table_and_destroy_deletes_it() {
    if skipped_on_real_aws() {
        return;
    }
    let f = Fixture::new("catalog-presets");
    let cases = [
        (
            "json",
            "org.openx.data.jsonserde.JsonSerDe",
            "json",
            "requestid",
        ),
        (
            "clf",
            "org.apache.hadoop.hive.serde2.RegexSerDe",
            "text",
            "identity_source_ip",
        ),
        (
            "csv",
            "org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe",
            "csv",
            "identity_source_ip",
        ),
        (
            "xml",
            "org.apache.hadoop.hive.serde2.RegexSerDe",
            "text",
            "request_id",
        ),
    ];
    for (i, (preset, library, classification, first)) in cases.iter().enumerate() {
        let format = format!("provider::apigw::log_format(\"{preset}\")");
        f.write(
            Block::object()
                .expr("format", &format)
                .with(f.catalog("access_logs")),
        );
        if i == 0 {
            f.tf.init().success();
        }
        f.tf.apply().success();
        let t = f.table("access_logs").expect("the table exists");
        let p = parameters(&t);
        assert_eq!(t.table_type(), Some("EXTERNAL_TABLE"), "{preset}");
        assert_eq!(p["classification"], *classification, "{preset}");
        assert_eq!(p["projection.enabled"], "true");
        assert_eq!(p["projection.dt.type"], "date");
        assert_eq!(p["projection.dt.format"], "yyyy/MM/dd/HH");
        assert_eq!(p["projection.dt.interval"], "1");
        assert_eq!(p["projection.dt.interval.unit"], "HOURS");
        assert!(p["projection.dt.range"].ends_with(",NOW"), "{p:?}");
        assert_eq!(
            p["storage.location.template"],
            format!("s3://{}/${{dt}}/", f.bucket)
        );
        let state = f.tf.state_resource(ADDR);
        assert_eq!(p[OWNER], state["pipeline_id"].as_str().unwrap());
        assert_eq!(
            state["catalog"]["table_arn"],
            format!(
                "arn:aws:glue:us-east-1:123456789012:table/{}/access_logs",
                f.database
            )
        );
        let cols = columns(&t);
        assert_eq!(cols.len(), 10, "{preset}: {cols:?}");
        assert_eq!(cols[0].0, *first, "{preset}: {cols:?}");
        assert!(
            cols.iter()
                .all(|c| c.1 == "string" && c.2.starts_with("$context.")),
            "{cols:?}"
        );
        let keys: Vec<_> = t
            .partition_keys()
            .iter()
            .map(|k| (k.name(), k.r#type()))
            .collect();
        assert_eq!(keys, [("dt", Some("string"))]);
        let (lib, sp) = serde(&t);
        assert_eq!(lib, *library, "{preset}");
        match *preset {
            "csv" => assert_eq!(sp["field.delim"], ","),
            "clf" | "xml" => assert!(sp["input.regex"].contains("(.*?)"), "{sp:?}"),
            _ => {}
        }
        assert_eq!(
            t.storage_descriptor().and_then(|s| s.location()),
            Some(format!("s3://{}/", f.bucket).as_str())
        );
        f.tf.assert_plan_empty();
    }
    f.tf.destroy().success();
    assert!(
        f.table("access_logs").is_none(),
        "destroy deletes the table"
    );
    block_on(async {
        let aws = aws().await;
        aws.glue
            .get_database()
            .name(&f.database)
            .send()
            .await
            .expect("destroy leaves the database");
    });
    assert_nothing_left(&block_on(aws()));
    f.drop_database();
    no_breaches();
}

/// A column removed outside Terraform and a table deleted outside Terraform both show in the
/// plan (`table_arn` reads null) and the apply puts the table back as derived.
#[test]
fn drift_on_the_table_is_seen_and_repaired() {
    if skipped_on_real_aws() {
        return;
    }
    let f = Fixture::new("catalog-drift");
    f.write(f.catalog("drifting"));
    f.tf.init().success();
    f.tf.apply().success();
    let made = f.table("drifting").expect("made");
    let range = parameters(&made)["projection.dt.range"].clone();

    // A column removed by hand.
    block_on(async {
        let aws = aws().await;
        let sd = made.storage_descriptor().unwrap();
        let fewer: Vec<_> = sd.columns()[1..].to_vec();
        let sd = aws_sdk_glue::types::StorageDescriptor::builder()
            .set_columns(Some(fewer))
            .set_location(sd.location().map(str::to_owned))
            .set_input_format(sd.input_format().map(str::to_owned))
            .set_output_format(sd.output_format().map(str::to_owned))
            .set_serde_info(sd.serde_info().cloned())
            .build();
        let input = TableInput::builder()
            .name("drifting")
            .table_type("EXTERNAL_TABLE")
            .set_parameters(made.parameters().cloned())
            .set_partition_keys(Some(made.partition_keys().to_vec()))
            .storage_descriptor(sd)
            .build()
            .unwrap();
        aws.glue
            .update_table()
            .database_name(&f.database)
            .table_input(input)
            .send()
            .await
            .expect("update_table");
    });
    assert_eq!(f.tf.plan_detailed_exitcode(), 2, "the removed column shows");
    f.tf.apply().success();
    let repaired = f.table("drifting").unwrap();
    assert_eq!(columns(&repaired), columns(&made));
    assert_eq!(
        parameters(&repaired)["projection.dt.range"],
        range,
        "the range start is kept"
    );
    f.tf.assert_plan_empty();

    // The table deleted by hand.
    block_on(async {
        let aws = aws().await;
        aws.glue
            .delete_table()
            .database_name(&f.database)
            .name("drifting")
            .send()
            .await
            .expect("delete_table");
    });
    assert_eq!(f.tf.plan_detailed_exitcode(), 2, "the missing table shows");
    f.tf.apply().success();
    assert_eq!(
        columns(&f.table("drifting").expect("made again")),
        columns(&made)
    );
    f.tf.assert_plan_empty();

    // Moved to another name: the new one is made, the old one deleted.
    f.write(f.catalog("moved"));
    f.tf.apply().success();
    assert!(f.table("moved").is_some());
    assert!(f.table("drifting").is_none(), "the old table is deleted");
    f.tf.assert_plan_empty();

    f.tf.destroy().success();
    assert_nothing_left(&block_on(aws()));
    f.drop_database();
    no_breaches();
}

/// A table of that name not made by the provider is refused, naming catalog.table, and left
/// exactly as it was; nothing the failed create made stays behind.
#[test]
fn a_table_that_is_not_the_providers_is_refused() {
    if skipped_on_real_aws() {
        return;
    }
    let f = Fixture::new("catalog-taken");
    block_on(async {
        let aws = aws().await;
        aws.glue
            .create_table()
            .database_name(&f.database)
            .table_input(TableInput::builder().name("theirs").build().unwrap())
            .send()
            .await
            .expect("create_table");
    });
    f.write(f.catalog("theirs"));
    f.tf.init().success();
    let out = f.tf.apply().failure();
    assert_contains(&out.stderr, "Glue table name taken");
    assert_contains(&out.stderr, "catalog.table");
    let theirs = f.table("theirs").expect("left alone");
    assert!(!parameters(&theirs).contains_key(OWNER));
    assert_nothing_left(&block_on(aws()));

    // Moving a pipeline's table onto theirs is refused too, and the state keeps the table the
    // pipeline has, so destroy still deletes it.
    f.write(f.catalog("ours"));
    f.tf.apply().success();
    assert!(f.table("ours").is_some());
    f.write(f.catalog("theirs"));
    let out = f.tf.apply().failure();
    assert_contains(&out.stderr, "Glue table name taken");
    assert_eq!(f.tf.state_resource(ADDR)["catalog"]["table"], "ours");
    f.tf.destroy().success();
    assert!(f.table("ours").is_none(), "the pipeline's table is deleted");
    let theirs = f.table("theirs").expect("left alone");
    assert!(!parameters(&theirs).contains_key(OWNER));
    assert_nothing_left(&block_on(aws()));
    block_on(async {
        let aws = aws().await;
        let _ = aws
            .glue
            .delete_table()
            .database_name(&f.database)
            .name("theirs")
            .send()
            .await;
    });
    f.drop_database();
}

/// Every bad `catalog` input is refused at plan, naming its attribute, before any AWS call.
#[test]
fn bad_catalog_input_is_refused_at_plan_without_aws_calls() {
    let tf = TfDir::new();
    let proxy = Proxy::start(ProxyConfig::new());
    let endpoint = proxy.endpoint();
    let bucket = "arn:aws:s3:::b";
    let pipeline =
        |s3: Block, extra: Block| config(&[pipeline_to("x", "abc123defg", "prod", s3).with(extra)]);
    let with_catalog = |catalog: Block| Block::object().object_attr("catalog", catalog);
    let db_t = || catalog("db", "t");
    let cases: Vec<(String, &str)> = vec![
        (
            pipeline(s3(bucket), with_catalog(catalog("db", "Access-Logs"))),
            "catalog.table",
        ),
        (
            pipeline(s3(bucket), with_catalog(catalog("Db", "t"))),
            "catalog.database",
        ),
        (
            pipeline(
                parquet_s3(bucket),
                Block::object()
                    .expr("format", "provider::apigw::log_format(\"clf\")")
                    .with(with_catalog(db_t().expr("parquet", "true"))),
            ),
            "catalog.parquet",
        ),
        (
            pipeline(s3(bucket), with_catalog(db_t().expr("parquet", "true"))),
            "s3.compression",
        ),
        (
            pipeline(s3(bucket), with_catalog(db_t().expr("parquet", "true"))),
            "s3.buffering_size_mib",
        ),
        (
            pipeline(
                parquet_s3(bucket)
                    .string("prefix", "logs/!{firehose:random-string}/")
                    .string("error_output_prefix", "e/!{firehose:error-output-type}/"),
                with_catalog(db_t()),
            ),
            "s3.prefix",
        ),
        (
            pipeline(
                s3(bucket),
                Block::object()
                    .string(
                        "format",
                        r#"{"requestId":"$context.requestId","who":{"ip":"$context.identity.sourceIp"}}"#,
                    )
                    .with(with_catalog(db_t())),
            ),
            "format",
        ),
        (
            pipeline(
                s3(bucket),
                Block::object()
                    .string("format", "$context.requestId$context.status")
                    .with(with_catalog(db_t())),
            ),
            "format",
        ),
    ];
    tf.write("main.tf", pipeline(s3(bucket), Block::object()));
    tf.init().success();
    let mut problems = Vec::new();
    for (hcl, attribute) in &cases {
        tf.write("main.tf", hcl);
        let out = tf.tf_env(
            &["plan", "-input=false", "-no-color"],
            &[("AWS_ENDPOINT_URL", &endpoint)],
        );
        let flat = out.stderr.split_whitespace().collect::<Vec<_>>().join(" ");
        if out.status.success() || !flat.contains(&format!("{attribute}:")) {
            problems.push(format!(
                "{attribute}: expected a refusal naming it\n{hcl}\n{}",
                out.stderr
            ));
        }
    }
    assert!(problems.is_empty(), "\n{}", problems.join("\n\n"));
    assert_eq!(
        proxy.total(),
        0,
        "bad input made AWS calls: {:?}",
        proxy.counts()
    );
}

/// With `parquet`, the stream converts against the table: its DataFormatConversionConfiguration
/// as moto reports it names the table, the database and the stream's role; the table is
/// Parquet; the owned role may read the table's schema; a re-plan is empty; import reads the
/// table into `catalog`.
#[test]
fn parquet_conversion_names_the_table_and_the_role() {
    if skipped_on_real_aws() {
        return;
    }
    let f = Fixture::new("catalog-parquet");
    let bucket_arn = format!("arn:aws:s3:::{}", f.bucket);
    let parquet = catalog(&f.database, "parquet_logs").expr("parquet", "true");
    let hcl =
        config(&[pipeline_to("x", &f.api, "prod", parquet_s3(&bucket_arn))
            .object_attr("catalog", parquet)]);
    f.tf.write("main.tf", hcl);
    f.tf.init().success();
    f.tf.apply().success();
    let state = f.tf.state_resource(ADDR);
    let role = state["role_arn"].as_str().unwrap().to_owned();
    let (schema, enabled) = block_on(async {
        let aws = aws().await;
        let out = aws
            .firehose
            .describe_delivery_stream()
            .delivery_stream_name(f.stream())
            .send()
            .await
            .expect("describe_delivery_stream");
        let d = out.delivery_stream_description().unwrap();
        let s3 = d.destinations()[0]
            .extended_s3_destination_description()
            .unwrap();
        let conversion = s3
            .data_format_conversion_configuration()
            .expect("a format conversion")
            .clone();
        let schema = conversion.schema_configuration().unwrap().clone();
        (schema, conversion.enabled())
    });
    assert_ne!(enabled, Some(false));
    assert_eq!(schema.database_name(), Some(f.database.as_str()));
    assert_eq!(schema.table_name(), Some("parquet_logs"));
    assert_eq!(schema.role_arn(), Some(role.as_str()));
    let t = f.table("parquet_logs").expect("the table");
    assert_eq!(parameters(&t)["classification"], "parquet");
    assert_eq!(
        serde(&t).0,
        "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"
    );
    let policy = block_on(async {
        let aws = aws().await;
        let name = role.rsplit('/').next().unwrap();
        let out = aws
            .iam
            .get_role_policy()
            .role_name(name)
            .policy_name("firehose-delivery-to-s3")
            .send()
            .await
            .expect("get_role_policy");
        acceptance_tests::parse_policy(out.policy_document())
    });
    let text = policy.to_string();
    assert!(text.contains("glue:GetTableVersions"), "{text}");
    assert!(
        text.contains(&format!("table/{}/parquet_logs", f.database)),
        "{text}"
    );
    f.tf.assert_plan_empty();

    // Import reads the table the stream converts against into `catalog`.
    let before = f.tf.state_resource(ADDR)["catalog"].clone();
    f.tf.tf(&["state", "rm", ADDR]).success();
    f.tf.tf(&[
        "import",
        "-input=false",
        "-no-color",
        ADDR,
        &format!("{}/prod", f.api),
    ])
    .success();
    assert_eq!(f.tf.state_resource(ADDR)["catalog"], before);

    f.tf.destroy().success();
    assert!(f.table("parquet_logs").is_none());
    assert_nothing_left(&block_on(aws()));
    f.drop_database();
    no_breaches();
}
