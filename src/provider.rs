//! The `apigw` provider: its configuration block and the AWS clients it configures.

use std::collections::BTreeMap;
use std::sync::Arc;

use async_trait::async_trait;
use std::sync::RwLock;

use crate::aws::clients::{self, AssumeRole, AwsClients, AwsSettings, Endpoints};
use crate::plugin::diagnostics::{AttrPath, Diagnostics};
use crate::plugin::framework::{DataSource, Function, Provider, Resource};
use crate::plugin::logging;
use crate::plugin::schema::{Attribute, Block, Schema};
use crate::plugin::types::Type;
use crate::plugin::validators::{Chars, HttpUrl, IntRange, Length};
use crate::plugin::value::Value;
use crate::resources::access_log_pipeline::{RESERVED_TAG_PREFIX, RESERVED_TAGS};
use crate::validators::{Arn, ArnKind, MAX_TAGS, Region, Tags};

/// The provider's configured state, shared with its resources.
#[derive(Default)]
pub struct ProviderState {
    configured: RwLock<Configured>,
}

#[derive(Default)]
enum Configured {
    #[default]
    NotYet,
    /// The provider block held values only known after apply (it depends on other resources);
    /// `default_tags` is kept when it is known all the same.
    Unknown {
        default_tags: Option<BTreeMap<String, String>>,
    },
    Ready(Arc<Configuration>),
}

/// A configured provider block. Its AWS clients are built on first use: a plan never calls
/// AWS, and building them (the SDK's credential chain, the system's root certificates) would
/// otherwise hold up every plan by several milliseconds.
struct Configuration {
    settings: AwsSettings,
    default_tags: BTreeMap<String, String>,
    clients: tokio::sync::OnceCell<Arc<AwsClients>>,
}

impl Configuration {
    /// Whether the region is known without asking the SDK's chain (profiles, instance
    /// metadata): set in the block, or in the environment, which the chain reads first.
    fn region_evident(&self) -> bool {
        self.settings.region.is_some()
            || clients::env_set("AWS_REGION")
            || clients::env_set("AWS_DEFAULT_REGION")
    }

    async fn clients(&self) -> Result<Arc<AwsClients>, Diagnostics> {
        let built = self
            .clients
            .get_or_try_init(|| async {
                clients::build(
                    &self.settings,
                    self.default_tags.clone(),
                    logging::register_secret,
                )
                .await
                .map(Arc::new)
            })
            .await;
        built.cloned().map_err(|e| {
            let mut diags = Diagnostics::new();
            match e {
                clients::ClientError::NoRegion => {
                    diags.attr_error(&AttrPath::attrs(["region"]), "No AWS region", e.to_string())
                }
            }
            diags
        })
    }
}

impl ProviderState {
    /// The configured clients, or an error diagnostic saying why there are none.
    pub async fn clients(&self) -> Result<Arc<AwsClients>, Diagnostics> {
        let mut diags = Diagnostics::new();
        let configuration = match &*self.configured.read().unwrap_or_else(|e| e.into_inner()) {
            Configured::Ready(c) => c.clone(),
            Configured::NotYet => {
                diags.error(
                    "Provider not configured",
                    "The apigw provider was used before Terraform configured it; this is a bug in the provider or Terraform.",
                );
                return Err(diags);
            }
            Configured::Unknown { .. } => {
                diags.error(
                    "Provider configuration not yet known",
                    "The apigw provider block depends on values known only after apply, so AWS cannot be reached yet. \
                     Set the provider's arguments from known values, or apply the resources they depend on first \
                     (terraform apply -target=...).",
                );
                return Err(diags);
            }
        };
        configuration.clients().await
    }

    /// The provider's `default_tags`; None while they are not known (before configuration,
    /// or during a plan where the provider block depends on values known only after apply).
    pub fn default_tags(&self) -> Option<BTreeMap<String, String>> {
        match &*self.configured.read().unwrap_or_else(|e| e.into_inner()) {
            Configured::Ready(c) => Some(c.default_tags.clone()),
            Configured::Unknown { default_tags } => default_tags.clone(),
            Configured::NotYet => None,
        }
    }

    fn set(&self, configured: Configured) {
        *self.configured.write().unwrap_or_else(|e| e.into_inner()) = configured;
    }
}

/// The provider.
pub struct ApigwProvider {
    schema: Schema,
    state: Arc<ProviderState>,
}

impl Default for ApigwProvider {
    fn default() -> Self {
        ApigwProvider {
            schema: provider_schema(),
            state: Arc::new(ProviderState::default()),
        }
    }
}

