//! The stream's Glue table: the `catalog` attribute, its plan rules, and the steps that make,
//! read, repair and delete the table derived in `catalog`.
//!
//! The provider owns the table it makes: its parameter named by the owner kind's tag key holds
//! the owner's id (Glue tables take no tags). A table of that name without this owner's id is
//! never changed or deleted; one left by a create that died is adopted, as the role is
//! (`stream::abandoned`).

use std::collections::BTreeMap;

use crate::aws::arn::{Arn, GlueArns};
use crate::aws::clients::AwsClients;
use crate::aws::error::{AwsError, ErrorKind};
use crate::aws::firehose::{FormatConversion, S3Destination};
use crate::aws::glue::{self, GlueColumn, GlueTable};
use crate::plugin::diagnostics::{AttrPath, Diagnostics};
use crate::plugin::schema::{Attribute, Mode};
use crate::plugin::types::Type;
use crate::plugin::value::Value;

use super::catalog::{self, Inputs, TABLE_TYPE, Table};
use super::fields::{CATALOG, S3, catalog as in_catalog, s3 as in_s3};
use super::owner::{Owner, OwnerKind};
use super::stream::abandoned;
use super::{StreamParts, failed, failed_at};
use crate::resources::fields::FORMAT;

/// The smallest buffer Firehose takes with record format conversion: CreateDeliveryStream
/// refuses less with "BufferingHints.SizeInMBs must be at least 64 when data format conversion
/// is enabled." (InvalidArgumentException; quoted in terraform-provider-aws
/// internal/service/firehose/delivery_stream_test.go and enforced by aws-cdk's
/// aws-kinesisfirehose S3Bucket destination).
pub const PARQUET_MIN_BUFFER_MIB: i64 = 64;

/// The `catalog` attribute.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Catalog {
    pub database: String,
    pub table: String,
    pub parquet: bool,
}

impl Catalog {
    /// The attribute, None when absent.
    pub fn from_value(v: &Value) -> Option<Catalog> {
        if v.is_null() || v.is_unknown() {
            return None;
        }
        Some(Catalog {
            database: v
                .attr(in_catalog::DATABASE)
                .as_str()
                .unwrap_or_default()
                .to_owned(),
            table: v
                .attr(in_catalog::TABLE)
                .as_str()
                .unwrap_or_default()
                .to_owned(),
            parquet: v
                .attr(in_catalog::PARQUET)
                .as_bool()
                .unwrap_or(in_catalog::DEFAULT_PARQUET),
        })
    }

    /// The attribute's value, with the table's ARN (null while it is missing or drifted).
    pub fn to_value(&self, table_arn: Option<String>) -> Value {
        Value::object([
            (in_catalog::DATABASE, self.database.as_str().into()),
            (in_catalog::TABLE, self.table.as_str().into()),
            (in_catalog::PARQUET, self.parquet.into()),
            (in_catalog::TABLE_ARN, table_arn.into()),
        ])
    }

    /// Whether the same table is meant (the same database and name).
    pub fn same_table(&self, other: &Catalog) -> bool {
        self.database == other.database && self.table == other.table
    }
}

/// The schema of `catalog`.
pub fn attribute() -> Attribute {
    Attribute::nested(
        CATALOG,
        Mode::Optional,
        "A Glue Data Catalog table describing the delivered logs, with partition projection on their S3 keys, so Athena can query them without a crawler. The provider makes, repairs and deletes the table; never the database.",
        vec![
            Attribute::required(in_catalog::DATABASE, Type::String, "Glue database of the table. It must exist: the provider never makes or deletes databases."),
            Attribute::required(in_catalog::TABLE, Type::String, "Name of the table: lowercase letters, digits and '_', 1 to 255 characters (Athena's rule). A table of that name not made by this resource is refused."),
            Attribute::optional(in_catalog::PARQUET, Type::Bool, "Whether Firehose converts the JSON records to Parquet against this table before writing them (record format conversion). Only for JSON formats; needs s3.compression = \"UNCOMPRESSED\" and s3.buffering_size_mib >= 64.")
                .with_default(in_catalog::DEFAULT_PARQUET),
            Attribute::computed(in_catalog::TABLE_ARN, Type::String, "ARN of the table. Null after the table was deleted or changed outside Terraform, so the plan shows the repair.").use_state_for_unknown(),
        ],
    )
}

/// The derivation's inputs from a stream's settings.
fn inputs<'a>(p: &'a StreamParts, c: &'a Catalog) -> Inputs<'a> {
    Inputs {
        format: &p.format,
        prefix: p.s3.prefix.as_deref(),
        bucket_arn: &p.s3.bucket_arn,
        table: &c.table,
        parquet: c.parquet,
    }
}

