//! The HTTP implementation of [`Clb`] and [`Ecs`] on reqwest (rustls): every call is a
//! signed `POST /?<all parameters>` with an empty form body, V2-signed by default exactly like
//! the official Go SDK the reference CCM uses, or V3-signed (headers, see [`v3`]) when the
//! config asks for it; run under the shared [`Governor`] and counted in [`ApiMetrics`].
//!
//! What it does not do: decide what to call (the controller), or refresh credentials by
//! itself (plug a rotating [`CredentialSource`](crate::config::CredentialSource) in).

use std::sync::Arc;

use async_trait::async_trait;
use reqwest::header::{CONTENT_TYPE, HeaderMap};
use tokio::time::{Duration, Instant};

use crate::action::{Action, Product};
use crate::api::{Clb, Ecs, Vpc};
use crate::clb::*;
use crate::config::{ClientConfig, Credentials, SignatureVersion};
use crate::ecs::*;
use crate::error::{ApiError, ErrorBody};
use crate::governor::{AttemptError, Governor, RepeatSafety};
use crate::metrics::{ApiMetrics, CallStats};
use crate::params::Params;
use crate::sign;
use crate::vpc::*;

/// Why the client could not be built.
#[derive(Debug, thiserror::Error)]
pub enum ClientBuildError {
    /// reqwest refused the TLS/HTTP configuration.
    #[error("building the HTTP client failed: {0}")]
    Http(#[source] reqwest::Error),
}

/// The signed-RPC HTTP client. Cheap to clone; clones share the governor and metrics.
#[derive(Debug, Clone)]
pub struct HttpClient {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    http: reqwest::Client,
    config: ClientConfig,
    governor: Governor,
    metrics: ApiMetrics,
}

/// The per-call parameters that are not the action's own (spec §1.3).
#[derive(Debug, Clone)]
pub struct CommonParams<'a> {
    /// `Action`.
    pub action: &'a str,
    /// Product (gives `Version`).
    pub product: Product,
    /// `RegionId` used when the action has none.
    pub region_id: &'a str,
    /// Credentials (`AccessKeyId`, `SecurityToken`).
    pub credentials: &'a Credentials,
    /// `SignatureNonce`.
    pub nonce: &'a str,
    /// `Timestamp` (`YYYY-MM-DDThh:mm:ssZ`).
    pub timestamp: &'a str,
}

/// Adds the common and signing parameters to `action_params` and signs them for POST.
/// Pure: the same inputs give the same map (nonce and time are passed in).
pub fn signed_params(mut params: Params, common: &CommonParams<'_>) -> Params {
    let mut put = |k: &str, v: &str| {
        params.insert(k.to_owned(), v.to_owned());
    };
    put("Action", common.action);
    put("Version", common.product.version());
    put("Format", "JSON");
    put("AccessKeyId", &common.credentials.access_key_id);
    put("SignatureMethod", sign::SIGNATURE_METHOD_V2);
    put("SignatureVersion", sign::SIGNATURE_VERSION_V2);
    put("SignatureNonce", common.nonce);
    put("Timestamp", common.timestamp);
    // The Go SDK always sends an empty, signed SignatureType; servers must keep it.
    put("SignatureType", "");
    if let Some(token) = &common.credentials.security_token {
        put("SecurityToken", token);
    }
    params
        .entry("RegionId".to_owned())
        .or_insert_with(|| common.region_id.to_owned());
    let signature = sign::sign_v2("POST", &params, &common.credentials.access_key_secret);
    params.insert(sign::SIGNATURE_PARAM.to_owned(), signature);
    params
}

/// The current UTC time as `YYYY-MM-DDThh:mm:ssZ` (no fractional seconds).
pub fn utc_timestamp() -> String {
    let now = time::OffsetDateTime::now_utc();
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        now.year(),
        u8::from(now.month()),
        now.day(),
        now.hour(),
        now.minute(),
        now.second()
    )
}

/// The `TimeLeft` (ms) hint of `x-ratelimit-user-api` / `x-ratelimit-user`, if any.
pub fn throttle_hint(headers: &HeaderMap) -> Option<Duration> {
    ["x-ratelimit-user-api", "x-ratelimit-user"]
        .iter()
        .filter_map(|name| headers.get(*name)?.to_str().ok())
        .flat_map(|v| v.split(','))
        .find_map(|pair| {
            let (k, v) = pair.split_once(':')?;
            (k.trim() == "TimeLeft")
                .then(|| v.trim().parse::<u64>().ok())
                .flatten()
        })
        .map(Duration::from_millis)
}

