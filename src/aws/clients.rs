//! AWS SDK clients built once per provider configuration from the standard credential chain,
//! the provider block's overrides and the `AWS_ENDPOINT_URL*` variables the SDKs honour.

use std::collections::BTreeMap;
use std::sync::Arc;

use aws_config::AppName;
use aws_config::BehaviorVersion;
use aws_config::retry::RetryConfig;
use aws_config::sts::AssumeRoleProvider;
use aws_config::timeout::TimeoutConfig;
use aws_credential_types::provider::{ProvideCredentials, SharedCredentialsProvider, future};
use aws_runtime::env_config::file::{
    EnvConfigFileKind as ProfileFileKind, EnvConfigFiles as ProfileFiles,
};
use aws_smithy_runtime_api::client::interceptors::context::InterceptorContext;
use aws_smithy_runtime_api::client::retries::classifiers::{
    ClassifyRetry, RetryAction, RetryClassifierPriority,
};
use aws_types::region::Region;

use super::error::{AwsError, is_quota, refused};
use super::phase::Phases;
use super::policy::{SDK_ATTEMPT_TIMEOUT, SDK_CONNECT_TIMEOUT, SDK_OPERATION_TIMEOUT};
use super::rate::RateLimits;
use super::sts::{self, Identity};

/// Settings from the provider block, already validated.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AwsSettings {
    pub region: Option<String>,
    pub profile: Option<String>,
    pub shared_config_files: Vec<String>,
    pub shared_credentials_files: Vec<String>,
    pub assume_role: Option<AssumeRole>,
    pub endpoints: Endpoints,
    pub max_retries: Option<u32>,
    pub s3_use_path_style: Option<bool>,
}

/// A role to assume on top of the base credentials.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AssumeRole {
    pub role_arn: String,
    pub session_name: Option<String>,
    pub external_id: Option<String>,
}

/// Per-service endpoint overrides (for emulators, proxies or private endpoints).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Endpoints {
    pub apigateway: Option<String>,
    pub firehose: Option<String>,
    pub glue: Option<String>,
    pub iam: Option<String>,
    pub logs: Option<String>,
    pub s3: Option<String>,
    pub sts: Option<String>,
}

/// The SDK clients one configured provider shares across all its operations.
#[derive(Clone, Debug)]
pub struct AwsClients {
    pub apigateway: aws_sdk_apigateway::Client,
    pub firehose: aws_sdk_firehose::Client,
    pub glue: aws_sdk_glue::Client,
    pub iam: aws_sdk_iam::Client,
    pub logs: aws_sdk_cloudwatchlogs::Client,
    pub s3: aws_sdk_s3::Client,
    pub sts: aws_sdk_sts::Client,
    pub region: String,
    pub default_tags: BTreeMap<String, String>,
    /// How long AWS's slow phases last, as this process has seen them.
    pub phases: Arc<Phases>,
    identity: tokio::sync::OnceCell<Identity>,
    rate: Arc<RateLimits>,
    /// Where each service's requests go, as `URL (service)`, for errors that never reached it.
    endpoints: BTreeMap<&'static str, String>,
}

impl AwsClients {
    /// The caller's account and partition, asked of STS once per configured provider.
    pub async fn identity(&self) -> Result<&Identity, AwsError> {
        self.identity
            .get_or_try_init(|| sts::find_identity(self))
            .await
    }

    /// Waits for a turn to call `api` (such as `firehose:CreateDeliveryStream`) under the
    /// rate limits every operation of this provider shares.
    pub async fn slot(&self, api: &str) {
        self.rate.acquire(api).await;
    }

    /// Where `api`'s service (such as `firehose` in `firehose:CreateDeliveryStream`) sends its
    /// requests, as `URL (service)`.
    pub fn endpoint_of(&self, api: &str) -> String {
        let service = api.split_once(':').map_or(api, |(s, _)| s);
        self.endpoints
            .get(service)
            .cloned()
            .unwrap_or_else(|| format!("the {service} endpoint"))
    }
}

/// Why clients could not be built.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error(
        "no AWS region is set: set `region` in the provider block, or AWS_REGION, or a region in the profile"
    )]
    NoRegion,
}

