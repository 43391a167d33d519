//! The documentation and the examples against the real provider: every name of
//! `terraform providers schema -json` is documented, with its type and whether it is required,
//! on the registry page it belongs to (provider, resources, data sources, functions); every HCL block of the docs is formatted; every example
//! directory is formatted and passes `terraform init` (offline, from the mirror) and `validate`,
//! except the ones that need the AWS provider, which cannot be installed offline: those are
//! only formatted (`terraform fmt` parses them) and checked for what they exist to show.

use std::path::{Path, PathBuf};

use acceptance_tests::{TfDir, provider_block, workspace_root};
use serde_json::Value;
use terraform_provider_apigw::PROVIDER_SOURCE;

/// The provider's schema as `terraform providers schema -json` reports it.
fn provider_schema() -> Value {
    let tf = TfDir::new();
    tf.write("main.tf", provider_block());
    tf.init().success();
    let out = tf.tf(&["providers", "schema", "-json"]).success();
    let all: Value = serde_json::from_str(&out.stdout).expect("providers schema -json is JSON");
    let schema = all["provider_schemas"][PROVIDER_SOURCE].clone();
    assert!(schema.is_object(), "no schema for {PROVIDER_SOURCE}: {all}");
    schema
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
}

/// One attribute or block as a docs row must describe it.
#[derive(Debug)]
struct Item {
    /// Dotted path, such as `s3.bucket_arn`.
    name: String,
    /// `string`, `number`, `bool`, `map(string)`, `list(string)`, `object` or `block`.
    ty: String,
    required: bool,
    computed_only: bool,
    sensitive: bool,
}

fn type_name(ty: &Value) -> String {
    match ty {
        Value::String(s) => s.clone(),
        Value::Array(parts) => match (parts.first().and_then(Value::as_str), parts.get(1)) {
            (Some("object"), _) => "object".to_owned(),
            (Some(kind), Some(inner)) => format!("{kind}({})", type_name(inner)),
            _ => ty.to_string(),
        },
        _ => ty.to_string(),
    }
}

fn flag(v: &Value, key: &str) -> bool {
    v[key].as_bool() == Some(true)
}

/// The attributes (with nested attributes) and nested blocks of a schema block.
fn items(block: &Value, prefix: &str, out: &mut Vec<Item>) {
    for (name, attr) in block["attributes"].as_object().into_iter().flatten() {
        let nested = &attr["nested_type"];
        out.push(Item {
            name: format!("{prefix}{name}"),
            ty: if nested.is_object() {
                "object".to_owned()
            } else {
                type_name(&attr["type"])
            },
            required: flag(attr, "required"),
            computed_only: flag(attr, "computed") && !flag(attr, "optional"),
            sensitive: flag(attr, "sensitive"),
        });
        if nested.is_object() {
            items(nested, &format!("{prefix}{name}."), out);
        }
    }
    for (name, nested) in block["block_types"].as_object().into_iter().flatten() {
        out.push(Item {
            name: format!("{prefix}{name}"),
            ty: "block".to_owned(),
            required: nested["min_items"].as_u64().unwrap_or(0) > 0,
            computed_only: false,
            sensitive: false,
        });
        items(&nested["block"], &format!("{prefix}{name}."), out);
    }
}

/// The first table row documenting `` `name` `` (its first cell), split into trimmed cells.
fn row<'a>(page: &'a str, name: &str) -> Option<Vec<&'a str>> {
    let start = format!("| `{name}` |");
    page.lines()
        .find(|l| l.starts_with(&start))
        .map(|l| l.trim_matches('|').split('|').map(str::trim).collect())
}

/// Names in the first cell of the page's table rows that look like attribute paths.
fn documented_names(page: &str) -> Vec<String> {
    page.lines()
        .filter_map(|l| l.strip_prefix("| `"))
        .filter_map(|l| l.split_once("` |").map(|(name, _)| name.to_owned()))
        .filter(|n| {
            n.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '.')
        })
        .collect()
}