/// Turns a response (status, body) into the typed response or an [`ApiError`].
///
/// # Errors
/// The service error for non-2xx, `SDK.InvalidResponse` for an undecodable 2xx body.
pub fn parse_response<R: serde::de::DeserializeOwned>(
    status: u16,
    body: &[u8],
) -> Result<R, ApiError> {
    if (200..300).contains(&status) {
        return serde_json::from_slice(body).map_err(|e| {
            ApiError::decode(format!(
                "response body does not match the expected shape: {e}; body starts {:?}",
                String::from_utf8_lossy(&body[..body.len().min(200)])
            ))
        });
    }
    match serde_json::from_slice::<ErrorBody>(body) {
        Ok(parsed) if !parsed.code.is_empty() => Err(parsed.into_error(status)),
        _ => Err(ApiError::service(
            "SDK.UnexpectedResponse",
            status,
            format!(
                "HTTP {status} without an Alibaba error body: {:?}",
                String::from_utf8_lossy(&body[..body.len().min(200)])
            ),
        )),
    }
}

impl HttpClient {
    /// A client with fresh metrics.
    ///
    /// # Errors
    /// [`ClientBuildError`] when reqwest cannot be set up.
    pub fn new(config: ClientConfig) -> Result<Self, ClientBuildError> {
        Self::with_metrics(config, ApiMetrics::new())
    }

    /// A client recording into `metrics` (register them into your `Registry` first or after).
    ///
    /// # Errors
    /// [`ClientBuildError`] when reqwest cannot be set up.
    pub fn with_metrics(
        config: ClientConfig,
        metrics: ApiMetrics,
    ) -> Result<Self, ClientBuildError> {
        let http = reqwest::Client::builder()
            .user_agent(config.user_agent.clone())
            .build()
            .map_err(ClientBuildError::Http)?;
        let governor = Governor::new(config.governor.clone());
        Ok(Self {
            inner: Arc::new(Inner {
                http,
                config,
                governor,
                metrics,
            }),
        })
    }

    /// The metrics this client records into.
    pub fn metrics(&self) -> &ApiMetrics {
        &self.inner.metrics
    }

    /// The in-process call counts.
    pub fn stats(&self) -> &CallStats {
        self.inner.metrics.stats()
    }

    /// The configuration.
    pub fn config(&self) -> &ClientConfig {
        &self.inner.config
    }

    /// Calls `req` under the governor: rate limit, concurrency bound, retries.
    ///
    /// # Errors
    /// The last attempt's [`ApiError`].
    pub async fn call<A: Action>(&self, req: &A) -> Result<A::Response, ApiError> {
        let started = Instant::now();
        let params = req.to_params();
        let has_token = params.get("ClientToken").is_some_and(|t| !t.is_empty());
        let safety = if A::creates_resource() && !has_token {
            RepeatSafety::OnlyAfterRejection
        } else {
            RepeatSafety::Safe
        };
        let inner = &self.inner;
        let result = inner
            .governor
            .run(A::NAME, safety, &inner.metrics, |_| {
                self.attempt::<A>(params.clone())
            })
            .await;
        inner
            .metrics
            .record_call(A::NAME, result.as_ref().map(|_| ()), started.elapsed());
        if let Err(err) = &result {
            tracing::debug!(action = A::NAME, code = %err.code, status = err.http_status, request_id = %err.request_id, "OpenAPI call failed");
        }
        result
    }

    async fn attempt<A: Action>(&self, params: Params) -> Result<A::Response, AttemptError> {
        let inner = &self.inner;
        let (url, headers) = match inner.config.signature_version {
            SignatureVersion::V2 => self.signed_v2::<A>(params),
            SignatureVersion::V3 => self.signed_v3::<A>(params)?,
        };
        let outcome = tokio::time::timeout(inner.config.timeout, self.send(url, headers)).await;
        let result = match outcome {
            Err(_) => Err(AttemptError::from(ApiError::timeout(format!(
                "{} did not answer within {:?}",
                A::NAME,
                inner.config.timeout
            )))),
            Ok(Err(err)) => Err(err),
            Ok(Ok((status, headers, body))) => parse_response::<A::Response>(status, &body)
                .map_err(|error| AttemptError {
                    retry_after: error
                        .is_throttling()
                        .then(|| throttle_hint(&headers))
                        .flatten(),
                    error,
                }),
        };
        inner
            .metrics
            .record_request(A::NAME, result.as_ref().map(|_| ()).map_err(|e| &e.error));
        result
    }

