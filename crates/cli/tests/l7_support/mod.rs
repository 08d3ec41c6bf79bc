//! End-to-end tests of listener annotations on real traffic: a Service's annotations go
//! through `slb-ccm apply` (the controller's `Cloud::sync`) to a running `slb-ccm local serve`
//! over its signed API, exactly as the controller would send them, and the test then talks to
//! the VIP it got. This module starts the "nodes" (recording HTTP backends sharing one
//! NodePort on several loopback IPs), writes the Nodes + Service (+ EndpointSlice) manifest,
//! runs `apply`, and waits until the listeners accept.
//!
//! The nodes answer by path: `/slow` after 2 s, `/healthz` with the node's health status
//! (200 unless a test changes it; 0: after 3 s, with 200) and record it as a [`Probe`], `/set-cookie` with `Set-Cookie: sid=abc`, `/page.html` a
//! compressible HTML page, a WebSocket upgrade with `101` then an echo, anything else `200`
//! with the node's name and the request head it received (lower case). It does not create
//! certificates or ACLs (the tests do, through the signed API, before `apply`).
#![allow(dead_code)]

/// The dataplane tests' TLS client (accept-any verifier, ALPN, client certificates).
#[path = "../../../dataplane/tests/support/tls.rs"]
pub mod tls;

use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicU16, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::time::Instant;

use super::local_serve_support::{LocalServe, ServeArgs, read_head, start, wait_until_listening};

/// The annotation prefix of the table (keys without a `/` get it).
pub const PREFIX: &str = "service.beta.kubernetes.io/alibaba-cloud-loadbalancer-";
/// Credentials of every server started here.
pub const ID: &str = "l7-id";
pub const SECRET: &str = "l7-secret";

/// One "node": what it saw and how its health URI answers.
pub struct Node {
    /// Kubernetes node name (`node-a`, …); its ECS instance is `i-local-<name>`.
    pub name: String,
    /// InternalIP.
    pub ip: IpAddr,
    /// Requests answered, health probes excluded.
    pub hits: AtomicUsize,
    /// Every request head received, probes included (lower case).
    pub heads: Mutex<Vec<String>>,
    /// Status of `/healthz` answers (0: answer 200 after 3 s).
    pub health: AtomicU16,
    /// Every `/healthz` request, in arrival order.
    pub probes: Mutex<Vec<Probe>>,
}

/// One health probe a node received.
#[derive(Debug, Clone)]
pub struct Probe {
    /// The node port it came to.
    pub port: u16,
    /// When it arrived.
    pub at: Instant,
    /// The status the node answered.
    pub status: u16,
    /// Its request head (lower case).
    pub head: String,
}

impl Node {
    /// Heads received whose request line starts with `prefix` (e.g. `"get /healthz"`).
    pub fn heads_starting(&self, prefix: &str) -> Vec<String> {
        let heads = self.heads.lock().unwrap();
        heads
            .iter()
            .filter(|h| h.starts_with(prefix))
            .cloned()
            .collect()
    }

    pub fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }

    /// The probes received so far.
    pub fn probes(&self) -> Vec<Probe> {
        self.probes.lock().unwrap().clone()
    }

    /// Probes received after `since` that were answered `status`.
    pub fn probes_since(&self, since: Instant, status: u16) -> usize {
        self.probes()
            .iter()
            .filter(|p| p.at >= since && p.status == status)
            .count()
    }
}

/// Nodes listening on the same ports (one per Service port) on their own IPs.
pub struct Nodes {
    pub nodes: Vec<Arc<Node>>,
    /// The NodePorts, in Service port order.
    pub ports: Vec<u16>,
}

impl Nodes {
    /// Nodes `node-a`, `node-b`, … at `ips`, each serving `ports` NodePorts.
    pub async fn start(ips: &[&str], ports: usize) -> Nodes {
        let nodes: Vec<Arc<Node>> = ips
            .iter()
            .zip('a'..)
            .map(|(ip, letter)| {
                Arc::new(Node {
                    name: format!("node-{letter}"),
                    ip: ip.parse().unwrap(),
                    hits: AtomicUsize::new(0),
                    heads: Mutex::default(),
                    health: AtomicU16::new(200),
                    probes: Mutex::default(),
                })
            })
            .collect();
        let mut node_ports = Vec::new();
        for _ in 0..ports {
            let first = TcpListener::bind((nodes[0].ip, 0)).await.unwrap();
            let port = first.local_addr().unwrap().port();
            spawn_node(first, Arc::clone(&nodes[0]));
            for node in &nodes[1..] {
                let l = TcpListener::bind((node.ip, port)).await.unwrap();
                spawn_node(l, Arc::clone(node));
            }
            node_ports.push(port);
        }
        Nodes {
            nodes,
            ports: node_ports,
        }
    }

