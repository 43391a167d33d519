//! The provider's managed resources.

use std::sync::Arc;

use crate::plugin::framework::Resource;
use crate::provider::ProviderState;

pub fn all(_state: &Arc<ProviderState>) -> Vec<Arc<dyn Resource>> {
    Vec::new()
}
