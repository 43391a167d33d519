//! Schemas: attributes with their validators and plan behaviour declared beside them, nested
//! attributes and blocks, and their translation to the protocol's schema messages.

use std::sync::Arc;

use super::diagnostics::{AttrPath, Diagnostics};
use super::proto::tfplugin6 as pb;
use super::types::Type;
use super::value::Value;

/// Checks a known, non-null attribute value and reports problems at `path`.
pub trait Validator: Send + Sync {
    fn validate(&self, path: &AttrPath, value: &Value, diags: &mut Diagnostics);
    /// One line for the docs: "must be between 1 and 128".
    fn describe(&self) -> String;
}

/// Whether the user sets an attribute, the provider does, or either.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Required,
    Optional,
    Computed,
    /// Set by the user, or else by the provider (from a default or from the remote object).
    OptionalComputed,
}

/// What an attribute holds: a plain value of a type, or nested attributes.
#[derive(Clone)]
pub enum AttrType {
    Plain(Type),
    /// Protocol-6 nested attributes with single nesting: `s3 = { ... }`.
    Object(Vec<Attribute>),
}

/// One attribute of a schema.
#[derive(Clone)]
pub struct Attribute {
    pub name: &'static str,
    pub ty: AttrType,
    pub mode: Mode,
    pub description: &'static str,
    pub sensitive: bool,
    /// Value planned when the configuration leaves the attribute null.
    pub default: Option<Value>,
    /// A change of this attribute replaces the resource (plan modifier `RequiresReplace`).
    pub requires_replace: bool,
    /// A computed value the configuration leaves null keeps its prior value on update instead
    /// of being planned unknown (plan modifier `UseStateForUnknown`).
    pub use_state_for_unknown: bool,
    pub validators: Vec<Arc<dyn Validator>>,
}

impl Attribute {
    fn new(name: &'static str, ty: AttrType, mode: Mode, description: &'static str) -> Attribute {
        Attribute {
            name,
            ty,
            mode,
            description,
            sensitive: false,
            default: None,
            requires_replace: false,
            use_state_for_unknown: false,
            validators: Vec::new(),
        }
    }

    pub fn required(name: &'static str, ty: Type, description: &'static str) -> Attribute {
        Attribute::new(name, AttrType::Plain(ty), Mode::Required, description)
    }

    pub fn optional(name: &'static str, ty: Type, description: &'static str) -> Attribute {
        Attribute::new(name, AttrType::Plain(ty), Mode::Optional, description)
    }

    pub fn computed(name: &'static str, ty: Type, description: &'static str) -> Attribute {
        Attribute::new(name, AttrType::Plain(ty), Mode::Computed, description)
    }

    pub fn optional_computed(name: &'static str, ty: Type, description: &'static str) -> Attribute {
        Attribute::new(
            name,
            AttrType::Plain(ty),
            Mode::OptionalComputed,
            description,
        )
    }

    pub fn nested(
        name: &'static str,
        mode: Mode,
        description: &'static str,
        attributes: Vec<Attribute>,
    ) -> Attribute {
        Attribute::new(name, AttrType::Object(attributes), mode, description)
    }

    /// Plans `value` when the configuration leaves the attribute null; implies optional+computed.
    pub fn with_default(mut self, value: impl Into<Value>) -> Attribute {
        self.default = Some(value.into());
        self.mode = Mode::OptionalComputed;
        self
    }

    pub fn requires_replace(mut self) -> Attribute {
        self.requires_replace = true;
        self
    }

    /// Keeps the prior value of this computed attribute on update when the configuration
    /// leaves it null: for values that never change once made, such as ids and ARNs.
    pub fn use_state_for_unknown(mut self) -> Attribute {
        self.use_state_for_unknown = true;
        self
    }

    pub fn sensitive(mut self) -> Attribute {
        self.sensitive = true;
        self
    }

    pub fn validate(mut self, validator: impl Validator + 'static) -> Attribute {
        self.validators.push(Arc::new(validator));
        self
    }

    pub fn is_computed(&self) -> bool {
        matches!(self.mode, Mode::Computed | Mode::OptionalComputed)
    }

    pub fn value_type(&self) -> Type {
        match &self.ty {
            AttrType::Plain(t) => t.clone(),
            AttrType::Object(attrs) => object_type(attrs),
        }
    }

