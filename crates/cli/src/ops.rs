//! The operator commands that need no Kubernetes cluster: `plan`, `apply` and `demo`.
//!
//! - [`manifests`]: reads Services, Nodes and EndpointSlices from YAML/JSON files;
//! - [`target`]: the cloud to plan or apply against, the one call to `Cloud::sync`, and
//!   `--register-nodes` (the controller's `LocalPutInstances` registration);
//! - [`plan_apply`]: `plan -f PATH` and `apply -f PATH`;
//! - [`demo`]: the in-process local CLB, data plane, node servers and traffic split;
//! - [`traffic`]: the demo's node servers and traffic generator;
//! - [`render`]: tables and the bar chart.
//!
//! Commands that read a live cluster (`get`, `doctor`, `controller`) are not here.

pub mod demo;
pub mod manifests;
pub mod plan_apply;
pub mod render;
pub mod target;
pub mod traffic;
