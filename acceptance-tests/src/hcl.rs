//! The HCL tests write: configurations built block by block with [`Block`] and [`Value`],
//! the provider header, and the CLI configuration of a provider mirror.

use crate::*;

/// One attribute's value.
#[derive(Debug, Clone)]
pub enum Value {
    /// A string, quoted and escaped when written (template sequences included, so the text
    /// arrives as written).
    Str(String),
    /// An expression as written: a reference, a number, a function call, a `for` expression.
    Expr(String),
    /// An object (`{ key = value ... }`), its attributes those of a headless [`Block`].
    Object(Block),
    /// A tuple (`[a, b]`).
    List(Vec<Value>),
}

impl Value {
    /// A quoted string.
    pub fn str(text: impl Into<String>) -> Value {
        Value::Str(text.into())
    }

    /// An expression as written.
    pub fn expr(text: impl Into<String>) -> Value {
        Value::Expr(text.into())
    }

    /// A tuple of quoted strings.
    pub fn strings<S: AsRef<str>>(items: impl IntoIterator<Item = S>) -> Value {
        Value::List(items.into_iter().map(|s| Value::str(s.as_ref())).collect())
    }

    fn write(&self, indent: usize, out: &mut String) {
        match self {
            Value::Str(text) => out.push_str(&quote(text)),
            Value::Expr(text) => out.push_str(text),
            Value::Object(body) => body.write_body(indent, out),
            Value::List(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    item.write(indent, out);
                }
                out.push(']');
            }
        }
    }
}

/// An HCL string literal for `text`: JSON's escapes, plus `$${` and `%%{` so no template runs.
pub fn quote(text: &str) -> String {
    let quoted = serde_json::to_string(text).expect("a string serializes");
    quoted.replace("${", "$${").replace("%{", "%%{")
}

/// An object key: bare when it is an identifier, quoted otherwise (`"team:name"`).
fn key(name: &str) -> String {
    let mut chars = name.chars();
    let identifier = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if identifier {
        name.to_owned()
    } else {
        quote(name)
    }
}

#[derive(Debug, Clone)]
enum Item {
    Attr(String, Value),
    Block(Block),
}

/// One block of configuration (`resource`, `data`, `provider`, `import`, `moved`,
/// `lifecycle`, ...), or with no head the body of an object value, built attribute by
/// attribute.
#[derive(Debug, Clone, Default)]
pub struct Block {
    head: Option<String>,
    items: Vec<Item>,
}

impl Block {
    /// A block with any head, written as given (`lifecycle`, `terraform`, `output "x"`).
    pub fn new(head: &str) -> Block {
        Block {
            head: Some(head.to_owned()),
            items: Vec::new(),
        }
    }

    /// A block whose head is a keyword and quoted labels: `resource "t" "n"`.
    pub fn labeled(keyword: &str, labels: &[&str]) -> Block {
        let mut head = keyword.to_owned();
        for label in labels {
            head.push(' ');
            head.push_str(&quote(label));
        }
        Block::new(&head)
    }

    /// `resource "<ty>" "<name>" { ... }`.
    pub fn resource(ty: &str, name: &str) -> Block {
        Block::labeled("resource", &[ty, name])
    }

    /// `data "<ty>" "<name>" { ... }`.
    pub fn data(ty: &str, name: &str) -> Block {
        Block::labeled("data", &[ty, name])
    }

    /// `provider "<name>" { ... }`.
    pub fn provider(name: &str) -> Block {
        Block::labeled("provider", &[name])
    }

    /// `moved { from = <from>  to = <to> }`, both addresses as written.
    pub fn moved(from: &str, to: &str) -> Block {
        Block::new("moved").expr("from", from).expr("to", to)
    }

    /// `import { to = <to>  id = "<id>" }`, the address as written.
    pub fn import(to: &str, id: &str) -> Block {
        Block::new("import").expr("to", to).string("id", id)
    }

    /// `lifecycle { ... }`, to pass to [`Block::block`].
    pub fn lifecycle() -> Block {
        Block::new("lifecycle")
    }

    /// The body of an object value, to pass to [`Block::object`].
    pub fn object() -> Block {
        Block::default()
    }

