//! The same suite against a real account (opt-in): unique fixture names, the environment it
//! passes to terraform, and the cleanup of every fixture a test made.

use std::future::Future;
use std::process::Command;
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use crate::*;

/// Set to `1` to run the acceptance tests against the AWS account of the standard credential
/// chain instead of moto. See README.md, "Against real AWS".
pub const REAL_AWS_ENV: &str = "APIGW_ACCEPTANCE_REAL_AWS";

/// Whether this run is against a real AWS account ([`REAL_AWS_ENV`]`=1`).
///
/// Panics when the opt-in is combined with an endpoint override, which would make the "real"
/// run talk to something else.
pub fn real_aws() -> bool {
    static REAL: OnceLock<bool> = OnceLock::new();
    *REAL.get_or_init(|| {
        let on = matches!(
            std::env::var(REAL_AWS_ENV).as_deref().map(str::trim),
            Ok("1" | "true" | "yes")
        );
        if on {
            let overrides: Vec<String> = std::env::vars()
                .map(|(k, _)| k)
                .filter(|k| k.starts_with("AWS_ENDPOINT_URL"))
                .collect();
            assert!(
                overrides.is_empty(),
                "{REAL_AWS_ENV}=1 runs against real AWS, but {overrides:?} override the endpoints; unset them"
            );
        }
        on
    })
}

/// Environment variables, other than `AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY`, that select
/// an AWS identity or region and are scrubbed against the emulator but passed through against
/// real AWS.
pub(crate) const REAL_AWS_PASSTHROUGH: &[&str] = &[
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_SESSION_TOKEN",
    "AWS_DEFAULT_REGION",
];

/// The environment every terraform command of the tests runs with: no inherited Terraform
/// settings, the harness mirror, and either moto with fake credentials or, against real AWS,
/// the caller's own `AWS_*` variables.
pub(crate) fn apply_test_env(cmd: &mut Command) {
    let real = real_aws();
    for (key, _) in std::env::vars_os() {
        let Some(key) = key.to_str() else { continue };
        if real && REAL_AWS_PASSTHROUGH.contains(&key) {
            continue;
        }
        if key.starts_with("TF_LOG")
            || key.starts_with("AWS_ENDPOINT_URL_")
            || key.starts_with("TF_CLI_ARGS_")
            || SCRUBBED_ENV.contains(&key)
        {
            cmd.env_remove(key);
        }
    }
    cmd.env("CHECKPOINT_DISABLE", "1")
        .env("TF_IN_AUTOMATION", "1")
        .env("TF_CLI_CONFIG_FILE", &mirror_info().cli_config);
    if !real {
        cmd.env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", "testing")
            .env("AWS_REGION", "us-east-1")
            .env("AWS_ENDPOINT_URL", aws_endpoint());
    }
}

/// `base` against the emulator (which is reset between tests); against real AWS, `base` with a
/// suffix unique to this run and call, so names never collide with other runs or other
/// objects in the account (S3 bucket names are global). At most 63 characters, lowercase.
pub fn unique_name(base: &str) -> String {
    if !real_aws() {
        return base.to_owned();
    }
    static RUN: OnceLock<String> = OnceLock::new();
    static COUNTER: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let run = RUN.get_or_init(|| {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default();
        // 40 bits of time and 20 of pid, in base 36: about 12 characters.
        let mixed =
            ((nanos as u64) & ((1 << 40) - 1)) << 20 | (std::process::id() as u64 & 0xfffff);
        base36(mixed)
    });
    let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let suffix = format!("-t{run}{}", base36(n as u64));
    let keep = 63usize.saturating_sub(suffix.len());
    let base: String = base.to_ascii_lowercase().chars().take(keep).collect();
    format!("{}{suffix}", base.trim_end_matches('-'))
}

pub(crate) fn base36(mut n: u64) -> String {
    const DIGITS: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyz";
    let mut out = Vec::new();
    loop {
        out.push(DIGITS[(n % 36) as usize]);
        n /= 36;
        if n == 0 {
            break;
        }
    }
    out.reverse();
    String::from_utf8(out).expect("ASCII digits")
}

