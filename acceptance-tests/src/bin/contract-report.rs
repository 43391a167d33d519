//! The suite's last word on AWS's contract: every breach the proxies recorded (a request that
//! AWS would refuse, by its published model or a documented rule), and whether the
//! permissions `docs/index.md` lists are exactly the ones the provider's calls needed.
//!
//! `make test` runs it with `--reset` before the tests and without arguments after them. It
//! exits non-zero when any breach was recorded, when the provider used an action the docs do
//! not list, or when the docs list an action that no call of the suite needed.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::ExitCode;

use acceptance_tests::proxy::contract_dir;
use acceptance_tests::workspace_root;

fn main() -> ExitCode {
    let dir = contract_dir();
    if std::env::args().nth(1).as_deref() == Some("--reset") {
        let _ = std::fs::remove_dir_all(&dir);
        return ExitCode::SUCCESS;
    }
    let breaches = read_records(&dir, "breaches");
    let calls = read_records(&dir, "actions");
    let mut failed = false;

    let mut by_api: BTreeMap<String, BTreeMap<String, u64>> = BTreeMap::new();
    for b in &breaches {
        let api = b["api"].as_str().unwrap_or("?").to_owned();
        let rule = b["rule"].as_str().unwrap_or("?").to_owned();
        *by_api.entry(api).or_default().entry(rule).or_default() += 1;
    }
    println!("AWS contract breaches by API:");
    if by_api.is_empty() {
        println!("  none");
    }
    for (api, rules) in &by_api {
        for (rule, n) in rules {
            println!("  {api:<40} {rule} x{n}");
        }
    }
    if let Some(first) = breaches.first() {
        println!("  first: {}", first["detail"].as_str().unwrap_or(""));
        failed = true;
    }
    println!("contract breaches: {}", breaches.len());

    let used: BTreeSet<String> = calls
        .iter()
        .filter_map(|c| c["api"].as_str().map(str::to_owned))
        .collect();
    let docs = workspace_root().join("docs/index.md");
    let documented = match documented_actions(&docs) {
        Ok(actions) => actions,
        Err(e) => {
            println!(
                "permissions: cannot read the list in {}: {e}",
                docs.display()
            );
            return ExitCode::FAILURE;
        }
    };
    let mut needed = BTreeSet::new();
    for api in &used {
        match iam_actions(api) {
            Some(actions) => needed.extend(actions),
            None => {
                println!("permissions: no IAM action is known for {api}: add it to iam_actions");
                failed = true;
            }
        }
    }
    let missing: Vec<_> = needed.difference(&documented).collect();
    let unused: Vec<_> = documented.difference(&needed).collect();
    if !missing.is_empty() {
        println!("permissions: used by the provider but not in docs/index.md: {missing:?}");
        failed = true;
    }
    if !unused.is_empty() {
        println!("permissions: in docs/index.md but needed by no call of the suite: {unused:?}");
        failed = true;
    }
    println!(
        "permissions: {} documented, {} needed by the {} APIs the provider called",
        documented.len(),
        needed.len(),
        used.len()
    );
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

/// Every JSON line of `<dir>/<stem>-*.jsonl`.
fn read_records(dir: &Path, stem: &str) -> Vec<serde_json::Value> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<_> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with(&format!("{stem}-")) && n.ends_with(".jsonl"))
        })
        .collect();
    files.sort();
    files
        .iter()
        .filter_map(|p| std::fs::read_to_string(p).ok())
        .flat_map(|text| {
            text.lines()
                .filter_map(|l| serde_json::from_str(l).ok())
                .collect::<Vec<_>>()
        })
        .collect()
}

