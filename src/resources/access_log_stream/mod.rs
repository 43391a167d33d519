//! `apigw_access_log_stream`: one Firehose stream many stages log into, with its role, S3
//! destination, error logging, encryption, optional Glue table and optional partitioning per
//! API and stage. Built from the steps in `stream_parts`, as the pipeline is.

pub mod fields;
mod formats;
mod lifecycle;
mod model;
mod plan;
pub mod schema;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use tokio::time::Instant;

use crate::aws::call;
use crate::aws::policy::{
    DEFAULT_CREATE_TIMEOUT, DEFAULT_DELETE_TIMEOUT, DEFAULT_READ_TIMEOUT, DEFAULT_UPDATE_TIMEOUT,
};
use crate::plugin::diagnostics::Diagnostics;
use crate::plugin::framework::{ApplyOutcome, OpContext, PlanRequest, ReadOutcome, Resource};
use crate::plugin::schema::Schema;
use crate::plugin::value::Value;
use crate::provider::ProviderState;

use fields::timeouts;
use model::SharedStream;

/// The resource type.
pub struct AccessLogStream {
    schema: Schema,
    provider: Arc<ProviderState>,
}

impl AccessLogStream {
    pub fn new(provider: Arc<ProviderState>) -> AccessLogStream {
        AccessLogStream {
            schema: schema::schema(),
            provider,
        }
    }
}

/// Runs `work` within the deadline of operation `op` (`timeouts`, or `default`) and
/// Terraform's stop.
async fn bounded<T>(
    op: &str,
    default: Duration,
    ctx: &OpContext,
    value: &Value,
    work: impl Future<Output = T>,
) -> T {
    let deadline = Instant::now() + SharedStream::from_value(value).timeout(op, default);
    call::within(&ctx.cancel, deadline, work).await
}

#[async_trait]
impl Resource for AccessLogStream {
    fn type_name(&self) -> &'static str {
        "apigw_access_log_stream"
    }

    fn schema(&self) -> &Schema {
        &self.schema
    }

    fn validate(&self, config: &Value, diags: &mut Diagnostics) {
        plan::validate(config, diags);
    }

    fn modify_plan(
        &self,
        req: &PlanRequest<'_>,
        planned: &mut Value,
        diags: &mut Diagnostics,
    ) -> Vec<u8> {
        plan::modify(req, planned, self.provider.default_tags().as_ref(), diags)
    }

    async fn create(&self, ctx: &OpContext, planned: &Value, _private: &[u8]) -> ApplyOutcome {
        match self.provider.clients().await {
            Ok(clients) => {
                let work = lifecycle::create(&clients, ctx, planned);
                bounded(timeouts::CREATE, DEFAULT_CREATE_TIMEOUT, ctx, planned, work).await
            }
            Err(diags) => ApplyOutcome {
                state: Value::Null,
                private: Vec::new(),
                diags,
            },
        }
    }

    async fn read(&self, ctx: &OpContext, state: &Value, private: &[u8]) -> ReadOutcome {
        let outcome = match self.provider.clients().await {
            Ok(clients) => {
                let s = SharedStream::from_value(state);
                let work = lifecycle::read(&clients, &s, private);
                bounded("read", DEFAULT_READ_TIMEOUT, ctx, state, work).await
            }
            Err(diags) => Err(diags),
        };
        ReadOutcome::from_result(outcome, state, private)
    }

    async fn update(
        &self,
        ctx: &OpContext,
        prior: &Value,
        planned: &Value,
        private: &[u8],
    ) -> ApplyOutcome {
        match self.provider.clients().await {
            Ok(clients) => {
                let work = lifecycle::update(&clients, ctx, prior, planned, private);
                bounded(timeouts::UPDATE, DEFAULT_UPDATE_TIMEOUT, ctx, planned, work).await
            }
            Err(diags) => ApplyOutcome {
                state: prior.clone(),
                private: private.to_vec(),
                diags,
            },
        }
    }

    async fn delete(&self, ctx: &OpContext, prior: &Value, private: &[u8]) -> Diagnostics {
        match self.provider.clients().await {
            Ok(clients) => {
                let work = lifecycle::delete(&clients, ctx, prior, private);
                bounded(timeouts::DELETE, DEFAULT_DELETE_TIMEOUT, ctx, prior, work).await
            }
            Err(diags) => diags,
        }
    }

    async fn import(&self, ctx: &OpContext, id: &str) -> Result<(Value, Vec<u8>), Diagnostics> {
        let clients = self.provider.clients().await?;
        let work = lifecycle::import(&clients, id);
        bounded("read", DEFAULT_READ_TIMEOUT, ctx, &Value::Null, work).await
    }
}
