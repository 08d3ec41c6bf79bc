//! slb-local: the local CLB. An engine with the real service's rules behind the same `Clb`/`Ecs`
//! traits, a durable store, and an HTTP server that speaks Alibaba's signed OpenAPI, so the
//! controller (and the reference Go CCM) can run against it unchanged.
//!
//! Map of the crate:
//! - [`engine`]: the rules, answering actions in wire form (parameter map → JSON body);
//! - [`store`]: durable SQLite state (WAL, one transaction per change);
//! - [`config`]: the configuration file (VIP pool, vSwitches, inventory, quotas, faults);
//! - [`faults`]: throttling, arrears and latency injection;
//! - [`ratelimit`]: per-account, per-action token buckets answering `Throttling.User`, as
//!   Alibaba's flow control does;
//! - [`dataplane`]: the [`DataPlane`] hook receiving every forwarding listener;
//! - [`traits`]: the engine as `slb_openapi::{Clb, Ecs}` in process;
//! - [`server`]: the axum HTTP server with signature checks;
//! - [`serve`]: [`ServeArgs`] and [`run`], the `slb-ccm local serve` command.
//!
//! It does not forward traffic itself: the binary adapts [`DataPlane`] to the proxy crate.

pub mod address;
pub mod config;
pub mod dataplane;
pub mod engine;
pub mod faults;
pub mod model;
pub mod ratelimit;
pub mod serve;
pub mod server;
pub mod store;
pub mod traits;

pub use config::LocalConfig;
pub use dataplane::{
    DataPlane, HealthSource, LocalDataPlaneSnapshot, NoopDataPlane, ProbeTarget, ProbedHealth,
    RecordingDataPlane,
};
pub use engine::Engine;
pub use serve::{ServeArgs, run, run_with};
