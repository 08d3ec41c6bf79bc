//! Loopback benchmark of slb-dataplane's `http` and `https` listeners against HAProxy in HTTP
//! mode and, when installed, nginx as a reverse proxy — all three keep connections to the
//! backend alive.
//!
//! Run through `crates/dataplane/bench/http.sh` (installs HAProxy and nginx first) or
//! `cargo bench -p slb-dataplane --bench http`. One binary plays the orchestrator and load
//! generator (default), the backend (`backend ADDR`, hyper, a 64-byte answer) and the
//! slb-dataplane proxy (`proxy HTTP HTTPS BACKEND CERT_DIR`), each in its own process, and
//! `load keepalive|newconn|tls ADDR SECONDS` runs one figure against one address (to profile a
//! single proxy with `perf`). Figures,
//! each measured `ROUNDS` times per target with the targets interleaved (every value printed
//! on stderr), medians reported:
//! keep-alive requests/s over `CONNS` connections and their p50/p99 latency, requests/s with a
//! new connection per request, and HTTPS handshakes/s (a new TLS connection and one request
//! each). Every loop is bounded in time and count and talks to 127.0.0.0/8 only. This is not
//! a correctness test.
//!
//! `SLB_BENCH_ROUNDS=N` measures each figure N times per target (default 3);
//! `SLB_BENCH_BASELINE_BIN=PATH` adds a target `slb-baseline`: the proxy role of another
//! build of this bench (an earlier commit), measured in the same rounds;
//! `SLB_BENCH_CONNS=N` sets the concurrent client connections (default 16);
//! `SLB_BENCH_IO_THREADS=N` sets the data plane's I/O threads (default: one per CPU).
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::io::{BufRead, BufReader, Write};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Empty, Full};
use hyper::Request;
use hyper_util::rt::TokioIo;
use tokio::net::{TcpListener, TcpStream};
use tokio::time::Instant;

/// The tests' TLS helpers: the same accept-any client verifier.
#[path = "../tests/support/tls.rs"]
#[allow(dead_code)]
mod tls;

const RUN: Duration = Duration::from_millis(1500);
const ROUNDS: usize = 3;

