//! What happens to a managed resource between the decoding and the encoding of its requests:
//! validation, planning (the schema's rules, then the resource's own), apply (create, update
//! or delete by what the plan holds), read, import, moving state over and upgrading it. Each
//! step works on plain values and returns plain results with their diagnostics; a panic in the
//! resource is an error diagnostic that keeps what Terraform must not forget. The gRPC
//! handlers only translate around these functions.

use super::diagnostics::{AttrPath, Diagnostics};
use super::framework::{ApplyOutcome, OpContext, PlanRequest, ReadOutcome, Resource};
use super::guard::catch_panic;
use super::plan;
use super::value::Value;

/// Runs each attribute's validators and then the resource's own checks. Unknown values pass.
pub fn validate(resource: &dyn Resource, config: &Value) -> Diagnostics {
    let mut diags = Diagnostics::new();
    resource.schema().validate(config, &mut diags);
    resource.validate(config, &mut diags);
    diags
}

/// A planned change.
pub struct Planned {
    /// Null when the resource is destroyed.
    pub state: Value,
    pub private: Vec<u8>,
    /// The attributes whose change replaces the resource.
    pub requires_replace: Vec<AttrPath>,
    pub diags: Diagnostics,
}

/// Plans `proposed` (Terraform's proposal: the configuration over the prior state). A destroy
/// (a null proposal) plans null and keeps the private state; otherwise the schema's defaults and
/// plan modifiers apply first, then the resource's `modify_plan`, and the replace paths are
/// found last, so that they see what the resource planned.
pub fn plan(resource: &dyn Resource, req: &PlanRequest<'_>, proposed: &Value) -> Planned {
    if proposed.is_null() {
        return Planned {
            state: Value::Null,
            private: req.prior_private.to_vec(),
            requires_replace: Vec::new(),
            diags: Diagnostics::new(),
        };
    }
    let schema = resource.schema();
    let mut state = plan::apply_schema(schema, req.prior, proposed, req.config);
    let mut diags = Diagnostics::new();
    let private = resource.modify_plan(req, &mut state, &mut diags);
    let requires_replace = plan::replace_paths(schema, req.prior, &state);
    Planned {
        state,
        private,
        requires_replace,
        diags,
    }
}

/// Applies a planned change: a null plan deletes, a null prior creates, anything else updates.
/// A failed delete keeps the prior state, so that it can be retried. After a panic the state is
/// what Terraform had before (the prior state of an update or a delete), or for a create what
/// it recorded in `ctx.partial` as made.
pub async fn apply(
    resource: &dyn Resource,
    ctx: &OpContext,
    prior: &Value,
    planned: &Value,
    planned_private: &[u8],
) -> ApplyOutcome {
    let name = resource.type_name();
    let kept = |diags| ApplyOutcome {
        state: prior.clone(),
        private: planned_private.to_vec(),
        diags,
    };
    match (prior.is_null(), planned.is_null()) {
        (_, true) => {
            let delete = resource.delete(ctx, prior, planned_private);
            let diags = catch_panic(&format!("deleting {name}"), delete)
                .await
                .unwrap_or_else(|d| d);
            if diags.has_errors() {
                kept(diags)
            } else {
                ApplyOutcome {
                    state: Value::Null,
                    private: planned_private.to_vec(),
                    diags,
                }
            }
        }
        (true, false) => {
            let create = resource.create(ctx, planned, planned_private);
            catch_panic(&format!("creating {name}"), create)
                .await
                .unwrap_or_else(|diags| {
                    let (state, private) = ctx.partial.take().unwrap_or((Value::Null, Vec::new()));
                    ApplyOutcome {
                        state,
                        private,
                        diags,
                    }
                })
        }
        (false, false) => {
            let update = resource.update(ctx, prior, planned, planned_private);
            catch_panic(&format!("updating {name}"), update)
                .await
                .unwrap_or_else(kept)
        }
    }
}

/// Reads the remote object; after a panic the state read is the one given, kept.
pub async fn read(
    resource: &dyn Resource,
    ctx: &OpContext,
    state: &Value,
    private: &[u8],
) -> ReadOutcome {
    let name = resource.type_name();
    let read = resource.read(ctx, state, private);
    catch_panic(&format!("reading {name}"), read)
        .await
        .unwrap_or_else(|diags| ReadOutcome {
            state: state.clone(),
            private: private.to_vec(),
            diags,
        })
}

