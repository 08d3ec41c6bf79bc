//! The CLB attribute setters: name, protections, internet spec, instance spec, charge type
//! and status, with their billing and PayByCLCU rules.

use slb_openapi::clb::{
    ModifyLoadBalancerInstanceChargeTypeRequest, ModifyLoadBalancerInstanceSpecRequest,
    ModifyLoadBalancerInternetSpecRequest, SetLoadBalancerDeleteProtectionRequest,
    SetLoadBalancerModificationProtectionRequest, SetLoadBalancerNameRequest,
    SetLoadBalancerStatusRequest,
};
use slb_openapi::error::{ApiError, codes};
use slb_openapi::types::{
    InstanceChargeType, InternetChargeType, LoadBalancerStatus, ModificationProtectionStatus, OnOff,
};

use super::super::{Ctx, Outcome, State, lb_by_id_for_write};
use super::{check_bandwidth, check_name, check_protection_reason, check_spec};
use crate::model::LoadBalancer;
use slb_clb_state::transitions::PAY_BY_CLCU;
/// Applies `f` to a copy of the (unlocked) LB and stores the copy.
/// A billing change: the CLB must exist and be writable, then the account must be allowed to
/// pay (arrears and balance faults), then `f` edits the CLB.
fn billing_update(
    state: &State,
    cx: &Ctx<'_>,
    id: &str,
    f: impl FnOnce(&mut LoadBalancer) -> Result<(), ApiError>,
) -> Result<Outcome, ApiError> {
    lb_by_id_for_write(state, id)?;
    cx.check_billing()?;
    update(state, id, f)
}

fn update(
    state: &State,
    id: &str,
    f: impl FnOnce(&mut LoadBalancer) -> Result<(), ApiError>,
) -> Result<Outcome, ApiError> {
    let mut lb = lb_by_id_for_write(state, id)?.clone();
    f(&mut lb)?;
    Ok(Outcome::put_lb(lb))
}

/// `SetLoadBalancerName`.
pub(crate) fn set_name(
    state: &State,
    _cx: &Ctx<'_>,
    r: &SetLoadBalancerNameRequest,
) -> Result<Outcome, ApiError> {
    update(state, &r.load_balancer_id, |lb| {
        let name = &r.load_balancer_name;
        check_name(name)?;
        lb.change(|s| s.set_name(name));
        Ok(())
    })
}

/// `SetLoadBalancerDeleteProtection`.
pub(crate) fn set_delete_protection(
    state: &State,
    _cx: &Ctx<'_>,
    r: &SetLoadBalancerDeleteProtectionRequest,
) -> Result<Outcome, ApiError> {
    update(state, &r.load_balancer_id, |lb| {
        let on = r.delete_protection == OnOff::On;
        lb.change(|s| s.set_delete_protection(on));
        Ok(())
    })
}

/// `SetLoadBalancerModificationProtection`.
pub(crate) fn set_modification_protection(
    state: &State,
    _cx: &Ctx<'_>,
    r: &SetLoadBalancerModificationProtectionRequest,
) -> Result<Outcome, ApiError> {
    update(state, &r.load_balancer_id, |lb| {
        let status: ModificationProtectionStatus = r.modification_protection_status;
        let reason: String = r.modification_protection_reason.clone().unwrap_or_default();
        check_protection_reason(status, &reason)?;
        lb.change(|s| s.set_modification_protection(status.as_str(), Some(&reason)));
        Ok(())
    })
}

/// `ModifyLoadBalancerInternetSpec` (billing).
pub(crate) fn modify_internet_spec(
    state: &State,
    cx: &Ctx<'_>,
    r: &ModifyLoadBalancerInternetSpecRequest,
) -> Result<Outcome, ApiError> {
    let out = billing_update(state, cx, &r.load_balancer_id, |lb| {
        let charge: Option<InternetChargeType> = r.internet_charge_type;
        if charge.is_some_and(|c| c != InternetChargeType::PayByTraffic)
            && lb.instance_charge_type == PAY_BY_CLCU
        {
            return Err(codes::PAY_BY_CLCU.error());
        }
        let bandwidth = r.bandwidth;
        if let Some(bw) = bandwidth {
            check_bandwidth(bw)?;
        }
        lb.change(|s| s.modify_internet_spec(charge.map(InternetChargeType::as_str), bandwidth));
        Ok(())
    })?;
    Ok(out.with("OrderId", cx.now_ms))
}

/// `ModifyLoadBalancerInstanceSpec` (billing; refused for PayByCLCU).
pub(crate) fn modify_instance_spec(
    state: &State,
    cx: &Ctx<'_>,
    r: &ModifyLoadBalancerInstanceSpecRequest,
) -> Result<Outcome, ApiError> {
    let out = billing_update(state, cx, &r.load_balancer_id, |lb| {
        let spec = &r.load_balancer_spec;
        if lb.instance_charge_type == PAY_BY_CLCU {
            return Err(codes::PAY_BY_CLCU.error());
        }
        check_spec(spec)?;
        lb.change(|s| s.modify_instance_spec(spec));
        Ok(())
    })?;
    Ok(out.with("OrderId", cx.now_ms))
}

/// `ModifyLoadBalancerInstanceChargeType` (billing; only PayBySpec → PayByCLCU).
pub(crate) fn modify_instance_charge_type(
    state: &State,
    cx: &Ctx<'_>,
    r: &ModifyLoadBalancerInstanceChargeTypeRequest,
) -> Result<Outcome, ApiError> {
    billing_update(state, cx, &r.load_balancer_id, |lb| {
        let target: InstanceChargeType = r.instance_charge_type;
        let spec = match (lb.instance_charge_type.as_str(), target) {
            (PAY_BY_CLCU, InstanceChargeType::PayBySpec) => return Err(codes::LCU_TO_SPEC.error()),
            (_, InstanceChargeType::PayByClcu) => None,
            (_, InstanceChargeType::PayBySpec) => r.load_balancer_spec.clone(),
        };
        if let Some(spec) = &spec {
            check_spec(spec)?;
        }
        lb.change(|s| s.modify_instance_charge_type(target.as_str(), spec.as_deref()));
        Ok(())
    })
}

/// `SetLoadBalancerStatus`: `active` or `inactive` (an inactive LB forwards nothing).
pub(crate) fn set_status(
    state: &State,
    _cx: &Ctx<'_>,
    r: &SetLoadBalancerStatusRequest,
) -> Result<Outcome, ApiError> {
    update(state, &r.load_balancer_id, |lb| {
        let status: LoadBalancerStatus = r.load_balancer_status;
        if status == LoadBalancerStatus::Locked {
            return Err(ApiError::invalid_parameter(
                "LoadBalancerStatus",
                "must be active or inactive",
            ));
        }
        lb.status = status.as_str().to_owned();
        Ok(())
    })
}
