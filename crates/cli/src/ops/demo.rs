//! `slb-ccm demo`: the whole path on one machine, with no cluster and no cloud account. It
//! runs the local CLB engine with the real data plane in this process, starts one small TCP
//! server per node and nodePort (standing for kube-proxy and the pods behind it), applies the
//! manifests of `examples/` through the same `Cloud::sync` as `apply`, sends connections
//! through each VIP and prints the observed split beside the weights of the plan, then the
//! CLB table. It fails (non-zero exit) when a split is off by more than the tolerance.
//!
//! Not here: a Kubernetes API server (the manifests are read from files) or health checks of
//! pods (a node "runs" the pods its EndpointSlice says it runs).

use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;

use k8s_openapi::api::core::v1::{Node, NodeAddress, Service};
use slb_controller::cloud::SyncOutcome;
use slb_local::store::MemoryStore;
use slb_model::DesiredLb;

use super::manifests::{self, Manifests};
use super::plan_apply::desired_all;
use super::render;
use super::target::{ClusterArgs, Target, internal_ip, node_instances};
use super::traffic::{self, NodeServers};
use crate::proxy::ProxyDataPlane;

/// The manifests of `examples/`, built in so the demo runs from any directory.
const EXAMPLES: &[(&str, &str)] = &[
    (
        "examples/nodes.yaml",
        include_str!("../../../../examples/nodes.yaml"),
    ),
    (
        "examples/web-local.yaml",
        include_str!("../../../../examples/web-local.yaml"),
    ),
    (
        "examples/web-cluster.yaml",
        include_str!("../../../../examples/web-cluster.yaml"),
    ),
];

/// Arguments of `slb-ccm demo`.
#[derive(Debug, Clone, clap::Args)]
pub struct DemoArgs {
    /// Manifests to apply instead of the built-in examples/ (a file or a folder).
    #[arg(short = 'f', long = "filename", value_name = "PATH")]
    pub path: Option<PathBuf>,
    /// Connections to send through each VIP.
    #[arg(long, default_value_t = 600)]
    pub connections: usize,
    /// Largest accepted difference between a node's observed share and its weight's share,
    /// in percentage points.
    #[arg(long, default_value_t = 5.0)]
    pub tolerance: f64,
    /// Loopback addresses for the nodes, in node-name order (replaces their InternalIPs).
    #[arg(long, value_delimiter = ',', value_name = "IP,IP,...")]
    pub node_ips: Vec<IpAddr>,
    /// Internet VIP pool of the in-process local CLB.
    #[arg(long, default_value = "127.0.9.0/24")]
    pub vip_pool: String,
    /// The cluster.
    #[command(flatten)]
    pub cluster: ClusterArgs,
}

fn load(args: &DemoArgs) -> anyhow::Result<Manifests> {
    let mut m = match &args.path {
        Some(path) => manifests::load(path)
            .inspect_err(|e| tracing::debug!(kind = e.kind(), "reading manifests failed"))?,
        None => {
            let mut all = Manifests::default();
            for (file, text) in EXAMPLES {
                let one = manifests::parse(file, text)?;
                all.services.extend(one.services);
                all.nodes.extend(one.nodes);
                all.slices.extend(one.slices);
                all.warnings.extend(one.warnings);
            }
            all
        }
    };
    if !args.node_ips.is_empty() {
        anyhow::ensure!(
            args.node_ips.len() == m.nodes.len(),
            "--node-ips has {} address(es) but the manifests have {} node(s)",
            args.node_ips.len(),
            m.nodes.len()
        );
        m.nodes
            .sort_by(|a, b| a.metadata.name.cmp(&b.metadata.name));
        for (node, ip) in m.nodes.iter_mut().zip(&args.node_ips) {
            set_internal_ip(node, *ip);
        }
    }
    Ok(m)
}

fn set_internal_ip(node: &mut Node, ip: IpAddr) {
    let addresses = node
        .status
        .get_or_insert_with(Default::default)
        .addresses
        .get_or_insert_with(Vec::new);
    addresses.retain(|a| a.type_ != "InternalIP");
    addresses.push(NodeAddress {
        type_: "InternalIP".to_owned(),
        address: ip.to_string(),
    });
}

/// Nodes running ready endpoints of `service` (what a Local Service's node answers for).
fn nodes_with_pods(service: &Service, m: &Manifests) -> Vec<String> {
    let name = service.metadata.name.as_deref();
    let mut out: Vec<String> = m
        .slices
        .iter()
        .filter(|s| {
            s.metadata
                .labels
                .as_ref()
                .and_then(|l| l.get("kubernetes.io/service-name"))
                .map(String::as_str)
                == name
        })
        .flat_map(|s| s.endpoints.iter().flatten())
        .filter(|e| e.conditions.as_ref().and_then(|c| c.ready) != Some(false))
        .filter_map(|e| e.node_name.clone())
        .collect();
    out.sort();
    out.dedup();
    out
}