/// The IAM actions one API call needs of its caller. `None` for an API this table does not
/// know yet, so a new call cannot slip past the documented list.
fn iam_actions(api: &str) -> Option<Vec<String>> {
    let (service, operation) = api.split_once(':')?;
    let one = |action: &str| Some(vec![action.to_owned()]);
    match (service, operation) {
        // API Gateway authorizes by HTTP method on the resource path ("Control access for
        // invoking an API" / "API Gateway permissions model for creating and managing an API").
        ("apigateway", op) if op.starts_with("Get") => one("apigateway:GET"),
        // Tags go by PUT and DELETE on `/tags/<resource ARN>` (API Gateway API Reference,
        // TagResource and UntagResource).
        ("apigateway", "TagResource") => one("apigateway:PUT"),
        ("apigateway", "UntagResource") => one("apigateway:DELETE"),
        // Pointing a stage at a Firehose stream makes API Gateway create its service-linked
        // role with the caller's permissions ("Using service-linked roles for API Gateway").
        ("apigateway", "UpdateStage") => Some(vec![
            "apigateway:PATCH".to_owned(),
            "iam:CreateServiceLinkedRole".to_owned(),
        ]),
        // "To use this operation, you must have permissions to perform the s3:ListBucket
        // action" (S3 API reference, HeadBucket).
        ("s3", "HeadBucket") => one("s3:ListBucket"),
        ("s3", "GetBucketLocation") => one("s3:GetBucketLocation"),
        // "No permissions are required to perform this operation" (STS API reference,
        // GetCallerIdentity); listed anyway, so the list stays complete if an SCP denies it.
        ("sts", "GetCallerIdentity") => one("sts:GetCallerIdentity"),
        // The base credentials assume the provider block's `assume_role` (STS API reference,
        // AssumeRole).
        ("sts", "AssumeRole") => one("sts:AssumeRole"),
        // A stream's destination role is passed to Firehose ("Grant Firehose access to an
        // Amazon S3 destination"; iam:PassRole in the IAM user guide).
        ("firehose", op @ ("CreateDeliveryStream" | "UpdateDestination")) => {
            Some(vec![format!("firehose:{op}"), "iam:PassRole".to_owned()])
        }
        // "To create a log group with tags, you must have the logs:CreateLogGroup and
        // logs:TagResource permissions" (CloudWatch Logs API Reference, CreateLogGroup).
        ("logs", "CreateLogGroup") => Some(vec![
            "logs:CreateLogGroup".to_owned(),
            "logs:TagResource".to_owned(),
        ]),
        ("firehose" | "iam" | "kms" | "logs" | "glue", op)
            if op.chars().all(|c| c.is_ascii_alphanumeric()) =>
        {
            one(&format!("{service}:{op}"))
        }
        _ => None,
    }
}

/// Every `Action` of the IAM policy documents in the `## Permissions` section's ```json blocks.
fn documented_actions(docs: &Path) -> Result<BTreeSet<String>, String> {
    let text = std::fs::read_to_string(docs).map_err(|e| e.to_string())?;
    let section = text
        .split("\n## ")
        .find(|s| s.starts_with("Permissions"))
        .ok_or("no `## Permissions` section")?;
    let mut actions = BTreeSet::new();
    let mut blocks = 0;
    for block in section.split("```json").skip(1) {
        let json = block.split("```").next().unwrap_or_default();
        let doc: serde_json::Value =
            serde_json::from_str(json).map_err(|e| format!("a json block does not parse: {e}"))?;
        let statements = doc["Statement"]
            .as_array()
            .ok_or("a json block has no Statement list")?;
        for statement in statements {
            match &statement["Action"] {
                serde_json::Value::String(a) => {
                    actions.insert(a.clone());
                }
                serde_json::Value::Array(list) => {
                    actions.extend(list.iter().filter_map(|a| a.as_str().map(str::to_owned)))
                }
                _ => return Err("a statement has no Action".to_owned()),
            }
        }
        blocks += 1;
    }
    if blocks == 0 {
        return Err("no ```json policy block".to_owned());
    }
    if let Some(wild) = actions.iter().find(|a| a.contains('*')) {
        return Err(format!(
            "{wild:?}: actions are listed one by one, without wildcards"
        ));
    }
    Ok(actions)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calls_map_to_the_actions_they_need() {
        assert_eq!(iam_actions("s3:HeadBucket").unwrap(), ["s3:ListBucket"]);
        assert_eq!(
            iam_actions("firehose:CreateDeliveryStream").unwrap(),
            ["firehose:CreateDeliveryStream", "iam:PassRole"]
        );
        assert_eq!(
            iam_actions("apigateway:GetStage").unwrap(),
            ["apigateway:GET"]
        );
        assert_eq!(iam_actions("iam:GetRole").unwrap(), ["iam:GetRole"]);
        assert!(iam_actions("unknown:GET /x").is_none());
    }

    #[test]
    fn documented_actions_come_from_the_permissions_section_only() {
        let dir = tempfile::tempdir().unwrap();
        let docs = dir.path().join("index.md");
        std::fs::write(
            &docs,
            "# p\n\n```json\n{\"Statement\":[{\"Action\":\"x:Y\"}]}\n```\n\n## Permissions\n\n\
             ```json\n{\"Version\":\"2012-10-17\",\"Statement\":[{\"Action\":[\"a:B\",\"c:D\"]},{\"Action\":\"e:F\"}]}\n```\n\n## Next\n",
        )
        .unwrap();
        let found = documented_actions(&docs).unwrap();
        assert_eq!(found.into_iter().collect::<Vec<_>>(), ["a:B", "c:D", "e:F"]);
        std::fs::write(
            &docs,
            "## Permissions\n\n```json\n{\"Statement\":[{\"Action\":\"s3:*\"}]}\n```\n",
        )
        .unwrap();
        assert!(documented_actions(&docs).is_err());
    }
}
