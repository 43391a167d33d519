//! Each operation of the pipeline runs within its deadline (the resource's `timeouts`, or the
//! defaults) and ends when Terraform asks the provider to stop; debug builds also carry a hook
//! that makes one operation panic, for the tests of the panic guard.

use std::future::Future;
use std::time::Duration;

use tokio::time::Instant;

use crate::aws::call;
use crate::aws::policy::{
    DEFAULT_CREATE_TIMEOUT, DEFAULT_DELETE_TIMEOUT, DEFAULT_READ_TIMEOUT, DEFAULT_UPDATE_TIMEOUT,
};
use crate::plugin::framework::OpContext;
use crate::plugin::value::Value;

use super::model::Pipeline;

/// The operations a deadline is set for, by their `timeouts` attribute name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Create,
    Read,
    Update,
    Delete,
}

impl Op {
    fn name(self) -> &'static str {
        match self {
            Op::Create => "create",
            Op::Read => "read",
            Op::Update => "update",
            Op::Delete => "delete",
        }
    }

    fn default_timeout(self) -> Duration {
        match self {
            Op::Create => DEFAULT_CREATE_TIMEOUT,
            Op::Read => DEFAULT_READ_TIMEOUT,
            Op::Update => DEFAULT_UPDATE_TIMEOUT,
            Op::Delete => DEFAULT_DELETE_TIMEOUT,
        }
    }
}

/// Runs `work`, the operation `op` on the resource `value` (the plan, or the prior state for
/// read and delete), within its deadline and Terraform's stop.
pub async fn bounded<T>(
    op: Op,
    ctx: &OpContext,
    value: &Value,
    work: impl Future<Output = T>,
) -> T {
    let p = Pipeline::from_value(value);
    let deadline = Instant::now() + p.timeout(op.name(), op.default_timeout());
    panic_if_asked(op, &p);
    call::within(&ctx.cancel, deadline, work).await
}

/// The environment variable that makes an operation panic in a debug build, as
/// `<operation>:<stage_name>` (such as `update:prod`). Release builds never read it.
pub const PANIC_HOOK_VAR: &str = "TF_APIGW_TEST_PANIC";

#[cfg(debug_assertions)]
fn panic_if_asked(op: Op, p: &Pipeline) {
    let wanted = format!("{}:{}", op.name(), p.stage_name);
    if std::env::var(PANIC_HOOK_VAR).is_ok_and(|v| v == wanted) {
        panic!("{PANIC_HOOK_VAR} asked for a panic in {wanted}");
    }
}

#[cfg(not(debug_assertions))]
fn panic_if_asked(_: Op, _: &Pipeline) {}
