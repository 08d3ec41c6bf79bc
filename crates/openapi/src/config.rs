//! Client configuration: credentials (AK/secret, STS token), the Go CCM's cloud-config file,
//! endpoints (public, VPC, and the `SLB_ENDPOINT`/`ECS_ENDPOINT`/`ALICLOUD_CLIENT_SCHEME`
//! overrides), timeouts and the governor settings.
//!
//! This module never reads the process environment itself: callers pass a lookup function
//! (e.g. `|k| std::env::var(k).ok()`) so tests and the local mode stay explicit.

use std::fmt;
use std::sync::Arc;

use base64::Engine as _;
use serde_json::Value;
use tokio::time::Duration;

use crate::action::Product;
use crate::governor::GovernorConfig;

/// An access key, optionally with an STS security token.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    /// `AccessKeyId`.
    pub access_key_id: String,
    /// The secret (never logged).
    pub access_key_secret: String,
    /// `SecurityToken` for STS credentials.
    pub security_token: Option<String>,
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("access_key_id", &self.access_key_id)
            .field("access_key_secret", &"<redacted>")
            .field(
                "security_token",
                &self.security_token.as_ref().map(|_| "<redacted>"),
            )
            .finish()
    }
}

impl Credentials {
    /// A plain access key.
    pub fn new(access_key_id: impl Into<String>, access_key_secret: impl Into<String>) -> Self {
        Self {
            access_key_id: access_key_id.into(),
            access_key_secret: access_key_secret.into(),
            security_token: None,
        }
    }

    /// Adds an STS token (builder style).
    #[must_use]
    pub fn with_security_token(mut self, token: impl Into<String>) -> Self {
        self.security_token = Some(token.into()).filter(|t: &String| !t.is_empty());
        self
    }
}

/// Where resolved credentials came from (for a startup log line).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CredentialOrigin {
    /// Passed explicitly (command-line flags).
    Explicit,
    /// The cloud-config file's `Global.accessKeyID`/`accessKeySecret`.
    CloudConfig,
    /// `ACCESS_KEY_ID`/`ACCESS_KEY_SECRET` (or the `ALIBABA_CLOUD_*` names).
    Environment,
}

/// Environment names for the access key id, in lookup order.
const ENV_KEY_IDS: &[&str] = &["ACCESS_KEY_ID", "ALIBABA_CLOUD_ACCESS_KEY_ID"];
/// Environment names for the secret, in lookup order.
const ENV_KEY_SECRETS: &[&str] = &["ACCESS_KEY_SECRET", "ALIBABA_CLOUD_ACCESS_KEY_SECRET"];
/// Environment names for an STS token, in lookup order.
const ENV_TOKENS: &[&str] = &["SECURITY_TOKEN", "ALIBABA_CLOUD_SECURITY_TOKEN"];

