//! Provider logs as hclog JSON lines on stderr, which Terraform's plugin client parses, so
//! `TF_LOG=debug terraform plan` shows them with their levels.

use std::fmt::Write as _;
use std::io::Write as _;

use serde_json::{Map, Value as Json};
use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::layer::{Context, Layer};
use tracing_subscriber::prelude::*;

/// The level chosen by `TF_LOG_PROVIDER`, else `TF_LOG`; none means no logging at all.
pub fn level_from_env(provider: Option<&str>, global: Option<&str>) -> Option<Level> {
    let chosen = provider
        .filter(|s| !s.is_empty())
        .or(global.filter(|s| !s.is_empty()))?;
    match chosen.to_ascii_lowercase().as_str() {
        "trace" | "json" => Some(Level::TRACE),
        "debug" => Some(Level::DEBUG),
        "info" => Some(Level::INFO),
        "warn" => Some(Level::WARN),
        "error" => Some(Level::ERROR),
        "off" => None,
        // Terraform treats any other value as trace.
        _ => Some(Level::TRACE),
    }
}

/// Installs the stderr logger according to the environment.
pub fn init() {
    let provider = std::env::var("TF_LOG_PROVIDER").ok();
    let global = std::env::var("TF_LOG").ok();
    let Some(level) = level_from_env(provider.as_deref(), global.as_deref()) else {
        return;
    };
    let filter = tracing_subscriber::filter::LevelFilter::from_level(level);
    let _ = tracing_subscriber::registry()
        .with(HclogLayer.with_filter(filter))
        .try_init();
}

/// Writes each event as one hclog JSON line.
struct HclogLayer;

impl<S: Subscriber> Layer<S> for HclogLayer {
    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
        let line = format_event(event);
        let _ = std::io::stderr().lock().write_all(line.as_bytes());
    }
}

fn level_name(level: &Level) -> &'static str {
    match *level {
        Level::TRACE => "trace",
        Level::DEBUG => "debug",
        Level::INFO => "info",
        Level::WARN => "warn",
        Level::ERROR => "error",
    }
}

/// The `@module` hclog shows: our own code is `provider`, dependencies keep their crate name.
fn module_name(target: &str) -> String {
    let krate = target.split("::").next().unwrap_or(target);
    if krate == "terraform_provider_apigw" {
        "provider".to_owned()
    } else {
        format!("provider.{krate}")
    }
}

fn format_event(event: &Event<'_>) -> String {
    let meta = event.metadata();
    let mut fields = FieldCollector::default();
    event.record(&mut fields);
    let mut obj = Map::new();
    obj.insert("@level".into(), level_name(meta.level()).into());
    obj.insert("@message".into(), fields.message.into());
    obj.insert("@module".into(), module_name(meta.target()).into());
    obj.insert("@timestamp".into(), timestamp().into());
    for (k, v) in fields.fields {
        obj.insert(k, v);
    }
    let mut line = redact(&Json::Object(obj).to_string());
    line.push('\n');
    line
}

const REDACTED: &str = "** redacted **";

/// Values that must never be logged, registered as they become known (credentials).
static SECRETS: std::sync::RwLock<Vec<String>> = std::sync::RwLock::new(Vec::new());

/// Shorter values are not redacted by value: they would blank out ordinary words.
const MIN_SECRET_LEN: usize = 8;

/// Registers a value that log lines must never show, such as a session token.
pub fn register_secret(value: &str) {
    if value.len() < MIN_SECRET_LEN {
        return;
    }
    let mut secrets = SECRETS.write().unwrap_or_else(|e| e.into_inner());
    if !secrets.iter().any(|s| s == value) {
        secrets.push(value.to_owned());
    }
}

/// Removes credentials from a log line: every registered secret, wherever and however it is
/// printed, and any word shaped like an AWS access key id (`AKIA`/`ASIA` and 16 capitals or
/// digits) as a second line of defence.
pub fn redact(line: &str) -> String {
    let mut out = line.to_owned();
    for secret in SECRETS.read().unwrap_or_else(|e| e.into_inner()).iter() {
        if out.contains(secret.as_str()) {
            out = out.replace(secret.as_str(), REDACTED);
        }
    }
    redact_key_ids(&out)
}

fn redact_key_ids(text: &str) -> String {
    let bytes = text.as_bytes();
    let is_key_char = |b: u8| b.is_ascii_uppercase() || b.is_ascii_digit();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    let mut copied = 0;
    while i + 20 <= bytes.len() {
        let at_word_start = i == 0 || !is_key_char(bytes[i - 1]);
        let prefixed = bytes[i..].starts_with(b"AKIA") || bytes[i..].starts_with(b"ASIA");
        if at_word_start
            && prefixed
            && bytes[i..i + 20].iter().all(|b| is_key_char(*b))
            && (i + 20 == bytes.len() || !is_key_char(bytes[i + 20]))
        {
            out.push_str(&text[copied..i]);
            out.push_str(REDACTED);
            i += 20;
            copied = i;
        } else {
            i += 1;
        }
    }
    out.push_str(&text[copied..]);
    out
}

/// hclog's timestamp form: RFC 3339 with microseconds.
fn timestamp() -> String {
    humantime::format_rfc3339_micros(std::time::SystemTime::now()).to_string()
}

#[derive(Default)]
struct FieldCollector {
    message: String,
    fields: Vec<(String, Json)>,
}

impl Visit for FieldCollector {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.message = value.to_owned();
        } else {
            self.fields.push((field.name().to_owned(), value.into()));
        }
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.fields.push((field.name().to_owned(), value.into()));
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        self.fields.push((field.name().to_owned(), value.into()));
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        self.fields.push((field.name().to_owned(), value.into()));
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        let mut text = String::new();
        let _ = write!(text, "{value:?}");
        if field.name() == "message" {
            self.message = text;
        } else {
            self.fields.push((field.name().to_owned(), text.into()));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn provider_level_wins_over_global() {
        assert_eq!(
            level_from_env(Some("warn"), Some("trace")),
            Some(Level::WARN)
        );
        assert_eq!(level_from_env(None, Some("DEBUG")), Some(Level::DEBUG));
        assert_eq!(level_from_env(Some(""), Some("info")), Some(Level::INFO));
        assert_eq!(level_from_env(None, None), None);
        assert_eq!(level_from_env(Some("off"), Some("trace")), None);
        assert_eq!(level_from_env(None, Some("1")), Some(Level::TRACE));
    }

    #[test]
    fn credentials_are_redacted() {
        register_secret("token-canary-123456");
        register_secret("short");
        let line = r#"{"h":"x-amz-security-token: HeaderValue(\"token-canary-123456\")"}"#;
        assert!(
            !redact(line).contains("token-canary-123456"),
            "{}",
            redact(line)
        );
        assert_eq!(redact("a short word"), "a short word");
        assert_eq!(
            redact("key AKIAIOSFODNN7EXAMPLE used"),
            "key ** redacted ** used"
        );
        assert_eq!(redact("ASIAABCDEFGHIJKLMNOP"), "** redacted **");
        // Not a key id: too short, or part of a longer word.
        assert_eq!(redact("AKIASHORT"), "AKIASHORT");
        assert_eq!(redact("XAKIAIOSFODNN7EXAMPLE"), "XAKIAIOSFODNN7EXAMPLE");
    }

    #[test]
    fn modules_name_the_source() {
        assert_eq!(
            module_name("terraform_provider_apigw::aws::firehose"),
            "provider"
        );
        assert_eq!(
            module_name("aws_smithy_runtime::client"),
            "provider.aws_smithy_runtime"
        );
    }
}
