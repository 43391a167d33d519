//! What happens to a data source between the decoding and the encoding of its requests: the
//! validation of a configuration, and a read whose answer conforms to the schema (the
//! configuration echoed back, computed attributes from the read). The gRPC handlers only
//! translate around these functions.

use std::collections::BTreeMap;

use super::diagnostics::{AttrPath, Diagnostics};
use super::framework::{DataReadOutcome, DataSource, OpContext};
use super::guard::catch_panic;
use super::schema::{AttrType, Attribute, Schema};
use super::value::Value;

/// Runs each attribute's validators and then the data source's own checks. Unknown values
/// pass: Terraform validates before every value is known, and checks again once they are.
pub fn validate(data_source: &dyn DataSource, config: &Value) -> Diagnostics {
    let mut diags = Diagnostics::new();
    data_source.schema().validate(config, &mut diags);
    data_source.validate(config, &mut diags);
    diags
}

/// Reads a data source for `config`. With a configuration that is not wholly known, nothing
/// is read: the answer is the configuration with every computed attribute unknown, which is
/// what Terraform itself plans for such a data source before it defers the read to apply.
/// Otherwise the answer echoes the configuration and takes the computed attributes the
/// configuration leaves null from the read; a panic in the read is its error diagnostic, and
/// a computed attribute the read leaves unknown is an error too (Terraform refuses one).
pub async fn read(
    data_source: &dyn DataSource,
    ctx: &OpContext,
    config: &Value,
) -> DataReadOutcome {
    let schema = data_source.schema();
    if !config.is_wholly_known() {
        return DataReadOutcome {
            state: conform(schema, config, &Found::NotYet),
            diags: Diagnostics::new(),
        };
    }
    let name = data_source.type_name();
    let outcome = catch_panic(&format!("reading {name}"), data_source.read(ctx, config))
        .await
        .unwrap_or_else(DataReadOutcome::failed);
    if outcome.diags.has_errors() {
        return DataReadOutcome::failed(outcome.diags);
    }
    let state = conform(schema, config, &Found::Read(&outcome.state));
    let mut diags = outcome.diags;
    let mut unknown = Vec::new();
    unknown_paths(&state, &AttrPath::root(), &mut unknown);
    if !unknown.is_empty() {
        for path in unknown {
            diags.attr_error(
                &path,
                "Provider produced an unknown value",
                format!(
                    "Reading {name} left {path} unknown; a data source's values are known once it is read. \
                     This is a bug in the provider."
                ),
            );
        }
        return DataReadOutcome::failed(diags);
    }
    DataReadOutcome { state, diags }
}

/// Where the computed attributes come from.
enum Found<'a> {
    /// Not read yet: they are unknown.
    NotYet,
    /// What a read returned.
    Read(&'a Value),
}

impl Found<'_> {
    fn attr(&self, name: &str) -> Found<'_> {
        match self {
            Found::NotYet => Found::NotYet,
            Found::Read(v) => Found::Read(v.attr(name)),
        }
    }

    fn value(&self) -> Value {
        match self {
            Found::NotYet => Value::unknown(),
            Found::Read(v) => (*v).clone(),
        }
    }
}

/// The configuration, with the computed attributes it leaves null taken from `found`, in the
/// schema's attributes and blocks only.
fn conform(schema: &Schema, config: &Value, found: &Found<'_>) -> Value {
    let mut out = conform_attributes(&schema.attributes, config, found);
    for block in &schema.blocks {
        let cfg = config.attr(block.name);
        let value = match cfg {
            Value::Object(_) => Value::Object(conform_attributes(
                &block.attributes,
                cfg,
                &found.attr(block.name),
            )),
            other => other.clone(),
        };
        out.insert(block.name.to_owned(), value);
    }
    Value::Object(out)
}

fn conform_attributes(
    attrs: &[Attribute],
    config: &Value,
    found: &Found<'_>,
) -> BTreeMap<String, Value> {
    let mut out = BTreeMap::new();
    for attr in attrs {
        let cfg = config.attr(attr.name);
        let value = match (&attr.ty, cfg) {
            (AttrType::Object(nested), Value::Object(_)) => {
                Value::Object(conform_attributes(nested, cfg, &found.attr(attr.name)))
            }
            _ if attr.is_computed() && cfg.is_null() => found.attr(attr.name).value(),
            _ => cfg.clone(),
        };
        out.insert(attr.name.to_owned(), value);
    }
    out
}

