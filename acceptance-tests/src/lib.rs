//! Harness shared by the acceptance tests: the built provider binary, an offline Terraform
//! mirror, the moto AWS emulator, per-test Terraform directories and AWS SDK fixtures.

#![warn(missing_docs)]

pub mod logs_query;
pub mod plugin_client;
pub mod proxy;
pub mod records;
pub mod running;

mod build;
mod emulator;
mod fixtures;
mod hcl;
mod real_aws;
mod terraform;

pub use build::*;
pub use emulator::*;
pub use fixtures::*;
pub use hcl::*;
pub use real_aws::*;
pub use terraform::*;
