//! Generic planning: defaults for attributes the configuration leaves null, stable computed
//! values, and the replace paths that follow from each attribute's `requires_replace`.

use super::diagnostics::AttrPath;
use super::schema::{AttrType, Attribute, Schema};
use super::value::Value;

/// Fills in what the schema decides about a proposed new state: defaults where the
/// configuration is null, unknown for computed values not yet known on create, and prior
/// values for computed values on update.
pub fn apply_schema(schema: &Schema, prior: &Value, proposed: &Value, config: &Value) -> Value {
    plan_object(&schema.attributes, prior, proposed, config)
}

fn plan_object(attrs: &[Attribute], prior: &Value, proposed: &Value, config: &Value) -> Value {
    let Value::Object(items) = proposed else {
        return proposed.clone();
    };
    let mut planned = items.clone();
    for attr in attrs {
        let (cfg, prior_v) = (config.attr(attr.name), prior.attr(attr.name));
        let mut value = proposed.attr(attr.name).clone();
        if let AttrType::Object(nested) = &attr.ty {
            value = plan_object(nested, prior_v, &value, cfg);
        }
        if attr.is_computed() && cfg.is_null() {
            value = match (&attr.default, prior_v) {
                (Some(default), _) => default.clone(),
                (None, Value::Null) => Value::unknown(),
                (None, prior_v) => prior_v.clone(),
            };
        }
        planned.insert(attr.name.to_owned(), value);
    }
    Value::Object(planned)
}

/// The attributes marked `requires_replace` whose planned value differs from the prior one.
pub fn replace_paths(schema: &Schema, prior: &Value, planned: &Value) -> Vec<AttrPath> {
    let mut paths = Vec::new();
    if !prior.is_null() {
        collect_replace(
            &schema.attributes,
            &AttrPath::root(),
            prior,
            planned,
            &mut paths,
        );
    }
    paths
}

fn collect_replace(
    attrs: &[Attribute],
    path: &AttrPath,
    prior: &Value,
    planned: &Value,
    out: &mut Vec<AttrPath>,
) {
    for attr in attrs {
        let (before, after) = (prior.attr(attr.name), planned.attr(attr.name));
        let attr_path = path.attr(attr.name);
        if attr.requires_replace && before != after {
            out.push(attr_path);
        } else if let AttrType::Object(nested) = &attr.ty {
            collect_replace(nested, &attr_path, before, after, out);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plugin::schema::Mode;
    use crate::plugin::types::Type;

    fn schema() -> Schema {
        Schema::new(
            "",
            vec![
                Attribute::required("name", Type::String, "").requires_replace(),
                Attribute::computed("id", Type::String, ""),
                Attribute::optional("size", Type::Number, "").with_default(5),
                Attribute::nested(
                    "inner",
                    Mode::Required,
                    "",
                    vec![Attribute::optional("flag", Type::Bool, "").with_default(true)],
                ),
            ],
        )
    }

    fn obj(name: &str, id: Value, size: Value, flag: Value) -> Value {
        Value::object([
            ("name", name.into()),
            ("id", id),
            ("size", size),
            ("inner", Value::object([("flag", flag)])),
        ])
    }

    #[test]
    fn create_fills_defaults_and_marks_computed_unknown() {
        let config = obj("a", Value::Null, Value::Null, Value::Null);
        let planned = apply_schema(&schema(), &Value::Null, &config, &config);
        assert_eq!(
            planned,
            obj("a", Value::unknown(), Value::int(5), Value::Bool(true))
        );
    }

    #[test]
    fn update_keeps_computed_values_and_resets_removed_settings_to_default() {
        let prior = obj("a", "x".into(), Value::int(9), Value::Bool(false));
        let config = obj("a", Value::Null, Value::Null, Value::Null);
        // Terraform proposes prior values for computed attributes the config leaves null.
        let proposed = prior.clone();
        let planned = apply_schema(&schema(), &prior, &proposed, &config);
        assert_eq!(
            planned,
            obj("a", "x".into(), Value::int(5), Value::Bool(true))
        );
        assert!(replace_paths(&schema(), &prior, &planned).is_empty());
    }

    #[test]
    fn replace_paths_name_changed_replace_attributes() {
        let prior = obj("a", "x".into(), Value::int(5), Value::Bool(true));
        let planned = obj("b", "x".into(), Value::int(6), Value::Bool(true));
        assert_eq!(
            replace_paths(&schema(), &prior, &planned),
            vec![AttrPath::attrs(["name"])]
        );
        assert!(replace_paths(&schema(), &Value::Null, &planned).is_empty());
    }

    #[test]
    fn unknown_configuration_passes_through() {
        let config = Value::object([("name", Value::unknown()), ("inner", Value::unknown())]);
        let planned = apply_schema(&schema(), &Value::Null, &config, &config);
        assert!(planned.attr("name").is_unknown());
        assert!(planned.attr("inner").is_unknown());
    }
}
