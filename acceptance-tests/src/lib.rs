//! Harness shared by the acceptance tests: the built provider binary, an offline Terraform
//! mirror, the moto AWS emulator, per-test Terraform directories and AWS SDK fixtures.

#![warn(missing_docs)]

pub mod logs_query;
pub mod plugin_client;
pub mod proxy;
pub mod records;
pub mod running;

use std::future::Future;
use std::io::{Read as _, Write as _};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};

use aws_sdk_apigateway::types::{Op, PatchOperation};

/// The Terraform registry address users write in `required_providers`.
pub const PROVIDER_SHORT_SOURCE: &str = "seed-f9314e3d/apigw";

/// The workspace root (the directory holding the provider's Cargo.toml).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("acceptance-tests lives inside the workspace")
        .to_path_buf()
}

/// A multi-thread tokio runtime shared by every test in the process.
fn runtime() -> &'static tokio::runtime::Runtime {
    static RT: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RT.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("building the shared tokio runtime")
    })
}

/// Runs a future to completion on the process-wide runtime (for use from plain `#[test]`s).
pub fn block_on<F: Future>(f: F) -> F::Output {
    runtime().block_on(f)
}

/// Directories removed when the process exits (statics are never dropped).
static EXIT_CLEANUP: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

/// Removes the registered directories; runs from libc `atexit`.
extern "C" fn cleanup_at_exit() {
    // try_lock: never block process exit on a lock a dying thread may hold.
    if let Ok(dirs) = EXIT_CLEANUP.try_lock() {
        for dir in dirs.iter() {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

/// A temporary directory that lives as long as the process and is removed at exit.
fn process_temp_dir(prefix: &str) -> PathBuf {
    static REGISTER: std::sync::Once = std::sync::Once::new();
    REGISTER.call_once(|| {
        // SAFETY: registers a plain function with no captured state.
        unsafe {
            libc::atexit(cleanup_at_exit);
        }
    });
    let dir = tempfile::Builder::new()
        .prefix(prefix)
        .tempdir()
        .unwrap_or_else(|e| panic!("creating a {prefix}* directory: {e}"))
        .keep();
    EXIT_CLEANUP
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .push(dir.clone());
    dir
}

/// Builds the provider binary (once per process) and returns its path. With
/// `APIGW_PROVIDER_BINARY` set, that binary is used as it is (benchmarks use a release build).
pub fn provider_binary() -> PathBuf {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| match std::env::var_os("APIGW_PROVIDER_BINARY") {
        Some(path) if !path.is_empty() => PathBuf::from(path),
        _ => build_provider(),
    })
    .clone()
}

fn build_provider() -> PathBuf {
    let root = workspace_root();
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let out = Command::new(cargo)
        .current_dir(&root)
        .args([
            "build",
            "-p",
            "terraform-provider-apigw",
            "--bin",
            "terraform-provider-apigw",
            "--message-format=json-render-diagnostics",
        ])
        .stdin(Stdio::null())
        .output()
        .expect("running cargo build");
    if !out.status.success() {
        panic!(
            "cargo build of the provider failed ({}):\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
    }
    // Cargo names the executable it produced; that covers every way of moving target/.
    let reported = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|m| {
            m["reason"] == "compiler-artifact" && m["target"]["name"] == "terraform-provider-apigw"
        })
        .find_map(|m| m["executable"].as_str().map(PathBuf::from));
    // Otherwise: a relative CARGO_TARGET_DIR is relative to where cargo ran (the root).
    let bin = reported.unwrap_or_else(|| {
        let target = match std::env::var_os("CARGO_TARGET_DIR") {
            Some(dir) if !dir.is_empty() => root.join(dir),
            _ => root.join("target"),
        };
        target.join("debug").join("terraform-provider-apigw")
    });
    assert!(
        bin.is_file(),
        "cargo build succeeded but {} is missing",
        bin.display()
    );
    bin
}

/// Panics with a clear message unless the `terraform` CLI can be run.
pub fn require_terraform() {
    static FOUND: OnceLock<Result<(), String>> = OnceLock::new();
    let found = FOUND.get_or_init(|| {
        match Command::new("terraform")
            .arg("version")
            .env("CHECKPOINT_DISABLE", "1")
            .stdin(Stdio::null())
            .output()
        {
            Ok(out) if out.status.success() => Ok(()),
            Ok(out) => Err(format!(
                "`terraform version` exited with {}: {}",
                out.status,
                String::from_utf8_lossy(&out.stderr)
            )),
            Err(e) => Err(e.to_string()),
        }
    });
    if let Err(e) = found {
        panic!(
            "terraform CLI not found on PATH (or not runnable): {e}; install Terraform >= 1.8 to run the acceptance tests"
        );
    }
}

/// A filesystem mirror holding the freshly built provider, plus a CLI config that uses only it.
pub struct Mirror {
    /// Root of the unpacked mirror layout.
    pub dir: PathBuf,
    /// The CLI configuration file (for `TF_CLI_CONFIG_FILE`).
    pub cli_config: PathBuf,
}

/// Terraform's name for this platform, such as `linux_amd64`.
pub fn terraform_platform() -> String {
    let os = match std::env::consts::OS {
        "macos" => "darwin",
        other => other,
    };
    let arch = match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        "x86" => "386",
        "arm" => "arm",
        other => other,
    };
    format!("{os}_{arch}")
}

impl Mirror {
    fn create() -> Mirror {
        let dir = process_temp_dir("apigw-mirror-");
        let pkg = dir
            .join(terraform_provider_apigw::PROVIDER_SOURCE)
            .join(terraform_provider_apigw::VERSION)
            .join(terraform_platform());
        std::fs::create_dir_all(&pkg).expect("creating the mirror layout");
        let exe = pkg.join(format!(
            "terraform-provider-apigw_v{}",
            terraform_provider_apigw::VERSION
        ));
        // A hard link is instant; a copy is the fallback across filesystems.
        let bin = provider_binary();
        if std::fs::hard_link(&bin, &exe).is_err() {
            std::fs::copy(&bin, &exe).expect("copying the provider into the mirror");
        }
        let cli_config = dir.join("cli.tfrc");
        std::fs::write(
            &cli_config,
            format!(
                "provider_installation {{\n  filesystem_mirror {{\n    path    = {path:?}\n    include = [{source:?}]\n  }}\n}}\n",
                path = dir.display().to_string(),
                source = terraform_provider_apigw::PROVIDER_SOURCE,
            ),
        )
        .expect("writing cli.tfrc");
        Mirror { dir, cli_config }
    }
}

/// The process-wide provider mirror; its directory is the mirror root.
pub fn mirror() -> &'static Path {
    &mirror_info().dir
}

