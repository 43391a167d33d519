//! Each operation of the pipeline runs within its deadline (the resource's `timeouts`, or the
//! defaults) and ends when Terraform asks the provider to stop.

use std::future::Future;
use std::time::Duration;

use tokio::time::Instant;

use crate::aws::call;
use crate::aws::policy::{
    DEFAULT_CREATE_TIMEOUT, DEFAULT_DELETE_TIMEOUT, DEFAULT_READ_TIMEOUT, DEFAULT_UPDATE_TIMEOUT,
};
use crate::plugin::framework::OpContext;
use crate::plugin::value::Value;
use crate::test_hooks;

use super::fields::timeouts;
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
            Op::Create => timeouts::CREATE,
            // `timeouts` has no `read`: a read's deadline is always the default.
            Op::Read => "read",
            Op::Update => timeouts::UPDATE,
            Op::Delete => timeouts::DELETE,
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
    test_hooks::panic_if_asked(&format!("{}:{}", op.name(), p.stage_name));
    call::within(&ctx.cancel, deadline, work).await
}
