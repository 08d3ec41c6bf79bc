//! WebSocket (HTTP/1.1 `Upgrade`) through HTTP listeners over real loopback sockets: the
//! upgrade request reaches the backend with its `Upgrade` header and CLB's forwarding
//! headers, the client gets `101` and then bytes flow both ways; a backend that declines is
//! answered as usual; an idle tunnel closes after the listener's idle timeout, and removing
//! the backend (no draining) closes its tunnels; an open tunnel keeps its descriptors counted
//! in the budget until it closes.
#![allow(clippy::unwrap_used)]

mod support;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use slb_dataplane::fds::TCP_CONNECTION_FDS;
use slb_dataplane::{ListenerConfig, Protocol};
use support::web::Backend;
use support::*;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

const UPGRADE: &[u8] = b"GET /chat HTTP/1.1\r\nhost: ws.test\r\nconnection: Upgrade\r\n\
    upgrade: websocket\r\nsec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
    sec-websocket-version: 13\r\n\r\n";

/// A backend that switches protocols on every upgrade request and then echoes; it keeps
/// the request heads it got (lower case).
async fn ws_backend() -> (SocketAddr, Arc<Mutex<Vec<String>>>) {
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    let heads = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&heads);
    tokio::spawn(async move {
        while let Ok((s, _)) = l.accept().await {
            let seen = Arc::clone(&seen);
            tokio::spawn(async move {
                let mut r = BufReader::new(s);
                let head = read_head(&mut r).await;
                seen.lock().unwrap().push(head);
                let switch = "HTTP/1.1 101 Switching Protocols\r\nconnection: upgrade\r\n\
                              upgrade: websocket\r\nsec-websocket-accept: x\r\n\r\n";
                r.get_mut().write_all(switch.as_bytes()).await.unwrap();
                let (mut rd, mut wr) = r.into_inner().into_split();
                let _ = tokio::io::copy(&mut rd, &mut wr).await;
            });
        }
    });
    (addr, heads)
}

async fn read_head<R: tokio::io::AsyncRead + Unpin>(r: &mut BufReader<R>) -> String {
    let mut head = String::new();
    loop {
        let mut line = String::new();
        if r.read_line(&mut line).await.unwrap() == 0 || line == "\r\n" {
            return head;
        }
        head.push_str(&line.to_ascii_lowercase());
    }
}

fn http_listener(id: &str, backend: SocketAddr) -> ListenerConfig {
    listener(id, Protocol::Http, "127.0.0.1", &[(backend, 10)])
}

/// Sends the upgrade request; the client's stream and the answer's head (lower case).
async fn upgrade(proxy: SocketAddr) -> (BufReader<TcpStream>, String) {
    let mut s = TcpStream::connect(proxy).await.unwrap();
    s.write_all(UPGRADE).await.unwrap();
    let mut r = BufReader::new(s);
    let head = read_head(&mut r).await;
    (r, head)
}

/// Writes `msg` and reads back as many bytes.
async fn echo(r: &mut BufReader<TcpStream>, msg: &[u8]) -> Vec<u8> {
    r.get_mut().write_all(msg).await.unwrap();
    let mut back = vec![0u8; msg.len()];
    tokio::time::timeout(SOON, r.read_exact(&mut back))
        .await
        .unwrap()
        .unwrap();
    back
}

#[tokio::test]
async fn a_websocket_upgrade_is_switched_and_bytes_flow_both_ways() {
    let h = Harness::new();
    let (backend, heads) = ws_backend().await;
    let proxy = h.apply(&[http_listener("ws", backend)]).await[0];
    let (mut client, head) = upgrade(proxy).await;
    assert!(head.starts_with("http/1.1 101 "), "{head}");
    assert!(head.contains("upgrade: websocket\r\n"), "{head}");
    assert_eq!(echo(&mut client, b"hello").await, b"hello");
    assert_eq!(echo(&mut client, b"and again").await, b"and again");
    let got = heads.lock().unwrap()[0].clone();
    assert!(got.starts_with("get /chat http/1.1\r\n"), "{got}");
    assert!(got.contains("upgrade: websocket\r\n"), "{got}");
    assert!(got.contains("connection: upgrade\r\n"), "{got}");
    assert!(got.contains("sec-websocket-key: "), "{got}");
    assert!(got.contains("x-forwarded-for: 127.0.0.1\r\n"), "{got}");
}

