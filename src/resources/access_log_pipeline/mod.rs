//! `apigw_access_log_pipeline`: API Gateway access logs to S3 through Firehose, in one resource.
//! Each lifecycle step is a script of named AWS steps in its own module.

mod bounds;
mod create;
mod delete;
pub mod fields;
mod model;
mod names;
pub(crate) mod ownership;
mod plan;
mod read;
pub mod schema;
pub(crate) mod steps;
mod update;

use std::sync::Arc;

use async_trait::async_trait;

use crate::plugin::diagnostics::Diagnostics;
use crate::plugin::framework::{ApplyOutcome, OpContext, PlanRequest, ReadOutcome, Resource};
use crate::plugin::schema::Schema;
use crate::plugin::value::Value;
use crate::provider::ProviderState;

use bounds::{Op, bounded};

pub use crate::resources::stream_parts::names::{ROLE_POLICY_NAME, role_name};
pub use crate::resources::stream_parts::tags::RESERVED_TAG_PREFIX;
pub use names::default_stream_name;
pub use ownership::{OWNER_TAG, RESERVED_TAGS};
pub use steps::stream_owner;

/// What a pipeline's private state records of the stage's earlier settings, for a type that
/// takes its state over.
pub fn earlier_in_private(private: &[u8]) -> Option<ownership::Earlier> {
    model::Private::decode(private).ok().and_then(|p| p.earlier)
}

/// The resource type's name.
pub const TYPE_NAME: &str = "apigw_access_log_pipeline";

/// The resource type.
pub struct AccessLogPipeline {
    schema: Schema,
    provider: Arc<ProviderState>,
}

impl AccessLogPipeline {
    pub fn new(provider: Arc<ProviderState>) -> AccessLogPipeline {
        AccessLogPipeline {
            schema: schema::schema(),
            provider,
        }
    }
}

fn failed_outcome(state: &Value, private: &[u8], diags: Diagnostics) -> ApplyOutcome {
    ApplyOutcome {
        state: state.clone(),
        private: private.to_vec(),
        diags,
    }
}

#[async_trait]
impl Resource for AccessLogPipeline {
    fn type_name(&self) -> &'static str {
        TYPE_NAME
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
                bounded(
                    Op::Create,
                    ctx,
                    planned,
                    create::create(&clients, ctx, planned),
                )
                .await
            }
            Err(diags) => failed_outcome(&Value::Null, &[], diags),
        }
    }

    async fn read(&self, ctx: &OpContext, state: &Value, private: &[u8]) -> ReadOutcome {
        let outcome = match self.provider.clients().await {
            Ok(clients) => {
                let p = model::Pipeline::from_value(state);
                bounded(Op::Read, ctx, state, read::refresh(&clients, &p, private)).await
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
                let work = update::update(&clients, ctx, prior, planned, private);
                bounded(Op::Update, ctx, planned, work).await
            }
            Err(diags) => failed_outcome(prior, private, diags),
        }
    }

    async fn delete(&self, ctx: &OpContext, prior: &Value, private: &[u8]) -> Diagnostics {
        match self.provider.clients().await {
            Ok(clients) => {
                let work = delete::delete(&clients, ctx, prior, private);
                bounded(Op::Delete, ctx, prior, work).await
            }
            Err(diags) => diags,
        }
    }

    async fn import(&self, ctx: &OpContext, id: &str) -> Result<(Value, Vec<u8>), Diagnostics> {
        let clients = self.provider.clients().await?;
        bounded(Op::Read, ctx, &Value::Null, read::import(&clients, id)).await
    }
}
