//! Listener and domain-extension transitions: create (stopped), Set, start, stop, delete,
//! and the SNI certificates of an HTTPS listener.
//!
//! The rules kept here are the CLB's state rules: TCP, HTTP and HTTPS share one port space
//! and UDP has its own; a listener's vServer group must exist on the same CLB; redirect
//! settings (`ListenerForward`, `ForwardPort`) are creation-only and a forwarding HTTP
//! listener takes no Set; an HTTPS listener an HTTP listener redirects to cannot be deleted;
//! a domain is on a listener at most once.

use super::{Object, Refusal, Rule};
use crate::state::{DomainExtension, Listener, LoadBalancer};
use crate::types::{ListenerAttributes, Protocol};

/// The values of a listener write: `CreateLoadBalancer…Listener` (`None` = not sent) or
/// `SetLoadBalancer…ListenerAttribute` (`None` = unchanged). The protocol says which of the
/// four calls.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListenerWrite {
    /// The protocol.
    pub protocol: Protocol,
    /// `ListenerPort`.
    pub port: u16,
    /// `VServerGroupId` (on a Set, sent with `VServerGroup=on`; empty there detaches).
    pub vserver_group_id: Option<String>,
    /// `Description`.
    pub description: Option<String>,
    /// `Bandwidth`.
    pub bandwidth: Option<i32>,
    /// The protocol-specific attributes sent; on a Set each replaces the current value.
    pub attributes: ListenerAttributes,
}

/// A [`ListenerWrite`] that creates a listener.
pub type NewListener = ListenerWrite;

/// A [`ListenerWrite`] that sets a listener's attributes.
pub type ListenerUpdate = ListenerWrite;

impl LoadBalancer {
    /// `CreateLoadBalancer…Listener`: the listener is created `stopped`.
    ///
    /// # Errors
    /// [`Refusal::AlreadyExists`] when a listener of the same port space is on the port;
    /// [`Refusal::Missing`] when the vServer group named is not on this CLB.
    pub fn create_listener(&mut self, new: NewListener) -> Result<(), Refusal> {
        if self.port_taken(new.port, new.protocol) {
            return Err(Refusal::AlreadyExists(Object::Listener(
                new.port,
                new.protocol,
            )));
        }
        self.check_group(new.vserver_group_id.as_deref())?;
        self.listeners.push(Listener {
            listener_port: new.port,
            listener_protocol: new.protocol,
            status: "stopped".to_owned(),
            description: new.description.unwrap_or_default(),
            vserver_group_id: new.vserver_group_id.unwrap_or_default(),
            bandwidth: new.bandwidth,
            attributes: new.attributes,
            domain_extensions: Vec::new(),
        });
        Ok(())
    }

    /// `SetLoadBalancer…ListenerAttribute`: every value sent replaces the current one.
    ///
    /// # Errors
    /// [`Refusal::Missing`] for a missing listener or group; [`Refusal::NotAllowed`] for
    /// redirect settings (creation-only) and for any Set on a forwarding HTTP listener.
    pub fn set_listener(&mut self, update: &ListenerUpdate) -> Result<(), Refusal> {
        let (port, protocol) = (update.port, update.protocol);
        self.check_group(update.vserver_group_id.as_deref())?;
        let l = self.listener_mut(port, protocol)?;
        if let Some(rule) = set_refusal(l, &update.attributes) {
            return Err(Refusal::NotAllowed(rule));
        }
        if let Some(id) = &update.vserver_group_id {
            l.vserver_group_id.clone_from(id);
        }
        if let Some(d) = &update.description {
            l.description.clone_from(d);
        }
        if update.bandwidth.is_some() {
            l.bandwidth = update.bandwidth;
        }
        l.attributes.overlay(&update.attributes);
        Ok(())
    }

    /// `StartLoadBalancerListener`: the listener is `running`.
    ///
    /// # Errors
    /// [`Refusal::Missing`] when there is no such listener.
    pub fn start_listener(&mut self, port: u16, protocol: Protocol) -> Result<(), Refusal> {
        "running".clone_into(&mut self.listener_mut(port, protocol)?.status);
        Ok(())
    }

    /// `StopLoadBalancerListener`: the listener is `stopped`.
    ///
    /// # Errors
    /// [`Refusal::Missing`] when there is no such listener.
    pub fn stop_listener(&mut self, port: u16, protocol: Protocol) -> Result<(), Refusal> {
        "stopped".clone_into(&mut self.listener_mut(port, protocol)?.status);
        Ok(())
    }

