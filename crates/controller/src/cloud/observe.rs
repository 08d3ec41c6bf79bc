//! Finding a Service's CLB (reuse id, known id, `kubernetes.do.not.delete` tag) and observing
//! it as slb-model's [`ObservedLb`]: attribute, tags, listeners (with the domain extensions
//! of HTTPS ones), vServer groups and their members, read from the typed describe responses
//! (the wire's quirks translated: charge type codes here, listener settings by `wire`).
//!
//! The tags come with the attribute (`DescribeLoadBalancerAttribute` carries every field of a
//! `DescribeLoadBalancers` item, `Tags.Tag[]` included: slb-openapi.md §3.2), so an observation
//! costs no `ListTagResources`, unless the attribute names no tag at all (never so for a CLB
//! slb-ccm created; a reused one may have none, or a cloud may leave the field out).
//!
//! Only reads; caching and planning are the parent module's.

use super::{Cloud, CloudError, api, wire};
use slb_model::observed::{ObservedDomainExtension, ObservedListener, ObservedVServerGroup};
use slb_model::types::Protocol;
use slb_model::{DesiredLb, ObservedLb};
use slb_openapi::clb::{
    DescribeDomainExtensionsRequest, DescribeListenersRequest,
    DescribeLoadBalancerAttributeRequest, DescribeLoadBalancersRequest,
    DescribeVServerGroupAttributeRequest, DescribeVServerGroupsRequest, ListTagResourcesRequest,
    ListenerSettings,
};
use slb_openapi::paginate::{
    describe_all_listeners, describe_all_load_balancers, list_all_tag_resources,
};
use slb_openapi::types::{InternetChargeType, ResourceType, TagKv};
use std::collections::BTreeMap;

impl Cloud {
    /// Which CLB belongs to `desired`: the reuse id (`id` annotation), else `known_id` (the
    /// Service's label or status) when that CLB still exists, else the CLB tagged
    /// `kubernetes.do.not.delete = <default name>`.
    ///
    /// # Errors
    /// A failed describe.
    pub async fn find(
        &self,
        desired: &DesiredLb,
        known_id: Option<&str>,
    ) -> Result<Option<String>, CloudError> {
        Ok(self.find_counted(desired, known_id).await?.0)
    }

    pub(super) async fn find_counted(
        &self,
        desired: &DesiredLb,
        known_id: Option<&str>,
    ) -> Result<(Option<String>, usize), CloudError> {
        if let Some(id) = &desired.reuse_id {
            return Ok((Some(id.clone()), 0));
        }
        let mut calls = 0;
        if let Some(id) = known_id {
            if self.is_fresh(id) {
                return Ok((Some(id.to_owned()), 0));
            }
            let req = DescribeLoadBalancersRequest {
                region_id: Some(self.region.clone()),
                load_balancer_id: Some(id.to_owned()),
                ..Default::default()
            };
            let found = describe_all_load_balancers(&*self.clb, &req)
                .await
                .map_err(api("DescribeLoadBalancers"))?;
            calls += 1;
            if found.iter().any(|lb| lb.load_balancer_id == id) {
                return Ok((Some(id.to_owned()), calls));
            }
        }
        let req = DescribeLoadBalancersRequest {
            region_id: Some(self.region.clone()),
            tags_json: Some(vec![TagKv {
                tag_key: slb_model::naming::TAG_DO_NOT_DELETE.into(),
                tag_value: desired.default_name.clone(),
            }]),
            ..Default::default()
        };
        let found = describe_all_load_balancers(&*self.clb, &req)
            .await
            .map_err(api("DescribeLoadBalancers"))?;
        Ok((
            found.into_iter().next().map(|lb| lb.load_balancer_id),
            calls + 1,
        ))
    }

    /// Everything on one CLB: attributes, tags, listeners, vServer groups and members.
    /// `None` when it does not exist.
    ///
    /// # Errors
    /// A failed describe.
    pub async fn observe(&self, load_balancer_id: &str) -> Result<Option<ObservedLb>, CloudError> {
        Ok(self.observe_counted(load_balancer_id).await?.0)
    }

    pub(super) async fn observe_counted(
        &self,
        id: &str,
    ) -> Result<(Option<ObservedLb>, usize), CloudError> {
        let region = Some(self.region.clone());
        let req = DescribeLoadBalancerAttributeRequest {
            region_id: region.clone(),
            load_balancer_id: id.to_owned(),
        };
        let attr = match self.clb.describe_load_balancer_attribute(&req).await {
            Ok(a) => a,
            Err(e) if e.is_not_found() => return Ok((None, 1)),
            Err(e) => return Err(api("DescribeLoadBalancerAttribute")(e)),
        };
        let mut observed = instance(&attr.summary);
        let mut calls = 1;
        if observed.tags.is_empty() {
            observed.tags = self.list_tags(id).await?;
            calls += 1;
        }

        observed.listeners = self.observe_listeners(id).await?;
        calls += 1 + self.observe_domain_extensions(id, &mut observed).await?;
        let (groups, group_calls) = self.observe_groups(id).await?;
        observed.vserver_groups = groups;
        Ok((Some(observed), calls + group_calls))
    }