/// Turns an import id into a state (and private state) that the following read completes.
pub async fn import(
    resource: &dyn Resource,
    ctx: &OpContext,
    id: &str,
) -> Result<(Value, Vec<u8>), Diagnostics> {
    let name = resource.type_name();
    catch_panic(&format!("importing {name}"), resource.import(ctx, id))
        .await
        .and_then(|r| r)
}

/// Brings a stored state written at schema `version` to the resource's current schema, through
/// its `upgrade_state` hook.
pub fn upgrade(resource: &dyn Resource, version: i64, state: Value) -> Result<Value, Diagnostics> {
    resource.upgrade_state(version, state)
}

/// Takes over `source`'s state (written at `source_version`) for `target`: the source's state is
/// upgraded to its current schema first, then the target's `move_from` decides.
pub fn move_state(
    target: &dyn Resource,
    source: &dyn Resource,
    source_version: i64,
    source_state: Value,
    source_private: &[u8],
) -> Result<(Value, Vec<u8>), Diagnostics> {
    let state = source.upgrade_state(source_version, source_state)?;
    target
        .move_from(source.type_name(), &state, source_private)
        .unwrap_or_else(|| Err(cannot_move(source.type_name(), target.type_name())))
}

/// The error of a move that `target` cannot make from `source`.
pub fn cannot_move(source: &str, target: &str) -> Diagnostics {
    let mut d = Diagnostics::new();
    d.error(
        "Moving state is not supported",
        format!("{target} cannot take over the state of {source}."),
    );
    d
}

#[cfg(test)]
mod tests {
    use async_trait::async_trait;

    use super::*;
    use crate::plugin::schema::{Attribute, Schema};
    use crate::plugin::types::Type;
    use crate::plugin::validators::Length;

    /// A resource whose operations echo what they get (a create names its object "made"), or
    /// panic, or fail to delete, as told. It takes over the state of `test_other`.
    struct Fake {
        name: &'static str,
        schema: Schema,
        panics: bool,
        delete_fails: bool,
    }

    fn fake() -> Fake {
        Fake {
            name: "test_fake",
            schema: Schema::new(
                "",
                vec![
                    Attribute::computed("id", Type::String, "").use_state_for_unknown(),
                    Attribute::required("name", Type::String, "")
                        .requires_replace()
                        .validate(Length { min: 1, max: 5 }),
                    Attribute::optional("size", Type::Number, "").with_default(5),
                    Attribute::computed("label", Type::String, ""),
                ],
            ),
            panics: false,
            delete_fails: false,
        }
    }

    fn panicking() -> Fake {
        Fake {
            panics: true,
            ..fake()
        }
    }

    fn state(id: &str, name: &str, size: i64) -> Value {
        Value::object([
            ("id", id.into()),
            ("name", name.into()),
            ("size", Value::int(size)),
            ("label", format!("size {size}").into()),
        ])
    }

    fn config(name: Value, size: Value) -> Value {
        Value::object([
            ("id", Value::Null),
            ("name", name),
            ("size", size),
            ("label", Value::Null),
        ])
    }

    fn made(planned: &Value) -> Value {
        let mut state = planned.clone();
        *state.attr_mut("id").expect("an id") = "made".into();
        state
    }

    #[async_trait]
    impl Resource for Fake {
        fn type_name(&self) -> &'static str {
            self.name
        }

        fn schema(&self) -> &Schema {
            &self.schema
        }

        fn validate(&self, config: &Value, diags: &mut Diagnostics) {
            if config.attr("name").as_str() == Some("bad") {
                diags.attr_error(&AttrPath::attrs(["name"]), "Bad name", "not that one");
            }
        }

        fn modify_plan(
            &self,
            _req: &PlanRequest<'_>,
            planned: &mut Value,
            _diags: &mut Diagnostics,
        ) -> Vec<u8> {
            if let Some(size) = planned.attr("size").as_number().and_then(|n| n.as_i64()) {
                *planned.attr_mut("label").expect("a label") = format!("size {size}").into();
            }
            b"planned".to_vec()
        }

