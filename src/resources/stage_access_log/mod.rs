//! `apigw_stage_access_log`: one stage's access logs pointed at a Firehose stream (this
//! provider's shared stream, a pipeline's, or any `amazon-apigateway-` stream by ARN), with
//! the stage's earlier settings kept on the stage and given back on destroy.

mod claim;
pub mod fields;
mod lifecycle;
mod model;

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
use crate::plugin::schema::{Attribute, Schema};
use crate::plugin::types::Type;
use crate::plugin::value::Value;
use crate::provider::ProviderState;
use crate::resources::access_log_pipeline::{self, schema as pipeline_schema};
use crate::resources::stage_log;
use crate::validators::{Arn, ArnKind};

use fields::*;

pub use model::{Attachment, Private};

/// The resource type.
pub struct StageAccessLog {
    schema: Schema,
    provider: Arc<ProviderState>,
}

pub const TYPE_NAME: &str = "apigw_stage_access_log";

pub fn schema() -> Schema {
    Schema::new(
        "One API Gateway stage's access logs sent to a Firehose stream, such as an `apigw_access_log_stream` that many stages share. What the stage had before is recorded on the stage and given back on destroy.",
        vec![
            Attribute::computed(ID, Type::String, "`<rest_api_id>/<stage_name>`.").use_state_for_unknown(),
            Attribute::computed(ATTACHMENT_ID, Type::String, "Identity of this attachment, made on create: the value of the `terraform-provider-apigw:attachment` tag it puts on the stage. Another attachment or pipeline never takes a stage that carries it.").use_state_for_unknown(),
            pipeline_schema::rest_api_id(),
            pipeline_schema::stage_name(),
            Attribute::required(DESTINATION_ARN, Type::String, "ARN of the Firehose stream the stage logs to. Its name must start with `amazon-apigateway-`. Changing it re-points the stage in place.")
                .validate(Arn(ArnKind::AccessLogStream)),
            pipeline_schema::format(),
            pipeline_schema::append_newline(),
        ],
    )
}

impl StageAccessLog {
    pub fn new(provider: Arc<ProviderState>) -> StageAccessLog {
        StageAccessLog {
            schema: schema(),
            provider,
        }
    }
}

/// Runs `work` within `timeout` and Terraform's stop.
async fn bounded<T>(
    ctx: &OpContext,
    timeout: Duration,
    work: impl std::future::Future<Output = T>,
) -> T {
    call::within(&ctx.cancel, Instant::now() + timeout, work).await
}

#[async_trait]
impl Resource for StageAccessLog {
    fn type_name(&self) -> &'static str {
        TYPE_NAME
    }

    fn schema(&self) -> &Schema {
        &self.schema
    }

    fn validate(&self, config: &Value, diags: &mut Diagnostics) {
        stage_log::validate_format(config, diags);
    }

    fn modify_plan(
        &self,
        req: &PlanRequest<'_>,
        planned: &mut Value,
        diags: &mut Diagnostics,
    ) -> Vec<u8> {
        let Value::Object(items) = planned else {
            return req.prior_private.to_vec();
        };
        // The id is known as soon as the stage is.
        if let (Some(api), Some(stage)) = (
            req.config.attr(REST_API_ID).as_str(),
            req.config.attr(STAGE_NAME).as_str(),
        ) {
            items.insert(ID.into(), Value::string(crate::stage::id(api, stage)));
        }
        // A claim that went missing (not one an import never wrote) is written back by an
        // update, so the plan has one to show.
        let private = Private::decode(req.prior_private);
        if !req.prior.is_null() && private.unclaimed && !private.adopted {
            items.insert(ATTACHMENT_ID.into(), Value::unknown());
            diags.push(crate::plugin::diagnostics::Diagnostic::warning(
                "Stage claim to be written back",
                "The stage no longer carries this attachment's claim tag; this apply writes it back \
                 (attachment_id keeps its value).",
            ));
        }
        req.prior_private.to_vec()
    }

    async fn create(&self, ctx: &OpContext, planned: &Value, _private: &[u8]) -> ApplyOutcome {
        let (state, private, diags) = match self.provider.clients().await {
            Ok(clients) => {
                bounded(
                    ctx,
                    DEFAULT_CREATE_TIMEOUT,
                    lifecycle::create(&clients, ctx, planned),
                )
                .await
            }
            Err(diags) => (Value::Null, Vec::new(), diags),
        };
        ApplyOutcome {
            state,
            private,
            diags,
        }
    }

    async fn read(&self, ctx: &OpContext, state: &Value, private: &[u8]) -> ReadOutcome {
        let outcome = match self.provider.clients().await {
            Ok(clients) => {
                bounded(
                    ctx,
                    DEFAULT_READ_TIMEOUT,
                    lifecycle::read(&clients, state, private),
                )
                .await
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
        let (state, private, diags) = match self.provider.clients().await {
            Ok(clients) => {
                let work = lifecycle::update(&clients, ctx, prior, planned, private);
                bounded(ctx, DEFAULT_UPDATE_TIMEOUT, work).await
            }
            Err(diags) => (prior.clone(), private.to_vec(), diags),
        };
        ApplyOutcome {
            state,
            private,
            diags,
        }
    }

    async fn delete(&self, ctx: &OpContext, prior: &Value, private: &[u8]) -> Diagnostics {
        match self.provider.clients().await {
            Ok(clients) => {
                let work = lifecycle::delete(&clients, ctx, prior, private);
                bounded(ctx, DEFAULT_DELETE_TIMEOUT, work).await
            }
            Err(diags) => diags,
        }
    }

    fn move_from(
        &self,
        source_type: &str,
        source: &Value,
        source_private: &[u8],
    ) -> Option<Result<(Value, Vec<u8>), Diagnostics>> {
        (source_type == access_log_pipeline::TYPE_NAME)
            .then(|| lifecycle::from_pipeline(source, source_private))
    }

    async fn import(&self, ctx: &OpContext, id: &str) -> Result<(Value, Vec<u8>), Diagnostics> {
        let clients = self.provider.clients().await?;
        bounded(ctx, DEFAULT_READ_TIMEOUT, lifecycle::import(&clients, id)).await
    }
}
