//! slb-model: the pure domain of slb-ccm.
//!
//! Everything that decides what a Service's Classic Load Balancer must look like, with no
//! I/O, no async and no Kubernetes client; every function takes plain values and is tested
//! with plain values.
//!
//! The path of one Service through this crate:
//! 1. [`wants_lb`] / [`needs_cleanup`] classify it; [`spec_hash`] fingerprints what matters.
//! 2. [`desired()`] turns the Service, its Nodes and EndpointSlices and the
//!    [`ClusterContext`] into a [`DesiredLb`] — or returns *every* problem at once
//!    ([`ModelError`], including [`AnnotationError`]s from the [`annotations`] table).
//! 3. The controller observes the CLB and maps it into an [`ObservedLb`].
//! 4. [`plan()`] diffs the two into a [`Plan`]: an ordered list of [`Action`]s, one per
//!    OpenAPI call, batched, touching only what the Service owns — or a [`PlanError`]
//!    before any call is made.
//! 5. Errors (the model's and the cloud's) map to an event reason and the FAQ's remedy in
//!    [`catalog`].
//!
//! Modules: [`annotations`] (the one annotation table, parsing, README reference),
//! [`desired`](mod@desired) (desired state, node eligibility, backends), [`weights`] (the three weight
//! generations), [`naming`] (names, tags, ownership keys), [`types`] (protocols, members,
//! listener attributes), [`observed`] (what exists in the cloud), [`plan`](mod@plan) (diff,
//! applying a plan's writes to a CLB's state), [`catalog`] (error → remedy).
//!
//! What this crate deliberately does not do: call any API, resolve ENI ids, retry, or keep
//! state between calls.

pub mod annotations;
pub mod catalog;
pub mod desired;
pub mod naming;
pub mod observed;
pub mod plan;
pub mod types;
pub mod weights;

#[cfg(test)]
mod fixtures;

pub use annotations::{AnnotationError, LbConfig, render_markdown};
pub use catalog::{CatalogEntry, lookup as lookup_cloud_error};
pub use desired::{
    ClusterContext, DEFAULT_BATCH_SIZE, DesiredLb, Intent, MAX_BATCH_SIZE, ModelError,
    applied_tags_record, desired, needs_cleanup, node_change_matters, spec_hash, wants_lb,
};
pub use naming::{FINALIZER, ServiceKey, default_lb_name};
pub use observed::{ObservedLb, ObservedListener, ObservedVServerGroup};
pub use plan::{Action, GroupRef, LbRef, Plan, PlanError, PlanNote, PlanOptions, apply_to, plan};
pub use types::{BackendServer, BackendType, ListenerAttributes, Protocol};