const SESSION_NAME: &str = "terraform-provider-apigw";

/// The application name in every request's User-Agent (`app/terraform-provider-apigw`).
pub const APP_NAME: &str = "terraform-provider-apigw";

/// How many attempts the SDK's own retry makes when `max_retries` is not set.
pub const DEFAULT_MAX_RETRIES: u32 = 25;

/// Stops the SDK's own retries of a quota error. The SDK's standard classifier counts every
/// `LimitExceededException` as throttling (`aws-runtime` `retries::classifiers::
/// THROTTLING_ERRORS`), so an account at its Firehose stream quota would be retried
/// `max_retries` times, for minutes, before the user heard of it. This classifier runs after
/// it and forbids a retry when the error is a quota ([`is_quota`]); a `LimitExceededException`
/// about a rate, and every other throttling error, keep their retries.
#[derive(Debug, Default)]
struct QuotaIsFinal;

impl ClassifyRetry for QuotaIsFinal {
    fn classify_retry(&self, ctx: &InterceptorContext) -> RetryAction {
        let Some(response) = ctx.response() else {
            return RetryAction::NoActionIndicated;
        };
        if response.status().is_success() {
            return RetryAction::NoActionIndicated;
        }
        let status = response.status().as_u16();
        let body: serde_json::Value = response
            .body()
            .bytes()
            .and_then(|b| serde_json::from_slice(b).ok())
            .unwrap_or_default();
        // JSON protocols name the error in `x-amzn-ErrorType` or `__type`, either possibly
        // prefixed with a namespace (`ns#Code`) or suffixed with details (`Code:...`).
        let code = response
            .headers()
            .get("x-amzn-errortype")
            .map(str::to_owned)
            .or_else(|| body["__type"].as_str().map(str::to_owned))
            .map(|c| {
                let c = c.split(':').next().unwrap_or_default();
                c.rsplit('#').next().unwrap_or_default().to_owned()
            });
        let message = body["message"]
            .as_str()
            .or_else(|| body["Message"].as_str())
            .unwrap_or_default();
        if is_quota(code.as_deref(), message, Some(status)) {
            RetryAction::RetryForbidden
        } else {
            RetryAction::NoActionIndicated
        }
    }

    fn name(&self) -> &'static str {
        "quota errors are final"
    }

    fn priority(&self) -> RetryClassifierPriority {
        RetryClassifierPriority::run_after(RetryClassifierPriority::transient_error_classifier())
    }
}

/// Stops the SDK's own retries of a request that could not connect: a refused connection or a
/// connect timeout. The standard classifier counts both as transient and retries them
/// `max_retries` times with backoff, so a mistyped endpoint or a closed port took minutes to
/// fail; a service that refuses or drops connections is not coming back within a retry's delay.
#[derive(Debug, Default)]
struct UnreachableIsFinal;

impl ClassifyRetry for UnreachableIsFinal {
    fn classify_retry(&self, ctx: &InterceptorContext) -> RetryAction {
        let Some(Err(err)) = ctx.output_or_error() else {
            return RetryAction::NoActionIndicated;
        };
        match err.as_connector_error() {
            Some(c) if c.is_timeout() || refused(c) => RetryAction::RetryForbidden,
            _ => RetryAction::NoActionIndicated,
        }
    }

    fn name(&self) -> &'static str {
        "unreachable endpoints are final"
    }

    fn priority(&self) -> RetryClassifierPriority {
        RetryClassifierPriority::run_after(RetryClassifierPriority::transient_error_classifier())
    }
}

/// The SDK's own bounds on one call: how long a connection may take, one attempt, and all the
/// attempts of one call together. The operation's deadline bounds them further (`call.rs`).
fn sdk_timeouts() -> TimeoutConfig {
    TimeoutConfig::builder()
        .connect_timeout(SDK_CONNECT_TIMEOUT)
        .operation_attempt_timeout(SDK_ATTEMPT_TIMEOUT)
        .operation_timeout(SDK_OPERATION_TIMEOUT)
        .build()
}