/// The process-wide provider mirror with its CLI configuration file.
pub fn mirror_info() -> &'static Mirror {
    static MIRROR: OnceLock<Mirror> = OnceLock::new();
    MIRROR.get_or_init(Mirror::create)
}

/// A running moto server (local AWS emulator) on 127.0.0.1.
pub struct Moto {
    /// Base URL, such as `http://127.0.0.1:40123`.
    pub endpoint: String,
    addr: SocketAddr,
    log: PathBuf,
    exited: Arc<Mutex<Option<String>>>,
}

/// Starts moto once per process (it is killed when the test process ends) and returns it.
pub fn moto() -> &'static Moto {
    static MOTO: OnceLock<Moto> = OnceLock::new();
    MOTO.get_or_init(Moto::start)
}

/// The endpoint every test, the demo and the bench give the provider and the SDK fixtures: a
/// process-wide proxy in front of moto that only checks each request against its API's
/// published model (see [`proxy`]), so what moto would take and AWS would refuse fails here.
/// moto's own endpoint stays for `/moto-api/reset` and as the upstream of other proxies.
pub fn aws_endpoint() -> String {
    contract_proxy().endpoint()
}

/// The process-wide proxy behind [`aws_endpoint`] (contract checks on, nothing else).
pub fn contract_proxy() -> &'static proxy::Proxy {
    static CONTRACT: OnceLock<proxy::Proxy> = OnceLock::new();
    CONTRACT.get_or_init(|| proxy::Proxy::start(proxy::ProxyConfig::new()))
}

impl Moto {
    fn start() -> Moto {
        let script = workspace_root().join("acceptance-tests/scripts/install-emulator.sh");
        let out = Command::new("bash")
            .arg(&script)
            .stdin(Stdio::null())
            .output()
            .expect("running install-emulator.sh");
        if !out.status.success() {
            panic!(
                "install-emulator.sh failed ({}):\n{}",
                out.status,
                String::from_utf8_lossy(&out.stderr)
            );
        }
        let stdout = String::from_utf8_lossy(&out.stdout);
        let server = PathBuf::from(
            stdout
                .lines()
                .rev()
                .find(|l| !l.trim().is_empty())
                .expect("install-emulator.sh printed no path")
                .trim(),
        );

        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("finding a free port")
            .port();
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let log = process_temp_dir("apigw-moto-").join("moto.log");
        let exited = Arc::new(Mutex::new(None));

        // PR_SET_PDEATHSIG fires when the thread that forked the child ends, not the process,
        // so the child is spawned from a thread that lives as long as the process does.
        let (tx, rx) = std::sync::mpsc::channel();
        {
            let log = log.clone();
            let exited = exited.clone();
            std::thread::Builder::new()
                .name("moto-keeper".into())
                .spawn(move || keep_moto(server, port, log, exited, tx))
                .expect("spawning the moto thread");
        }
        match rx.recv() {
            Ok(Ok(())) => {}
            Ok(Err(e)) => panic!("could not start moto_server: {e}"),
            Err(_) => panic!("the moto thread ended before starting moto_server"),
        }

        let moto = Moto {
            endpoint: format!("http://{addr}"),
            addr,
            log,
            exited,
        };
        moto.wait_ready();
        moto
    }

