//! The cases of `every_annotation.rs` for the annotations that select the controller, shape
//! the CLB instance, or pick its backends, in the table's order. Data only: see `cases.rs`
//! for what a case is and `every_annotation.rs` for how it runs.

use slb_model::naming::{TAG_DO_NOT_DELETE, TAG_REUSED, TAG_REUSED_VALUE};

use super::cases::{
    Case, Fixtures, Outcome, Seen, eni_case, ingress_ip, instances, member_ids, members, prefixed,
    same,
};

/// The cases before the listener annotations.
pub fn instance(f: &Fixtures) -> Vec<Case> {
    let mut cases = selection(f);
    cases.extend(identity(f));
    cases.extend(billing());
    cases.extend(placement(f));
    cases.extend(lifecycle());
    cases
}

/// Who handles the Service.
fn selection(f: &Fixtures) -> Vec<Case> {
    let (eni, eni_ip) = f.enis[0];
    vec![
        Case::new("service.beta.kubernetes.io/class", "other-controller").outcome(Outcome::NotOurs),
        Case::new("type", "nlb").outcome(Outcome::NotOurs),
        Case::new("tunnel-type", "tunnel").outcome(Outcome::NotOurs),
        eni_case(
            "service.beta.kubernetes.io/backend-type",
            "eni",
            eni,
            eni_ip,
            "IPv4",
        ),
    ]
}

/// The CLB's address, reuse and name.
fn identity(f: &Fixtures) -> Vec<Case> {
    let reused = f.reuse.clone();
    vec![
        Case::new("address-type", "intranet").check(|s| {
            same("AddressType", s.lb.address_type.as_str(), "intranet")?;
            prefixed("Address", &s.lb.address, "127.0.2.")
        }),
        Case::new("id", f.reuse[0].clone())
            .outcome(Outcome::ReusedListenersUnmanaged)
            .check(move |s| {
                same(
                    "the CLB",
                    s.lb.load_balancer_id.as_str(),
                    reused[0].as_str(),
                )?;
                same(
                    "the reuse tag",
                    s.lb.tags.get(TAG_REUSED).map(String::as_str),
                    Some(TAG_REUSED_VALUE),
                )
            }),
        Case::new("force-override-listeners", "true").with("id", f.reuse[1].clone()),
        Case::new("name", "my-clb").lb(
            "LoadBalancerName",
            |l| l.load_balancer_name.clone(),
            "my-clb".into(),
        ),
    ]
}

/// Billing.
fn billing() -> Vec<Case> {
    vec![
        Case::new("spec", "slb.s2.small").check(|s| {
            same(
                "LoadBalancerSpec",
                s.lb.load_balancer_spec.as_str(),
                "slb.s2.small",
            )?;
            same(
                "InstanceChargeType",
                s.lb.instance_charge_type.as_str(),
                "PayBySpec",
            )
        }),
        Case::new("instance-charge-type", "PayBySpec").check(|s| {
            same(
                "InstanceChargeType",
                s.lb.instance_charge_type.as_str(),
                "PayBySpec",
            )?;
            same(
                "LoadBalancerSpec",
                s.lb.load_balancer_spec.as_str(),
                "slb.s1.small",
            )
        }),
        Case::new("charge-type", "paybybandwidth")
            .with("instance-charge-type", "PayBySpec")
            .lb(
                "InternetChargeType",
                |l| l.internet_charge_type.clone(),
                "paybybandwidth".into(),
            ),
        Case::new("bandwidth", "50")
            .with("charge-type", "paybybandwidth")
            .with("instance-charge-type", "PayBySpec")
            .lb("Bandwidth", |l| l.bandwidth, Some(50)),
    ]
}

/// Where the CLB is and its IP family.
fn placement(f: &Fixtures) -> Vec<Case> {
    let (vsw, vsw_prefix) = f.vswitch;
    vec![
        Case::new("vswitch-id", vsw)
            .with("address-type", "intranet")
            .check(move |s| {
                same("VSwitchId", s.lb.vswitch_id.as_str(), vsw)?;
                prefixed("Address", &s.lb.address, vsw_prefix)
            }),
        Case::new("network-type", "vpc")
            .with("address-type", "intranet")
            .lb("NetworkType", |l| l.network_type.clone(), "vpc".into()),
        Case::new("master-zoneid", "cn-hangzhou-a").lb(
            "MasterZoneId",
            |l| l.master_zone_id.clone(),
            "cn-hangzhou-a".into(),
        ),
        Case::new("slave-zoneid", "cn-hangzhou-b")
            .with("master-zoneid", "cn-hangzhou-a")
            .lb(
                "SlaveZoneId",
                |l| l.slave_zone_id.clone(),
                "cn-hangzhou-b".into(),
            ),
        Case::new("ip-version", "ipv6").check(|s| {
            same("AddressIPVersion", s.lb.address_ip_version.as_str(), "ipv6")?;
            prefixed(
                "the status IP",
                &ingress_ip(&s.svc).unwrap_or_default(),
                "fd00:5::",
            )
        }),
        Case::new("ip", "127.0.2.200")
            .with("address-type", "intranet")
            .lb("Address", |l| l.address.clone(), "127.0.2.200".into()),
        Case::new("resource-group-id", "rg-aek2abc").lb(
            "ResourceGroupId",
            |l| l.resource_group_id.clone(),
            "rg-aek2abc".into(),
        ),
    ]
}

