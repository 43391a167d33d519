//! Firehose server-side encryption as AWS reports and limits it, where moto 5.2.5 does not
//! (moto/firehose/models.py):
//!
//! - DescribeDeliveryStream always carries `DeliveryStreamEncryptionConfiguration.Status`
//!   ("the server-side encryption (SSE) status for the Firehose stream", botocore
//!   data/firehose/2015-08-04/service-2.json). moto leaves the status out for a stream created
//!   with encryption and the whole configuration out for one created without; here they read
//!   ENABLED and DISABLED.
//! - StartDeliveryStreamEncryption and StopDeliveryStreamEncryption are asynchronous: "Firehose
//!   first sets the encryption status of the stream to ENABLING, and then to ENABLED" (and
//!   DISABLING, then DISABLED, for Stop; Firehose API Reference, both pages). moto switches at
//!   once; here the passing status shows for [`ProxyConfig::encryption_phase`].
//! - breaches, refused as Firehose refuses them: a 26th Start or Stop of one stream within
//!   24 hours ("a combined limit of 25 calls per Firehose stream per 24 hours",
//!   StopDeliveryStreamEncryption), and `CUSTOMER_MANAGED_CMK` without a `KeyARN` ("If you set
//!   KeyType to CUSTOMER_MANAGED_CMK, you must specify the Amazon Resource Name (ARN) of the
//!   CMK", DeliveryStreamEncryptionConfigurationInput).
//!
//! [`ProxyConfig::encryption_phase`]: super::ProxyConfig::encryption_phase

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use bytes::Bytes;
use serde_json::{Value, json};

use super::Shared;
use super::faults::{self, Rng};
use super::handler::{Exchange, Reply};
use super::realism::lock;
use super::rules::breach;

/// Start and Stop calls one stream may take within [`CALL_WINDOW`].
const CALLS_PER_WINDOW: usize = 25;
const CALL_WINDOW: Duration = Duration::from_secs(24 * 60 * 60);

/// A change of a stream's encryption under way.
#[derive(Debug, Clone, Copy)]
struct Change {
    passing: &'static str,
    until: Instant,
}

/// The encryption state moto does not keep, shared by all connections.
#[derive(Debug, Default)]
pub(crate) struct Encryption {
    phase: Duration,
    /// Stream name -> the change it is in.
    changes: Mutex<HashMap<String, Change>>,
    /// Stream name -> when each Start or Stop it took was made.
    calls: Mutex<HashMap<String, Vec<Instant>>>,
}

impl Encryption {
    pub(crate) fn new(phase: Duration) -> Encryption {
        Encryption {
            phase,
            ..Encryption::default()
        }
    }

    /// Start (`enabling`) or Stop took effect in moto: the passing status shows for the phase.
    fn changed(&self, name: &str, enabling: bool, now: Instant) {
        if self.phase.is_zero() {
            return;
        }
        let passing = if enabling { "ENABLING" } else { "DISABLING" };
        let change = Change {
            passing,
            until: now + self.phase,
        };
        lock(&self.changes).insert(name.to_owned(), change);
    }

    /// The status a change under way shows, if one is.
    fn passing(&self, name: &str, now: Instant) -> Option<&'static str> {
        let mut changes = lock(&self.changes);
        match changes.get(name).copied() {
            Some(c) if c.until > now => Some(c.passing),
            Some(_) => {
                changes.remove(name);
                None
            }
            None => None,
        }
    }

    /// Counts a Start or Stop of `name`; false when it is over the day's limit.
    fn admit_call(&self, name: &str, now: Instant) -> bool {
        let mut calls = lock(&self.calls);
        let made = calls.entry(name.to_owned()).or_default();
        made.retain(|t| now.saturating_duration_since(*t) < CALL_WINDOW);
        if made.len() >= CALLS_PER_WINDOW {
            return false;
        }
        made.push(now);
        true
    }

    /// A stream of this name was created or deleted: a new stream starts with a clean slate.
    pub(crate) fn forget(&self, name: &str) {
        lock(&self.changes).remove(name);
        lock(&self.calls).remove(name);
    }
}

