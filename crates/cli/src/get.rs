//! `slb-ccm get`: the FAQ's `kubectl get svc … | jq` query built in. For every LoadBalancer
//! Service: name, namespace, IP (or hostname), address type, CLB id, listeners and the last
//! sync result (the newest of the controller's events for it), as a table, a wide table, JSON
//! or YAML. Reads the cluster only.
//!
//! [`summarize`] is pure (Service + its events → one row); [`run`] does the two list calls.

use crate::ops::render::Table;
use anyhow::Context as _;
use k8s_openapi::api::core::v1::{Event, Service};
use kube::api::ListParams;
use kube::{Api, ResourceExt};
use serde::Serialize;
use slb_controller::run::scoped;
use std::collections::BTreeMap;
use std::path::PathBuf;

const PREFIX: &str = "service.beta.kubernetes.io/alibaba-cloud-loadbalancer-";
const LEGACY_PREFIX: &str = "service.beta.kubernetes.io/alicloud-loadbalancer-";
/// Event reasons that report a sync's outcome.
const SYNC_REASONS: &[&str] = &[
    "EnsuredLoadBalancer",
    "SyncLoadBalancerFailed",
    "CleanLoadBalancer",
    "CleanLoadBalancerFailed",
    "DryRun",
];

/// Output formats of `get`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Output {
    /// Name, namespace, IP, type, CLB, listeners, last sync.
    Table,
    /// The table plus traffic policy, finalizer and the last sync's message.
    Wide,
    /// One JSON document.
    Json,
    /// One YAML document.
    Yaml,
}

/// Flags of `slb-ccm get`.
#[derive(Debug, clap::Args)]
pub struct GetArgs {
    /// Only this Service (with --namespace), else every LoadBalancer Service.
    pub name: Option<String>,
    /// Kubeconfig file (else $KUBECONFIG, ~/.kube/config or in-cluster).
    #[arg(long, env = "KUBECONFIG")]
    pub kubeconfig: Option<PathBuf>,
    /// Namespace (default: all namespaces).
    #[arg(short, long)]
    pub namespace: Option<String>,
    /// Output format.
    #[arg(short, long, value_enum, default_value = "table")]
    pub output: Output,
}

/// One LoadBalancer Service as `get` shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ServiceSummary {
    /// Service name.
    pub name: String,
    /// Namespace.
    pub namespace: String,
    /// `status.loadBalancer.ingress` IP or hostname; empty while Pending.
    pub ip: String,
    /// `internet` or `intranet` (the annotation, else the default `internet`).
    pub address_type: String,
    /// CLB id from the controller's label or the `id` annotation; empty before the first sync.
    pub load_balancer_id: String,
    /// `protocol:port` per listener.
    pub listeners: Vec<String>,
    /// `externalTrafficPolicy`.
    pub traffic_policy: String,
    /// Whether the controller's finalizer is on the Service.
    pub finalizer: bool,
    /// Reason of the newest sync event (`EnsuredLoadBalancer`, `SyncLoadBalancerFailed`, …).
    pub last_sync: String,
    /// Its message.
    pub last_sync_message: String,
}

fn annotation<'a>(svc: &'a Service, suffix: &str) -> Option<&'a String> {
    let a = svc.annotations();
    a.get(&format!("{PREFIX}{suffix}"))
        .or_else(|| a.get(&format!("{LEGACY_PREFIX}{suffix}")))
}

/// The row for `svc`, given the events whose involved object is that Service.
pub fn summarize(svc: &Service, events: &[Event]) -> ServiceSummary {
    let spec = svc.spec.clone().unwrap_or_default();
    let ingress = svc
        .status
        .as_ref()
        .and_then(|s| s.load_balancer.as_ref())
        .and_then(|lb| lb.ingress.as_ref())
        .and_then(|i| i.first());
    let ip = ingress
        .and_then(|i| i.ip.clone().or_else(|| i.hostname.clone()))
        .unwrap_or_default();
    let listeners = listeners(svc, spec.ports.as_deref().unwrap_or_default());
    let newest = newest_sync_event(events);
    let load_balancer_id = svc
        .labels()
        .get(slb_controller::service_writes::LB_ID_LABEL)
        .or_else(|| annotation(svc, "id"))
        .cloned()
        .unwrap_or_default();
    ServiceSummary {
        name: svc.name_any(),
        namespace: svc.namespace().unwrap_or_default(),
        ip,
        address_type: annotation(svc, "address-type")
            .cloned()
            .unwrap_or_else(|| "internet".into()),
        load_balancer_id,
        listeners,
        traffic_policy: spec
            .external_traffic_policy
            .unwrap_or_else(|| "Cluster".into()),
        finalizer: svc.finalizers().iter().any(|f| f == slb_model::FINALIZER),
        last_sync: newest.and_then(|e| e.reason.clone()).unwrap_or_default(),
        last_sync_message: newest.and_then(|e| e.message.clone()).unwrap_or_default(),
    }
}

