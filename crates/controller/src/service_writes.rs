//! The few writes the controller makes to a Service, each minimal and conflict-safe:
//! the finalizer (added before any cloud change, removed last), the status
//! (`status.loadBalancer.ingress`, patched only when it changed; no `ipMode` unless
//! `--ingress-ip-mode` asks for one), the reference CCM's labels
//! (`service.k8s.alibaba/loadbalancer-id`, the spec hash) and slb-ccm's record of the
//! additional tags it applied (`slb-ccm/applied-resource-tags`).
//!
//! Each write is a `debug` tracing span naming the Service (with the error, if any).
//!
//! Finalizer and label writes are JSON merge patches that carry the `resourceVersion` they were
//! computed from, so a concurrent change makes the API server answer 409 instead of one write
//! silently undoing another; the caller re-reads from its cache and tries again. Labels go
//! through the main resource, not `/status` (the Go CCM's §12.7 quirk).

use k8s_openapi::api::core::v1::{LoadBalancerIngress, LoadBalancerStatus, Service};
use kube::api::{Patch, PatchParams};
use kube::{Api, ResourceExt};
use serde_json::{Value, json};
use std::collections::BTreeMap;

pub use slb_model::FINALIZER;
/// Label holding the id of the Service's CLB.
pub const LB_ID_LABEL: &str = "service.k8s.alibaba/loadbalancer-id";
/// Label holding the hash of the Service spec last synced successfully.
pub const HASH_LABEL: &str = "service.beta.kubernetes.io/hash";
/// Field manager for every write of the controller.
pub const FIELD_MANAGER: &str = "slb-ccm";

/// Adds [`FINALIZER`] unless present. Returns the Service as the API server stored it.
///
/// # Errors
/// The API error; 409 means the Service changed since `svc` was read.
#[tracing::instrument(level = "debug", skip_all, fields(service = %svc.name_any()), err)]
pub async fn add_finalizer(api: &Api<Service>, svc: &Service) -> Result<Service, kube::Error> {
    if svc.finalizers().iter().any(|f| f == FINALIZER) {
        return Ok(svc.clone());
    }
    let mut finalizers = svc.finalizers().to_vec();
    finalizers.push(FINALIZER.to_owned());
    patch_metadata(api, svc, json!({ "finalizers": finalizers })).await
}

/// Removes [`FINALIZER`], keeping everyone else's. Returns the Service as stored.
///
/// # Errors
/// The API error; 409 means the Service changed since `svc` was read.
#[tracing::instrument(level = "debug", skip_all, fields(service = %svc.name_any()), err)]
pub async fn remove_finalizer(api: &Api<Service>, svc: &Service) -> Result<Service, kube::Error> {
    if !svc.finalizers().iter().any(|f| f == FINALIZER) {
        return Ok(svc.clone());
    }
    let finalizers: Vec<&String> = svc
        .finalizers()
        .iter()
        .filter(|f| *f != FINALIZER)
        .collect();
    patch_metadata(api, svc, json!({ "finalizers": finalizers })).await
}

/// Sets (`Some`) or removes (`None`) labels; a no-op when they already are so.
///
/// # Errors
/// The API error; 409 means the Service changed since `svc` was read.
#[tracing::instrument(level = "debug", skip_all, fields(service = %svc.name_any()), err)]
pub async fn set_labels(
    api: &Api<Service>,
    svc: &Service,
    labels: &BTreeMap<&str, Option<String>>,
) -> Result<Service, kube::Error> {
    let current = svc.labels();
    let changes: serde_json::Map<String, Value> = labels
        .iter()
        .filter(|(k, v)| current.get(**k) != v.as_ref())
        .map(|(k, v)| {
            (
                (*k).to_owned(),
                v.as_ref().map_or(Value::Null, |v| json!(v)),
            )
        })
        .collect();
    if changes.is_empty() {
        return Ok(svc.clone());
    }
    patch_metadata(api, svc, json!({ "labels": changes })).await
}

/// Records on the Service which `additional-resource-tags` keys its CLB now carries
/// ([`slb_model::naming::APPLIED_TAGS_ANNOTATION`]), after a successful sync, so that a key
/// the user later drops is removed from the CLB and no other tag ever is. A no-op when the
/// record already says so.
///
/// # Errors
/// The API error; 409 means the Service changed since `svc` was read.
#[tracing::instrument(level = "debug", skip_all, fields(service = %svc.name_any()), err)]
pub async fn record_applied_tags(
    api: &Api<Service>,
    svc: &Service,
) -> Result<Service, kube::Error> {
    let key = slb_model::naming::APPLIED_TAGS_ANNOTATION;
    let wanted = slb_model::applied_tags_record(svc);
    if svc.annotations().get(key) == wanted.as_ref() {
        return Ok(svc.clone());
    }
    let value = wanted.map_or(Value::Null, |v| json!(v));
    patch_metadata(api, svc, json!({ "annotations": { key: value } })).await
}

