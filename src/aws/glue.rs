//! Glue Data Catalog tables: find, create, update, delete. Only tables: the provider never
//! makes or deletes databases.

use std::collections::{BTreeMap, HashMap};

use aws_sdk_glue::types::{Column, SerDeInfo, StorageDescriptor, TableInput};

use super::call::send;
use super::clients::AwsClients;
use super::error::AwsError;

/// One column of a table.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct GlueColumn {
    pub name: String,
    pub type_name: String,
    pub comment: Option<String>,
}

/// A table as the provider writes and reads it: the parts of Glue's `TableInput` it sets.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct GlueTable {
    pub name: String,
    pub table_type: String,
    pub parameters: BTreeMap<String, String>,
    pub columns: Vec<GlueColumn>,
    pub partition_keys: Vec<GlueColumn>,
    pub location: String,
    pub input_format: String,
    pub output_format: String,
    pub serde_library: String,
    pub serde_parameters: BTreeMap<String, String>,
}

fn sorted(m: Option<&HashMap<String, String>>) -> BTreeMap<String, String> {
    m.map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
        .unwrap_or_default()
}

fn column_of(c: &Column) -> GlueColumn {
    GlueColumn {
        name: c.name().to_owned(),
        type_name: c.r#type().unwrap_or_default().to_owned(),
        comment: c.comment().map(str::to_owned),
    }
}

fn column(api: &'static str, c: &GlueColumn) -> Result<Column, AwsError> {
    Column::builder()
        .name(&c.name)
        .r#type(&c.type_name)
        .set_comment(c.comment.clone())
        .build()
        .map_err(|e| AwsError::fatal(api, e.to_string()))
}

fn table_input(api: &'static str, t: &GlueTable) -> Result<TableInput, AwsError> {
    let columns = t
        .columns
        .iter()
        .map(|c| column(api, c))
        .collect::<Result<Vec<_>, _>>()?;
    let partition_keys = t
        .partition_keys
        .iter()
        .map(|c| column(api, c))
        .collect::<Result<Vec<_>, _>>()?;
    let serde = SerDeInfo::builder()
        .serialization_library(&t.serde_library)
        .set_parameters(Some(t.serde_parameters.clone().into_iter().collect()))
        .build();
    let storage = StorageDescriptor::builder()
        .set_columns(Some(columns))
        .location(&t.location)
        .input_format(&t.input_format)
        .output_format(&t.output_format)
        .serde_info(serde)
        .build();
    TableInput::builder()
        .name(&t.name)
        .table_type(&t.table_type)
        .set_parameters(Some(t.parameters.clone().into_iter().collect()))
        .set_partition_keys(Some(partition_keys))
        .storage_descriptor(storage)
        .build()
        .map_err(|e| AwsError::fatal(api, e.to_string()))
}

/// Reads table `name` of `database`; a missing table (or database) is `ErrorKind::NotFound`
/// (Glue's EntityNotFoundException).
pub async fn find_table(
    aws: &AwsClients,
    database: &str,
    name: &str,
) -> Result<GlueTable, AwsError> {
    let api = "glue:GetTable";
    let out = send(
        aws,
        api,
        aws.glue
            .get_table()
            .database_name(database)
            .name(name)
            .send(),
    )
    .await?;
    let t = out
        .table()
        .ok_or_else(|| AwsError::fatal(api, "the answer has no table"))?;
    let sd = t.storage_descriptor();
    let serde = sd.and_then(|s| s.serde_info());
    Ok(GlueTable {
        name: t.name().to_owned(),
        table_type: t.table_type().unwrap_or_default().to_owned(),
        parameters: sorted(t.parameters()),
        columns: sd
            .map(|s| s.columns().iter().map(column_of).collect())
            .unwrap_or_default(),
        partition_keys: t.partition_keys().iter().map(column_of).collect(),
        location: sd.and_then(|s| s.location()).unwrap_or_default().to_owned(),
        input_format: sd
            .and_then(|s| s.input_format())
            .unwrap_or_default()
            .to_owned(),
        output_format: sd
            .and_then(|s| s.output_format())
            .unwrap_or_default()
            .to_owned(),
        serde_library: serde
            .and_then(|s| s.serialization_library())
            .unwrap_or_default()
            .to_owned(),
        serde_parameters: sorted(serde.and_then(|s| s.parameters())),
    })
}

/// Creates the table in `database`; a taken name is `ErrorKind::AlreadyExists`, a missing
/// database `ErrorKind::NotFound`.
pub async fn create_table(
    aws: &AwsClients,
    database: &str,
    table: &GlueTable,
) -> Result<(), AwsError> {
    let api = "glue:CreateTable";
    let input = table_input(api, table)?;
    send(
        aws,
        api,
        aws.glue
            .create_table()
            .database_name(database)
            .table_input(input)
            .send(),
    )
    .await?;
    Ok(())
}

/// Replaces the table's definition with `table`.
pub async fn update_table(
    aws: &AwsClients,
    database: &str,
    table: &GlueTable,
) -> Result<(), AwsError> {
    let api = "glue:UpdateTable";
    let input = table_input(api, table)?;
    send(
        aws,
        api,
        aws.glue
            .update_table()
            .database_name(database)
            .table_input(input)
            .send(),
    )
    .await?;
    Ok(())
}

/// Deletes the table; one already gone is not an error.
pub async fn delete_table(aws: &AwsClients, database: &str, name: &str) -> Result<(), AwsError> {
    match send(
        aws,
        "glue:DeleteTable",
        aws.glue
            .delete_table()
            .database_name(database)
            .name(name)
            .send(),
    )
    .await
    {
        Ok(_) => Ok(()),
        Err(e) if e.is(super::error::ErrorKind::NotFound) => Ok(()),
        Err(e) => Err(e),
    }
}