/// Problems with how `page` documents `items`: a missing row, or a type cell that does not say
/// the type and whether the attribute is required, optional or computed (and sensitive).
/// Rows for names the schema lacks are problems too (stale docs).
fn check_page(page_name: &str, page: &str, items: &[Item], problems: &mut Vec<String>) {
    for item in items {
        let Some(cells) = row(page, &item.name) else {
            problems.push(format!(
                "{page_name}: no table row for `{}` ({})",
                item.name, item.ty
            ));
            continue;
        };
        let ty = cells.get(1).copied().unwrap_or_default();
        let mut wanted = vec![item.ty.as_str()];
        wanted.push(if item.required {
            "required"
        } else if item.computed_only {
            "computed"
        } else {
            "optional"
        });
        if item.sensitive {
            wanted.push("sensitive");
        }
        let words: Vec<&str> = ty.split(", ").collect();
        for w in wanted {
            if !words.contains(&w) {
                problems.push(format!(
                    "{page_name}: the type cell of `{}` is {ty:?}; it should say {w:?}",
                    item.name
                ));
            }
        }
        if !item.required && words.contains(&"required") {
            problems.push(format!(
                "{page_name}: `{}` is documented as required but is not",
                item.name
            ));
        }
    }
    for name in documented_names(page) {
        if !items.iter().any(|i| i.name == name) {
            problems.push(format!(
                "{page_name}: documents `{name}`, which the schema does not have"
            ));
        }
    }
}

#[test]
fn every_schema_name_is_documented_on_its_registry_page() {
    let schema = provider_schema();
    let docs = workspace_root().join("docs");
    let mut problems = Vec::new();

    // The provider block.
    let mut provider = Vec::new();
    items(&schema["provider"]["block"], "", &mut provider);
    assert!(
        provider.len() > 10,
        "suspiciously few provider items: {provider:?}"
    );
    let index = read(&docs.join("index.md"));
    check_page("docs/index.md", &index, &provider, &mut problems);

    // Resources: docs/resources/<type without the provider prefix>.md.
    let resources = schema["resource_schemas"].as_object().expect("resources");
    assert!(!resources.is_empty(), "the schema has no resources");
    for (ty, resource) in resources {
        let Some((name, page, attrs)) = type_page(&docs, "resources", ty, resource, &mut problems)
        else {
            continue;
        };
        if ty == "apigw_access_log_pipeline" {
            for nested in ["s3.bucket_arn", "timeouts.create", "timeouts.delete"] {
                assert!(
                    attrs.iter().any(|a| a.name == nested),
                    "the walk missed {nested}: {attrs:?}"
                );
            }
        }
        let has_timeouts = attrs.iter().any(|a| a.name == "timeouts");
        for section in ["## Example", "## Import", "## Timeouts", "**Destroy.**"] {
            if section == "## Timeouts" && !has_timeouts {
                continue;
            }
            if !page.contains(section) {
                problems.push(format!("{name}: no {section:?} section"));
            }
        }
        if !page.contains(&format!("terraform import {ty}.")) {
            problems.push(format!("{name}: no `terraform import {ty}.` command"));
        }
        if !page.contains(&format!("to = {ty}.")) {
            problems.push(format!("{name}: no import block for {ty}"));
        }
    }

    // Data sources: docs/data-sources/<type without the provider prefix>.md, with an example
    // of the data block, linked from the index.
    let data_sources = schema["data_source_schemas"]
        .as_object()
        .expect("data sources");
    assert!(!data_sources.is_empty(), "the schema has no data sources");
    for (ty, data_source) in data_sources {
        let Some((name, page, attrs)) =
            type_page(&docs, "data-sources", ty, data_source, &mut problems)
        else {
            continue;
        };
        assert!(
            attrs.iter().any(|a| a.computed_only),
            "a data source with nothing computed: {attrs:?}"
        );
        if !page.contains("## Example") {
            problems.push(format!("{name}: no \"## Example\" section"));
        }
        if !page.contains(&format!("data \"{ty}\" ")) {
            problems.push(format!("{name}: no example of a `data \"{ty}\"` block"));
        }
        let linked = name.trim_start_matches("docs/");
        if !index.contains(linked) {
            problems.push(format!("docs/index.md: no link to {linked}"));
        }
    }

    // Functions: docs/functions/<name>.md with the signature and a row per parameter.
    let functions = schema["functions"].as_object().expect("functions");
    assert!(!functions.is_empty(), "the schema has no functions");
    for (fname, function) in functions {
        let path = docs.join("functions").join(format!("{fname}.md"));
        let Ok(page) = std::fs::read_to_string(&path) else {
            problems.push(format!("function {fname}: no page {}", path.display()));
            continue;
        };
        let page_name = format!("docs/functions/{fname}.md");
        let params: Vec<Item> = function["parameters"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|p| Item {
                name: p["name"].as_str().unwrap_or_default().to_owned(),
                ty: type_name(&p["type"]),
                required: true,
                computed_only: false,
                sensitive: false,
            })
            .collect();
        let signature = format!(
            "provider::apigw::{fname}({}) {}",
            params
                .iter()
                .map(|p| format!("{} {}", p.name, p.ty))
                .collect::<Vec<_>>()
                .join(", "),
            type_name(&function["return_type"])
        );
        if !page.contains(&signature) {
            problems.push(format!("{page_name}: lacks the signature `{signature}`"));
        }
        for p in &params {
            match row(&page, &p.name) {
                Some(cells)
                    if cells.get(1).is_some_and(|t| {
                        t.split(", ").any(|w| w == p.ty) && t.contains("required")
                    }) => {}
                Some(cells) => problems.push(format!(
                    "{page_name}: parameter `{}` row {cells:?} should say \"{}, required\"",
                    p.name, p.ty
                )),
                None => problems.push(format!("{page_name}: no row for parameter `{}`", p.name)),
            }
        }
        let linked = format!("functions/{fname}.md");
        if !index.contains(&linked) {
            problems.push(format!("docs/index.md: no link to {linked}"));
        }
    }

    // Debug mode.
    for wanted in [
        "terraform-provider-apigw --debug",
        "export TF_REATTACH_PROVIDERS=",
    ] {
        if !index.contains(wanted) {
            problems.push(format!("docs/index.md: debug mode lacks {wanted:?}"));
        }
    }

    assert!(
        problems.is_empty(),
        "documentation gaps:\n  {}",
        problems.join("\n  ")
    );
}