    /// `key = <value>`.
    pub fn value(mut self, key: &str, value: Value) -> Block {
        self.items.push(Item::Attr(key.to_owned(), value));
        self
    }

    /// `key = "value"`, quoted (see [`Value::Str`]).
    pub fn string(self, key: &str, value: &str) -> Block {
        self.value(key, Value::str(value))
    }

    /// `key = <expression>`, the expression as written (a reference, a number, a call).
    pub fn expr(self, key: &str, expression: &str) -> Block {
        self.value(key, Value::expr(expression))
    }

    /// `key = { ... }`, an object attribute (such as `s3` or `tags`).
    pub fn object_attr(self, key: &str, body: Block) -> Block {
        self.value(key, Value::Object(body))
    }

    /// `key = { k = "v" ... }`, a map of strings (such as `tags`).
    pub fn map<K: AsRef<str>, V: AsRef<str>>(
        self,
        key: &str,
        entries: impl IntoIterator<Item = (K, V)>,
    ) -> Block {
        let body = entries.into_iter().fold(Block::object(), |b, (k, v)| {
            b.string(k.as_ref(), v.as_ref())
        });
        self.object_attr(key, body)
    }

    /// `key = [a, b]`.
    pub fn list(self, key: &str, items: Vec<Value>) -> Block {
        self.value(key, Value::List(items))
    }

    /// `count = n`.
    pub fn count(self, n: usize) -> Block {
        self.expr("count", &n.to_string())
    }

    /// `for_each = <expression>`.
    pub fn for_each(self, expression: &str) -> Block {
        self.expr("for_each", expression)
    }

    /// `depends_on = [<addresses>]`.
    pub fn depends_on(self, addresses: &[&str]) -> Block {
        let items = addresses.iter().map(|a| Value::expr(*a)).collect();
        self.list("depends_on", items)
    }

    /// A nested block (`lifecycle`, `required_providers`, `postcondition`).
    pub fn block(mut self, nested: Block) -> Block {
        self.items.push(Item::Block(nested));
        self
    }

    /// Every item of `other` appended to this body: the extra attributes a test passes to a
    /// helper that builds the rest.
    pub fn with(mut self, other: Block) -> Block {
        self.items.extend(other.items);
        self
    }

    /// The block's text, after a blank line; a headless block renders its `{ ... }` body.
    pub fn render(&self) -> String {
        let mut out = String::new();
        if self.head.is_some() {
            out.push('\n');
        }
        self.write(0, &mut out);
        out.push('\n');
        out
    }

    fn write(&self, indent: usize, out: &mut String) {
        if let Some(head) = &self.head {
            out.push_str(head);
            out.push(' ');
        }
        self.write_body(indent, out);
    }

    fn write_body(&self, indent: usize, out: &mut String) {
        if self.items.is_empty() {
            out.push_str("{}");
            return;
        }
        out.push_str("{\n");
        let pad = "  ".repeat(indent + 1);
        for item in &self.items {
            match item {
                Item::Attr(name, value) => {
                    out.push_str(&pad);
                    out.push_str(&key(name));
                    out.push_str(" = ");
                    value.write(indent + 1, out);
                }
                Item::Block(nested) => {
                    out.push_str(&pad);
                    nested.write(indent + 1, out);
                }
            }
            out.push('\n');
        }
        out.push_str(&"  ".repeat(indent));
        out.push('}');
    }
}

impl std::fmt::Display for Block {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.render())
    }
}

/// The `terraform` block naming the provider's source, with no provider block: for a test
/// that writes its own `provider "apigw"`.
pub fn required_providers() -> String {
    let source = Block::object().string("source", PROVIDER_SHORT_SOURCE);
    let required = Block::new("required_providers").object_attr("apigw", source);
    // Without the leading blank line: this starts the file.
    Block::new("terraform").block(required).render()[1..].to_owned()
}

/// The standard configuration header: the provider's source and an empty provider block.
pub fn provider_block() -> String {
    required_providers() + &Block::provider("apigw").render()
}