/// The bucket location constraint for the client's region: none for us-east-1 (and for the
/// emulator, which the tests use in us-east-1).
pub(crate) fn bucket_location_constraint(
    s3: &aws_sdk_s3::Client,
) -> Option<aws_sdk_s3::types::BucketLocationConstraint> {
    if !real_aws() {
        return None;
    }
    let region = s3.config().region()?.to_string();
    (region != "us-east-1")
        .then(|| aws_sdk_s3::types::BucketLocationConstraint::from(region.as_str()))
}

/// SDK clients for the real account: the default credential chain, region and endpoints.
pub(crate) async fn real_aws_clients() -> Aws {
    let config = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .load()
        .await;
    assert!(
        config.region().is_some(),
        "{REAL_AWS_ENV}=1 needs a region: set AWS_REGION (or AWS_DEFAULT_REGION, or a profile's region)"
    );
    let apigateway = aws_sdk_apigateway::Client::new(&config);
    let firehose = aws_sdk_firehose::Client::new(&config);
    let iam = aws_sdk_iam::Client::new(&config);
    let s3 = aws_sdk_s3::Client::new(&config);
    Aws {
        cleanup: FixtureCleanup::enabled(
            apigateway.clone(),
            firehose.clone(),
            iam.clone(),
            s3.clone(),
        ),
        apigateway,
        firehose,
        glue: aws_sdk_glue::Client::new(&config),
        iam,
        logs: aws_sdk_cloudwatchlogs::Client::new(&config),
        s3,
        sts: aws_sdk_sts::Client::new(&config),
    }
}

/// What one [`Aws`] created (or was told about) in a real account.
#[derive(Debug, Default, Clone)]
pub(crate) struct Created {
    rest_apis: Vec<String>,
    buckets: Vec<String>,
    streams: Vec<String>,
    roles: Vec<String>,
}

/// The clients the cleanup deletes with.
pub(crate) struct CleanupClients {
    apigateway: aws_sdk_apigateway::Client,
    firehose: aws_sdk_firehose::Client,
    iam: aws_sdk_iam::Client,
    s3: aws_sdk_s3::Client,
}

/// Deletes, when dropped (also when the test panicked), what the test registered and what the
/// provider made for the registered REST APIs. A no-op against the emulator, which is reset.
pub(crate) struct FixtureCleanup {
    clients: Option<CleanupClients>,
    created: Mutex<Created>,
}

/// Tag the provider puts on the streams and roles it makes: the pipeline's own id.
pub const PROVIDER_OWNER_TAG: &str = "terraform-provider-apigw:pipeline";
/// Tags (this key, then `<key>:1`, ...) recording a stage's earlier access-log settings.
pub const PROVIDER_RECORD_TAG: &str = "terraform-provider-apigw:earlier";

/// An object's tags without the provider's record of the stage's earlier settings.
pub fn without_record(tags: Vec<(String, String)>) -> Vec<(String, String)> {
    tags.into_iter()
        .filter(|(k, _)| !k.starts_with(PROVIDER_RECORD_TAG))
        .collect()
}

impl FixtureCleanup {
    pub(crate) fn disabled() -> FixtureCleanup {
        FixtureCleanup {
            clients: None,
            created: Mutex::new(Created::default()),
        }
    }

    fn enabled(
        apigateway: aws_sdk_apigateway::Client,
        firehose: aws_sdk_firehose::Client,
        iam: aws_sdk_iam::Client,
        s3: aws_sdk_s3::Client,
    ) -> FixtureCleanup {
        FixtureCleanup {
            clients: Some(CleanupClients {
                apigateway,
                firehose,
                iam,
                s3,
            }),
            created: Mutex::new(Created::default()),
        }
    }

    fn record(&self, f: impl FnOnce(&mut Created)) {
        if self.clients.is_some() {
            f(&mut self.created.lock().unwrap_or_else(|e| e.into_inner()));
        }
    }
}

