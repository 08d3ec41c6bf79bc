//! `slb-ccm doctor`: the FAQ as checks against a cluster (and, with cloud flags, its cloud).
//! Each finding names the Service, the problem and the FAQ's remedy.
//!
//! Cluster checks (read only): Services stuck Pending and why (their newest failure event);
//! Services whose status says `ipMode: Proxy`, which sends in-cluster traffic through the CLB
//! (hairpin); a NodePort range that overlaps `net.ipv4.ip_local_port_range`. Cloud checks (with
//! `--cloud`): what a sync would change (drift from the Service, as a dry run), refusals such
//! as reusing a cluster-created CLB, and backend quota headroom per CLB.
//!
//! The checks are pure functions over listed objects ([`pending`], [`hairpin`],
//! [`port_ranges`], [`cloud_findings`]); [`run`] lists, calls and prints.

use crate::get::{events_of, summarize};
use anyhow::Context as _;
use k8s_openapi::api::core::v1::{Event, Node, Service};
use k8s_openapi::api::discovery::v1::EndpointSlice;
use kube::api::ListParams;
use kube::{Api, ResourceExt};
use serde::Serialize;
use slb_controller::cloud::{CloudError, SyncOutcome};
use slb_controller::run::scoped;
use slb_controller::run::{CloudArgs, CloudKind};
use slb_controller::service_writes::LB_ID_LABEL;
use slb_model::PlanOptions;
use std::path::PathBuf;

/// Flags of `slb-ccm doctor`.
#[derive(Debug, clap::Args)]
pub struct DoctorArgs {
    /// Kubeconfig file (else $KUBECONFIG, ~/.kube/config or in-cluster).
    #[arg(long, env = "KUBECONFIG")]
    pub kubeconfig: Option<PathBuf>,
    /// Namespace (default: all namespaces).
    #[arg(short, long)]
    pub namespace: Option<String>,
    /// The API server's --service-node-port-range.
    #[arg(long, default_value = "30000-32767")]
    pub node_port_range: String,
    /// The nodes' net.ipv4.ip_local_port_range (default: this machine's).
    #[arg(long)]
    pub local_port_range: Option<String>,
    /// Also check the cloud: `alibaba` or `local` (then --cluster-id and credentials).
    #[arg(long, value_enum)]
    pub cloud: Option<CloudKind>,
    /// Cluster id (with --cloud).
    #[arg(long, env = "SLB_CLUSTER_ID", default_value = "")]
    pub cluster_id: String,
    /// Region, VPC, credentials and endpoints (as `controller` takes them).
    #[command(flatten)]
    pub connection: CloudArgs,
    /// Print the findings as JSON.
    #[arg(long)]
    pub json: bool,
}

/// One problem found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// Which check found it.
    pub check: &'static str,
    /// `namespace/name`, or empty for cluster-wide findings.
    pub service: String,
    /// What is wrong.
    pub problem: String,
    /// The FAQ's remedy.
    pub remedy: String,
}

fn key(svc: &Service) -> String {
    format!("{}/{}", svc.namespace().unwrap_or_default(), svc.name_any())
}

/// A LoadBalancer Service without an address, and the newest reason the controller gave.
pub fn pending(svc: &Service, events: &[Event]) -> Option<Finding> {
    let row = summarize(svc, events);
    if !row.ip.is_empty() {
        return None;
    }
    let (problem, remedy) = if row.last_sync == "SyncLoadBalancerFailed" {
        (
            format!("Pending: the last sync failed: {}", row.last_sync_message),
            "Fix what the event names (its remedy is in the message), then the controller retries."
                .to_owned(),
        )
    } else if row.last_sync.is_empty() {
        (
            "Pending and no sync event at all".to_owned(),
            "Check that the controller runs and that the Service has no loadBalancerClass or \
             service.beta.kubernetes.io/class of another controller (FAQ: no events collected)."
                .to_owned(),
        )
    } else {
        return None;
    };
    Some(Finding {
        check: "pending",
        service: key(svc),
        problem,
        remedy,
    })
}

/// A Service whose ingress says `ipMode: Proxy`: kube-proxy then no longer short-circuits
/// in-cluster traffic to the address, so pods reach it through the CLB, which refuses hairpin
/// traffic (a backend as the client) on intranet layer-4 listeners, and bills internet traffic.
/// With no `ipMode` (slb-ccm's default, as the reference CCM) kube-proxy routes it directly.
pub fn hairpin(svc: &Service) -> Option<Finding> {
    let ingress = svc
        .status
        .as_ref()?
        .load_balancer
        .as_ref()?
        .ingress
        .as_ref()?;
    let proxy = ingress
        .iter()
        .any(|i| i.ip.is_some() && i.ip_mode.as_deref() == Some("Proxy"));
    proxy.then(|| Finding {
        check: "hairpin",
        service: key(svc),
        problem: "ipMode: Proxy: kube-proxy does not short-circuit in-cluster traffic to the CLB \
                  address, so pods go through the CLB, which refuses hairpin traffic on intranet \
                  layer-4 listeners when the client is also a backend, and bills internet \
                  traffic"
            .into(),
        remedy: "Drop ipMode: run slb-ccm with the default --ingress-ip-mode none (it rewrites \
                 the status), so kube-proxy routes in-cluster traffic to the LB IP directly (FAQ: \
                 why does the cluster fail to access the IP address of an SLB instance)."
            .into(),
    })
}

