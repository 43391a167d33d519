//! The stream's delivery errors in CloudWatch Logs: the `error_logging` attribute, its rules,
//! the log group the provider makes and owns (or the user's, used as given), and what a read
//! sees of them.
//!
//! On by default, as in the Firehose console, which names the group
//! `/aws/kinesisfirehose/<stream>` and its stream `DestinationDelivery` for an S3 destination
//! ("Monitor Amazon Data Firehose with CloudWatch Logs", Firehose Developer Guide). That group
//! is the provider's: made (tagged with the owner tag, like the role) when missing, adopted
//! after a create that died, deleted when no longer used and on destroy. A group of that name
//! that the provider did not make, and any group the user names, are used as given and never
//! changed or deleted.

use std::collections::BTreeMap;

use crate::aws::arn;
use crate::aws::clients::AwsClients;
use crate::aws::error::{AwsError, ErrorKind};
use crate::aws::firehose::ErrorLogging;
use crate::aws::logs;
use crate::plugin::diagnostics::{AttrPath, Diagnostics};
use crate::plugin::schema::{Attribute, Mode};
use crate::plugin::types::Type;
use crate::plugin::validators::{Chars, Length};
use crate::plugin::value::Value;

use super::fields::{ERROR_LOGGING, error_logging::*};
use super::owner::{Owner, OwnerKind};
use super::stream::abandoned;
use super::{StreamParts, failed, failed_at};

/// The log stream the console makes for an S3 destination's delivery errors.
pub const DEFAULT_LOG_STREAM: &str = "DestinationDelivery";

/// Log group names: 1 to 512 characters of `[\.\-_/#A-Za-z0-9]` (botocore
/// data/logs/2014-03-28/service-2.json, LogGroupName; "CreateLogGroup", CloudWatch Logs API
/// Reference).
pub const LOG_GROUP_NAME_MAX: usize = 512;
/// Log stream names: 1 to 512 characters, no `:` or `*` (botocore
/// data/logs/2014-03-28/service-2.json, LogStreamName, pattern `[^:*]*`; "CreateLogStream",
/// CloudWatch Logs API Reference).
pub const LOG_STREAM_NAME_MAX: usize = 512;

fn group_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "._-/#".contains(c)
}

fn stream_char(c: char) -> bool {
    c != ':' && c != '*'
}

/// The console's log group for a stream, which the provider makes and owns.
pub fn default_log_group(stream_name: &str) -> String {
    format!("/aws/kinesisfirehose/{stream_name}")
}

/// The `error_logging` attribute as planned or recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    pub enabled: bool,
    pub log_group_name: Option<String>,
    pub log_stream_name: Option<String>,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            enabled: DEFAULT_ENABLED,
            log_group_name: None,
            log_stream_name: None,
        }
    }
}

impl Settings {
    /// Reads the attribute; absent (an older state) reads as the default, unknown names as
    /// absent.
    pub fn from_value(v: &Value) -> Settings {
        let name = |a: &str| v.attr(a).as_str().map(str::to_owned);
        Settings {
            enabled: v.attr(ENABLED).as_bool().unwrap_or(DEFAULT_ENABLED),
            log_group_name: name(LOG_GROUP_NAME),
            log_stream_name: name(LOG_STREAM_NAME),
        }
    }

    /// Firehose's options for a stream of this name: the console's group and stream where no
    /// name is given.
    pub fn options(&self, stream_name: &str) -> ErrorLogging {
        if !self.enabled {
            return ErrorLogging::default();
        }
        ErrorLogging {
            enabled: true,
            log_group_name: Some(
                self.log_group_name
                    .clone()
                    .unwrap_or_else(|| default_log_group(stream_name)),
            ),
            log_stream_name: Some(
                self.log_stream_name
                    .clone()
                    .unwrap_or_else(|| DEFAULT_LOG_STREAM.to_owned()),
            ),
        }
    }

    pub fn to_value(&self) -> Value {
        Value::object([
            (ENABLED, self.enabled.into()),
            (LOG_GROUP_NAME, self.log_group_name.clone().into()),
            (LOG_STREAM_NAME, self.log_stream_name.clone().into()),
        ])
    }
}

