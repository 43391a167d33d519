//! Generic planning: defaults for attributes the configuration leaves null, computed values
//! kept where an attribute says `use_state_for_unknown` (unknown elsewhere), and the replace
//! paths that follow from each attribute's `requires_replace`.

use super::diagnostics::AttrPath;
use super::schema::{AttrType, Attribute, Schema};
use super::value::Value;

/// Fills in what the schema decides about a proposed new state. A computed attribute the
/// configuration leaves null gets its default if it has one; otherwise its prior value when it
/// is marked `use_state_for_unknown` and has one (an update), and unknown in every other case.
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
            value = match &attr.default {
                Some(default) => default.clone(),
                None if attr.use_state_for_unknown && !prior_v.is_null() => prior_v.clone(),
                None => Value::unknown(),
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
                Attribute::computed("id", Type::String, "").use_state_for_unknown(),
                Attribute::computed("digest", Type::String, ""),
                Attribute::optional_computed("alias", Type::String, "").use_state_for_unknown(),
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
            ("digest", Value::Null),
            ("alias", Value::Null),
            ("size", size),
            ("inner", Value::object([("flag", flag)])),
        ])
    }

    /// `value` with `name` set to `to`.
    fn with(mut value: Value, name: &str, to: Value) -> Value {
        *value
            .attr_mut(name)
            .expect("an attribute of the test schema") = to;
        value
    }

    #[test]
    fn create_fills_defaults_and_marks_computed_unknown() {
        let config = obj("a", Value::Null, Value::Null, Value::Null);
        let planned = apply_schema(&schema(), &Value::Null, &config, &config);
        let expected = obj("a", Value::unknown(), Value::int(5), Value::Bool(true));
        let expected = with(expected, "digest", Value::unknown());
        assert_eq!(planned, with(expected, "alias", Value::unknown()));
    }

    #[test]
    fn update_keeps_marked_computed_values_and_resets_removed_settings_to_default() {
        let prior = obj("a", "x".into(), Value::int(9), Value::Bool(false));
        let prior = with(prior, "alias", "kept".into());
        let config = obj("a", Value::Null, Value::Null, Value::Null);
        // Terraform proposes prior values for computed attributes the config leaves null.
        let proposed = prior.clone();
        let planned = apply_schema(&schema(), &prior, &proposed, &config);
        let expected = obj("a", "x".into(), Value::int(5), Value::Bool(true));
        let expected = with(expected, "alias", "kept".into());
        assert_eq!(planned, with(expected, "digest", Value::unknown()));
        assert!(replace_paths(&schema(), &prior, &planned).is_empty());
    }

    #[test]
    fn update_plans_unmarked_computed_values_unknown() {
        let prior = with(
            obj("a", "x".into(), Value::int(5), Value::Bool(true)),
            "digest",
            "old".into(),
        );
        let config = obj("a", Value::Null, Value::Null, Value::Null);
        let planned = apply_schema(&schema(), &prior, &prior, &config);
        assert!(planned.attr("digest").is_unknown(), "{planned:?}");
        assert_eq!(planned.attr("id"), &Value::from("x"));
    }

    #[test]
    fn a_marked_value_the_prior_state_lacks_or_the_config_sets_is_not_kept() {
        // Lost on refresh: nothing to keep, so the value is unknown until the apply.
        let prior = obj("a", Value::Null, Value::int(5), Value::Bool(true));
        let prior = with(prior, "alias", "old".into());
        let config = obj("a", Value::Null, Value::Null, Value::Null);
        let config = with(config, "alias", "new".into());
        let proposed = with(prior.clone(), "alias", "new".into());
        let planned = apply_schema(&schema(), &prior, &proposed, &config);
        assert!(planned.attr("id").is_unknown(), "{planned:?}");
        assert_eq!(planned.attr("alias"), &Value::from("new"));
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
