//! The provider's functions.

use std::sync::Arc;

use crate::plugin::framework::Function;

pub fn all() -> Vec<Arc<dyn Function>> {
    Vec::new()
}