    fn wait_ready(&self) {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Ok((200, _)) = http_request(self.addr, "GET", "/moto-api/") {
                return;
            }
            if let Some(status) = self
                .exited
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .clone()
            {
                panic!(
                    "moto_server exited ({status}) before answering; log tail:\n{}",
                    self.log_tail()
                );
            }
            if Instant::now() > deadline {
                panic!(
                    "moto_server did not answer on {} within 30 s; log tail:\n{}",
                    self.endpoint,
                    self.log_tail()
                );
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// The last lines of moto's log, for failure messages.
    pub fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(40)..].join("\n")
    }

    /// Forgets every emulated AWS object (POST /moto-api/reset).
    pub fn reset(&self) {
        match http_request(self.addr, "POST", "/moto-api/reset") {
            Ok((200, _)) => {}
            Ok((code, body)) => panic!("moto reset answered {code}: {body}"),
            Err(e) => panic!("moto reset failed: {e}; log tail:\n{}", self.log_tail()),
        }
    }
}

/// Body of the dedicated moto thread: spawn, report, reap, then park forever.
fn keep_moto(
    server: PathBuf,
    port: u16,
    log: PathBuf,
    exited: Arc<Mutex<Option<String>>>,
    started: std::sync::mpsc::Sender<Result<(), String>>,
) {
    use std::os::unix::process::CommandExt as _;
    let spawned = (|| -> std::io::Result<std::process::Child> {
        let file = std::fs::File::create(&log)?;
        let parent = std::process::id() as libc::pid_t;
        // moto's server, started through a launcher that raises the Firehose stream quota.
        let python = server.with_file_name("python");
        let launcher = workspace_root().join("acceptance-tests/scripts/moto_server.py");
        let mut cmd = Command::new(&python);
        cmd.arg(&launcher)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdin(Stdio::null())
            .stdout(file.try_clone()?)
            .stderr(file);
        // SAFETY: only async-signal-safe libc calls run between fork and exec.
        unsafe {
            cmd.pre_exec(move || {
                if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                // The parent may have died before prctl took effect.
                if libc::getppid() != parent {
                    libc::_exit(1);
                }
                Ok(())
            });
        }
        cmd.spawn()
    })();
    let mut child = match spawned {
        Ok(c) => {
            let _ = started.send(Ok(()));
            c
        }
        Err(e) => {
            let _ = started.send(Err(format!("{}: {e}", server.display())));
            loop {
                std::thread::park();
            }
        }
    };
    let status = child
        .wait()
        .map(|s| s.to_string())
        .unwrap_or_else(|e| e.to_string());
    *exited.lock().unwrap_or_else(|e| e.into_inner()) = Some(status);
    loop {
        std::thread::park();
    }
}

/// One HTTP/1.1 request without a body; returns the status code and the body.
fn http_request(addr: SocketAddr, method: &str, path: &str) -> std::io::Result<(u16, String)> {
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(2))?;
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    )?;
    let mut response = Vec::new();
    stream.read_to_end(&mut response)?;
    let text = String::from_utf8_lossy(&response);
    let code = text
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .ok_or_else(|| std::io::Error::other(format!("not an HTTP response: {text:.200}")))?;
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    Ok((code, body))
}

/// Takes the process-wide lock that serialises tests sharing the emulator.
pub fn serial() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock().unwrap_or_else(|e| e.into_inner())
}

/// The standard configuration header: the provider's source and an empty provider block.
pub fn provider_block() -> String {
    format!(
        "terraform {{\n  required_providers {{\n    apigw = {{\n      source = \"{PROVIDER_SHORT_SOURCE}\"\n    }}\n  }}\n}}\n\nprovider \"apigw\" {{}}\n"
    )
}

/// A pipeline whose plan needs the provider (terraform prunes unused providers, so this makes
/// it start and configure the provider) but no AWS call: its id and names come from the
/// configuration.
pub const OFFLINE_PIPELINE: &str = r#"
resource "apigw_access_log_pipeline" "p" {
  rest_api_id = "abc123defg"
  stage_name  = "prod"
  s3 = {
    bucket_arn = "arn:aws:s3:::some-bucket"
  }
}
"#;

/// What one terraform command did.
#[derive(Debug)]
pub struct TfOutput {
    /// The command line, for messages.
    pub command: String,
    /// Exit status.
    pub status: ExitStatus,
    /// Captured standard output.
    pub stdout: String,
    /// Captured standard error.
    pub stderr: String,
}

