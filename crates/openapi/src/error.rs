//! `ApiError`: one typed value for every way an OpenAPI call can fail, and the catalog of
//! documented error codes (spec §2.2, §2.3, §4) so a server can produce exactly Alibaba's
//! (code, HTTP status, message) triple and a client can classify what it received.
//!
//! This module does not decide *what to do* about an error beyond the retry classification
//! (`is_retryable`, `is_throttling`); mapping codes to user-facing remedies is the model
//! crate's error catalog.

use serde::{Deserialize, Serialize};

pub mod codes;

pub use codes::ErrorSpec;

/// Where an [`ApiError`] came from: the service answered, or we never got a usable answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ErrorOrigin {
    /// The server answered with an error body (or a non-2xx status).
    Service,
    /// The attempt timed out before a response arrived; the outcome is unknown.
    Timeout,
    /// The connection could not be made or broke; the outcome may be unknown.
    Transport,
    /// A 2xx response whose body could not be decoded into the action's response type.
    Decode,
    /// The request could not be built (bad endpoint, bad credentials); nothing was sent.
    Request,
}

/// The fields of an [`ApiError`], reachable through `Deref` (`err.code`, `err.http_status`).
///
/// Fields mirror the error body `{"RequestId","HostId","Code","Message","Recommend"}` plus the
/// HTTP status. Client-side failures use `SDK.*` codes and `http_status == 0`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorDetail {
    /// The error code, e.g. `InvalidLoadBalancerId.NotFound`.
    pub code: String,
    /// The human-readable message.
    pub message: String,
    /// The request id, empty when the server gave none.
    pub request_id: String,
    /// The HTTP status; 0 when no response was received.
    pub http_status: u16,
    /// The `HostId` of the error body (the endpoint host), empty when absent.
    pub host_id: String,
    /// The `Recommend` troubleshooting URL, empty when absent.
    pub recommend: String,
    /// Where the error came from.
    pub origin: ErrorOrigin,
}

/// An error answered by (or on the way to) an Alibaba RPC OpenAPI.
///
/// Boxed so `Result<T, ApiError>` stays small; read the fields through `Deref`
/// ([`ErrorDetail`]), e.g. `err.code == "Throttling.User"`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
#[error("{} (HTTP {}): {}{}", .0.code, .0.http_status, .0.message, request_suffix(&.0.request_id))]
#[serde(transparent)]
pub struct ApiError(Box<ErrorDetail>);

impl std::ops::Deref for ApiError {
    type Target = ErrorDetail;
    fn deref(&self) -> &ErrorDetail {
        &self.0
    }
}

impl std::ops::DerefMut for ApiError {
    fn deref_mut(&mut self) -> &mut ErrorDetail {
        &mut self.0
    }
}

impl From<ErrorDetail> for ApiError {
    fn from(detail: ErrorDetail) -> Self {
        Self(Box::new(detail))
    }
}

fn request_suffix(request_id: &str) -> String {
    if request_id.is_empty() {
        String::new()
    } else {
        format!(" (RequestId {request_id})")
    }
}

/// Codes whose meaning is "the service is busy with a previous operation; try again later".
/// The request was rejected, not executed, so retrying is always safe.
const BUSY_CODES: &[&str] = &[
    "ServiceUnavailable",
    "SlbIsBusy",
    "BackendServer.configuring",
    "ServiceIsConfiguring",
    "VServerGroupProcessing",
    "OperationFailed.ServiceGroupProcessing",
    "ListenerProcessing",
    "Operation.Deny",
    "ServiceIsStopping",
    "OperationBusy",
    "SystemBusy",
    "OperationConflict",
    "OperationFailed.TokenIsProcessing",
    "InternalError",
    "InternalInvokeError",
];

// === impl ApiError ===

impl ApiError {
    /// An error as a server would answer it: `code`, `message`, `http_status`, origin `Service`.
    pub fn service(code: impl Into<String>, http_status: u16, message: impl Into<String>) -> Self {
        ErrorDetail {
            code: code.into(),
            message: message.into(),
            request_id: String::new(),
            http_status,
            host_id: String::new(),
            recommend: String::new(),
            origin: ErrorOrigin::Service,
        }
        .into()
    }

    /// The fields, by value.
    pub fn into_detail(self) -> ErrorDetail {
        *self.0
    }

    /// A client-side failure (`SDK.*` code, status 0) of the given origin.
    pub fn client(origin: ErrorOrigin, code: &str, message: impl Into<String>) -> Self {
        let mut err = Self::service(code, 0, message);
        err.origin = origin;
        err
    }

    /// The attempt timed out (`SDK.Timeout`); the outcome on the server is unknown.
    pub fn timeout(message: impl Into<String>) -> Self {
        Self::client(ErrorOrigin::Timeout, "SDK.Timeout", message)
    }

    /// The server could not be reached or the connection broke (`SDK.ServerUnreachable`).
    pub fn transport(message: impl Into<String>) -> Self {
        Self::client(ErrorOrigin::Transport, "SDK.ServerUnreachable", message)
    }

    /// A response body that does not decode (`SDK.InvalidResponse`).
    pub fn decode(message: impl Into<String>) -> Self {
        Self::client(ErrorOrigin::Decode, "SDK.InvalidResponse", message)
    }

    /// A request that could not be built (`SDK.InvalidRequest`); nothing was sent.
    pub fn invalid_request(message: impl Into<String>) -> Self {
        Self::client(ErrorOrigin::Request, "SDK.InvalidRequest", message)
    }

