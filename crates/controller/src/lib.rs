//! slb-controller: the kube-rs Service controller. It watches Services, Nodes and
//! EndpointSlices and keeps each LoadBalancer Service's CLB as its spec and annotations say,
//! through the `Clb`/`Ecs` traits of slb-openapi and the decisions of slb-model.
//!
//! Parts: the informer caches every replica keeps, standbys included ([`caches`]); Lease-based
//! leader election compatible with client-go's ([`leader`]); the admin server with
//! `/metrics`, `/livez` and `/readyz` ([`admin`]); the reconcile of one Service
//! ([`reconcile`]) through the cloud bridge ([`cloud`]); the Node fan-out ([`fanout`]); what
//! is kept per Service between reconciles, in one map keyed by `ObjectRef` with one `forget`
//! ([`service_state`]), and the retry-delay policy it uses ([`backoff`]); the conflict-safe
//! writes to a Service: finalizer, labels, status ([`service_writes`]); node registration
//! with a local CLB ([`inventory`], [`local_inventory`]); the node controller:
//! initialization, address and label sync, lifecycle ([`node`]); the route controller: VPC
//! routes for pod CIDRs ([`route`]); and the command itself: its flags and one replica's
//! wiring ([`run`]).

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
pub mod local_inventory;
pub mod metrics;
pub mod node;
pub mod notices;
pub mod reconcile;
pub mod route;
pub mod run;
pub mod service_state;
pub mod service_writes;
