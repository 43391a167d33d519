//! Amazon Resource Names: parsing and the checks the schema's validators need.

use std::fmt;

/// The partitions AWS documents.
pub const PARTITIONS: &[&str] = &[
    "aws",
    "aws-cn",
    "aws-us-gov",
    "aws-iso",
    "aws-iso-b",
    "aws-iso-e",
    "aws-iso-f",
    "aws-eusc",
];

/// A parsed ARN: `arn:partition:service:region:account:resource`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Arn {
    pub partition: String,
    pub service: String,
    pub region: String,
    pub account: String,
    pub resource: String,
}

/// Why a string is not a usable ARN.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ArnError {
    #[error("must be an ARN of the form arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE")]
    Malformed,
    #[error("has an unknown partition {0:?}")]
    Partition(String),
    #[error("must be an ARN of service {expected:?}, not {got:?}")]
    Service { expected: &'static str, got: String },
    #[error("must name {expected}")]
    Resource { expected: &'static str },
}

impl Arn {
    pub fn parse(s: &str) -> Result<Arn, ArnError> {
        let mut parts = s.splitn(6, ':');
        let mut next = || parts.next().ok_or(ArnError::Malformed);
        let (prefix, partition, service, region, account, resource) =
            (next()?, next()?, next()?, next()?, next()?, next()?);
        if prefix != "arn"
            || service.is_empty()
            || resource.is_empty()
            || s.contains(char::is_whitespace)
        {
            return Err(ArnError::Malformed);
        }
        if !PARTITIONS.contains(&partition) {
            return Err(ArnError::Partition(partition.to_owned()));
        }
        Ok(Arn {
            partition: partition.to_owned(),
            service: service.to_owned(),
            region: region.to_owned(),
            account: account.to_owned(),
            resource: resource.to_owned(),
        })
    }

    /// Parses and checks the service.
    pub fn parse_for(s: &str, service: &'static str) -> Result<Arn, ArnError> {
        let arn = Arn::parse(s)?;
        if arn.service != service {
            return Err(ArnError::Service {
                expected: service,
                got: arn.service,
            });
        }
        Ok(arn)
    }
}

impl fmt::Display for Arn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "arn:{}:{}:{}:{}:{}",
            self.partition, self.service, self.region, self.account, self.resource
        )
    }
}

/// The kinds of ARN the provider accepts, each with its own shape rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArnKind {
    /// `arn:aws:s3:::bucket-name`
    Bucket,
    /// `arn:aws:iam::123456789012:role/path/name`
    Role,
    /// `arn:aws:kms:region:account:key/id` or `alias/name`
    KmsKey,
}

impl ArnKind {
    /// Checks that `s` is an ARN of this kind.
    pub fn check(self, s: &str) -> Result<Arn, ArnError> {
        match self {
            ArnKind::Bucket => {
                let arn = Arn::parse_for(s, "s3")?;
                let valid_bucket = (3..=63).contains(&arn.resource.len())
                    && arn.resource.chars().all(|c| {
                        c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.'
                    })
                    && arn.region.is_empty()
                    && arn.account.is_empty();
                if !valid_bucket {
                    return Err(ArnError::Resource {
                        expected: "a bucket (arn:aws:s3:::bucket-name)",
                    });
                }
                Ok(arn)
            }
            ArnKind::Role => {
                let arn = Arn::parse_for(s, "iam")?;
                let name = arn
                    .resource
                    .strip_prefix("role/")
                    .and_then(|r| r.rsplit('/').next())
                    .unwrap_or("");
                if name.is_empty() || name.len() > 64 || arn.account.len() != 12 {
                    return Err(ArnError::Resource {
                        expected: "an IAM role (arn:aws:iam::ACCOUNT:role/NAME)",
                    });
                }
                Ok(arn)
            }
            ArnKind::KmsKey => {
                let arn = Arn::parse_for(s, "kms")?;
                let ok = (arn.resource.starts_with("key/") || arn.resource.starts_with("alias/"))
                    && arn.resource.len() > 4
                    && !arn.region.is_empty()
                    && arn.account.len() == 12;
                if !ok {
                    return Err(ArnError::Resource {
                        expected: "a KMS key (arn:aws:kms:REGION:ACCOUNT:key/ID)",
                    });
                }
                Ok(arn)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints() {
        let s = "arn:aws:iam::123456789012:role/service/my-role";
        let arn = Arn::parse(s).unwrap();
        assert_eq!(arn.resource, "role/service/my-role");
        assert_eq!(arn.to_string(), s);
    }

    #[test]
    fn kinds_check_service_and_shape() {
        assert!(ArnKind::Bucket.check("arn:aws:s3:::my-bucket").is_ok());
        assert!(ArnKind::Bucket.check("arn:aws:s3:::My_Bucket").is_err());
        assert_eq!(
            ArnKind::Bucket.check("arn:aws:sqs:::my-bucket"),
            Err(ArnError::Service {
                expected: "s3",
                got: "sqs".into()
            })
        );
        assert!(
            ArnKind::Role
                .check("arn:aws-cn:iam::123456789012:role/r")
                .is_ok()
        );
        assert!(
            ArnKind::Role
                .check("arn:aws:iam::123456789012:user/r")
                .is_err()
        );
        assert_eq!(
            ArnKind::Role.check("arn:nope:iam::123456789012:role/r"),
            Err(ArnError::Partition("nope".into()))
        );
        assert!(
            ArnKind::KmsKey
                .check("arn:aws:kms:us-east-1:123456789012:key/abcd")
                .is_ok()
        );
        assert!(
            ArnKind::KmsKey
                .check("arn:aws:kms::123456789012:key/abcd")
                .is_err()
        );
        assert_eq!(Arn::parse("not-an-arn"), Err(ArnError::Malformed));
    }
}
