//! Vocabulary shared by the desired state, the observed state and the plan: protocols,
//! backend types, group members and the configurable listener attributes.
//!
//! They are defined once in slb-clb-state (the CLB's own vocabulary, which the controller's
//! cache and the local CLB share) and re-exported here so the planner speaks the same words.

pub use slb_clb_state::types::{
    BackendServer, BackendType, ListenerAttributes, MemberKey, MemberKeyRef, Protocol,
};