fn string_list(name: &'static str, description: &'static str) -> Attribute {
    Attribute::optional(name, Type::list(Type::String), description)
}

fn endpoint(name: &'static str, description: &'static str) -> Attribute {
    Attribute::optional(name, Type::String, description).validate(HttpUrl)
}

fn provider_schema() -> Schema {
    Schema::new(
        "Turns on API Gateway access logging into S3 through Kinesis Data Firehose. Credentials come from the \
         standard AWS chain (environment, shared files, SSO, container and instance roles).",
        vec![
            Attribute::optional("region", Type::String, "AWS region, such as `us-east-1`. Falls back to `AWS_REGION`/`AWS_DEFAULT_REGION` and the profile.")
                .validate(Region),
            Attribute::optional("profile", Type::String, "Named profile of the shared configuration files. Falls back to `AWS_PROFILE`.")
                .validate(Length { min: 1, max: 256 }),
            string_list("shared_config_files", "Paths of shared configuration files, instead of `~/.aws/config`."),
            string_list("shared_credentials_files", "Paths of shared credentials files, instead of `~/.aws/credentials`."),
            Attribute::optional("max_retries", Type::Number, "How many times an AWS request is retried on throttling and transient errors. Defaults to 25.")
                .validate(IntRange { min: 0, max: 100 }),
            Attribute::optional("s3_use_path_style", Type::Bool, "Address buckets as `https://host/bucket` rather than `https://bucket.host`. On by default when an S3 endpoint is overridden."),
        ],
    )
    .with_blocks(vec![
        Block {
            name: "assume_role",
            description: "A role to assume with the base credentials before calling AWS.",
            attributes: vec![
                Attribute::required("role_arn", Type::String, "ARN of the role to assume.").validate(Arn(ArnKind::Role)),
                Attribute::optional("session_name", Type::String, "Session name recorded in CloudTrail. Defaults to `terraform-provider-apigw`.")
                    .validate(Length { min: 2, max: 64 })
                    .validate(Chars { allowed: |c| c.is_ascii_alphanumeric() || "+=,.@_-".contains(c), explain: "letters, digits and +=,.@_-" }),
                Attribute::optional("external_id", Type::String, "External id the role's trust policy asks for.")
                    .sensitive()
                    .validate(Length { min: 2, max: 1224 }),
            ],
        },
        Block {
            name: "endpoints",
            description: "Custom service endpoints, for emulators or private endpoints. `AWS_ENDPOINT_URL` and `AWS_ENDPOINT_URL_<SERVICE>` are honoured too.",
            attributes: vec![
                endpoint("apigateway", "API Gateway endpoint URL."),
                endpoint("firehose", "Kinesis Data Firehose endpoint URL."),
                endpoint("glue", "Glue Data Catalog endpoint URL."),
                endpoint("iam", "IAM endpoint URL."),
                endpoint("logs", "CloudWatch Logs endpoint URL (the stream's error logging)."),
                endpoint("s3", "S3 endpoint URL."),
                endpoint("sts", "STS endpoint URL (also used to assume `assume_role`)."),
            ],
        },
        Block {
            name: "default_tags",
            description: "Tags added to every taggable object the provider creates; a resource's own `tags` win on conflicts.",
            attributes: vec![Attribute::optional("tags", Type::map(Type::String), "The default tags.")
                .validate(Tags { max: MAX_TAGS - RESERVED_TAGS, reserved_prefix: RESERVED_TAG_PREFIX })],
        },
    ])
}

fn opt_string(v: &Value) -> Option<String> {
    v.as_str().map(str::to_owned)
}

fn strings(v: &Value) -> Vec<String> {
    v.as_seq()
        .unwrap_or_default()
        .iter()
        .filter_map(|s| s.as_str().map(str::to_owned))
        .collect()
}

/// The block's `default_tags`, empty when it has none; None while any of them is unknown.
fn default_tags_from(config: &Value) -> Option<BTreeMap<String, String>> {
    let block = config.attr("default_tags");
    if !block.is_wholly_known() {
        return None;
    }
    let tags = block.attr("tags");
    Some(
        tags.as_map()
            .map(|m| {
                m.iter()
                    .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_owned())))
                    .collect()
            })
            .unwrap_or_default(),
    )
}

