//! `slb-ccm local serve` forwards IPv6: an `AddressIPVersion=ipv6` CLB gets `::1` from the
//! default IPv6 pool and its TCP listener carries connections on `[::1]:port` to an IPv4
//! backend (as on CLB, an IPv6 CLB's backends are ordinary IPv4 members). A pool whose
//! addresses are not on this host is named at start-up with the fix, never silently used.
#![cfg(unix)]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use slb_openapi::clb::{CreateLoadBalancerRequest, CreateTcpListenerRequest, StartListenerRequest};
use slb_openapi::types::AddressIpVersion;
use slb_openapi::{Clb, HttpClient};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

mod local_serve_support;
use local_serve_support::{ServeArgs, command, internet_lb, lb_with_group, start};

const ID: &str = "ipv6-id";
const SECRET: &str = "ipv6-secret";

/// The server's flags: state in `dir`, `config` as its config file.
fn serve(dir: &Path, config: &str) -> ServeArgs {
    ServeArgs::new(ID, SECRET)
        .state(dir.join("state.db"))
        .config_text(dir, config)
}

/// A backend on 127.0.0.41 answering `v4-backend`; its port.
async fn backend() -> u16 {
    let listener = TcpListener::bind("127.0.0.41:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((mut conn, _)) = listener.accept().await {
            let _ = conn.write_all(b"v4-backend").await;
            let _ = conn.shutdown().await;
        }
    });
    port
}

/// An IPv6 CLB with a running TCP listener on `port` over instance `i-a`; its VIP.
async fn configure(api: &HttpClient, port: u16, node_port: u16) -> String {
    let (lb, group) = lb_with_group(
        api,
        &CreateLoadBalancerRequest {
            address_ip_version: Some(AddressIpVersion::Ipv6),
            ..internet_lb()
        },
        "v6",
        &[("i-a", 100)],
        node_port,
    )
    .await;
    let id = lb.load_balancer_id.clone();
    api.create_tcp_listener(&CreateTcpListenerRequest {
        load_balancer_id: id.clone(),
        listener_port: port,
        vserver_group_id: Some(group),
        bandwidth: -1,
        ..Default::default()
    })
    .await
    .unwrap();
    api.start_listener(&StartListenerRequest {
        load_balancer_id: id,
        listener_port: port,
        ..Default::default()
    })
    .await
    .unwrap();
    lb.address
}

async fn read_from(addr: SocketAddr) -> Option<String> {
    let mut conn = TcpStream::connect(addr).await.ok()?;
    let mut got = String::new();
    conn.read_to_string(&mut got).await.ok()?;
    Some(got)
}

#[tokio::test]
async fn an_ipv6_clb_forwards_connections_on_the_ipv6_loopback() {
    let dir = tempfile::tempdir().unwrap();
    let node_port = backend().await;
    let config = "instances:\n  - { InstanceId: i-a, PrivateIpAddress: 127.0.0.41 }\n";
    let server = start(serve(dir.path(), config)).await;
    let port = std::net::TcpListener::bind("[::1]:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let vip = configure(&server.client(), port, node_port).await;
    assert_eq!(vip, "::1");
    let target = SocketAddr::new(vip.parse().unwrap(), port);
    for _ in 0..100 {
        if let Some(got) = read_from(target).await {
            assert_eq!(got, "v4-backend");
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("nothing forwards on {target}");
}

#[tokio::test]
async fn an_ipv6_pool_not_on_this_host_is_named_at_start_up() {
    let dir = tempfile::tempdir().unwrap();
    let mut args = serve(dir.path(), "ipv6_vip_pool: \"fd00:5b1c:e3::/120\"\n");
    args.keep_stderr = true;
    let mut child = command(&args).spawn().unwrap();
    let mut err = BufReader::new(child.stderr.take().unwrap()).lines();
    let mut seen = Vec::new();
    while let Ok(Ok(Some(line))) =
        tokio::time::timeout(Duration::from_secs(20), err.next_line()).await
    {
        if line.contains("fd00:5b1c:e3::1 is not an address of this host") {
            assert!(line.contains("ip -6 addr add"), "names the fix: {line}");
            return;
        }
        seen.push(line);
    }
    panic!("no start-up warning about the pool: {seen:?}");
}
