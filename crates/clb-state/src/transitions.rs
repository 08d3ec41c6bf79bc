//! The transitions: one function per write the controller issues, each taking the typed
//! values of that write and, for a create, the ids the cloud answered, and returning the new
//! state or a [`Refusal`]. A refused transition leaves the state as it was.
//!
//! These are the state rules the CLB applies once a call is accepted (what a create
//! defaults, which objects must exist, what a Set may change); they are not the service's
//! parameter validation, quotas or inventory checks, which stay with whoever receives the
//! call (the local CLB's engine). Instance-level writes live here; listeners and domain
//! extensions in `listener`, vServer groups and members in `group`.

mod group;
mod listener;

pub use listener::{ListenerUpdate, ListenerWrite, NewListener};

use std::fmt;

use crate::state::LoadBalancer;
use crate::types::Protocol;

/// The object a refused write names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Object {
    /// A CLB, by id.
    LoadBalancer(String),
    /// A listener, by port and protocol.
    Listener(u16, Protocol),
    /// A vServer group, by id.
    Group(String),
    /// A domain extension, by id.
    DomainExtension(String),
    /// The domain extension of a domain (lower case) on a listener port.
    Domain(u16, String),
}

impl fmt::Display for Object {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Object::LoadBalancer(id) => write!(f, "loadbalancer {id}"),
            Object::Listener(port, protocol) => write!(f, "listener {port}/{protocol}"),
            Object::Group(id) => write!(f, "group {id}"),
            Object::DomainExtension(id) => write!(f, "domain extension {id}"),
            Object::Domain(port, domain) => write!(f, "domain extension for {domain} on {port}"),
        }
    }
}

/// A state rule a write breaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    /// `ListenerForward` and `ForwardPort` are set only when an HTTP listener is created.
    RedirectIsCreationOnly,
    /// An HTTP listener with `ListenerForward` on takes no Set (`Operation.NotAllowed`).
    ForwardingListenerTakesNoSet,
    /// A vServer group a listener uses cannot be deleted.
    GroupInUse,
    /// An HTTPS listener an HTTP listener redirects to cannot be deleted.
    RedirectTargetInUse,
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Rule::RedirectIsCreationOnly => {
                "ListenerForward and ForwardPort are set only when the listener is created"
            }
            Rule::ForwardingListenerTakesNoSet => {
                "a listener with ListenerForward on takes no Set (Operation.NotAllowed)"
            }
            Rule::GroupInUse => "a listener still uses the vServer group",
            Rule::RedirectTargetInUse => "an HTTP listener redirects to this HTTPS listener",
        })
    }
}

/// Why a write cannot be applied to the state it meets.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// The write names a CLB, listener, group or domain extension that does not exist.
    #[error("{0} does not exist")]
    Missing(Object),
    /// The write creates something that is already there.
    #[error("{0} already exists")]
    AlreadyExists(Object),
    /// The CLB refuses this write in the state it is in.
    #[error("not allowed: {0}")]
    NotAllowed(Rule),
}

/// The values of a `CreateLoadBalancer` call (`None` = not sent).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NewLoadBalancer {
    /// `LoadBalancerName`.
    pub load_balancer_name: String,
    /// `AddressType`: `internet` or `intranet`.
    pub address_type: String,
    /// `AddressIPVersion`: `ipv4` or `ipv6`.
    pub address_ip_version: String,
    /// `VpcId`; a CLB in a VPC has network type `vpc`, else `classic`.
    pub vpc_id: Option<String>,
    /// `VSwitchId`.
    pub vswitch_id: Option<String>,
    /// `MasterZoneId`.
    pub master_zone_id: Option<String>,
    /// `SlaveZoneId`.
    pub slave_zone_id: Option<String>,
    /// `LoadBalancerSpec`.
    pub load_balancer_spec: Option<String>,
    /// `InstanceChargeType`: `PayBySpec` or `PayByCLCU`.
    pub instance_charge_type: String,
    /// `InternetChargeType`; `paybytraffic` when not sent.
    pub internet_charge_type: Option<String>,
    /// `Bandwidth` in Mbps.
    pub bandwidth: Option<u32>,
    /// `DeleteProtection`.
    pub delete_protection: bool,
    /// `ModificationProtectionStatus`.
    pub modification_protection_status: String,
    /// `ModificationProtectionReason`.
    pub modification_protection_reason: Option<String>,
    /// `ResourceGroupId`.
    pub resource_group_id: Option<String>,
    /// `Tag.N`.
    pub tags: Vec<(String, String)>,
}

