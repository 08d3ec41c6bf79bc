//! Finding the ECS instances of a batch of Nodes, in as few `DescribeInstances` calls as the
//! API allows: by id (≤ 100 ids per call, `MaxResults=100`, per region) and, for Nodes with
//! no providerID, by private IP (≤ 100 IPs per call, `InstanceNetworkType=vpc`, the cluster's
//! VPC when known).
//!
//! Failures are isolated per call (spec §9 #6): a failing chunk marks only its own ids as
//! unknown, never as absent. Nothing here decides what to do with a Node.

use slb_openapi::ecs::{DescribeInstancesRequest, Instance};
use slb_openapi::paginate::describe_all_instances;
use slb_openapi::{ApiError, Ecs};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// Most ids or IPs one `DescribeInstances` takes.
pub const CHUNK: usize = 100;

/// What ECS said about a set of instance ids of one region.
#[derive(Debug, Default)]
pub struct ById {
    /// The instances found, by id.
    pub found: HashMap<String, Instance>,
    /// Ids whose call failed: neither found nor known to be absent.
    pub unknown: BTreeSet<String>,
    /// The first error, for the event.
    pub error: Option<ApiError>,
}

impl ById {
    /// Whether ECS answered for `id` and did not list it: the instance is gone.
    pub fn absent(&self, id: &str) -> bool {
        !self.found.contains_key(id) && !self.unknown.contains(id)
    }
}

/// Describes `ids` in `region`, one call per 100 ids (more only when a page says so).
pub async fn by_ids(ecs: &dyn Ecs, region: &str, ids: &[String]) -> ById {
    let mut out = ById::default();
    for chunk in ids.chunks(CHUNK) {
        let req = DescribeInstancesRequest {
            region_id: Some(region.to_owned()),
            instance_ids: Some(chunk.to_vec()),
            max_results: Some(100),
            ..Default::default()
        };
        match describe_all_instances(ecs, &req).await {
            Ok(instances) => out
                .found
                .extend(instances.into_iter().map(|i| (i.instance_id.clone(), i))),
            Err(err) => {
                tracing::warn!(region, error = %err, "DescribeInstances failed for a chunk");
                out.unknown.extend(chunk.iter().cloned());
                out.error.get_or_insert(err);
            }
        }
    }
    out
}

/// Whether `region` lists any instance at all. A describe that finds none of a batch is only
/// trusted to mean "deleted" when the account sees instances in the region; otherwise the
/// credentials or the region are likely wrong (the reference's bug, spec §9 #5).
///
/// # Errors
/// The call's error.
pub async fn region_has_instances(ecs: &dyn Ecs, region: &str) -> Result<bool, ApiError> {
    let req = DescribeInstancesRequest {
        region_id: Some(region.to_owned()),
        max_results: Some(10),
        ..Default::default()
    };
    Ok(!ecs.describe_instances(&req).await?.instances.is_empty())
}

/// The instances holding each of `ips` as a VPC private IP in `region` (and `vpc_id` when
/// non-empty), keyed by IP; an IP with several instances keeps them all (the caller refuses
/// to pick one).
///
/// # Errors
/// The first failing call's error.
pub async fn by_ips(
    ecs: &dyn Ecs,
    region: &str,
    vpc_id: &str,
    ips: &[String],
) -> Result<BTreeMap<String, Vec<Instance>>, ApiError> {
    let mut out: BTreeMap<String, Vec<Instance>> = BTreeMap::new();
    for chunk in ips.chunks(CHUNK) {
        let req = DescribeInstancesRequest {
            region_id: Some(region.to_owned()),
            instance_network_type: Some("vpc".to_owned()),
            vpc_id: Some(vpc_id.to_owned()).filter(|v| !v.is_empty()),
            private_ip_addresses: Some(chunk.to_vec()),
            max_results: Some(100),
            ..Default::default()
        };
        for instance in describe_all_instances(ecs, &req).await? {
            for ip in &instance.vpc_attributes.private_ip_address {
                if chunk.contains(ip) {
                    out.entry(ip.clone()).or_default().push(instance.clone());
                }
            }
        }
    }
    Ok(out)
}
