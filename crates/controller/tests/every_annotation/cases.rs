//! What a case of `every_annotation.rs` is: for one annotation of slb-model's table, a
//! Service carrying it with a realistic value (plus only what it needs to make sense) and
//! what the README promises for it; the builders and checks the case lists
//! (`instance_cases.rs`, `listener_cases.rs`) are written with. Extra cases cover the values
//! the README says are ignored with a warning. Nothing here runs a case.

use std::fmt::Debug;

use k8s_openapi::api::core::v1::Service;
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
    /// The annotation under test is written with the legacy `alicloud-` prefix.
    pub legacy: bool,
    /// What happens to it.
    pub outcome: Outcome,
    /// What must be true of the CLB and the Service.
    pub check: Check,
}

fn ok(_: &Seen) -> Result<(), String> {
    Ok(())
}

impl Case {
    /// `key: value` on a Service with port 80 → 8080, expected to get a CLB.
    pub fn new(key: &'static str, value: impl Into<String>) -> Self {
        Self {
            key,
            value: value.into(),
            extra: Vec::new(),
            ports: vec![(80, 8080)],
            pods: None,
            legacy: false,
            outcome: Outcome::Clb,
            check: Box::new(ok),
        }
    }

    /// Another annotation the case needs (short key, or a full key outside the prefix).
    pub fn with(mut self, key: &'static str, value: impl Into<String>) -> Self {
        self.extra.push((key, value.into()));
        self
    }

    /// An HTTP listener on port 80.
    pub fn http(self) -> Self {
        self.with("protocol-port", "http:80")
    }

    /// An HTTPS listener on port 443 with the uploaded certificate.
    pub fn https(self, f: &Fixtures) -> Self {
        self.ports443()
            .with("protocol-port", "https:443")
            .with("cert-id", f.cert.clone())
    }

    /// The Service's one port is 443 → 8443.
    pub fn ports443(mut self) -> Self {
        self.ports = vec![(443, 8443)];
        self
    }

    /// Writes the annotation under test with the legacy prefix.
    pub fn legacy(mut self) -> Self {
        self.legacy = true;
        self
    }

    /// The annotation under test as written on the Service.
    pub fn written_key(&self) -> String {
        if self.legacy {
            format!("{}{}", slb_model::annotations::LEGACY_PREFIX, self.key)
        } else {
            full(self.key)
        }
    }

    /// What happens instead of a plain CLB.
    pub fn outcome(mut self, outcome: Outcome) -> Self {
        self.outcome = outcome;
        self
    }

    /// Adds a check: every check added must pass.
    pub fn check(
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
    pub fn attr<T: PartialEq + Debug + Send + Sync + 'static>(
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
    pub fn lb<T: PartialEq + Debug + Send + Sync + 'static>(
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
    pub fn warned(self, reason: &'static str) -> Self {
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

/// The instance ids of nodes `<ns>-<n>`.
pub fn instances(ns: &str, nodes: &[&str]) -> Vec<String> {
    nodes.iter().map(|n| format!("i-local-{ns}-{n}")).collect()
}

/// The server ids of the group's members.
pub fn member_ids(s: &Seen, group: Option<&str>) -> Result<Vec<String>, String> {
    Ok(members(s, group)?.into_iter().map(|(id, _)| id).collect())
}

/// Every case, in the table's order.
pub fn all(f: &Fixtures) -> Vec<Case> {
    let mut cases = super::instance_cases::instance(f);
    cases.extend(super::listener_cases::listener_cases(f));
    cases.extend(super::instance_cases::backends(f));
    cases
}

/// A case whose Service's backend is its one ENI-mode pod.
pub fn eni_case(
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

/// `got` starts with `prefix`.
pub fn prefixed(what: &str, got: &str, prefix: &str) -> Result<(), String> {
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