/// Plan rules of `catalog`, on whatever is known, with `default_format` for a `format` left
/// out. No AWS call.
pub fn validate(config: &Value, default_format: &str, diags: &mut Diagnostics) {
    let c = config.attr(CATALOG);
    if c.is_null() || c.is_unknown() {
        return;
    }
    let mut refuse = |e: catalog::CatalogError| {
        diags.attr_error(
            &AttrPath::attrs(e.attribute.iter().copied()),
            "No catalog table can describe this",
            e.to_string(),
        )
    };
    if let Some(db) = c.attr(in_catalog::DATABASE).as_str() {
        if let Err(e) = catalog::check_name(db, true) {
            refuse(e);
        }
    }
    let parquet = c
        .attr(in_catalog::PARQUET)
        .as_bool()
        .unwrap_or(in_catalog::DEFAULT_PARQUET);
    let s3 = config.attr(S3);
    let format = match config.attr(FORMAT) {
        Value::Null => Some(default_format),
        v => v.as_str(),
    };
    let prefix = match s3.attr(in_s3::PREFIX) {
        Value::Null => Some(None),
        v => v.as_str().map(Some),
    };
    if let (Some(table), Some(format), Some(prefix), Some(bucket)) = (
        c.attr(in_catalog::TABLE).as_str(),
        format,
        prefix,
        s3.attr(in_s3::BUCKET_ARN).as_str(),
    ) {
        let derived = catalog::derive(Inputs {
            format,
            prefix,
            bucket_arn: bucket,
            table,
            parquet: c
                .attr(in_catalog::PARQUET)
                .as_bool()
                .unwrap_or(in_catalog::DEFAULT_PARQUET),
        });
        if let Err(e) = derived {
            refuse(e);
        }
    } else if let Some(table) = c.attr(in_catalog::TABLE).as_str() {
        if let Err(e) = catalog::check_name(table, false) {
            refuse(e);
        }
    }
    if !parquet {
        return;
    }
    // Firehose Developer Guide, "Enable record format conversion": "Amazon S3 compression
    // gets disabled when you enable format conversion" (Parquet compresses its own blocks).
    let compression = match s3.attr(in_s3::COMPRESSION) {
        Value::Null => Some(in_s3::DEFAULT_COMPRESSION),
        v => v.as_str(),
    };
    if let Some(compression) = compression.filter(|c| *c != "UNCOMPRESSED") {
        diags.attr_error(
            &AttrPath::attrs([S3, in_s3::COMPRESSION]),
            "Compression with Parquet",
            format!(
                "s3.compression: must be \"UNCOMPRESSED\" with catalog.parquet (got {compression:?}): Firehose \
                 turns S3 compression off with record format conversion, and compresses the Parquet \
                 blocks itself (Snappy)."
            ),
        );
    }
    let size = match s3.attr(in_s3::BUFFERING_SIZE_MIB) {
        Value::Null => Some(in_s3::DEFAULT_BUFFERING_SIZE_MIB),
        v => v.as_number().and_then(|n| n.as_i64()),
    };
    if let Some(size) = size.filter(|s| *s < PARQUET_MIN_BUFFER_MIB) {
        diags.attr_error(
            &AttrPath::attrs([S3, in_s3::BUFFERING_SIZE_MIB]),
            "Buffer too small for Parquet",
            format!(
                "s3.buffering_size_mib: must be at least {PARQUET_MIN_BUFFER_MIB} with catalog.parquet (got \
                 {size}); Firehose refuses less: \"BufferingHints.SizeInMBs must be at least 64 when data \
                 format conversion is enabled\"."
            ),
        );
    }
}

/// Plans `catalog.table_arn`: unknown when the table moves to another database or name.
pub fn plan(prior: &Value, planned: &mut Value) {
    let before = Catalog::from_value(prior.attr(CATALOG));
    let after = Catalog::from_value(planned.attr(CATALOG));
    if let (Some(before), Some(after)) = (before, after) {
        if !before.same_table(&after) {
            if let Some(arn) = planned
                .attr_mut(CATALOG)
                .and_then(|c| c.attr_mut(in_catalog::TABLE_ARN))
            {
                *arn = Value::unknown();
            }
        }
    }
}

/// The table the stream's settings derive, if it has a catalog (its errors were refused at
/// plan, so one here is reported as it is).
pub fn derived(p: &StreamParts) -> Option<Result<Table, catalog::CatalogError>> {
    let c = p.catalog.as_ref()?;
    Some(catalog::derive(inputs(p, c)))
}