    fn to_proto(&self) -> pb::schema::Attribute {
        let (ty, nested_type) = match &self.ty {
            AttrType::Plain(t) => (t.to_json_bytes(), None),
            AttrType::Object(attrs) => (
                Vec::new(),
                Some(pb::schema::Object {
                    attributes: attrs.iter().map(Attribute::to_proto).collect(),
                    nesting: pb::schema::object::NestingMode::Single as i32,
                    ..Default::default()
                }),
            ),
        };
        pb::schema::Attribute {
            name: self.name.to_owned(),
            r#type: ty,
            nested_type,
            description: self.full_description(),
            required: self.mode == Mode::Required,
            optional: matches!(self.mode, Mode::Optional | Mode::OptionalComputed),
            computed: self.is_computed(),
            sensitive: self.sensitive,
            description_kind: pb::StringKind::Markdown as i32,
            deprecated: false,
            write_only: false,
        }
    }

    /// The description with the default and the replace rule appended, as users read it in
    /// the docs and in `terraform providers schema`.
    pub fn full_description(&self) -> String {
        let mut text = self.description.to_owned();
        if let Some(default) = &self.default {
            text.push_str(&format!(" Defaults to `{}`.", display_value(default)));
        }
        if self.requires_replace {
            text.push_str(" Changing it replaces the resource.");
        }
        text
    }
}

fn display_value(value: &Value) -> String {
    match value {
        Value::String(s) if s.len() > 60 => "the JSON preset".to_owned(),
        Value::String(s) => s.clone(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        // An object default as HCL writes it: `{ enabled = true, key_type = "X" }`.
        Value::Object(items) => {
            let fields: Vec<String> = items
                .iter()
                .map(|(k, v)| match v {
                    Value::String(s) => format!("{k} = {s:?}"),
                    v => format!("{k} = {}", display_value(v)),
                })
                .collect();
            format!("{{ {} }}", fields.join(", "))
        }
        other => format!("{other:?}"),
    }
}

/// A nested block with single nesting, as the AWS provider uses for `assume_role { ... }`.
#[derive(Clone)]
pub struct Block {
    pub name: &'static str,
    pub description: &'static str,
    pub attributes: Vec<Attribute>,
}

/// The schema of a provider block or a resource.
#[derive(Clone)]
pub struct Schema {
    pub version: i64,
    pub description: &'static str,
    pub attributes: Vec<Attribute>,
    pub blocks: Vec<Block>,
}

impl Schema {
    pub fn new(description: &'static str, attributes: Vec<Attribute>) -> Schema {
        Schema {
            version: 0,
            description,
            attributes,
            blocks: Vec::new(),
        }
    }

    pub fn with_blocks(mut self, blocks: Vec<Block>) -> Schema {
        self.blocks = blocks;
        self
    }

    /// The object type of values of this schema.
    pub fn value_type(&self) -> Type {
        let mut ty = object_type(&self.attributes);
        if let Type::Object(attrs) = &mut ty {
            for block in &self.blocks {
                attrs.insert(block.name.to_owned(), object_type(&block.attributes));
            }
        }
        ty
    }

    pub fn attribute(&self, name: &str) -> Option<&Attribute> {
        self.attributes.iter().find(|a| a.name == name)
    }

    pub fn to_proto(&self) -> pb::Schema {
        pb::Schema {
            version: self.version,
            block: Some(pb::schema::Block {
                version: self.version,
                attributes: self.attributes.iter().map(Attribute::to_proto).collect(),
                block_types: self
                    .blocks
                    .iter()
                    .map(|b| pb::schema::NestedBlock {
                        type_name: b.name.to_owned(),
                        block: Some(pb::schema::Block {
                            attributes: b.attributes.iter().map(Attribute::to_proto).collect(),
                            description: b.description.to_owned(),
                            description_kind: pb::StringKind::Markdown as i32,
                            ..Default::default()
                        }),
                        nesting: pb::schema::nested_block::NestingMode::Single as i32,
                        ..Default::default()
                    })
                    .collect(),
                description: self.description.to_owned(),
                description_kind: pb::StringKind::Markdown as i32,
                deprecated: false,
            }),
        }
    }

    /// Every string inside the values of attributes marked sensitive, in a value of this
    /// schema (such as a provider configuration): what logs and diagnostics must never show.
    pub fn sensitive_strings(&self, value: &Value) -> Vec<String> {
        let mut out = Vec::new();
        collect_sensitive(&self.attributes, value, &mut out);
        for block in &self.blocks {
            collect_sensitive(&block.attributes, value.attr(block.name), &mut out);
        }
        out
    }

    /// Runs every attribute's validators over a configuration. Unknown and null values are
    /// skipped: they are checked again once known. What validators say about a sensitive
    /// attribute never quotes its value.
    pub fn validate(&self, config: &Value, diags: &mut Diagnostics) {
        validate_attributes(&self.attributes, &AttrPath::root(), config, diags);
        for block in &self.blocks {
            let path = AttrPath::root().attr(block.name);
            validate_attributes(&block.attributes, &path, config.attr(block.name), diags);
        }
    }
}

fn object_type(attrs: &[Attribute]) -> Type {
    Type::Object(
        attrs
            .iter()
            .map(|a| (a.name.to_owned(), a.value_type()))
            .collect(),
    )
}

fn collect_sensitive(attrs: &[Attribute], object: &Value, out: &mut Vec<String>) {
    for attr in attrs {
        let value = object.attr(attr.name);
        if attr.sensitive {
            collect_strings(value, out);
        } else if let AttrType::Object(nested) = &attr.ty {
            collect_sensitive(nested, value, out);
        }
    }
}

fn collect_strings(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::String(s) => out.push(s.clone()),
        Value::List(v) | Value::Set(v) | Value::Tuple(v) => {
            v.iter().for_each(|v| collect_strings(v, out))
        }
        Value::Map(m) | Value::Object(m) => m.values().for_each(|v| collect_strings(v, out)),
        _ => {}
    }
}

