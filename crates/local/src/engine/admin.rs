//! Local-only administration actions. Their names start with `Local` so nobody mistakes them
//! for Alibaba actions; they are signed and routed like the rest, and never throttled or
//! delayed by injected faults.
//!
//! | Action | Parameters | Effect |
//! |---|---|---|
//! | `LocalPutInstances` | `Instances`: JSON `[{"InstanceId","PrivateIpAddress","VpcId","VSwitchId","ZoneId","InstanceName","Status","InstanceType","InstanceChargeType","SpotStrategy","HostName","PublicIpAddresses":[…],"EipAddress","Tags":{…}}]`, at most [`MAX_ITEMS_PER_CALL`] | insert or replace ECS instances |
//! | `LocalDeleteInstances` | `InstanceIds`: JSON `["i-…"]` | remove instances (unknown ids ignored) |
//! | `LocalPutNetworkInterfaces` | `NetworkInterfaces`: JSON `[{"NetworkInterfaceId","PrivateIpAddresses":[…],"Ipv6Addresses":[…],"VpcId",…}]`, at most [`MAX_ITEMS_PER_CALL`] | insert or replace ENIs |
//! | `LocalDeleteNetworkInterfaces` | `NetworkInterfaceIds`: JSON `["eni-…"]` | remove ENIs |
//! | `LocalSetFaults` | `Faults`: JSON of the config file's `faults` section (`latency_ms` ≤ 60,000) | replace the fault settings (in memory) |
//! | `LocalDescribeFaults` | — | `Faults`: the current settings |
//! | `LocalSetLoadBalancerStatus` | `LoadBalancerId`, `LoadBalancerStatus` (`active`/`inactive`/`locked`) | set any status, including `locked` |
//!
//! Inventory changes are stored durably like every other change; faults are not.

use std::net::Ipv4Addr;

use serde_json::Map;
use slb_openapi::error::ApiError;
use slb_openapi::local_admin::{
    LocalDeleteInstancesRequest, LocalDeleteNetworkInterfacesRequest, LocalDescribeFaultsRequest,
    LocalInstance, LocalNetworkInterface, LocalPutInstancesRequest,
    LocalPutNetworkInterfacesRequest, LocalSetFaultsRequest, LocalSetLoadBalancerStatusRequest,
};

use super::{Ctx, Outcome, State, lb_by_id};
use crate::config::eni_address_problem;
use crate::model::{Instance, NetworkInterface};

/// Most instances or ENIs one `LocalPut…` call takes (a cluster of more nodes is sent in
/// several calls).
pub const MAX_ITEMS_PER_CALL: usize = slb_openapi::local_admin::MAX_INSTANCES_PER_CALL;

/// `InvalidParameter` naming the list parameter and the per-call cap.
fn check_count(name: &str, count: usize) -> Result<(), ApiError> {
    if count <= MAX_ITEMS_PER_CALL {
        return Ok(());
    }
    Err(ApiError::invalid_parameter(
        name,
        &format!(
            "{count} items in one call; at most {MAX_ITEMS_PER_CALL} are accepted: send them in \
             several calls"
        ),
    ))
}

/// One typed instance as an inventory record (an empty `Status` is `Running`; the optional
/// details are read from the instance's other fields).
fn inventory_instance(i: &LocalInstance) -> Result<Instance, ApiError> {
    let details = serde_json::Value::Object(i.details.clone().into_iter().collect());
    let details = serde_json::from_value(details).map_err(|e| {
        ApiError::invalid_parameter("Instances", &format!("{}: {e}", i.instance_id))
    })?;
    Ok(Instance {
        instance_id: i.instance_id.clone(),
        private_ip_address: i.private_ip_address.clone(),
        vpc_id: i.vpc_id.clone(),
        vswitch_id: i.vswitch_id.clone(),
        zone_id: i.zone_id.clone(),
        instance_name: i.instance_name.clone(),
        status: if i.status.is_empty() {
            "Running".to_owned()
        } else {
            i.status.clone()
        },
        details,
    })
}

/// `LocalPutInstances`.
pub(crate) fn put_instances(
    _state: &State,
    _cx: &Ctx<'_>,
    req: &LocalPutInstancesRequest,
) -> Result<Outcome, ApiError> {
    check_count("Instances", req.instances.len())?;
    let list = req
        .instances
        .iter()
        .map(inventory_instance)
        .collect::<Result<Vec<_>, _>>()?;
    for i in &list {
        if i.instance_id.is_empty() {
            return Err(ApiError::invalid_parameter(
                "Instances",
                "every item needs an InstanceId",
            ));
        }
        if i.private_ip_address.parse::<Ipv4Addr>().is_err() {
            return Err(ApiError::invalid_parameter(
                "Instances",
                &format!(
                    "{}: PrivateIpAddress {:?} is not IPv4",
                    i.instance_id, i.private_ip_address
                ),
            ));
        }
    }
    let mut out = Outcome::default().with("Count", list.len());
    out.change.put_instances = list;
    Ok(out)
}

