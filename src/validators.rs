//! Validators specific to this provider's AWS inputs: ARNs and the names inside them, the
//! access-log format, Firehose's S3 prefixes and tags. Each rule says where AWS states it.

use crate::aws::arn::Arn as ParsedArn;
use crate::firehose_prefix::{self, Kind};
use crate::log_format;
use crate::plugin::diagnostics::{AttrPath, Diagnostic, Diagnostics};
use crate::plugin::schema::Validator;
use crate::plugin::value::Value;

/// The kinds of ARN the provider accepts, each with its own naming rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArnKind {
    /// `arn:aws:s3:::bucket-name`
    Bucket,
    /// `arn:aws:iam::123456789012:role/path/name`, by IAM's rules.
    Role,
    /// A role Firehose assumes: IAM's rules and Firehose's own pattern for RoleARN.
    DeliveryRole,
    /// `arn:aws:kms:region:account:key/id`
    KmsKey,
    /// A Firehose stream a stage may log to:
    /// `arn:aws:firehose:region:account:deliverystream/amazon-apigateway-...`.
    AccessLogStream,
}

/// Why an ARN is refused: the rule, in words, after the attribute's name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ArnProblem {
    /// Not an ARN of the right shape or service, or it breaks a naming rule.
    Invalid(String),
    /// A KMS alias where a key is needed.
    KmsAlias,
}

const BUCKET_FORM: &str = "must name a bucket (arn:aws:s3:::bucket-name)";
const ROLE_FORM: &str = "must name an IAM role (arn:aws:iam::ACCOUNT:role/NAME)";
const KEY_FORM: &str = "must name a KMS key (arn:aws:kms:REGION:ACCOUNT:key/KEY_ID)";
const STREAM_FORM: &str = "must name a Firehose stream (arn:aws:firehose:REGION:ACCOUNT:deliverystream/amazon-apigateway-NAME)";

fn invalid(form: &str, rule: impl std::fmt::Display) -> ArnProblem {
    ArnProblem::Invalid(format!("{form}: {rule}"))
}

fn is_account_id(s: &str) -> bool {
    s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit())
}

impl ArnKind {
    /// Checks that `s` is an ARN of this kind whose names follow AWS's rules.
    pub fn check(self, s: &str) -> Result<(), ArnProblem> {
        let service = match self {
            ArnKind::Bucket => "s3",
            ArnKind::Role | ArnKind::DeliveryRole => "iam",
            ArnKind::KmsKey => "kms",
            ArnKind::AccessLogStream => "firehose",
        };
        let arn =
            ParsedArn::parse_for(s, service).map_err(|e| ArnProblem::Invalid(e.to_string()))?;
        match self {
            ArnKind::Bucket => check_bucket_arn(&arn),
            ArnKind::Role => check_role_arn(&arn),
            ArnKind::DeliveryRole => {
                check_role_arn(&arn).and_then(|()| check_delivery_role(s, &arn))
            }
            ArnKind::KmsKey => check_kms_key_arn(&arn),
            ArnKind::AccessLogStream => check_access_log_stream_arn(&arn),
        }
    }
}

/// A stream API Gateway delivers access logs to. Its name must begin with
/// `amazon-apigateway-` ("Log REST API calls to Amazon Data Firehose in API Gateway", API
/// Gateway Developer Guide); names are 1 to 64 characters of `[a-zA-Z0-9_.-]` (botocore
/// `firehose/2015-08-04/service-2.json`, shape DeliveryStreamName).
fn check_access_log_stream_arn(arn: &ParsedArn) -> Result<(), ArnProblem> {
    if arn.region.is_empty() || !is_account_id(&arn.account) {
        return Err(invalid(
            STREAM_FORM,
            "a stream ARN has a region and a 12-digit account",
        ));
    }
    let Some(name) = arn.resource.strip_prefix("deliverystream/") else {
        return Err(invalid(STREAM_FORM, "it does not name a delivery stream"));
    };
    stream_name_rule(name).map_err(|rule| invalid(STREAM_FORM, rule))
}

