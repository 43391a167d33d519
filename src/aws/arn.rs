//! Amazon Resource Names: parsing, the names in the ARNs of each kind the provider meets, and
//! building those ARNs. The naming rules of each kind the provider takes live with the
//! validators (`crate::validators`).

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

    /// The stream's name in a Firehose stream ARN:
    /// `arn:${Partition}:firehose:${Region}:${Account}:deliverystream/${DeliveryStreamName}`
    /// ("Actions, resources, and condition keys for Amazon Data Firehose", Service
    /// Authorization Reference).
    pub fn delivery_stream_name(&self) -> Option<&str> {
        self.of_service("firehose")?
            .resource_named("deliverystream")
    }

    /// The bucket's name in an S3 bucket ARN: `arn:${Partition}:s3:::${BucketName}`; an object
    /// ARN (`${BucketName}/${ObjectName}`) names no bucket ("Actions, resources, and condition
    /// keys for Amazon S3", Service Authorization Reference).
    pub fn bucket_name(&self) -> Option<&str> {
        Some(self.of_service("s3")?.resource.as_str()).filter(|name| !name.contains('/'))
    }

    /// The role's name, without its path, in an IAM role ARN:
    /// `arn:${Partition}:iam::${Account}:role/${RoleNameWithPath}` ("Actions, resources, and
    /// condition keys for AWS Identity and Access Management (IAM)", Service Authorization
    /// Reference).
    pub fn role_name(&self) -> Option<&str> {
        let path_and_name = self.of_service("iam")?.resource_named("role")?;
        path_and_name
            .rsplit('/')
            .next()
            .filter(|name| !name.is_empty())
    }

    /// The group's name in a CloudWatch Logs ARN of a group or of one of its streams:
    /// `arn:${Partition}:logs:${Region}:${Account}:log-group:${LogGroupName}`, then maybe
    /// `:log-stream:${LogStreamName}` ("Actions, resources, and condition keys for Amazon
    /// CloudWatch Logs", Service Authorization Reference). Group names hold no `:` (botocore
    /// data/logs/2014-03-28/service-2.json, LogGroupName).
    pub fn log_group_name(&self) -> Option<&str> {
        let rest = self
            .of_service("logs")?
            .resource
            .strip_prefix("log-group:")?;
        rest.split(':').next().filter(|name| !name.is_empty())
    }

    fn of_service(&self, service: &str) -> Option<&Arn> {
        (self.service == service).then_some(self)
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

/// The stream name in a Firehose stream ARN (see [`Arn::delivery_stream_name`]).
pub fn delivery_stream_name_of(s: &str) -> Option<String> {
    Arn::parse(s)
        .ok()?
        .delivery_stream_name()
        .map(str::to_owned)
}

/// The bucket name in an S3 bucket ARN (see [`Arn::bucket_name`]).
pub fn bucket_name_of(s: &str) -> Option<String> {
    Arn::parse(s).ok()?.bucket_name().map(str::to_owned)
}

/// The role name in an IAM role ARN (see [`Arn::role_name`]).
pub fn role_name_of(s: &str) -> Option<String> {
    Arn::parse(s).ok()?.role_name().map(str::to_owned)
}

/// The group name in a CloudWatch Logs ARN (see [`Arn::log_group_name`]).
pub fn log_group_name_of(s: &str) -> Option<String> {
    Arn::parse(s).ok()?.log_group_name().map(str::to_owned)
}

/// The partition of an ARN.
pub fn partition_of(s: &str) -> Option<String> {
    Arn::parse(s).ok().map(|a| a.partition)
}

fn build(partition: &str, service: &str, region: &str, account: &str, resource: String) -> String {
    Arn {
        partition: partition.to_owned(),
        service: service.to_owned(),
        region: region.to_owned(),
        account: account.to_owned(),
        resource,
    }
    .to_string()
}

/// An IAM role's ARN, `arn:${Partition}:iam::${Account}:role/${RoleNameWithPath}` (see
/// [`Arn::role_name`] for the source).
pub fn role_arn(partition: &str, account: &str, name_with_path: &str) -> String {
    build(
        partition,
        "iam",
        "",
        account,
        format!("role/{name_with_path}"),
    )
}

/// The ARN API Gateway's TagResource and UntagResource take for a stage:
/// `arn:${Partition}:apigateway:${Region}::/restapis/${RestApiId}/stages/${StageName}`
/// ("Tagging your API Gateway resources", API Gateway Developer Guide; "Actions, resources,
/// and condition keys for Amazon API Gateway Management", Service Authorization Reference).
pub fn stage_arn(partition: &str, region: &str, rest_api_id: &str, stage_name: &str) -> String {
    let resource = format!("/restapis/{rest_api_id}/stages/{stage_name}");
    build(partition, "apigateway", region, "", resource)
}

/// A log group's ARN, as TagResource, UntagResource and ListTagsForResource take it:
/// `arn:${Partition}:logs:${Region}:${Account}:log-group:${LogGroupName}` ("TagResource",
/// CloudWatch Logs API Reference; see [`Arn::log_group_name`]).
pub fn log_group_arn(partition: &str, region: &str, account: &str, group: &str) -> String {
    build(
        partition,
        "logs",
        region,
        account,
        format!("log-group:{group}"),
    )
}

/// A log stream's ARN, as IAM policies name it: the group's, then `:log-stream:${Name}`
/// ("Grant Firehose access to an Amazon S3 destination", Firehose Developer Guide).
pub fn log_stream_arn(
    partition: &str,
    region: &str,
    account: &str,
    group: &str,
    stream: &str,
) -> String {
    let resource = format!("log-group:{group}:log-stream:{stream}");
    build(partition, "logs", region, account, resource)
}

/// The ARNs of a Glue table and of what holds it, as IAM policies name them:
/// `arn:${Partition}:glue:${Region}:${Account}:catalog`, `...:database/${DatabaseName}` and
/// `...:table/${DatabaseName}/${TableName}` ("Actions, resources, and condition keys for AWS
/// Glue", Service Authorization Reference).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GlueArns {
    pub catalog: String,
    pub database: String,
    pub table: String,
}

