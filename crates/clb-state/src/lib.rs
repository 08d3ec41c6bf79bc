//! slb-clb-state: the state of CLB instances and the transitions the writes make, written
//! once for both sides that keep such state — the controller's observation cache, advanced
//! after each successful write with the ids the cloud answered, and the local CLB.
//!
//! - [`types`]: protocols, members and listener attributes (slb-model re-exports them).
//! - [`state`]: a CLB with its listeners, vServer groups, members, tags and domain
//!   extensions ([`LoadBalancer`]), as the describe calls report it.
//! - [`transitions`]: one function per write (`CreateLoadBalancer` … `DeleteDomainExtension`)
//!   taking the write's typed values and the ids the cloud returned, giving the new state or
//!   a [`Refusal`].
//!
//! What this crate deliberately does not do: I/O, async, wire parsing or rendering, parameter
//! validation, quotas, inventory (ECS, ENIs, certificates, ACLs) or ids of its own — a
//! created object's id is always an input.

pub mod state;
pub mod transitions;
pub mod types;

pub use state::{DomainExtension, Listener, LoadBalancer, VServerGroup};
pub use transitions::{
    ListenerUpdate, ListenerWrite, NewListener, NewLoadBalancer, Object, Refusal, Rule,
    create_load_balancer, delete_load_balancer,
};
pub use types::{BackendServer, BackendType, ListenerAttributes, MemberKey, Protocol};