/// Checks the page `docs/<dir>/<type without the provider prefix>.md` of resource or data
/// source type `ty` against its schema; returns the page's name, its text and the schema's
/// items, or None (a problem recorded) when there is no page.
fn type_page(
    docs: &Path,
    dir: &str,
    ty: &str,
    schema: &Value,
    problems: &mut Vec<String>,
) -> Option<(String, String, Vec<Item>)> {
    let short = ty
        .strip_prefix("apigw_")
        .expect("type names start with apigw_");
    let path = docs.join(dir).join(format!("{short}.md"));
    let Ok(page) = std::fs::read_to_string(&path) else {
        problems.push(format!("{ty}: no page {}", path.display()));
        return None;
    };
    let mut attrs = Vec::new();
    items(&schema["block"], "", &mut attrs);
    let name = format!("docs/{dir}/{short}.md");
    check_page(&name, &page, &attrs, problems);
    Some((name, page, attrs))
}

/// The fenced `hcl` blocks of a Markdown text.
fn hcl_blocks(markdown: &str) -> Vec<String> {
    let mut blocks = Vec::new();
    let mut current: Option<String> = None;
    for line in markdown.lines() {
        match (&mut current, line.trim_end()) {
            (None, "```hcl" | "```terraform") => current = Some(String::new()),
            (Some(_), "```") => blocks.extend(current.take()),
            (Some(block), _) => {
                block.push_str(line);
                block.push('\n');
            }
            (None, _) => {}
        }
    }
    blocks
}

fn markdown_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("listing docs") {
        let path = entry.expect("docs entry").path();
        if path.is_dir() {
            markdown_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "md") {
            out.push(path);
        }
    }
}

