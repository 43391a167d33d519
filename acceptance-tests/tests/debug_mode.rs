//! `terraform-provider-apigw --debug`: the provider serves in the foreground and prints
//! `TF_REATTACH_PROVIDERS`; Terraform then uses that process instead of starting one.

use std::io::{BufRead as _, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use acceptance_tests::plugin_client::drain_into_string;
use acceptance_tests::{
    TfDir, filesystem_mirror_config, offline_pipeline, provider_binary, provider_block,
};
use terraform_provider_apigw::PROVIDER_SOURCE;

/// The provider in debug mode; killed if the test ends early.
struct DebugProvider {
    child: Child,
    /// Everything it wrote to stderr so far (its log lines).
    stderr: Arc<Mutex<String>>,
}

impl Drop for DebugProvider {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl DebugProvider {
    fn log(&self) -> String {
        self.stderr
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }
}

/// Starts `--debug` and returns it with the `TF_REATTACH_PROVIDERS` value it printed.
fn start() -> (DebugProvider, String) {
    let mut child = Command::new(provider_binary())
        .arg("--debug")
        .env("TF_LOG_PROVIDER", "info")
        .env_remove("TF_LOG")
        // The provider reads AWS settings from its own environment, not terraform's. Planning
        // makes no AWS call; these keep any that would happen away from real AWS.
        .env("AWS_REGION", "us-east-1")
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
        .env_remove("AWS_PROFILE")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("starting the provider with --debug");
    let stderr = drain_into_string(child.stderr.take().expect("piped stderr"));
    let stdout = child.stdout.take().expect("piped stdout");
    let provider = DebugProvider { child, stderr };

    // Read stdout until the export line, from a thread so a silent provider cannot hang us.
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut seen = String::new();
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            seen.push_str(&line);
            seen.push('\n');
            if let Some(value) = line
                .trim()
                .strip_prefix("export TF_REATTACH_PROVIDERS='")
                .and_then(|v| v.strip_suffix('\''))
            {
                let _ = tx.send(Ok(value.to_owned()));
                // Keep draining so the provider never blocks on a full pipe.
                continue;
            }
        }
        let _ = tx.send(Err(seen));
    });
    match rx.recv_timeout(Duration::from_secs(30)) {
        Ok(Ok(value)) => (provider, value),
        Ok(Err(seen)) => panic!(
            "--debug printed no TF_REATTACH_PROVIDERS line; stdout:\n{seen}\nstderr:\n{}",
            provider.log()
        ),
        Err(_) => panic!(
            "--debug printed no TF_REATTACH_PROVIDERS line within 30 s; stderr:\n{}",
            provider.log()
        ),
    }
}

#[test]
fn terraform_plans_through_a_provider_started_with_debug() {
    let (mut provider, reattach) = start();
    let pid = provider.child.id();

    // The value names this provider, this process and a socket that exists.
    let parsed: serde_json::Value = serde_json::from_str(&reattach)
        .unwrap_or_else(|e| panic!("TF_REATTACH_PROVIDERS is not JSON ({e}): {reattach}"));
    let entry = &parsed[PROVIDER_SOURCE];
    assert_eq!(entry["Protocol"], "grpc", "{parsed}");
    assert_eq!(entry["ProtocolVersion"], 6, "{parsed}");
    assert_eq!(entry["Pid"], pid, "{parsed}");
    assert_eq!(entry["Test"], true, "{parsed}");
    assert_eq!(entry["Addr"]["Network"], "unix", "{parsed}");
    let socket = entry["Addr"]["String"].as_str().expect("socket path");
    assert!(
        std::path::Path::new(socket).exists(),
        "socket {socket} is missing"
    );

    // Terraform may install nothing: a CLI config whose only mirror is empty.
    let tf = TfDir::new();
    std::fs::create_dir_all(tf.path().join("empty-mirror")).expect("mkdir");
    let cli_config = tf.path().join("empty.tfrc");
    std::fs::write(
        &cli_config,
        filesystem_mirror_config(&tf.path().join("empty-mirror").display().to_string(), &[]),
    )
    .expect("writing empty.tfrc");
    let cli_config = cli_config.to_str().expect("UTF-8 path").to_owned();
    tf.write("main.tf", provider_block() + &offline_pipeline());
    let env = [
        ("TF_REATTACH_PROVIDERS", reattach.as_str()),
        ("TF_CLI_CONFIG_FILE", cli_config.as_str()),
    ];

    // init succeeds without installing (or locking) the reattached provider.
    let init = tf
        .tf_env(&["init", "-input=false", "-no-color"], &env)
        .success();
    assert!(
        !init.stdout.contains("Installing seed-f9314e3d/apigw"),
        "{}",
        init.stdout
    );
    assert!(
        !tf.path().join(".terraform.lock.hcl").exists(),
        "init recorded the reattached provider in the lock file"
    );
    // Without the reattach, the same init has nothing to install from: the control.
    let control = tf
        .tf_env(
            &["init", "-input=false", "-no-color"],
            &[("TF_CLI_CONFIG_FILE", cli_config.as_str())],
        )
        .failure();
    assert!(
        control.stderr.contains("seed-f9314e3d/apigw"),
        "{}",
        control.stderr
    );

    // Two plans through the same process: Terraform neither starts nor stops it.
    for round in 1..=2 {
        let plan = tf
            .tf_env(&["plan", "-input=false", "-no-color"], &env)
            .success();
        assert!(
            plan.stdout.contains("1 to add, 0 to change, 0 to destroy")
                && plan.stdout.contains("\"abc123defg/prod\""),
            "plan {round}:\n{}",
            plan.stdout
        );
        assert!(
            provider.child.try_wait().expect("try_wait").is_none(),
            "the debug provider exited after plan {round}; log:\n{}",
            provider.log()
        );
    }
    let log = provider.log();
    let configured = log.matches("configuring provider").count();
    assert!(
        configured >= 2,
        "the debug provider was configured {configured} times (want one per plan); log:\n{log}"
    );

    // The function works through it too.
    let console = tf
        .tf_stdin(
            &["console", "-no-color"],
            "provider::apigw::log_format(\"csv\")\n",
            &env,
        )
        .success();
    assert!(
        console.stdout.contains("$context.requestId"),
        "{}",
        console.stdout
    );

    // Ctrl-C (SIGINT) ends debug mode promptly and cleanly, and removes the socket.
    // SAFETY: signals a child this test started and still owns.
    let rc = unsafe { libc::kill(pid as libc::pid_t, libc::SIGINT) };
    assert_eq!(rc, 0, "kill(SIGINT) failed");
    let deadline = Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(status) = provider.child.try_wait().expect("try_wait") {
            break status;
        }
        assert!(
            Instant::now() < deadline,
            "SIGINT did not end debug mode within 10 s; log:\n{}",
            provider.log()
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "debug mode ended with {status}");
    assert!(
        !std::path::Path::new(socket).exists(),
        "socket {socket} left behind"
    );

    // With the process gone, the same plan fails: Terraform was using it.
    let plan = tf
        .tf_env(&["plan", "-input=false", "-no-color"], &env)
        .failure();
    assert!(
        plan.stderr.contains("apigw") || plan.stderr.contains("plugin"),
        "{}",
        plan.stderr
    );
}