/// The first rule a Firehose stream name for access logs breaks (see
/// [`check_access_log_stream_arn`] for the sources).
pub fn stream_name_rule(name: &str) -> Result<(), String> {
    use crate::resources::stream_parts::names::STREAM_PREFIX;
    let len = name.chars().count();
    if !(1..=64).contains(&len) {
        return Err(format!(
            "a stream name has 1 to 64 characters, and {name:?} has {len}"
        ));
    }
    if let Some(c) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || "._-".contains(*c)))
    {
        return Err(format!(
            "a stream name has only letters, digits, '.', '_' and '-', and {c:?} is none of them"
        ));
    }
    if !name.starts_with(STREAM_PREFIX) {
        return Err(format!(
            "API Gateway delivers access logs only to streams whose name begins with {STREAM_PREFIX:?}, and {name:?} does not"
        ));
    }
    Ok(())
}

fn check_bucket_arn(arn: &ParsedArn) -> Result<(), ArnProblem> {
    if !arn.region.is_empty() || !arn.account.is_empty() {
        return Err(invalid(
            BUCKET_FORM,
            "a bucket ARN has no region and no account",
        ));
    }
    if arn.resource.contains('/') {
        return Err(invalid(
            BUCKET_FORM,
            "it names an object or a path, not a bucket",
        ));
    }
    bucket_name_rule(&arn.resource).map_err(|rule| {
        invalid(
            BUCKET_FORM,
            format!("{rule} (S3 User Guide, \"General purpose bucket naming rules\")"),
        )
    })
}

/// The first general purpose bucket naming rule `name` breaks. Source: S3 User Guide,
/// "General purpose bucket naming rules".
pub fn bucket_name_rule(name: &str) -> Result<(), String> {
    let len = name.chars().count();
    if is_legacy_bucket_name(name) {
        return legacy_bucket_name_rule(name);
    }
    if !(3..=63).contains(&len) {
        return Err(format!(
            "a bucket name has 3 to 63 characters, and {name:?} has {len}"
        ));
    }
    if let Some(c) = name
        .chars()
        .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '.' || *c == '-'))
    {
        return Err(format!(
            "a bucket name has only lowercase letters, digits, '.' and '-', and {c:?} is none of them"
        ));
    }
    let alnum = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric());
    if !alnum(name.chars().next()) || !alnum(name.chars().last()) {
        return Err("a bucket name begins and ends with a letter or digit".to_owned());
    }
    if name.contains("..") {
        return Err("a bucket name has no two adjacent periods".to_owned());
    }
    let parts: Vec<&str> = name.split('.').collect();
    if parts.len() == 4 && parts.iter().all(|p| p.bytes().all(|b| b.is_ascii_digit())) {
        return Err("a bucket name is not formatted as an IP address".to_owned());
    }
    if let Some(p) = ["xn--", "sthree-", "amzn-s3-demo-"]
        .iter()
        .find(|p| name.starts_with(*p))
    {
        return Err(format!(
            "a bucket name does not start with {p:?}, which S3 reserves"
        ));
    }
    if let Some(s) = ["-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"]
        .iter()
        .find(|s| name.ends_with(*s))
    {
        return Err(format!(
            "a bucket name does not end with {s:?}, which S3 reserves for other kinds of bucket and access point"
        ));
    }
    Ok(())
}

/// Whether `name` can only be a legacy bucket name: buckets made in us-east-1 before
/// 1 March 2018 may have up to 255 characters, uppercase letters and underscores (S3 User
/// Guide, "General purpose bucket naming rules", the note on legacy names). Central log
/// archives are often that old.
fn is_legacy_bucket_name(name: &str) -> bool {
    name.chars().count() > 63 || name.chars().any(|c| c.is_ascii_uppercase() || c == '_')
}

/// A legacy name is held to what Firehose takes as a destination: botocore
/// data/firehose/2015-08-04/service-2.json, BucketARN pattern `arn:.*:s3:::[\w\.\-]{1,255}`
/// (`\w` being ASCII letters, digits and `_`).
fn legacy_bucket_name_rule(name: &str) -> Result<(), String> {
    let len = name.chars().count();
    if len > 255 {
        return Err(format!(
            "a bucket name has at most 255 characters (63 unless it is a legacy us-east-1 name), and {name:?} has {len}"
        ));
    }
    match name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || "_.-".contains(*c)))
    {
        Some(c) => Err(format!(
            "a bucket name has only letters, digits, '.', '-' and (in legacy us-east-1 names) '_', and {c:?} is none of them"
        )),
        None => Ok(()),
    }
}