/// The stream's record format conversion: with `catalog.parquet` only.
pub fn conversion(p: &StreamParts, role_arn: &str) -> Option<FormatConversion> {
    let c = p.catalog.as_ref().filter(|c| c.parquet)?;
    let table = derived(p)?.ok()?;
    Some(FormatConversion {
        role_arn: role_arn.to_owned(),
        database: c.database.clone(),
        table: c.table.clone(),
        key_mappings: table.key_mappings,
    })
}

/// The Glue table to write: the derived one, owned by instance `id` of `kind`, its range
/// starting at `range_start`.
pub fn glue_table(t: &Table, kind: OwnerKind, id: &str, range_start: &str) -> GlueTable {
    let string = |name: &str, comment: Option<&str>| GlueColumn {
        name: name.to_owned(),
        type_name: "string".to_owned(),
        comment: comment.map(str::to_owned),
    };
    GlueTable {
        name: t.name.clone(),
        table_type: TABLE_TYPE.to_owned(),
        parameters: t.parameters(kind, id, range_start),
        columns: t
            .columns
            .iter()
            .map(|c| string(&c.name, Some(&c.comment)))
            .collect(),
        partition_keys: t
            .projection
            .columns()
            .into_iter()
            .map(|c| string(c, None))
            .collect(),
        location: t.location.clone(),
        input_format: t.input_format.clone(),
        output_format: t.output_format.clone(),
        serde_library: t.serde_library.clone(),
        serde_parameters: t.serde_parameters.clone(),
    }
}

/// Whether a table found in Glue is the derived one of instance `id` of `kind`: everything the
/// provider sets, but the start of the range it keeps; what Glue adds of its own is ignored.
pub fn matches(t: &Table, kind: OwnerKind, id: &str, found: &GlueTable) -> bool {
    let Some(start) = Table::kept_range_start(&found.parameters) else {
        return false;
    };
    let want = glue_table(t, kind, id, start);
    let subset = |want: &BTreeMap<String, String>, have: &BTreeMap<String, String>| {
        want.iter().all(|(k, v)| have.get(k) == Some(v))
    };
    let same_keys = found.partition_keys.len() == want.partition_keys.len()
        && found
            .partition_keys
            .iter()
            .zip(&want.partition_keys)
            .all(|(f, w)| f.name == w.name && f.type_name == w.type_name);
    found.table_type == want.table_type
        && found.columns == want.columns
        && same_keys
        && found.location == want.location
        && found.input_format == want.input_format
        && found.output_format == want.output_format
        && found.serde_library == want.serde_library
        && subset(&want.serde_parameters, &found.serde_parameters)
        && subset(&want.parameters, &found.parameters)
}

/// `arn:<partition>:glue:<region>:<account>:table/<database>/<table>`, in the partition,
/// region and account of the stream (`arn:<partition>:firehose:<region>:<account>:...`).
pub fn table_arn(stream_arn: &str, c: &Catalog) -> String {
    let (partition, region, account) = match Arn::parse(stream_arn) {
        Ok(a) => (a.partition, a.region, a.account),
        Err(_) => ("aws".to_owned(), String::new(), String::new()),
    };
    GlueArns::of(&partition, &region, &account, &c.database, &c.table).table
}

/// Seconds since the Unix epoch, now.
fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// Makes the stream's table, or brings the one its owner owns (or one a create that died
/// left) to the derived definition. A table of that name that is not this owner's is refused.
pub async fn ensure(
    clients: &AwsClients,
    p: &StreamParts,
    owner: &Owner<'_>,
) -> Result<(), Diagnostics> {
    let (kind, id) = (owner.kind, owner.id);
    let Some(c) = &p.catalog else { return Ok(()) };
    let t = derived(p).expect("the stream has a catalog").map_err(|e| {
        failed_at(
            &e.attribute,
            "No catalog table can describe this",
            e.to_string(),
        )
    })?;
    match glue::find_table(clients, &c.database, &c.table).await {
        Ok(found) => {
            let found_owner = found.parameters.get(kind.tag()).cloned();
            let adoptable = match found_owner.as_deref() {
                Some(other) if other == id => true,
                Some(other) => abandoned(clients, kind, &p.name, other).await?,
                None => false,
            };
            if !adoptable {
                return Err(taken(c, kind, &found.parameters));
            }
            if found_owner.as_deref() == Some(id) && matches(&t, kind, id, &found) {
                return Ok(());
            }
            let start = Table::kept_range_start(&found.parameters)
                .map(str::to_owned)
                .unwrap_or_else(|| t.range_start(now()));
            glue::update_table(clients, &c.database, &glue_table(&t, kind, id, &start))
                .await
                .map_err(|e| failed("Cannot update the Glue table", e))
        }
        Err(e) if e.is(ErrorKind::NotFound) => {
            let table = glue_table(&t, kind, id, &t.range_start(now()));
            match glue::create_table(clients, &c.database, &table).await {
                Ok(()) => Ok(()),
                Err(e) if e.is(ErrorKind::NotFound) => Err(failed_at(
                    &[CATALOG, in_catalog::DATABASE],
                    "Glue database not found",
                    format!(
                        "catalog.database: Glue has no database {:?} in this account and region ({e}). \
                         The provider never makes databases: create it (aws_glue_catalog_database), or \
                         name one that exists.",
                        c.database
                    ),
                )),
                Err(e) => Err(failed("Cannot create the Glue table", e)),
            }
        }
        Err(e) => Err(failed("Cannot read the Glue table", e)),
    }
}

