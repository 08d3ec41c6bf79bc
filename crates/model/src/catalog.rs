//! The error catalog: cloud error → event reason and the FAQ's remedy in one sentence, and
//! the same for the model's own validation and plan errors.
//!
//! Cloud errors are keyed by their `Code`; only where the FAQ quotes a message without a
//! specific code (or the code is generic) is the message matched, by substring. This module
//! does not classify retryability (the OpenAPI client does) and emits nothing.

use crate::annotations::AnnotationError;
use crate::desired::ModelError;
use crate::plan::{PlanError, ReuseRefusal};

/// Event reason: a sync is starting.
pub const EVENT_ENSURING: &str = "EnsuringLoadBalancer";
/// Event reason: the CLB matches the Service.
pub const EVENT_ENSURED: &str = "EnsuredLoadBalancer";
/// Event reason: a sync failed (validation, plan or cloud error).
pub const EVENT_SYNC_FAILED: &str = "SyncLoadBalancerFailed";
/// Event reason: cleanup is starting.
pub const EVENT_DELETING: &str = "DeletingLoadBalancer";
/// Event reason: cleanup finished.
pub const EVENT_DELETED: &str = "DeletedLoadBalancer";
/// Event reason: cleanup finished (the reference CCM's spelling, also emitted).
pub const EVENT_CLEAN: &str = "CleanLoadBalancer";
/// Event reason: cleanup failed.
pub const EVENT_CLEAN_FAILED: &str = "CleanLoadBalancerFailed";
/// Event reason: no backend at all.
pub const EVENT_UNAVAILABLE: &str = "UnAvailableLoadBalancer";
/// Event reason: the CLB is kept after the Service is deleted.
pub const EVENT_PRESERVED: &str = "PreservedOnDelete";
/// Event reason: some backends were skipped (nodes without instance id, unresolved ENIs).
pub const EVENT_SKIP_BACKENDS: &str = "SkipSyncBackends";

/// One known error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CatalogEntry {
    /// Cloud error `Code` (a prefix when it ends with `*`), or empty for message-only entries.
    pub code: &'static str,
    /// Substring of the message, when the code alone is not specific enough.
    pub message: Option<&'static str>,
    /// Event reason to emit.
    pub reason: &'static str,
    /// The FAQ's remedy in one sentence.
    pub remedy: &'static str,
}

const fn e(
    code: &'static str,
    message: Option<&'static str>,
    reason: &'static str,
    remedy: &'static str,
) -> CatalogEntry {
    CatalogEntry {
        code,
        message,
        reason,
        remedy,
    }
}

const FAILED: &str = EVENT_SYNC_FAILED;
const QUOTA_REMEDY: &str = "A CLB takes 200 backend servers by default: use externalTrafficPolicy: \
    Local, restrict nodes with the backend-label annotation, give each Service its own CLB, or \
    request a quota increase on the Quota Management page of the SLB console.";
const CLCU_REMEDY: &str = "A pay-as-you-go (PayByCLCU) CLB cannot go back to pay-by-spec: delete \
    the spec annotation, or set instance-charge-type to PayByCLCU.";
const REUSE_K8S_REMEDY: &str = "A CLB created by a cluster cannot be reused: point the id \
    annotation at a CLB created in the SLB console, or delete the id annotation if it names the \
    Service's own CLB.";

