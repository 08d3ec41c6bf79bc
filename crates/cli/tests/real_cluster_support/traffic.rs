//! Requests through a VIP from the cloud's network namespace, with plain blocking sockets on
//! a thread moved into that namespace (`slb_testkit::netns::in_netns`).

use anyhow::{Context, Result, bail};
use std::collections::BTreeMap;
use std::fmt;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;
use tokio::time::Instant;

/// One request on a new connection (as a browser or curl makes); the answering pod's name.
pub fn request(vip: SocketAddr) -> Result<String> {
    let mut stream = TcpStream::connect_timeout(&vip, Duration::from_secs(3)).context("connect")?;
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    stream
        .write_all(b"GET / HTTP/1.1\r\nHost: echo\r\nConnection: close\r\n\r\n")
        .context("write")?;
    let mut reply = String::new();
    stream.read_to_string(&mut reply).context("read")?;
    let Some((head, body)) = reply.split_once("\r\n\r\n") else {
        bail!("no HTTP answer ({} bytes)", reply.len());
    };
    if !head.starts_with("HTTP/1.1 200") {
        bail!("answer {:?}", head.lines().next());
    }
    Ok(body.trim().to_owned())
}

/// `n` requests, after waiting (30 s at most) for the VIP to answer at all: the status IP is
/// written when the CLB is configured, and the data plane and kube-proxy follow within moments.
pub fn split(vip: SocketAddr, n: usize) -> Result<BTreeMap<String, usize>> {
    let deadline = Instant::now() + Duration::from_secs(30);
    while let Err(err) = request(vip) {
        if Instant::now() > deadline {
            return Err(err.context(format!("{vip} never answered")));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let mut by_pod = BTreeMap::new();
    for i in 0..n {
        let pod = request(vip).with_context(|| format!("request {i} to {vip}"))?;
        *by_pod.entry(pod).or_default() += 1;
    }
    Ok(by_pod)
}

/// What a [`Load`] saw.
#[derive(Debug, Default)]
pub struct Traffic {
    pub ok: usize,
    pub failed: usize,
    pub pods: BTreeMap<String, usize>,
    pub errors: Vec<String>,
    pub elapsed: Duration,
}

impl fmt::Display for Traffic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} requests over {:.1} s, {} failed, answered by {} pods",
            self.ok + self.failed,
            self.elapsed.as_secs_f64(),
            self.failed,
            self.pods.len()
        )?;
        if !self.errors.is_empty() {
            write!(
                f,
                "; first errors: {:?}",
                &self.errors[..self.errors.len().min(5)]
            )?;
        }
        Ok(())
    }
}

/// A client sending one request every 20 ms through a VIP until [`Load::finish`].
pub struct Load {
    stop: Arc<AtomicBool>,
    handle: JoinHandle<Result<Traffic>>,
}

impl Load {
    pub fn start(netns: &str, vip: SocketAddr) -> Load {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let handle = slb_testkit::netns::in_netns(netns, move || {
            let started = Instant::now();
            let mut traffic = Traffic::default();
            while !flag.load(Ordering::Relaxed) {
                match request(vip) {
                    Ok(pod) => {
                        traffic.ok += 1;
                        *traffic.pods.entry(pod).or_default() += 1;
                    }
                    Err(err) => {
                        traffic.failed += 1;
                        let at = started.elapsed().as_secs_f64();
                        traffic.errors.push(format!("{at:.1}s: {err:#}"));
                    }
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            traffic.elapsed = started.elapsed();
            traffic
        });
        Load { stop, handle }
    }

    pub async fn finish(self) -> Traffic {
        self.stop.store(true, Ordering::Relaxed);
        let handle = self.handle;
        tokio::task::spawn_blocking(move || slb_testkit::netns::join(handle))
            .await
            .unwrap()
            .unwrap()
    }
}
