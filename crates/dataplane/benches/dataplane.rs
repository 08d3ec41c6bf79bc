//! Loopback benchmark of slb-dataplane against a direct connection and HAProxy in TCP mode
//! (as shipped, and with `option splice-auto`).
//!
//! Run through `crates/dataplane/bench/dataplane.sh` (installs HAProxy first) or
//! `cargo bench -p slb-dataplane --bench dataplane`. One binary plays three roles: the
//! orchestrator and load generator (default), the backend (`backend ADDR`) and the
//! slb-dataplane proxy (`proxy LISTEN BACKEND`), each in its own process, like HAProxy.
//! Targets are measured interleaved, round by round, and medians reported, because the
//! machine is shared. `load ADDR conns|latency|stream` runs one figure (for profiling).
//! Every load loop is bounded in time and count and talks to 127.0.0.0/8 only. This is not
//! a correctness test.
//!
//! `SLB_BENCH_ROUNDS=N` measures each figure N times per target (default 3);
//! `SLB_BENCH_BASELINE_BIN=PATH` adds a target `slb-baseline`: the proxy role of another
//! build of this bench (say, the previous commit's), measured interleaved with the others.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::io::{BufRead, BufReader, Write};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::time::Instant;

/// Length of each measurement.
const RUN: Duration = Duration::from_millis(1500);
/// Each figure is measured this many times per target, targets interleaved round by round,
/// and the median is reported: the machine is shared, so contention must hit all alike.
const ROUNDS: usize = 3;
/// Address of the baseline build's proxy (`SLB_BENCH_BASELINE_BIN`).
const BASELINE_IP: &str = "127.0.0.24";
/// Hard cap on new connections per measurement (keeps TIME_WAIT bounded).
const MAX_CONNS: u64 = 200_000;
/// Concurrent connectors in the connection-rate test.
const CONNECTORS: usize = 16;
/// Concurrent ping-pong connections in the latency test.
const PINGERS: usize = 4;
/// Size of one small request and response.
const SMALL: usize = 64;
/// Read/write chunk of the throughput test.
const CHUNK: usize = 256 * 1024;

const BACKEND: &str = "127.0.0.20:0";
const HAPROXY_IP: &str = "127.0.0.21";
const SLB_IP: &str = "127.0.0.22";
const HAPROXY_SPLICE_IP: &str = "127.0.0.23";

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    // The proxy role's traffic runs on the data plane's own I/O threads; its control loop
    // needs no more than one thread.
    let rt = if args.first().is_some_and(|a| a == "proxy") {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
    } else {
        tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .unwrap()
    };
    match args.first().map(String::as_str) {
        Some("backend") => rt.block_on(backend(args[1].parse().unwrap())),
        Some("proxy") => rt.block_on(proxy(args[1].parse().unwrap(), args[2].parse().unwrap())),
        // One figure against one address, for profiling: `load ADDR conns|latency|stream`.
        Some("load") => rt.block_on(async {
            let addr: SocketAddr = args[1].parse().unwrap();
            match args.get(2).map(String::as_str) {
                Some("conns") => println!("{:.0} conn/s", conn_rate(addr).await),
                Some("latency") => println!("{:?} us (p50, p99)", latency(addr).await),
                _ => println!("{:.2} Gbit/s", throughput(addr, 1).await),
            }
        }),
        _ => rt.block_on(orchestrate()),
    }
}

// === roles ===

/// First byte selects the mode: `S` stream forever, `E` echo, `C` one byte then wait for EOF.
async fn backend(addr: SocketAddr) {
    let l = TcpListener::bind(addr).await.unwrap();
    println!("ready {}", l.local_addr().unwrap());
    std::io::stdout().flush().unwrap();
    loop {
        let (mut s, _) = l.accept().await.unwrap();
        s.set_nodelay(true).unwrap();
        tokio::spawn(async move {
            let mut mode = [0u8; 1];
            if s.read_exact(&mut mode).await.is_err() {
                return;
            }
            match mode[0] {
                b'S' => {
                    let buf = vec![0x5au8; CHUNK];
                    while s.write_all(&buf).await.is_ok() {}
                }
                b'E' => {
                    let mut buf = vec![0u8; SMALL];
                    while s.read_exact(&mut buf).await.is_ok() {
                        if s.write_all(&buf).await.is_err() {
                            break;
                        }
                    }
                }
                _ => {
                    let _ = s.write_all(b"k").await;
                    let mut sink = [0u8; 16];
                    while matches!(s.read(&mut sink).await, Ok(n) if n > 0) {}
                }
            }
        });
    }
}