impl TfOutput {
    /// Returns self if the command succeeded, else panics showing the command and its output.
    #[track_caller]
    pub fn success(self) -> Self {
        if !self.status.success() {
            panic!(
                "`{}` failed ({})\n--- stdout ---\n{}\n--- stderr ---\n{}",
                self.command, self.status, self.stdout, self.stderr
            );
        }
        self
    }

    /// Returns self if the command failed, else panics showing its output.
    #[track_caller]
    pub fn failure(self) -> Self {
        if self.status.success() {
            panic!(
                "`{}` unexpectedly succeeded\n--- stdout ---\n{}\n--- stderr ---\n{}",
                self.command, self.stdout, self.stderr
            );
        }
        self
    }
}

/// Variables removed from terraform's inherited environment so the host cannot leak in.
const SCRUBBED_ENV: &[&str] = &[
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_SESSION_TOKEN",
    "AWS_DEFAULT_REGION",
    "TF_REATTACH_PROVIDERS",
    "TF_PLUGIN_CACHE_DIR",
    "TF_DATA_DIR",
    "TF_WORKSPACE",
    "TF_CLI_ARGS",
];

/// One Terraform working directory, holding the emulator lock for the test's duration.
pub struct TfDir {
    dir: tempfile::TempDir,
    // Declared last so the lock is released after the directory is gone.
    _serial: MutexGuard<'static, ()>,
}

impl TfDir {
    /// Takes the serial lock, resets moto (not against real AWS) and creates an empty working
    /// directory.
    pub fn new() -> TfDir {
        require_terraform();
        let guard = serial();
        if !real_aws() {
            moto().reset();
        }
        let dir = tempfile::Builder::new()
            .prefix("apigw-tf-")
            .tempdir()
            .expect("creating the terraform directory");
        TfDir {
            dir,
            _serial: guard,
        }
    }

    /// The working directory.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Writes `contents` to `name` inside the working directory.
    pub fn write(&self, name: &str, contents: impl AsRef<[u8]>) {
        let path = self.dir.path().join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("creating a parent directory");
        }
        std::fs::write(&path, contents)
            .unwrap_or_else(|e| panic!("writing {}: {e}", path.display()));
    }

    /// Runs `terraform <args>` in the directory with the test environment.
    pub fn tf(&self, args: &[&str]) -> TfOutput {
        self.tf_env(args, &[])
    }

    /// Like [`TfDir::tf`], with extra environment variables set last.
    pub fn tf_env(&self, args: &[&str], extra_env: &[(&str, &str)]) -> TfOutput {
        let mut cmd = Command::new("terraform");
        cmd.args(args)
            .current_dir(self.dir.path())
            .stdin(Stdio::null());
        apply_test_env(&mut cmd);
        for (k, v) in extra_env {
            cmd.env(k, v);
        }
        let command = format!("terraform {}", args.join(" "));
        let out = cmd
            .output()
            .unwrap_or_else(|e| panic!("running `{command}`: {e}"));
        TfOutput {
            command,
            status: out.status,
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    /// `terraform <command> -auto-approve` with the provider pointed at `endpoint`.
    pub fn through(&self, endpoint: &str, command: &str) -> TfOutput {
        self.tf_env(
            &[command, "-auto-approve", "-input=false", "-no-color"],
            &[("AWS_ENDPOINT_URL", endpoint)],
        )
    }

    /// `terraform plan -detailed-exitcode`, expecting no changes (exit code 0).
    #[track_caller]
    pub fn assert_plan_empty(&self) {
        let out = self.tf(&["plan", "-detailed-exitcode", "-input=false", "-no-color"]);
        assert_eq!(
            out.status.code(),
            Some(0),
            "expected an empty plan\n--- stdout ---\n{}\n--- stderr ---\n{}",
            out.stdout,
            out.stderr
        );
    }

    /// `terraform init -input=false -no-color`.
    pub fn init(&self) -> TfOutput {
        self.tf(&["init", "-input=false", "-no-color"])
    }

    /// `terraform apply -auto-approve -input=false -no-color`.
    pub fn apply(&self) -> TfOutput {
        self.tf(&["apply", "-auto-approve", "-input=false", "-no-color"])
    }

    /// `terraform destroy -auto-approve -input=false -no-color`.
    pub fn destroy(&self) -> TfOutput {
        self.tf(&["destroy", "-auto-approve", "-input=false", "-no-color"])
    }

    /// `terraform plan -input=false -no-color`.
    pub fn plan(&self) -> TfOutput {
        self.tf(&["plan", "-input=false", "-no-color"])
    }

    /// Runs `plan -detailed-exitcode`: 0 means no changes, 2 means changes; panics on errors.
    pub fn plan_detailed_exitcode(&self) -> i32 {
        let out = self.tf(&["plan", "-detailed-exitcode", "-input=false", "-no-color"]);
        match out.status.code() {
            Some(code @ (0 | 2)) => code,
            _ => {
                out.success();
                unreachable!("a failed plan cannot succeed")
            }
        }
    }

    /// The parsed output of `terraform show -json`.
    pub fn show_json(&self) -> serde_json::Value {
        let out = self.tf(&["show", "-json", "-no-color"]).success();
        serde_json::from_str(&out.stdout)
            .unwrap_or_else(|e| panic!("`terraform show -json` is not JSON ({e}):\n{}", out.stdout))
    }

    /// The `values` of resource `addr` (such as `apigw_x.this`) in the current state.
    pub fn state_resource(&self, addr: &str) -> serde_json::Value {
        let shown = self.show_json();
        let root = &shown["values"]["root_module"];
        let mut found = Vec::new();
        if let Some(v) = find_resource(root, addr, &mut found) {
            return v.clone();
        }
        panic!("no resource {addr} in state; present: {found:?}");
    }
}

impl Default for TfDir {
    fn default() -> Self {
        TfDir::new()
    }
}

/// Searches a `show -json` module (and its children) for `addr`, collecting the addresses seen.
fn find_resource<'a>(
    module: &'a serde_json::Value,
    addr: &str,
    seen: &mut Vec<String>,
) -> Option<&'a serde_json::Value> {
    for r in module["resources"].as_array().into_iter().flatten() {
        let a = r["address"].as_str().unwrap_or_default();
        if a == addr {
            return Some(&r["values"]);
        }
        seen.push(a.to_owned());
    }
    module["child_modules"]
        .as_array()
        .into_iter()
        .flatten()
        .find_map(|m| find_resource(m, addr, seen))
}

