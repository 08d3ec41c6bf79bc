//! Runs a [`Plan`]: each [`Action`] becomes one OpenAPI call through `dispatch_clb`, with the
//! ids that did not exist when the plan was made (the CLB it creates, the groups it creates)
//! filled in from earlier responses.
//!
//! Actions run one after another in plan order: the order is the dependency order, and the
//! CLB API refuses concurrent writes to one instance (`BackendServer.configuring`) anyway.
//! The first failure stops the run; the next sync re-observes and plans what is left.

use super::CloudError;
use super::wire::{backend_servers_json, listener_params, write_tags};
use slb_model::Plan;
use slb_model::plan::{Action, GroupRef, LbRef, ListenerParams};
use slb_model::types::Protocol;
use slb_openapi::{Clb, Params, dispatch_clb};
use std::collections::BTreeMap;

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
        region,
        created: None,
        groups: BTreeMap::new(),
        domain_extensions: BTreeMap::new(),
    };
    let mut calls = 0;
    for action in &plan.actions {
        let name = action.api_name();
        let params = run.params(action)?;
        tracing::debug!(action = name, "calling");
        let response =
            dispatch_clb(clb, name, &params)
                .await
                .map_err(|source| CloudError::Api {
                    action: name,
                    source,
                })?;
        calls += 1;
        run.record(action, &response);
    }
    let created = run.created.map(|lb| (lb.id, lb.address));
    Ok(Executed {
        created,
        groups: run.groups,
        domain_extensions: run.domain_extensions,
        calls,
    })
}

struct CreatedLb {
    id: String,
    address: String,
}

struct Run<'a> {
    region: &'a str,
    created: Option<CreatedLb>,
    /// Groups created in this run: name → id.
    groups: BTreeMap<String, String>,
    /// Domain extensions created in this run: (port, domain) → id.
    domain_extensions: BTreeMap<(u16, String), String>,
}

