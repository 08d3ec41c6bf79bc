//! slb-controller: the kube-rs Service controller. It watches Services, Nodes and
//! EndpointSlices and keeps each LoadBalancer Service's CLB as its spec and annotations say,
//! through the `Clb`/`Ecs` traits of slb-openapi and the decisions of slb-model.
//!
//! Not built yet: this crate is laid out by the foundation issue and filled by the controller
//! issue. It exports nothing so far.
