//! The listener calls of a run: create and set per protocol (one [`ListenerSpec`] built from
//! the plan, turned into the protocol's request by slb-openapi), start, stop, delete, and the
//! HTTPS listeners' domain extensions.

use super::{Failure, Run};
use crate::cloud::wire::{listener_protocol, listener_settings};
use slb_model::plan::{Action, ListenerParams};
use slb_model::types::Protocol;
use slb_openapi::clb::*;

impl Run<'_> {
    /// A listener or domain-extension action.
    pub(super) async fn call_listener(&mut self, action: &Action) -> Result<(), Failure> {
        match action {
            Action::StartLoadBalancerListener { .. }
            | Action::StopLoadBalancerListener { .. }
            | Action::DeleteLoadBalancerListener { .. } => self.call_lifecycle(action).await,
            Action::CreateDomainExtension { .. }
            | Action::SetDomainExtensionAttribute { .. }
            | Action::DeleteDomainExtension { .. } => self.call_domain_extension(action).await,
            other => match other.listener_params() {
                Some((protocol, params)) => {
                    let spec = self.spec(protocol, params)?;
                    self.write_listener(protocol, other.is_listener_create(), &spec)
                        .await
                }
                None => Err(Failure::Unresolved(other.api_name().into())),
            },
        }
    }

    /// Starting, stopping and deleting a listener.
    async fn call_lifecycle(&mut self, action: &Action) -> Result<(), Failure> {
        let region_id = self.region.clone();
        match action {
            Action::StartLoadBalancerListener {
                load_balancer,
                listener_port,
                listener_protocol: p,
            } => {
                let req = StartListenerRequest {
                    region_id,
                    load_balancer_id: self.lb(load_balancer)?,
                    listener_port: *listener_port,
                    listener_protocol: Some(listener_protocol(*p)),
                };
                self.clb.start_listener(&req).await?;
            }
            Action::StopLoadBalancerListener {
                load_balancer,
                listener_port,
                listener_protocol: p,
            } => {
                let req = StopListenerRequest {
                    region_id,
                    load_balancer_id: self.lb(load_balancer)?,
                    listener_port: *listener_port,
                    listener_protocol: Some(listener_protocol(*p)),
                };
                self.clb.stop_listener(&req).await?;
            }
            Action::DeleteLoadBalancerListener {
                load_balancer,
                listener_port,
                listener_protocol: p,
            } => {
                let req = DeleteListenerRequest {
                    region_id,
                    load_balancer_id: self.lb(load_balancer)?,
                    listener_port: *listener_port,
                    listener_protocol: Some(listener_protocol(*p)),
                };
                self.clb.delete_listener(&req).await?;
            }
            other => return Err(Failure::Unresolved(other.api_name().into())),
        }
        Ok(())
    }

    /// The typed spec of a planned listener create or set, its ids resolved.
    fn spec(&self, protocol: Protocol, p: &ListenerParams) -> Result<ListenerSpec, Failure> {
        Ok(ListenerSpec {
            region_id: self.region.clone(),
            load_balancer_id: self.lb(&p.load_balancer)?,
            listener_port: p.listener_port,
            vserver_group_id: p
                .vserver_group
                .as_ref()
                .map(|g| self.group(g))
                .transpose()?,
            description: p.description.clone(),
            bandwidth: p.bandwidth,
            settings: listener_settings(protocol, &p.attributes)?,
        })
    }

    /// `Create…Listener` (`create`) or `Set…ListenerAttribute` of `protocol`.
    async fn write_listener(
        &self,
        protocol: Protocol,
        create: bool,
        spec: &ListenerSpec,
    ) -> Result<(), Failure> {
        let clb = self.clb;
        match (protocol, create) {
            (Protocol::Tcp, true) => clb.create_tcp_listener(&spec.create_tcp()).await?,
            (Protocol::Tcp, false) => clb.set_tcp_listener_attribute(&spec.set_tcp()).await?,
            (Protocol::Udp, true) => clb.create_udp_listener(&spec.create_udp()).await?,
            (Protocol::Udp, false) => clb.set_udp_listener_attribute(&spec.set_udp()).await?,
            (Protocol::Http, true) => clb.create_http_listener(&spec.create_http()).await?,
            (Protocol::Http, false) => clb.set_http_listener_attribute(&spec.set_http()).await?,
            (Protocol::Https, true) => clb.create_https_listener(&spec.create_https()).await?,
            (Protocol::Https, false) => clb.set_https_listener_attribute(&spec.set_https()).await?,
        };
        Ok(())
    }

    /// An HTTPS listener's additional certificates by domain.
    async fn call_domain_extension(&mut self, action: &Action) -> Result<(), Failure> {
        let region_id = self.region.clone();
        match action {
            Action::CreateDomainExtension {
                load_balancer,
                listener_port,
                domain,
                server_certificate_id,
            } => {
                let req = CreateDomainExtensionRequest {
                    region_id,
                    load_balancer_id: self.lb(load_balancer)?,
                    listener_port: *listener_port,
                    domain: domain.clone(),
                    server_certificate_id: server_certificate_id.clone(),
                };
                let resp = self.clb.create_domain_extension(&req).await?;
                self.done
                    .domain_extensions
                    .insert((*listener_port, domain.clone()), resp.domain_extension_id);
            }
            Action::SetDomainExtensionAttribute {
                domain_extension_id,
                server_certificate_id,
            } => {
                let req = SetDomainExtensionAttributeRequest {
                    region_id,
                    domain_extension_id: domain_extension_id.clone(),
                    server_certificate_id: server_certificate_id.clone(),
                };
                self.clb.set_domain_extension_attribute(&req).await?;
            }
            Action::DeleteDomainExtension {
                domain_extension_id,
            } => {
                let req = DeleteDomainExtensionRequest {
                    region_id,
                    domain_extension_id: domain_extension_id.clone(),
                };
                self.clb.delete_domain_extension(&req).await?;
            }
            other => return Err(Failure::Unresolved(other.api_name().into())),
        }
        Ok(())
    }
}
