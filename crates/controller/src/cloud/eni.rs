//! ENI backends (`backend-type: eni`): pod IPs become ENI ids through ECS
//! `DescribeNetworkInterfaces`, IPv4 pod IPs matched against the ENIs' private IPv4
//! addresses and IPv6 pod IPs against their `Ipv6Sets`.
//!
//! Only the lookup and the IP → ENI matching live here; which members are ENI members and
//! what happens to unresolved ones is `slb_model::DesiredLb`'s business.

use std::collections::BTreeMap;
use std::net::IpAddr;

use slb_model::DesiredLb;
use slb_openapi::ecs::NetworkInterfaceSet;
use slb_openapi::paginate::{describe_enis_by_ips, eni_lookup_requests};

use super::{Cloud, CloudError, api};

impl Cloud {
    /// Fills in ENI ids for pod IPs (ENI mode); returns the IPs no ENI was found for.
    /// Adds one call per `DescribeNetworkInterfaces` chunk to `calls`.
    pub(super) async fn resolve_enis(
        &self,
        desired: &mut DesiredLb,
        calls: &mut usize,
    ) -> Result<Vec<String>, CloudError> {
        let ips: Vec<String> = desired.eni_ips().into_iter().collect();
        if ips.is_empty() {
            return Ok(Vec::new());
        }
        let vpc_id = desired.cluster_vpc_id.clone();
        let enis = describe_enis_by_ips(&*self.ecs, Some(&self.region), &vpc_id, &ips)
            .await
            .map_err(api("DescribeNetworkInterfaces"))?;
        *calls += eni_lookup_requests(Some(&self.region), &vpc_id, &ips).len();
        Ok(desired.resolve_enis(&eni_ids_by_pod_ip(&enis, &ips)))
    }
}

/// `pod IP → ENI id` for each of `pod_ips` held by one of `enis` (as its primary or a
/// secondary private IPv4 address, or as one of its IPv6 addresses). Addresses are compared
/// as parsed IPs, so `2001:DB8:0::1` matches `2001:db8::1`; the keys are the pod IPs as
/// given. Pod IPs no ENI holds are absent.
pub(super) fn eni_ids_by_pod_ip(
    enis: &[NetworkInterfaceSet],
    pod_ips: &[String],
) -> BTreeMap<String, String> {
    let by_addr: BTreeMap<IpAddr, &str> = enis
        .iter()
        .flat_map(|eni| {
            let id = eni.network_interface_id.as_str();
            eni_addresses(eni).filter_map(move |ip| Some((ip.parse::<IpAddr>().ok()?, id)))
        })
        .collect();
    pod_ips
        .iter()
        .filter_map(|pod_ip| {
            let id = by_addr.get(&pod_ip.parse::<IpAddr>().ok()?)?;
            Some((pod_ip.clone(), (*id).to_owned()))
        })
        .collect()
}

/// Every address of one ENI: primary IPv4, secondary IPv4s and IPv6s.
fn eni_addresses(eni: &NetworkInterfaceSet) -> impl Iterator<Item = &str> {
    std::iter::once(eni.private_ip_address.as_str())
        .chain(
            eni.private_ip_sets
                .iter()
                .map(|s| s.private_ip_address.as_str()),
        )
        .chain(eni.ipv6_sets.iter().map(|s| s.ipv6_address.as_str()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use slb_openapi::ecs::{Ipv6Set, PrivateIpSet};

    fn eni(id: &str, primary: &str, secondary: &[&str], v6: &[&str]) -> NetworkInterfaceSet {
        NetworkInterfaceSet {
            network_interface_id: id.to_owned(),
            private_ip_address: primary.to_owned(),
            private_ip_sets: secondary
                .iter()
                .map(|ip| PrivateIpSet {
                    private_ip_address: (*ip).to_owned(),
                    ..Default::default()
                })
                .collect(),
            ipv6_sets: v6
                .iter()
                .map(|ip| Ipv6Set {
                    ipv6_address: (*ip).to_owned(),
                })
                .collect(),
            ..Default::default()
        }
    }

    fn ips(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn ipv4_pod_ips_map_to_the_eni_holding_them_as_primary_or_secondary() {
        let enis = [eni("eni-a", "10.0.0.1", &["10.0.0.2"], &[])];
        let found = eni_ids_by_pod_ip(&enis, &ips(&["10.0.0.1", "10.0.0.2", "10.0.0.9"]));
        assert_eq!(
            found,
            BTreeMap::from([
                ("10.0.0.1".to_owned(), "eni-a".to_owned()),
                ("10.0.0.2".to_owned(), "eni-a".to_owned()),
            ])
        );
    }

    #[test]
    fn ipv6_pod_ips_map_to_the_eni_listing_them_in_its_ipv6_sets() {
        let enis = [
            eni("eni-a", "10.0.0.1", &[], &["2001:db8::1"]),
            eni("eni-b", "10.0.0.2", &[], &["2001:db8::2"]),
        ];
        let found = eni_ids_by_pod_ip(&enis, &ips(&["2001:db8::2"]));
        assert_eq!(
            found,
            BTreeMap::from([("2001:db8::2".to_owned(), "eni-b".to_owned())])
        );
    }

    #[test]
    fn ipv6_addresses_match_however_they_are_written_and_keep_the_pod_spelling() {
        let enis = [eni("eni-a", "10.0.0.1", &[], &["2001:0db8:0:0::00a"])];
        let found = eni_ids_by_pod_ip(&enis, &ips(&["2001:DB8::A"]));
        assert_eq!(
            found,
            BTreeMap::from([("2001:DB8::A".to_owned(), "eni-a".to_owned())])
        );
    }
}
