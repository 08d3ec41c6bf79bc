//! The case table of `every_annotation.rs`: for each annotation of slb-model's table, a
//! Service carrying it with a realistic value (plus only what it needs to make sense) and
//! what the README promises for it. Extra cases cover the values the README says are ignored
//! with a warning. This module builds cases and checks; it runs nothing.

use std::fmt::Debug;

use k8s_openapi::api::core::v1::Service;
use slb_model::naming::{TAG_DO_NOT_DELETE, TAG_REUSED, TAG_REUSED_VALUE};
use slb_model::{ListenerAttributes, ObservedLb, ObservedListener};

/// What the test made through the signed API before the Services, for cases to name.
pub struct Fixtures {
    /// The test's namespace (node names are `<ns>-a` … `<ns>-d`).
    pub ns: String,
    /// A server certificate for `www.example.com`.
    pub cert: String,
    /// A server certificate for `a.example.com` (a domain extension's).
    pub cert_a: String,
    /// An access control list with one entry.
    pub acl: String,
    /// User CLBs to reuse: `id` alone, with `force-override-listeners`, with `vgroup-port`,
    /// with `weight`.
    pub reuse: [String; 4],
    /// The user's vServer groups on `reuse[2]` and `reuse[3]`.
    pub groups: [String; 2],
    /// A configured second vSwitch and an address of its CIDR's prefix.
    pub vswitch: (&'static str, &'static str),
    /// ENIs (configured) of the ENI-mode pods: IPv4 and IPv6.
    pub enis: [(&'static str, &'static str); 2],
}

/// What slb-ccm should have done with the Service.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// A CLB with a running listener on every Service port, the address in the status.
    Clb,
    /// Not ours: no finalizer, no CLB label, no status, no event.
    NotOurs,
    /// A reused CLB without `force-override-listeners`: the Service reports it, and no
    /// listener is created.
    ReusedListenersUnmanaged,
    /// `external-ip-type: eip`: no address and `EipNotBound` until the user binds an EIP,
    /// then the EIP.
    EipOnceBound,
    /// `ignore-weight-update`: a console weight survives the next sync.
    ConsoleWeightKept,
    /// `preserve-lb-on-delete`: the CLB stays after the Service is deleted, without the
    /// ownership tag.
    PreservedOnDelete,
}

/// What the test saw once the controller was done.
pub struct Seen {
    /// The Service as stored.
    pub svc: Service,
    /// The CLB it names.
    pub lb: ObservedLb,
    /// `(reason, message)` of its events.
    pub events: Vec<(String, String)>,
    /// What a listener of the first listener's protocol gets on a Service without
    /// annotations.
    pub baseline: Option<ListenerAttributes>,
    /// The CLB of a Service without annotations.
    pub baseline_lb: Option<ObservedLb>,
}

/// A case-specific check; `Err` says what differs.
pub type Check = Box<dyn Fn(&Seen) -> Result<(), String> + Send + Sync>;

/// One Service carrying one annotation under test.
pub struct Case {
    /// The annotation's key as the table spells it (`Key::short`).
    pub key: &'static str,
    /// Its value.
    pub value: String,
    /// Other annotations it needs, by short key.
    pub extra: Vec<(&'static str, String)>,
    /// `(port, targetPort)` of the Service.
    pub ports: Vec<(i32, i32)>,
    /// ENI-mode pods `(ip, IPv4|IPv6)` on node `a`, for an EndpointSlice.
    pub pods: Option<(String, &'static str)>,
    /// What happens to it.
    pub outcome: Outcome,
    /// What must be true of the CLB and the Service.
    pub check: Check,
}

fn ok(_: &Seen) -> Result<(), String> {
    Ok(())
}

impl Case {
    fn new(key: &'static str, value: impl Into<String>) -> Self {
        Self {
            key,
            value: value.into(),
            extra: Vec::new(),
            ports: vec![(80, 8080)],
            pods: None,
            outcome: Outcome::Clb,
            check: Box::new(ok),
        }
    }

    fn with(mut self, key: &'static str, value: impl Into<String>) -> Self {
        self.extra.push((key, value.into()));
        self
    }

    fn http(self) -> Self {
        self.with("protocol-port", "http:80")
    }

    fn https(self, f: &Fixtures) -> Self {
        self.ports443()
            .with("protocol-port", "https:443")
            .with("cert-id", f.cert.clone())
    }

    fn ports443(mut self) -> Self {
        self.ports = vec![(443, 8443)];
        self
    }

    fn outcome(mut self, outcome: Outcome) -> Self {
        self.outcome = outcome;
        self
    }

    /// Adds a check: every check added must pass.
    fn check(
        mut self,
        check: impl Fn(&Seen) -> Result<(), String> + Send + Sync + 'static,
    ) -> Self {
        let before = self.check;
        self.check = Box::new(move |s| {
            before(s)?;
            check(s)
        });
        self
    }

    /// The first listener's attribute `field` must be `want`, which a listener of a Service
    /// without the annotation does not have.
    fn attr<T: PartialEq + Debug + Send + Sync + 'static>(
        self,
        field: &'static str,
        get: fn(&ListenerAttributes) -> Option<T>,
        want: T,
    ) -> Self {
        self.check(move |s| {
            let l = listener(s, None)?;
            same(field, get(&l.attributes).as_ref(), Some(&want))?;
            if s.baseline.as_ref().and_then(get).as_ref() == Some(&want) {
                return Err(format!(
                    "{field} {want:?} is also what a Service without the annotation gets; \
                     choose a value that shows the annotation's effect"
                ));
            }
            Ok(())
        })
    }

    /// A field of the CLB must be `want`, which the CLB of a Service without annotations does
    /// not have.
    fn lb<T: PartialEq + Debug + Send + Sync + 'static>(
        self,
        field: &'static str,
        get: fn(&ObservedLb) -> T,
        want: T,
    ) -> Self {
        self.check(move |s| {
            same(field, &get(&s.lb), &want)?;
            if s.baseline_lb.as_ref().map(get).as_ref() == Some(&want) {
                return Err(format!(
                    "{field} {want:?} is also what a Service without the annotation gets; \
                     choose a value that shows the annotation's effect"
                ));
            }
            Ok(())
        })
    }