/// What `status.loadBalancer.ingress[].ipMode` says for an IP (`--ingress-ip-mode`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum IngressIpMode {
    /// No `ipMode`, as the reference CCM (the API server records it as `VIP`): kube-proxy
    /// sends in-cluster traffic for the CLB's IP straight to the Service's endpoints.
    #[default]
    None,
    /// `Proxy`: kube-proxy stops short-circuiting the IP, so pods go out through the CLB,
    /// which refuses hairpin traffic on intranet layer-4 listeners and bills internet traffic.
    Proxy,
    /// `VIP`, written explicitly: the same routing as `none`.
    Vip,
}

impl IngressIpMode {
    /// The value written to the status, if any.
    pub fn as_status(self) -> Option<&'static str> {
        match self {
            IngressIpMode::None => None,
            IngressIpMode::Proxy => Some("Proxy"),
            IngressIpMode::Vip => Some(VIP),
        }
    }
}

/// The API server's default `ipMode` for an ingress entry with an IP (Kubernetes 1.30+).
const VIP: &str = "VIP";

/// The `hostname` annotation, read like every other annotation: either prefix, the current
/// one winning over the legacy `alicloud-` one; `None` when absent or blank.
pub fn status_hostname(svc: &Service) -> Option<&str> {
    let annotations = svc.metadata.annotations.as_ref()?;
    slb_model::annotations::raw(annotations, "hostname")
        .map(str::trim)
        .filter(|h| !h.is_empty())
}

/// The ingress list for a CLB: its address (with `ip_mode`'s `ipMode`, if any), or only the
/// hostname when the `hostname` annotation is set (as the reference does).
pub fn ingress(
    address: Option<&str>,
    hostname: Option<&str>,
    ip_mode: IngressIpMode,
) -> Vec<LoadBalancerIngress> {
    match (hostname, address) {
        (Some(host), _) => vec![LoadBalancerIngress {
            hostname: Some(host.into()),
            ..Default::default()
        }],
        (None, Some(ip)) => vec![LoadBalancerIngress {
            ip: Some(ip.into()),
            ip_mode: ip_mode.as_status().map(Into::into),
            ..Default::default()
        }],
        (None, None) => Vec::new(),
    }
}

/// Whether the stored ingress list already says what `wanted` says. `ipMode` counts (a
/// `Proxy` left by an older slb-ccm must be rewritten), but an absent `ipMode` on an entry
/// with an IP equals `VIP`: the API server stores it so, and comparing literally would
/// rewrite the status on every reconcile.
pub fn same_ingress(current: &[LoadBalancerIngress], wanted: &[LoadBalancerIngress]) -> bool {
    let normal = |i: &LoadBalancerIngress| {
        let mut i = i.clone();
        if i.ip.is_some() && i.ip_mode.is_none() {
            i.ip_mode = Some(VIP.to_owned());
        }
        i
    };
    current.len() == wanted.len()
        && current
            .iter()
            .zip(wanted)
            .all(|(c, w)| normal(c) == normal(w))
}

/// Patches `status.loadBalancer.ingress` to `ingress` unless it already says that (see
/// [`same_ingress`]). Returns whether a write happened.
///
/// # Errors
/// The API error.
#[tracing::instrument(level = "debug", skip_all, fields(service = %svc.name_any()), err)]
pub async fn set_ingress(
    api: &Api<Service>,
    svc: &Service,
    ingress: Vec<LoadBalancerIngress>,
) -> Result<bool, kube::Error> {
    let current = svc
        .status
        .as_ref()
        .and_then(|s| s.load_balancer.as_ref())
        .and_then(|lb| lb.ingress.clone())
        .unwrap_or_default();
    if same_ingress(&current, &ingress) {
        return Ok(false);
    }
    // A merge patch replaces the list whole: an `ipMode` no longer wanted goes with it.
    let status = LoadBalancerStatus {
        ingress: Some(ingress),
    };
    let patch = json!({ "status": { "loadBalancer": status } });
    api.patch_status(
        &svc.name_any(),
        &PatchParams::apply(FIELD_MANAGER),
        &Patch::Merge(&patch),
    )
    .await?;
    Ok(true)
}

