//! The documented error codes (spec §2.3 gateway/auth errors and §4 CLB errors) as constants
//! of (code, HTTP status, message template). A server builds its errors from these so the
//! wire triple is exactly Alibaba's; a client can compare codes against them.
//!
//! Templates use `%s` where Alibaba inserts a detail; [`ErrorSpec::error_with`] fills it.
//! This module holds data only; classification lives on [`ApiError`].

use super::ApiError;

/// One documented error: its code, HTTP status and message template.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ErrorSpec {
    /// The `Code` on the wire.
    pub code: &'static str,
    /// The HTTP status the service answers with.
    pub status: u16,
    /// The `Message`, with `%s` where a detail goes.
    pub message: &'static str,
}

impl ErrorSpec {
    /// The error with the template's `%s` left as is (or no placeholder at all).
    pub fn error(&self) -> ApiError {
        ApiError::service(self.code, self.status, self.message)
    }

    /// The error with the first `%s` replaced by `detail`. A template without `%s` gets the
    /// detail appended after a space.
    pub fn error_with(&self, detail: &str) -> ApiError {
        let message = if self.message.contains("%s") {
            self.message.replacen("%s", detail, 1)
        } else {
            format!("{} {detail}", self.message)
        };
        ApiError::service(self.code, self.status, message)
    }

    /// True when `err` carries this code.
    pub fn matches(&self, err: &ApiError) -> bool {
        err.code == self.code
    }
}

