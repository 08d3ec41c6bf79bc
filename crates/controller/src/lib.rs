//! slb-controller: the kube-rs Service controller. It watches Services, Nodes and
//! EndpointSlices and keeps each LoadBalancer Service's CLB as its spec and annotations say,
//! through the `Clb`/`Ecs` traits of slb-openapi and the decisions of slb-model.
//!
//! Built so far: the operational pieces every controller replica needs — Lease-based leader
//! election compatible with client-go's ([`leader`]), the admin server with `/metrics`,
//! `/livez` and `/readyz` ([`admin`]), the per-Service retry backoff ([`backoff`]), and the
//! conflict-safe writes to a Service: finalizer, labels, status ([`service_writes`]). The
//! reconcile loop itself arrives with the controller issue.

pub mod admin;
pub mod backoff;
pub mod cloud;
pub mod fanout;
pub mod inventory;
pub mod leader;
pub mod metrics;
pub mod reconcile;
pub mod run;
pub mod service_writes;
