//! Conformance tests of the local CLB through the slb-openapi HTTP client (the path the
//! controller uses), plus wire-level checks with raw signed requests. One test binary keeps
//! link time down; each module covers one action family.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod acl;
mod certificate;
mod dataplane;
mod domain_ext;
mod ecs;
mod faults;
mod health;
mod inprocess;
mod lb;
mod limits;
mod listener;
mod restart;
mod support;
mod tags;
mod v3;
mod vgroup;
mod vpc;
mod wire;