/// The text of `blocks`, one after another.
pub fn render_all<'a>(blocks: impl IntoIterator<Item = &'a Block>) -> String {
    blocks.into_iter().map(Block::render).collect()
}

/// [`provider_block`] followed by `blocks`: a whole configuration.
pub fn config<'a>(blocks: impl IntoIterator<Item = &'a Block>) -> String {
    provider_block() + &render_all(blocks)
}

/// `s3 = { bucket_arn = "<arn>" }`'s object, for a pipeline or a stream.
pub fn s3(bucket_arn: &str) -> Block {
    Block::object().string("bucket_arn", bucket_arn)
}

/// A pipeline for `api`/`stage` writing to `bucket_arn`, to extend before rendering.
pub fn pipeline(name: &str, api: &str, stage: &str, bucket_arn: &str) -> Block {
    pipeline_to(name, api, stage, s3(bucket_arn))
}

/// A pipeline for `api`/`stage` with `s3` as given (a key, a prefix, buffering).
pub fn pipeline_to(name: &str, api: &str, stage: &str, s3: Block) -> Block {
    Block::resource("apigw_access_log_pipeline", name)
        .string("rest_api_id", api)
        .string("stage_name", stage)
        .object_attr("s3", s3)
}

/// `s3` (an object, such as [`s3`]'s) extended for a partitioned stream: a prefix naming both
/// partition keys, an error prefix, and a buffer of `buffering_size_mib`. A partitioned stream
/// needs both prefixes and a buffer of at least 64 MiB (the provider's
/// `stream_parts::partitioning::MIN_BUFFER_MIB` says where that comes from); a test passes
/// less to see it refused.
pub fn partitioned_s3(s3: Block, buffering_size_mib: u32) -> Block {
    s3.string(
        "prefix",
        "logs/api_id=!{partitionKeyFromQuery:api_id}/stage=!{partitionKeyFromQuery:stage}/!{timestamp:yyyy/MM/dd/HH}/",
    )
    .string(
        "error_output_prefix",
        "errors/!{firehose:error-output-type}/",
    )
    .expr("buffering_size_mib", &buffering_size_mib.to_string())
}

/// `locals { stages = { "<api>/<stage>" = { api = ..., stage = ... } ... } }`: the map
/// [`stage_access_logs_into`] iterates.
pub fn stages_local(stages: &[(String, String)]) -> Block {
    let map = stages.iter().fold(Block::object(), |map, (api, stage)| {
        let entry = Block::object().string("api", api).string("stage", stage);
        map.object_attr(&format!("{api}/{stage}"), entry)
    });
    Block::new("locals").object_attr("stages", map)
}

/// `apigw_stage_access_log.s`, one per entry of [`stages_local`], each pointed at the stream
/// `stream` (an address) in that stream's format.
pub fn stage_access_logs_into(stream: &str) -> Block {
    Block::resource("apigw_stage_access_log", "s")
        .for_each("local.stages")
        .expr("rest_api_id", "each.value.api")
        .expr("stage_name", "each.value.stage")
        .expr("destination_arn", &format!("{stream}.arn"))
        .expr("format", &format!("{stream}.format"))
}

/// A CLI configuration installing providers from the filesystem mirror at `path`; only
/// `include` from there when it names any.
pub fn filesystem_mirror_config(path: &str, include: &[&str]) -> String {
    let mut mirror = Block::new("filesystem_mirror").string("path", path);
    if !include.is_empty() {
        mirror = mirror.value("include", Value::strings(include));
    }
    Block::new("provider_installation").block(mirror).render()
}