/// The schema of `error_logging`.
pub fn attribute() -> Attribute {
    Attribute::nested(
        ERROR_LOGGING,
        Mode::Optional,
        "CloudWatch Logs error logging of the stream: where Firehose reports records it could not deliver (a bucket policy or KMS key that refuses it, say). On by default, as in the Firehose console.",
        vec![
            Attribute::optional(
                ENABLED,
                Type::Bool,
                "Whether Firehose logs delivery errors. Turned off, the log group the provider made is deleted.",
            )
            .with_default(DEFAULT_ENABLED),
            Attribute::optional_computed(
                LOG_GROUP_NAME,
                Type::String,
                "A log group of your own, which must exist; it is used as given, never changed or deleted. Omitted: the provider makes and owns `/aws/kinesisfirehose/<stream name>` (the console's name), tagged like the stream, with the log stream `DestinationDelivery`, and deletes it on destroy.",
            )
            .validate(Length { min: 1, max: LOG_GROUP_NAME_MAX })
            .validate(Chars { allowed: group_char, explain: "letters, digits, '.', '-', '_', '/' and '#'" }),
            Attribute::optional_computed(
                LOG_STREAM_NAME,
                Type::String,
                "The log stream in `log_group_name`, which must exist. Only with `log_group_name`. Defaults to `DestinationDelivery`.",
            )
            .validate(Length { min: 1, max: LOG_STREAM_NAME_MAX })
            .validate(Chars { allowed: stream_char, explain: "any character but ':' and '*'" }),
        ],
    )
    .with_default(Settings::default().to_value())
}

/// `log_stream_name` names a stream of the user's group: it needs `log_group_name`. Unknown
/// values pass.
pub fn validate(config: &Value, diags: &mut Diagnostics) {
    let el = config.attr(ERROR_LOGGING);
    if !el.attr(LOG_STREAM_NAME).is_null() && el.attr(LOG_GROUP_NAME).is_null() {
        diags.attr_error(
            &AttrPath::attrs([ERROR_LOGGING, LOG_STREAM_NAME]),
            "log_stream_name without log_group_name",
            "error_logging.log_stream_name names a log stream of a log group of your own, so it needs \
             error_logging.log_group_name. Without a group, the provider makes its own group with the \
             stream DestinationDelivery.",
        );
    }
}

/// Plans the names: while enabled, the configured ones or the console's (known once the
/// stream's name, attribute `name_attr`, is); while disabled, what the configuration says.
pub fn plan(config: &Value, planned: &mut Value, name_attr: &str) {
    let cfg = config.attr(ERROR_LOGGING);
    let stream = planned.attr(name_attr).clone();
    let Some(el) = planned.attr_mut(ERROR_LOGGING) else {
        return;
    };
    if !matches!(el, Value::Object(_)) {
        return;
    }
    let enabled = el.attr(ENABLED).clone();
    let (group, log_stream) = match enabled.as_bool() {
        None => (Value::unknown(), Value::unknown()),
        Some(false) => (
            cfg.attr(LOG_GROUP_NAME).clone(),
            cfg.attr(LOG_STREAM_NAME).clone(),
        ),
        Some(true) => {
            let group = match (cfg.attr(LOG_GROUP_NAME), stream.as_str()) {
                (Value::Null, Some(name)) => default_log_group(name).into(),
                (Value::Null, None) => Value::unknown(),
                (given, _) => given.clone(),
            };
            let log_stream = match cfg.attr(LOG_STREAM_NAME) {
                Value::Null => DEFAULT_LOG_STREAM.into(),
                given => given.clone(),
            };
            (group, log_stream)
        }
    };
    for (name, value) in [(LOG_GROUP_NAME, group), (LOG_STREAM_NAME, log_stream)] {
        if let Some(slot) = el.attr_mut(name) {
            *slot = value;
        }
    }
}

/// Whether the destination logs to the console's group, the provider's to make.
fn uses_console_group(options: &ErrorLogging, stream_name: &str) -> bool {
    options.enabled && options.log_group_name.as_deref() == Some(&default_log_group(stream_name))
}

