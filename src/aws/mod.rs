//! AWS, one module per service: find, status, wait, create and delete functions, the error
//! kinds they share, and the retry policy. Nothing here decides Terraform semantics.

pub mod arn;
pub mod clients;
