//! vServer group transitions: create (with a first batch of members), delete, and the
//! member writes. Members are identified by [`BackendServer::key`] (`ServerId` and `Port`,
//! plus `ServerIp` for ENI/ECI members), as the CLB does.

use super::{Object, Refusal, Rule};
use crate::state::{LoadBalancer, VServerGroup};
use crate::types::BackendServer;

impl LoadBalancer {
    /// `CreateVServerGroup` with the id the cloud answered and the members sent with it.
    ///
    /// # Errors
    /// [`Refusal::AlreadyExists`] when a group with this id exists.
    pub fn create_group(
        &mut self,
        id: &str,
        name: &str,
        members: &[BackendServer],
    ) -> Result<(), Refusal> {
        if self.group_by_id(id).is_some() {
            return Err(Refusal::AlreadyExists(Object::Group(id.to_owned())));
        }
        let mut group = VServerGroup {
            vserver_group_id: id.to_owned(),
            vserver_group_name: name.to_owned(),
            backend_servers: Vec::new(),
        };
        add(&mut group.backend_servers, members);
        self.vserver_groups.push(group);
        Ok(())
    }

    /// `DeleteVServerGroup`.
    ///
    /// # Errors
    /// [`Refusal::Missing`] when there is no such group; [`Refusal::NotAllowed`] while a
    /// listener forwards to it.
    pub fn delete_group(&mut self, id: &str) -> Result<(), Refusal> {
        self.group_mut(id)?;
        if self.listeners.iter().any(|l| l.vserver_group_id == id) {
            return Err(Refusal::NotAllowed(Rule::GroupInUse));
        }
        self.vserver_groups.retain(|g| g.vserver_group_id != id);
        Ok(())
    }

    /// `SetVServerGroupAttribute` with `VServerGroupName`.
    ///
    /// # Errors
    /// [`Refusal::Missing`] when there is no such group.
    pub fn rename_group(&mut self, id: &str, name: &str) -> Result<(), Refusal> {
        name.clone_into(&mut self.group_mut(id)?.vserver_group_name);
        Ok(())
    }

    /// `AddVServerGroupBackendServers`: new members are appended; one that is already a
    /// member replaces it (its weight and description).
    ///
    /// # Errors
    /// [`Refusal::Missing`] when there is no such group.
    pub fn add_members(&mut self, id: &str, members: &[BackendServer]) -> Result<(), Refusal> {
        add(&mut self.group_mut(id)?.backend_servers, members);
        Ok(())
    }

    /// `RemoveVServerGroupBackendServers`: members are removed by identity; non-members are
    /// ignored.
    ///
    /// # Errors
    /// [`Refusal::Missing`] when there is no such group.
    pub fn remove_members(&mut self, id: &str, members: &[BackendServer]) -> Result<(), Refusal> {
        let group = self.group_mut(id)?;
        group
            .backend_servers
            .retain(|m| !members.iter().any(|b| b.key_ref() == m.key_ref()));
        Ok(())
    }

    /// `SetVServerGroupAttribute` with `BackendServers`: the weight of each existing member
    /// named, and its description when one is sent (non-empty); non-members are ignored.
    ///
    /// # Errors
    /// [`Refusal::Missing`] when there is no such group.
    pub fn modify_members(&mut self, id: &str, members: &[BackendServer]) -> Result<(), Refusal> {
        let group = self.group_mut(id)?;
        for b in members {
            let found = group.backend_servers.iter_mut();
            for m in found.filter(|m| m.key_ref() == b.key_ref()) {
                m.weight = b.weight;
                if !b.description.is_empty() {
                    m.description.clone_from(&b.description);
                }
            }
        }
        Ok(())
    }

    fn group_mut(&mut self, id: &str) -> Result<&mut VServerGroup, Refusal> {
        self.vserver_groups
            .iter_mut()
            .find(|g| g.vserver_group_id == id)
            .ok_or_else(|| Refusal::Missing(Object::Group(id.to_owned())))
    }
}

fn add(group: &mut Vec<BackendServer>, members: &[BackendServer]) {
    for b in members {
        match group.iter_mut().find(|m| m.key_ref() == b.key_ref()) {
            Some(m) => m.clone_from(b),
            None => group.push(b.clone()),
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::state::LoadBalancer;
    use crate::transitions::{Object, Refusal, Rule};
    use crate::types::{BackendServer, BackendType};

    fn member(server: &str, weight: u32, description: &str) -> BackendServer {
        BackendServer {
            server_id: server.into(),
            r#type: BackendType::Ecs,
            server_ip: None,
            port: 30080,
            weight,
            description: description.into(),
        }
    }

    fn lb_with_group() -> LoadBalancer {
        let mut lb = LoadBalancer::default();
        lb.create_group("rsp-1", "g", &[member("i-1", 100, "k")])
            .unwrap();
        lb
    }

    #[test]
    fn adding_an_existing_member_replaces_it_and_a_new_one_is_appended() {
        let mut lb = lb_with_group();
        lb.add_members("rsp-1", &[member("i-1", 50, "k"), member("i-2", 100, "k")])
            .unwrap();
        let members = &lb.vserver_groups[0].backend_servers;
        assert_eq!(members, &[member("i-1", 50, "k"), member("i-2", 100, "k")]);
    }

    #[test]
    fn removal_is_by_identity_whatever_the_weight() {
        let mut lb = lb_with_group();
        lb.remove_members("rsp-1", &[member("i-1", 0, ""), member("i-9", 0, "")])
            .unwrap();
        assert!(lb.vserver_groups[0].backend_servers.is_empty());
    }

    #[test]
    fn modify_keeps_the_description_when_none_is_sent() {
        let mut lb = lb_with_group();
        lb.modify_members("rsp-1", &[member("i-1", 30, "")])
            .unwrap();
        assert_eq!(
            lb.vserver_groups[0].backend_servers,
            [member("i-1", 30, "k")]
        );
    }

    #[test]
    fn member_writes_to_a_missing_group_are_refused() {
        let mut lb = lb_with_group();
        let refused = lb.add_members("rsp-9", &[member("i-1", 1, "")]);
        assert_eq!(
            refused,
            Err(Refusal::Missing(Object::Group("rsp-9".into())))
        );
    }

    #[test]
    fn a_group_a_listener_uses_cannot_be_deleted() {
        let mut lb = lb_with_group();
        lb.listeners.push(crate::state::Listener {
            listener_port: 80,
            listener_protocol: crate::types::Protocol::Tcp,
            status: "running".into(),
            description: String::new(),
            vserver_group_id: "rsp-1".into(),
            bandwidth: None,
            attributes: Default::default(),
            domain_extensions: Vec::new(),
        });
        assert_eq!(
            lb.delete_group("rsp-1"),
            Err(Refusal::NotAllowed(Rule::GroupInUse))
        );
        lb.listeners.clear();
        lb.delete_group("rsp-1").unwrap();
        assert!(lb.vserver_groups.is_empty());
    }
}