/// The ARN of the log stream the destination logs to, for the owned role's policy, in the
/// stream's partition, region and account.
pub fn log_stream_arn(
    options: &ErrorLogging,
    partition: &str,
    region: &str,
    account: &str,
) -> Option<String> {
    match (
        options.enabled,
        &options.log_group_name,
        &options.log_stream_name,
    ) {
        (true, Some(group), Some(stream)) => Some(arn::log_stream_arn(
            partition, region, account, group, stream,
        )),
        _ => None,
    }
}

/// What a read found of the group and stream the destination logs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Seen {
    pub group_exists: bool,
    pub stream_exists: bool,
}

impl Default for Seen {
    fn default() -> Seen {
        Seen {
            group_exists: true,
            stream_exists: true,
        }
    }
}

/// Looks for the log group and stream the destination logs to (one DescribeLogStreams); with
/// logging off there is nothing to look at.
pub async fn observe(clients: &AwsClients, options: &ErrorLogging) -> Result<Seen, AwsError> {
    let (true, Some(group), Some(stream)) = (
        options.enabled,
        &options.log_group_name,
        &options.log_stream_name,
    ) else {
        return Ok(Seen::default());
    };
    match logs::log_stream_exists(clients, group, stream).await {
        Ok(exists) => Ok(Seen {
            group_exists: true,
            stream_exists: exists,
        }),
        Err(e) if e.is(ErrorKind::NotFound) => Ok(Seen {
            group_exists: false,
            stream_exists: false,
        }),
        Err(e) => Err(e),
    }
}

/// The attribute as state records it: what the destination says, with a group or stream that
/// is gone read as null, so the plan shows the repair. While off, the names are the ones
/// `base` holds when it is off too (Firehose keeps none).
pub fn state(base: &Settings, options: &ErrorLogging, seen: Seen) -> Settings {
    if !options.enabled {
        let keep = |n: &Option<String>| n.clone().filter(|_| !base.enabled);
        return Settings {
            enabled: false,
            log_group_name: keep(&base.log_group_name),
            log_stream_name: keep(&base.log_stream_name),
        };
    }
    Settings {
        enabled: true,
        log_group_name: options.log_group_name.clone().filter(|_| seen.group_exists),
        log_stream_name: options
            .log_stream_name
            .clone()
            .filter(|_| seen.group_exists && seen.stream_exists),
    }
}

/// The caller's partition and account, from STS (asked once per configured provider).
async fn account(clients: &AwsClients) -> Result<(String, String), Diagnostics> {
    let identity = clients
        .identity()
        .await
        .map_err(|e| failed("Cannot identify the AWS account", e))?;
    Ok((identity.partition.clone(), identity.account.clone()))
}

fn group_arn(clients: &AwsClients, partition: &str, account: &str, group: &str) -> String {
    arn::log_group_arn(partition, &clients.region, account, group)
}

/// Makes ready the log group and stream the destination is to log to, before the destination
/// names them: the console's group made (or adopted) with its stream and tags, a group of the
/// user's checked to exist with its stream.
pub async fn ensure(
    clients: &AwsClients,
    parts: &StreamParts,
    owner: &Owner<'_>,
) -> Result<(), Diagnostics> {
    let options = parts.error_logging.options(&parts.name);
    let (true, Some(group), Some(stream)) = (
        options.enabled,
        options.log_group_name.as_deref(),
        options.log_stream_name.as_deref(),
    ) else {
        return Ok(());
    };
    if !uses_console_group(&options, &parts.name) {
        return require_users(clients, group, stream).await;
    }
    let mut want = parts.tags_all.clone();
    want.extend([owner.tag(false)]);
    match logs::create_log_group(clients, group, &want).await {
        Ok(()) => {}
        // Made by an earlier attempt (an answer lost, a create that died), or not ours.
        Err(e) if e.is(ErrorKind::AlreadyExists) => {
            if !adopt(clients, parts, owner, group, &want).await? {
                // A group of the console's name that the provider did not make: the user's.
                return require_users(clients, group, stream).await;
            }
        }
        Err(e) => return Err(failed("Cannot create the log group for error logging", e)),
    }
    match logs::create_log_stream(clients, group, stream).await {
        Ok(()) => Ok(()),
        Err(e) if e.is(ErrorKind::AlreadyExists) => Ok(()),
        Err(e) => Err(failed("Cannot create the log stream for error logging", e)),
    }
}

