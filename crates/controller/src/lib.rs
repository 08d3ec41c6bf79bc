//! slb-controller: the kube-rs Service controller. It watches Services, Nodes and
//! EndpointSlices and keeps each LoadBalancer Service's CLB as its spec and annotations say,
//! through the `Clb`/`Ecs` traits of slb-openapi and the decisions of slb-model.
//!
//! Parts: the informer caches every replica keeps, standbys included ([`caches`]); Lease-based
//! leader election compatible with client-go's ([`leader`]); the admin server with
//! `/metrics`, `/livez` and `/readyz` ([`admin`]); the reconcile of one Service
//! ([`reconcile`]) through the cloud bridge ([`cloud`]); the Node fan-out ([`fanout`]); the
//! per-Service retry backoff ([`backoff`]); the conflict-safe writes to a Service: finalizer,
//! labels, status ([`service_writes`]); the node controller: initialization, address and
//! label sync, lifecycle ([`node`]); the route controller: VPC routes for pod CIDRs
//! ([`route`]); and the wiring of one replica ([`run`]).

pub mod admin;
pub mod api_limits;
pub mod backoff;
pub mod caches;
pub mod cloud;
pub mod controllers;
pub mod events;
pub mod fanout;
pub mod inventory;
pub mod leader;
pub mod metrics;
pub mod node;
pub mod notices;
pub mod reconcile;
pub mod route;
pub mod run;
pub mod service_writes;