/// IAM's rules for a role ARN. Sources: botocore data/iam/2010-05-08 service-2.json
/// (roleNameType: 1 to 64 of `[\w+=,.@-]`; pathType: `/` or `/`…`/` of U+0021 to U+007E, at
/// most 512); IAM ARNs carry no region and a 12-digit account.
fn check_role_arn(arn: &ParsedArn) -> Result<(), ArnProblem> {
    if !arn.region.is_empty() {
        return Err(invalid(ROLE_FORM, "IAM ARNs have no region"));
    }
    if !is_account_id(&arn.account) {
        return Err(invalid(ROLE_FORM, "the account id has 12 digits"));
    }
    let Some(path_and_name) = arn.resource.strip_prefix("role") else {
        return Err(invalid(ROLE_FORM, "the resource starts with role/"));
    };
    if !path_and_name.starts_with('/') {
        return Err(invalid(ROLE_FORM, "the resource starts with role/"));
    }
    let (path, name) = path_and_name.split_at(path_and_name.rfind('/').unwrap_or(0) + 1);
    let len = name.chars().count();
    if !(1..=64).contains(&len) {
        return Err(invalid(
            ROLE_FORM,
            format!("a role name has 1 to 64 characters, and {name:?} has {len}"),
        ));
    }
    if let Some(c) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || "+=,.@_-".contains(*c)))
    {
        return Err(invalid(
            ROLE_FORM,
            format!(
                "a role name has only letters, digits and + = , . @ _ -, and {c:?} is none of them"
            ),
        ));
    }
    if path.len() > 512 {
        return Err(invalid(ROLE_FORM, "a role path has at most 512 characters"));
    }
    if let Some(c) = path.chars().find(|c| !('\u{21}'..='\u{7e}').contains(c)) {
        return Err(invalid(
            ROLE_FORM,
            format!(
                "a role path has only printable ASCII characters other than space, and {c:?} is not one"
            ),
        ));
    }
    Ok(())
}

/// Firehose's own pattern for the role it assumes. Source: botocore data/firehose/2015-08-04
/// service-2.json, RoleARN: at most 512 characters, `arn:.*:iam::\d{12}:role/[a-zA-Z_0-9+=,.@\-_/]+`.
fn check_delivery_role(s: &str, arn: &ParsedArn) -> Result<(), ArnProblem> {
    if s.chars().count() > 512 {
        return Err(invalid(
            ROLE_FORM,
            "Firehose takes role ARNs of at most 512 characters",
        ));
    }
    let path = arn.resource_named("role").unwrap_or_default();
    if let Some(c) = path
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || "+=,.@_-/".contains(*c)))
    {
        return Err(invalid(
            ROLE_FORM,
            format!(
                "Firehose takes role paths of letters, digits and + = , . @ _ - / only, and {c:?} is none of them"
            ),
        ));
    }
    Ok(())
}

/// A KMS key ARN by the shape KMS documents (KMS Developer Guide, "Key identifiers (KeyId)":
/// a key id is a UUID, or `mrk-` and 32 hex digits for a multi-Region key) and Firehose's
/// AWSKMSKeyARN pattern (botocore data/firehose/2015-08-04 service-2.json: a region and a
/// 12-digit account; it takes `key/` and `alias/`, but see [`ArnProblem::KmsAlias`]).
fn check_kms_key_arn(arn: &ParsedArn) -> Result<(), ArnProblem> {
    if arn.region.is_empty() {
        return Err(invalid(KEY_FORM, "a KMS key ARN names its region"));
    }
    if !is_account_id(&arn.account) {
        return Err(invalid(KEY_FORM, "the account id has 12 digits"));
    }
    if arn.resource.starts_with("alias/") {
        return Err(ArnProblem::KmsAlias);
    }
    let Some(id) = arn.resource.strip_prefix("key/") else {
        return Err(invalid(KEY_FORM, "the resource starts with key/"));
    };
    if !is_key_id(id) {
        return Err(invalid(
            KEY_FORM,
            format!(
                "a key id is a UUID such as 1234abcd-12ab-34cd-56ef-1234567890ab, or mrk- and 32 hex digits; {id:?} is neither"
            ),
        ));
    }
    Ok(())
}

