//! Encryption at rest of the records the stream holds (Firehose server-side encryption): the
//! `server_side_encryption` attribute, its rule, its state as Firehose reports it, and the step
//! that turns it on or off.
//!
//! Why only Firehose's own key: API Gateway writes access logs into the stream as its
//! service-linked role `AWSServiceRoleForAPIGateway`, whose managed policy
//! `APIGatewayServiceRolePolicy` (AWS Managed Policy Reference) allows no KMS action, and
//! neither "Log REST API calls to Amazon Data Firehose in API Gateway" (API Gateway Developer
//! Guide) nor "Data protection in Amazon Data Firehose" (Firehose Developer Guide) says that a
//! stage can deliver into a stream encrypted with a customer managed key. A stream whose
//! writes failed would lose the logs without a word to anyone (API Gateway reports no
//! delivery failures to the caller), so a customer managed key is refused at plan rather than
//! tried.

use tokio::time::Instant;

use crate::aws::clients::AwsClients;
use crate::aws::firehose::{self, AWS_OWNED_KEY, Stream, StreamEncryption};
use crate::aws::policy::CONFLICT_WINDOW;
use crate::aws::retry::retry;
use crate::plugin::diagnostics::{AttrPath, Diagnostics};
use crate::plugin::framework::OpContext;
use crate::plugin::schema::{Attribute, Mode, Validator};
use crate::plugin::types::Type;
use crate::plugin::value::Value;

use super::fields::{SERVER_SIDE_ENCRYPTION, encryption::*};
use super::{RETRY_CHANGES, failed};

/// Firehose's key type for a key the account manages in KMS (KeyType, Firehose API Reference).
pub const CUSTOMER_MANAGED_KEY: &str = "CUSTOMER_MANAGED_CMK";

/// The `server_side_encryption` attribute.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Encryption {
    pub enabled: bool,
    pub key_type: String,
}

impl Default for Encryption {
    fn default() -> Encryption {
        Encryption {
            enabled: true,
            key_type: AWS_OWNED_KEY.to_owned(),
        }
    }
}

impl Encryption {
    /// Reads the attribute; absent parts (an older state, an import) read as the defaults.
    pub fn from_value(v: &Value) -> Encryption {
        let default = Encryption::default();
        Encryption {
            enabled: v.attr(ENABLED).as_bool().unwrap_or(default.enabled),
            key_type: v
                .attr(KEY_TYPE)
                .as_str()
                .map_or(default.key_type, str::to_owned),
        }
    }

    /// What Firehose reports, as the attribute holds it: on only once ENABLED (ENABLING, a
    /// failed change and DISABLING all read as off, so the plan shows what is still to do).
    /// While off, the key type is the one `base` asks for, as no key is in use.
    pub fn observed(base: &Encryption, seen: &StreamEncryption) -> Encryption {
        let enabled = seen.status == "ENABLED";
        let key_type = match (&seen.key_type, enabled) {
            (Some(kind), true) => kind.clone(),
            (None, true) => AWS_OWNED_KEY.to_owned(),
            (_, false) => base.key_type.clone(),
        };
        Encryption { enabled, key_type }
    }

    pub fn to_value(&self) -> Value {
        Value::object([
            (ENABLED, self.enabled.into()),
            (KEY_TYPE, self.key_type.as_str().into()),
        ])
    }
}

/// The schema of `server_side_encryption`.
pub fn attribute() -> Attribute {
    let default = Encryption::default();
    Attribute::nested(
        SERVER_SIDE_ENCRYPTION,
        Mode::Optional,
        "Encryption at rest of the records the stream holds before delivery (Firehose server-side encryption).",
        vec![
            Attribute::optional(
                ENABLED,
                Type::Bool,
                "Whether Firehose encrypts the records it holds. Turned off or on outside Terraform, it shows in the next plan.",
            )
            .with_default(default.enabled),
            Attribute::optional(
                KEY_TYPE,
                Type::String,
                "The key: `AWS_OWNED_CMK`, a key Firehose owns. `CUSTOMER_MANAGED_CMK` is refused: AWS does not document that API Gateway can write into a stream encrypted with a customer managed key.",
            )
            .with_default(default.key_type.as_str())
            .validate(OwnedKeyOnly),
        ],
    )
    .with_default(default.to_value())
}

/// Refuses any key type but Firehose's own, with the reason (see the module's documentation).
pub struct OwnedKeyOnly;