/// Protection, tags, deletion and the status.
fn lifecycle() -> Vec<Case> {
    vec![
        Case::new("delete-protection", "off").lb(
            "DeleteProtection",
            |l| l.delete_protection,
            false,
        ),
        Case::new("modification-protection", "NonProtection").lb(
            "ModificationProtectionStatus",
            |l| l.modification_protection_status.clone(),
            "NonProtection".into(),
        ),
        Case::new("additional-resource-tags", "team=web,env=").check(|s| {
            same(
                "tag team",
                s.lb.tags.get("team").map(String::as_str),
                Some("web"),
            )?;
            same(
                "tag env",
                s.lb.tags.get("env").map(String::as_str),
                Some(""),
            )
        }),
        Case::new("preserve-lb-on-delete", "true")
            .outcome(Outcome::PreservedOnDelete)
            .check(|s| same("the ownership tag", s.lb.tags.get(TAG_DO_NOT_DELETE), None)),
        Case::new("external-ip-type", "eip")
            .with("address-type", "intranet")
            .outcome(Outcome::EipOnceBound),
        Case::new("hostname", "web.example.com").check(hostname_is("web.example.com")),
        Case::new("hostname", "legacy.example.com")
            .legacy()
            .check(hostname_is("legacy.example.com")),
    ]
}

/// The Service status shows `want` as its hostname.
fn hostname_is(want: &'static str) -> impl Fn(&Seen) -> Result<(), String> + Send + Sync {
    move |s| {
        let host = s.svc.status.as_ref().and_then(|st| {
            let ingress = st.load_balancer.as_ref()?.ingress.as_ref()?;
            ingress.first()?.hostname.clone()
        });
        same("the status hostname", host.as_deref(), Some(want))
    }
}

/// Which nodes or pods are backends, and their weights.
pub fn backends(f: &Fixtures) -> Vec<Case> {
    let ns = f.ns.clone();
    let ns2 = f.ns.clone();
    let ns3 = f.ns.clone();
    let (eni6, eni6_ip) = f.enis[1];
    let [group, weight_group] = f.groups.clone();
    let group_check = group.clone();
    let weight_check = weight_group.clone();
    vec![
        Case::new("backend-label", "pool=edge,zone=a")
            .check(move |s| same("the backends", member_ids(s, None)?, instances(&ns, &["d"]))),
        Case::new("remove-unscheduled-backend", "on").check(move |s| {
            same(
                "the backends",
                member_ids(s, None)?,
                instances(&ns2, &["a", "b", "c"]),
            )
        }),
        Case::new("vgroup-port", format!("{group}:80"))
            .with("id", f.reuse[2].clone())
            .outcome(Outcome::ReusedListenersUnmanaged)
            .check(move |s| {
                same(
                    "the user group's backends",
                    member_ids(s, Some(&group_check))?,
                    instances(&ns3, &["a", "b", "c", "d"]),
                )
            }),
        Case::new("vgroup-port", "rsp-bp1abc:80").warned("AnnotationMissingDependency"),
        Case::new("weight", "50")
            .with("vgroup-port", format!("{weight_group}:80"))
            .with("id", f.reuse[3].clone())
            .outcome(Outcome::ReusedListenersUnmanaged)
            .check(move |s| {
                let m = members(s, Some(&weight_check))?;
                let each = (50 / u32::try_from(m.len().max(1)).unwrap_or(1)).max(1);
                let weights: Vec<u32> = m.iter().map(|(_, w)| *w).collect();
                same(
                    "the weights (50 shared)",
                    weights.clone(),
                    vec![each; weights.len().max(1)],
                )
            }),
        Case::new("weight", "50").warned("AnnotationMissingDependency"),
        Case::new("default-weight", "80").check(|s| {
            let weights: Vec<u32> = members(s, None)?.into_iter().map(|(_, w)| w).collect();
            same(
                "the weights",
                weights.clone(),
                vec![80; weights.len().max(1)],
            )
        }),
        Case::new("ignore-weight-update", "on").outcome(Outcome::ConsoleWeightKept),
        eni_case("backend-ip-version", "ipv6", eni6, eni6_ip, "IPv6")
            .with("service.beta.kubernetes.io/backend-type", "eni")
            .with("ip-version", "ipv6"),
    ]
}