/// `LocalDeleteInstances`.
pub(crate) fn delete_instances(
    state: &State,
    _cx: &Ctx<'_>,
    req: &LocalDeleteInstancesRequest,
) -> Result<Outcome, ApiError> {
    let mut out = Outcome::default();
    out.change.delete_instances = req
        .instance_ids
        .iter()
        .filter(|id| state.instances.contains_key(*id))
        .cloned()
        .collect();
    Ok(out.with_count())
}

/// One typed ENI as an inventory record (an empty `Type` is `Secondary`, an empty `Status`
/// `InUse`).
fn inventory_eni(e: &LocalNetworkInterface) -> NetworkInterface {
    let or = |value: &str, default: &str| if value.is_empty() { default } else { value }.to_owned();
    NetworkInterface {
        network_interface_id: e.network_interface_id.clone(),
        private_ip_addresses: e.private_ip_addresses.clone(),
        ipv6_addresses: e.ipv6_addresses.clone(),
        vpc_id: e.vpc_id.clone(),
        vswitch_id: e.vswitch_id.clone(),
        zone_id: e.zone_id.clone(),
        instance_id: e.instance_id.clone(),
        eni_type: or(&e.eni_type, "Secondary"),
        status: or(&e.status, "InUse"),
    }
}

/// `LocalPutNetworkInterfaces`.
pub(crate) fn put_network_interfaces(
    _state: &State,
    _cx: &Ctx<'_>,
    req: &LocalPutNetworkInterfacesRequest,
) -> Result<Outcome, ApiError> {
    check_count("NetworkInterfaces", req.network_interfaces.len())?;
    let list: Vec<NetworkInterface> = req.network_interfaces.iter().map(inventory_eni).collect();
    if let Some(problem) = list.iter().find_map(eni_address_problem) {
        return Err(ApiError::invalid_parameter("NetworkInterfaces", &problem));
    }
    let mut out = Outcome::default().with("Count", list.len());
    out.change.put_network_interfaces = list;
    Ok(out)
}

/// `LocalDeleteNetworkInterfaces`.
pub(crate) fn delete_network_interfaces(
    state: &State,
    _cx: &Ctx<'_>,
    req: &LocalDeleteNetworkInterfacesRequest,
) -> Result<Outcome, ApiError> {
    let mut out = Outcome::default();
    out.change.delete_network_interfaces = req
        .network_interface_ids
        .iter()
        .filter(|id| state.network_interfaces.contains_key(*id))
        .cloned()
        .collect();
    Ok(out.with_count())
}

/// `LocalSetFaults`.
pub(crate) fn set_faults(
    _state: &State,
    _cx: &Ctx<'_>,
    req: &LocalSetFaultsRequest,
) -> Result<Outcome, ApiError> {
    req.faults
        .validate()
        .map_err(|e| ApiError::invalid_parameter("Faults", &e))?;
    Ok(Outcome {
        faults: Some(req.faults.clone()),
        ..Outcome::default()
    })
}

/// `LocalDescribeFaults`.
pub(crate) fn describe_faults(
    _state: &State,
    cx: &Ctx<'_>,
    _req: &LocalDescribeFaultsRequest,
) -> Result<Outcome, ApiError> {
    let faults = serde_json::to_value(cx.faults.config()).unwrap_or_default();
    Ok(Outcome::read(Map::new()).with("Faults", faults))
}

/// `LocalSetLoadBalancerStatus`: also `locked`, which the real API cannot set.
pub(crate) fn set_load_balancer_status(
    state: &State,
    _cx: &Ctx<'_>,
    req: &LocalSetLoadBalancerStatusRequest,
) -> Result<Outcome, ApiError> {
    let mut lb = lb_by_id(state, &req.load_balancer_id)?.clone();
    lb.status = req.load_balancer_status.as_str().to_owned();
    Ok(Outcome::put_lb(lb))
}

impl Outcome {
    fn with_count(self) -> Self {
        let n = self.change.delete_instances.len() + self.change.delete_network_interfaces.len();
        self.with("Count", n)
    }
}