/// Starts, per LoadBalancer Service and nodePort, the node servers kube-proxy would reach:
/// every node for `Cluster`, only nodes with pods for `Local`.
async fn start_nodes(m: &Manifests) -> anyhow::Result<NodeServers> {
    let mut servers = NodeServers::default();
    for service in m.services.iter().filter(|s| slb_model::wants_lb(s, None)) {
        let Some(spec) = &service.spec else { continue };
        let local = spec.external_traffic_policy.as_deref() == Some("Local");
        let with_pods = nodes_with_pods(service, m);
        for port in spec.ports.as_deref().unwrap_or_default() {
            let Some(node_port) = port.node_port.and_then(|p| u16::try_from(p).ok()) else {
                continue;
            };
            for node in &m.nodes {
                let name = node.metadata.name.clone().unwrap_or_default();
                if local && !with_pods.contains(&name) {
                    continue;
                }
                let Some(ip) = internal_ip(node).and_then(|ip| ip.parse::<IpAddr>().ok()) else {
                    anyhow::bail!("node {name} has no InternalIP address the demo can listen on");
                };
                servers.start(&name, SocketAddr::new(ip, node_port)).await?;
            }
        }
    }
    Ok(servers)
}

/// One Service's result: did the split match.
struct Checked {
    ok: bool,
}

/// Runs the demo.
///
/// # Errors
/// When the manifests, the node servers or the local CLB cannot be set up; a split that is
/// off is reported and gives a failing exit code.
pub async fn run(args: &DemoArgs) -> anyhow::Result<ExitCode> {
    let started = Instant::now();
    let m = load(args)?;
    for w in &m.warnings {
        eprintln!("warning: {w}");
    }
    let _servers = start_nodes(&m).await?;
    let mut registry = prometheus_client::registry::Registry::default();
    let proxy = ProxyDataPlane::new(slb_dataplane::DataPlane::spawn(&mut registry));
    let (target, _engine) = Target::local(
        &args.cluster,
        &args.vip_pool,
        &m.nodes,
        Box::new(MemoryStore::default()),
        Arc::new(proxy.clone()),
        "the local CLB in this process".to_owned(),
    )?;
    let node_of: BTreeMap<String, String> = node_instances(&m.nodes, &args.cluster.vpc_id)
        .into_iter()
        .map(|i| (i.instance_id, i.instance_name))
        .collect();
    println!(
        "slb-ccm demo: {} node(s), {} Service(s); local CLB and data plane in this process, VIPs \
         from {}.",
        m.nodes.len(),
        m.services.len(),
        args.vip_pool
    );
    let (inputs, _) = desired_all(&m, &target, true);
    let mut all_ok = true;
    for input in inputs {
        let checked = one(args, &target, &node_of, input).await?;
        all_ok &= checked.ok;
    }
    proxy.handle().shutdown().await;
    println!("\nDone in {:.1} s.", started.elapsed().as_secs_f64());
    if all_ok {
        Ok(ExitCode::SUCCESS)
    } else {
        eprintln!(
            "error: a traffic split differs from the weights by more than {} percentage points \
             (see above)",
            args.tolerance
        );
        Ok(ExitCode::FAILURE)
    }
}

async fn one(
    args: &DemoArgs,
    target: &Target,
    node_of: &BTreeMap<String, String>,
    input: super::plan_apply::ServiceInput,
) -> anyhow::Result<Checked> {
    println!(
        "\nService {} (externalTrafficPolicy: {})",
        input.name, input.policy
    );
    let desired = match input.desired {
        Ok(d) => d,
        Err(errors) => {
            for e in &errors {
                println!("  ✗ [{}] {e}\n      fix: {}", e.kind(), e.remedy());
            }
            anyhow::bail!("{}: the manifests do not validate", input.name);
        }
    };
    let Some(listener) = desired.listeners.first().map(|l| l.listener_port) else {
        anyhow::bail!("{}: no listener to send traffic to", input.name);
    };
    let weights = plan_weights(&desired, node_of);
    let outcome = target
        .sync(desired, false)
        .await
        .map_err(|e| match e.remedy() {
            Some(fix) => anyhow::anyhow!("{}: {e}. Fix: {fix}", input.name),
            None => anyhow::anyhow!("{}: {e}", input.name),
        })?;
    let (Some(id), Some(address)) = (&outcome.load_balancer_id, &outcome.address) else {
        anyhow::bail!("{}: the sync created no CLB", input.name);
    };
    print_applied(&outcome, &input.policy, (id, address, listener));
    let vip = SocketAddr::new(address.parse()?, listener);
    anyhow::ensure!(
        traffic::wait_listening(vip, Duration::from_secs(5)).await,
        "{}: nothing listens on {vip} 5 s after the sync",
        input.name
    );
    let seen = traffic::split(vip, args.connections, &format!("sending to {vip}")).await;
    let ok = chart(&weights, &seen, args.tolerance);
    if let Some(lb) = target.observe(id).await? {
        print!("{}", render::clb_table(&lb));
    }
    Ok(Checked { ok })
}

