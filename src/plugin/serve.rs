//! Serving as go-plugin expects: the magic-cookie check, protocol negotiation, a private unix
//! socket (or loopback TCP), AutoMTLS, the handshake line, and the helper services Terraform
//! calls beside the provider (health, controller, stdio, broker).

use std::io::Write as _;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use base64::Engine as _;
use futures::{Stream, StreamExt};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, UnixListener};
use tokio_stream::wrappers::ReceiverStream;
use tokio_util::sync::CancellationToken;
use tonic::{Request, Response, Status};
use tracing::{debug, info, warn};

use super::framework::Provider;
use super::grpc::ProviderService;
use super::proto::go_plugin as gp;
use super::proto::tfplugin6::provider_server::ProviderServer;
use super::tls;

/// The cookie Terraform sets so a provider knows it was started by Terraform.
pub const MAGIC_COOKIE_KEY: &str = "TF_PLUGIN_MAGIC_COOKIE";
pub const MAGIC_COOKIE_VALUE: &str =
    "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2";
/// go-plugin's own protocol version, the first field of the handshake line.
const CORE_PROTOCOL_VERSION: u32 = 1;
/// The one Terraform plugin protocol this provider speaks.
pub const PROTOCOL_VERSION: u32 = 6;
/// How long in-flight calls get to finish after Terraform asks the plugin to shut down.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(2);
/// A client that has not finished its TLS handshake by then is dropped.
const TLS_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// What go-plugin tells a plugin through its environment.
#[derive(Debug, Clone, Default)]
pub struct HandshakeEnv {
    pub magic_cookie: Option<String>,
    pub protocol_versions: Option<String>,
    pub client_cert: Option<String>,
    pub unix_socket_dir: Option<String>,
    pub min_port: Option<String>,
    pub max_port: Option<String>,
}

impl HandshakeEnv {
    pub fn from_process() -> HandshakeEnv {
        let var = |k: &str| std::env::var(k).ok();
        HandshakeEnv {
            magic_cookie: var(MAGIC_COOKIE_KEY),
            protocol_versions: var("PLUGIN_PROTOCOL_VERSIONS"),
            client_cert: var("PLUGIN_CLIENT_CERT").filter(|s| !s.trim().is_empty()),
            unix_socket_dir: var("PLUGIN_UNIX_SOCKET_DIR").filter(|s| !s.is_empty()),
            min_port: var("PLUGIN_MIN_PORT"),
            max_port: var("PLUGIN_MAX_PORT"),
        }
    }

    /// Whether Terraform started this process.
    pub fn started_by_terraform(&self) -> bool {
        self.magic_cookie.as_deref() == Some(MAGIC_COOKIE_VALUE)
    }
}