#[tokio::test]
async fn a_backend_that_declines_the_upgrade_is_answered_as_usual() {
    let h = Harness::new();
    let plain = Backend::start("127.0.0.1", "plain").await;
    let proxy = h.apply(&[http_listener("decline", plain.addr)]).await[0];
    let (mut client, head) = upgrade(proxy).await;
    assert!(head.starts_with("http/1.1 200 "), "{head}");
    let mut body = vec![0u8; 6];
    client.read_exact(&mut body).await.unwrap();
    assert_eq!(body, b"plain\n");
}

#[tokio::test]
async fn an_idle_tunnel_is_closed_after_the_idle_timeout() {
    let h = Harness::new();
    let (backend, _) = ws_backend().await;
    let mut l = http_listener("ws-idle", backend);
    l.http.idle_timeout = Duration::from_millis(500);
    let proxy = h.apply(&[l]).await[0];
    let (mut client, head) = upgrade(proxy).await;
    assert!(head.starts_with("http/1.1 101 "), "{head}");
    assert_eq!(echo(&mut client, b"ping").await, b"ping");
    let mut rest = Vec::new();
    let closed = tokio::time::timeout(SOON, client.read_to_end(&mut rest)).await;
    assert!(matches!(closed, Ok(Ok(0))), "{closed:?}");
}

#[tokio::test]
async fn removing_the_backend_without_draining_closes_its_tunnels() {
    let h = Harness::new();
    let (backend, _) = ws_backend().await;
    let proxy = h.apply(&[http_listener("ws-remove", backend)]).await[0];
    let (mut client, _) = upgrade(proxy).await;
    assert_eq!(echo(&mut client, b"ping").await, b"ping");
    let other = Backend::start("127.0.0.1", "other").await;
    h.apply(&[http_listener("ws-remove", other.addr)]).await;
    let mut rest = Vec::new();
    let closed = tokio::time::timeout(SOON, client.read_to_end(&mut rest)).await;
    assert!(matches!(closed, Ok(Ok(0))), "{closed:?}");
}

#[tokio::test]
async fn an_open_tunnel_keeps_its_descriptors_in_the_budget_until_it_closes() {
    let h = Harness::with_fd_budget(TCP_CONNECTION_FDS);
    let (backend, _) = ws_backend().await;
    let proxy = h.apply(&[http_listener("ws-fds", backend)]).await[0];
    let (mut client, head) = upgrade(proxy).await;
    assert!(head.starts_with("http/1.1 101 "), "{head}");
    assert_eq!(echo(&mut client, b"ping").await, b"ping");
    assert_eq!(
        h.metric("slb_dataplane_fds_in_use"),
        f64::from(TCP_CONNECTION_FDS)
    );

    // The budget is spent on the tunnel: a second client waits in the backlog.
    let mut second = TcpStream::connect(proxy).await.unwrap();
    second.write_all(UPGRADE).await.unwrap();
    let mut first_byte = [0u8; 1];
    let early = tokio::time::timeout(
        Duration::from_millis(300),
        second.read_exact(&mut first_byte),
    )
    .await;
    assert!(
        early.is_err(),
        "a second connection was served while the tunnel held the budget"
    );

    drop(client);
    tokio::time::timeout(SOON, second.read_exact(&mut first_byte))
        .await
        .expect("served once the tunnel closed")
        .unwrap();
    assert_eq!(&first_byte, b"H");
}
