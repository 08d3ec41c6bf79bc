//! Starting `slb-ccm local serve` as a child process for a test: on a free loopback port,
//! killed when the handle drops, its address read from the line it prints once it accepts
//! requests; a client signed with the same credentials; waiting until a VIP accepts.
//! Tests that start the server should use this rather than another copy of the
//! spawn-and-read-the-address code; `lb_with_group` is the one way to create a CLB with a
//! vServer group of ECS members, `acl_with_entry` an ACL of one CIDR, `scrape` reads a metrics page, `read_head` one HTTP request head
//! on a test backend. It does not configure the server beyond its flags and
//! config text, nor listeners or backends (each test says what it needs).
#![allow(dead_code)]

use std::ffi::OsString;
use std::net::SocketAddr;
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use slb_openapi::clb::{
    AclEntryParam, AddAccessControlListEntryRequest, AddVServerGroupBackendServersRequest,
    CreateAccessControlListRequest, CreateLoadBalancerRequest, CreateLoadBalancerResponse,
    CreateVServerGroupRequest,
};
use slb_openapi::config::{ClientConfig, Credentials, EndpointOverrides};
use slb_openapi::types::{AddressType, BackendServer, BackendType};
use slb_openapi::{Clb, HttpClient};
use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader};
use tokio::net::TcpStream;
use tokio::process::{Child, Command};

/// A running `slb-ccm local serve`; dropping it kills the process.
pub struct LocalServe {
    /// The child process (`kill_on_drop`).
    pub child: Child,
    /// `host:port` of its OpenAPI endpoint.
    pub addr: String,
    access_key_id: String,
    access_key_secret: String,
    region: String,
}

impl LocalServe {
    /// Client settings for this server, signed with its credentials (tests may tune them).
    pub fn client_config(&self) -> ClientConfig {
        let creds = Credentials::new(&self.access_key_id, &self.access_key_secret);
        let mut cfg = ClientConfig::new(&self.region, creds);
        cfg.overrides = EndpointOverrides::local(&self.addr);
        cfg
    }

    /// A signed OpenAPI client for this server.
    pub fn client(&self) -> HttpClient {
        HttpClient::new(self.client_config()).expect("the client builds")
    }
}

/// Flags of one server: credentials and region are required by every test.
pub struct ServeArgs {
    pub access_key_id: String,
    pub access_key_secret: String,
    pub region: String,
    /// Further flags, e.g. `--vip-pool`, `--config`, `--state`.
    pub extra: Vec<OsString>,
    /// The binary to run (default: this build's `slb-ccm`).
    pub program: OsString,
    /// `ulimit -n` for the server, applied through `sh` when set.
    pub nofile: Option<u64>,
    /// Environment variables for the server.
    pub env: Vec<(OsString, OsString)>,
    /// Pipe stderr (the test reads `child.stderr`) instead of discarding it.
    pub keep_stderr: bool,
}

impl ServeArgs {
    /// `--region cn-hangzhou --state :memory:` with these credentials.
    pub fn new(access_key_id: &str, access_key_secret: &str) -> Self {
        Self {
            access_key_id: access_key_id.into(),
            access_key_secret: access_key_secret.into(),
            region: "cn-hangzhou".into(),
            extra: vec!["--state".into(), ":memory:".into()],
            program: env!("CARGO_BIN_EXE_slb-ccm").into(),
            nofile: None,
            env: Vec::new(),
            keep_stderr: false,
        }
    }

    /// Adds a flag and its value.
    pub fn flag(mut self, name: &str, value: impl Into<OsString>) -> Self {
        self.extra.push(name.into());
        self.extra.push(value.into());
        self
    }

    /// Keeps state in `path` instead of `:memory:`.
    pub fn state(mut self, path: impl Into<OsString>) -> Self {
        self.extra.retain(|a| a != "--state" && a != ":memory:");
        self.flag("--state", path)
    }

    /// Writes `text` to `dir/local.yaml` and passes it as `--config`.
    pub fn config_text(self, dir: &Path, text: &str) -> Self {
        let path = dir.join("local.yaml");
        std::fs::write(&path, text).expect("the config file is writable");
        self.flag("--config", path)
    }

    /// Runs the binary named by environment variable `var` when it is set and not empty.
    pub fn program_from_env(mut self, var: &str) -> Self {
        if let Some(bin) = std::env::var_os(var).filter(|b| !b.is_empty()) {
            self.program = bin;
        }
        self
    }
}