fn parse_range(text: &str) -> Option<(u32, u32)> {
    let mut parts = text
        .split(|c: char| c == '-' || c.is_whitespace())
        .filter(|p| !p.is_empty());
    let lo = parts.next()?.parse().ok()?;
    let hi = parts.next()?.parse().ok()?;
    (lo <= hi).then_some((lo, hi))
}

/// The NodePort range must not overlap the nodes' ephemeral port range.
pub fn port_ranges(node_ports: &str, local_ports: &str) -> Option<Finding> {
    let (Some((a, b)), Some((c, d))) = (parse_range(node_ports), parse_range(local_ports)) else {
        return Some(Finding {
            check: "port-range",
            service: String::new(),
            problem: format!("cannot read the ranges {node_ports:?} / {local_ports:?}"),
            remedy: "Pass them as LOW-HIGH, e.g. --node-port-range 30000-32767.".into(),
        });
    };
    (a <= d && c <= b).then(|| Finding {
        check: "port-range",
        service: String::new(),
        problem: format!(
            "the NodePort range {a}-{b} overlaps net.ipv4.ip_local_port_range {c}-{d}"
        ),
        remedy: "Make the ranges disjoint (defaults 30000-32767 and 32768-60999), then move \
                 Services whose nodePort falls in the local range (FAQ: node port range)."
            .into(),
    })
}

/// Findings from a dry-run sync of one Service.
pub fn cloud_findings(svc: &Service, result: &Result<SyncOutcome, CloudError>) -> Vec<Finding> {
    let mut out = Vec::new();
    match result {
        Err(err) => out.push(Finding {
            check: "cloud",
            service: key(svc),
            problem: err.to_string(),
            remedy: err
                .remedy()
                .unwrap_or("See the error; the controller will keep retrying.")
                .into(),
        }),
        Ok(outcome) if !outcome.plan.is_empty() && outcome.load_balancer_id.is_some() => {
            let calls: Vec<&str> = outcome
                .plan
                .actions
                .iter()
                .map(slb_model::Action::api_name)
                .collect();
            out.push(Finding {
                check: "drift",
                service: key(svc),
                problem: format!(
                    "the CLB differs from the Service; a sync would call {}",
                    calls.join(", ")
                ),
                remedy: "Configure the CLB through annotations, not the console: the controller \
                         overwrites console changes (FAQ: why are the configurations modified)."
                    .into(),
            });
        }
        Ok(_) => {}
    }
    out
}

/// Backend quota headroom of one observed CLB.
pub fn quota(svc: &Service, observed: &slb_model::ObservedLb, quota: usize) -> Option<Finding> {
    let used = observed.backend_count();
    (used * 10 >= quota * 8).then(|| Finding {
        check: "quota",
        service: key(svc),
        problem: format!(
            "{used} of {quota} backend servers of {} are used",
            observed.load_balancer_id
        ),
        remedy: "Use externalTrafficPolicy: Local or the backend-label annotation to add fewer \
                 nodes, one CLB per Service, or ask for a higher quota (FAQ: backend server quota)."
            .into(),
    })
}

fn local_port_range(args: &DoctorArgs) -> String {
    args.local_port_range.clone().unwrap_or_else(|| {
        std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range")
            .map(|s| s.split_whitespace().collect::<Vec<_>>().join("-"))
            .unwrap_or_else(|_| "32768-60999".into())
    })
}

/// `slb-ccm doctor`. Returns whether everything is healthy.
///
/// # Errors
/// No cluster configuration, a failed list, or an unusable cloud configuration.
pub async fn run(args: &DoctorArgs) -> anyhow::Result<bool> {
    let client = slb_controller::run::kube_client(args.kubeconfig.as_deref()).await?;
    let ns = args.namespace.as_deref();
    let services: Vec<Service> = scoped::<Service>(&client, ns)
        .list(&ListParams::default())
        .await
        .context("listing Services")?
        .items
        .into_iter()
        .filter(|s| s.spec.as_ref().and_then(|sp| sp.type_.as_deref()) == Some("LoadBalancer"))
        .collect();
    let events = scoped::<Event>(&client, ns)
        .list(&ListParams::default().fields("involvedObject.kind=Service"))
        .await
        .context("listing Service events")?
        .items;
    let mut findings: Vec<Finding> = Vec::new();
    for svc in &services {
        findings.extend(pending(svc, &events_of(&events, svc)));
        findings.extend(hairpin(svc));
    }
    findings.extend(port_ranges(&args.node_port_range, &local_port_range(args)));
    if let Some(kind) = args.cloud {
        findings.extend(cloud_checks(args, kind, &client, &services).await?);
    }
    report(&findings, services.len(), args.json)?;
    Ok(findings.is_empty())
}

