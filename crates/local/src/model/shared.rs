//! The local CLB's records seen as slb-clb-state's state, and back: the engine changes the
//! part of a load balancer the controller sees only through the shared transitions
//! ([`LoadBalancer::transition`]), so the local CLB and the controller's cache apply every
//! write by the same code.
//!
//! The records keep their stored form (so the durable store reads what it always wrote) and
//! their engine-only fields around the shared part: status, pay type, times, client token,
//! listener and group tags, the backend port, and the listener settings the typed
//! attributes do not cover (`Gzip`, `XForwardedFor`, `ForwardCode`, UDP health-check
//! strings, …), which stay in the wire-name `settings` map the data plane reads.
//!
//! Not here: validation, error codes or defaults (the engine's), rendering.

use std::collections::BTreeMap;

use slb_clb_state as shared;
use slb_clb_state::{BackendType, ListenerAttributes, Protocol, Refusal};

use super::{Backend, DomainExtension, Listener, LoadBalancer, VServerGroup};

mod settings;

impl LoadBalancer {
    /// The shared state of this load balancer.
    pub fn shared(&self) -> shared::LoadBalancer {
        shared::LoadBalancer {
            load_balancer_id: self.id.clone(),
            load_balancer_name: self.name.clone(),
            address: self.address.clone(),
            address_type: self.address_type.clone(),
            address_ip_version: self.address_ip_version.clone(),
            network_type: self.network_type.clone(),
            vpc_id: self.vpc_id.clone(),
            vswitch_id: self.vswitch_id.clone(),
            master_zone_id: self.master_zone_id.clone(),
            slave_zone_id: self.slave_zone_id.clone(),
            load_balancer_spec: self.spec.clone(),
            instance_charge_type: self.instance_charge_type.clone(),
            internet_charge_type: self.internet_charge_type.clone(),
            bandwidth: Some(self.bandwidth),
            delete_protection: self.delete_protection,
            modification_protection_status: self.modification_protection_status.clone(),
            modification_protection_reason: self.modification_protection_reason.clone(),
            resource_group_id: self.resource_group_id.clone(),
            tags: self.tags.clone(),
            listeners: self.listeners.iter().filter_map(Listener::shared).collect(),
            vserver_groups: self
                .vserver_groups
                .iter()
                .map(VServerGroup::shared)
                .collect(),
        }
    }

    /// Applies `write` (a transition) to the shared part of this record; on a refusal the
    /// record is unchanged.
    ///
    /// # Errors
    /// The transition's [`Refusal`].
    pub fn transition<T>(
        &mut self,
        write: impl FnOnce(&mut shared::LoadBalancer) -> Result<T, Refusal>,
    ) -> Result<T, Refusal> {
        let mut state = self.shared();
        let out = write(&mut state)?;
        self.absorb(state);
        Ok(out)
    }

    /// The record of a CLB `CreateLoadBalancer` made (`state`, from the shared transition),
    /// `active`, created at `create_time_ms`; pay type and client token still empty.
    pub fn created(state: shared::LoadBalancer, create_time_ms: i64) -> Self {
        let mut lb = LoadBalancer {
            id: String::new(),
            name: String::new(),
            status: "active".to_owned(),
            address: String::new(),
            address_type: String::new(),
            address_ip_version: String::new(),
            network_type: String::new(),
            vpc_id: String::new(),
            vswitch_id: String::new(),
            master_zone_id: String::new(),
            slave_zone_id: String::new(),
            spec: String::new(),
            instance_charge_type: String::new(),
            internet_charge_type: String::new(),
            bandwidth: 0,
            pay_type: String::new(),
            resource_group_id: String::new(),
            delete_protection: false,
            modification_protection_status: String::new(),
            modification_protection_reason: String::new(),
            create_time_ms,
            tags: BTreeMap::new(),
            listeners: Vec::new(),
            vserver_groups: Vec::new(),
            client_token: String::new(),
        };
        lb.absorb(state);
        lb
    }

    /// Applies `write`, a transition that cannot be refused (an instance attribute).
    pub fn change(&mut self, write: impl FnOnce(&mut shared::LoadBalancer)) {
        let mut state = self.shared();
        write(&mut state);
        self.absorb(state);
    }

    /// Takes over `state`: every shared field, the listeners and groups in its order
    /// (existing ones, matched by protocol and port or by id, keep their engine-only fields;
    /// new ones start without any), their members and domain extensions.
    pub fn absorb(&mut self, state: shared::LoadBalancer) {
        self.id = state.load_balancer_id;
        self.name = state.load_balancer_name;
        self.address = state.address;
        self.address_type = state.address_type;
        self.address_ip_version = state.address_ip_version;
        self.network_type = state.network_type;
        self.vpc_id = state.vpc_id;
        self.vswitch_id = state.vswitch_id;
        self.master_zone_id = state.master_zone_id;
        self.slave_zone_id = state.slave_zone_id;
        self.spec = state.load_balancer_spec;
        self.instance_charge_type = state.instance_charge_type;
        self.internet_charge_type = state.internet_charge_type;
        if let Some(b) = state.bandwidth {
            self.bandwidth = b;
        }
        self.delete_protection = state.delete_protection;
        self.modification_protection_status = state.modification_protection_status;
        self.modification_protection_reason = state.modification_protection_reason;
        self.resource_group_id = state.resource_group_id;
        self.tags = state.tags;
        self.absorb_listeners(state.listeners);
        self.absorb_groups(state.vserver_groups);
    }

