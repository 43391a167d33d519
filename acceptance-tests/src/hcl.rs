//! The configuration text tests write: the provider block, and blocks built attribute by
//! attribute with [`Block`].

use crate::*;

/// One block of configuration (`resource`, `data`, `import`, `moved`, ...), built attribute
/// by attribute.
#[derive(Debug, Clone)]
pub struct Block {
    head: String,
    /// The body's lines, indented as they are written out.
    body: Vec<String>,
}

impl Block {
    /// `resource "<ty>" "<name>" { ... }`.
    pub fn resource(ty: &str, name: &str) -> Block {
        Block::new(&format!("resource \"{ty}\" \"{name}\""))
    }

    /// `data "<ty>" "<name>" { ... }`.
    pub fn data(ty: &str, name: &str) -> Block {
        Block::new(&format!("data \"{ty}\" \"{name}\""))
    }

    /// A block with any head, such as `moved` or `import`.
    pub fn new(head: &str) -> Block {
        Block {
            head: head.to_owned(),
            body: Vec::new(),
        }
    }

    /// `key = "value"`, the value quoted and escaped as an HCL string (template sequences
    /// included, so the text arrives as written).
    pub fn string(self, key: &str, value: &str) -> Block {
        let quoted = serde_json::to_string(value).expect("a string serializes");
        let quoted = quoted.replace("${", "$${").replace("%{", "%%{");
        self.expr(key, &quoted)
    }

    /// `key = <expression>`, the expression as written (a reference, a number, an object).
    pub fn expr(mut self, key: &str, expression: &str) -> Block {
        self.body.push(format!("  {key} = {expression}"));
        self
    }

    /// Lines as written, with their own indentation: nested blocks, `lifecycle`, or the
    /// extra attributes a test passes along.
    pub fn lines(mut self, text: &str) -> Block {
        let text = text.trim_matches('\n');
        if !text.trim().is_empty() {
            self.body.push(text.to_owned());
        }
        self
    }

    /// The block's text.
    pub fn render(&self) -> String {
        let mut out = format!("\n{} {{\n", self.head);
        for line in &self.body {
            out.push_str(line);
            out.push('\n');
        }
        out.push_str("}\n");
        out
    }
}

/// The standard configuration header: the provider's source and an empty provider block.
pub fn provider_block() -> String {
    format!(
        "terraform {{\n  required_providers {{\n    apigw = {{\n      source = \"{PROVIDER_SHORT_SOURCE}\"\n    }}\n  }}\n}}\n\nprovider \"apigw\" {{}}\n"
    )
}

/// A pipeline whose plan needs the provider (terraform prunes unused providers, so this makes
/// it start and configure the provider) but no AWS call: its id and names come from the
/// configuration.
pub const OFFLINE_PIPELINE: &str = r#"
resource "apigw_access_log_pipeline" "p" {
  rest_api_id = "abc123defg"
  stage_name  = "prod"
  s3 = {
    bucket_arn = "arn:aws:s3:::some-bucket"
  }
}
"#;

/// One pipeline resource `name` for `api`/`stage`; `extra` goes inside the resource.
pub fn pipeline_hcl(name: &str, api: &str, stage: &str, bucket_arn: &str, extra: &str) -> String {
    Block::resource("apigw_access_log_pipeline", name)
        .string("rest_api_id", api)
        .string("stage_name", stage)
        .lines(&format!(
            "  s3 = {{\n    bucket_arn = \"{bucket_arn}\"\n  }}"
        ))
        .lines(extra)
        .render()
}
