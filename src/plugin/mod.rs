//! The Terraform side of the provider: handshake, protocol service, values, schemas and
//! diagnostics. Nothing in here knows about AWS.

pub mod codec;
pub mod data_source_flow;
pub mod diagnostics;
pub mod framework;
pub mod grpc;
pub mod guard;
pub mod logging;
pub mod plan;
pub mod proto;
pub mod resource_flow;
pub mod schema;
pub mod serve;
pub mod tls;
pub mod types;
pub mod validators;
pub mod value;