    /// The CLB's listeners with their settings, from one paged `DescribeLoadBalancerListeners`
    /// (listeners of an unknown protocol are left out).
    async fn observe_listeners(&self, id: &str) -> Result<Vec<ObservedListener>, CloudError> {
        let req = DescribeListenersRequest {
            region_id: Some(self.region.clone()),
            load_balancer_ids: vec![id.to_owned()],
            ..Default::default()
        };
        let items = describe_all_listeners(&*self.clb, &req)
            .await
            .map_err(api("DescribeLoadBalancerListeners"))?;
        Ok(items
            .into_iter()
            .filter_map(|item| {
                let (protocol, settings) = ListenerSettings::described(&item)?;
                let protocol = wire::protocol(protocol);
                Some(ObservedListener {
                    listener_port: item.listener_port,
                    listener_protocol: protocol,
                    status: item.status,
                    description: item.description,
                    vserver_group_id: item.vserver_group_id,
                    bandwidth: Some(item.bandwidth),
                    attributes: wire::listener_attributes(protocol, settings),
                    domain_extensions: Vec::new(),
                })
            })
            .collect())
    }

    /// The CLB's vServer groups and their members (`DescribeVServerGroups`, then one
    /// `DescribeVServerGroupAttribute` per group), with the calls made.
    async fn observe_groups(
        &self,
        id: &str,
    ) -> Result<(Vec<ObservedVServerGroup>, usize), CloudError> {
        let region = Some(self.region.clone());
        let req = DescribeVServerGroupsRequest {
            region_id: region.clone(),
            load_balancer_id: id.to_owned(),
            ..Default::default()
        };
        let groups = self
            .clb
            .describe_vserver_groups(&req)
            .await
            .map_err(api("DescribeVServerGroups"))?;
        let (mut out, mut calls) = (Vec::new(), 1);
        for g in groups.vserver_groups {
            let req = DescribeVServerGroupAttributeRequest {
                region_id: region.clone(),
                vserver_group_id: g.vserver_group_id.clone(),
            };
            let attr = self
                .clb
                .describe_vserver_group_attribute(&req)
                .await
                .map_err(api("DescribeVServerGroupAttribute"))?;
            calls += 1;
            out.push(ObservedVServerGroup {
                vserver_group_id: g.vserver_group_id,
                vserver_group_name: g.vserver_group_name,
                backend_servers: attr.backend_servers.iter().map(wire::member).collect(),
            });
        }
        Ok((out, calls))
    }

    /// Fills in the domain extensions of the HTTPS listeners (one `DescribeDomainExtensions`
    /// per HTTPS listener; none for a CLB without one). Returns the calls made.
    async fn observe_domain_extensions(
        &self,
        id: &str,
        observed: &mut ObservedLb,
    ) -> Result<usize, CloudError> {
        let mut calls = 0;
        for l in observed
            .listeners
            .iter_mut()
            .filter(|l| l.listener_protocol == Protocol::Https)
        {
            let req = DescribeDomainExtensionsRequest {
                region_id: Some(self.region.clone()),
                load_balancer_id: id.to_owned(),
                listener_port: l.listener_port,
                ..Default::default()
            };
            let found = self
                .clb
                .describe_domain_extensions(&req)
                .await
                .map_err(api("DescribeDomainExtensions"))?;
            calls += 1;
            l.domain_extensions = found
                .domain_extensions
                .into_iter()
                .map(|d| ObservedDomainExtension {
                    domain_extension_id: d.domain_extension_id,
                    domain: d.domain.to_ascii_lowercase(),
                    server_certificate_id: d.server_certificate_id,
                })
                .collect();
        }
        Ok(calls)
    }

    /// The CLB's tags by the tag API, for an attribute answer that named none.
    async fn list_tags(&self, id: &str) -> Result<BTreeMap<String, String>, CloudError> {
        let tags = ListTagResourcesRequest {
            region_id: Some(self.region.clone()),
            resource_type: ResourceType::Instance,
            resource_ids: vec![id.to_owned()],
            ..Default::default()
        };
        Ok(list_all_tag_resources(&*self.clb, &tags)
            .await
            .map_err(api("ListTagResources"))?
            .into_iter()
            .map(|t| (t.tag_key, t.tag_value))
            .collect())
    }
}

fn instance(s: &slb_openapi::clb::LoadBalancerSummary) -> ObservedLb {
    let internet_charge_type = InternetChargeType::from_describe_code(&s.internet_charge_type)
        .map_or_else(
            || s.internet_charge_type.to_lowercase(),
            |t| t.as_str().to_owned(),
        );
    ObservedLb {
        load_balancer_id: s.load_balancer_id.clone(),
        load_balancer_name: s.load_balancer_name.clone(),
        address: s.address.clone(),
        address_type: s.address_type.clone(),
        address_ip_version: s.address_ip_version.clone(),
        network_type: s.network_type.clone(),
        vpc_id: s.vpc_id.clone(),
        vswitch_id: s.vswitch_id.clone(),
        master_zone_id: s.master_zone_id.clone(),
        slave_zone_id: s.slave_zone_id.clone(),
        load_balancer_spec: s.load_balancer_spec.clone(),
        instance_charge_type: s.instance_charge_type.clone(),
        internet_charge_type,
        bandwidth: u32::try_from(s.bandwidth).ok().filter(|b| *b > 0),
        delete_protection: s.delete_protection == "on",
        modification_protection_status: s.modification_protection_status.clone(),
        modification_protection_reason: s.modification_protection_reason.clone(),
        resource_group_id: s.resource_group_id.clone(),
        tags: s
            .tags
            .iter()
            .map(|t| (t.tag_key.clone(), t.tag_value.clone()))
            .collect(),
        ..Default::default()
    }
}