fn validate_attributes(
    attrs: &[Attribute],
    path: &AttrPath,
    object: &Value,
    diags: &mut Diagnostics,
) {
    for attr in attrs {
        let value = object.attr(attr.name);
        let attr_path = path.attr(attr.name);
        if value.is_null() || value.is_unknown() {
            continue;
        }
        let mut found = Diagnostics::new();
        for v in &attr.validators {
            v.validate(&attr_path, value, &mut found);
        }
        if attr.sensitive {
            let mut secrets = Vec::new();
            collect_strings(value, &mut secrets);
            secrets.iter().for_each(|s| found.scrub(s));
        }
        diags.extend(found);
        if let AttrType::Object(nested) = &attr.ty {
            validate_attributes(nested, &attr_path, value, diags);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn value_type_includes_nested_attributes_and_blocks() {
        let schema = Schema::new(
            "",
            vec![
                Attribute::required("a", Type::String, ""),
                Attribute::nested(
                    "n",
                    Mode::Optional,
                    "",
                    vec![Attribute::optional("x", Type::Number, "")],
                ),
            ],
        )
        .with_blocks(vec![Block {
            name: "b",
            description: "",
            attributes: vec![],
        }]);
        let expected = Type::object([
            ("a", Type::String),
            ("n", Type::object([("x", Type::Number)])),
            ("b", Type::object([])),
        ]);
        assert_eq!(schema.value_type(), expected);
    }

    #[test]
    fn sensitive_values_are_found_and_never_quoted_by_validators() {
        use crate::plugin::validators::OneOf;
        let schema = Schema::new(
            "",
            vec![
                Attribute::optional("plain", Type::String, "").validate(OneOf(&["x"])),
                Attribute::optional("secret", Type::String, "")
                    .sensitive()
                    .validate(OneOf(&["x"])),
            ],
        )
        .with_blocks(vec![Block {
            name: "b",
            description: "",
            attributes: vec![Attribute::optional("key", Type::String, "").sensitive()],
        }]);
        let config = Value::object([
            ("plain", "visible-value".into()),
            ("secret", "hidden-value".into()),
            ("b", Value::object([("key", "block-secret".into())])),
        ]);
        assert_eq!(
            schema.sensitive_strings(&config),
            vec!["hidden-value".to_owned(), "block-secret".to_owned()]
        );
        let mut d = Diagnostics::new();
        schema.validate(&config, &mut d);
        assert_eq!(d.0.len(), 2, "{d:?}");
        assert!(d.0[0].detail.contains("visible-value"), "{}", d.0[0].detail);
        assert!(!d.0[1].detail.contains("hidden-value"), "{}", d.0[1].detail);
        assert!(
            d.0[1].detail.contains("(sensitive value)"),
            "{}",
            d.0[1].detail
        );
    }

    #[test]
    fn defaults_make_attributes_optional_and_computed() {
        let a = Attribute::optional("x", Type::Bool, "Whether.").with_default(true);
        let p = a.to_proto();
        assert!(p.optional && p.computed && !p.required);
        assert!(p.description.ends_with("Defaults to `true`."));
    }
}