    /// The node named `name`.
    pub fn get(&self, name: &str) -> &Node {
        self.nodes.iter().find(|n| n.name == name).unwrap()
    }
}

fn spawn_node(listener: TcpListener, node: Arc<Node>) {
    tokio::spawn(async move {
        while let Ok((conn, _)) = listener.accept().await {
            tokio::spawn(answer_all(conn, Arc::clone(&node)));
        }
    });
}

async fn answer_all(conn: TcpStream, node: Arc<Node>) {
    let port = conn.local_addr().map_or(0, |a| a.port());
    let mut reader = BufReader::new(conn);
    while let Some(head) = read_head(&mut reader).await {
        node.heads.lock().unwrap().push(head.clone());
        if head.contains("upgrade: websocket\r\n") {
            node.hits.fetch_add(1, Ordering::SeqCst);
            return echo_after_upgrade(reader, &node.name).await;
        }
        let resp = answer(&node, &head, port).await;
        if reader.get_mut().write_all(resp.as_bytes()).await.is_err() {
            return;
        }
    }
}

/// The node's answer to one request head (see the module docs).
async fn answer(node: &Node, head: &str, port: u16) -> String {
    let path = head.split(' ').nth(1).unwrap_or("/");
    if path.starts_with("/healthz") {
        let at = Instant::now();
        let mut status = node.health.load(Ordering::SeqCst);
        if status == 0 {
            tokio::time::sleep(Duration::from_secs(3)).await;
            status = 200;
        }
        let head = head.to_owned();
        let probe = Probe {
            port,
            at,
            status,
            head,
        };
        node.probes.lock().unwrap().push(probe);
        return format!("HTTP/1.1 {status} Status\r\ncontent-length: 0\r\n\r\n");
    }
    node.hits.fetch_add(1, Ordering::SeqCst);
    let (extra, body) = match path {
        "/slow" => {
            tokio::time::sleep(Duration::from_secs(2)).await;
            (String::new(), format!("{}\n", node.name))
        }
        "/set-cookie" => (
            "set-cookie: sid=abc; Path=/\r\n".to_owned(),
            format!("{}\n", node.name),
        ),
        "/page.html" => (
            "content-type: text/html\r\n".to_owned(),
            "<p>the same words again and again</p>\n".repeat(100),
        ),
        _ => (String::new(), format!("{}\n{head}", node.name)),
    };
    format!(
        "HTTP/1.1 200 OK\r\n{extra}content-length: {}\r\n\r\n{body}",
        body.len()
    )
}

/// Answers a WebSocket upgrade with `101` and then echoes every byte, prefixed once with
/// the node's name and a newline.
async fn echo_after_upgrade(mut reader: BufReader<TcpStream>, name: &str) {
    let accept = "HTTP/1.1 101 Switching Protocols\r\nupgrade: websocket\r\n\
                  connection: Upgrade\r\nsec-websocket-accept: test\r\n\r\n";
    let greeting = format!("{accept}{name}\n");
    if reader
        .get_mut()
        .write_all(greeting.as_bytes())
        .await
        .is_err()
    {
        return;
    }
    let mut buf = [0u8; 4096];
    loop {
        match reader.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => {
                if reader.get_mut().write_all(&buf[..n]).await.is_err() {
                    return;
                }
            }
        }
    }
}

/// A `local serve` with internet VIPs from `vip_pool` (each test its own pool: listeners of
/// parallel tests must not share an address).
pub async fn serve(vip_pool: &str) -> LocalServe {
    start(ServeArgs::new(ID, SECRET).flag("--vip-pool", vip_pool)).await
}

/// The Service `default/web` as the test wants it.
pub struct Service<'a> {
    /// Annotations by key (prefixed unless the key holds a `/`).
    pub annotations: &'a [(&'a str, &'a str)],
    /// Service ports, each on the NodePort of the same index in [`Nodes::ports`].
    pub ports: &'a [u16],
    /// `Local` traffic policy with this many ready pods per node name; `Cluster` when `None`.
    pub local_pods: Option<&'a [(&'a str, usize)]>,
    /// The ports' protocol: `TCP` (also for HTTP and HTTPS listeners) or `UDP`.
    pub protocol: &'a str,
}

impl<'a> Service<'a> {
    /// A `Cluster` Service on `ports` with `annotations`.
    pub fn new(ports: &'a [u16], annotations: &'a [(&'a str, &'a str)]) -> Self {
        Self {
            annotations,
            ports,
            local_pods: None,
            protocol: "TCP",
        }
    }
}

