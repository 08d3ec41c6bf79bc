//! slb-dataplane: the proxy behind the local CLB's listeners — TCP and UDP forwarding on
//! VIPs with the CLB's schedulers (`wrr`, `rr`, `wlc`, `sch`, `tch`), health checks (TCP,
//! HTTP, UDP), connection draining, idle timeouts, PROXY protocol v2, hairpin refusal and
//! ACLs (`acl`), and an HTTP proxy for `http` and `https` listeners (`http`: forwarding
//! headers, cookie sessions, redirects to HTTPS, request and idle timeouts; `tls`: TLS
//! termination with SNI certificates, cipher policies and HTTP/2 by ALPN).
//!
//! The crate knows nothing of the OpenAPI or the local CLB: it takes its own
//! [`DataPlaneConfig`] snapshots through a [`DataPlaneHandle`] (a `watch` channel underneath)
//! and applies each one live; the same handle reports each backend's health-check verdict.
//! Decisions live in pure modules (`select`, `health`, `udp::flow`, `ppv2`, `acl`,
//! `http::headers`, `http::sticky`); sockets live in `tcp`, `udp`, `http`, `health::probe`
//! and the I/O threads (one `SO_REUSEPORT` socket per thread per TCP
//! listener). Descriptors are budgeted (`fds`): at the budget the proxy stops accepting
//! rather than fail on `EMFILE`. It does not persist anything.
//!
//! ```no_run
//! # async fn demo() -> Result<(), slb_dataplane::Error> {
//! use slb_dataplane::{BackendConfig, DataPlane, DataPlaneConfig, ListenerConfig, Protocol};
//! let mut registry = prometheus_client::registry::Registry::default();
//! let dp = DataPlane::spawn(&mut registry);
//! let mut l = ListenerConfig::new("lb-1/tcp/80", Protocol::Tcp, "127.0.0.10:8080".parse().unwrap());
//! l.backends.push(BackendConfig { addr: "127.0.0.1:9000".parse().unwrap(), weight: 100 });
//! let status = dp.apply(DataPlaneConfig { listeners: vec![l] }).await?;
//! println!("{status:?}");
//! # Ok(()) }
//! ```

pub mod acl;
pub mod config;
pub mod fds;
pub mod health;
pub mod http;
pub mod metrics;
pub mod plane;
pub mod pool;
pub mod ppv2;
pub mod select;
pub mod tcp;
pub mod tls;
pub mod udp;
mod workers;

pub use acl::{AclConfig, AclKind, Cidr, CidrError};
pub use config::{
    BackendConfig, ConfigError, DataPlaneConfig, DrainConfig, ForwardedHeaders, HealthCheckConfig,
    HealthCheckKind, HttpCodes, HttpConfig, ListenerConfig, ProbeMethod, Protocol, Scheduler,
    StickySession,
};
pub use health::report::BackendHealth;
pub use plane::{ApplyStatus, DataPlane, DataPlaneHandle, Error, ListenerStatus, Options};