fn is_key_id(id: &str) -> bool {
    let hex = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_hexdigit());
    if let Some(mrk) = id.strip_prefix("mrk-") {
        return hex(mrk, 32);
    }
    let groups: Vec<&str> = id.split('-').collect();
    groups.len() == 5 && groups.iter().zip([8, 4, 4, 4, 12]).all(|(g, n)| hex(g, n))
}

/// The string is an ARN of the given kind.
pub struct Arn(pub ArnKind);

impl Validator for Arn {
    fn validate(&self, path: &AttrPath, value: &Value, diags: &mut Diagnostics) {
        let Some(s) = value.as_str() else { return };
        match self.0.check(s) {
            Ok(()) => {}
            Err(ArnProblem::Invalid(rule)) => {
                diags.attr_error(path, "Invalid ARN", format!("{path} {rule}; got {s:?}."))
            }
            // Sources: KMS Developer Guide, "Specifying KMS keys in IAM policy statements" (an
            // alias ARN cannot identify a key in a policy) and "Use aliases to control access
            // to KMS keys" (an alias in a policy's resource applies to the alias, not the key).
            Err(ArnProblem::KmsAlias) => diags.attr_error(
                path,
                "KMS alias instead of a key",
                format!(
                    "{path} names a KMS alias; it must name the key itself \
                     (arn:aws:kms:REGION:ACCOUNT:key/KEY_ID). A key policy or IAM policy that \
                     names an alias grants nothing on the key behind it, so the delivery role \
                     could not use the key and Firehose would fail to deliver. With the AWS \
                     provider, data.aws_kms_alias.<name>.target_key_arn gives the key's ARN; \
                     got {s:?}."
                ),
            ),
        }
    }
    fn describe(&self) -> String {
        match self.0 {
            ArnKind::Bucket => "an S3 bucket ARN",
            ArnKind::Role | ArnKind::DeliveryRole => "an IAM role ARN",
            ArnKind::KmsKey => "a KMS key ARN",
            ArnKind::AccessLogStream => "a Firehose delivery stream ARN",
        }
        .to_owned()
    }
}

/// An API Gateway access-log format: one line, within the size quota, naming the request, and
/// (a warning only) using documented `$context` variables. See [`log_format`].
pub struct AccessLogFormat;

impl Validator for AccessLogFormat {
    fn validate(&self, path: &AttrPath, value: &Value, diags: &mut Diagnostics) {
        let Some(format) = value.as_str() else { return };
        let mut refuse = |detail: String| {
            diags.attr_error(
                path,
                "Invalid access log format",
                format!("{path} {detail}"),
            )
        };
        if format.is_empty() {
            refuse("must not be empty.".to_owned());
            return;
        }
        if let Some(at) = log_format::line_break_before_end(format) {
            refuse(format!(
                "must be a single line: API Gateway allows a line break only as the very last \
                 character (\"Access Log format must be single line\"), and this one breaks at \
                 character {}.",
                at + 1
            ));
        }
        if format.len() > log_format::MAX_FORMAT_BYTES {
            refuse(format!(
                "must be at most {} bytes, API Gateway's access log template size quota (3 KB); \
                 it is {} bytes.",
                log_format::MAX_FORMAT_BYTES,
                format.len()
            ));
        }
        if !log_format::identifies_request(format) {
            refuse(
                "must contain $context.requestId or $context.extendedRequestId, as API Gateway requires."
                    .to_owned(),
            );
        }
        for name in log_format::context_variables(format) {
            if log_format::is_documented_variable(name) {
                continue;
            }
            let hint = log_format::closest_variable(name)
                .map(|v| format!(" Did you mean $context.{v}?"))
                .unwrap_or_default();
            diags.push(
                Diagnostic::warning(
                    "Unknown access log variable",
                    format!(
                        "{path}: $context.{name} is not in API Gateway's list of access-logging \
                         variables (\"Variables for access logging for API Gateway\").{hint} \
                         API Gateway adds variables over time, so this is only a warning."
                    ),
                )
                .at(path.clone()),
            );
        }
    }
    fn describe(&self) -> String {
        "one line of at most 3 KB that contains $context.requestId or $context.extendedRequestId"
            .to_owned()
    }
}