impl Credentials {
    /// Picks credentials in the Go CCM's order: `explicit` (flags), then the cloud-config
    /// access key, then the environment through `lookup` (`ACCESS_KEY_ID`/`ACCESS_KEY_SECRET`,
    /// or the `ALIBABA_CLOUD_*` names, with an optional `SECURITY_TOKEN`).
    ///
    /// # Errors
    /// [`ConfigError::NoCredentials`] when none of them has both an id and a secret.
    pub fn resolve(
        explicit: Option<Credentials>,
        cloud: Option<&CloudConfig>,
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<(Credentials, CredentialOrigin), ConfigError> {
        if let Some(c) =
            explicit.filter(|c| !c.access_key_id.is_empty() && !c.access_key_secret.is_empty())
        {
            return Ok((c, CredentialOrigin::Explicit));
        }
        if let Some(c) = cloud.and_then(CloudConfig::credentials) {
            return Ok((c, CredentialOrigin::CloudConfig));
        }
        let first = |names: &[&str]| {
            names.iter().find_map(|n| {
                lookup(n)
                    .map(|v| v.trim().to_owned())
                    .filter(|v| !v.is_empty())
            })
        };
        match (first(ENV_KEY_IDS), first(ENV_KEY_SECRETS)) {
            (Some(id), Some(secret)) => {
                let mut c = Credentials::new(id, secret);
                c.security_token = first(ENV_TOKENS);
                Ok((c, CredentialOrigin::Environment))
            }
            _ => Err(ConfigError::NoCredentials),
        }
    }
}

/// Where the client gets credentials for each request (so rotating STS credentials can be
/// plugged in). Implementations must be cheap: it is called once per attempt.
pub trait CredentialSource: Send + Sync + fmt::Debug {
    /// The credentials to sign the next request with.
    fn credentials(&self) -> Credentials;
}

impl CredentialSource for Credentials {
    fn credentials(&self) -> Credentials {
        self.clone()
    }
}

/// Why configuration could not be built.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The cloud-config file is not JSON.
    #[error("cloud-config is not valid JSON: {0}")]
    CloudConfigJson(#[source] serde_json::Error),
    /// The cloud-config file has no `Global` object.
    #[error(
        "cloud-config has no \"Global\" object; expected {{\"Global\":{{\"accessKeyID\":\"<base64>\",\"accessKeySecret\":\"<base64>\",\"region\":\"…\"}}}}"
    )]
    CloudConfigNoGlobal,
    /// A base64 field did not decode.
    #[error(
        "cloud-config Global.{field} is not base64 (the Go CCM stores it base64-encoded; encode it with `printf %s KEY | base64`)"
    )]
    CloudConfigBase64 {
        /// The field name.
        field: &'static str,
    },
    /// An endpoint override is not a usable URL or host.
    #[error("{name}={value:?} is not a URL or host[:port]; expected e.g. http://127.0.0.1:8080")]
    BadEndpoint {
        /// The variable name.
        name: &'static str,
        /// Its value.
        value: String,
    },
    /// `ALICLOUD_CLIENT_SCHEME` is neither HTTP nor HTTPS.
    #[error("ALICLOUD_CLIENT_SCHEME={0:?} is not HTTP or HTTPS")]
    BadScheme(String),
    /// No credentials anywhere.
    #[error(
        "no credentials: pass an AccessKey id and secret (flags or ACCESS_KEY_ID/ACCESS_KEY_SECRET) or a cloud-config file"
    )]
    NoCredentials,
}

/// The fields of the Go CCM's cloud-config (`{"Global":{…}}`) this crate needs. Keys are
/// matched case-insensitively, as Go's `encoding/json` does.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CloudConfig {
    /// Decoded `accessKeyID` (empty when absent).
    pub access_key_id: String,
    /// Decoded `accessKeySecret` (empty when absent).
    pub access_key_secret: String,
    /// `region`.
    pub region: String,
    /// `vpcid`.
    pub vpc_id: String,
    /// `vswitchid` (`zone:vsw,zone:vsw`).
    pub vswitch_id: String,
    /// `zoneid`.
    pub zone_id: String,
    /// `clusterID`.
    pub cluster_id: String,
    /// `resourceGroupID`.
    pub resource_group_id: String,
    /// `uid` (assume-role; not supported by this crate beyond parsing).
    pub uid: String,
}

impl CloudConfig {
    /// Parses the cloud-config JSON text.
    ///
    /// # Errors
    /// [`ConfigError`] naming the bad part.
    pub fn parse(text: &str) -> Result<Self, ConfigError> {
        let root: Value = serde_json::from_str(text).map_err(ConfigError::CloudConfigJson)?;
        let global = get_ci(&root, "Global").ok_or(ConfigError::CloudConfigNoGlobal)?;
        let s = |key: &str| {
            get_ci(global, key)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .trim()
                .to_owned()
        };
        Ok(Self {
            access_key_id: decode_b64("accessKeyID", &s("accessKeyID"))?,
            access_key_secret: decode_b64("accessKeySecret", &s("accessKeySecret"))?,
            region: s("region"),
            vpc_id: s("vpcid"),
            vswitch_id: s("vswitchid"),
            zone_id: s("zoneid"),
            cluster_id: s("clusterID"),
            resource_group_id: s("resourceGroupID"),
            uid: s("uid"),
        })
    }