/// AWS SDK clients pointed at the emulator (or, with [`REAL_AWS_ENV`], at the real account).
pub struct Aws {
    /// API Gateway (REST APIs).
    pub apigateway: aws_sdk_apigateway::Client,
    /// Kinesis Data Firehose.
    pub firehose: aws_sdk_firehose::Client,
    /// The Glue Data Catalog.
    pub glue: aws_sdk_glue::Client,
    /// IAM.
    pub iam: aws_sdk_iam::Client,
    /// CloudWatch Logs.
    pub logs: aws_sdk_cloudwatchlogs::Client,
    /// S3, addressed path-style.
    pub s3: aws_sdk_s3::Client,
    /// STS.
    pub sts: aws_sdk_sts::Client,
    /// Against real AWS: deletes what this test created when the clients are dropped.
    cleanup: FixtureCleanup,
}

/// SDK configuration for the emulator at `endpoint` (moto, or a proxy in front of it): the
/// harness's region and dummy credentials. Without `retries` the SDK makes one attempt a call,
/// so a test sees each answer the proxy gives.
pub async fn emulator_sdk_config(endpoint: &str, retries: bool) -> aws_config::SdkConfig {
    let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new("us-east-1"))
        .endpoint_url(endpoint)
        .credentials_provider(aws_sdk_sts::config::Credentials::new(
            "testing",
            "testing",
            None,
            None,
            "acceptance-tests",
        ));
    if !retries {
        loader = loader.retry_config(aws_config::retry::RetryConfig::disabled());
    }
    loader.load().await
}

/// Builds SDK clients for moto (starting it if needed) through [`aws_endpoint`], or with
/// [`REAL_AWS_ENV`] for the real
/// account; drive them with [`block_on`], since their connection pools belong to the runtime
/// that first uses them.
pub async fn aws() -> Aws {
    if real_aws() {
        return real_aws_clients().await;
    }
    let config = emulator_sdk_config(&aws_endpoint(), true).await;
    let s3_config = aws_sdk_s3::config::Builder::from(&config)
        .force_path_style(true)
        .build();
    Aws {
        apigateway: aws_sdk_apigateway::Client::new(&config),
        firehose: aws_sdk_firehose::Client::new(&config),
        glue: aws_sdk_glue::Client::new(&config),
        iam: aws_sdk_iam::Client::new(&config),
        logs: aws_sdk_cloudwatchlogs::Client::new(&config),
        s3: aws_sdk_s3::Client::from_conf(s3_config),
        sts: aws_sdk_sts::Client::new(&config),
        cleanup: FixtureCleanup::disabled(),
    }
}