fn taken(c: &Catalog, kind: OwnerKind, parameters: &BTreeMap<String, String>) -> Diagnostics {
    let owner = [kind, OwnerKind::Pipeline, OwnerKind::Stream]
        .into_iter()
        .find_map(|k| parameters.get(k.tag()).map(|id| (k, id)));
    let whose = match owner {
        Some((k, other)) => format!(
            "belongs to {} {} ({} {other:?})",
            if k == kind { "another" } else { "an" },
            k.resource_type(),
            k.id_attribute()
        ),
        None => "was not made by this provider".to_owned(),
    };
    failed_at(
        &[CATALOG, in_catalog::TABLE],
        "Glue table name taken",
        format!(
            "catalog.table: table {:?} of database {:?} exists and {whose}, so the provider does not \
             change it. Choose another catalog.table, or delete that table if it is no longer wanted.",
            c.table, c.database
        ),
    )
}

/// The state of `catalog`: the table's ARN while the table is instance `id`'s (of `kind`) and
/// as derived, else null; `parquet` as the stream has it (when the stream was found).
pub async fn observe(
    clients: &AwsClients,
    p: &StreamParts,
    kind: OwnerKind,
    id: &str,
    stream: Option<(&str, &S3Destination)>,
) -> Result<Value, AwsError> {
    let Some(c) = &p.catalog else {
        return Ok(Value::Null);
    };
    let mut seen = c.clone();
    if let Some((_, d)) = stream {
        seen.parquet = d
            .format_conversion
            .as_ref()
            .is_some_and(|f| f.database == c.database && f.table == c.table);
    }
    let Some((stream_arn, _)) = stream else {
        return Ok(seen.to_value(None));
    };
    let found = match glue::find_table(clients, &c.database, &c.table).await {
        Ok(found) => Some(found),
        Err(e) if e.is(ErrorKind::NotFound) => None,
        Err(e) => return Err(e),
    };
    let intact = match (found, derived(p)) {
        (Some(found), Some(Ok(t))) => {
            found.parameters.get(kind.tag()).map(String::as_str) == Some(id)
                && matches(&t, kind, id, &found)
        }
        _ => false,
    };
    Ok(seen.to_value(intact.then(|| table_arn(stream_arn, c))))
}

/// Deletes table `c` if instance `id` of `kind` owns it; any other table of that name stays.
pub async fn delete_owned(
    clients: &AwsClients,
    kind: OwnerKind,
    id: &str,
    c: &Catalog,
) -> Result<(), Diagnostics> {
    match glue::find_table(clients, &c.database, &c.table).await {
        Ok(found) if found.parameters.get(kind.tag()).map(String::as_str) == Some(id) => {
            glue::delete_table(clients, &c.database, &c.table)
                .await
                .map_err(|e| failed("Cannot delete the Glue table", e))
        }
        Ok(_) => Ok(()),
        Err(e) if e.is(ErrorKind::NotFound) => Ok(()),
        Err(e) => Err(failed("Cannot read the Glue table", e)),
    }
}