/// Every error of the FAQ's table (plus the codes the reference handles), most specific
/// first.
pub static CLOUD_ERRORS: &[CatalogEntry] = &[
    e(
        "InstanceBackendServerNumberOverLimit",
        None,
        FAILED,
        QUOTA_REMEDY,
    ),
    e(
        "",
        Some("backend server number has reached to the quota limit"),
        FAILED,
        QUOTA_REMEDY,
    ),
    e(
        "",
        Some("does not support backend servers of eni type"),
        FAILED,
        "Shared-resource CLBs cannot take ENI backends: use a high-performance CLB by adding \
         the annotation service.beta.kubernetes.io/alibaba-cloud-loadbalancer-spec: \"slb.s1.small\".",
    ),
    e(
        "",
        Some("There are no available nodes for LoadBalancer"),
        EVENT_UNAVAILABLE,
        "No backend is available: make sure pods match the Service selector and run, and are not \
         only on master nodes.",
    ),
    e(
        "",
        Some("find loadbalancer"),
        FAILED,
        "The Service's CLB was not found: if it was deleted and the Service is still needed, clear \
         the Service status; if it exists, add the id annotation (console-created CLB) or restore \
         its kubernetes.do.not.delete tag (CCM-created CLB).",
    ),
    e(
        "ORDER.ARREARAGE",
        None,
        FAILED,
        "Your account has overdue payments: settle them, then the sync is retried.",
    ),
    e(
        "PAY.INSUFFICIENT_BALANCE",
        None,
        FAILED,
        "Your account balance is insufficient: top it up, then the sync is retried.",
    ),
    e(
        "Throttling*",
        None,
        FAILED,
        "CLB API throttling: check the CLB quotas in Quota Center and fix other errors shown by \
         kubectl describe svc; the sync is retried with backoff.",
    ),
    e(
        "RspoolVipExist",
        None,
        FAILED,
        "A listener still uses the Service's vServer group on a reused CLB: delete the listener on \
         the Service port in the SLB console.",
    ),
    e(
        "NetworkConflict",
        None,
        FAILED,
        "The reused intranet CLB is in another VPC than the cluster: use a CLB in the cluster's VPC.",
    ),
    e(
        "VSwitchAvailableIpNotExist",
        None,
        FAILED,
        "The vSwitch has no free IP: set service.beta.kubernetes.io/alibaba-cloud-loadbalancer-vswitch-id \
         to another vSwitch in the same VPC.",
    ),
    e(
        "",
        Some("Port must be between 1 and 65535"),
        FAILED,
        "In ENI mode targetPort must be an integer: set spec.ports[].targetPort to a number.",
    ),
    e(
        "ShareSlbHaltSales",
        None,
        FAILED,
        "Shared CLBs are no longer sold: set the spec annotation (e.g. slb.s1.small) or use the \
         PayByCLCU default.",
    ),
    e(
        "",
        Some("can not change ResourceGroupId once created"),
        FAILED,
        "The resource group of a CLB cannot change: delete the resource-group-id annotation.",
    ),
    e(
        "",
        Some("can not find eniid for ip"),
        FAILED,
        "The pod IP has no ENI in the VPC: ENI mode needs Terway; with Flannel delete the \
         service.beta.kubernetes.io/backend-type: eni annotation.",
    ),
    e("OperationDenied.PayByCLCU", None, FAILED, CLCU_REMEDY),
    e("Forbidden.LcuToSpec", None, FAILED, CLCU_REMEDY),
    e(
        "",
        Some("instanceChargeType of loadbalancer is PayByCLCU"),
        FAILED,
        CLCU_REMEDY,
    ),
    e(
        "",
        Some("can not reuse loadbalancer created by kubernetes"),
        FAILED,
        REUSE_K8S_REMEDY,
    ),
    e(
        "",
        Some("can not change LoadBalancer AddressType once created"),
        FAILED,
        "The address type of a CLB cannot change: recreate the Service.",
    ),
    e(
        "",
        Some("service has been associated with ip"),
        FAILED,
        "A Service cannot move to another CLB by editing the id annotation: delete and recreate \
         the Service.",
    ),
];

/// The entry for a cloud error, matching the code first, then message substrings.
pub fn lookup(code: &str, message: &str) -> Option<&'static CatalogEntry> {
    let by_code = CLOUD_ERRORS
        .iter()
        .find(|e| match e.code.strip_suffix('*') {
            Some(prefix) => code.starts_with(prefix),
            None => !e.code.is_empty() && e.code == code,
        });
    by_code.or_else(|| {
        CLOUD_ERRORS
            .iter()
            .find(|e| e.code.is_empty() && e.message.is_some_and(|m| message.contains(m)))
    })
}