impl Aws {
    /// Creates a REST API with a mocked `GET /` and deploys it to `stage`; returns the API id.
    pub async fn rest_api_with_stage(&self, name: &str, stage: &str) -> String {
        let gw = &self.apigateway;
        let api = gw
            .create_rest_api()
            .name(unique_name(name))
            .send()
            .await
            .expect("create_rest_api");
        let api_id = api.id().expect("REST API id").to_owned();
        self.register_rest_api(&api_id);
        let resources = gw
            .get_resources()
            .rest_api_id(&api_id)
            .send()
            .await
            .expect("get_resources");
        let root = resources
            .items()
            .iter()
            .find(|r| r.path() == Some("/"))
            .and_then(|r| r.id())
            .expect("root resource")
            .to_owned();
        gw.put_method()
            .rest_api_id(&api_id)
            .resource_id(&root)
            .http_method("GET")
            .authorization_type("NONE")
            .send()
            .await
            .expect("put_method");
        gw.put_integration()
            .rest_api_id(&api_id)
            .resource_id(&root)
            .http_method("GET")
            .r#type(aws_sdk_apigateway::types::IntegrationType::Mock)
            .request_templates("application/json", "{\"statusCode\": 200}")
            .send()
            .await
            .expect("put_integration");
        gw.put_method_response()
            .rest_api_id(&api_id)
            .resource_id(&root)
            .http_method("GET")
            .status_code("200")
            .send()
            .await
            .expect("put_method_response");
        gw.put_integration_response()
            .rest_api_id(&api_id)
            .resource_id(&root)
            .http_method("GET")
            .status_code("200")
            .send()
            .await
            .expect("put_integration_response");
        gw.create_deployment()
            .rest_api_id(&api_id)
            .stage_name(stage)
            .send()
            .await
            .expect("create_deployment");
        api_id
    }

    /// Points the stage's access logs at `destination_arn` with `format` (UpdateStage).
    pub async fn set_stage_access_log(
        &self,
        api_id: &str,
        stage: &str,
        destination_arn: &str,
        format: &str,
    ) {
        let replace = |path: &str, value: &str| {
            PatchOperation::builder()
                .op(Op::Replace)
                .path(path)
                .value(value)
                .build()
        };
        self.apigateway
            .update_stage()
            .rest_api_id(api_id)
            .stage_name(stage)
            .patch_operations(replace(
                "/accessLogSettings/destinationArn",
                destination_arn,
            ))
            .patch_operations(replace("/accessLogSettings/format", format))
            .send()
            .await
            .expect("update_stage");
    }

    /// Creates an S3 bucket and returns its name: `name` itself against the emulator (in
    /// us-east-1, no location constraint), `name` with a unique suffix in the configured
    /// region against real AWS, registered for cleanup.
    pub async fn create_bucket(&self, name: &str) -> String {
        let name = unique_name(name);
        let mut request = self.s3.create_bucket().bucket(&name);
        if let Some(constraint) = bucket_location_constraint(&self.s3) {
            request = request.create_bucket_configuration(
                aws_sdk_s3::types::CreateBucketConfiguration::builder()
                    .location_constraint(constraint)
                    .build(),
            );
        }
        request
            .send()
            .await
            .unwrap_or_else(|e| panic!("create_bucket {name}: {e:?}"));
        self.register_bucket(&name);
        name
    }
}

/// Decodes `%XX` escapes (RFC 3986; `+` stays `+`), as IAM returns policy documents.
pub fn percent_decode(text: &str) -> String {
    percent_encoding::percent_decode_str(text)
        .decode_utf8_lossy()
        .into_owned()
}

/// Parses an IAM policy document, URL-encoded (as AWS and moto return it) or not.
pub fn parse_policy(document: &str) -> serde_json::Value {
    let text = if document.trim_start().starts_with('{') {
        document.to_owned()
    } else {
        percent_decode(document)
    };
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("policy is not JSON ({e}): {text}"))
}

/// Read-only views of emulated AWS objects, for assertions.
impl Aws {
    /// The stage's access-log settings as `(destination_arn, format)`; `None` when logging is off.
    pub async fn stage_access_log(&self, api_id: &str, stage: &str) -> Option<(String, String)> {
        let out = self
            .apigateway
            .get_stage()
            .rest_api_id(api_id)
            .stage_name(stage)
            .send()
            .await
            .unwrap_or_else(|e| panic!("get_stage {api_id}/{stage}: {e:?}"));
        let settings = out.access_log_settings()?;
        let destination = settings.destination_arn().filter(|d| !d.is_empty())?;
        Some((
            destination.to_owned(),
            settings.format().unwrap_or_default().to_owned(),
        ))
    }

    /// The tags of delivery stream `name`, the provider's own among them.
    pub async fn stream_tags(&self, name: &str) -> std::collections::BTreeMap<String, String> {
        let out = self
            .firehose
            .list_tags_for_delivery_stream()
            .delivery_stream_name(name)
            .send()
            .await
            .unwrap_or_else(|e| panic!("list_tags_for_delivery_stream {name}: {e:?}"));
        out.tags()
            .iter()
            .map(|t| (t.key().to_owned(), t.value().unwrap_or_default().to_owned()))
            .collect()
    }