/// Why serving could not start.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error(
        "Terraform offered plugin protocol versions {0:?}; this provider speaks only version 6"
    )]
    NoCommonProtocol(String),
    #[error(transparent)]
    Tls(#[from] tls::TlsError),
    #[error("could not listen on a unix socket ({unix}) nor on 127.0.0.1 within ports {min}-{max}")]
    Listen {
        unix: std::io::Error,
        min: u16,
        max: u16,
    },
    #[error("invalid {name}: {value:?}")]
    BadPort { name: &'static str, value: String },
    #[error("serving gRPC: {0}")]
    Transport(#[from] tonic::transport::Error),
}

/// The words shown to someone who runs the binary by hand.
pub fn not_by_hand_message(binary: &str) -> String {
    format!(
        "{binary} is a Terraform provider plugin, started by Terraform itself; running it directly does nothing.\n\
         \n\
         To use it, declare it in a configuration and run `terraform init`:\n\
         \n\
         terraform {{\n  required_providers {{\n    apigw = {{ source = \"{source}\" }}\n  }}\n}}\n\
         \n\
         To debug it, run `{binary} --debug` and export the TF_REATTACH_PROVIDERS value it prints.\n",
        source = crate::PROVIDER_SOURCE
    )
}

/// Picks protocol 6 from `PLUGIN_PROTOCOL_VERSIONS` (absent: 6 is assumed, as go-plugin does).
pub fn negotiate_protocol(offered: Option<&str>) -> Result<u32, ServeError> {
    match offered {
        None => Ok(PROTOCOL_VERSION),
        Some(list)
            if list
                .split(',')
                .any(|v| v.trim() == PROTOCOL_VERSION.to_string()) =>
        {
            Ok(PROTOCOL_VERSION)
        }
        Some(list) => Err(ServeError::NoCommonProtocol(list.to_owned())),
    }
}

/// A listening endpoint and its handshake description.
enum Listener {
    Unix {
        listener: UnixListener,
        dir: PathBuf,
        path: PathBuf,
    },
    Tcp(TcpListener),
}

impl Listener {
    fn network_and_address(&self) -> (&'static str, String) {
        match self {
            Listener::Unix { path, .. } => ("unix", path.display().to_string()),
            Listener::Tcp(l) => (
                "tcp",
                l.local_addr().map(|a| a.to_string()).unwrap_or_default(),
            ),
        }
    }

    async fn accept(&self) -> std::io::Result<Box<dyn Transport>> {
        match self {
            Listener::Unix { listener, .. } => Ok(Box::new(listener.accept().await?.0)),
            Listener::Tcp(l) => Ok(Box::new(l.accept().await?.0)),
        }
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        if let Listener::Unix { dir, .. } = self {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

fn parse_port(name: &'static str, value: Option<&str>, default: u16) -> Result<u16, ServeError> {
    match value.filter(|v| !v.is_empty()) {
        None => Ok(default),
        Some(v) => v.parse().map_err(|_| ServeError::BadPort {
            name,
            value: v.to_owned(),
        }),
    }
}

/// Listens on a unix socket in a fresh owner-only directory; falls back to loopback TCP.
fn listen(env: &HandshakeEnv) -> Result<Listener, ServeError> {
    let base = env
        .unix_socket_dir
        .as_ref()
        .map(PathBuf::from)
        .unwrap_or_else(std::env::temp_dir);
    let unix_error = match unix_listener(&base) {
        Ok(l) => return Ok(l),
        Err(e) => e,
    };
    warn!(error = %unix_error, "unix socket unavailable, falling back to tcp");
    let min = parse_port("PLUGIN_MIN_PORT", env.min_port.as_deref(), 10000)?;
    let max = parse_port("PLUGIN_MAX_PORT", env.max_port.as_deref(), 25000)?;
    for port in min..=max {
        if let Ok(std_listener) = std::net::TcpListener::bind(("127.0.0.1", port)) {
            let _ = std_listener.set_nonblocking(true);
            if let Ok(l) = TcpListener::from_std(std_listener) {
                return Ok(Listener::Tcp(l));
            }
        }
    }
    Err(ServeError::Listen {
        unix: unix_error,
        min,
        max,
    })
}

fn unix_listener(base: &std::path::Path) -> std::io::Result<Listener> {
    use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let dir = base.join(format!("tf-apigw-{}-{nanos:x}", std::process::id()));
    std::fs::DirBuilder::new().mode(0o700).create(&dir)?;
    let path = dir.join("plugin.sock");
    let listener = UnixListener::bind(&path).inspect_err(|_| {
        let _ = std::fs::remove_dir_all(&dir);
    })?;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))?;
    Ok(Listener::Unix {
        listener,
        dir,
        path,
    })
}

/// Any byte stream a connection can run over (plain or TLS, unix or TCP).
trait Transport: AsyncRead + AsyncWrite + Send + Unpin {}
impl<T: AsyncRead + AsyncWrite + Send + Unpin> Transport for T {}

/// One accepted connection, as tonic's server takes it.
struct Conn(Box<dyn Transport>);

impl tonic::transport::server::Connected for Conn {
    type ConnectInfo = ();
    fn connect_info(&self) {}
}

impl AsyncRead for Conn {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        Pin::new(&mut *self.0).poll_read(cx, buf)
    }
}

impl AsyncWrite for Conn {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut *self.0).poll_write(cx, buf)
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut *self.0).poll_flush(cx)
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut *self.0).poll_shutdown(cx)
    }
    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut *self.0).poll_write_vectored(cx, bufs)
    }
    fn is_write_vectored(&self) -> bool {
        self.0.is_write_vectored()
    }
}