/// The Nodes, the Service and (Local policy) its EndpointSlice as one `kind: List`.
pub fn manifest(nodes: &Nodes, svc: &Service<'_>) -> Value {
    let mut items: Vec<Value> = nodes.nodes.iter().map(|n| node_doc(n)).collect();
    let annotations: serde_json::Map<String, Value> = svc
        .annotations
        .iter()
        .map(|(k, v)| {
            let key = if k.contains('/') {
                (*k).to_owned()
            } else {
                format!("{PREFIX}{k}")
            };
            (key, json!(v))
        })
        .collect();
    let ports: Vec<Value> = svc
        .ports
        .iter()
        .zip(&nodes.ports)
        .map(|(port, node_port)| {
            json!({ "name": format!("p{port}"), "protocol": svc.protocol, "port": port,
                    "targetPort": 8080, "nodePort": node_port })
        })
        .collect();
    let policy = if svc.local_pods.is_some() {
        "Local"
    } else {
        "Cluster"
    };
    items.push(json!({
        "apiVersion": "v1", "kind": "Service",
        "metadata": { "name": "web", "namespace": "default",
                      "uid": "7e1d2c3b-4a59-4687-9a0b-1c2d3e4f5a6b", "annotations": annotations },
        "spec": { "type": "LoadBalancer", "externalTrafficPolicy": policy,
                  "selector": { "app": "web" }, "ports": ports },
    }));
    if let Some(pods) = svc.local_pods {
        items.push(endpoint_slice(svc, pods));
    }
    json!({ "apiVersion": "v1", "kind": "List", "items": items })
}

fn node_doc(n: &Node) -> Value {
    json!({
        "apiVersion": "v1", "kind": "Node",
        "metadata": { "name": n.name, "labels": { "kubernetes.io/hostname": n.name } },
        "status": {
            "addresses": [{ "type": "InternalIP", "address": n.ip.to_string() }],
            "conditions": [{ "type": "Ready", "status": "True" }],
        },
    })
}

fn endpoint_slice(svc: &Service<'_>, pods: &[(&str, usize)]) -> Value {
    let mut endpoints = Vec::new();
    let mut next = 1;
    for (node, count) in pods {
        for _ in 0..*count {
            endpoints.push(json!({
                "addresses": [format!("10.244.0.{next}")],
                "conditions": { "ready": true, "serving": true, "terminating": false },
                "nodeName": node,
            }));
            next += 1;
        }
    }
    let ports: Vec<Value> = svc
        .ports
        .iter()
        .map(|p| json!({ "name": format!("p{p}"), "protocol": svc.protocol, "port": 8080 }))
        .collect();
    json!({
        "apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
        "metadata": { "name": "web-x1", "namespace": "default",
                      "labels": { "kubernetes.io/service-name": "web" } },
        "addressType": "IPv4", "ports": ports, "endpoints": endpoints,
    })
}

/// Runs `slb-ccm apply --register-nodes` for the manifest against `server`, waits until
/// every Service port accepts on the VIP, and returns the VIP. Panics with apply's output
/// when it fails.
pub async fn apply(server: &LocalServe, nodes: &Nodes, svc: &Service<'_>) -> IpAddr {
    apply_lb(server, nodes, svc).await.0
}

/// [`apply`], returning the CLB's id too.
pub async fn apply_lb(server: &LocalServe, nodes: &Nodes, svc: &Service<'_>) -> (IpAddr, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("web.json");
    std::fs::write(&path, manifest(nodes, svc).to_string()).unwrap();
    let endpoint = format!("http://{}", server.addr);
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_slb-ccm"))
        .args([
            "apply",
            "-o",
            "json",
            "--register-nodes",
            "--endpoint",
            &endpoint,
        ])
        .args(["--access-key-id", ID, "--access-key-secret", SECRET])
        .arg("-f")
        .arg(&path)
        .output()
        .await
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "apply failed:\n{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: Value = serde_json::from_str(&text).unwrap();
    let service = &doc["services"][0];
    let vip: IpAddr = service["address"]
        .as_str()
        .unwrap_or_else(|| panic!("no address in {doc:#}"))
        .parse()
        .unwrap();
    if svc.protocol == "TCP" {
        for port in svc.ports {
            wait_until_listening(SocketAddr::new(vip, *port)).await;
        }
    }
    let id = service["load_balancer_id"].as_str().unwrap().to_owned();
    (vip, id)
}

/// Sends `request` on a new connection (from `127.0.0.1`) and reads until the proxy closes
/// or 5 s pass.
pub async fn raw_exchange(to: SocketAddr, request: &[u8]) -> String {
    let mut conn = TcpStream::connect(to).await.unwrap();
    conn.write_all(request).await.unwrap();
    let mut out = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(5), conn.read_to_end(&mut out)).await;
    String::from_utf8_lossy(&out).into_owned()
}

/// The text of a GET to `url` (a plain client, no redirects followed).
pub async fn get_text(url: &str) -> (u16, String) {
    let resp = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(url)
        .send()
        .await
        .unwrap();
    (resp.status().as_u16(), resp.text().await.unwrap())
}