async fn proxy(listen: SocketAddr, backend: SocketAddr) {
    use slb_dataplane::{BackendConfig, DataPlane, DataPlaneConfig, ListenerConfig, Protocol};
    let mut registry = prometheus_client::registry::Registry::default();
    let dp = DataPlane::spawn(&mut registry);
    let mut l = ListenerConfig::new("bench", Protocol::Tcp, listen);
    l.backends.push(BackendConfig {
        addr: backend,
        weight: 100,
    });
    let status = dp
        .apply(DataPlaneConfig { listeners: vec![l] })
        .await
        .unwrap();
    println!("ready {:?}", status.listeners["bench"]);
    std::io::stdout().flush().unwrap();
    std::future::pending::<()>().await;
}

// === orchestration ===

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

struct Target {
    name: &'static str,
    addr: SocketAddr,
    pid: Option<u32>,
}

#[derive(Default, Clone, Copy)]
struct Figures {
    gbit_1: f64,
    gbit_8: f64,
    conns: f64,
    p50_us: f64,
    p99_us: f64,
    cpu: [f64; 4],
}

/// Rounds per figure and target: `SLB_BENCH_ROUNDS`, else [`ROUNDS`].
fn rounds() -> usize {
    std::env::var("SLB_BENCH_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|&n| n > 0)
        .unwrap_or(ROUNDS)
}

fn spawn_self(args: &[&str]) -> (Child, String) {
    spawn_bin(&std::env::current_exe().unwrap(), args)
}

/// Starts `bin` with `args` and waits for its first line (`ready ...`).
fn spawn_bin(bin: &std::path::Path, args: &[&str]) -> (Child, String) {
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

fn free_port(ip: &str) -> SocketAddr {
    std::net::TcpListener::bind((ip, 0))
        .unwrap()
        .local_addr()
        .unwrap()
}

fn haproxy_bin() -> Option<String> {
    [
        "/usr/sbin/haproxy",
        "/usr/bin/haproxy",
        "/usr/local/sbin/haproxy",
    ]
    .into_iter()
    .find(|p| std::path::Path::new(p).exists())
    .map(str::to_owned)
}

async fn wait_listening(addr: SocketAddr) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while TcpStream::connect(addr).await.is_err() {
        assert!(Instant::now() < deadline, "{addr} never came up");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// HAProxy in TCP mode with two threads (one per core); `splice` adds `option splice-auto`
/// (kernel splicing, off by default in HAProxy) for a second, zero-copy reference point.
fn start_haproxy(bin: &str, listen: SocketAddr, backend: SocketAddr, splice: bool) -> Child {
    let extra = if splice { "  option splice-auto\n" } else { "" };
    let cfg = format!(
        "global\n  maxconn 4000\n  nbthread 2\n\
         defaults\n  mode tcp\n  timeout connect 5s\n  timeout client 60s\n  timeout server 60s\n\
         {extra}listen bench\n  bind {listen}\n  server b1 {backend}\n"
    );
    let path = std::env::temp_dir().join(format!(
        "slb-bench-haproxy-{}-{splice}.cfg",
        std::process::id()
    ));
    std::fs::write(&path, cfg).unwrap();
    Command::new(bin)
        .arg("-db")
        .arg("-f")
        .arg(&path)
        .stdout(Stdio::null())
        .spawn()
        .unwrap()
}

async fn orchestrate() {
    let mut children = Children(Vec::new());
    let (backend_proc, line) = spawn_self(&["backend", BACKEND]);
    children.0.push(backend_proc);
    let backend: SocketAddr = line.trim_start_matches("ready ").parse().unwrap();
    let mut targets = vec![Target {
        name: "direct",
        addr: backend,
        pid: None,
    }];
    if let Some(bin) = haproxy_bin() {
        for (name, ip, splice) in [
            ("haproxy", HAPROXY_IP, false),
            ("haproxy+splice", HAPROXY_SPLICE_IP, true),
        ] {
            let addr = free_port(ip);
            let child = start_haproxy(&bin, addr, backend, splice);
            let pid = Some(child.id());
            targets.push(Target { name, addr, pid });
            children.0.push(child);
        }
    } else {
        eprintln!("haproxy not found: run bench/dataplane.sh to install it; ratios will be n/a");
    }
    let slb_addr = free_port(SLB_IP);
    let (slb, ready) = spawn_self(&["proxy", &slb_addr.to_string(), &backend.to_string()]);
    eprintln!("slb-dataplane {ready}");
    targets.push(Target {
        name: "slb-dataplane",
        addr: slb_addr,
        pid: Some(slb.id()),
    });
    children.0.push(slb);
    if let Ok(bin) = std::env::var("SLB_BENCH_BASELINE_BIN") {
        let addr = free_port(BASELINE_IP);
        let (child, ready) = spawn_bin(
            std::path::Path::new(&bin),
            &["proxy", &addr.to_string(), &backend.to_string()],
        );
        eprintln!("slb-baseline ({bin}) {ready}");
        let pid = Some(child.id());
        targets.push(Target {
            name: "slb-baseline",
            addr,
            pid,
        });
        children.0.push(child);
    }

    for t in &targets {
        wait_listening(t.addr).await;
    }
    let figures = measure_all(&targets).await;
    let results: Vec<(&str, Figures)> = targets.iter().map(|t| t.name).zip(figures).collect();
    report(&results);
    drop(children);
}

/// User+system CPU seconds of a process, from /proc.
fn cpu_seconds(pid: Option<u32>) -> f64 {
    let Some(pid) = pid else { return 0.0 };
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return 0.0;
    };
    let after_comm = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<&str> = after_comm.split_whitespace().collect();
    let ticks: f64 = f.get(11).and_then(|v| v.parse().ok()).unwrap_or(0.0)
        + f.get(12).and_then(|v| v.parse().ok()).unwrap_or(0.0);
    ticks / 100.0
}

/// Figure `which` (0 1-stream Gbit/s, 1 8-stream Gbit/s, 2 conn/s, 3 latency) once:
/// the values (latency gives p50 and p99) and the proxy's CPU seconds meanwhile.
async fn measure_once(t: &Target, which: usize) -> (Vec<f64>, f64) {
    let c0 = cpu_seconds(t.pid);
    let values = match which {
        0 => vec![throughput(t.addr, 1).await],
        1 => vec![throughput(t.addr, 8).await],
        2 => vec![conn_rate(t.addr).await],
        _ => {
            let (p50, p99) = latency(t.addr).await;
            vec![p50, p99]
        }
    };
    (values, cpu_seconds(t.pid) - c0)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied().unwrap_or(f64::NAN)
}

/// Every figure for every target, interleaved, median of [`rounds`].
async fn measure_all(targets: &[Target]) -> Vec<Figures> {
    let rounds = rounds();
    let mut out = vec![Figures::default(); targets.len()];
    for which in 0..4 {
        let mut samples: Vec<Vec<Vec<f64>>> = vec![Vec::new(); targets.len()];
        for round in 0..rounds {
            for (i, t) in targets.iter().enumerate() {
                eprintln!("figure {which} round {round}: {}", t.name);
                let (values, cpu) = measure_once(t, which).await;
                out[i].cpu[which] += cpu / rounds as f64;
                samples[i].push(values);
            }
        }
        for (i, s) in samples.into_iter().enumerate() {
            let col = |k: usize| median(s.iter().map(|v| v[k]).collect());
            print_spread(targets[i].name, which, &s);
            let f = &mut out[i];
            match which {
                0 => f.gbit_1 = col(0),
                1 => f.gbit_8 = col(0),
                2 => f.conns = col(0),
                _ => (f.p50_us, f.p99_us) = (col(0), col(1)),
            }
        }
    }
    out
}

/// Every round's value of one figure for one target, sorted, on stderr (the spread behind
/// the median).
fn print_spread(target: &str, which: usize, samples: &[Vec<f64>]) {
    let names: &[&str] = match which {
        0 => &["1-stream Gbit/s"],
        1 => &["8-stream Gbit/s"],
        2 => &["conn/s"],
        _ => &["p50 us", "p99 us"],
    };
    for (k, name) in names.iter().enumerate() {
        let mut v: Vec<f64> = samples.iter().map(|s| s[k]).collect();
        v.sort_by(f64::total_cmp);
        let list: Vec<String> = v.iter().map(|x| format!("{x:.2}")).collect();
        eprintln!("spread {name:<16} {target:<15} {}", list.join(" "));
    }
}

// === load ===

async fn throughput(addr: SocketAddr, streams: usize) -> f64 {
    let bytes = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let start = Instant::now();
    let tasks: Vec<_> = (0..streams)
        .map(|_| {
            let (bytes, stop) = (Arc::clone(&bytes), Arc::clone(&stop));
            tokio::spawn(async move {
                let mut s = TcpStream::connect(addr).await.unwrap();
                s.write_all(b"S").await.unwrap();
                let mut buf = vec![0u8; CHUNK];
                while !stop.load(Ordering::Relaxed) {
                    match s.read(&mut buf).await {
                        Ok(0) | Err(_) => break,
                        Ok(n) => bytes.fetch_add(n as u64, Ordering::Relaxed),
                    };
                }
            })
        })
        .collect();
    tokio::time::sleep(RUN).await;
    stop.store(true, Ordering::Relaxed);
    let secs = start.elapsed().as_secs_f64();
    let total = bytes.load(Ordering::Relaxed);
    for t in tasks {
        let _ = t.await;
    }
    total as f64 * 8.0 / secs / 1e9
}

async fn conn_rate(addr: SocketAddr) -> f64 {
    let done = Arc::new(AtomicU64::new(0));
    let deadline = Instant::now() + RUN;
    let start = Instant::now();
    let tasks: Vec<_> = (0..CONNECTORS)
        .map(|_| {
            let done = Arc::clone(&done);
            tokio::spawn(async move {
                while Instant::now() < deadline && done.load(Ordering::Relaxed) < MAX_CONNS {
                    let Ok(mut s) = TcpStream::connect(addr).await else {
                        continue;
                    };
                    let mut b = [0u8; 1];
                    if s.write_all(b"C").await.is_ok() && s.read_exact(&mut b).await.is_ok() {
                        done.fetch_add(1, Ordering::Relaxed);
                    }
                }
            })
        })
        .collect();
    for t in tasks {
        let _ = t.await;
    }
    done.load(Ordering::Relaxed) as f64 / start.elapsed().as_secs_f64()
}

/// (p50, p99) round-trip time in microseconds.
async fn latency(addr: SocketAddr) -> (f64, f64) {
    let deadline = Instant::now() + RUN;
    let tasks: Vec<_> = (0..PINGERS)
        .map(|_| {
            tokio::spawn(async move {
                let mut s = TcpStream::connect(addr).await.unwrap();
                s.set_nodelay(true).unwrap();
                s.write_all(b"E").await.unwrap();
                let req = [7u8; SMALL];
                let mut resp = [0u8; SMALL];
                let mut samples = Vec::with_capacity(1 << 16);
                while Instant::now() < deadline && samples.len() < 1_000_000 {
                    let t0 = Instant::now();
                    s.write_all(&req).await.unwrap();
                    s.read_exact(&mut resp).await.unwrap();
                    samples.push(t0.elapsed().as_nanos() as u64);
                }
                samples
            })
        })
        .collect();
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.unwrap());
    }
    all.sort_unstable();
    let pct = |p: usize| {
        let idx = (all.len() * p / 100).min(all.len().saturating_sub(1));
        all.get(idx).map_or(f64::NAN, |&ns| ns as f64 / 1000.0)
    };
    (pct(50), pct(99))
}

