//! slb-dataplane: the L4 proxy behind the local CLB's listeners: TCP and UDP forwarding on
//! VIPs with the CLB's schedulers (wrr, rr, wlc), health checks, connection draining and proxy
//! protocol v2.
//!
//! Not built yet: this crate is laid out by the foundation issue and filled by the data plane
//! issue. It exports nothing so far.