impl GlueArns {
    pub fn of(partition: &str, region: &str, account: &str, database: &str, table: &str) -> Self {
        let arn = |resource: String| build(partition, "glue", region, account, resource);
        GlueArns {
            catalog: arn("catalog".to_owned()),
            database: arn(format!("database/{database}")),
            table: arn(format!("table/{database}/{table}")),
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

    #[test]
    fn names_come_out_of_their_own_kind_of_arn_in_every_partition() {
        for p in ["aws", "aws-cn", "aws-us-gov"] {
            let stream =
                format!("arn:{p}:firehose:r-1:123456789012:deliverystream/amazon-apigateway-x");
            assert_eq!(
                delivery_stream_name_of(&stream).as_deref(),
                Some("amazon-apigateway-x")
            );
            assert_eq!(
                bucket_name_of(&format!("arn:{p}:s3:::logs")).as_deref(),
                Some("logs")
            );
            let role = format!("arn:{p}:iam::123456789012:role/service-role/a/r");
            assert_eq!(role_name_of(&role).as_deref(), Some("r"));
            assert_eq!(partition_of(&role).as_deref(), Some(p));
            let group = format!("arn:{p}:logs:r-1:123456789012:log-group:/aws/kinesisfirehose/s");
            assert_eq!(
                log_group_name_of(&group).as_deref(),
                Some("/aws/kinesisfirehose/s")
            );
            let in_group = format!("{group}:log-stream:DestinationDelivery");
            assert_eq!(
                log_group_name_of(&in_group).as_deref(),
                Some("/aws/kinesisfirehose/s")
            );
        }
    }

    #[test]
    fn a_name_of_another_kind_or_service_is_none() {
        let role = "arn:aws:iam::123456789012:role/r";
        assert_eq!(delivery_stream_name_of(role), None);
        assert_eq!(bucket_name_of(role), None);
        assert_eq!(log_group_name_of(role), None);
        assert_eq!(role_name_of("arn:aws:iam::123456789012:user/r"), None);
        assert_eq!(role_name_of("arn:aws:iam::123456789012:role/"), None);
        assert_eq!(bucket_name_of("arn:aws:s3:::logs/key"), None);
        assert_eq!(
            delivery_stream_name_of(
                "arn:aws:logs:us-east-1:123456789012:log-group:deliverystream/x"
            ),
            None
        );
        assert_eq!(role_name_of("not-an-arn"), None);
        assert_eq!(partition_of("arn:nope:iam::123456789012:role/r"), None);
    }

    #[test]
    fn built_arns_parse_back_to_their_names() {
        let role = role_arn("aws-us-gov", "123456789012", "service-role/r");
        assert_eq!(role, "arn:aws-us-gov:iam::123456789012:role/service-role/r");
        assert_eq!(role_name_of(&role).as_deref(), Some("r"));
        assert_eq!(
            stage_arn("aws-cn", "cn-north-1", "a1b2c3", "prod"),
            "arn:aws-cn:apigateway:cn-north-1::/restapis/a1b2c3/stages/prod"
        );
        let group = log_group_arn("aws-cn", "cn-north-1", "123456789012", "/g");
        assert_eq!(
            group,
            "arn:aws-cn:logs:cn-north-1:123456789012:log-group:/g"
        );
        assert_eq!(
            log_stream_arn("aws-us-gov", "us-gov-west-1", "123456789012", "/g", "s"),
            "arn:aws-us-gov:logs:us-gov-west-1:123456789012:log-group:/g:log-stream:s"
        );
        let glue = GlueArns::of("aws-cn", "cn-north-1", "123456789012", "db", "t");
        assert_eq!(
            glue.catalog,
            "arn:aws-cn:glue:cn-north-1:123456789012:catalog"
        );
        assert_eq!(
            glue.database,
            "arn:aws-cn:glue:cn-north-1:123456789012:database/db"
        );
        assert_eq!(
            glue.table,
            "arn:aws-cn:glue:cn-north-1:123456789012:table/db/t"
        );
    }
}