impl AnnotationError {
    /// The fix in one sentence.
    pub fn remedy(&self) -> &'static str {
        match self {
            AnnotationError::InvalidValue { .. } => {
                "Fix the annotation value to one that is allowed."
            }
            AnnotationError::UnknownKey { .. } => {
                "Rename the annotation to the suggested known key, or remove it."
            }
            AnnotationError::MissingDependency { .. } => {
                "Add the required annotation too, or remove this one."
            }
            AnnotationError::IgnoredValue { .. } => {
                "Remove the annotation, or set a value that takes effect."
            }
        }
    }
}

impl ModelError {
    /// Event reason (always `SyncLoadBalancerFailed`).
    pub fn reason(&self) -> &'static str {
        EVENT_SYNC_FAILED
    }

    /// The fix in one sentence.
    pub fn remedy(&self) -> &'static str {
        match self {
            ModelError::Annotation(a) => a.remedy(),
            ModelError::MissingMetadata { .. } => "Recreate the Service through the API server.",
            ModelError::NoPorts => "Add at least one port to the Service.",
            ModelError::ListenerQuota { .. } => {
                "A CLB holds 50 listeners by default: split the ports over several LoadBalancer \
                 Services, or raise the listener quota on the Quota Management page of the SLB \
                 console."
            }
            ModelError::UnsupportedProtocol { .. } => "Use TCP or UDP ports (or protocol-port).",
            ModelError::InvalidPort { .. } => "Use ports between 1 and 65535.",
            ModelError::MissingNodePort { .. } => {
                "Set spec.allocateLoadBalancerNodePorts to true, or use ENI backends."
            }
            ModelError::MissingCertificate { .. } => "Add the cert-id annotation for HTTPS ports.",
            ModelError::NamedTargetPort { .. } => {
                "In ENI mode targetPort must be an integer: set spec.ports[].targetPort to a number."
            }
            ModelError::UnknownVGroupPort { .. } => {
                "Use Service ports in vgroup-port (rsp-id:servicePort)."
            }
        }
    }
}

