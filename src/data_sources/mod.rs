//! The provider's data sources.

pub mod stage_access_log;

use std::sync::Arc;

use crate::plugin::framework::DataSource;
use crate::provider::ProviderState;

pub fn all(state: &Arc<ProviderState>) -> Vec<Arc<dyn DataSource>> {
    vec![Arc::new(stage_access_log::StageAccessLog::new(
        state.clone(),
    ))]
}