/// A Firehose S3 prefix of the given kind. See [`firehose_prefix`].
pub struct FirehosePrefix(pub Kind);

impl Validator for FirehosePrefix {
    fn validate(&self, path: &AttrPath, value: &Value, diags: &mut Diagnostics) {
        let Some(s) = value.as_str() else { return };
        // Longer than the API takes at all: the length validator says so.
        if s.chars().count() > firehose_prefix::MAX_CHARS {
            return;
        }
        if let Err(e) = firehose_prefix::check(s, self.0) {
            diags.attr_error(
                path,
                "Invalid S3 prefix",
                format!("{path}: {e}; got {s:?}."),
            );
        }
    }
    fn describe(&self) -> String {
        "Firehose !{namespace:value} expressions of the firehose and timestamp namespaces"
            .to_owned()
    }
}

/// Most tags one stream or role takes: Firehose (TagDeliveryStreamInputTagList, max 50) and IAM
/// (tagListType, max 50), botocore data/firehose/2015-08-04 and data/iam/2010-05-08.
pub const MAX_TAGS: usize = 50;

/// Whether a character may appear in a tag key or value on both a Firehose stream and an IAM
/// role: Unicode letters, digits and separators, and `_ . : / = + - @` (botocore firehose
/// TagKey/TagValue `[\p{L}\p{Z}\p{N}_.:\/=+\-@%]`, iam tagKeyType/tagValueType
/// `[\p{L}\p{Z}\p{N}_.:/=+\-@]`). `%` only Firehose takes; see [`iam_refuses`]. Letters are
/// read as Rust's alphabetic, a little wider than `\p{L}`; separators as the non-control
/// white space, which is exactly `\p{Z}`.
pub fn tag_char_allowed(c: char) -> bool {
    c.is_alphabetic()
        || c.is_numeric()
        || (c.is_whitespace() && !c.is_control())
        || "_.:/=+-@%".contains(c)
}

/// Characters Firehose takes in tags but IAM does not, so a role refuses them.
pub fn iam_refuses(c: char) -> bool {
    c == '%'
}

/// A tag map: at most `max` tags (room left for the provider's own), keys of 1 to 128 and
/// values of at most 256 characters that both Firehose and IAM take, no key starting with
/// `aws:` in any case (reserved by AWS: Firehose's TagKey pattern refuses it, and the Tagging
/// AWS Resources guide reserves it in any case), and no key under the provider's own
/// `reserved_prefix`, in any case: IAM tag keys are not case sensitive (IAM User Guide,
/// "Tagging IAM resources"), so on the role a key differing only in case would be the
/// provider's own.
pub struct Tags {
    pub max: usize,
    pub reserved_prefix: &'static str,
}

/// Whether `key` starts with `prefix`, ignoring ASCII case.
pub fn has_prefix_ignoring_case(key: &str, prefix: &str) -> bool {
    key.get(..prefix.len())
        .is_some_and(|p| p.eq_ignore_ascii_case(prefix))
}

