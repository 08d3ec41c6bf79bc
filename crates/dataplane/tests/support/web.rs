//! HTTP test backends and clients for the HTTP proxy tests.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// A backend that answers every request with `name`, the request line and every header it
/// received (`name: value` lines). `/slow` waits 2 s first; `/text` is sent as `text/plain`.
pub struct Backend {
    pub addr: SocketAddr,
    /// TCP connections accepted so far.
    pub connections: Arc<AtomicUsize>,
}

impl Backend {
    pub async fn start(at: &str, name: &'static str) -> Self {
        let l = TcpListener::bind(SocketAddr::new(at.parse().unwrap(), 0))
            .await
            .unwrap();
        let addr = l.local_addr().unwrap();
        let connections = Arc::new(AtomicUsize::new(0));
        let count = Arc::clone(&connections);
        tokio::spawn(async move {
            while let Ok((s, _)) = l.accept().await {
                count.fetch_add(1, Ordering::SeqCst);
                let svc = service_fn(move |req| answer(name, req));
                tokio::spawn(
                    hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(s), svc),
                );
            }
        });
        Self { addr, connections }
    }

    pub fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }
}

async fn answer(
    name: &'static str,
    req: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    if req.uri().path() == "/slow" {
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
    let text_type = req.uri().path() == "/text";
    let mut text = format!("{name}\n{} {}\n", req.method(), req.uri());
    for (k, v) in req.headers() {
        text.push_str(&format!("{k}: {}\n", v.to_str().unwrap_or("?")));
    }
    let body = req.into_body().collect().await.map(|b| b.to_bytes());
    text.push_str(&format!("body: {}\n", body.map(|b| b.len()).unwrap_or(0)));
    let mut resp = Response::new(Full::new(Bytes::from(text)));
    resp.headers_mut()
        .insert("x-backend", hyper::header::HeaderValue::from_static(name));
    if text_type {
        resp.headers_mut().insert(
            "content-type",
            hyper::header::HeaderValue::from_static("text/plain"),
        );
    }
    Ok(resp)
}

/// What a client got back.
#[derive(Debug)]
pub struct Got {
    pub status: u16,
    pub headers: hyper::HeaderMap,
    pub body: String,
}

impl Got {
    /// The backend's name (first line of its answer).
    pub fn backend(&self) -> &str {
        self.body.lines().next().unwrap_or("")
    }

    /// The value of header `name` as the backend received it.
    pub fn seen(&self, name: &str) -> Option<&str> {
        let prefix = format!("{name}: ");
        self.body
            .lines()
            .find_map(|l| l.strip_prefix(prefix.as_str()))
    }
}

/// A kept-alive client connection to the proxy.
pub struct Client {
    sender: hyper::client::conn::http1::SendRequest<Full<Bytes>>,
}

impl Client {
    pub async fn connect(proxy: SocketAddr) -> Self {
        let s = TcpStream::connect(proxy).await.unwrap();
        let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(s))
            .await
            .unwrap();
        tokio::spawn(conn);
        Self { sender }
    }

    /// GET `path` with extra headers.
    pub async fn get(&mut self, path: &str, headers: &[(&str, &str)]) -> Got {
        let mut req = Request::get(path).header("host", "example.test");
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        self.send(req.body(Full::new(Bytes::new())).unwrap()).await
    }

    /// Sends `req`; the status, headers and raw body bytes.
    pub async fn send_raw(&mut self, req: Request<Full<Bytes>>) -> (u16, hyper::HeaderMap, Bytes) {
        self.sender.ready().await.unwrap();
        let resp = self.sender.send_request(req).await.unwrap();
        let (parts, body) = resp.into_parts();
        let body = body.collect().await.unwrap().to_bytes();
        (parts.status.as_u16(), parts.headers, body)
    }

    pub async fn send(&mut self, req: Request<Full<Bytes>>) -> Got {
        self.sender.ready().await.unwrap();
        let resp = self.sender.send_request(req).await.unwrap();
        let (parts, body) = resp.into_parts();
        let body = body.collect().await.unwrap().to_bytes();
        Got {
            status: parts.status.as_u16(),
            headers: parts.headers,
            body: String::from_utf8_lossy(&body).into_owned(),
        }
    }
}

/// One GET on a fresh connection.
pub async fn get(proxy: SocketAddr, path: &str, headers: &[(&str, &str)]) -> Got {
    Client::connect(proxy).await.get(path, headers).await
}

/// Writes raw bytes and reads what comes back until the proxy closes (or 5 s pass).
pub async fn raw(proxy: SocketAddr, bytes: &[u8]) -> String {
    let mut s = TcpStream::connect(proxy).await.unwrap();
    s.write_all(bytes).await.unwrap();
    let mut out = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(5), s.read_to_end(&mut out)).await;
    String::from_utf8_lossy(&out).into_owned()
}
