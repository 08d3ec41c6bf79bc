//! Runs a [`Plan`]: each [`Action`] becomes one typed request (built once, from the plan's
//! values, by `wire`'s conversions and slb-openapi's request types) and one call of the
//! matching `Clb` method; the ids that did not exist when the plan was made (the CLB it
//! creates, the groups and domain extensions it creates) are read from the typed responses
//! of earlier calls.
//!
//! Actions run one after another in plan order: the order is the dependency order, and the
//! CLB API refuses concurrent writes to one instance (`BackendServer.configuring`) anyway.
//! The first failure stops the run; the next sync re-observes and plans what is left.

use super::CloudError;
use super::wire::{backend_servers, non_empty, on_off, parse_opt, parse_req, tags};
use slb_model::Plan;
use slb_model::plan::{Action, CreateLoadBalancer, GroupRef, LbRef};
use slb_openapi::clb::*;
use slb_openapi::types::ResourceType;
use slb_openapi::{ApiError, Clb};
use std::collections::BTreeMap;

mod listener;

/// What a run produced.
#[derive(Debug, Default)]
pub struct Executed {
    /// Id and address of the CLB the plan created, if it did.
    pub created: Option<(String, String)>,
    /// Ids of the vServer groups the plan created, by name.
    pub groups: BTreeMap<String, String>,
    /// Ids of the domain extensions the plan created, by listener port and domain.
    pub domain_extensions: BTreeMap<(u16, String), String>,
    /// Calls made.
    pub calls: usize,
}

/// Executes `plan` against `clb` in `region`.
///
/// # Errors
/// The first failing call, naming the action.
pub async fn execute(clb: &dyn Clb, region: &str, plan: &Plan) -> Result<Executed, CloudError> {
    let mut run = Run {
        clb,
        region: Some(region.to_owned()),
        done: Executed::default(),
    };
    for action in &plan.actions {
        let name = action.api_name();
        tracing::debug!(action = name, "calling");
        run.call(action).await.map_err(|e| match e {
            Failure::Api(source) => CloudError::Api {
                action: name,
                source,
            },
            Failure::Unresolved(what) => CloudError::Unresolved { what },
        })?;
        run.done.calls += 1;
    }
    Ok(run.done)
}

/// Why one action failed: the call, or an id the plan refers to before it exists.
enum Failure {
    Api(ApiError),
    Unresolved(String),
}

impl From<ApiError> for Failure {
    fn from(e: ApiError) -> Self {
        Self::Api(e)
    }
}

struct Run<'a> {
    clb: &'a dyn Clb,
    region: Option<String>,
    done: Executed,
}