    /// `MissingParameter` (400) naming the missing parameter, with Alibaba's wording.
    pub fn missing_parameter(name: &str) -> Self {
        codes::MISSING_PARAMETER.error_with(name)
    }

    /// `InvalidParameter` (400) naming the parameter and what is wrong with it.
    pub fn invalid_parameter(name: &str, problem: &str) -> Self {
        Self::service(
            "InvalidParameter",
            400,
            format!("The specified parameter \"{name}\" is not valid: {problem}"),
        )
    }

    /// Sets the request id (builder style).
    #[must_use]
    pub fn with_request_id(mut self, request_id: impl Into<String>) -> Self {
        self.request_id = request_id.into();
        self
    }

    /// Sets the host id (builder style).
    #[must_use]
    pub fn with_host_id(mut self, host_id: impl Into<String>) -> Self {
        self.host_id = host_id.into();
        self
    }

    /// Sets the recommend URL (builder style).
    #[must_use]
    pub fn with_recommend(mut self, recommend: impl Into<String>) -> Self {
        self.recommend = recommend.into();
        self
    }

    /// True for the flow-control codes `Throttling`, `Throttling.User`, `Throttling.Api`, … .
    pub fn is_throttling(&self) -> bool {
        self.code == "Throttling" || self.code.starts_with("Throttling.")
    }

    /// True when the server said "busy, try later" (see `BUSY_CODES`).
    pub fn is_busy(&self) -> bool {
        BUSY_CODES.contains(&self.code.as_str())
    }

    /// True when trying the same request again later may succeed: throttling, busy codes,
    /// 5xx statuses, timeouts and transport failures.
    pub fn is_retryable(&self) -> bool {
        match self.origin {
            ErrorOrigin::Timeout | ErrorOrigin::Transport => true,
            ErrorOrigin::Decode | ErrorOrigin::Request => false,
            ErrorOrigin::Service => {
                self.is_throttling() || self.is_busy() || self.http_status >= 500
            }
        }
    }

    /// True when the request may have been executed although we got an error: timeouts,
    /// transport failures and 5xx answers. Non-idempotent creates are retried after such an
    /// error only when they carry a `ClientToken`.
    pub fn outcome_unknown(&self) -> bool {
        match self.origin {
            ErrorOrigin::Timeout | ErrorOrigin::Transport => true,
            ErrorOrigin::Service => self.http_status >= 500,
            ErrorOrigin::Decode | ErrorOrigin::Request => false,
        }
    }

    /// True for "does not exist" answers (404, `*.NotFound`, `*NotExist*`).
    pub fn is_not_found(&self) -> bool {
        self.origin == ErrorOrigin::Service
            && (self.http_status == 404
                || self.code.ends_with(".NotFound")
                || self.code.contains("NotExist")
                || self.code.starts_with("ResourceNotFound"))
    }

    /// A stable, low-cardinality label for metrics and events.
    pub fn kind(&self) -> &'static str {
        match self.origin {
            ErrorOrigin::Timeout => return "timeout",
            ErrorOrigin::Transport => return "transport",
            ErrorOrigin::Decode => return "decode",
            ErrorOrigin::Request => return "request",
            ErrorOrigin::Service => {}
        }
        let code = self.code.as_str();
        if self.is_throttling() {
            "throttling"
        } else if self.is_busy() && self.http_status < 500 {
            "busy"
        } else if self.http_status >= 500 {
            "server"
        } else if code.starts_with("Signature")
            || code.starts_with("InvalidAccessKeyId")
            || code.starts_with("InvalidTimeStamp")
            || code == "IncompleteSignature"
            || code.starts_with("InvalidSecurityToken")
        {
            "auth"
        } else if self.http_status == 403 || code.starts_with("Forbidden") {
            "forbidden"
        } else if self.is_not_found() {
            "not_found"
        } else if code.contains("OverLimit")
            || code.starts_with("Quota")
            || code.starts_with("TooMany")
        {
            "quota"
        } else if code.starts_with("ORDER.") || code.starts_with("PAY.") || code.contains("Balance")
        {
            "billing"
        } else if code.starts_with("Missing")
            || code.starts_with("Invalid")
            || code.starts_with("IllegalParam")
        {
            "invalid"
        } else if self.http_status == 409
            || code.contains("Conflict")
            || code.contains("AlreadyExist")
        {
            "conflict"
        } else {
            "other"
        }
    }
}

/// The JSON error body Alibaba returns, used to parse responses and to render them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct ErrorBody {
    /// `RequestId`.
    pub request_id: String,
    /// `HostId`.
    pub host_id: String,
    /// `Code`.
    pub code: String,
    /// `Message`.
    pub message: String,
    /// `Recommend`.
    pub recommend: String,
}

impl ErrorBody {
    /// The body a server sends for `err`.
    pub fn from_error(err: &ApiError) -> Self {
        Self {
            request_id: err.request_id.clone(),
            host_id: err.host_id.clone(),
            code: err.code.clone(),
            message: err.message.clone(),
            recommend: err.recommend.clone(),
        }
    }

    /// The error a client reports for this body received with `http_status`.
    pub fn into_error(self, http_status: u16) -> ApiError {
        ErrorDetail {
            code: self.code,
            message: self.message,
            request_id: self.request_id,
            http_status,
            host_id: self.host_id,
            recommend: self.recommend,
            origin: ErrorOrigin::Service,
        }
        .into()
    }
}

#[cfg(test)]
mod tests;