impl Drop for FixtureCleanup {
    fn drop(&mut self) {
        let Some(clients) = self.clients.take() else {
            return;
        };
        let created = std::mem::take(&mut *self.created.lock().unwrap_or_else(|e| e.into_inner()));
        if created.rest_apis.is_empty()
            && created.buckets.is_empty()
            && created.streams.is_empty()
            && created.roles.is_empty()
        {
            return;
        }
        // Drop may run inside `block_on` (on this thread), where blocking on the runtime again
        // is refused; a fresh thread may block on it.
        let joined = std::thread::Builder::new()
            .name("aws-cleanup".into())
            .spawn(move || runtime().block_on(delete_created(&clients, &created)))
            .map(|t| t.join());
        match joined {
            Ok(Ok(left)) if left.is_empty() => {}
            Ok(Ok(left)) => eprintln!(
                "acceptance-tests cleanup: could not delete, remove by hand:\n  {}",
                left.join("\n  ")
            ),
            Ok(Err(_)) => eprintln!("acceptance-tests cleanup: the cleanup thread panicked"),
            Err(e) => eprintln!("acceptance-tests cleanup: cannot start the cleanup thread: {e}"),
        }
    }
}

/// Registration of fixtures for cleanup against real AWS (no-ops against the emulator).
impl Aws {
    /// Deletes the REST API (and with it its stages) after the test.
    pub fn register_rest_api(&self, id: &str) {
        self.cleanup.record(|c| c.rest_apis.push(id.to_owned()));
    }

    /// Empties and deletes the bucket after the test.
    pub fn register_bucket(&self, name: &str) {
        self.cleanup.record(|c| c.buckets.push(name.to_owned()));
    }

    /// Deletes the Firehose stream after the test. Streams the provider made for a registered
    /// REST API are found by their tag and need no registration.
    pub fn register_stream(&self, name: &str) {
        self.cleanup.record(|c| c.streams.push(name.to_owned()));
    }

    /// Deletes the IAM role (with its policies) after the test. Roles the provider made for a
    /// registered REST API are found by their tag and need no registration.
    pub fn register_role(&self, name: &str) {
        self.cleanup.record(|c| c.roles.push(name.to_owned()));
    }
}

/// How long a cleanup retries a throttled or conflicting delete.
pub(crate) const CLEANUP_PATIENCE: Duration = Duration::from_secs(180);

/// Retries `op` on errors (throttling: DeleteRestApi allows one call per 30 s per account)
/// until it succeeds or [`CLEANUP_PATIENCE`] runs out; returns the last error.
pub(crate) async fn with_patience<F, Fut, E>(what: &str, mut op: F) -> Result<(), String>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<(), E>>,
    E: std::fmt::Debug,
{
    let deadline = Instant::now() + CLEANUP_PATIENCE;
    let mut delay = Duration::from_secs(2);
    loop {
        match op().await {
            Ok(()) => return Ok(()),
            Err(e) if Instant::now() + delay > deadline => return Err(format!("{what}: {e:?}")),
            Err(_) => {
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(Duration::from_secs(30));
            }
        }
    }
}