/// Takes the existing console group on: true when it is this instance's (its tags brought up
/// to date) or was left by a create that died (re-tagged as this instance's), false when no
/// instance of this kind made it; another live instance's is an error.
async fn adopt(
    clients: &AwsClients,
    parts: &StreamParts,
    owner: &Owner<'_>,
    group: &str,
    want: &BTreeMap<String, String>,
) -> Result<bool, Diagnostics> {
    let (partition, account) = account(clients).await?;
    let arn = group_arn(clients, &partition, &account, group);
    let have = logs::list_tags(clients, &arn)
        .await
        .map_err(|e| failed("Cannot read the log group's tags", e))?;
    let adoptable = match owner.claim(&have).id() {
        None => return Ok(false),
        Some(mine) if mine == owner.id => true,
        Some(other) => abandoned(clients, owner.kind, &parts.name, other).await?,
    };
    if !adoptable {
        let other = owner.claim(&have).id().unwrap_or_default().to_owned();
        return Err((owner.taken)(
            &format!("Log group {group:?}"),
            &other,
            ERROR_LOGGING,
        ));
    }
    if &have != want {
        logs::sync_tags(clients, &arn, &have, want)
            .await
            .map_err(|e| failed("Cannot tag the log group", e))?;
    }
    Ok(true)
}

/// A group of the user's must exist, with its stream: the provider never makes or changes it.
async fn require_users(clients: &AwsClients, group: &str, stream: &str) -> Result<(), Diagnostics> {
    match logs::log_stream_exists(clients, group, stream).await {
        Ok(true) => Ok(()),
        Ok(false) => Err(failed_at(
            &[ERROR_LOGGING, LOG_STREAM_NAME],
            "Log stream not found",
            format!(
                "Log group {group:?} has no log stream {stream:?} in region {}. A log group that the \
                 provider did not make is used as given: create the stream in it, or name one it has.",
                clients.region
            ),
        )),
        Err(e) if e.is(ErrorKind::NotFound) => Err(failed_at(
            &[ERROR_LOGGING, LOG_GROUP_NAME],
            "Log group not found",
            format!(
                "There is no log group {group:?} in region {}. A log group named in \
                 error_logging.log_group_name must exist; omit it to have the provider make one.",
                clients.region
            ),
        )),
        Err(e) => Err(failed("Cannot read the log group for error logging", e)),
    }
}

/// Deletes the console group of stream `stream_name` if instance `id` of `kind` made it; a
/// group gone, or not the provider's, is left as it is.
pub async fn delete_owned(
    clients: &AwsClients,
    stream_name: &str,
    kind: OwnerKind,
    id: &str,
) -> Result<(), Diagnostics> {
    if stream_name.is_empty() {
        return Ok(());
    }
    let group = default_log_group(stream_name);
    let (partition, account) = account(clients).await?;
    let arn = group_arn(clients, &partition, &account, &group);
    match logs::list_tags(clients, &arn).await {
        Ok(tags) if kind.claim(&tags).is(id) => {}
        Ok(_) => return Ok(()),
        Err(e) if e.is(ErrorKind::NotFound) => return Ok(()),
        Err(e) => return Err(failed("Cannot read the log group's tags", e)),
    }
    logs::delete_log_group(clients, &group)
        .await
        .map_err(|e| failed("Cannot delete the log group of error logging", e))
}

/// Whether the console group of stream `stream_name` exists and instance `id` of `kind` made it.
pub async fn owned_exists(
    clients: &AwsClients,
    stream_name: &str,
    kind: OwnerKind,
    id: &str,
) -> Result<bool, AwsError> {
    let group = default_log_group(stream_name);
    let identity = clients.identity().await?;
    let arn = group_arn(clients, &identity.partition, &identity.account, &group);
    match logs::list_tags(clients, &arn).await {
        Ok(tags) => Ok(kind.claim(&tags).is(id)),
        Err(e) if e.is(ErrorKind::NotFound) => Ok(false),
        Err(e) => Err(e),
    }
}

