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