// === report ===

/// Label, accessor, whether higher is better, index into `Figures::cpu`.
type Row = (&'static str, fn(&Figures) -> f64, bool, usize);

fn report(results: &[(&str, Figures)]) {
    let get = |name: &str| results.iter().find(|(n, _)| *n == name).map(|(_, f)| *f);
    let rows: [Row; 5] = [
        ("throughput, 1 stream (Gbit/s)", |f| f.gbit_1, true, 0),
        ("throughput, 8 streams (Gbit/s)", |f| f.gbit_8, true, 1),
        ("new connections per second", |f| f.conns, true, 2),
        ("p50 latency, 64 B ping-pong (us)", |f| f.p50_us, false, 3),
        ("p99 latency, 64 B ping-pong (us)", |f| f.p99_us, false, 3),
    ];
    let names: Vec<&str> = results.iter().map(|(n, _)| *n).collect();
    print!("\n{:<34}", "figure");
    for n in &names {
        print!(" {n:>15}");
    }
    println!("   slb/haproxy   slb/haproxy+splice");
    for (label, value, higher_better, cpu_i) in rows {
        print!("{label:<34}");
        for (_, f) in results {
            print!(" {:>15.2}", value(f));
        }
        let ratio = |reference: &str| match (get("slb-dataplane"), get(reference)) {
            (Some(s), Some(h)) => {
                let r = value(&s) / value(&h);
                let ok = if higher_better { r >= 1.0 } else { r <= 1.0 };
                format!("{r:.2}x {}", if ok { "(ok)" } else { "(behind)" })
            }
            _ => "n/a".to_owned(),
        };
        println!("   {:<13} {}", ratio("haproxy"), ratio("haproxy+splice"));
        print!("{:<34}", "  proxy CPU s per run (mean)");
        for (n, f) in results {
            if *n == "direct" {
                print!(" {:>15}", "-");
            } else {
                print!(" {:>15.2}", f.cpu[cpu_i]);
            }
        }
        println!();
    }
    println!("\nlatency ratios: lower is better; all others: higher is better.");
}