/// A pipeline whose plan needs the provider (terraform prunes unused providers, so this makes
/// it start and configure the provider) but no AWS call: its id and names come from the
/// configuration.
pub fn offline_pipeline() -> String {
    pipeline("p", "abc123defg", "prod", "arn:aws:s3:::some-bucket").render()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nested_objects_lists_and_blocks_are_indented_by_depth() {
        let text = Block::resource("apigw_access_log_pipeline", "p")
            .count(2)
            .string("stage_name", "s${count.index}")
            .expr("rest_api_id", "format(\"a%d\", count.index)")
            .object_attr("s3", s3("arn:aws:s3:::b").string("prefix", "logs/"))
            .map("tags", [("team:name", "x"), ("env", "prod")])
            .list("ids", vec![Value::str("a"), Value::expr("var.b")])
            .block(Block::lifecycle().expr("prevent_destroy", "true"))
            .render();
        let want = r#"
resource "apigw_access_log_pipeline" "p" {
  count = 2
  stage_name = "s$${count.index}"
  rest_api_id = format("a%d", count.index)
  s3 = {
    bucket_arn = "arn:aws:s3:::b"
    prefix = "logs/"
  }
  tags = {
    "team:name" = "x"
    env = "prod"
  }
  ids = ["a", var.b]
  lifecycle {
    prevent_destroy = true
  }
}
"#;
        assert_eq!(text, want);
    }

    #[test]
    fn moved_import_data_and_for_each_write_their_own_heads() {
        let text = config(&[
            Block::moved("apigw_access_log_pipeline.a", "apigw_access_log_pipeline.b"),
            Block::import("apigw_access_log_stream.s", "name\"q"),
            Block::data("apigw_stage_access_log", "d").for_each("toset([\"a\"])"),
        ]);
        assert!(text.starts_with("terraform {\n  required_providers {\n    apigw = {\n"));
        assert!(text.contains("\nprovider \"apigw\" {}\n"), "{text}");
        assert!(text.contains(
            "\nmoved {\n  from = apigw_access_log_pipeline.a\n  to = apigw_access_log_pipeline.b\n}\n"
        ));
        assert!(
            text.contains(
                "\nimport {\n  to = apigw_access_log_stream.s\n  id = \"name\\\"q\"\n}\n"
            )
        );
        assert!(text.contains(
            "\ndata \"apigw_stage_access_log\" \"d\" {\n  for_each = toset([\"a\"])\n}\n"
        ));
    }

    #[test]
    fn with_appends_a_helpers_extra_attributes_and_empty_bodies_stay_on_one_line() {
        let extra = Block::object().string("format", "clf");
        let text = pipeline("x", "api", "prod", "arn:aws:s3:::b")
            .with(extra)
            .render();
        assert!(text.ends_with("  }\n  format = \"clf\"\n}\n"), "{text}");
        assert_eq!(
            Block::provider("apigw").render(),
            "\nprovider \"apigw\" {}\n"
        );
        assert_eq!(Block::object().render(), "{}\n");
    }

    #[test]
    fn the_stage_map_quotes_its_keys_and_the_attachments_iterate_it() {
        let stages = [("a1".to_owned(), "prod".to_owned())];
        let text = render_all(&[stages_local(&stages), stage_access_logs_into("x.s")]);
        assert!(
            text.starts_with(
                "\nlocals {\n  stages = {\n    \"a1/prod\" = {\n      api = \"a1\"\n      stage = \"prod\"\n    }\n  }\n}\n"
            ),
            "{text}"
        );
        assert!(text.contains("  for_each = local.stages\n"), "{text}");
        assert!(text.contains("  destination_arn = x.s.arn\n  format = x.s.format\n"));
        let s3 = partitioned_s3(Block::object(), 32).render();
        assert!(s3.contains("  prefix = \"logs/api_id=!{partitionKeyFromQuery:api_id}/"));
        assert!(s3.ends_with("  buffering_size_mib = 32\n}\n"), "{s3}");
    }

    #[test]
    fn a_mirror_config_includes_only_what_it_is_given() {
        let all = filesystem_mirror_config("/m", &[]);
        assert_eq!(
            all,
            "\nprovider_installation {\n  filesystem_mirror {\n    path = \"/m\"\n  }\n}\n"
        );
        let one = filesystem_mirror_config("/m", &["a/b/c"]);
        assert!(one.contains("    include = [\"a/b/c\"]\n"), "{one}");
    }

    #[test]
    fn keys_that_are_not_identifiers_are_quoted() {
        assert_eq!(key("bucket_arn"), "bucket_arn");
        assert_eq!(key("a-b"), "a-b");
        assert_eq!(key("aws:x"), "\"aws:x\"");
        assert_eq!(key("1a"), "\"1a\"");
    }
}