/// The internet charge type a CLB gets when the create names none (and the only one a
/// PayByCLCU instance takes).
pub const DEFAULT_INTERNET_CHARGE_TYPE: &str = "paybytraffic";

/// The instance charge type billed by capacity units (no spec, traffic only).
pub const PAY_BY_CLCU: &str = "PayByCLCU";

/// `CreateLoadBalancer`: the new CLB, with the id and address the cloud answered. It has no
/// listeners and no groups yet.
pub fn create_load_balancer(new: NewLoadBalancer, id: &str, address: &str) -> LoadBalancer {
    let network_type = if new.vpc_id.is_some() {
        "vpc"
    } else {
        "classic"
    };
    LoadBalancer {
        load_balancer_id: id.to_owned(),
        load_balancer_name: new.load_balancer_name,
        address: address.to_owned(),
        address_type: new.address_type,
        address_ip_version: new.address_ip_version,
        network_type: network_type.to_owned(),
        vpc_id: new.vpc_id.unwrap_or_default(),
        vswitch_id: new.vswitch_id.unwrap_or_default(),
        master_zone_id: new.master_zone_id.unwrap_or_default(),
        slave_zone_id: new.slave_zone_id.unwrap_or_default(),
        load_balancer_spec: new.load_balancer_spec.unwrap_or_default(),
        instance_charge_type: new.instance_charge_type,
        internet_charge_type: new
            .internet_charge_type
            .unwrap_or_else(|| DEFAULT_INTERNET_CHARGE_TYPE.to_owned()),
        bandwidth: new.bandwidth,
        delete_protection: new.delete_protection,
        modification_protection_status: new.modification_protection_status,
        modification_protection_reason: new.modification_protection_reason.unwrap_or_default(),
        resource_group_id: new.resource_group_id.unwrap_or_default(),
        tags: new.tags.into_iter().collect(),
        listeners: Vec::new(),
        vserver_groups: Vec::new(),
    }
}

/// `DeleteLoadBalancer`: `state` becomes `None`.
///
/// # Errors
/// [`Refusal::Missing`] when `state` is not CLB `id`.
pub fn delete_load_balancer(state: &mut Option<LoadBalancer>, id: &str) -> Result<(), Refusal> {
    match state {
        Some(lb) if lb.load_balancer_id == id => {
            *state = None;
            Ok(())
        }
        _ => Err(Refusal::Missing(Object::LoadBalancer(id.to_owned()))),
    }
}

impl LoadBalancer {
    /// `SetLoadBalancerName`.
    pub fn set_name(&mut self, name: &str) {
        name.clone_into(&mut self.load_balancer_name);
    }

    /// `ModifyLoadBalancerInternetSpec`: each value that is sent replaces the current one.
    pub fn modify_internet_spec(&mut self, charge_type: Option<&str>, bandwidth: Option<u32>) {
        if let Some(c) = charge_type {
            c.clone_into(&mut self.internet_charge_type);
        }
        if bandwidth.is_some() {
            self.bandwidth = bandwidth;
        }
    }

    /// `ModifyLoadBalancerInstanceSpec`.
    pub fn modify_instance_spec(&mut self, spec: &str) {
        spec.clone_into(&mut self.load_balancer_spec);
    }

    /// `ModifyLoadBalancerInstanceChargeType`, with the `LoadBalancerSpec` sent along (a
    /// PayBySpec target may name one). A PayByCLCU instance pays for traffic.
    pub fn modify_instance_charge_type(&mut self, charge_type: &str, spec: Option<&str>) {
        charge_type.clone_into(&mut self.instance_charge_type);
        if charge_type == PAY_BY_CLCU {
            DEFAULT_INTERNET_CHARGE_TYPE.clone_into(&mut self.internet_charge_type);
        }
        if let Some(spec) = spec {
            spec.clone_into(&mut self.load_balancer_spec);
        }
    }

    /// `SetLoadBalancerDeleteProtection`.
    pub fn set_delete_protection(&mut self, on: bool) {
        self.delete_protection = on;
    }

    /// `SetLoadBalancerModificationProtection`: a status without a reason clears the reason.
    pub fn set_modification_protection(&mut self, status: &str, reason: Option<&str>) {
        status.clone_into(&mut self.modification_protection_status);
        reason
            .unwrap_or_default()
            .clone_into(&mut self.modification_protection_reason);
    }

