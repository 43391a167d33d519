//! Validators specific to this provider's AWS inputs.

use crate::aws::arn::ArnKind;
use crate::plugin::diagnostics::{AttrPath, Diagnostics};
use crate::plugin::schema::Validator;
use crate::plugin::value::Value;

/// The string is an ARN of the given kind (bucket, role, KMS key).
pub struct Arn(pub ArnKind);

impl Validator for Arn {
    fn validate(&self, path: &AttrPath, value: &Value, diags: &mut Diagnostics) {
        let Some(s) = value.as_str() else { return };
        if let Err(e) = self.0.check(s) {
            diags.attr_error(path, "Invalid ARN", format!("{path} {e}; got {s:?}."));
        }
    }
    fn describe(&self) -> String {
        match self.0 {
            ArnKind::Bucket => "an S3 bucket ARN",
            ArnKind::Role => "an IAM role ARN",
            ArnKind::KmsKey => "a KMS key ARN",
        }
        .to_owned()
    }
}
