//! The steps of `every_annotation.rs`'s outcomes that act after the first sync: an edit that
//! makes the controller sync a Service again, binding an EIP to a CLB, and a weight changed in
//! the console. Each returns the Service as synced afterwards, or what went wrong.

use std::time::Duration;

use k8s_openapi::api::core::v1::Service;
use kube::ResourceExt;
use kube::api::{Patch, PatchParams};
use slb_controller::cloud::Cloud;
use slb_controller::service_writes::HASH_LABEL;
use slb_openapi::clb::SetVServerGroupAttributeRequest;
use slb_openapi::vpc::{AllocateEipAddressRequest, AssociateEipAddressRequest, SLB_INSTANCE};
use slb_openapi::{Clb, HttpClient, Vpc};

use super::cases::{self, Seen};
use super::support::Harness;

/// True once the controller has synced the Service as it is now.
pub fn is_synced(svc: &Service) -> bool {
    svc.labels().get(HASH_LABEL) == Some(&slb_model::spec_hash(svc))
}

/// Adds an annotation outside the prefix, so the controller syncs the Service again, and
/// waits for that sync.
pub async fn touch(h: &Harness, svc: &Service) -> Result<Service, String> {
    let patch = serde_json::json!({"metadata": {"annotations": {"example.com/touched": "1"}}});
    let name = svc.name_any();
    h.services()
        .patch(&name, &PatchParams::default(), &Patch::Merge(&patch))
        .await
        .unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while tokio::time::Instant::now() < deadline {
        let now = h.services().get(&name).await.unwrap();
        if is_synced(&now) {
            return Ok(now);
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    Err(format!(
        "not synced again after an edit; events: {:?}",
        h.events(&name).await
    ))
}

/// `external-ip-type: eip`: no address and an `EipNotBound` warning until the user binds an
/// EIP to the CLB through the API; after the next sync the status shows it.
pub async fn bind_eip(
    h: &Harness,
    api: &HttpClient,
    seen: &Seen,
    id: &str,
) -> Result<Service, String> {
    let (svc, events) = (&seen.svc, &seen.events);
    if cases::ingress_ip(svc).is_some() {
        return Err(format!(
            "an address before any EIP is bound: {:?}",
            svc.status
        ));
    }
    if !events
        .iter()
        .any(|(r, n)| r == "EipNotBound" && n.contains(id))
    {
        return Err(format!("no EipNotBound event naming {id}: {events:?}"));
    }
    let eip = api
        .allocate_eip_address(&AllocateEipAddressRequest::default())
        .await
        .map_err(|e| format!("AllocateEipAddress: {e}"))?;
    let bind = AssociateEipAddressRequest {
        allocation_id: eip.allocation_id,
        instance_id: id.into(),
        instance_type: Some(SLB_INSTANCE.into()),
        ..Default::default()
    };
    api.associate_eip_address(&bind)
        .await
        .map_err(|e| format!("AssociateEipAddress: {e}"))?;
    let svc = touch(h, svc).await?;
    cases::same(
        "the status IP",
        cases::ingress_ip(&svc),
        Some(eip.eip_address),
    )?;
    Ok(svc)
}

/// `ignore-weight-update`: a weight changed in the console survives the next sync.
pub async fn console_weight(
    h: &Harness,
    api: &HttpClient,
    look: &Cloud,
    seen: &Seen,
    id: &str,
) -> Result<Service, String> {
    let (svc, lb) = (&seen.svc, &seen.lb);
    let group = lb.vserver_groups.first().ok_or("no vServer group")?;
    let member = group.backend_servers.first().ok_or("no backend")?;
    let edit = SetVServerGroupAttributeRequest {
        vserver_group_id: group.vserver_group_id.clone(),
        backend_servers: Some(vec![slb_openapi::types::BackendServer {
            server_id: member.server_id.clone(),
            port: Some(member.port),
            weight: Some(7),
            ..Default::default()
        }]),
        ..Default::default()
    };
    api.set_vserver_group_attribute(&edit)
        .await
        .map_err(|e| format!("SetVServerGroupAttribute: {e}"))?;
    let svc = touch(h, svc).await?;
    let after = look
        .observe(id)
        .await
        .map_err(|e| e.to_string())?
        .ok_or("no CLB")?;
    let weight = after
        .group_by_id(&group.vserver_group_id)
        .and_then(|g| {
            g.backend_servers
                .iter()
                .find(|b| b.server_id == member.server_id)
        })
        .map(|b| b.weight);
    cases::same("the console weight after a sync", weight, Some(7))?;
    Ok(svc)
}
