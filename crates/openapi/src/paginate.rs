//! Pagination helpers that return everything: `PageNumber`/`PageSize` loops
//! (DescribeLoadBalancers), `NextToken` loops (DescribeLoadBalancerListeners,
//! ListTagResources, DescribeInstances, DescribeNetworkInterfaces), and chunking of id/IP
//! lists to the 100-per-call limits of the ECS lookups.
//!
//! They work on any `Clb`/`Ecs` implementation. They guard against servers that never end a
//! listing (a repeated token or a page limit) instead of looping forever.

use crate::api::{Clb, Ecs};
use crate::clb::{
    DescribeListenersRequest, DescribeLoadBalancersRequest, ListTagResourcesRequest, ListenerItem,
    LoadBalancerSummary, TagResource,
};
use crate::ecs::{
    DescribeInstancesRequest, DescribeNetworkInterfacesRequest, Instance, NetworkInterfaceSet,
};
use crate::error::ApiError;

/// Upper bound on pages fetched by one helper: 1000 pages of 100 is far beyond any real
/// account, so hitting it means a server that never ends the listing.
pub const MAX_PAGES: u32 = 1000;

/// Page size used when the request sets none (the APIs' maximum).
pub const PAGE_SIZE: u32 = 100;

/// ECS lookups accept at most this many ids or IPs per call.
pub const ECS_CHUNK: usize = 100;

fn runaway(action: &str) -> ApiError {
    ApiError::decode(format!(
        "{action} kept returning pages after {MAX_PAGES} pages (or repeated a NextToken); giving up"
    ))
}

/// Every load balancer matching `req`, paging with `PageNumber`/`PageSize` from page 1.
///
/// # Errors
/// The first failing page's error, or a runaway-listing error.
pub async fn describe_all_load_balancers(
    clb: &dyn Clb,
    req: &DescribeLoadBalancersRequest,
) -> Result<Vec<LoadBalancerSummary>, ApiError> {
    let mut req = req.clone();
    let size = req.page_size.unwrap_or(PAGE_SIZE);
    req.page_size = Some(size);
    let mut out = Vec::new();
    for page in 1..=MAX_PAGES {
        req.page_number = Some(page);
        let resp = clb.describe_load_balancers(&req).await?;
        let got = resp.load_balancers.len();
        out.extend(resp.load_balancers);
        let total = usize::try_from(resp.total_count).unwrap_or(usize::MAX);
        if got == 0 || got < size as usize || out.len() >= total {
            return Ok(out);
        }
    }
    Err(runaway("DescribeLoadBalancers"))
}

/// Runs a `NextToken` loop: `fetch(token)` returns (items, next token).
async fn follow_tokens<T, F, Fut>(action: &str, mut fetch: F) -> Result<Vec<T>, ApiError>
where
    F: FnMut(Option<String>) -> Fut,
    Fut: std::future::Future<Output = Result<(Vec<T>, String), ApiError>>,
{
    let mut out = Vec::new();
    let mut token: Option<String> = None;
    for _ in 0..MAX_PAGES {
        let (items, next) = fetch(token.clone()).await?;
        out.extend(items);
        if next.is_empty() {
            return Ok(out);
        }
        if token.as_deref() == Some(next.as_str()) {
            return Err(runaway(action));
        }
        token = Some(next);
    }
    Err(runaway(action))
}

/// Every listener matching `req`, following `NextToken`.
///
/// # Errors
/// The first failing page's error, or a runaway-listing error.
pub async fn describe_all_listeners(
    clb: &dyn Clb,
    req: &DescribeListenersRequest,
) -> Result<Vec<ListenerItem>, ApiError> {
    let mut req = req.clone();
    req.max_results = Some(req.max_results.unwrap_or(PAGE_SIZE));
    follow_tokens("DescribeLoadBalancerListeners", |token| {
        let mut page = req.clone();
        page.next_token = token;
        async move {
            let resp = clb.describe_listeners(&page).await?;
            Ok((resp.listeners, resp.next_token))
        }
    })
    .await
}

/// Every (resource, tag) pair matching `req`, following `NextToken`.
///
/// # Errors
/// The first failing page's error, or a runaway-listing error.
pub async fn list_all_tag_resources(
    clb: &dyn Clb,
    req: &ListTagResourcesRequest,
) -> Result<Vec<TagResource>, ApiError> {
    follow_tokens("ListTagResources", |token| {
        let mut page = req.clone();
        page.next_token = token;
        async move {
            let resp = clb.list_tag_resources(&page).await?;
            Ok((resp.tag_resources, resp.next_token))
        }
    })
    .await
}