impl Run<'_> {
    fn lb(&self, r: &LbRef) -> Result<String, Failure> {
        match r {
            LbRef::Id(id) => Ok(id.clone()),
            LbRef::Created => self
                .done
                .created
                .as_ref()
                .map(|(id, _)| id.clone())
                .ok_or_else(|| Failure::Unresolved("the CLB to be created".into())),
        }
    }

    fn group(&self, r: &GroupRef) -> Result<String, Failure> {
        match r {
            GroupRef::Id(id) => Ok(id.clone()),
            GroupRef::Pending(name) => self
                .done
                .groups
                .get(name)
                .cloned()
                .ok_or_else(|| Failure::Unresolved(format!("vServer group {name}"))),
        }
    }

    /// One action: the load balancer's own calls here, groups and listeners below.
    async fn call(&mut self, action: &Action) -> Result<(), Failure> {
        let region = self.region.clone();
        match action {
            Action::CreateLoadBalancer(c) => {
                let resp = self
                    .clb
                    .create_load_balancer(&create_request(region, c)?)
                    .await?;
                self.done.created = Some((resp.load_balancer_id, resp.address));
            }
            Action::SetLoadBalancerName {
                load_balancer,
                load_balancer_name,
            } => {
                let req = SetLoadBalancerNameRequest {
                    region_id: region,
                    load_balancer_id: self.lb(load_balancer)?,
                    load_balancer_name: load_balancer_name.clone(),
                };
                self.clb.set_load_balancer_name(&req).await?;
            }
            Action::DeleteLoadBalancer { load_balancer_id } => {
                let req = DeleteLoadBalancerRequest {
                    region_id: region,
                    load_balancer_id: load_balancer_id.clone(),
                };
                self.clb.delete_load_balancer(&req).await?;
            }
            Action::TagResources { .. } | Action::UntagResources { .. } => {
                self.call_tags(action).await?;
            }
            Action::ModifyLoadBalancerInternetSpec { .. }
            | Action::ModifyLoadBalancerInstanceSpec { .. }
            | Action::ModifyLoadBalancerInstanceChargeType { .. }
            | Action::SetLoadBalancerDeleteProtection { .. }
            | Action::SetLoadBalancerModificationProtection { .. } => {
                self.call_modify(action).await?;
            }
            Action::CreateVServerGroup { .. }
            | Action::AddVServerGroupBackendServers { .. }
            | Action::RemoveVServerGroupBackendServers { .. }
            | Action::SetVServerGroupAttribute { .. }
            | Action::DeleteVServerGroup { .. } => self.call_group(action).await?,
            _ => self.call_listener(action).await?,
        }
        Ok(())
    }

    /// The billing and protection setters.
    async fn call_modify(&mut self, action: &Action) -> Result<(), Failure> {
        let region_id = self.region.clone();
        match action {
            Action::ModifyLoadBalancerInternetSpec {
                load_balancer,
                internet_charge_type,
                bandwidth,
            } => {
                let internet_charge_type = internet_charge_type.as_deref().unwrap_or_default();
                let req = ModifyLoadBalancerInternetSpecRequest {
                    region_id,
                    load_balancer_id: self.lb(load_balancer)?,
                    internet_charge_type: parse_opt("InternetChargeType", internet_charge_type)?,
                    bandwidth: *bandwidth,
                    ..Default::default()
                };
                self.clb.modify_load_balancer_internet_spec(&req).await?;
            }
            Action::ModifyLoadBalancerInstanceSpec {
                load_balancer,
                load_balancer_spec,
            } => {
                let req = ModifyLoadBalancerInstanceSpecRequest {
                    region_id,
                    load_balancer_id: self.lb(load_balancer)?,
                    load_balancer_spec: load_balancer_spec.clone(),
                    ..Default::default()
                };
                self.clb.modify_load_balancer_instance_spec(&req).await?;
            }
            Action::ModifyLoadBalancerInstanceChargeType {
                load_balancer,
                instance_charge_type,
            } => {
                let req = ModifyLoadBalancerInstanceChargeTypeRequest {
                    region_id,
                    load_balancer_id: self.lb(load_balancer)?,
                    instance_charge_type: parse_req("InstanceChargeType", instance_charge_type)?,
                    ..Default::default()
                };
                self.clb
                    .modify_load_balancer_instance_charge_type(&req)
                    .await?;
            }
            _ => self.call_protection(action).await?,
        }
        Ok(())
    }

    /// Delete and modification protection.
    async fn call_protection(&mut self, action: &Action) -> Result<(), Failure> {
        let region_id = self.region.clone();
        match action {
            Action::SetLoadBalancerDeleteProtection {
                load_balancer,
                delete_protection,
            } => {
                let req = SetLoadBalancerDeleteProtectionRequest {
                    region_id,
                    load_balancer_id: self.lb(load_balancer)?,
                    delete_protection: on_off(*delete_protection),
                };
                self.clb.set_load_balancer_delete_protection(&req).await?;
            }
            Action::SetLoadBalancerModificationProtection {
                load_balancer,
                modification_protection_status,
                modification_protection_reason,
            } => {
                let status = modification_protection_status.as_str();
                let req = SetLoadBalancerModificationProtectionRequest {
                    region_id,
                    load_balancer_id: self.lb(load_balancer)?,
                    modification_protection_status: parse_req(
                        "ModificationProtectionStatus",
                        status,
                    )?,
                    modification_protection_reason: modification_protection_reason
                        .as_deref()
                        .and_then(non_empty),
                };
                self.clb
                    .set_load_balancer_modification_protection(&req)
                    .await?;
            }
            other => return Err(Failure::Unresolved(other.api_name().into())),
        }
        Ok(())
    }

    /// The CLB's tags, by the tag API (`ResourceType=instance`).
    async fn call_tags(&mut self, action: &Action) -> Result<(), Failure> {
        let region_id = self.region.clone();
        match action {
            Action::TagResources {
                load_balancer,
                tags: pairs,
            } => {
                let req = TagResourcesRequest {
                    region_id,
                    resource_type: ResourceType::Instance,
                    resource_ids: vec![self.lb(load_balancer)?],
                    tags: tags(pairs),
                };
                self.clb.tag_resources(&req).await?;
            }
            Action::UntagResources {
                load_balancer,
                tag_keys,
            } => {
                let req = UntagResourcesRequest {
                    region_id,
                    resource_type: ResourceType::Instance,
                    resource_ids: vec![self.lb(load_balancer)?],
                    tag_keys: tag_keys.clone(),
                    all: None,
                };
                self.clb.untag_resources(&req).await?;
            }
            other => return Err(Failure::Unresolved(other.api_name().into())),
        }
        Ok(())
    }

    /// vServer groups and their members.
    async fn call_group(&mut self, action: &Action) -> Result<(), Failure> {
        let region_id = self.region.clone();
        match action {
            Action::CreateVServerGroup {
                load_balancer,
                vserver_group_name,
                backend_servers: members,
            } => {
                let req = CreateVServerGroupRequest {
                    region_id,
                    load_balancer_id: self.lb(load_balancer)?,
                    vserver_group_name: non_empty(vserver_group_name),
                    backend_servers: (!members.is_empty()).then(|| backend_servers(members)),
                    tags: Vec::new(),
                };
                let resp = self.clb.create_vserver_group(&req).await?;
                self.done
                    .groups
                    .insert(vserver_group_name.clone(), resp.vserver_group_id);
            }
            Action::DeleteVServerGroup { vserver_group_id } => {
                let req = DeleteVServerGroupRequest {
                    region_id,
                    vserver_group_id: vserver_group_id.clone(),
                };
                self.clb.delete_vserver_group(&req).await?;
            }
            _ => self.call_members(action).await?,
        }
        Ok(())
    }

    /// Adding, removing and replacing a group's members.
    async fn call_members(&mut self, action: &Action) -> Result<(), Failure> {
        let region_id = self.region.clone();
        match action {
            Action::AddVServerGroupBackendServers {
                vserver_group,
                backend_servers: members,
            } => {
                let req = AddVServerGroupBackendServersRequest {
                    region_id,
                    vserver_group_id: self.group(vserver_group)?,
                    backend_servers: backend_servers(members),
                };
                self.clb.add_vserver_group_backend_servers(&req).await?;
            }
            Action::RemoveVServerGroupBackendServers {
                vserver_group,
                backend_servers: members,
            } => {
                let req = RemoveVServerGroupBackendServersRequest {
                    region_id,
                    vserver_group_id: self.group(vserver_group)?,
                    backend_servers: backend_servers(members),
                };
                self.clb.remove_vserver_group_backend_servers(&req).await?;
            }
            Action::SetVServerGroupAttribute {
                vserver_group,
                backend_servers: members,
            } => {
                let req = SetVServerGroupAttributeRequest {
                    region_id,
                    vserver_group_id: self.group(vserver_group)?,
                    vserver_group_name: None,
                    backend_servers: Some(backend_servers(members)),
                };
                self.clb.set_vserver_group_attribute(&req).await?;
            }
            other => return Err(Failure::Unresolved(other.api_name().into())),
        }
        Ok(())
    }
}

