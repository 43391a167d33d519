//! The HTTP/1.1 plumbing: accepting connections, resetting one on demand, and sending a
//! request on to the emulator.

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt as _, Full};
use hyper::header::{CONTENT_LENGTH, HeaderMap, HeaderName};
use hyper::service::service_fn;
use hyper::{Method, Request, Uri};
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinSet;

use super::Shared;
use super::handler::handle;

/// How long the emulator may take to answer one request.
const UPSTREAM_TIMEOUT: Duration = Duration::from_secs(60);

/// Accepts connections until the runtime shuts down; each is served on its own task.
pub(crate) async fn serve(listener: TcpListener, shared: Arc<Shared>) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    connections.spawn(serve_connection(stream, shared.clone()));
                }
                // Out of descriptors and the like: wait a moment rather than spin.
                Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
            },
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
}

/// Serves one client connection; a handler asking for a reset ends it without an answer.
async fn serve_connection(stream: TcpStream, shared: Arc<Shared>) {
    let _ = stream.set_nodelay(true);
    let reset = Arc::new(AtomicBool::new(false));
    let io = TokioIo::new(ResettableStream {
        inner: stream,
        reset: reset.clone(),
    });
    let service = service_fn(move |request| {
        let shared = shared.clone();
        let reset = reset.clone();
        async move {
            let answer = handle(shared, request).await;
            if answer.is_err() {
                reset.store(true, Ordering::SeqCst);
            }
            answer
        }
    });
    // A service error makes hyper drop the connection without writing anything.
    let _ = hyper::server::conn::http1::Builder::new()
        .serve_connection(io, service)
        .await;
}

/// A TCP stream that, once flagged, closes with an RST (SO_LINGER 0) instead of a FIN, the
/// way a crashed or overloaded front end drops a connection.
struct ResettableStream {
    inner: TcpStream,
    reset: Arc<AtomicBool>,
}

impl ResettableStream {
    fn resetting(&self) -> bool {
        self.reset.load(Ordering::SeqCst)
    }
}

impl Drop for ResettableStream {
    fn drop(&mut self) {
        if self.resetting() {
            let _ = self.inner.set_zero_linger();
        }
    }
}

impl AsyncRead for ResettableStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl AsyncWrite for ResettableStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if self.resetting() {
            // No FIN: the drop that follows sends the RST.
            return Poll::Ready(Ok(()));
        }
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// Headers that describe one connection rather than the message; never passed on.
fn is_hop_by_hop(name: &HeaderName) -> bool {
    matches!(
        name.as_str(),
        "connection"
            | "keep-alive"
            | "proxy-connection"
            | "transfer-encoding"
            | "te"
            | "trailer"
            | "upgrade"
    )
}

/// Copies end-to-end headers, leaving out hop-by-hop ones and `Content-Length`.
pub(crate) fn copy_headers(from: &HeaderMap, to: &mut HeaderMap) {
    for (name, value) in from {
        if !is_hop_by_hop(name) && name != CONTENT_LENGTH {
            to.append(name.clone(), value.clone());
        }
    }
}

/// The emulator's answer: head and complete body.
pub(crate) type UpstreamAnswer = (hyper::http::response::Parts, Bytes);

/// Sends one request to the emulator on a fresh connection (moto closes each connection
/// after one answer anyway) and reads the whole answer. Headers, `Host` included, go as they
/// came, so the signature the SDK computed stays intact.
pub(crate) async fn send_upstream(
    upstream: SocketAddr,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: Bytes,
) -> Result<UpstreamAnswer, String> {
    let exchange = async {
        let stream = TcpStream::connect(upstream)
            .await
            .map_err(|e| format!("connect {upstream}: {e}"))?;
        let _ = stream.set_nodelay(true);
        let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .map_err(|e| format!("handshake: {e}"))?;
        tokio::spawn(connection);
        let path = uri.path_and_query().map_or("/", |p| p.as_str());
        let mut request = Request::builder()
            .method(method.clone())
            .uri(path)
            .body(Full::new(body.clone()))
            .map_err(|e| e.to_string())?;
        copy_headers(headers, request.headers_mut());
        if !body.is_empty() || headers.contains_key(CONTENT_LENGTH) {
            request
                .headers_mut()
                .insert(CONTENT_LENGTH, body.len().into());
        }
        let response = sender
            .send_request(request)
            .await
            .map_err(|e| format!("request: {e}"))?;
        let (head, body) = response.into_parts();
        let body = body
            .collect()
            .await
            .map_err(|e| format!("answer body: {e}"))?
            .to_bytes();
        Ok((head, body))
    };
    tokio::time::timeout(UPSTREAM_TIMEOUT, exchange)
        .await
        .unwrap_or_else(|_| Err(format!("no answer within {UPSTREAM_TIMEOUT:?}")))
}
