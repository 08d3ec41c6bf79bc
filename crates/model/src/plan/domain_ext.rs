//! Domain extensions (SNI certificates) of the HTTPS listeners a Service owns: the
//! `domain-extensions` annotation is authoritative for the listener it applies to. A domain
//! not on the listener is created, one with another certificate gets the new one, and one
//! the annotation no longer names is deleted. Without the annotation the listener's
//! extensions are left alone (the reference CCM's rule).
//!
//! Deletions come first, so a domain moved between spellings never collides; every action
//! runs after the listener's own create or update.

use super::{Action, Plan, Scope};
use crate::desired::DesiredListener;
use crate::observed::ObservedDomainExtension;

/// Appends the calls that make the extensions of `w`'s listener match the annotation;
/// `observed` is what the listener has (empty for a listener created by this plan).
pub(super) fn plan(
    scope: &Scope<'_>,
    w: &DesiredListener,
    observed: &[ObservedDomainExtension],
    out: &mut Plan,
) {
    let Some(wanted) = &w.domain_extensions else {
        return;
    };
    for o in observed.iter().filter(|o| !wanted.contains_key(&o.domain)) {
        out.actions.push(Action::DeleteDomainExtension {
            domain_extension_id: o.domain_extension_id.clone(),
        });
    }
    for (domain, cert) in wanted {
        match observed.iter().find(|o| o.domain == *domain) {
            Some(o) if o.server_certificate_id == *cert => {}
            Some(o) => out.actions.push(Action::SetDomainExtensionAttribute {
                domain_extension_id: o.domain_extension_id.clone(),
                server_certificate_id: cert.clone(),
            }),
            None => out.actions.push(Action::CreateDomainExtension {
                load_balancer: scope.lb.clone(),
                listener_port: w.listener_port,
                domain: domain.clone(),
                server_certificate_id: cert.clone(),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::desired::{self, DesiredLb};
    use crate::fixtures::*;
    use crate::observed::ObservedLb;
    use crate::plan::test_cloud::apply_to;
    use crate::plan::{Action, Plan, PlanOptions, plan};
    use k8s_openapi::api::core::v1::Service;

    fn https(extensions: Option<&str>) -> Service {
        let mut svc = service(&[(443, 30443)]);
        annotate(&mut svc, "protocol-port", "https:443");
        annotate(&mut svc, "cert-id", "cert-default");
        if let Some(v) = extensions {
            annotate(&mut svc, "domain-extensions", v);
        }
        svc
    }

    fn want(svc: &Service) -> DesiredLb {
        desired::desired(svc, &[node("n0")], &[], &ctx()).unwrap()
    }

    fn run(svc: &Service, o: Option<&ObservedLb>) -> (Plan, ObservedLb) {
        let p = plan(&want(svc), o, &PlanOptions::default()).unwrap();
        let after = apply_to(&p, o).unwrap().unwrap();
        (p, after)
    }

    fn extension_calls(p: &Plan) -> Vec<String> {
        p.actions
            .iter()
            .filter_map(|a| match a {
                Action::CreateDomainExtension {
                    domain,
                    server_certificate_id,
                    ..
                } => Some(format!("create {domain} {server_certificate_id}")),
                Action::SetDomainExtensionAttribute {
                    domain_extension_id,
                    server_certificate_id,
                } => Some(format!("set {domain_extension_id} {server_certificate_id}")),
                Action::DeleteDomainExtension {
                    domain_extension_id,
                } => Some(format!("delete {domain_extension_id}")),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn a_new_https_listener_gets_its_extensions_after_it_is_created() {
        let svc = https(Some("A.example.com:cert-a,b.example.com:cert-b"));
        let (p, _) = run(&svc, None);
        assert_eq!(
            extension_calls(&p),
            ["create a.example.com cert-a", "create b.example.com cert-b"]
        );
        let create = p
            .actions
            .iter()
            .position(|a| a.api_name() == "CreateLoadBalancerHTTPSListener")
            .unwrap();
        let first_extension = p
            .actions
            .iter()
            .position(|a| a.api_name() == "CreateDomainExtension")
            .unwrap();
        assert!(create < first_extension, "{:?}", p.actions);
    }

    #[test]
    fn a_synced_listener_with_its_extensions_plans_nothing() {
        let svc = https(Some("a.example.com:cert-a"));
        let (_, synced) = run(&svc, None);
        let (again, _) = run(&svc, Some(&synced));
        assert!(again.is_empty(), "{:?}", again.actions);
    }

    #[test]
    fn a_changed_certificate_is_set_and_a_dropped_domain_deleted() {
        let (_, synced) = run(
            &https(Some("a.example.com:cert-a,b.example.com:cert-b")),
            None,
        );
        let id = |d: &str| format!("de-test-{d}");
        let (p, after) = run(&https(Some("a.example.com:cert-new")), Some(&synced));
        assert_eq!(
            extension_calls(&p),
            [
                format!("delete {}", id("b.example.com")),
                format!("set {} cert-new", id("a.example.com"))
            ]
        );
        let left = &after.listeners[0].domain_extensions;
        assert_eq!(left.len(), 1);
        assert_eq!(left[0].server_certificate_id, "cert-new");
    }

    #[test]
    fn without_the_annotation_the_listeners_extensions_are_left_alone() {
        let (_, synced) = run(&https(Some("a.example.com:cert-a")), None);
        let (p, _) = run(&https(None), Some(&synced));
        assert!(extension_calls(&p).is_empty(), "{:?}", p.actions);
    }

    #[test]
    fn other_protocols_never_get_extensions() {
        let mut svc = service(&[(80, 30080)]);
        annotate(&mut svc, "domain-extensions", "a.example.com:cert-a");
        let d = want(&svc);
        assert_eq!(d.listeners[0].domain_extensions, None);
    }
}
