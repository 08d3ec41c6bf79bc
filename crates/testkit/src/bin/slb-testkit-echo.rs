//! The test server of the real-cluster tests, and its client.
//!
//! `slb-testkit-echo` (server, the image's entrypoint): listens on `$PORT` (8080) and answers
//! every HTTP request with `200` and a body naming the pod (`$POD_NAME`, else the hostname),
//! one request per connection. On SIGTERM it stops accepting, finishes what it serves and
//! exits, as a well-behaved workload does (pods pair it with a `preStop` sleep so kube-proxy
//! and the CLB stop sending new connections first).
//!
//! `slb-testkit-echo get HOST:PORT COUNT` (client, for a pod reaching an LB IP from inside the
//! cluster): sends COUNT requests, one connection each, prints `ok=N failed=N` and the answers
//! by pod name, and exits non-zero if any failed.

use anyhow::{Context, Result, bail};
use std::collections::BTreeMap;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_util::task::TaskTracker;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.as_slice() {
        [] => serve().await,
        [cmd, addr, count] if cmd == "get" => get(addr, count.parse().context("COUNT")?).await,
        _ => bail!("usage: slb-testkit-echo [get HOST:PORT COUNT]"),
    }
}

async fn serve() -> Result<()> {
    let port = std::env::var("PORT").unwrap_or_else(|_| "8080".to_owned());
    let name = std::env::var("POD_NAME")
        .or_else(|_| std::fs::read_to_string("/etc/hostname").map(|h| h.trim().to_owned()))
        .unwrap_or_else(|_| "unknown".to_owned());
    let listener = TcpListener::bind(format!("0.0.0.0:{port}")).await?;
    println!("slb-testkit-echo: serving on :{port} as {name}");
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    let tasks = TaskTracker::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                if let Ok((stream, _)) = accepted {
                    tasks.spawn(answer(stream, name.clone()));
                }
            }
            _ = term.recv() => break,
        }
    }
    println!(
        "slb-testkit-echo: SIGTERM, finishing {} connection(s)",
        tasks.len()
    );
    tasks.close();
    let _ = tokio::time::timeout(Duration::from_secs(10), tasks.wait()).await;
    Ok(())
}

/// Reads one request (up to the blank line) and answers with the pod's name.
async fn answer(mut stream: TcpStream, name: String) {
    let mut buf = Vec::with_capacity(512);
    let mut chunk = [0u8; 512];
    while !buf.windows(4).any(|w| w == b"\r\n\r\n") && buf.len() < 8192 {
        match tokio::time::timeout(Duration::from_secs(10), stream.read(&mut chunk)).await {
            Ok(Ok(n)) if n > 0 => buf.extend_from_slice(&chunk[..n]),
            _ => return,
        }
    }
    let body = format!("{name}\n");
    let reply = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = stream.write_all(reply.as_bytes()).await;
    let _ = stream.shutdown().await;
}

async fn get(addr: &str, count: usize) -> Result<()> {
    let mut by_pod: BTreeMap<String, usize> = BTreeMap::new();
    let mut failed = Vec::new();
    for _ in 0..count {
        match request(addr).await {
            Ok(pod) => *by_pod.entry(pod).or_default() += 1,
            Err(err) => failed.push(format!("{err:#}")),
        }
    }
    println!(
        "ok={} failed={} by_pod={by_pod:?}",
        count - failed.len(),
        failed.len()
    );
    for err in &failed {
        println!("error: {err}");
    }
    if failed.is_empty() {
        Ok(())
    } else {
        bail!("{} of {count} requests to {addr} failed", failed.len())
    }
}

/// One HTTP request on a new connection; the pod name the server answered with.
async fn request(addr: &str) -> Result<String> {
    let io = async {
        let mut stream = TcpStream::connect(addr).await.context("connect")?;
        stream
            .write_all(b"GET / HTTP/1.1\r\nHost: echo\r\nConnection: close\r\n\r\n")
            .await
            .context("write")?;
        let mut reply = String::new();
        stream.read_to_string(&mut reply).await.context("read")?;
        Ok::<_, anyhow::Error>(reply)
    };
    let reply = tokio::time::timeout(Duration::from_secs(5), io)
        .await
        .context("timed out after 5 s")??;
    let (head, body) = reply.split_once("\r\n\r\n").context("no HTTP header")?;
    if !head.starts_with("HTTP/1.1 200") {
        bail!("answer {head:?}");
    }
    Ok(body.trim().to_owned())
}
