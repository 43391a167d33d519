//! The provider's functions.

pub mod log_format;

use std::sync::Arc;

use crate::plugin::framework::Function;

pub fn all() -> Vec<Arc<dyn Function>> {
    vec![Arc::new(log_format::LogFormat)]
}