/// Every instance matching `req`, following `NextToken` with `MaxResults=100`.
///
/// # Errors
/// The first failing page's error, or a runaway-listing error.
pub async fn describe_all_instances(
    ecs: &dyn Ecs,
    req: &DescribeInstancesRequest,
) -> Result<Vec<Instance>, ApiError> {
    let mut req = req.clone();
    req.max_results = Some(req.max_results.unwrap_or(PAGE_SIZE));
    follow_tokens("DescribeInstances", |token| {
        let mut page = req.clone();
        page.next_token = token;
        async move {
            let resp = ecs.describe_instances(&page).await?;
            Ok((resp.instances, resp.next_token))
        }
    })
    .await
}

/// Every ENI matching `req`, following `NextToken` with `MaxResults=100`.
///
/// # Errors
/// The first failing page's error, or a runaway-listing error.
pub async fn describe_all_network_interfaces(
    ecs: &dyn Ecs,
    req: &DescribeNetworkInterfacesRequest,
) -> Result<Vec<NetworkInterfaceSet>, ApiError> {
    let mut req = req.clone();
    req.max_results = Some(req.max_results.unwrap_or(PAGE_SIZE));
    follow_tokens("DescribeNetworkInterfaces", |token| {
        let mut page = req.clone();
        page.next_token = token;
        async move {
            let resp = ecs.describe_network_interfaces(&page).await?;
            Ok((resp.network_interface_sets, resp.next_token))
        }
    })
    .await
}

/// The instances with the given ids (any number), in chunks of 100. Unknown ids are simply
/// absent from the result.
///
/// # Errors
/// The first failing call's error.
pub async fn describe_instances_by_ids(
    ecs: &dyn Ecs,
    region_id: Option<&str>,
    ids: &[String],
) -> Result<Vec<Instance>, ApiError> {
    let mut out = Vec::new();
    for chunk in ids.chunks(ECS_CHUNK) {
        let req = DescribeInstancesRequest {
            region_id: region_id.map(str::to_owned),
            instance_ids: Some(chunk.to_vec()),
            ..Default::default()
        };
        out.extend(describe_all_instances(ecs, &req).await?);
    }
    Ok(out)
}

/// The in-use ENIs of `vpc_id` holding any of `ips`, in chunks of 100 (the CCM's ENI
/// backend lookup). IPv4 addresses go out as `PrivateIpAddress.N` and IPv6 addresses as
/// `Ipv6Address.N` (the service matches each parameter against one family), each family
/// chunked on its own.
///
/// # Errors
/// The first failing call's error.
pub async fn describe_enis_by_ips(
    ecs: &dyn Ecs,
    region_id: Option<&str>,
    vpc_id: &str,
    ips: &[String],
) -> Result<Vec<NetworkInterfaceSet>, ApiError> {
    let mut out = Vec::new();
    for req in eni_lookup_requests(region_id, vpc_id, ips) {
        out.extend(describe_all_network_interfaces(ecs, &req).await?);
    }
    Ok(out)
}

/// The `DescribeNetworkInterfaces` requests [`describe_enis_by_ips`] sends: IPv4 chunks of
/// up to 100 `PrivateIpAddress.N` first, then IPv6 chunks of up to 100 `Ipv6Address.N`.
/// Anything that does not parse as an IPv6 address is treated as IPv4 (the service then
/// judges it).
pub fn eni_lookup_requests(
    region_id: Option<&str>,
    vpc_id: &str,
    ips: &[String],
) -> Vec<DescribeNetworkInterfacesRequest> {
    let (v6, v4): (Vec<String>, Vec<String>) = ips
        .iter()
        .cloned()
        .partition(|ip| ip.parse::<std::net::Ipv6Addr>().is_ok());
    let base = DescribeNetworkInterfacesRequest {
        region_id: region_id.map(str::to_owned),
        vpc_id: Some(vpc_id.to_owned()),
        status: Some("InUse".to_owned()),
        ..Default::default()
    };
    let v4_reqs = v4
        .chunks(ECS_CHUNK)
        .map(|chunk| DescribeNetworkInterfacesRequest {
            private_ip_addresses: chunk.to_vec(),
            ..base.clone()
        });
    let v6_reqs = v6
        .chunks(ECS_CHUNK)
        .map(|chunk| DescribeNetworkInterfacesRequest {
            ipv6_addresses: chunk.to_vec(),
            ..base.clone()
        });
    v4_reqs.chain(v6_reqs).collect()
}
