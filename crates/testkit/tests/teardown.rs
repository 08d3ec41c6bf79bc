//! No test leaves servers behind: the control plane's etcd and kube-apiserver stop and its
//! tmpfs folder goes away when the process holding it exits, even by panic or SIGKILL, and at
//! once when a [`ControlPlane`] started on its own is dropped.

#![allow(clippy::unwrap_used)] // test helpers: a failed unwrap is a failed test

use slb_testkit::ControlPlane;
use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

struct Held {
    child: Child,
    server: SocketAddr,
    dir: PathBuf,
}

fn hold_a_control_plane() -> Held {
    let mut child = Command::new(env!("CARGO_BIN_EXE_slb-testkit-controlplane"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut field = |name: &str| {
        let line = lines.next().expect("a line from the holder").unwrap();
        line.strip_prefix(&format!("{name}="))
            .expect("field")
            .to_owned()
    };
    let server = field("server")
        .trim_start_matches("https://")
        .parse()
        .unwrap();
    let dir = PathBuf::from(field("dir"));
    assert!(TcpStream::connect(server).is_ok(), "the API server listens");
    assert!(dir.is_dir());
    Held { child, server, dir }
}

fn assert_gone_within(server: SocketAddr, dir: &Path, limit: Duration) {
    let mut waited = Duration::ZERO;
    while TcpStream::connect_timeout(&server, Duration::from_millis(200)).is_ok() || dir.exists() {
        assert!(
            waited < limit,
            "{server} still listens or {} remains",
            dir.display()
        );
        std::thread::sleep(Duration::from_millis(250));
        waited += Duration::from_millis(250);
    }
}

#[test]
fn servers_stop_when_the_holding_process_is_killed_with_sigkill() {
    let mut held = hold_a_control_plane();
    held.child.kill().unwrap(); // SIGKILL: no destructor runs
    held.child.wait().unwrap();
    assert_gone_within(held.server, &held.dir, Duration::from_secs(15));
}

#[test]
fn servers_stop_when_the_holding_process_panics() {
    let mut held = hold_a_control_plane();
    writeln!(held.child.stdin.as_mut().unwrap(), "panic").unwrap();
    let status = held.child.wait().unwrap();
    assert!(!status.success(), "the holder panicked");
    assert_gone_within(held.server, &held.dir, Duration::from_secs(15));
}

#[tokio::test]
async fn dropping_a_started_control_plane_stops_it_at_once() {
    let cp = ControlPlane::start().await.unwrap();
    let server: SocketAddr = cp.server().trim_start_matches("https://").parse().unwrap();
    let dir = cp.dir().to_owned();
    drop(cp);
    assert_gone_within(server, &dir, Duration::from_secs(2));
}
