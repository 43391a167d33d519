//! Data source `apigw_stage_access_log`: how any stage sends its access logs today, and
//! whether this provider manages it.

mod model;
mod read;
mod schema;

use std::sync::Arc;

use async_trait::async_trait;
use tokio::time::Instant;

use crate::aws::call;
use crate::aws::policy::DEFAULT_READ_TIMEOUT;
use crate::plugin::framework::{DataReadOutcome, DataSource, OpContext};
use crate::plugin::schema::Schema;
use crate::plugin::value::Value;
use crate::provider::ProviderState;

/// The data source's type name, which the attachment resource of the same name shares.
pub const TYPE_NAME: &str = "apigw_stage_access_log";

/// The data source type.
pub struct StageAccessLog {
    schema: Schema,
    provider: Arc<ProviderState>,
}

impl StageAccessLog {
    pub fn new(provider: Arc<ProviderState>) -> StageAccessLog {
        StageAccessLog {
            schema: schema::schema(),
            provider,
        }
    }
}

#[async_trait]
impl DataSource for StageAccessLog {
    fn type_name(&self) -> &'static str {
        TYPE_NAME
    }

    fn schema(&self) -> &Schema {
        &self.schema
    }

    async fn read(&self, ctx: &OpContext, config: &Value) -> DataReadOutcome {
        let clients = match self.provider.clients().await {
            Ok(clients) => clients,
            Err(diags) => return DataReadOutcome::failed(diags),
        };
        let config = model::Config::from_value(config);
        let deadline = Instant::now() + DEFAULT_READ_TIMEOUT;
        match call::within(&ctx.cancel, deadline, read::describe(&clients, &config)).await {
            Ok(found) => DataReadOutcome {
                state: found.to_value(),
                diags: Default::default(),
            },
            Err(diags) => DataReadOutcome::failed(diags),
        }
    }
}