/// Reads the provider block into settings. The block must be wholly known.
fn settings_from(config: &Value) -> (AwsSettings, BTreeMap<String, String>) {
    let assume = config.attr("assume_role");
    let ep = config.attr("endpoints");
    let settings = AwsSettings {
        region: opt_string(config.attr("region")),
        profile: opt_string(config.attr("profile")),
        shared_config_files: strings(config.attr("shared_config_files")),
        shared_credentials_files: strings(config.attr("shared_credentials_files")),
        assume_role: opt_string(assume.attr("role_arn")).map(|role_arn| AssumeRole {
            role_arn,
            session_name: opt_string(assume.attr("session_name")),
            external_id: opt_string(assume.attr("external_id")),
        }),
        endpoints: Endpoints {
            apigateway: opt_string(ep.attr("apigateway")),
            firehose: opt_string(ep.attr("firehose")),
            glue: opt_string(ep.attr("glue")),
            iam: opt_string(ep.attr("iam")),
            logs: opt_string(ep.attr("logs")),
            s3: opt_string(ep.attr("s3")),
            sts: opt_string(ep.attr("sts")),
        },
        max_retries: config
            .attr("max_retries")
            .as_number()
            .and_then(|n| n.as_i64())
            .map(|n| n as u32),
        s3_use_path_style: config.attr("s3_use_path_style").as_bool(),
    };
    (settings, default_tags_from(config).unwrap_or_default())
}

#[async_trait]
impl Provider for ApigwProvider {
    fn source_address(&self) -> &str {
        crate::PROVIDER_SOURCE
    }

    fn schema(&self) -> &Schema {
        &self.schema
    }

    async fn configure(&self, config: &Value, _terraform_version: &str) -> Diagnostics {
        let mut diags = Diagnostics::new();
        // Terraform configures before validating in some flows; never build clients from bad input.
        self.schema.validate(config, &mut diags);
        if diags.has_errors() {
            return diags;
        }
        if !config.is_wholly_known() {
            // Terraform configures with unknown values during plan when the block depends on
            // other resources; what the plan derives from an unknown value must be unknown too.
            self.state.set(Configured::Unknown {
                default_tags: default_tags_from(config),
            });
            return diags;
        }
        let (settings, default_tags) = settings_from(config);
        let configuration = Configuration {
            settings,
            default_tags,
            clients: tokio::sync::OnceCell::new(),
        };
        // Only the SDK's chain can tell whether a profile or the instance names a region: ask
        // it now, so that a missing region is reported here rather than at the first apply.
        if !configuration.region_evident()
            && let Err(e) = configuration.clients().await
        {
            return e;
        }
        self.state.set(Configured::Ready(Arc::new(configuration)));
        diags
    }

    fn resources(&self) -> Vec<Arc<dyn Resource>> {
        crate::resources::all(&self.state)
    }

    fn data_sources(&self) -> Vec<Arc<dyn DataSource>> {
        crate::data_sources::all(&self.state)
    }

    fn functions(&self) -> Vec<Arc<dyn Function>> {
        crate::functions::all()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_read_every_block() {
        let config = Value::object([
            ("region", "eu-west-1".into()),
            ("max_retries", Value::int(3)),
            (
                "endpoints",
                Value::object([("firehose", "http://127.0.0.1:1".into())]),
            ),
            (
                "assume_role",
                Value::object([("role_arn", "arn:aws:iam::123456789012:role/x".into())]),
            ),
            (
                "default_tags",
                Value::object([("tags", Value::Map([("team".to_owned(), "a".into())].into()))]),
            ),
        ]);
        let (s, tags) = settings_from(&config);
        assert_eq!(s.region.as_deref(), Some("eu-west-1"));
        assert_eq!(s.max_retries, Some(3));
        assert_eq!(s.endpoints.firehose.as_deref(), Some("http://127.0.0.1:1"));
        assert_eq!(
            s.assume_role.unwrap().role_arn,
            "arn:aws:iam::123456789012:role/x"
        );
        assert_eq!(tags.get("team").map(String::as_str), Some("a"));
    }

    #[test]
    fn bad_settings_name_their_attribute() {
        let schema = provider_schema();
        let config = Value::object([
            ("region", "Mars".into()),
            ("endpoints", Value::object([("s3", "not a url".into())])),
        ]);
        let mut d = Diagnostics::new();
        schema.validate(&config, &mut d);
        let paths: Vec<_> =
            d.0.iter()
                .map(|d| d.attribute.as_ref().unwrap().to_string())
                .collect();
        assert_eq!(paths, vec!["region", "endpoints.s3"]);
    }
}
