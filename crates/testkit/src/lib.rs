//! slb-testkit: a real Kubernetes control plane for slb-ccm's tests, and fixtures.
//!
//! [`ControlPlane`] starts etcd (data on tmpfs) and kube-apiserver on free loopback ports, with
//! its own CA and an admin client certificate, waits for `/readyz`, and hands out
//! [`kube::Client`]s and kubeconfig files: as the admin, or as a restricted user bound to a
//! ClusterRole (to prove the controller's RBAC is enough). The binaries come from
//! `tools/k8s-testbin/build.sh`, which builds them from Kubernetes' published Go modules.
//!
//! One control plane per test binary ([`ControlPlane::shared`]); tests isolate themselves by
//! namespace ([`ControlPlane::namespace`]). There is no scheduler, kubelet or
//! controller-manager: tests create Nodes and EndpointSlices themselves ([`fixtures`]).
//!
//! Teardown: every server runs under a small watchdog whose stdin is a pipe held by the test
//! process; when that process exits, however it exits (success, panic, SIGKILL), the pipe closes
//! and the watchdog stops the server and removes its tmpfs data. Dropping a [`ControlPlane`]
//! started with [`ControlPlane::start`] does the same at once.

mod binaries;
mod cluster;
mod control_plane;
pub mod fixtures;
pub mod images;
pub mod netns;
mod pki;
mod process;

pub use binaries::{BIN_DIR_ENV, K8S_VERSION, binary_dir};
pub use cluster::{ClusterOptions, RealCluster, node_binary_dir, repo_root};
pub use control_plane::{ControlPlane, ControlPlaneOptions};
