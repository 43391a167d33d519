//! AWS, one module per service: find, status, wait, create and delete functions, the error
//! kinds they share, and the retry policy. Nothing here decides Terraform semantics.

pub mod apigateway;
pub mod arn;
pub mod call;
pub mod clients;
pub mod error;
pub mod firehose;
pub mod glue;
pub mod iam;
pub mod logs;
pub mod phase;
pub mod policy;
pub mod rate;
pub mod retry;
pub mod s3;
pub mod sts;
pub mod tags;