/// Where a service's requests go: the provider block's override, the SDK's environment
/// variables (`AWS_ENDPOINT_URL_<SERVICE>`, then `AWS_ENDPOINT_URL`), or AWS's own endpoint.
fn endpoint_description(service: &str, env_id: &str, configured: Option<&String>) -> String {
    let from_env = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    let url = configured
        .cloned()
        .or_else(|| from_env(&format!("AWS_ENDPOINT_URL_{env_id}")))
        .or_else(|| from_env("AWS_ENDPOINT_URL"))
        .unwrap_or_else(|| "AWS's endpoint".to_owned());
    format!("{url} ({service})")
}

/// Hands each credential the chain provides to `report` (so logs can redact it) before the
/// SDK uses it.
#[derive(Debug)]
struct Reported {
    inner: SharedCredentialsProvider,
    report: fn(&str),
}

impl ProvideCredentials for Reported {
    fn provide_credentials<'a>(&'a self) -> future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        future::ProvideCredentials::new(async move {
            let creds = self.inner.provide_credentials().await?;
            (self.report)(creds.access_key_id());
            (self.report)(creds.secret_access_key());
            if let Some(token) = creds.session_token() {
                (self.report)(token);
            }
            Ok(creds)
        })
    }
}

fn reported(config: aws_types::SdkConfig, report: fn(&str)) -> aws_types::SdkConfig {
    match config.credentials_provider() {
        Some(inner) => config
            .into_builder()
            .credentials_provider(SharedCredentialsProvider::new(Reported { inner, report }))
            .build(),
        None => config,
    }
}

