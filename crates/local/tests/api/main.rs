//! Conformance tests of the local CLB through the slb-openapi HTTP client (the path the
//! controller uses), plus wire-level checks with raw signed requests. One test binary keeps
//! link time down; each module covers one action family.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod acl;
mod certificate;
mod dataplane;
mod domain_ext;
mod ecs;
mod eip;
mod faults;
mod health;
mod inprocess;
mod ipv6;
mod lb;
mod limits;
mod listener;
mod redirect;
mod restart;
mod support;
mod tags;
mod untag_regions;
mod v3;
mod vgroup;
mod vpc;
mod wire;