/// The `local serve` command for `args`, stdout piped, not yet started.
pub fn command(args: &ServeArgs) -> Command {
    let mut cmd = match args.nofile {
        Some(n) => {
            let mut sh = Command::new("sh");
            sh.args(["-c", "ulimit -n \"$0\" && exec \"$@\""])
                .arg(n.to_string())
                .arg(&args.program);
            sh
        }
        None => Command::new(&args.program),
    };
    cmd.args(["local", "serve", "--listen", "127.0.0.1:0"])
        .args(["--region", &args.region])
        .args(["--access-key-id", &args.access_key_id])
        .args(["--access-key-secret", &args.access_key_secret])
        .args(&args.extra)
        .envs(args.env.iter().map(|(k, v)| (k, v)))
        .stdout(Stdio::piped())
        .stderr(if args.keep_stderr {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .kill_on_drop(true);
    cmd
}

/// Starts the server with `args` and waits until it prints its address. Panics with the
/// reason when it cannot start (a test helper).
pub async fn start(args: ServeArgs) -> LocalServe {
    let mut child = command(&args).spawn().expect("slb-ccm starts");
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
    let ServeArgs {
        access_key_id,
        access_key_secret,
        region,
        ..
    } = args;
    LocalServe {
        child,
        addr,
        access_key_id,
        access_key_secret,
        region,
    }
}

/// Waits up to 5 s (100 tries, 50 ms apart) until a TCP connect to `vip` succeeds.
pub async fn wait_until_listening(vip: SocketAddr) {
    for _ in 0..100 {
        if TcpStream::connect(vip).await.is_ok() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("nothing listens on {vip}");
}

/// A loopback address with a port nothing listens on right now (for `--metrics-addr`).
pub fn free_addr() -> SocketAddr {
    std::net::TcpListener::bind("127.0.0.1:0")
        .expect("a loopback port is free")
        .local_addr()
        .expect("a bound socket has an address")
}

/// An internet `slb.s1.small` CLB request (tests add what else they need).
pub fn internet_lb() -> CreateLoadBalancerRequest {
    CreateLoadBalancerRequest {
        address_type: Some(AddressType::Internet),
        load_balancer_spec: Some("slb.s1.small".into()),
        ..Default::default()
    }
}

/// Creates the CLB `lb` and a vServer group `group_name` on it over the ECS `members`
/// (instance id, weight) on `node_port`: (the created CLB, the group id).
pub async fn lb_with_group(
    api: &HttpClient,
    lb: &CreateLoadBalancerRequest,
    group_name: &str,
    members: &[(&str, u32)],
    node_port: u16,
) -> (CreateLoadBalancerResponse, String) {
    let lb = api
        .create_load_balancer(lb)
        .await
        .expect("the CLB is created");
    let group = api
        .create_vserver_group(&CreateVServerGroupRequest {
            load_balancer_id: lb.load_balancer_id.clone(),
            vserver_group_name: Some(group_name.into()),
            ..Default::default()
        })
        .await
        .expect("the vServer group is created")
        .vserver_group_id;
    let member = |&(id, weight): &(&str, u32)| BackendServer {
        server_id: id.into(),
        port: Some(node_port),
        weight: Some(weight),
        server_type: Some(BackendType::Ecs),
        ..Default::default()
    };
    api.add_vserver_group_backend_servers(&AddVServerGroupBackendServersRequest {
        vserver_group_id: group.clone(),
        backend_servers: members.iter().map(member).collect(),
        ..Default::default()
    })
    .await
    .expect("the members are added");
    (lb, group)
}

/// Creates an ACL `name` holding the one entry `cidr`; its id.
pub async fn acl_with_entry(api: &HttpClient, name: &str, cidr: &str) -> String {
    let acl = api
        .create_access_control_list(&CreateAccessControlListRequest {
            acl_name: name.into(),
            ..Default::default()
        })
        .await
        .expect("the ACL is created")
        .acl_id;
    api.add_access_control_list_entry(&AddAccessControlListEntryRequest {
        acl_id: acl.clone(),
        acl_entrys: vec![AclEntryParam::new(cidr)],
        ..Default::default()
    })
    .await
    .expect("the entry is added");
    acl
}

/// The Prometheus text served at `http://{metrics}/metrics`.
pub async fn scrape(metrics: SocketAddr) -> String {
    reqwest::get(format!("http://{metrics}/metrics"))
        .await
        .expect("the metrics endpoint answers")
        .text()
        .await
        .expect("the metrics page is text")
}

/// The next request head on `reader`, lower-cased, up to (not including) its blank line;
/// `None` once the peer closes or the read fails.
pub async fn read_head<R: AsyncRead + Unpin>(reader: &mut BufReader<R>) -> Option<String> {
    let mut head = String::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).await.unwrap_or(0) == 0 {
            return None;
        }
        if line == "\r\n" {
            return Some(head);
        }
        head.push_str(&line.to_ascii_lowercase());
    }
}
