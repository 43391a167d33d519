//! The local AWS: the moto server (started once per test process, reset between tests), the
//! contract proxy in front of it, and SDK clients pointed at it.

use std::io::{Read as _, Write as _};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};

use crate::*;

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
pub(crate) fn keep_moto(
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
pub(crate) fn http_request(
    addr: SocketAddr,
    method: &str,
    path: &str,
) -> std::io::Result<(u16, String)> {
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
    pub(crate) cleanup: FixtureCleanup,
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