/// Accepts connections (completing TLS off the accept loop) and hands them to the server.
/// The task owns the listener; when it ends at shutdown, the socket directory goes with it.
fn incoming(
    listener: Listener,
    tls: Option<Arc<rustls::ServerConfig>>,
    shutdown: CancellationToken,
) -> (
    ReceiverStream<std::io::Result<Conn>>,
    tokio::task::JoinHandle<()>,
) {
    let (tx, rx) = tokio::sync::mpsc::channel(16);
    let task = tokio::spawn(async move {
        let acceptor = tls.map(tokio_rustls::TlsAcceptor::from);
        loop {
            let stream = tokio::select! {
                _ = shutdown.cancelled() => return,
                s = listener.accept() => s,
            };
            let stream = match stream {
                Ok(s) => s,
                Err(e) => {
                    warn!(error = %e, "accept failed");
                    continue;
                }
            };
            let tx = tx.clone();
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let conn = match acceptor {
                    None => Conn(stream),
                    Some(acceptor) => {
                        match tokio::time::timeout(TLS_HANDSHAKE_TIMEOUT, acceptor.accept(stream))
                            .await
                        {
                            Ok(Ok(tls_stream)) => Conn(Box::new(tls_stream)),
                            Ok(Err(e)) => {
                                warn!(error = %e, "refused a client: TLS handshake failed");
                                return;
                            }
                            Err(_) => {
                                warn!("refused a client: TLS handshake timed out");
                                return;
                            }
                        }
                    }
                };
                let _ = tx.send(Ok(conn)).await;
            });
        }
    });
    (ReceiverStream::new(rx), task)
}

/// go-plugin's controller: Terraform's request to end the plugin.
struct Controller {
    shutdown: CancellationToken,
}

#[tonic::async_trait]
impl gp::grpc_controller_server::GrpcController for Controller {
    async fn shutdown(&self, _: Request<gp::Empty>) -> Result<Response<gp::Empty>, Status> {
        info!("shutdown requested by terraform");
        self.shutdown.cancel();
        Ok(Response::new(gp::Empty {}))
    }
}

type BoxStream<T> = Pin<Box<dyn Stream<Item = Result<T, Status>> + Send>>;

/// A stream that sends nothing and ends at shutdown.
fn silent_until<T: Send + 'static>(shutdown: CancellationToken) -> BoxStream<T> {
    Box::pin(
        futures::stream::once(async move { shutdown.cancelled_owned().await })
            .filter_map(|_| async { None }),
    )
}

/// go-plugin's stdio relay. Logs go to stderr directly, so the stream stays quiet.
struct Stdio {
    shutdown: CancellationToken,
}

#[tonic::async_trait]
impl gp::grpc_stdio_server::GrpcStdio for Stdio {
    type StreamStdioStream = BoxStream<gp::StdioData>;
    async fn stream_stdio(
        &self,
        _: Request<()>,
    ) -> Result<Response<Self::StreamStdioStream>, Status> {
        Ok(Response::new(silent_until(self.shutdown.clone())))
    }
}

/// go-plugin's connection broker. Providers open no extra connections, so it only listens.
struct Broker {
    shutdown: CancellationToken,
}

#[tonic::async_trait]
impl gp::grpc_broker_server::GrpcBroker for Broker {
    type StartStreamStream = BoxStream<gp::ConnInfo>;
    async fn start_stream(
        &self,
        req: Request<tonic::Streaming<gp::ConnInfo>>,
    ) -> Result<Response<Self::StartStreamStream>, Status> {
        let mut inbound = req.into_inner();
        tokio::spawn(async move {
            while let Some(Ok(info)) = inbound.next().await {
                debug!(service_id = info.service_id, "broker message ignored");
            }
        });
        Ok(Response::new(silent_until(self.shutdown.clone())))
    }
}

/// How the process was started.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Started by Terraform: handshake line on stdout, run until told to shut down.
    Managed,
    /// `--debug`: print `TF_REATTACH_PROVIDERS` and run until interrupted.
    Debug,
}