        async fn create(&self, ctx: &OpContext, planned: &Value, _private: &[u8]) -> ApplyOutcome {
            ctx.partial.record(made(planned), b"part".to_vec());
            assert!(!self.panics, "create broke");
            ApplyOutcome {
                state: made(planned),
                private: b"made".to_vec(),
                diags: Diagnostics::new(),
            }
        }

        async fn read(&self, _ctx: &OpContext, state: &Value, _private: &[u8]) -> ReadOutcome {
            assert!(!self.panics, "read broke");
            ReadOutcome {
                state: state.clone(),
                private: b"read".to_vec(),
                diags: Diagnostics::new(),
            }
        }

        async fn update(
            &self,
            _ctx: &OpContext,
            _prior: &Value,
            planned: &Value,
            _private: &[u8],
        ) -> ApplyOutcome {
            assert!(!self.panics, "update broke");
            ApplyOutcome {
                state: planned.clone(),
                private: b"updated".to_vec(),
                diags: Diagnostics::new(),
            }
        }

        async fn delete(&self, _ctx: &OpContext, _prior: &Value, _private: &[u8]) -> Diagnostics {
            assert!(!self.panics, "delete broke");
            let mut diags = Diagnostics::new();
            if self.delete_fails {
                diags.error("Delete failed", "still there");
            }
            diags
        }

