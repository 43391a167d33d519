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

/// The string looks like an AWS region: `us-east-1`, `eu-central-2`, `us-gov-west-1`.
pub struct Region;

/// Whether `s` has the shape of an AWS region name.
pub fn is_region(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    parts.len() >= 3
        && parts[0].len() == 2
        && parts[..parts.len() - 1]
            .iter()
            .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_lowercase()))
        && parts[parts.len() - 1].chars().all(|c| c.is_ascii_digit())
        && !parts[parts.len() - 1].is_empty()
}

impl Validator for Region {
    fn validate(&self, path: &AttrPath, value: &Value, diags: &mut Diagnostics) {
        let Some(s) = value.as_str() else { return };
        if !is_region(s) {
            diags.attr_error(
                path,
                "Invalid attribute value",
                format!("{path}: must be an AWS region such as us-east-1; got {s:?}."),
            );
        }
    }
    fn describe(&self) -> String {
        "an AWS region such as us-east-1".to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regions_have_their_shape() {
        for ok in [
            "us-east-1",
            "eu-central-2",
            "us-gov-west-1",
            "ap-southeast-5",
        ] {
            assert!(is_region(ok), "{ok}");
        }
        for bad in [
            "Mars",
            "us-east",
            "useast1",
            "us-East-1",
            "u-east-1",
            "us--1",
            "",
        ] {
            assert!(!is_region(bad), "{bad}");
        }
    }
}