/// After an update: the console group goes once the destination no longer logs to it.
pub async fn retire(
    clients: &AwsClients,
    before: &StreamParts,
    parts: &StreamParts,
    kind: OwnerKind,
    id: &str,
) -> Result<(), Diagnostics> {
    let was = before.error_logging.options(&before.name);
    let now = parts.error_logging.options(&parts.name);
    if uses_console_group(&was, &before.name) && !uses_console_group(&now, &parts.name) {
        delete_owned(clients, &parts.name, kind, id).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn planned(el: Value) -> Value {
        Value::object([
            ("delivery_stream_name", "amazon-apigateway-a-prod".into()),
            ("error_logging", el),
        ])
    }

    #[test]
    fn the_plan_names_the_consoles_group_unless_one_is_given() {
        let default = Settings::default().to_value();
        let mut p = planned(default.clone());
        plan(
            &Value::object([("error_logging", Value::Null)]),
            &mut p,
            "delivery_stream_name",
        );
        assert_eq!(
            Settings::from_value(p.attr("error_logging")),
            Settings {
                enabled: true,
                log_group_name: Some("/aws/kinesisfirehose/amazon-apigateway-a-prod".into()),
                log_stream_name: Some(DEFAULT_LOG_STREAM.into()),
            }
        );
        let given = Value::object([
            ("enabled", true.into()),
            ("log_group_name", "mine".into()),
            ("log_stream_name", Value::Null),
        ]);
        let mut p = planned(given.clone());
        plan(
            &Value::object([("error_logging", given)]),
            &mut p,
            "delivery_stream_name",
        );
        assert_eq!(
            p.attr("error_logging").attr("log_group_name"),
            &Value::from("mine")
        );
        assert_eq!(
            p.attr("error_logging").attr("log_stream_name"),
            &Value::from(DEFAULT_LOG_STREAM)
        );
        let off = Value::object([
            ("enabled", false.into()),
            ("log_group_name", Value::Null),
            ("log_stream_name", Value::Null),
        ]);
        let mut p = planned(off.clone());
        plan(
            &Value::object([("error_logging", off)]),
            &mut p,
            "delivery_stream_name",
        );
        assert!(p.attr("error_logging").attr("log_group_name").is_null());
    }

    #[test]
    fn a_stream_name_needs_a_group_name() {
        let config = Value::object([(
            "error_logging",
            Value::object([
                ("log_stream_name", "s".into()),
                ("log_group_name", Value::Null),
            ]),
        )]);
        let mut d = Diagnostics::new();
        validate(&config, &mut d);
        assert_eq!(
            d.0[0].attribute.as_ref().unwrap().to_string(),
            "error_logging.log_stream_name"
        );
        let unknown = Value::object([(
            "error_logging",
            Value::object([
                ("log_stream_name", "s".into()),
                ("log_group_name", Value::unknown()),
            ]),
        )]);
        let mut d = Diagnostics::new();
        validate(&unknown, &mut d);
        assert!(d.0.is_empty());
    }

    #[test]
    fn names_follow_cloudwatch_logs_rules() {
        assert!(
            "/aws/kinesisfirehose/amazon-apigateway-a.b_c#1"
                .chars()
                .all(group_char)
        );
        assert!(!"a b".chars().all(group_char) && !"a:b".chars().all(group_char));
        assert!("Destination Delivery/1".chars().all(stream_char));
        assert!(!"a:b".chars().all(stream_char) && !"a*".chars().all(stream_char));
    }

    #[test]
    fn state_reads_a_missing_group_or_stream_as_null() {
        let on = Settings::default().options("s");
        let gone = Seen {
            group_exists: false,
            stream_exists: false,
        };
        let s = state(&Settings::default(), &on, gone);
        assert!(s.enabled && s.log_group_name.is_none() && s.log_stream_name.is_none());
        let no_stream = Seen {
            group_exists: true,
            stream_exists: false,
        };
        let s = state(&Settings::default(), &on, no_stream);
        assert!(s.log_group_name.is_some() && s.log_stream_name.is_none());
        let off = state(
            &Settings::default(),
            &ErrorLogging::default(),
            Seen::default(),
        );
        assert_eq!(
            off,
            Settings {
                enabled: false,
                log_group_name: None,
                log_stream_name: None
            }
        );
    }
}
