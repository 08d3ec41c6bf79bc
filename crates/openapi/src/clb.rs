//! Typed requests and responses of every CLB (Slb 2014-05-15) action in spec §3, split by
//! action family. Each request implements [`Action`](crate::action::Action) and so turns
//! into the flat parameter map and back; each response is serde with the exact wire names.
//!
//! Nothing here performs I/O; see `api` for the trait and `client` for HTTP.

pub mod acl;
pub mod certificate;
pub mod domain_extension;
pub mod listener;
pub mod listener_l4;
pub mod listener_l7;
pub mod listener_settings;
pub mod load_balancer;
pub mod regions;
pub mod tag;
pub mod vserver_group;

pub use acl::*;
pub use certificate::*;
pub use domain_extension::*;
pub use listener::*;
pub use listener_l4::*;
pub use listener_l7::*;
pub use listener_settings::*;
pub use load_balancer::*;
pub use regions::*;
pub use tag::*;
pub use vserver_group::*;