macro_rules! specs {
    ($( $(#[$m:meta])* $name:ident = $code:literal, $status:literal, $msg:literal; )*) => {
        $( $(#[$m])* pub const $name: ErrorSpec = ErrorSpec { code: $code, status: $status, message: $msg }; )*
        /// Every documented error, for lookups by code.
        pub const ALL: &[ErrorSpec] = &[$($name),*];
    };
}

specs! {
    /// Signature mismatch; `%s` is the server's string-to-sign.
    SIGNATURE_DOES_NOT_MATCH = "SignatureDoesNotMatch", 400, "Specified signature is not matched with our calculation. server string to sign is:%s";
    /// Signature parameters missing or malformed.
    INCOMPLETE_SIGNATURE = "IncompleteSignature", 400, "The request signature does not conform to Aliyun standards.";
    /// Timestamp outside the 15-minute window.
    INVALID_TIMESTAMP_EXPIRED = "InvalidTimeStamp.Expired", 400, "Specified time stamp or date value is expired.";
    /// Nonce replayed within 15 minutes.
    SIGNATURE_NONCE_USED = "SignatureNonceUsed", 400, "Specified signature nonce was used already.";
    /// Unknown AccessKeyId.
    INVALID_ACCESS_KEY_ID_NOT_FOUND = "InvalidAccessKeyId.NotFound", 404, "Specified access key is not found.";
    /// Unknown Action.
    INVALID_ACTION_NOT_FOUND = "InvalidAction.NotFound", 404, "Specified api is not found, please check your url and method.";
    /// Wrong Version for the product.
    INVALID_VERSION = "InvalidVersion", 400, "Specified parameter Version is not valid.";
    /// A required parameter is absent; `%s` is its name.
    MISSING_PARAMETER = "MissingParameter", 400, "The input parameter \"%s\" that is mandatory for processing this request is not supplied.";
    /// Generic validation failure.
    INVALID_PARAMETER = "InvalidParameter", 400, "Invalid parameter in the request.";
    /// User-level flow control.
    THROTTLING_USER = "Throttling.User", 400, "Request was denied due to user flow control.";
    /// API-level flow control.
    THROTTLING_API = "Throttling.Api", 400, "Request was denied due to api flow control.";
    /// Generic flow control.
    THROTTLING = "Throttling", 400, "Request was denied due to flow control.";
    /// RAM denial.
    FORBIDDEN_RAM = "Forbidden.RAM", 403, "User not authorized to operate on the specified resource, or this API doesn't support RAM.";
    /// Unknown server failure.
    INTERNAL_ERROR = "InternalError", 500, "The request processing has failed due to some unknown error, exception or failure.";
    /// Temporary unavailability.
    SERVICE_UNAVAILABLE = "ServiceUnavailable", 503, "The request has failed due to a temporary failure of the server.";
    /// Unknown or deleted `lb-…`.
    INVALID_LOAD_BALANCER_ID_NOT_FOUND = "InvalidLoadBalancerId.NotFound", 404, "The specified LoadBalancerId does not exist.";
    /// Unknown `rsp-…` (vServer group actions answer `InvalidParameter` with 404).
    VSERVER_GROUP_NOT_FOUND = "InvalidParameter", 404, "The specified VServerGroupId does not exist.";
    /// DeleteLoadBalancerListener on a missing listener.
    RESOURCE_NOT_FOUND_LISTENER = "ResourceNotFound.Listener", 404, "The specified listener is not found.";
    /// Describe/Start/Stop on a missing listener port (legacy code).
    LISTENER_NOT_FOUND = "ListenerNotFound", 404, "You have not created a listener for the specified port of the load balancer.";
    /// Create…Listener on a port already taken.
    LISTENER_ALREADY_EXISTS = "ListenerAlreadyExists", 400, "A listener with the specified port already exists";
    /// DeleteVServerGroup while a listener or rule uses it.
    RSPOOL_VIP_EXIST = "RspoolVipExist", 400, "there are vips associating with this vServer group.";
    /// Backend in another VPC; `%s` is the detail.
    NETWORK_CONFLICT = "NetworkConflict", 400, "there are network conflicts in specified parameter.";
    /// No free IP in the vSwitch (sic "availabe").
    VSWITCH_AVAILABLE_IP_NOT_EXIST = "VSwitchAvailableIpNotExist", 400, "The specified VSwitch has no availabe ip.";
    /// Shared (spec-less) instances are no longer sold.
    SHARE_SLB_HALT_SALES = "ShareSlbHaltSales", 400, "The share instance has been discontinued.";
    /// 200-backends-per-LB quota.
    INSTANCE_BACKEND_SERVER_NUMBER_OVER_LIMIT = "InstanceBackendServerNumberOverLimit", 400, "The backend server number has reached to the quota limit of this load balancers";
    /// Per-ECS attached-LB quota (sic "Numer").
    BACKEND_SERVER_RELATED_INSTANCE_NUMBER_OVER_LIMIT = "BackendServerRelatedInstanceNumerOverLimit", 400, "There is backend server has reached to the quota limit number of load balancers that it could be related to.";
    /// Legacy per-call backend limit.
    TOO_MANY_BACKEND_SERVERS = "TooManyBackendServers", 400, "The total number of input real servers exceeds max supported number: %s";
    /// Concurrent writes on one LB (retryable).
    BACKEND_SERVER_CONFIGURING = "BackendServer.configuring", 409, "A previous configuration of the load balancer is pending; please try again later.";
    /// Previous configuration pending (retryable).
    SERVICE_IS_CONFIGURING = "ServiceIsConfiguring", 400, "A previous configuration is pending; please try again later.";
    /// vServer group busy (retryable).
    VSERVER_GROUP_PROCESSING = "VServerGroupProcessing", 400, "A previous configuration of the VServer group is pending; please try again later.";
    /// Service group busy (retryable).
    SERVICE_GROUP_PROCESSING = "OperationFailed.ServiceGroupProcessing", 400, "The specified service group is processing.";
    /// Listener busy (retryable).
    LISTENER_PROCESSING = "ListenerProcessing", 400, "A previous configuration of the listener is pending, please try again later.";
    /// Listener configuring (retryable).
    OPERATION_DENY = "Operation.Deny", 400, "The specified listener is configuring, please try again later.";
    /// Listener stopping (retryable).
    SERVICE_IS_STOPPING = "ServiceIsStopping", 409, "The specified Listener is stopping, please retry later.";
    /// Previous operation pending (retryable).
    OPERATION_BUSY = "OperationBusy", 400, "A previous operation is pending.";
    /// System busy (retryable).
    SYSTEM_BUSY = "SystemBusy", 400, "The system is busy.";
    /// Generic busy code used by Terraform's retry set (retryable).
    SLB_IS_BUSY = "SlbIsBusy", 400, "The specified load balancer is busy, please try again later.";
    /// Backends missing or not running.
    OBTAIN_IP_FAIL = "ObtainIpFail", 400, "The specified BackendServers is invalid; some of the specified backend servers do not exist or are not running.";
    /// Unknown ServerId.
    INVALID_SERVER_ID_NOT_EXIST = "InvalidServerId.NotExist", 400, "The specified ServerId is not exist.";
    /// Unknown ENI; `%s` lists the ENIs.
    RESOURCE_NOT_FOUND_VSERVERS = "ResourceNotFound.vServers", 404, "The specified enis %s does not exist.";
    /// ENI IP conflict; `%s` is the detail.
    SERVER_IP_CONFLICT = "InvalidBackendServers.ServerIpConflict", 400, "%s.";
    /// Bad backend Type.
    BACKEND_SERVER_INVALID_TYPE = "BackendServer.InvalidType", 400, "The specified Type is invalid.";
    /// Overdue account.
    ORDER_ARREARAGE = "ORDER.ARREARAGE", 400, "The account is arrearage.";
    /// Insufficient balance.
    PAY_INSUFFICIENT_BALANCE = "PAY.INSUFFICIENT_BALANCE", 400, "Your account does not have enough balance.";
    /// Delete while protection is on.
    DELETE_PROTECTION_IS_ON = "OperationDenied.DeleteProtectionIsOn", 400, "The loadbalancer can not be deleted due to DeleteProtection is enabled.";
    /// Same ClientToken still in flight.
    TOKEN_IS_PROCESSING = "OperationFailed.TokenIsProcessing", 400, "The operation is failed, because the Client Token is processing.";
    /// Spec change on a CLCU LB.
    PAY_BY_CLCU = "OperationDenied.PayByCLCU", 400, "The operation is not allowed because the instanceChargeType of loadbalancer is PayByCLCU.";
    /// CLCU back to spec is not allowed.
    LCU_TO_SPEC = "Forbidden.LcuToSpec", 400, "User does not have permission modify InstanceChargeType to spec.";
    /// Spec change refused.
    MODIFY_SPEC_NOT_ALLOWED = "ModifySpecNotAllowed", 400, "LoadBalancerSpec not allowed for this instance";
    /// Spec change refused (newer code).
    CHANGE_LB_SPEC_NOT_ALLOWED = "ChangeLbSpecNotAllowed", 400, "You cannot change the specification for the specified load balancer.";
    /// LB locked.
    ACTION_NOT_ALLOWED = "ActionNotAllowed", 400, "Locked for any Business Reason.";
    /// Ambiguous port without ListenerProtocol.
    TOO_MANY_LISTENERS = "TooManyListeners", 400, "More than 1 listener is found, please be more specified.";
    /// Create TCP listener without backend port or group.
    MISSING_BACKEND_PORT_OR_GROUP = "MissingParameter", 400, "The BackendServerPort or VServerGroupId is required at lease one.";
    /// Unknown or invalid vServer group on a listener.
    INVALID_PARAM_VSERVER_GROUP_ID = "InvalidParam.VServerGroupId", 400, "The specified VServerGroupId is invalid.";
    /// Too many tags.
    QUOTA_EXCEEDED_TAG = "QuotaExceeded.Tag", 400, "The number of Tag exceeds the limit.";
    /// Too many tags on one resource.
    QUOTA_EXCEED_TAGS_PER_RESOURCE = "QuotaExceed.TagsPerResource", 400, "The maximum number of tags for each resource is exceeded.";
    /// Tag too large.
    SIZE_LIMIT_EXCEEDED_TAG = "SizeLimitExceeded.Tag", 400, "The maximum size of Tag is exceeded.";
    /// ListTagResources with neither ResourceId nor Tag.
    MISSING_TAG_OR_RESOURCE_ID = "MissingParam.TagOrResourceId", 400, "The parameter Tag.n or ResourceId.n is required.";
    /// Unknown ECS instance.
    INVALID_INSTANCE_ID_NOT_FOUND = "InvalidInstanceId.NotFound", 404, "The specified InstanceId does not exist.";
    /// Unknown ENI (ECS).
    INVALID_ENI_ID_NOT_FOUND = "InvalidEniId.NotFound", 404, "The specified NetworkInterfaceId does not exist.";
}

/// The documented spec for `code`, if any (the first one when a code has several messages).
pub fn lookup(code: &str) -> Option<&'static ErrorSpec> {
    ALL.iter().find(|spec| spec.code == code)
}