    /// Names of every Firehose delivery stream.
    pub async fn delivery_stream_names(&self) -> Vec<String> {
        let out = self
            .firehose
            .list_delivery_streams()
            .limit(10000)
            .send()
            .await
            .expect("list_delivery_streams");
        out.delivery_stream_names().to_vec()
    }

    /// Names of every IAM role but the services' own (service-linked) roles.
    pub async fn role_names(&self) -> Vec<String> {
        let out = self
            .iam
            .list_roles()
            .max_items(1000)
            .send()
            .await
            .expect("list_roles");
        // Service-linked roles are the services' own (API Gateway makes one the first time a
        // stage logs to Firehose, and the realism proxy does too): never the provider's.
        out.roles()
            .iter()
            .filter(|r| !r.path().starts_with("/aws-service-role/"))
            .map(|r| r.role_name().to_owned())
            .collect()
    }
}

// ---------------------------------------------------------------------------------------------
// Real AWS (opt-in), fixture cleanup, and terraform with standard input.
// ---------------------------------------------------------------------------------------------

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
const REAL_AWS_PASSTHROUGH: &[&str] = &[
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_SESSION_TOKEN",
    "AWS_DEFAULT_REGION",
];

/// The environment every terraform command of the tests runs with: no inherited Terraform
/// settings, the harness mirror, and either moto with fake credentials or, against real AWS,
/// the caller's own `AWS_*` variables.
fn apply_test_env(cmd: &mut Command) {
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

impl TfDir {
    /// Like [`TfDir::tf_env`], with `input` written to terraform's standard input (which is
    /// then closed), as for `terraform console`.
    pub fn tf_stdin(&self, args: &[&str], input: &str, extra_env: &[(&str, &str)]) -> TfOutput {
        let mut cmd = Command::new("terraform");
        cmd.args(args)
            .current_dir(self.path())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        apply_test_env(&mut cmd);
        for (k, v) in extra_env {
            cmd.env(k, v);
        }
        let command = format!("terraform {}", args.join(" "));
        let mut child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("running `{command}`: {e}"));
        let mut stdin = child.stdin.take().expect("piped stdin");
        // Written from a thread so a terraform that answers before reading cannot deadlock us.
        let input = input.to_owned();
        let writer = std::thread::spawn(move || {
            let _ = stdin.write_all(input.as_bytes());
        });
        let out = child
            .wait_with_output()
            .unwrap_or_else(|e| panic!("waiting for `{command}`: {e}"));
        let _ = writer.join();
        TfOutput {
            command,
            status: out.status,
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
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

fn base36(mut n: u64) -> String {
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
fn bucket_location_constraint(
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
async fn real_aws_clients() -> Aws {
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
struct Created {
    rest_apis: Vec<String>,
    buckets: Vec<String>,
    streams: Vec<String>,
    roles: Vec<String>,
}

/// The clients the cleanup deletes with.
struct CleanupClients {
    apigateway: aws_sdk_apigateway::Client,
    firehose: aws_sdk_firehose::Client,
    iam: aws_sdk_iam::Client,
    s3: aws_sdk_s3::Client,
}

/// Deletes, when dropped (also when the test panicked), what the test registered and what the
/// provider made for the registered REST APIs. A no-op against the emulator, which is reset.
struct FixtureCleanup {
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
    fn disabled() -> FixtureCleanup {
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
const CLEANUP_PATIENCE: Duration = Duration::from_secs(180);

/// Retries `op` on errors (throttling: DeleteRestApi allows one call per 30 s per account)
/// until it succeeds or [`CLEANUP_PATIENCE`] runs out; returns the last error.
async fn with_patience<F, Fut, E>(what: &str, mut op: F) -> Result<(), String>
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
async fn delete_created(c: &CleanupClients, created: &Created) -> Vec<String> {
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
fn is_not_found<E, R>(e: &aws_sdk_s3::error::SdkError<E, R>) -> bool
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
async fn delete_role(iam: &aws_sdk_iam::Client, name: &str) -> Result<(), String> {
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
async fn empty_bucket(s3: &aws_sdk_s3::Client, bucket: &str) -> Result<(), String> {
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

impl TfDir {
    /// `terraform <args>` in the directory with the test environment (and `extra_env` set
    /// last), configured but not started: for tests that signal or kill terraform mid-run.
    /// Standard input is null; standard output and error are not captured.
    pub fn command(&self, args: &[&str], extra_env: &[(&str, &str)]) -> Command {
        let mut cmd = Command::new("terraform");
        cmd.args(args).current_dir(self.path()).stdin(Stdio::null());
        apply_test_env(&mut cmd);
        for (k, v) in extra_env {
            cmd.env(k, v);
        }
        cmd
    }
}

/// Every Glue table (as `database.table`) that carries the provider's owner parameter.
pub async fn owned_glue_tables(aws: &Aws) -> Vec<String> {
    let mut found = Vec::new();
    let databases = aws
        .glue
        .get_databases()
        .send()
        .await
        .expect("get_databases");
    for db in databases.database_list() {
        let tables = aws
            .glue
            .get_tables()
            .database_name(db.name())
            .send()
            .await
            .expect("get_tables");
        for t in tables.table_list() {
            let owned = t.parameters().is_some_and(|p| {
                p.contains_key("terraform-provider-apigw:pipeline")
                    || p.contains_key("terraform-provider-apigw:stream")
            });
            if owned {
                found.push(format!("{}.{}", db.name(), t.name()));
            }
        }
    }
    found
}

/// Every delivery stream, and every role named like the provider's own, in the emulator.
pub fn leftovers(aws: &Aws) -> (Vec<String>, Vec<String>) {
    block_on(async {
        let streams = aws.delivery_stream_names().await;
        let roles = aws
            .role_names()
            .await
            .into_iter()
            .filter(|r| r.starts_with("apigw-logs-"))
            .collect();
        (streams, roles)
    })
}

/// One pipeline resource `name` for `api`/`stage`; `extra` goes inside the resource.
pub fn pipeline_hcl(name: &str, api: &str, stage: &str, bucket_arn: &str, extra: &str) -> String {
    format!(
        r#"
resource "apigw_access_log_pipeline" "{name}" {{
  rest_api_id = "{api}"
  stage_name  = "{stage}"
  s3 = {{
    bucket_arn = "{bucket_arn}"
  }}
{extra}
}}
"#
    )
}

/// Whether `text` says `wanted`, whatever the line wrapping (terraform wraps diagnostics).
#[track_caller]
pub fn assert_contains(text: &str, wanted: &str) {
    let flat = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        flat(text).contains(&flat(wanted)),
        "output lacks {wanted:?}:\n{text}"
    );
}

/// The log groups named like the ones the provider makes for its streams' error logging
/// (`/aws/kinesisfirehose/amazon-apigateway-...`).
pub fn log_group_leftovers(aws: &Aws) -> Vec<String> {
    block_on(aws.log_group_names("/aws/kinesisfirehose/amazon-apigateway-"))
}

impl Aws {
    /// Names of the log groups whose names start with `prefix`.
    pub async fn log_group_names(&self, prefix: &str) -> Vec<String> {
        let mut names = Vec::new();
        let mut token = None;
        loop {
            let out = self
                .logs
                .describe_log_groups()
                .log_group_name_prefix(prefix)
                .set_next_token(token)
                .send()
                .await
                .expect("describe_log_groups");
            names.extend(
                out.log_groups()
                    .iter()
                    .filter_map(|g| g.log_group_name().map(str::to_owned)),
            );
            token = out.next_token().map(str::to_owned);
            if token.is_none() {
                return names;
            }
        }
    }

    /// The tags of log group `name`.
    pub async fn log_group_tags(&self, name: &str) -> std::collections::BTreeMap<String, String> {
        let out = self
            .logs
            .describe_log_groups()
            .log_group_name_prefix(name)
            .send()
            .await
            .expect("describe_log_groups");
        let group = out
            .log_groups()
            .iter()
            .find(|g| g.log_group_name() == Some(name))
            .unwrap_or_else(|| panic!("no log group {name}"));
        let arn = group
            .log_group_arn()
            .map(str::to_owned)
            .or_else(|| group.arn().map(|a| a.trim_end_matches(":*").to_owned()))
            .expect("the log group's ARN");
        let out = self
            .logs
            .list_tags_for_resource()
            .resource_arn(&arn)
            .send()
            .await
            .unwrap_or_else(|e| panic!("list_tags_for_resource {arn}: {e:?}"));
        out.tags()
            .map(|t| t.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
            .unwrap_or_default()
    }

    /// Names of the log streams of log group `group`.
    pub async fn log_stream_names(&self, group: &str) -> Vec<String> {
        let out = self
            .logs
            .describe_log_streams()
            .log_group_name(group)
            .send()
            .await
            .unwrap_or_else(|e| panic!("describe_log_streams {group}: {e:?}"));
        out.log_streams()
            .iter()
            .filter_map(|s| s.log_stream_name().map(str::to_owned))
            .collect()
    }
}

/// Fails the test if any delivery stream, provider-made role or provider-named log group is
/// left in the emulator.
#[track_caller]
pub fn assert_nothing_left(aws: &Aws) {
    let (streams, roles) = leftovers(aws);
    let tables = block_on(owned_glue_tables(aws));
    let groups = log_group_leftovers(aws);
    assert!(
        streams.is_empty() && roles.is_empty() && tables.is_empty() && groups.is_empty(),
        "left behind: streams {streams:?}, roles {roles:?}, Glue tables {tables:?}, log groups {groups:?}"
    );
}