#[test]
fn hcl_in_the_docs_is_formatted() {
    let root = workspace_root();
    let mut pages = vec![root.join("README.md")];
    markdown_files(&root.join("docs"), &mut pages);
    let tf = TfDir::new();
    let mut checked = 0;
    let mut problems = Vec::new();
    for page in &pages {
        for block in hcl_blocks(&read(page)) {
            let out = tf.tf_stdin(&["fmt", "-no-color", "-"], &block, &[]);
            checked += 1;
            if !out.status.success() {
                problems.push(format!(
                    "{}: not HCL:\n{block}\n{}",
                    page.display(),
                    out.stderr
                ));
            } else if out.stdout != block {
                problems.push(format!(
                    "{}: not formatted; terraform fmt gives:\n{}",
                    page.display(),
                    out.stdout
                ));
            }
        }
    }
    assert!(checked >= 6, "only {checked} HCL blocks found in {pages:?}");
    assert!(problems.is_empty(), "{}", problems.join("\n\n"));
}

/// Directories under `dir` holding `.tf` files, relative to `root`.
fn example_dirs(root: &Path, dir: &Path, out: &mut Vec<PathBuf>) {
    let mut has_tf = false;
    for entry in std::fs::read_dir(dir).expect("listing examples") {
        let path = entry.expect("examples entry").path();
        let hidden = path
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.starts_with('.'));
        if path.is_dir() && !hidden {
            example_dirs(root, &path, out);
        } else if path.extension().is_some_and(|e| e == "tf") {
            has_tf = true;
        }
    }
    if has_tf {
        out.push(dir.strip_prefix(root).expect("under root").to_path_buf());
    }
}

/// Whether an example declares the AWS provider (`hashicorp/aws`), which the offline mirror
/// does not hold.
fn needs_aws_provider(dir: &Path) -> bool {
    std::fs::read_dir(dir)
        .expect("listing an example")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "tf"))
        .any(|p| read(&p).contains("\"hashicorp/aws\""))
}

/// Copies the example's own files (not `.terraform/`, state or lock files) into `to`.
fn copy_example(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("creating the example copy");
    for entry in std::fs::read_dir(from).expect("listing an example") {
        let path = entry.expect("example entry").path();
        let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
            continue;
        };
        if path.is_file() && (name.ends_with(".tf") || name.ends_with(".sh")) {
            std::fs::copy(&path, to.join(name)).expect("copying an example file");
        }
    }
}