impl Validator for OwnedKeyOnly {
    fn validate(&self, path: &AttrPath, value: &Value, diags: &mut Diagnostics) {
        let Some(kind) = value.as_str() else { return };
        let detail = match kind {
            AWS_OWNED_KEY => return,
            CUSTOMER_MANAGED_KEY => format!(
                "{path}: {CUSTOMER_MANAGED_KEY} is not supported. API Gateway writes access logs into the \
                 stream as its service-linked role AWSServiceRoleForAPIGateway, whose managed policy \
                 APIGatewayServiceRolePolicy allows no KMS action, and AWS does not document that a stage can \
                 deliver into a stream encrypted with a customer managed key (API Gateway Developer Guide, \
                 \"Log REST API calls to Amazon Data Firehose in API Gateway\"; Firehose Developer Guide, \
                 \"Data protection in Amazon Data Firehose\"). Use {AWS_OWNED_KEY}, and s3.kms_key_arn for a \
                 key of your own on the delivered objects."
            ),
            other => format!(
                "{path}: must be {AWS_OWNED_KEY} (Firehose's KeyType is AWS_OWNED_CMK or \
                 CUSTOMER_MANAGED_CMK); got {other:?}."
            ),
        };
        diags.attr_error(path, "Unsupported stream encryption", detail);
    }

    fn describe(&self) -> String {
        format!("{AWS_OWNED_KEY} only")
    }
}

/// Brings the stream's encryption to `want`, starting from its description `current`, and
/// waits until Firehose reports it done. Returns the stream as last described when anything
/// was to do.
pub async fn converge(
    clients: &AwsClients,
    ctx: &OpContext,
    name: &str,
    want: &Encryption,
    current: &Stream,
    deadline: Instant,
) -> Result<Option<Stream>, Diagnostics> {
    let seen = &current.encryption;
    let (done, passing) = if want.enabled {
        let owned = seen.key_type.as_deref().is_none_or(|k| k == AWS_OWNED_KEY);
        (
            seen.status == "ENABLED" && owned,
            seen.status == "ENABLING" && owned,
        )
    } else {
        (seen.status == "DISABLED", seen.status == "DISABLING")
    };
    if done {
        return Ok(None);
    }
    let mut asked = None;
    // A change already under way is waited for, not asked for again: Start and Stop together
    // have "a combined limit of 25 calls per Firehose stream per 24 hours"
    // (StopDeliveryStreamEncryption, Firehose API Reference).
    if !passing {
        let doing = if want.enabled {
            "turning on the stream's encryption"
        } else {
            "turning off the stream's encryption"
        };
        retry(
            RETRY_CHANGES,
            CONFLICT_WINDOW,
            &ctx.cancel,
            doing,
            || async {
                if want.enabled {
                    firehose::start_encryption(clients, name).await
                } else {
                    firehose::stop_encryption(clients, name).await
                }
            },
        )
        .await
        .map_err(|e| failed("Cannot change the stream's encryption", e))?;
        asked = Some(Instant::now());
    }
    let stream =
        firehose::wait_encryption(clients, name, want.enabled, asked, deadline, &ctx.cancel)
            .await
            .map_err(|e| failed("The stream's encryption did not settle", e))?;
    Ok(Some(stream))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seen(status: &str, key_type: Option<&str>) -> StreamEncryption {
        StreamEncryption {
            status: status.to_owned(),
            key_type: key_type.map(str::to_owned),
            failure: None,
        }
    }

    #[test]
    fn only_enabled_reads_as_on_and_an_idle_key_type_is_the_wanted_one() {
        let base = Encryption::default();
        let on = Encryption::observed(&base, &seen("ENABLED", Some(AWS_OWNED_KEY)));
        assert_eq!(on, base);
        for status in ["ENABLING", "ENABLING_FAILED", "DISABLING", "DISABLED"] {
            let off = Encryption::observed(&base, &seen(status, Some(CUSTOMER_MANAGED_KEY)));
            assert!(!off.enabled, "{status}");
            assert_eq!(off.key_type, AWS_OWNED_KEY, "{status}");
        }
        let cmk = Encryption::observed(&base, &seen("ENABLED", Some(CUSTOMER_MANAGED_KEY)));
        assert_eq!(cmk.key_type, CUSTOMER_MANAGED_KEY);
    }

    #[test]
    fn a_customer_managed_key_is_refused_with_the_reason() {
        let path = AttrPath::attrs(["server_side_encryption", "key_type"]);
        let mut diags = Diagnostics::new();
        OwnedKeyOnly.validate(&path, &Value::from(AWS_OWNED_KEY), &mut diags);
        assert!(diags.0.is_empty());
        OwnedKeyOnly.validate(&path, &Value::from(CUSTOMER_MANAGED_KEY), &mut diags);
        let detail = &diags.0[0].detail;
        assert!(
            detail.starts_with("server_side_encryption.key_type: "),
            "{detail}"
        );
        assert!(detail.contains("APIGatewayServiceRolePolicy"), "{detail}");
    }

    #[test]
    fn the_attribute_reads_its_defaults_when_absent() {
        assert_eq!(Encryption::from_value(&Value::Null), Encryption::default());
        let off = Value::object([("enabled", false.into())]);
        assert!(!Encryption::from_value(&off).enabled);
    }
}
