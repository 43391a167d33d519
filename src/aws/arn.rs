//! Amazon Resource Names: parsing, and the service an ARN belongs to. The naming rules of each
//! kind the provider takes live with the validators (`crate::validators`).

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

/// The DNS suffix of a partition's service endpoints (botocore data/partitions.json,
/// `outputs.dnsSuffix`); `amazonaws.com` for a partition this table does not know.
pub fn dns_suffix(partition: &str) -> &'static str {
    match partition {
        "aws-cn" => "amazonaws.com.cn",
        "aws-eusc" => "amazonaws.eu",
        "aws-iso" => "c2s.ic.gov",
        "aws-iso-b" => "sc2s.sgov.gov",
        "aws-iso-e" => "cloud.adc-e.uk",
        "aws-iso-f" => "csp.hci.ic.gov",
        _ => "amazonaws.com",
    }
}

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

    /// The name in a resource of the form `<kind>/<name>`, such as a Firehose stream's in
    /// `deliverystream/NAME` (ARN formats of "Actions, resources, and condition keys for Amazon
    /// Data Firehose", Service Authorization Reference).
    pub fn resource_named(&self, kind: &str) -> Option<&str> {
        self.resource
            .strip_prefix(kind)
            .and_then(|rest| rest.strip_prefix('/'))
            .filter(|name| !name.is_empty())
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
    fn a_resource_name_follows_its_kind() {
        let arn = Arn::parse(
            "arn:aws:firehose:us-east-1:123456789012:deliverystream/amazon-apigateway-x",
        )
        .unwrap();
        assert_eq!(
            arn.resource_named("deliverystream"),
            Some("amazon-apigateway-x")
        );
        assert_eq!(arn.resource_named("delivery"), None);
        let bare = Arn::parse("arn:aws:firehose:us-east-1:123456789012:deliverystream/").unwrap();
        assert_eq!(bare.resource_named("deliverystream"), None);
    }

    #[test]
    fn parsing_checks_form_partition_and_service() {
        assert_eq!(Arn::parse("not-an-arn"), Err(ArnError::Malformed));
        assert_eq!(
            Arn::parse("arn:nope:iam::123456789012:role/r"),
            Err(ArnError::Partition("nope".into()))
        );
        assert_eq!(
            Arn::parse_for("arn:aws:sqs:::my-bucket", "s3"),
            Err(ArnError::Service {
                expected: "s3",
                got: "sqs".into()
            })
        );
    }
}
