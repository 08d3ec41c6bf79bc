//! For tests: [`apply_to`] with the ids a test cloud answers for what the plan creates
//! (`lb-test-<client token>` at 192.0.2.1, `rsp-test-<n>` numbered across the test process,
//! `de-test-<domain>`), as the controller's executor would collect them from responses.

use std::sync::atomic::{AtomicUsize, Ordering};

use super::{ApplyError, CreatedIds};
use crate::observed::ObservedLb;
use crate::plan::{Action, Plan};

static NEXT_GROUP: AtomicUsize = AtomicUsize::new(0);

/// The ids a test cloud answers for the creates of `plan`.
pub(crate) fn answer(plan: &Plan) -> CreatedIds {
    let mut ids = CreatedIds::default();
    for action in &plan.actions {
        match action {
            Action::CreateLoadBalancer(c) => {
                let id = format!("lb-test-{}", c.client_token);
                ids.load_balancer = Some((id, "192.0.2.1".to_owned()));
            }
            Action::CreateVServerGroup {
                vserver_group_name, ..
            } => {
                let n = NEXT_GROUP.fetch_add(1, Ordering::Relaxed);
                ids.groups
                    .insert(vserver_group_name.clone(), format!("rsp-test-{n}"));
            }
            Action::CreateDomainExtension {
                listener_port,
                domain,
                ..
            } => {
                let key = (*listener_port, domain.clone());
                ids.domain_extensions
                    .insert(key, format!("de-test-{domain}"));
            }
            _ => {}
        }
    }
    ids
}

/// `plan` applied to `observed` with the test cloud's ids.
pub(crate) fn apply_to(
    plan: &Plan,
    observed: Option<&ObservedLb>,
) -> Result<Option<ObservedLb>, ApplyError> {
    super::apply_to(plan, observed, &answer(plan))
}