/// The paths of the unknown values in `value`, through its objects' attributes.
fn unknown_paths(value: &Value, path: &AttrPath, out: &mut Vec<AttrPath>) {
    match value {
        Value::Unknown(_) => out.push(path.clone()),
        Value::Object(attrs) => {
            for (name, v) in attrs {
                unknown_paths(v, &path.attr(name), out);
            }
        }
        v if !v.is_wholly_known() => out.push(path.clone()),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use async_trait::async_trait;

    use super::*;
    use crate::plugin::schema::Mode;
    use crate::plugin::types::Type;
    use crate::plugin::validators::{Length, OneOf};

    /// A data source that answers with `answer`, counting its reads.
    struct Echo {
        schema: Schema,
        answer: fn(&Value) -> DataReadOutcome,
        reads: AtomicUsize,
    }

    fn echo(answer: fn(&Value) -> DataReadOutcome) -> Echo {
        Echo {
            schema: Schema::new(
                "",
                vec![
                    Attribute::required("name", Type::String, "")
                        .validate(Length { min: 1, max: 5 }),
                    Attribute::optional("mode", Type::String, "").validate(OneOf(&["a", "b"])),
                    Attribute::optional_computed("size", Type::Number, ""),
                    Attribute::computed("found", Type::String, ""),
                    Attribute::nested(
                        "inner",
                        Mode::Optional,
                        "",
                        vec![
                            Attribute::optional("flag", Type::Bool, ""),
                            Attribute::computed("seen", Type::Bool, ""),
                        ],
                    ),
                ],
            ),
            answer,
            reads: AtomicUsize::new(0),
        }
    }

    #[async_trait]
    impl DataSource for Echo {
        fn type_name(&self) -> &'static str {
            "test_echo"
        }

        fn schema(&self) -> &Schema {
            &self.schema
        }

        /// `mode = "b"` needs `size`, once both are known.
        fn validate(&self, config: &Value, diags: &mut Diagnostics) {
            if config.attr("mode").as_str() == Some("b") && config.attr("size").is_null() {
                diags.attr_error(
                    &AttrPath::attrs(["size"]),
                    "Missing size",
                    "mode b needs it",
                );
            }
        }

        async fn read(&self, _ctx: &OpContext, config: &Value) -> DataReadOutcome {
            self.reads.fetch_add(1, Ordering::SeqCst);
            (self.answer)(config)
        }
    }

    /// Claims other values for the arguments too, which the flow must not take.
    fn found_everything(_: &Value) -> DataReadOutcome {
        DataReadOutcome {
            state: Value::object([
                ("name", "other".into()),
                ("mode", "b".into()),
                ("size", Value::int(7)),
                ("found", "yes".into()),
                (
                    "inner",
                    Value::object([("flag", false.into()), ("seen", true.into())]),
                ),
            ]),
            diags: Diagnostics::new(),
        }
    }

    fn config(name: Value, size: Value, inner: Value) -> Value {
        Value::object([
            ("name", name),
            ("mode", Value::Null),
            ("size", size),
            ("found", Value::Null),
            ("inner", inner),
        ])
    }

    fn paths(diags: &Diagnostics) -> Vec<String> {
        diags
            .0
            .iter()
            .map(|d| {
                d.attribute
                    .as_ref()
                    .map(|p| p.to_string())
                    .unwrap_or_default()
            })
            .collect()
    }

    #[test]
    fn validation_runs_attribute_validators_and_the_cross_checks() {
        let ds = echo(found_everything);
        let mut bad = config("toolong".into(), Value::Null, Value::Null);
        *bad.attr_mut("mode").unwrap() = "b".into();
        let diags = validate(&ds, &bad);
        assert_eq!(paths(&diags), vec!["name", "size"], "{diags:?}");
        let good = config("ok".into(), Value::int(1), Value::Null);
        assert!(validate(&ds, &good).0.is_empty());
    }

    #[test]
    fn validation_lets_unknown_values_pass() {
        let ds = echo(found_everything);
        let mut cfg = config(Value::unknown(), Value::unknown(), Value::unknown());
        *cfg.attr_mut("mode").unwrap() = Value::unknown();
        assert!(validate(&ds, &cfg).0.is_empty());
        // `mode` known as "b", `size` not yet known: not a missing size.
        *cfg.attr_mut("mode").unwrap() = "b".into();
        *cfg.attr_mut("size").unwrap() = Value::unknown();
        assert!(validate(&ds, &cfg).0.is_empty());
    }

    #[tokio::test]
    async fn a_read_echoes_the_configuration_and_fills_computed_attributes() {
        let ds = echo(found_everything);
        let cfg = config(
            "ok".into(),
            Value::Null,
            Value::object([("flag", true.into()), ("seen", Value::Null)]),
        );
        let out = read(&ds, &OpContext::default(), &cfg).await;
        assert!(out.diags.0.is_empty(), "{:?}", out.diags);
        assert_eq!(
            out.state,
            Value::object([
                ("name", "ok".into()),
                ("mode", Value::Null),
                ("size", Value::int(7)),
                ("found", "yes".into()),
                (
                    "inner",
                    Value::object([("flag", true.into()), ("seen", true.into())]),
                ),
            ])
        );
        // An optional+computed attribute that is configured keeps the configured value.
        let sized = config("ok".into(), Value::int(3), Value::Null);
        let out = read(&ds, &OpContext::default(), &sized).await;
        assert_eq!(out.state.attr("size"), &Value::int(3));
        assert_eq!(out.state.attr("inner"), &Value::Null);
    }

    #[tokio::test]
    async fn an_unknown_configuration_is_not_read_and_plans_unknown_values() {
        let ds = echo(found_everything);
        let cfg = config(Value::unknown(), Value::Null, Value::Null);
        let out = read(&ds, &OpContext::default(), &cfg).await;
        assert_eq!(ds.reads.load(Ordering::SeqCst), 0);
        assert!(out.diags.0.is_empty());
        assert!(out.state.attr("name").is_unknown());
        assert!(out.state.attr("size").is_unknown());
        assert!(out.state.attr("found").is_unknown());
        assert_eq!(out.state.attr("mode"), &Value::Null);
    }

    #[tokio::test]
    async fn a_failed_read_returns_its_errors_and_no_state() {
        let ds = echo(|_| {
            let mut d = Diagnostics::new();
            d.attr_error(&AttrPath::attrs(["name"]), "Not found", "no such thing");
            DataReadOutcome {
                state: Value::object([("found", "partial".into())]),
                diags: d,
            }
        });
        let out = read(
            &ds,
            &OpContext::default(),
            &config("ok".into(), Value::Null, Value::Null),
        )
        .await;
        assert!(out.diags.has_errors());
        assert_eq!(paths(&out.diags), vec!["name"]);
        assert!(out.state.is_null());
    }

    #[tokio::test]
    async fn a_panicking_read_is_an_error_diagnostic() {
        let ds = echo(|_| panic!("broken read"));
        let out = read(
            &ds,
            &OpContext::default(),
            &config("ok".into(), Value::Null, Value::Null),
        )
        .await;
        assert!(out.diags.has_errors());
        assert!(
            out.diags.0[0].detail.contains("broken read"),
            "{:?}",
            out.diags
        );
        assert!(
            out.diags.0[0].detail.contains("reading test_echo"),
            "{:?}",
            out.diags
        );
    }

    #[tokio::test]
    async fn a_computed_value_left_unknown_is_an_error_naming_it() {
        let ds = echo(|_| DataReadOutcome {
            state: Value::object([("found", Value::unknown()), ("size", Value::int(1))]),
            diags: Diagnostics::new(),
        });
        let out = read(
            &ds,
            &OpContext::default(),
            &config("ok".into(), Value::Null, Value::Null),
        )
        .await;
        assert_eq!(paths(&out.diags), vec!["found"], "{:?}", out.diags);
        assert!(out.state.is_null());
    }

    #[tokio::test]
    async fn warnings_of_a_read_come_back_with_its_state() {
        let ds = echo(|_| {
            let mut out = found_everything(&Value::Null);
            out.diags
                .push(crate::plugin::diagnostics::Diagnostic::warning(
                    "Heads up", "x",
                ));
            out
        });
        let out = read(
            &ds,
            &OpContext::default(),
            &config("ok".into(), Value::Null, Value::Null),
        )
        .await;
        assert_eq!(out.diags.0.len(), 1);
        assert_eq!(out.state.attr("found"), &Value::from("yes"));
    }
}