/// The refusal AWS gives a Start, Stop or Create that breaks a rule of this module, if any.
pub(crate) fn before_forward(shared: &Shared, ex: &Exchange, rng: &mut Rng) -> Option<Reply> {
    let request: Value = serde_json::from_slice(&ex.body).unwrap_or_default();
    if let Some(reply) = key_arn_missing(shared, ex, &request, rng) {
        return Some(reply);
    }
    let operation = ex.call.operation.as_str();
    if !matches!(
        operation,
        "StartDeliveryStreamEncryption" | "StopDeliveryStreamEncryption"
    ) {
        return None;
    }
    let name = ex.stream.as_deref()?;
    if shared.encryption.admit_call(name, Instant::now()) {
        return None;
    }
    // Firehose lists LimitExceededException for both operations and publishes no text.
    let message = format!(
        "Firehose {name} has had {CALLS_PER_WINDOW} StartDeliveryStreamEncryption and \
         StopDeliveryStreamEncryption calls in the last 24 hours, the most it takes."
    );
    let answer = faults::firehose_error(400, "LimitExceededException", &message, &rng.request_id());
    Some(breach(
        shared,
        ex,
        "firehose.encryptionChangesPerDay",
        &message,
        answer,
    ))
}

fn key_arn_missing(
    shared: &Shared,
    ex: &Exchange,
    request: &Value,
    rng: &mut Rng,
) -> Option<Reply> {
    let input = &request["DeliveryStreamEncryptionConfigurationInput"];
    if input["KeyType"] != "CUSTOMER_MANAGED_CMK" || input["KeyARN"].is_string() {
        return None;
    }
    let message = "KeyARN is required when KeyType is CUSTOMER_MANAGED_CMK.";
    let answer =
        faults::firehose_error(400, "InvalidArgumentException", message, &rng.request_id());
    Some(breach(
        shared,
        ex,
        "firehose.customerManagedKeyNeedsArn",
        message,
        answer,
    ))
}

/// Notes what a successful Firehose call did to a stream's encryption.
pub(crate) fn after_success(shared: &Shared, ex: &Exchange, now: Instant) {
    let Some(name) = ex.stream.as_deref() else {
        return;
    };
    match ex.call.operation.as_str() {
        "StartDeliveryStreamEncryption" => shared.encryption.changed(name, true, now),
        "StopDeliveryStreamEncryption" => shared.encryption.changed(name, false, now),
        "CreateDeliveryStream" | "DeleteDeliveryStream" => shared.encryption.forget(name),
        _ => {}
    }
}

/// A DescribeDeliveryStream answer with the encryption status AWS would report.
pub(crate) fn described(shared: &Shared, ex: &Exchange, body: Bytes) -> Bytes {
    let Some(name) = ex.stream.as_deref() else {
        return body;
    };
    let Ok(mut json) = serde_json::from_slice::<Value>(&body) else {
        return body;
    };
    let Some(description) = json
        .get_mut("DeliveryStreamDescription")
        .and_then(Value::as_object_mut)
    else {
        return body;
    };
    let config = description
        .entry("DeliveryStreamEncryptionConfiguration")
        .or_insert_with(|| json!({}));
    let settled = match (config.get("Status"), config.get("KeyType")) {
        (Some(Value::String(status)), _) => status.clone(),
        (_, Some(_)) => "ENABLED".to_owned(),
        _ => "DISABLED".to_owned(),
    };
    let status = shared
        .encryption
        .passing(name, Instant::now())
        .map_or(settled, str::to_owned);
    config["Status"] = Value::from(status);
    Bytes::from(json.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changes_pass_through_their_phase_and_calls_are_capped_per_day() {
        let e = Encryption::new(Duration::from_secs(2));
        let t0 = Instant::now();
        e.changed("s", false, t0);
        assert_eq!(
            e.passing("s", t0 + Duration::from_secs(1)),
            Some("DISABLING")
        );
        assert_eq!(e.passing("s", t0 + Duration::from_secs(3)), None);
        for i in 0..CALLS_PER_WINDOW {
            assert!(e.admit_call("s", t0), "call {i}");
        }
        assert!(!e.admit_call("s", t0), "the 26th call of the day");
        assert!(e.admit_call("other", t0));
        assert!(e.admit_call("s", t0 + CALL_WINDOW), "a day later");
        e.forget("s");
        assert!(e.admit_call("s", t0));
    }
}
