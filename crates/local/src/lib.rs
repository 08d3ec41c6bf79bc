//! slb-local: the local CLB. An engine with the real service's rules behind the same `Clb`/`Ecs`
//! traits, a durable store, and an HTTP server that speaks Alibaba's signed OpenAPI, so the
//! controller (and the reference Go CCM) can run against it unchanged.
//!
//! Not built yet: this crate is laid out by the foundation issue and filled by the local CLB
//! issue. It exports nothing so far.