/// Deletes streams, then roles, then REST APIs, then buckets; returns what could not be deleted.
pub(crate) async fn delete_created(c: &CleanupClients, created: &Created) -> Vec<String> {
    let mut left = Vec::new();
    let mut streams = created.streams.clone();
    let mut roles = created.roles.clone();
    // The provider's objects (they carry its owner tag) whose derived names hold one of this
    // test's REST API ids: `amazon-apigateway-<api>-<stage>`, `apigw-logs-<region>-<api>-<stage>`.
    let owned_by_test = |tag: Option<&str>, name: &str| {
        tag.is_some()
            && created
                .rest_apis
                .iter()
                .any(|a| name.contains(&format!("-{a}-")))
    };

    // Streams the provider made for this test's REST APIs.
    let mut start: Option<String> = None;
    loop {
        let Ok(page) = c
            .firehose
            .list_delivery_streams()
            .limit(100)
            .set_exclusive_start_delivery_stream_name(start.clone())
            .send()
            .await
        else {
            left.push("(listing delivery streams failed)".to_owned());
            break;
        };
        for name in page.delivery_stream_names() {
            if !name.starts_with("amazon-apigateway-") || streams.contains(name) {
                continue;
            }
            if let Ok(tags) = c
                .firehose
                .list_tags_for_delivery_stream()
                .delivery_stream_name(name)
                .send()
                .await
            {
                let owner = tags
                    .tags()
                    .iter()
                    .find(|t| t.key() == PROVIDER_OWNER_TAG)
                    .and_then(|t| t.value());
                if owned_by_test(owner, name) {
                    streams.push(name.clone());
                }
            }
        }
        match (
            page.has_more_delivery_streams(),
            page.delivery_stream_names().last(),
        ) {
            (true, Some(last)) => start = Some(last.clone()),
            _ => break,
        }
    }
    for name in &streams {
        let r = with_patience(&format!("firehose stream {name}"), || async {
            match c
                .firehose
                .delete_delivery_stream()
                .delivery_stream_name(name)
                .allow_force_delete(true)
                .send()
                .await
            {
                Ok(_) => Ok(()),
                Err(e) if is_not_found(&e) => Ok(()),
                Err(e) => Err(e),
            }
        })
        .await;
        left.extend(r.err());
    }

    // Roles the provider made for this test's REST APIs (their names start with apigw-logs-).
    let mut marker: Option<String> = None;
    loop {
        let Ok(page) = c.iam.list_roles().set_marker(marker.clone()).send().await else {
            left.push("(listing IAM roles failed)".to_owned());
            break;
        };
        for role in page.roles() {
            let name = role.role_name();
            if !name.starts_with("apigw-logs-") || roles.iter().any(|r| r == name) {
                continue;
            }
            if let Ok(got) = c.iam.get_role().role_name(name).send().await {
                let owner = got
                    .role()
                    .map(|r| r.tags())
                    .unwrap_or_default()
                    .iter()
                    .find(|t| t.key() == PROVIDER_OWNER_TAG)
                    .map(|t| t.value());
                if owned_by_test(owner, name) {
                    roles.push(name.to_owned());
                }
            }
        }
        match (page.is_truncated(), page.marker()) {
            (true, Some(m)) => marker = Some(m.to_owned()),
            _ => break,
        }
    }
    for name in &roles {
        left.extend(delete_role(&c.iam, name).await.err());
    }

    for id in &created.rest_apis {
        let r = with_patience(&format!("REST API {id}"), || async {
            match c.apigateway.delete_rest_api().rest_api_id(id).send().await {
                Ok(_) => Ok(()),
                Err(e) if is_not_found(&e) => Ok(()),
                Err(e) => Err(e),
            }
        })
        .await;
        left.extend(r.err());
    }

    for bucket in &created.buckets {
        // Firehose may still flush into the bucket while its stream is deleting: empty, then
        // delete, again until it stays empty.
        let r = with_patience(&format!("bucket {bucket}"), || async {
            empty_bucket(&c.s3, bucket).await?;
            match c.s3.delete_bucket().bucket(bucket).send().await {
                Ok(_) => Ok(()),
                Err(e) if is_not_found(&e) => Ok(()),
                Err(e) => Err(format!("{e:?}")),
            }
        })
        .await;
        left.extend(r.err());
    }
    left
}

/// Whether an SDK error says the object is already gone.
pub(crate) fn is_not_found<E, R>(e: &aws_sdk_s3::error::SdkError<E, R>) -> bool
where
    E: aws_sdk_s3::error::ProvideErrorMetadata,
{
    use aws_sdk_s3::error::ProvideErrorMetadata as _;
    // API Gateway NotFoundException, Firehose ResourceNotFoundException, IAM NoSuchEntity,
    // S3 NoSuchBucket (or NotFound from a HEAD).
    e.code()
        .is_some_and(|code| code.contains("NotFound") || code.starts_with("NoSuch"))
}

