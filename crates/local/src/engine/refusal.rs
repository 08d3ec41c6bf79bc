//! A shared transition's refusal (slb-clb-state) as the service's error: the engine applies
//! every change to a load balancer through the transitions, so the state rules they hold
//! (a listener's port space, a group in use, a domain once per listener, a redirect target
//! in use) answer with the codes the real service uses.
//!
//! Not here: the rules themselves (slb-clb-state) or the engine's own checks, which run
//! before a transition and answer with more detailed messages where they have them.

use slb_clb_state::{Object, Refusal, Rule};
use slb_openapi::error::{ApiError, codes};

/// The service's error for `refusal`.
pub(crate) fn refused(refusal: Refusal) -> ApiError {
    match refusal {
        Refusal::Missing(Object::LoadBalancer(_)) => {
            codes::INVALID_LOAD_BALANCER_ID_NOT_FOUND.error()
        }
        Refusal::Missing(Object::Listener(..)) => codes::LISTENER_NOT_FOUND.error(),
        Refusal::Missing(Object::Group(_)) => codes::INVALID_PARAM_VSERVER_GROUP_ID.error(),
        Refusal::Missing(Object::DomainExtension(id)) => ApiError::service(
            "InvalidParameter.DomainExtensionId",
            400,
            format!("The specified DomainExtensionId {id:?} does not exist."),
        ),
        Refusal::AlreadyExists(Object::Listener(..)) => codes::LISTENER_ALREADY_EXISTS.error(),
        Refusal::AlreadyExists(Object::Domain(_, domain)) => ApiError::service(
            "InvalidParameter.Domain",
            400,
            format!("The specified Domain {domain:?} exists on this listener."),
        ),
        Refusal::NotAllowed(rule) => not_allowed(rule),
        other @ (Refusal::Missing(_) | Refusal::AlreadyExists(_)) => {
            codes::INTERNAL_ERROR.error_with(&format!("({other})"))
        }
    }
}

fn not_allowed(rule: Rule) -> ApiError {
    match rule {
        Rule::GroupInUse => codes::RSPOOL_VIP_EXIST.error(),
        Rule::RedirectTargetInUse => ApiError::service(
            "ListenerForwardExist",
            400,
            "The specified listener is forwarded by the other listener, the ListenerForward \
             relationship should be deleted firstly.",
        ),
        Rule::ForwardingListenerTakesNoSet => ApiError::service(
            "Operation.NotAllowed",
            400,
            "Operation Denied. The HTTP listener does not support this action.",
        ),
        Rule::RedirectIsCreationOnly => ApiError::invalid_parameter(
            "ListenerForward",
            "redirect settings are set when the listener is created",
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use slb_clb_state::Protocol;

    #[test]
    fn each_state_rule_answers_with_the_services_code() {
        let cases = [
            (Refusal::NotAllowed(Rule::GroupInUse), "RspoolVipExist"),
            (
                Refusal::AlreadyExists(Object::Listener(80, Protocol::Tcp)),
                "ListenerAlreadyExists",
            ),
            (
                Refusal::Missing(Object::Listener(80, Protocol::Tcp)),
                "ListenerNotFound",
            ),
            (
                Refusal::NotAllowed(Rule::RedirectTargetInUse),
                "ListenerForwardExist",
            ),
        ];
        for (refusal, code) in cases {
            assert_eq!(refused(refusal).code, code);
        }
    }
}