    /// The URL and headers of a V2-signed attempt (all parameters in the query; the
    /// `x-acs-action`/`x-acs-version` headers are informative, as the Go SDK sends them).
    fn signed_v2<A: Action>(&self, params: Params) -> (String, Vec<(String, String)>) {
        let config = &self.inner.config;
        let credentials = config.credentials.credentials();
        let nonce = uuid::Uuid::new_v4().to_string();
        let timestamp = utc_timestamp();
        let signed = signed_params(
            params,
            &CommonParams {
                action: A::NAME,
                product: A::PRODUCT,
                region_id: &config.region_id,
                credentials: &credentials,
                nonce: &nonce,
                timestamp: &timestamp,
            },
        );
        let url = format!(
            "{}?{}",
            config.base_url(A::PRODUCT),
            sign::encode_query(&signed)
        );
        let headers = [
            (CONTENT_TYPE.as_str(), v3::FORM_CONTENT_TYPE),
            ("x-acs-action", A::NAME),
            ("x-acs-version", A::PRODUCT.version()),
        ];
        let headers = headers
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
        (url, headers)
    }

    /// The URL and headers of a V3-signed attempt (parameters in the query, the common ones
    /// and the signature in headers).
    fn signed_v3<A: Action>(
        &self,
        params: Params,
    ) -> Result<(String, Vec<(String, String)>), AttemptError> {
        let config = &self.inner.config;
        let base = config.base_url(A::PRODUCT);
        let host = v3::host_header(&base).ok_or_else(|| {
            AttemptError::from(ApiError::invalid_request(format!(
                "the endpoint {base:?} has no host to sign; fix the endpoint override"
            )))
        })?;
        let credentials = config.credentials.credentials();
        let nonce = uuid::Uuid::new_v4().simple().to_string();
        let date = utc_timestamp();
        let signed = v3::sign_request(
            params,
            b"",
            &v3::V3Common {
                action: A::NAME,
                product: A::PRODUCT,
                region_id: &config.region_id,
                credentials: &credentials,
                host: &host,
                nonce: &nonce,
                date: &date,
            },
        );
        let url = format!("{base}?{}", sign::encode_query(&signed.query));
        Ok((url, signed.headers.into_iter().collect()))
    }

    async fn send(
        &self,
        url: String,
        headers: Vec<(String, String)>,
    ) -> Result<(u16, HeaderMap, Vec<u8>), AttemptError> {
        let request = headers
            .iter()
            .fold(self.inner.http.post(url), |req, (k, v)| {
                req.header(k.as_str(), v.as_str())
            });
        let response = request
            .body("")
            .send()
            .await
            .map_err(|e| transport_error(&e))?;
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body = response.bytes().await.map_err(|e| transport_error(&e))?;
        Ok((status, headers, body.to_vec()))
    }
}

fn transport_error(err: &reqwest::Error) -> AttemptError {
    let error = if err.is_timeout() {
        ApiError::timeout(err.to_string())
    } else if err.is_builder() {
        ApiError::invalid_request(err.to_string())
    } else {
        ApiError::transport(format!(
            "{err} ({:?})",
            std::error::Error::source(err).map(ToString::to_string)
        ))
    };
    AttemptError::from(error)
}

macro_rules! impl_http {
    ($trait:ident ; $($method:ident : $req:ident),* $(,)?) => {
        #[async_trait]
        impl $trait for HttpClient {
            $(
                async fn $method(
                    &self,
                    req: &$req,
                ) -> Result<<$req as Action>::Response, ApiError> {
                    self.call(req).await
                }
            )*
        }
    };
}

crate::clb_actions!(impl_http! { Clb });
crate::ecs_actions!(impl_http! { Ecs });
crate::vpc_actions!(impl_http! { Vpc });

pub mod v3;

#[cfg(test)]
mod tests;
