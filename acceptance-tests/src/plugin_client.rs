//! Starting the provider binary the way Terraform does (go-plugin handshake, AutoMTLS) and
//! talking gRPC to it over its unix socket.

use std::io::{BufRead as _, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::Engine as _;
use hyper_util::rt::TokioIo;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName};
use terraform_provider_apigw::plugin::serve::{MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE};
use tonic::transport::{Channel, Endpoint, Uri};

pub use terraform_provider_apigw::plugin::proto::go_plugin::grpc_controller_client::GrpcControllerClient;
pub use terraform_provider_apigw::plugin::proto::tfplugin6::provider_client::ProviderClient;

/// A client certificate and key, as Terraform generates one per plugin start.
#[derive(Clone)]
pub struct ClientCert {
    /// PEM of the certificate (the `PLUGIN_CLIENT_CERT` value).
    pub cert_pem: String,
    /// DER of the certificate.
    pub cert_der: Vec<u8>,
    /// PKCS#8 DER of the private key.
    pub key_der: Vec<u8>,
}

/// A fresh certificate like Terraform's: ECDSA P-521, self-signed, CA:true, CN/SAN localhost.
pub fn terraform_like_client_cert() -> ClientCert {
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P521_SHA512)
        .expect("generating a P-521 key");
    let mut params = rcgen::CertificateParams::new(vec!["localhost".to_owned()])
        .expect("certificate parameters");
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "localhost");
    params
        .distinguished_name
        .push(rcgen::DnType::OrganizationName, "HashiCorp");
    params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    params.key_usages = vec![
        rcgen::KeyUsagePurpose::DigitalSignature,
        rcgen::KeyUsagePurpose::KeyEncipherment,
        rcgen::KeyUsagePurpose::KeyAgreement,
        rcgen::KeyUsagePurpose::KeyCertSign,
    ];
    params.extended_key_usages = vec![
        rcgen::ExtendedKeyUsagePurpose::ClientAuth,
        rcgen::ExtendedKeyUsagePurpose::ServerAuth,
    ];
    let now = std::time::SystemTime::now();
    params.not_before = (now - Duration::from_secs(30)).into();
    params.not_after = (now + Duration::from_secs(60 * 60 * 24 * 30)).into();
    let cert = params.self_signed(&key).expect("self-signing");
    ClientCert {
        cert_pem: cert.pem(),
        cert_der: cert.der().to_vec(),
        key_der: key.serialize_der(),
    }
}

/// The fields of go-plugin's handshake line `core|proto|network|address|grpc|cert`.
#[derive(Debug, Clone)]
pub struct Handshake {
    /// go-plugin core protocol version (1).
    pub core_version: u32,
    /// Negotiated Terraform plugin protocol version.
    pub protocol_version: u32,
    /// `unix` or `tcp`.
    pub network: String,
    /// Socket path or host:port.
    pub address: String,
    /// Wire protocol, `grpc`.
    pub protocol: String,
    /// DER of the server certificate (decoded from base64 without padding).
    pub server_cert_der: Vec<u8>,
}

impl Handshake {
    /// Parses a handshake line, explaining what is wrong with it.
    pub fn parse(line: &str) -> Result<Handshake, String> {
        let fields: Vec<&str> = line.trim_end_matches(['\r', '\n']).split('|').collect();
        let [core, proto, network, address, protocol, cert] = fields.as_slice() else {
            return Err(format!("expected 6 |-separated fields in {line:?}"));
        };
        let number = |what: &str, s: &str| {
            s.parse::<u32>()
                .map_err(|e| format!("{what} {s:?} is not a number: {e}"))
        };
        let server_cert_der = base64::engine::general_purpose::STANDARD_NO_PAD
            .decode(cert)
            .map_err(|e| format!("server certificate is not unpadded standard base64: {e}"))?;
        Ok(Handshake {
            core_version: number("core version", core)?,
            protocol_version: number("protocol version", proto)?,
            network: (*network).to_owned(),
            address: (*address).to_owned(),
            protocol: (*protocol).to_owned(),
            server_cert_der,
        })
    }
}

/// A provider process started as Terraform starts it; killed on drop if still running.
pub struct PluginProcess {
    /// The child process.
    pub child: Child,
    /// What the plugin announced.
    pub handshake: Handshake,
    stderr: Arc<Mutex<String>>,
}

impl PluginProcess {
    /// Everything the plugin wrote to stderr so far.
    pub fn stderr(&self) -> String {
        self.stderr
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// The unix socket path from the handshake.
    pub fn socket_path(&self) -> PathBuf {
        PathBuf::from(&self.handshake.address)
    }

    /// Waits up to `limit` for the process to exit.
    pub fn wait_timeout(&mut self, limit: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + limit;
        loop {
            match self.child.try_wait() {
                Ok(Some(status)) => return Some(status),
                Ok(None) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(50))
                }
                _ => return None,
            }
        }
    }

    /// Connects a gRPC channel to this plugin, presenting `client`.
    pub async fn connect(&self, client: &ClientCert) -> Result<Channel, tonic::transport::Error> {
        connect(&self.handshake, client).await
    }
}