/// `proto:port` of each Service port, with the `protocol-port` annotation's overrides.
fn listeners(svc: &Service, ports: &[k8s_openapi::api::core::v1::ServicePort]) -> Vec<String> {
    let overrides: BTreeMap<u16, String> = annotation(svc, "protocol-port")
        .map(|v| {
            v.split(',')
                .filter_map(|pair| {
                    let (proto, port) = pair.trim().split_once(':')?;
                    Some((port.trim().parse().ok()?, proto.trim().to_lowercase()))
                })
                .collect()
        })
        .unwrap_or_default();
    ports
        .iter()
        .map(|p| {
            let port = u16::try_from(p.port).unwrap_or_default();
            let proto = overrides.get(&port).cloned().unwrap_or_else(|| {
                p.protocol
                    .clone()
                    .unwrap_or_else(|| "TCP".into())
                    .to_lowercase()
            });
            format!("{proto}:{port}")
        })
        .collect()
}

/// The newest of the sync events (ensured, failed, cleaned) among `events`.
fn newest_sync_event(events: &[Event]) -> Option<&Event> {
    events
        .iter()
        .filter(|e| {
            e.reason
                .as_deref()
                .is_some_and(|r| SYNC_REASONS.contains(&r))
        })
        .max_by_key(|e| event_time(e))
}

/// The events whose involved object is `svc`.
pub fn events_of(events: &[Event], svc: &Service) -> Vec<Event> {
    events
        .iter()
        .filter(|e| {
            e.involved_object.name.as_deref() == Some(svc.name_any().as_str())
                && e.involved_object.namespace == svc.namespace()
        })
        .cloned()
        .collect()
}

/// When an event last happened: `eventTime`, else `lastTimestamp`, else creation.
fn event_time(e: &Event) -> Option<k8s_openapi::jiff::Timestamp> {
    e.event_time
        .as_ref()
        .map(|t| t.0)
        .or_else(|| e.last_timestamp.as_ref().map(|t| t.0))
        .or_else(|| e.metadata.creation_timestamp.as_ref().map(|t| t.0))
}

/// Renders `rows` in `output`.
///
/// # Errors
/// Serialisation failures (JSON/YAML).
pub fn render(rows: &[ServiceSummary], output: Output) -> anyhow::Result<String> {
    match output {
        Output::Json => Ok(serde_json::to_string_pretty(rows)? + "\n"),
        Output::Yaml => Ok(serde_yaml::to_string(rows)?),
        Output::Table | Output::Wide => {
            let wide = output == Output::Wide;
            let mut header = vec![
                "NAMESPACE",
                "NAME",
                "IP",
                "TYPE",
                "CLB",
                "LISTENERS",
                "LAST SYNC",
            ];
            if wide {
                header.extend(["POLICY", "FINALIZER", "MESSAGE"]);
            }
            let mut table = Table::new(&header);
            for r in rows {
                table.row(cells(r, wide));
            }
            Ok(table.render(0))
        }
    }
}

/// One table row (`<pending>` for what the controller has not written yet).
fn cells(r: &ServiceSummary, wide: bool) -> Vec<String> {
    let dash = |s: &str| {
        if s.is_empty() {
            "<pending>".to_owned()
        } else {
            s.to_owned()
        }
    };
    let mut cells = vec![
        r.namespace.clone(),
        r.name.clone(),
        dash(&r.ip),
        r.address_type.clone(),
        dash(&r.load_balancer_id),
        r.listeners.join(","),
        if r.last_sync.is_empty() {
            "-".into()
        } else {
            r.last_sync.clone()
        },
    ];
    if wide {
        cells.push(r.traffic_policy.clone());
        cells.push(if r.finalizer { "yes" } else { "no" }.into());
        cells.push(r.last_sync_message.chars().take(120).collect());
    }
    cells
}