impl Run<'_> {
    fn lb(&self, r: &LbRef) -> Result<String, CloudError> {
        match r {
            LbRef::Id(id) => Ok(id.clone()),
            LbRef::Created => self
                .created
                .as_ref()
                .map(|lb| lb.id.clone())
                .ok_or_else(|| CloudError::Unresolved {
                    what: "the CLB to be created".into(),
                }),
        }
    }

    fn group(&self, r: &GroupRef) -> Result<String, CloudError> {
        match r {
            GroupRef::Id(id) => Ok(id.clone()),
            GroupRef::Pending(name) => {
                self.groups
                    .get(name)
                    .cloned()
                    .ok_or_else(|| CloudError::Unresolved {
                        what: format!("vServer group {name}"),
                    })
            }
        }
    }

    fn record(&mut self, action: &Action, response: &serde_json::Value) {
        let field = |k: &str| {
            response
                .get(k)
                .and_then(|v| v.as_str())
                .unwrap_or_default()
                .to_owned()
        };
        match action {
            Action::CreateLoadBalancer(_) => {
                self.created = Some(CreatedLb {
                    id: field("LoadBalancerId"),
                    address: field("Address"),
                });
            }
            Action::CreateVServerGroup {
                vserver_group_name, ..
            } => {
                self.groups
                    .insert(vserver_group_name.clone(), field("VServerGroupId"));
            }
            Action::CreateDomainExtension {
                listener_port,
                domain,
                ..
            } => {
                self.domain_extensions
                    .insert((*listener_port, domain.clone()), field("DomainExtensionId"));
            }
            _ => {}
        }
    }

    fn params(&self, action: &Action) -> Result<Params, CloudError> {
        let mut p = Params::new();
        p.insert("RegionId".into(), self.region.to_owned());
        let mut set = |k: &str, v: String| {
            p.insert(k.to_owned(), v);
        };
        match action {
            Action::CreateLoadBalancer(c) => {
                set("AddressType", c.address_type.clone());
                set("AddressIPVersion", c.address_ip_version.clone());
                set("LoadBalancerName", c.load_balancer_name.clone());
                set("InstanceChargeType", c.instance_charge_type.clone());
                set("DeleteProtection", on_off(c.delete_protection));
                set(
                    "ModificationProtectionStatus",
                    c.modification_protection_status.clone(),
                );
                set("ClientToken", c.client_token.clone());
                let optional = [
                    ("VpcId", &c.vpc_id),
                    ("VSwitchId", &c.vswitch_id),
                    ("Address", &c.address),
                    ("MasterZoneId", &c.master_zone_id),
                    ("SlaveZoneId", &c.slave_zone_id),
                    ("LoadBalancerSpec", &c.load_balancer_spec),
                    ("InternetChargeType", &c.internet_charge_type),
                    ("ResourceGroupId", &c.resource_group_id),
                    (
                        "ModificationProtectionReason",
                        &c.modification_protection_reason,
                    ),
                ];
                for (k, v) in optional {
                    if let Some(v) = v {
                        set(k, v.clone());
                    }
                }
                if let Some(b) = c.bandwidth {
                    set("Bandwidth", b.to_string());
                }
                write_tags(&c.tags, &mut p);
            }
            Action::SetLoadBalancerName {
                load_balancer,
                load_balancer_name,
            } => {
                set("LoadBalancerId", self.lb(load_balancer)?);
                set("LoadBalancerName", load_balancer_name.clone());
            }
            Action::ModifyLoadBalancerInternetSpec {
                load_balancer,
                internet_charge_type,
                bandwidth,
            } => {
                set("LoadBalancerId", self.lb(load_balancer)?);
                if let Some(t) = internet_charge_type {
                    set("InternetChargeType", t.clone());
                }
                if let Some(b) = bandwidth {
                    set("Bandwidth", b.to_string());
                }
            }
            Action::ModifyLoadBalancerInstanceSpec {
                load_balancer,
                load_balancer_spec,
            } => {
                set("LoadBalancerId", self.lb(load_balancer)?);
                set("LoadBalancerSpec", load_balancer_spec.clone());
            }
            Action::ModifyLoadBalancerInstanceChargeType {
                load_balancer,
                instance_charge_type,
            } => {
                set("LoadBalancerId", self.lb(load_balancer)?);
                set("InstanceChargeType", instance_charge_type.clone());
            }
            Action::SetLoadBalancerDeleteProtection {
                load_balancer,
                delete_protection,
            } => {
                set("LoadBalancerId", self.lb(load_balancer)?);
                set("DeleteProtection", on_off(*delete_protection));
            }
            Action::SetLoadBalancerModificationProtection {
                load_balancer,
                modification_protection_status,
                modification_protection_reason,
            } => {
                set("LoadBalancerId", self.lb(load_balancer)?);
                set(
                    "ModificationProtectionStatus",
                    modification_protection_status.clone(),
                );
                if let Some(r) = modification_protection_reason {
                    set("ModificationProtectionReason", r.clone());
                }
            }
            Action::TagResources {
                load_balancer,
                tags,
            } => {
                set("ResourceType", "instance".into());
                set("ResourceId.1", self.lb(load_balancer)?);
                write_tags(tags, &mut p);
            }
            Action::UntagResources {
                load_balancer,
                tag_keys,
            } => {
                set("ResourceType", "instance".into());
                set("ResourceId.1", self.lb(load_balancer)?);
                for (i, k) in tag_keys.iter().enumerate() {
                    set(&format!("TagKey.{}", i + 1), k.clone());
                }
            }
            Action::CreateVServerGroup {
                load_balancer,
                vserver_group_name,
                backend_servers,
            } => {
                set("LoadBalancerId", self.lb(load_balancer)?);
                set("VServerGroupName", vserver_group_name.clone());
                if !backend_servers.is_empty() {
                    set("BackendServers", backend_servers_json(backend_servers));
                }
            }
            Action::AddVServerGroupBackendServers {
                vserver_group,
                backend_servers,
            }
            | Action::RemoveVServerGroupBackendServers {
                vserver_group,
                backend_servers,
            }
            | Action::SetVServerGroupAttribute {
                vserver_group,
                backend_servers,
            } => {
                set("VServerGroupId", self.group(vserver_group)?);
                set("BackendServers", backend_servers_json(backend_servers));
            }
            Action::DeleteVServerGroup { vserver_group_id } => {
                set("VServerGroupId", vserver_group_id.clone());
            }
            Action::StartLoadBalancerListener {
                load_balancer,
                listener_port,
                listener_protocol,
            }
            | Action::StopLoadBalancerListener {
                load_balancer,
                listener_port,
                listener_protocol,
            }
            | Action::DeleteLoadBalancerListener {
                load_balancer,
                listener_port,
                listener_protocol,
            } => {
                set("LoadBalancerId", self.lb(load_balancer)?);
                set("ListenerPort", listener_port.to_string());
                set("ListenerProtocol", listener_protocol.as_str().into());
            }
            Action::DeleteLoadBalancer { load_balancer_id } => {
                set("LoadBalancerId", load_balancer_id.clone());
            }
            Action::CreateDomainExtension {
                load_balancer,
                listener_port,
                domain,
                server_certificate_id,
            } => {
                set("LoadBalancerId", self.lb(load_balancer)?);
                set("ListenerPort", listener_port.to_string());
                set("Domain", domain.clone());
                set("ServerCertificateId", server_certificate_id.clone());
            }
            Action::SetDomainExtensionAttribute {
                domain_extension_id,
                server_certificate_id,
            } => {
                set("DomainExtensionId", domain_extension_id.clone());
                set("ServerCertificateId", server_certificate_id.clone());
            }
            Action::DeleteDomainExtension {
                domain_extension_id,
            } => {
                set("DomainExtensionId", domain_extension_id.clone());
            }
            other => {
                let (protocol, params) =
                    other
                        .listener_params()
                        .ok_or_else(|| CloudError::Unresolved {
                            what: other.api_name().into(),
                        })?;
                self.listener(protocol, params, other.is_listener_create(), &mut p)?;
            }
        }
        Ok(p)
    }

    fn listener(
        &self,
        protocol: Protocol,
        params: &ListenerParams,
        create: bool,
        p: &mut Params,
    ) -> Result<(), CloudError> {
        p.extend(listener_params(protocol, &params.attributes, create));
        p.insert("LoadBalancerId".into(), self.lb(&params.load_balancer)?);
        p.insert("ListenerPort".into(), params.listener_port.to_string());
        if let Some(group) = &params.vserver_group {
            p.insert("VServerGroupId".into(), self.group(group)?);
            if !create {
                p.insert("VServerGroup".into(), "on".into());
            }
        }
        if let Some(d) = &params.description {
            p.insert("Description".into(), d.clone());
        }
        match params.bandwidth {
            Some(b) => {
                p.insert("Bandwidth".into(), b.to_string());
            }
            // Required on create for all but HTTP; -1 is "unlimited", as the reference sends.
            None if create && protocol != Protocol::Http => {
                p.insert("Bandwidth".into(), "-1".into());
            }
            None => {}
        }
        Ok(())
    }
}

fn on_off(b: bool) -> String {
    if b { "on" } else { "off" }.into()
}