impl Drop for PluginProcess {
    /// Asks a still-running plugin to stop with SIGTERM (so it removes its socket), then kills it.
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            // SAFETY: signals our own child, which has not been reaped yet.
            unsafe {
                libc::kill(self.child.id() as libc::pid_t, libc::SIGTERM);
            }
            if self.wait_timeout(Duration::from_secs(5)).is_none() {
                let _ = self.child.kill();
                let _ = self.child.wait();
                if let Some(dir) = self.socket_path().parent() {
                    let _ = std::fs::remove_dir_all(dir);
                }
            }
        }
    }
}

/// Reads `pipe` on a thread until it closes, appending what arrives to the returned string,
/// which can be looked at any time (a child's log so far).
pub fn drain_into_string(mut pipe: impl Read + Send + 'static) -> Arc<Mutex<String>> {
    let text = Arc::new(Mutex::new(String::new()));
    let sink = text.clone();
    std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        while let Ok(n @ 1..) = pipe.read(&mut buf) {
            sink.lock()
                .unwrap_or_else(|e| e.into_inner())
                .push_str(&String::from_utf8_lossy(&buf[..n]));
        }
    });
    text
}

/// Starts `binary` with the magic cookie, `PLUGIN_PROTOCOL_VERSIONS=protocol_versions` and
/// `client`'s certificate, and reads its handshake line (10 s limit).
pub fn start_plugin(binary: &Path, client: &ClientCert, protocol_versions: &str) -> PluginProcess {
    let mut child = Command::new(binary)
        .env(MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE)
        .env("PLUGIN_PROTOCOL_VERSIONS", protocol_versions)
        .env("PLUGIN_CLIENT_CERT", &client.cert_pem)
        .env_remove("TF_LOG")
        .env_remove("TF_LOG_PROVIDER")
        .env_remove("PLUGIN_UNIX_SOCKET_DIR")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("starting {}: {e}", binary.display()));

    let stderr = drain_into_string(child.stderr.take().expect("stderr pipe"));

    // The handshake line is read on a thread so a silent plugin cannot hang the test; the
    // thread keeps draining stdout afterwards so the plugin never writes into a closed pipe.
    let (tx, rx) = std::sync::mpsc::channel();
    let stdout = child.stdout.take().expect("stdout pipe");
    std::thread::spawn(move || {
        let mut reader = BufReader::new(stdout);
        let mut line = String::new();
        let _ = tx.send(reader.read_line(&mut line).map(|_| line));
        let _ = std::io::copy(&mut reader, &mut std::io::sink());
    });
    let line = match rx.recv_timeout(Duration::from_secs(10)) {
        Ok(Ok(line)) if !line.is_empty() => line,
        other => {
            let _ = child.kill();
            let _ = child.wait();
            std::thread::sleep(Duration::from_millis(100));
            panic!(
                "no handshake line from the plugin ({other:?}); stderr:\n{}",
                stderr.lock().unwrap_or_else(|e| e.into_inner())
            );
        }
    };
    let handshake = match Handshake::parse(&line) {
        Ok(h) => h,
        Err(e) => {
            let _ = child.kill();
            let _ = child.wait();
            panic!("bad handshake line: {e}");
        }
    };
    PluginProcess {
        child,
        handshake,
        stderr,
    }
}

/// The TLS client side of AutoMTLS: trust only the handshake's certificate, present `client`.
pub fn client_tls(
    server_cert_der: &[u8],
    client: &ClientCert,
) -> Result<rustls::ClientConfig, rustls::Error> {
    let mut roots = rustls::RootCertStore::empty();
    roots.add(CertificateDer::from(server_cert_der.to_vec()))?;
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_root_certificates(roots)
        .with_client_auth_cert(
            vec![CertificateDer::from(client.cert_der.clone())],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(client.key_der.clone())),
        )?;
    config.alpn_protocols = vec![b"h2".to_vec()];
    Ok(config)
}

/// Opens a gRPC channel over the handshake's unix socket, wrapped in mutual TLS.
pub async fn connect(
    handshake: &Handshake,
    client: &ClientCert,
) -> Result<Channel, tonic::transport::Error> {
    assert_eq!(handshake.network, "unix", "only unix sockets are supported");
    let config = client_tls(&handshake.server_cert_der, client).expect("client TLS config");
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let path = PathBuf::from(&handshake.address);
    // The URI is a placeholder: the connector ignores it and dials the socket.
    Endpoint::from_static("http://[::]:50051")
        .connect_timeout(Duration::from_secs(10))
        .connect_with_connector(tower::service_fn(move |_: Uri| {
            let connector = connector.clone();
            let path = path.clone();
            async move {
                let stream = tokio::net::UnixStream::connect(&path).await?;
                let name = ServerName::try_from("localhost").expect("valid name");
                let tls = connector.connect(name, stream).await?;
                Ok::<_, std::io::Error>(TokioIo::new(tls))
            }
        }))
        .await
}
