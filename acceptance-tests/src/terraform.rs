//! The real `terraform` CLI: the offline mirror it installs the provider from, and per-test
//! working directories that run its commands.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::{MutexGuard, OnceLock};

use crate::*;

/// The Terraform registry address users write in `required_providers`.
pub const PROVIDER_SHORT_SOURCE: &str = "seed-f9314e3d/apigw";

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
            filesystem_mirror_config(
                &dir.display().to_string(),
                &[terraform_provider_apigw::PROVIDER_SOURCE],
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
pub(crate) const SCRUBBED_ENV: &[&str] = &[
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
pub(crate) fn find_resource<'a>(
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