/// The `CreateLoadBalancer` request of a planned create.
fn create_request(
    region_id: Option<String>,
    c: &CreateLoadBalancer,
) -> Result<CreateLoadBalancerRequest, ApiError> {
    let opt = |v: &Option<String>| v.as_deref().and_then(non_empty);
    let internet = c.internet_charge_type.as_deref().unwrap_or_default();
    Ok(CreateLoadBalancerRequest {
        region_id,
        address_type: parse_opt("AddressType", &c.address_type)?,
        address_ip_version: parse_opt("AddressIPVersion", &c.address_ip_version)?,
        load_balancer_name: non_empty(&c.load_balancer_name),
        vpc_id: opt(&c.vpc_id),
        vswitch_id: opt(&c.vswitch_id),
        address: opt(&c.address),
        master_zone_id: opt(&c.master_zone_id),
        slave_zone_id: opt(&c.slave_zone_id),
        load_balancer_spec: opt(&c.load_balancer_spec),
        instance_charge_type: parse_opt("InstanceChargeType", &c.instance_charge_type)?,
        internet_charge_type: parse_opt("InternetChargeType", internet)?,
        bandwidth: c.bandwidth,
        pay_type: None,
        resource_group_id: opt(&c.resource_group_id),
        delete_protection: Some(on_off(c.delete_protection)),
        modification_protection_status: parse_opt(
            "ModificationProtectionStatus",
            &c.modification_protection_status,
        )?,
        modification_protection_reason: opt(&c.modification_protection_reason),
        client_token: non_empty(&c.client_token),
        tags: tags(&c.tags),
    })
}