impl PlanError {
    /// Event reason (always `SyncLoadBalancerFailed`).
    pub fn reason(&self) -> &'static str {
        EVENT_SYNC_FAILED
    }

    /// The fix in one sentence.
    pub fn remedy(&self) -> &'static str {
        let entry = |code: &str, msg: &str| lookup(code, msg).map_or("", |e| e.remedy);
        match self {
            PlanError::ReuseRefused { reason, .. } => match reason {
                ReuseRefusal::CreatedByKubernetes | ReuseRefusal::ClusterOwned { .. } => {
                    REUSE_K8S_REMEDY
                }
                ReuseRefusal::OtherVpc { .. } => entry("NetworkConflict", ""),
                ReuseRefusal::AssociatedWithOtherIp { .. } => {
                    entry("", "service has been associated with ip")
                }
            },
            PlanError::ReusedLbNotFound { .. } => {
                "Check the id annotation: the CLB must exist in the cluster's region."
            }
            PlanError::ObservedMismatch { .. } => "This is a controller bug; please report it.",
            PlanError::NotFoundButInStatus { .. } => entry("", "find loadbalancer"),
            PlanError::OwnedByOtherService { .. } => {
                "Remove the kubernetes.do.not.delete tag from the CLB if it no longer belongs to \
                 that Service, or rename this Service's CLB."
            }
            PlanError::ImmutableChange {
                annotation: "resource-group-id",
                ..
            } => entry("", "can not change ResourceGroupId once created"),
            PlanError::ImmutableChange { .. } => {
                "This CLB attribute cannot change: restore the annotation, or recreate the Service."
            }
            PlanError::ChargeTypeToSpec { .. } => CLCU_REMEDY,
            PlanError::PortConflict { .. } => {
                "Use another port, remove the other listener, or (for a user listener on the same \
                 protocol) set force-override-listeners: \"true\" to take it over."
            }
            PlanError::ReusedGroupNotFound { .. } => {
                "Check vgroup-port: the vServer group must exist on the reused CLB."
            }
            PlanError::ReusedGroupOwnedByKubernetes { .. } => {
                "vgroup-port must name a vServer group created in the SLB console."
            }
            PlanError::BackendQuota { .. } => QUOTA_REMEDY,
            PlanError::GroupInUse { .. } => entry("RspoolVipExist", ""),
            PlanError::UnresolvedEni { .. } => {
                "This is a controller bug (ENI ids must be looked up before planning); please \
                 report it."
            }
            PlanError::InvalidOptions { .. } => "Set the batch size between 1 and 40.",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_faq_error_has_an_entry() {
        let cases = [
            ("InstanceBackendServerNumberOverLimit", ""),
            (
                "",
                "The backend server number has reached to the quota limit of this load balancers",
            ),
            (
                "BackendServer.InvalidType",
                "The loadbalancer does not support backend servers of eni type",
            ),
            ("", "There are no available nodes for LoadBalancer"),
            (
                "",
                "alicloud: not able to find loadbalancer named [x] in openapi, but it's defined in service.loaderbalancer.ingress",
            ),
            (
                "",
                "alicloud: can not find loadbalancer, but it's defined in service",
            ),
            ("ORDER.ARREARAGE", "The account is arrearage."),
            (
                "PAY.INSUFFICIENT_BALANCE",
                "Your account does not have enough balance.",
            ),
            (
                "Throttling.User",
                "Request was denied due to user flow control.",
            ),
            (
                "RspoolVipExist",
                "there are vips associating with this vServer group.",
            ),
            ("NetworkConflict", ""),
            (
                "VSwitchAvailableIpNotExist",
                "The specified VSwitch has no available ip.",
            ),
            (
                "InvalidParameter",
                "The specified Port must be between 1 and 65535.",
            ),
            (
                "ShareSlbHaltSales",
                "The share instance has been discontinued.",
            ),
            ("", "can not change ResourceGroupId once created"),
            ("", "can not find eniid for ip 10.0.0.1 in vpc vpc-1"),
            ("OperationDenied.PayByCLCU", ""),
            (
                "Forbidden.LcuToSpec",
                "User does not have permission modify InstanceChargeType to spec.",
            ),
            (
                "",
                "the loadbalancer lb-1 can not be reused, can not reuse loadbalancer created by kubernetes.",
            ),
            (
                "",
                "alicloud: can not change LoadBalancer AddressType once created. delete and retry",
            ),
            (
                "",
                "the loadbalancer lb-1 can not be reused, service has been associated with ip [1.1.1.1], cannot be bound to ip [2.2.2.2]",
            ),
        ];
        for (code, message) in cases {
            let entry = lookup(code, message).unwrap_or_else(|| panic!("{code} {message}"));
            assert!(entry.remedy.ends_with('.'), "{code} {message}");
        }
    }

    #[test]
    fn codes_win_over_messages_and_throttling_matches_by_prefix() {
        assert_eq!(lookup("Throttling.Api", "").unwrap().code, "Throttling*");
        assert_eq!(lookup("Throttling", "").unwrap().code, "Throttling*");
        let e = lookup("RspoolVipExist", "can not find loadbalancer").unwrap();
        assert_eq!(e.code, "RspoolVipExist");
        assert_eq!(lookup("SomethingElse", "unrelated"), None);
    }

    #[test]
    fn no_available_nodes_maps_to_the_unavailable_reason() {
        let e = lookup("", "There are no available nodes for LoadBalancer").unwrap();
        assert_eq!(e.reason, EVENT_UNAVAILABLE);
    }

    #[test]
    fn model_and_plan_errors_carry_a_remedy() {
        let errors = [
            PlanError::BackendQuota {
                count: 201,
                quota: 200,
            },
            PlanError::GroupInUse {
                group_id: "rsp-1".into(),
                listener_port: 80,
                listener_protocol: crate::types::Protocol::Tcp,
            },
            PlanError::ReuseRefused {
                lb_id: "lb-1".into(),
                reason: ReuseRefusal::OtherVpc {
                    lb_vpc: "a".into(),
                    cluster_vpc: "b".into(),
                },
            },
        ];
        for e in errors {
            assert_eq!(e.reason(), EVENT_SYNC_FAILED);
            assert!(!e.remedy().is_empty(), "{e}");
        }
        assert!(ModelError::NoPorts.remedy().contains("port"));
    }
}