impl Validator for Tags {
    fn validate(&self, path: &AttrPath, value: &Value, diags: &mut Diagnostics) {
        let Some(map) = value.as_map() else { return };
        let mut refuse = |at: &AttrPath, detail: String| {
            diags.attr_error(at, "Invalid tag", format!("{at}: {detail}"))
        };
        if map.len() > self.max {
            refuse(
                path,
                format!(
                    "at most {} tags: Firehose and IAM take {MAX_TAGS} per stream and per role, and \
                     the provider adds {} of its own (the owner tag and the record of the stage's \
                     earlier settings); got {}.",
                    self.max,
                    MAX_TAGS - self.max,
                    map.len()
                ),
            );
        }
        for (k, v) in map {
            let at = path.key(k);
            let key_len = k.chars().count();
            if key_len == 0 || key_len > 128 {
                refuse(&at, "keys must be 1 to 128 characters long.".to_owned());
            }
            if has_prefix_ignoring_case(k, "aws:") {
                refuse(
                    &at,
                    "keys may not start with \"aws:\" in any case: AWS reserves that prefix for its own tags."
                        .to_owned(),
                );
            }
            if has_prefix_ignoring_case(k, self.reserved_prefix) {
                refuse(
                    &at,
                    format!(
                        "keys starting with {:?} (in any case) are reserved for the tags the \
                         provider sets itself to know what it made.",
                        self.reserved_prefix
                    ),
                );
            }
            if let Some(c) = k.chars().find(|c| !tag_char_allowed(*c)) {
                refuse(
                    &at,
                    format!(
                        "keys may contain only letters, digits, spaces and _ . : / = + - @; {c:?} is not allowed."
                    ),
                );
            }
            let Some(v) = v.as_str() else { continue };
            if v.chars().count() > 256 {
                refuse(
                    &at,
                    "values must be at most 256 characters long.".to_owned(),
                );
            }
            if let Some(c) = v.chars().find(|c| !tag_char_allowed(*c)) {
                refuse(
                    &at,
                    format!(
                        "values may contain only letters, digits, spaces and _ . : / = + - @; {c:?} is not allowed."
                    ),
                );
            }
        }
    }
    fn describe(&self) -> String {
        format!(
            "at most {} tags; keys of 1 to 128 and values of up to 256 letters, digits, spaces and _ . : / = + - @",
            self.max
        )
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
    use crate::plugin::diagnostics::Severity;

    fn check(v: &dyn Validator, value: Value) -> Vec<String> {
        let mut d = Diagnostics::new();
        v.validate(&AttrPath::attrs(["a"]), &value, &mut d);
        d.0.into_iter().map(|d| d.detail).collect()
    }

    fn rule(kind: ArnKind, s: &str) -> String {
        match kind.check(s) {
            Err(ArnProblem::Invalid(r)) => r,
            other => panic!("{s}: {other:?}"),
        }
    }

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

    #[test]
    fn bucket_names_follow_each_s3_rule() {
        // Legacy us-east-1 names: uppercase, underscores, more than 63 characters.
        for legacy in ["My_Logs", "LOGS", &*"b".repeat(64)] {
            assert_eq!(bucket_name_rule(legacy), Ok(()), "{legacy}");
        }
        for ok in ["abc", "my-logs.2024", "a1", "0aa"]
            .into_iter()
            .filter(|n| n.len() >= 3)
        {
            assert_eq!(bucket_name_rule(ok), Ok(()), "{ok}");
        }
        for (bad, says) in [
            ("b1", "3 to 63 characters, and \"b1\" has 2"),
            (&*"b".repeat(256), "at most 255 characters"),
            ("My Bucket", "only letters, digits"),
            ("my logs", "only lowercase letters, digits"),
            ("-logs", "begins and ends with a letter or digit"),
            ("logs.", "begins and ends with a letter or digit"),
            ("my..logs", "no two adjacent periods"),
            ("192.168.5.4", "IP address"),
            ("xn--logs", "\"xn--\""),
            ("sthree-logs", "\"sthree-\""),
            ("amzn-s3-demo-logs", "\"amzn-s3-demo-\""),
            ("logs-s3alias", "\"-s3alias\""),
            ("logs--ol-s3", "\"--ol-s3\""),
            ("logs.mrap", "\".mrap\""),
            ("logs--x-s3", "\"--x-s3\""),
            ("logs--table-s3", "\"--table-s3\""),
        ] {
            let got = bucket_name_rule(bad).unwrap_err();
            assert!(got.contains(says), "{bad}: {got}");
        }
    }

    #[test]
    fn bucket_arns_name_the_rule_they_break() {
        assert_eq!(ArnKind::Bucket.check("arn:aws:s3:::my-bucket"), Ok(()));
        assert!(
            rule(ArnKind::Bucket, "arn:aws:s3:::b1")
                .contains("a bucket name has 3 to 63 characters")
        );
        assert!(
            rule(ArnKind::Bucket, "arn:aws:s3:us-east-1::logs")
                .contains("no region and no account")
        );
        assert!(rule(ArnKind::Bucket, "arn:aws:s3:::logs/key").contains("not a bucket"));
        assert_eq!(
            rule(ArnKind::Bucket, "arn:aws:sqs:::my-bucket"),
            "must be an ARN of service \"s3\", not \"sqs\""
        );
    }

    #[test]
    fn role_arns_follow_iam_rules() {
        for ok in [
            "arn:aws:iam::123456789012:role/r",
            "arn:aws-cn:iam::123456789012:role/service-role/a+b=c,d.e@f_g-h",
            "arn:aws:iam::123456789012:role/a/b/c",
        ] {
            assert_eq!(ArnKind::DeliveryRole.check(ok), Ok(()), "{ok}");
        }
        for (bad, says) in [
            ("arn:aws:iam::123456789012:user/r", "starts with role/"),
            ("arn:aws:iam::123456789012:roles/r", "starts with role/"),
            ("arn:aws:iam::12345:role/r", "12 digits"),
            ("arn:aws:iam:us-east-1:123456789012:role/r", "no region"),
            (
                "arn:aws:iam::123456789012:role/",
                "1 to 64 characters, and \"\" has 0",
            ),
            (
                &format!("arn:aws:iam::123456789012:role/{}", "r".repeat(65)),
                "has 65",
            ),
            ("arn:aws:iam::123456789012:role/a!b", "'!' is none of them"),
            ("arn:aws:iam::123456789012:role/pé/r", "printable ASCII"),
        ] {
            let got = rule(ArnKind::Role, bad);
            assert!(got.contains(says), "{bad}: {got}");
        }
        // IAM takes any printable character in a path; Firehose's pattern does not.
        let exotic = "arn:aws:iam::123456789012:role/a~b/r";
        assert_eq!(ArnKind::Role.check(exotic), Ok(()));
        assert!(rule(ArnKind::DeliveryRole, exotic).contains("'~'"));
    }

    #[test]
    fn kms_key_arns_name_a_key_by_its_id() {
        for ok in [
            "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
            "arn:aws:kms:eu-west-1:123456789012:key/mrk-1234abcd12ab34cd56ef1234567890ab",
        ] {
            assert_eq!(ArnKind::KmsKey.check(ok), Ok(()), "{ok}");
        }
        assert_eq!(
            ArnKind::KmsKey.check("arn:aws:kms:us-east-1:123456789012:alias/logs"),
            Err(ArnProblem::KmsAlias)
        );
        for (bad, says) in [
            (
                "arn:aws:kms::123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
                "region",
            ),
            (
                "arn:aws:kms:us-east-1:1234:key/1234abcd-12ab-34cd-56ef-1234567890ab",
                "12 digits",
            ),
            (
                "arn:aws:kms:us-east-1:123456789012:grant/g",
                "starts with key/",
            ),
            (
                "arn:aws:kms:us-east-1:123456789012:key/abcd",
                "\"abcd\" is neither",
            ),
            (
                "arn:aws:kms:us-east-1:123456789012:key/mrk-12",
                "is neither",
            ),
        ] {
            let got = rule(ArnKind::KmsKey, bad);
            assert!(got.contains(says), "{bad}: {got}");
        }
    }

    #[test]
    fn an_alias_is_refused_with_the_way_to_its_key() {
        let d = check(
            &Arn(ArnKind::KmsKey),
            "arn:aws:kms:us-east-1:123456789012:alias/logs".into(),
        );
        assert_eq!(d.len(), 1);
        assert!(d[0].contains("grants nothing on the key"), "{}", d[0]);
        assert!(d[0].contains("target_key_arn"), "{}", d[0]);
    }

    #[test]
    fn formats_are_refused_for_each_rule_and_warned_about_unknown_variables() {
        let f = AccessLogFormat;
        assert!(check(&f, log_format::JSON.into()).is_empty());
        assert!(check(&f, format!("{}\n", log_format::CLF).into()).is_empty());
        let broken = check(&f, "$context.requestId\n$context.status".into());
        assert_eq!(broken.len(), 1);
        assert!(
            broken[0].contains("single line") && broken[0].contains("character 19"),
            "{broken:?}"
        );
        let long = format!(
            "$context.requestId{}",
            " ".repeat(log_format::MAX_FORMAT_BYTES)
        );
        assert!(check(&f, long.into())[0].contains("at most 3072 bytes"));
        assert!(check(&f, "$context.status".into())[0].contains("$context.requestId or"));

        let mut d = Diagnostics::new();
        f.validate(
            &AttrPath::attrs(["format"]),
            &"$context.requestId $context.identity.sourceIP $context.fancyNew".into(),
            &mut d,
        );
        assert_eq!(d.0.len(), 2);
        assert!(d.0.iter().all(|d| d.severity == Severity::Warning));
        assert!(
            d.0[0]
                .detail
                .contains("Did you mean $context.identity.sourceIp?"),
            "{}",
            d.0[0].detail
        );
        assert!(!d.0[1].detail.contains("Did you mean"), "{}", d.0[1].detail);
        assert_eq!(d.0[0].attribute.as_ref().unwrap().to_string(), "format");
    }

    #[test]
    fn prefixes_report_firehose_rules() {
        let d = check(
            &FirehosePrefix(Kind::Prefix),
            "logs/!{firehose:error-output-type}/".into(),
        );
        assert_eq!(d.len(), 1);
        assert!(
            d[0].starts_with(
                "a: !{firehose:error-output-type} may appear only in error_output_prefix"
            ),
            "{}",
            d[0]
        );
        assert!(
            check(
                &FirehosePrefix(Kind::ErrorOutputPrefix),
                "e/!{firehose:error-output-type}/".into()
            )
            .is_empty()
        );
    }

    #[test]
    fn tags_follow_firehose_and_iam_rules() {
        let v = Tags {
            max: 49,
            reserved_prefix: "owner:",
        };
        let tags = |pairs: &[(&str, &str)]| {
            Value::Map(
                pairs
                    .iter()
                    .map(|(k, v)| ((*k).to_owned(), Value::from(*v)))
                    .collect(),
            )
        };
        assert!(
            check(
                &v,
                tags(&[
                    ("team", "a"),
                    ("Cost Center", "ü 1/2 @x"),
                    ("k", ""),
                    ("abü", "v")
                ])
            )
            .is_empty()
        );
        for (pairs, says) in [
            (vec![("aws:x", "v")], "may not start with \"aws:\""),
            (vec![("AWS:x", "v")], "may not start with \"aws:\""),
            (vec![("Aws:x", "v")], "may not start with \"aws:\""),
            (
                vec![("owner:tag", "v")],
                "reserved for the tags the provider sets",
            ),
            (
                vec![("Owner:other", "v")],
                "reserved for the tags the provider sets",
            ),
            (vec![("a#b", "v")], "'#' is not allowed"),
            (vec![("k", "a*b")], "'*' is not allowed"),
            (vec![("", "v")], "keys must be 1 to 128"),
        ] {
            let d = check(&v, tags(&pairs));
            assert_eq!(d.len(), 1, "{pairs:?}: {d:?}");
            assert!(d[0].contains(says), "{pairs:?}: {}", d[0]);
        }
        let many: Vec<(String, String)> =
            (0..50).map(|i| (format!("k{i}"), "v".to_owned())).collect();
        let many = Value::Map(many.into_iter().map(|(k, v)| (k, Value::from(v))).collect());
        let d = check(&v, many);
        assert_eq!(d.len(), 1);
        assert!(
            d[0].contains("at most 49 tags") && d[0].contains("got 50"),
            "{}",
            d[0]
        );
        assert!(tag_char_allowed('%') && iam_refuses('%'));
        assert!(tag_char_allowed('\u{3000}') && !tag_char_allowed('\t'));
    }
}
