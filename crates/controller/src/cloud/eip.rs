//! `external-ip-type: eip`: the elastic IP bound to a Service's CLB, looked up by
//! `DescribeEipAddresses` with `AssociatedInstanceType=SlbInstance` and
//! `AssociatedInstanceId=<lb id>` (spec part 2 §10.1; a CLB without one is an empty list).
//!
//! Only the lookup lives here; the status writer decides what to show. Not cached: it runs
//! once per sync of such a Service, never for others.

use slb_openapi::ApiError;
use slb_openapi::vpc::{DescribeEipAddressesRequest, SLB_INSTANCE};

use super::{Cloud, CloudError};

const ACTION: &str = "DescribeEipAddresses";

/// The Warning event reason when `external-ip-type: eip` finds no EIP on the CLB.
pub const EVENT_NO_EIP: &str = "EipNotBound";

impl Cloud {
    /// The address of the EIP bound to CLB `load_balancer_id`, `None` when none is.
    ///
    /// # Errors
    /// [`CloudError::Api`] when the call fails, or when this cloud has no VPC access (the
    /// EIP actions are product Vpc).
    pub async fn bound_eip(&self, load_balancer_id: &str) -> Result<Option<String>, CloudError> {
        let Some(vpc) = &self.vpc else {
            return Err(CloudError::Api {
                action: ACTION,
                source: ApiError::invalid_request(
                    "external-ip-type: eip needs the VPC API (product Vpc), which this \
                     controller was built without; run it with a VPC endpoint",
                ),
            });
        };
        let req = DescribeEipAddressesRequest {
            region_id: Some(self.region.clone()),
            associated_instance_type: Some(SLB_INSTANCE.to_owned()),
            associated_instance_id: Some(load_balancer_id.to_owned()),
            ..Default::default()
        };
        let found = vpc
            .describe_eip_addresses(&req)
            .await
            .map_err(|source| CloudError::Api {
                action: ACTION,
                source,
            })?;
        Ok(found
            .eip_addresses
            .into_iter()
            .find(|e| e.instance_id == load_balancer_id)
            .map(|e| e.ip_address))
    }
}