    /// The access key, when both parts are present.
    pub fn credentials(&self) -> Option<Credentials> {
        (!self.access_key_id.is_empty() && !self.access_key_secret.is_empty())
            .then(|| Credentials::new(&self.access_key_id, &self.access_key_secret))
    }
}

fn get_ci<'a>(v: &'a Value, key: &str) -> Option<&'a Value> {
    v.as_object()?
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(key))
        .map(|(_, v)| v)
}

fn decode_b64(field: &'static str, value: &str) -> Result<String, ConfigError> {
    if value.is_empty() {
        return Ok(String::new());
    }
    base64::engine::general_purpose::STANDARD
        .decode(value)
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .map(|s| s.trim().to_owned())
        .ok_or(ConfigError::CloudConfigBase64 { field })
}

/// Public or VPC-internal endpoints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Network {
    /// `slb.<region>.aliyuncs.com`.
    Public,
    /// `slb-vpc.<region>.aliyuncs.com` (the CCM default, `--network=vpc`).
    #[default]
    Vpc,
}

/// URL scheme.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Scheme {
    /// `https` (default).
    #[default]
    Https,
    /// `http` (`ALICLOUD_CLIENT_SCHEME=HTTP`, e.g. the local CLB).
    Http,
}

impl Scheme {
    fn as_str(self) -> &'static str {
        match self {
            Self::Https => "https",
            Self::Http => "http",
        }
    }
}

/// Per-service endpoint overrides, as the Go CCM reads them from the environment.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EndpointOverrides {
    /// `SLB_ENDPOINT`: host[:port] (a URL's scheme and path are ignored, as in the Go CCM).
    pub slb: Option<String>,
    /// `ECS_ENDPOINT`.
    pub ecs: Option<String>,
    /// `VPC_ENDPOINT` (route tables).
    pub vpc: Option<String>,
    /// `ALICLOUD_CLIENT_SCHEME`.
    pub scheme: Option<Scheme>,
}

impl EndpointOverrides {
    /// Every product (SLB, ECS, VPC) at one plain-HTTP `host:port`: how a client reaches the
    /// local CLB, which serves them all on one port.
    pub fn local(host_port: impl Into<String>) -> Self {
        let host = host_port.into();
        Self {
            slb: Some(host.clone()),
            ecs: Some(host.clone()),
            vpc: Some(host),
            scheme: Some(Scheme::Http),
        }
    }

    /// Reads `SLB_ENDPOINT`, `ECS_ENDPOINT`, `VPC_ENDPOINT` and `ALICLOUD_CLIENT_SCHEME` through `lookup`
    /// (pass `|k| std::env::var(k).ok()` for the process environment).
    ///
    /// # Errors
    /// [`ConfigError::BadEndpoint`] / [`ConfigError::BadScheme`].
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let endpoint = |name: &'static str| -> Result<Option<String>, ConfigError> {
            match lookup(name)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
            {
                None => Ok(None),
                Some(value) => host_port(&value)
                    .map(Some)
                    .ok_or(ConfigError::BadEndpoint { name, value }),
            }
        };
        let scheme = match lookup("ALICLOUD_CLIENT_SCHEME").map(|s| s.trim().to_ascii_uppercase()) {
            None => None,
            Some(s) if s.is_empty() => None,
            Some(s) if s == "HTTP" => Some(Scheme::Http),
            Some(s) if s == "HTTPS" => Some(Scheme::Https),
            Some(s) => return Err(ConfigError::BadScheme(s)),
        };
        Ok(Self {
            slb: endpoint("SLB_ENDPOINT")?,
            ecs: endpoint("ECS_ENDPOINT")?,
            vpc: endpoint("VPC_ENDPOINT")?,
            scheme,
        })
    }
}

/// host[:port] of a URL or bare host; `None` when empty or containing spaces.
fn host_port(value: &str) -> Option<String> {
    let rest = value.split_once("://").map_or(value, |(_, r)| r);
    let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
    (!host.is_empty() && !host.contains(char::is_whitespace)).then(|| host.to_owned())
}

