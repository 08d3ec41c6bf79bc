//! slb-model: the pure domain of slb-ccm.
//!
//! Annotations → typed configuration, desired CLB state from a Service and its Nodes and
//! EndpointSlices, backend weights, naming and tags, and the plan that turns observed cloud
//! state into the desired one. No I/O, no async, no Kubernetes client: every function here is
//! a decision that can be tested with plain values.
