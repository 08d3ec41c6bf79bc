//! Classifying a Service: is it ours, must it be cleaned up, has what matters changed.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::Service;
use serde_json::json;

use super::{ClusterContext, ModelError};
use crate::annotations;
use crate::naming::{self, APPLIED_TAGS_ANNOTATION, FINALIZER, ServiceKey};

/// Exact selection key that hands a Service to another controller.
const CLASS_ANNOTATION: &str = "service.beta.kubernetes.io/class";
/// The only `…-type` value that still means "a CLB".
const CLB_TYPE: &str = "clb";

/// The Service's namespace/name in this cluster.
///
/// # Errors
/// [`ModelError::MissingMetadata`] when name or namespace is absent.
pub fn service_key(service: &Service, ctx: &ClusterContext) -> Result<ServiceKey, ModelError> {
    let name = service.metadata.name.clone().filter(|n| !n.is_empty());
    let name = name.ok_or(ModelError::MissingMetadata {
        field: "metadata.name",
    })?;
    let namespace = service
        .metadata
        .namespace
        .clone()
        .unwrap_or_else(|| "default".to_owned());
    Ok(ServiceKey {
        namespace,
        name,
        cluster_id: ctx.cluster_id.clone(),
    })
}

/// True once the Service has a deletion timestamp.
pub fn is_deleting(service: &Service) -> bool {
    service.metadata.deletion_timestamp.is_some()
}

/// True when this controller should give the Service a CLB: `type: LoadBalancer`,
/// `spec.loadBalancerClass` unset or equal to `our_class`, and no selection annotation
/// handing it elsewhere (`service.beta.kubernetes.io/class`, `…-tunnel-type`, or a `…-type`
/// other than `clb`).
pub fn wants_lb(service: &Service, our_class: Option<&str>) -> bool {
    let Some(spec) = service.spec.as_ref() else {
        return false;
    };
    if spec.type_.as_deref() != Some("LoadBalancer") {
        return false;
    }
    if let Some(class) = spec.load_balancer_class.as_deref()
        && Some(class) != our_class
    {
        return false;
    }
    let empty = BTreeMap::new();
    let a = service.metadata.annotations.as_ref().unwrap_or(&empty);
    let foreign_class = annotations::raw(a, CLASS_ANNOTATION).is_some_and(|v| !v.is_empty());
    let tunnel = annotations::raw(a, "tunnel-type").is_some();
    let other_type = annotations::raw(a, "type").is_some_and(|v| !v.is_empty() && v != CLB_TYPE);
    !(foreign_class || tunnel || other_type)
}

/// True when our finalizer is present and the Service is being deleted or no longer wants a
/// CLB (type changed, class handed elsewhere): its cloud resources must be released.
pub fn needs_cleanup(service: &Service, our_class: Option<&str>) -> bool {
    let has_finalizer = service
        .metadata
        .finalizers
        .as_ref()
        .is_some_and(|f| f.iter().any(|f| f == FINALIZER));
    has_finalizer && (is_deleting(service) || !wants_lb(service, our_class))
}

/// A stable fingerprint (16 hex digits) of what decides the CLB: ports, type,
/// externalTrafficPolicy, loadBalancerClass, annotations and loadBalancerSourceRanges.
///
/// FNV-1a over canonical JSON, so it is stable across processes and Rust versions. It is not
/// the reference's SHA-256 label value: after a switch of controllers the first sync simply
/// sees "changed" once.
pub fn spec_hash(service: &Service) -> String {
    let spec = service.spec.as_ref();
    let canonical = json!({
        "ports": spec.and_then(|s| s.ports.as_ref()),
        "type": spec.and_then(|s| s.type_.as_ref()),
        "externalTrafficPolicy": spec.and_then(|s| s.external_traffic_policy.as_ref()),
        "loadBalancerClass": spec.and_then(|s| s.load_balancer_class.as_ref()),
        "annotations": service.metadata.annotations.as_ref().map(|a| {
            // slb-ccm's own record changes after a sync and must not look like a new spec.
            let mut a = a.clone();
            a.remove(APPLIED_TAGS_ANNOTATION);
            a
        }),
        "loadBalancerSourceRanges": spec.and_then(|s| s.load_balancer_source_ranges.as_ref()),
    });
    format!("{:016x}", fnv1a(canonical.to_string().as_bytes()))
}

fn fnv1a(bytes: &[u8]) -> u64 {
    const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0100_0000_01b3;
    bytes
        .iter()
        .fold(OFFSET, |h, b| (h ^ u64::from(*b)).wrapping_mul(PRIME))
}

/// The [`APPLIED_TAGS_ANNOTATION`] value a successful sync of `service` leaves: the keys of
/// its `additional-resource-tags` (`None`: no record, or remove the record).
pub fn applied_tags_record(service: &Service) -> Option<String> {
    let annotations = service.metadata.annotations.as_ref()?;
    let (config, _) = annotations::parse_lenient(annotations);
    naming::tag_record(
        config
            .instance
            .additional_tags
            .iter()
            .map(|(k, _)| k.as_str()),
    )
}
