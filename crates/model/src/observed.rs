//! What exists in the cloud, as plain values the planner reads: the CLB state of
//! slb-clb-state under the names the planner has always used.
//!
//! The controller maps the describe responses into these types and advances them with
//! [`crate::plan::apply_to`] after a run. Nothing here is fetched, decided or changed.

pub use slb_clb_state::state::{
    DomainExtension as ObservedDomainExtension, Listener as ObservedListener,
    LoadBalancer as ObservedLb, VServerGroup as ObservedVServerGroup,
};
