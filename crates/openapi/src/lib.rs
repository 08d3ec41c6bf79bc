//! slb-openapi: Alibaba Cloud's signed RPC OpenAPI for CLB (Slb 2014-05-15), ECS
//! (2014-05-26) and VPC route tables (2016-04-28): the signer, typed requests and responses, the `Clb`/`Ecs` traits that are the
//! controller's only way to a cloud, and the HTTP client that implements them.
//!
//! Map of the crate:
//! - [`sign`]: signature V2 (sign and verify) and V3, percent/form encoding.
//! - [`params`]: the flat parameter map and its typed writer/reader.
//! - [`types`]: shared wire enums, tags, backend servers.
//! - [`clb`], [`ecs`], [`vpc`]: one typed request/response pair per action.
//! - [`action`]: the [`Action`] trait tying a request to its name and response.
//! - [`api`]: the [`Clb`], [`Ecs`] and [`Vpc`] traits.
//! - [`error`]: [`ApiError`] and the documented error codes.
//! - [`config`]: credentials, cloud-config, endpoints and overrides.
//! - [`governor`]: token buckets, concurrency bound, retries with backoff.
//! - [`client`]: the reqwest implementation of the traits.
//! - [`paginate`]: helpers that fetch every page.
//! - [`metrics`]: prometheus metrics and in-process call counts.
//!
//! It deliberately holds no CCM policy (what to create, how to diff): that is slb-model.
//!
//! ```no_run
//! use std::sync::Arc;
//! use slb_openapi::clb::DescribeLoadBalancerAttributeRequest;
//! use slb_openapi::config::{ClientConfig, Credentials, EndpointOverrides};
//! use slb_openapi::{Clb, HttpClient};
//!
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! let mut config = ClientConfig::new("cn-hangzhou", Credentials::new("ak", "secret"));
//! config.overrides = EndpointOverrides::from_lookup(|k| std::env::var(k).ok())?;
//! let clb: Arc<dyn Clb> = Arc::new(HttpClient::new(config)?);
//! let lb = clb
//!     .describe_load_balancer_attribute(&DescribeLoadBalancerAttributeRequest {
//!         load_balancer_id: "lb-123".into(),
//!         ..Default::default()
//!     })
//!     .await?;
//! println!("{} at {}", lb.summary.load_balancer_id, lb.summary.address);
//! # Ok(())
//! # }
//! ```

pub mod action;
pub mod api;
pub mod clb;
pub mod client;
pub mod config;
pub mod ecs;
pub mod error;
pub mod governor;
pub mod lenient;
pub mod local_admin;
pub mod metered;
pub mod metrics;
pub mod paginate;
pub mod params;
pub mod sign;
pub mod types;
pub mod vpc;

pub use action::{Action, EmptyResponse, Product};
pub use api::{Clb, Ecs, Vpc};
pub use client::HttpClient;
pub use config::{ClientConfig, Credentials};
pub use error::{ApiError, ErrorDetail, ErrorOrigin};
pub use params::Params;