/// Regions whose public CLB endpoint is the central `slb.aliyuncs.com` (Go SDK map).
const SLB_CENTRAL_REGIONS: &[&str] = &[
    "cn-hangzhou",
    "cn-beijing",
    "cn-qingdao",
    "cn-shanghai",
    "cn-shenzhen",
    "cn-hongkong",
    "ap-southeast-1",
    "us-east-1",
    "us-west-1",
];

/// The default host for `product` in `region` over `network` (spec §1.1).
pub fn default_host(product: Product, region: &str, network: Network) -> String {
    let code = product.endpoint_code();
    match network {
        Network::Vpc => format!("{code}-vpc.{region}.aliyuncs.com"),
        Network::Public if product == Product::Slb && SLB_CENTRAL_REGIONS.contains(&region) => {
            "slb.aliyuncs.com".to_owned()
        }
        Network::Public => format!("{code}.{region}.aliyuncs.com"),
    }
}

/// Everything the HTTP client needs.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// The region sent as `RegionId` when a request has none, and used in endpoints.
    pub region_id: String,
    /// Credentials per attempt.
    pub credentials: Arc<dyn CredentialSource>,
    /// Public or VPC endpoints.
    pub network: Network,
    /// Endpoint and scheme overrides.
    pub overrides: EndpointOverrides,
    /// Per-attempt timeout (the Go SDK uses 20 s).
    pub timeout: Duration,
    /// Rate limits, concurrency and retries.
    pub governor: GovernorConfig,
    /// `User-Agent` header.
    pub user_agent: String,
    /// Which signature requests carry (V2 by default, as the reference CCM's Go SDK sends).
    pub signature_version: SignatureVersion,
}

/// The OpenAPI signature the client sends: V2 (`HMAC-SHA1` in the query, spec §1.4, what
/// the Go SDK the reference CCM uses sends) or V3 (`ACS3-HMAC-SHA256` headers, spec 2 §1.3,
/// the Tea SDKs' default).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SignatureVersion {
    /// Signature V2.
    #[default]
    V2,
    /// Signature V3.
    V3,
}

/// A signature version other than `v2` or `v3` was asked for.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown signature version {0:?}; use v2 (HMAC-SHA1, the default) or v3 (ACS3-HMAC-SHA256)"
)]
pub struct UnknownSignatureVersion(pub String);

impl std::str::FromStr for SignatureVersion {
    type Err = UnknownSignatureVersion;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "v2" | "2" => Ok(Self::V2),
            "v3" | "3" => Ok(Self::V3),
            _ => Err(UnknownSignatureVersion(s.to_owned())),
        }
    }
}

impl fmt::Display for SignatureVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::V2 => "v2",
            Self::V3 => "v3",
        })
    }
}

/// The Go SDK's timeout, used as our per-attempt default.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(20);

impl ClientConfig {
    /// A configuration with defaults: VPC endpoints, HTTPS, 20 s timeout, default governor.
    pub fn new(region_id: impl Into<String>, credentials: impl CredentialSource + 'static) -> Self {
        Self {
            region_id: region_id.into(),
            credentials: Arc::new(credentials),
            network: Network::default(),
            overrides: EndpointOverrides::default(),
            timeout: DEFAULT_TIMEOUT,
            governor: GovernorConfig::default(),
            user_agent: concat!("slb-ccm/", env!("CARGO_PKG_VERSION")).to_owned(),
            signature_version: SignatureVersion::default(),
        }
    }

    /// The base URL (`scheme://host[:port]/`) for `product`.
    pub fn base_url(&self, product: Product) -> String {
        let host = match product {
            Product::Slb => self.overrides.slb.clone(),
            Product::Ecs => self.overrides.ecs.clone(),
            Product::Vpc => self.overrides.vpc.clone(),
        }
        .unwrap_or_else(|| default_host(product, &self.region_id, self.network));
        let scheme = self.overrides.scheme.unwrap_or_default();
        format!("{}://{host}/", scheme.as_str())
    }
}

#[cfg(test)]
mod tests;
