//! The provider's managed resources.

pub mod access_log_pipeline;
pub mod access_log_stream;
pub mod fields;
pub mod stage_access_log;
pub mod stage_claim;
pub mod stage_log;
pub mod stream_parts;

use std::sync::Arc;

use crate::plugin::framework::Resource;
use crate::provider::ProviderState;

pub fn all(state: &Arc<ProviderState>) -> Vec<Arc<dyn Resource>> {
    vec![
        Arc::new(access_log_pipeline::AccessLogPipeline::new(state.clone())),
        Arc::new(stage_access_log::StageAccessLog::new(state.clone())),
        Arc::new(access_log_stream::AccessLogStream::new(state.clone())),
    ]
}
