//! Querying delivered access logs the way a user would with Athena: through the Glue table the
//! provider made, read back from the emulator by `acceptance-tests/scripts/query_logs.py` and
//! run in DuckDB (both installed into the venv by `install-emulator.sh`).

use std::path::PathBuf;
use std::process::{Command, Stdio};

use crate::{aws_endpoint, emulator_sdk_config, moto, real_aws, workspace_root};

/// A Glue client for the emulator, through the contract proxy (or, against real AWS, for the
/// account of the standard credential chain).
pub async fn glue() -> aws_sdk_glue::Client {
    let config = if real_aws() {
        aws_config::defaults(aws_config::BehaviorVersion::latest())
            .load()
            .await
    } else {
        emulator_sdk_config(&aws_endpoint(), true).await
    };
    aws_sdk_glue::Client::new(&config)
}

/// Creates the Glue database a user already has before a pipeline's `catalog` names it (the
/// provider never makes databases).
pub async fn create_database(glue: &aws_sdk_glue::Client, name: &str) {
    let input = aws_sdk_glue::types::DatabaseInput::builder()
        .name(name)
        .build()
        .expect("database input");
    glue.create_database()
        .database_input(input)
        .send()
        .await
        .unwrap_or_else(|e| panic!("glue create_database {name}: {e:?}"));
}

/// The venv's Python, with moto and DuckDB installed (moto is started, which installs them).
pub fn venv_python() -> PathBuf {
    moto();
    workspace_root().join(".venv/bin/python")
}

/// How `query_logs.py` prints its result.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Output {
    /// A JSON array of row objects.
    Json,
    /// A small text table.
    Table,
}

/// Runs `query_logs.py` against the emulator for `database.table` (with `sql`, or every row).
fn run(database: &str, table: &str, sql: Option<&str>, output: Output) -> std::process::Output {
    let script = workspace_root().join("acceptance-tests/scripts/query_logs.py");
    let mut cmd = Command::new(venv_python());
    cmd.arg(&script)
        .args(["--endpoint", &aws_endpoint()])
        .args(["--database", database, "--table", table])
        .args([
            "--output",
            match output {
                Output::Json => "json",
                Output::Table => "table",
            },
        ])
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_REGION", "us-east-1")
        .stdin(Stdio::null());
    if let Some(sql) = sql {
        cmd.args(["--sql", sql]);
    }
    cmd.output().expect("running query_logs.py")
}

/// Runs `query_logs.py` against the emulator for `database.table` (with `sql`, or every row);
/// panics with the script's error output if it fails.
pub fn query_logs(database: &str, table: &str, sql: Option<&str>, output: Output) -> String {
    let out = run(database, table, sql, output);
    if !out.status.success() {
        panic!(
            "query_logs.py failed ({}):\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
    }
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The error a query that must fail prints (as Athena would refuse it); panics if it succeeds.
pub fn query_error(database: &str, table: &str, sql: &str) -> String {
    let out = run(database, table, Some(sql), Output::Json);
    assert!(
        !out.status.success(),
        "query_logs.py answered a query it should refuse ({sql}):\n{}",
        String::from_utf8_lossy(&out.stdout)
    );
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// The rows of `query_logs` as JSON objects.
pub fn query_rows(database: &str, table: &str, sql: Option<&str>) -> Vec<serde_json::Value> {
    let text = query_logs(database, table, sql, Output::Json);
    serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("query_logs.py printed no JSON rows ({e}):\n{text}"))
}