/// Deletes a role with its inline and attached policies and instance-profile memberships.
pub(crate) async fn delete_role(iam: &aws_sdk_iam::Client, name: &str) -> Result<(), String> {
    let what = format!("IAM role {name}");
    if let Ok(inline) = iam.list_role_policies().role_name(name).send().await {
        for policy in inline.policy_names() {
            let _ = iam
                .delete_role_policy()
                .role_name(name)
                .policy_name(policy)
                .send()
                .await;
        }
    }
    if let Ok(attached) = iam
        .list_attached_role_policies()
        .role_name(name)
        .send()
        .await
    {
        for policy in attached.attached_policies() {
            if let Some(arn) = policy.policy_arn() {
                let _ = iam
                    .detach_role_policy()
                    .role_name(name)
                    .policy_arn(arn)
                    .send()
                    .await;
            }
        }
    }
    if let Ok(profiles) = iam
        .list_instance_profiles_for_role()
        .role_name(name)
        .send()
        .await
    {
        for profile in profiles.instance_profiles() {
            let _ = iam
                .remove_role_from_instance_profile()
                .role_name(name)
                .instance_profile_name(profile.instance_profile_name())
                .send()
                .await;
        }
    }
    with_patience(&what, || async {
        match iam.delete_role().role_name(name).send().await {
            Ok(_) => Ok(()),
            Err(e) if is_not_found(&e) => Ok(()),
            Err(e) => Err(e),
        }
    })
    .await
}

/// Deletes every object version and delete marker in the bucket.
pub(crate) async fn empty_bucket(s3: &aws_sdk_s3::Client, bucket: &str) -> Result<(), String> {
    use aws_sdk_s3::types::{Delete, ObjectIdentifier};
    let mut key_marker: Option<String> = None;
    let mut version_marker: Option<String> = None;
    loop {
        let page = match s3
            .list_object_versions()
            .bucket(bucket)
            .set_key_marker(key_marker.clone())
            .set_version_id_marker(version_marker.clone())
            .send()
            .await
        {
            Ok(p) => p,
            Err(e) if is_not_found(&e) => return Ok(()),
            Err(e) => return Err(format!("{e:?}")),
        };
        let ids: Vec<ObjectIdentifier> = page
            .versions()
            .iter()
            .filter_map(|v| Some((v.key()?, v.version_id())))
            .chain(
                page.delete_markers()
                    .iter()
                    .filter_map(|m| Some((m.key()?, m.version_id()))),
            )
            .filter_map(|(key, version)| {
                ObjectIdentifier::builder()
                    .key(key)
                    .set_version_id(version.map(str::to_owned))
                    .build()
                    .ok()
            })
            .collect();
        if !ids.is_empty() {
            let delete = Delete::builder()
                .set_objects(Some(ids))
                .quiet(true)
                .build()
                .map_err(|e| e.to_string())?;
            s3.delete_objects()
                .bucket(bucket)
                .delete(delete)
                .send()
                .await
                .map_err(|e| format!("{e:?}"))?;
        }
        if page.is_truncated() != Some(true) {
            return Ok(());
        }
        key_marker = page.next_key_marker().map(str::to_owned);
        version_marker = page.next_version_id_marker().map(str::to_owned);
    }
}

/// For tests that depend on the emulator (its fixed account id and region, its reset, objects
/// AWS would refuse): against real AWS, says so on stderr and returns true, and the test
/// returns at once (`if emulator_only() { return; }`).
#[track_caller]
pub fn emulator_only() -> bool {
    if real_aws() {
        eprintln!(
            "skipped against real AWS ({REAL_AWS_ENV}=1): {} depends on the emulator",
            std::panic::Location::caller()
        );
    }
    real_aws()
}

impl Aws {
    /// Turns on the real-AWS cleanup for these clients (it is always on against real AWS), so
    /// the cleanup itself can be tested against the emulator. Register fixtures after this.
    pub fn clean_up_on_drop(mut self) -> Aws {
        if self.cleanup.clients.is_none() {
            self.cleanup = FixtureCleanup::enabled(
                self.apigateway.clone(),
                self.firehose.clone(),
                self.iam.clone(),
                self.s3.clone(),
            );
        }
        self
    }
}