/// Serves `provider` until Terraform shuts it down (or, in debug mode, until Ctrl-C).
pub async fn serve(
    provider: Arc<dyn Provider>,
    env: HandshakeEnv,
    mode: Mode,
) -> Result<(), ServeError> {
    let protocol = negotiate_protocol(env.protocol_versions.as_deref())?;
    let server_tls = match (&env.client_cert, mode) {
        (Some(pem), Mode::Managed) => Some(tls::server_tls(pem)?),
        _ => None,
    };
    let listener = listen(&env)?;
    let (network, address) = listener.network_and_address();

    let shutdown = CancellationToken::new();
    let stop = CancellationToken::new();
    let (health_reporter, health_service) = tonic_health::server::health_reporter();
    health_reporter
        .set_service_status("plugin", tonic_health::ServingStatus::Serving)
        .await;

    let router = tonic::transport::Server::builder()
        .add_service(health_service)
        .add_service(ProviderServer::new(ProviderService::new(
            provider,
            stop.clone(),
        )))
        .add_service(gp::grpc_controller_server::GrpcControllerServer::new(
            Controller {
                shutdown: shutdown.clone(),
            },
        ))
        .add_service(gp::grpc_stdio_server::GrpcStdioServer::new(Stdio {
            shutdown: shutdown.clone(),
        }))
        .add_service(gp::grpc_broker_server::GrpcBrokerServer::new(Broker {
            shutdown: shutdown.clone(),
        }));

    let cert_field = server_tls
        .as_ref()
        .map(|t| base64::engine::general_purpose::STANDARD_NO_PAD.encode(&t.cert_der))
        .unwrap_or_default();
    let (conns, accept_task) = incoming(listener, server_tls.map(|t| t.config), shutdown.clone());

    match mode {
        Mode::Managed => {
            let line = format!(
                "{CORE_PROTOCOL_VERSION}|{protocol}|{network}|{address}|grpc|{cert_field}\n"
            );
            let mut stdout = std::io::stdout().lock();
            let _ = stdout.write_all(line.as_bytes());
            let _ = stdout.flush();
        }
        Mode::Debug => print_reattach(network, &address),
    }
    info!(network, address = %address, "serving");

    let signals = watch_signals(mode, shutdown.clone());
    if mode == Mode::Managed {
        watch_terraform(stop.clone(), shutdown.clone());
    }
    let served = router.serve_with_incoming_shutdown(conns, shutdown.clone().cancelled_owned());
    tokio::pin!(served);
    let result = tokio::select! {
        r = &mut served => r.map_err(ServeError::from),
        _ = async { shutdown.cancelled().await; tokio::time::sleep(SHUTDOWN_GRACE).await } => Ok(()),
    };
    shutdown.cancel();
    stop.cancel();
    signals.abort();
    let _ = accept_task.await;
    result
}

fn print_reattach(network: &str, address: &str) {
    let value = serde_json::json!({
        crate::PROVIDER_SOURCE: {
            "Protocol": "grpc",
            "ProtocolVersion": PROTOCOL_VERSION,
            "Pid": std::process::id(),
            "Test": true,
            "Addr": {"Network": network, "String": address},
        }
    });
    println!(
        "Provider started in debug mode. To attach Terraform, run in another shell:\n\n\
         \texport TF_REATTACH_PROVIDERS='{value}'\n\n\
         Then run terraform as usual in that shell. Stop this provider with Ctrl-C."
    );
}

/// Ends the plugin when Terraform dies without shutting it down (killed, crashed). Terraform
/// holds the read end of the plugin's stdout pipe; when it is gone, polling the write end
/// reports an error, and in-flight work is cancelled rather than left running unowned.
fn watch_terraform(stop: CancellationToken, shutdown: CancellationToken) {
    std::thread::spawn(move || {
        let mut fds = [libc::pollfd {
            fd: libc::STDOUT_FILENO,
            events: 0,
            revents: 0,
        }];
        loop {
            // SAFETY: one valid pollfd, owned by this frame, for the duration of the call.
            let ready = unsafe { libc::poll(fds.as_mut_ptr(), 1, -1) };
            if ready > 0 && fds[0].revents & (libc::POLLERR | libc::POLLHUP) != 0 {
                warn!("terraform is gone; stopping");
                stop.cancel();
                shutdown.cancel();
                return;
            }
            if ready < 0
                && std::io::Error::last_os_error().kind() != std::io::ErrorKind::Interrupted
            {
                return;
            }
        }
    });
}

/// Ctrl-C reaches the whole process group: Terraform handles it (and calls StopProvider), so
/// a managed plugin ignores SIGINT, as go-plugin does. SIGTERM, or Ctrl-C in debug mode, ends it.
fn watch_signals(mode: Mode, shutdown: CancellationToken) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        use tokio::signal::unix::{SignalKind, signal};
        let (Ok(mut int), Ok(mut term)) = (
            signal(SignalKind::interrupt()),
            signal(SignalKind::terminate()),
        ) else {
            return;
        };
        loop {
            tokio::select! {
                _ = int.recv() => {
                    if mode == Mode::Debug {
                        shutdown.cancel();
                        return;
                    }
                    debug!("interrupt ignored; terraform stops the provider");
                }
                _ = term.recv() => {
                    shutdown.cancel();
                    return;
                }
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn negotiation_takes_six_or_fails_clearly() {
        assert_eq!(negotiate_protocol(Some("5,6")).unwrap(), 6);
        assert_eq!(negotiate_protocol(None).unwrap(), 6);
        let err = negotiate_protocol(Some("5")).unwrap_err().to_string();
        assert!(err.contains("only version 6"), "{err}");
    }

    #[test]
    fn the_cookie_must_match() {
        let mut env = HandshakeEnv::default();
        assert!(!env.started_by_terraform());
        env.magic_cookie = Some(MAGIC_COOKIE_VALUE.to_owned());
        assert!(env.started_by_terraform());
    }
}