    /// `TagResources` on the instance: each tag is added or its value replaced.
    pub fn tag(&mut self, tags: &[(String, String)]) {
        self.tags.extend(tags.iter().cloned());
    }

    /// `UntagResources` on the instance: the keys are removed (absent ones are ignored).
    pub fn untag(&mut self, keys: &[String]) {
        self.tags.retain(|k, _| !keys.contains(k));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn new_lb() -> NewLoadBalancer {
        NewLoadBalancer {
            load_balancer_name: "a".into(),
            address_type: "intranet".into(),
            address_ip_version: "ipv4".into(),
            vpc_id: Some("vpc-1".into()),
            instance_charge_type: "PayByCLCU".into(),
            modification_protection_status: "ConsoleProtection".into(),
            tags: vec![("k".into(), "v".into())],
            ..NewLoadBalancer::default()
        }
    }

    #[test]
    fn a_created_clb_has_the_answered_ids_and_the_clouds_defaults() {
        let lb = create_load_balancer(new_lb(), "lb-1", "10.0.0.7");
        assert_eq!(
            (lb.load_balancer_id.as_str(), lb.address.as_str()),
            ("lb-1", "10.0.0.7")
        );
        assert_eq!(lb.network_type, "vpc");
        assert_eq!(lb.internet_charge_type, DEFAULT_INTERNET_CHARGE_TYPE);
        assert_eq!(lb.tags.get("k").map(String::as_str), Some("v"));
        let classic = create_load_balancer(
            NewLoadBalancer {
                vpc_id: None,
                ..new_lb()
            },
            "lb-2",
            "1.2.3.4",
        );
        assert_eq!(classic.network_type, "classic");
    }

    #[test]
    fn deleting_another_clb_is_refused_and_changes_nothing() {
        let mut state = Some(create_load_balancer(new_lb(), "lb-1", "10.0.0.7"));
        let refused = delete_load_balancer(&mut state, "lb-2");
        let lb_2 = Object::LoadBalancer("lb-2".into());
        assert_eq!(refused, Err(Refusal::Missing(lb_2)));
        assert!(state.is_some());
        delete_load_balancer(&mut state, "lb-1").unwrap();
        assert_eq!(state, None);
    }

    #[test]
    fn modification_protection_without_a_reason_clears_the_reason() {
        let mut lb = create_load_balancer(new_lb(), "lb-1", "10.0.0.7");
        lb.set_modification_protection("ConsoleProtection", Some("managed"));
        lb.set_modification_protection("NonProtection", None);
        assert_eq!(lb.modification_protection_status, "NonProtection");
        assert_eq!(lb.modification_protection_reason, "");
    }

    #[test]
    fn tags_are_replaced_by_key_and_untag_ignores_absent_keys() {
        let mut lb = create_load_balancer(new_lb(), "lb-1", "10.0.0.7");
        lb.tag(&[("k".into(), "w".into()), ("j".into(), "x".into())]);
        lb.untag(&["j".into(), "absent".into()]);
        assert_eq!(
            lb.tags.into_iter().collect::<Vec<_>>(),
            [("k".into(), "w".into())]
        );
    }

    #[test]
    fn a_clb_moved_to_pay_by_clcu_pays_by_traffic() {
        let mut lb = create_load_balancer(new_lb(), "lb-1", "10.0.0.7");
        lb.modify_instance_charge_type("PayBySpec", Some("slb.s2.small"));
        lb.modify_internet_spec(Some("paybybandwidth"), Some(10));
        lb.modify_instance_charge_type(PAY_BY_CLCU, None);
        assert_eq!(lb.internet_charge_type, DEFAULT_INTERNET_CHARGE_TYPE);
        assert_eq!(lb.load_balancer_spec, "slb.s2.small");
    }

    #[test]
    fn internet_spec_changes_only_what_is_sent() {
        let mut lb = create_load_balancer(new_lb(), "lb-1", "10.0.0.7");
        lb.modify_internet_spec(Some("paybybandwidth"), Some(10));
        lb.modify_internet_spec(None, Some(20));
        assert_eq!(
            (lb.internet_charge_type.as_str(), lb.bandwidth),
            ("paybybandwidth", Some(20))
        );
    }
}