    /// `DeleteLoadBalancerListener`, with its domain extensions.
    ///
    /// # Errors
    /// [`Refusal::Missing`] when there is no such listener; [`Refusal::NotAllowed`] for an
    /// HTTPS listener an HTTP listener redirects to.
    pub fn delete_listener(&mut self, port: u16, protocol: Protocol) -> Result<(), Refusal> {
        self.listener_mut(port, protocol)?;
        let target = self.listeners.iter().any(|l| {
            protocol == Protocol::Https
                && l.attributes.listener_forward == Some(true)
                && l.attributes.forward_port == Some(port)
        });
        if target {
            return Err(Refusal::NotAllowed(Rule::RedirectTargetInUse));
        }
        self.listeners
            .retain(|l| (l.listener_port, l.listener_protocol) != (port, protocol));
        Ok(())
    }

    /// `CreateDomainExtension` on the HTTPS listener on `port`, with the id the cloud
    /// answered.
    ///
    /// # Errors
    /// [`Refusal::Missing`] without that listener; [`Refusal::AlreadyExists`] when the
    /// domain (compared case-insensitively) is already on it.
    pub fn create_domain_extension(
        &mut self,
        port: u16,
        id: &str,
        domain: &str,
        certificate_id: &str,
    ) -> Result<(), Refusal> {
        let l = self.listener_mut(port, Protocol::Https)?;
        let domain = domain.to_ascii_lowercase();
        if l.domain_extensions.iter().any(|d| d.domain == domain) {
            return Err(Refusal::AlreadyExists(Object::Domain(port, domain)));
        }
        l.domain_extensions.push(DomainExtension {
            domain_extension_id: id.to_owned(),
            domain,
            server_certificate_id: certificate_id.to_owned(),
        });
        Ok(())
    }

    /// `SetDomainExtensionAttribute`: the extension's certificate.
    ///
    /// # Errors
    /// [`Refusal::Missing`] when there is no such extension.
    pub fn set_domain_extension(&mut self, id: &str, certificate_id: &str) -> Result<(), Refusal> {
        let (l, i) = self.extension_mut(id)?;
        certificate_id.clone_into(&mut l.domain_extensions[i].server_certificate_id);
        Ok(())
    }

    /// `DeleteDomainExtension`.
    ///
    /// # Errors
    /// [`Refusal::Missing`] when there is no such extension.
    pub fn delete_domain_extension(&mut self, id: &str) -> Result<(), Refusal> {
        let (l, i) = self.extension_mut(id)?;
        l.domain_extensions.remove(i);
        Ok(())
    }

    /// True when a listener of `protocol` cannot be created on `port` because one of the
    /// same port space is there (TCP, HTTP and HTTPS share one; UDP has its own).
    pub fn port_taken(&self, port: u16, protocol: Protocol) -> bool {
        self.listeners
            .iter()
            .any(|l| l.listener_port == port && l.listener_protocol.clashes_with(protocol))
    }

    fn check_group(&self, id: Option<&str>) -> Result<(), Refusal> {
        match id {
            Some(id) if !id.is_empty() && self.group_by_id(id).is_none() => {
                Err(Refusal::Missing(Object::Group(id.to_owned())))
            }
            _ => Ok(()),
        }
    }

    fn listener_mut(&mut self, port: u16, protocol: Protocol) -> Result<&mut Listener, Refusal> {
        self.listeners
            .iter_mut()
            .find(|l| l.listener_port == port && l.listener_protocol == protocol)
            .ok_or(Refusal::Missing(Object::Listener(port, protocol)))
    }

    fn extension_mut(&mut self, id: &str) -> Result<(&mut Listener, usize), Refusal> {
        self.listeners
            .iter_mut()
            .find_map(|l| {
                let i = l
                    .domain_extensions
                    .iter()
                    .position(|d| d.domain_extension_id == id)?;
                Some((l, i))
            })
            .ok_or_else(|| Refusal::Missing(Object::DomainExtension(id.to_owned())))
    }
}

/// Why the CLB refuses a Set with `attributes` on `listener`, if it does: redirect settings
/// are creation-only, and a forwarding HTTP listener takes no Set at all.
fn set_refusal(listener: &Listener, attributes: &ListenerAttributes) -> Option<Rule> {
    if listener.listener_protocol != Protocol::Http {
        return None;
    }
    if attributes.listener_forward.is_some() || attributes.forward_port.is_some() {
        return Some(Rule::RedirectIsCreationOnly);
    }
    (listener.attributes.listener_forward == Some(true))
        .then_some(Rule::ForwardingListenerTakesNoSet)
}

#[cfg(test)]
mod tests;