async fn patch_metadata(
    api: &Api<Service>,
    svc: &Service,
    mut metadata: Value,
) -> Result<Service, kube::Error> {
    if let (Some(rv), Some(map)) = (svc.resource_version(), metadata.as_object_mut()) {
        map.insert("resourceVersion".into(), json!(rv));
    }
    let patch = json!({ "metadata": metadata });
    api.patch(
        &svc.name_any(),
        &PatchParams::apply(FIELD_MANAGER),
        &Patch::Merge(&patch),
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(ip: Option<&str>, hostname: Option<&str>, mode: Option<&str>) -> LoadBalancerIngress {
        LoadBalancerIngress {
            ip: ip.map(Into::into),
            hostname: hostname.map(Into::into),
            ip_mode: mode.map(Into::into),
            ..Default::default()
        }
    }

    #[test]
    fn the_ingress_carries_the_ip_with_the_configured_ip_mode_or_only_the_hostname() {
        let ip = Some("47.1.2.3");
        let host = Some("lb.example.com");
        let cases = [
            (ip, None, IngressIpMode::None, vec![entry(ip, None, None)]),
            (
                ip,
                None,
                IngressIpMode::Proxy,
                vec![entry(ip, None, Some("Proxy"))],
            ),
            (
                ip,
                None,
                IngressIpMode::Vip,
                vec![entry(ip, None, Some("VIP"))],
            ),
            (
                ip,
                host,
                IngressIpMode::Proxy,
                vec![entry(None, host, None)],
            ),
            (
                None,
                host,
                IngressIpMode::None,
                vec![entry(None, host, None)],
            ),
            (None, None, IngressIpMode::Proxy, vec![]),
        ];
        for (address, hostname, mode, want) in cases {
            assert_eq!(
                ingress(address, hostname, mode),
                want,
                "{address:?} {hostname:?} {mode:?}"
            );
        }
    }

    #[test]
    fn an_absent_ip_mode_is_the_api_servers_vip_but_proxy_is_a_change() {
        let ip = Some("47.1.2.3");
        let stored_vip = [entry(ip, None, Some("VIP"))];
        let stored_proxy = [entry(ip, None, Some("Proxy"))];
        let none = ingress(ip, None, IngressIpMode::None);
        let proxy = ingress(ip, None, IngressIpMode::Proxy);
        assert!(
            same_ingress(&stored_vip, &none),
            "as stored after our write"
        );
        assert!(same_ingress(&none, &none));
        assert!(
            !same_ingress(&stored_proxy, &none),
            "an older slb-ccm's Proxy"
        );
        assert!(!same_ingress(&stored_vip, &proxy), "opting in to Proxy");
        assert!(same_ingress(&stored_proxy, &proxy));
        assert!(!same_ingress(&[], &none));
        assert!(!same_ingress(&stored_vip, &[]));
        let host = [entry(None, Some("lb.example.com"), None)];
        assert!(!same_ingress(&stored_vip, &host), "a hostname is no IP");
    }

    fn with_annotations(pairs: &[(&str, &str)]) -> Service {
        let mut svc = Service::default();
        svc.metadata.annotations = Some(
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        );
        svc
    }

    #[test]
    fn the_hostname_is_read_under_either_prefix_and_the_current_one_wins() {
        let current = "service.beta.kubernetes.io/alibaba-cloud-loadbalancer-hostname";
        let legacy = "service.beta.kubernetes.io/alicloud-loadbalancer-hostname";
        type Case<'a> = (&'a [(&'a str, &'a str)], Option<&'a str>);
        let cases: [Case<'_>; 5] = [
            (&[(current, "a.example.com")], Some("a.example.com")),
            (&[(legacy, "b.example.com")], Some("b.example.com")),
            (
                &[(current, "a.example.com"), (legacy, "b.example.com")],
                Some("a.example.com"),
            ),
            (&[(legacy, " ")], None),
            (&[], None),
        ];
        for (pairs, want) in cases {
            assert_eq!(status_hostname(&with_annotations(pairs)), want, "{pairs:?}");
        }
    }

    #[test]
    fn the_flag_takes_none_proxy_and_vip() {
        use clap::ValueEnum;
        let names: Vec<String> = IngressIpMode::value_variants()
            .iter()
            .filter_map(|v| Some(v.to_possible_value()?.get_name().to_owned()))
            .collect();
        assert_eq!(names, ["none", "proxy", "vip"]);
        assert_eq!(IngressIpMode::default(), IngressIpMode::None);
    }
}