#[test]
fn every_example_is_formatted_initialises_offline_and_validates() {
    let examples = workspace_root().join("examples");
    let mut dirs = Vec::new();
    example_dirs(&examples, &examples, &mut dirs);
    dirs.sort();
    let listed: Vec<String> = dirs.iter().map(|d| d.display().to_string()).collect();
    // The registry's scaffolding layout, plus the demo's quickstart.
    for wanted in [
        "provider",
        "resources/apigw_access_log_pipeline",
        "data-sources/apigw_stage_access_log",
        "functions/log_format",
        "quickstart",
        "beside-aws-provider",
        "moving-over",
    ] {
        assert!(
            listed.iter().any(|d| d == wanted),
            "no examples/{wanted}; found {listed:?}"
        );
    }
    for file in [
        "provider/provider.tf",
        "resources/apigw_access_log_pipeline/resource.tf",
        "resources/apigw_access_log_pipeline/import.sh",
        "resources/apigw_access_log_pipeline/import-by-string-id.tf",
        "data-sources/apigw_stage_access_log/data-source.tf",
        "functions/log_format/function.tf",
    ] {
        assert!(examples.join(file).is_file(), "no examples/{file}");
    }

    let tf = TfDir::new();
    let fmt = tf.tf(&[
        "fmt",
        "-check",
        "-recursive",
        "-diff",
        "-no-color",
        examples.to_str().expect("UTF-8 path"),
    ]);
    assert!(
        fmt.status.success(),
        "examples are not formatted (terraform fmt -recursive examples):\n{}{}",
        fmt.stdout,
        fmt.stderr
    );

    for dir in &dirs {
        if needs_aws_provider(&examples.join(dir)) {
            // Formatted (and so parsed) above; init and validate would need the registry.
            eprintln!(
                "examples/{}: format-checked only (needs hashicorp/aws)",
                dir.display()
            );
            continue;
        }
        copy_example(&examples.join(dir), &tf.path().join(dir));
        let chdir = format!("-chdir={}", dir.display());
        let init = tf.tf(&[&chdir, "init", "-input=false", "-no-color"]);
        assert!(
            init.status.success(),
            "examples/{}: init failed\n{}{}",
            dir.display(),
            init.stdout,
            init.stderr
        );
        let validate = tf.tf(&[&chdir, "validate", "-no-color"]);
        assert!(
            validate.status.success() && validate.stdout.contains("The configuration is valid"),
            "examples/{}: validate failed\n{}{}",
            dir.display(),
            validate.stdout,
            validate.stderr
        );
    }

    // Beside aws_api_gateway_stage, the stage leaves the access-log settings to the pipeline.
    let beside = read(&examples.join("beside-aws-provider/main.tf"));
    for wanted in [
        "resource \"aws_api_gateway_stage\"",
        "ignore_changes = [access_log_settings]",
        "apigw_access_log_pipeline.api.bucket_policy_json",
    ] {
        assert!(
            beside.contains(wanted),
            "examples/beside-aws-provider lacks {wanted:?}"
        );
    }

    // Moving over: each pipeline is moved to an attachment and its stream imported, both
    // declared in the example, and no pipeline is left beside them.
    let moving = read(&examples.join("moving-over/main.tf"));
    assert!(
        !moving.contains("resource \"apigw_access_log_pipeline\""),
        "{moving}"
    );
    let targets = |head: &str| -> Vec<String> {
        moving
            .split(&format!("\n{head} {{\n"))
            .skip(1)
            .filter_map(|body| {
                let line = body.lines().find(|l| l.trim_start().starts_with("to "))?;
                Some(line.split('=').nth(1)?.trim().to_owned())
            })
            .collect()
    };
    let (moved, imported) = (targets("moved"), targets("import"));
    assert!(
        moved.len() >= 2 && moved.len() == imported.len(),
        "{moving}"
    );
    for (to, ty) in moved
        .iter()
        .map(|t| (t, "apigw_stage_access_log"))
        .chain(imported.iter().map(|t| (t, "apigw_access_log_stream")))
    {
        let (declared_ty, name) = to.split_once('.').expect("an address");
        assert_eq!(declared_ty, ty, "{to}");
        assert!(
            moving.contains(&format!("resource \"{ty}\" \"{name}\"")),
            "examples/moving-over moves or imports into {to}, which it does not declare"
        );
    }

    // The import command and the import block name the resource the example declares.
    let dir = examples.join("resources/apigw_access_log_pipeline");
    let resource = read(&dir.join("resource.tf"));
    let address = "apigw_access_log_pipeline.example";
    assert!(
        resource.contains("resource \"apigw_access_log_pipeline\" \"example\""),
        "{resource}"
    );
    let import_sh = read(&dir.join("import.sh"));
    let command = import_sh
        .lines()
        .find(|l| l.starts_with("terraform import "))
        .unwrap_or_else(|| panic!("import.sh has no terraform import line:\n{import_sh}"));
    let words: Vec<&str> = command.split_whitespace().collect();
    assert_eq!(words.len(), 4, "{command}");
    assert_eq!(words[2], address, "{command}");
    let (api, stage) = words[3]
        .split_once('/')
        .unwrap_or_else(|| panic!("the import id is not <rest_api_id>/<stage_name>: {command}"));
    assert!(!api.is_empty() && !stage.is_empty(), "{command}");
    let syntax = std::process::Command::new("bash")
        .arg("-n")
        .arg(dir.join("import.sh"))
        .status()
        .expect("running bash -n");
    assert!(syntax.success(), "import.sh is not valid shell");
    let block = read(&dir.join("import-by-string-id.tf"));
    assert!(block.contains(&format!("to = {address}")), "{block}");
}