/// The plan's weights by node name (the first group's backends), for the chart.
fn plan_weights(desired: &DesiredLb, node_of: &BTreeMap<String, String>) -> Vec<(String, u32)> {
    let Some(group) = desired.groups.first() else {
        return Vec::new();
    };
    group
        .backends
        .iter()
        .map(|b| {
            let node = node_of.get(&b.server_id).unwrap_or(&b.server_id);
            (node.clone(), b.weight)
        })
        .collect()
}

/// The calls made, the CLB `(id, VIP, listener port)` and what the policy means.
fn print_applied(outcome: &SyncOutcome, policy: &str, (id, address, listener): (&str, &str, u16)) {
    let chain: Vec<&str> = outcome.plan.actions.iter().map(|a| a.api_name()).collect();
    println!(
        "  applied {} call(s): {}\n  → CLB {id}, VIP {address}, listener tcp:{listener}",
        chain.len(),
        chain.join(" → ")
    );
    let meaning = if policy == "Local" {
        "Local: only nodes running pods are backends, each weighted by its ready pods \
         (the FAQ's example: 1, 2 and 3 pods → weights 1:2:3)."
    } else {
        "Cluster: every Ready node is a backend at the default weight; kube-proxy spreads \
         the traffic to pods from there."
    };
    println!("  {meaning}");
}

/// Prints the weights beside the observed split; true when every share is within tolerance.
fn chart(weights: &[(String, u32)], seen: &BTreeMap<String, usize>, tolerance: f64) -> bool {
    let total_weight: u32 = weights.iter().map(|(_, w)| w).sum();
    let total_seen: usize = seen.values().sum();
    let ratio: Vec<String> = weights.iter().map(|(_, w)| w.to_string()).collect();
    println!(
        "  weights {} → split of {total_seen} connections:",
        ratio.join(":")
    );
    let mut ok = true;
    for (node, weight) in weights {
        let expected = f64::from(*weight) / f64::from(total_weight.max(1));
        let observed = *seen.get(node).unwrap_or(&0) as f64 / total_seen.max(1) as f64;
        println!(
            "{}",
            render::split_line(node, *weight, expected, observed, 40)
        );
        if (observed - expected).abs() * 100.0 > tolerance {
            println!("    ✗ {node} is off by more than {tolerance} points");
            ok = false;
        }
    }
    for (name, count) in seen {
        if !weights.iter().any(|(n, _)| n == name) {
            println!("    ✗ {count} connection(s) answered by {name}, which has no weight");
            ok = false;
        }
    }
    ok
}

#[cfg(test)]
mod tests {
    use super::*;

    fn weights() -> Vec<(String, u32)> {
        vec![
            ("node-a".into(), 1),
            ("node-b".into(), 2),
            ("node-c".into(), 3),
        ]
    }

    fn seen(counts: &[(&str, usize)]) -> BTreeMap<String, usize> {
        counts.iter().map(|(n, c)| ((*n).to_owned(), *c)).collect()
    }

    #[test]
    fn a_split_within_tolerance_of_the_weights_passes() {
        let counts = seen(&[("node-a", 105), ("node-b", 195), ("node-c", 300)]);
        assert!(chart(&weights(), &counts, 5.0));
    }

    #[test]
    fn a_split_off_by_more_than_the_tolerance_fails() {
        let even = seen(&[("node-a", 200), ("node-b", 200), ("node-c", 200)]);
        assert!(!chart(&weights(), &even, 5.0), "1:1:1 is not 1:2:3");
    }

    #[test]
    fn connections_nobody_weighted_answered_fail_the_check() {
        let counts = seen(&[
            ("node-a", 100),
            ("node-b", 200),
            ("node-c", 297),
            (traffic::NO_ANSWER, 3),
        ]);
        assert!(!chart(&weights(), &counts, 5.0));
    }

    #[test]
    fn node_ips_replace_the_internal_ips_in_node_name_order() {
        let args = DemoArgs {
            path: None,
            connections: 1,
            tolerance: 5.0,
            node_ips: ["127.4.0.1", "127.4.0.2", "127.4.0.3"]
                .iter()
                .map(|s| s.parse().unwrap())
                .collect(),
            vip_pool: "127.4.9.0/24".into(),
            cluster: ClusterArgs {
                cluster_id: "local".into(),
                region: "cn-hangzhou".into(),
                vpc_id: "vpc-local".into(),
            },
        };
        let m = load(&args).unwrap();
        let ips: Vec<(String, String)> = m
            .nodes
            .iter()
            .map(|n| (n.metadata.name.clone().unwrap(), internal_ip(n).unwrap()))
            .collect();
        assert_eq!(
            ips,
            [
                ("node-a".to_owned(), "127.4.0.1".to_owned()),
                ("node-b".to_owned(), "127.4.0.2".to_owned()),
                ("node-c".to_owned(), "127.4.0.3".to_owned()),
            ]
        );
        let too_few = DemoArgs {
            node_ips: args.node_ips[..2].to_vec(),
            ..args
        };
        let err = load(&too_few).unwrap_err().to_string();
        assert!(err.contains("--node-ips has 2 address(es) but the manifests have 3 node(s)"));
    }
}
