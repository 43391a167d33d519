//! terraform-provider-apigw: API Gateway access logs delivered to S3 through Kinesis Data
//! Firehose, as one Terraform resource.
//!
//! Layers, outermost first: `plugin` (Terraform's protocol, knows nothing of AWS), `provider`
//! (the provider block), `resources`, `data_sources` and `functions` (what users declare),
//! `aws` (SDK calls).

pub mod aws;
pub mod data_sources;
pub mod firehose_prefix;
pub mod functions;
pub mod log_format;
pub mod plugin;
pub mod provider;
pub mod resources;
pub mod stage;
pub mod test_hooks;
pub mod validators;

/// Where Terraform finds this provider.
pub const PROVIDER_SOURCE: &str = "registry.terraform.io/seed-f9314e3d/apigw";

/// This build's version, as installed into mirrors and release archives.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