    fn absorb_listeners(&mut self, listeners: Vec<shared::Listener>) {
        let mut old = std::mem::take(&mut self.listeners);
        for l in listeners {
            let found = old.iter().position(|o| {
                o.port == l.listener_port && o.protocol == l.listener_protocol.as_str()
            });
            let mut record = match found {
                Some(i) => old.remove(i),
                None => Listener::new(l.listener_protocol, l.listener_port),
            };
            record.absorb(l);
            self.listeners.push(record);
        }
        // Listeners the shared state cannot hold (an unknown protocol) stay as they were.
        self.listeners.extend(
            old.into_iter()
                .filter(|o| Protocol::parse(&o.protocol).is_none()),
        );
    }

    fn absorb_groups(&mut self, groups: Vec<shared::VServerGroup>) {
        let mut old = std::mem::take(&mut self.vserver_groups);
        for g in groups {
            let found = old.iter().position(|o| o.id == g.vserver_group_id);
            let mut record = match found {
                Some(i) => old.remove(i),
                None => VServerGroup {
                    id: g.vserver_group_id.clone(),
                    name: String::new(),
                    create_time_ms: 0,
                    backends: Vec::new(),
                    tags: BTreeMap::new(),
                },
            };
            record.name = g.vserver_group_name;
            record.backends = g.backend_servers.iter().map(Backend::from_shared).collect();
            self.vserver_groups.push(record);
        }
    }
}

impl Listener {
    /// A listener record with nothing but its identity (a transition then fills it).
    fn new(protocol: Protocol, port: u16) -> Self {
        Listener {
            protocol: protocol.as_str().to_owned(),
            port,
            status: String::new(),
            backend_server_port: 0,
            vserver_group_id: String::new(),
            scheduler: String::new(),
            bandwidth: -1,
            description: String::new(),
            settings: BTreeMap::new(),
            tags: BTreeMap::new(),
            domain_extensions: Vec::new(),
        }
    }

    /// The shared state of this listener; `None` for a protocol the shared state does not
    /// know (never stored by the engine).
    pub fn shared(&self) -> Option<shared::Listener> {
        let protocol = Protocol::parse(&self.protocol)?;
        let mut attributes = settings::attributes(protocol, &self.settings);
        attributes.scheduler = Some(self.scheduler.clone()).filter(|s| !s.is_empty());
        Some(shared::Listener {
            listener_port: self.port,
            listener_protocol: protocol,
            status: self.status.clone(),
            description: self.description.clone(),
            vserver_group_id: self.vserver_group_id.clone(),
            bandwidth: i32::try_from(self.bandwidth).ok(),
            attributes,
            domain_extensions: self
                .domain_extensions
                .iter()
                .map(|d| shared::DomainExtension {
                    domain_extension_id: d.id.clone(),
                    domain: d.domain.clone(),
                    server_certificate_id: d.server_certificate_id.clone(),
                })
                .collect(),
        })
    }

    fn absorb(&mut self, l: shared::Listener) {
        self.status = l.status;
        self.description = l.description;
        self.vserver_group_id = l.vserver_group_id;
        if let Some(b) = l.bandwidth {
            self.bandwidth = i64::from(b);
        }
        if let Some(s) = &l.attributes.scheduler {
            self.scheduler.clone_from(s);
        }
        settings::write(l.listener_protocol, &l.attributes, &mut self.settings);
        self.domain_extensions = l
            .domain_extensions
            .into_iter()
            .map(|d| DomainExtension {
                id: d.domain_extension_id,
                domain: d.domain,
                server_certificate_id: d.server_certificate_id,
            })
            .collect();
    }

    /// The typed attributes this listener's settings hold (the scheduler included).
    pub fn attributes(&self) -> ListenerAttributes {
        self.shared().map(|l| l.attributes).unwrap_or_default()
    }
}

impl VServerGroup {
    /// The shared state of this group.
    pub fn shared(&self) -> shared::VServerGroup {
        shared::VServerGroup {
            vserver_group_id: self.id.clone(),
            vserver_group_name: self.name.clone(),
            backend_servers: self.backends.iter().map(Backend::shared).collect(),
        }
    }
}

impl Backend {
    /// The shared form of this member (an empty `server_ip` is none).
    pub fn shared(&self) -> shared::BackendServer {
        let r#type = match self.server_type.as_str() {
            "eni" => BackendType::Eni,
            "eci" => BackendType::Eci,
            _ => BackendType::Ecs,
        };
        shared::BackendServer {
            server_id: self.server_id.clone(),
            r#type,
            server_ip: Some(self.server_ip.clone()).filter(|ip| !ip.is_empty()),
            port: self.port,
            weight: self.weight,
            description: self.description.clone(),
        }
    }

    /// The record of a shared member.
    pub fn from_shared(b: &shared::BackendServer) -> Self {
        Backend {
            server_id: b.server_id.clone(),
            server_type: b.r#type.as_str().to_owned(),
            server_ip: b.server_ip.clone().unwrap_or_default(),
            port: b.port,
            weight: b.weight,
            description: b.description.clone(),
        }
    }
}

#[cfg(test)]
mod tests;