    /// A warning event naming the annotation, besides the CLB.
    fn warned(self, reason: &'static str) -> Self {
        let key = full(self.key);
        self.check(move |s| warning(s, reason, &key))
    }
}

/// `got == want`, or a message naming `what`. By value: callers pass fresh tuples, vectors
/// and `Option`s of references.
#[allow(clippy::needless_pass_by_value)]
pub fn same<T: PartialEq + Debug>(what: &str, got: T, want: T) -> Result<(), String> {
    if got == want {
        Ok(())
    } else {
        Err(format!("{what} is {got:?}, want {want:?}"))
    }
}

/// The full annotation key of a short one.
pub fn full(short: &str) -> String {
    slb_model::annotations::ANNOTATIONS
        .iter()
        .find(|a| a.key.short() == short)
        .map_or_else(|| short.to_owned(), |a| a.key.full())
}

/// The listener on `port` (the first one when `None`).
pub fn listener(s: &Seen, port: Option<u16>) -> Result<&ObservedListener, String> {
    s.lb.listeners
        .iter()
        .find(|l| port.is_none_or(|p| l.listener_port == p))
        .ok_or_else(|| format!("no listener on {port:?}: {:?}", ports(&s.lb)))
}

fn ports(lb: &ObservedLb) -> Vec<u16> {
    lb.listeners.iter().map(|l| l.listener_port).collect()
}

fn warning(s: &Seen, reason: &str, key: &str) -> Result<(), String> {
    if s.events.iter().any(|(r, m)| r == reason && m.contains(key)) {
        Ok(())
    } else {
        Err(format!("no {reason} event naming {key}: {:?}", s.events))
    }
}

/// `(server id, weight)` of every member of the CLB's group `group` (the first when `None`).
pub fn members(s: &Seen, group: Option<&str>) -> Result<Vec<(String, u32)>, String> {
    let g = match group {
        Some(id) => s.lb.group_by_id(id),
        None => s.lb.vserver_groups.first(),
    }
    .ok_or_else(|| format!("no vServer group {group:?} on {}", s.lb.load_balancer_id))?;
    let mut m: Vec<(String, u32)> = g
        .backend_servers
        .iter()
        .map(|b| (b.server_id.clone(), b.weight))
        .collect();
    m.sort();
    Ok(m)
}

fn instances(ns: &str, nodes: &[&str]) -> Vec<String> {
    nodes.iter().map(|n| format!("i-local-{ns}-{n}")).collect()
}

fn member_ids(s: &Seen, group: Option<&str>) -> Result<Vec<String>, String> {
    Ok(members(s, group)?.into_iter().map(|(id, _)| id).collect())
}

/// Every case, in the table's order.
pub fn all(f: &Fixtures) -> Vec<Case> {
    let mut cases = selection_and_instance(f);
    cases.extend(listeners(f));
    cases.extend(health_checks());
    cases.extend(backends(f));
    cases
}

fn selection_and_instance(f: &Fixtures) -> Vec<Case> {
    let (vsw, vsw_prefix) = f.vswitch;
    let (eni, eni_ip) = f.enis[0];
    let reused = f.reuse.clone();
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
        Case::new("hostname", "web.example.com").check(|s| {
            let host = s.svc.status.as_ref().and_then(|st| {
                st.load_balancer
                    .as_ref()?
                    .ingress
                    .as_ref()?
                    .first()?
                    .hostname
                    .clone()
            });
            same(
                "the status hostname",
                host.as_deref(),
                Some("web.example.com"),
            )
        }),
    ]
}

