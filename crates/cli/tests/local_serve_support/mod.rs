//! Starting `slb-ccm local serve` as a child process for a test: on a free loopback port,
//! killed when the handle drops, its address read from the line it prints once it accepts
//! requests. Tests that start the server should use this rather than another copy of the
//! spawn-and-read-the-address code. It does not configure the server beyond its flags.
#![allow(dead_code)]

use std::ffi::OsString;
use std::process::Stdio;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

/// A running `slb-ccm local serve`; dropping it kills the process.
pub struct LocalServe {
    /// The child process (`kill_on_drop`).
    pub child: Child,
    /// `host:port` of its OpenAPI endpoint.
    pub addr: String,
}

/// Flags of one server: credentials and region are required by every test.
pub struct ServeArgs {
    pub access_key_id: String,
    pub access_key_secret: String,
    pub region: String,
    /// Further flags, e.g. `--vip-pool`, `--config`, `--state`.
    pub extra: Vec<OsString>,
}

impl ServeArgs {
    /// `--region cn-hangzhou --state :memory:` with these credentials.
    pub fn new(access_key_id: &str, access_key_secret: &str) -> Self {
        Self {
            access_key_id: access_key_id.into(),
            access_key_secret: access_key_secret.into(),
            region: "cn-hangzhou".into(),
            extra: vec!["--state".into(), ":memory:".into()],
        }
    }

    /// Adds a flag and its value.
    pub fn flag(mut self, name: &str, value: impl Into<OsString>) -> Self {
        self.extra.push(name.into());
        self.extra.push(value.into());
        self
    }
}

/// Starts the server with `args` and waits until it prints its address. Panics with the
/// reason when it cannot start (a test helper).
pub async fn start(args: ServeArgs) -> LocalServe {
    let mut child = Command::new(env!("CARGO_BIN_EXE_slb-ccm"))
        .args(["local", "serve", "--listen", "127.0.0.1:0"])
        .args(["--region", &args.region])
        .args(["--access-key-id", &args.access_key_id])
        .args(["--access-key-secret", &args.access_key_secret])
        .args(&args.extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("slb-ccm starts");
    let stdout = child.stdout.take().expect("stdout is piped");
    let line = BufReader::new(stdout)
        .lines()
        .next_line()
        .await
        .expect("the server's stdout is readable")
        .expect("the server prints its address (it exited first: run it by hand to see why)");
    let addr = line
        .strip_prefix("slb-local listening on http://")
        .unwrap_or_else(|| panic!("unexpected first line from local serve: {line}"))
        .trim()
        .to_owned();
    LocalServe { child, addr }
}