/// `slb-ccm get`.
///
/// # Errors
/// No cluster configuration, or a failed list.
pub async fn run(args: &GetArgs) -> anyhow::Result<()> {
    let client = slb_controller::run::kube_client(args.kubeconfig.as_deref()).await?;
    let services: Api<Service> = scoped(&client, args.namespace.as_deref());
    let events: Api<Event> = scoped(&client, args.namespace.as_deref());
    let listed = services
        .list(&ListParams::default())
        .await
        .context("listing Services")?;
    let all_events = events
        .list(&ListParams::default().fields("involvedObject.kind=Service"))
        .await
        .context("listing Service events")?;
    let mut rows: Vec<ServiceSummary> = listed
        .items
        .iter()
        .filter(|s| s.spec.as_ref().and_then(|sp| sp.type_.as_deref()) == Some("LoadBalancer"))
        .filter(|s| args.name.as_ref().is_none_or(|n| &s.name_any() == n))
        .map(|svc| summarize(svc, &events_of(&all_events.items, svc)))
        .collect();
    rows.sort_by(|a, b| (&a.namespace, &a.name).cmp(&(&b.namespace, &b.name)));
    if rows.is_empty() && args.output != Output::Json && args.output != Output::Yaml {
        println!("No LoadBalancer Services found.");
        return Ok(());
    }
    print!("{}", render(&rows, args.output)?);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::api::core::v1::ObjectReference;
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
    use kube::api::ObjectMeta;

    fn svc() -> Service {
        let mut s: Service = serde_json::from_value(serde_json::json!({
            "metadata": {"name": "web", "namespace": "shop",
                "labels": {"service.k8s.alibaba/loadbalancer-id": "lb-123"},
                "annotations": {
                    "service.beta.kubernetes.io/alicloud-loadbalancer-address-type": "intranet",
                    "service.beta.kubernetes.io/alibaba-cloud-loadbalancer-protocol-port": "https:443"
                },
                "finalizers": ["service.k8s.alibaba/resources"]},
            "spec": {"type": "LoadBalancer", "externalTrafficPolicy": "Local",
                "ports": [{"port": 80, "protocol": "TCP"}, {"port": 443, "protocol": "TCP"}]},
            "status": {"loadBalancer": {"ingress": [{"ip": "127.0.1.4"}]}}
        }))
        .unwrap();
        s.metadata.uid = Some("u".into());
        s
    }

    fn event(reason: &str, message: &str, second: i64) -> Event {
        Event {
            metadata: ObjectMeta {
                name: Some(format!("e{second}")),
                ..Default::default()
            },
            involved_object: ObjectReference::default(),
            reason: Some(reason.into()),
            message: Some(message.into()),
            last_timestamp: Some(Time(
                k8s_openapi::jiff::Timestamp::from_second(second).unwrap(),
            )),
            ..Default::default()
        }
    }

    #[test]
    fn a_synced_service_shows_ip_type_clb_listeners_and_the_newest_sync_event() {
        let events = [
            event("SyncLoadBalancerFailed", "Throttling.User", 100),
            event("EnsuredLoadBalancer", "Ensured load balancer [lb-123]", 200),
            event("Scheduled", "not a sync event", 300),
        ];
        let row = summarize(&svc(), &events);
        assert_eq!(row.ip, "127.0.1.4");
        assert_eq!(row.address_type, "intranet", "legacy prefix is read");
        assert_eq!(row.load_balancer_id, "lb-123");
        assert_eq!(
            row.listeners,
            ["tcp:80", "https:443"],
            "protocol-port overrides 443"
        );
        assert_eq!(row.traffic_policy, "Local");
        assert!(row.finalizer);
        assert_eq!(row.last_sync, "EnsuredLoadBalancer");
    }

    #[test]
    fn a_pending_service_renders_as_pending_in_the_table() {
        let mut s = svc();
        s.status = None;
        s.metadata.labels = None;
        let table = render(&[summarize(&s, &[])], Output::Table).unwrap();
        assert!(table.contains("<pending>"), "{table}");
        assert!(table.contains("LAST SYNC"));
        let json: serde_json::Value =
            serde_json::from_str(&render(&[summarize(&s, &[])], Output::Json).unwrap()).unwrap();
        assert_eq!(json[0]["loadBalancerId"], "");
        assert_eq!(json[0]["lastSync"], "");
    }
}