/// Builds the clients; every credential they obtain is passed to `report_secret` first.
pub async fn build(
    settings: &AwsSettings,
    default_tags: BTreeMap<String, String>,
    report_secret: fn(&str),
) -> Result<AwsClients, ClientError> {
    let retries = settings.max_retries.unwrap_or(DEFAULT_MAX_RETRIES);
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        // Shows in CloudTrail's userAgent as `app/terraform-provider-apigw`, so an account's
        // owner can tell this provider's calls apart (the acceptance suite does too).
        .app_name(AppName::new(APP_NAME).expect("a valid app name"))
        .retry_config(RetryConfig::standard().with_max_attempts(retries.saturating_add(1)))
        .timeout_config(sdk_timeouts());
    if let Some(region) = &settings.region {
        loader = loader.region(Region::new(region.clone()));
    }
    if let Some(profile) = &settings.profile {
        loader = loader.profile_name(profile);
    }
    if !settings.shared_config_files.is_empty() || !settings.shared_credentials_files.is_empty() {
        let mut files = ProfileFiles::builder();
        if settings.shared_config_files.is_empty() {
            files = files.include_default_config_file(true);
        }
        if settings.shared_credentials_files.is_empty() {
            files = files.include_default_credentials_file(true);
        }
        for f in &settings.shared_config_files {
            files = files.with_file(ProfileFileKind::Config, expand_home(f));
        }
        for f in &settings.shared_credentials_files {
            files = files.with_file(ProfileFileKind::Credentials, expand_home(f));
        }
        loader = loader.profile_files(files.build());
    }
    let base = reported(loader.load().await, report_secret);
    // An STS override applies to assuming the role as well, and to nothing else.
    let sts_base = match &settings.endpoints.sts {
        Some(url) => base.to_builder().endpoint_url(url.clone()).build(),
        None => base.clone(),
    };
    let region = base
        .region()
        .map(|r| r.to_string())
        .ok_or(ClientError::NoRegion)?;

    let sdk = match &settings.assume_role {
        None => base,
        Some(role) => {
            let mut builder = AssumeRoleProvider::builder(role.role_arn.clone())
                .session_name(
                    role.session_name
                        .clone()
                        .unwrap_or_else(|| SESSION_NAME.to_owned()),
                )
                .configure(&sts_base);
            if let Some(id) = &role.external_id {
                builder = builder.external_id(id.clone());
            }
            let provider = builder.build().await;
            let assumed = base
                .into_builder()
                .credentials_provider(SharedCredentialsProvider::new(provider))
                .build();
            reported(assumed, report_secret)
        }
    };

    let ep = &settings.endpoints;
    let apigateway = {
        let mut b = aws_sdk_apigateway::config::Builder::from(&sdk)
            .retry_classifier(QuotaIsFinal)
            .retry_classifier(UnreachableIsFinal);
        if let Some(url) = &ep.apigateway {
            b = b.endpoint_url(url);
        }
        aws_sdk_apigateway::Client::from_conf(b.build())
    };
    let firehose = {
        let mut b = aws_sdk_firehose::config::Builder::from(&sdk)
            .retry_classifier(QuotaIsFinal)
            .retry_classifier(UnreachableIsFinal);
        if let Some(url) = &ep.firehose {
            b = b.endpoint_url(url);
        }
        aws_sdk_firehose::Client::from_conf(b.build())
    };
    let glue = {
        let mut b = aws_sdk_glue::config::Builder::from(&sdk)
            .retry_classifier(QuotaIsFinal)
            .retry_classifier(UnreachableIsFinal);
        if let Some(url) = &ep.glue {
            b = b.endpoint_url(url);
        }
        aws_sdk_glue::Client::from_conf(b.build())
    };
    let iam = {
        let mut b = aws_sdk_iam::config::Builder::from(&sdk)
            .retry_classifier(QuotaIsFinal)
            .retry_classifier(UnreachableIsFinal);
        if let Some(url) = &ep.iam {
            b = b.endpoint_url(url);
        }
        aws_sdk_iam::Client::from_conf(b.build())
    };
    let logs = {
        let mut b = aws_sdk_cloudwatchlogs::config::Builder::from(&sdk)
            .retry_classifier(QuotaIsFinal)
            .retry_classifier(UnreachableIsFinal);
        if let Some(url) = &ep.logs {
            b = b.endpoint_url(url);
        }
        aws_sdk_cloudwatchlogs::Client::from_conf(b.build())
    };
    let s3 = {
        let mut b = aws_sdk_s3::config::Builder::from(&sdk)
            .retry_classifier(QuotaIsFinal)
            .retry_classifier(UnreachableIsFinal);
        if let Some(url) = &ep.s3 {
            b = b.endpoint_url(url);
        }
        // Emulators and IP endpoints cannot serve bucket-named hosts.
        let custom_endpoint = ep.s3.is_some() || env_endpoint_set("S3");
        b = b.force_path_style(settings.s3_use_path_style.unwrap_or(custom_endpoint));
        aws_sdk_s3::Client::from_conf(b.build())
    };
    let sts = {
        let mut b = aws_sdk_sts::config::Builder::from(&sdk)
            .retry_classifier(QuotaIsFinal)
            .retry_classifier(UnreachableIsFinal);
        if let Some(url) = &ep.sts {
            b = b.endpoint_url(url);
        }
        aws_sdk_sts::Client::from_conf(b.build())
    };
    Ok(AwsClients {
        apigateway,
        firehose,
        glue,
        iam,
        logs,
        s3,
        sts,
        region,
        default_tags,
        phases: Arc::default(),
        identity: Default::default(),
        rate: Arc::new(RateLimits::documented()),
        endpoints: [
            ("apigateway", "API_GATEWAY", ep.apigateway.as_ref()),
            ("firehose", "FIREHOSE", ep.firehose.as_ref()),
            ("glue", "GLUE", ep.glue.as_ref()),
            ("iam", "IAM", ep.iam.as_ref()),
            ("logs", "CLOUDWATCH_LOGS", ep.logs.as_ref()),
            ("s3", "S3", ep.s3.as_ref()),
            ("sts", "STS", ep.sts.as_ref()),
        ]
        .into_iter()
        .map(|(service, env_id, url)| (service, endpoint_description(service, env_id, url)))
        .collect(),
    })
}

fn env_endpoint_set(service: &str) -> bool {
    env_set("AWS_ENDPOINT_URL") || env_set(&format!("AWS_ENDPOINT_URL_{service}"))
}

/// Whether an environment variable is set to something (the SDK treats empty as unset).
pub fn env_set(name: &str) -> bool {
    std::env::var(name).is_ok_and(|v| !v.is_empty())
}

fn expand_home(path: &str) -> String {
    match (path.strip_prefix("~/"), std::env::var("HOME")) {
        (Some(rest), Ok(home)) => format!("{home}/{rest}"),
        _ => path.to_owned(),
    }
}