/// The `catalog` of an imported stream: the table its format conversion names, if any.
pub fn imported(d: &S3Destination) -> Option<Catalog> {
    d.format_conversion.as_ref().map(|f| Catalog {
        database: f.database.clone(),
        table: f.table.clone(),
        parquet: true,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::log_format;

    fn config(catalog: Value, s3: Vec<(&str, Value)>) -> Value {
        let mut s3v = vec![("bucket_arn", Value::from("arn:aws:s3:::logs"))];
        s3v.extend(s3);
        Value::object([
            ("format", Value::Null),
            ("s3", Value::object(s3v)),
            ("catalog", catalog),
        ])
    }

    fn paths(config: &Value) -> Vec<String> {
        let mut d = Diagnostics::new();
        validate(config, log_format::JSON, &mut d);
        d.0.iter()
            .map(|d| d.attribute.as_ref().unwrap().to_string())
            .collect()
    }

    #[test]
    fn parquet_needs_uncompressed_objects_and_a_64_mib_buffer() {
        let c = Value::object([
            ("database", "logs".into()),
            ("table", "access".into()),
            ("parquet", true.into()),
        ]);
        assert_eq!(
            paths(&config(c.clone(), vec![])),
            ["s3.compression", "s3.buffering_size_mib"]
        );
        let ok = config(
            c,
            vec![
                ("compression", "UNCOMPRESSED".into()),
                ("buffering_size_mib", Value::int(64)),
            ],
        );
        assert!(paths(&ok).is_empty());
    }

    #[test]
    fn bad_names_and_unknowns() {
        let c = Value::object([
            ("database", "Logs".into()),
            ("table", "access-log".into()),
            ("parquet", Value::Null),
        ]);
        assert_eq!(
            paths(&config(c, vec![])),
            ["catalog.database", "catalog.table"]
        );
        let unknown = Value::object([
            ("database", Value::unknown()),
            ("table", Value::unknown()),
            ("parquet", Value::unknown()),
        ]);
        assert!(paths(&config(unknown, vec![])).is_empty());
        assert!(paths(&config(Value::Null, vec![])).is_empty());
    }

    #[test]
    fn a_found_table_matches_whatever_its_range_start_and_glues_additions() {
        let t = catalog::derive(Inputs {
            format: log_format::CLF,
            prefix: None,
            bucket_arn: "arn:aws:s3:::logs",
            table: "t",
            parquet: false,
        })
        .unwrap();
        let mut found = glue_table(&t, OwnerKind::Pipeline, "p1", "2020/01/01/00");
        found.parameters.insert("CreatedBy".into(), "glue".into());
        found
            .serde_parameters
            .insert("serialization.encoding".into(), "UTF-8".into());
        assert!(matches(&t, OwnerKind::Pipeline, "p1", &found));
        assert!(
            !matches(&t, OwnerKind::Pipeline, "p2", &found),
            "another owner"
        );
        let mut fewer = found.clone();
        fewer.columns.remove(0);
        assert!(!matches(&t, OwnerKind::Pipeline, "p1", &fewer));
        let mut moved = found.clone();
        moved
            .parameters
            .insert("storage.location.template".into(), "s3://x/${dt}/".into());
        assert!(!matches(&t, OwnerKind::Pipeline, "p1", &moved));
        let mut no_range = found;
        no_range.parameters.remove(catalog::RANGE_PARAMETER);
        assert!(!matches(&t, OwnerKind::Pipeline, "p1", &no_range));
    }

    #[test]
    fn a_partitioned_streams_table_has_its_partition_columns_in_the_templates_order() {
        let t = catalog::derive(Inputs {
            format: r#"{"requestId":"$context.requestId","apiId":"$context.apiId","stage":"$context.stage"}"#,
            prefix: Some("p/!{partitionKeyFromQuery:api_id}/!{partitionKeyFromQuery:stage}/!{timestamp:yyyy/MM/dd}/"),
            bucket_arn: "arn:aws:s3:::logs",
            table: "t",
            parquet: false,
        })
        .unwrap();
        let table = glue_table(&t, OwnerKind::Stream, "s1", "2020/01/01");
        let keys: Vec<&str> = table
            .partition_keys
            .iter()
            .map(|k| k.name.as_str())
            .collect();
        assert_eq!(keys, ["api_id", "stage", "dt"]);
        assert!(matches(&t, OwnerKind::Stream, "s1", &table));
        let mut dt_only = table.clone();
        dt_only.partition_keys.drain(..2);
        assert!(!matches(&t, OwnerKind::Stream, "s1", &dt_only));
        let mut swapped = table.clone();
        swapped.partition_keys.swap(0, 1);
        assert!(!matches(&t, OwnerKind::Stream, "s1", &swapped));
        let mut not_injected = table;
        not_injected.parameters.remove("projection.stage.type");
        assert!(!matches(&t, OwnerKind::Stream, "s1", &not_injected));
    }

    #[test]
    fn the_arn_is_in_the_streams_partition_region_and_account() {
        let c = Catalog {
            database: "db".into(),
            table: "t".into(),
            parquet: false,
        };
        assert_eq!(
            table_arn(
                "arn:aws-cn:firehose:cn-north-1:123456789012:deliverystream/s",
                &c
            ),
            "arn:aws-cn:glue:cn-north-1:123456789012:table/db/t"
        );
    }
}