        fn move_from(
            &self,
            source_type: &str,
            source: &Value,
            source_private: &[u8],
        ) -> Option<Result<(Value, Vec<u8>), Diagnostics>> {
            (source_type == "test_other").then(|| Ok((source.clone(), source_private.to_vec())))
        }
    }

    fn summaries(diags: &Diagnostics) -> Vec<String> {
        diags.0.iter().map(|d| d.summary.clone()).collect()
    }

    #[test]
    fn validation_runs_the_attribute_validators_then_the_resources_checks() {
        let r = fake();
        let too_long = validate(&r, &config("longer".into(), Value::Null));
        assert_eq!(summaries(&too_long), ["Invalid attribute value"]);
        let bad = validate(&r, &config("bad".into(), Value::Null));
        assert_eq!(summaries(&bad), ["Bad name"]);
        assert!(
            validate(&r, &config(Value::unknown(), Value::Null))
                .0
                .is_empty()
        );
    }

    #[test]
    fn a_create_plan_has_defaults_unknown_ids_and_what_the_resource_planned() {
        let config = config("a".into(), Value::Null);
        let req = PlanRequest {
            prior: &Value::Null,
            config: &config,
            prior_private: b"",
        };
        let planned = plan(&fake(), &req, &config);
        assert!(planned.state.attr("id").is_unknown());
        assert_eq!(planned.state.attr("size"), &Value::int(5));
        assert_eq!(planned.state.attr("label"), &Value::from("size 5"));
        assert_eq!(planned.private, b"planned");
        assert!(planned.requires_replace.is_empty());
        assert!(planned.diags.0.is_empty());
    }

    #[test]
    fn an_update_plan_keeps_the_id_and_names_what_replaces() {
        let prior = state("x", "a", 5);
        let config = config("b".into(), Value::int(7));
        let mut proposed = prior.clone();
        *proposed.attr_mut("name").expect("a name") = "b".into();
        *proposed.attr_mut("size").expect("a size") = Value::int(7);
        let req = PlanRequest {
            prior: &prior,
            config: &config,
            prior_private: b"before",
        };
        let planned = plan(&fake(), &req, &proposed);
        assert_eq!(planned.state.attr("id"), &Value::from("x"));
        assert_eq!(planned.state.attr("label"), &Value::from("size 7"));
        assert_eq!(planned.requires_replace, vec![AttrPath::attrs(["name"])]);
    }

    #[test]
    fn a_destroy_plans_null_and_keeps_the_private_state() {
        let prior = state("x", "a", 5);
        let req = PlanRequest {
            prior: &prior,
            config: &Value::Null,
            prior_private: b"before",
        };
        let planned = plan(&fake(), &req, &Value::Null);
        assert!(planned.state.is_null());
        assert_eq!(planned.private, b"before");
        assert!(planned.requires_replace.is_empty());
    }

    #[tokio::test]
    async fn apply_creates_updates_or_deletes_by_the_plan() {
        let (r, ctx) = (fake(), OpContext::default());
        let planned = state("x", "a", 5);
        let created = apply(&r, &ctx, &Value::Null, &planned, b"p").await;
        assert_eq!(created.state, made(&planned));
        assert_eq!(created.private, b"made");
        let updated = apply(&r, &ctx, &planned, &state("x", "a", 6), b"p").await;
        assert_eq!(updated.state, state("x", "a", 6));
        assert_eq!(updated.private, b"updated");
        let deleted = apply(&r, &ctx, &planned, &Value::Null, b"p").await;
        assert!(deleted.state.is_null());
        assert!(!deleted.diags.has_errors());
    }

    #[tokio::test]
    async fn a_failed_delete_keeps_the_prior_state() {
        let r = Fake {
            delete_fails: true,
            ..fake()
        };
        let prior = state("x", "a", 5);
        let out = apply(&r, &OpContext::default(), &prior, &Value::Null, b"p").await;
        assert_eq!(out.state, prior);
        assert_eq!(summaries(&out.diags), ["Delete failed"]);
    }

    #[tokio::test]
    async fn after_a_panic_terraform_keeps_what_exists() {
        let (r, ctx) = (panicking(), OpContext::default());
        let (prior, planned) = (state("x", "a", 5), state("x", "a", 6));
        let created = apply(&r, &ctx, &Value::Null, &planned, b"p").await;
        assert_eq!(created.state, made(&planned), "what the create recorded");
        assert_eq!(created.private, b"part");
        assert_eq!(summaries(&created.diags), ["The provider panicked"]);
        let updated = apply(&r, &ctx, &prior, &planned, b"p").await;
        assert_eq!(updated.state, prior);
        assert!(updated.diags.has_errors());
        let deleted = apply(&r, &ctx, &prior, &Value::Null, b"p").await;
        assert_eq!(deleted.state, prior);
        assert!(deleted.diags.has_errors());
        let read = read(&r, &ctx, &prior, b"kept").await;
        assert_eq!((read.state, read.private), (prior, b"kept".to_vec()));
        assert!(read.diags.has_errors());
    }

    #[tokio::test]
    async fn read_returns_what_the_resource_read() {
        let prior = state("x", "a", 5);
        let out = read(&fake(), &OpContext::default(), &prior, b"p").await;
        assert_eq!((out.state, out.private), (prior, b"read".to_vec()));
        assert!(out.diags.0.is_empty());
    }

    #[tokio::test]
    async fn a_type_without_import_refuses_it() {
        let diags = import(&fake(), &OpContext::default(), "x")
            .await
            .expect_err("no import");
        assert_eq!(summaries(&diags), ["Import not supported"]);
    }

    #[test]
    fn a_state_of_the_current_version_upgrades_as_it_is_and_others_are_refused() {
        let r = fake();
        let stored = state("x", "a", 5);
        assert_eq!(upgrade(&r, 0, stored.clone()).expect("as it is"), stored);
        let newer = upgrade(&r, 1, stored.clone()).expect_err("newer");
        assert_eq!(summaries(&newer), ["State from a newer provider"]);
        assert!(newer.0[0].detail.contains("schema version 1"), "{newer:?}");
        let older = upgrade(&r, -1, stored).expect_err("older");
        assert_eq!(summaries(&older), ["State too old to upgrade"]);
    }

    #[test]
    fn a_move_takes_over_the_sources_upgraded_state_or_says_why_not() {
        let (target, other) = (
            fake(),
            Fake {
                name: "test_other",
                ..fake()
            },
        );
        let source = state("x", "a", 5);
        let moved = move_state(&target, &other, 0, source.clone(), b"p").expect("moved");
        assert_eq!(moved, (source.clone(), b"p".to_vec()));
        let refused = move_state(&other, &target, 0, source.clone(), b"p").expect_err("refused");
        assert_eq!(summaries(&refused), ["Moving state is not supported"]);
        let newer = move_state(&target, &other, 1, source, b"p").expect_err("newer");
        assert_eq!(summaries(&newer), ["State from a newer provider"]);
    }
}