fn eni_case(
    key: &'static str,
    value: &str,
    eni: &'static str,
    ip: &'static str,
    family: &'static str,
) -> Case {
    let mut case = Case::new(key, value).check(move |s| {
        let g = s.lb.vserver_groups.first().ok_or("no vServer group")?;
        let got: Vec<(&str, &str, u16)> = g
            .backend_servers
            .iter()
            .map(|b| (b.server_id.as_str(), b.r#type.as_str(), b.port))
            .collect();
        same("the backends", got, vec![(eni, "eni", 8080)])
    });
    case.pods = Some((ip.to_owned(), family));
    case
}

fn prefixed(what: &str, got: &str, prefix: &str) -> Result<(), String> {
    if got.starts_with(prefix) {
        Ok(())
    } else {
        Err(format!("{what} {got:?} is not in {prefix}*"))
    }
}

/// The first ingress IP of the Service's status.
pub fn ingress_ip(svc: &Service) -> Option<String> {
    svc.status
        .as_ref()?
        .load_balancer
        .as_ref()?
        .ingress
        .as_ref()?
        .first()?
        .ip
        .clone()
}

fn listeners(f: &Fixtures) -> Vec<Case> {
    let cert = f.cert.clone();
    let domain = format!("a.example.com:{}", f.cert_a);
    let cert_a = f.cert_a.clone();
    let acl = f.acl.clone();
    let acl_check = f.acl.clone();
    let mut protocol_port = Case::new("protocol-port", "https:443,http:80")
        .with("cert-id", f.cert.clone())
        .check(|s| {
            let got: Vec<(u16, &str)> =
                s.lb.listeners
                    .iter()
                    .map(|l| (l.listener_port, l.listener_protocol.as_str()))
                    .collect();
            let mut got = got;
            got.sort();
            same("the listeners", got, vec![(80, "http"), (443, "https")])
        });
    protocol_port.ports = vec![(443, 8443), (80, 8080)];
    let mut forward = Case::new("forward-port", "80:443")
        .with("protocol-port", "http:80,https:443")
        .with("cert-id", f.cert.clone())
        .check(|s| {
            let a = &listener(s, Some(80))?.attributes;
            same(
                "ListenerForward/ForwardPort",
                (a.listener_forward, a.forward_port),
                (Some(true), Some(443)),
            )
        });
    forward.ports = vec![(80, 8080), (443, 8443)];
    vec![
        protocol_port,
        Case::new("cert-id", f.cert.clone())
            .with("protocol-port", "https:443")
            .ports443()
            .check(move |s| {
                let a = &listener(s, Some(443))?.attributes;
                same(
                    "ServerCertificateId",
                    a.server_certificate_id.as_deref(),
                    Some(cert.as_str()),
                )
            }),
        Case::new("tls-cipher-policy", "tls_cipher_policy_1_2")
            .https(f)
            .attr(
                "TLSCipherPolicy",
                |a| a.tls_cipher_policy.clone(),
                "tls_cipher_policy_1_2".into(),
            ),
        Case::new("http2-enabled", "off")
            .https(f)
            .attr("EnableHttp2", |a| a.enable_http2, false),
        Case::new("domain-extensions", domain)
            .https(f)
            .check(move |s| {
                let l = listener(s, Some(443))?;
                let got: Vec<(&str, &str)> = l
                    .domain_extensions
                    .iter()
                    .map(|d| (d.domain.as_str(), d.server_certificate_id.as_str()))
                    .collect();
                same(
                    "the domain extensions",
                    got,
                    vec![("a.example.com", cert_a.as_str())],
                )
            }),
        forward,
        Case::new("scheduler", "rr").attr("Scheduler", |a| a.scheduler.clone(), "rr".into()),
        Case::new("persistence-timeout", "60").attr(
            "PersistenceTimeout",
            |a| a.persistence_timeout,
            60,
        ),
        Case::new("established-timeout", "300").attr(
            "EstablishedTimeout",
            |a| a.established_timeout,
            300,
        ),
        Case::new("idle-timeout", "30")
            .http()
            .attr("IdleTimeout", |a| a.idle_timeout, 30),
        Case::new("request-timeout", "90")
            .http()
            .attr("RequestTimeout", |a| a.request_timeout, 90),
        Case::new("connection-drain", "on")
            .with("connection-drain-timeout", "30")
            .attr("ConnectionDrain", |a| a.connection_drain, true),
        Case::new("connection-drain-timeout", "30")
            .with("connection-drain", "on")
            .attr("ConnectionDrainTimeout", |a| a.connection_drain_timeout, 30),
        Case::new("proxy-protocol", "on").attr(
            "ProxyProtocolV2Enabled",
            |a| a.proxy_protocol_v2_enabled,
            true,
        ),
        Case::new("acl-status", "on")
            .with("acl-id", f.acl.clone())
            .attr("AclStatus", |a| a.acl_status, true),
        Case::new("acl-id", f.acl.clone())
            .with("acl-status", "on")
            .check(move |s| {
                let a = &listener(s, None)?.attributes;
                same("AclId", a.acl_id.as_deref(), Some(acl_check.as_str()))
            }),
        Case::new("acl-type", "white")
            .with("acl-status", "on")
            .with("acl-id", acl)
            .attr("AclType", |a| a.acl_type.clone(), "white".into()),
        Case::new("sticky-session", "on")
            .http()
            .with("sticky-session-type", "insert")
            .with("cookie-timeout", "1800")
            .attr("StickySession", |a| a.sticky_session, true),
        Case::new("sticky-session-type", "insert")
            .http()
            .with("sticky-session", "on")
            .with("cookie-timeout", "1800")
            .attr(
                "StickySessionType",
                |a| a.sticky_session_type.clone(),
                "insert".into(),
            ),
        Case::new("cookie-timeout", "1800")
            .http()
            .with("sticky-session", "on")
            .with("sticky-session-type", "insert")
            .attr("CookieTimeout", |a| a.cookie_timeout, 1800),
        Case::new("cookie", "SESSIONID")
            .http()
            .with("sticky-session", "on")
            .with("sticky-session-type", "server")
            .attr("Cookie", |a| a.cookie.clone(), "SESSIONID".into()),
        Case::new("xforwardedfor-proto", "on").http().attr(
            "XForwardedFor_proto",
            |a| a.x_forwarded_for_proto,
            true,
        ),
        Case::new("xforwardedfor-slbport", "on").http().attr(
            "XForwardedFor_SLBPORT",
            |a| a.x_forwarded_for_slbport,
            true,
        ),
        Case::new("xforwardedfor-clientsrcport", "on").http().attr(
            "XForwardedFor_ClientSrcPort",
            |a| a.x_forwarded_for_client_src_port,
            true,
        ),
    ]
}

fn health_checks() -> Vec<Case> {
    let http_check = |key: &'static str, value: &str| {
        Case::new(key, value).http().with("health-check-flag", "on")
    };
    vec![
        Case::new("health-check-switch", "off").attr(
            "HealthCheckSwitch",
            |a| a.health_check,
            false,
        ),
        Case::new("health-check-flag", "on")
            .http()
            .attr("HealthCheck", |a| a.health_check, true),
        Case::new("health-check-type", "http")
            .with("health-check-uri", "/healthz")
            .attr(
                "HealthCheckType",
                |a| a.health_check_type.clone(),
                "http".into(),
            ),
        http_check("health-check-uri", "/healthz").attr(
            "HealthCheckURI",
            |a| a.health_check_uri.clone(),
            "/healthz".into(),
        ),
        http_check("health-check-domain", "$_ip").attr(
            "HealthCheckDomain",
            |a| a.health_check_domain.clone(),
            "$_ip".into(),
        ),
        http_check("health-check-httpcode", "http_2xx,http_3xx").attr(
            "HealthCheckHttpCode",
            |a| a.health_check_http_code.clone(),
            "http_2xx,http_3xx".into(),
        ),
        Case::new("health-check-connect-port", "8080").attr(
            "HealthCheckConnectPort",
            |a| a.health_check_connect_port,
            8080,
        ),
        Case::new("health-check-connect-port", "0").warned("IgnoredAnnotationValue"),
        Case::new("healthy-threshold", "4").attr("HealthyThreshold", |a| a.healthy_threshold, 4),
        Case::new("unhealthy-threshold", "4").attr(
            "UnhealthyThreshold",
            |a| a.unhealthy_threshold,
            4,
        ),
        Case::new("health-check-interval", "5").attr(
            "HealthCheckInterval",
            |a| a.health_check_interval,
            5,
        ),
        Case::new("health-check-connect-timeout", "8").attr(
            "HealthCheckConnectTimeout",
            |a| a.health_check_connect_timeout,
            8,
        ),
        http_check("health-check-timeout", "8").attr(
            "HealthCheckTimeout",
            |a| a.health_check_timeout,
            8,
        ),
        http_check("health-check-method", "get").attr(
            "HealthCheckMethod",
            |a| a.health_check_method.clone(),
            "get".into(),
        ),
    ]
}

fn backends(f: &Fixtures) -> Vec<Case> {
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
                    vec![each; weights.len()],
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