/// Rounds per figure and target: `SLB_BENCH_ROUNDS`, else [`ROUNDS`].
fn rounds() -> usize {
    std::env::var("SLB_BENCH_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|&n| n > 0)
        .unwrap_or(ROUNDS)
}
const CONNS: usize = 16;

/// Concurrent client connections: `SLB_BENCH_CONNS`, else [`CONNS`].
fn conns() -> usize {
    std::env::var("SLB_BENCH_CONNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|&n| n > 0)
        .unwrap_or(CONNS)
}
/// Cap on new connections per measurement (keeps TIME_WAIT bounded).
const MAX_NEW: u64 = 60_000;
const BACKEND_IP: &str = "127.0.0.40";
const TARGET_IPS: [(&str, &str); 4] = [
    ("slb-dataplane", "127.0.0.41"),
    ("haproxy", "127.0.0.42"),
    ("nginx", "127.0.0.43"),
    ("slb-baseline", "127.0.0.44"),
];

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(if args.first().is_some_and(|a| a == "proxy") {
            1
        } else {
            2
        })
        .enable_all()
        .build()
        .unwrap();
    match args.first().map(String::as_str) {
        Some("backend") => rt.block_on(backend(args[1].parse().unwrap())),
        Some("proxy") => rt.block_on(proxy(&args[1..])),
        Some("load") => rt.block_on(load(&args[1..])),
        _ => rt.block_on(orchestrate()),
    }
}

// === roles ===

async fn backend(addr: SocketAddr) {
    let l = TcpListener::bind(addr).await.unwrap();
    println!("{}", l.local_addr().unwrap());
    std::io::stdout().flush().unwrap();
    loop {
        let (s, _) = l.accept().await.unwrap();
        let _ = s.set_nodelay(true);
        let svc = hyper::service::service_fn(|_req| async {
            Ok::<_, std::convert::Infallible>(hyper::Response::new(Full::new(Bytes::from_static(
                &[b'x'; 64],
            ))))
        });
        tokio::spawn(
            hyper::server::conn::http1::Builder::new().serve_connection(TokioIo::new(s), svc),
        );
    }
}

async fn proxy(args: &[String]) {
    use slb_dataplane::tls::{CertificatePem, TlsConfig};
    use slb_dataplane::{BackendConfig, DataPlane, DataPlaneConfig, ListenerConfig, Protocol};
    let (http, https): (SocketAddr, SocketAddr) =
        (args[0].parse().unwrap(), args[1].parse().unwrap());
    let backend = BackendConfig {
        addr: args[2].parse().unwrap(),
        weight: 100,
    };
    let dir = Path::new(&args[3]);
    let mut plain = ListenerConfig::new("http", Protocol::Http, http);
    plain.backends.push(backend);
    let mut tls = ListenerConfig::new("https", Protocol::Https, https);
    tls.backends.push(backend);
    tls.tls = Some(TlsConfig {
        default_certificate: CertificatePem {
            id: "bench".into(),
            chain_pem: std::fs::read_to_string(dir.join("cert.pem")).unwrap(),
            key_pem: std::fs::read_to_string(dir.join("key.pem")).unwrap(),
        },
        domain_certificates: Vec::new(),
        cipher_policy: Some("tls_cipher_policy_1_2_strict_with_1_3".into()),
        http2: false,
        client_ca_pem: None,
    });
    let mut registry = prometheus_client::registry::Registry::default();
    let mut options = slb_dataplane::Options::default();
    if let Some(n) = std::env::var("SLB_BENCH_IO_THREADS")
        .ok()
        .and_then(|v| v.parse().ok())
    {
        options.io_threads = n;
    }
    let dp = DataPlane::spawn_with_options(&mut registry, options);
    let status = dp
        .apply(DataPlaneConfig {
            listeners: vec![plain, tls],
        })
        .await
        .unwrap();
    println!("ready {:?}", status.listeners);
    std::io::stdout().flush().unwrap();
    std::future::pending::<()>().await;
}

/// `load FIGURE ADDR SECONDS`: one figure (`keepalive`, `newconn` or `tls`) against one
/// address for that long, printed as one line (for profiling a single proxy with `perf`).
async fn load(args: &[String]) {
    let addr: SocketAddr = args[1].parse().unwrap();
    let run = Duration::from_secs_f64(args.get(2).map_or(5.0, |s| s.parse().unwrap()));
    match args[0].as_str() {
        "keepalive" => {
            let (rate, p50, p99) = keepalive(addr, run).await;
            println!("keep-alive {rate:.0}/s p50 {p50:.0} µs p99 {p99:.0} µs");
        }
        "newconn" => println!("new-conn {:.0}/s", new_connections(addr, run).await),
        _ => println!("TLS handshakes {:.0}/s", handshakes(addr, run).await),
    }
}

// === peers ===

/// Kills the child processes this bench started, also when a measurement panics.
struct Children(Vec<Child>);

impl Drop for Children {
    fn drop(&mut self) {
        for c in &mut self.0 {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

fn spawn_self(args: &[&str]) -> (Child, String) {
    spawn_line(&std::env::current_exe().unwrap(), args)
}

/// Starts a proxy role (of this build or the baseline's) and waits for its ready line.
fn spawn(bin: &Path, args: &[String]) -> Child {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    spawn_line(bin, &args).0
}

fn spawn_line(bin: &Path, args: &[&str]) -> (Child, String) {
    let mut child = Command::new(bin)
        .args(args)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    (child, line.trim().to_owned())
}

fn find(names: &[&str]) -> Option<String> {
    names
        .iter()
        .find(|p| Path::new(p).exists())
        .map(|p| (*p).to_owned())
}

fn write_certs(dir: &Path) {
    let c = rcgen::generate_simple_self_signed(vec!["bench.test".to_owned()]).unwrap();
    let (cert, key) = (c.cert.pem(), c.signing_key.serialize_pem());
    std::fs::write(dir.join("cert.pem"), &cert).unwrap();
    std::fs::write(dir.join("key.pem"), &key).unwrap();
    std::fs::write(dir.join("combined.pem"), format!("{cert}{key}")).unwrap();
}

/// HAProxy in HTTP mode, two threads (one per CPU of the bench machine), backend connections
/// reused (`http-reuse always`), adding `X-Forwarded-For` as slb-dataplane always does
/// (`option forwardfor`), no logging.
fn start_haproxy(
    bin: &str,
    dir: &Path,
    http: SocketAddr,
    https: SocketAddr,
    backend: SocketAddr,
) -> Child {
    let cfg = format!(
        "global\n  maxconn 4000\n  nbthread 2\n\
         defaults\n  mode http\n  timeout connect 5s\n  timeout client 60s\n  timeout server 60s\n  \
         option http-keep-alive\n  http-reuse always\n  option forwardfor\n\
         frontend plain\n  bind {http}\n  default_backend b\n\
         frontend tls\n  bind {https} ssl crt {}\n  default_backend b\n\
         backend b\n  server b1 {backend}\n",
        dir.join("combined.pem").display()
    );
    let path = dir.join("haproxy.cfg");
    std::fs::write(&path, cfg).unwrap();
    Command::new(bin)
        .arg("-db")
        .arg("-f")
        .arg(&path)
        .stdout(Stdio::null())
        .spawn()
        .unwrap()
}

/// nginx, two workers, an upstream keepalive pool, adding `X-Forwarded-For`.
fn start_nginx(
    bin: &str,
    dir: &Path,
    http: SocketAddr,
    https: SocketAddr,
    backend: SocketAddr,
) -> Child {
    let d = dir.display();
    let location = "location / { proxy_pass http://b; proxy_http_version 1.1; proxy_set_header Connection \"\"; proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for; }";
    let cfg = format!(
        "daemon off;\nworker_processes 2;\npid {d}/nginx.pid;\nerror_log {d}/nginx.err;\n\
         events {{ worker_connections 4096; }}\n\
         http {{ access_log off;\n  client_body_temp_path {d}/body; proxy_temp_path {d}/proxy;\n  \
         upstream b {{ server {backend}; keepalive 64; }}\n  \
         server {{ listen {http}; {location} }}\n  \
         server {{ listen {https} ssl; ssl_certificate {d}/cert.pem; ssl_certificate_key {d}/key.pem; {location} }}\n}}\n"
    );
    let path = dir.join("nginx.conf");
    std::fs::write(&path, cfg).unwrap();
    Command::new(bin)
        .arg("-p")
        .arg(dir)
        .arg("-c")
        .arg(&path)
        .stdout(Stdio::null())
        .spawn()
        .unwrap()
}

async fn wait_listening(addr: SocketAddr) -> bool {
    let deadline = Instant::now() + Duration::from_secs(10);
    while TcpStream::connect(addr).await.is_err() {
        if Instant::now() > deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    true
}

fn free(ip: &str) -> SocketAddr {
    std::net::TcpListener::bind((ip, 0))
        .unwrap()
        .local_addr()
        .unwrap()
}

struct Target {
    name: &'static str,
    http: SocketAddr,
    https: SocketAddr,
}

async fn orchestrate() {
    let dir: PathBuf = std::env::temp_dir().join(format!("slb-bench-http-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    write_certs(&dir);
    let mut children = Children(Vec::new());
    let (b, line) = spawn_self(&["backend", &format!("{BACKEND_IP}:0")]);
    children.0.push(b);
    let backend: SocketAddr = line.parse().unwrap();
    let mut targets = Vec::new();
    for (name, ip) in TARGET_IPS {
        let (http, https) = (free(ip), free(ip));
        let proxy_args = [
            "proxy".to_owned(),
            http.to_string(),
            https.to_string(),
            backend.to_string(),
            dir.display().to_string(),
        ];
        let child = match name {
            "slb-dataplane" => Some(spawn(&std::env::current_exe().unwrap(), &proxy_args)),
            "slb-baseline" => match std::env::var_os("SLB_BENCH_BASELINE_BIN") {
                Some(bin) => Some(spawn(Path::new(&bin), &proxy_args)),
                None => continue,
            },
            "haproxy" => find(&["/usr/sbin/haproxy", "/usr/bin/haproxy"])
                .map(|bin| start_haproxy(&bin, &dir, http, https, backend)),
            _ => find(&["/usr/sbin/nginx", "/usr/bin/nginx"])
                .map(|bin| start_nginx(&bin, &dir, http, https, backend)),
        };
        let Some(child) = child else {
            eprintln!("{name} not installed: run bench/http.sh; its column is left out");
            continue;
        };
        children.0.push(child);
        if wait_listening(http).await && wait_listening(https).await {
            targets.push(Target { name, http, https });
        } else {
            eprintln!("{name} did not come up; left out");
        }
    }
    let results = measure(&targets).await;
    report(&targets, &results);
    drop(children);
    let _ = std::fs::remove_dir_all(&dir);
}

// === load ===

#[derive(Default, Clone)]
struct Figures {
    keepalive: f64,
    p50_us: f64,
    p99_us: f64,
    new_conn: f64,
    handshakes: f64,
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

async fn measure(targets: &[Target]) -> Vec<Figures> {
    let mut samples: Vec<Vec<[f64; 5]>> = vec![Vec::new(); targets.len()];
    let rounds = rounds();
    for round in 0..rounds {
        eprintln!("round {}/{rounds}", round + 1);
        for (i, t) in targets.iter().enumerate() {
            let (ka, p50, p99) = keepalive(t.http, RUN).await;
            let nc = new_connections(t.http, RUN).await;
            let hs = handshakes(t.https, RUN).await;
            eprintln!(
                "  {:<14} keep-alive {ka:.0}/s p50 {p50:.0} µs p99 {p99:.0} µs new-conn {nc:.0}/s TLS {hs:.0}/s",
                t.name
            );
            samples[i].push([ka, p50, p99, nc, hs]);
        }
    }
    samples
        .into_iter()
        .map(|s| {
            let col = |k: usize| median(s.iter().map(|x| x[k]).collect());
            Figures {
                keepalive: col(0),
                p50_us: col(1),
                p99_us: col(2),
                new_conn: col(3),
                handshakes: col(4),
            }
        })
        .collect()
}

type Sender = hyper::client::conn::http1::SendRequest<Empty<Bytes>>;

async fn open(addr: SocketAddr) -> Option<Sender> {
    let s = TcpStream::connect(addr).await.ok()?;
    let _ = s.set_nodelay(true);
    let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(s))
        .await
        .ok()?;
    tokio::spawn(conn);
    Some(sender)
}

async fn one(sender: &mut Sender, close: bool) -> bool {
    let mut req = Request::get("/").header("host", "bench.test");
    if close {
        req = req.header("connection", "close");
    }
    let Ok(resp) = sender.send_request(req.body(Empty::new()).unwrap()).await else {
        return false;
    };
    // Only a 200 counts: a proxy's own error answer is not a forwarded request.
    resp.status() == 200 && resp.into_body().collect().await.is_ok()
}

/// Requests/s over `CONNS` kept-alive connections, and the p50/p99 latency in µs.
async fn keepalive(addr: SocketAddr, run: Duration) -> (f64, f64, f64) {
    let start = Instant::now();
    let deadline = start + run;
    let tasks: Vec<_> = (0..conns())
        .map(|_| {
            tokio::spawn(async move {
                let mut lat = Vec::new();
                let mut conn = None;
                while Instant::now() < deadline {
                    // A peer may close a kept-alive connection after N requests (nginx's
                    // keepalive_requests): reconnect and go on.
                    let s = match conn.as_mut() {
                        Some(s) => s,
                        None => match open(addr).await {
                            Some(s) => conn.insert(s),
                            None => continue,
                        },
                    };
                    if s.ready().await.is_err() {
                        conn = None;
                        continue;
                    }
                    let t = Instant::now();
                    if one(s, false).await {
                        lat.push(t.elapsed().as_micros() as f64);
                    } else {
                        conn = None;
                    }
                }
                lat
            })
        })
        .collect();
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.unwrap());
    }
    let rate = all.len() as f64 / start.elapsed().as_secs_f64();
    all.sort_by(f64::total_cmp);
    let pct = |p: f64| {
        all.get(((all.len() as f64 * p) as usize).min(all.len().saturating_sub(1)))
            .copied()
            .unwrap_or(0.0)
    };
    (rate, pct(0.5), pct(0.99))
}

/// Requests/s with a new TCP connection per request.
async fn new_connections(addr: SocketAddr, run: Duration) -> f64 {
    let start = Instant::now();
    let deadline = start + run;
    let count = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let tasks: Vec<_> = (0..conns())
        .map(|_| {
            let count = Arc::clone(&count);
            tokio::spawn(async move {
                while Instant::now() < deadline
                    && count.load(std::sync::atomic::Ordering::Relaxed) < MAX_NEW
                {
                    let Some(mut s) = open(addr).await else {
                        continue;
                    };
                    if one(&mut s, true).await {
                        count.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    }
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
    // Over the time it really took: a fast peer reaches `MAX_NEW` before the deadline.
    count.load(std::sync::atomic::Ordering::Relaxed) as f64 / start.elapsed().as_secs_f64()
}

/// New TLS connections (full handshake, one request each) per second.
async fn handshakes(addr: SocketAddr, run: Duration) -> f64 {
    let config = Arc::new(tls_client());
    let start = Instant::now();
    let deadline = start + run;
    let count = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let tasks: Vec<_> = (0..conns())
        .map(|_| {
            let (count, config) = (Arc::clone(&count), Arc::clone(&config));
            tokio::spawn(async move {
                while Instant::now() < deadline
                    && count.load(std::sync::atomic::Ordering::Relaxed) < MAX_NEW
                {
                    if tls_request(addr, &config).await {
                        count.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    }
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
    // Over the time it really took: a fast peer reaches `MAX_NEW` before the deadline.
    count.load(std::sync::atomic::Ordering::Relaxed) as f64 / start.elapsed().as_secs_f64()
}

async fn tls_request(addr: SocketAddr, config: &Arc<rustls::ClientConfig>) -> bool {
    let Ok(tcp) = TcpStream::connect(addr).await else {
        return false;
    };
    let name = rustls::pki_types::ServerName::try_from("bench.test").unwrap();
    let Ok(tls) = tokio_rustls::TlsConnector::from(Arc::clone(config))
        .connect(name, tcp)
        .await
    else {
        return false;
    };
    let Ok((mut sender, conn)) = hyper::client::conn::http1::handshake(TokioIo::new(tls)).await
    else {
        return false;
    };
    tokio::spawn(conn);
    one(&mut sender, true).await
}

/// A client that trusts any certificate (the peers use the same self-signed one) and resumes
/// no sessions, so every connection is a full handshake.
fn tls_client() -> rustls::ClientConfig {
    let mut c = tls::accept_any_builder().with_no_client_auth();
    c.resumption = rustls::client::Resumption::disabled();
    c
}

fn report(targets: &[Target], results: &[Figures]) {
    println!(
        "\nHTTP proxies on loopback, medians of {} rounds of {RUN:?}, {} client connections",
        rounds(),
        conns()
    );
    println!(
        "{:<14} {:>12} {:>9} {:>9} {:>12} {:>12}",
        "target", "keep-alive/s", "p50 µs", "p99 µs", "new-conn/s", "TLS hs/s"
    );
    for (t, f) in targets.iter().zip(results) {
        println!(
            "{:<14} {:>12.0} {:>9.0} {:>9.0} {:>12.0} {:>12.0}",
            t.name, f.keepalive, f.p50_us, f.p99_us, f.new_conn, f.handshakes
        );
    }
    let Some(slb) = results.first() else { return };
    for (t, f) in targets.iter().zip(results).skip(1) {
        println!(
            "slb/{:<10} {:>12.2} {:>9.2} {:>9.2} {:>12.2} {:>12.2}   (latency: lower is better)",
            t.name,
            slb.keepalive / f.keepalive,
            slb.p50_us / f.p50_us,
            slb.p99_us / f.p99_us,
            slb.new_conn / f.new_conn,
            slb.handshakes / f.handshakes
        );
    }
}