/// `--cloud`: each Service's dry-run sync against the cloud (drift, refusals) and its CLB's
/// backend quota.
async fn cloud_checks(
    args: &DoctorArgs,
    kind: CloudKind,
    client: &kube::Client,
    services: &[Service],
) -> anyhow::Result<Vec<Finding>> {
    let cloud = args.connection.cloud(kind)?;
    let cluster = args.connection.cluster(kind, &args.cluster_id);
    let plan_options = PlanOptions::from_context(&cluster);
    let nodes: Vec<Node> = Api::<Node>::all(client.clone())
        .list(&ListParams::default())
        .await?
        .items;
    let slices: Vec<EndpointSlice> = scoped::<EndpointSlice>(client, args.namespace.as_deref())
        .list(&ListParams::default())
        .await?
        .items;
    let mut findings = Vec::new();
    for svc in services {
        let desired = match slb_model::desired(svc, &nodes, &slices_of(&slices, svc), &cluster) {
            Ok(d) => d,
            Err(problems) => {
                findings.extend(problems.iter().map(|p| Finding {
                    check: "annotations",
                    service: key(svc),
                    problem: p.to_string(),
                    remedy: p.remedy().into(),
                }));
                continue;
            }
        };
        let known = svc.labels().get(LB_ID_LABEL).cloned();
        let result = cloud
            .sync(desired, known.as_deref(), &plan_options, true)
            .await;
        findings.extend(cloud_findings(svc, &result));
        let id = result.ok().and_then(|o| o.load_balancer_id);
        if let Some(id) = id
            && let Some(observed) = cloud.observe(&id).await?
        {
            findings.extend(quota(svc, &observed, plan_options.backend_quota));
        }
    }
    Ok(findings)
}

/// The EndpointSlices of `svc`.
fn slices_of(slices: &[EndpointSlice], svc: &Service) -> Vec<EndpointSlice> {
    slices
        .iter()
        .filter(|s| {
            s.namespace() == svc.namespace()
                && s.labels().get("kubernetes.io/service-name") == Some(&svc.name_any())
        })
        .cloned()
        .collect()
}

/// Prints the findings (JSON, or one line and fix each) and the count.
fn report(findings: &[Finding], services: usize, json: bool) -> anyhow::Result<()> {
    if json {
        println!("{}", serde_json::to_string_pretty(findings)?);
        return Ok(());
    }
    if findings.is_empty() {
        println!("No problems found in {services} LoadBalancer Service(s).");
        return Ok(());
    }
    for f in findings {
        let whom = if f.service.is_empty() {
            "cluster".to_owned()
        } else {
            f.service.clone()
        };
        println!("[{}] {whom}: {}\n    fix: {}", f.check, f.problem, f.remedy);
    }
    println!(
        "{} finding(s) in {services} LoadBalancer Service(s).",
        findings.len()
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[allow(clippy::needless_pass_by_value)] // test helper taking json!(…) literals
    fn svc(policy: &str, ingress: serde_json::Value) -> Service {
        serde_json::from_value(serde_json::json!({
            "metadata": {"name": "web", "namespace": "shop"},
            "spec": {"type": "LoadBalancer", "externalTrafficPolicy": policy, "ports": [{"port": 80}]},
            "status": {"loadBalancer": {"ingress": ingress}}
        }))
        .unwrap()
    }

    #[test]
    fn a_proxy_ip_mode_is_a_hairpin_finding_whatever_the_policy() {
        for policy in ["Local", "Cluster"] {
            let proxy = svc(
                policy,
                serde_json::json!([{"ip": "127.0.1.2", "ipMode": "Proxy"}]),
            );
            let f = hairpin(&proxy).unwrap();
            assert_eq!(f.service, "shop/web");
            assert!(f.remedy.contains("--ingress-ip-mode none"), "{f:?}");
        }
    }

    #[test]
    fn no_ip_mode_or_vip_is_no_hairpin_finding() {
        for ingress in [
            serde_json::json!([{"ip": "127.0.1.2"}]),
            serde_json::json!([{"ip": "127.0.1.2", "ipMode": "VIP"}]),
            serde_json::json!([{"hostname": "lb.example.com"}]),
            serde_json::json!([]),
        ] {
            assert!(
                hairpin(&svc("Local", ingress.clone())).is_none(),
                "{ingress}"
            );
        }
    }

    #[test]
    fn a_pending_service_without_events_points_at_the_controller() {
        let pending_svc = svc("Cluster", serde_json::json!([]));
        let f = pending(&pending_svc, &[]).unwrap();
        assert!(f.problem.contains("no sync event"), "{f:?}");
        assert!(pending(&svc("Cluster", serde_json::json!([{"ip": "1.2.3.4"}])), &[]).is_none());
    }

    #[test]
    fn overlapping_port_ranges_are_reported_and_the_defaults_are_not() {
        assert!(port_ranges("30000-32767", "32768-60999").is_none());
        let f = port_ranges("30000-40000", "32768\t60999").unwrap();
        assert!(f.problem.contains("overlaps"), "{f:?}");
        assert!(
            port_ranges("garbage", "1-2")
                .unwrap()
                .problem
                .contains("cannot read")
        );
    }
}
